//! `reader-bridge`: the small daemon on the operator's PC between the SIGAP portal in the
//! browser and an e-KTP card reader (issue 6).
//!
//! The portal page talks to it over a WebSocket on loopback ([`server`], protocol in
//! [`protocol`] and docs/reader-protocol.md); the bridge follows readers and cards on its own
//! PC/SC thread ([`pcsc_driver`]) and reads cards through a [`driver::CardDriver`] speaking the
//! reference e-KTP APDU profile ([`profile`]). [`security`] holds the loopback, `Host`,
//! `Origin` and rate-limit rules; the pairing token is `domain::pairing`. [`vcard`] is the
//! virtual e-KTP for vsmartcard-vpcd (binary `ektp-vcard`).
//!
//! Card data lives in memory for the length of a read and is sent to the page only: it is
//! never written to disk or to a log line (`Debug` of every type holding it is redacted).
#![forbid(unsafe_code)]

pub mod config;
pub mod driver;
pub mod hub;
pub mod pcsc_driver;
pub mod profile;
pub mod protocol;
pub mod security;
pub mod server;
pub mod telemetry;
pub mod vcard;
