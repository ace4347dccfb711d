//! Test helpers: fresh databases on both backends and a real server on a random port.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sigap_server::{Application, config::Config, storage::Storage};
use std::{net::SocketAddr, path::PathBuf, sync::Arc};

/// A fresh, empty database of one backend; dropped databases are cleaned up by `cleanup`.
pub struct TestDb {
    pub url: String,
    pub name: String,
    admin_url: Option<String>,
    dir: Option<PathBuf>,
}

impl TestDb {
    /// A new SQLite file in its own temporary folder.
    pub fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(format!("sigap-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TestDb {
            url: format!("sqlite://{}", dir.join("sigap.db").display()),
            name: "sqlite".into(),
            admin_url: None,
            dir: Some(dir),
        }
    }

    /// The backend the HTTP-level tests run on: SQLite, or PostgreSQL when
    /// `SIGAP_TEST_BACKEND=postgres` (the test command runs those test binaries a second time
    /// that way, so every portal and authentication test runs on both backends).
    pub async fn chosen() -> TestDb {
        match std::env::var("SIGAP_TEST_BACKEND").as_deref() {
            Ok("postgres") => TestDb::postgres()
                .await
                .expect("SIGAP_TEST_BACKEND=postgres needs SIGAP_TEST_POSTGRES_URL"),
            Ok("sqlite") | Err(_) => TestDb::sqlite(),
            Ok(other) => panic!("SIGAP_TEST_BACKEND={other:?}: use sqlite or postgres"),
        }
    }

    /// A new PostgreSQL database next to `SIGAP_TEST_POSTGRES_URL`'s, or `None` when that is
    /// unset. With `SIGAP_TEST_REQUIRE_POSTGRES=1` (CI) an unset URL is a test failure.
    pub async fn postgres() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var("SIGAP_TEST_POSTGRES_URL") else {
            assert!(
                std::env::var("SIGAP_TEST_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "SIGAP_TEST_REQUIRE_POSTGRES=1 but SIGAP_TEST_POSTGRES_URL is not set"
            );
            eprintln!("PostgreSQL test skipped: SIGAP_TEST_POSTGRES_URL is not set");
            return None;
        };
        let name = format!("sigap_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url)
            .await
            .expect("connect to SIGAP_TEST_POSTGRES_URL");
        sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
        let url = replace_db_name(&admin_url, &name);
        Some(TestDb {
            url,
            name,
            admin_url: Some(admin_url),
            dir: None,
        })
    }

    /// Removes the database (PostgreSQL) or folder (SQLite).
    pub async fn cleanup(self) {
        if let Some(admin) = &self.admin_url {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(admin)
                .await
                .unwrap();
            sqlx::Executor::execute(
                &mut conn,
                format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str(),
            )
            .await
            .unwrap();
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A running server on 127.0.0.1 with a random port.
pub struct TestApp {
    pub addr: SocketAddr,
    pub storage: Arc<dyn Storage>,
    pub db: TestDb,
    pub data_dir: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
        self.db.cleanup().await;
    }
}

/// Starts SIGAP (demo data seeded) on SQLite.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(TestDb::sqlite()).await
}

/// Starts SIGAP (demo data seeded) on the given database.
pub async fn spawn_app_on(db: TestDb) -> TestApp {
    let data_dir = std::env::temp_dir().join(format!("sigap-data-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: Some(db.url.clone()),
        data_dir: data_dir.clone(),
        institution: sigap_server::config::InstitutionSection {
            code: Some(sigap_server::demo::DEMO_INSTITUTION_CODE.into()),
        },
        ..Config::default()
    };
    let storage = sigap_server::storage::connect(&db.url).await.unwrap();
    sigap_server::demo::seed(storage.as_ref(), sigap_server::now_ms())
        .await
        .unwrap();
    let app = Application::build_with_storage(config, storage.clone(), true)
        .await
        .unwrap();
    let addr = app.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        storage,
        db,
        data_dir,
        shutdown: Some(tx),
    }
}

#[test]
fn db_name_is_replaced_in_urls() {
    assert_eq!(
        replace_db_name("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        replace_db_name(
            "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
            "x"
        ),
        "postgres://postgres@127.0.0.1:5432/x?sslmode=disable"
    );
    assert_eq!(replace_db_name("postgres://h", "x"), "postgres://h/x");
}

/// What SQLite keeps of a database file on disk: the file with its WAL and shared-memory
/// files, as (lossy) text to search for strings that must never be stored.
pub fn sqlite_kept_text(db_file: &str) -> String {
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        if let Ok(b) = std::fs::read(format!("{db_file}{suffix}")) {
            bytes.extend(b);
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
