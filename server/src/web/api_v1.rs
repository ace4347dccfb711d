//! The web-service API for BPBD's internal applications, `/api/v1` (bearer tokens of service
//! accounts, `auth::token`). JSON in (unknown fields refused, at most 16 KiB), JSON out; errors
//! `{"error":{"code","message"}}` with stable codes. Every answer carries
//! `Cache-Control: no-store` (the security-header layer), and nothing of an upstream answer is
//! kept after it is sent.
//!
//! | method | path | body | answer |
//! | --- | --- | --- | --- |
//! | POST | `/api/v1/nik/lookup` | `{nik, purpose?}` | `{result: "found", resident, multiple_records, quota, audit_id}` or `{result: "identity_result", code, message, quota, audit_id}` |
//! | POST | `/api/v1/nik/verify` | `{nik, purpose?, threshold?, claimed: {nama_lengkap?, ...}}` | `{result: "verdicts", verdicts: {element: {match, score}}, ...}` or identity result |
//! | GET | `/api/v1/quota` | | `{user_ids: [{dukcapil_user_id, day, limit, used, remaining, resets_at}]}` |
//!
//! The audited purpose is the token's purpose, followed by the request's `purpose` when given
//! (e.g. the disaster event).

use crate::auth::token::ApiCaller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::AccessChannel;
use crate::upstream::{ClaimedElements, LookupOutcome, VerifyOutcome};
use crate::verification::{self, AccessRequest, Answer, Caller, Mode, Refusal};
use crate::web::doors::{DoorRouter, Verb};
use axum::{
    Json,
    extract::{FromRequest, Request, State, rejection::JsonRejection},
};
use http::StatusCode;
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};
use tower_http::limit::RequestBodyLimitLayer;

/// Largest request body of the API.
pub const API_BODY_LIMIT: usize = 16 * 1024;

/// The `/api/v1` routes.
pub fn routes() -> DoorRouter<AppState> {
    DoorRouter::default()
        .at(Verb::Post, "/api/v1/nik/lookup", lookup)
        .at(Verb::Post, "/api/v1/nik/verify", verify)
        .at(Verb::Get, "/api/v1/quota", quota)
        .map(|r| r.layer(RequestBodyLimitLayer::new(API_BODY_LIMIT)))
}

/// A JSON body whose rejections are answered in the API's error format.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "CONTENT_TYPE_JSON_REQUIRED",
                "Kirim badan permintaan sebagai application/json.",
            )),
            Err(JsonRejection::BytesRejection(_)) => Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "BODY_TOO_LARGE",
                format!("Badan permintaan paling besar {API_BODY_LIMIT} byte."),
            )),
            Err(e) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                format!("Permintaan tidak sesuai: {}", e.body_text()),
            )),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LookupBody {
    nik: String,
    #[serde(default)]
    purpose: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    nik: String,
    #[serde(default)]
    purpose: Option<String>,
    #[serde(default)]
    threshold: Option<u8>,
    claimed: ClaimedElements,
}

fn caller(api: &ApiCaller, client: crate::auth::ClientInfo) -> Caller {
    Caller {
        account_id: api.account.id,
        username: api.account.username.clone(),
        role: api.account.role,
        institution_id: Some(api.token.institution_id),
        local_user_id: api.account.local_user_id.clone(),
        client_ip: client.ip.map(|i| i.to_string()),
        request_id: client.request_id,
    }
}

fn purpose(api: &ApiCaller, extra: Option<&str>) -> String {
    match extra.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => format!("{} — {e}", api.token.purpose),
        None => api.token.purpose.clone(),
    }
}

async fn lookup(
    State(state): State<AppState>,
    api: ApiCaller,
    client: crate::auth::ClientInfo,
    ApiJson(body): ApiJson<LookupBody>,
) -> Result<Json<Value>, ApiError> {
    let req = AccessRequest {
        caller: caller(&api, client),
        channel: AccessChannel::Api,
        purpose: purpose(&api, body.purpose.as_deref()),
        nik: body.nik,
        mode: Mode::Lookup,
    };
    answer(&state, req).await
}

async fn verify(
    State(state): State<AppState>,
    api: ApiCaller,
    client: crate::auth::ClientInfo,
    ApiJson(body): ApiJson<VerifyBody>,
) -> Result<Json<Value>, ApiError> {
    if body.claimed.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "CLAIMED_REQUIRED",
            "Isi minimal satu elemen data yang akan diverifikasi (claimed).",
        ));
    }
    if body.threshold.is_some_and(|t| t > 100) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "THRESHOLD_INVALID",
            "Ambang (threshold) 0 sampai 100.",
        ));
    }
    let req = AccessRequest {
        caller: caller(&api, client),
        channel: AccessChannel::Api,
        purpose: purpose(&api, body.purpose.as_deref()),
        nik: body.nik,
        mode: Mode::Verify {
            claimed: Box::new(body.claimed),
            threshold: body.threshold,
        },
    };
    answer(&state, req).await
}

/// Runs the service and shapes its result.
async fn answer(state: &AppState, req: AccessRequest) -> Result<Json<Value>, ApiError> {
    let served = verification::serve(state, req)
        .await
        .map_err(|e| ApiError::internal("verification", &e))?;
    let quota = served.quota.map(|q| {
        json!({
            "limit": q.limit,
            "used": q.used,
            "remaining": q.remaining,
            "resets_at": crate::quota::wib_text(q.resets_at_ms),
        })
    });
    let answer = served.result.map_err(refusal_error)?;
    let mut out = match answer {
        Answer::Lookup(LookupOutcome::Found {
            resident,
            multiple_records,
        }) => {
            json!({ "result": "found", "resident": resident, "multiple_records": multiple_records })
        }
        Answer::Verify(VerifyOutcome::Verdicts {
            verdicts,
            multiple_records,
        }) => {
            json!({ "result": "verdicts", "verdicts": verdicts, "multiple_records": multiple_records })
        }
        Answer::Lookup(LookupOutcome::IdentityResult { code })
        | Answer::Verify(VerifyOutcome::IdentityResult { code }) => json!({
            "result": "identity_result",
            "code": code.to_string(),
            "message": code_message(&code.to_string()),
        }),
        Answer::Lookup(LookupOutcome::SetupError { code })
        | Answer::Verify(VerifyOutcome::SetupError { code }) => {
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                "UPSTREAM_SETUP_ERROR",
                format!("Dukcapil menolak akses instansi (kode {code}): hubungi admin instansi."),
            ));
        }
        Answer::Lookup(LookupOutcome::Unavailable { reason, .. })
        | Answer::Verify(VerifyOutcome::Unavailable { reason, .. }) => {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "UPSTREAM_UNAVAILABLE",
                format!(
                    "Layanan Dukcapil tidak dapat dihubungi ({}); coba lagi nanti.",
                    reason.as_str()
                ),
            ));
        }
    };
    out["quota"] = quota.unwrap_or(Value::Null);
    out["audit_id"] = json!(served.audit_id);
    Ok(Json(out))
}

/// Indonesian text for an identity result code.
fn code_message(code: &str) -> String {
    domain::dukcapil::ResponseCode::parse_lenient(code)
        .map(|c| c.description().to_string())
        .unwrap_or_else(|| format!("Kode jawaban Dukcapil {code}"))
}

fn refusal_error(r: Refusal) -> ApiError {
    let status = match &r {
        Refusal::Forbidden
        | Refusal::NdaRequired
        | Refusal::AccessInactive(_)
        | Refusal::NoUserId => StatusCode::FORBIDDEN,
        Refusal::InvalidNik(_) | Refusal::PurposeRequired | Refusal::PurposeTooLong => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Refusal::Quota { .. } => StatusCode::TOO_MANY_REQUESTS,
        Refusal::UpstreamNotConfigured | Refusal::AuditUnavailable => {
            StatusCode::SERVICE_UNAVAILABLE
        }
    };
    ApiError::new(status, r.code(), r.to_string())
}

async fn quota(State(state): State<AppState>, api: ApiCaller) -> Result<Json<Value>, ApiError> {
    let statuses = crate::quota::institution_status(
        state.storage.as_ref(),
        api.token.institution_id,
        crate::now_ms(),
    )
    .await
    .map_err(|e| ApiError::internal("quota status", &e))?;
    let user_ids: Vec<Value> = statuses
        .into_iter()
        .map(|s| {
            json!({
                "dukcapil_user_id": s.dukcapil_user_id,
                "day": crate::storage::actor::day_text(s.day),
                "limit": s.limit,
                "used": s.used,
                "remaining": s.remaining,
                "exhausted": s.exhausted,
                "resets_at": crate::quota::wib_text(s.resets_at_ms),
            })
        })
        .collect();
    Ok(Json(json!({ "user_ids": user_ids })))
}
