//! Transport faults and latency over a real loopback connection (`spawn` + reqwest).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::time::{Duration, Instant};

use dukcapil_sim::special::{code_nik, fault_nik};
use dukcapil_sim::{Fault, FaultPlan, Latency, ResponseCode, SimConfig, Simulator, spawn};
use serde_json::{Value, json};

async fn start(plan: FaultPlan) -> (String, Simulator, tokio::task::JoinHandle<()>) {
    let cfg = SimConfig {
        population: 1_000,
        faults: plan,
        ..SimConfig::default()
    };
    let (addr, sim, task) = spawn(cfg).await.unwrap();
    (
        format!("http://{addr}/dukcapil/get_json/BPBD3313/CALL_NIK"),
        sim,
        task,
    )
}

fn body(nik: &str) -> Value {
    json!({"nik": nik, "user_id": "BPBD3313", "password": "sim-demo-password", "ip_user": "127.0.0.1"})
}

fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder().timeout(timeout).build().unwrap()
}

fn quick_plan() -> FaultPlan {
    FaultPlan {
        hang_ms: 30_000,
        long_delay_ms: 400,
        slow_chunk_bytes: 64,
        slow_interval_ms: 30,
        ..FaultPlan::default()
    }
}

fn fault_nik_of(fault: Fault) -> String {
    fault_nik(fault).unwrap()
}

#[tokio::test]
async fn http_500_and_malformed_json() {
    let (url, _sim, task) = start(quick_plan()).await;
    let c = client(Duration::from_secs(10));

    let r = c
        .post(&url)
        .json(&body(&fault_nik_of(Fault::Http500)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert!(r.text().await.unwrap().contains("Internal Server Error"));

    let r = c
        .post(&url)
        .json(&body(&fault_nik_of(Fault::MalformedJson)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let text = r.text().await.unwrap();
    assert!(text.starts_with("{\"content\":[{"), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    // A healthy call on the same server still works.
    let r = c
        .post(&url)
        .json(&body(&code_nik(ResponseCode::Found)))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["content"][0]["RESPONSE_CODE"], "01");
    task.abort();
}

#[tokio::test]
async fn connection_reset_mid_body() {
    let (url, sim, task) = start(quick_plan()).await;
    let c = client(Duration::from_secs(10));
    // The status line and headers arrive, then the body breaks off.
    let r = c
        .post(&url)
        .json(&body(&fault_nik_of(Fault::Reset)))
        .send()
        .await
        .expect("headers arrive before the reset");
    assert_eq!(r.status(), 200);
    let err = r.bytes().await.expect_err("the body must break off");
    assert!(!err.is_timeout(), "{err:?}");
    // The request was processed (and charged) before the answer was lost.
    assert_eq!(sim.quota_used("BPBD3313"), 1);
    task.abort();
}

#[tokio::test]
async fn slow_body_trickles_the_whole_answer() {
    let (url, _sim, task) = start(quick_plan()).await;
    let c = client(Duration::from_secs(30));
    let started = Instant::now();
    let r = c
        .post(&url)
        .json(&body(&fault_nik_of(Fault::SlowBody)))
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    let elapsed = started.elapsed();
    let chunks = text.len().div_ceil(64) as u32;
    assert!(chunks > 5, "{}", text.len());
    assert!(
        elapsed >= Duration::from_millis(30) * (chunks - 1),
        "{elapsed:?} for {chunks} chunks"
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["content"][0]["RESPONSE_CODE"], "01");
    task.abort();
}

#[tokio::test]
async fn timeout_never_answers_and_long_delay_answers_late() {
    let (url, _sim, task) = start(quick_plan()).await;
    let c = client(Duration::from_millis(500));
    let started = Instant::now();
    let err = c
        .post(&url)
        .json(&body(&fault_nik_of(Fault::Timeout)))
        .send()
        .await
        .expect_err("no answer within the client's timeout");
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() >= Duration::from_millis(500));

    let c = client(Duration::from_secs(10));
    let started = Instant::now();
    let r = c
        .post(&url)
        .json(&body(&fault_nik_of(Fault::LongDelay)))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(v["content"][0]["RESPONSE_CODE"], "01");
    task.abort();
}

#[tokio::test]
async fn hang_ends_by_dropping_the_connection() {
    let plan = FaultPlan {
        hang_ms: 200,
        ..quick_plan()
    };
    let (url, _sim, task) = start(plan).await;
    let c = client(Duration::from_secs(10));
    let started = Instant::now();
    let err = c
        .post(&url)
        .json(&body(&fault_nik_of(Fault::Timeout)))
        .send()
        .await
        .expect_err("not even a status line arrives");
    assert!(!err.is_timeout(), "dropped, not timed out: {err:?}");
    assert!(started.elapsed() >= Duration::from_millis(200));
    task.abort();
}

#[tokio::test]
async fn random_and_by_nik_faults_and_latency() {
    let (url, sim, task) = start(quick_plan()).await;
    let c = client(Duration::from_secs(10));
    let nik = sim.sample(1)[0]["NIK"].as_str().unwrap().to_string();

    sim.set_fault_plan(quick_plan().with_random(Fault::Http500, 1.0));
    for _ in 0..3 {
        let r = c.post(&url).json(&body(&nik)).send().await.unwrap();
        assert_eq!(r.status(), 500);
    }
    sim.set_fault_plan(quick_plan().with_random(Fault::Code(ResponseCode::CannotProcess), 1.0));
    let v: Value = c
        .post(&url)
        .json(&body(&nik))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["content"][0]["RESPONSE_CODE"], "08");

    sim.set_fault_plan(quick_plan().with_nik(nik.clone(), Fault::MalformedJson));
    let text = c
        .post(&url)
        .json(&body(&nik))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err());
    let other = sim.sample(2)[1]["NIK"].as_str().unwrap().to_string();
    let v: Value = c
        .post(&url)
        .json(&body(&other))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["content"][0]["RESPONSE_CODE"], "01",
        "other NIKs are unaffected"
    );

    sim.set_fault_plan(quick_plan());
    sim.set_latency(Latency::Fixed { ms: 250 });
    let started = Instant::now();
    let v: Value = c
        .post(&url)
        .json(&body(&nik))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert_eq!(v["content"][0]["RESPONSE_CODE"], "01");
    sim.set_latency(Latency::None);
    task.abort();
}

#[tokio::test]
async fn random_fault_rate_is_respected() {
    let plan = quick_plan().with_random(Fault::Http500, 0.3);
    let (url, sim, task) = start(plan).await;
    let c = client(Duration::from_secs(10));
    let nik = sim.sample(1)[0]["NIK"].as_str().unwrap().to_string();
    let mut errors = 0;
    for _ in 0..300 {
        if c.post(&url)
            .json(&body(&nik))
            .send()
            .await
            .unwrap()
            .status()
            == 500
        {
            errors += 1;
        }
    }
    assert!((50..130).contains(&errors), "{errors} of 300 at p = 0.3");
    assert_eq!(sim.calls(), 300);
    task.abort();
}
