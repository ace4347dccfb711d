//! The `sigap` command: `serve`, `demo`, and the tools that share their configuration.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use sigap_server::{
    Application, StartupError, check_data_dir, check_site_root, config::Config, demo, now_ms,
    shutdown_signal, telemetry,
};
use std::{path::PathBuf, process::ExitCode};

/// SIGAP: gateway and portal for lawful use of population data (NIK).
#[derive(Parser)]
#[command(name = "sigap", version, about)]
struct Cli {
    /// Configuration file (default: ./sigap.toml if present). Also `SIGAP_CONFIG`.
    #[arg(long, global = true, env = "SIGAP_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the portal with the configured database and upstream.
    Serve,
    /// Run the demo portal: SQLite under ./data/, synthetic data, loopback only.
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(&e.into()),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sigap: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve => serve(config, false).await,
            Command::Demo => serve(config, true).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(e: &StartupError) -> ExitCode {
    eprintln!("sigap: {e}");
    ExitCode::FAILURE
}

async fn serve(config: Config, demo_mode: bool) -> Result<(), StartupError> {
    let config = if demo_mode {
        demo::prepare_config(config)?
    } else {
        config
    };
    telemetry::init(config.log_format);
    check_data_dir(&config.data_dir)?;
    check_site_root(&config.site_root)?;
    let storage = sigap_server::storage::connect(&config.effective_database_url()).await?;
    if demo_mode {
        demo::seed(storage.as_ref(), now_ms()).await?;
    }
    let app = Application::build_with_storage(config, storage, demo_mode).await?;
    let url = format!("http://{}", app.local_addr());
    tracing::info!(%url, demo = demo_mode, "SIGAP listening");
    if demo_mode {
        println!();
        println!("  SIGAP demo berjalan di / is running at: {url}");
        println!("  Data: sintetis (synthetic) · basis data / database: SQLite di ./data/");
        println!("  Hentikan dengan / stop with: Ctrl-C");
        println!();
    }
    app.run_until(shutdown_signal())
        .await
        .map_err(|e| StartupError::Demo(format!("server stopped with an error: {e}")))
}
