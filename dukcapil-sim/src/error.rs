//! Errors of the simulator's setup (configuration, region, binding). Requests never fail with
//! these: every request gets an answer in the upstream's own shape.

/// Why a simulator could not be built or started.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The configured regency code is malformed or not in the region tables.
    #[error("unknown regency code {0:?} (expected e.g. \"33.13\")")]
    UnknownRegency(String),
    /// A configuration value is out of range or inconsistent.
    #[error("invalid simulator configuration: {0}")]
    Config(String),
    /// The configuration file could not be read or parsed.
    #[error("cannot load configuration: {0}")]
    ConfigFile(String),
    /// Binding or serving failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
