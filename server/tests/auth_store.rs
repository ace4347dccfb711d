//! The authentication storage areas on both backends (SQLite always, PostgreSQL when
//! `SIGAP_TEST_POSTGRES_URL` is set): failure counters, sessions (hashed ids, expiry,
//! resurrection refused, sign out everywhere with the epoch bump), passkeys (unique
//! credential ids), recovery codes (single use), ceremonies (taken once), the admin reset.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestDb;
use domain::access::Role;
use sigap_server::storage::{
    Actor, Ceremony, NewAccount, NewPasskey, SessionWrite, Storage, StorageError,
};
use std::sync::Arc;

async fn both(test: impl AsyncFn(Arc<dyn Storage>)) {
    let db = TestDb::sqlite();
    test(sigap_server::storage::connect(&db.url).await.unwrap()).await;
    db.cleanup().await;
    if let Some(db) = TestDb::postgres().await {
        let storage = sigap_server::storage::connect(&db.url).await.unwrap();
        test(storage.clone()).await;
        drop(storage);
        db.cleanup().await;
    }
}

async fn account(storage: &dyn Storage, username: &str) -> i64 {
    sigap_server::demo::seed(storage, 1).await.unwrap();
    storage
        .create_account(
            &NewAccount {
                username: username.into(),
                display_name: username.into(),
                role: Role::Auditor,
                institution_id: None,
                local_user_id: None,
                password_hash: Some(
                    sigap_server::auth::hash_password("Apa-Saja-Panjang-1").unwrap(),
                ),
                demo_password: false,
            },
            &Actor::system("test"),
            1,
        )
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn failure_counters_count_forget_and_clear() {
    both(async |s: Arc<dyn Storage>| {
        assert_eq!(
            s.throttle_state("sign_in_user", "budi").await.unwrap(),
            None
        );
        let a = s
            .throttle_fail("sign_in_user", "budi", 1000, 900_000)
            .await
            .unwrap();
        assert_eq!(
            (a.failures, a.first_failure_ms, a.last_failure_ms),
            (1, 1000, 1000)
        );
        let b = s
            .throttle_fail("sign_in_user", "budi", 2000, 900_000)
            .await
            .unwrap();
        assert_eq!(
            (b.failures, b.first_failure_ms, b.last_failure_ms),
            (2, 1000, 2000)
        );
        // Other scope, other key: separate counters.
        assert_eq!(
            s.throttle_fail("client_ip", "budi", 2000, 900_000)
                .await
                .unwrap()
                .failures,
            1
        );
        // After the window the counter starts again.
        let c = s
            .throttle_fail("sign_in_user", "budi", 2000 + 900_001, 900_000)
            .await
            .unwrap();
        assert_eq!(c.failures, 1);
        assert_eq!(c.first_failure_ms, 2000 + 900_001);
        s.throttle_clear("sign_in_user", "budi").await.unwrap();
        assert_eq!(
            s.throttle_state("sign_in_user", "budi").await.unwrap(),
            None
        );
        assert_eq!(
            s.throttle_purge(10_000).await.unwrap(),
            1,
            "the client_ip row"
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_failures_are_all_counted() {
    both(async |s: Arc<dyn Storage>| {
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.throttle_fail("client_ip", "10.0.0.1", 5000, 900_000)
                    .await
                    .unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let st = s
            .throttle_state("client_ip", "10.0.0.1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(st.failures, 20);
    })
    .await;
}

fn write<'a>(hash: &'a str, data: &'a str, expires: i64, account: Option<i64>) -> SessionWrite<'a> {
    SessionWrite {
        id_hash: hash,
        data,
        expires_at_ms: expires,
        account_id: account,
        session_epoch: account.map(|_| 0),
        now_ms: 1,
    }
}

#[tokio::test]
async fn sessions_expire_are_not_resurrected_and_end_everywhere() {
    both(async |s: Arc<dyn Storage>| {
        let id = account(s.as_ref(), "sesi").await;
        s.insert_session(&write("h1", "{}", 10_000, Some(id)))
            .await
            .unwrap();
        s.insert_session(&write("h2", "{}", 10_000, Some(id)))
            .await
            .unwrap();
        s.insert_session(&write("h3", "{}", 10_000, None))
            .await
            .unwrap();
        assert!(matches!(
            s.insert_session(&write("h1", "{}", 10_000, None)).await,
            Err(StorageError::Conflict)
        ));
        let row = s.load_session("h1", 5_000).await.unwrap().unwrap();
        assert_eq!(row.account_id, Some(id));
        assert_eq!(row.data, "{}");
        assert!(
            s.load_session("h1", 10_000).await.unwrap().is_none(),
            "expired"
        );
        assert!(
            s.update_session(&write("h1", "{\"a\":1}", 20_000, Some(id)))
                .await
                .unwrap()
        );
        assert_eq!(
            s.load_session("h1", 15_000).await.unwrap().unwrap().data,
            "{\"a\":1}"
        );
        s.delete_session("h1").await.unwrap();
        // A save after a delete does not bring the session back.
        assert!(
            !s.update_session(&write("h1", "{}", 20_000, Some(id)))
                .await
                .unwrap()
        );
        assert!(s.load_session("h1", 1).await.unwrap().is_none());

        assert_eq!(s.count_account_sessions(id, 1).await.unwrap(), 1);
        let before = s.account_by_id(id).await.unwrap().unwrap().session_epoch;
        let epoch = s.end_account_sessions(id, 2).await.unwrap();
        assert_eq!(epoch, before + 1);
        assert_eq!(
            s.account_by_id(id).await.unwrap().unwrap().session_epoch,
            epoch
        );
        assert_eq!(s.count_account_sessions(id, 1).await.unwrap(), 0);
        assert!(
            s.load_session("h3", 1).await.unwrap().is_some(),
            "others stay"
        );
        assert!(matches!(
            s.end_account_sessions(999_999, 2).await,
            Err(StorageError::NotFound)
        ));
        assert_eq!(s.purge_expired_sessions(10_001).await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn passkeys_codes_ceremonies_and_reset() {
    both(async |s: Arc<dyn Storage>| {
        let id = account(s.as_ref(), "kunci").await;
        let other = account(s.as_ref(), "kunci2").await;
        // User handles: stable per account, unique.
        let h = s.webauthn_user_handle(id, "uuid-1", 1).await.unwrap();
        assert_eq!(h, "uuid-1");
        assert_eq!(
            s.webauthn_user_handle(id, "uuid-2", 2).await.unwrap(),
            "uuid-1"
        );
        assert_eq!(s.account_by_user_handle("uuid-1").await.unwrap(), Some(id));
        assert!(s.webauthn_user_handle(other, "uuid-1", 3).await.is_err());

        let new = |acc, cred: &str| NewPasskey {
            account_id: acc,
            credential_id: cred.into(),
            name: "Kunci".into(),
            passkey: "{}".into(),
        };
        let p = s.add_passkey(&new(id, "cred-a"), 10).await.unwrap();
        assert!(matches!(
            s.add_passkey(&new(other, "cred-a"), 11).await,
            Err(StorageError::Conflict)
        ));
        s.add_passkey(&new(id, "cred-b"), 12).await.unwrap();
        assert_eq!(s.list_passkeys(id).await.unwrap().len(), 2);
        s.record_passkey_use(p.id, "{\"counter\":3}", 20)
            .await
            .unwrap();
        let got = s.passkey_by_credential_id("cred-a").await.unwrap().unwrap();
        assert_eq!(got.last_used_at_ms, Some(20));
        assert_eq!(got.passkey, "{\"counter\":3}");
        assert!(!s.delete_passkey(other, p.id).await.unwrap(), "not theirs");
        assert!(s.delete_passkey(id, p.id).await.unwrap());
        assert!(!s.delete_passkey(id, p.id).await.unwrap());

        let hashes: Vec<String> = (0..10).map(|i| format!("hash-{i}")).collect();
        s.replace_recovery_codes(id, &hashes, 30).await.unwrap();
        assert_eq!(s.count_recovery_codes(id).await.unwrap(), 10);
        assert!(s.use_recovery_code(id, "hash-4", 31).await.unwrap());
        assert!(
            !s.use_recovery_code(id, "hash-4", 32).await.unwrap(),
            "once"
        );
        assert!(
            !s.use_recovery_code(other, "hash-5", 32).await.unwrap(),
            "not theirs"
        );
        assert_eq!(s.count_recovery_codes(id).await.unwrap(), 9);

        let c = Ceremony {
            id: "c1".into(),
            kind: "register".into(),
            account_id: Some(id),
            state: "{}".into(),
            detail: "{}".into(),
            expires_at_ms: 100,
            created_at_ms: 40,
        };
        s.put_ceremony(&c).await.unwrap();
        assert_eq!(s.take_ceremony("c1").await.unwrap(), Some(c.clone()));
        assert_eq!(s.take_ceremony("c1").await.unwrap(), None, "taken once");
        s.put_ceremony(&Ceremony {
            id: "c2".into(),
            ..c.clone()
        })
        .await
        .unwrap();
        assert_eq!(s.purge_ceremonies(101).await.unwrap(), 1);

        let reset = s.reset_second_factor(id).await.unwrap();
        assert_eq!((reset.passkeys, reset.recovery_codes), (1, 10));
        assert!(s.list_passkeys(id).await.unwrap().is_empty());
        assert_eq!(s.count_recovery_codes(id).await.unwrap(), 0);
    })
    .await;
}
