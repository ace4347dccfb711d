//! The simulator through HTTP: every response code, quota per WIB day, malformed requests,
//! verification by element, inserted residents, output formats and determinism.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use dukcapil_sim::protocol::{FORBIDDEN_FIELDS, RECORD_FIELDS};
use dukcapil_sim::special::code_nik;
use dukcapil_sim::{
    AccessHours, CodeStyle, DateFormat, ManualClock, OutputFormat, RecordStatus, ResponseCode,
    SexSpelling, SimConfig, SimUser, Simulator,
};
use serde_json::{Value, json};
use time::macros::datetime;
use tower::ServiceExt;

const CONSUMER: &str = "BPBD3313";
const USER: &str = "BPBD3313";
const PASSWORD: &str = "sim-demo-password";
const IP: &str = "127.0.0.1";

fn small(population: usize) -> SimConfig {
    SimConfig {
        population,
        ..SimConfig::default()
    }
}

async fn post_raw(
    router: &Router,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = Request::post(path);
    if let Some(ct) = content_type {
        request = request.header(header::CONTENT_TYPE, ct);
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "answer is not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    (status, value)
}

async fn call(router: &Router, method: &str, body: Value) -> Value {
    let (status, value) = post_raw(
        router,
        &format!("/dukcapil/get_json/{CONSUMER}/{method}"),
        Some("application/json"),
        body.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{value}");
    value
}

fn nik_body(nik: &str) -> Value {
    json!({"nik": nik, "user_id": USER, "password": PASSWORD, "ip_user": IP})
}

async fn call_nik(router: &Router, nik: &str) -> Value {
    call(router, "CALL_NIK", nik_body(nik)).await
}

fn code(answer: &Value) -> &str {
    answer["content"][0]["RESPONSE_CODE"]
        .as_str()
        .unwrap_or_else(|| panic!("no RESPONSE_CODE in {answer}"))
}

/// A valid-format NIK that the registry does not hold.
fn unknown_nik(sim: &Simulator) -> String {
    let nik = "3313010101909797".to_string();
    assert_eq!(sim.lookup(&nik).0, ResponseCode::NotFound);
    nik
}

fn nik_with_code(sim: &Simulator, wanted: ResponseCode) -> String {
    sim.sample_any(usize::MAX)
        .into_iter()
        .find(|v| v["RESPONSE_CODE"] == wanted.as_str())
        .and_then(|v| v["NIK"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no resident answering {wanted} in the population"))
}

#[tokio::test]
async fn identity_codes_from_the_population() {
    let sim = Simulator::new(small(5_000));
    let router = sim.router();

    let found = sim.sample(1)[0]["NIK"].as_str().unwrap().to_string();
    let answer = call_nik(&router, &found).await;
    assert_eq!(code(&answer), "01");
    assert_eq!(answer["content"][0]["RESPON"], "Data Ditemukan");
    assert_eq!(answer["numberOfElements"], 1);
    assert_eq!(answer["content"][0]["NIK"], found.as_str());

    let duplicated = nik_with_code(&sim, ResponseCode::MultipleRecords);
    let answer = call_nik(&router, &duplicated).await;
    assert_eq!(code(&answer), "12");
    let records = answer["content"].as_array().unwrap();
    assert!(records.len() >= 2, "{answer}");
    assert!(records.iter().all(|r| r["NIK"] == duplicated.as_str()));
    assert_ne!(records[0]["NO_KK"], records[1]["NO_KK"]);

    for (wanted, text) in [
        (ResponseCode::Deceased, "11"),
        (ResponseCode::Inactive, "14"),
    ] {
        let nik = nik_with_code(&sim, wanted);
        let answer = call_nik(&router, &nik).await;
        assert_eq!(code(&answer), text);
        assert!(answer["content"][0].get("NAMA_LGKP").is_none(), "{answer}");
    }

    let answer = call_nik(&router, &unknown_nik(&sim)).await;
    assert_eq!(code(&answer), "13");
    assert_eq!(answer["content"][0]["RESPON"], "Data Tidak Ditemukan");

    for malformed in [
        "12345",
        "3313013201900001",
        "3313010101900000",
        "33130101019000a1",
    ] {
        let answer = call_nik(&router, malformed).await;
        assert_eq!(code(&answer), "15", "{malformed}");
    }
}

#[tokio::test]
async fn every_code_by_special_nik() {
    let sim = Simulator::new(small(1_000));
    let router = sim.router();
    for wanted in ResponseCode::ALL {
        let nik = code_nik(wanted);
        let answer = call_nik(&router, &nik).await;
        assert_eq!(code(&answer), wanted.as_str(), "{nik}: {answer}");
        assert_eq!(answer["content"][0]["RESPON"], wanted.respon());
        let records = answer["content"].as_array().unwrap().len();
        match wanted {
            ResponseCode::Found => {
                assert_eq!(records, 1);
                assert_eq!(answer["content"][0]["NIK"], nik.as_str());
                assert_eq!(answer["content"][0]["TGL_LHR"], "01-01-1990");
                assert_eq!(answer["content"][0]["JENIS_KLMIN"], "LAKI-LAKI");
            }
            ResponseCode::MultipleRecords => assert_eq!(records, 2),
            _ => assert!(answer["content"][0].get("NIK").is_none()),
        }
        // The same NIK through verification answers the same code.
        let verify = call(
            &router,
            "CALL_VERIFY_BY_ELEMEN",
            json!({"NIK": nik, "USER_ID": USER, "PASSWORD": PASSWORD, "IP_USER": IP,
                   "TRESHOLD": 90, "NAMA_LGKP": "BUDI"}),
        )
        .await;
        assert_eq!(code(&verify), wanted.as_str());
    }
    // Special NIKs for codes answered without data are not charged when they are setup errors.
    let before = sim.quota_used(USER);
    call_nik(&router, &code_nik(ResponseCode::LoginFailed)).await;
    assert_eq!(sim.quota_used(USER), before);
    call_nik(&router, &code_nik(ResponseCode::NotFound)).await;
    assert_eq!(sim.quota_used(USER), before + 1);
}

#[tokio::test]
async fn setup_codes_from_configuration() {
    let mut cfg = small(1_000);
    cfg.users = vec![
        SimUser::default(),
        SimUser {
            user_id: "OTHER".into(),
            ip: "10.1.1.2".into(),
            ..SimUser::default()
        },
        SimUser {
            user_id: "SLEEPER".into(),
            ip: "10.1.1.3".into(),
            active: false,
            ..SimUser::default()
        },
        SimUser {
            consumer: "DINSOS3313".into(),
            user_id: "DINSOS".into(),
            ip: "10.1.1.4".into(),
            ..SimUser::default()
        },
    ];
    cfg.inactive_institutions = vec!["DINSOS3313".into()];
    let sim = Simulator::new(cfg);
    let router = sim.router();
    let nik = sim.sample(1)[0]["NIK"].as_str().unwrap().to_string();
    let with = |user: &str, password: &str, ip: &str| json!({"nik": nik, "user_id": user, "password": password, "ip_user": ip});

    let cases = [
        (with(USER, "wrong", IP), "03"),
        (with("NOBODY", PASSWORD, IP), "03"),
        (with(USER, PASSWORD, "10.1.1.2"), "04"),
        (with(USER, "", IP), "09"),
        (with("", PASSWORD, IP), "09"),
        (with(USER, PASSWORD, ""), "09"),
        (with(USER, PASSWORD, "192.0.2.77"), "10"),
        (with("SLEEPER", PASSWORD, "10.1.1.3"), "17"),
        (
            json!({"user_id": USER, "password": PASSWORD, "ip_user": IP}),
            "07",
        ),
        (
            json!({"nik": nik, "password": PASSWORD, "ip_user": IP}),
            "07",
        ),
        (
            json!({"nik": nik, "user_id": USER, "password": PASSWORD, "ip_user": IP, "x": 1}),
            "01",
        ),
        (
            json!({"nik": "", "user_id": USER, "password": PASSWORD, "ip_user": IP}),
            "07",
        ),
    ];
    for (body, wanted) in cases {
        let answer = call(&router, "CALL_NIK", body.clone()).await;
        assert_eq!(code(&answer), wanted, "{body}");
    }
    // Consumer in the path must be the user's institution.
    let (_, answer) = post_raw(
        &router,
        "/dukcapil/get_json/DINSOS3313/CALL_NIK",
        Some("application/json"),
        nik_body(&nik).to_string().into_bytes(),
    )
    .await;
    assert_eq!(code(&answer), "03");
    let (_, answer) = post_raw(
        &router,
        "/dukcapil/get_json/DINSOS3313/CALL_NIK",
        Some("application/json"),
        with("DINSOS", PASSWORD, "10.1.1.4")
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(code(&answer), "16");
    sim.set_institution_active("DINSOS3313", true);
    let (_, answer) = post_raw(
        &router,
        "/dukcapil/get_json/DINSOS3313/CALL_NIK",
        Some("application/json"),
        with("DINSOS", PASSWORD, "10.1.1.4")
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(code(&answer), "01");
    // Setup errors are not charged.
    assert_eq!(sim.quota_used(USER), 1);
    assert_eq!(sim.quota_used("DINSOS"), 1);
    // A user turned inactive at run time.
    sim.upsert_user(SimUser {
        active: false,
        ..SimUser::default()
    });
    assert_eq!(code(&call_nik(&router, &nik).await), "17");
}

#[tokio::test]
async fn quota_counts_per_wib_day() {
    let mut cfg = small(1_000);
    cfg.users[0].daily_quota = 3;
    let sim = Simulator::new(cfg);
    // 16:30 UTC = 23:30 WIB on 1 March.
    let clock = ManualClock::new(datetime!(2025-03-01 16:30 UTC));
    sim.set_clock(clock.clone());
    let router = sim.router();
    let nik = sim.sample(1)[0]["NIK"].as_str().unwrap().to_string();
    let unknown = unknown_nik(&sim);

    assert_eq!(code(&call_nik(&router, &nik).await), "01");
    assert_eq!(code(&call_nik(&router, &unknown).await), "13"); // identity results are charged
    let wrong = json!({"nik": nik, "user_id": USER, "password": "x", "ip_user": IP});
    assert_eq!(code(&call(&router, "CALL_NIK", wrong).await), "03"); // setup errors are not
    assert_eq!(code(&call_nik(&router, "123").await), "15"); // nor malformed NIKs
    assert_eq!(sim.quota_used(USER), 2);
    assert_eq!(code(&call_nik(&router, &nik).await), "01");
    assert_eq!(code(&call_nik(&router, &nik).await), "05");
    let answer = call_nik(&router, &nik).await;
    assert_eq!(
        answer["content"][0]["RESPON"],
        "Kuota Akses Hari ini telah Habis"
    );
    assert!(answer["content"][0].get("NAMA_LGKP").is_none());

    // 16:59 UTC is still 1 March in WIB.
    clock.set(datetime!(2025-03-01 16:59:59 UTC));
    assert_eq!(code(&call_nik(&router, &nik).await), "05");
    // 17:00 UTC = 00:00 WIB on 2 March: a new day, a new quota.
    clock.set(datetime!(2025-03-01 17:00 UTC));
    assert_eq!(sim.quota_used(USER), 0);
    for _ in 0..3 {
        assert_eq!(code(&call_nik(&router, &nik).await), "01");
    }
    assert_eq!(code(&call_nik(&router, &nik).await), "05");
    // Verification draws on the same quota.
    let verify = json!({"NIK": nik, "USER_ID": USER, "PASSWORD": PASSWORD, "IP_USER": IP,
                        "TRESHOLD": 80, "NAMA_LGKP": "X"});
    assert_eq!(
        code(&call(&router, "CALL_VERIFY_BY_ELEMEN", verify).await),
        "05"
    );
}

#[tokio::test]
async fn access_hours_answer_06() {
    let mut cfg = small(1_000);
    cfg.access_hours = Some(AccessHours {
        from: "07:00".parse().unwrap(),
        to: "17:00".parse().unwrap(),
    });
    let sim = Simulator::new(cfg);
    let clock = ManualClock::new(datetime!(2025-03-03 23:59 UTC)); // 06:59 WIB
    sim.set_clock(clock.clone());
    let router = sim.router();
    let nik = sim.sample(1)[0]["NIK"].as_str().unwrap().to_string();
    assert_eq!(code(&call_nik(&router, &nik).await), "06");
    clock.set(datetime!(2025-03-04 00:00 UTC)); // 07:00 WIB
    assert_eq!(code(&call_nik(&router, &nik).await), "01");
    clock.set(datetime!(2025-03-04 10:00 UTC)); // 17:00 WIB
    assert_eq!(code(&call_nik(&router, &nik).await), "06");
    assert_eq!(sim.quota_used(USER), 1);
}

#[tokio::test]
async fn malformed_requests_get_07_or_15() {
    let sim = Simulator::new(small(1_000));
    let router = sim.router();
    let nik = sim.sample(1)[0]["NIK"].as_str().unwrap().to_string();
    let good = nik_body(&nik).to_string().into_bytes();
    let path = format!("/dukcapil/get_json/{CONSUMER}/CALL_NIK");
    let huge = format!(
        "{{\"nik\":\"{nik}\",\"user_id\":\"{USER}\",\"password\":\"{PASSWORD}\",\"ip_user\":\"{IP}\",\"pad\":\"{}\"}}",
        "x".repeat(200_000)
    );
    let cases: Vec<(&str, Option<&str>, Vec<u8>, &str)> = vec![
        (&path, Some("application/json"), b"{\"nik\": ".to_vec(), "07"),
        (&path, Some("application/json"), b"not json at all".to_vec(), "07"),
        (&path, Some("application/json"), b"[1,2,3]".to_vec(), "07"),
        (&path, Some("application/json"), b"".to_vec(), "07"),
        (&path, Some("application/json"), vec![0xff, 0xfe, 0x00], "07"),
        (&path, Some("text/plain"), good.clone(), "07"),
        (&path, None, good.clone(), "07"),
        (&path, Some("application/json"), huge.into_bytes(), "07"),
        (
            &path,
            Some("application/json"),
            json!({"nik": 3313010101900001u64, "user_id": USER, "password": PASSWORD, "ip_user": IP})
                .to_string()
                .into_bytes(),
            "07",
        ),
        (
            &path,
            Some("application/json"),
            json!({"NIK": nik, "USER_ID": USER, "PASSWORD": PASSWORD, "IP_USER": IP})
                .to_string()
                .into_bytes(),
            "07",
        ),
        (
            "/dukcapil/get_json/BPBD3313/CALL_SOMETHING",
            Some("application/json"),
            good.clone(),
            "07",
        ),
        (&path, Some("application/json; charset=UTF-8"), good.clone(), "01"),
        (
            &path,
            Some("application/json"),
            nik_body("３３１３０１０１０１９００００１").to_string().into_bytes(),
            "15",
        ),
    ];
    for (p, ct, body, wanted) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(80)]).to_string();
        let (status, answer) = post_raw(&router, p, ct, body).await;
        assert_eq!(status, StatusCode::OK, "{shown}");
        assert_eq!(code(&answer), wanted, "{p} {ct:?} {shown}");
    }
    // Not POST.
    let response = router
        .clone()
        .oneshot(Request::get(&path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    let answer: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(code(&answer), "07");
    // Every request to the endpoints is counted.
    assert_eq!(sim.calls(), 14);
}

#[tokio::test]
async fn call_nik_carries_every_field_including_forbidden_ones() {
    let sim = Simulator::new(small(2_000));
    let router = sim.router();
    for resident in sim.sample(20) {
        let nik = resident["NIK"].as_str().unwrap();
        let answer = call_nik(&router, nik).await;
        let record = &answer["content"][0];
        for field in RECORD_FIELDS {
            let value = record[field]
                .as_str()
                .unwrap_or_else(|| panic!("{field} missing"));
            assert!(!value.is_empty(), "{field} empty in {record}");
        }
        for field in FORBIDDEN_FIELDS {
            assert!(record.get(field).is_some(), "{field}");
        }
        // The answer is what the sample says.
        for field in RECORD_FIELDS {
            assert_eq!(record[field], resident[field], "{field}");
        }
        assert_eq!(record["NIK"].as_str().unwrap().len(), 16);
        assert_eq!(record["NO_KK"].as_str().unwrap().len(), 16);
        assert_eq!(
            &record["NO_KK"].as_str().unwrap()[..6],
            &nik_district_of(record)
        );
        assert_eq!(record["NO_PROP"], "33");
        assert_eq!(record["NO_KAB"], "13");
        assert_eq!(record["KAB_NAME"], "KARANGANYAR");
        assert_eq!(record["PROP_NAME"], "JAWA TENGAH");
        let name = record["NAMA_LGKP"].as_str().unwrap();
        assert_eq!(name, name.to_uppercase());
    }
}

fn nik_district_of(record: &Value) -> String {
    format!(
        "{}{}{}",
        record["NO_PROP"].as_str().unwrap(),
        record["NO_KAB"].as_str().unwrap(),
        record["NO_KEC"].as_str().unwrap()
    )
}

#[tokio::test]
async fn verify_by_element_answers_without_registry_values() {
    let sim = Simulator::new(small(2_000));
    let router = sim.router();
    let r = &sim.sample(1)[0];
    let nik = r["NIK"].as_str().unwrap();
    let body = json!({
        "NIK": nik, "USER_ID": USER, "PASSWORD": PASSWORD, "IP_USER": IP, "TRESHOLD": "90",
        "NAMA_LGKP": r["NAMA_LGKP"].as_str().unwrap().to_lowercase(),
        "TGL_LHR": r["TGL_LHR"], "JENIS_KLMIN": r["JENIS_KLMIN"], "NO_KK": r["NO_KK"],
        "TMPT_LHR": "KOTA ANTAH BERANTAH", "NO_RT": "999", "KEL_NAME": r["KEL_NAME"],
        "ALAMAT": "", "NO_RW": r["NO_RW"],
    });
    let answer = call(&router, "CALL_VERIFY_BY_ELEMEN", body).await;
    let c = &answer["content"][0];
    assert_eq!(c["RESPONSE_CODE"], "01");
    assert_eq!(c["NAMA_LGKP"], "Sesuai (100)");
    assert_eq!(c["TGL_LHR"], "Sesuai");
    assert_eq!(c["JENIS_KLMIN"], "Sesuai");
    assert_eq!(c["NO_KK"], "Sesuai");
    assert_eq!(c["NO_RW"], "Sesuai");
    assert_eq!(c["NO_RT"], "Tidak Sesuai");
    assert_eq!(c["KEL_NAME"], "Sesuai (100)");
    assert!(
        c["TMPT_LHR"]
            .as_str()
            .unwrap()
            .starts_with("Tidak Sesuai ("),
        "{c}"
    );
    assert!(c.get("ALAMAT").is_none(), "empty claims are not answered");
    assert!(c.get("AGAMA").is_none());
    let text = answer.to_string();
    for field in ["ALAMAT", "NAMA_LGKP_IBU", "AGAMA", "TMPT_LHR"] {
        let value = r[field].as_str().unwrap();
        assert!(
            !text.contains(value),
            "registry value {value} of {field} leaked: {text}"
        );
    }
    for (threshold, wanted) in [
        (json!(-1), "07"),
        (json!(101), "07"),
        (json!("x"), "07"),
        (json!(null), "07"),
    ] {
        let body = json!({"NIK": nik, "USER_ID": USER, "PASSWORD": PASSWORD, "IP_USER": IP,
                          "TRESHOLD": threshold, "NAMA_LGKP": "X"});
        assert_eq!(
            code(&call(&router, "CALL_VERIFY_BY_ELEMEN", body).await),
            wanted
        );
    }
    let no_threshold =
        json!({"NIK": nik, "USER_ID": USER, "PASSWORD": PASSWORD, "IP_USER": IP, "NAMA_LGKP": "X"});
    assert_eq!(
        code(&call(&router, "CALL_VERIFY_BY_ELEMEN", no_threshold).await),
        "07"
    );
    let no_claims = json!({"NIK": nik, "USER_ID": USER, "PASSWORD": PASSWORD, "IP_USER": IP, "TRESHOLD": 90, "NAMA_LGKP": " "});
    assert_eq!(
        code(&call(&router, "CALL_VERIFY_BY_ELEMEN", no_claims).await),
        "07"
    );
    // Lower-case credentials are CALL_NIK's spelling, not verify's.
    let lower = json!({"nik": nik, "user_id": USER, "password": PASSWORD, "ip_user": IP, "TRESHOLD": 90, "NAMA_LGKP": "X"});
    assert_eq!(
        code(&call(&router, "CALL_VERIFY_BY_ELEMEN", lower).await),
        "07"
    );
}

#[tokio::test]
async fn inserted_residents_are_answered_as_given() {
    let sim = Simulator::new(small(1_000));
    let router = sim.router();
    let nik = unknown_nik(&sim);
    let mut canary = sim.resident_template(&nik).unwrap();
    assert_eq!(canary.nik, nik);
    canary.name = "CANARY-NAME-7f3a".into();
    canary.address = "CANARY-ADDRESS-91bc".into();
    canary.mother_name = "CANARY-MOTHER-0d2e".into();
    sim.insert_resident(canary.clone()).unwrap();
    let answer = call_nik(&router, &nik).await;
    assert_eq!(code(&answer), "01");
    let record = &answer["content"][0];
    assert_eq!(record["NAMA_LGKP"], "CANARY-NAME-7f3a");
    assert_eq!(record["ALAMAT"], "CANARY-ADDRESS-91bc");
    assert_eq!(record["NAMA_LGKP_IBU"], "CANARY-MOTHER-0d2e");
    assert_eq!(record["TGL_LHR"], "01-01-1990");

    let deceased_nik = "3313015506809797";
    let mut deceased = sim.resident_template(deceased_nik).unwrap();
    assert_eq!(deceased.birth_date, time::macros::date!(1980 - 06 - 15));
    assert_eq!(deceased.sex, dukcapil_sim::Sex::Female);
    deceased.status = RecordStatus::Deceased;
    sim.insert_resident(deceased).unwrap();
    assert_eq!(code(&call_nik(&router, deceased_nik).await), "11");

    // A second record for the same NIK makes it a duplicate.
    canary.no_kk = "3313010101200001".into();
    sim.insert_resident(canary).unwrap();
    let answer = call_nik(&router, &nik).await;
    assert_eq!(code(&answer), "12");
    assert_eq!(answer["content"].as_array().unwrap().len(), 2);

    let mut bad = sim.resident_template(&nik).unwrap();
    bad.nik = "123".into();
    assert!(sim.insert_resident(bad).is_err());
    assert!(sim.resident_template("123").is_none());
}

#[tokio::test]
async fn output_format_is_configurable() {
    let mut cfg = small(1_000);
    cfg.format = OutputFormat {
        date: DateFormat::YyyyMmDd,
        sex: SexSpelling::Title,
        codes: CodeStyle::Bare,
    };
    let sim = Simulator::new(cfg);
    let router = sim.router();
    let answer = call_nik(&router, &code_nik(ResponseCode::Found)).await;
    let r = &answer["content"][0];
    assert_eq!(r["TGL_LHR"], "1990-01-01");
    assert_eq!(r["JENIS_KLMIN"], "Laki-laki");
    assert_eq!(r["NO_KEC"], "1");
    assert!(!r["NO_RT"].as_str().unwrap().starts_with('0'));
    // Verification accepts either date spelling whatever the output format.
    let body = json!({"NIK": code_nik(ResponseCode::Found), "USER_ID": USER, "PASSWORD": PASSWORD,
                      "IP_USER": IP, "TRESHOLD": 90, "TGL_LHR": "01-01-1990", "NO_KEC": "01"});
    let answer = call(&router, "CALL_VERIFY_BY_ELEMEN", body).await;
    assert_eq!(answer["content"][0]["TGL_LHR"], "Sesuai");
    assert_eq!(answer["content"][0]["NO_KEC"], "Sesuai");
}

#[test]
fn same_seed_same_population() {
    let a = Simulator::new(SimConfig {
        seed: 42,
        ..small(3_000)
    });
    let b = Simulator::new(SimConfig {
        seed: 42,
        ..small(3_000)
    });
    let c = Simulator::new(SimConfig {
        seed: 43,
        ..small(3_000)
    });
    assert_eq!(a.sample(25), b.sample(25));
    assert_eq!(a.sample_any(3_000), b.sample_any(3_000));
    assert_ne!(a.sample(25), c.sample(25));
    assert_eq!(a.population_size(), 3_000);
}

#[test]
fn export_sample_lists_residents_of_the_default_simulator() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_dukcapil-sim"))
        .args(["--export-sample", "5"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    let sim = Simulator::new(SimConfig::default());
    assert_eq!(sim.sample(5), lines);
    for line in &lines {
        let (code, records) = sim.lookup(line["NIK"].as_str().unwrap());
        assert_eq!(code, ResponseCode::Found);
        assert_eq!(
            serde_json::to_value(&records[0]).unwrap()["NAMA_LGKP"],
            line["NAMA_LGKP"]
        );
    }
    // The subcommand form prints the same.
    let sub = std::process::Command::new(env!("CARGO_BIN_EXE_dukcapil-sim"))
        .args(["export-sample", "5", "--seed", "3313"])
        .output()
        .unwrap();
    let sub_lines: Vec<Value> = String::from_utf8(sub.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(sub_lines, lines);
}
