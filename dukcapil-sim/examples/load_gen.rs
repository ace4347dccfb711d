//! Load generator for the simulator: N concurrent HTTP/1.1 keep-alive clients (hyper) posting
//! CALL_NIK (or CALL_VERIFY_BY_ELEMEN) for sampled residents, a bounded number of requests,
//! loopback only. Prints requests/s and latency percentiles.
//!
//! ```text
//! # against a running server (started with a quota large enough, see docs/BENCHMARKS.md):
//! cargo run --release -p dukcapil-sim --example load_gen -- --url http://127.0.0.1:8081
//! # or with the simulator in this process:
//! cargo run --release -p dukcapil-sim --example load_gen
//! ```
//! The NIKs come from a simulator built locally with the same `--seed`/`--population` as the
//! server (the population is deterministic), so every request should answer 01.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark binary may panic on bad input

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use clap::Parser;
use dukcapil_sim::{SimConfig, SimUser, Simulator};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

#[derive(Debug, Parser)]
#[command(about = "Bounded loopback load generator for dukcapil-sim")]
struct Args {
    /// Base URL of a running simulator (loopback only), e.g. http://127.0.0.1:8081. Without it
    /// the simulator runs in this process.
    #[arg(long)]
    url: Option<String>,
    /// Total requests to send.
    #[arg(long, default_value_t = 200_000)]
    requests: u64,
    /// Concurrent clients (one keep-alive connection each).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Stop after this many seconds even if requests remain.
    #[arg(long, default_value_t = 60)]
    max_seconds: u64,
    /// Population of the server (to sample NIKs it knows).
    #[arg(long, default_value_t = 100_000)]
    population: usize,
    /// Seed of the server.
    #[arg(long, default_value_t = 3313)]
    seed: u64,
    /// Send CALL_VERIFY_BY_ELEMEN instead of CALL_NIK.
    #[arg(long)]
    verify: bool,
    /// Consumer code in the path.
    #[arg(long, default_value = "BPBD3313")]
    consumer: String,
    /// User ID.
    #[arg(long, default_value = "BPBD3313")]
    user: String,
    /// Password.
    #[arg(long, default_value = "sim-demo-password")]
    password: String,
}

/// Host and port of `url`, refusing anything that is not a loopback address.
fn loopback_target(url: &str) -> SocketAddr {
    let rest = url
        .strip_prefix("http://")
        .expect("only http:// URLs are supported");
    let authority = rest.split('/').next().unwrap_or(rest);
    let addr = authority
        .to_socket_addrs()
        .expect("resolvable host:port")
        .next()
        .expect("an address");
    let loopback = match addr.ip() {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => ip.is_loopback(),
    };
    assert!(
        loopback,
        "refusing non-loopback target {addr}: this tool only loads this machine"
    );
    addr
}

struct Worker {
    latencies_us: Vec<u32>,
    ok: u64,
    bad_answers: u64,
    errors: u64,
}

async fn connect(addr: SocketAddr) -> Option<hyper::client::conn::http1::SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await.ok()?;
    stream.set_nodelay(true).ok()?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(conn);
    Some(sender)
}

#[allow(clippy::too_many_arguments)]
async fn worker(
    addr: SocketAddr,
    path: Arc<str>,
    bodies: Arc<Vec<Bytes>>,
    next: Arc<AtomicU64>,
    total: u64,
    deadline: Instant,
    expected: &'static [u8],
) -> Worker {
    let mut w = Worker {
        latencies_us: Vec::with_capacity((total / 16) as usize),
        ok: 0,
        bad_answers: 0,
        errors: 0,
    };
    let mut sender = connect(addr).await;
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total || Instant::now() >= deadline {
            break;
        }
        let Some(s) = sender.as_mut() else {
            w.errors += 1;
            sender = connect(addr).await;
            continue;
        };
        let body = bodies[(i as usize) % bodies.len()].clone();
        let request = Request::post(&*path)
            .header("host", addr.to_string())
            .header("content-type", "application/json")
            .body(Full::new(body))
            .expect("request");
        let started = Instant::now();
        let result = async {
            s.ready().await?;
            let response = s.send_request(request).await?;
            let status = response.status();
            let bytes = response.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, bytes))
        }
        .await;
        match result {
            Ok((status, bytes)) => {
                w.latencies_us
                    .push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
                if status == 200 && bytes.windows(expected.len()).any(|win| win == expected) {
                    w.ok += 1;
                } else {
                    w.bad_answers += 1;
                }
            }
            Err(_) => {
                w.errors += 1;
                sender = connect(addr).await;
            }
        }
    }
    w
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let cfg = SimConfig {
        seed: args.seed,
        population: args.population,
        users: vec![SimUser {
            consumer: args.consumer.clone(),
            user_id: args.user.clone(),
            password: args.password.clone(),
            daily_quota: u32::MAX,
            ..SimUser::default()
        }],
        ..SimConfig::default()
    };
    let local = tokio::task::spawn_blocking(move || Simulator::try_new(cfg))
        .await
        .expect("generation task")
        .expect("valid configuration");
    let (addr, server) = match &args.url {
        Some(url) => (loopback_target(url), None),
        None => {
            let (addr, task) = local.bind("127.0.0.1:0").await.expect("bind loopback");
            (addr, Some(task))
        }
    };
    let method = if args.verify {
        "CALL_VERIFY_BY_ELEMEN"
    } else {
        "CALL_NIK"
    };
    let path: Arc<str> = format!("/dukcapil/get_json/{}/{method}", args.consumer).into();
    let bodies: Arc<Vec<Bytes>> = Arc::new(
        local
            .sample(1000)
            .iter()
            .map(|r| {
                let body = if args.verify {
                    serde_json::json!({
                        "NIK": r["NIK"], "USER_ID": args.user, "PASSWORD": args.password,
                        "IP_USER": "127.0.0.1", "TRESHOLD": 90,
                        "NAMA_LGKP": r["NAMA_LGKP"], "TGL_LHR": r["TGL_LHR"],
                        "TMPT_LHR": r["TMPT_LHR"], "JENIS_KLMIN": r["JENIS_KLMIN"],
                    })
                } else {
                    serde_json::json!({
                        "nik": r["NIK"], "user_id": args.user, "password": args.password,
                        "ip_user": "127.0.0.1",
                    })
                };
                Bytes::from(body.to_string())
            })
            .collect(),
    );
    assert!(!bodies.is_empty(), "no residents sampled");

    println!(
        "target            http://{addr}{path} ({})",
        if server.is_some() {
            "in-process"
        } else {
            "external"
        }
    );
    println!("clients           {}", args.concurrency);
    println!("requests (max)    {}", args.requests);

    let next = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.max_seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.concurrency)
        .map(|_| {
            tokio::spawn(worker(
                addr,
                path.clone(),
                bodies.clone(),
                next.clone(),
                args.requests,
                deadline,
                b"\"RESPONSE_CODE\":\"01\"",
            ))
        })
        .collect();
    let mut latencies = Vec::new();
    let (mut ok, mut bad, mut errors) = (0, 0, 0);
    for t in tasks {
        let w = t.await.expect("worker");
        latencies.extend(w.latencies_us);
        ok += w.ok;
        bad += w.bad_answers;
        errors += w.errors;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let done = latencies.len() as f64;
    println!("completed         {} in {elapsed:.2} s", latencies.len());
    println!("answers 01        {ok}");
    println!("other answers     {bad}");
    println!("transport errors  {errors}");
    println!("throughput        {:.0} req/s", done / elapsed);
    println!("latency p50       {:.3} ms", percentile(&latencies, 0.50));
    println!("latency p99       {:.3} ms", percentile(&latencies, 0.99));
    println!("latency p99.9     {:.3} ms", percentile(&latencies, 0.999));
    println!("latency max       {:.3} ms", percentile(&latencies, 1.0));
    if let Some(task) = server {
        task.abort();
    }
}
