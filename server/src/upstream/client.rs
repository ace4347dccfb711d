//! [`UpstreamClient`]: reqwest over rustls (certificate verification always on, an optional
//! extra CA), connect and total timeouts, no redirects, no proxies, the circuit breaker, and
//! one `tracing` event per call carrying only the method name, response code, outcome kind,
//! reason and latency. Request and response bodies, the NIK, credentials and the upstream's
//! host are never logged (the host and the full error text only at `debug`).

use std::error::Error as _;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::nik::Nik;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use reqwest::{StatusCode, Url};
use secrecy::SecretString;
use secrecy::zeroize::Zeroizing;

use super::LOG_TARGET;
use super::breaker::{BreakerState, CircuitBreaker, Clock, SystemClock};
use super::codes::{CodeKind, UpstreamCode};
use super::config::{ClaimDateFormat, FieldNames, UpstreamConfig, parse_base_url};
use super::error::UpstreamSetupError;
use super::model::{ClaimedElements, LookupOutcome, UnavailableReason, VerifyOutcome};
use super::wire::{self, AnswerNames, Credentials, NikRequest, RawAnswer, VerifyRequest};

/// The client for the Dukcapil web service. Cheap to clone; share one per upstream user ID.
#[derive(Clone)]
pub struct UpstreamClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    nik_url: Url,
    verify_url: Url,
    nik_method: String,
    verify_method: String,
    fields: FieldNames,
    names: AnswerNames,
    user_id: String,
    password: SecretString,
    ip_user: String,
    default_threshold: u8,
    date_format: ClaimDateFormat,
    max_response_bytes: usize,
    total_timeout: Duration,
    breaker: CircuitBreaker,
}

impl fmt::Debug for UpstreamClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamClient")
            .field("call_nik", &self.inner.nik_method)
            .field("verify_by_element", &self.inner.verify_method)
            .field("breaker", &self.inner.breaker.state())
            .finish_non_exhaustive()
    }
}

impl UpstreamClient {
    /// Builds the client: validates `cfg`, reads `password_file` and `ca_file`.
    pub fn new(cfg: &UpstreamConfig) -> Result<Self, UpstreamSetupError> {
        Self::with_clock(cfg, Arc::new(SystemClock))
    }

    /// As [`UpstreamClient::new`], with the circuit breaker's clock given (tests).
    pub fn with_clock(
        cfg: &UpstreamConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, UpstreamSetupError> {
        cfg.validate()?;
        let base = parse_base_url(cfg.base_url.as_deref().unwrap_or_default())?;
        let nik_url = endpoint(&base, &cfg.consumer, &cfg.methods.call_nik)?;
        let verify_url = endpoint(&base, &cfg.consumer, &cfg.methods.verify_by_element)?;
        let password = match (&cfg.password, &cfg.password_file) {
            (Some(p), _) => p.secret().clone(),
            (None, Some(path)) => read_password_file(path)?,
            (None, None) => return Err(UpstreamSetupError::Missing { key: "password" }),
        };

        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(cfg.connect_timeout())
            .timeout(cfg.total_timeout())
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .referer(false)
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("sigap/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &cfg.ca_file {
            for cert in read_ca_file(path)? {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
            .build()
            .map_err(|e| UpstreamSetupError::Http(e.to_string()))?;

        let plain_http = base.scheme() == "http";
        if plain_http && !is_loopback(&base) {
            tracing::warn!(
                target: LOG_TARGET,
                "upstream.base_url uses plain http to a host that is not loopback: credentials \
                 and answers travel unencrypted; use https"
            );
        }
        tracing::info!(
            target: LOG_TARGET,
            scheme = base.scheme(),
            custom_ca = cfg.ca_file.is_some(),
            call_nik = %cfg.methods.call_nik,
            verify_by_element = %cfg.methods.verify_by_element,
            connect_timeout_ms = cfg.connect_timeout_ms,
            total_timeout_ms = cfg.total_timeout_ms,
            breaker_failures = cfg.breaker_failures,
            breaker_open_ms = cfg.breaker_open_ms,
            "upstream client ready"
        );

        Ok(Self {
            inner: Arc::new(Inner {
                http,
                nik_url,
                verify_url,
                nik_method: cfg.methods.call_nik.clone(),
                verify_method: cfg.methods.verify_by_element.clone(),
                names: AnswerNames::new(&cfg.fields),
                fields: cfg.fields.clone(),
                user_id: cfg.user_id.trim().to_string(),
                password,
                ip_user: cfg.ip_user.trim().to_string(),
                default_threshold: cfg.verify_threshold,
                date_format: cfg.verify_date_format,
                max_response_bytes: cfg.max_response_bytes,
                total_timeout: cfg.total_timeout(),
                breaker: CircuitBreaker::new(
                    cfg.breaker_failures,
                    Duration::from_millis(cfg.breaker_open_ms),
                    clock,
                ),
            }),
        })
    }

    /// The configured default `TRESHOLD` (`upstream.verify_threshold`).
    pub fn default_threshold(&self) -> u8 {
        self.inner.default_threshold
    }

    /// The circuit breaker's state.
    pub fn breaker_state(&self) -> BreakerState {
        self.inner.breaker.state()
    }

    fn credentials(&self) -> Credentials<'_> {
        Credentials {
            user_id: &self.inner.user_id,
            password: &self.inner.password,
            ip_user: &self.inner.ip_user,
        }
    }

    /// CALL_NIK: the resident's nine allowed elements, or why not.
    pub async fn call_nik(&self, nik: &Nik) -> LookupOutcome {
        let started = Instant::now();
        let body = serde_json::to_vec(&NikRequest {
            fields: &self.inner.fields,
            nik: nik.as_str(),
            credentials: self.credentials(),
        });
        let outcome = match body {
            Err(_) => LookupOutcome::unavailable(UnavailableReason::ConnectFailed),
            Ok(body) => match self.exchange(&self.inner.nik_url, body).await {
                Ok(answer) => wire::lookup_outcome(answer, nik.as_str()),
                Err(reason) => LookupOutcome::unavailable(reason),
            },
        };
        log_outcome(
            &self.inner.nik_method,
            outcome.kind(),
            outcome.code().as_ref(),
            match &outcome {
                LookupOutcome::Unavailable { reason, .. } => Some(*reason),
                _ => None,
            },
            started.elapsed(),
        );
        outcome
    }

    /// CALL_VERIFY_BY_ELEMEN: a verdict per claimed element, or why not. `threshold` is
    /// capped at 100; [`UpstreamClient::default_threshold`] is the configured default.
    pub async fn verify(
        &self,
        nik: &Nik,
        claimed: &ClaimedElements,
        threshold: u8,
    ) -> VerifyOutcome {
        let started = Instant::now();
        let body = serde_json::to_vec(&VerifyRequest {
            fields: &self.inner.fields,
            nik: nik.as_str(),
            credentials: self.credentials(),
            threshold: threshold.min(100),
            claimed,
            date_format: self.inner.date_format,
        });
        let outcome = match body {
            Err(_) => VerifyOutcome::unavailable(UnavailableReason::ConnectFailed),
            Ok(body) => match self.exchange(&self.inner.verify_url, body).await {
                Ok(answer) => wire::verify_outcome(answer),
                Err(reason) => VerifyOutcome::unavailable(reason),
            },
        };
        log_outcome(
            &self.inner.verify_method,
            outcome.kind(),
            outcome.code().as_ref(),
            match &outcome {
                VerifyOutcome::Unavailable { reason, .. } => Some(*reason),
                _ => None,
            },
            started.elapsed(),
        );
        outcome
    }

    /// One request through the breaker: the filtered answer, or why there is none. Settles
    /// the breaker: any answer with a code is a success, anything else a failure.
    async fn exchange(&self, url: &Url, body: Vec<u8>) -> Result<RawAnswer, UnavailableReason> {
        let Some(permit) = self.inner.breaker.try_acquire() else {
            return Err(UnavailableReason::BreakerOpen);
        };
        // reqwest enforces the total timeout; this is a safety net around the body reading.
        let limit = self.inner.total_timeout + Duration::from_secs(1);
        let result = match tokio::time::timeout(limit, self.send(url, body)).await {
            Ok(result) => result,
            Err(_) => Err(UnavailableReason::Timeout),
        };
        let result = result.and_then(|(status, bytes)| {
            let parsed = wire::parse_answer(&bytes, &self.inner.names);
            drop(bytes); // zeroised: the raw answer holds elements the agreement forbids
            if status.is_success() {
                return parsed.map_err(UnavailableReason::from);
            }
            // Errors usually come with 200, but a code in the body of another status counts.
            match parsed {
                Ok(answer)
                    if answer
                        .declared_code()
                        .is_some_and(|c| c.kind() != CodeKind::Success) =>
                {
                    Ok(answer)
                }
                _ => Err(UnavailableReason::HttpStatus(status.as_u16())),
            }
        });
        match &result {
            Ok(_) => permit.success(),
            Err(_) => permit.failure(),
        }
        result
    }

    async fn send(
        &self,
        url: &Url,
        body: Vec<u8>,
    ) -> Result<(StatusCode, Zeroizing<Vec<u8>>), UnavailableReason> {
        let response = self
            .inner
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .body(body)
            .send()
            .await
            .map_err(classify_send_error)?;
        let status = response.status();
        let bytes = read_body(response, self.inner.max_response_bytes).await?;
        Ok((status, bytes))
    }
}

/// `<base>/<consumer>/<method>`, each segment percent-encoded.
fn endpoint(base: &Url, consumer: &str, method: &str) -> Result<Url, UpstreamSetupError> {
    let mut url = base.clone();
    {
        let mut segments = url
            .path_segments_mut()
            .map_err(|()| UpstreamSetupError::Invalid {
                key: "base_url",
                message: "cannot be a base URL".into(),
            })?;
        segments
            .pop_if_empty()
            .push(consumer.trim())
            .push(method.trim());
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some(host) => {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

fn read_password_file(path: &std::path::Path) -> Result<SecretString, UpstreamSetupError> {
    let err = |message: String| UpstreamSetupError::PasswordFile {
        path: path.to_path_buf(),
        message,
    };
    let mut text =
        std::fs::read_to_string(path).map_err(|e| err(format!("cannot be read: {e}")))?;
    let len = text.trim_end_matches(['\r', '\n']).len();
    text.truncate(len);
    if text.is_empty() {
        return Err(err("is empty".into()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o004 != 0
        {
            tracing::warn!(
                target: LOG_TARGET,
                path = %path.display(),
                "upstream.password_file is readable by every user; restrict it (chmod 600)"
            );
        }
    }
    Ok(SecretString::from(text))
}

fn read_ca_file(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, UpstreamSetupError> {
    let err = |message: String| UpstreamSetupError::CaFile {
        path: path.to_path_buf(),
        message,
    };
    let pem = std::fs::read(path).map_err(|e| err(format!("cannot be read: {e}")))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| err(format!("is not a PEM certificate bundle: {e}")))?;
    if certs.is_empty() {
        return Err(err("holds no PEM certificate".into()));
    }
    Ok(certs)
}

/// Reads the body up to `max` bytes into a buffer that is zeroised when dropped.
async fn read_body(
    mut response: reqwest::Response,
    max: usize,
) -> Result<Zeroizing<Vec<u8>>, UnavailableReason> {
    if response
        .content_length()
        .is_some_and(|n| n > u64::try_from(max).unwrap_or(u64::MAX))
    {
        return Err(UnavailableReason::UnexpectedShape);
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(
        usize::try_from(response.content_length().unwrap_or(4096))
            .unwrap_or(4096)
            .min(max),
    ));
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > max {
                    return Err(UnavailableReason::UnexpectedShape);
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(buf),
            Err(e) => {
                let e = e.without_url();
                tracing::debug!(target: LOG_TARGET, error = %error_chain(&e), "upstream body read failed");
                return Err(if e.is_timeout() {
                    UnavailableReason::Timeout
                } else {
                    UnavailableReason::ConnectionLost
                });
            }
        }
    }
}

/// Sorts a failed send into a reason; only connection-phase failures mean "never sent".
fn classify_send_error(e: reqwest::Error) -> UnavailableReason {
    let e = e.without_url();
    let chain = error_chain(&e);
    tracing::debug!(target: LOG_TARGET, error = %chain, "upstream request failed");
    if e.is_connect() {
        let lower = chain.to_ascii_lowercase();
        let io_kind = io_error_kind(&e);
        if e.is_timeout() || io_kind == Some(std::io::ErrorKind::TimedOut) {
            UnavailableReason::ConnectTimeout
        } else if io_kind == Some(std::io::ErrorKind::ConnectionRefused) {
            UnavailableReason::ConnectRefused
        } else if lower.contains("dns error") || lower.contains("failed to lookup address") {
            UnavailableReason::Dns
        } else if io_kind == Some(std::io::ErrorKind::InvalidData)
            || ["certificate", "tls", "handshake", "alert"]
                .iter()
                .any(|w| lower.contains(w))
        {
            UnavailableReason::Tls
        } else {
            UnavailableReason::ConnectFailed
        }
    } else if e.is_timeout() {
        UnavailableReason::Timeout
    } else if e.is_builder() {
        UnavailableReason::ConnectFailed
    } else {
        UnavailableReason::ConnectionLost
    }
}

fn io_error_kind(e: &reqwest::Error) -> Option<std::io::ErrorKind> {
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = s.source();
    }
    None
}

/// The error and its sources on one line (for `debug` events; no URL: see `without_url`).
fn error_chain(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn log_outcome(
    method: &str,
    kind: &'static str,
    code: Option<&UpstreamCode>,
    reason: Option<UnavailableReason>,
    latency: Duration,
) {
    let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
    let code_text = code.map(UpstreamCode::as_str).unwrap_or("");
    match (reason, code) {
        (Some(reason), _) => {
            let status = match reason {
                UnavailableReason::HttpStatus(s) => Some(s),
                _ => None,
            };
            tracing::warn!(
                target: LOG_TARGET,
                method,
                outcome = kind,
                reason = reason.as_str(),
                status,
                may_have_reached_upstream = reason.may_have_reached_upstream(),
                latency_ms,
                "upstream unavailable"
            );
        }
        (None, Some(code)) if code.kind() == CodeKind::SetupError => {
            tracing::warn!(
                target: LOG_TARGET,
                method,
                outcome = kind,
                code = code_text,
                description = code.description(),
                latency_ms,
                "upstream refused the institution's access"
            );
        }
        _ => {
            tracing::info!(
                target: LOG_TARGET,
                method,
                outcome = kind,
                code = code_text,
                latency_ms,
                "upstream call"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_loopback() {
        let base = parse_base_url("https://10.0.0.1:8443/dukcapil/get_json/").unwrap();
        assert_eq!(
            endpoint(&base, "BPBD 3313", "CALL_NIK").unwrap().as_str(),
            "https://10.0.0.1:8443/dukcapil/get_json/BPBD%203313/CALL_NIK"
        );
        let base = parse_base_url("http://127.0.0.1:9/dukcapil/get_json").unwrap();
        assert_eq!(
            endpoint(&base, "X", "M").unwrap().as_str(),
            "http://127.0.0.1:9/dukcapil/get_json/X/M"
        );
        assert!(is_loopback(&base));
        assert!(is_loopback(&parse_base_url("http://[::1]:9/").unwrap()));
        assert!(is_loopback(&parse_base_url("http://localhost:9/").unwrap()));
        assert!(!is_loopback(&parse_base_url("http://10.0.0.1/").unwrap()));
    }

    #[test]
    fn password_file_is_read_without_its_line_break() {
        use secrecy::ExposeSecret;
        let dir = std::env::temp_dir().join(format!("sigap-upstream-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("pw");
        std::fs::write(&path, "rahasia 123\r\n").unwrap();
        assert_eq!(
            read_password_file(&path).unwrap().expose_secret(),
            "rahasia 123"
        );
        std::fs::write(&path, "\n").unwrap();
        assert!(matches!(
            read_password_file(&path),
            Err(UpstreamSetupError::PasswordFile { .. })
        ));
        assert!(read_password_file(&dir.join("missing")).is_err());
        std::fs::write(&path, "not a certificate").unwrap();
        assert!(matches!(
            read_ca_file(&path),
            Err(UpstreamSetupError::CaFile { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
