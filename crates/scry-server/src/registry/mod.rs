//! Watched registries (Inspector's ECR scanning, for any OCI registry).
//!
//! - [`events`]: the registry's push/pull notifications, parsed and checked.
//! - `POST /scry/v1/registry-events` ([`routes`]): where a registry posts them, authenticated
//!   by the per-registry bearer token `scry registry add` printed (only its hash is stored).
//!   Each image manifest digest is recorded once; new ones are queued.
//! - [`Watcher`]: one worker thread that collects queued digests from the registry (layers
//!   through the layer cache under `DATA_DIR/layer-cache`, so shared layers are read once)
//!   and ingests them as `AWS_ECR_CONTAINER_IMAGE` resources `host/repository@digest`; a
//!   poller that lists each registry's catalog and tags on its interval (the fallback for
//!   missed notifications); and the rescan-window sweep (see [`window`]).
//!
//! A tag is on one digest of a repository at a time: pushing a new digest under a tag makes
//! a new resource and moves the tag off the old one, which keeps its findings (with its tags
//! updated) until it leaves the rescan window.

pub mod events;
mod http;
mod watch;
pub mod window;

pub use http::routes;
pub use watch::Watcher;
