//! The bridge's defences against the other web pages an operator has open: the loopback-only
//! listen addresses, the `Host` check (DNS rebinding), the `Origin` check (cross-site
//! WebSocket hijacking), and the read rate limit. The pairing token itself is
//! `domain::pairing`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

/// The addresses the bridge listens on: IPv4 and IPv6 loopback, nothing else.
#[must_use]
pub fn listen_addrs(port: u16) -> [SocketAddr; 2] {
    [
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
        SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
    ]
}

/// The `Host` values accepted for `port`: `127.0.0.1:<port>`, `localhost:<port>`,
/// `[::1]:<port>` (compared case-insensitively).
#[must_use]
pub fn allowed_hosts(port: u16) -> Vec<String> {
    vec![
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ]
}

/// Whether a `Host` header value is one of [`allowed_hosts`].
#[must_use]
pub fn host_allowed(host: &str, port: u16) -> bool {
    allowed_hosts(port)
        .iter()
        .any(|allowed| allowed.eq_ignore_ascii_case(host))
}

/// Normalises a configured portal origin: `http(s)://host[:port]`, lower case, no path, no
/// trailing slash. Anything else is an error naming the problem.
pub fn normalise_origin(origin: &str) -> Result<String, String> {
    let trimmed = origin.trim().trim_end_matches('/');
    let lower = trimmed.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| format!("origin {origin:?} must start with https:// or http://"))?;
    if rest.is_empty()
        || !rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    {
        return Err(format!(
            "origin {origin:?} must be scheme://host[:port] without path, query or user"
        ));
    }
    Ok(lower)
}

/// Whether a request's `Origin` is one of the configured (normalised) origins. The header is
/// compared exactly after lower-casing; `null` and anything else are refused.
#[must_use]
pub fn origin_allowed(origin: &str, allowed: &[String]) -> bool {
    let origin = origin.to_ascii_lowercase();
    allowed.contains(&origin)
}

/// A token bucket: `capacity` reads at once, refilled evenly over a minute.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    capacity: f64,
    tokens: f64,
    per_second: f64,
    last: Option<Instant>,
}

impl RateLimiter {
    /// `per_minute` reads per minute (at least 1).
    #[must_use]
    pub fn per_minute(per_minute: u32) -> Self {
        let capacity = f64::from(per_minute.max(1));
        RateLimiter {
            capacity,
            tokens: capacity,
            per_second: capacity / 60.0,
            last: None,
        }
    }

    /// Takes one token at `now` if there is one.
    pub fn try_take(&mut self, now: Instant) -> bool {
        if let Some(last) = self.last {
            let elapsed = now.saturating_duration_since(last).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        }
        self.last = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// How long until the next token (zero when one is available).
    #[must_use]
    pub fn wait_hint(&self) -> Duration {
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.per_second)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses() {
        for addr in listen_addrs(47265) {
            assert!(addr.ip().is_loopback(), "{addr}");
        }
    }

    #[test]
    fn hosts() {
        assert!(host_allowed("127.0.0.1:47265", 47265));
        assert!(host_allowed("LOCALHOST:47265", 47265));
        assert!(host_allowed("[::1]:47265", 47265));
        for bad in [
            "127.0.0.1",
            "localhost",
            "127.0.0.1:80",
            "evil.example:47265",
            "127.0.0.1.nip.io:47265",
            "localhost.evil.example:47265",
            "[::1]",
            "",
        ] {
            assert!(!host_allowed(bad, 47265), "{bad}");
        }
    }

    #[test]
    fn origins() {
        let allowed = vec![normalise_origin("https://SIGAP.example.go.id/").unwrap()];
        assert_eq!(allowed[0], "https://sigap.example.go.id");
        assert!(origin_allowed("https://sigap.example.go.id", &allowed));
        assert!(!origin_allowed("http://sigap.example.go.id", &allowed));
        assert!(!origin_allowed(
            "https://sigap.example.go.id.evil.example",
            &allowed
        ));
        assert!(!origin_allowed("null", &allowed));
        assert!(normalise_origin("sigap.example.go.id").is_err());
        assert!(normalise_origin("https://sigap.example.go.id/path").is_err());
        assert!(normalise_origin("https://user@sigap.example.go.id").is_err());
        assert!(normalise_origin("http://127.0.0.1:3000").is_ok());
    }

    #[test]
    fn rate_limit_refills() {
        let start = Instant::now();
        let mut limiter = RateLimiter::per_minute(2);
        assert!(limiter.try_take(start));
        assert!(limiter.try_take(start));
        assert!(!limiter.try_take(start));
        assert!(limiter.wait_hint() > Duration::from_secs(29));
        assert!(!limiter.try_take(start + Duration::from_secs(29)));
        assert!(limiter.try_take(start + Duration::from_secs(31)));
        assert!(!limiter.try_take(start + Duration::from_secs(31)));
    }
}
