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
    /// NIK tools that need no database and spend no quota.
    #[command(subcommand)]
    Nik(NikCommand),
    /// Administration from the console: first accounts, institutions, password resets.
    #[command(subcommand)]
    Admin(sigap_server::admin::AdminCommand),
    /// The audit trail: verify the hash chain and its signed checkpoints, write a checkpoint.
    #[command(subcommand)]
    Audit(sigap_server::audit::cli::AuditCommand),
}

#[derive(Subcommand)]
enum NikCommand {
    /// Decode a NIK locally (region, sex, birth date) and print one JSON object.
    /// Exit status 0 for a valid NIK, 2 for an invalid one.
    Inspect {
        /// The NIK; spaces, dots and hyphens are ignored.
        nik: String,
        /// Date used to choose the birth century (default: today in WIB), YYYY-MM-DD.
        #[arg(long, value_parser = parse_date)]
        today: Option<time::Date>,
    },
}

fn parse_date(s: &str) -> Result<time::Date, String> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("expected a date as YYYY-MM-DD, got {s:?}"))
}

fn nik_inspect(nik: &str, today: Option<time::Date>) -> ExitCode {
    let report = domain::nik::inspect(nik, today.unwrap_or_else(sigap_server::wib_today));
    match serde_json::to_string(&report) {
        Ok(json) => println!("{json}"),
        Err(e) => {
            eprintln!("sigap: cannot encode the report: {e}");
            return ExitCode::FAILURE;
        }
    }
    if report.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

/// mimalloc instead of glibc's malloc: under API load glibc's allocation paths (`_int_malloc`,
/// `_int_free`, `malloc_consolidate`, …) were ~15 % of the samples (docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(&e.into()),
    };
    if let Command::Nik(NikCommand::Inspect { nik, today }) = &cli.command {
        return nik_inspect(nik, *today);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sigap: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Command::Admin(command) = cli.command {
        return runtime.block_on(admin(config, command));
    }
    if let Command::Audit(command) = cli.command {
        return runtime.block_on(sigap_server::audit::cli::run(config, command));
    }
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve => serve(config, false).await,
            Command::Demo => serve(config, true).await,
            Command::Nik(_) | Command::Admin(_) | Command::Audit(_) => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// `sigap admin ...` against the configured database (migrations applied first).
async fn admin(config: Config, command: sigap_server::admin::AdminCommand) -> ExitCode {
    if config.database_url.is_none()
        && let Err(e) = check_data_dir(&config.data_dir)
    {
        return fail(&e);
    }
    let storage = match sigap_server::storage::connect(&config.effective_database_url()).await {
        Ok(s) => s,
        Err(e) => return fail(&e.into()),
    };
    let mut stdin = std::io::stdin().lock();
    match sigap_server::admin::run(storage.as_ref(), command, &mut stdin, now_ms()).await {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sigap: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn fail(e: &StartupError) -> ExitCode {
    eprintln!("sigap: {e}");
    ExitCode::FAILURE
}

async fn serve(config: Config, demo_mode: bool) -> Result<(), StartupError> {
    let mut config = if demo_mode {
        demo::prepare_config(config)?
    } else {
        config
    };
    telemetry::init(config.log_format);
    let simulator = if demo_mode {
        Some(demo::start_simulator(&mut config).await?)
    } else {
        None
    };
    check_data_dir(&config.data_dir)?;
    check_site_root(&config.site_root)?;
    let storage = sigap_server::storage::connect(&config.effective_database_url()).await?;
    if demo_mode {
        demo::seed(storage.as_ref(), now_ms()).await?;
        if let Some(keyring) =
            sigap_server::secrets::Keyring::load(&config.secrets, &config.data_dir, true)?
        {
            demo::seed_credentials(storage.as_ref(), &keyring, now_ms()).await?;
        }
    }
    let app = Application::build_with_storage(config, storage, demo_mode).await?;
    let url = format!("http://{}", app.local_addr());
    tracing::info!(%url, demo = demo_mode, "SIGAP listening");
    if demo_mode {
        println!();
        println!("  SIGAP demo berjalan di / is running at: {url}");
        println!(
            "  Masuk / sign in: http://localhost:{}/masuk  (passkey/WebAuthn perlu / needs localhost)",
            app.local_addr().port()
        );
        println!("  Data: sintetis (synthetic) · basis data / database: SQLite di ./data/");
        if let Some((addr, sim)) = &simulator {
            println!(
                "  Simulator Dukcapil / Dukcapil simulator: http://{addr} ({} penduduk sintetis / synthetic residents)",
                sim.population_size()
            );
            println!("  Contoh NIK / sample NIKs: dukcapil-sim --export-sample 5");
        }
        println!(
            "  Akun demo / demo logins (peran / role, nama pengguna / username, kata sandi / password):"
        );
        for line in demo::login_lines() {
            println!("    {line}");
        }
        println!("  Hentikan dengan / stop with: Ctrl-C");
        println!();
    }
    app.run_until(shutdown_signal())
        .await
        .map_err(|e| StartupError::Demo(format!("server stopped with an error: {e}")))
}
