//! The one verification service every door uses (portal, web-service API, card reader, later
//! batch): "verify and forget".
//!
//! ```text
//! caller ─► permission ─► Nik::parse (invalid: refused, no hit) ─► purpose ─► NDA (people)
//!        ─► institution access state (agreement in force, SPTJM) ─► active Dukcapil user ID
//!        ─► quota::reserve_grouped (atomic) ─► upstream call
//!        ─► settlement + audit entry, one group write (hash chain; NIK as HMAC + mask;
//!           outcome; quota; latency; see crate::group_commit)
//!        ─► answer (lives only in this call's memory; the door sends it with no-store)
//! ```
//!
//! Every attempt, granted or refused, writes exactly one access entry; a refusal before the
//! reservation spends no quota hit. Nothing of the upstream answer is stored or logged: the
//! audit entry holds codes, the NIK's keyed digest and its masked form only.

use crate::audit::ProtectedNik;
use crate::quota::{self, QuotaRefusal, Settlement};
use crate::state::AppState;
use crate::storage::{
    AccessChannel, AccessKind, AuditOutcome, BatchSettle, NewAccessEvent, StorageError,
};
use crate::upstream::{ClaimedElements, LookupOutcome, NoClient, VerifyOutcome};
use domain::access::{Permission, Role};
use domain::nik::Nik;
use std::time::Instant;

/// Longest purpose (keperluan) text.
pub const MAX_PURPOSE_CHARS: usize = 200;

/// Who asks: a signed-in operator or a web-service token's service account.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: i64,
    pub username: String,
    pub role: Role,
    pub institution_id: Option<i64>,
    pub local_user_id: Option<String>,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
}

/// What is asked.
#[derive(Debug, Clone)]
pub enum Mode {
    /// CALL_NIK: the nine elements.
    Lookup,
    /// CALL_VERIFY_BY_ELEMEN: claimed elements in, a verdict per element out.
    Verify {
        claimed: Box<ClaimedElements>,
        /// 0..=100; `None`: the configured default.
        threshold: Option<u8>,
    },
}

impl Mode {
    fn kind(&self) -> AccessKind {
        match self {
            Mode::Lookup => AccessKind::Lookup,
            Mode::Verify { .. } => AccessKind::Verify,
        }
    }
}

/// One request to the service.
#[derive(Debug, Clone)]
pub struct AccessRequest {
    pub caller: Caller,
    pub channel: AccessChannel,
    /// The NIK as typed (separators allowed).
    pub nik: String,
    pub purpose: String,
    pub mode: Mode,
}

/// Why the service refused before (or instead of) asking the upstream. Each has a stable code
/// and an Indonesian message; none spent a quota hit except `Upstream*`, which are answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Peran akun ini tidak boleh mengakses data kependudukan.")]
    Forbidden,
    #[error("NIK tidak valid: {0}")]
    InvalidNik(String),
    #[error("Keperluan (mis. kejadian bencana) wajib diisi.")]
    PurposeRequired,
    #[error("Keperluan paling banyak 200 karakter.")]
    PurposeTooLong,
    #[error("Pernyataan kerahasiaan (NDA) versi terbaru belum disetujui.")]
    NdaRequired,
    #[error("Akses instansi tidak aktif ({0}).")]
    AccessInactive(&'static str),
    #[error("Akun ini tidak terhubung dengan ID pengguna Dukcapil yang aktif.")]
    NoUserId,
    #[error("{message}")]
    Quota {
        code: &'static str,
        message: String,
        resets_at_ms: Option<i64>,
    },
    #[error("Layanan Dukcapil belum dikonfigurasi di server ini.")]
    UpstreamNotConfigured,
    #[error("Jejak audit tidak tersedia (kunci NIK belum dikonfigurasi): akses ditolak.")]
    AuditUnavailable,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Forbidden => "FORBIDDEN",
            Refusal::InvalidNik(_) => "INVALID_NIK",
            Refusal::PurposeRequired => "PURPOSE_REQUIRED",
            Refusal::PurposeTooLong => "PURPOSE_TOO_LONG",
            Refusal::NdaRequired => "NDA_REQUIRED",
            Refusal::AccessInactive(code) => code,
            Refusal::NoUserId => "USER_ID_NOT_ACTIVE",
            Refusal::Quota { code, .. } => code,
            Refusal::UpstreamNotConfigured => "UPSTREAM_NOT_CONFIGURED",
            Refusal::AuditUnavailable => "AUDIT_UNAVAILABLE",
        }
    }
}

/// The upstream's answer, for this request only.
#[derive(Debug, Clone)]
pub enum Answer {
    Lookup(LookupOutcome),
    Verify(VerifyOutcome),
}

impl Answer {
    /// The code the audit entry records: the upstream response code, or the reason there is
    /// none (`UNAVAILABLE_<reason>`).
    fn outcome_code(&self) -> String {
        let (code, unavailable) = match self {
            Answer::Lookup(o) => (
                o.code(),
                match o {
                    LookupOutcome::Unavailable { reason, .. } => Some(reason.as_str()),
                    _ => None,
                },
            ),
            Answer::Verify(o) => (
                o.code(),
                match o {
                    VerifyOutcome::Unavailable { reason, .. } => Some(reason.as_str()),
                    _ => None,
                },
            ),
        };
        match (code, unavailable) {
            (Some(c), _) => c.to_string(),
            (None, Some(reason)) => format!("UNAVAILABLE_{}", reason.to_ascii_uppercase()),
            (None, None) => "UNAVAILABLE".to_string(),
        }
    }

    fn success(&self) -> bool {
        matches!(
            self,
            Answer::Lookup(LookupOutcome::Found { .. })
                | Answer::Verify(VerifyOutcome::Verdicts { .. })
        )
    }
}

/// The quota after the attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct QuotaAfter {
    pub limit: i64,
    pub used: i64,
    pub remaining: i64,
    pub resets_at_ms: i64,
}

/// What the service returns: the answer or the refusal, the quota after, the audit entry id.
#[derive(Debug)]
pub struct Served {
    pub result: Result<Answer, Refusal>,
    pub quota: Option<QuotaAfter>,
    pub audit_id: i64,
}

/// A failure of SIGAP itself (database, audit): the attempt is not served.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
}

/// What a door adds to the access entry beyond the request itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessExtra {
    /// Card-reader channel: the fingerprint verdict the reader reported (`matched`,
    /// `not_matched`, `not_performed`); recorded in the entry, never checked here.
    pub fingerprint: Option<String>,
}

/// Runs one access attempt through the whole pipeline.
pub async fn serve(state: &AppState, req: AccessRequest) -> Result<Served, ServiceError> {
    serve_with(state, req, AccessExtra::default()).await
}

/// [`serve`] with what the door adds to the access entry (the card reader's fingerprint
/// verdict).
pub async fn serve_with(
    state: &AppState,
    req: AccessRequest,
    extra: AccessExtra,
) -> Result<Served, ServiceError> {
    let started = Instant::now();
    let now_ms = crate::now_ms();
    let Some(key) = state.audit.as_ref().and_then(|a| a.nik.as_ref()) else {
        // Without the NIK key no entry can be written: nothing is served.
        return Ok(Served {
            result: Err(Refusal::AuditUnavailable),
            quota: None,
            audit_id: 0,
        });
    };
    let kind = req.mode.kind();
    let today = domain::quota::wib_day(now_ms);
    // Parsed once: the audit fields and the pipeline use the same result.
    let parsed = Nik::parse(&req.nik, today);
    let protected = match &parsed {
        Ok(nik) => ProtectedNik::of(key, nik),
        Err(_) => ProtectedNik::of_input(key, &req.nik),
    };
    let mut entry = Entry {
        req: &req,
        kind,
        protected,
        dukcapil_user_id: None,
        quota_state: None,
        now_ms,
        fingerprint: extra.fingerprint,
    };
    let outcome = pipeline(state, &req, parsed, &mut entry).await;
    let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    match outcome {
        Err(e) => Err(e),
        Ok((result, quota, settle)) => {
            let (outcome, code) = match &result {
                Ok(answer) => (
                    if answer.success() {
                        AuditOutcome::Success
                    } else {
                        AuditOutcome::Failure
                    },
                    answer.outcome_code(),
                ),
                Err(refusal) => (AuditOutcome::Refused, refusal.code().to_string()),
            };
            if let Some(q) = &quota {
                entry.quota_state = Some(format!("{}/{}", q.used, q.limit));
            }
            // The settlement (if a hit was reserved) and the entry go in one group write,
            // queued before the first await: a cancelled request cannot lose either.
            let (appended, settled) = state
                .writer
                .finish(settle, entry.event(outcome, code, latency_ms))
                .await?;
            if !settled {
                tracing::error!(
                    audit_id = appended.id,
                    "quota settlement found no reserved hit for this access entry"
                );
            }
            let audit_id = appended.id;
            Ok(Served {
                result,
                quota,
                audit_id,
            })
        }
    }
}

/// What the audit entry needs, filled as the pipeline goes.
struct Entry<'a> {
    req: &'a AccessRequest,
    kind: AccessKind,
    protected: ProtectedNik,
    dukcapil_user_id: Option<String>,
    quota_state: Option<String>,
    now_ms: i64,
    fingerprint: Option<String>,
}

impl Entry<'_> {
    fn event(
        &self,
        outcome: AuditOutcome,
        outcome_code: String,
        latency_ms: i64,
    ) -> NewAccessEvent {
        let c = &self.req.caller;
        NewAccessEvent {
            at_ms: self.now_ms,
            kind: self.kind,
            outcome,
            outcome_code,
            channel: self.req.channel,
            institution_id: c.institution_id,
            actor_account_id: Some(c.account_id),
            actor_username: Some(c.username.clone()),
            local_user_id: c.local_user_id.clone(),
            dukcapil_user_id: self.dukcapil_user_id.clone(),
            purpose: Some(
                self.req
                    .purpose
                    .trim()
                    .chars()
                    .take(MAX_PURPOSE_CHARS)
                    .collect(),
            )
            .filter(|p: &String| !p.is_empty()),
            nik_hmac: self.protected.hmac.clone(),
            nik_masked: self.protected.masked.clone(),
            quota_state: self.quota_state.clone(),
            latency_ms: Some(latency_ms),
            client_ip: c.client_ip.clone(),
            request_id: c.request_id.clone(),
            fingerprint: self.fingerprint.clone(),
        }
    }
}

/// The result, the quota after it, and the reserved hit's settlement still to write.
type PipelineResult = Result<
    (
        Result<Answer, Refusal>,
        Option<QuotaAfter>,
        Option<BatchSettle>,
    ),
    ServiceError,
>;

async fn pipeline(
    state: &AppState,
    req: &AccessRequest,
    parsed: Result<Nik, domain::nik::NikError>,
    entry: &mut Entry<'_>,
) -> PipelineResult {
    let refused = |r: Refusal| Ok((Err(r), None, None));
    let c = &req.caller;
    let permission = match req.mode {
        Mode::Lookup => Permission::NikLookup,
        Mode::Verify { .. } => Permission::NikVerify,
    };
    if !c.role.allows(permission) {
        return refused(Refusal::Forbidden);
    }
    let Some(institution_id) = c.institution_id else {
        return refused(Refusal::Forbidden);
    };
    let nik = match parsed {
        Ok(nik) => nik,
        Err(e) => return refused(Refusal::InvalidNik(e.to_string())),
    };
    let purpose = req.purpose.trim();
    if purpose.is_empty() {
        return refused(Refusal::PurposeRequired);
    }
    if purpose.chars().count() > MAX_PURPOSE_CHARS {
        return refused(Refusal::PurposeTooLong);
    }
    let storage = &state.storage;
    if c.role != Role::Service && !storage.nda_status(c.account_id).await?.satisfied() {
        return refused(Refusal::NdaRequired);
    }
    let today = domain::quota::wib_day(entry.now_ms);
    // Read once: the access state here, the agreement's daily quota at the reservation.
    let reads = &state.reads;
    let agreements = reads.agreements(institution_id).await?;
    let terms: Vec<_> = agreements
        .iter()
        .map(crate::storage::Agreement::terms)
        .collect();
    let access = domain::agreement::access_state(&terms, today);
    if let Some(code) = access.reason_code() {
        return refused(Refusal::AccessInactive(code));
    }
    let Some(local) = c.local_user_id.as_deref() else {
        return refused(Refusal::NoUserId);
    };
    let user_id = match reads.live_dukcapil_user_id(institution_id, local).await? {
        Some(u) if u.status == domain::identity::UserIdStatus::Active => u,
        _ => return refused(Refusal::NoUserId),
    };
    let Some(dukcapil_user_id) = user_id.dukcapil_user_id.clone() else {
        return refused(Refusal::NoUserId);
    };
    entry.dukcapil_user_id = Some(dukcapil_user_id.clone());
    let client = match state
        .user_id_clients
        .client_for(
            reads,
            state.secrets.as_deref(),
            &state.config.upstream,
            state.upstream.as_ref(),
            &user_id,
        )
        .await
    {
        Ok(client) => client,
        Err(NoClient::Storage(e)) => return Err(e.into()),
        Err(NoClient::NotConfigured | NoClient::CredentialUnreadable) => {
            return refused(Refusal::UpstreamNotConfigured);
        }
    };
    let reservation = match quota::reserve_grouped(
        &state.writer,
        reads,
        &dukcapil_user_id,
        c.account_id,
        entry.now_ms,
        Some((institution_id, &agreements)),
    )
    .await
    {
        Ok(r) => r,
        Err(QuotaRefusal::Storage(e)) => return Err(e.into()),
        Err(refusal) => {
            let resets = refusal.resets_at_ms();
            return refused(Refusal::Quota {
                code: refusal.code(),
                message: refusal.to_string(),
                resets_at_ms: resets,
            });
        }
    };
    let (answer, settlement) = match &req.mode {
        Mode::Lookup => {
            let o = client.call_nik(&nik).await;
            let s = Settlement::for_lookup(&o);
            (Answer::Lookup(o), s)
        }
        Mode::Verify { claimed, threshold } => {
            let t = threshold.unwrap_or_else(|| client.default_threshold());
            let o = client.verify(&nik, claimed, t).await;
            let s = Settlement::for_verify(&o);
            (Answer::Verify(o), s)
        }
    };
    let refunded = matches!(settlement, Settlement::Refund);
    let limit = reservation.limit();
    let used = reservation.used() - i64::from(refunded);
    let resets_at_ms = domain::quota::resets_at_ms(entry.now_ms);
    let settle = reservation.into_batch_settle(settlement, crate::now_ms());
    let quota = QuotaAfter {
        limit,
        used,
        remaining: (limit - used).max(0),
        resets_at_ms,
    };
    Ok((Ok(answer), Some(quota), Some(settle)))
}
