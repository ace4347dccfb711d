//! The audit page behind `/jejak-audit`: the search of the access trail (NIK look-ups and
//! verifications, granted or refused), the chain's cheap status and, for `audit.verify`, a full
//! verification on demand.
//!
//! Scope (docs/ACCESS.md): `audit.read` (Disdukcapil evaluator, auditor) searches every
//! institution; `reports.view_institution` (institution admin, head: "the institution's
//! audit reports") searches its own institution only, whatever the form says. A NIK is
//! searched by its keyed HMAC, recomputed here from the NIK typed in full; text that is not a
//! valid NIK is `INVALID_NIK`, never searched for. Results carry the stored fields with the
//! NIK masked (neither the NIK nor its HMAC goes back). Every search is itself an audit entry
//! (`audit.search`, the NIK as HMAC and mask only), and so is every verification
//! (`audit.verify`).

use super::{PortalBackend, authenticated, client_info, internal, permitted};
use crate::audit::{Verdict, chain::Finding, checkpoint};
use crate::storage::{AccessEventFilter, AuditOutcome, NewAuditEvent, StorageError};
use app::{
    AppError,
    backend::{
        AccessRow, AccessSearchForm, AccessSearchPage, AuditChainStatus, AuditSearchOptions,
        AuditVerifyResult, InstitutionOption, OUTCOME_CODES,
    },
};
use domain::access::{Permission, Role};
use domain::nik::Nik;
use http::request::Parts;
use std::sync::atomic::{AtomicBool, Ordering};
use time::Date;

const ISO_DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// Rows per page of the search.
pub const PAGE_SIZE: i64 = 50;

/// A full verification reads the whole chain; this bounds how long the page waits for it.
const VERIFY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Holds a server's one-verification-at-a-time flag (it reads the whole chain) and clears it
/// when dropped, so a verification whose request was cancelled mid-way does not leave the
/// flag set until the next restart.
struct VerifyingGuard<'a>(&'a AtomicBool);

impl<'a> VerifyingGuard<'a> {
    /// The flag taken, or `None` when a verification runs already.
    fn take(flag: &'a AtomicBool) -> Option<Self> {
        flag.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .ok()
            .map(|_| VerifyingGuard(flag))
    }
}

impl Drop for VerifyingGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Whether the role may open the audit page at all.
pub(super) fn may_search(role: Role) -> bool {
    role.allows(Permission::ReadAudit) || role.allows(Permission::ViewInstitutionReports)
}

fn rejected(code: &str) -> AppError {
    AppError::Rejected { code: code.into() }
}

fn parse_day(text: &str) -> Result<Option<Date>, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    Date::parse(t, ISO_DAY)
        .map(Some)
        .map_err(|_| rejected("DATE_INVALID"))
}

/// `at_ms.seq` of the last row of a page.
fn cursor_of(row: &AccessRow) -> Option<String> {
    row.seq.map(|seq| format!("{}.{seq}", row.at_ms))
}

fn parse_cursor(text: &str) -> Result<Option<(i64, i64)>, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let (a, s) = t
        .split_once('.')
        .ok_or_else(|| rejected("CURSOR_INVALID"))?;
    match (a.parse::<i64>(), s.parse::<i64>()) {
        (Ok(a), Ok(s)) => Ok(Some((a, s))),
        _ => Err(rejected("CURSOR_INVALID")),
    }
}

/// Who may see which institutions.
enum Scope {
    All,
    Own(i64),
}

impl PortalBackend {
    /// The caller's scope: `audit.read` sees everything; `reports.view_institution` its own
    /// institution; anyone else is `FORBIDDEN` (anonymous and partial sessions first).
    fn audit_scope(parts: &Parts) -> Result<(&crate::auth::SessionUser, Scope), AppError> {
        let user = authenticated(parts)?;
        let role = user.user.role;
        if role.allows(Permission::ReadAudit) {
            return Ok((user, Scope::All));
        }
        if role.allows(Permission::ViewInstitutionReports)
            && let Some(id) = user.user.institution_id
        {
            return Ok((user, Scope::Own(id)));
        }
        Err(AppError::Forbidden)
    }

    pub(super) async fn audit_options(
        &self,
        parts: &Parts,
    ) -> Result<AuditSearchOptions, AppError> {
        let (user, scope) = Self::audit_scope(parts)?;
        let mut institutions: Vec<InstitutionOption> = self
            .institution_names()
            .await?
            .into_iter()
            .filter(|(id, _)| match scope {
                Scope::All => true,
                Scope::Own(own) => *id == own,
            })
            .map(|(id, name)| InstitutionOption { id, name })
            .collect();
        institutions.sort_by(|a, b| a.name.cmp(&b.name));
        let role = user.user.role;
        Ok(AuditSearchOptions {
            all_institutions: matches!(scope, Scope::All),
            institutions,
            can_verify: role.allows(Permission::VerifyAudit),
            can_read_chain: role.allows(Permission::ReadAudit),
        })
    }

    pub(super) async fn search_access_page(
        &self,
        parts: &Parts,
        form: &AccessSearchForm,
    ) -> Result<AccessSearchPage, AppError> {
        let (user, scope) = Self::audit_scope(parts)?;
        let storage = &self.state.storage;
        let now = self.state.auth.clock().now_ms();
        // The NIK: parsed, then keyed. Invalid text is an error, never a search.
        let nik_text = form.nik.trim();
        let protected = if nik_text.is_empty() {
            None
        } else {
            let nik = Nik::parse(nik_text, domain::quota::wib_day(now))
                .map_err(|_| rejected("INVALID_NIK"))?;
            let key = self
                .state
                .audit
                .as_ref()
                .and_then(|a| a.nik.as_ref())
                .ok_or_else(|| rejected("AUDIT_UNAVAILABLE"))?;
            Some(crate::audit::ProtectedNik::of(key, &nik))
        };
        let outcome_code = match form.outcome_code.trim() {
            "" => None,
            code if OUTCOME_CODES.contains(&code) => Some(code.to_string()),
            _ => return Err(rejected("OUTCOME_CODE_UNKNOWN")),
        };
        let from_day = parse_day(&form.from_day)?;
        let to_day = parse_day(&form.to_day)?;
        if let (Some(f), Some(t)) = (from_day, to_day)
            && f > t
        {
            return Err(rejected("DATE_RANGE_INVALID"));
        }
        let requested_institution = match form.institution_id.trim() {
            "" => None,
            t => Some(
                t.parse::<i64>()
                    .map_err(|_| rejected("INSTITUTION_UNKNOWN"))?,
            ),
        };
        let institution_id = match scope {
            Scope::All => requested_institution,
            // Bound roles: their own institution, whatever was asked.
            Scope::Own(own) => {
                if requested_institution.is_some_and(|r| r != own) {
                    return Err(AppError::Forbidden);
                }
                Some(own)
            }
        };
        let operator = form.operator.trim();
        let actor_account_id = if operator.is_empty() {
            None
        } else {
            let account = storage
                .account_by_username(operator)
                .await
                .map_err(|e| internal("search_access", &e))?;
            match (account, &scope) {
                (Some(a), Scope::All) => Some(a.id),
                (Some(a), Scope::Own(own)) if a.institution_id == Some(*own) => Some(a.id),
                // Unknown, or another institution's (not revealed to a bound role).
                _ => return Err(rejected("OPERATOR_UNKNOWN")),
            }
        };
        let before = parse_cursor(&form.cursor)?;
        let filter = AccessEventFilter {
            nik_hmac: protected.as_ref().map(|p| p.hmac.clone()),
            actor_account_id,
            institution_id,
            outcome_code: outcome_code.clone(),
            from_day,
            to_day,
            before,
            // One more than a page, to know whether there is a next one.
            limit: PAGE_SIZE + 1,
        };
        let found = storage
            .search_access_events(&filter)
            .await
            .map_err(|e| internal("search_access", &e))?;
        let names = self.institution_names().await?;
        let more = found.len() as i64 > PAGE_SIZE;
        let rows: Vec<AccessRow> = found
            .into_iter()
            .take(PAGE_SIZE as usize)
            .map(|e| AccessRow {
                fingerprint: e.fingerprint(),
                seq: e.seq,
                at_ms: e.at_ms,
                event: e.event,
                institution_name: e.institution_id.and_then(|i| names.get(&i).cloned()),
                institution_id: e.institution_id,
                operator: e.actor_username,
                local_user_id: e.local_user_id,
                dukcapil_user_id: e.dukcapil_user_id,
                channel: e.channel,
                purpose: e.purpose,
                nik_masked: e.nik_masked,
                outcome: e.outcome,
                outcome_code: e.outcome_code,
                quota_state: e.quota_state,
                latency_ms: e.latency_ms,
                client_ip: e.client_ip,
                request_id: e.request_id,
            })
            .collect();
        let next_cursor = if more {
            rows.last().and_then(cursor_of)
        } else {
            None
        };
        // The search itself, in the trail: who, and the filter (NIK as HMAC + mask only).
        let client = client_info(parts);
        let detail = serde_json::json!({
            "nik_hmac": protected.as_ref().map(|p| p.hmac.clone()),
            "nik_masked": protected.as_ref().map(|p| p.masked.clone()),
            "operator_account_id": actor_account_id,
            "institution_id": institution_id,
            "outcome_code": outcome_code,
            "from_day": from_day.map(|d| d.to_string()),
            "to_day": to_day.map(|d| d.to_string()),
            "page": if before.is_some() { "next" } else { "first" },
            "rows": rows.len(),
        });
        storage
            .append_audit_event(&NewAuditEvent {
                at_ms: now,
                event: "audit.search".into(),
                outcome: AuditOutcome::Success,
                actor_account_id: Some(user.user.account_id),
                actor_username: Some(user.user.username.clone()),
                institution_id: user.user.institution_id,
                subject: institution_id.map(|i| format!("institution:{i}")),
                detail,
                client_ip: client.ip.map(|ip| ip.to_string()),
                request_id: client.request_id,
            })
            .await
            .map_err(|e| internal("search_access", &e))?;
        Ok(AccessSearchPage { rows, next_cursor })
    }

    pub(super) async fn chain_status(&self, parts: &Parts) -> Result<AuditChainStatus, AppError> {
        permitted(parts, Permission::ReadAudit)?;
        let storage = &self.state.storage;
        let err = |e: StorageError| internal("audit_chain_status", &e);
        let head = storage.audit_chain_head().await.map_err(err)?;
        let keys = self.state.audit.as_ref();
        let signer = keys.and_then(|k| k.signer.as_ref());
        let last = match keys {
            Some(k) => last_checkpoint(&k.checkpoint_file)
                .map_err(|e| internal("audit_chain_status", &e))?,
            None => None,
        };
        let mut status = AuditChainStatus {
            head_seq: head.seq,
            signer_configured: signer.is_some(),
            checkpoint_seq: None,
            checkpoint_at_ms: None,
            checkpoint_signature_ok: None,
            checkpoint_matches_entry: None,
            head_at_checkpoint: false,
        };
        if let Some(cp) = last {
            status.checkpoint_seq = Some(cp.seq);
            status.checkpoint_at_ms = Some(cp.at_ms);
            status.checkpoint_signature_ok =
                signer.map(|s| checkpoint::signature_ok(&s.verifying_key(), &cp));
            let entry = storage
                .audit_chain_page(cp.seq - 1, cp.seq, 1)
                .await
                .map_err(err)?;
            status.checkpoint_matches_entry = Some(entry.first().is_some_and(|e| {
                e.seq == cp.seq && e.entry_hash.as_deref() == Some(&cp.entry_hash)
            }));
            status.head_at_checkpoint = head.seq == cp.seq && head.hash == cp.entry_hash;
        }
        Ok(status)
    }

    pub(super) async fn verify_chain(&self, parts: &Parts) -> Result<AuditVerifyResult, AppError> {
        let user = permitted(parts, Permission::VerifyAudit)?;
        let keys = self
            .state
            .audit
            .as_ref()
            .ok_or_else(|| rejected("AUDIT_UNAVAILABLE"))?;
        let Some(running) = VerifyingGuard::take(&self.verifying) else {
            return Err(rejected("AUDIT_VERIFY_BUSY"));
        };
        let started = std::time::Instant::now();
        let key = keys.signer.as_ref().map(|s| s.verifying_key());
        let run = crate::audit::verify(
            self.state.storage.clone(),
            &keys.checkpoint_file,
            key.as_ref(),
        );
        let outcome = tokio::time::timeout(VERIFY_TIMEOUT, run).await;
        drop(running);
        let verdict = match outcome {
            Err(_) => return Err(rejected("AUDIT_VERIFY_TIMEOUT")),
            Ok(Err(e)) => return Err(internal("verify_audit_chain", &e)),
            Ok(Ok(v)) => v,
        };
        let took_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let result = verify_result(&verdict, took_ms);
        let client = client_info(parts);
        self.state
            .storage
            .append_audit_event(&NewAuditEvent {
                at_ms: self.state.auth.clock().now_ms(),
                event: "audit.verify".into(),
                outcome: if result.intact {
                    AuditOutcome::Success
                } else {
                    AuditOutcome::Failure
                },
                actor_account_id: Some(user.user.account_id),
                actor_username: Some(user.user.username.clone()),
                institution_id: None,
                subject: None,
                detail: serde_json::json!({
                    "code": result.code,
                    "seq": result.seq,
                    "last_seq": result.last_seq,
                    "took_ms": took_ms,
                }),
                client_ip: client.ip.map(|ip| ip.to_string()),
                request_id: client.request_id,
            })
            .await
            .map_err(|e| internal("verify_audit_chain", &e))?;
        Ok(result)
    }
}

fn verify_result(verdict: &Verdict, took_ms: i64) -> AuditVerifyResult {
    let mut r = AuditVerifyResult {
        intact: false,
        code: None,
        seq: None,
        id: None,
        checkpoint_line: None,
        detail: String::new(),
        entries: 0,
        checkpoints: 0,
        last_seq: 0,
        took_ms,
    };
    match verdict {
        Verdict::Intact(s) => {
            r.intact = true;
            r.entries = i64::try_from(s.entries).unwrap_or(i64::MAX);
            r.checkpoints = i64::try_from(s.checkpoints).unwrap_or(i64::MAX);
            r.last_seq = s.last_seq;
            r.detail = format!(
                "audit chain intact: {} entries, {} checkpoints, last seq {}",
                s.entries, s.checkpoints, s.last_seq
            );
        }
        Verdict::Broken(f) => {
            r.code = Some(f.code().to_string());
            r.detail = f.to_string();
            let line = |l: &usize| Some(i64::try_from(*l).unwrap_or(i64::MAX));
            match f {
                Finding::Edited { seq, id } | Finding::Reordered { seq, id } => {
                    r.seq = Some(*seq);
                    r.id = Some(*id);
                }
                Finding::Missing { seq, .. } => r.seq = Some(*seq),
                Finding::Unchained { id } => r.id = Some(*id),
                Finding::TruncatedAfterCheckpoint {
                    line: l, last_seq, ..
                } => {
                    r.checkpoint_line = line(l);
                    r.seq = Some(last_seq + 1);
                }
                Finding::TruncatedBeforeHead { last_seq, .. } => r.seq = Some(last_seq + 1),
                Finding::HeadMismatch { head_seq } => r.seq = Some(*head_seq),
                Finding::CheckpointMismatch { line: l, seq } => {
                    r.checkpoint_line = line(l);
                    r.seq = Some(*seq);
                }
                Finding::BadSignature { line: l }
                | Finding::MalformedCheckpoint { line: l, .. } => {
                    r.checkpoint_line = line(l);
                }
            }
        }
    }
    r
}

/// The newest checkpoint line of the file (a missing file has none; a malformed last line is
/// reported as having none: the full verification names it).
fn last_checkpoint(path: &std::path::Path) -> std::io::Result<Option<checkpoint::Checkpoint>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| serde_json::from_str(l).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_code_has_words_in_both_languages() {
        use app::i18n::{AUDIT_EN, AUDIT_ID};
        for code in OUTCOME_CODES {
            assert_ne!(AUDIT_ID.outcome_label(code), *code, "{code}");
            assert_ne!(AUDIT_EN.outcome_label(code), *code, "{code}");
        }
        // The upstream codes: all sixteen, with the domain's Indonesian words.
        for rc in domain::dukcapil::ResponseCode::ALL {
            assert!(OUTCOME_CODES.contains(&rc.as_str()), "{rc}");
            assert_eq!(AUDIT_ID.outcome_label(rc.as_str()), rc.description());
        }
    }

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        assert_eq!(parse_cursor("").unwrap(), None);
        assert_eq!(
            parse_cursor("1700000000000.42").unwrap(),
            Some((1_700_000_000_000, 42))
        );
        assert!(parse_cursor("x.1").is_err());
        assert!(parse_cursor("17").is_err());
        assert!(parse_day("2026-13-01").is_err());
        assert_eq!(
            parse_day(" 2026-11-27 ").unwrap(),
            Some(time::macros::date!(2026 - 11 - 27))
        );
    }
}
