//! Cek NIK behind the portal (`nik_lookup`, `nik_verify`, `quota_status`, `earlier_verdict`,
//! `access_problems`): the session's account as the caller of `verification::serve` with
//! channel `web`, the quota meter, the earlier-verdict question (the institution's audit
//! entries for the same keyed NIK hash within `[check] earlier_verdict_hours`), and the
//! "Masalah akses" list derived from the institution's recent access entries. Nothing of an
//! upstream answer is kept: it is shaped into the page's types and sent (with `no-store`, set
//! for every portal answer by `web::security`).

use super::{PortalBackend, agreements::day, authenticated, internal, permitted};
use crate::auth::session::client_info;
use crate::storage::{AccessChannel, AccessEvent, AccessEventFilter};
use crate::upstream::{ClaimedElements, LookupOutcome, Resident, VerifyOutcome};
use crate::verification::{self, AccessRequest, Answer, Caller, Mode, QuotaAfter, Refusal};
use app::{
    AppError,
    backend::{
        AccessProblem, CheckAnswer, CheckKind, ClaimForm, EarlierAccess, QuotaView, ResidentView,
        VerdictView,
    },
    outcome::{About, about},
};
use domain::access::Permission;
use domain::nik::Sex;
use http::request::Parts;

/// How many days "Masalah akses" looks back (today included).
const PROBLEM_DAYS: i64 = 7;
/// At most this many problems are listed.
const PROBLEM_LIMIT: usize = 50;

fn rejected(code: &str) -> AppError {
    AppError::Rejected { code: code.into() }
}

/// The claimed elements as typed into the upstream client's form.
fn claimed_elements(form: &ClaimForm) -> Result<ClaimedElements, AppError> {
    let text = |v: &str| Some(v.trim().to_string()).filter(|s| !s.is_empty());
    let tanggal_lahir = match form.tanggal_lahir.trim() {
        "" => None,
        t => Some(day(t, "CLAIM_INVALID")?),
    };
    let jenis_kelamin = match form.jenis_kelamin.trim() {
        "" => None,
        "L" | "l" => Some(Sex::Male),
        "P" | "p" => Some(Sex::Female),
        _ => return Err(rejected("CLAIM_INVALID")),
    };
    let claimed = ClaimedElements {
        no_kk: text(&form.no_kk),
        nama_lengkap: text(&form.nama_lengkap),
        tempat_lahir: text(&form.tempat_lahir),
        tanggal_lahir,
        jenis_kelamin,
        jenis_pekerjaan: text(&form.jenis_pekerjaan),
        alamat: text(&form.alamat),
        ..ClaimedElements::default()
    };
    if claimed.is_empty() {
        return Err(rejected("CLAIMED_REQUIRED"));
    }
    Ok(claimed)
}

fn iso(date: time::Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The nine elements as the page shows them ("alamat sekarang" in one line).
fn resident_view(r: &Resident) -> ResidentView {
    let a = &r.alamat;
    let rt_rw = match (a.rt.as_str(), a.rw.as_str()) {
        ("", "") => String::new(),
        (rt, rw) => format!("RT {rt}/RW {rw}"),
    };
    let alamat = [
        a.alamat.clone(),
        rt_rw,
        a.kelurahan.nama.clone(),
        a.kecamatan.nama.clone(),
        a.kabupaten.nama.clone(),
        a.provinsi.nama.clone(),
    ]
    .into_iter()
    .filter(|p| !p.trim().is_empty())
    .collect::<Vec<_>>()
    .join(", ");
    ResidentView {
        no_kk: r.no_kk.clone(),
        nik: r.nik.clone(),
        nama_lengkap: r.nama_lengkap.clone(),
        jenis_kelamin: r
            .jenis_kelamin
            .map(|s| s.code().to_string())
            .unwrap_or_default(),
        tempat_lahir: r.tempat_lahir.clone(),
        tanggal_lahir: r.tanggal_lahir.map(iso).unwrap_or_default(),
        status_perkawinan: r.status_perkawinan.clone(),
        jenis_pekerjaan: r.jenis_pekerjaan.clone(),
        alamat,
    }
}

fn quota_view(q: QuotaAfter) -> QuotaView {
    QuotaView {
        dukcapil_user_id: None,
        limit: q.limit,
        used: q.used,
        remaining: q.remaining,
        exhausted: q.remaining == 0,
        resets_at_ms: q.resets_at_ms,
    }
}

/// A refusal of the pipeline as the portal's error (the audit entry is already written).
fn refusal_error(r: &Refusal) -> AppError {
    match r {
        Refusal::Forbidden => AppError::Forbidden,
        other => rejected(other.code()),
    }
}

/// The upstream's answer in the page's shape.
fn shape(answer: Answer, quota: Option<QuotaView>, audit_id: i64) -> CheckAnswer {
    let mut out = CheckAnswer {
        kind: CheckKind::Unavailable,
        code: String::new(),
        resident: None,
        verdicts: Vec::new(),
        multiple_records: false,
        quota,
        audit_id,
    };
    let (code, unavailable) = match &answer {
        Answer::Lookup(o) => (
            o.code().map(|c| c.to_string()),
            match o {
                LookupOutcome::Unavailable { reason, .. } => Some(reason.as_str()),
                _ => None,
            },
        ),
        Answer::Verify(o) => (
            o.code().map(|c| c.to_string()),
            match o {
                VerifyOutcome::Unavailable { reason, .. } => Some(reason.as_str()),
                _ => None,
            },
        ),
    };
    out.code = match (code, unavailable) {
        (Some(c), _) => c,
        (None, Some(reason)) => format!("UNAVAILABLE_{}", reason.to_ascii_uppercase()),
        (None, None) => "UNAVAILABLE".into(),
    };
    match answer {
        Answer::Lookup(LookupOutcome::Found {
            resident,
            multiple_records,
        }) => {
            out.kind = CheckKind::Found;
            out.resident = Some(resident_view(&resident));
            out.multiple_records = multiple_records;
        }
        Answer::Verify(VerifyOutcome::Verdicts {
            verdicts,
            multiple_records,
        }) => {
            out.kind = CheckKind::Verdicts;
            out.multiple_records = multiple_records;
            out.verdicts = verdicts
                .into_iter()
                .map(|(element, v)| VerdictView {
                    element: element.as_str().to_string(),
                    matched: v.is_match(),
                    score: v.score(),
                })
                .collect();
        }
        Answer::Lookup(LookupOutcome::IdentityResult { .. })
        | Answer::Verify(VerifyOutcome::IdentityResult { .. }) => {
            out.kind = CheckKind::IdentityResult;
        }
        Answer::Lookup(LookupOutcome::SetupError { .. })
        | Answer::Verify(VerifyOutcome::SetupError { .. }) => out.kind = CheckKind::SetupError,
        Answer::Lookup(LookupOutcome::Unavailable { .. })
        | Answer::Verify(VerifyOutcome::Unavailable { .. }) => out.kind = CheckKind::Unavailable,
    }
    out
}

/// `lookup` / `verify` from an access entry's event code.
fn kind_of(event: &AccessEvent) -> String {
    event
        .event
        .strip_prefix("nik.")
        .unwrap_or(&event.event)
        .to_string()
}

impl PortalBackend {
    pub(super) async fn nik_check_for(
        &self,
        parts: &Parts,
        nik: String,
        purpose: String,
        claimed: Option<ClaimForm>,
    ) -> Result<CheckAnswer, AppError> {
        let permission = if claimed.is_some() {
            Permission::NikVerify
        } else {
            Permission::NikLookup
        };
        let user = permitted(parts, permission)?;
        let mode = match claimed {
            None => Mode::Lookup,
            Some(form) => Mode::Verify {
                claimed: Box::new(claimed_elements(&form)?),
                threshold: None,
            },
        };
        // The local user ID as stored now (the session does not carry it).
        let account = self
            .state
            .storage
            .account_by_id(user.user.account_id)
            .await
            .map_err(|e| internal("nik_check", &e))?
            .ok_or(AppError::AuthRequired)?;
        let client = client_info(parts);
        let request = AccessRequest {
            caller: Caller {
                account_id: account.id,
                username: account.username.clone(),
                role: user.user.role,
                institution_id: user.user.institution_id,
                local_user_id: account.local_user_id.clone(),
                client_ip: client.ip.map(|ip| ip.to_string()),
                request_id: client.request_id,
            },
            channel: AccessChannel::Web,
            nik,
            purpose,
            mode,
        };
        let served = verification::serve(&self.state, request)
            .await
            .map_err(|e| internal("nik_check", &e))?;
        let quota = served.quota.map(quota_view);
        match served.result {
            Ok(answer) => Ok(shape(answer, quota, served.audit_id)),
            Err(refusal) => Err(refusal_error(&refusal)),
        }
    }

    pub(super) async fn quota_status_for(
        &self,
        parts: &Parts,
    ) -> Result<Option<QuotaView>, AppError> {
        let user = permitted(parts, Permission::ViewOwnQuota)?;
        let Some(institution_id) = user.user.institution_id else {
            return Err(AppError::Forbidden);
        };
        let storage = self.state.storage.as_ref();
        let err = |e: &dyn std::fmt::Display| internal("quota_status", e);
        let account = storage
            .account_by_id(user.user.account_id)
            .await
            .map_err(|e| err(&e))?
            .ok_or(AppError::AuthRequired)?;
        let now = crate::now_ms();
        // The caller's own user ID when it has an active one, else the institution's first.
        let own = match account.local_user_id.as_deref() {
            Some(local) => storage
                .live_dukcapil_user_id(institution_id, local)
                .await
                .map_err(|e| err(&e))?
                .filter(|u| u.status == domain::identity::UserIdStatus::Active)
                .and_then(|u| u.dukcapil_user_id),
            None => None,
        };
        let status = match own {
            Some(id) => Some(
                crate::quota::status(storage, &id, now)
                    .await
                    .map_err(|e| err(&e))?,
            ),
            None if user.user.role == domain::access::Role::Operator => None,
            None => crate::quota::institution_status(storage, institution_id, now)
                .await
                .map_err(|e| err(&e))?
                .into_iter()
                .next(),
        };
        Ok(status.map(|s| QuotaView {
            dukcapil_user_id: Some(s.dukcapil_user_id),
            limit: s.limit,
            used: s.used,
            remaining: s.remaining,
            exhausted: s.exhausted,
            resets_at_ms: s.resets_at_ms,
        }))
    }

    pub(super) async fn earlier_verdict_for(
        &self,
        parts: &Parts,
        nik: &str,
    ) -> Result<Option<EarlierAccess>, AppError> {
        let user = authenticated(parts)?;
        let role = user.user.role;
        if !(role.allows(Permission::NikLookup) || role.allows(Permission::NikVerify)) {
            return Err(AppError::Forbidden);
        }
        let Some(institution_id) = user.user.institution_id else {
            return Err(AppError::Forbidden);
        };
        let hours = self.state.config.check.earlier_verdict_hours;
        let Some(key) = self.state.audit.as_ref().and_then(|a| a.nik.as_ref()) else {
            return Ok(None);
        };
        let now = crate::now_ms();
        let Ok(parsed) = domain::nik::Nik::parse(nik, domain::quota::wib_day(now)) else {
            return Ok(None);
        };
        if hours == 0 {
            return Ok(None);
        }
        let since = now - i64::from(hours) * 3_600_000;
        let events = self
            .state
            .storage
            .search_access_events(&AccessEventFilter {
                nik_hmac: Some(crate::audit::nik_hmac(key, &parsed)),
                institution_id: Some(institution_id),
                from_day: Some(domain::quota::wib_day(since)),
                limit: 100,
                ..AccessEventFilter::default()
            })
            .await
            .map_err(|e| internal("earlier_verdict", &e))?;
        // A verdict is an answer about the resident; refusals and access problems are not.
        Ok(events
            .into_iter()
            .filter(|e| e.at_ms >= since)
            .find(|e| {
                matches!(
                    about(e.outcome_code.as_deref().unwrap_or("")),
                    About::Success | About::Resident
                )
            })
            .map(|e| EarlierAccess {
                at_ms: e.at_ms,
                username: e.actor_username.clone(),
                kind: kind_of(&e),
                outcome: e.outcome.clone(),
                outcome_code: e.outcome_code.clone().unwrap_or_default(),
                channel: e.channel.clone().unwrap_or_default(),
                window_hours: hours,
            }))
    }

    pub(super) async fn access_problems_for(
        &self,
        parts: &Parts,
    ) -> Result<Vec<AccessProblem>, AppError> {
        let user = permitted(parts, Permission::ViewInstitutionReports)?;
        let Some(institution_id) = user.user.institution_id else {
            return Err(AppError::Forbidden);
        };
        let now = crate::now_ms();
        let events = self
            .state
            .storage
            .search_access_events(&AccessEventFilter {
                institution_id: Some(institution_id),
                from_day: Some(domain::quota::wib_day(
                    now - (PROBLEM_DAYS - 1) * 86_400_000,
                )),
                limit: 1000,
                ..AccessEventFilter::default()
            })
            .await
            .map_err(|e| internal("access_problems", &e))?;
        Ok(events
            .into_iter()
            .filter_map(|e| {
                let code = e.outcome_code.clone()?;
                (about(&code) == About::Access).then(|| AccessProblem {
                    at_ms: e.at_ms,
                    code,
                    username: e.actor_username.clone(),
                    channel: e.channel.clone().unwrap_or_default(),
                })
            })
            .take(PROBLEM_LIMIT)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_checked_before_anything_is_sent() {
        assert_eq!(
            claimed_elements(&ClaimForm::default()).unwrap_err().code(),
            "CLAIMED_REQUIRED"
        );
        let bad_date = ClaimForm {
            tanggal_lahir: "10/07/1990".into(),
            ..ClaimForm::default()
        };
        assert_eq!(
            claimed_elements(&bad_date).unwrap_err().code(),
            "CLAIM_INVALID"
        );
        let bad_sex = ClaimForm {
            jenis_kelamin: "X".into(),
            ..ClaimForm::default()
        };
        assert_eq!(
            claimed_elements(&bad_sex).unwrap_err().code(),
            "CLAIM_INVALID"
        );
        let ok = claimed_elements(&ClaimForm {
            nama_lengkap: " Sri Wahyuni ".into(),
            tanggal_lahir: "1990-07-10".into(),
            jenis_kelamin: "P".into(),
            ..ClaimForm::default()
        })
        .unwrap();
        assert_eq!(ok.nama_lengkap.as_deref(), Some("Sri Wahyuni"));
        assert_eq!(ok.jenis_kelamin, Some(Sex::Female));
        assert_eq!(ok.present().len(), 3);
    }
}
