//! The client for the Dukcapil (civil registry) web service, SIGAP's upstream.
//!
//! * [`UpstreamConfig`]: the `[upstream]` section of `sigap.toml` (base URL, consumer,
//!   method and field spellings, credentials in `secrecy` types, CA file, timeouts, breaker).
//! * [`UpstreamClient`]: `call_nik` and `verify`, over reqwest + rustls with certificate
//!   verification always on, behind a [`CircuitBreaker`].
//! * Typed outcomes ([`LookupOutcome`], [`VerifyOutcome`]): found (only the nine elements the
//!   access agreement allows: the filter lives here, so nothing else can leave), identity
//!   result, setup error, or unavailable with whether the request may have reached the
//!   upstream (for quota refunds).
//!
//! No request or response body, NIK, credential or upstream host is ever logged at `info`
//! or above; bodies and NIKs never at any level.

/// Target of every `tracing` event of the upstream client.
pub const LOG_TARGET: &str = "sigap::upstream";

mod breaker;
mod client;
mod codes;
mod config;
mod error;
mod model;
mod per_user;
mod wire;

pub use breaker::{BreakerState, CircuitBreaker, Clock, ManualClock, Permit, SystemClock};
pub use client::UpstreamClient;
pub use codes::{CodeKind, ResponseCode, UpstreamCode};
pub use config::{
    AnswerFields, CallNikFields, ClaimDateFormat, ElementNames, FORBIDDEN_FIELDS, FieldNames,
    MethodNames, UpstreamConfig, UpstreamPassword, VerifyFields,
};
pub use error::UpstreamSetupError;
pub use model::{
    Alamat, ClaimedElements, Element, LookupOutcome, Resident, UnavailableReason, Verdict,
    VerifyOutcome, Wilayah,
};
pub use per_user::{NoClient, UserIdClients};
