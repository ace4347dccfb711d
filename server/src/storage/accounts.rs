//! Accounts (people and service accounts), the local user IDs they act under (with the history
//! of who held which, when) and the notices of staff changes sent to Disdukcapil: the
//! [`AccountStore`] area, its SQL and the `impl_account_store!` body both backends expand.
//!
//! Rules kept here for every caller (CLI, pages, API):
//! - usernames are unique regardless of case ([`AccountStore::account_by_username`] ignores
//!   case too);
//! - institution-bound roles (`Role::is_institution_bound`) have an institution, the others
//!   none; only institution-bound accounts have a local user ID, unique per institution among
//!   active accounts;
//! - deactivation, role change and password change bump `session_epoch`, which sessions and
//!   tokens compare on every request; deactivation is final;
//! - every change but the password (audited by authentication) writes its audit entry in the
//!   same transaction.

use super::StorageError;
use domain::access::Role;
use domain::identity::{self, AccountStatus, FieldError};
use serde::Serialize;
use std::fmt;

/// A person's or service's account.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: i64,
    /// As typed at creation; compared without case.
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// `None` exactly for roles not bound to an institution.
    pub institution_id: Option<i64>,
    /// The institution's local user ID this account acts under, if mapped.
    pub local_user_id: Option<String>,
    /// Argon2id PHC string; `None` for service accounts. Never serialised.
    #[serde(skip_serializing)]
    pub password_hash: Option<String>,
    pub status: AccountStatus,
    /// The password is a published demo password.
    pub demo_password: bool,
    /// Sessions and tokens issued under another epoch are void.
    pub session_epoch: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub deactivated_at: Option<i64>,
}

impl Account {
    /// Whether the account may sign in and act.
    pub fn is_active(&self) -> bool {
        self.status == AccountStatus::Active
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("institution_id", &self.institution_id)
            .field("local_user_id", &self.local_user_id)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "[REDACTED]"),
            )
            .field("status", &self.status)
            .field("demo_password", &self.demo_password)
            .field("session_epoch", &self.session_epoch)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("deactivated_at", &self.deactivated_at)
            .finish()
    }
}

/// An account as stored (codes as text), before its codes are checked.
#[derive(sqlx::FromRow)]
pub struct AccountRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    institution_id: Option<i64>,
    local_user_id: Option<String>,
    password_hash: Option<String>,
    status: String,
    demo_password: bool,
    session_epoch: i64,
    created_at: i64,
    updated_at: i64,
    deactivated_at: Option<i64>,
}

impl TryFrom<AccountRow> for Account {
    type Error = StorageError;

    fn try_from(r: AccountRow) -> Result<Account, StorageError> {
        let role = Role::parse(&r.role).ok_or_else(|| {
            StorageError::Corrupt(format!("account {}: unknown role {:?}", r.id, r.role))
        })?;
        let status = AccountStatus::parse(&r.status).ok_or_else(|| {
            StorageError::Corrupt(format!("account {}: unknown status {:?}", r.id, r.status))
        })?;
        Ok(Account {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            role,
            institution_id: r.institution_id,
            local_user_id: r.local_user_id,
            password_hash: r.password_hash,
            status,
            demo_password: r.demo_password,
            session_epoch: r.session_epoch,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deactivated_at: r.deactivated_at,
        })
    }
}

/// Fields to create an account.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Required for institution-bound roles, refused for the others.
    pub institution_id: Option<i64>,
    pub local_user_id: Option<String>,
    /// Argon2id PHC string: required for people, refused for service accounts.
    pub password_hash: Option<String>,
    /// The password is a published demo password (demo seeding only).
    pub demo_password: bool,
}

impl fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAccount")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("institution_id", &self.institution_id)
            .field("local_user_id", &self.local_user_id)
            .field("demo_password", &self.demo_password)
            .finish_non_exhaustive()
    }
}

/// One period during which an account held a local user ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LocalUserIdAssignment {
    pub id: i64,
    pub account_id: i64,
    pub institution_id: i64,
    pub local_user_id: String,
    pub assigned_at: i64,
    pub assigned_by: Option<i64>,
    /// `None` while current.
    pub ended_at: Option<i64>,
    pub ended_by: Option<i64>,
}

/// A notice of a staff change sent to Disdukcapil.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StaffChangeNotice {
    pub id: i64,
    pub institution_id: i64,
    /// The account the change is about, when there is one.
    pub account_id: Option<i64>,
    pub what_changed: String,
    /// Who sent the notice (name, position).
    pub notified_by: String,
    /// Letter or e-mail reference.
    pub reference: Option<String>,
    /// When the notice was sent (Unix ms).
    pub notified_at: i64,
    pub recorded_at: i64,
    pub recorded_by: Option<i64>,
}

/// Fields to record a staff-change notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStaffChangeNotice {
    pub institution_id: i64,
    pub account_id: Option<i64>,
    pub what_changed: String,
    pub notified_by: String,
    pub reference: Option<String>,
    pub notified_at: i64,
}

/// Accounts, their local user IDs and staff-change notices.
#[async_trait::async_trait]
pub trait AccountStore {
    /// Creates an account (and its first local-user-ID assignment); audited `account.create`.
    /// Refusals: `USERNAME_INVALID`, `USERNAME_TAKEN`, `DISPLAY_NAME_INVALID`,
    /// `INSTITUTION_REQUIRED`, `INSTITUTION_NOT_ALLOWED`, `INSTITUTION_UNKNOWN`,
    /// `LOCAL_USER_ID_INVALID`, `LOCAL_USER_ID_NOT_ALLOWED`, `LOCAL_USER_ID_TAKEN`,
    /// `PASSWORD_REQUIRED`, `PASSWORD_NOT_ALLOWED`, `PASSWORD_HASH_INVALID`.
    async fn create_account(
        &self,
        new: &NewAccount,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<Account, StorageError>;
    async fn account_by_id(&self, id: i64) -> Result<Option<Account>, StorageError>;
    /// Case-insensitive.
    async fn account_by_username(&self, username: &str) -> Result<Option<Account>, StorageError>;
    /// Every account, by username.
    async fn list_accounts(&self) -> Result<Vec<Account>, StorageError>;
    /// The accounts of one institution, by username.
    async fn list_institution_accounts(
        &self,
        institution_id: i64,
    ) -> Result<Vec<Account>, StorageError>;
    /// Stores a new password hash, sets or clears `demo_password` and bumps `session_epoch`.
    /// Not audited here (authentication audits password changes and resets).
    /// Refusals: `PASSWORD_HASH_INVALID`, `PASSWORD_NOT_ALLOWED` (service account),
    /// `ACCOUNT_DEACTIVATED`.
    async fn set_password_hash(
        &self,
        id: i64,
        phc: &str,
        demo: bool,
        now_ms: i64,
    ) -> Result<Account, StorageError>;
    /// Deactivates (final), bumps `session_epoch`, ends the local-user-ID assignment;
    /// audited `account.deactivate`. Refusal: `ACCOUNT_DEACTIVATED`.
    async fn deactivate_account(
        &self,
        id: i64,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<Account, StorageError>;
    /// Changes the role and bumps `session_epoch`; audited `account.role_change`. The same
    /// role is no change (nothing written). Refusals: `ACCOUNT_DEACTIVATED`,
    /// `ROLE_INSTITUTION_MISMATCH` (across institution-bound and not), `ROLE_SERVICE_FIXED`
    /// (to or from `service`).
    async fn set_role(
        &self,
        id: i64,
        role: Role,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<Account, StorageError>;
    /// Maps the account to a local user ID (or unmaps it with `None`), keeping the history;
    /// audited `account.local_user_id_change`. The same value is no change. Refusals:
    /// `ACCOUNT_DEACTIVATED`, `LOCAL_USER_ID_INVALID`, `LOCAL_USER_ID_NOT_ALLOWED`,
    /// `LOCAL_USER_ID_TAKEN`.
    async fn set_local_user_id(
        &self,
        id: i64,
        local_user_id: Option<&str>,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<Account, StorageError>;
    /// Changes the display name; audited `account.display_name_change`.
    async fn set_display_name(
        &self,
        id: i64,
        display_name: &str,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<Account, StorageError>;
    /// Who held which local user ID in an institution, oldest first.
    async fn local_user_id_history(
        &self,
        institution_id: i64,
    ) -> Result<Vec<LocalUserIdAssignment>, StorageError>;
    /// Records a notice sent to Disdukcapil; audited `staff_change.notice`. Refusals:
    /// `NOTICE_INVALID`, `INSTITUTION_UNKNOWN`, `ACCOUNT_NOT_IN_INSTITUTION`.
    async fn record_staff_change_notice(
        &self,
        new: &NewStaffChangeNotice,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<StaffChangeNotice, StorageError>;
    /// An institution's notices, newest first.
    async fn list_staff_change_notices(
        &self,
        institution_id: i64,
    ) -> Result<Vec<StaffChangeNotice>, StorageError>;
    /// Usernames of active accounts that still have a demo password.
    async fn accounts_with_demo_password(&self) -> Result<Vec<String>, StorageError>;
}

/// Checks a new account's fields (no database needed).
pub(crate) fn validate_new_account(new: &NewAccount) -> Result<(), StorageError> {
    identity::check_username(&new.username)?;
    identity::check_line(
        "display_name",
        "DISPLAY_NAME_INVALID",
        &new.display_name,
        identity::NAME_MAX,
    )?;
    match (new.role.is_institution_bound(), new.institution_id) {
        (true, None) => {
            return Err(super::actor::rejected(
                "INSTITUTION_REQUIRED",
                format!("role {} needs an institution", new.role),
            ));
        }
        (false, Some(_)) => {
            return Err(super::actor::rejected(
                "INSTITUTION_NOT_ALLOWED",
                format!("role {} belongs to no institution", new.role),
            ));
        }
        _ => {}
    }
    if let Some(local) = &new.local_user_id {
        check_local_user_id_allowed(new.role)?;
        identity::check_user_id("local_user_id", "LOCAL_USER_ID_INVALID", local)?;
    }
    match (&new.password_hash, new.role) {
        (Some(_), Role::Service) => {
            return Err(super::actor::rejected(
                "PASSWORD_NOT_ALLOWED",
                "service accounts sign in with API tokens, not passwords",
            ));
        }
        (Some(phc), _) => identity::check_password_hash(phc)?,
        (None, Role::Service) => {}
        (None, _) => {
            return Err(super::actor::rejected(
                "PASSWORD_REQUIRED",
                "people's accounts need a password",
            ));
        }
    }
    if new.demo_password && new.password_hash.is_none() {
        return Err(super::actor::rejected(
            "PASSWORD_REQUIRED",
            "a demo password needs a password hash",
        ));
    }
    Ok(())
}

fn check_local_user_id_allowed(role: Role) -> Result<(), StorageError> {
    if role.is_institution_bound() {
        Ok(())
    } else {
        Err(super::actor::rejected(
            "LOCAL_USER_ID_NOT_ALLOWED",
            format!("role {role} has no local user ID"),
        ))
    }
}

/// Checks a role change of `account` to `role`.
pub(crate) fn validate_role_change(account: &Account, role: Role) -> Result<(), StorageError> {
    if !account.is_active() {
        return Err(deactivated(account.id));
    }
    if account.role.is_institution_bound() != role.is_institution_bound() {
        return Err(super::actor::rejected(
            "ROLE_INSTITUTION_MISMATCH",
            format!(
                "{} and {role} differ in belonging to an institution: create a new account",
                account.role
            ),
        ));
    }
    if (account.role == Role::Service) != (role == Role::Service) {
        return Err(super::actor::rejected(
            "ROLE_SERVICE_FIXED",
            "service accounts stay service accounts, people stay people",
        ));
    }
    Ok(())
}

/// Checks a local-user-ID change of `account`.
pub(crate) fn validate_local_user_id(
    account: &Account,
    local_user_id: Option<&str>,
) -> Result<(), StorageError> {
    if !account.is_active() {
        return Err(deactivated(account.id));
    }
    if let Some(local) = local_user_id {
        check_local_user_id_allowed(account.role)?;
        identity::check_user_id("local_user_id", "LOCAL_USER_ID_INVALID", local)?;
    }
    Ok(())
}

/// Checks a staff-change notice's fields.
pub(crate) fn validate_notice(new: &NewStaffChangeNotice) -> Result<(), StorageError> {
    let f = |e: FieldError| {
        StorageError::from(FieldError {
            code: "NOTICE_INVALID",
            ..e
        })
    };
    identity::check_text(
        "what_changed",
        "NOTICE_INVALID",
        &new.what_changed,
        identity::TEXT_MAX,
    )
    .map_err(f)?;
    identity::check_line(
        "notified_by",
        "NOTICE_INVALID",
        &new.notified_by,
        identity::LINE_MAX,
    )
    .map_err(f)?;
    if let Some(r) = &new.reference {
        identity::check_line("reference", "NOTICE_INVALID", r, identity::LINE_MAX).map_err(f)?;
    }
    Ok(())
}

pub(crate) fn deactivated(id: i64) -> StorageError {
    super::actor::rejected(
        "ACCOUNT_DEACTIVATED",
        format!("account {id} is deactivated"),
    )
}

pub(crate) fn taken(code: &'static str, what: &str) -> StorageError {
    super::actor::rejected(code, format!("{what} is already taken"))
}

macro_rules! account_columns {
    () => {
        "id, username, display_name, role, institution_id, local_user_id, password_hash, \
         status, demo_password, session_epoch, created_at, updated_at, deactivated_at"
    };
}

pub const INSERT_ACCOUNT: &str = concat!(
    "INSERT INTO accounts (username, display_name, role, institution_id, local_user_id, \
       password_hash, demo_password, status, session_epoch, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', 0, $8, $8) RETURNING ",
    account_columns!()
);
pub const ACCOUNT_BY_ID: &str = concat!(
    "SELECT ",
    account_columns!(),
    " FROM accounts WHERE id = $1"
);
pub const ACCOUNT_BY_USERNAME: &str = concat!(
    "SELECT ",
    account_columns!(),
    " FROM accounts WHERE lower(username) = lower($1)"
);
pub const LIST_ACCOUNTS: &str = concat!(
    "SELECT ",
    account_columns!(),
    " FROM accounts ORDER BY lower(username)"
);
pub const LIST_INSTITUTION_ACCOUNTS: &str = concat!(
    "SELECT ",
    account_columns!(),
    " FROM accounts WHERE institution_id = $1 ORDER BY lower(username)"
);
pub const USERNAME_EXISTS: &str = "SELECT COUNT(*) FROM accounts WHERE lower(username) = lower($1)";
pub const INSTITUTION_EXISTS: &str = "SELECT COUNT(*) FROM institutions WHERE id = $1";
pub const LOCAL_USER_ID_HOLDERS: &str = "SELECT COUNT(*) FROM accounts \
     WHERE institution_id = $1 AND local_user_id = $2 AND status = 'active' AND id <> $3";
pub const SET_PASSWORD_HASH: &str = concat!(
    "UPDATE accounts SET password_hash = $2, demo_password = $3, \
       session_epoch = session_epoch + 1, updated_at = $4 \
     WHERE id = $1 AND status = 'active' AND role <> 'service' RETURNING ",
    account_columns!()
);
pub const DEACTIVATE_ACCOUNT: &str = concat!(
    "UPDATE accounts SET status = 'deactivated', deactivated_at = $2, updated_at = $2, \
       session_epoch = session_epoch + 1 \
     WHERE id = $1 AND status = 'active' RETURNING ",
    account_columns!()
);
pub const SET_ROLE: &str = concat!(
    "UPDATE accounts SET role = $2, session_epoch = session_epoch + 1, updated_at = $4 \
     WHERE id = $1 AND role = $3 AND status = 'active' RETURNING ",
    account_columns!()
);
pub const SET_LOCAL_USER_ID: &str = concat!(
    "UPDATE accounts SET local_user_id = $2, updated_at = $4 \
     WHERE id = $1 AND status = 'active' AND local_user_id IS NOT DISTINCT FROM $3 RETURNING ",
    account_columns!()
);
pub const SET_DISPLAY_NAME: &str = concat!(
    "UPDATE accounts SET display_name = $2, updated_at = $3 \
     WHERE id = $1 AND status = 'active' RETURNING ",
    account_columns!()
);
pub const END_LOCAL_USER_ID: &str = "UPDATE local_user_id_history SET ended_at = $2, ended_by = $3 \
     WHERE account_id = $1 AND ended_at IS NULL";
pub const START_LOCAL_USER_ID: &str = "INSERT INTO local_user_id_history \
       (account_id, institution_id, local_user_id, assigned_at, assigned_by) \
     VALUES ($1, $2, $3, $4, $5)";
pub const LOCAL_USER_ID_HISTORY: &str = "SELECT id, account_id, institution_id, local_user_id, \
       assigned_at, assigned_by, ended_at, ended_by \
     FROM local_user_id_history WHERE institution_id = $1 ORDER BY assigned_at, id";
pub const ACCOUNT_INSTITUTION: &str = "SELECT institution_id FROM accounts WHERE id = $1";
pub const INSERT_NOTICE: &str = "INSERT INTO staff_change_notices \
       (institution_id, account_id, what_changed, notified_by, reference, notified_at, \
        recorded_at, recorded_by) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     RETURNING id, institution_id, account_id, what_changed, notified_by, reference, \
       notified_at, recorded_at, recorded_by";
pub const LIST_NOTICES: &str = "SELECT id, institution_id, account_id, what_changed, notified_by, \
       reference, notified_at, recorded_at, recorded_by \
     FROM staff_change_notices WHERE institution_id = $1 ORDER BY notified_at DESC, id DESC";
pub const DEMO_PASSWORD_ACCOUNTS: &str = "SELECT username FROM accounts \
     WHERE demo_password = TRUE AND status = 'active' ORDER BY lower(username)";

/// Implements [`AccountStore`] for a backend struct with a `pool` field.
macro_rules! impl_account_store {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::AccountStore for $ty {
            async fn create_account(
                &self,
                new: &$crate::storage::NewAccount,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::Account, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, accounts as q};
                q::validate_new_account(new)?;
                let mut tx = self.begin_write().await?;
                let taken: i64 = sqlx::query_scalar(q::USERNAME_EXISTS)
                    .bind(&new.username)
                    .fetch_one(&mut *tx)
                    .await?;
                if taken > 0 {
                    return Err(q::taken("USERNAME_TAKEN", &new.username));
                }
                if let Some(inst) = new.institution_id {
                    let found: i64 = sqlx::query_scalar(q::INSTITUTION_EXISTS)
                        .bind(inst)
                        .fetch_one(&mut *tx)
                        .await?;
                    if found == 0 {
                        return Err($crate::storage::actor::rejected(
                            "INSTITUTION_UNKNOWN",
                            format!("institution {inst} does not exist"),
                        ));
                    }
                    if let Some(local) = &new.local_user_id {
                        let holders: i64 = sqlx::query_scalar(q::LOCAL_USER_ID_HOLDERS)
                            .bind(inst)
                            .bind(local)
                            .bind(0_i64)
                            .fetch_one(&mut *tx)
                            .await?;
                        if holders > 0 {
                            return Err(q::taken("LOCAL_USER_ID_TAKEN", local));
                        }
                    }
                }
                let row: q::AccountRow = sqlx::query_as(q::INSERT_ACCOUNT)
                    .bind(&new.username)
                    .bind(&new.display_name)
                    .bind(new.role.as_str())
                    .bind(new.institution_id)
                    .bind(new.local_user_id.as_deref())
                    .bind(new.password_hash.as_deref())
                    .bind(new.demo_password)
                    .bind(now_ms)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                let account = $crate::storage::Account::try_from(row)?;
                if let (Some(inst), Some(local)) = (account.institution_id, &account.local_user_id)
                {
                    sqlx::query(q::START_LOCAL_USER_ID)
                        .bind(account.id)
                        .bind(inst)
                        .bind(local)
                        .bind(now_ms)
                        .bind(actor.account_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(StorageError::from_write)?;
                }
                let event = actor.event(
                    now_ms,
                    "account.create",
                    account.institution_id,
                    format!("account:{}", account.id),
                    serde_json::json!({
                        "username": account.username,
                        "role": account.role.as_str(),
                        "local_user_id": account.local_user_id,
                        "demo_password": account.demo_password,
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(account)
            }

            async fn account_by_id(
                &self,
                id: i64,
            ) -> Result<Option<$crate::storage::Account>, $crate::storage::StorageError> {
                let row: Option<$crate::storage::accounts::AccountRow> =
                    sqlx::query_as($crate::storage::accounts::ACCOUNT_BY_ID)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map($crate::storage::Account::try_from).transpose()
            }

            async fn account_by_username(
                &self,
                username: &str,
            ) -> Result<Option<$crate::storage::Account>, $crate::storage::StorageError> {
                if username.len() > domain::identity::USERNAME_MAX {
                    return Ok(None);
                }
                let row: Option<$crate::storage::accounts::AccountRow> =
                    sqlx::query_as($crate::storage::accounts::ACCOUNT_BY_USERNAME)
                        .bind(username)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map($crate::storage::Account::try_from).transpose()
            }

            async fn list_accounts(
                &self,
            ) -> Result<Vec<$crate::storage::Account>, $crate::storage::StorageError> {
                let rows: Vec<$crate::storage::accounts::AccountRow> =
                    sqlx::query_as($crate::storage::accounts::LIST_ACCOUNTS)
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter()
                    .map($crate::storage::Account::try_from)
                    .collect()
            }

            async fn list_institution_accounts(
                &self,
                institution_id: i64,
            ) -> Result<Vec<$crate::storage::Account>, $crate::storage::StorageError> {
                let rows: Vec<$crate::storage::accounts::AccountRow> =
                    sqlx::query_as($crate::storage::accounts::LIST_INSTITUTION_ACCOUNTS)
                        .bind(institution_id)
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter()
                    .map($crate::storage::Account::try_from)
                    .collect()
            }

            async fn set_password_hash(
                &self,
                id: i64,
                phc: &str,
                demo: bool,
                now_ms: i64,
            ) -> Result<$crate::storage::Account, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, accounts as q};
                domain::identity::check_password_hash(phc)?;
                let row: Option<q::AccountRow> = sqlx::query_as(q::SET_PASSWORD_HASH)
                    .bind(id)
                    .bind(phc)
                    .bind(demo)
                    .bind(now_ms)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StorageError::from_write)?;
                match row {
                    Some(row) => $crate::storage::Account::try_from(row),
                    None => match self.account_by_id(id).await? {
                        None => Err(StorageError::NotFound),
                        Some(a) if !a.is_active() => Err(q::deactivated(id)),
                        Some(_) => Err($crate::storage::actor::rejected(
                            "PASSWORD_NOT_ALLOWED",
                            "service accounts sign in with API tokens, not passwords",
                        )),
                    },
                }
            }

            async fn deactivate_account(
                &self,
                id: i64,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::Account, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, accounts as q};
                let mut tx = self.begin_write().await?;
                let row: Option<q::AccountRow> = sqlx::query_as(q::DEACTIVATE_ACCOUNT)
                    .bind(id)
                    .bind(now_ms)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                let Some(row) = row else {
                    tx.rollback().await?;
                    return match self.account_by_id(id).await? {
                        None => Err(StorageError::NotFound),
                        Some(_) => Err(q::deactivated(id)),
                    };
                };
                let account = $crate::storage::Account::try_from(row)?;
                sqlx::query(q::END_LOCAL_USER_ID)
                    .bind(id)
                    .bind(now_ms)
                    .bind(actor.account_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                let event = actor.event(
                    now_ms,
                    "account.deactivate",
                    account.institution_id,
                    format!("account:{id}"),
                    serde_json::json!({
                        "username": account.username,
                        "role": account.role.as_str(),
                        "local_user_id": account.local_user_id,
                        "session_epoch": account.session_epoch,
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(account)
            }

            async fn set_role(
                &self,
                id: i64,
                role: domain::access::Role,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::Account, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, accounts as q};
                let current = self.account_by_id(id).await?.ok_or(StorageError::NotFound)?;
                q::validate_role_change(&current, role)?;
                if current.role == role {
                    return Ok(current);
                }
                let mut tx = self.begin_write().await?;
                let row: Option<q::AccountRow> = sqlx::query_as(q::SET_ROLE)
                    .bind(id)
                    .bind(role.as_str())
                    .bind(current.role.as_str())
                    .bind(now_ms)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                // Changed meanwhile (another replica): refuse rather than overwrite.
                let row = row.ok_or(StorageError::Conflict)?;
                let account = $crate::storage::Account::try_from(row)?;
                let event = actor.event(
                    now_ms,
                    "account.role_change",
                    account.institution_id,
                    format!("account:{id}"),
                    serde_json::json!({
                        "username": account.username,
                        "from": current.role.as_str(),
                        "to": role.as_str(),
                        "session_epoch": account.session_epoch,
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(account)
            }

            async fn set_local_user_id(
                &self,
                id: i64,
                local_user_id: Option<&str>,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::Account, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, accounts as q};
                let current = self.account_by_id(id).await?.ok_or(StorageError::NotFound)?;
                q::validate_local_user_id(&current, local_user_id)?;
                if current.local_user_id.as_deref() == local_user_id {
                    return Ok(current);
                }
                let Some(inst) = current.institution_id else {
                    return Err($crate::storage::actor::rejected(
                        "LOCAL_USER_ID_NOT_ALLOWED",
                        "this account belongs to no institution",
                    ));
                };
                let mut tx = self.begin_write().await?;
                if let Some(local) = local_user_id {
                    let holders: i64 = sqlx::query_scalar(q::LOCAL_USER_ID_HOLDERS)
                        .bind(inst)
                        .bind(local)
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                    if holders > 0 {
                        return Err(q::taken("LOCAL_USER_ID_TAKEN", local));
                    }
                }
                let row: Option<q::AccountRow> = sqlx::query_as(q::SET_LOCAL_USER_ID)
                    .bind(id)
                    .bind(local_user_id)
                    .bind(current.local_user_id.as_deref())
                    .bind(now_ms)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                let row = row.ok_or(StorageError::Conflict)?;
                let account = $crate::storage::Account::try_from(row)?;
                sqlx::query(q::END_LOCAL_USER_ID)
                    .bind(id)
                    .bind(now_ms)
                    .bind(actor.account_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                if let Some(local) = local_user_id {
                    sqlx::query(q::START_LOCAL_USER_ID)
                        .bind(id)
                        .bind(inst)
                        .bind(local)
                        .bind(now_ms)
                        .bind(actor.account_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(StorageError::from_write)?;
                }
                let event = actor.event(
                    now_ms,
                    "account.local_user_id_change",
                    Some(inst),
                    format!("account:{id}"),
                    serde_json::json!({
                        "username": account.username,
                        "from": current.local_user_id,
                        "to": local_user_id,
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(account)
            }

            async fn set_display_name(
                &self,
                id: i64,
                display_name: &str,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::Account, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, accounts as q};
                domain::identity::check_line(
                    "display_name",
                    "DISPLAY_NAME_INVALID",
                    display_name,
                    domain::identity::NAME_MAX,
                )?;
                let mut tx = self.begin_write().await?;
                let row: Option<q::AccountRow> = sqlx::query_as(q::SET_DISPLAY_NAME)
                    .bind(id)
                    .bind(display_name)
                    .bind(now_ms)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                let Some(row) = row else {
                    tx.rollback().await?;
                    return match self.account_by_id(id).await? {
                        None => Err(StorageError::NotFound),
                        Some(_) => Err(q::deactivated(id)),
                    };
                };
                let account = $crate::storage::Account::try_from(row)?;
                let event = actor.event(
                    now_ms,
                    "account.display_name_change",
                    account.institution_id,
                    format!("account:{id}"),
                    serde_json::json!({ "username": account.username }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(account)
            }

            async fn local_user_id_history(
                &self,
                institution_id: i64,
            ) -> Result<Vec<$crate::storage::LocalUserIdAssignment>, $crate::storage::StorageError>
            {
                Ok(
                    sqlx::query_as($crate::storage::accounts::LOCAL_USER_ID_HISTORY)
                        .bind(institution_id)
                        .fetch_all(&self.pool)
                        .await?,
                )
            }

            async fn record_staff_change_notice(
                &self,
                new: &$crate::storage::NewStaffChangeNotice,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::StaffChangeNotice, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, accounts as q};
                q::validate_notice(new)?;
                let mut tx = self.begin_write().await?;
                let found: i64 = sqlx::query_scalar(q::INSTITUTION_EXISTS)
                    .bind(new.institution_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if found == 0 {
                    return Err($crate::storage::actor::rejected(
                        "INSTITUTION_UNKNOWN",
                        format!("institution {} does not exist", new.institution_id),
                    ));
                }
                if let Some(account_id) = new.account_id {
                    let inst: Option<Option<i64>> = sqlx::query_scalar(q::ACCOUNT_INSTITUTION)
                        .bind(account_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if inst.flatten() != Some(new.institution_id) {
                        return Err($crate::storage::actor::rejected(
                            "ACCOUNT_NOT_IN_INSTITUTION",
                            format!(
                                "account {account_id} is not an account of institution {}",
                                new.institution_id
                            ),
                        ));
                    }
                }
                let notice: $crate::storage::StaffChangeNotice = sqlx::query_as(q::INSERT_NOTICE)
                    .bind(new.institution_id)
                    .bind(new.account_id)
                    .bind(&new.what_changed)
                    .bind(&new.notified_by)
                    .bind(new.reference.as_deref())
                    .bind(new.notified_at)
                    .bind(now_ms)
                    .bind(actor.account_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                let event = actor.event(
                    now_ms,
                    "staff_change.notice",
                    Some(new.institution_id),
                    format!("staff_change_notice:{}", notice.id),
                    serde_json::json!({
                        "account_id": new.account_id,
                        "notified_at": new.notified_at,
                        "reference": new.reference,
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(notice)
            }

            async fn list_staff_change_notices(
                &self,
                institution_id: i64,
            ) -> Result<Vec<$crate::storage::StaffChangeNotice>, $crate::storage::StorageError>
            {
                Ok(sqlx::query_as($crate::storage::accounts::LIST_NOTICES)
                    .bind(institution_id)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn accounts_with_demo_password(
                &self,
            ) -> Result<Vec<String>, $crate::storage::StorageError> {
                Ok(
                    sqlx::query_scalar($crate::storage::accounts::DEMO_PASSWORD_ACCOUNTS)
                        .fetch_all(&self.pool)
                        .await?,
                )
            }
        }
    };
}
pub(crate) use impl_account_store;
