//! The daily quota ledger on SQLite and PostgreSQL: exactly the limit succeeds when twice the
//! limit is fired at once (per user ID and per operator cap), refunds free a slot and
//! ambiguous outcomes do not, code 05 closes the day, a new WIB day starts at zero at 17:00
//! UTC, a reservation dropped unsettled counts as ambiguous, and `sigap admin quota`
//! set/clear/show/operator-cap with their refusals, against the configured database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestDb;
use domain::access::Role;
use domain::agreement::{AgreementStatus, PksElement};
use domain::identity::EmploymentStatus;
use sigap_server::group_commit::GroupWriter;
use sigap_server::quota::{self, LimitSource, QuotaRefusal, Reservation, Settlement};
use sigap_server::read_cache::ReadCache;
use sigap_server::storage::{
    self, AccessChannel, AccessKind, Actor, AuditEventFilter, AuditOutcome, NewAccessEvent,
    NewAccount, NewAgreement, NewInstitution, NewSptjm, ReserveRequest, Storage, UserIdApplication,
};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use time::macros::date;

/// 2026-11-26 17:00 UTC = 2026-11-27 00:00 WIB.
const MIDNIGHT: i64 = 1_795_712_400_000;
const DAY: i64 = 86_400_000;
/// 2026-11-27 10:00 WIB.
const MORNING: i64 = MIDNIGHT + 10 * 3_600_000;

const PHC: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";

/// One institution with an agreement in force (daily quota `daily_quota`), a head, and
/// operators `op-1`, `op-2` whose local user IDs map to the active Dukcapil user ID `user_id`.
struct World {
    s: Arc<dyn Storage>,
    institution_id: i64,
    agreement_id: i64,
    ops: Vec<i64>,
    head: i64,
}

async fn world(db: &TestDb, code: &str, user_id: &str, daily_quota: i64) -> World {
    let s = storage::connect(&db.url).await.unwrap();
    let cli = Actor::cli();
    let inst = s
        .create_institution(
            &NewInstitution {
                code: code.into(),
                name: "BPBD Kabupaten Uji".into(),
                region_code: "33.13".into(),
                address: String::new(),
            },
            1,
        )
        .await
        .unwrap();
    let pks = s
        .create_agreement(
            &NewAgreement {
                institution_id: inst.id,
                institution_number: format!("360/{code}/BPBD/I/2026"),
                dukcapil_number: format!("470/{code}/DISDUKCAPIL/I/2026"),
                institution_party: "Kepala Pelaksana BPBD".into(),
                dukcapil_party: "Kepala Disdukcapil".into(),
                signed_on: date!(2026 - 01 - 05),
                valid_from: date!(2026 - 01 - 05),
                valid_to: date!(2027 - 12 - 31),
                allowed_elements: PksElement::ALL.to_vec(),
                daily_quota,
                status: AgreementStatus::Active,
            },
            &cli,
            2,
        )
        .await
        .unwrap();
    s.record_sptjm(
        pks.id,
        &NewSptjm {
            signer_name: "Kepala Pelaksana Uji".into(),
            signer_position: "Kepala Pelaksana BPBD".into(),
            signer_account_id: None,
            signed_on: date!(2026 - 01 - 05),
        },
        &cli,
        3,
    )
    .await
    .unwrap();
    let person = |username: String, role: Role, local: Option<String>| NewAccount {
        username,
        display_name: "Petugas Uji".into(),
        role,
        institution_id: Some(inst.id),
        local_user_id: local,
        password_hash: Some(PHC.to_string()),
        demo_password: false,
    };
    let mut ops = Vec::new();
    for n in 1..=2 {
        let local = format!("{code}-op-{n}");
        let a = s
            .create_account(
                &person(format!("{code}.op{n}"), Role::Operator, Some(local.clone())),
                &cli,
                4,
            )
            .await
            .unwrap();
        ops.push(a.id);
        let app = s
            .submit_user_id_application(
                &UserIdApplication {
                    institution_id: inst.id,
                    nik: "3313-0115-0185-0001".into(),
                    full_name: "Petugas Uji".into(),
                    nip: Some("19850115 201001 1 001".into()),
                    employment_status: EmploymentStatus::Pns,
                    position: "Analis Kebencanaan".into(),
                    office_region_code: "3313".into(),
                    office_name: "BPBD Kabupaten Uji".into(),
                    office_address: "Jl. Uji No. 1".into(),
                    local_user_id: local,
                },
                &cli,
                MIDNIGHT,
            )
            .await
            .unwrap();
        // Both local user IDs act under the same Dukcapil user ID here: the quota is the
        // user ID's, shared by everyone using it.
        if n == 1 {
            s.activate_user_id(app.id, user_id, &cli, MIDNIGHT)
                .await
                .unwrap();
        }
    }
    let head = s
        .create_account(&person(format!("{code}.kepala"), Role::Head, None), &cli, 4)
        .await
        .unwrap();
    World {
        s,
        institution_id: inst.id,
        agreement_id: pks.id,
        ops,
        head: head.id,
    }
}

fn refusal_code<T: std::fmt::Debug>(r: Result<T, QuotaRefusal>) -> &'static str {
    match r {
        Err(e) => e.code(),
        Ok(v) => panic!("expected a refusal, got {v:?}"),
    }
}

async fn settle(r: Reservation, how: Settlement, at: i64) {
    r.settle(how, at).await.unwrap();
}

async fn events(s: &Arc<dyn Storage>, prefix: &str) -> Vec<(String, String)> {
    s.list_audit_events(&AuditEventFilter {
        event_prefix: Some(prefix.into()),
        limit: 100,
        ..Default::default()
    })
    .await
    .unwrap()
    .into_iter()
    .map(|e| (e.event, e.detail))
    .collect()
}

/// Twice the limit at once: exactly `limit` reservations (and so `limit` upstream calls)
/// succeed, the rest are `QUOTA_EXHAUSTED` with the next WIB midnight as reset time.
async fn twice_the_limit_at_once(db: &TestDb) {
    const LIMIT: i64 = 50;
    let w = world(db, "BPBD-3313", "BPBD3313", LIMIT).await;
    let upstream_calls = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..2 * LIMIT {
        let s = w.s.clone();
        let calls = upstream_calls.clone();
        let op = w.ops[(i % 2) as usize];
        tasks.push(tokio::spawn(async move {
            let at = MORNING + i;
            match quota::reserve(&s, "BPBD3313", op, at).await {
                Ok(r) => {
                    // The upstream call this reservation allows.
                    calls.fetch_add(1, Ordering::SeqCst);
                    r.settle(Settlement::Spent, at + 1).await.unwrap();
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(e) => {
                assert_eq!(e.code(), "QUOTA_EXHAUSTED", "{e}");
                match e {
                    QuotaRefusal::Exhausted {
                        limit,
                        used,
                        resets_at_ms,
                        closed_by_upstream,
                    } => {
                        assert_eq!((limit, used), (LIMIT, LIMIT));
                        assert_eq!(resets_at_ms, MIDNIGHT + DAY);
                        assert!(!closed_by_upstream);
                    }
                    other => panic!("{other:?}"),
                }
                refused += 1;
            }
        }
    }
    eprintln!(
        "{}: {} reservations at once in {:?}",
        w.s.kind().name(),
        2 * LIMIT,
        started.elapsed()
    );
    assert_eq!(ok, LIMIT);
    assert_eq!(refused, LIMIT);
    assert_eq!(upstream_calls.load(Ordering::SeqCst), LIMIT as usize);
    let st = quota::status(w.s.as_ref(), "BPBD3313", MORNING + 500)
        .await
        .unwrap();
    assert_eq!(st.limit, LIMIT);
    assert_eq!(
        st.limit_source,
        LimitSource::Agreement {
            agreement_id: w.agreement_id
        }
    );
    assert_eq!((st.used, st.remaining, st.spent), (LIMIT, 0, LIMIT));
    assert_eq!(st.day, date!(2026 - 11 - 27));
    assert_eq!(st.resets_at_ms, MIDNIGHT + DAY);
    let all = quota::institution_status(w.s.as_ref(), w.institution_id, MORNING + 500)
        .await
        .unwrap();
    assert_eq!(all, vec![st]);
    // The operators' own counters add up to the user ID's.
    let a = quota::operator_status(w.s.as_ref(), w.ops[0], MORNING)
        .await
        .unwrap();
    let b = quota::operator_status(w.s.as_ref(), w.ops[1], MORNING)
        .await
        .unwrap();
    assert_eq!(a.used + b.used, LIMIT);
    assert_eq!(a.cap, None);
}

/// Refund frees a slot, ambiguous keeps it, 05 closes the day, a new WIB day starts at zero.
async fn settlements_and_days(db: &TestDb) {
    let w = world(db, "BPBD-3372", "BPBD3372", 1000).await;
    let s = &w.s;
    let op = w.ops[0];
    // The limit set for the user ID overrides the agreement's 1000.
    s.set_user_id_daily_limit("BPBD3372", Some(3), &Actor::cli(), MIDNIGHT)
        .await
        .unwrap();

    // 16:59:59.999 UTC on the 26th is still 2026-11-26 in WIB: that day's hit.
    let late = quota::reserve(s, "BPBD3372", op, MIDNIGHT - 1)
        .await
        .unwrap();
    assert_eq!(late.day(), date!(2026 - 11 - 26));

    let mut held = Vec::new();
    for n in 1..=3 {
        let r = quota::reserve(s, "BPBD3372", op, MORNING + n)
            .await
            .unwrap();
        assert_eq!(r.day(), date!(2026 - 11 - 27));
        assert_eq!((r.used(), r.limit(), r.remaining()), (n, 3, 3 - n));
        held.push(r);
    }
    assert_eq!(
        refusal_code(quota::reserve(s, "BPBD3372", op, MORNING + 10).await),
        "QUOTA_EXHAUSTED"
    );

    // Refund (never reached the upstream): the slot is free again.
    settle(held.pop().unwrap(), Settlement::Refund, MORNING + 11).await;
    let st = quota::status(s.as_ref(), "BPBD3372", MORNING + 12)
        .await
        .unwrap();
    assert_eq!((st.used, st.remaining, st.refunded), (2, 1, 1));
    assert_eq!(st.limit_source, LimitSource::Override);
    let again = quota::reserve(s, "BPBD3372", op, MORNING + 13)
        .await
        .unwrap();
    assert_eq!(again.used(), 3);

    // Ambiguous (may have reached the upstream): kept, still full.
    settle(again, Settlement::Ambiguous, MORNING + 14).await;
    let st = quota::status(s.as_ref(), "BPBD3372", MORNING + 15)
        .await
        .unwrap();
    assert_eq!((st.used, st.remaining, st.ambiguous), (3, 0, 1));
    assert_eq!(
        refusal_code(quota::reserve(s, "BPBD3372", op, MORNING + 16).await),
        "QUOTA_EXHAUSTED"
    );

    // The day before was charged separately and settles on its own day after midnight.
    settle(late, Settlement::Refund, MORNING + 17).await;
    let st = quota::status(s.as_ref(), "BPBD3372", MIDNIGHT - 5)
        .await
        .unwrap();
    assert_eq!(
        (st.day, st.used, st.refunded),
        (date!(2026 - 11 - 26), 0, 1)
    );
    let st = quota::status(s.as_ref(), "BPBD3372", MORNING)
        .await
        .unwrap();
    assert_eq!(st.used, 3, "the refund of the 26th left the 27th alone");

    // 05: the day is closed even though a refund makes room again.
    settle(held.pop().unwrap(), Settlement::Refund, MORNING + 18).await;
    let r = quota::reserve(s, "BPBD3372", op, MORNING + 19)
        .await
        .unwrap();
    settle(r, Settlement::UpstreamExhausted, MORNING + 20).await;
    settle(held.pop().unwrap(), Settlement::Refund, MORNING + 21).await;
    let st = quota::status(s.as_ref(), "BPBD3372", MORNING + 22)
        .await
        .unwrap();
    assert!(st.exhausted);
    assert_eq!(st.exhausted_at_ms, Some(MORNING + 20));
    assert_eq!((st.used, st.remaining), (2, 0));
    match quota::reserve(s, "BPBD3372", op, MORNING + 23).await {
        Err(QuotaRefusal::Exhausted {
            closed_by_upstream,
            resets_at_ms,
            ..
        }) => {
            assert!(closed_by_upstream);
            assert_eq!(resets_at_ms, MIDNIGHT + DAY);
        }
        other => panic!("{other:?}"),
    }

    // 17:00 UTC: a new WIB day with a fresh quota.
    let st = quota::status(s.as_ref(), "BPBD3372", MIDNIGHT + DAY)
        .await
        .unwrap();
    assert_eq!(st.day, date!(2026 - 11 - 28));
    assert_eq!((st.used, st.remaining, st.exhausted), (0, 3, false));
    assert_eq!(st.resets_at_ms, MIDNIGHT + 2 * DAY);
    assert_eq!(
        refusal_code(quota::reserve(s, "BPBD3372", op, MIDNIGHT + DAY - 1).await),
        "QUOTA_EXHAUSTED",
        "one millisecond before 17:00 UTC is still the closed day"
    );
    let r = quota::reserve(s, "BPBD3372", op, MIDNIGHT + DAY)
        .await
        .unwrap();
    assert_eq!((r.day(), r.used()), (date!(2026 - 11 - 28), 1));
    settle(r, Settlement::Spent, MIDNIGHT + DAY + 1).await;

    // Dropped unsettled (a cancelled request): counted as ambiguous, the hit is kept.
    let r = quota::reserve(s, "BPBD3372", op, MIDNIGHT + DAY + 2)
        .await
        .unwrap();
    drop(r);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let st = quota::status(s.as_ref(), "BPBD3372", MIDNIGHT + DAY + 3)
            .await
            .unwrap();
        if st.ambiguous == 1 {
            assert_eq!((st.used, st.spent), (2, 1));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "dropped reservation not recorded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Lowering the limit below what is used leaves nothing, never a negative remainder.
    s.set_user_id_daily_limit("BPBD3372", Some(1), &Actor::cli(), MIDNIGHT + DAY + 4)
        .await
        .unwrap();
    let st = quota::status(s.as_ref(), "BPBD3372", MIDNIGHT + DAY + 5)
        .await
        .unwrap();
    assert_eq!((st.limit, st.used, st.remaining), (1, 2, 0));
    assert_eq!(
        refusal_code(quota::reserve(s, "BPBD3372", op, MIDNIGHT + DAY + 6).await),
        "QUOTA_EXHAUSTED"
    );
    // Cleared: the agreement's quota applies again.
    s.set_user_id_daily_limit("BPBD3372", None, &Actor::cli(), MIDNIGHT + DAY + 7)
        .await
        .unwrap();
    let st = quota::status(s.as_ref(), "BPBD3372", MIDNIGHT + DAY + 8)
        .await
        .unwrap();
    assert_eq!((st.limit, st.remaining), (1000, 998));
    assert_eq!(
        st.limit_source,
        LimitSource::Agreement {
            agreement_id: w.agreement_id
        }
    );
    let audited = events(s, "quota.").await;
    assert_eq!(
        audited.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["quota.clear", "quota.set", "quota.set"],
        "newest first"
    );
    assert!(audited[1].1.contains("\"daily\":1"), "{:?}", audited[1]);
    assert!(audited[1].1.contains("\"previous\":3"), "{:?}", audited[1]);

    // Unknown user IDs: refused, nothing counted.
    assert_eq!(
        refusal_code(quota::reserve(s, "NOSUCHID", op, MORNING).await),
        "USER_ID_UNKNOWN"
    );
    assert_eq!(
        s.set_user_id_daily_limit("NOSUCHID", Some(5), &Actor::cli(), MORNING)
            .await
            .unwrap_err()
            .code(),
        "USER_ID_UNKNOWN"
    );
    for bad in [0, -1, 1_000_001] {
        assert_eq!(
            s.set_user_id_daily_limit("BPBD3372", Some(bad), &Actor::cli(), MORNING)
                .await
                .unwrap_err()
                .code(),
            "QUOTA_INVALID"
        );
    }
    // Settling a day nothing was reserved on is an error, not a silent no-op.
    assert_eq!(
        s.settle_quota("BPBD3372", date!(2020 - 01 - 01), op, Settlement::Spent, 1)
            .await
            .unwrap_err()
            .code(),
        "NOT_FOUND"
    );
}

/// Per-operator caps: both counters or neither, exact under concurrency, audited.
async fn operator_caps(db: &TestDb) {
    let w = world(db, "BPBD-3301", "BPBD3301", 1000).await;
    let s = &w.s;
    let (op1, op2) = (w.ops[0], w.ops[1]);
    let cli = Actor::cli();
    assert_eq!(
        s.set_operator_daily_cap(op1, Some(2), &cli, MIDNIGHT)
            .await
            .unwrap(),
        Some(2)
    );
    let a = quota::reserve(s, "BPBD3301", op1, MORNING).await.unwrap();
    let b = quota::reserve(s, "BPBD3301", op1, MORNING + 1)
        .await
        .unwrap();
    assert_eq!((a.operator_used(), b.operator_used()), (1, 2));
    match quota::reserve(s, "BPBD3301", op1, MORNING + 2).await {
        Err(QuotaRefusal::OperatorCapReached {
            cap,
            used,
            resets_at_ms,
        }) => assert_eq!((cap, used, resets_at_ms), (2, 2, MIDNIGHT + DAY)),
        other => panic!("{other:?}"),
    }
    // Neither: the user ID's count did not move for the refused hit.
    let st = quota::status(s.as_ref(), "BPBD3301", MORNING + 3)
        .await
        .unwrap();
    assert_eq!(st.used, 2);
    // The other operator is not capped.
    let c = quota::reserve(s, "BPBD3301", op2, MORNING + 4)
        .await
        .unwrap();
    settle(c, Settlement::Spent, MORNING + 5).await;
    // A refund gives the operator's slot back too; ambiguous does not.
    settle(a, Settlement::Refund, MORNING + 6).await;
    let a = quota::reserve(s, "BPBD3301", op1, MORNING + 7)
        .await
        .unwrap();
    settle(a, Settlement::Ambiguous, MORNING + 8).await;
    settle(b, Settlement::Spent, MORNING + 9).await;
    assert_eq!(
        refusal_code(quota::reserve(s, "BPBD3301", op1, MORNING + 10).await),
        "OPERATOR_QUOTA_EXHAUSTED"
    );
    let o = quota::operator_status(s.as_ref(), op1, MORNING + 11)
        .await
        .unwrap();
    assert_eq!((o.cap, o.used, o.remaining), (Some(2), 2, Some(0)));
    // The next WIB day the cap starts again.
    let r = quota::reserve(s, "BPBD3301", op1, MIDNIGHT + DAY)
        .await
        .unwrap();
    assert_eq!(r.operator_used(), 1);
    settle(r, Settlement::Spent, MIDNIGHT + DAY).await;

    // Exact under concurrency: cap 10, 30 at once on a fresh day.
    s.set_operator_daily_cap(op2, Some(10), &cli, MIDNIGHT)
        .await
        .unwrap();
    let day3 = MIDNIGHT + 2 * DAY + 1000;
    let mut tasks = Vec::new();
    for i in 0..30 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            match quota::reserve(&s, "BPBD3301", op2, day3 + i).await {
                Ok(r) => {
                    r.settle(Settlement::Spent, day3 + 100).await.unwrap();
                    "OK"
                }
                Err(e) => e.code(),
            }
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    assert_eq!(
        codes.iter().filter(|c| **c == "OK").count(),
        10,
        "{codes:?}"
    );
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == "OPERATOR_QUOTA_EXHAUSTED")
            .count(),
        20
    );
    let st = quota::status(s.as_ref(), "BPBD3301", day3 + 200)
        .await
        .unwrap();
    assert_eq!(st.used, 10, "refused hits left the user ID's count alone");

    // Removing the cap lifts it.
    assert_eq!(
        s.set_operator_daily_cap(op2, None, &cli, day3 + 300)
            .await
            .unwrap(),
        None
    );
    let r = quota::reserve(s, "BPBD3301", op2, day3 + 301)
        .await
        .unwrap();
    settle(r, Settlement::Spent, day3 + 302).await;

    // Refusals.
    let code = |r: Result<Option<i64>, storage::StorageError>| r.unwrap_err().code();
    assert_eq!(
        code(s.set_operator_daily_cap(w.head, Some(5), &cli, 1).await),
        "OPERATOR_CAP_NOT_APPLICABLE"
    );
    assert_eq!(
        code(s.set_operator_daily_cap(999_999, Some(5), &cli, 1).await),
        "ACCOUNT_UNKNOWN"
    );
    assert_eq!(
        code(s.set_operator_daily_cap(op1, Some(0), &cli, 1).await),
        "QUOTA_INVALID"
    );
    let audited = events(s, "quota.operator_cap").await;
    assert_eq!(
        audited.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        [
            "quota.operator_cap_clear",
            "quota.operator_cap_set",
            "quota.operator_cap_set"
        ]
    );
    assert_eq!(
        s.list_audit_events(&AuditEventFilter {
            event_prefix: Some("quota.operator_cap_set".into()),
            institution_id: Some(w.institution_id),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .len(),
        2,
        "audited under the operator's institution"
    );
}

/// Without an agreement in force the default 1,000 applies.
async fn default_limit(db: &TestDb) {
    let w = world(db, "BPBD-3302", "BPBD3302", 700).await;
    let st = quota::status(w.s.as_ref(), "BPBD3302", MORNING)
        .await
        .unwrap();
    assert_eq!(st.limit, 700);
    // 2028: the agreement has expired.
    let later = MIDNIGHT + 400 * DAY;
    let st = quota::status(w.s.as_ref(), "BPBD3302", later)
        .await
        .unwrap();
    assert_eq!((st.limit, st.limit_source), (1000, LimitSource::Default));
}

fn access_event(op: i64, at: i64, n: i64, code: &str) -> NewAccessEvent {
    NewAccessEvent {
        at_ms: at,
        kind: AccessKind::Lookup,
        outcome: if code == "00" {
            AuditOutcome::Success
        } else {
            AuditOutcome::Refused
        },
        outcome_code: code.into(),
        channel: AccessChannel::Api,
        institution_id: None,
        actor_account_id: Some(op),
        actor_username: Some("uji".into()),
        local_user_id: None,
        dukcapil_user_id: Some("BPBD3371".into()),
        purpose: Some("Uji tulis berkelompok".into()),
        nik_hmac: format!("{n:064x}"),
        nik_masked: "3313********0001".into(),
        quota_state: None,
        latency_ms: Some(1),
        client_ip: None,
        request_id: Some(format!("req-{n}")),
        fingerprint: None,
    }
}

/// Group commit (the access path's writer): twice the limit of reserve → finish pairs at once
/// through one `GroupWriter` gives exactly `limit` reservations, every attempt one access
/// entry in a gapless, intact chain, the day's counters right; a write whose caller went away
/// before its group committed is still written; an operator cap refusal inside a group leaves
/// the user ID's count untouched.
async fn group_commit(db: &TestDb) {
    const LIMIT: i64 = 40;
    let w = world(db, "BPBD-3371", "BPBD3371", LIMIT).await;
    let writer = GroupWriter::new(w.s.clone());
    let reads = ReadCache::new(w.s.clone(), Duration::from_secs(1));
    let head_before = w.s.audit_chain_head().await.unwrap().seq;
    let mut tasks = Vec::new();
    for i in 0..2 * LIMIT {
        let writer = writer.clone();
        let reads = reads.clone();
        let op = w.ops[(i % 2) as usize];
        tasks.push(tokio::spawn(async move {
            let at = MORNING + i;
            match quota::reserve_grouped(&writer, &reads, "BPBD3371", op, at, None).await {
                Ok(r) => {
                    let settle = r.into_batch_settle(Settlement::Spent, at + 1);
                    let (entry, settled) = writer
                        .finish(Some(settle), access_event(op, at, i, "00"))
                        .await
                        .unwrap();
                    assert!(settled);
                    Ok(entry.seq)
                }
                Err(e) => {
                    assert_eq!(e.code(), "QUOTA_EXHAUSTED", "{e}");
                    let (entry, _) = writer
                        .finish(None, access_event(op, at, i, "QUOTA_EXHAUSTED"))
                        .await
                        .unwrap();
                    Err(entry.seq)
                }
            }
        }));
    }
    let mut seqs = Vec::new();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(seq) => {
                ok += 1;
                seqs.push(seq);
            }
            Err(seq) => seqs.push(seq),
        }
    }
    assert_eq!(
        ok, LIMIT,
        "exactly the limit reserved through the group writer"
    );
    seqs.sort_unstable();
    let expected: Vec<i64> = (head_before + 1..=head_before + 2 * LIMIT).collect();
    assert_eq!(seqs, expected, "one entry per attempt, gapless");
    let st = quota::status(w.s.as_ref(), "BPBD3371", MORNING + 500)
        .await
        .unwrap();
    assert_eq!((st.used, st.spent, st.remaining), (LIMIT, LIMIT, 0));

    // Queued, then the caller goes away: the write is still applied.
    let dropped = writer.finish(
        None,
        access_event(w.ops[0], MORNING + 900, 900, "NIK_LENGTH"),
    );
    drop(dropped);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let head = w.s.audit_chain_head().await.unwrap().seq;
        if head == head_before + 2 * LIMIT + 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the abandoned write was lost");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let page = w.s.audit_chain_page(0, i64::MAX, 100_000).await.unwrap();
    let mut verifier = sigap_server::audit::chain::ChainVerifier::new(Vec::new());
    for e in &page {
        verifier.push(e).unwrap();
    }

    // An operator cap refusal inside a group: nothing counted on the user ID.
    let next_day = MORNING + DAY;
    let cli = Actor::cli();
    w.s.set_operator_daily_cap(w.ops[1], Some(1), &cli, next_day)
        .await
        .unwrap();
    let first = quota::reserve_grouped(&writer, &reads, "BPBD3371", w.ops[1], next_day, None)
        .await
        .unwrap();
    let _ = first.into_batch_settle(Settlement::Spent, next_day);
    let (a, b) = tokio::join!(
        quota::reserve_grouped(&writer, &reads, "BPBD3371", w.ops[1], next_day + 1, None),
        quota::reserve_grouped(&writer, &reads, "BPBD3371", w.ops[0], next_day + 1, None),
    );
    assert_eq!(refusal_code(a), "OPERATOR_QUOTA_EXHAUSTED");
    let b = b.unwrap();
    assert_eq!(
        b.used(),
        2,
        "the refused hit was taken back within its group"
    );
    let _ = b.into_batch_settle(Settlement::Spent, next_day);
    let st = quota::status(w.s.as_ref(), "BPBD3371", next_day + 2)
        .await
        .unwrap();
    assert_eq!(st.used, 2);

    // A reservation whose requester went away before its group answered: the hit it got is
    // given back (no call was made with it).
    let day3 = MORNING + 2 * DAY;
    drop(writer.reserve(ReserveRequest {
        dukcapil_user_id: "BPBD3371".into(),
        institution_id: w.institution_id,
        daily_limit: LIMIT,
        operator_account_id: w.ops[0],
        operator_cap: None,
        day: domain::quota::wib_day(day3),
        now_ms: day3,
    }));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let st = quota::status(w.s.as_ref(), "BPBD3371", day3 + 1)
            .await
            .unwrap();
        if st.refunded == 1 {
            assert_eq!(st.used, 0, "the abandoned hit is not counted");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the abandoned hit was not given back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A group whose reservations are all refused leaves no empty counter rows behind.
    let day4 = MORNING + 3 * DAY;
    let refused = writer
        .reserve(ReserveRequest {
            dukcapil_user_id: "BPBD3371".into(),
            institution_id: w.institution_id,
            daily_limit: LIMIT,
            operator_account_id: w.ops[1],
            operator_cap: Some(0),
            day: domain::quota::wib_day(day4),
            now_ms: day4,
        })
        .await
        .unwrap();
    assert_eq!(
        refused,
        storage::ReserveOutcome::OperatorCapReached { operator_used: 0 }
    );
    assert_eq!(
        w.s.quota_day("BPBD3371", domain::quota::wib_day(day4))
            .await
            .unwrap(),
        None
    );
}

/// Leased hits (the server's in-memory pool, `[check] quota_lease_max`): twice the limit of
/// reserve → finish pairs at once, some refunded, never hand out more than the limit: what
/// was spent plus what the pool still holds is exactly the limit, the day row's `held` is
/// what the pool holds, every spent hit is counted on its operator's day; shutdown gives the
/// pool back; a changed limit flushes the pool; 05 closes the day and clears `held`; a
/// leased reservation dropped unsettled counts as ambiguous.
async fn leased_hits(db: &TestDb) {
    const LIMIT: i64 = 40;
    let w = world(db, "BPBD-3374", "BPBD3374", LIMIT).await;
    let writer = GroupWriter::with_leases(w.s.clone(), 64);
    assert!(writer.leasing());
    let reads = ReadCache::new(w.s.clone(), Duration::ZERO);
    let today = domain::quota::wib_day(MORNING);
    let mut tasks = Vec::new();
    for i in 0..2 * LIMIT {
        let writer = writer.clone();
        let reads = reads.clone();
        let op = w.ops[(i % 2) as usize];
        tasks.push(tokio::spawn(async move {
            let at = MORNING + i;
            match quota::reserve_grouped(&writer, &reads, "BPBD3374", op, at, None).await {
                Ok(r) => {
                    assert!(r.used() >= 1 && r.used() <= LIMIT, "{r:?}");
                    let how = if i % 10 == 3 {
                        Settlement::Refund
                    } else {
                        Settlement::Spent
                    };
                    let settle = r.into_batch_settle(how, at + 1);
                    let (_, settled) = writer
                        .finish(Some(settle), access_event(op, at, i, "00"))
                        .await
                        .unwrap();
                    assert!(settled);
                    Some(how)
                }
                Err(e) => {
                    assert_eq!(e.code(), "QUOTA_EXHAUSTED", "{e}");
                    assert!(e.resets_at_ms().is_some());
                    None
                }
            }
        }));
    }
    let mut spent = 0;
    let mut refunded = 0;
    for t in tasks {
        match t.await.unwrap() {
            Some(Settlement::Spent) => spent += 1,
            Some(_) => refunded += 1,
            None => {}
        }
    }
    let pooled = writer.pooled("BPBD3374", today);
    assert_eq!(
        spent + pooled,
        LIMIT,
        "spent ({spent}) + still pooled ({pooled}) is exactly the limit"
    );
    let row = w.s.quota_day("BPBD3374", today).await.unwrap().unwrap();
    assert_eq!(
        (row.used, row.spent, row.held, row.refunded),
        (spent, spent, pooled, refunded)
    );
    let by_operators = w.s.operator_quota_used(w.ops[0], today).await.unwrap()
        + w.s.operator_quota_used(w.ops[1], today).await.unwrap();
    assert_eq!(by_operators, spent, "each spent hit on its operator's day");
    let st = quota::status(w.s.as_ref(), "BPBD3374", MORNING + 500)
        .await
        .unwrap();
    assert_eq!((st.used, st.spent), (spent, spent));
    // Shutdown: what the pool holds goes back.
    writer.return_pooled().await.unwrap();
    let row = w.s.quota_day("BPBD3374", today).await.unwrap().unwrap();
    assert_eq!((row.used, row.held), (spent, 0));
    assert_eq!(writer.pooled("BPBD3374", today), 0);

    // A changed limit flushes the pool before the next lease.
    let day2 = MORNING + DAY;
    let first = quota::reserve_grouped(&writer, &reads, "BPBD3374", w.ops[0], day2, None)
        .await
        .unwrap();
    let (_, settled) = writer
        .finish(
            Some(first.into_batch_settle(Settlement::Spent, day2 + 1)),
            access_event(w.ops[0], day2, 1000, "00"),
        )
        .await
        .unwrap();
    assert!(settled);
    let d2 = domain::quota::wib_day(day2);
    assert_eq!(
        writer.pooled("BPBD3374", d2),
        1,
        "a lease of 40/16 = 2 hits"
    );
    w.s.set_user_id_daily_limit("BPBD3374", Some(1), &Actor::cli(), day2 + 2)
        .await
        .unwrap();
    assert_eq!(
        refusal_code(
            quota::reserve_grouped(&writer, &reads, "BPBD3374", w.ops[0], day2 + 3, None).await
        ),
        "QUOTA_EXHAUSTED",
        "the pooled hit of the old limit is not handed out"
    );
    let row = w.s.quota_day("BPBD3374", d2).await.unwrap().unwrap();
    assert_eq!((row.used, row.held), (1, 0));
    w.s.set_user_id_daily_limit("BPBD3374", None, &Actor::cli(), day2 + 4)
        .await
        .unwrap();

    // 05 closes the day: the pool is dropped and `held` cleared.
    let day3 = MORNING + 2 * DAY;
    let d3 = domain::quota::wib_day(day3);
    let r = quota::reserve_grouped(&writer, &reads, "BPBD3374", w.ops[1], day3, None)
        .await
        .unwrap();
    assert!(writer.pooled("BPBD3374", d3) > 0);
    let (_, settled) = writer
        .finish(
            Some(r.into_batch_settle(Settlement::UpstreamExhausted, day3 + 1)),
            access_event(w.ops[1], day3, 1001, "05"),
        )
        .await
        .unwrap();
    assert!(settled);
    assert_eq!(writer.pooled("BPBD3374", d3), 0);
    let row = w.s.quota_day("BPBD3374", d3).await.unwrap().unwrap();
    assert_eq!((row.used, row.held, row.spent), (1, 0, 1));
    assert!(row.exhausted_at.is_some());
    assert_eq!(
        refusal_code(
            quota::reserve_grouped(&writer, &reads, "BPBD3374", w.ops[1], day3 + 2, None).await
        ),
        "QUOTA_EXHAUSTED"
    );

    // Dropped unsettled: ambiguous, counted as used and on the operator's day.
    let day4 = MORNING + 3 * DAY;
    let d4 = domain::quota::wib_day(day4);
    let r = quota::reserve_grouped(&writer, &reads, "BPBD3374", w.ops[0], day4, None)
        .await
        .unwrap();
    drop(r);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let row = w.s.quota_day("BPBD3374", d4).await.unwrap().unwrap();
        if row.ambiguous == 1 {
            assert_eq!(row.used, 1);
            assert_eq!(row.held, writer.pooled("BPBD3374", d4));
            assert_eq!(w.s.operator_quota_used(w.ops[0], d4).await.unwrap(), 1);
            break;
        }
        assert!(Instant::now() < deadline, "the dropped hit was not settled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

macro_rules! on_both {
    ($story:ident, $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $sqlite() {
            let db = TestDb::sqlite();
            $story(&db).await;
            db.cleanup().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
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
    twice_the_limit_at_once,
    twice_the_limit_at_once_on_sqlite,
    twice_the_limit_at_once_on_postgres
);
on_both!(
    settlements_and_days,
    settlements_and_days_on_sqlite,
    settlements_and_days_on_postgres
);
on_both!(
    operator_caps,
    operator_caps_on_sqlite,
    operator_caps_on_postgres
);
on_both!(
    group_commit,
    group_commit_on_sqlite,
    group_commit_on_postgres
);
on_both!(leased_hits, leased_hits_on_sqlite, leased_hits_on_postgres);
on_both!(
    default_limit,
    default_limit_on_sqlite,
    default_limit_on_postgres
);

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// `sigap admin quota ...` against `url`, with a hermetic environment.
fn admin_quota(url: &str, args: &[&str]) -> Out {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sigap"));
    for (k, _) in std::env::vars() {
        if k.starts_with("SIGAP_") {
            c.env_remove(k);
        }
    }
    let out = c
        .current_dir(std::env::temp_dir())
        .env("SIGAP_DATABASE_URL", url)
        .args(["admin", "quota"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn cli_story(db: &TestDb) {
    let w = world(db, "BPBD-3303", "BPBD3303", 1000).await;
    let url = db.url.clone();
    let run = move |args: Vec<&'static str>| {
        let url = url.clone();
        async move {
            tokio::task::spawn_blocking(move || admin_quota(&url, &args))
                .await
                .unwrap()
        }
    };
    let ok = |o: &Out| assert_eq!(o.code, Some(0), "stdout {} stderr {}", o.stdout, o.stderr);
    let refused = |o: &Out, code: &str| {
        assert_eq!(o.code, Some(2), "stdout {} stderr {}", o.stdout, o.stderr);
        assert!(o.stderr.contains(code), "expected {code}: {}", o.stderr);
    };

    let o = run(vec!["show", "--user-id", "BPBD3303"]).await;
    ok(&o);
    assert!(o.stdout.contains("limit 1000 (agreement"), "{}", o.stdout);
    assert!(o.stdout.contains("resets at"), "{}", o.stdout);

    let o = run(vec!["set", "--user-id", "BPBD3303", "--daily", "2500"]).await;
    ok(&o);
    assert!(o.stdout.contains("set to 2500"), "{}", o.stdout);
    assert!(
        o.stdout.contains("limit 2500 (set for this user ID)"),
        "{}",
        o.stdout
    );
    // The service sees it at once.
    let st = quota::status(w.s.as_ref(), "BPBD3303", sigap_server::now_ms())
        .await
        .unwrap();
    assert_eq!((st.limit, st.limit_source), (2500, LimitSource::Override));
    let audited = events(&w.s, "quota.set").await;
    assert_eq!(audited.len(), 1);
    assert!(audited[0].1.contains("\"daily\":2500"), "{:?}", audited[0]);

    // Refusals: clear message, non-zero exit, nothing changed.
    refused(
        &run(vec!["set", "--user-id", "NOSUCHID", "--daily", "10"]).await,
        "USER_ID_UNKNOWN",
    );
    for bad in ["0", "-5", "1000001", "abc", "12.5", ""] {
        let o = run(vec!["set", "--user-id", "BPBD3303", "--daily", bad]).await;
        refused(&o, "QUOTA_INVALID");
    }
    refused(
        &run(vec!["show", "--user-id", "NOSUCHID"]).await,
        "USER_ID_UNKNOWN",
    );
    assert_eq!(
        events(&w.s, "quota.").await.len(),
        1,
        "refusals wrote nothing"
    );
    let o = run(vec!["set", "--user-id", "BPBD3303"]).await;
    assert_ne!(o.code, Some(0), "missing --daily is an error");

    // Operator caps from the console.
    let o = run(vec![
        "operator-cap",
        "--username",
        "BPBD-3303.op1",
        "--daily",
        "40",
    ])
    .await;
    ok(&o);
    assert!(o.stdout.contains("set to 40"), "{}", o.stdout);
    assert_eq!(w.s.operator_daily_cap(w.ops[0]).await.unwrap(), Some(40));
    refused(
        &run(vec![
            "operator-cap",
            "--username",
            "BPBD-3303.kepala",
            "--daily",
            "40",
        ])
        .await,
        "OPERATOR_CAP_NOT_APPLICABLE",
    );
    refused(
        &run(vec![
            "operator-cap",
            "--username",
            "nobody",
            "--daily",
            "40",
        ])
        .await,
        "ACCOUNT_UNKNOWN",
    );
    ok(&run(vec![
        "operator-cap",
        "--username",
        "BPBD-3303.op1",
        "--clear",
    ])
    .await);
    assert_eq!(w.s.operator_daily_cap(w.ops[0]).await.unwrap(), None);

    ok(&run(vec!["clear", "--user-id", "BPBD3303"]).await);
    let st = quota::status(w.s.as_ref(), "BPBD3303", sigap_server::now_ms())
        .await
        .unwrap();
    assert_eq!(st.limit, 1000);
}

on_both!(
    cli_story,
    admin_quota_cli_on_sqlite,
    admin_quota_cli_on_postgres
);
