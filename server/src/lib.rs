//! SIGAP server: the `sigap` binary's library. Configuration, storage, the HTTP surface and
//! start-up live here so integration tests can start a real server on a random port.
#![forbid(unsafe_code)]

pub mod admin;
pub mod audit;
pub mod auth;
pub mod config;
pub mod demo;
pub mod error;
pub mod group_commit;
pub mod hit_pool;
pub mod portal;
pub mod quota;
pub mod read_cache;
pub mod secrets;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod upstream;
pub mod verification;
pub mod web;

use crate::{
    config::Config,
    state::{AppState, AppStateInner},
    storage::Storage,
};
use leptos::prelude::LeptosOptions;
use std::{
    future::Future,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
};
use tokio::net::TcpListener;

/// Why SIGAP could not start. Each message names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("data directory {path}: {reason} (configuration key `data_dir` / SIGAP_DATA_DIR)")]
    DataDir { path: PathBuf, reason: String },
    #[error(
        "site files not found at {path} (configuration key `site_root` / SIGAP_SITE_ROOT); \
         build them with `cargo leptos build --release`"
    )]
    Site { path: PathBuf },
    #[error("database: {0} (configuration key `database_url` / SIGAP_DATABASE_URL)")]
    Storage(#[from] storage::StorageError),
    #[error("cannot listen on {addr}: {source} (configuration key `bind` / SIGAP_BIND)")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Upstream(#[from] upstream::UpstreamSetupError),
    #[error("{0}")]
    Demo(String),
    #[error(
        "{} account(s) still have a published demo password ({}): outside demo mode SIGAP does \
         not start until each has a new password (`sigap admin account set-password --username \
         NAME --password-stdin`) or is deactivated (`sigap admin account deactivate --username \
         NAME`)",
        .0.len(),
        .0.join(", ")
    )]
    DemoPasswords(Vec<String>),
    #[error("{0}")]
    Secrets(#[from] secrets::SecretsError),
    #[error("{0}")]
    Audit(#[from] audit::AuditError),
}

/// Outside demo mode, refuses to go on while an active account still has a demo password.
pub async fn refuse_demo_passwords(storage: &dyn Storage) -> Result<(), StartupError> {
    let left = storage.accounts_with_demo_password().await?;
    if left.is_empty() {
        Ok(())
    } else {
        Err(StartupError::DemoPasswords(left))
    }
}

/// Checks that the data directory exists and that we can write in it.
pub fn check_data_dir(path: &Path) -> Result<(), StartupError> {
    let err = |reason: String| StartupError::DataDir {
        path: path.to_path_buf(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot be read: {e}")))?;
    if !meta.is_dir() {
        return Err(err("is not a directory".into()));
    }
    let probe = path.join(format!(".sigap-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"ok").map_err(|e| err(format!("is not writable: {e}")))?;
    std::fs::remove_file(&probe).map_err(|e| err(format!("is not writable: {e}")))?;
    Ok(())
}

/// Checks that `cargo leptos build` output (the hydrate bundle) is present.
pub fn check_site_root(path: &Path) -> Result<(), StartupError> {
    if path.join("pkg").join("sigap.js").is_file() {
        Ok(())
    } else {
        Err(StartupError::Site {
            path: path.to_path_buf(),
        })
    }
}

/// Leptos' options from our configuration (no Cargo.toml needed at run time).
pub fn leptos_options(config: &Config, addr: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("sigap")
        .site_root(config.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build()
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    addr: SocketAddr,
    storage: Arc<dyn Storage>,
    audit: Arc<audit::AuditKeys>,
    /// The access path's writer (its leased hits are given back at shutdown).
    writer: group_commit::GroupWriter,
}

impl Application {
    /// Connects storage (applying migrations), binds the listener and builds the router.
    pub async fn build(config: Config, demo: bool) -> Result<Application, StartupError> {
        let storage = storage::connect(&config.effective_database_url()).await?;
        Self::build_with_storage(config, storage, demo).await
    }

    /// As [`Application::build`], with storage already connected (tests, demo seeding).
    pub async fn build_with_storage(
        config: Config,
        storage: Arc<dyn Storage>,
        demo: bool,
    ) -> Result<Application, StartupError> {
        if !demo {
            refuse_demo_passwords(storage.as_ref()).await?;
        }
        let secrets = secrets::Keyring::load(&config.secrets, &config.data_dir, demo)?;
        if secrets.is_none() {
            tracing::warn!(
                "[secrets] has no key: Dukcapil user-ID credentials can be neither stored nor used"
            );
        }
        let audit = Arc::new(audit::AuditKeys::load(
            &config.audit,
            &config.data_dir,
            demo,
        )?);
        if audit.signer.is_none() {
            tracing::warn!(
                "[audit] has no signing_key_file: no signed checkpoints of the audit chain are written"
            );
        }
        if audit.nik.is_none() {
            tracing::warn!("[audit] has no nik_key_file: NIK access attempts cannot be audited");
        }
        let listener =
            TcpListener::bind(config.bind)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: config.bind,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: config.bind,
            source,
        })?;
        let upstream = if config.upstream.is_configured() {
            Some(upstream::UpstreamClient::new(&config.upstream)?)
        } else {
            tracing::warn!("[upstream] is not configured: NIK look-ups are unavailable");
            None
        };
        let auth = auth::Auth::new(storage.clone(), &config.auth, addr, auth::Clock::system())?;
        let writer =
            group_commit::GroupWriter::with_leases(storage.clone(), config.check.quota_lease_max);
        let state = AppState::new(AppStateInner {
            storage: storage.clone(),
            writer: writer.clone(),
            reads: read_cache::ReadCache::new(
                storage.clone(),
                std::time::Duration::from_millis(config.check.read_cache_ms),
            ),
            upstream,
            user_id_clients: Default::default(),
            leptos_options: leptos_options(&config, addr),
            config: Arc::new(config),
            demo,
            secrets: secrets.map(Arc::new),
            auth: Arc::new(auth),
            audit: Some(audit.clone()),
        });
        Ok(Application {
            listener,
            router: web::router(state),
            addr,
            storage,
            audit,
            writer,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn storage(&self) -> Arc<dyn Storage> {
        self.storage.clone()
    }

    /// The audit keys in force (NIK key, checkpoint signer, checkpoint file).
    pub fn audit(&self) -> Arc<audit::AuditKeys> {
        self.audit.clone()
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests. Meanwhile signed
    /// checkpoints of the audit chain are written every `[audit] checkpoint_interval_secs`
    /// when it moved, and once more at the end.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let interval = self.audit.checkpoint_interval;
        let checkpointer =
            audit::Checkpointer::spawn(self.storage.clone(), self.audit.clone(), interval);
        // Pools a quiet server holds go back, so other replicas and capped operators can
        // use those hits.
        let sweeper = {
            let writer = self.writer.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
                loop {
                    tick.tick().await;
                    writer.return_idle(std::time::Duration::from_secs(10));
                }
            })
        };
        let result = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        sweeper.abort();
        // Hits leased and not handed out go back to the day's quota.
        if let Err(e) = self.writer.return_pooled().await {
            tracing::error!(code = e.code(), "leased quota hits could not be given back");
        }
        // Writes queued without waiting (hits given back) land before the process exits
        // with the writer's thread.
        self.writer.flush().await;
        if let Some(c) = checkpointer {
            c.shutdown().await;
        }
        result
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested, finishing in-flight requests");
}

/// Milliseconds since the Unix epoch, for stored timestamps.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Western Indonesia Time (UTC+7): quota days and "today" are WIB calendar days.
pub const WIB: time::UtcOffset = time::macros::offset!(+7);

/// Today's date in WIB.
pub fn wib_today() -> time::Date {
    time::OffsetDateTime::now_utc().to_offset(WIB).date()
}
