//! The closed-network guard (`[network]`): only client addresses in `portal_allow` reach the
//! portal (pages, server functions, `/auth/`), only those in `api_allow` reach the web-service
//! API (`/api/v1/`); `/healthz` and `/readyz` answer either list and loopback. Refusals are
//! 403 with an Indonesian page (browsers) or JSON `NETWORK_NOT_ALLOWED`, and a warning in the
//! log with the addresses (never the body).
//!
//! The client address is the TCP peer, unless the peer is one of `trusted_proxies`: then it
//! is the right-most `X-Forwarded-For` address that is not a trusted proxy. From any other
//! peer the header is ignored, so it cannot be spoofed. An unreadable header from a trusted
//! proxy is refused (fail closed). The decided address goes into the request extensions as
//! `auth::ClientIp` for throttling and audit.

use crate::auth::{ClientIp, NetworkConfig};
use axum::{
    Json,
    body::Body,
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use ipnet::IpNet;
use serde_json::json;
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

/// Which allow-list a request path is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Portal,
    Api,
    Health,
}

/// The surface a path belongs to.
pub fn surface(path: &str) -> Surface {
    if path == "/healthz" || path == "/readyz" {
        Surface::Health
    } else if path == "/api/v1" || path.starts_with("/api/v1/") {
        Surface::Api
    } else {
        Surface::Portal
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

fn in_any(ip: IpAddr, nets: &[IpNet]) -> bool {
    nets.iter().any(|n| n.contains(&ip))
}

/// One `X-Forwarded-For` element: an address, optionally with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_forwarded(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            s.strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|r| r.parse().ok())
        })
        .map(canonical)
}

/// The client address of a request from `peer` with these headers, or `None` when a trusted
/// proxy sent an unreadable `X-Forwarded-For`.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpNet]) -> Option<IpAddr> {
    let peer = canonical(peer);
    if !in_any(peer, trusted_proxies) {
        return Some(peer);
    }
    let mut hops: Vec<&str> = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(v) = value.to_str() else {
            return None;
        };
        hops.extend(v.split(','));
    }
    let mut client = peer;
    for hop in hops.iter().rev() {
        let ip = parse_forwarded(hop)?;
        client = ip;
        if !in_any(ip, trusted_proxies) {
            break;
        }
    }
    Some(client)
}

/// Whether `ip` may use `surface`.
pub fn allowed(config: &NetworkConfig, surface: Surface, ip: IpAddr) -> bool {
    match surface {
        Surface::Portal => in_any(ip, &config.portal_allow),
        Surface::Api => in_any(ip, &config.api_allow),
        Surface::Health => {
            ip.is_loopback() || in_any(ip, &config.portal_allow) || in_any(ip, &config.api_allow)
        }
    }
}

const CODE: &str = "NETWORK_NOT_ALLOWED";
const MESSAGE: &str = "Akses ditolak: alamat jaringan Anda tidak diizinkan mengakses SIGAP. \
                       Hubungi admin instansi Anda.";

fn wants_html(path: &str, headers: &HeaderMap) -> bool {
    !(path.starts_with("/api/") || path.starts_with("/auth/"))
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
}

fn refusal(path: &str, headers: &HeaderMap) -> Response {
    let mut res = if wants_html(path, headers) {
        let page = format!(
            "<!DOCTYPE html>\n<html lang=\"id\"><head><meta charset=\"utf-8\">\
             <title>Akses ditolak - SIGAP</title></head><body><main>\
             <h1>Akses ditolak</h1><p>{MESSAGE}</p><p>Kode: {CODE}</p></main></body></html>\n"
        );
        (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page,
        )
            .into_response()
    } else {
        (
            StatusCode::FORBIDDEN,
            Json(json!({ "error": { "code": CODE, "message": MESSAGE } })),
        )
            .into_response()
    };
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

/// The middleware (outermost after tracing).
pub async fn network_guard(
    State(config): State<Arc<NetworkConfig>>,
    mut req: Request<Body>,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let Some(peer) = peer else {
        tracing::warn!(path = %path, "request refused: no peer address (ConnectInfo missing)");
        return refusal(&path, req.headers());
    };
    let client = client_ip(peer, req.headers(), &config.trusted_proxies);
    match client {
        Some(ip) if allowed(&config, surface(&path), ip) => {
            req.extensions_mut().insert(ClientIp(ip));
            next.run(req).await
        }
        Some(ip) => {
            tracing::warn!(client = %ip, peer = %peer, path = %path,
                "request refused: client network not allowed");
            refusal(&path, req.headers())
        }
        None => {
            tracing::warn!(peer = %peer, path = %path,
                "request refused: unreadable X-Forwarded-For from a trusted proxy");
            refusal(&path, req.headers())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn untrusted_peers_cannot_spoof_the_header() {
        let ip = client_ip(
            "203.0.113.9".parse().unwrap(),
            &xff(&["10.0.0.5"]),
            &nets(&["10.9.9.9/32"]),
        );
        assert_eq!(ip, Some("203.0.113.9".parse().unwrap()));
    }

    #[test]
    fn right_most_untrusted_address_behind_trusted_proxies() {
        let trusted = nets(&["10.9.9.0/24", "fd00::/8"]);
        // client-supplied junk on the left, then the real client, then our second proxy.
        let h = xff(&["198.51.100.1, 10.1.2.3", "10.9.9.2"]);
        assert_eq!(
            client_ip("10.9.9.1".parse().unwrap(), &h, &trusted),
            Some("10.1.2.3".parse().unwrap())
        );
        // No header: the proxy itself.
        assert_eq!(
            client_ip("10.9.9.1".parse().unwrap(), &HeaderMap::new(), &trusted),
            Some("10.9.9.1".parse().unwrap())
        );
        // Ports and IPv6 brackets.
        let h = xff(&["[2001:db8::7]:4711, 10.1.2.3:8080"]);
        assert_eq!(
            client_ip("fd00::1".parse().unwrap(), &h, &trusted),
            Some("10.1.2.3".parse().unwrap())
        );
        // Garbage from a trusted proxy: refused.
        assert_eq!(
            client_ip("10.9.9.1".parse().unwrap(), &xff(&["not-an-ip"]), &trusted),
            None
        );
    }

    #[test]
    fn mapped_ipv6_is_ipv4() {
        let ip = client_ip("::ffff:10.0.0.1".parse().unwrap(), &HeaderMap::new(), &[]);
        assert_eq!(ip, Some("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn surfaces_and_lists() {
        let c = NetworkConfig {
            portal_allow: nets(&["10.0.0.0/8"]),
            api_allow: nets(&["192.168.1.0/24"]),
            trusted_proxies: vec![],
        };
        assert_eq!(surface("/api/v1/nik"), Surface::Api);
        assert_eq!(surface("/api/sf/shell_info"), Surface::Portal);
        assert_eq!(surface("/healthz"), Surface::Health);
        let ten: IpAddr = "10.1.1.1".parse().unwrap();
        let lan: IpAddr = "192.168.1.5".parse().unwrap();
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(allowed(&c, Surface::Portal, ten));
        assert!(!allowed(&c, Surface::Portal, lan));
        assert!(allowed(&c, Surface::Api, lan));
        assert!(!allowed(&c, Surface::Api, ten));
        assert!(allowed(&c, Surface::Health, lo));
        assert!(allowed(&c, Surface::Health, lan));
        assert!(!allowed(&c, Surface::Health, "8.8.8.8".parse().unwrap()));
        assert!(!allowed(&c, Surface::Portal, lo));
    }

    #[test]
    fn default_allows_private_ranges_and_loopback_only() {
        let c = NetworkConfig::default();
        for ok in [
            "10.2.3.4",
            "172.20.0.1",
            "192.168.0.9",
            "127.0.0.1",
            "::1",
            "fd12::1",
        ] {
            assert!(allowed(&c, Surface::Portal, ok.parse().unwrap()), "{ok}");
        }
        for no in ["8.8.8.8", "172.32.0.1", "2001:db8::1", "100.64.0.1"] {
            assert!(!allowed(&c, Surface::Portal, no.parse().unwrap()), "{no}");
        }
    }
}
