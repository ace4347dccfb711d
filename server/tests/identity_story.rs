//! The identity areas of storage (accounts, agreements, Dukcapil user IDs, NDA), one story per
//! area, run on SQLite and on PostgreSQL (when SIGAP_TEST_POSTGRES_URL is set): create, read,
//! update, list, constraint violations with their stable codes, nothing half-written, audit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestDb;
use domain::access::Role;
use domain::agreement::{AgreementStatus, PksElement};
use domain::identity::{AccountStatus, EmploymentStatus, UserIdStatus};
use secrecy::ExposeSecret;
use sigap_server::secrets::{Keyring, credential_aad};
use sigap_server::storage::{
    self, Actor, AgreementUpdate, AuditEventFilter, NewAccount, NewAddendum, NewAgreement,
    NewInstitution, NewSptjm, NewStaffChangeNotice, Storage, StorageError, UserIdApplication,
};
use std::sync::Arc;
use time::macros::date;

/// A syntactically valid argon2id PHC string (storage checks the form, not the password).
const PHC: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
const PHC2: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0$b3RoZXJoYXNob3RoZXJoYXNob3RoZXJoYXNob3RoZXI";

fn code<T: std::fmt::Debug>(r: Result<T, StorageError>) -> &'static str {
    match r {
        Err(e) => e.code(),
        Ok(v) => panic!("expected a refusal, got {v:?}"),
    }
}

/// Runs SQL behind the storage's back (to plant corrupt values).
async fn raw(url: &str, sql: &str) {
    use sqlx::{Connection, Executor};
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        c.execute(sql).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        c.execute(sql).await.unwrap();
    }
}

/// Whether SQL behind the storage's back is refused by the schema.
async fn raw_fails(url: &str, sql: &str) -> bool {
    use sqlx::{Connection, Executor};
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        c.execute(sql).await.is_err()
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        c.execute(sql).await.is_err()
    }
}

async fn count_events(s: &Arc<dyn Storage>) -> usize {
    s.list_audit_events(&AuditEventFilter {
        limit: 1000,
        ..Default::default()
    })
    .await
    .unwrap()
    .len()
}

async fn events(s: &Arc<dyn Storage>, prefix: &str) -> Vec<String> {
    s.list_audit_events(&AuditEventFilter {
        event_prefix: Some(prefix.into()),
        limit: 1000,
        ..Default::default()
    })
    .await
    .unwrap()
    .into_iter()
    .rev()
    .map(|e| e.event)
    .collect()
}

async fn two_institutions(s: &Arc<dyn Storage>) -> (i64, i64) {
    let a = s
        .create_institution(
            &NewInstitution {
                code: "BPBD-3313".into(),
                name: "BPBD Kabupaten Karanganyar".into(),
                region_code: "33.13".into(),
                address: String::new(),
            },
            1,
        )
        .await
        .unwrap();
    let b = s
        .create_institution(
            &NewInstitution {
                code: "BPBD-3372".into(),
                name: "BPBD Kota Surakarta".into(),
                region_code: "33.72".into(),
                address: String::new(),
            },
            1,
        )
        .await
        .unwrap();
    (a.id, b.id)
}

fn person(username: &str, role: Role, inst: Option<i64>, local: Option<&str>) -> NewAccount {
    NewAccount {
        username: username.into(),
        display_name: format!("{username} (uji)"),
        role,
        institution_id: inst,
        local_user_id: local.map(str::to_string),
        password_hash: (role != Role::Service).then(|| PHC.to_string()),
        demo_password: false,
    }
}

async fn account_story(db: &TestDb) {
    let s = storage::connect(&db.url).await.unwrap();
    let (a, b) = two_institutions(&s).await;
    let cli = Actor::cli();

    let admin = s
        .create_account(
            &person("admin.dukcapil", Role::DisdukcapilAdmin, None, None),
            &cli,
            10,
        )
        .await
        .unwrap();
    assert_eq!(admin.institution_id, None);
    assert_eq!(admin.status, AccountStatus::Active);
    let op1 = s
        .create_account(
            &person("Op1", Role::Operator, Some(a), Some("op-1")),
            &cli,
            20,
        )
        .await
        .unwrap();
    assert_eq!(
        (op1.role, op1.session_epoch, op1.demo_password),
        (Role::Operator, 0, false)
    );
    assert_eq!(
        (op1.created_at, op1.updated_at, op1.deactivated_at),
        (20, 20, None)
    );
    assert_eq!(op1.password_hash.as_deref(), Some(PHC));
    assert!(
        !format!("{op1:?}").contains("argon2id"),
        "Debug hides the hash"
    );
    assert!(!serde_json::to_string(&op1).unwrap().contains("argon2id"));
    let op2 = s
        .create_account(
            &person("op2", Role::Operator, Some(a), Some("op-2")),
            &cli,
            30,
        )
        .await
        .unwrap();
    let head_b = s
        .create_account(&person("kepala.b", Role::Head, Some(b), None), &cli, 30)
        .await
        .unwrap();
    // The same local user ID in another institution is fine.
    s.create_account(
        &person("op1.b", Role::Operator, Some(b), Some("op-1")),
        &cli,
        30,
    )
    .await
    .unwrap();
    let svc = s
        .create_account(
            &person("api", Role::Service, Some(a), Some("api")),
            &cli,
            30,
        )
        .await
        .unwrap();
    assert_eq!(svc.password_hash, None);

    // Case-insensitive look-up and uniqueness.
    assert_eq!(
        s.account_by_username("OP1").await.unwrap().unwrap().id,
        op1.id
    );
    assert_eq!(
        s.account_by_username("op1").await.unwrap().unwrap().id,
        op1.id
    );
    assert!(s.account_by_username("nobody").await.unwrap().is_none());
    assert_eq!(s.account_by_id(op1.id).await.unwrap().unwrap(), op1);
    assert!(s.account_by_id(9999).await.unwrap().is_none());

    // Refusals, each with its code, and nothing written by any of them.
    let accounts_before = s.list_accounts().await.unwrap().len();
    let events_before = count_events(&s).await;
    let bad = |f: &dyn Fn(&mut NewAccount)| {
        let mut n = person("fresh", Role::Operator, Some(a), Some("op-9"));
        f(&mut n);
        n
    };
    let cases: Vec<(NewAccount, &str)> = vec![
        (bad(&|n| n.username = "OP1".into()), "USERNAME_TAKEN"),
        (bad(&|n| n.username = "x".into()), "USERNAME_INVALID"),
        (bad(&|n| n.username = "op satu".into()), "USERNAME_INVALID"),
        (bad(&|n| n.username = "a".repeat(65)), "USERNAME_INVALID"),
        (
            bad(&|n| n.display_name = "n".repeat(121)),
            "DISPLAY_NAME_INVALID",
        ),
        (
            bad(&|n| n.display_name = "  ".into()),
            "DISPLAY_NAME_INVALID",
        ),
        (bad(&|n| n.institution_id = None), "INSTITUTION_REQUIRED"),
        (
            bad(&|n| n.institution_id = Some(4242)),
            "INSTITUTION_UNKNOWN",
        ),
        (
            bad(&|n| n.local_user_id = Some("op-1".into())),
            "LOCAL_USER_ID_TAKEN",
        ),
        (
            bad(&|n| n.local_user_id = Some("op 9".into())),
            "LOCAL_USER_ID_INVALID",
        ),
        (bad(&|n| n.password_hash = None), "PASSWORD_REQUIRED"),
        (
            bad(&|n| n.password_hash = Some("hunter2".into())),
            "PASSWORD_HASH_INVALID",
        ),
        (
            bad(&|n| {
                n.role = Role::Auditor;
                n.institution_id = None;
            }),
            "LOCAL_USER_ID_NOT_ALLOWED",
        ),
        (
            bad(&|n| {
                n.role = Role::DisdukcapilEvaluator;
                n.local_user_id = None;
            }),
            "INSTITUTION_NOT_ALLOWED",
        ),
        (bad(&|n| n.role = Role::Service), "PASSWORD_NOT_ALLOWED"),
    ];
    for (n, expected) in cases {
        assert_eq!(
            code(s.create_account(&n, &cli, 40).await),
            expected,
            "{n:?}"
        );
    }
    assert_eq!(s.list_accounts().await.unwrap().len(), accounts_before);
    assert_eq!(count_events(&s).await, events_before);

    // Passwords: the demo mark and the session epoch.
    let op1 = s.set_password_hash(op1.id, PHC2, true, 50).await.unwrap();
    assert_eq!((op1.demo_password, op1.session_epoch), (true, 1));
    assert_eq!(op1.password_hash.as_deref(), Some(PHC2));
    assert_eq!(s.accounts_with_demo_password().await.unwrap(), ["Op1"]);
    let op1 = s.set_password_hash(op1.id, PHC, false, 60).await.unwrap();
    assert_eq!((op1.demo_password, op1.session_epoch), (false, 2));
    assert!(s.accounts_with_demo_password().await.unwrap().is_empty());
    assert_eq!(
        code(s.set_password_hash(op1.id, "plain", false, 61).await),
        "PASSWORD_HASH_INVALID"
    );
    assert_eq!(
        code(s.set_password_hash(svc.id, PHC, false, 61).await),
        "PASSWORD_NOT_ALLOWED"
    );
    assert_eq!(
        code(s.set_password_hash(9999, PHC, false, 61).await),
        "NOT_FOUND"
    );

    // Roles.
    let op1 = s.set_role(op1.id, Role::Head, &cli, 70).await.unwrap();
    assert_eq!((op1.role, op1.session_epoch), (Role::Head, 3));
    let same = s.set_role(op1.id, Role::Head, &cli, 71).await.unwrap();
    assert_eq!(same.session_epoch, 3, "the same role is no change");
    assert_eq!(
        code(s.set_role(op1.id, Role::DisdukcapilAdmin, &cli, 72).await),
        "ROLE_INSTITUTION_MISMATCH"
    );
    assert_eq!(
        code(s.set_role(admin.id, Role::Operator, &cli, 72).await),
        "ROLE_INSTITUTION_MISMATCH"
    );
    assert_eq!(
        code(s.set_role(op1.id, Role::Service, &cli, 72).await),
        "ROLE_SERVICE_FIXED"
    );
    assert_eq!(
        code(s.set_role(svc.id, Role::Operator, &cli, 72).await),
        "ROLE_SERVICE_FIXED"
    );
    let admin2 = s
        .set_role(admin.id, Role::DisdukcapilEvaluator, &cli, 73)
        .await
        .unwrap();
    assert_eq!(admin2.role, Role::DisdukcapilEvaluator);
    let op1 = s.set_role(op1.id, Role::Operator, &cli, 74).await.unwrap();

    // Local user IDs and their history.
    assert_eq!(
        code(s.set_local_user_id(op1.id, Some("op-2"), &cli, 80).await),
        "LOCAL_USER_ID_TAKEN"
    );
    assert_eq!(
        code(s.set_local_user_id(admin.id, Some("x"), &cli, 80).await),
        "LOCAL_USER_ID_NOT_ALLOWED"
    );
    assert_eq!(
        code(s.set_local_user_id(op1.id, Some("bad id"), &cli, 80).await),
        "LOCAL_USER_ID_INVALID"
    );
    let op1 = s
        .set_local_user_id(op1.id, Some("op-1b"), &cli, 81)
        .await
        .unwrap();
    assert_eq!(op1.local_user_id.as_deref(), Some("op-1b"));
    let op1 = s.set_local_user_id(op1.id, None, &cli, 82).await.unwrap();
    assert_eq!(op1.local_user_id, None);
    let hist = s.local_user_id_history(a).await.unwrap();
    let mine: Vec<(&str, i64, Option<i64>)> = hist
        .iter()
        .filter(|h| h.account_id == op1.id)
        .map(|h| (h.local_user_id.as_str(), h.assigned_at, h.ended_at))
        .collect();
    assert_eq!(mine, [("op-1", 20, Some(81)), ("op-1b", 81, Some(82))]);
    assert!(
        s.local_user_id_history(b)
            .await
            .unwrap()
            .iter()
            .all(|h| h.institution_id == b)
    );

    // Display names.
    let op2r = s
        .set_display_name(op2.id, "Petugas Dua", &cli, 85)
        .await
        .unwrap();
    assert_eq!(op2r.display_name, "Petugas Dua");
    assert_eq!(
        code(s.set_display_name(op2.id, "a\u{7}b", &cli, 85).await),
        "DISPLAY_NAME_INVALID"
    );

    // Deactivation: final, bumps the epoch, ends the local user ID, frees it for others.
    let gone = s.deactivate_account(op2.id, &cli, 90).await.unwrap();
    assert_eq!(gone.status, AccountStatus::Deactivated);
    assert_eq!(gone.deactivated_at, Some(90));
    assert_eq!(gone.session_epoch, op2.session_epoch + 1);
    assert!(!gone.is_active());
    assert_eq!(
        code(s.deactivate_account(op2.id, &cli, 91).await),
        "ACCOUNT_DEACTIVATED"
    );
    assert_eq!(
        code(s.deactivate_account(9999, &cli, 91).await),
        "NOT_FOUND"
    );
    assert_eq!(
        code(s.set_role(op2.id, Role::Head, &cli, 91).await),
        "ACCOUNT_DEACTIVATED"
    );
    assert_eq!(
        code(s.set_password_hash(op2.id, PHC2, false, 91).await),
        "ACCOUNT_DEACTIVATED"
    );
    assert_eq!(
        code(s.set_local_user_id(op2.id, Some("z"), &cli, 91).await),
        "ACCOUNT_DEACTIVATED"
    );
    let hist = s.local_user_id_history(a).await.unwrap();
    let op2_hist: Vec<Option<i64>> = hist
        .iter()
        .filter(|h| h.account_id == op2.id)
        .map(|h| h.ended_at)
        .collect();
    assert_eq!(op2_hist, [Some(90)]);
    let op3 = s
        .create_account(
            &person("op3", Role::Operator, Some(a), Some("op-2")),
            &cli,
            95,
        )
        .await
        .unwrap();
    assert_eq!(op3.local_user_id.as_deref(), Some("op-2"));

    // Listing per institution: one institution never lists another's accounts.
    let in_a: Vec<String> = s
        .list_institution_accounts(a)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.username)
        .collect();
    assert_eq!(in_a, ["api", "Op1", "op2", "op3"]);
    let in_b: Vec<String> = s
        .list_institution_accounts(b)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.username)
        .collect();
    assert_eq!(in_b, ["kepala.b", "op1.b"]);
    assert_eq!(s.list_accounts().await.unwrap().len(), 7);

    // Staff-change notices.
    let notice = s
        .record_staff_change_notice(
            &NewStaffChangeNotice {
                institution_id: a,
                account_id: Some(op2.id),
                what_changed: "Petugas op2 mutasi; user ID lokal op-2 dialihkan ke op3".into(),
                notified_by: "Admin BPBD".into(),
                reference: Some("800/17/BPBD/2026".into()),
                notified_at: 96,
            },
            &cli,
            97,
        )
        .await
        .unwrap();
    assert_eq!((notice.notified_at, notice.recorded_at), (96, 97));
    let wrong = NewStaffChangeNotice {
        account_id: Some(head_b.id),
        ..notice_fields(a)
    };
    assert_eq!(
        code(s.record_staff_change_notice(&wrong, &cli, 98).await),
        "ACCOUNT_NOT_IN_INSTITUTION"
    );
    let empty = NewStaffChangeNotice {
        what_changed: String::new(),
        ..notice_fields(a)
    };
    assert_eq!(
        code(s.record_staff_change_notice(&empty, &cli, 98).await),
        "NOTICE_INVALID"
    );
    let nowhere = NewStaffChangeNotice {
        institution_id: 4242,
        ..notice_fields(a)
    };
    assert_eq!(
        code(s.record_staff_change_notice(&nowhere, &cli, 98).await),
        "INSTITUTION_UNKNOWN"
    );
    assert_eq!(s.list_staff_change_notices(a).await.unwrap(), [notice]);
    assert!(s.list_staff_change_notices(b).await.unwrap().is_empty());

    // Every administration change is in the audit trail.
    let ev = events(&s, "account.").await;
    for e in [
        "account.create",
        "account.role_change",
        "account.local_user_id_change",
        "account.display_name_change",
        "account.deactivate",
    ] {
        assert!(ev.iter().any(|x| x == e), "{e} missing from {ev:?}");
    }
    assert_eq!(events(&s, "staff_change.").await, ["staff_change.notice"]);
    let role_change = s
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some("account.role_change".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let last: serde_json::Value = serde_json::from_str(&role_change[0].detail).unwrap();
    assert_eq!(
        (last["from"].as_str(), last["to"].as_str()),
        (Some("head"), Some("operator"))
    );
    assert_eq!(role_change[0].actor_username.as_deref(), Some("cli"));

    // An unknown role read back is an error, never a default.
    raw(
        &db.url,
        &format!("UPDATE accounts SET role = 'root' WHERE id = {}", op3.id),
    )
    .await;
    assert_eq!(code(s.account_by_id(op3.id).await), "STORAGE_CORRUPT");
    assert_eq!(code(s.list_accounts().await), "STORAGE_CORRUPT");
}

fn notice_fields(institution_id: i64) -> NewStaffChangeNotice {
    NewStaffChangeNotice {
        institution_id,
        account_id: None,
        what_changed: "x".into(),
        notified_by: "y".into(),
        reference: None,
        notified_at: 1,
    }
}

fn pks(institution_id: i64, number: &str) -> NewAgreement {
    NewAgreement {
        institution_id,
        institution_number: format!("360/{number}/BPBD/XI/2022"),
        dukcapil_number: format!("470/{number}/DISDUKCAPIL/XI/2022"),
        institution_party: "Kepala Pelaksana BPBD".into(),
        dukcapil_party: "Kepala Disdukcapil".into(),
        signed_on: date!(2022 - 11 - 10),
        valid_from: date!(2022 - 11 - 10),
        valid_to: date!(2024 - 11 - 09),
        allowed_elements: PksElement::ALL.to_vec(),
        daily_quota: 1000,
        status: AgreementStatus::Active,
    }
}

async fn agreement_story(db: &TestDb) {
    let s = storage::connect(&db.url).await.unwrap();
    let (a, b) = two_institutions(&s).await;
    let cli = Actor::cli();
    let head = s
        .create_account(&person("kepala", Role::Head, Some(a), None), &cli, 1)
        .await
        .unwrap();
    let head_b = s
        .create_account(&person("kepala.b", Role::Head, Some(b), None), &cli, 1)
        .await
        .unwrap();
    let op = s
        .create_account(&person("op0", Role::Operator, Some(a), None), &cli, 1)
        .await
        .unwrap();

    assert_eq!(
        s.institution_access_state(a, date!(2023 - 01 - 01))
            .await
            .unwrap()
            .reason_code(),
        Some("NO_AGREEMENT")
    );
    let created = s.create_agreement(&pks(a, "412"), &cli, 100).await.unwrap();
    assert_eq!(created.institution_id, a);
    assert_eq!(created.valid_to, date!(2024 - 11 - 09));
    assert_eq!(created.allowed_elements, PksElement::ALL.to_vec());
    assert_eq!(created.status, AgreementStatus::Active);
    assert!(created.sptjm.is_none() && created.addenda.is_empty());
    assert_eq!(
        s.agreement_by_id(created.id).await.unwrap().unwrap(),
        created
    );
    assert!(s.agreement_by_id(9999).await.unwrap().is_none());

    // Refusals with codes; nothing written.
    let events_before = count_events(&s).await;
    let bad = |f: &dyn Fn(&mut NewAgreement)| {
        let mut n = pks(a, "500");
        f(&mut n);
        n
    };
    let cases: Vec<(NewAgreement, &str)> = vec![
        (
            bad(&|n| n.dukcapil_number = created.dukcapil_number.clone()),
            "AGREEMENT_NUMBER_TAKEN",
        ),
        (
            bad(&|n| n.institution_number = created.institution_number.clone()),
            "AGREEMENT_NUMBER_TAKEN",
        ),
        (
            bad(&|n| n.dukcapil_number = "n".repeat(301)),
            "AGREEMENT_NUMBER_INVALID",
        ),
        (
            bad(&|n| n.institution_number = String::new()),
            "AGREEMENT_NUMBER_INVALID",
        ),
        (bad(&|n| n.dukcapil_party = "\u{0}".into()), "PARTY_INVALID"),
        (
            bad(&|n| n.valid_from = date!(2025 - 01 - 01)),
            "AGREEMENT_DATES_INVALID",
        ),
        (bad(&|n| n.allowed_elements.clear()), "ELEMENTS_INVALID"),
        (bad(&|n| n.daily_quota = 0), "QUOTA_INVALID"),
        (bad(&|n| n.daily_quota = -5), "QUOTA_INVALID"),
        (
            bad(&|n| n.status = AgreementStatus::Suspended),
            "AGREEMENT_STATUS_INVALID",
        ),
        (bad(&|n| n.institution_id = 4242), "INSTITUTION_UNKNOWN"),
    ];
    for (n, expected) in cases {
        assert_eq!(
            code(s.create_agreement(&n, &cli, 101).await),
            expected,
            "{n:?}"
        );
    }
    // The same institution number is fine at another institution.
    let other = NewAgreement {
        institution_id: b,
        dukcapil_number: "470/999/DISDUKCAPIL/XI/2022".into(),
        ..pks(b, "412")
    };
    assert_eq!(count_events(&s).await, events_before);
    let other = s.create_agreement(&other, &cli, 102).await.unwrap();

    // SPTJM: required, signed by an active head of the same institution.
    let in_term = date!(2023 - 06 - 01);
    assert_eq!(
        s.institution_access_state(a, in_term)
            .await
            .unwrap()
            .reason_code(),
        Some("SPTJM_MISSING")
    );
    let sptjm = |signer: Option<i64>| NewSptjm {
        signer_name: "Kepala Pelaksana (uji)".into(),
        signer_position: "Kepala Pelaksana BPBD".into(),
        signer_account_id: signer,
        signed_on: date!(2022 - 11 - 10),
    };
    assert_eq!(
        code(
            s.record_sptjm(created.id, &sptjm(Some(op.id)), &cli, 110)
                .await
        ),
        "SPTJM_SIGNER_INVALID"
    );
    assert_eq!(
        code(
            s.record_sptjm(created.id, &sptjm(Some(head_b.id)), &cli, 110)
                .await
        ),
        "SPTJM_SIGNER_INVALID"
    );
    let blank = NewSptjm {
        signer_name: String::new(),
        ..sptjm(None)
    };
    assert_eq!(
        code(s.record_sptjm(created.id, &blank, &cli, 110).await),
        "SPTJM_INVALID"
    );
    let signed = s
        .record_sptjm(created.id, &sptjm(Some(head.id)), &cli, 111)
        .await
        .unwrap();
    let rec = signed.sptjm.clone().unwrap();
    assert_eq!(
        (rec.signer_account_id, rec.recorded_at),
        (Some(head.id), 111)
    );
    assert!(
        s.institution_access_state(a, in_term)
            .await
            .unwrap()
            .is_active(),
        "active, signed, in term"
    );
    // Institution B's agreement has no SPTJM: B stays inactive whatever A does.
    assert_eq!(
        s.institution_access_state(b, in_term)
            .await
            .unwrap()
            .reason_code(),
        Some("SPTJM_MISSING")
    );

    // Edges of the term, then the addendum.
    let state = |d| {
        let s = s.clone();
        async move {
            s.institution_access_state(a, d)
                .await
                .unwrap()
                .reason_code()
        }
    };
    assert_eq!(
        state(date!(2022 - 11 - 09)).await,
        Some("AGREEMENT_NOT_STARTED")
    );
    assert_eq!(state(date!(2024 - 11 - 09)).await, None);
    assert_eq!(
        state(date!(2024 - 11 - 10)).await,
        Some("AGREEMENT_EXPIRED")
    );
    let addendum = |number: &str, to| NewAddendum {
        number: number.into(),
        signed_on: date!(2024 - 11 - 04),
        valid_to: to,
        note: "Perpanjangan".into(),
    };
    assert_eq!(
        code(
            s.add_addendum(
                created.id,
                &addendum("ADD-0", date!(2024 - 11 - 09)),
                &cli,
                120
            )
            .await
        ),
        "ADDENDUM_NOT_LATER"
    );
    assert_eq!(
        code(
            s.add_addendum(created.id, &addendum("", date!(2029 - 11 - 09)), &cli, 120)
                .await
        ),
        "ADDENDUM_INVALID"
    );
    let extended = s
        .add_addendum(
            created.id,
            &addendum("ADD-I", date!(2029 - 11 - 09)),
            &cli,
            121,
        )
        .await
        .unwrap();
    assert_eq!(extended.addenda.len(), 1);
    assert_eq!(extended.addenda[0].number, "ADD-I");
    assert_eq!(extended.effective_valid_to(), date!(2029 - 11 - 09));
    assert_eq!(
        extended.valid_to,
        date!(2024 - 11 - 09),
        "the signed end is kept"
    );
    assert_eq!(state(date!(2024 - 11 - 10)).await, None);
    assert_eq!(state(date!(2029 - 11 - 09)).await, None);
    assert_eq!(
        state(date!(2029 - 11 - 10)).await,
        Some("AGREEMENT_EXPIRED")
    );
    assert_eq!(
        code(
            s.add_addendum(
                created.id,
                &addendum("ADD-I", date!(2031 - 01 - 01)),
                &cli,
                122
            )
            .await
        ),
        "ADDENDUM_NUMBER_TAKEN"
    );

    // Corrections.
    let upd = s
        .update_agreement(
            created.id,
            &AgreementUpdate {
                daily_quota: Some(2000),
                allowed_elements: Some(vec![PksElement::Nik, PksElement::NamaLengkap]),
                ..Default::default()
            },
            &cli,
            130,
        )
        .await
        .unwrap();
    assert_eq!(upd.daily_quota, 2000);
    assert_eq!(
        upd.allowed_elements,
        [PksElement::Nik, PksElement::NamaLengkap]
    );
    assert_eq!(upd.addenda.len(), 1, "addenda survive corrections");
    assert_eq!(upd.sptjm, signed.sptjm);
    let unchanged = s
        .update_agreement(created.id, &AgreementUpdate::default(), &cli, 131)
        .await
        .unwrap();
    assert_eq!(
        unchanged.updated_at, upd.updated_at,
        "no change, nothing written"
    );
    assert_eq!(
        code(
            s.update_agreement(
                created.id,
                &AgreementUpdate {
                    dukcapil_number: Some(other.dukcapil_number.clone()),
                    ..Default::default()
                },
                &cli,
                132
            )
            .await
        ),
        "AGREEMENT_NUMBER_TAKEN"
    );
    assert_eq!(
        code(
            s.update_agreement(
                created.id,
                &AgreementUpdate {
                    valid_to: Some(date!(2020 - 01 - 01)),
                    ..Default::default()
                },
                &cli,
                132
            )
            .await
        ),
        "AGREEMENT_DATES_INVALID"
    );

    // Status.
    let susp = s
        .set_agreement_status(created.id, AgreementStatus::Suspended, &cli, 140)
        .await
        .unwrap();
    assert_eq!(susp.status, AgreementStatus::Suspended);
    assert_eq!(state(in_term).await, Some("AGREEMENT_SUSPENDED"));
    assert_eq!(
        code(
            s.set_agreement_status(created.id, AgreementStatus::Draft, &cli, 141)
                .await
        ),
        "AGREEMENT_STATUS_TRANSITION"
    );
    s.set_agreement_status(created.id, AgreementStatus::Active, &cli, 142)
        .await
        .unwrap();
    assert_eq!(state(in_term).await, None);
    s.set_agreement_status(created.id, AgreementStatus::Terminated, &cli, 143)
        .await
        .unwrap();
    assert_eq!(state(in_term).await, Some("AGREEMENT_TERMINATED"));
    assert_eq!(
        code(
            s.update_agreement(
                created.id,
                &AgreementUpdate {
                    daily_quota: Some(1),
                    ..Default::default()
                },
                &cli,
                144
            )
            .await
        ),
        "AGREEMENT_TERMINATED"
    );
    assert_eq!(
        code(
            s.add_addendum(
                created.id,
                &addendum("ADD-II", date!(2035 - 01 - 01)),
                &cli,
                144
            )
            .await
        ),
        "AGREEMENT_TERMINATED"
    );
    assert_eq!(
        code(s.record_sptjm(created.id, &sptjm(None), &cli, 144).await),
        "AGREEMENT_TERMINATED"
    );

    let listed = s.list_agreements(a).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].addenda.len(), 1);
    assert_eq!(s.list_agreements(b).await.unwrap().len(), 1);
    let ev = events(&s, "agreement.").await;
    assert_eq!(
        ev,
        [
            "agreement.create",
            "agreement.create",
            "agreement.sptjm_record",
            "agreement.addendum",
            "agreement.update",
            "agreement.status_change",
            "agreement.status_change",
            "agreement.status_change",
        ]
    );

    // Corrupt codes read back are errors.
    raw(
        &db.url,
        &format!(
            "UPDATE agreements SET allowed_elements = 'nik,agama' WHERE id = {}",
            other.id
        ),
    )
    .await;
    assert_eq!(code(s.agreement_by_id(other.id).await), "STORAGE_CORRUPT");
}

fn form(institution_id: i64, local: &str) -> UserIdApplication {
    UserIdApplication {
        institution_id,
        nik: "3313-0115-0185-0001".into(),
        full_name: "Petugas Uji".into(),
        nip: Some("19850115 201001 1 001".into()),
        employment_status: EmploymentStatus::Pns,
        position: "Analis Kebencanaan".into(),
        office_region_code: "3313".into(),
        office_name: "BPBD Kabupaten Karanganyar".into(),
        office_address: "Jl. Uji No. 1".into(),
        local_user_id: local.into(),
    }
}

async fn user_id_story(db: &TestDb) {
    let s = storage::connect(&db.url).await.unwrap();
    let (a, b) = two_institutions(&s).await;
    let cli = Actor::cli();
    // 2026-11-27 in WIB, for the NIK century rule.
    let now = 1_795_712_400_000_i64;

    let req = s
        .submit_user_id_application(&form(a, "op-1"), &cli, now)
        .await
        .unwrap();
    assert_eq!(req.status, UserIdStatus::Requested);
    assert_eq!(req.nik, "3313011501850001");
    assert_eq!(req.nip.as_deref(), Some("198501152010011001"));
    assert_eq!(req.office_region_code, "33.13");
    assert_eq!(
        (req.dukcapil_user_id.as_deref(), req.has_credential),
        (None, false)
    );
    assert_eq!(
        s.dukcapil_user_id_by_id(req.id).await.unwrap().unwrap(),
        req
    );

    let events_before = count_events(&s).await;
    let bad = |f: &dyn Fn(&mut UserIdApplication)| {
        let mut n = form(a, "op-9");
        f(&mut n);
        n
    };
    let cases: Vec<(UserIdApplication, &str)> = vec![
        (bad(&|n| n.nik = "123".into()), "NIK_INVALID"),
        (bad(&|n| n.nik = "3313013102850001".into()), "NIK_INVALID"),
        (bad(&|n| n.full_name = "x".repeat(121)), "NAME_INVALID"),
        (bad(&|n| n.nip = None), "NIP_REQUIRED"),
        (bad(&|n| n.nip = Some("12345".into())), "NIP_INVALID"),
        (
            bad(&|n| n.employment_status = EmploymentStatus::NonAsn),
            "NIP_NOT_ALLOWED",
        ),
        (bad(&|n| n.position = String::new()), "POSITION_INVALID"),
        (
            bad(&|n| n.office_region_code = "99.99".into()),
            "REGION_CODE_INVALID",
        ),
        (bad(&|n| n.office_name = String::new()), "OFFICE_INVALID"),
        (
            bad(&|n| n.office_address = "y".repeat(1001)),
            "OFFICE_INVALID",
        ),
        (
            bad(&|n| n.local_user_id = "op 9".into()),
            "LOCAL_USER_ID_INVALID",
        ),
        (
            bad(&|n| n.local_user_id = "op-1".into()),
            "LOCAL_USER_ID_TAKEN",
        ),
        (bad(&|n| n.institution_id = 4242), "INSTITUTION_UNKNOWN"),
    ];
    for (n, expected) in cases {
        assert_eq!(
            code(s.submit_user_id_application(&n, &cli, now).await),
            expected,
            "{n:?}"
        );
    }
    assert_eq!(count_events(&s).await, events_before);
    // Non-ASN without NIP is fine; the same local ID in another institution too.
    let non_asn = UserIdApplication {
        nip: None,
        employment_status: EmploymentStatus::NonAsn,
        ..form(a, "op-2")
    };
    let req2 = s
        .submit_user_id_application(&non_asn, &cli, now)
        .await
        .unwrap();
    assert_eq!(req2.nip, None);
    s.submit_user_id_application(&form(b, "op-1"), &cli, now)
        .await
        .unwrap();

    // Grant, credential, revoke.
    let ring = Keyring::generate();
    let sealed = ring
        .seal("rahasia-sintetis-1", &credential_aad(req.id))
        .unwrap();
    assert_eq!(
        code(
            s.set_user_id_credential(req.id, &sealed, &cli, now + 1)
                .await
        ),
        "USER_ID_NOT_ACTIVE"
    );
    assert_eq!(
        code(s.activate_user_id(req.id, "BPBD 3313", &cli, now + 2).await),
        "USER_ID_INVALID"
    );
    let active = s
        .activate_user_id(req.id, "BPBD3313", &cli, now + 3)
        .await
        .unwrap();
    assert_eq!(active.status, UserIdStatus::Active);
    assert_eq!(active.dukcapil_user_id.as_deref(), Some("BPBD3313"));
    assert_eq!(active.decided_at, Some(now + 3));
    assert_eq!(
        code(s.activate_user_id(req.id, "BPBD3313", &cli, now + 4).await),
        "USER_ID_STATUS_TRANSITION"
    );
    assert_eq!(
        code(
            s.set_user_id_credential(
                req.id,
                &sigap_server::secrets::Sealed::from_stored("rahasia-sintetis-1".into()),
                &cli,
                now + 4
            )
            .await
        ),
        "CREDENTIAL_NOT_SEALED"
    );
    let with_cred = s
        .set_user_id_credential(req.id, &sealed, &cli, now + 5)
        .await
        .unwrap();
    assert!(with_cred.has_credential);
    let json = serde_json::to_string(&with_cred).unwrap();
    assert!(!json.contains("rahasia") && !json.contains(sealed.as_str()));
    let stored = s.sealed_credential(req.id).await.unwrap().unwrap();
    assert_eq!(
        ring.open(&stored, &credential_aad(req.id))
            .unwrap()
            .expose_secret(),
        "rahasia-sintetis-1"
    );
    assert!(s.sealed_credential(req2.id).await.unwrap().is_none());
    let live = s.live_dukcapil_user_id(a, "op-1").await.unwrap().unwrap();
    assert_eq!(live.id, req.id);
    assert!(s.live_dukcapil_user_id(a, "nope").await.unwrap().is_none());

    assert_eq!(
        code(s.revoke_user_id(req.id, "", &cli, now + 6).await),
        "REASON_INVALID"
    );
    let revoked = s
        .revoke_user_id(req.id, "Petugas mutasi", &cli, now + 7)
        .await
        .unwrap();
    assert_eq!(revoked.status, UserIdStatus::Revoked);
    assert!(!revoked.has_credential, "the credential is erased");
    assert!(s.sealed_credential(req.id).await.unwrap().is_none());
    assert_eq!(
        code(s.revoke_user_id(req.id, "lagi", &cli, now + 8).await),
        "USER_ID_STATUS_TRANSITION"
    );
    let rejected = s
        .revoke_user_id(req2.id, "Berkas tidak lengkap", &cli, now + 9)
        .await
        .unwrap();
    assert_eq!(rejected.status, UserIdStatus::Revoked);
    // A revoked local user ID may be applied for again.
    let again = s
        .submit_user_id_application(&form(a, "op-1"), &cli, now + 10)
        .await
        .unwrap();
    assert_eq!(again.status, UserIdStatus::Requested);
    let listed: Vec<(String, UserIdStatus)> = s
        .list_dukcapil_user_ids(a)
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.local_user_id, u.status))
        .collect();
    assert_eq!(
        listed,
        [
            ("op-1".to_string(), UserIdStatus::Revoked),
            ("op-2".to_string(), UserIdStatus::Revoked),
            ("op-1".to_string(), UserIdStatus::Requested),
        ]
    );
    assert_eq!(s.list_dukcapil_user_ids(b).await.unwrap().len(), 1);

    let ev = events(&s, "user_id.").await;
    assert_eq!(
        ev,
        [
            "user_id.request",
            "user_id.request",
            "user_id.request",
            "user_id.activate",
            "user_id.credential_set",
            "user_id.revoke",
            "user_id.reject",
            "user_id.request",
        ]
    );
    // No NIK and no credential in the audit trail.
    let all = s
        .list_audit_events(&AuditEventFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    for e in &all {
        assert!(!e.detail.contains("3313011501850001"), "{}", e.detail);
        assert!(!e.detail.contains("rahasia"), "{}", e.detail);
    }
    // The database refuses codes it does not know, even behind the storage's back.
    assert!(
        raw_fails(
            &db.url,
            &format!(
                "UPDATE dukcapil_user_ids SET employment_status = 'honorer' WHERE id = {}",
                again.id
            ),
        )
        .await
    );
}

async fn nda_story(db: &TestDb) {
    let s = storage::connect(&db.url).await.unwrap();
    let (a, b) = two_institutions(&s).await;
    let cli = Actor::cli();
    let op = s
        .create_account(&person("op0", Role::Operator, Some(a), Some("op")), &cli, 1)
        .await
        .unwrap();
    let op2 = s
        .create_account(
            &person("op2", Role::Operator, Some(a), Some("op2")),
            &cli,
            1,
        )
        .await
        .unwrap();
    let op_b = s
        .create_account(
            &person("op.b", Role::Operator, Some(b), Some("op")),
            &cli,
            1,
        )
        .await
        .unwrap();
    let auditor = s
        .create_account(&person("auditor", Role::Auditor, None, None), &cli, 1)
        .await
        .unwrap();
    let svc = s
        .create_account(&person("api", Role::Service, Some(a), Some("api")), &cli, 1)
        .await
        .unwrap();

    assert!(s.current_nda(a).await.unwrap().is_none());
    let st = s.nda_status(op.id).await.unwrap();
    assert_eq!(
        (st.satisfied(), st.reason_code()),
        (false, Some("NDA_NOT_PUBLISHED"))
    );

    assert_eq!(
        code(s.publish_nda_version(a, "Pernyataan", "", &cli, 5).await),
        "NDA_TEXT_INVALID"
    );
    assert_eq!(
        code(
            s.publish_nda_version(a, "Pernyataan", &"x".repeat(100_001), &cli, 5)
                .await
        ),
        "NDA_TEXT_INVALID"
    );
    assert_eq!(
        code(s.publish_nda_version(4242, "P", "Isi", &cli, 5).await),
        "INSTITUTION_UNKNOWN"
    );
    let v1 = s
        .publish_nda_version(
            a,
            "Pernyataan Kerahasiaan",
            "Saya menjaga kerahasiaan data.\nTitik.",
            &cli,
            10,
        )
        .await
        .unwrap();
    assert_eq!((v1.version, v1.institution_id), (1, a));
    let vb = s
        .publish_nda_version(b, "Pernyataan B", "Isi B", &cli, 10)
        .await
        .unwrap();
    assert_eq!(vb.version, 1, "versions count per institution");
    let st = s.nda_status(op.id).await.unwrap();
    assert_eq!(st.reason_code(), Some("NDA_NOT_ACCEPTED"));

    let me = Actor::account(op.id, "op0").from_request(Some("10.0.0.7".into()), None);
    let acc = s.accept_nda(op.id, v1.id, &me, 20).await.unwrap();
    assert_eq!(
        (acc.accepted_at, acc.client_ip.as_deref()),
        (20, Some("10.0.0.7"))
    );
    let again = s.accept_nda(op.id, v1.id, &me, 21).await.unwrap();
    assert_eq!(again, acc, "accepting twice keeps the first acceptance");
    let st = s.nda_status(op.id).await.unwrap();
    assert!(st.satisfied());
    assert_eq!((st.accepted_version, st.accepted_at), (Some(1), Some(20)));

    // Refusals.
    assert_eq!(
        code(s.accept_nda(auditor.id, v1.id, &cli, 22).await),
        "NDA_NOT_FOR_ROLE"
    );
    assert_eq!(
        code(s.accept_nda(svc.id, v1.id, &cli, 22).await),
        "NDA_NOT_FOR_ROLE"
    );
    assert_eq!(
        code(s.accept_nda(op_b.id, v1.id, &cli, 22).await),
        "NDA_OTHER_INSTITUTION"
    );
    assert_eq!(code(s.accept_nda(op.id, 9999, &cli, 22).await), "NOT_FOUND");

    // A new version must be accepted again.
    let v2 = s
        .publish_nda_version(a, "Pernyataan Kerahasiaan", "Versi kedua.", &cli, 30)
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(s.current_nda(a).await.unwrap().unwrap(), v2);
    let st = s.nda_status(op.id).await.unwrap();
    assert_eq!(
        (st.satisfied(), st.reason_code()),
        (false, Some("NDA_NEW_VERSION"))
    );
    assert_eq!(
        code(s.accept_nda(op2.id, v1.id, &cli, 31).await),
        "NDA_NOT_CURRENT"
    );
    s.accept_nda(op.id, v2.id, &me, 32).await.unwrap();
    assert!(s.nda_status(op.id).await.unwrap().satisfied());
    s.accept_nda(op_b.id, vb.id, &cli, 33).await.unwrap();

    s.deactivate_account(op2.id, &cli, 34).await.unwrap();
    assert_eq!(
        code(s.accept_nda(op2.id, v2.id, &cli, 35).await),
        "ACCOUNT_DEACTIVATED"
    );

    // Who has signed what, per institution.
    let sig: Vec<(String, i64, i64)> = s
        .list_nda_signatures(a)
        .await
        .unwrap()
        .into_iter()
        .map(|x| (x.username, x.version, x.accepted_at))
        .collect();
    assert_eq!(
        sig,
        [("op0".to_string(), 2, 32), ("op0".to_string(), 1, 20)]
    );
    assert_eq!(s.list_nda_signatures(b).await.unwrap().len(), 1);
    assert_eq!(
        s.list_nda_versions(a)
            .await
            .unwrap()
            .iter()
            .map(|v| v.version)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    let ev = events(&s, "nda.").await;
    assert_eq!(
        ev,
        [
            "nda.publish",
            "nda.publish",
            "nda.accept",
            "nda.publish",
            "nda.accept",
            "nda.accept"
        ]
    );
    let accepts = s
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some("nda.accept".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let first = accepts.last().unwrap();
    assert_eq!(first.actor_account_id, Some(op.id));
    assert_eq!(first.client_ip.as_deref(), Some("10.0.0.7"));
}

macro_rules! on_both {
    ($story:ident, $sqlite:ident, $postgres:ident) => {
        #[tokio::test]
        async fn $sqlite() {
            let db = TestDb::sqlite();
            $story(&db).await;
            db.cleanup().await;
        }

        #[tokio::test]
        async fn $postgres() {
            let Some(db) = TestDb::postgres().await else {
                return;
            };
            $story(&db).await;
            db.cleanup().await;
        }
    };
}

on_both!(
    account_story,
    account_story_on_sqlite,
    account_story_on_postgres
);
on_both!(
    agreement_story,
    agreement_story_on_sqlite,
    agreement_story_on_postgres
);
on_both!(
    user_id_story,
    user_id_story_on_sqlite,
    user_id_story_on_postgres
);
on_both!(nda_story, nda_story_on_sqlite, nda_story_on_postgres);
