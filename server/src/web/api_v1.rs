//! The web-service API for BPBD's internal applications, `/api/v1` (bearer tokens of service
//! accounts, `auth::token`). JSON in (unknown fields refused with their name, at most 16 KiB),
//! JSON out; errors `{"error":{"code","message"}}` with the stable codes of
//! `web::api_errors::ApiCode`. Every answer carries `Cache-Control: no-store` (the
//! security-header layer), and nothing of an upstream answer is kept after it is sent.
//!
//! The routes are the table [`ROUTES`]: the router registers exactly these constants and the
//! OpenAPI document (`web::openapi`, `GET /api/v1/openapi.json`) is generated from them, with
//! the request and answer schemas of the types below ([`ApiSchema`]). Walkthrough: docs/API.md.
//!
//! The audited purpose is the token's purpose, followed by the request's `purpose` when given
//! (e.g. the disaster event); a token without a purpose needs one in every request.

use crate::auth::token::ApiCaller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::AccessChannel;
use crate::upstream::{
    Alamat, ClaimedElements, Element, LookupOutcome, Resident, Verdict, VerifyOutcome, Wilayah,
};
use crate::verification::{self, AccessRequest, Answer, Caller, Mode, Refusal};
use crate::web::api_errors::ApiCode;
use crate::web::doors::{DoorRouter, Verb};
use crate::web::openapi::{self, ApiSchema, Components, SchemaRef, object, reference, text};
use axum::{
    Json,
    extract::{FromRequest, Request, State, rejection::JsonRejection},
};
use domain::access::Permission;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use tower_http::limit::RequestBodyLimitLayer;

/// Largest request body of the API.
pub const API_BODY_LIMIT: usize = 16 * 1024;

/// One route of the API, as documented.
pub struct ApiRoute {
    pub verb: Verb,
    pub path: &'static str,
    /// The permission the token's service account needs; `None`: public, no token.
    pub permission: Option<Permission>,
    pub operation_id: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    pub request: Option<SchemaRef>,
    pub answer: SchemaRef,
    /// The error codes it can answer with, in groups.
    pub error_groups: &'static [&'static [ApiCode]],
}

impl ApiRoute {
    /// Every error code of the route, once each.
    pub fn errors(&self) -> Vec<ApiCode> {
        let mut all: Vec<ApiCode> = self
            .error_groups
            .iter()
            .flat_map(|g| g.iter().copied())
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

/// A bearer token's refusals (`auth::token::authenticate`).
pub const TOKEN_ERRORS: &[ApiCode] = &[
    ApiCode::TokenRequired,
    ApiCode::TokenInvalid,
    ApiCode::TokenExpired,
    ApiCode::TokenRevoked,
    ApiCode::TokenAccountInactive,
];

/// A JSON body's refusals ([`ApiJson`]).
pub const BODY_ERRORS: &[ApiCode] = &[
    ApiCode::ContentTypeJsonRequired,
    ApiCode::BodyTooLarge,
    ApiCode::MalformedJson,
    ApiCode::UnknownField,
    ApiCode::InvalidRequest,
];

/// The verification service's refusals ([`refusal_code`]) and the upstream's failures.
pub const SERVICE_ERRORS: &[ApiCode] = &[
    ApiCode::InvalidNik,
    ApiCode::PurposeRequired,
    ApiCode::PurposeTooLong,
    ApiCode::Forbidden,
    ApiCode::NoAgreement,
    ApiCode::AgreementDraft,
    ApiCode::AgreementSuspended,
    ApiCode::AgreementTerminated,
    ApiCode::AgreementNotStarted,
    ApiCode::AgreementExpired,
    ApiCode::SptjmMissing,
    ApiCode::NdaRequired,
    ApiCode::UserIdNotActive,
    ApiCode::UserIdUnknown,
    ApiCode::QuotaExhausted,
    ApiCode::OperatorQuotaExhausted,
    ApiCode::UpstreamNotConfigured,
    ApiCode::AuditUnavailable,
    ApiCode::UpstreamSetupError,
    ApiCode::UpstreamUnavailable,
];

/// Checks of the verify body before the service.
pub const VERIFY_ERRORS: &[ApiCode] = &[ApiCode::ClaimedRequired, ApiCode::ThresholdInvalid];

/// Any route: a failure of SIGAP itself.
pub const INTERNAL_ERRORS: &[ApiCode] = &[ApiCode::Internal];

/// `POST /api/v1/nik/lookup`.
pub const LOOKUP: ApiRoute = ApiRoute {
    verb: Verb::Post,
    path: "/api/v1/nik/lookup",
    permission: Some(Permission::NikLookup),
    operation_id: "nikLookup",
    summary: "Cari penduduk berdasarkan NIK (CALL_NIK)",
    description: "Sembilan elemen data (No KK, NIK, nama lengkap, jenis kelamin, tempat dan \
        tanggal lahir, status perkawinan, pekerjaan, alamat) atau kode jawaban Dukcapil \
        tentang NIK itu. Memakai satu hit kuota harian; setiap percobaan tercatat di jejak \
        audit (NIK sebagai HMAC dan bentuk tersamar).",
    request: Some(openapi::schema_ref::<LookupBody>()),
    answer: openapi::schema_ref::<NikAnswer>(),
    error_groups: &[TOKEN_ERRORS, BODY_ERRORS, SERVICE_ERRORS, INTERNAL_ERRORS],
};

/// `POST /api/v1/nik/verify`.
pub const VERIFY: ApiRoute = ApiRoute {
    verb: Verb::Post,
    path: "/api/v1/nik/verify",
    permission: Some(Permission::NikVerify),
    operation_id: "nikVerify",
    summary: "Verifikasi elemen data yang diakui (CALL_VERIFY_BY_ELEMEN)",
    description: "Putusan per elemen (sesuai / tidak sesuai, dengan skor untuk elemen teks) \
        atau kode jawaban Dukcapil. Memakai satu hit kuota harian; tercatat di jejak audit.",
    request: Some(openapi::schema_ref::<VerifyBody>()),
    answer: openapi::schema_ref::<NikAnswer>(),
    error_groups: &[
        TOKEN_ERRORS,
        BODY_ERRORS,
        VERIFY_ERRORS,
        SERVICE_ERRORS,
        INTERNAL_ERRORS,
    ],
};

/// `GET /api/v1/quota`.
pub const QUOTA: ApiRoute = ApiRoute {
    verb: Verb::Get,
    path: "/api/v1/quota",
    permission: Some(Permission::ViewOwnQuota),
    operation_id: "quota",
    summary: "Kuota harian instansi",
    description: "Batas, pemakaian dan sisa kuota hari ini (WIB) per ID pengguna Dukcapil \
        aktif milik instansi token. Tidak memakai kuota.",
    request: None,
    answer: openapi::schema_ref::<QuotaAnswer>(),
    error_groups: &[TOKEN_ERRORS, &[ApiCode::Forbidden], INTERNAL_ERRORS],
};

/// `GET /api/v1/openapi.json`.
pub const OPENAPI: ApiRoute = ApiRoute {
    verb: Verb::Get,
    path: "/api/v1/openapi.json",
    permission: None,
    operation_id: "openapi",
    summary: "Dokumen OpenAPI 3.1 ini",
    description: "Publik, tanpa token.",
    request: None,
    answer: openapi::schema_ref::<OpenApiDocument>(),
    error_groups: &[],
};

/// Every route of the API; the router serves exactly these.
pub const ROUTES: &[ApiRoute] = &[LOOKUP, VERIFY, QUOTA, OPENAPI];

/// The `/api/v1` routes.
pub fn routes() -> DoorRouter<AppState> {
    DoorRouter::default()
        .at(LOOKUP.verb, LOOKUP.path, lookup)
        .at(VERIFY.verb, VERIFY.path, verify)
        .at(QUOTA.verb, QUOTA.path, quota)
        .at(OPENAPI.verb, OPENAPI.path, openapi::openapi_json)
        .map(|r| r.layer(RequestBodyLimitLayer::new(API_BODY_LIMIT)))
}

/// A JSON body whose rejections are answered in the API's error format.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(body_error(&e)),
        }
    }
}

/// The API error of a refused JSON body.
fn body_error(e: &JsonRejection) -> ApiError {
    match e {
        JsonRejection::MissingJsonContentType(_) => ApiCode::ContentTypeJsonRequired
            .error("Kirim badan permintaan sebagai application/json."),
        JsonRejection::BytesRejection(_) => ApiCode::BodyTooLarge.error(format!(
            "Badan permintaan paling besar {API_BODY_LIMIT} byte."
        )),
        JsonRejection::JsonSyntaxError(_) => {
            ApiCode::MalformedJson.error("Badan permintaan bukan JSON yang sah.")
        }
        other => {
            let detail = other.body_text();
            match unknown_field(&detail) {
                Some(field) => ApiCode::UnknownField.error(format!(
                    "Kolom tidak dikenal: `{field}`. Lihat /api/v1/openapi.json."
                )),
                None => ApiCode::InvalidRequest.error(format!(
                    "Permintaan tidak sesuai: {}",
                    detail
                        .split_once(": ")
                        .map_or(detail.as_str(), |(_, rest)| rest)
                )),
            }
        }
    }
}

/// The field serde named in "unknown field `x`, expected ...".
fn unknown_field(detail: &str) -> Option<&str> {
    let rest = detail.split_once("unknown field `")?.1;
    Some(rest.split_once('`')?.0)
}

/// `POST /api/v1/nik/lookup` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupBody {
    nik: String,
    #[serde(default)]
    purpose: Option<String>,
}

fn nik_schema() -> Value {
    json!({ "type": "string", "description": "16 digit; spasi, titik dan tanda hubung diabaikan.",
            "examples": ["3313012345670001"] })
}

fn purpose_schema() -> Value {
    json!({ "type": ["string", "null"], "maxLength": verification::MAX_PURPOSE_CHARS,
            "description": "Keperluan permintaan ini (mis. kejadian bencana), ditambahkan ke \
                keperluan token di jejak audit. Wajib bila token tidak punya keperluan." })
}

impl ApiSchema for LookupBody {
    const NAME: &'static str = "LookupRequest";
    fn schema() -> Value {
        object(
            "Permintaan pencarian NIK.",
            &[
                ("nik", nik_schema(), true),
                ("purpose", purpose_schema(), false),
            ],
        )
    }
}

/// `POST /api/v1/nik/verify` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    nik: String,
    #[serde(default)]
    purpose: Option<String>,
    #[serde(default)]
    threshold: Option<u8>,
    claimed: ClaimedElements,
}

impl ApiSchema for VerifyBody {
    const NAME: &'static str = "VerifyRequest";
    fn schema() -> Value {
        object(
            "Permintaan verifikasi elemen.",
            &[
                ("nik", nik_schema(), true),
                ("purpose", purpose_schema(), false),
                (
                    "threshold",
                    json!({ "type": ["integer", "null"], "minimum": 0, "maximum": 100,
                            "description": "Skor minimal untuk \"sesuai\" pada elemen teks; \
                                bawaan: setelan server." }),
                    false,
                ),
                ("claimed", reference::<ClaimedElements>(), true),
            ],
        )
    }
    fn register_dependencies(out: &mut Components) {
        ClaimedElements::register(out);
    }
}

impl ApiSchema for ClaimedElements {
    const NAME: &'static str = "ClaimedElements";
    fn schema() -> Value {
        let props: Vec<(&str, Value, bool)> = Element::CLAIMABLE
            .iter()
            .map(|e| {
                let schema = match e {
                    Element::TanggalLahir => {
                        json!({ "type": ["string", "null"], "format": "date" })
                    }
                    Element::JenisKelamin => {
                        json!({ "type": ["string", "null"], "enum": ["L", "P", null] })
                    }
                    _ => json!({ "type": ["string", "null"] }),
                };
                (e.as_str(), schema, false)
            })
            .collect();
        object("Elemen yang diakui; minimal satu diisi.", &props)
    }
}

/// The quota after an attempt.
#[derive(Serialize)]
pub struct QuotaView {
    pub limit: i64,
    pub used: i64,
    pub remaining: i64,
    /// `dd-mm-yyyy HH:MM WIB` when a new day's quota starts.
    pub resets_at: String,
}

impl ApiSchema for QuotaView {
    const NAME: &'static str = "QuotaAfter";
    fn schema() -> Value {
        object(
            "Kuota ID pengguna Dukcapil sesudah permintaan ini.",
            &[
                ("limit", json!({ "type": "integer" }), true),
                ("used", json!({ "type": "integer" }), true),
                ("remaining", json!({ "type": "integer" }), true),
                (
                    "resets_at",
                    text("Kuota baru berlaku, `dd-mm-yyyy HH:MM WIB`."),
                    true,
                ),
            ],
        )
    }
}

/// The answer of look-up and verify.
#[derive(Serialize)]
pub struct NikAnswer {
    /// `found`, `verdicts` or `identity_result`.
    pub result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resident: Option<Box<Resident>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdicts: Option<BTreeMap<Element, Verdict>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multiple_records: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub quota: Option<QuotaView>,
    pub audit_id: i64,
}

impl ApiSchema for NikAnswer {
    const NAME: &'static str = "NikAnswer";
    fn schema() -> Value {
        object(
            "Jawaban: `found` (pencarian: `resident`), `verdicts` (verifikasi: `verdicts`) atau \
             `identity_result` (kode Dukcapil tentang NIK itu, mis. 11 NIK tidak ditemukan).",
            &[
                (
                    "result",
                    json!({ "type": "string", "enum": ["found", "verdicts", "identity_result"] }),
                    true,
                ),
                ("resident", reference::<Resident>(), false),
                (
                    "verdicts",
                    json!({
                        "type": "object",
                        "description": "Putusan per elemen yang diakui.",
                        "propertyNames": { "enum":
                            Element::ALL.iter().map(|e| e.as_str()).collect::<Vec<_>>() },
                        "additionalProperties": reference::<Verdict>(),
                    }),
                    false,
                ),
                (
                    "multiple_records",
                    json!({ "type": "boolean",
                            "description": "Kode 12: lebih dari satu rekaman untuk NIK ini." }),
                    false,
                ),
                (
                    "code",
                    text("Kode jawaban Dukcapil (identity_result)."),
                    false,
                ),
                ("message", text("Arti kode itu."), false),
                (
                    "quota",
                    json!({ "oneOf": [reference::<QuotaView>(), { "type": "null" }] }),
                    true,
                ),
                (
                    "audit_id",
                    json!({ "type": "integer", "description": "Nomor entri jejak audit." }),
                    true,
                ),
            ],
        )
    }
    fn register_dependencies(out: &mut Components) {
        Resident::register(out);
        Verdict::register(out);
        QuotaView::register(out);
    }
}

impl ApiSchema for Resident {
    const NAME: &'static str = "Resident";
    fn schema() -> Value {
        let s = || json!({ "type": "string" });
        object(
            "Sembilan elemen yang diizinkan PKS; tidak ada yang lain.",
            &[
                ("no_kk", s(), true),
                ("nik", s(), true),
                ("nama_lengkap", s(), true),
                (
                    "jenis_kelamin",
                    json!({ "type": ["string", "null"], "enum": ["L", "P", null] }),
                    true,
                ),
                ("tempat_lahir", s(), true),
                (
                    "tanggal_lahir",
                    json!({ "type": ["string", "null"], "format": "date" }),
                    true,
                ),
                ("status_perkawinan", s(), true),
                ("jenis_pekerjaan", s(), true),
                ("alamat", reference::<Alamat>(), true),
            ],
        )
    }
    fn register_dependencies(out: &mut Components) {
        Alamat::register(out);
    }
}

impl ApiSchema for Alamat {
    const NAME: &'static str = "Alamat";
    fn schema() -> Value {
        let s = || json!({ "type": "string" });
        object(
            "Alamat sekarang.",
            &[
                ("alamat", s(), true),
                ("rt", s(), true),
                ("rw", s(), true),
                ("kelurahan", reference::<Wilayah>(), true),
                ("kecamatan", reference::<Wilayah>(), true),
                ("kabupaten", reference::<Wilayah>(), true),
                ("provinsi", reference::<Wilayah>(), true),
            ],
        )
    }
    fn register_dependencies(out: &mut Components) {
        Wilayah::register(out);
    }
}

impl ApiSchema for Wilayah {
    const NAME: &'static str = "Wilayah";
    fn schema() -> Value {
        object(
            "Wilayah administrasi.",
            &[
                ("kode", json!({ "type": "string" }), true),
                ("nama", json!({ "type": "string" }), true),
            ],
        )
    }
}

impl ApiSchema for Verdict {
    const NAME: &'static str = "Verdict";
    fn schema() -> Value {
        object(
            "Putusan satu elemen.",
            &[
                (
                    "verdict",
                    json!({ "type": "string", "enum": ["sesuai", "tidak_sesuai"] }),
                    true,
                ),
                (
                    "score",
                    json!({ "type": ["integer", "null"], "minimum": 0, "maximum": 100 }),
                    true,
                ),
            ],
        )
    }
}

/// One Dukcapil user ID's quota today.
#[derive(Serialize)]
pub struct UserIdQuota {
    pub dukcapil_user_id: String,
    /// `yyyy-mm-dd` (WIB).
    pub day: String,
    pub limit: i64,
    pub used: i64,
    pub remaining: i64,
    pub exhausted: bool,
    pub resets_at: String,
}

/// `GET /api/v1/quota` answer.
#[derive(Serialize)]
pub struct QuotaAnswer {
    pub user_ids: Vec<UserIdQuota>,
}

impl ApiSchema for QuotaAnswer {
    const NAME: &'static str = "QuotaAnswer";
    fn schema() -> Value {
        let int = || json!({ "type": "integer" });
        object(
            "Kuota hari ini per ID pengguna Dukcapil aktif instansi.",
            &[(
                "user_ids",
                json!({ "type": "array", "items": object("", &[
                    ("dukcapil_user_id", text("ID pengguna Dukcapil."), true),
                    ("day", json!({ "type": "string", "format": "date",
                                    "description": "Hari (WIB)." }), true),
                    ("limit", int(), true),
                    ("used", int(), true),
                    ("remaining", int(), true),
                    ("exhausted", json!({ "type": "boolean" }), true),
                    ("resets_at", text("Kuota baru berlaku, `dd-mm-yyyy HH:MM WIB`."), true),
                ]) }),
                true,
            )],
        )
    }
}

/// The OpenAPI document itself (described loosely).
pub struct OpenApiDocument;

impl ApiSchema for OpenApiDocument {
    const NAME: &'static str = "OpenApiDocument";
    fn schema() -> Value {
        json!({ "type": "object", "description": "Dokumen OpenAPI 3.1." })
    }
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
    let extra = extra.map(str::trim).filter(|e| !e.is_empty());
    let own = api.token.purpose.trim();
    match extra {
        Some(e) if own.is_empty() => e.to_string(),
        Some(e) => format!("{own} — {e}"),
        None => own.to_string(),
    }
}

async fn lookup(
    State(state): State<AppState>,
    api: ApiCaller,
    client: crate::auth::ClientInfo,
    ApiJson(body): ApiJson<LookupBody>,
) -> Result<Json<NikAnswer>, ApiError> {
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
) -> Result<Json<NikAnswer>, ApiError> {
    if body.claimed.is_empty() {
        return Err(ApiCode::ClaimedRequired
            .error("Isi minimal satu elemen data yang akan diverifikasi (claimed)."));
    }
    if body.threshold.is_some_and(|t| t > 100) {
        return Err(ApiCode::ThresholdInvalid.error("Ambang (threshold) 0 sampai 100."));
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
async fn answer(state: &AppState, req: AccessRequest) -> Result<Json<NikAnswer>, ApiError> {
    let served = verification::serve(state, req)
        .await
        .map_err(|e| ApiError::internal("verification", &e))?;
    let quota = served.quota.map(|q| QuotaView {
        limit: q.limit,
        used: q.used,
        remaining: q.remaining,
        resets_at: crate::quota::wib_text(q.resets_at_ms),
    });
    let answer = served.result.map_err(refusal_error)?;
    let mut out = NikAnswer {
        result: "found",
        resident: None,
        verdicts: None,
        multiple_records: None,
        code: None,
        message: None,
        quota,
        audit_id: served.audit_id,
    };
    match answer {
        Answer::Lookup(LookupOutcome::Found {
            resident,
            multiple_records,
        }) => {
            out.resident = Some(resident);
            out.multiple_records = Some(multiple_records);
        }
        Answer::Verify(VerifyOutcome::Verdicts {
            verdicts,
            multiple_records,
        }) => {
            out.result = "verdicts";
            out.verdicts = Some(verdicts);
            out.multiple_records = Some(multiple_records);
        }
        Answer::Lookup(LookupOutcome::IdentityResult { code })
        | Answer::Verify(VerifyOutcome::IdentityResult { code }) => {
            out.result = "identity_result";
            out.message = Some(code_message(&code.to_string()));
            out.code = Some(code.to_string());
        }
        Answer::Lookup(LookupOutcome::SetupError { code })
        | Answer::Verify(VerifyOutcome::SetupError { code }) => {
            return Err(ApiCode::UpstreamSetupError.error(format!(
                "Dukcapil menolak akses instansi (kode {code}): hubungi admin instansi."
            )));
        }
        Answer::Lookup(LookupOutcome::Unavailable { reason, .. })
        | Answer::Verify(VerifyOutcome::Unavailable { reason, .. }) => {
            return Err(ApiCode::UpstreamUnavailable.error(format!(
                "Layanan Dukcapil tidak dapat dihubungi ({}); coba lagi nanti.",
                reason.as_str()
            )));
        }
    }
    Ok(Json(out))
}

/// Indonesian text for an identity result code.
fn code_message(code: &str) -> String {
    domain::dukcapil::ResponseCode::parse_lenient(code)
        .map(|c| c.description().to_string())
        .unwrap_or_else(|| format!("Kode jawaban Dukcapil {code}"))
}

/// The API code of a refusal of the verification service.
pub fn refusal_code(r: &Refusal) -> Option<ApiCode> {
    ApiCode::parse(r.code())
}

fn refusal_error(r: Refusal) -> ApiError {
    match refusal_code(&r) {
        Some(code) => code.error(r.to_string()),
        None => ApiError::internal("unmapped refusal code", &r.code()),
    }
}

async fn quota(
    State(state): State<AppState>,
    api: ApiCaller,
) -> Result<Json<QuotaAnswer>, ApiError> {
    if !api.account.role.allows(Permission::ViewOwnQuota) {
        return Err(ApiCode::Forbidden.error("Peran akun ini tidak boleh melihat kuota."));
    }
    let statuses = crate::quota::institution_status(
        state.storage.as_ref(),
        api.token.institution_id,
        crate::now_ms(),
    )
    .await
    .map_err(|e| ApiError::internal("quota status", &e))?;
    let user_ids = statuses
        .into_iter()
        .map(|s| UserIdQuota {
            dukcapil_user_id: s.dukcapil_user_id,
            day: crate::storage::actor::day_text(s.day),
            limit: s.limit,
            used: s.used,
            remaining: s.remaining,
            exhausted: s.exhausted,
            resets_at: crate::quota::wib_text(s.resets_at_ms),
        })
        .collect();
    Ok(Json(QuotaAnswer { user_ids }))
}

/// Answers under `/api/v1/` that axum or tower-http made without a body in our format (an
/// unknown path 404, a wrong method 405, a body over a limit 413 before it was read) get the
/// API's JSON error body, so every API answer is JSON with a stable code.
pub async fn plain_errors_as_json(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let is_api = req.uri().path().starts_with("/api/v1/");
    let res = next.run(req).await;
    if !is_api {
        return res;
    }
    let is_json = res
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return res;
    }
    let error = match res.status() {
        http::StatusCode::NOT_FOUND => {
            ApiCode::NotFound.error("Alamat ini tidak ada di API; lihat /api/v1/openapi.json.")
        }
        http::StatusCode::METHOD_NOT_ALLOWED => {
            ApiCode::MethodNotAllowed.error("Metode HTTP ini tidak dilayani di alamat ini.")
        }
        http::StatusCode::PAYLOAD_TOO_LARGE => ApiCode::BodyTooLarge.error(format!(
            "Badan permintaan paling besar {API_BODY_LIMIT} byte."
        )),
        _ => return res,
    };
    let mut out = error.into_response();
    for (name, value) in res.headers() {
        if name != http::header::CONTENT_TYPE && name != http::header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quota::QuotaRefusal;
    use domain::agreement::InactiveReason;

    /// Every refusal the service can give maps onto a documented code of the look-up and
    /// verify routes, and every service code of the table is one a refusal or an upstream
    /// failure gives.
    #[test]
    fn every_refusal_has_a_documented_code() {
        let day = time::Date::MIN;
        let mut refusals = vec![
            Refusal::Forbidden,
            Refusal::InvalidNik("x".into()),
            Refusal::PurposeRequired,
            Refusal::PurposeTooLong,
            Refusal::NdaRequired,
            Refusal::NoUserId,
            Refusal::UpstreamNotConfigured,
            Refusal::AuditUnavailable,
        ];
        for reason in [
            InactiveReason::NoAgreement,
            InactiveReason::AgreementDraft,
            InactiveReason::AgreementSuspended,
            InactiveReason::AgreementTerminated,
            InactiveReason::AgreementNotStarted { valid_from: day },
            InactiveReason::AgreementExpired { valid_to: day },
            InactiveReason::SptjmMissing,
        ] {
            refusals.push(Refusal::AccessInactive(reason.code()));
        }
        for q in [
            QuotaRefusal::Exhausted {
                limit: 1,
                used: 1,
                resets_at_ms: 0,
                closed_by_upstream: false,
            },
            QuotaRefusal::OperatorCapReached {
                cap: 1,
                used: 1,
                resets_at_ms: 0,
            },
            QuotaRefusal::UserIdUnknown,
        ] {
            refusals.push(Refusal::Quota {
                code: q.code(),
                message: q.to_string(),
                resets_at_ms: None,
            });
        }
        let mut produced: Vec<ApiCode> = refusals
            .iter()
            .map(|r| refusal_code(r).unwrap_or_else(|| panic!("{} unmapped", r.code())))
            .collect();
        produced.extend([ApiCode::UpstreamSetupError, ApiCode::UpstreamUnavailable]);
        produced.sort();
        produced.dedup();
        let mut documented = SERVICE_ERRORS.to_vec();
        documented.sort();
        assert_eq!(produced, documented);
        for r in &refusals {
            let code = refusal_code(r).unwrap_or(ApiCode::Internal);
            assert!(LOOKUP.errors().contains(&code) && VERIFY.errors().contains(&code));
        }
    }

    #[test]
    fn unknown_field_names_the_field() {
        assert_eq!(
            unknown_field("Failed: unknown field `nama`, expected `nik` or `purpose`"),
            Some("nama")
        );
        assert_eq!(unknown_field("missing field `nik`"), None);
    }
}
