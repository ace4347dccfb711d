//! The `[auth]` and `[network]` configuration sections, their defaults and checks, and the
//! settings resolved from them at start-up ([`AuthSettings`]).
//!
//! ```toml
//! [auth]
//! rp_id = "portal.bpbd.example.go.id"          # WebAuthn relying party id (a domain)
//! rp_origin = "https://portal.bpbd.example.go.id"
//! allowed_origins = []                          # CSRF: default rp_origin (+ loopback bind)
//! idle_timeout_minutes = 15
//! absolute_timeout_hours = 8
//! second_factor_roles = ["operator", "institution_admin", "head",
//!                        "disdukcapil_admin", "disdukcapil_evaluator", "auditor"]
//! max_failures_per_account = 5
//! max_failures_per_ip = 20
//! lockout_minutes = 15
//! delay_base_ms = 1000
//! delay_max_ms = 30000
//! ceremony_timeout_seconds = 300
//! # cookie_secure: default automatic (Secure unless plain-HTTP on a loopback bind)
//!
//! [network]
//! portal_allow = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "::1/128", "fc00::/7"]
//! api_allow = [ ...same default... ]
//! trusted_proxies = []
//! ```

use domain::access::Role;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use webauthn_rs::prelude::Url;

/// `[auth]`: sign-in, sessions, passkeys, CSRF origins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// WebAuthn relying party id: the portal's domain (`localhost` for the demo).
    pub rp_id: String,
    /// The portal's origin as browsers see it, e.g. `https://portal.example.go.id`.
    pub rp_origin: String,
    /// Name shown by authenticators when registering a passkey.
    pub rp_name: String,
    /// Origins accepted on state-changing requests (CSRF). Empty: `rp_origin`, plus
    /// `http://127.0.0.1:PORT` and `http://localhost:PORT` when bound to loopback.
    pub allowed_origins: Vec<String>,
    pub idle_timeout_minutes: u32,
    pub absolute_timeout_hours: u32,
    /// Roles that must use a second factor (passkey or recovery code) after the password.
    pub second_factor_roles: Vec<Role>,
    /// Failed sign-ins for one username before it is locked for `lockout_minutes`.
    pub max_failures_per_account: u32,
    /// Failed sign-ins from one client address before it is locked for `lockout_minutes`.
    pub max_failures_per_ip: u32,
    pub lockout_minutes: u32,
    /// Wait imposed after the second failure, doubling with each further one (progressive
    /// delay), capped at `delay_max_ms`. 0 disables the delay (the lockout stays).
    pub delay_base_ms: u64,
    pub delay_max_ms: u64,
    /// How long a passkey ceremony (registration or sign-in) may take.
    pub ceremony_timeout_seconds: u32,
    /// `Secure` session cookie. Default: automatic, on unless `rp_origin` is plain HTTP and
    /// the portal listens on loopback (the demo). `false` is refused on other addresses.
    pub cookie_secure: Option<bool>,
}

/// The roles that must use a second factor by default: every role that signs in to the
/// portal (the service role uses API tokens only).
pub fn default_second_factor_roles() -> Vec<Role> {
    vec![
        Role::Operator,
        Role::InstitutionAdmin,
        Role::Head,
        Role::DisdukcapilAdmin,
        Role::DisdukcapilEvaluator,
        Role::Auditor,
    ]
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            rp_id: "localhost".into(),
            rp_origin: "http://localhost:3000".into(),
            rp_name: "SIGAP".into(),
            allowed_origins: Vec::new(),
            idle_timeout_minutes: 15,
            absolute_timeout_hours: 8,
            second_factor_roles: default_second_factor_roles(),
            max_failures_per_account: 5,
            max_failures_per_ip: 20,
            lockout_minutes: 15,
            delay_base_ms: 1000,
            delay_max_ms: 30_000,
            ceremony_timeout_seconds: 300,
            cookie_secure: None,
        }
    }
}

/// `[network]`: which client addresses may reach the portal and the API, and which peers
/// are reverse proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    /// Client networks allowed to use the portal (pages, server functions, `/auth/`).
    pub portal_allow: Vec<IpNet>,
    /// Client networks allowed to use the web-service API (`/api/v1/`).
    pub api_allow: Vec<IpNet>,
    /// Reverse proxies: only from these peers is `X-Forwarded-For` read.
    pub trusted_proxies: Vec<IpNet>,
}

/// Private ranges and loopback, IPv4 and IPv6: the default for both allow-lists.
pub fn default_private_networks() -> Vec<IpNet> {
    [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "::1/128",
        "fc00::/7",
    ]
    .iter()
    .filter_map(|s| s.parse().ok())
    .collect()
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            portal_allow: default_private_networks(),
            api_allow: default_private_networks(),
            trusted_proxies: Vec::new(),
        }
    }
}

/// A configuration problem: the key and what is wrong.
pub type KeyError = (String, String);

fn key_err(key: &str, message: impl Into<String>) -> KeyError {
    (key.to_string(), message.into())
}

/// `scheme://host[:port]` in lower case, default ports dropped; `None` if not an origin.
pub fn normalize_origin(s: &str) -> Option<String> {
    let url = Url::parse(s.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    if !(url.path() == "/" || url.path().is_empty())
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return None;
    }
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

impl AuthConfig {
    /// Checks values that serde cannot; errors name the key.
    pub fn validate(&self) -> Result<(), KeyError> {
        if self.rp_id.trim().is_empty() {
            return Err(key_err("auth.rp_id", "must not be empty"));
        }
        let origin = Url::parse(&self.rp_origin)
            .ok()
            .filter(|_| normalize_origin(&self.rp_origin).is_some())
            .ok_or_else(|| {
                key_err(
                    "auth.rp_origin",
                    "must be an origin such as https://portal.example.go.id",
                )
            })?;
        let host = origin.host_str().unwrap_or_default().to_ascii_lowercase();
        let rp = self.rp_id.to_ascii_lowercase();
        if !(host == rp || host.ends_with(&format!(".{rp}"))) {
            return Err(key_err(
                "auth.rp_origin",
                format!("its host {host} must be auth.rp_id ({rp}) or a subdomain of it"),
            ));
        }
        for o in &self.allowed_origins {
            if normalize_origin(o).is_none() {
                return Err(key_err(
                    "auth.allowed_origins",
                    format!("{o:?} is not an origin (scheme://host[:port])"),
                ));
            }
        }
        if self.idle_timeout_minutes == 0 {
            return Err(key_err("auth.idle_timeout_minutes", "must be at least 1"));
        }
        if self.absolute_timeout_hours == 0 {
            return Err(key_err("auth.absolute_timeout_hours", "must be at least 1"));
        }
        if u64::from(self.idle_timeout_minutes) > u64::from(self.absolute_timeout_hours) * 60 {
            return Err(key_err(
                "auth.idle_timeout_minutes",
                "must not exceed auth.absolute_timeout_hours",
            ));
        }
        if self.max_failures_per_account == 0 {
            return Err(key_err(
                "auth.max_failures_per_account",
                "must be at least 1",
            ));
        }
        if self.max_failures_per_ip == 0 {
            return Err(key_err("auth.max_failures_per_ip", "must be at least 1"));
        }
        if self.lockout_minutes == 0 {
            return Err(key_err("auth.lockout_minutes", "must be at least 1"));
        }
        if self.ceremony_timeout_seconds < 30 || self.ceremony_timeout_seconds > 3600 {
            return Err(key_err(
                "auth.ceremony_timeout_seconds",
                "must be between 30 and 3600",
            ));
        }
        if self.second_factor_roles.contains(&Role::Service) {
            return Err(key_err(
                "auth.second_factor_roles",
                "service accounts do not sign in to the portal",
            ));
        }
        Ok(())
    }
}

impl NetworkConfig {
    /// Checks the lists; errors name the key.
    pub fn validate(&self) -> Result<(), KeyError> {
        if self.portal_allow.is_empty() {
            return Err(key_err(
                "network.portal_allow",
                "must list at least one network (the portal would refuse everyone)",
            ));
        }
        Ok(())
    }
}

/// Settings resolved at start-up from `[auth]` and the address actually bound.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub idle_ms: i64,
    pub absolute_ms: i64,
    pub ceremony_ms: i64,
    /// Normalised origins accepted on state-changing requests.
    pub allowed_origins: Vec<String>,
    pub cookie_secure: bool,
    pub second_factor_roles: Vec<Role>,
    pub account_limit: super::throttle::Limit,
    pub ip_limit: super::throttle::Limit,
}

impl AuthSettings {
    /// Resolves the configuration for a server bound to `bind`.
    pub fn resolve(config: &AuthConfig, bind: SocketAddr) -> Result<AuthSettings, KeyError> {
        config.validate()?;
        let loopback = bind.ip().is_loopback();
        let plain_http = config.rp_origin.trim().starts_with("http://");
        let cookie_secure = match config.cookie_secure {
            Some(false) if !loopback => {
                return Err(key_err(
                    "auth.cookie_secure",
                    "may be false only when listening on loopback (the demo)",
                ));
            }
            Some(v) => v,
            None => !(loopback && plain_http),
        };
        let mut origins: Vec<String> = if config.allowed_origins.is_empty() {
            let mut v: Vec<String> = normalize_origin(&config.rp_origin).into_iter().collect();
            if loopback {
                let port = bind.port();
                v.push(format!("http://127.0.0.1:{port}"));
                v.push(format!("http://localhost:{port}"));
                if bind.is_ipv6() {
                    v.push(format!("http://[::1]:{port}"));
                }
            }
            v
        } else {
            config
                .allowed_origins
                .iter()
                .filter_map(|o| normalize_origin(o))
                .collect()
        };
        origins.sort();
        origins.dedup();
        let lockout_ms = i64::from(config.lockout_minutes) * 60_000;
        let delay_base = i64::try_from(config.delay_base_ms).unwrap_or(i64::MAX / 4);
        let delay_max = i64::try_from(config.delay_max_ms).unwrap_or(i64::MAX / 4);
        Ok(AuthSettings {
            idle_ms: i64::from(config.idle_timeout_minutes) * 60_000,
            absolute_ms: i64::from(config.absolute_timeout_hours) * 3_600_000,
            ceremony_ms: i64::from(config.ceremony_timeout_seconds) * 1000,
            allowed_origins: origins,
            cookie_secure,
            second_factor_roles: config.second_factor_roles.clone(),
            account_limit: super::throttle::Limit {
                max_failures: i64::from(config.max_failures_per_account),
                lockout_ms,
                delay_base_ms: delay_base,
                delay_max_ms: delay_max,
            },
            ip_limit: super::throttle::Limit {
                max_failures: i64::from(config.max_failures_per_ip),
                lockout_ms,
                delay_base_ms: 0,
                delay_max_ms: 0,
            },
        })
    }

    /// Whether accounts of this role must use a second factor.
    pub fn requires_second_factor(&self, role: Role) -> bool {
        self.second_factor_roles.contains(&role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_demo_friendly() {
        let c = AuthConfig::default();
        c.validate().unwrap();
        let s = AuthSettings::resolve(&c, "127.0.0.1:3000".parse().unwrap()).unwrap();
        assert!(!s.cookie_secure, "plain-HTTP demo on loopback");
        assert_eq!(
            s.allowed_origins,
            vec!["http://127.0.0.1:3000", "http://localhost:3000"]
        );
        assert_eq!(s.idle_ms, 15 * 60_000);
        assert_eq!(s.absolute_ms, 8 * 3_600_000);
        assert!(s.requires_second_factor(Role::Operator));
        assert!(!s.requires_second_factor(Role::Service));
        NetworkConfig::default().validate().unwrap();
    }

    #[test]
    fn production_is_secure_and_origins_come_from_config() {
        let c = AuthConfig {
            rp_id: "sigap.example.go.id".into(),
            rp_origin: "https://sigap.example.go.id".into(),
            ..AuthConfig::default()
        };
        let s = AuthSettings::resolve(&c, "0.0.0.0:8080".parse().unwrap()).unwrap();
        assert!(s.cookie_secure);
        assert_eq!(s.allowed_origins, vec!["https://sigap.example.go.id"]);
        let insecure = AuthConfig {
            cookie_secure: Some(false),
            ..c
        };
        let err = AuthSettings::resolve(&insecure, "0.0.0.0:8080".parse().unwrap()).unwrap_err();
        assert_eq!(err.0, "auth.cookie_secure");
    }

    #[test]
    fn bad_values_name_their_key() {
        let c = AuthConfig {
            rp_origin: "https://elsewhere.example".into(),
            ..AuthConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().0, "auth.rp_origin");
        let c = AuthConfig {
            allowed_origins: vec!["not an origin".into()],
            ..AuthConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().0, "auth.allowed_origins");
        let c = AuthConfig {
            idle_timeout_minutes: 600,
            absolute_timeout_hours: 8,
            ..AuthConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().0, "auth.idle_timeout_minutes");
        let c = AuthConfig {
            second_factor_roles: vec![Role::Service],
            ..AuthConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().0, "auth.second_factor_roles");
    }

    #[test]
    fn sections_load_from_toml_and_env() {
        let dir = std::env::temp_dir().join(format!("sigap-authcfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("sigap.toml");
        std::fs::write(
            &file,
            "[auth]\nrp_id = \"sigap.example.go.id\"\n\
             rp_origin = \"https://sigap.example.go.id\"\n\
             second_factor_roles = [\"operator\", \"head\"]\n\
             [network]\nportal_allow = [\"10.10.0.0/16\", \"fd00::/8\"]\n\
             trusted_proxies = [\"10.10.0.1/32\"]\n",
        )
        .unwrap();
        let env = vec![(
            "SIGAP_AUTH__IDLE_TIMEOUT_MINUTES".to_string(),
            "10".to_string(),
        )];
        let c = crate::config::Config::load_from(Some(&file), env).unwrap();
        assert_eq!(c.auth.rp_id, "sigap.example.go.id");
        assert_eq!(c.auth.idle_timeout_minutes, 10);
        assert_eq!(c.auth.second_factor_roles, vec![Role::Operator, Role::Head]);
        assert_eq!(c.network.portal_allow.len(), 2);
        assert_eq!(c.network.api_allow, default_private_networks());
        assert_eq!(c.network.trusted_proxies.len(), 1);
        // Errors name the key.
        std::fs::write(&file, "[network]\nportal_allow = [\"10.0.0.0/33\"]\n").unwrap();
        let err = crate::config::Config::load_from(Some(&file), vec![]).unwrap_err();
        assert!(err.to_string().contains("network.portal_allow"), "{err}");
        std::fs::write(&file, "[auth]\nsecond_factor_roles = [\"root\"]\n").unwrap();
        let err = crate::config::Config::load_from(Some(&file), vec![]).unwrap_err();
        assert!(
            err.to_string().contains("auth.second_factor_roles"),
            "{err}"
        );
        std::fs::write(&file, "[auth]\nrp_origin = \"https://elsewhere.example\"\n").unwrap();
        let err = crate::config::Config::load_from(Some(&file), vec![]).unwrap_err();
        assert!(err.to_string().contains("auth.rp_origin"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn origins_are_normalised() {
        assert_eq!(
            normalize_origin("HTTPS://Portal.Example:443").as_deref(),
            Some("https://portal.example")
        );
        assert_eq!(
            normalize_origin("http://127.0.0.1:3000/").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(normalize_origin("http://x.example/path"), None);
        assert_eq!(normalize_origin("null"), None);
        assert_eq!(normalize_origin("file:///etc"), None);
    }
}
