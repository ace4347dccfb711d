//! One storage story, run on SQLite and on PostgreSQL (when SIGAP_TEST_POSTGRES_URL is set).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestDb;
use sigap_server::storage::{
    self, AuditEventFilter, AuditOutcome, InstitutionUpdate, NewAuditEvent, NewInstitution,
    StorageError,
};

async fn institution_story(db: &TestDb) {
    let s = storage::connect(&db.url).await.unwrap();
    s.ping().await.unwrap();
    let m = s.migration_state().await.unwrap();
    assert!(m.complete() && m.expected >= 1, "{m:?}");

    assert!(s.list_institutions().await.unwrap().is_empty());
    let new = NewInstitution {
        code: "BPBD-3313".into(),
        name: "BPBD Kabupaten Karanganyar".into(),
        region_code: "33.13".into(),
        address: "Alamat sintetis".into(),
    };
    let created = s.create_institution(&new, 1_000).await.unwrap();
    assert_eq!(created.code, "BPBD-3313");
    assert_eq!((created.created_at, created.updated_at), (1_000, 1_000));

    // Unique code.
    assert!(matches!(
        s.create_institution(&new, 2_000).await,
        Err(StorageError::Conflict)
    ));

    let other = NewInstitution {
        code: "BPBD-3372".into(),
        name: "BPBD Kota Surakarta".into(),
        region_code: "33.72".into(),
        address: String::new(),
    };
    s.create_institution(&other, 1_500).await.unwrap();

    let read = s.institution_by_code("BPBD-3313").await.unwrap().unwrap();
    assert_eq!(read, created);
    assert!(s.institution_by_code("NOPE").await.unwrap().is_none());

    let updated = s
        .update_institution(
            "BPBD-3313",
            &InstitutionUpdate {
                address: Some("Jl. Baru (sintetis)".into()),
                ..Default::default()
            },
            3_000,
        )
        .await
        .unwrap();
    assert_eq!(updated.address, "Jl. Baru (sintetis)");
    assert_eq!(updated.name, created.name, "unchanged fields are kept");
    assert_eq!((updated.created_at, updated.updated_at), (1_000, 3_000));
    assert!(matches!(
        s.update_institution("NOPE", &InstitutionUpdate::default(), 1)
            .await,
        Err(StorageError::NotFound)
    ));

    let codes: Vec<String> = s
        .list_institutions()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.code)
        .collect();
    assert_eq!(codes, ["BPBD-3313", "BPBD-3372"]);

    // Reconnecting applies no migration twice and keeps the data.
    drop(s);
    let again = storage::connect(&db.url).await.unwrap();
    assert!(again.migration_state().await.unwrap().complete());
    assert_eq!(again.list_institutions().await.unwrap().len(), 2);
}

async fn audit_event_story(db: &TestDb) {
    let s = storage::connect(&db.url).await.unwrap();
    let event = |at_ms: i64, name: &str, inst: Option<i64>| NewAuditEvent {
        at_ms,
        event: name.into(),
        outcome: AuditOutcome::Success,
        actor_account_id: Some(7),
        actor_username: Some("op1".into()),
        institution_id: inst,
        subject: Some("account:7".into()),
        detail: serde_json::json!({ "method": "password" }),
        client_ip: Some("127.0.0.1".into()),
        request_id: None,
    };
    let a = s
        .append_audit_event(&event(1, "auth.sign_in", Some(1)))
        .await
        .unwrap();
    let b = s
        .append_audit_event(&event(2, "nda.accept", Some(1)))
        .await
        .unwrap();
    s.append_audit_event(&event(3, "auth.sign_in", Some(2)))
        .await
        .unwrap();
    assert!(b > a);

    let all = s
        .list_audit_events(&AuditEventFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].at_ms, 3, "newest first");
    let inst1 = s
        .list_audit_events(&AuditEventFilter {
            institution_id: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(inst1.len(), 2);
    let sign_ins = s
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some("auth.".into()),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(sign_ins.len(), 1);
    assert_eq!(sign_ins[0].event, "auth.sign_in");
    assert_eq!(sign_ins[0].outcome, "success");
    let detail: serde_json::Value = serde_json::from_str(&sign_ins[0].detail).unwrap();
    assert_eq!(detail["method"], "password");
}

#[tokio::test]
async fn audit_events_on_sqlite() {
    let db = TestDb::sqlite();
    audit_event_story(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn audit_events_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    audit_event_story(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn institution_story_on_sqlite() {
    let db = TestDb::sqlite();
    institution_story(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn institution_story_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    institution_story(&db).await;
    db.cleanup().await;
}
