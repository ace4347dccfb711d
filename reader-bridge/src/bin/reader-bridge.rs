//! `reader-bridge`: runs the bridge with the PC/SC driver until Ctrl-C / SIGTERM.
#![forbid(unsafe_code)]

use clap::Parser;
use reader_bridge::config::{self, Cli};
use reader_bridge::hub::Hub;
use reader_bridge::pcsc_driver::{PcscDriver, spawn_monitor};
use reader_bridge::server;
use std::process::ExitCode;
use std::sync::Arc;

#[tokio::main]
async fn main() -> ExitCode {
    reader_bridge::telemetry::init(std::env::var("RUST_LOG").ok().as_deref(), std::io::stderr);
    let cli = Cli::parse();
    let config = match config::load(&cli, std::env::var("READER_BRIDGE_SECRET").ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("reader-bridge: {e}");
            return ExitCode::from(2);
        }
    };
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reader-bridge: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: config::Config) -> std::io::Result<()> {
    let (events_tx, events_rx) = tokio::sync::mpsc::unbounded_channel();
    let monitor = spawn_monitor(events_tx)?;
    let hub = Hub::start(Arc::new(PcscDriver::new()), config.hub.clone(), events_rx);
    let (listeners, port) = server::bind_loopback(config.port).await?;
    for l in &listeners {
        tracing::info!(addr = %l.local_addr()?, "listening");
    }
    let router = server::router(hub, config.server_settings(port), server::system_clock());
    let result = server::serve(listeners, router, shutdown_signal()).await;
    monitor.stop();
    result
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
    tracing::info!("shutting down");
}
