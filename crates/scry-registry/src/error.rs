//! The error type of this crate.

/// Everything that can go wrong while talking to a registry.
///
/// Every message names what it is about (the reference, the registry, the URL or
/// the file) so it can be shown to a user as is.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The image reference does not follow the Docker reference grammar.
    #[error("invalid image reference {input:?}: {reason}")]
    InvalidReference { input: String, reason: String },

    /// The platform string is not `os/arch[/variant]`.
    #[error(
        "invalid platform {input:?}: {reason} (expected os/arch[/variant], e.g. linux/arm64/v8)"
    )]
    InvalidPlatform { input: String, reason: String },

    /// The Docker client configuration could not be read or understood.
    #[error("could not use Docker config {path}: {reason}")]
    DockerConfig { path: String, reason: String },

    /// The Docker configuration delegates the credentials to a helper program.
    #[error(
        "Docker config {path} keeps the credentials for {registry} in the credential helper \
         \"docker-credential-{helper}\", which scry does not run; \
         pass --username and --password-stdin instead"
    )]
    CredentialHelper {
        path: String,
        registry: String,
        helper: String,
    },

    /// The registry refused access even after authenticating.
    #[error(
        "registry {registry} refused access to {what} (HTTP {status}{detail}); \
         give credentials with --username/--password-stdin or `docker login {registry}`"
    )]
    Unauthorized {
        registry: String,
        what: String,
        status: u16,
        /// Empty, or `": "` followed by what the registry said.
        detail: String,
    },

    /// The manifest or blob does not exist.
    #[error("{what} not found in registry {registry} (HTTP 404)")]
    NotFound { registry: String, what: String },

    /// The registry could not be reached.
    #[error("could not reach {url}: {reason}")]
    Network { url: String, reason: String },

    /// An unexpected HTTP status.
    #[error("{url} answered HTTP {status}{detail}")]
    Http {
        url: String,
        status: u16,
        detail: String,
    },

    /// A response was bigger than this client accepts.
    #[error("{what} from {url} is larger than the {limit}-byte limit")]
    TooLarge {
        what: String,
        url: String,
        limit: u64,
    },

    /// The manifest is of a kind this client does not read (e.g. Docker schema 1).
    #[error("unsupported manifest for {reference}: {reason}")]
    UnsupportedManifest { reference: String, reason: String },

    /// The manifest, index or config could not be understood.
    #[error("invalid {what} for {reference}: {reason}")]
    InvalidManifest {
        reference: String,
        what: String,
        reason: String,
    },

    /// An index has no manifest for the requested platform.
    #[error("{reference} has no image for platform {wanted}; available: {}", if available.is_empty() { "none".to_string() } else { available.join(", ") })]
    NoMatchingPlatform {
        reference: String,
        wanted: String,
        available: Vec<String>,
    },

    /// Content did not hash to the digest it was fetched by.
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },

    /// The token service answered with something unusable.
    #[error("token service {url} for registry {registry}: {reason}")]
    Token {
        registry: String,
        url: String,
        reason: String,
    },

    /// The HTTP client could not be set up.
    #[error("could not set up the HTTP client: {0}")]
    Setup(String),
}
