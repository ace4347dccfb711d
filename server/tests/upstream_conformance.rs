//! Conformance of the upstream client against the Dukcapil simulator (in process, plain HTTP
//! on a random loopback port): every response code, every transport fault, the access rules,
//! format variants, and the filter: no field outside the nine allowed elements ever appears in
//! anything the client returns.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed step is a failed test

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use domain::nik::{Nik, Sex};
use dukcapil_sim::config::{DEMO_PASSWORD, DEMO_USER_ID};
use dukcapil_sim::special::{code_nik, fault_nik};
use dukcapil_sim::{
    CodeStyle, DateFormat, Fault, FaultPlan, OutputFormat, RecordStatus, SexSpelling, SimConfig,
    SimUser, Simulator, spawn,
};
use serde_json::{Value, json};
use sigap_server::upstream::{
    BreakerState, ClaimedElements, Element, LookupOutcome, ManualClock, ResponseCode,
    UnavailableReason, UpstreamClient, UpstreamCode, UpstreamConfig, UpstreamPassword, Verdict,
    VerifyOutcome,
};
use tokio::task::JoinHandle;

const FORBIDDEN: [&str; 5] = [
    "AGAMA",
    "PDDK_AKH",
    "NAMA_LGKP_IBU",
    "GOL_DARAH",
    "EKTP_STATUS",
];

/// Every key a serialised `Found` outcome may hold.
const ALLOWED_KEYS: [&str; 20] = [
    "outcome",
    "resident",
    "multiple_records",
    "no_kk",
    "nik",
    "nama_lengkap",
    "jenis_kelamin",
    "tempat_lahir",
    "tanggal_lahir",
    "status_perkawinan",
    "jenis_pekerjaan",
    "alamat",
    "rt",
    "rw",
    "kelurahan",
    "kecamatan",
    "kabupaten",
    "provinsi",
    "kode",
    "nama",
];

struct Sim {
    addr: SocketAddr,
    sim: Simulator,
    task: JoinHandle<()>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn quick_faults() -> FaultPlan {
    FaultPlan {
        hang_ms: 5_000,
        long_delay_ms: 4_000,
        slow_chunk_bytes: 8,
        slow_interval_ms: 200,
        ..FaultPlan::default()
    }
}

async fn start_with(cfg: SimConfig) -> Sim {
    let (addr, sim, task) = spawn(cfg).await.unwrap();
    Sim { addr, sim, task }
}

async fn start() -> Sim {
    start_with(SimConfig {
        population: 5_000,
        faults: quick_faults(),
        ..SimConfig::default()
    })
    .await
}

fn config(addr: SocketAddr) -> UpstreamConfig {
    UpstreamConfig {
        base_url: Some(format!("http://{addr}/dukcapil/get_json")),
        consumer: "BPBD3313".into(),
        user_id: DEMO_USER_ID.into(),
        password: Some(UpstreamPassword::new(DEMO_PASSWORD)),
        ip_user: "127.0.0.1".into(),
        connect_timeout_ms: 500,
        total_timeout_ms: 1_500,
        breaker_failures: 1_000,
        ..UpstreamConfig::default()
    }
}

fn client(addr: SocketAddr) -> UpstreamClient {
    UpstreamClient::new(&config(addr)).unwrap()
}

fn nik(text: &str) -> Nik {
    Nik::parse(text, time::OffsetDateTime::now_utc().date()).unwrap()
}

fn ours(code: ResponseCode) -> UpstreamCode {
    UpstreamCode::Known(code)
}

fn claims() -> ClaimedElements {
    ClaimedElements {
        nama_lengkap: Some("BUDI SANTOSO".into()),
        tanggal_lahir: Some(time::macros::date!(1990 - 01 - 01)),
        ..ClaimedElements::default()
    }
}

fn expected_lookup(code: ResponseCode) -> &'static str {
    match code {
        ResponseCode::Found | ResponseCode::MultipleRecords => "found",
        c if c.is_setup_error() => "setup_error",
        _ => "identity_result",
    }
}

/// Keys and string values of a JSON value, recursively.
fn keys_and_strings(v: &Value, keys: &mut BTreeSet<String>, strings: &mut Vec<String>) {
    match v {
        Value::String(s) => strings.push(s.clone()),
        Value::Array(items) => items
            .iter()
            .for_each(|i| keys_and_strings(i, keys, strings)),
        Value::Object(map) => {
            for (k, v) in map {
                keys.insert(k.clone());
                keys_and_strings(v, keys, strings);
            }
        }
        _ => {}
    }
}

/// Checks that `outcome` (as JSON and as Debug) holds no forbidden field name, no key outside
/// the allowed ones, and none of `forbidden_values` (exact string values, and substrings of
/// the texts for the longer ones when `substring` is set).
fn assert_clean<T: serde::Serialize + std::fmt::Debug>(
    outcome: &T,
    forbidden_values: &[String],
    substring: bool,
) {
    let json = serde_json::to_value(outcome).unwrap();
    let text = json.to_string();
    let debug = format!("{outcome:?}");
    let (mut keys, mut strings) = (BTreeSet::new(), Vec::new());
    keys_and_strings(&json, &mut keys, &mut strings);
    for name in FORBIDDEN {
        assert!(!text.contains(name), "{name} in {text}");
        assert!(!debug.contains(name), "{name} in {debug}");
    }
    if json["outcome"] == "found" {
        for k in &keys {
            assert!(ALLOWED_KEYS.contains(&k.as_str()), "key {k} in {text}");
        }
    }
    for value in forbidden_values {
        assert!(
            !strings.iter().any(|s| s == value),
            "forbidden value {value:?} in {text}"
        );
        if substring && value.len() >= 6 {
            assert!(!text.contains(value.as_str()), "{value:?} in {text}");
            assert!(!debug.contains(value.as_str()), "{value:?} in {debug}");
        }
    }
}

/// The forbidden values of a raw record, less those that equal an allowed value of it.
fn forbidden_values(raw: &Value) -> Vec<String> {
    let allowed: Vec<&str> = raw
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| !FORBIDDEN.contains(&k.as_str()))
        .filter_map(|(_, v)| v.as_str())
        .collect();
    FORBIDDEN
        .iter()
        .filter_map(|f| raw[*f].as_str())
        .filter(|v| !v.trim().is_empty() && !allowed.contains(v))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn upstream_every_response_code_by_special_nik() {
    let s = start().await;
    let c = client(s.addr);
    for code in ResponseCode::ALL {
        let n = nik(&code_nik(code));
        let lookup = c.call_nik(&n).await;
        assert_eq!(lookup.kind(), expected_lookup(code), "{code}: {lookup:?}");
        assert_eq!(lookup.code(), Some(ours(code)), "{code}: {lookup:?}");
        match (&lookup, code) {
            (
                LookupOutcome::Found {
                    multiple_records,
                    resident,
                },
                _,
            ) => {
                assert_eq!(*multiple_records, code == ResponseCode::MultipleRecords);
                assert_eq!(resident.nik, n.as_str());
            }
            (LookupOutcome::IdentityResult { code: c }, _)
            | (LookupOutcome::SetupError { code: c }, _) => {
                assert!(!matches!(c, UpstreamCode::Unknown(_)));
            }
            (LookupOutcome::Unavailable { .. }, _) => panic!("{code}: {lookup:?}"),
        }
        assert!(lookup.may_have_reached_upstream());

        let verify = c.verify(&n, &claims(), 80).await;
        let expected = match expected_lookup(code) {
            "found" => "verdicts",
            other => other,
        };
        assert_eq!(verify.kind(), expected, "{code}: {verify:?}");
        assert_eq!(verify.code(), Some(ours(code)), "{code}: {verify:?}");
        if let VerifyOutcome::Verdicts { verdicts, .. } = &verify {
            let keys: Vec<Element> = verdicts.keys().copied().collect();
            assert_eq!(keys, vec![Element::NamaLengkap, Element::TanggalLahir]);
        }
    }
    assert_eq!(c.breaker_state(), BreakerState::Closed);
}

#[tokio::test]
async fn upstream_setup_codes_from_the_simulators_access_rules() {
    let s = start().await;
    let someone = s.sim.sample(1)[0]["NIK"].as_str().unwrap().to_string();
    let n = nik(&someone);
    let code_of = |o: LookupOutcome| match o {
        LookupOutcome::SetupError { code } => code,
        other => panic!("{other:?}"),
    };

    let mut cfg = config(s.addr);
    cfg.password = Some(UpstreamPassword::new("wrong-password"));
    let out = UpstreamClient::new(&cfg).unwrap().call_nik(&n).await;
    assert_eq!(code_of(out), ResponseCode::LoginFailed);

    let mut cfg = config(s.addr);
    cfg.ip_user = "10.9.9.9".into();
    let out = UpstreamClient::new(&cfg).unwrap().call_nik(&n).await;
    assert_eq!(code_of(out), ResponseCode::IpNotRegistered);

    s.sim.upsert_user(SimUser {
        consumer: "BPBD3313".into(),
        user_id: "OTHER".into(),
        password: "other-password".into(),
        ip: "10.0.0.2".into(),
        daily_quota: 10,
        active: true,
    });
    let mut cfg = config(s.addr);
    cfg.ip_user = "10.0.0.2".into();
    let out = UpstreamClient::new(&cfg).unwrap().call_nik(&n).await;
    assert_eq!(code_of(out), ResponseCode::IpMismatch);

    let c = client(s.addr);
    s.sim.set_institution_active("BPBD3313", false);
    assert_eq!(
        code_of(c.call_nik(&n).await),
        ResponseCode::InstitutionInactive
    );
    s.sim.set_institution_active("BPBD3313", true);

    s.sim.upsert_user(SimUser {
        daily_quota: 1,
        ..SimUser::default()
    });
    assert_eq!(c.call_nik(&n).await.kind(), "found");
    let out = c.call_nik(&n).await;
    assert_eq!(code_of(out.clone()), ResponseCode::QuotaExhausted);
    assert!(out.code().unwrap().is_quota_exhausted());

    s.sim.upsert_user(SimUser {
        active: false,
        ..SimUser::default()
    });
    assert_eq!(code_of(c.call_nik(&n).await), ResponseCode::UserInactive);
    // Setup errors are answers: they never open the breaker.
    assert_eq!(c.breaker_state(), BreakerState::Closed);
}

#[tokio::test]
async fn upstream_residents_are_found_with_only_the_nine_elements() {
    let s = start().await;
    let c = client(s.addr);
    let sample = s.sim.sample(25);
    assert_eq!(sample.len(), 25);
    for raw in &sample {
        let n = nik(raw["NIK"].as_str().unwrap());
        let out = c.call_nik(&n).await;
        let LookupOutcome::Found {
            resident,
            multiple_records,
        } = &out
        else {
            panic!("{out:?}")
        };
        assert!(!multiple_records);
        assert_eq!(resident.nik, raw["NIK"]);
        assert_eq!(resident.no_kk, raw["NO_KK"]);
        assert_eq!(resident.nama_lengkap, raw["NAMA_LGKP"]);
        assert_eq!(resident.tempat_lahir, raw["TMPT_LHR"]);
        assert_eq!(resident.status_perkawinan, raw["STATUS_KAWIN"]);
        assert_eq!(resident.jenis_pekerjaan, raw["JENIS_PKRJN"]);
        assert_eq!(resident.alamat.alamat, raw["ALAMAT"]);
        assert_eq!(resident.alamat.rt, raw["NO_RT"]);
        assert_eq!(resident.alamat.rw, raw["NO_RW"]);
        assert_eq!(resident.alamat.kelurahan.kode, raw["NO_KEL"]);
        assert_eq!(resident.alamat.kelurahan.nama, raw["KEL_NAME"]);
        assert_eq!(resident.alamat.kecamatan.nama, raw["KEC_NAME"]);
        assert_eq!(resident.alamat.kabupaten.nama, raw["KAB_NAME"]);
        assert_eq!(resident.alamat.provinsi.kode, raw["NO_PROP"]);
        assert_eq!(resident.jenis_kelamin, Some(n.sex()));
        assert_eq!(resident.tanggal_lahir, Some(n.birth_date()));
        let json = serde_json::to_value(&out).unwrap();
        let (d, m, y) = {
            let t = raw["TGL_LHR"].as_str().unwrap();
            (&t[0..2], &t[3..5], &t[6..10])
        };
        assert_eq!(json["resident"]["tanggal_lahir"], format!("{y}-{m}-{d}"));
        assert_clean(&out, &forbidden_values(raw), false);
    }
}

#[tokio::test]
async fn upstream_forbidden_values_fetched_raw_never_leave() {
    let s = start().await;
    let c = client(s.addr);
    let someone = s.sim.sample(3)[2]["NIK"].as_str().unwrap().to_string();
    // The raw answer, fetched directly: it carries the forbidden elements.
    let raw: Value = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
        .post(format!(
            "http://{}/dukcapil/get_json/BPBD3313/CALL_NIK",
            s.addr
        ))
        .json(
            &json!({"nik": someone, "user_id": DEMO_USER_ID, "password": DEMO_PASSWORD,
                      "ip_user": "127.0.0.1"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let record = &raw["content"][0];
    for f in FORBIDDEN {
        assert!(record[f].is_string(), "the simulator must send {f}: {raw}");
    }
    let forbidden = forbidden_values(record);
    assert!(!forbidden.is_empty());
    let out = c.call_nik(&nik(&someone)).await;
    assert_eq!(out.kind(), "found");
    assert_clean(&out, &forbidden, false);
}

#[tokio::test]
async fn upstream_canary_values_never_leave_and_only_the_first_record_does() {
    let s = start().await;
    let c = client(s.addr);
    let canary_nik = "3313010101909797";
    assert_eq!(s.sim.lookup(canary_nik).0, ResponseCode::NotFound);
    let mut first = s.sim.resident_template(canary_nik).unwrap();
    first.religion = "CANARY-AGAMA-5b1e".into();
    first.education = "CANARY-PDDK-77c0".into();
    first.mother_name = "CANARY-IBU-0d2e".into();
    first.blood_type = "CANARY-GOLDARAH-e4".into();
    first.ektp_status = "CANARY-EKTP-93aa".into();
    first.name = "NAMA PERTAMA".into();
    s.sim.insert_resident(first.clone()).unwrap();
    let canaries: Vec<String> = [
        &first.religion,
        &first.education,
        &first.mother_name,
        &first.blood_type,
        &first.ektp_status,
    ]
    .into_iter()
    .cloned()
    .collect();

    let out = c.call_nik(&nik(canary_nik)).await;
    assert!(
        matches!(&out, LookupOutcome::Found { resident, multiple_records: false } if resident.nama_lengkap == "NAMA PERTAMA"),
        "{out:?}"
    );
    assert_clean(&out, &canaries, true);

    // A second record (code 12): the client keeps the first, flags it, and drops the rest.
    let mut second = first.clone();
    second.name = "CANARY-SECOND-RECORD-NAME".into();
    second.no_kk = "3313010101200001".into();
    second.religion = "CANARY-AGAMA-2-aa".into();
    s.sim.insert_resident(second.clone()).unwrap();
    let out = c.call_nik(&nik(canary_nik)).await;
    assert!(
        matches!(&out, LookupOutcome::Found { resident, multiple_records: true } if resident.nama_lengkap == "NAMA PERTAMA"),
        "{out:?}"
    );
    let mut more = canaries.clone();
    more.extend([second.name.clone(), second.religion.clone()]);
    assert_clean(&out, &more, true);

    let verify = c
        .verify(
            &nik(canary_nik),
            &ClaimedElements {
                nama_lengkap: Some("NAMA PERTAMA".into()),
                ..ClaimedElements::default()
            },
            90,
        )
        .await;
    assert!(
        matches!(
            &verify,
            VerifyOutcome::Verdicts {
                multiple_records: true,
                ..
            }
        ),
        "{verify:?}"
    );
    assert_clean(&verify, &more, true);
}

#[tokio::test]
async fn upstream_identity_codes_from_the_population() {
    let s = start().await;
    let c = client(s.addr);
    let all = s.sim.sample_any(usize::MAX);
    for wanted in [
        ResponseCode::Deceased,
        ResponseCode::Inactive,
        ResponseCode::MultipleRecords,
    ] {
        let raw = all
            .iter()
            .find(|v| v["RESPONSE_CODE"] == wanted.as_str())
            .unwrap_or_else(|| panic!("no resident answering {wanted}"));
        let out = c.call_nik(&nik(raw["NIK"].as_str().unwrap())).await;
        assert_eq!(out.code(), Some(ours(wanted)), "{wanted}: {out:?}");
        assert_clean(&out, &forbidden_values(raw), false);
    }
    let out = c.call_nik(&nik("3313010101909797")).await;
    assert_eq!(
        out,
        LookupOutcome::IdentityResult {
            code: ResponseCode::NotFound.into()
        }
    );
    // A deceased resident inserted with data: the client returns the code only.
    let mut dead = s.sim.resident_template("3313015506809797").unwrap();
    dead.status = RecordStatus::Deceased;
    dead.name = "CANARY-DECEASED-NAME".into();
    s.sim.insert_resident(dead).unwrap();
    let out = c.call_nik(&nik("3313015506809797")).await;
    assert_eq!(
        out,
        LookupOutcome::IdentityResult {
            code: ResponseCode::Deceased.into()
        }
    );
}

#[tokio::test]
async fn upstream_output_format_variants_are_normalised() {
    let s = start_with(SimConfig {
        population: 2_000,
        format: OutputFormat {
            date: DateFormat::YyyyMmDd,
            sex: SexSpelling::Title,
            codes: CodeStyle::Bare,
        },
        ..SimConfig::default()
    })
    .await;
    let c = client(s.addr);
    let mut seen = BTreeSet::new();
    for raw in s.sim.sample(20) {
        let n = nik(raw["NIK"].as_str().unwrap());
        let LookupOutcome::Found { resident, .. } = c.call_nik(&n).await else {
            panic!()
        };
        assert_eq!(resident.tanggal_lahir, Some(n.birth_date()));
        assert_eq!(resident.jenis_kelamin, Some(n.sex()));
        assert_eq!(resident.alamat.rt, raw["NO_RT"]);
        seen.insert(n.sex());
    }
    assert_eq!(seen.len(), 2, "both sexes sampled");
    assert!(seen.contains(&Sex::Female));
}

#[tokio::test]
async fn upstream_verify_against_the_population() {
    let s = start().await;
    let c = client(s.addr);
    let raw = &s.sim.sample(1)[0];
    let n = nik(raw["NIK"].as_str().unwrap());
    let text = |k: &str| Some(raw[k].as_str().unwrap().to_string());
    let exact = ClaimedElements {
        no_kk: text("NO_KK"),
        nama_lengkap: text("NAMA_LGKP"),
        tempat_lahir: text("TMPT_LHR"),
        tanggal_lahir: Some(n.birth_date()),
        jenis_kelamin: Some(n.sex()),
        jenis_pekerjaan: text("JENIS_PKRJN"),
        alamat: text("ALAMAT"),
        rt: text("NO_RT"),
        rw: text("NO_RW"),
        provinsi_kode: text("NO_PROP"),
        provinsi_nama: text("PROP_NAME"),
        kabupaten_kode: text("NO_KAB"),
        kabupaten_nama: text("KAB_NAME"),
        kecamatan_kode: text("NO_KEC"),
        kecamatan_nama: text("KEC_NAME"),
        kelurahan_kode: text("NO_KEL"),
        kelurahan_nama: text("KEL_NAME"),
    };
    let out = c.verify(&n, &exact, c.default_threshold()).await;
    let VerifyOutcome::Verdicts { verdicts, .. } = &out else {
        panic!("{out:?}")
    };
    assert_eq!(verdicts.len(), 17, "{out:?}");
    assert!(verdicts.values().all(|v| v.is_match()), "{out:?}");
    let mut strings = Vec::new();
    keys_and_strings(
        &serde_json::to_value(&out).unwrap(),
        &mut BTreeSet::new(),
        &mut strings,
    );
    for value in [&raw["NAMA_LGKP"], &raw["NO_KK"], &raw["ALAMAT"]] {
        assert!(!strings.iter().any(|s| s == value), "{value} in {out:?}");
    }
    assert_clean(&out, &forbidden_values(raw), false);

    let wrong = ClaimedElements {
        nama_lengkap: Some("ZZZZ QQQQ XXXX".into()),
        tanggal_lahir: Some(time::macros::date!(1901 - 01 - 01)),
        ..ClaimedElements::default()
    };
    let out = c.verify(&n, &wrong, 90).await;
    let VerifyOutcome::Verdicts { verdicts, .. } = &out else {
        panic!("{out:?}")
    };
    assert_eq!(verdicts.len(), 2);
    assert!(matches!(
        verdicts[&Element::NamaLengkap],
        Verdict::TidakSesuai { score: Some(s) } if s < 90
    ));
    assert_eq!(
        verdicts[&Element::TanggalLahir],
        Verdict::TidakSesuai { score: None }
    );
}

#[tokio::test]
async fn upstream_transport_faults_are_unavailable_after_reaching_the_upstream() {
    let s = start().await;
    let c = client(s.addr);
    let cases = [
        (Fault::Timeout, UnavailableReason::Timeout),
        (Fault::LongDelay, UnavailableReason::Timeout),
        (Fault::Http500, UnavailableReason::HttpStatus(500)),
        (Fault::MalformedJson, UnavailableReason::MalformedJson),
        (Fault::Reset, UnavailableReason::ConnectionLost),
        (Fault::SlowBody, UnavailableReason::Timeout),
    ];
    for (fault, reason) in cases {
        let before = s.sim.quota_used(DEMO_USER_ID);
        let n = nik(&fault_nik(fault).unwrap());
        let started = std::time::Instant::now();
        let out = c.call_nik(&n).await;
        assert_eq!(
            out,
            LookupOutcome::Unavailable {
                reason,
                may_have_reached_upstream: true
            },
            "{fault}"
        );
        assert!(
            started.elapsed() < Duration::from_millis(3_000),
            "{fault}: {:?}",
            started.elapsed()
        );
        // The simulator processed and charged the request before the answer was lost.
        assert_eq!(s.sim.quota_used(DEMO_USER_ID), before + 1, "{fault}");
    }
    for (fault, reason) in [
        (Fault::Http500, UnavailableReason::HttpStatus(500)),
        (Fault::Reset, UnavailableReason::ConnectionLost),
        (Fault::MalformedJson, UnavailableReason::MalformedJson),
    ] {
        let out = c
            .verify(&nik(&fault_nik(fault).unwrap()), &claims(), 90)
            .await;
        assert_eq!(
            out,
            VerifyOutcome::Unavailable {
                reason,
                may_have_reached_upstream: true
            },
            "{fault}"
        );
    }
}

#[tokio::test]
async fn upstream_configured_fault_plan_is_honoured() {
    let s = start().await;
    let c = client(s.addr);
    let someone = s.sim.sample(1)[0]["NIK"].as_str().unwrap().to_string();
    s.sim
        .set_fault_plan(quick_faults().with_nik(someone.clone(), Fault::Reset));
    assert_eq!(
        c.call_nik(&nik(&someone)).await,
        LookupOutcome::Unavailable {
            reason: UnavailableReason::ConnectionLost,
            may_have_reached_upstream: true
        }
    );
    s.sim
        .set_fault_plan(quick_faults().with_random(Fault::Http500, 1.0));
    assert_eq!(
        c.call_nik(&nik(&someone)).await,
        LookupOutcome::Unavailable {
            reason: UnavailableReason::HttpStatus(500),
            may_have_reached_upstream: true
        }
    );
    s.sim.set_fault_plan(quick_faults());
    assert_eq!(c.call_nik(&nik(&someone)).await.kind(), "found");
}

#[tokio::test]
async fn upstream_connection_refused_never_reached_the_upstream() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let c = client(addr);
    let out = c.call_nik(&nik(&code_nik(ResponseCode::Found))).await;
    assert_eq!(
        out,
        LookupOutcome::Unavailable {
            reason: UnavailableReason::ConnectRefused,
            may_have_reached_upstream: false
        }
    );
    let out = c
        .verify(&nik(&code_nik(ResponseCode::Found)), &claims(), 90)
        .await;
    assert!(!out.may_have_reached_upstream(), "{out:?}");
}

#[tokio::test]
async fn upstream_breaker_opens_on_consecutive_failures_and_spares_the_upstream() {
    let s = start().await;
    let clock = Arc::new(ManualClock::new());
    let mut cfg = config(s.addr);
    cfg.breaker_failures = 3;
    cfg.breaker_open_ms = 10_000;
    let c = UpstreamClient::with_clock(&cfg, clock.clone()).unwrap();
    let broken = nik(&fault_nik(Fault::Http500).unwrap());
    let healthy = nik(&code_nik(ResponseCode::Found));
    for _ in 0..3 {
        assert!(matches!(
            c.call_nik(&broken).await,
            LookupOutcome::Unavailable { .. }
        ));
    }
    assert_eq!(c.breaker_state(), BreakerState::Open);
    let calls = s.sim.calls();
    assert_eq!(
        c.call_nik(&healthy).await,
        LookupOutcome::Unavailable {
            reason: UnavailableReason::BreakerOpen,
            may_have_reached_upstream: false
        }
    );
    assert_eq!(
        c.verify(&healthy, &claims(), 90).await,
        VerifyOutcome::Unavailable {
            reason: UnavailableReason::BreakerOpen,
            may_have_reached_upstream: false
        }
    );
    assert_eq!(s.sim.calls(), calls, "nothing sent while open");

    clock.advance(Duration::from_millis(10_000));
    assert_eq!(c.breaker_state(), BreakerState::HalfOpen);
    // The trial fails: open again.
    assert!(matches!(
        c.call_nik(&broken).await,
        LookupOutcome::Unavailable {
            reason: UnavailableReason::HttpStatus(500),
            ..
        }
    ));
    assert_eq!(c.breaker_state(), BreakerState::Open);
    clock.advance(Duration::from_millis(10_000));
    assert_eq!(c.call_nik(&healthy).await.kind(), "found");
    assert_eq!(c.breaker_state(), BreakerState::Closed);
    assert_eq!(s.sim.calls(), calls + 2);
}
