//! Why an [`super::UpstreamClient`] could not be built. Each message names the configuration
//! key (`upstream.<key>`) to fix and never contains a secret.

use std::path::PathBuf;

/// A configuration problem found when building the upstream client.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamSetupError {
    /// A required key is not set.
    #[error("configuration key `upstream.{key}` is not set")]
    Missing {
        /// Key within `[upstream]`.
        key: &'static str,
    },
    /// A key has an unusable value.
    #[error("configuration key `upstream.{key}`: {message}")]
    Invalid {
        /// Key within `[upstream]`.
        key: &'static str,
        /// What is wrong (never the value of a secret).
        message: String,
    },
    /// `password_file` could not be read or is empty.
    #[error("configuration key `upstream.password_file`: {path}: {message}")]
    PasswordFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// `ca_file` could not be read or holds no usable certificate.
    #[error("configuration key `upstream.ca_file`: {path}: {message}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The HTTP client could not be built (TLS back-end initialisation).
    #[error("upstream HTTP client: {0}")]
    Http(String),
}
