//! Audit trail throughput: chained append (single-entry transactions, batches of 100, several
//! tasks at once) on SQLite and PostgreSQL, and chain verification (pure recomputation in
//! memory, and `audit::verify` end to end from the database).
//!
//! `cargo bench -p server --bench audit` (release). PostgreSQL runs when
//! `SIGAP_TEST_POSTGRES_URL` is set (a scratch database is created next to it and dropped).
//! `SIGAP_BENCH_ENTRIES` (default 1,000,000) sets the verification size; `SIGAP_BENCH_QUICK=1`
//! shrinks the append runs (a smoke run in debug builds).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sigap_server::audit::chain::{ChainVerifier, entry_hash, to_hex};
use sigap_server::audit::{CheckpointSigner, Verdict};
use sigap_server::storage::{
    AccessChannel, AccessKind, AuditOutcome, AuditRecord, ChainEntry, ChainHead, NewAccessEvent,
    Storage,
};
use std::sync::Arc;
use std::time::Instant;

fn access(n: i64) -> NewAccessEvent {
    NewAccessEvent {
        // One entry every 90 s: about the 1,000 hits a day of the agreement's quota.
        at_ms: 1_795_748_400_000 + n * 90_000,
        kind: AccessKind::Lookup,
        outcome: AuditOutcome::Success,
        outcome_code: "00".into(),
        channel: AccessChannel::Api,
        institution_id: Some(1),
        actor_account_id: Some(n % 50),
        actor_username: Some(format!("operator{}", n % 50)),
        local_user_id: Some("BPBD-OP-01".into()),
        dukcapil_user_id: Some("BPBD3313".into()),
        purpose: Some("bantuan-bencana".into()),
        nik_hmac: format!("{:064x}", n * 7919),
        nik_masked: "3313********0001".into(),
        quota_state: Some(format!("{}/100000", n % 100_000)),
        latency_ms: Some(40 + n % 30),
        client_ip: Some("10.20.30.40".into()),
        request_id: Some(format!("req-{n:012}")),
        fingerprint: None,
    }
}

/// The clock of concurrent appends: tasks running at once write entries of the same moment
/// (as the server's concurrent requests do), not each its own stretch of time, which would
/// give every time-ordered index one insertion point per task.
static CLOCK: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// `access(n)` stamped with the shared clock.
fn access_now(n: i64) -> NewAccessEvent {
    let tick = CLOCK.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    NewAccessEvent {
        at_ms: 1_795_748_400_000 + tick,
        ..access(n)
    }
}

fn rate(n: u64, secs: f64) -> String {
    format!("{:>12.0} entries/s ({n} in {secs:.2} s)", n as f64 / secs)
}

fn pure_verification(n: i64) {
    let mut prev = [0u8; 32];
    let build = Instant::now();
    let entries: Vec<ChainEntry> = (1..=n)
        .map(|seq| {
            let record = AuditRecord::from(&access(seq));
            let h = entry_hash(&prev, seq, &record);
            let e = ChainEntry {
                id: seq,
                seq,
                prev_hash: Some(to_hex(&prev)),
                entry_hash: Some(to_hex(&h)),
                record,
            };
            prev = h;
            e
        })
        .collect();
    println!(
        "hash + encode while building (no database): {}",
        rate(n as u64, build.elapsed().as_secs_f64())
    );
    let head = ChainHead {
        seq: n,
        hash: to_hex(&prev),
    };
    let start = Instant::now();
    let mut v = ChainVerifier::new(vec![]);
    for e in &entries {
        v.push(e).unwrap();
    }
    let summary = v.finish(&head).unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(summary.entries as i64, n);
    println!(
        "chain verification, pure recomputation:     {}",
        rate(n as u64, secs)
    );
}

async fn appends(name: &str, storage: Arc<dyn Storage>, singles: i64, batched: i64) {
    let start = Instant::now();
    for n in 0..singles {
        storage.append_access_event(&access(n)).await.unwrap();
    }
    println!(
        "{name}: append, one entry per transaction:   {}",
        rate(singles as u64, start.elapsed().as_secs_f64())
    );
    let tasks = 8;
    let per_task = singles / tasks;
    let start = Instant::now();
    let mut handles = Vec::new();
    for t in 0..tasks {
        let s = storage.clone();
        handles.push(tokio::spawn(async move {
            for n in 0..per_task {
                s.append_access_event(&access_now(t * 1_000_000 + n))
                    .await
                    .unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    println!(
        "{name}: append, one per transaction, {tasks} tasks: {}",
        rate((per_task * tasks) as u64, start.elapsed().as_secs_f64())
    );
    // The server's path: concurrent requests' entries through the group writer (one
    // transaction per group gathered while the previous one commits).
    let writer = sigap_server::group_commit::GroupWriter::new(storage.clone());
    let tasks = 64;
    let per_task = (batched / 4 / tasks).max(1);
    let start = Instant::now();
    let mut handles = Vec::new();
    for t in 0..tasks {
        let w = writer.clone();
        handles.push(tokio::spawn(async move {
            for n in 0..per_task {
                w.finish(None, access_now(t * 1_000_000 + n)).await.unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    println!(
        "{name}: append, group writer, {tasks} tasks:      {}",
        rate((per_task * tasks) as u64, start.elapsed().as_secs_f64())
    );
    let start = Instant::now();
    let mut n = 0;
    while n < batched {
        let batch: Vec<_> = (n..n + 100).map(access).collect();
        storage.append_access_events(&batch).await.unwrap();
        n += 100;
    }
    println!(
        "{name}: append, batches of 100:              {}",
        rate(batched as u64, start.elapsed().as_secs_f64())
    );
}

async fn fill_to(storage: &dyn Storage, entries: i64) {
    let mut have = storage.audit_chain_head().await.unwrap().seq;
    while have < entries {
        let k = (entries - have).min(1000);
        let batch: Vec<_> = (have..have + k).map(access).collect();
        storage.append_access_events(&batch).await.unwrap();
        have += k;
    }
}

async fn end_to_end(name: &str, storage: Arc<dyn Storage>, dir: &std::path::Path, entries: i64) {
    let fill = Instant::now();
    fill_to(storage.as_ref(), entries).await;
    println!(
        "{name}: filled to {entries} entries in {:.1} s (batches of 1000)",
        fill.elapsed().as_secs_f64()
    );
    let signer = CheckpointSigner::from_bytes(&[1; 32]);
    let cp = dir.join(format!("{name}-checkpoints.jsonl"));
    sigap_server::audit::checkpoint::write_checkpoint(storage.as_ref(), &signer, &cp, 0)
        .await
        .unwrap();
    let start = Instant::now();
    let verdict = sigap_server::audit::verify(storage.clone(), &cp, Some(&signer.verifying_key()))
        .await
        .unwrap();
    let secs = start.elapsed().as_secs_f64();
    let Verdict::Intact(s) = verdict else {
        panic!("{verdict:?}")
    };
    println!(
        "{name}: chain verification from the database: {}",
        rate(s.entries, secs)
    );
    // An auditor's search by NIK (SQLite has no NIK index; see the migration
    // `…_audit_nik_index.sql`): the worst case, a NIK with a handful of entries and no date
    // range, so every entry of the trail is read; then within one WIB day.
    let last_at = access(s.entries as i64).at_ms;
    for (what, from_day) in [
        ("no date range", None),
        ("the last day", Some(domain::quota::wib_day(last_at))),
    ] {
        let filter = sigap_server::storage::AccessEventFilter {
            nik_hmac: Some(access(7).nik_hmac),
            from_day,
            to_day: from_day,
            ..Default::default()
        };
        let start = Instant::now();
        let found = storage.search_access_events(&filter).await.unwrap();
        println!(
            "{name}: search by NIK, {what}: {} found in {:.1} ms",
            found.len(),
            start.elapsed().as_secs_f64() * 1000.0
        );
    }
}

/// The allocator the `sigap` binary runs with (`server/src/main.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let entries: i64 = std::env::var("SIGAP_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let quick = std::env::var("SIGAP_BENCH_QUICK").as_deref() == Ok("1");
    let (singles, batched) = if quick {
        (200, 2_000)
    } else {
        (4_000, 200_000)
    };
    pure_verification(entries);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("sigap-bench-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("bench.db").display());
        let sqlite = sigap_server::storage::connect(&url).await.unwrap();
        appends("SQLite", sqlite.clone(), singles, batched).await;
        end_to_end("SQLite", sqlite.clone(), &dir, entries).await;
        drop(sqlite);

        if let Ok(admin) = std::env::var("SIGAP_TEST_POSTGRES_URL") {
            let name = format!("sigap_bench_{}", uuid::Uuid::new_v4().simple());
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                .await
                .unwrap();
            sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            let pg = sigap_server::storage::connect(&format!("{base}/{name}"))
                .await
                .unwrap();
            appends("PostgreSQL", pg.clone(), singles / 2, batched / 2).await;
            end_to_end("PostgreSQL", pg.clone(), &dir, entries).await;
            drop(pg);
            sqlx::Executor::execute(
                &mut conn,
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
            )
            .await
            .unwrap();
        }
        let _ = std::fs::remove_dir_all(&dir);
    });
}
