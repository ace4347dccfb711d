//! Cooperation agreements (PKS) between an institution and Disdukcapil, their addenda and the
//! head's SPTJM: the [`AgreementStore`] area, its SQL and the `impl_agreement_store!` body.
//! Whether an institution's access is in force is decided by
//! [`domain::agreement::access_state`] over [`Agreement::terms`].

use super::StorageError;
use super::actor::{day_text, parse_day, rejected};
use domain::agreement::{AccessState, AgreementStatus, AgreementTerms, PksElement};
use domain::identity;
use serde::Serialize;
use time::Date;

/// An agreement with its addenda (oldest first) and SPTJM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agreement {
    pub id: i64,
    pub institution_id: i64,
    /// The agreement's number at the institution.
    pub institution_number: String,
    /// The agreement's number at Disdukcapil.
    pub dukcapil_number: String,
    /// The institution's party as written (signatory, office).
    pub institution_party: String,
    /// Disdukcapil's party as written.
    pub dukcapil_party: String,
    pub signed_on: Date,
    pub valid_from: Date,
    /// The end as signed; addenda may extend it ([`Agreement::effective_valid_to`]).
    pub valid_to: Date,
    pub allowed_elements: Vec<PksElement>,
    pub daily_quota: i64,
    pub status: AgreementStatus,
    pub sptjm: Option<Sptjm>,
    pub addenda: Vec<Addendum>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Agreement {
    /// What [`domain::agreement::access_state`] needs.
    pub fn terms(&self) -> AgreementTerms {
        AgreementTerms {
            status: self.status,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            addenda_valid_to: self.addenda.iter().map(|a| a.valid_to).collect(),
            sptjm_recorded: self.sptjm.is_some(),
        }
    }

    /// The last day in force, addenda included.
    pub fn effective_valid_to(&self) -> Date {
        self.terms().effective_valid_to()
    }

    /// This agreement's state on `today`.
    pub fn state(&self, today: Date) -> AccessState {
        self.terms().state(today)
    }
}

/// The head's SPTJM for an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sptjm {
    pub signer_name: String,
    pub signer_position: String,
    /// The head's account, when the head signed in SIGAP (or the paper's signer has one).
    pub signer_account_id: Option<i64>,
    pub signed_on: Date,
    pub recorded_at: i64,
    pub recorded_by: Option<i64>,
}

/// An addendum: its own number and the new end date it sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Addendum {
    pub id: i64,
    pub agreement_id: i64,
    pub number: String,
    pub signed_on: Date,
    pub valid_to: Date,
    pub note: String,
    pub created_at: i64,
    pub created_by: Option<i64>,
}

/// Fields to create an agreement (status `draft` or `active`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAgreement {
    pub institution_id: i64,
    pub institution_number: String,
    pub dukcapil_number: String,
    pub institution_party: String,
    pub dukcapil_party: String,
    pub signed_on: Date,
    pub valid_from: Date,
    pub valid_to: Date,
    pub allowed_elements: Vec<PksElement>,
    pub daily_quota: i64,
    pub status: AgreementStatus,
}

/// Fields an admin may correct; `None` keeps the stored value. Extensions are addenda.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgreementUpdate {
    pub institution_number: Option<String>,
    pub dukcapil_number: Option<String>,
    pub institution_party: Option<String>,
    pub dukcapil_party: Option<String>,
    pub signed_on: Option<Date>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    pub allowed_elements: Option<Vec<PksElement>>,
    pub daily_quota: Option<i64>,
}

/// Fields to record the head's SPTJM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSptjm {
    pub signer_name: String,
    pub signer_position: String,
    /// Must be an active head of the agreement's institution when given.
    pub signer_account_id: Option<i64>,
    pub signed_on: Date,
}

/// Fields of an addendum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAddendum {
    pub number: String,
    pub signed_on: Date,
    /// Must be later than the agreement's current effective end.
    pub valid_to: Date,
    pub note: String,
}

/// Largest daily quota an agreement may state.
pub const QUOTA_MAX: i64 = 10_000_000;

/// Agreements, addenda and SPTJMs. Every change is audited in its transaction
/// (`agreement.create`, `agreement.update`, `agreement.status_change`, `agreement.addendum`,
/// `agreement.sptjm_record`).
#[async_trait::async_trait]
pub trait AgreementStore {
    /// Refusals: `AGREEMENT_NUMBER_INVALID`, `AGREEMENT_NUMBER_TAKEN`, `PARTY_INVALID`,
    /// `AGREEMENT_DATES_INVALID`, `ELEMENTS_INVALID`, `QUOTA_INVALID`,
    /// `AGREEMENT_STATUS_INVALID`, `INSTITUTION_UNKNOWN`.
    async fn create_agreement(
        &self,
        new: &NewAgreement,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<Agreement, StorageError>;
    async fn agreement_by_id(&self, id: i64) -> Result<Option<Agreement>, StorageError>;
    /// An institution's agreements, oldest `valid_from` first.
    async fn list_agreements(&self, institution_id: i64) -> Result<Vec<Agreement>, StorageError>;
    /// Corrects fields; refused on a terminated agreement (`AGREEMENT_TERMINATED`), plus the
    /// refusals of [`AgreementStore::create_agreement`].
    async fn update_agreement(
        &self,
        id: i64,
        update: &AgreementUpdate,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<Agreement, StorageError>;
    /// Moves the status (see `AgreementStatus::may_become`); refusal
    /// `AGREEMENT_STATUS_TRANSITION`.
    async fn set_agreement_status(
        &self,
        id: i64,
        status: AgreementStatus,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<Agreement, StorageError>;
    /// Records (or replaces, when the head changed) the SPTJM. Refusals: `SPTJM_INVALID`,
    /// `SPTJM_SIGNER_INVALID`, `AGREEMENT_TERMINATED`.
    async fn record_sptjm(
        &self,
        id: i64,
        sptjm: &NewSptjm,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<Agreement, StorageError>;
    /// Adds an addendum extending the agreement. Refusals: `ADDENDUM_INVALID`,
    /// `ADDENDUM_NUMBER_TAKEN`, `ADDENDUM_NOT_LATER`, `AGREEMENT_TERMINATED`.
    async fn add_addendum(
        &self,
        id: i64,
        addendum: &NewAddendum,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<Agreement, StorageError>;
    /// The institution's access state on `today` (WIB) over all its agreements.
    async fn institution_access_state(
        &self,
        institution_id: i64,
        today: Date,
    ) -> Result<AccessState, StorageError>;
}

/// An agreement row as stored.
#[derive(sqlx::FromRow)]
pub struct AgreementRow {
    id: i64,
    institution_id: i64,
    institution_number: String,
    dukcapil_number: String,
    institution_party: String,
    dukcapil_party: String,
    signed_on: String,
    valid_from: String,
    valid_to: String,
    allowed_elements: String,
    daily_quota: i64,
    status: String,
    sptjm_signer_name: Option<String>,
    sptjm_signer_position: Option<String>,
    sptjm_signer_account_id: Option<i64>,
    sptjm_signed_on: Option<String>,
    sptjm_recorded_at: Option<i64>,
    sptjm_recorded_by: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

/// An addendum row as stored.
#[derive(sqlx::FromRow)]
pub struct AddendumRow {
    id: i64,
    agreement_id: i64,
    number: String,
    signed_on: String,
    valid_to: String,
    note: String,
    created_at: i64,
    created_by: Option<i64>,
}

impl AddendumRow {
    fn into_addendum(self) -> Result<Addendum, StorageError> {
        Ok(Addendum {
            id: self.id,
            agreement_id: self.agreement_id,
            signed_on: parse_day("agreement_addenda.signed_on", &self.signed_on)?,
            valid_to: parse_day("agreement_addenda.valid_to", &self.valid_to)?,
            number: self.number,
            note: self.note,
            created_at: self.created_at,
            created_by: self.created_by,
        })
    }
}

/// Joins stored rows into agreements (addenda rows in any order).
pub(crate) fn assemble(
    rows: Vec<AgreementRow>,
    addenda: Vec<AddendumRow>,
) -> Result<Vec<Agreement>, StorageError> {
    let mut addenda: Vec<Addendum> = addenda
        .into_iter()
        .map(AddendumRow::into_addendum)
        .collect::<Result<_, _>>()?;
    addenda.sort_by_key(|a| (a.agreement_id, a.valid_to, a.id));
    rows.into_iter()
        .map(|r| {
            let status = AgreementStatus::parse(&r.status).ok_or_else(|| {
                StorageError::Corrupt(format!("agreement {}: unknown status {:?}", r.id, r.status))
            })?;
            let allowed_elements = PksElement::split(&r.allowed_elements).map_err(|code| {
                StorageError::Corrupt(format!("agreement {}: unknown element {code:?}", r.id))
            })?;
            let sptjm = match (r.sptjm_signer_name, r.sptjm_signed_on, r.sptjm_recorded_at) {
                (Some(signer_name), Some(signed_on), Some(recorded_at)) => Some(Sptjm {
                    signer_name,
                    signer_position: r.sptjm_signer_position.unwrap_or_default(),
                    signer_account_id: r.sptjm_signer_account_id,
                    signed_on: parse_day("agreements.sptjm_signed_on", &signed_on)?,
                    recorded_at,
                    recorded_by: r.sptjm_recorded_by,
                }),
                _ => None,
            };
            Ok(Agreement {
                id: r.id,
                institution_id: r.institution_id,
                institution_number: r.institution_number,
                dukcapil_number: r.dukcapil_number,
                institution_party: r.institution_party,
                dukcapil_party: r.dukcapil_party,
                signed_on: parse_day("agreements.signed_on", &r.signed_on)?,
                valid_from: parse_day("agreements.valid_from", &r.valid_from)?,
                valid_to: parse_day("agreements.valid_to", &r.valid_to)?,
                allowed_elements,
                daily_quota: r.daily_quota,
                status,
                sptjm,
                addenda: addenda
                    .iter()
                    .filter(|a| a.agreement_id == r.id)
                    .cloned()
                    .collect(),
                created_at: r.created_at,
                updated_at: r.updated_at,
            })
        })
        .collect()
}

/// Checks a complete set of agreement fields.
pub(crate) fn validate_agreement(new: &NewAgreement) -> Result<(), StorageError> {
    let number = |field, v: &str| {
        identity::check_line(field, "AGREEMENT_NUMBER_INVALID", v, identity::LINE_MAX)
    };
    number("institution_number", &new.institution_number)?;
    number("dukcapil_number", &new.dukcapil_number)?;
    if new.institution_number == new.dukcapil_number {
        return Err(rejected(
            "AGREEMENT_NUMBER_INVALID",
            "the institution's and Disdukcapil's numbers must differ",
        ));
    }
    let party =
        |field, v: &str| identity::check_line(field, "PARTY_INVALID", v, identity::LINE_MAX);
    party("institution_party", &new.institution_party)?;
    party("dukcapil_party", &new.dukcapil_party)?;
    if new.valid_from > new.valid_to {
        return Err(rejected(
            "AGREEMENT_DATES_INVALID",
            format!(
                "valid_from {} is after valid_to {}",
                new.valid_from, new.valid_to
            ),
        ));
    }
    if new.allowed_elements.is_empty() {
        return Err(rejected(
            "ELEMENTS_INVALID",
            "an agreement allows at least one element",
        ));
    }
    if !(1..=QUOTA_MAX).contains(&new.daily_quota) {
        return Err(rejected(
            "QUOTA_INVALID",
            format!("the daily quota must be 1..={QUOTA_MAX}"),
        ));
    }
    Ok(())
}

/// `update` applied to `current`, as a complete set of fields to validate.
pub(crate) fn merged(current: &Agreement, update: &AgreementUpdate) -> NewAgreement {
    NewAgreement {
        institution_id: current.institution_id,
        institution_number: update
            .institution_number
            .clone()
            .unwrap_or_else(|| current.institution_number.clone()),
        dukcapil_number: update
            .dukcapil_number
            .clone()
            .unwrap_or_else(|| current.dukcapil_number.clone()),
        institution_party: update
            .institution_party
            .clone()
            .unwrap_or_else(|| current.institution_party.clone()),
        dukcapil_party: update
            .dukcapil_party
            .clone()
            .unwrap_or_else(|| current.dukcapil_party.clone()),
        signed_on: update.signed_on.unwrap_or(current.signed_on),
        valid_from: update.valid_from.unwrap_or(current.valid_from),
        valid_to: update.valid_to.unwrap_or(current.valid_to),
        allowed_elements: update
            .allowed_elements
            .clone()
            .unwrap_or_else(|| current.allowed_elements.clone()),
        daily_quota: update.daily_quota.unwrap_or(current.daily_quota),
        status: current.status,
    }
}

/// Names of the fields an update changes (for the audit entry).
pub(crate) fn changed_fields(current: &Agreement, next: &NewAgreement) -> Vec<&'static str> {
    let mut v = Vec::new();
    let mut diff = |name, changed: bool| {
        if changed {
            v.push(name);
        }
    };
    diff(
        "institution_number",
        current.institution_number != next.institution_number,
    );
    diff(
        "dukcapil_number",
        current.dukcapil_number != next.dukcapil_number,
    );
    diff(
        "institution_party",
        current.institution_party != next.institution_party,
    );
    diff(
        "dukcapil_party",
        current.dukcapil_party != next.dukcapil_party,
    );
    diff("signed_on", current.signed_on != next.signed_on);
    diff("valid_from", current.valid_from != next.valid_from);
    diff("valid_to", current.valid_to != next.valid_to);
    diff(
        "allowed_elements",
        PksElement::join(&current.allowed_elements) != PksElement::join(&next.allowed_elements),
    );
    diff("daily_quota", current.daily_quota != next.daily_quota);
    v
}

pub(crate) fn validate_sptjm(s: &NewSptjm) -> Result<(), StorageError> {
    identity::check_line(
        "signer_name",
        "SPTJM_INVALID",
        &s.signer_name,
        identity::NAME_MAX,
    )?;
    identity::check_line(
        "signer_position",
        "SPTJM_INVALID",
        &s.signer_position,
        identity::LINE_MAX,
    )?;
    Ok(())
}

pub(crate) fn validate_addendum(a: &NewAddendum, current: &Agreement) -> Result<(), StorageError> {
    identity::check_line("number", "ADDENDUM_INVALID", &a.number, identity::LINE_MAX)?;
    if !a.note.is_empty() {
        identity::check_text("note", "ADDENDUM_INVALID", &a.note, identity::TEXT_MAX)?;
    }
    if current.status == AgreementStatus::Terminated {
        return Err(terminated(current.id));
    }
    let end = current.effective_valid_to();
    if a.valid_to <= end {
        return Err(rejected(
            "ADDENDUM_NOT_LATER",
            format!(
                "the addendum's end {} must be after the current end {end}",
                a.valid_to
            ),
        ));
    }
    if a.number == current.institution_number
        || a.number == current.dukcapil_number
        || current.addenda.iter().any(|x| x.number == a.number)
    {
        return Err(rejected(
            "ADDENDUM_NUMBER_TAKEN",
            format!("number {} is already used by this agreement", a.number),
        ));
    }
    Ok(())
}

pub(crate) fn terminated(id: i64) -> StorageError {
    rejected(
        "AGREEMENT_TERMINATED",
        format!("agreement {id} is terminated"),
    )
}

pub(crate) fn elements_text(e: &[PksElement]) -> String {
    PksElement::join(e)
}

pub(crate) fn day(d: Date) -> String {
    day_text(d)
}

macro_rules! agreement_columns {
    () => {
        "id, institution_id, institution_number, dukcapil_number, institution_party, \
         dukcapil_party, signed_on, valid_from, valid_to, allowed_elements, daily_quota, status, \
         sptjm_signer_name, sptjm_signer_position, sptjm_signer_account_id, sptjm_signed_on, \
         sptjm_recorded_at, sptjm_recorded_by, created_at, updated_at"
    };
}

pub const INSERT_AGREEMENT: &str = "INSERT INTO agreements \
       (institution_id, institution_number, dukcapil_number, institution_party, dukcapil_party, \
        signed_on, valid_from, valid_to, allowed_elements, daily_quota, status, created_at, \
        updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id";
pub const AGREEMENT_BY_ID: &str = concat!(
    "SELECT ",
    agreement_columns!(),
    " FROM agreements WHERE id = $1"
);
pub const ADDENDA_OF: &str = "SELECT id, agreement_id, number, signed_on, valid_to, note, \
       created_at, created_by FROM agreement_addenda WHERE agreement_id = $1";
pub const LIST_AGREEMENTS: &str = concat!(
    "SELECT ",
    agreement_columns!(),
    " FROM agreements WHERE institution_id = $1 ORDER BY valid_from, id"
);
pub const ADDENDA_OF_INSTITUTION: &str = "SELECT d.id, d.agreement_id, d.number, d.signed_on, \
       d.valid_to, d.note, d.created_at, d.created_by \
     FROM agreement_addenda d JOIN agreements a ON a.id = d.agreement_id \
     WHERE a.institution_id = $1";
pub const NUMBER_TAKEN: &str = "SELECT COUNT(*) FROM agreements \
     WHERE id <> $3 AND (dukcapil_number = $2 OR (institution_id = $1 AND institution_number = $4))";
pub const UPDATE_AGREEMENT: &str = "UPDATE agreements SET institution_number = $2, \
       dukcapil_number = $3, institution_party = $4, dukcapil_party = $5, signed_on = $6, \
       valid_from = $7, valid_to = $8, allowed_elements = $9, daily_quota = $10, updated_at = $11 \
     WHERE id = $1 AND updated_at = $12 AND status <> 'terminated'";
pub const SET_STATUS: &str = "UPDATE agreements SET status = $2, updated_at = $4 \
     WHERE id = $1 AND status = $3";
pub const RECORD_SPTJM: &str = "UPDATE agreements SET sptjm_signer_name = $2, \
       sptjm_signer_position = $3, sptjm_signer_account_id = $4, sptjm_signed_on = $5, \
       sptjm_recorded_at = $6, sptjm_recorded_by = $7, updated_at = $6 \
     WHERE id = $1 AND status <> 'terminated'";
pub const SIGNER: &str = "SELECT role, institution_id, status FROM accounts WHERE id = $1";
pub const INSERT_ADDENDUM: &str = "INSERT INTO agreement_addenda \
       (agreement_id, number, signed_on, valid_to, note, created_at, created_by) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
pub const TOUCH_AGREEMENT: &str = "UPDATE agreements SET updated_at = $2 \
     WHERE id = $1 AND status <> 'terminated'";

/// Loads one agreement with its addenda through an executor expression (evaluated once per
/// query, so `&mut *tx` reborrows the transaction).
macro_rules! load_agreement {
    ($exec:expr, $id:expr) => {{
        use $crate::storage::agreements as q;
        let id: i64 = $id;
        let row: Option<q::AgreementRow> = sqlx::query_as(q::AGREEMENT_BY_ID)
            .bind(id)
            .fetch_optional($exec)
            .await?;
        match row {
            None => Ok::<_, $crate::storage::StorageError>(None),
            Some(row) => {
                let addenda: Vec<q::AddendumRow> = sqlx::query_as(q::ADDENDA_OF)
                    .bind(id)
                    .fetch_all($exec)
                    .await?;
                q::assemble(vec![row], addenda).map(|mut v| v.pop())
            }
        }
    }};
}
pub(crate) use load_agreement;

/// Implements [`AgreementStore`] for a backend struct with a `pool` field.
macro_rules! impl_agreement_store {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::AgreementStore for $ty {
            async fn create_agreement(
                &self,
                new: &$crate::storage::NewAgreement,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::Agreement, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, agreements as q};
                q::validate_agreement(new)?;
                if !matches!(
                    new.status,
                    domain::agreement::AgreementStatus::Draft
                        | domain::agreement::AgreementStatus::Active
                ) {
                    return Err($crate::storage::actor::rejected(
                        "AGREEMENT_STATUS_INVALID",
                        "a new agreement is draft or active",
                    ));
                }
                let mut tx = self.begin_write().await?;
                let found: i64 = sqlx::query_scalar($crate::storage::accounts::INSTITUTION_EXISTS)
                    .bind(new.institution_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if found == 0 {
                    return Err($crate::storage::actor::rejected(
                        "INSTITUTION_UNKNOWN",
                        format!("institution {} does not exist", new.institution_id),
                    ));
                }
                let taken: i64 = sqlx::query_scalar(q::NUMBER_TAKEN)
                    .bind(new.institution_id)
                    .bind(&new.dukcapil_number)
                    .bind(0_i64)
                    .bind(&new.institution_number)
                    .fetch_one(&mut *tx)
                    .await?;
                if taken > 0 {
                    return Err($crate::storage::accounts::taken(
                        "AGREEMENT_NUMBER_TAKEN",
                        "the agreement number",
                    ));
                }
                let id: i64 = sqlx::query_scalar(q::INSERT_AGREEMENT)
                    .bind(new.institution_id)
                    .bind(&new.institution_number)
                    .bind(&new.dukcapil_number)
                    .bind(&new.institution_party)
                    .bind(&new.dukcapil_party)
                    .bind(q::day(new.signed_on))
                    .bind(q::day(new.valid_from))
                    .bind(q::day(new.valid_to))
                    .bind(q::elements_text(&new.allowed_elements))
                    .bind(new.daily_quota)
                    .bind(new.status.as_str())
                    .bind(now_ms)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                let event = actor.event(
                    now_ms,
                    "agreement.create",
                    Some(new.institution_id),
                    format!("agreement:{id}"),
                    serde_json::json!({
                        "institution_number": new.institution_number,
                        "dukcapil_number": new.dukcapil_number,
                        "valid_from": q::day(new.valid_from),
                        "valid_to": q::day(new.valid_to),
                        "allowed_elements": q::elements_text(&new.allowed_elements),
                        "daily_quota": new.daily_quota,
                        "status": new.status.as_str(),
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                let agreement = $crate::storage::agreements::load_agreement!(&mut *tx, id)?
                    .ok_or(StorageError::NotFound)?;
                tx.commit().await?;
                Ok(agreement)
            }

            async fn agreement_by_id(
                &self,
                id: i64,
            ) -> Result<Option<$crate::storage::Agreement>, $crate::storage::StorageError> {
                $crate::storage::agreements::load_agreement!(&self.pool, id)
            }

            async fn list_agreements(
                &self,
                institution_id: i64,
            ) -> Result<Vec<$crate::storage::Agreement>, $crate::storage::StorageError> {
                use $crate::storage::agreements as q;
                let rows: Vec<q::AgreementRow> = sqlx::query_as(q::LIST_AGREEMENTS)
                    .bind(institution_id)
                    .fetch_all(&self.pool)
                    .await?;
                let addenda: Vec<q::AddendumRow> = sqlx::query_as(q::ADDENDA_OF_INSTITUTION)
                    .bind(institution_id)
                    .fetch_all(&self.pool)
                    .await?;
                q::assemble(rows, addenda)
            }

            async fn update_agreement(
                &self,
                id: i64,
                update: &$crate::storage::AgreementUpdate,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::Agreement, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, agreements as q};
                let mut tx = self.begin_write().await?;
                let current = $crate::storage::agreements::load_agreement!(&mut *tx, id)?
                    .ok_or(StorageError::NotFound)?;
                if current.status == domain::agreement::AgreementStatus::Terminated {
                    return Err(q::terminated(id));
                }
                let next = q::merged(&current, update);
                q::validate_agreement(&next)?;
                let changed = q::changed_fields(&current, &next);
                if changed.is_empty() {
                    return Ok(current);
                }
                let taken: i64 = sqlx::query_scalar(q::NUMBER_TAKEN)
                    .bind(next.institution_id)
                    .bind(&next.dukcapil_number)
                    .bind(id)
                    .bind(&next.institution_number)
                    .fetch_one(&mut *tx)
                    .await?;
                if taken > 0 {
                    return Err($crate::storage::accounts::taken(
                        "AGREEMENT_NUMBER_TAKEN",
                        "the agreement number",
                    ));
                }
                let done = sqlx::query(q::UPDATE_AGREEMENT)
                    .bind(id)
                    .bind(&next.institution_number)
                    .bind(&next.dukcapil_number)
                    .bind(&next.institution_party)
                    .bind(&next.dukcapil_party)
                    .bind(q::day(next.signed_on))
                    .bind(q::day(next.valid_from))
                    .bind(q::day(next.valid_to))
                    .bind(q::elements_text(&next.allowed_elements))
                    .bind(next.daily_quota)
                    .bind(now_ms)
                    .bind(current.updated_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                if done.rows_affected() != 1 {
                    // Changed meanwhile (another replica): refuse rather than overwrite.
                    return Err(StorageError::Conflict);
                }
                let event = actor.event(
                    now_ms,
                    "agreement.update",
                    Some(current.institution_id),
                    format!("agreement:{id}"),
                    serde_json::json!({ "changed": changed }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                let agreement = $crate::storage::agreements::load_agreement!(&mut *tx, id)?
                    .ok_or(StorageError::NotFound)?;
                tx.commit().await?;
                Ok(agreement)
            }

            async fn set_agreement_status(
                &self,
                id: i64,
                status: domain::agreement::AgreementStatus,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::Agreement, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, agreements as q};
                let mut tx = self.begin_write().await?;
                let current = $crate::storage::agreements::load_agreement!(&mut *tx, id)?
                    .ok_or(StorageError::NotFound)?;
                if !current.status.may_become(status) {
                    return Err($crate::storage::actor::rejected(
                        "AGREEMENT_STATUS_TRANSITION",
                        format!("an agreement cannot go from {} to {status}", current.status),
                    ));
                }
                let done = sqlx::query(q::SET_STATUS)
                    .bind(id)
                    .bind(status.as_str())
                    .bind(current.status.as_str())
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                if done.rows_affected() != 1 {
                    return Err(StorageError::Conflict);
                }
                let event = actor.event(
                    now_ms,
                    "agreement.status_change",
                    Some(current.institution_id),
                    format!("agreement:{id}"),
                    serde_json::json!({ "from": current.status.as_str(), "to": status.as_str() }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                let agreement = $crate::storage::agreements::load_agreement!(&mut *tx, id)?
                    .ok_or(StorageError::NotFound)?;
                tx.commit().await?;
                Ok(agreement)
            }

            async fn record_sptjm(
                &self,
                id: i64,
                sptjm: &$crate::storage::NewSptjm,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::Agreement, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, agreements as q};
                q::validate_sptjm(sptjm)?;
                let mut tx = self.begin_write().await?;
                let current = $crate::storage::agreements::load_agreement!(&mut *tx, id)?
                    .ok_or(StorageError::NotFound)?;
                if current.status == domain::agreement::AgreementStatus::Terminated {
                    return Err(q::terminated(id));
                }
                if let Some(signer) = sptjm.signer_account_id {
                    let row: Option<(String, Option<i64>, String)> = sqlx::query_as(q::SIGNER)
                        .bind(signer)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let ok = matches!(
                        &row,
                        Some((role, inst, status))
                            if role == domain::access::Role::Head.as_str()
                                && *inst == Some(current.institution_id)
                                && status == "active"
                    );
                    if !ok {
                        return Err($crate::storage::actor::rejected(
                            "SPTJM_SIGNER_INVALID",
                            format!(
                                "account {signer} is not an active head of institution {}",
                                current.institution_id
                            ),
                        ));
                    }
                }
                let done = sqlx::query(q::RECORD_SPTJM)
                    .bind(id)
                    .bind(&sptjm.signer_name)
                    .bind(&sptjm.signer_position)
                    .bind(sptjm.signer_account_id)
                    .bind(q::day(sptjm.signed_on))
                    .bind(now_ms)
                    .bind(actor.account_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                if done.rows_affected() != 1 {
                    return Err(StorageError::Conflict);
                }
                let event = actor.event(
                    now_ms,
                    "agreement.sptjm_record",
                    Some(current.institution_id),
                    format!("agreement:{id}"),
                    serde_json::json!({
                        "signer_name": sptjm.signer_name,
                        "signer_account_id": sptjm.signer_account_id,
                        "signed_on": q::day(sptjm.signed_on),
                        "replaces": current.sptjm.as_ref().map(|s| s.signer_name.clone()),
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                let agreement = $crate::storage::agreements::load_agreement!(&mut *tx, id)?
                    .ok_or(StorageError::NotFound)?;
                tx.commit().await?;
                Ok(agreement)
            }

            async fn add_addendum(
                &self,
                id: i64,
                addendum: &$crate::storage::NewAddendum,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::Agreement, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, agreements as q};
                let mut tx = self.begin_write().await?;
                let current = $crate::storage::agreements::load_agreement!(&mut *tx, id)?
                    .ok_or(StorageError::NotFound)?;
                q::validate_addendum(addendum, &current)?;
                // Touch first: replicas adding addenda to one agreement serialise on this row.
                let touched = sqlx::query(q::TOUCH_AGREEMENT)
                    .bind(id)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                if touched.rows_affected() != 1 {
                    return Err(q::terminated(id));
                }
                let addendum_id: i64 = sqlx::query_scalar(q::INSERT_ADDENDUM)
                    .bind(id)
                    .bind(&addendum.number)
                    .bind(q::day(addendum.signed_on))
                    .bind(q::day(addendum.valid_to))
                    .bind(&addendum.note)
                    .bind(now_ms)
                    .bind(actor.account_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                let event = actor.event(
                    now_ms,
                    "agreement.addendum",
                    Some(current.institution_id),
                    format!("agreement:{id}"),
                    serde_json::json!({
                        "addendum_id": addendum_id,
                        "number": addendum.number,
                        "from_valid_to": q::day(current.effective_valid_to()),
                        "valid_to": q::day(addendum.valid_to),
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                let agreement = $crate::storage::agreements::load_agreement!(&mut *tx, id)?
                    .ok_or(StorageError::NotFound)?;
                tx.commit().await?;
                Ok(agreement)
            }

            async fn institution_access_state(
                &self,
                institution_id: i64,
                today: time::Date,
            ) -> Result<domain::agreement::AccessState, $crate::storage::StorageError> {
                let terms: Vec<domain::agreement::AgreementTerms> = self
                    .list_agreements(institution_id)
                    .await?
                    .iter()
                    .map($crate::storage::Agreement::terms)
                    .collect();
                Ok(domain::agreement::access_state(&terms, today))
            }
        }
    };
}
pub(crate) use impl_agreement_store;
