//! Configuration of `reader-bridge`: a TOML file (`--config`) overridden by flags
//! (`reader-bridge --help` lists them). The reader secret comes from `secret_file` /
//! `--secret-file` or the `READER_BRIDGE_SECRET` environment variable, never a plain flag
//! (flags are visible to every user in the process list).

use crate::hub::HubConfig;
use crate::security::normalise_origin;
use crate::server::ServerSettings;
use clap::Parser;
use domain::pairing::{self, ReaderSecret};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default WebSocket port.
pub const DEFAULT_PORT: u16 = 47265;

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "reader-bridge",
    version,
    about = "SIGAP reader bridge: lets the portal in the operator's browser read e-KTPs through the card reader on this PC (WebSocket on 127.0.0.1/::1 only)."
)]
pub struct Cli {
    /// TOML configuration file (keys: port, origins, reader_id, secret_file,
    /// reads_per_minute, read_timeout_secs, max_connections).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// WebSocket port on 127.0.0.1 and ::1 [default: 47265].
    #[arg(long)]
    pub port: Option<u16>,
    /// Allowed portal origin, e.g. https://sigap.example.go.id (repeatable; replaces the
    /// file's list).
    #[arg(long = "origin", value_name = "URL")]
    pub origins: Vec<String>,
    /// The reader id registered in the portal.
    #[arg(long)]
    pub reader_id: Option<String>,
    /// File holding the reader secret registered in the portal (or set READER_BRIDGE_SECRET).
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
    /// Card reads allowed per minute [default: 6].
    #[arg(long)]
    pub reads_per_minute: Option<u32>,
    /// Seconds a read (fingerprint capture included) may take [default: 30].
    #[arg(long)]
    pub read_timeout_secs: Option<u64>,
    /// Concurrent WebSocket connections [default: 4].
    #[arg(long)]
    pub max_connections: Option<usize>,
}

/// The file's keys (all optional; unknown keys are errors).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    port: Option<u16>,
    origins: Option<Vec<String>>,
    reader_id: Option<String>,
    secret_file: Option<PathBuf>,
    reads_per_minute: Option<u32>,
    read_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Port (0: any free port, for tests).
    pub port: u16,
    /// Normalised origins.
    pub origins: Vec<String>,
    /// Reader id.
    pub reader_id: String,
    /// Reader secret.
    pub secret: ReaderSecret,
    /// Read settings.
    pub hub: HubConfig,
    /// Concurrent connections.
    pub max_connections: usize,
}

impl Config {
    /// Server settings for the port actually bound.
    #[must_use]
    pub fn server_settings(&self, port: u16) -> ServerSettings {
        ServerSettings {
            port,
            origins: self.origins.clone(),
            reader_id: self.reader_id.clone(),
            secret: self.secret.clone(),
            max_connections: self.max_connections,
            max_message_bytes: 16 * 1024,
        }
    }
}

fn read_file_config(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
    use figment::providers::Format;
    figment::Figment::from(figment::providers::Toml::string(&text))
        .extract()
        .map_err(|e| format!("config {}: {e}", path.display()))
}

fn read_secret(path: &Path) -> Result<ReaderSecret, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read secret file {}: {e}", path.display()))?;
    ReaderSecret::new(text.trim().as_bytes().to_vec()).map_err(|_| {
        format!(
            "secret_file: the secret must be at least {} bytes",
            pairing::MIN_SECRET_BYTES
        )
    })
}

/// Builds the configuration from the command line, its file and `env_secret`
/// (`READER_BRIDGE_SECRET`). Errors name the key.
pub fn load(cli: &Cli, env_secret: Option<String>) -> Result<Config, String> {
    let file = match &cli.config {
        Some(path) => read_file_config(path)?,
        None => FileConfig::default(),
    };
    let port = cli.port.or(file.port).unwrap_or(DEFAULT_PORT);
    let origins_in = if cli.origins.is_empty() {
        file.origins.unwrap_or_default()
    } else {
        cli.origins.clone()
    };
    if origins_in.is_empty() {
        return Err("origins: at least one portal origin is required (--origin)".into());
    }
    let origins = origins_in
        .iter()
        .map(|o| normalise_origin(o))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("origins: {e}"))?;
    let reader_id = cli
        .reader_id
        .clone()
        .or(file.reader_id)
        .ok_or("reader_id: the registered reader id is required (--reader-id)")?;
    if !pairing::valid_id(&reader_id) {
        return Err("reader_id: 1-64 characters of A-Z a-z 0-9 _ -".into());
    }
    let secret = match (
        cli.secret_file.as_ref().or(file.secret_file.as_ref()),
        env_secret,
    ) {
        (Some(path), _) => read_secret(path)?,
        (None, Some(text)) => ReaderSecret::new(text.trim().as_bytes().to_vec()).map_err(|_| {
            format!(
                "READER_BRIDGE_SECRET: the secret must be at least {} bytes",
                pairing::MIN_SECRET_BYTES
            )
        })?,
        (None, None) => {
            return Err(
                "secret_file: the reader secret is required (--secret-file or READER_BRIDGE_SECRET)"
                    .into(),
            );
        }
    };
    let reads_per_minute = cli.reads_per_minute.or(file.reads_per_minute).unwrap_or(6);
    if !(1..=120).contains(&reads_per_minute) {
        return Err("reads_per_minute: 1-120".into());
    }
    let read_timeout_secs = cli
        .read_timeout_secs
        .or(file.read_timeout_secs)
        .unwrap_or(30);
    if !(1..=300).contains(&read_timeout_secs) {
        return Err("read_timeout_secs: 1-300".into());
    }
    let max_connections = cli.max_connections.or(file.max_connections).unwrap_or(4);
    if !(1..=64).contains(&max_connections) {
        return Err("max_connections: 1-64".into());
    }
    Ok(Config {
        port,
        origins,
        reader_id,
        secret,
        hub: HubConfig {
            read_timeout: Duration::from_secs(read_timeout_secs),
            uid_timeout: Duration::from_secs(5),
            reads_per_minute,
        },
        max_connections,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "synthetic-reader-secret-0123456789abcdef";

    fn cli(args: &[&str]) -> Cli {
        Cli::parse_from(std::iter::once("reader-bridge").chain(args.iter().copied()))
    }

    #[test]
    fn flags_alone() {
        let c = load(
            &cli(&[
                "--origin",
                "https://sigap.example.go.id",
                "--origin",
                "http://localhost:3000/",
                "--reader-id",
                "RDR-01",
                "--port",
                "47000",
            ]),
            Some(SECRET.into()),
        )
        .unwrap();
        assert_eq!(c.port, 47000);
        assert_eq!(
            c.origins,
            vec!["https://sigap.example.go.id", "http://localhost:3000"]
        );
        assert_eq!(c.hub.reads_per_minute, 6);
    }

    #[test]
    fn file_then_flags() {
        let dir = std::env::temp_dir().join(format!("rb-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let secret = dir.join("secret");
        std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
        let file = dir.join("bridge.toml");
        std::fs::write(
            &file,
            format!(
                "port = 47001\norigins = [\"https://a.example\"]\nreader_id = \"RDR-02\"\nsecret_file = \"{}\"\nreads_per_minute = 3\n",
                secret.display()
            ),
        )
        .unwrap();
        let path = file.to_str().unwrap();
        let c = load(&cli(&["--config", path]), None).unwrap();
        assert_eq!((c.port, c.reader_id.as_str()), (47001, "RDR-02"));
        assert_eq!(c.hub.reads_per_minute, 3);
        let c = load(&cli(&["--config", path, "--port", "47002"]), None).unwrap();
        assert_eq!(c.port, 47002);
        std::fs::write(&file, "prot = 1\n").unwrap();
        let e = load(&cli(&["--config", path]), None).unwrap_err();
        assert!(e.contains("prot"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_packaged_example_is_valid() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/packaging/reader-bridge.example.toml"
        );
        let file = read_file_config(Path::new(path)).unwrap();
        assert_eq!(file.port, Some(DEFAULT_PORT));
        assert_eq!(file.reader_id.as_deref(), Some("RDR-0001"));
        assert!(file.secret_file.is_some());
    }

    #[test]
    fn missing_or_bad_values_name_the_key() {
        let e = load(&cli(&["--reader-id", "R"]), Some(SECRET.into())).unwrap_err();
        assert!(e.starts_with("origins"), "{e}");
        let e = load(
            &cli(&["--origin", "https://a.example"]),
            Some(SECRET.into()),
        )
        .unwrap_err();
        assert!(e.starts_with("reader_id"), "{e}");
        let e = load(
            &cli(&["--origin", "https://a.example", "--reader-id", "R"]),
            None,
        )
        .unwrap_err();
        assert!(e.starts_with("secret_file"), "{e}");
        let e = load(
            &cli(&["--origin", "https://a.example", "--reader-id", "R"]),
            Some("short".into()),
        )
        .unwrap_err();
        assert!(e.starts_with("READER_BRIDGE_SECRET"), "{e}");
        let e = load(
            &cli(&["--origin", "a.example", "--reader-id", "R"]),
            Some(SECRET.into()),
        )
        .unwrap_err();
        assert!(e.starts_with("origins"), "{e}");
    }
}
