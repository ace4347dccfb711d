//! What the portal needs from the server, as a context object.
//!
//! The server crate implements [`Backend`] and provides a [`BackendHandle`] to both
//! `leptos_routes_with_context` and `handle_server_fns_with_context`; server functions take it
//! with [`backend`] and check authorisation themselves.

use serde::{Deserialize, Serialize};

/// Facts the page header shows on every page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellInfo {
    /// Display name of the institution this SIGAP serves, when one is configured.
    pub institution_name: Option<String>,
    /// True when running `sigap demo` (synthetic data, simulator upstream).
    pub demo: bool,
}

/// Health of the parts the status page lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStatus {
    pub version: String,
    pub database_backend: String,
    pub database_ready: bool,
    pub migrations_applied: i64,
    pub migrations_expected: i64,
}

/// How far the person using this browser is signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    Anonymous,
    /// Password verified; the role needs a second factor and none is registered yet.
    EnrolmentRequired,
    /// Password verified; a passkey or recovery code is still needed.
    SecondFactorRequired,
    Authenticated,
}

impl SessionState {
    /// Where the portal sends someone in this state after the sign-in form.
    pub fn next_path(self, nda_pending: bool) -> &'static str {
        match self {
            SessionState::Anonymous => "/masuk",
            SessionState::EnrolmentRequired => "/akun/passkey",
            SessionState::SecondFactorRequired => "/masuk/verifikasi",
            SessionState::Authenticated if nda_pending => "/nda",
            SessionState::Authenticated => "/",
        }
    }
}

/// The signed-in account, as the header and the account page show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionAccount {
    pub username: String,
    pub display_name: String,
    /// The stable role code (`operator`, `institution_admin`, ...); the UI translates it.
    pub role: String,
    pub institution_name: Option<String>,
    /// The role may open `/admin` (`operators.manage`, decided by `domain::access`).
    pub institution_admin: bool,
    /// The role may open `/disdukcapil` (`agreements.manage`).
    pub disdukcapil_admin: bool,
    /// The role may open `/pengawasan` (`signatures.view`) and has neither administration
    /// page, which already shows its signatures.
    pub oversight: bool,
    /// The role may open `/cek-nik` (`nik.lookup` or `nik.verify`).
    #[serde(default)]
    pub check_nik: bool,
    /// The role may open `/jejak-audit` (`audit.read`, or `reports.view_institution` for its
    /// own institution).
    pub audit_trail: bool,
}

/// The session as the portal sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub state: SessionState,
    pub account: Option<SessionAccount>,
    /// The role must accept its institution's NDA and has not accepted the current version
    /// (only ever true when `state` is `Authenticated`).
    pub nda_pending: bool,
}

impl SessionInfo {
    pub fn anonymous() -> SessionInfo {
        SessionInfo {
            state: SessionState::Anonymous,
            account: None,
            nda_pending: false,
        }
    }
}

/// The NDA the signed-in operator is asked to accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NdaView {
    pub version_id: i64,
    pub version: i64,
    pub title: String,
    pub body: String,
    pub institution_name: String,
    /// When this account accepted this version (Unix ms), if it has.
    pub accepted_at_ms: Option<i64>,
}

/// One of the signed-in account's passkeys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeySummary {
    pub id: i64,
    pub name: String,
    pub created_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
}

/// The account page: who am I, my passkeys, how many recovery codes are left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub account: SessionAccount,
    pub passkeys: Vec<PasskeySummary>,
    pub recovery_codes_remaining: i64,
    /// The role may register and remove its own passkeys and recovery codes.
    pub manages_passkeys: bool,
}

/// One account of the institution, as its admin sees it ("who has signed what").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminAccount {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// Stable role code; the UI translates it.
    pub role: String,
    pub local_user_id: Option<String>,
    pub active: bool,
    pub deactivated_at_ms: Option<i64>,
    /// The latest NDA version this account accepted, and when (Unix ms).
    pub nda_accepted_version: Option<i64>,
    pub nda_accepted_at_ms: Option<i64>,
    /// The institution admin may deactivate this account (an active operator, not oneself).
    pub deactivatable: bool,
}

/// One period during which an account held a local user ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalUserIdPeriod {
    pub username: String,
    pub local_user_id: String,
    pub assigned_at_ms: i64,
    /// `None` while current.
    pub ended_at_ms: Option<i64>,
}

/// An addendum of an agreement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddendumSummary {
    pub number: String,
    /// ISO days (`YYYY-MM-DD`).
    pub signed_on: String,
    pub valid_to: String,
}

/// An agreement (PKS) with its validity and SPTJM.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementSummary {
    pub id: i64,
    pub institution_number: String,
    pub dukcapil_number: String,
    /// Stable status code (`draft`, `active`, `suspended`, `terminated`).
    pub status: String,
    /// ISO days (`YYYY-MM-DD`).
    pub signed_on: String,
    pub valid_from: String,
    pub valid_to: String,
    /// The end with addenda.
    pub effective_valid_to: String,
    pub addenda: Vec<AddendumSummary>,
    pub sptjm_signer: Option<String>,
    pub sptjm_position: Option<String>,
    pub sptjm_signed_on: Option<String>,
    /// The parties as written in the agreement.
    pub institution_party: String,
    pub dukcapil_party: String,
    /// Stable codes of the data elements the agreement allows (`nik`, `no_kk`, ...).
    pub allowed_elements: Vec<String>,
    pub daily_quota: i64,
    /// The statuses this agreement may move to (decided on the server by `domain::agreement`).
    pub next_statuses: Vec<String>,
}

/// The institution's access state today (WIB): active, or the reason code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessSummary {
    pub active: bool,
    /// `NO_AGREEMENT`, `AGREEMENT_EXPIRED`, ... when not active.
    pub reason: Option<String>,
    /// Last day in force when active (ISO day).
    pub valid_to: Option<String>,
}

/// One person who must accept their institution's NDA, and what they accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NdaSignatureRow {
    pub username: String,
    pub display_name: String,
    /// Stable role code; the UI translates it.
    pub role: String,
    /// The latest version accepted, and when (Unix ms).
    pub accepted_version: Option<i64>,
    pub accepted_at_ms: Option<i64>,
    /// The accepted version is the current one.
    pub current: bool,
}

/// One institution on the oversight page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OversightInstitution {
    pub institution: InstitutionSummary,
    pub agreements: Vec<AgreementSummary>,
    pub current_nda_version: Option<i64>,
    /// Active accounts that must accept the NDA.
    pub signatures: Vec<NdaSignatureRow>,
}

/// The read-only oversight page (`signatures.view`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OversightView {
    /// Every institution (Disdukcapil-side roles) rather than the caller's own.
    pub all_institutions: bool,
    pub institutions: Vec<OversightInstitution>,
}

/// A staff-change notice the institution sent to Disdukcapil.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffNoticeSummary {
    pub id: i64,
    /// The account the change is about (username), when there is one.
    pub username: Option<String>,
    /// The local user ID that account held on the day of the notice.
    pub local_user_id: Option<String>,
    pub what_changed: String,
    /// Who sent the notice (name, position).
    pub notified_by: String,
    /// Letter or e-mail reference.
    pub reference: Option<String>,
    /// The day the notice was sent (00:00 WIB, Unix ms).
    pub notified_at_ms: i64,
    /// Who recorded it in SIGAP (username).
    pub recorded_by: Option<String>,
}

/// A web-service API token as the token page lists it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenSummary {
    pub id: i64,
    /// The first characters (`sigap_` + 6), to tell tokens apart.
    pub prefix: String,
    pub account_username: String,
    pub local_user_id: Option<String>,
    /// Empty: every request gives its own purpose.
    pub purpose: String,
    pub created_at_ms: i64,
    pub created_by: Option<String>,
    pub last_used_at_ms: Option<i64>,
    pub expires_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
    /// `active`, `expired`, `revoked` or `account_inactive`.
    pub state: String,
}

/// A service account a token can be issued for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenAccountOption {
    pub id: i64,
    pub username: String,
    pub local_user_id: Option<String>,
}

/// The token page (`api_tokens.manage`): the institution's tokens, newest first, and its
/// active service accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokensView {
    pub tokens: Vec<ApiTokenSummary>,
    pub accounts: Vec<TokenAccountOption>,
}

/// A new token as the form sends it (text as typed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenForm {
    /// The service account (its id).
    pub account_id: String,
    /// Optional: empty means every request gives its own purpose.
    pub purpose: String,
    /// Days until it expires (1..=3650), or empty for no expiry.
    pub expires_days: String,
}

/// A token just issued: its text, shown once, and the page after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedApiToken {
    pub token: String,
    pub prefix: String,
    pub view: ApiTokensView,
}

/// A new staff-change notice as the form sends it (text as typed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffNoticeForm {
    /// The account concerned (its id), or empty.
    pub account_id: String,
    pub what_changed: String,
    pub notified_by: String,
    /// Optional letter or e-mail reference.
    pub reference: String,
    /// The day the notice was sent (`YYYY-MM-DD`, not in the future).
    pub notified_on: String,
}

/// The institution admin's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionAdminView {
    pub institution_name: String,
    pub access: AccessSummary,
    pub current_nda_version: Option<i64>,
    pub accounts: Vec<AdminAccount>,
    pub local_user_ids: Vec<LocalUserIdPeriod>,
    pub agreements: Vec<AgreementSummary>,
    /// Staff-change notices sent to Disdukcapil, newest first (`local_user_ids.manage`).
    pub notices: Vec<StaffNoticeSummary>,
}

/// One institution in the Disdukcapil admin's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionSummary {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub access: AccessSummary,
}

/// A Dukcapil user-ID application (never its credential).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserIdSummary {
    pub id: i64,
    pub full_name: String,
    pub position: String,
    pub local_user_id: String,
    pub dukcapil_user_id: Option<String>,
    /// Stable status code (`requested`, `active`, `revoked`).
    pub status: String,
    pub has_credential: bool,
    pub requested_at_ms: i64,
    pub revoke_reason: Option<String>,
}

/// One institution as the Disdukcapil admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisdukcapilInstitutionView {
    pub institution: InstitutionSummary,
    pub agreements: Vec<AgreementSummary>,
    pub user_ids: Vec<UserIdSummary>,
    /// Every data element an agreement may allow, in the agreement's order (stable codes).
    pub all_elements: Vec<String>,
}

/// The fields of an agreement (PKS) as the Disdukcapil admin's form sends them: text as
/// typed, so the server answers bad input with a stable code instead of a decoding error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementForm {
    pub institution_number: String,
    pub dukcapil_number: String,
    pub institution_party: String,
    pub dukcapil_party: String,
    /// ISO days (`YYYY-MM-DD`).
    pub signed_on: String,
    pub valid_from: String,
    pub valid_to: String,
    /// Element codes separated by commas (`nik,no_kk,...`).
    pub allowed_elements: String,
    /// A whole number, 1 or more.
    pub daily_quota: String,
}

/// A registered card reader as the inventory shows it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderSummary {
    pub id: i64,
    pub reader_id: String,
    pub institution_name: String,
    pub work_unit: String,
    pub serial_number: String,
    pub sam_number: String,
    /// `active`, `inactive`, `deactivated`.
    pub status: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub secret_rotated_at_ms: i64,
    /// Statuses this reader may move to (computed on the server).
    pub next_statuses: Vec<String>,
}

/// `/admin/pembaca`: the institution's readers (institution admin, `manage`), or every
/// institution's readers read-only (Disdukcapil admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadersView {
    pub manage: bool,
    pub readers: Vec<ReaderSummary>,
}

/// Registering a reader.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderForm {
    pub reader_id: String,
    pub work_unit: String,
    pub serial_number: String,
    pub sam_number: String,
}

/// A reader's new secret, shown once, with the reader-bridge configuration to paste.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedReaderSecret {
    pub reader: ReaderSummary,
    pub secret: String,
    pub config_snippet: String,
}

/// A reader the operator may pair with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardReaderChoice {
    pub reader_id: String,
    pub work_unit: String,
}

/// What the card panel needs before it connects to the bridge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardReaderInfo {
    /// The bridge's WebSocket port on 127.0.0.1.
    pub bridge_port: u16,
    /// The caller's institution's active readers.
    pub readers: Vec<CardReaderChoice>,
    /// This portal's origin, for the bridge's `--origin`.
    pub portal_origin: Option<String>,
}

/// A short-lived pairing token for one reader (`domain::pairing`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairingToken {
    pub reader_id: String,
    pub token: String,
    pub expires_at_ms: i64,
}

/// The card's demographic elements as the bridge read them (`read_result.demographics`);
/// sent to the server for one comparison and never stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CardElements {
    pub name: String,
    pub birth_place: String,
    /// `DD-MM-YYYY` as on the card.
    pub birth_date: String,
    /// `LAKI-LAKI` / `PEREMPUAN`.
    pub sex: String,
    pub address: String,
    pub rt: String,
    pub rw: String,
    pub village: String,
    pub district: String,
    pub regency: String,
    pub province: String,
    pub marital_status: String,
    pub occupation: String,
}

/// One element compared: the same on card and registry, different, or not comparable (one
/// side empty). Values are not returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElementComparison {
    pub element: String,
    /// `same`, `different`, `not_compared`.
    pub verdict: String,
}

/// The answer of `card_compare`: per element, without either side's values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardComparison {
    /// The registry knew the NIK (code 01/12) and the elements were compared.
    pub found: bool,
    /// The upstream response code, or `UNAVAILABLE_…`.
    pub outcome_code: String,
    pub elements: Vec<ElementComparison>,
    pub differences: usize,
    pub fingerprint: String,
    pub quota_used: Option<i64>,
    pub quota_limit: Option<i64>,
}

/// The claimed elements of a verification, as the Cek NIK form sends them (text as typed;
/// empty or missing means not claimed). Dates are `YYYY-MM-DD`, sex `L` or `P`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClaimForm {
    pub nama_lengkap: String,
    pub tempat_lahir: String,
    pub tanggal_lahir: String,
    pub jenis_kelamin: String,
    pub no_kk: String,
    pub jenis_pekerjaan: String,
    pub alamat: String,
}

/// The nine elements of a resident as the Cek NIK page shows them, for this answer only
/// (kept in component memory, never stored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentView {
    pub no_kk: String,
    pub nik: String,
    pub nama_lengkap: String,
    /// `L`, `P` or empty.
    pub jenis_kelamin: String,
    pub tempat_lahir: String,
    /// ISO `YYYY-MM-DD`, or empty.
    pub tanggal_lahir: String,
    pub status_perkawinan: String,
    pub jenis_pekerjaan: String,
    /// "Alamat sekarang" in one line (street, RT/RW, village, district, regency, province).
    pub alamat: String,
}

/// The upstream's verdict on one claimed element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictView {
    /// Stable element code (`nama_lengkap`, `tanggal_lahir`, ...).
    pub element: String,
    /// Sesuai (true) or Tidak Sesuai.
    pub matched: bool,
    /// Similarity 0-100, when the upstream gives one.
    pub score: Option<u8>,
}

/// What kind of answer a Cek NIK call got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// Look-up: the resident was found.
    Found,
    /// Verification: a verdict per claimed element.
    Verdicts,
    /// An answer about the resident (not found, deceased, inactive, ...).
    IdentityResult,
    /// An answer about the institution's access (login, IP, quota, user ID, ...).
    SetupError,
    /// The registry could not be reached or answered unusably.
    Unavailable,
}

/// The quota meter: the caller's Dukcapil user ID today (WIB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaView {
    /// `None` in a call's answer (the meter reads it with `quota_status`).
    pub dukcapil_user_id: Option<String>,
    pub limit: i64,
    pub used: i64,
    pub remaining: i64,
    /// The upstream said the day's quota is used up (code 05).
    pub exhausted: bool,
    /// The next 00:00 WIB (Unix ms).
    pub resets_at_ms: i64,
}

/// The answer of one Cek NIK call (`nik_lookup`, `nik_verify`). Only `resident` and
/// `verdicts` carry population data; the page keeps them in memory and shows them once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckAnswer {
    pub kind: CheckKind,
    /// The upstream response code (`01`, `13`, ...) or `UNAVAILABLE_<reason>`.
    pub code: String,
    pub resident: Option<ResidentView>,
    pub verdicts: Vec<VerdictView>,
    /// Code 12: the registry holds more than one record for the NIK.
    pub multiple_records: bool,
    pub quota: Option<QuotaView>,
    /// The audit entry of this attempt.
    pub audit_id: i64,
}

/// An earlier access of the caller's institution to the same NIK (no data: when, who, what,
/// outcome).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlierAccess {
    pub at_ms: i64,
    pub username: Option<String>,
    /// `lookup` or `verify`.
    pub kind: String,
    /// `success`, `failure` or `refused`.
    pub outcome: String,
    /// The upstream code or the local refusal code.
    pub outcome_code: String,
    /// `web`, `api`, `batch`, `reader`.
    pub channel: String,
    /// The window searched, in hours.
    pub window_hours: u32,
}

/// A recent access attempt of the institution refused or failed for a reason about its
/// access rather than a resident (`/admin`, "Masalah akses"). No population data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessProblem {
    pub at_ms: i64,
    pub code: String,
    pub username: Option<String>,
    pub channel: String,
}

/// The auditor's search of the access trail as the form sends it (text as typed, so the
/// server answers bad input with a stable code). Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessSearchForm {
    /// The NIK typed in full (16 digits, separators allowed); the server recomputes its keyed
    /// HMAC and never searches for the text itself.
    pub nik: String,
    /// The operator's (or service account's) username.
    pub operator: String,
    /// An institution id (roles that see every institution).
    pub institution_id: String,
    /// One of [`OUTCOME_CODES`].
    pub outcome_code: String,
    /// WIB days (`YYYY-MM-DD`), both included.
    pub from_day: String,
    pub to_day: String,
    /// The `next_cursor` of the previous page ("muat lebih banyak"), or empty.
    pub cursor: String,
}

/// One access attempt as the audit page shows it: the stored fields, with the NIK masked
/// (neither the NIK nor its HMAC is sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRow {
    pub seq: Option<i64>,
    pub at_ms: i64,
    /// `nik.lookup` or `nik.verify`.
    pub event: String,
    pub institution_id: Option<i64>,
    pub institution_name: Option<String>,
    pub operator: Option<String>,
    pub local_user_id: Option<String>,
    pub dukcapil_user_id: Option<String>,
    /// `web`, `api`, `batch`, `reader`.
    pub channel: Option<String>,
    pub purpose: Option<String>,
    pub nik_masked: Option<String>,
    /// `success`, `failure`, `refused`.
    pub outcome: String,
    pub outcome_code: Option<String>,
    pub quota_state: Option<String>,
    pub latency_ms: Option<i64>,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    /// Channel `reader`: the fingerprint verdict the reader reported (`matched`,
    /// `not_matched`, `not_performed`).
    #[serde(default)]
    pub fingerprint: Option<String>,
}

/// One page of search results, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessSearchPage {
    pub rows: Vec<AccessRow>,
    /// Send back as `cursor` for the next page; `None` when this was the last.
    pub next_cursor: Option<String>,
}

/// An institution the caller may pick in the search form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionOption {
    pub id: i64,
    pub name: String,
}

/// What the audit page's form offers the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSearchOptions {
    /// Every institution (`audit.read`) rather than the caller's own (`reports.view_institution`).
    pub all_institutions: bool,
    pub institutions: Vec<InstitutionOption>,
    /// The caller may run a full verification of the chain (`audit.verify`).
    pub can_verify: bool,
    /// The caller may read the chain status (`audit.read`).
    pub can_read_chain: bool,
}

/// The chain's state as far as it is cheap to tell (no full read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditChainStatus {
    /// The last entry's position (0 when empty).
    pub head_seq: i64,
    /// Checkpoints are signed on this server (`[audit] signing_key_file` or demo).
    pub signer_configured: bool,
    /// The newest checkpoint's position and time, when there is one.
    pub checkpoint_seq: Option<i64>,
    pub checkpoint_at_ms: Option<i64>,
    /// The newest checkpoint carries a valid signature of this server's key.
    pub checkpoint_signature_ok: Option<bool>,
    /// The stored entry at the checkpoint's position has the hash the checkpoint signed.
    pub checkpoint_matches_entry: Option<bool>,
    /// The head is exactly the signed checkpoint (nothing appended since).
    pub head_at_checkpoint: bool,
}

/// The result of a full verification (`audit.verify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditVerifyResult {
    pub intact: bool,
    /// The stable code of the first problem (`AUDIT_ENTRY_EDITED`, ...).
    pub code: Option<String>,
    /// The first bad entry (its position and row id) when the problem is an entry.
    pub seq: Option<i64>,
    pub id: Option<i64>,
    /// The checkpoint line at fault, when the problem is a checkpoint.
    pub checkpoint_line: Option<i64>,
    /// The verifier's own sentence (English, technical), for the record.
    pub detail: String,
    /// When intact: entries and checkpoints checked, the last position.
    pub entries: i64,
    pub checkpoints: i64,
    pub last_seq: i64,
    pub took_ms: i64,
}

/// Every outcome code an access entry can carry, in the order the form lists them: the
/// sixteen upstream response codes, the upstream-unavailable reasons, then SIGAP's own
/// refusals (`server::verification::Refusal`, quota and access-state codes).
pub const OUTCOME_CODES: &[&str] = &[
    "01",
    "12",
    "11",
    "08",
    "13",
    "14",
    "15",
    "03",
    "04",
    "05",
    "06",
    "07",
    "09",
    "10",
    "16",
    "17",
    "UNAVAILABLE_BREAKER_OPEN",
    "UNAVAILABLE_CONNECT_REFUSED",
    "UNAVAILABLE_CONNECT_TIMEOUT",
    "UNAVAILABLE_DNS",
    "UNAVAILABLE_TLS",
    "UNAVAILABLE_CONNECT_FAILED",
    "UNAVAILABLE_TIMEOUT",
    "UNAVAILABLE_CONNECTION_LOST",
    "UNAVAILABLE_HTTP_STATUS",
    "UNAVAILABLE_MALFORMED_JSON",
    "UNAVAILABLE_UNEXPECTED_SHAPE",
    "FORBIDDEN",
    "INVALID_NIK",
    "PURPOSE_REQUIRED",
    "PURPOSE_TOO_LONG",
    "NDA_REQUIRED",
    "NO_AGREEMENT",
    "AGREEMENT_DRAFT",
    "AGREEMENT_SUSPENDED",
    "AGREEMENT_TERMINATED",
    "AGREEMENT_NOT_STARTED",
    "AGREEMENT_EXPIRED",
    "SPTJM_MISSING",
    "USER_ID_NOT_ACTIVE",
    "USER_ID_UNKNOWN",
    "QUOTA_EXHAUSTED",
    "OPERATOR_QUOTA_EXHAUSTED",
    "UPSTREAM_NOT_CONFIGURED",
    "AUDIT_UNAVAILABLE",
];

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use super::{
        AccessProblem, AccessSearchForm, AccessSearchPage, AccountView, AgreementForm,
        ApiTokenForm, ApiTokensView, AuditChainStatus, AuditSearchOptions, AuditVerifyResult,
        CardComparison, CardElements, CardReaderInfo, CheckAnswer, ClaimForm,
        DisdukcapilInstitutionView, EarlierAccess, InstitutionAdminView, InstitutionSummary,
        IssuedApiToken, IssuedReaderSecret, NdaView, OversightView, PairingToken, QuotaView,
        ReaderForm, ReadersView, SessionInfo, ShellInfo, StaffNoticeForm, SystemStatus,
    };
    use crate::AppError;
    use http::request::Parts;
    use std::{future::Future, pin::Pin, sync::Arc};

    /// A boxed future, so the trait stays object-safe without extra crates.
    pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

    /// Server-side services the portal calls.
    pub trait Backend: Send + Sync + 'static {
        fn shell_info(&self) -> BoxFuture<'_, Result<ShellInfo, AppError>>;
        fn system_status(&self) -> BoxFuture<'_, Result<SystemStatus, AppError>>;
        /// The request's session (public: anonymous is an answer, not an error).
        fn session(&self, parts: Parts) -> BoxFuture<'_, Result<SessionInfo, AppError>>;
        /// Password sign-in on the request's session (throttled; one answer for unknown user
        /// and wrong password).
        fn sign_in(
            &self,
            parts: Parts,
            username: String,
            password: String,
        ) -> BoxFuture<'_, Result<SessionInfo, AppError>>;
        /// Ends the request's session (audited when someone was signed in).
        fn sign_out(&self, parts: Parts) -> BoxFuture<'_, Result<(), AppError>>;
        /// Ends every session of the caller's account (partial sessions too), audited.
        fn sign_out_everywhere(&self, parts: Parts) -> BoxFuture<'_, Result<(), AppError>>;
        /// The caller's account page (fully authenticated).
        fn account(&self, parts: Parts) -> BoxFuture<'_, Result<AccountView, AppError>>;
        /// Removes one of the caller's own passkeys (not the last one when the role needs a
        /// second factor), audited.
        fn remove_passkey(
            &self,
            parts: Parts,
            passkey_id: i64,
        ) -> BoxFuture<'_, Result<AccountView, AppError>>;
        /// New recovery codes for the caller, replacing earlier ones; shown once.
        fn generate_recovery_codes(
            &self,
            parts: Parts,
        ) -> BoxFuture<'_, Result<Vec<String>, AppError>>;
        /// Changes the caller's password (current + new twice, the password policy); other
        /// sessions end, this one continues under a new id. A refusal (wrong current
        /// password, policy, throttled) is the inner `Err`.
        fn change_password(
            &self,
            parts: Parts,
            current_password: String,
            new_password: String,
            confirm_password: String,
        ) -> BoxFuture<'_, Result<Result<(), AppError>, AppError>>;
        /// The current NDA of the caller's institution (fully authenticated, `nda.accept`).
        fn current_nda(&self, parts: Parts) -> BoxFuture<'_, Result<NdaView, AppError>>;
        /// Records the caller's acceptance of NDA version `version_id` (audited).
        fn accept_nda(
            &self,
            parts: Parts,
            version_id: i64,
        ) -> BoxFuture<'_, Result<NdaView, AppError>>;
        /// The caller's institution: accounts, NDA acceptances, local user IDs, agreements
        /// (fully authenticated, `operators.manage`).
        fn institution_admin(
            &self,
            parts: Parts,
        ) -> BoxFuture<'_, Result<InstitutionAdminView, AppError>>;
        /// Deactivates an operator of the caller's institution and ends its sessions at once
        /// (audited `account.deactivate`).
        fn deactivate_account(
            &self,
            parts: Parts,
            account_id: i64,
        ) -> BoxFuture<'_, Result<InstitutionAdminView, AppError>>;
        /// Records a staff-change notice of the caller's institution
        /// (`local_user_ids.manage`), audited `staff_change.notice`.
        fn record_staff_change_notice(
            &self,
            parts: Parts,
            form: StaffNoticeForm,
        ) -> BoxFuture<'_, Result<InstitutionAdminView, AppError>>;
        /// The caller's institution's API tokens and service accounts (`api_tokens.manage`).
        fn api_tokens(&self, parts: Parts) -> BoxFuture<'_, Result<ApiTokensView, AppError>>;
        /// Issues a token for a service account of the caller's institution
        /// (`api_tokens.manage`), audited `api_token.create`; the text is returned once.
        fn create_api_token(
            &self,
            parts: Parts,
            form: ApiTokenForm,
        ) -> BoxFuture<'_, Result<IssuedApiToken, AppError>>;
        /// Revokes a token of the caller's institution (`api_tokens.manage`), audited
        /// `api_token.revoke`.
        fn revoke_api_token(
            &self,
            parts: Parts,
            token_id: i64,
        ) -> BoxFuture<'_, Result<ApiTokensView, AppError>>;
        /// Institutions with access state, agreements and NDA acceptances, read-only
        /// (`signatures.view`; institution-bound roles see only their own).
        fn oversight(&self, parts: Parts) -> BoxFuture<'_, Result<OversightView, AppError>>;
        /// Every institution with its access state (`agreements.manage`).
        fn disdukcapil_institutions(
            &self,
            parts: Parts,
        ) -> BoxFuture<'_, Result<Vec<InstitutionSummary>, AppError>>;
        /// One institution's agreements and user-ID applications (`agreements.manage`).
        fn disdukcapil_institution(
            &self,
            parts: Parts,
            institution_id: i64,
        ) -> BoxFuture<'_, Result<DisdukcapilInstitutionView, AppError>>;
        /// Grants a requested user ID (`user_ids.approve`), audited.
        fn activate_user_id(
            &self,
            parts: Parts,
            id: i64,
            dukcapil_user_id: String,
        ) -> BoxFuture<'_, Result<DisdukcapilInstitutionView, AppError>>;
        /// Rejects or revokes a user ID (`user_ids.approve`), audited.
        fn revoke_user_id(
            &self,
            parts: Parts,
            id: i64,
            reason: String,
        ) -> BoxFuture<'_, Result<DisdukcapilInstitutionView, AppError>>;
        /// Creates a draft agreement (PKS) for an institution (`agreements.manage`), audited.
        fn create_agreement(
            &self,
            parts: Parts,
            institution_id: i64,
            form: AgreementForm,
        ) -> BoxFuture<'_, Result<DisdukcapilInstitutionView, AppError>>;
        /// Replaces the fields of a draft agreement (`agreements.manage`), audited.
        fn update_agreement(
            &self,
            parts: Parts,
            agreement_id: i64,
            form: AgreementForm,
        ) -> BoxFuture<'_, Result<DisdukcapilInstitutionView, AppError>>;
        /// Adds an addendum with a new end date (`agreements.manage`), audited.
        fn add_addendum(
            &self,
            parts: Parts,
            agreement_id: i64,
            number: String,
            signed_on: String,
            valid_to: String,
            note: String,
        ) -> BoxFuture<'_, Result<DisdukcapilInstitutionView, AppError>>;
        /// Activates, suspends or terminates an agreement (`agreements.manage`), audited.
        fn set_agreement_status(
            &self,
            parts: Parts,
            agreement_id: i64,
            status: String,
        ) -> BoxFuture<'_, Result<DisdukcapilInstitutionView, AppError>>;
        /// Records the head's SPTJM for an agreement (`agreements.manage`), audited.
        fn record_sptjm(
            &self,
            parts: Parts,
            agreement_id: i64,
            signer_name: String,
            signer_position: String,
            signed_on: String,
        ) -> BoxFuture<'_, Result<DisdukcapilInstitutionView, AppError>>;
        /// `/admin/pembaca`: readers (`readers.manage`: own institution; `agreements.manage`:
        /// all, read-only).
        fn readers(&self, parts: Parts) -> BoxFuture<'_, Result<ReadersView, AppError>>;
        fn register_reader(
            &self,
            parts: Parts,
            form: ReaderForm,
        ) -> BoxFuture<'_, Result<IssuedReaderSecret, AppError>>;
        fn set_reader_status(
            &self,
            parts: Parts,
            id: i64,
            status: String,
        ) -> BoxFuture<'_, Result<ReadersView, AppError>>;
        fn rotate_reader_secret(
            &self,
            parts: Parts,
            id: i64,
        ) -> BoxFuture<'_, Result<IssuedReaderSecret, AppError>>;
        /// The card panel: bridge port and the institution's active readers (`nik.lookup`).
        fn card_reader_info(&self, parts: Parts)
        -> BoxFuture<'_, Result<CardReaderInfo, AppError>>;
        fn reader_pairing(
            &self,
            parts: Parts,
            reader_id: String,
        ) -> BoxFuture<'_, Result<PairingToken, AppError>>;
        fn card_compare(
            &self,
            parts: Parts,
            nik: String,
            purpose: String,
            card: CardElements,
            fingerprint: String,
        ) -> BoxFuture<'_, Result<CardComparison, AppError>>;
        /// Cek NIK through the verification pipeline (channel `web`): a look-up when `claimed`
        /// is `None`, else a verification (`nik.lookup` / `nik.verify`).
        fn nik_check(
            &self,
            parts: Parts,
            nik: String,
            purpose: String,
            claimed: Option<ClaimForm>,
        ) -> BoxFuture<'_, Result<CheckAnswer, AppError>>;
        /// The quota meter of the caller's Dukcapil user ID (`quota.view_own`); `None` when
        /// the caller has no active one.
        fn quota_status(&self, parts: Parts) -> BoxFuture<'_, Result<Option<QuotaView>, AppError>>;
        /// The newest access of the caller's institution to this NIK within the configured
        /// window (`nik.lookup` or `nik.verify`).
        fn earlier_verdict(
            &self,
            parts: Parts,
            nik: String,
        ) -> BoxFuture<'_, Result<Option<EarlierAccess>, AppError>>;
        /// Recent access problems of the caller's institution ("Masalah akses",
        /// `reports.view_institution`).
        fn access_problems(
            &self,
            parts: Parts,
        ) -> BoxFuture<'_, Result<Vec<AccessProblem>, AppError>>;
        /// What the audit page's form offers (`audit.read`, or `reports.view_institution`
        /// for the caller's own institution).
        fn audit_search_options(
            &self,
            parts: Parts,
        ) -> BoxFuture<'_, Result<AuditSearchOptions, AppError>>;
        /// One page of access attempts matching the form, newest first; the search itself
        /// is audited (`audit.search`, the NIK as HMAC and mask only).
        fn search_access(
            &self,
            parts: Parts,
            form: AccessSearchForm,
        ) -> BoxFuture<'_, Result<AccessSearchPage, AppError>>;
        /// The chain head against the newest signed checkpoint (`audit.read`).
        fn audit_chain_status(
            &self,
            parts: Parts,
        ) -> BoxFuture<'_, Result<AuditChainStatus, AppError>>;
        /// Verifies the whole chain now (`audit.verify`), audited `audit.verify`.
        fn verify_audit_chain(
            &self,
            parts: Parts,
        ) -> BoxFuture<'_, Result<AuditVerifyResult, AppError>>;
    }

    /// The context object holding the server's [`Backend`].
    #[derive(Clone)]
    pub struct BackendHandle(pub Arc<dyn Backend>);

    /// The per-request CSP nonce, put in the request extensions by the server's middleware.
    #[derive(Clone, Debug)]
    pub struct CspNonce(pub Arc<str>);

    /// The request's head (headers, extensions with the session) from context.
    pub fn request_parts() -> Result<Parts, AppError> {
        leptos::prelude::use_context::<Parts>().ok_or_else(|| AppError::Internal {
            reference: "no-request-context".into(),
        })
    }

    /// The backend from context; an internal error if the server forgot to provide it.
    pub fn backend() -> Result<Arc<dyn Backend>, AppError> {
        leptos::prelude::use_context::<BackendHandle>()
            .map(|h| h.0)
            .ok_or_else(|| AppError::Internal {
                reference: "no-backend-context".into(),
            })
    }
}
