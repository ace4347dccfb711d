//! SIGAP alone in its own process, for `scripts/bench-api-split` (docs/BENCHMARKS.md): the
//! web-service API on the database `SIGAP_SPLIT_DB` (a `sqlite://` file or a `postgres://`
//! database, migrated and seeded with the demo data here), its upstream the simulator served by
//! another process at `SIGAP_SPLIT_UPSTREAM` (a `…/dukcapil/get_json` base URL, demo
//! credentials), on `SIGAP_SPLIT_BIND` (default 127.0.0.1:18080), its data directory (audit
//! checkpoints) `SIGAP_SPLIT_DATA_DIR` (default a new one under the temporary directory, left
//! behind: the script passes one inside its own, which it removes).
//! Prints one line, the base URL and a fresh token of the demo service account, then serves
//! until killed. With each server in its own process, the CPU each spends per request can be
//! read from `/proc`.
//!
//! Synthetic data only (the demo seed); the token is printed for the load generator on the same
//! machine and is worth nothing outside this throw-away database.

#![forbid(unsafe_code)]

use secrecy::ExposeSecret;
use sigap_server::Application;
use sigap_server::config::Config;
use sigap_server::storage::{Actor, Storage};
use std::sync::Arc;

/// The allocator the `sigap` binary runs with (`server/src/main.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env(key: &str) -> Result<String, String> {
    std::env::var(key).map_err(|_| format!("set {key} (see scripts/bench-api-split)"))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    use dukcapil_sim::config as sim;
    let database_url = env("SIGAP_SPLIT_DB")?;
    let data_dir = std::env::var_os("SIGAP_SPLIT_DATA_DIR").map_or_else(
        || std::env::temp_dir().join(format!("sigap-split-{}", std::process::id())),
        std::path::PathBuf::from,
    );
    std::fs::create_dir_all(&data_dir).map_err(|e| e.to_string())?;
    let bind = std::env::var("SIGAP_SPLIT_BIND").unwrap_or_else(|_| "127.0.0.1:18080".into());
    let mut config = Config {
        bind: bind.parse().map_err(|e| format!("SIGAP_SPLIT_BIND: {e}"))?,
        database_url: Some(database_url.clone()),
        data_dir,
        institution: sigap_server::config::InstitutionSection {
            code: Some(sigap_server::demo::DEMO_INSTITUTION_CODE.into()),
        },
        ..Config::default()
    };
    let up = &mut config.upstream;
    up.base_url = Some(env("SIGAP_SPLIT_UPSTREAM")?);
    up.consumer = sim::DEMO_CONSUMER.into();
    up.user_id = sim::DEMO_USER_ID.into();
    up.password = Some(sigap_server::upstream::UpstreamPassword::new(
        sim::DEMO_PASSWORD,
    ));
    up.password_file = None;
    up.ip_user = sim::DEMO_IP.into();
    let storage: Arc<dyn Storage> = sigap_server::storage::connect(&database_url)
        .await
        .map_err(|e| e.to_string())?;
    let now = sigap_server::now_ms();
    let bench = Actor::system("bench");
    sigap_server::demo::seed(storage.as_ref(), now)
        .await
        .map_err(|e| e.to_string())?;
    // The largest daily quota an admin may set: room for a few minutes of load.
    storage
        .set_user_id_daily_limit(sim::DEMO_USER_ID, Some(1_000_000), &bench, now)
        .await
        .map_err(|e| e.to_string())?;
    let service = storage
        .list_accounts()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|a| a.role == domain::access::Role::Service)
        .ok_or("the demo seed has no service account")?;
    let (_, token) = sigap_server::auth::token::issue(
        storage.as_ref(),
        &service,
        "Benchmark",
        None,
        &bench,
        now,
    )
    .await
    .map_err(|e| e.to_string())?;
    let app = Application::build_with_storage(config, storage, true)
        .await
        .map_err(|e| e.to_string())?;
    println!("http://{} {}", app.local_addr(), token.expose_secret());
    app.run_until(std::future::pending())
        .await
        .map_err(|e| e.to_string())
}
