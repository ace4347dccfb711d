//! Configuration: `sigap.toml` (or the file named by `--config` / `SIGAP_CONFIG`) overlaid by
//! environment variables, read the same way by every subcommand.
//!
//! Top-level keys come from `SIGAP_<KEY>` (`SIGAP_BIND`, `SIGAP_DATABASE_URL`,
//! `SIGAP_DATA_DIR`, `SIGAP_LOG_FORMAT`, `SIGAP_SITE_ROOT`); keys in a section from
//! `SIGAP_<SECTION>__<KEY>` (e.g. `SIGAP_INSTITUTION__CODE`). A bad value stops start-up with a
//! message naming the key.

use figment::{
    Figment,
    providers::{Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

/// Environment variables with this prefix are configuration.
pub const ENV_PREFIX: &str = "SIGAP_";

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (default).
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The institution this SIGAP installation serves (its name is shown in the header).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstitutionSection {
    /// Institution code as stored in the database, e.g. `BPBD-3313`.
    pub code: Option<String>,
}

/// The Cek NIK page (`[check]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckSection {
    /// How far back (hours) the page looks for an earlier verdict of the institution on the
    /// same NIK before spending another hit; 0 turns the question off. At most 720 (30 days).
    pub earlier_verdict_hours: u32,
    /// How long (milliseconds) a server keeps the read-mostly rows of the access path (API
    /// token and account, agreements, live user ID, sealed credential, quota subject,
    /// operator cap) in memory. Changes made through this server apply at once regardless;
    /// changes through another replica or directly in the database apply within this time.
    /// 0 turns the cache off. At most 60,000.
    pub read_cache_ms: u64,
    /// Most quota hits a server leases at once from a Dukcapil user ID's day for its
    /// in-memory pool, so that a look-up does not wait for a database write before the
    /// upstream call. A lease never takes more than a sixteenth of what remains (the last
    /// hits of a day go one by one), so several replicas never pass the limit together.
    /// Operators with a daily cap always reserve one by one. 0 or 1 turns leasing off. At
    /// most 1,000.
    pub quota_lease_max: u32,
}

impl Default for CheckSection {
    fn default() -> Self {
        CheckSection {
            earlier_verdict_hours: 24,
            read_cache_ms: 1_000,
            quota_lease_max: 64,
        }
    }
}

/// Everything SIGAP reads at start-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the portal listens on.
    pub bind: SocketAddr,
    /// `sqlite://...` or `postgres://...`; defaults to a SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// Folder for the SQLite database and other local state; must exist and be writable.
    pub data_dir: PathBuf,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// Folder with the built site (`pkg/` with the wasm bundle and CSS), from `cargo leptos build`.
    pub site_root: PathBuf,
    #[serde(default)]
    pub institution: InstitutionSection,
    /// The Dukcapil web service (`[upstream]`); see `upstream::UpstreamConfig`.
    #[serde(default)]
    pub upstream: crate::upstream::UpstreamConfig,
    /// The key that seals credentials at rest (`[secrets]`); see `secrets::SecretsConfig`.
    #[serde(default)]
    pub secrets: crate::secrets::SecretsConfig,
    /// Sign-in, sessions, passkeys, CSRF origins (`[auth]`); see `auth::config::AuthConfig`.
    #[serde(default)]
    pub auth: crate::auth::AuthConfig,
    /// Allowed client networks and trusted proxies (`[network]`); see
    /// `auth::config::NetworkConfig`.
    #[serde(default)]
    pub network: crate::auth::NetworkConfig,
    /// Audit keys and signed checkpoints (`[audit]`); see `audit::AuditConfig`.
    #[serde(default)]
    pub audit: crate::audit::AuditConfig,
    /// The Cek NIK page (`[check]`).
    #[serde(default)]
    pub check: CheckSection,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            database_url: None,
            data_dir: PathBuf::from("data"),
            log_format: LogFormat::Text,
            site_root: PathBuf::from("target/site"),
            institution: InstitutionSection::default(),
            upstream: crate::upstream::UpstreamConfig::default(),
            secrets: crate::secrets::SecretsConfig::default(),
            auth: crate::auth::AuthConfig::default(),
            network: crate::auth::NetworkConfig::default(),
            audit: crate::audit::AuditConfig::default(),
            check: CheckSection::default(),
        }
    }
}

/// A configuration problem, with the key it concerns.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Invalid(String),
    #[error("configuration key `{key}`: {message}")]
    Key { key: String, message: String },
}

impl Config {
    /// Loads defaults, then the file (if given, or `sigap.toml` if present), then `SIGAP_*`.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_from(file, std::env::vars())
    }

    /// As [`Config::load`], with the environment given explicitly (for tests).
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                if !path.is_file() {
                    return Err(ConfigError::Invalid(format!(
                        "configuration file {} does not exist",
                        path.display()
                    )));
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None => {
                if Path::new("sigap.toml").is_file() {
                    figment = figment.merge(Toml::file_exact("sigap.toml"));
                }
            }
        }
        let env: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX) && is_config_var(k))
            .collect();
        figment = figment.merge(env_provider(env));
        let config: Config = figment.extract().map_err(describe)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.database_url
            && !(url.starts_with("sqlite:")
                || url.starts_with("postgres:")
                || url.starts_with("postgresql:"))
        {
            return Err(ConfigError::Key {
                key: "database_url".into(),
                message: "must start with sqlite:// or postgres://".into(),
            });
        }
        if self.upstream.is_configured() {
            self.upstream
                .validate()
                .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        }
        self.secrets
            .validate()
            .map_err(|(key, message)| ConfigError::Key { key, message })?;
        self.auth
            .validate()
            .map_err(|(key, message)| ConfigError::Key { key, message })?;
        self.network
            .validate()
            .map_err(|(key, message)| ConfigError::Key { key, message })?;
        self.audit
            .validate()
            .map_err(|(key, message)| ConfigError::Key { key, message })?;
        if self.check.earlier_verdict_hours > 720 {
            return Err(ConfigError::Key {
                key: "check.earlier_verdict_hours".into(),
                message: "must be 0 to 720".into(),
            });
        }
        if self.check.read_cache_ms > 60_000 {
            return Err(ConfigError::Key {
                key: "check.read_cache_ms".into(),
                message: "must be 0 to 60000".into(),
            });
        }
        if self.check.quota_lease_max > 1_000 {
            return Err(ConfigError::Key {
                key: "check.quota_lease_max".into(),
                message: "must be 0 to 1000".into(),
            });
        }
        if let Some(code) = &self.institution.code
            && code.trim().is_empty()
        {
            return Err(ConfigError::Key {
                key: "institution.code".into(),
                message: "must not be empty".into(),
            });
        }
        Ok(())
    }

    /// The database URL in force: the configured one, or a SQLite file in the data folder.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("sigap.db").display()),
        }
    }
}

/// Variables that are not configuration although they share the prefix.
fn is_config_var(key: &str) -> bool {
    !(key.starts_with("SIGAP_TEST_") || key == "SIGAP_CONFIG")
}

/// `SIGAP_*` variables as a figment provider, so errors say where a value came from.
struct EnvVars(figment::value::Dict);

impl figment::Provider for EnvVars {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::named("environment variables SIGAP_*")
    }

    fn data(
        &self,
    ) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        Ok(figment::Profile::Default.collect(self.0.clone()))
    }
}

fn env_provider(vars: Vec<(String, String)>) -> EnvVars {
    // Keys: SIGAP_A__B -> a.b (lower case). An explicit list keeps tests hermetic.
    let mut dict = figment::value::Dict::new();
    for (k, v) in vars {
        let rest = k.trim_start_matches(ENV_PREFIX).to_ascii_lowercase();
        let path: Vec<&str> = rest.split("__").collect();
        insert_path(&mut dict, &path, parse_env_value(&v));
    }
    EnvVars(dict)
}

fn parse_env_value(v: &str) -> figment::value::Value {
    // Same inference figment's Env provider applies (numbers, bools, strings).
    v.parse::<figment::value::Value>()
        .unwrap_or_else(|_| figment::value::Value::from(v.to_string()))
}

fn insert_path(dict: &mut figment::value::Dict, path: &[&str], value: figment::value::Value) {
    match path {
        [] => {}
        [last] => {
            dict.insert((*last).to_string(), value);
        }
        [first, rest @ ..] => {
            let entry = dict
                .entry((*first).to_string())
                .or_insert_with(|| figment::value::Value::from(figment::value::Dict::new()));
            if let figment::value::Value::Dict(_, inner) = entry {
                insert_path(inner, rest, value);
            } else {
                let mut inner = figment::value::Dict::new();
                insert_path(&mut inner, rest, value);
                *entry = figment::value::Value::from(inner);
            }
        }
    }
}

fn describe(err: figment::Error) -> ConfigError {
    let messages: Vec<String> = err
        .into_iter()
        .map(|e| {
            let key = if e.path.is_empty() {
                "(top level)".to_string()
            } else {
                e.path.join(".")
            };
            let source = e
                .metadata
                .as_ref()
                .map(|m| format!(" (from {})", m.name))
                .unwrap_or_default();
            format!("configuration key `{key}`: {}{source}", e.kind)
        })
        .collect();
    ConfigError::Invalid(messages.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_listen_on_loopback() {
        let c = Config::load_from(None, env(&[])).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(c.effective_database_url(), "sqlite://data/sigap.db");
    }

    #[test]
    fn env_overrides_top_level_and_sections() {
        let c = Config::load_from(
            None,
            env(&[
                ("SIGAP_BIND", "0.0.0.0:8080"),
                ("SIGAP_LOG_FORMAT", "json"),
                ("SIGAP_INSTITUTION__CODE", "BPBD-3313"),
                ("SIGAP_TEST_POSTGRES_URL", "postgres://ignored"),
                ("OTHER", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.bind.to_string(), "0.0.0.0:8080");
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.institution.code.as_deref(), Some("BPBD-3313"));
    }

    #[test]
    fn bad_bind_names_the_key() {
        let err = Config::load_from(None, env(&[("SIGAP_BIND", "nonsense")])).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("`bind`"), "{msg}");
    }

    #[test]
    fn unknown_key_is_refused() {
        let err = Config::load_from(None, env(&[("SIGAP_BINDD", "x")])).unwrap_err();
        assert!(err.to_string().contains("bindd"), "{err}");
    }

    #[test]
    fn bad_database_url_names_the_key() {
        let err = Config::load_from(None, env(&[("SIGAP_DATABASE_URL", "mysql://x")])).unwrap_err();
        assert!(err.to_string().contains("database_url"), "{err}");
    }

    #[test]
    fn file_values_are_read_and_env_wins() {
        let dir = std::env::temp_dir().join(format!("sigap-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("sigap.toml");
        std::fs::write(
            &file,
            "bind = \"127.0.0.1:4000\"\n[institution]\ncode = \"X-1\"\n",
        )
        .unwrap();
        let c = Config::load_from(Some(&file), env(&[])).unwrap();
        assert_eq!(c.bind.port(), 4000);
        assert_eq!(c.institution.code.as_deref(), Some("X-1"));
        let c = Config::load_from(Some(&file), env(&[("SIGAP_BIND", "127.0.0.1:5000")])).unwrap();
        assert_eq!(c.bind.port(), 5000);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn upstream_section_from_env_is_validated() {
        let err = Config::load_from(
            None,
            env(&[
                (
                    "SIGAP_UPSTREAM__BASE_URL",
                    "https://10.0.0.1:8443/dukcapil/get_json",
                ),
                ("SIGAP_UPSTREAM__CONSUMER", "BPBD3313"),
                ("SIGAP_UPSTREAM__USER_ID", "BPBD3313"),
                ("SIGAP_UPSTREAM__PASSWORD", "rahasia-sintetis"),
                ("SIGAP_UPSTREAM__IP_USER", "not-an-ip"),
            ]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("upstream.ip_user"), "{err}");
        let ok = Config::load_from(
            None,
            env(&[
                (
                    "SIGAP_UPSTREAM__BASE_URL",
                    "https://10.0.0.1:8443/dukcapil/get_json",
                ),
                ("SIGAP_UPSTREAM__CONSUMER", "BPBD3313"),
                ("SIGAP_UPSTREAM__USER_ID", "BPBD3313"),
                ("SIGAP_UPSTREAM__PASSWORD", "rahasia-sintetis"),
                ("SIGAP_UPSTREAM__IP_USER", "10.0.0.9"),
                ("SIGAP_UPSTREAM__TOTAL_TIMEOUT_MS", "20000"),
            ]),
        )
        .unwrap();
        assert_eq!(ok.upstream.total_timeout_ms, 20_000);
        assert!(!format!("{ok:?}").contains("rahasia-sintetis"));
    }

    #[test]
    fn secrets_key_from_env_is_checked_and_never_printed() {
        let key = "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=";
        let ok = Config::load_from(None, env(&[("SIGAP_SECRETS__KEY", key)])).unwrap();
        assert!(ok.secrets.key.is_some());
        assert!(!format!("{ok:?}").contains(key));
        let err = Config::load_from(None, env(&[("SIGAP_SECRETS__KEY", "c2hvcnQ=")])).unwrap_err();
        assert!(err.to_string().contains("`secrets.key`"), "{err}");
        let err = Config::load_from(
            None,
            env(&[
                ("SIGAP_SECRETS__KEY", key),
                ("SIGAP_SECRETS__KEY_FILE", "/etc/sigap/secret.key"),
            ]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("not both"), "{err}");
    }

    #[test]
    fn check_section_has_a_default_window_and_a_bound() {
        let c = Config::load_from(None, env(&[])).unwrap();
        assert_eq!(c.check.earlier_verdict_hours, 24);
        let c =
            Config::load_from(None, env(&[("SIGAP_CHECK__EARLIER_VERDICT_HOURS", "0")])).unwrap();
        assert_eq!(c.check.earlier_verdict_hours, 0);
        let err = Config::load_from(None, env(&[("SIGAP_CHECK__EARLIER_VERDICT_HOURS", "721")]))
            .unwrap_err();
        assert!(
            err.to_string().contains("check.earlier_verdict_hours"),
            "{err}"
        );
    }

    #[test]
    fn audit_section_has_defaults_and_env_overrides() {
        let c = Config::load_from(None, env(&[])).unwrap();
        assert_eq!(c.audit.checkpoint_interval_secs, 5);
        assert_eq!(
            c.audit.effective_checkpoint_file(&c.data_dir),
            PathBuf::from("data/audit-checkpoints.jsonl")
        );
        let c = Config::load_from(
            None,
            env(&[
                (
                    "SIGAP_AUDIT__SIGNING_KEY_FILE",
                    "/etc/sigap/audit-signing.key",
                ),
                ("SIGAP_AUDIT__CHECKPOINT_FILE", "/var/lib/sigap/cp.jsonl"),
                ("SIGAP_AUDIT__CHECKPOINT_INTERVAL_SECS", "10"),
            ]),
        )
        .unwrap();
        assert_eq!(
            c.audit.signing_key_file.as_deref(),
            Some(Path::new("/etc/sigap/audit-signing.key"))
        );
        assert_eq!(c.audit.checkpoint_interval_secs, 10);
        let err = Config::load_from(None, env(&[("SIGAP_AUDIT__CHECKPOINT_INTERVAL_SECS", "0")]))
            .unwrap_err();
        assert!(
            err.to_string().contains("audit.checkpoint_interval_secs"),
            "{err}"
        );
    }

    #[test]
    fn missing_file_is_an_error() {
        assert!(Config::load_from(Some(Path::new("/nonexistent/sigap.toml")), env(&[])).is_err());
    }
}
