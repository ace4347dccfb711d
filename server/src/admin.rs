//! `sigap admin`: the first accounts and institutions, from the server's console (before any
//! page exists to do it, and to recover a locked-out installation).
//!
//! ```text
//! sigap admin institution create --code BPBD-3313 --name "BPBD Kabupaten Karanganyar" --region-code 33.13 [--address TEXT]
//! sigap admin institution list
//! sigap admin account create --username U --role disdukcapil_admin [--institution CODE] [--local-user ID] [--display-name NAME] --password-stdin
//! sigap admin account set-password --username U --password-stdin
//! sigap admin account deactivate --username U
//! sigap admin account list [--institution CODE]
//! sigap admin token create --institution CODE --local-user ID [--purpose TEXT] [--expires-days N]
//! sigap admin token list --institution CODE
//! sigap admin token revoke --id N
//! sigap admin quota set --user-id BPBD3313 --daily 2500
//! sigap admin quota clear --user-id BPBD3313
//! sigap admin quota show --user-id BPBD3313
//! sigap admin quota operator-cap --username U (--daily N | --clear)
//! ```
//!
//! Passwords are read from standard input (one line), never from arguments; they must meet
//! the password policy (`auth::password`). Every change is audited with the actor `cli`.
//! Refusals print a stable code (`sigap: USERNAME_TAKEN: ...`) and exit with status 2.

use crate::auth::password;
use crate::storage::{
    Account, Actor, Institution, NewAccount, NewInstitution, Storage, StorageError,
};
use domain::access::Role;
use domain::identity;
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};
use std::io::Read;

/// `sigap admin ...`.
#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Institutions (instansi).
    #[command(subcommand)]
    Institution(InstitutionCommand),
    /// Accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Web-service API tokens (for BPBD's internal applications).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Daily quotas of Dukcapil user IDs and operators.
    #[command(subcommand)]
    Quota(QuotaCommand),
}

/// `sigap admin token ...`.
#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Issue a token for the institution's service account with this local user ID; the token
    /// is printed once and cannot be shown again.
    Create {
        /// Institution code, e.g. BPBD-3313.
        #[arg(long)]
        institution: String,
        /// Local user ID of an active service account of that institution, e.g. api-demo.
        #[arg(long = "local-user")]
        local_user: String,
        /// What the token is for (keperluan), e.g. "Aplikasi bantuan logistik". Without it,
        /// every request of the token must give its own `purpose`.
        #[arg(long, default_value = "")]
        purpose: String,
        /// Days until the token expires (default: no expiry; revoke it when no longer needed).
        #[arg(long)]
        expires_days: Option<u32>,
    },
    /// List the institution's tokens (prefix, account, purpose, state; never the token).
    List {
        #[arg(long)]
        institution: String,
    },
    /// Revoke a token by its id.
    Revoke {
        #[arg(long)]
        id: i64,
    },
}

/// `sigap admin quota ...`.
#[derive(Debug, clap::Subcommand)]
pub enum QuotaCommand {
    /// Set the daily quota of a Dukcapil user ID (overrides the agreement's quota; applies
    /// at once, to today's remaining hits too).
    Set {
        /// The Dukcapil user ID as granted, e.g. BPBD3313.
        #[arg(long = "user-id")]
        user_id: String,
        /// Hits per WIB day, 1 to 1000000.
        #[arg(long, allow_hyphen_values = true)]
        daily: String,
    },
    /// Remove a user ID's own daily quota: the agreement's applies again.
    Clear {
        #[arg(long = "user-id")]
        user_id: String,
    },
    /// Show a user ID's quota today (WIB): limit, used, remaining, reset time.
    Show {
        #[arg(long = "user-id")]
        user_id: String,
    },
    /// Set (--daily N) or remove (--clear) an operator's own daily cap.
    OperatorCap {
        #[arg(long)]
        username: String,
        /// Hits per WIB day, 1 to 1000000.
        #[arg(
            long,
            allow_hyphen_values = true,
            conflicts_with = "clear",
            required_unless_present = "clear"
        )]
        daily: Option<String>,
        #[arg(long)]
        clear: bool,
    },
}

/// `sigap admin institution ...`.
#[derive(Debug, clap::Subcommand)]
pub enum InstitutionCommand {
    /// Create an institution.
    Create {
        /// Short unique code, e.g. BPBD-3313 (letters, digits, hyphens).
        #[arg(long)]
        code: String,
        /// Full name, e.g. "BPBD Kabupaten Karanganyar".
        #[arg(long)]
        name: String,
        /// Kemendagri code of its regency/city or district, e.g. 33.13.
        #[arg(long)]
        region_code: String,
        /// Office address.
        #[arg(long, default_value = "")]
        address: String,
    },
    /// List institutions.
    List,
}

/// `sigap admin account ...`.
#[derive(Debug, clap::Subcommand)]
pub enum AccountCommand {
    /// Create an account. People need --password-stdin; service accounts take none.
    Create {
        #[arg(long)]
        username: String,
        /// operator, institution_admin, head, disdukcapil_admin, disdukcapil_evaluator,
        /// auditor or service.
        #[arg(long)]
        role: String,
        /// Institution code; required for operator, institution_admin, head and service.
        #[arg(long)]
        institution: Option<String>,
        /// Local user ID (operators and service accounts).
        #[arg(long = "local-user")]
        local_user: Option<String>,
        /// Name shown in the portal (default: the username).
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (clears the demo-password mark, ends sessions).
    SetPassword {
        #[arg(long)]
        username: String,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Deactivate an account (final; ends its sessions and tokens).
    Deactivate {
        #[arg(long)]
        username: String,
    },
    /// List accounts.
    List {
        /// Only this institution's accounts.
        #[arg(long)]
        institution: Option<String>,
    },
}

/// Why an admin command failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// A refusal with a stable code (exit status 2).
    #[error("{code}: {message}")]
    Refused { code: &'static str, message: String },
    /// Anything else (exit status 1).
    #[error("{0}")]
    Failed(String),
}

impl AdminError {
    fn refused(code: &'static str, message: impl Into<String>) -> Self {
        AdminError::Refused {
            code,
            message: message.into(),
        }
    }

    /// The process exit status.
    pub fn exit_code(&self) -> u8 {
        match self {
            AdminError::Refused { .. } => 2,
            AdminError::Failed(_) => 1,
        }
    }
}

impl From<StorageError> for AdminError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Rejected { code, message } => AdminError::Refused { code, message },
            StorageError::Conflict => AdminError::refused("CONFLICT", "changed meanwhile; retry"),
            StorageError::NotFound => AdminError::refused("NOT_FOUND", "not found"),
            other => AdminError::Failed(format!("database: {other}")),
        }
    }
}

/// Runs one admin command; `stdin` supplies passwords. Returns the lines to print.
pub async fn run(
    storage: &dyn Storage,
    command: AdminCommand,
    stdin: &mut dyn Read,
    now_ms: i64,
) -> Result<Vec<String>, AdminError> {
    match command {
        AdminCommand::Institution(InstitutionCommand::Create {
            code,
            name,
            region_code,
            address,
        }) => {
            let i = create_institution(
                storage,
                &NewInstitution {
                    code,
                    name,
                    region_code,
                    address,
                },
                now_ms,
            )
            .await?;
            Ok(vec![format!(
                "created institution {} (id {}, region {}): {}",
                i.code, i.id, i.region_code, i.name
            )])
        }
        AdminCommand::Institution(InstitutionCommand::List) => Ok(storage
            .list_institutions()
            .await?
            .into_iter()
            .map(|i| format!("{:<16} {:<8} {}", i.code, i.region_code, i.name))
            .collect()),
        AdminCommand::Account(AccountCommand::Create {
            username,
            role,
            institution,
            local_user,
            display_name,
            password_stdin,
        }) => {
            let role = Role::parse(&role).ok_or_else(|| {
                AdminError::refused(
                    "ROLE_UNKNOWN",
                    format!(
                        "unknown role {role:?}; one of: {}",
                        Role::ALL.map(Role::as_str).join(", ")
                    ),
                )
            })?;
            let password = if password_stdin {
                Some(read_password(stdin)?)
            } else {
                None
            };
            let a = create_account(
                storage,
                &AccountSpec {
                    username,
                    role,
                    institution_code: institution,
                    local_user_id: local_user,
                    display_name,
                    password,
                },
                now_ms,
            )
            .await?;
            Ok(vec![format!(
                "created account {} (id {}, role {})",
                a.username, a.id, a.role
            )])
        }
        AdminCommand::Account(AccountCommand::SetPassword {
            username,
            password_stdin,
        }) => {
            if !password_stdin {
                return Err(AdminError::refused(
                    "PASSWORD_REQUIRED",
                    "give the password on standard input with --password-stdin",
                ));
            }
            let password = read_password(stdin)?;
            let a = set_password(storage, &username, &password, now_ms).await?;
            Ok(vec![format!(
                "new password set for {} (sessions ended)",
                a.username
            )])
        }
        AdminCommand::Account(AccountCommand::Deactivate { username }) => {
            let a = account(storage, &username).await?;
            let a = storage
                .deactivate_account(a.id, &Actor::cli(), now_ms)
                .await?;
            Ok(vec![format!(
                "deactivated {} (sessions and tokens ended)",
                a.username
            )])
        }
        AdminCommand::Token(command) => token_command(storage, command, now_ms).await,
        AdminCommand::Quota(command) => quota_command(storage, command, now_ms).await,
        AdminCommand::Account(AccountCommand::List { institution }) => {
            let accounts = match institution {
                Some(code) => {
                    let i = institution_by_code(storage, &code).await?;
                    storage.list_institution_accounts(i.id).await?
                }
                None => storage.list_accounts().await?,
            };
            Ok(accounts
                .into_iter()
                .map(|a| {
                    format!(
                        "{:<24} {:<22} {:<11} {}{}",
                        a.username,
                        a.role.as_str(),
                        a.status.as_str(),
                        a.local_user_id.as_deref().unwrap_or("-"),
                        if a.demo_password {
                            "  (demo password)"
                        } else {
                            ""
                        }
                    )
                })
                .collect())
        }
    }
}

/// `sigap admin token ...`.
async fn token_command(
    storage: &dyn Storage,
    command: TokenCommand,
    now_ms: i64,
) -> Result<Vec<String>, AdminError> {
    match command {
        TokenCommand::Create {
            institution,
            local_user,
            purpose,
            expires_days,
        } => {
            let i = institution_by_code(storage, &institution).await?;
            let account = storage
                .list_institution_accounts(i.id)
                .await?
                .into_iter()
                .find(|a| {
                    a.local_user_id.as_deref() == Some(local_user.as_str())
                        && a.status == domain::identity::AccountStatus::Active
                })
                .ok_or_else(|| {
                    AdminError::refused(
                        "LOCAL_USER_UNKNOWN",
                        format!(
                            "no active account of {} has local user ID {local_user:?}",
                            i.code
                        ),
                    )
                })?;
            let expires_at_ms = match expires_days {
                Some(0) => {
                    return Err(AdminError::refused(
                        "EXPIRY_INVALID",
                        "--expires-days must be at least 1",
                    ));
                }
                Some(days) => Some(now_ms + i64::from(days) * 86_400_000),
                None => None,
            };
            let (record, token) = crate::auth::token::issue(
                storage,
                &account,
                &purpose,
                expires_at_ms,
                &Actor::cli(),
                now_ms,
            )
            .await?;
            Ok(vec![
                format!(
                    "created API token {} (id {}) for {} ({}), purpose: {}",
                    record.token_prefix, record.id, account.username, local_user, record.purpose
                ),
                "the token, shown only now (store it in the calling application's secret store):"
                    .to_string(),
                token.expose_secret().to_string(),
            ])
        }
        TokenCommand::List { institution } => {
            let i = institution_by_code(storage, &institution).await?;
            Ok(storage
                .list_api_tokens(i.id)
                .await?
                .into_iter()
                .map(|t| {
                    let state = if t.revoked_at_ms.is_some() {
                        "revoked"
                    } else if !t.usable(now_ms) {
                        "expired"
                    } else {
                        "active"
                    };
                    format!(
                        "{:<6} {:<14} account {:<6} {:<8} {}",
                        t.id, t.token_prefix, t.account_id, state, t.purpose
                    )
                })
                .collect())
        }
        TokenCommand::Revoke { id } => {
            let t = storage.revoke_api_token(id, &Actor::cli(), now_ms).await?;
            Ok(vec![format!(
                "revoked API token {} (id {})",
                t.token_prefix, t.id
            )])
        }
    }
}

/// `sigap admin quota ...`; changes are audited (`quota.set`, `quota.clear`,
/// `quota.operator_cap_set`, `quota.operator_cap_clear`) with the actor `cli`.
pub async fn quota_command(
    storage: &dyn Storage,
    command: QuotaCommand,
    now_ms: i64,
) -> Result<Vec<String>, AdminError> {
    let daily = |text: &str| {
        domain::quota::parse_daily_limit(text)
            .map_err(|e| AdminError::refused(e.code(), e.to_string()))
    };
    match command {
        QuotaCommand::Set {
            user_id,
            daily: text,
        } => {
            let n = daily(&text)?;
            storage
                .set_user_id_daily_limit(&user_id, Some(n), &Actor::cli(), now_ms)
                .await?;
            let mut lines = vec![format!("daily quota of {user_id} set to {n}")];
            lines.extend(quota_lines(storage, &user_id, now_ms).await?);
            Ok(lines)
        }
        QuotaCommand::Clear { user_id } => {
            storage
                .set_user_id_daily_limit(&user_id, None, &Actor::cli(), now_ms)
                .await?;
            let mut lines = vec![format!(
                "daily quota of {user_id} cleared: the agreement's applies"
            )];
            lines.extend(quota_lines(storage, &user_id, now_ms).await?);
            Ok(lines)
        }
        QuotaCommand::Show { user_id } => quota_lines(storage, &user_id, now_ms).await,
        QuotaCommand::OperatorCap {
            username,
            daily: text,
            clear,
        } => {
            let cap = match (text, clear) {
                (Some(text), false) => Some(daily(&text)?),
                (None, true) => None,
                _ => {
                    return Err(AdminError::refused(
                        "QUOTA_INVALID",
                        "give either --daily N or --clear",
                    ));
                }
            };
            let a = account(storage, &username).await?;
            storage
                .set_operator_daily_cap(a.id, cap, &Actor::cli(), now_ms)
                .await?;
            let s = crate::quota::operator_status(storage, a.id, now_ms).await?;
            Ok(vec![match cap {
                Some(n) => format!(
                    "daily cap of {} set to {n} (used today: {})",
                    a.username, s.used
                ),
                None => format!(
                    "daily cap of {} removed (used today: {})",
                    a.username, s.used
                ),
            }])
        }
    }
}

async fn quota_lines(
    storage: &dyn Storage,
    user_id: &str,
    now_ms: i64,
) -> Result<Vec<String>, AdminError> {
    let s = crate::quota::status(storage, user_id, now_ms)
        .await
        .map_err(|e| match e {
            crate::quota::QuotaRefusal::Storage(e) => AdminError::from(e),
            other => AdminError::refused(other.code(), other.to_string()),
        })?;
    let source = match s.limit_source {
        crate::quota::LimitSource::Override => "set for this user ID".to_string(),
        crate::quota::LimitSource::Agreement { agreement_id } => {
            format!("agreement {agreement_id}")
        }
        crate::quota::LimitSource::Default => "default, no agreement in force".to_string(),
    };
    Ok(vec![
        format!(
            "user ID {} on {} (WIB): limit {} ({source})",
            s.dukcapil_user_id,
            crate::storage::actor::day_text(s.day),
            s.limit
        ),
        format!(
            "used {}, remaining {}, ambiguous {}, refunded {}{}",
            s.used,
            s.remaining,
            s.ambiguous,
            s.refunded,
            if s.exhausted {
                ", closed by Dukcapil (05)"
            } else {
                ""
            }
        ),
        format!("resets at {}", crate::quota::wib_text(s.resets_at_ms)),
    ])
}

/// An account to create from the console.
pub struct AccountSpec {
    pub username: String,
    pub role: Role,
    pub institution_code: Option<String>,
    pub local_user_id: Option<String>,
    pub display_name: Option<String>,
    pub password: Option<SecretString>,
}

/// Checks and creates an institution; audited `institution.create`.
pub async fn create_institution(
    storage: &dyn Storage,
    new: &NewInstitution,
    now_ms: i64,
) -> Result<Institution, AdminError> {
    let code_ok = (2..=32).contains(&new.code.len())
        && new
            .code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !code_ok {
        return Err(AdminError::refused(
            "INSTITUTION_CODE_INVALID",
            "2-32 letters, digits or hyphens, e.g. BPBD-3313",
        ));
    }
    identity::check_line(
        "name",
        "INSTITUTION_NAME_INVALID",
        &new.name,
        identity::LINE_MAX,
    )
    .map_err(StorageError::from)?;
    let region = identity::normalize_region_code("region_code", &new.region_code)
        .map_err(StorageError::from)?;
    if !new.address.is_empty() {
        identity::check_text(
            "address",
            "ADDRESS_INVALID",
            &new.address,
            identity::TEXT_MAX,
        )
        .map_err(StorageError::from)?;
    }
    if storage.institution_by_code(&new.code).await?.is_some() {
        return Err(AdminError::refused(
            "INSTITUTION_CODE_TAKEN",
            format!("institution {} already exists", new.code),
        ));
    }
    let created = storage
        .create_institution(
            &NewInstitution {
                region_code: region,
                ..new.clone()
            },
            now_ms,
        )
        .await?;
    storage
        .append_audit_event(&Actor::cli().event(
            now_ms,
            "institution.create",
            Some(created.id),
            format!("institution:{}", created.id),
            serde_json::json!({ "code": created.code, "region_code": created.region_code }),
        ))
        .await?;
    Ok(created)
}

/// Checks the password against the policy, hashes it and creates the account.
pub async fn create_account(
    storage: &dyn Storage,
    spec: &AccountSpec,
    now_ms: i64,
) -> Result<Account, AdminError> {
    let institution_id = match &spec.institution_code {
        Some(code) => Some(institution_by_code(storage, code).await?.id),
        None => None,
    };
    let password_hash = match (&spec.password, spec.role) {
        (Some(_), Role::Service) => {
            return Err(AdminError::refused(
                "PASSWORD_NOT_ALLOWED",
                "service accounts sign in with API tokens, not passwords",
            ));
        }
        (Some(pw), _) => Some(checked_hash(pw, &spec.username)?),
        (None, Role::Service) => None,
        (None, _) => {
            return Err(AdminError::refused(
                "PASSWORD_REQUIRED",
                "give the password on standard input with --password-stdin",
            ));
        }
    };
    let account = storage
        .create_account(
            &NewAccount {
                username: spec.username.clone(),
                display_name: spec
                    .display_name
                    .clone()
                    .unwrap_or_else(|| spec.username.clone()),
                role: spec.role,
                institution_id,
                local_user_id: spec.local_user_id.clone(),
                password_hash,
                demo_password: false,
            },
            &Actor::cli(),
            now_ms,
        )
        .await?;
    Ok(account)
}

/// Sets a new password (policy-checked); clears `demo_password`, ends sessions; audited
/// `account.password_set`.
pub async fn set_password(
    storage: &dyn Storage,
    username: &str,
    password: &SecretString,
    now_ms: i64,
) -> Result<Account, AdminError> {
    let current = account(storage, username).await?;
    let phc = checked_hash(password, &current.username)?;
    let account = storage
        .set_password_hash(current.id, &phc, false, now_ms)
        .await?;
    storage
        .append_audit_event(&Actor::cli().event(
            now_ms,
            "account.password_set",
            account.institution_id,
            format!("account:{}", account.id),
            serde_json::json!({ "username": account.username, "by": "cli" }),
        ))
        .await?;
    Ok(account)
}

fn checked_hash(password: &SecretString, username: &str) -> Result<String, AdminError> {
    password::check_policy_for_user(password.expose_secret(), Some(username))
        .map_err(|e| AdminError::refused(e.code(), e.message()))?;
    password::hash_password(password.expose_secret())
        .map_err(|e| AdminError::Failed(format!("password hashing: {e}")))
}

async fn account(storage: &dyn Storage, username: &str) -> Result<Account, AdminError> {
    storage
        .account_by_username(username)
        .await?
        .ok_or_else(|| AdminError::refused("ACCOUNT_UNKNOWN", format!("no account {username:?}")))
}

async fn institution_by_code(storage: &dyn Storage, code: &str) -> Result<Institution, AdminError> {
    storage.institution_by_code(code).await?.ok_or_else(|| {
        AdminError::refused(
            "INSTITUTION_UNKNOWN",
            format!("no institution {code:?} (see `sigap admin institution list`)"),
        )
    })
}

/// One line from standard input: the trailing line break is removed, nothing else.
fn read_password(stdin: &mut dyn Read) -> Result<SecretString, AdminError> {
    let mut buf = Zeroizing::new(String::new());
    stdin
        .take(4096)
        .read_to_string(&mut buf)
        .map_err(|e| AdminError::Failed(format!("cannot read the password from stdin: {e}")))?;
    let line = buf.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        return Err(AdminError::refused(
            "PASSWORD_REQUIRED",
            "standard input held no password",
        ));
    }
    Ok(SecretString::from(line))
}
