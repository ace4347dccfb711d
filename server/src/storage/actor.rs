//! Who makes an administration change ([`Actor`]), the audit entry every such change writes in
//! the same transaction (`insert_audit_event!`, appended to the hash chain), and helpers the identity areas share
//! (calendar-day columns, the WIB day of an instant, field errors as storage errors).

use super::{NewAuditEvent, StorageError};
use domain::identity::FieldError;
use serde::{Deserialize, Serialize};
use time::Date;

/// Who performs a change, and from where: copied into the audit entry the change writes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The signed-in account; `None` for the server's console (`sigap admin`) and seeding.
    pub account_id: Option<i64>,
    /// The account's username, or `cli` / `system:<what>` without an account.
    pub username: Option<String>,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
}

impl Actor {
    /// A signed-in account.
    pub fn account(id: i64, username: impl Into<String>) -> Actor {
        Actor {
            account_id: Some(id),
            username: Some(username.into()),
            ..Actor::default()
        }
    }

    /// `sigap admin` on the server's console.
    pub fn cli() -> Actor {
        Actor {
            username: Some("cli".into()),
            ..Actor::default()
        }
    }

    /// The server itself, e.g. `system("demo-seed")`.
    pub fn system(what: &str) -> Actor {
        Actor {
            username: Some(format!("system:{what}")),
            ..Actor::default()
        }
    }

    /// The same actor with the request's client address and id.
    pub fn from_request(mut self, client_ip: Option<String>, request_id: Option<String>) -> Actor {
        self.client_ip = client_ip;
        self.request_id = request_id;
        self
    }

    /// A successful administration event by this actor.
    pub fn event(
        &self,
        at_ms: i64,
        event: &str,
        institution_id: Option<i64>,
        subject: String,
        detail: serde_json::Value,
    ) -> NewAuditEvent {
        NewAuditEvent {
            at_ms,
            event: event.to_string(),
            outcome: super::AuditOutcome::Success,
            actor_account_id: self.account_id,
            actor_username: self.username.clone(),
            institution_id,
            subject: Some(subject),
            detail,
            client_ip: self.client_ip.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

impl From<FieldError> for StorageError {
    fn from(e: FieldError) -> Self {
        StorageError::Rejected {
            code: e.code,
            message: format!("{}: {}", e.field, e.message),
        }
    }
}

/// A refusal with a stable code.
pub(crate) fn rejected(code: &'static str, message: impl Into<String>) -> StorageError {
    StorageError::Rejected {
        code,
        message: message.into(),
    }
}

const ISO_DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// A calendar day as stored (`YYYY-MM-DD`).
pub(crate) fn day_text(day: Date) -> String {
    // Formatting a Date with a fixed description cannot fail for years 0..=9999.
    day.format(ISO_DAY).unwrap_or_else(|_| {
        format!(
            "{:04}-{:02}-{:02}",
            day.year(),
            day.month() as u8,
            day.day()
        )
    })
}

/// Reads a stored calendar day; anything else is corrupt data, never a default.
pub(crate) fn parse_day(column: &str, text: &str) -> Result<Date, StorageError> {
    Date::parse(text, ISO_DAY)
        .map_err(|_| StorageError::Corrupt(format!("{column}: {text:?} is not a YYYY-MM-DD day")))
}

/// The WIB calendar day of a Unix-millisecond instant.
pub(crate) fn wib_day(at_ms: i64) -> Date {
    let nanos = i128::from(at_ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(crate::WIB)
        .date()
}

/// Appends an audit event to the chain with the given connection (inside the change's
/// transaction, e.g. `&mut *tx`), inside a macro body. Evaluates to
/// `Result<Vec<AppendedEntry>, StorageError>`.
macro_rules! insert_audit_event {
    ($exec:expr, $event:expr) => {{
        let e: &$crate::storage::NewAuditEvent = $event;
        let records = [$crate::storage::AuditRecord::from(e)];
        $crate::storage::audit_events::append_chained!($exec, &records)
    }};
}
pub(crate) use insert_audit_event;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_and_bad_text_is_corrupt() {
        let d = time::macros::date!(2024 - 11 - 09);
        assert_eq!(day_text(d), "2024-11-09");
        assert_eq!(parse_day("x", "2024-11-09").unwrap(), d);
        assert!(matches!(
            parse_day("valid_to", "9 Nov 2024"),
            Err(StorageError::Corrupt(_))
        ));
    }

    #[test]
    fn wib_day_is_utc_plus_seven() {
        // 2026-11-26 17:00 UTC is 2026-11-27 00:00 WIB.
        let ms = 1_795_712_400_000;
        assert_eq!(wib_day(ms), time::macros::date!(2026 - 11 - 27));
        assert_eq!(wib_day(ms - 1), time::macros::date!(2026 - 11 - 26));
    }
}
