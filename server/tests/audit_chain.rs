//! The audit trail's hash chain on both backends: entries appended through the store methods
//! and inside another area's transaction form one chain; tampering with the database directly
//! (edit, delete, swap, truncate after a checkpoint, forged checkpoint, a row written outside
//! the chain) is detected and the first bad entry named; concurrent appends keep it valid; the
//! genesis step chains rows written before the chain existed; auditors find attempts by the
//! recomputed NIK HMAC.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestDb;
use sigap_server::audit::chain::Finding;
use sigap_server::audit::checkpoint::{append_checkpoint, write_checkpoint};
use sigap_server::audit::{CheckpointSigner, NikKey, ProtectedNik, Verdict, nik_hmac, verify};
use sigap_server::storage::{
    AccessChannel, AccessEventFilter, AccessKind, Actor, AuditOutcome, NewAccessEvent,
    NewAuditEvent, NewInstitution, Storage,
};
use std::path::PathBuf;
use std::sync::Arc;

/// 2026-11-27 10:00 WIB.
const T0: i64 = 1_795_748_400_000;
const NIK_A: &str = "3313014107900001";
const NIK_B: &str = "3313011501850002";

struct Fixture {
    db: TestDb,
    storage: Arc<dyn Storage>,
    dir: PathBuf,
    signer: CheckpointSigner,
    key: NikKey,
    institution_id: i64,
}

impl Fixture {
    async fn new(db: TestDb) -> Fixture {
        let storage = sigap_server::storage::connect(&db.url).await.unwrap();
        let dir = std::env::temp_dir().join(format!("sigap-audit-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let institution_id = storage
            .create_institution(
                &NewInstitution {
                    code: "BPBD-3313".into(),
                    name: "BPBD Sintetis".into(),
                    region_code: "33.13".into(),
                    address: "Jl. Sintetis 1".into(),
                },
                T0,
            )
            .await
            .unwrap()
            .id;
        Fixture {
            db,
            storage,
            dir,
            signer: CheckpointSigner::from_bytes(&[11; 32]),
            key: NikKey::from_bytes([12; 32]),
            institution_id,
        }
    }

    fn checkpoints(&self) -> PathBuf {
        self.dir.join("checkpoints.jsonl")
    }

    async fn verify(&self) -> Verdict {
        self.try_verify().await.unwrap()
    }

    /// `audit::verify` with this fixture's checkpoints and key, as it answers.
    async fn try_verify(&self) -> Result<Verdict, sigap_server::audit::AuditError> {
        verify(
            self.storage.clone(),
            &self.checkpoints(),
            Some(&self.signer.verifying_key()),
        )
        .await
    }

    async fn checkpoint(&self) {
        write_checkpoint(
            self.storage.as_ref(),
            &self.signer,
            &self.checkpoints(),
            T0 + 1,
        )
        .await
        .unwrap()
        .unwrap();
    }

    fn access(&self, n: i64, nik: &str, code: &str) -> NewAccessEvent {
        let nik = domain::nik::Nik::parse(nik, time::macros::date!(2026 - 11 - 27)).unwrap();
        let p = ProtectedNik::of(&self.key, &nik);
        NewAccessEvent {
            at_ms: T0 + n * 60_000,
            kind: AccessKind::Lookup,
            outcome: if code == "00" {
                AuditOutcome::Success
            } else {
                AuditOutcome::Refused
            },
            outcome_code: code.into(),
            channel: AccessChannel::Web,
            institution_id: Some(self.institution_id),
            actor_account_id: Some(1 + n % 2),
            actor_username: Some(format!("operator{}", 1 + n % 2)),
            local_user_id: Some("BPBD-OP-01".into()),
            dukcapil_user_id: Some("BPBD3313".into()),
            purpose: Some("bantuan-bencana".into()),
            nik_hmac: p.hmac,
            nik_masked: p.masked,
            quota_state: Some(format!("{n}/500")),
            latency_ms: Some(40 + n),
            client_ip: Some("127.0.0.1".into()),
            request_id: Some(format!("req-{n}")),
            fingerprint: None,
        }
    }

    /// 12 entries: 1 via the in-transaction macro (NDA publication), 1 via
    /// `append_audit_event`, 4 single access attempts, a batch of 6.
    async fn fill(&self) {
        self.storage
            .publish_nda_version(
                self.institution_id,
                "NDA v1",
                "Isi perjanjian sintetis.",
                &Actor::system("test"),
                T0,
            )
            .await
            .unwrap();
        self.storage
            .append_audit_event(&NewAuditEvent {
                at_ms: T0,
                event: "auth.sign_in".into(),
                outcome: AuditOutcome::Failure,
                actor_account_id: None,
                actor_username: Some("tidak-dikenal".into()),
                institution_id: None,
                subject: None,
                detail: serde_json::json!({"code": "BAD_CREDENTIALS"}),
                client_ip: Some("127.0.0.1".into()),
                request_id: None,
            })
            .await
            .unwrap();
        for n in 0..4 {
            let nik = if n % 2 == 0 { NIK_A } else { NIK_B };
            let code = if n == 3 { "QUOTA_EXHAUSTED" } else { "00" };
            self.storage
                .append_access_event(&self.access(n, nik, code))
                .await
                .unwrap();
        }
        let before = self.storage.audit_chain_head().await.unwrap().seq;
        let batch: Vec<_> = (4..10).map(|n| self.access(n, NIK_B, "11")).collect();
        let out = self.storage.append_access_events(&batch).await.unwrap();
        assert_eq!(
            out.iter().map(|a| a.seq).collect::<Vec<_>>(),
            (before + 1..=before + 6).collect::<Vec<_>>()
        );
    }

    /// The next audit entry's id will be above `id` (the table's id sequence moved on, as after
    /// rows deleted outside the trail), so ids and chain positions differ.
    async fn move_ids_past(&self, id: i64) {
        if self.db.url.starts_with("sqlite:") {
            self.sql(&format!(
                "UPDATE sqlite_sequence SET seq = MAX(seq, {id}) WHERE name = 'audit_events'"
            ))
            .await;
        } else {
            self.sql(&format!(
                "SELECT setval(pg_get_serial_sequence('audit_events', 'id'), {id})"
            ))
            .await;
        }
    }

    async fn sql(&self, statement: &str) {
        if self.db.url.starts_with("sqlite:") {
            let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&self.db.url)
                .await
                .unwrap();
            sqlx::Executor::execute(&mut c, statement).await.unwrap();
        } else {
            let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&self.db.url)
                .await
                .unwrap();
            sqlx::Executor::execute(&mut c, statement).await.unwrap();
        }
    }

    async fn done(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        drop(self.storage);
        self.db.cleanup().await;
    }
}

fn broken(v: Verdict) -> Finding {
    match v {
        Verdict::Broken(f) => f,
        Verdict::Intact(s) => panic!("expected a broken chain, got intact {s:?}"),
    }
}

async fn backends() -> Vec<TestDb> {
    let mut out = vec![TestDb::sqlite()];
    if let Some(pg) = TestDb::postgres().await {
        out.push(pg);
    }
    out
}

#[tokio::test]
async fn both_paths_form_one_intact_chain_and_checkpoints_pin_it() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        assert!(matches!(f.verify().await, Verdict::Intact(s) if s.entries == 0));
        f.fill().await;
        f.checkpoint().await;
        let Verdict::Intact(s) = f.verify().await else {
            panic!("intact chain reported broken")
        };
        assert_eq!((s.entries, s.checkpoints, s.last_seq), (12, 1, 12));
        // The NDA publication (macro path) is the first entry, the sign-in failure the second.
        let first = f.storage.audit_chain_page(0, 2, 10).await.unwrap();
        assert_eq!(first[0].record.event, "nda.publish");
        assert_eq!(first[1].record.event, "auth.sign_in");
        assert_eq!(
            first[1].prev_hash.as_deref(),
            first[0].entry_hash.as_deref()
        );
        f.done().await;
    }
}

/// The ids an append reports are those of the rows it stored (SQLite derives them from the
/// last inserted id, PostgreSQL returns them), for single entries and multi-row batches of more
/// than one statement, with the id counter moved away from the chain positions (so an id
/// mixed up with a seq shows), and after the newest row was deleted behind the trail's back
/// (AUTOINCREMENT does not reuse its id).
#[tokio::test]
async fn appended_ids_are_those_of_the_stored_rows() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        let mut reported = Vec::new();
        let a = f
            .storage
            .append_access_event(&f.access(0, NIK_A, "00"))
            .await
            .unwrap();
        reported.push((a.id, a.seq));
        f.move_ids_past(1000).await;
        for n in 1..3 {
            let a = f
                .storage
                .append_access_event(&f.access(n, NIK_A, "00"))
                .await
                .unwrap();
            reported.push((a.id, a.seq));
        }
        // 100 entries: two insert statements (64 + 36 rows).
        let batch: Vec<_> = (3..103).map(|n| f.access(n, NIK_B, "11")).collect();
        let out = f.storage.append_access_events(&batch).await.unwrap();
        assert_eq!(out.len(), batch.len());
        reported.extend(out.iter().map(|a| (a.id, a.seq)));
        let page = f.storage.audit_chain_page(0, i64::MAX, 1000).await.unwrap();
        let stored: Vec<(i64, i64)> = page.iter().map(|e| (e.id, e.seq)).collect();
        assert_eq!(reported, stored);
        assert!(
            stored[1..].iter().all(|&(id, seq)| id > 1000 && seq < 1000),
            "ids and chain positions apart: {stored:?}"
        );
        // The newest row deleted outside the trail: the next ids skip it and still match.
        f.sql("DELETE FROM audit_events WHERE id = (SELECT MAX(id) FROM audit_events)")
            .await;
        let out = f
            .storage
            .append_access_events(
                &(103..108)
                    .map(|n| f.access(n, NIK_A, "00"))
                    .collect::<Vec<_>>(),
            )
            .await
            .unwrap();
        let page = f.storage.audit_chain_page(0, i64::MAX, 1000).await.unwrap();
        for a in &out {
            let row = page
                .iter()
                .find(|e| e.seq == a.seq)
                .expect("an appended row");
            assert_eq!(
                (row.id, row.entry_hash.as_deref()),
                (a.id, Some(a.entry_hash.as_str()))
            );
            assert!(a.id > stored.last().unwrap().0);
        }
        f.done().await;
    }
}

/// The group writer reports the ids its rows were given, however many writes a group gathers
/// (SQLite's writer inserts one row per statement and takes each row's id; PostgreSQL's
/// writer has them returned), with ids and chain positions apart as above.
#[tokio::test]
async fn the_group_writers_ids_are_those_of_the_stored_rows() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        let first = f
            .storage
            .append_access_event(&f.access(0, NIK_B, "11"))
            .await
            .unwrap();
        let mut reported = vec![(first.id, first.seq)];
        f.move_ids_past(500).await;
        let writer = sigap_server::group_commit::GroupWriter::new(f.storage.clone());
        for round in 0..3 {
            let pending: Vec<_> = (0..16)
                .map(|n| {
                    let event = f.access(1 + round * 16 + n, NIK_A, "00");
                    tokio::spawn(writer.finish(None, event))
                })
                .collect();
            for p in pending {
                let (a, _) = p.await.unwrap().unwrap();
                reported.push((a.id, a.seq));
            }
        }
        reported.sort_unstable();
        let page = f.storage.audit_chain_page(0, i64::MAX, 1000).await.unwrap();
        let stored: Vec<(i64, i64)> = page.iter().map(|e| (e.id, e.seq)).collect();
        assert_eq!(reported, stored);
        assert_eq!(stored.len(), 49);
        assert!(
            stored[1..].iter().all(|&(id, seq)| id > 500 && seq <= 49),
            "ids and chain positions apart: {stored:?}"
        );
        f.done().await;
    }
}

/// The group writer's own connection after a failure: a group whose insert the database
/// refuses (a trigger here) fails as a whole, its writes are retried alone, the bad one fails
/// and the others land, and the chain stays gapless and intact. On PostgreSQL the connection
/// that held the failed transaction is dropped and the next group runs on a fresh one (a kept
/// one would leave every later group inside the aborted transaction); SQLite's writer
/// (rusqlite) rolls the transaction back and keeps its connection, which must then work.
#[tokio::test]
async fn a_failed_group_leaves_the_writer_working() {
    for db in backends().await {
        let sqlite = db.url.starts_with("sqlite:");
        let f = Fixture::new(db).await;
        let writer = sigap_server::group_commit::GroupWriter::new(f.storage.clone());
        writer.finish(None, f.access(0, NIK_A, "00")).await.unwrap();
        if sqlite {
            f.sql(
                "CREATE TRIGGER refuse_boom BEFORE INSERT ON audit_events \
                 WHEN NEW.request_id = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END",
            )
            .await;
        } else {
            f.sql(
                "CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN \
                 IF NEW.request_id = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql; \
                 CREATE TRIGGER refuse_boom BEFORE INSERT ON audit_events \
                 FOR EACH ROW EXECUTE FUNCTION refuse_boom()",
            )
            .await;
        }
        for round in 0..3 {
            let mut pending = Vec::new();
            for n in 1..=12 {
                let mut e = f.access(round * 100 + n, NIK_B, "11");
                if n == 6 {
                    e.request_id = Some("boom".into());
                }
                pending.push(tokio::spawn(writer.finish(None, e)));
            }
            let mut landed = 0;
            let mut refused = 0;
            for p in pending {
                match p.await.unwrap() {
                    Ok(_) => landed += 1,
                    Err(_) => refused += 1,
                }
            }
            assert_eq!((landed, refused), (11, 1), "round {round}");
        }
        let (after, _) = writer
            .finish(None, f.access(999, NIK_A, "00"))
            .await
            .unwrap();
        assert_eq!(
            after.seq,
            1 + 3 * 11 + 1,
            "gapless: nothing of a failed try kept"
        );
        let Verdict::Intact(s) = f.verify().await else {
            panic!("the chain broke after a failed group")
        };
        assert_eq!(s.entries, 35);
        f.done().await;
    }
}

/// The group writer's thread writes from its own runtime and ends with the writer: the
/// storage it held is released once the last clone is dropped, and a new writer on the same
/// storage (and, on PostgreSQL, a new connection on its own thread) continues the chain.
#[tokio::test]
async fn the_writer_thread_ends_with_its_writer_and_a_new_one_continues() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        let before = std::sync::Arc::strong_count(&f.storage);
        let writer = sigap_server::group_commit::GroupWriter::new(f.storage.clone());
        let copy = writer.clone();
        let (first, _) = writer.finish(None, f.access(1, NIK_A, "00")).await.unwrap();
        drop(writer);
        let (second, _) = copy.finish(None, f.access(2, NIK_A, "00")).await.unwrap();
        assert_eq!(second.seq, first.seq + 1, "a clone still writes");
        // Queued without waiting, then flushed: applied when flush returns.
        copy.submit(sigap_server::storage::BatchOp::Finish {
            settle: None,
            event: Box::new(f.access(3, NIK_A, "00")),
        });
        copy.flush().await;
        let Verdict::Intact(s) = f.verify().await else {
            panic!("the chain broke")
        };
        assert_eq!(s.entries, 3, "flush waited for the submitted write");
        drop(copy);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::sync::Arc::strong_count(&f.storage) > before {
            assert!(
                std::time::Instant::now() < deadline,
                "the writer thread still holds the storage after its writer was dropped"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let again = sigap_server::group_commit::GroupWriter::new(f.storage.clone());
        let (fourth, _) = again.finish(None, f.access(4, NIK_B, "11")).await.unwrap();
        assert_eq!(fourth.seq, second.seq + 2);
        drop(again);
        let Verdict::Intact(s) = f.verify().await else {
            panic!("the chain broke across writers")
        };
        assert_eq!(s.entries, 4);
        f.done().await;
    }
}

/// A chain page returns every value exactly as written (quotes, backslashes, control
/// characters, non-ASCII text, large integers, NULLs), so the recomputed hashes are those of
/// the columns.
#[tokio::test]
async fn a_chain_page_returns_every_value_exactly() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        let mut tricky = f.access(1, NIK_A, "00");
        tricky.purpose = Some("Banjir \"Kali\" \\ C:\\data\n\tbaris\u{1} </script> Ñ é 🌋".into());
        tricky.actor_username = None;
        tricky.quota_state = None;
        tricky.latency_ms = Some(i64::MAX - 7);
        tricky.request_id = Some("[1,2]{\"a\":null}".into());
        let plain = f.access(2, NIK_B, "11");
        f.storage.append_access_event(&tricky).await.unwrap();
        f.storage.append_access_event(&plain).await.unwrap();
        let page = f.storage.audit_chain_page(0, i64::MAX, 10).await.unwrap();
        assert_eq!(page.len(), 2);
        assert_eq!(
            page[0].record,
            sigap_server::storage::AuditRecord::from(&tricky)
        );
        assert_eq!(
            page[1].record,
            sigap_server::storage::AuditRecord::from(&plain)
        );
        assert_eq!((page[0].seq, page[1].seq), (1, 2));
        assert_eq!(page[1].prev_hash, page[0].entry_hash);
        // Verification's read (hashed where read, from the values as the database hands them
        // out) gives what hashing the whole rows gives, and those are the stored hashes.
        let links = f.storage.audit_chain_links(0, i64::MAX, 10).await.unwrap();
        assert_eq!(
            links,
            sigap_server::audit::chain::ChainLink::of_page(page.clone())
        );
        for l in &links {
            assert_eq!(
                l.entry_hash.as_deref(),
                Some(sigap_server::audit::chain::to_hex(&l.computed).as_str())
            );
        }
        // A limit and a range cut the page; a range past the end is empty.
        assert_eq!(f.storage.audit_chain_page(0, 2, 1).await.unwrap().len(), 1);
        assert_eq!(
            f.storage.audit_chain_page(1, 2, 10).await.unwrap()[0].seq,
            2
        );
        assert!(
            f.storage
                .audit_chain_page(2, 10, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(f.verify().await, Verdict::Intact(s) if s.entries == 2));
        f.done().await;
    }
}

/// SQLite keeps any type in any column: a column rewritten as a BLOB (here SQLite's binary
/// JSON of the very same text, which its JSON functions would read back as that text) or an
/// integer column rewritten as a REAL stops verification with an error naming the entry and
/// the column instead of passing as intact.
#[tokio::test]
async fn a_column_rewritten_as_binary_is_refused_on_sqlite() {
    let f = Fixture::new(TestDb::sqlite()).await;
    f.fill().await;
    f.sql("UPDATE audit_events SET nik_hmac = jsonb(json_quote(nik_hmac)) WHERE seq = 4")
        .await;
    let id: i64 = {
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&f.db.url)
            .await
            .unwrap();
        let (kind, id): (String, i64) =
            sqlx::query_as("SELECT typeof(nik_hmac), id FROM audit_events WHERE seq = 4")
                .fetch_one(&mut c)
                .await
                .unwrap();
        assert_eq!(kind, "blob");
        id
    };
    let err = f.try_verify().await.unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("entry id {id} seq 4, column nik_hmac")),
        "{err}"
    );
    // An earlier entry of the page: named first.
    f.sql("UPDATE audit_events SET at_ms = at_ms + 0.5 WHERE seq = 2")
        .await;
    let err = f.try_verify().await.unwrap_err();
    assert!(err.to_string().contains("seq 2, column at_ms"), "{err}");
    f.done().await;
}

#[tokio::test]
async fn an_edited_field_is_named() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        f.fill().await;
        f.sql("UPDATE audit_events SET outcome_code = '00' WHERE seq = 6")
            .await;
        let id = f.storage.audit_chain_page(5, 6, 1).await.unwrap()[0].id;
        assert_eq!(broken(f.verify().await), Finding::Edited { seq: 6, id });
        f.done().await;
    }
}

#[tokio::test]
async fn an_edited_administration_event_is_named() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        f.fill().await;
        f.sql("UPDATE audit_events SET detail = '{\"version\":2}' WHERE event = 'nda.publish'")
            .await;
        assert!(matches!(
            broken(f.verify().await),
            Finding::Edited { seq: 1, .. }
        ));
        f.done().await;
    }
}

#[tokio::test]
async fn a_deleted_middle_entry_is_named() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        f.fill().await;
        f.sql("DELETE FROM audit_events WHERE seq = 5").await;
        assert_eq!(
            broken(f.verify().await),
            Finding::Missing {
                seq: 5,
                next_seq: Some(6)
            }
        );
        f.done().await;
    }
}

#[tokio::test]
async fn swapped_entries_are_named() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        f.fill().await;
        let page = f.storage.audit_chain_page(3, 5, 2).await.unwrap();
        let (id4, id5) = (page[0].id, page[1].id);
        f.sql(&format!(
            "UPDATE audit_events SET seq = -1 WHERE id = {id4}"
        ))
        .await;
        f.sql(&format!("UPDATE audit_events SET seq = 4 WHERE id = {id5}"))
            .await;
        f.sql(&format!("UPDATE audit_events SET seq = 5 WHERE id = {id4}"))
            .await;
        assert_eq!(
            broken(f.verify().await),
            Finding::Reordered { seq: 4, id: id5 }
        );
        f.done().await;
    }
}

#[tokio::test]
async fn truncation_after_a_checkpoint_is_named_even_with_the_head_reset() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        f.fill().await;
        f.checkpoint().await; // line 1, seq 12
        f.sql("DELETE FROM audit_events WHERE seq > 9").await;
        assert_eq!(
            broken(f.verify().await),
            Finding::TruncatedAfterCheckpoint {
                line: 1,
                seq: 12,
                last_seq: 9
            }
        );
        // Hiding it by moving the head back does not help: the checkpoint still pins seq 12.
        let hash9 = f.storage.audit_chain_page(8, 9, 1).await.unwrap()[0]
            .entry_hash
            .clone()
            .unwrap();
        f.sql(&format!(
            "UPDATE audit_chain_head SET seq = 9, hash = '{hash9}' WHERE id = 1"
        ))
        .await;
        assert!(matches!(
            broken(f.verify().await),
            Finding::TruncatedAfterCheckpoint { seq: 12, .. }
        ));
        f.done().await;
    }
}

#[tokio::test]
async fn truncation_without_a_checkpoint_is_caught_by_the_head() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        f.fill().await;
        f.sql("DELETE FROM audit_events WHERE seq > 10").await;
        assert_eq!(
            broken(f.verify().await),
            Finding::TruncatedBeforeHead {
                last_seq: 10,
                head_seq: 12
            }
        );
        f.done().await;
    }
}

#[tokio::test]
async fn a_forged_or_foreign_checkpoint_is_named() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        f.fill().await;
        f.checkpoint().await;
        // Line 2: a checkpoint whose hash was changed after signing.
        let mut forged = f.signer.sign(12, &"ab".repeat(32), T0 + 2).unwrap();
        forged.entry_hash = "cd".repeat(32);
        append_checkpoint(&f.checkpoints(), &forged).unwrap();
        assert_eq!(broken(f.verify().await), Finding::BadSignature { line: 2 });
        // A checkpoint signed by another key.
        std::fs::remove_file(f.checkpoints()).unwrap();
        f.checkpoint().await;
        let other = CheckpointSigner::from_bytes(&[99; 32]);
        let head = f.storage.audit_chain_head().await.unwrap();
        append_checkpoint(
            &f.checkpoints(),
            &other.sign(head.seq, &head.hash, T0).unwrap(),
        )
        .unwrap();
        assert_eq!(broken(f.verify().await), Finding::BadSignature { line: 2 });
        f.done().await;
    }
}

#[tokio::test]
async fn a_rewritten_chain_is_caught_by_the_checkpoint() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        f.fill().await;
        f.checkpoint().await;
        // Someone with database access edits entry 3 and recomputes every later hash, so the
        // chain itself is consistent again; the signed checkpoint is not.
        let entries = f.storage.audit_chain_page(0, 12, 100).await.unwrap();
        let mut prev = [0u8; 32];
        for e in &entries {
            let mut record = e.record.clone();
            if e.seq == 3 {
                record.outcome_code = Some("05".into());
            }
            let h = sigap_server::audit::chain::entry_hash(&prev, e.seq, &record);
            f.sql(&format!(
                "UPDATE audit_events SET outcome_code = {}, prev_hash = '{}', entry_hash = '{}' \
                 WHERE id = {}",
                record
                    .outcome_code
                    .as_deref()
                    .map_or("NULL".to_string(), |c| format!("'{c}'")),
                sigap_server::audit::chain::to_hex(&prev),
                sigap_server::audit::chain::to_hex(&h),
                e.id
            ))
            .await;
            prev = h;
        }
        f.sql(&format!(
            "UPDATE audit_chain_head SET hash = '{}' WHERE id = 1",
            sigap_server::audit::chain::to_hex(&prev)
        ))
        .await;
        assert_eq!(
            broken(f.verify().await),
            Finding::CheckpointMismatch { line: 1, seq: 12 }
        );
        f.done().await;
    }
}

#[tokio::test]
async fn a_row_written_outside_the_chain_is_named() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        f.fill().await;
        f.sql(
            "INSERT INTO audit_events (at_ms, event, outcome, detail) \
             VALUES (1, 'nik.lookup', 'success', '{}')",
        )
        .await;
        let Finding::Unchained { id } = broken(f.verify().await) else {
            panic!("expected an unchained row")
        };
        assert!(id > 12);
        f.done().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_keep_the_chain_gapless_and_valid() {
    for db in backends().await {
        let sqlite = db.url.starts_with("sqlite:");
        let f = Fixture::new(db).await;
        let f = Arc::new(f);
        let mut tasks = Vec::new();
        for t in 0..8 {
            let f = f.clone();
            tasks.push(tokio::spawn(async move {
                for n in 0..15 {
                    if n % 5 == 4 {
                        let batch: Vec<_> = (0..3)
                            .map(|k| f.access(t * 100 + n + k, NIK_A, "00"))
                            .collect();
                        f.storage.append_access_events(&batch).await.unwrap();
                    } else if n % 5 == 3 && !sqlite {
                        // (Not on SQLite: publish_nda_version reads before it writes in a
                        // deferred transaction, which SQLite refuses with "database is
                        // locked" when another writer commits in between; see the report.)
                        f.storage
                            .publish_nda_version(
                                f.institution_id,
                                "NDA",
                                "Isi perjanjian sintetis.",
                                &Actor::system("test"),
                                T0,
                            )
                            .await
                            .map(|_| ())
                            .or_else(|e| match e {
                                // Two publications racing for the same version number.
                                sigap_server::storage::StorageError::Conflict => Ok(()),
                                e => Err(e),
                            })
                            .unwrap();
                    } else {
                        f.storage
                            .append_access_event(&f.access(t * 100 + n, NIK_B, "00"))
                            .await
                            .unwrap();
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let rows = f.storage.audit_chain_head().await.unwrap().seq;
        let Verdict::Intact(s) = f.verify().await else {
            panic!("concurrent appends broke the chain")
        };
        assert_eq!(s.entries as i64, rows);
        // 8 tasks x (9 single + 3 batches of 3) (+ on PostgreSQL the NDA publications that
        // won; on SQLite those turns append single entries).
        assert!(rows >= 8 * (9 + 9), "{rows}");
        Arc::try_unwrap(f).ok().unwrap().done().await;
    }
}

#[tokio::test]
async fn auditors_find_attempts_by_typed_nik_operator_day_and_outcome() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        f.fill().await;
        // The auditor types the NIK with separators; the HMAC is recomputed from it.
        let typed =
            domain::nik::Nik::parse("3313 0141 0790 0001", time::macros::date!(2026 - 11 - 27))
                .unwrap();
        let by_nik = AccessEventFilter {
            nik_hmac: Some(nik_hmac(&f.key, &typed)),
            ..AccessEventFilter::default()
        };
        let hits = f.storage.search_access_events(&by_nik).await.unwrap();
        assert_eq!(hits.len(), 2);
        assert!(
            hits.iter()
                .all(|h| h.nik_masked.as_deref() == Some("3313********0001"))
        );
        assert!(hits[0].at_ms > hits[1].at_ms, "newest first");
        assert_eq!(hits[0].channel.as_deref(), Some("web"));
        assert_eq!(hits[0].event, "nik.lookup");
        // Another key does not find them.
        let wrong = AccessEventFilter {
            nik_hmac: Some(nik_hmac(&NikKey::from_bytes([1; 32]), &typed)),
            ..AccessEventFilter::default()
        };
        assert!(
            f.storage
                .search_access_events(&wrong)
                .await
                .unwrap()
                .is_empty()
        );

        let by_outcome = AccessEventFilter {
            outcome_code: Some("QUOTA_EXHAUSTED".into()),
            ..AccessEventFilter::default()
        };
        let refused = f.storage.search_access_events(&by_outcome).await.unwrap();
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].outcome, "refused");
        assert_eq!(refused[0].quota_state.as_deref(), Some("3/500"));

        let by_operator = AccessEventFilter {
            actor_account_id: Some(2),
            institution_id: Some(f.institution_id),
            ..AccessEventFilter::default()
        };
        assert_eq!(
            f.storage
                .search_access_events(&by_operator)
                .await
                .unwrap()
                .len(),
            5
        );

        let today = time::macros::date!(2026 - 11 - 27);
        let on_day = AccessEventFilter {
            from_day: Some(today),
            to_day: Some(today),
            limit: 3,
            ..AccessEventFilter::default()
        };
        let page = f.storage.search_access_events(&on_day).await.unwrap();
        assert_eq!(page.len(), 3);
        assert_eq!(page[0].request_id.as_deref(), Some("req-9"));
        // The next page starts after the last row of this one, with no row twice.
        let after = AccessEventFilter {
            before: Some((page[2].at_ms, page[2].seq.unwrap())),
            ..on_day.clone()
        };
        let page2 = f.storage.search_access_events(&after).await.unwrap();
        assert_eq!(page2.len(), 3);
        assert!(
            page2
                .iter()
                .all(|e| (e.at_ms, e.seq) < (page[2].at_ms, page[2].seq))
        );
        assert_eq!(page2[0].request_id.as_deref(), Some("req-6"));
        let next_day = AccessEventFilter {
            from_day: today.next_day(),
            ..AccessEventFilter::default()
        };
        assert!(
            f.storage
                .search_access_events(&next_day)
                .await
                .unwrap()
                .is_empty()
        );
        let all = AccessEventFilter::default();
        assert_eq!(
            f.storage.search_access_events(&all).await.unwrap().len(),
            10
        );
        f.done().await;
    }
}

/// A database of the previous version (migrations up to the identity/auth ones) with audit
/// rows, then the current binary connects: the rows are chained once, in id order.
#[tokio::test]
async fn genesis_chains_rows_written_before_the_chain_existed() {
    for db in backends().await {
        let sqlite = db.url.starts_with("sqlite:");
        let folder = if sqlite { "sqlite" } else { "postgres" };
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../migrations")
            .join(folder);
        let mut old = sqlx::migrate::Migrator::new(dir).await.unwrap();
        let keep: Vec<_> = old
            .migrations
            .iter()
            .filter(|m| m.version < 20261127000005)
            .cloned()
            .collect();
        old.migrations = keep.into();
        let insert = "INSERT INTO audit_events (at_ms, event, outcome, actor_username, detail) \
                      VALUES (1000, 'account.create', 'success', 'cli', '{\"x\":1}'), \
                             (2000, 'auth.sign_in', 'failure', 'someone', '{}'), \
                             (3000, 'nda.accept', 'success', 'op', '{}')";
        if sqlite {
            let opts: sqlx::sqlite::SqliteConnectOptions = db
                .url
                .parse::<sqlx::sqlite::SqliteConnectOptions>()
                .unwrap()
                .create_if_missing(true);
            let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
            old.run(&pool).await.unwrap();
            sqlx::query(insert).execute(&pool).await.unwrap();
            pool.close().await;
        } else {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            old.run(&pool).await.unwrap();
            sqlx::query(insert).execute(&pool).await.unwrap();
            pool.close().await;
        }
        let f = Fixture::new(db).await;
        let entries = f.storage.audit_chain_page(0, 100, 100).await.unwrap();
        assert_eq!(
            entries
                .iter()
                .map(|e| (e.seq, e.record.at_ms))
                .collect::<Vec<_>>(),
            vec![(1, 1000), (2, 2000), (3, 3000)]
        );
        // New entries continue the same chain; connecting again does not re-run genesis.
        f.fill().await;
        let again = sigap_server::storage::connect(&f.db.url).await.unwrap();
        drop(again);
        let Verdict::Intact(s) = f.verify().await else {
            panic!("genesis chain broken")
        };
        assert_eq!(s.entries, 15);
        // After genesis, a row without a chain position is an error, not chained silently.
        f.sql(
            "INSERT INTO audit_events (at_ms, event, outcome, detail) \
             VALUES (4000, 'auth.sign_in', 'success', '{}')",
        )
        .await;
        let again = sigap_server::storage::connect(&f.db.url).await.unwrap();
        drop(again);
        assert!(matches!(
            broken(f.verify().await),
            Finding::Unchained { .. }
        ));
        f.done().await;
    }
}

/// The background writer signs the head when it moved, and once more on shutdown.
#[tokio::test]
async fn the_checkpointer_writes_on_shutdown_and_verify_uses_it() {
    let f = Fixture::new(TestDb::sqlite()).await;
    f.fill().await;
    let keys = Arc::new(sigap_server::audit::AuditKeys {
        nik: None,
        signer: Some(CheckpointSigner::from_bytes(&[11; 32])),
        checkpoint_file: f.checkpoints(),
        checkpoint_interval: std::time::Duration::from_secs(3600),
    });
    let c = sigap_server::audit::Checkpointer::spawn(
        f.storage.clone(),
        keys,
        std::time::Duration::from_secs(3600),
    )
    .unwrap();
    c.shutdown().await;
    let Verdict::Intact(s) = f.verify().await else {
        panic!("broken")
    };
    assert_eq!((s.checkpoints, s.last_seq), (1, 12));
    f.done().await;
}
