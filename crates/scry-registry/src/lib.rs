//! A blocking client for the OCI distribution API, for pulling images
//! (`scry scan registry:REF`).
//!
//! It reads image references ([`Reference`]), platforms ([`Platform`]), Docker
//! client configs ([`docker_config_credentials`]), `WWW-Authenticate` challenges,
//! OCI and Docker v2 manifests, indexes and manifest lists, image configs and
//! layer blobs. Everything fetched is checked against its digest: manifests and
//! configs before they are returned, layers while they stream ([`BlobReader`]).
//! Sizes are capped: manifests at 4 MiB, configs at 16 MiB, token answers at
//! 1 MiB. The rules used are documented on each module.
#![forbid(unsafe_code)]

mod auth;
mod blob;
mod client;
mod error;
mod listing;
pub mod platform;
pub mod reference;

pub use auth::{
    credentials_from_docker_config, docker_config_credentials, docker_config_path,
    parse_www_authenticate, Challenge, Credentials,
};
pub use blob::BlobReader;
pub use client::{
    Client, ClientOptions, LayerDesc, ResolvedImage, DOCKER_CONFIG, DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, OCI_CONFIG, OCI_INDEX,
    OCI_MANIFEST,
};
pub use error::RegistryError;
pub use platform::{select_platform, Platform};
pub use reference::Reference;
