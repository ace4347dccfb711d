//! `dukcapil-sim`: serve the simulated Dukcapil web service, or print sample residents.
//!
//! ```text
//! dukcapil-sim serve --bind 127.0.0.1:8081 --seed 3313 --population 100000 [--config sim.toml]
//! dukcapil-sim --export-sample 10 [--seed 3313] [--population 100000] [--all]
//! dukcapil-sim export-sample 10 [--seed 3313] [--all]
//! ```

#![forbid(unsafe_code)]

use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use dukcapil_sim::{Record, SimConfig, Simulator};
use serde::Serialize;

/// Simulator of the Dukcapil NIK web service (CALL_NIK, CALL_VERIFY_BY_ELEMEN), with a
/// synthetic population. All data is synthetic.
#[derive(Debug, Parser)]
#[command(name = "dukcapil-sim", version, about, long_about = None)]
struct Cli {
    /// Print N residents as JSON lines (upstream field names) and exit.
    #[arg(long, value_name = "N")]
    export_sample: Option<usize>,
    /// Population seed [default: 3313, or the config file's].
    #[arg(long, global = true)]
    seed: Option<u64>,
    /// Residents to generate; 0 = the regency's official population [default: 100000, or the
    /// config file's].
    #[arg(long, global = true)]
    population: Option<usize>,
    /// Regency code, e.g. 33.13 [default: 33.13, or the config file's].
    #[arg(long, global = true)]
    regency: Option<String>,
    /// TOML configuration (users, faults, latency, format...); flags override it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// With --export-sample: include deceased (11), inactive (14) and duplicated (12) records.
    #[arg(long)]
    all: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web service.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8081")]
        bind: String,
    },
    /// Print N residents as JSON lines and exit.
    ExportSample {
        /// How many residents.
        n: usize,
        /// Include deceased (11), inactive (14) and duplicated (12) records.
        #[arg(long)]
        all: bool,
    },
}

/// One exported line: the record and the code the simulator answers for it.
#[derive(Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    record: &'a Record,
    #[serde(rename = "RESPONSE_CODE")]
    code: &'static str,
    #[serde(rename = "RESPON")]
    respon: &'static str,
}

fn config(cli: &Cli) -> Result<SimConfig, String> {
    let mut cfg = match &cli.config {
        Some(path) => SimConfig::from_toml_file(path).map_err(|e| e.to_string())?,
        None => SimConfig::default(),
    };
    if let Some(seed) = cli.seed {
        cfg.seed = seed;
    }
    if let Some(population) = cli.population {
        cfg.population = population;
    }
    if let Some(regency) = &cli.regency {
        cfg.regency.clone_from(regency);
    }
    cfg.validate().map_err(|e| e.to_string())?;
    Ok(cfg)
}

fn build(cfg: SimConfig) -> Result<Simulator, String> {
    let started = Instant::now();
    let sim = Simulator::try_new(cfg).map_err(|e| e.to_string())?;
    tracing::info!(
        people = sim.population_size(),
        records = sim.record_count(),
        ms = started.elapsed().as_millis() as u64,
        "population generated"
    );
    Ok(sim)
}

fn export(cfg: SimConfig, n: usize, all: bool) -> Result<(), String> {
    let sim = build(cfg)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for (record, code) in sim.sample_records(n, !all) {
        let line = Line {
            record: &record,
            code: code.as_str(),
            respon: code.respon(),
        };
        let text = serde_json::to_string(&line).map_err(|e| e.to_string())?;
        if writeln!(out, "{text}").is_err() {
            return Ok(()); // reader went away (e.g. `| head`)
        }
    }
    let _ = out.flush();
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

fn serve(cfg: SimConfig, bind: &str) -> Result<(), String> {
    let users: Vec<String> = cfg
        .users
        .iter()
        .map(|u| {
            format!(
                "{}@{} (consumer {}, quota {}/day)",
                u.user_id, u.ip, u.consumer, u.daily_quota
            )
        })
        .collect();
    let sim = build(cfg)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|e| format!("cannot bind {bind}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        tracing::info!(%addr, users = ?users, "dukcapil-sim listening: POST /dukcapil/get_json/<consumer>/CALL_NIK | CALL_VERIFY_BY_ELEMEN");
        axum::serve(listener, sim.router())
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(calls = sim.calls(), "dukcapil-sim stopped");
        Ok(())
    })
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    let result = config(&cli).and_then(|cfg| match (&cli.command, cli.export_sample) {
        (Some(Command::Serve { .. }), Some(_)) | (Some(Command::ExportSample { .. }), Some(_)) => {
            Err("--export-sample cannot be combined with a subcommand".to_string())
        }
        (Some(Command::Serve { bind }), None) => serve(cfg, bind),
        (Some(Command::ExportSample { n, all }), None) => export(cfg, *n, *all || cli.all),
        (None, Some(n)) => export(cfg, n, cli.all),
        (None, None) => Err(
            "nothing to do: use `serve`, `export-sample N` or `--export-sample N` (see --help)"
                .to_string(),
        ),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dukcapil-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
