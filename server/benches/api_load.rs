//! Load benchmark of `POST /api/v1/nik/lookup` (issue 5, "Speed"): requests per second and
//! p50/p99 latency at 32 concurrent clients, against the Dukcapil simulator at zero latency,
//! for three paths in one run on this machine:
//!
//! 1. the simulator called directly (the upstream client → simulator);
//! 2. Debian nginx as a plain reverse proxy in front of the simulator (the upstream client →
//!    nginx → simulator); skipped with a note when `nginx` is not installed;
//! 3. SIGAP (HTTP client → `/api/v1/nik/lookup`: token, NIK parse, quota reservation, upstream
//!    call, nine-element filter, audit append, quota settlement) on SQLite, and on PostgreSQL
//!    when `SIGAP_BENCH_POSTGRES_URL` names a server (a fresh database is made and dropped).
//!
//! Run: `cargo bench -p server --bench api_load` (options: `SIGAP_BENCH_SECONDS`, default 10;
//! `SIGAP_BENCH_CLIENTS`, default 32). Load generator and servers share the machine's cores,
//! so the figures compare the paths with each other rather than measuring a dedicated server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::nik::Nik;
use secrecy::ExposeSecret;
use serde_json::json;
use sigap_server::Application;
use sigap_server::config::Config;
use sigap_server::storage::{Actor, Storage};
use sigap_server::upstream::{LookupOutcome, UpstreamClient};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Figures {
    requests: usize,
    errors: usize,
    seconds: f64,
    p50_us: u64,
    p99_us: u64,
}

impl Figures {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

/// Runs `call` from `clients` concurrent tasks for `seconds` (after a one-second warm-up);
/// `call` answers whether the request succeeded.
async fn load<F, Fut>(clients: usize, seconds: u64, call: F) -> Figures
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = bool> + Send,
{
    let warm_until = Instant::now() + Duration::from_secs(1);
    let end = warm_until + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let call = call.clone();
        tasks.spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0usize;
            let mut i = c;
            loop {
                let start = Instant::now();
                if start >= end {
                    break;
                }
                let ok = call(i).await;
                i += clients;
                if start >= warm_until {
                    lat.push(start.elapsed().as_micros() as u64);
                    errors += usize::from(!ok);
                }
            }
            (lat, errors)
        });
    }
    let mut all = Vec::new();
    let mut errors = 0;
    while let Some(r) = tasks.join_next().await {
        let (lat, e) = r.unwrap();
        all.extend(lat);
        errors += e;
    }
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    Figures {
        requests: all.len(),
        errors,
        seconds: seconds as f64,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
    }
}

fn print(name: &str, f: &Figures) {
    println!(
        "{name:<44} {:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({} requests, {} errors)",
        f.rps(),
        f.p50_us as f64 / 1000.0,
        f.p99_us as f64 / 1000.0,
        f.requests,
        f.errors
    );
}

/// nginx as a plain reverse proxy to `upstream`, in a temporary prefix; `None` when nginx is
/// not installed.
fn start_nginx(
    upstream: std::net::SocketAddr,
    dir: &std::path::Path,
) -> Option<(std::process::Child, u16)> {
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    std::fs::create_dir_all(dir.join("logs")).ok()?;
    let conf = format!(
        "worker_processes auto;\nerror_log {dir}/logs/error.log warn;\npid {dir}/nginx.pid;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {dir}/body;\n  proxy_temp_path {dir}/proxy;\n\
         fastcgi_temp_path {dir}/fcgi;\n  uwsgi_temp_path {dir}/uwsgi;\n  scgi_temp_path {dir}/scgi;\n\
         upstream sim {{ server {upstream}; keepalive 64; }}\n\
         server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      proxy_pass http://sim;\n\
         proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n    }}\n  }}\n}}\n",
        dir = dir.display()
    );
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf).ok()?;
    let child = std::process::Command::new(nginx)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&conf_path)
        .arg("-g")
        .arg("daemon off;")
        .spawn()
        .ok()?;
    std::thread::sleep(Duration::from_millis(500));
    Some((child, port))
}

/// Stops nginx as its master expects (SIGQUIT: the workers finish and exit with it). A
/// SIGKILL of the master alone would leave its workers running, holding the bench's stdout.
fn stop_nginx(child: &mut std::process::Child) {
    let stopped = std::process::Command::new("kill")
        .arg("-QUIT")
        .arg(child.id().to_string())
        .status()
        .is_ok_and(|s| s.success());
    if !stopped {
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// SIGAP on `database_url` with the simulator as upstream, the demo data seeded, a token of
/// the demo service account; returns the base URL and the token.
async fn start_sigap(
    database_url: String,
    data_dir: &std::path::Path,
    upstream: &sigap_server::upstream::UpstreamConfig,
) -> (String, String) {
    std::fs::create_dir_all(data_dir).unwrap();
    let mut config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: Some(database_url.clone()),
        data_dir: data_dir.to_path_buf(),
        institution: sigap_server::config::InstitutionSection {
            code: Some(sigap_server::demo::DEMO_INSTITUTION_CODE.into()),
        },
        ..Config::default()
    };
    config.upstream = upstream.clone();
    let storage: Arc<dyn Storage> = sigap_server::storage::connect(&database_url).await.unwrap();
    let now = sigap_server::now_ms();
    sigap_server::demo::seed(storage.as_ref(), now)
        .await
        .unwrap();
    storage
        .set_user_id_daily_limit(
            dukcapil_sim::config::DEMO_USER_ID,
            Some(1_000_000),
            &Actor::system("bench"),
            now,
        )
        .await
        .unwrap();
    let service = storage
        .list_accounts()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.role == domain::access::Role::Service)
        .unwrap();
    let (_, token) = sigap_server::auth::token::issue(
        storage.as_ref(),
        &service,
        "Benchmark",
        None,
        &Actor::system("bench"),
        now,
    )
    .await
    .unwrap();
    let app = Application::build_with_storage(config, storage, true)
        .await
        .unwrap();
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending()));
    (base, token.expose_secret().to_string())
}

async fn bench_sigap(
    name: &str,
    base: String,
    token: String,
    niks: Arc<Vec<String>>,
    clients: usize,
    seconds: u64,
) {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .unwrap();
    // Parsed and serialised once, as the other paths' client (`UpstreamClient`) holds its
    // URL parsed: the load generator shares the cores, so its own work per request counts
    // against the path it drives.
    let url = reqwest::Url::parse(&format!("{base}/api/v1/nik/lookup")).unwrap();
    let bearer = format!("Bearer {token}");
    let bodies: Arc<Vec<&'static [u8]>> = Arc::new(
        niks.iter()
            .map(|nik| {
                let body = serde_json::to_vec(&json!({"nik": nik, "purpose": "Benchmark"}));
                &*Box::leak(body.unwrap().into_boxed_slice())
            })
            .collect(),
    );
    let before = sigap_server::group_commit::stats();
    let f = load(clients, seconds, move |i| {
        let http = http.clone();
        let url = url.clone();
        let bearer = bearer.clone();
        let body = bodies[i % bodies.len()];
        async move {
            match http
                .post(url)
                .header(reqwest::header::AUTHORIZATION, bearer)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .await
            {
                Ok(r) => {
                    let ok = r.status().is_success();
                    let _ = r.bytes().await;
                    ok
                }
                Err(_) => false,
            }
        }
    })
    .await;
    print(name, &f);
    let after = sigap_server::group_commit::stats();
    let groups = (after.groups - before.groups).max(1);
    println!(
        "    group commit: {} groups, {:.1} writes per group, {:.2} ms per group",
        after.groups - before.groups,
        (after.writes - before.writes) as f64 / groups as f64,
        (after.commit_micros - before.commit_micros) as f64 / groups as f64 / 1000.0
    );
}

async fn bench_client(
    name: &str,
    client: UpstreamClient,
    niks: Arc<Vec<Nik>>,
    clients: usize,
    seconds: u64,
) {
    let f = load(clients, seconds, move |i| {
        let client = client.clone();
        let nik = niks[i % niks.len()];
        async move { matches!(client.call_nik(&nik).await, LookupOutcome::Found { .. }) }
    })
    .await;
    print(name, &f);
}

/// The allocator the `sigap` binary runs with (`server/src/main.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let seconds: u64 = std::env::var("SIGAP_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let clients: usize = std::env::var("SIGAP_BENCH_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32);
    // SIGAP_BENCH_PATHS: which paths to run (comma list of direct, nginx, sqlite, postgres;
    // default all), e.g. to profile one of them.
    let paths = std::env::var("SIGAP_BENCH_PATHS")
        .unwrap_or_else(|_| "direct,nginx,sqlite,postgres".into());
    let run = |p: &str| paths.split(',').any(|x| x.trim() == p);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let tmp = std::env::temp_dir().join(format!("sigap-bench-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&tmp).unwrap();
        let mut config = Config::default();
        let (sim_addr, sim) = sigap_server::demo::start_simulator(&mut config).await.unwrap();
        sim.upsert_user(dukcapil_sim::SimUser {
            daily_quota: u32::MAX,
            ..dukcapil_sim::SimUser::default()
        });
        let today = time::OffsetDateTime::now_utc().date();
        let nik_texts: Vec<String> = sim
            .sample(256)
            .iter()
            .map(|r| r["NIK"].as_str().unwrap().to_string())
            .collect();
        let niks: Arc<Vec<Nik>> = Arc::new(nik_texts.iter().map(|n| Nik::parse(n, today).unwrap()).collect());
        let nik_texts = Arc::new(nik_texts);
        println!("POST /api/v1/nik/lookup, simulator at zero latency, {clients} clients, {seconds} s each");

        if run("direct") {
            let direct = UpstreamClient::new(&config.upstream).unwrap();
            bench_client("simulator, called directly", direct, niks.clone(), clients, seconds).await;
        }

        let nginx = if run("nginx") { start_nginx(sim_addr, &tmp.join("nginx")) } else { None };
        match &nginx {
            Some((_, port)) => {
                let mut via = config.upstream.clone();
                via.base_url = Some(format!("http://127.0.0.1:{port}/dukcapil/get_json"));
                let client = UpstreamClient::new(&via).unwrap();
                bench_client("nginx reverse proxy -> simulator", client, niks.clone(), clients, seconds).await;
            }
            None if run("nginx") => println!("nginx reverse proxy -> simulator             skipped: nginx is not installed"),
            None => {}
        }

        if run("sqlite") {
            let sqlite = format!("sqlite://{}/bench.db", tmp.display());
            let (base, token) = start_sigap(sqlite, &tmp.join("sqlite"), &config.upstream).await;
            bench_sigap("SIGAP on SQLite -> simulator", base, token, nik_texts.clone(), clients, seconds).await;
        }

        if !run("postgres") {
        } else if let Ok(admin_url) = std::env::var("SIGAP_BENCH_POSTGRES_URL") {
            let name = format!("sigap_bench_{}", uuid::Uuid::new_v4().simple());
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url).await.unwrap();
            sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await.unwrap();
            let (prefix, _) = admin_url.rsplit_once('/').unwrap();
            let url = format!("{prefix}/{name}");
            let (base, token) = start_sigap(url, &tmp.join("pg"), &config.upstream).await;
            bench_sigap("SIGAP on PostgreSQL -> simulator", base, token, nik_texts.clone(), clients, seconds).await;
            let _ = sqlx::Executor::execute(&mut conn, format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
        } else {
            println!("SIGAP on PostgreSQL -> simulator             skipped: set SIGAP_BENCH_POSTGRES_URL");
        }
        if let Some((mut child, _)) = nginx {
            stop_nginx(&mut child);
        }
        let _ = std::fs::remove_dir_all(&tmp);
    });
}
