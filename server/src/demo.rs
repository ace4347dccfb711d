//! `sigap demo`: the embedded default with synthetic data: a SQLite file under `./data/`,
//! the demo institution, loopback only.
//!
//! Seeding ([`seed`], [`seed_credentials`]) is idempotent: each record is looked up by its
//! natural key (code, username, number, local user ID) and created only when missing. The demo
//! identities ([`DEMO_LOGINS`]) have fixed, published, synthetic passwords; their accounts carry
//! `demo_password`, so a non-demo start refuses to run while any of them still has it.

use crate::{
    StartupError,
    config::Config,
    storage::{
        Actor, NewAccount, NewAddendum, NewAgreement, NewInstitution, NewSptjm, Storage,
        StorageError, UserIdApplication,
    },
};
use domain::access::Role;
use domain::agreement::{AgreementStatus, PksElement};
use domain::identity::EmploymentStatus;
use time::macros::date;

/// The demo institution: BPBD of Kabupaten Karanganyar (region 33.13).
pub const DEMO_INSTITUTION_CODE: &str = "BPBD-3313";

/// Adjusts a loaded configuration for the demo: own database file, demo institution, and a
/// refusal to listen anywhere but loopback.
pub fn prepare_config(mut config: Config) -> Result<Config, StartupError> {
    if !config.bind.ip().is_loopback() {
        return Err(StartupError::Demo(format!(
            "configuration key `bind`: the demo listens on loopback only (127.0.0.1), not {}",
            config.bind.ip()
        )));
    }
    std::fs::create_dir_all(&config.data_dir).map_err(|e| StartupError::DataDir {
        path: config.data_dir.clone(),
        reason: format!("cannot be created: {e}"),
    })?;
    if config.database_url.is_none() {
        config.database_url = Some(format!(
            "sqlite://{}",
            config.data_dir.join("sigap-demo.db").display()
        ));
    }
    if config.institution.code.is_none() {
        config.institution.code = Some(DEMO_INSTITUTION_CODE.to_string());
    }
    Ok(config)
}

/// Starts the Dukcapil simulator in-process on its own loopback port (demo seed, so
/// `dukcapil-sim --export-sample N` lists residents it knows) and points `[upstream]` at it.
pub async fn start_simulator(
    config: &mut Config,
) -> Result<(std::net::SocketAddr, dukcapil_sim::Simulator), StartupError> {
    use dukcapil_sim::config as sim;
    let (addr, simulator, _task) = dukcapil_sim::spawn(dukcapil_sim::SimConfig::default())
        .await
        .map_err(|e| StartupError::Demo(format!("cannot start the Dukcapil simulator: {e}")))?;
    let up = &mut config.upstream;
    up.base_url = Some(format!("http://{addr}/dukcapil/get_json"));
    up.consumer = sim::DEMO_CONSUMER.into();
    up.user_id = sim::DEMO_USER_ID.into();
    up.password = Some(crate::upstream::UpstreamPassword::new(sim::DEMO_PASSWORD));
    up.password_file = None;
    up.ip_user = sim::DEMO_IP.into();
    Ok((addr, simulator))
}

/// A demo identity: fixed username and (for people) a fixed, published, synthetic password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoLogin {
    pub username: &'static str,
    /// `None` for the service account (it uses API tokens).
    pub password: Option<&'static str>,
    pub role: Role,
    pub display_name: &'static str,
    pub local_user_id: Option<&'static str>,
}

/// The Disdukcapil admin.
pub const DEMO_DISDUKCAPIL_ADMIN: DemoLogin = DemoLogin {
    username: "admin.dukcapil",
    password: Some("demo-disdukcapil-admin-1"),
    role: Role::DisdukcapilAdmin,
    display_name: "Admin Disdukcapil (Demo)",
    local_user_id: None,
};
/// The Disdukcapil evaluator.
pub const DEMO_EVALUATOR: DemoLogin = DemoLogin {
    username: "evaluator.dukcapil",
    password: Some("demo-disdukcapil-evaluator-1"),
    role: Role::DisdukcapilEvaluator,
    display_name: "Evaluator Disdukcapil (Demo)",
    local_user_id: None,
};
/// The auditor.
pub const DEMO_AUDITOR: DemoLogin = DemoLogin {
    username: "auditor.demo",
    password: Some("demo-audit-trail-reader-1"),
    role: Role::Auditor,
    display_name: "Auditor (Demo)",
    local_user_id: None,
};
/// The head of BPBD Karanganyar (penanggung jawab), who signed the SPTJM.
pub const DEMO_HEAD: DemoLogin = DemoLogin {
    username: "kepala.bpbd",
    password: Some("demo-head-bpbd-karanganyar"),
    role: Role::Head,
    display_name: "Kepala Pelaksana BPBD (Demo)",
    local_user_id: None,
};
/// The institution admin of BPBD Karanganyar.
pub const DEMO_INSTITUTION_ADMIN: DemoLogin = DemoLogin {
    username: "admin.bpbd",
    password: Some("demo-institution-admin-1"),
    role: Role::InstitutionAdmin,
    display_name: "Admin BPBD (Demo)",
    local_user_id: None,
};
/// The first operator.
pub const DEMO_OPERATOR_1: DemoLogin = DemoLogin {
    username: "operator1",
    password: Some("demo-operator-1-bpbd"),
    role: Role::Operator,
    display_name: "Petugas Satu (Demo)",
    local_user_id: Some("op-demo-1"),
};
/// The second operator.
pub const DEMO_OPERATOR_2: DemoLogin = DemoLogin {
    username: "operator2",
    password: Some("demo-operator-2-bpbd"),
    role: Role::Operator,
    display_name: "Petugas Dua (Demo)",
    local_user_id: Some("op-demo-2"),
};
/// The third operator: the Cek NIK browser test's own (laptop), so the identity test keeps
/// the first sign-in of `operator1` / `operator2`.
pub const DEMO_OPERATOR_3: DemoLogin = DemoLogin {
    username: "operator3",
    password: Some("demo-operator-3-bpbd"),
    role: Role::Operator,
    display_name: "Petugas Tiga (Demo)",
    local_user_id: Some("op-demo-3"),
};
/// The fourth operator: the Cek NIK browser test's own (phone).
pub const DEMO_OPERATOR_4: DemoLogin = DemoLogin {
    username: "operator4",
    password: Some("demo-operator-4-bpbd"),
    role: Role::Operator,
    display_name: "Petugas Empat (Demo)",
    local_user_id: Some("op-demo-4"),
};
/// The card-reader browser test's institution admin: registers the test's reader on
/// `/admin/pembaca` and reads the access trail, so `admin.bpbd`'s first sign-in (passkey)
/// stays with the administration test.
pub const DEMO_CARD_ADMIN: DemoLogin = DemoLogin {
    username: "admin.kartu",
    password: Some("demo-card-reader-admin-1"),
    role: Role::InstitutionAdmin,
    display_name: "Admin Pembaca Kartu (Demo)",
    local_user_id: None,
};
/// The card-reader browser test's operator (reads the virtual e-KTP on `/cek-kartu`).
pub const DEMO_CARD_OPERATOR: DemoLogin = DemoLogin {
    username: "operator.kartu",
    password: Some("demo-card-reader-operator-1"),
    role: Role::Operator,
    display_name: "Petugas Pembaca Kartu (Demo)",
    local_user_id: Some("op-demo-kartu"),
};
/// The service account behind the web-service API's tokens.
pub const DEMO_SERVICE: DemoLogin = DemoLogin {
    username: "api-demo",
    password: None,
    role: Role::Service,
    display_name: "Layanan API (Demo)",
    local_user_id: Some("api-demo"),
};

/// Every demo identity, in the order the demo prints them.
pub const DEMO_LOGINS: [DemoLogin; 12] = [
    DEMO_DISDUKCAPIL_ADMIN,
    DEMO_EVALUATOR,
    DEMO_AUDITOR,
    DEMO_HEAD,
    DEMO_INSTITUTION_ADMIN,
    DEMO_OPERATOR_1,
    DEMO_OPERATOR_2,
    DEMO_OPERATOR_3,
    DEMO_OPERATOR_4,
    DEMO_CARD_ADMIN,
    DEMO_CARD_OPERATOR,
    DEMO_SERVICE,
];

/// The institution's Dukcapil user ID (the simulator's).
pub const DEMO_DUKCAPIL_USER_ID: &str = dukcapil_sim::config::DEMO_USER_ID;
/// The 2022 agreement's number at BPBD (synthetic).
pub const DEMO_AGREEMENT_INSTITUTION_NUMBER: &str = "360/412/BPBD/XI/2022";
/// The 2022 agreement's number at Disdukcapil (synthetic).
pub const DEMO_AGREEMENT_DUKCAPIL_NUMBER: &str = "470/1187/DISDUKCAPIL/XI/2022";
/// The addendum extending it (synthetic).
pub const DEMO_ADDENDUM_NUMBER: &str = "470/1390/DISDUKCAPIL/XI/2024";
/// The agreement's signed term: 10 November 2022 to 9 November 2024.
pub const DEMO_AGREEMENT_VALID_FROM: time::Date = date!(2022 - 11 - 10);
pub const DEMO_AGREEMENT_VALID_TO: time::Date = date!(2024 - 11 - 09);
/// The addendum's new end (later if the demo runs close to it, see [`seed`]).
pub const DEMO_ADDENDUM_VALID_TO: time::Date = date!(2029 - 11 - 09);

/// Lines listing the demo logins, for the console.
pub fn login_lines() -> Vec<String> {
    DEMO_LOGINS
        .iter()
        .map(|l| match l.password {
            Some(pw) => format!("{:<22} {:<28} {}", l.role.as_str(), l.username, pw),
            None => format!(
                "{:<22} {:<28} (API token only; local user ID {})",
                l.role.as_str(),
                l.username,
                l.local_user_id.unwrap_or("-")
            ),
        })
        .collect()
}

/// Seeds the demo records that are missing (idempotent: a second start changes nothing):
/// the institution, the demo identities, the 2022 agreement with its addendum and the head's
/// SPTJM, the NDA (version 1) and the Dukcapil user IDs of the operators and the service
/// account (active, `BPBD3313`). Credentials need the keyring: [`seed_credentials`].
pub async fn seed(storage: &dyn Storage, now_ms: i64) -> Result<(), StorageError> {
    let actor = Actor::system("demo-seed");
    let institution = match storage.institution_by_code(DEMO_INSTITUTION_CODE).await? {
        Some(i) => i,
        None => {
            storage
                .create_institution(
                    &NewInstitution {
                        code: DEMO_INSTITUTION_CODE.into(),
                        name: "BPBD Kabupaten Karanganyar".into(),
                        region_code: "33.13".into(),
                        address: "Jl. Contoh Demo No. 1, Karanganyar (alamat sintetis)".into(),
                    },
                    now_ms,
                )
                .await?
        }
    };
    let mut head_id = None;
    for login in DEMO_LOGINS {
        let account = match storage.account_by_username(login.username).await? {
            Some(a) => a,
            None => {
                let password_hash = match login.password {
                    Some(pw) => Some(hash_demo_password(pw)?),
                    None => None,
                };
                storage
                    .create_account(
                        &NewAccount {
                            username: login.username.into(),
                            display_name: login.display_name.into(),
                            role: login.role,
                            institution_id: login
                                .role
                                .is_institution_bound()
                                .then_some(institution.id),
                            local_user_id: login.local_user_id.map(str::to_string),
                            demo_password: password_hash.is_some(),
                            password_hash,
                        },
                        &actor,
                        now_ms,
                    )
                    .await?
            }
        };
        if login == DEMO_HEAD {
            head_id = Some(account.id);
        }
    }

    let today = crate::storage::actor::wib_day(now_ms);
    let agreements = storage.list_agreements(institution.id).await?;
    let agreement =
        match agreements
            .into_iter()
            .find(|a| a.dukcapil_number == DEMO_AGREEMENT_DUKCAPIL_NUMBER)
        {
            Some(a) => a,
            None => storage
                .create_agreement(
                    &NewAgreement {
                        institution_id: institution.id,
                        institution_number: DEMO_AGREEMENT_INSTITUTION_NUMBER.into(),
                        dukcapil_number: DEMO_AGREEMENT_DUKCAPIL_NUMBER.into(),
                        institution_party: "Kepala Pelaksana BPBD Kabupaten Karanganyar".into(),
                        dukcapil_party:
                            "Kepala Dinas Kependudukan dan Pencatatan Sipil Kabupaten Karanganyar"
                                .into(),
                        signed_on: DEMO_AGREEMENT_VALID_FROM,
                        valid_from: DEMO_AGREEMENT_VALID_FROM,
                        valid_to: DEMO_AGREEMENT_VALID_TO,
                        allowed_elements: PksElement::ALL.to_vec(),
                        daily_quota: i64::from(dukcapil_sim::config::DEMO_DAILY_QUOTA),
                        status: AgreementStatus::Active,
                    },
                    &actor,
                    now_ms,
                )
                .await?,
        };
    if !agreement
        .addenda
        .iter()
        .any(|a| a.number == DEMO_ADDENDUM_NUMBER)
    {
        // Valid today: the fixed end, or two years from today if the demo runs past it.
        let later = time::Date::from_calendar_date(today.year() + 2, time::Month::November, 9)
            .unwrap_or(DEMO_ADDENDUM_VALID_TO);
        storage
            .add_addendum(
                agreement.id,
                &NewAddendum {
                    number: DEMO_ADDENDUM_NUMBER.into(),
                    signed_on: date!(2024 - 11 - 04),
                    valid_to: DEMO_ADDENDUM_VALID_TO.max(later),
                    note: "Addendum I: perpanjangan jangka waktu perjanjian (sintetis)".into(),
                },
                &actor,
                now_ms,
            )
            .await?;
    }
    if agreement.sptjm.is_none() {
        storage
            .record_sptjm(
                agreement.id,
                &NewSptjm {
                    signer_name: DEMO_HEAD.display_name.into(),
                    signer_position: "Kepala Pelaksana BPBD Kabupaten Karanganyar".into(),
                    signer_account_id: head_id,
                    signed_on: date!(2024 - 11 - 04),
                },
                &actor,
                now_ms,
            )
            .await?;
    }

    if storage.current_nda(institution.id).await?.is_none() {
        storage
            .publish_nda_version(
                institution.id,
                DEMO_NDA_TITLE,
                DEMO_NDA_BODY,
                &actor,
                now_ms,
            )
            .await?;
    }

    for (login, applicant) in demo_applicants() {
        let Some(local) = login.local_user_id else {
            continue;
        };
        if storage
            .live_dukcapil_user_id(institution.id, local)
            .await?
            .is_some()
        {
            continue;
        }
        let entry = storage
            .submit_user_id_application(
                &UserIdApplication {
                    institution_id: institution.id,
                    local_user_id: local.into(),
                    ..applicant
                },
                &actor,
                now_ms,
            )
            .await?;
        storage
            .activate_user_id(entry.id, DEMO_DUKCAPIL_USER_ID, &actor, now_ms)
            .await?;
    }
    Ok(())
}

/// Seals the simulator's password as the credential of every demo user ID that has none.
pub async fn seed_credentials(
    storage: &dyn Storage,
    keyring: &crate::secrets::Keyring,
    now_ms: i64,
) -> Result<(), StartupError> {
    let actor = Actor::system("demo-seed");
    let Some(institution) = storage.institution_by_code(DEMO_INSTITUTION_CODE).await? else {
        return Ok(());
    };
    for entry in storage.list_dukcapil_user_ids(institution.id).await? {
        if entry.status != domain::identity::UserIdStatus::Active || entry.has_credential {
            continue;
        }
        let sealed = keyring
            .seal(
                dukcapil_sim::config::DEMO_PASSWORD,
                &crate::secrets::credential_aad(entry.id),
            )
            .map_err(|e| StartupError::Demo(format!("cannot seal the demo credential: {e}")))?;
        storage
            .set_user_id_credential(entry.id, &sealed, &actor, now_ms)
            .await?;
    }
    Ok(())
}

/// The NDA's title (version 1).
pub const DEMO_NDA_TITLE: &str = "Pernyataan Menjaga Kerahasiaan Data Kependudukan";

/// The NDA's text (version 1, synthetic).
pub const DEMO_NDA_BODY: &str = "Saya yang menggunakan akun ini pada BPBD Kabupaten Karanganyar \
menyatakan bahwa:\n\n\
1. Saya menggunakan data kependudukan hanya untuk keperluan penanggulangan bencana sesuai \
perjanjian kerja sama dengan Dinas Kependudukan dan Pencatatan Sipil.\n\
2. Saya tidak menyimpan, menyalin, memotret, mencetak, atau membagikan data kependudukan \
kepada pihak yang tidak berhak.\n\
3. Saya menjaga kerahasiaan nama pengguna, kata sandi, dan perangkat akses saya, dan segera \
melapor kepada admin instansi bila terjadi penyalahgunaan.\n\
4. Saya memahami bahwa setiap akses tercatat dan dapat diaudit, dan bahwa penyalahgunaan data \
kependudukan dapat dikenai sanksi sesuai peraturan perundang-undangan.\n\n\
(Teks contoh untuk demo; bukan dokumen resmi.)";

/// The application forms of the demo's user IDs (synthetic people; region 33.13).
fn demo_applicants() -> [(DemoLogin, UserIdApplication); 6] {
    let form =
        |nik: &str, name: &str, nip: Option<&str>, status, position: &str| UserIdApplication {
            institution_id: 0,
            nik: nik.into(),
            full_name: name.into(),
            nip: nip.map(str::to_string),
            employment_status: status,
            position: position.into(),
            office_region_code: "33.13".into(),
            office_name: "BPBD Kabupaten Karanganyar".into(),
            office_address: "Jl. Contoh Demo No. 1, Karanganyar (alamat sintetis)".into(),
            local_user_id: String::new(),
        };
    [
        (
            DEMO_OPERATOR_1,
            form(
                "3313011501850001",
                "Petugas Satu (Demo)",
                Some("198501152010011001"),
                EmploymentStatus::Pns,
                "Analis Kebencanaan",
            ),
        ),
        (
            DEMO_OPERATOR_2,
            form(
                "3313024708900002",
                "Petugas Dua (Demo)",
                None,
                EmploymentStatus::NonAsn,
                "Tenaga Pendukung Pusdalops",
            ),
        ),
        (
            DEMO_OPERATOR_3,
            form(
                "3313041905920004",
                "Petugas Tiga (Demo)",
                None,
                EmploymentStatus::NonAsn,
                "Tenaga Pendukung Pusdalops",
            ),
        ),
        (
            DEMO_OPERATOR_4,
            form(
                "3313055203950005",
                "Petugas Empat (Demo)",
                None,
                EmploymentStatus::NonAsn,
                "Tenaga Pendukung Pusdalops",
            ),
        ),
        (
            DEMO_CARD_OPERATOR,
            form(
                "3313062304930006",
                "Petugas Pembaca Kartu (Demo)",
                None,
                EmploymentStatus::NonAsn,
                "Tenaga Pendukung Pusdalops",
            ),
        ),
        (
            DEMO_SERVICE,
            form(
                "3313031203880003",
                "Admin BPBD (Demo)",
                Some("198803122012121003"),
                EmploymentStatus::Pns,
                "Pengelola Sistem Informasi (penanggung jawab aplikasi)",
            ),
        ),
    ]
}

/// Hashes a demo password (published, synthetic) with the server's password hashing.
fn hash_demo_password(password: &str) -> Result<String, StorageError> {
    crate::auth::password::hash_password(password).map_err(|e| StorageError::Rejected {
        code: "PASSWORD_HASH_FAILED",
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_passwords_are_long_synthetic_and_pass_the_policy() {
        let mut names: Vec<&str> = DEMO_LOGINS.iter().map(|l| l.username).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), DEMO_LOGINS.len());
        for l in DEMO_LOGINS {
            domain::identity::check_username(l.username).unwrap();
            match l.password {
                Some(pw) => {
                    assert!(pw.chars().count() >= 12, "{}", l.username);
                    assert!(pw.starts_with("demo-"), "{}", l.username);
                    crate::auth::password::check_policy_for_user(pw, Some(l.username))
                        .unwrap_or_else(|e| panic!("{}: {}", l.username, e.code()));
                }
                None => assert_eq!(l.role, Role::Service),
            }
            assert_eq!(
                l.local_user_id.is_some(),
                matches!(l.role, Role::Operator | Role::Service)
            );
        }
        assert_eq!(login_lines().len(), DEMO_LOGINS.len());
    }

    #[test]
    fn demo_applications_are_valid_forms() {
        let today = date!(2026 - 11 - 27);
        for (login, form) in demo_applicants() {
            let form = UserIdApplication {
                local_user_id: login.local_user_id.unwrap_or_default().into(),
                ..form
            };
            crate::storage::dukcapil_user_ids::normalise_application(&form, today)
                .unwrap_or_else(|e| panic!("{}: {e}", login.username));
        }
    }
}
