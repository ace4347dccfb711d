//! What the upstream client logs: captured at every level (JSON lines into a buffer) during
//! found, verify, identity, setup-error, unavailable and breaker outcomes against the
//! simulator. No NIK, name, password, or field value may appear at any level; the upstream's
//! host and the user ID not at `info` or above. The client's own events carry the method,
//! outcome, code and latency.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed step is a failed test

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use domain::nik::Nik;
use dukcapil_sim::config::{DEMO_PASSWORD, DEMO_USER_ID};
use dukcapil_sim::special::{code_nik, fault_nik};
use dukcapil_sim::{Fault, FaultPlan, ResponseCode, SimConfig, spawn};
use serde_json::Value;
use sigap_server::upstream::{
    ClaimedElements, LOG_TARGET, UpstreamClient, UpstreamConfig, UpstreamPassword,
};
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
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
        breaker_failures: 2,
        breaker_open_ms: 60_000,
        ..UpstreamConfig::default()
    }
}

fn nik(text: &str) -> Nik {
    Nik::parse(text, time::OffsetDateTime::now_utc().date()).unwrap()
}

#[tokio::test]
async fn upstream_logs_carry_no_population_data_or_secrets() {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(buffer.clone())
        .with_ansi(false)
        .finish();
    // Current-thread runtime: the simulator's and the client's tasks all log here.
    let _guard = tracing::subscriber::set_default(subscriber);

    let (addr, sim, task) = spawn(SimConfig {
        population: 2_000,
        faults: FaultPlan {
            hang_ms: 5_000,
            ..FaultPlan::default()
        },
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let raw = sim.sample(1)[0].clone();
    let someone = raw["NIK"].as_str().unwrap().to_string();
    let c = UpstreamClient::new(&config(addr)).unwrap();

    // Found, verify, identity result, setup error (wrong password).
    assert_eq!(c.call_nik(&nik(&someone)).await.kind(), "found");
    let claimed = ClaimedElements {
        nama_lengkap: raw["NAMA_LGKP"].as_str().map(str::to_string),
        alamat: raw["ALAMAT"].as_str().map(str::to_string),
        no_kk: raw["NO_KK"].as_str().map(str::to_string),
        ..ClaimedElements::default()
    };
    assert_eq!(
        c.verify(&nik(&someone), &claimed, 90).await.kind(),
        "verdicts"
    );
    let not_found = code_nik(ResponseCode::NotFound);
    assert_eq!(c.call_nik(&nik(&not_found)).await.kind(), "identity_result");
    let mut wrong = config(addr);
    wrong.password = Some(UpstreamPassword::new("wrong-Password-7731"));
    let w = UpstreamClient::new(&wrong).unwrap();
    assert_eq!(w.call_nik(&nik(&someone)).await.kind(), "setup_error");
    assert_eq!(
        w.verify(&nik(&someone), &claimed, 90).await.kind(),
        "setup_error"
    );

    // Unavailable: HTTP 500, malformed JSON (opens the breaker), then breaker open.
    let faults = [
        fault_nik(Fault::Http500).unwrap(),
        fault_nik(Fault::MalformedJson).unwrap(),
        fault_nik(Fault::Reset).unwrap(),
    ];
    for f in &faults[..2] {
        assert_eq!(c.call_nik(&nik(f)).await.kind(), "unavailable");
    }
    assert_eq!(c.call_nik(&nik(&someone)).await.kind(), "unavailable");
    let r = UpstreamClient::new(&config(addr)).unwrap();
    assert_eq!(r.call_nik(&nik(&faults[2])).await.kind(), "unavailable");
    // Connection refused.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let refused = UpstreamClient::new(&config(closed)).unwrap();
    assert_eq!(refused.call_nik(&nik(&someone)).await.kind(), "unavailable");
    task.abort();

    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(!lines.is_empty());

    // Never, at any level: NIKs, the password, any value of the record.
    let mut secret: Vec<String> = vec![
        someone.clone(),
        not_found.clone(),
        DEMO_PASSWORD.to_string(),
        "wrong-Password-7731".to_string(),
    ];
    secret.extend(faults.iter().cloned());
    for (key, value) in raw.as_object().unwrap() {
        let value = value.as_str().unwrap_or_default();
        // Short or generic values (codes, "O", "KAWIN", "01") could occur by chance.
        if value.len() >= 6 && !["RESPONSE_CODE", "RESPON"].contains(&key.as_str()) {
            secret.push(value.to_string());
        }
    }
    for s in &secret {
        assert!(!text.contains(s.as_str()), "{s:?} logged:\n{text}");
    }
    // Not at info or above: the upstream's address and the user ID.
    let host = addr.to_string();
    for line in &lines {
        let level = line["level"].as_str().unwrap_or_default();
        if matches!(level, "INFO" | "WARN" | "ERROR") {
            let l = line.to_string();
            for s in [host.as_str(), "127.0.0.1", DEMO_USER_ID, "get_json"] {
                assert!(!l.contains(s), "{s:?} at {level}: {l}");
            }
        }
    }

    // The client's own events: method, outcome, code, latency.
    let ours: Vec<&Value> = lines
        .iter()
        .filter(|l| l["target"] == LOG_TARGET && l["fields"]["outcome"].is_string())
        .collect();
    assert_eq!(ours.len(), 10, "{text}");
    for e in &ours {
        let f = &e["fields"];
        assert!(
            f["method"] == "CALL_NIK" || f["method"] == "CALL_VERIFY_BY_ELEMEN",
            "{e}"
        );
        assert!(f["latency_ms"].is_u64(), "{e}");
    }
    let outcomes: Vec<&str> = ours
        .iter()
        .map(|e| e["fields"]["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "found",
            "verdicts",
            "identity_result",
            "setup_error",
            "setup_error",
            "unavailable",
            "unavailable",
            "unavailable",
            "unavailable",
            "unavailable"
        ]
    );
    let codes: Vec<&str> = ours
        .iter()
        .filter_map(|e| e["fields"]["code"].as_str())
        .collect();
    assert_eq!(codes, ["01", "01", "13", "03", "03"]);
    let reasons: Vec<&str> = ours
        .iter()
        .filter_map(|e| e["fields"]["reason"].as_str())
        .collect();
    assert_eq!(
        reasons,
        [
            "http_status",
            "malformed_json",
            "breaker_open",
            "connection_lost",
            "connect_refused"
        ][..],
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l["fields"]["message"]
            == "upstream circuit breaker opened after consecutive failures"),
        "{text}"
    );
}
