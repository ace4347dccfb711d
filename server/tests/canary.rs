//! Verify and forget, checked from the outside: the simulator is seeded with residents whose
//! names, birth places and addresses are unique marker strings; 1,200 look-ups and
//! verifications of them run through SIGAP (1,000 through the web-service API, 200 through the
//! portal's Cek NIK server functions); then the SQLite file with its WAL and SHM (or a
//! `pg_dump` of the PostgreSQL database), every file under the data folder and all log output
//! at every level are searched for every marker and every marker NIK in clear: zero hits.
//! Positive controls make sure the markers did flow through SIGAP (the answers carry them) and
//! that the searched material is the real thing (it holds the institution's name).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;
mod auth_support;
mod common;

use api_support::Api;
use auth_support::spawn_with_upstream;
use common::TestDb;
use domain::dukcapil::ResponseCode;
use dukcapil_sim::SimUser;
use dukcapil_sim::config::DEMO_USER_ID;
use serde_json::json;
use sigap_server::storage::Actor;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use tracing_subscriber::fmt::MakeWriter;

/// Residents carrying markers.
const MARKED: usize = 25;
/// Look-ups plus verifications through the API.
const API_CALLS: usize = 1_000;
/// Look-ups plus verifications through the portal's server functions.
const PORTAL_CALLS: usize = 200;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Every log line of the process at every level, from every thread.
fn logs() -> &'static Buffer {
    static LOGS: OnceLock<Buffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(buffer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        buffer
    })
}

/// A resident made of markers.
struct Marked {
    nik: String,
    name: String,
    markers: Vec<String>,
}

fn seed_markers(sim: &dukcapil_sim::Simulator) -> Vec<Marked> {
    let mut out = Vec::new();
    let samples = sim.sample(MARKED * 2);
    let mut serial = 8001;
    for sample in samples {
        if out.len() == MARKED {
            break;
        }
        let base = sample["NIK"].as_str().unwrap();
        // Same region and birth date, a serial number nobody has.
        let nik = loop {
            let candidate = format!("{}{serial:04}", &base[..12]);
            serial += 1;
            if sim.lookup(&candidate).0 == ResponseCode::NotFound {
                break candidate;
            }
        };
        let tag = uuid::Uuid::new_v4().simple().to_string()[..12].to_uppercase();
        let mut spec = sim.resident_template(&nik).unwrap();
        spec.name = format!("KANARINAMA {tag}");
        spec.birth_place = format!("KANARILAHIR{tag}");
        spec.address = format!("JL KANARIALAMAT{tag}");
        let markers = vec![
            format!("KANARINAMA {tag}"),
            format!("KANARILAHIR{tag}"),
            format!("KANARIALAMAT{tag}"),
            // The bare tag catches any re-encoding that keeps the characters.
            tag.clone(),
        ];
        sim.insert_resident(spec).unwrap();
        out.push(Marked {
            nik,
            name: format!("KANARINAMA {tag}"),
            markers,
        });
    }
    assert_eq!(out.len(), MARKED);
    out
}

/// Every regular file below `dir`, concatenated.
fn files_below(dir: &Path, into: &mut Vec<u8>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_below(&path, into);
        } else if let Ok(bytes) = std::fs::read(&path) {
            into.extend(bytes);
        }
    }
}

async fn canary(db: TestDb) {
    let logs = logs();
    let sqlite_file = db
        .url
        .starts_with("sqlite:")
        .then(|| db.url.trim_start_matches("sqlite://").to_string());
    let pg_url = (!db.url.starts_with("sqlite:")).then(|| db.url.clone());
    let (app, sim) = spawn_with_upstream(db, |c| c.auth.second_factor_roles = vec![]).await;
    sim.upsert_user(SimUser {
        daily_quota: 1_000_000,
        ..SimUser::default()
    });
    app.storage
        .set_user_id_daily_limit(
            DEMO_USER_ID,
            Some(1_000_000),
            &Actor::system("test"),
            sigap_server::now_ms(),
        )
        .await
        .unwrap();
    let marked = Arc::new(seed_markers(&sim));
    let api = Api::for_service_account(&app, "Uji kanari").await;

    // Look-ups and verifications (half with the right name, half with a wrong one), eight at
    // a time.
    let mut seen_in_answers = 0;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..API_CALLS {
        let api = api.clone();
        let marked = Arc::clone(&marked);
        tasks.spawn(async move {
            let m = &marked[i % MARKED];
            let (path, body) = match i % 4 {
                0 | 1 => ("/api/v1/nik/lookup", json!({"nik": m.nik})),
                2 => (
                    "/api/v1/nik/verify",
                    json!({"nik": m.nik, "claimed": {"nama_lengkap": m.name}}),
                ),
                _ => (
                    "/api/v1/nik/verify",
                    json!({"nik": m.nik, "claimed": {"nama_lengkap": "BUKAN NAMANYA"}}),
                ),
            };
            let (status, answer) = api.post(path, &body).await;
            assert_eq!(status, 200, "{path}: {answer}");
            answer.to_string().contains(&m.name)
        });
        if tasks.len() >= 8 {
            seen_in_answers += usize::from(tasks.join_next().await.unwrap().unwrap());
        }
    }
    while let Some(r) = tasks.join_next().await {
        seen_in_answers += usize::from(r.unwrap());
    }
    assert_eq!(
        seen_in_answers,
        API_CALLS / 2,
        "every look-up answer carried its marker name (positive control)"
    );

    // The portal's Cek NIK (channel `web`): an operator signs in, accepts the NDA, looks
    // residents up and verifies them through the same server functions the page calls.
    let login = sigap_server::demo::DEMO_OPERATOR_1;
    let mut op = auth_support::Browser::new(&app);
    let r = op
        .server_fn(
            "sign_in",
            &[
                ("username", login.username),
                ("password", login.password.unwrap()),
            ],
        )
        .await;
    assert!(r.body.get("Ok").is_some(), "{:?}", r.body);
    let nda = op.server_fn("current_nda", &[]).await;
    let version = nda.body["version_id"].as_i64().unwrap().to_string();
    let r = op
        .server_fn("accept_nda", &[("version_id", &version)])
        .await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "{:?}", r.body);
    let mut portal_seen = 0;
    for i in 0..PORTAL_CALLS {
        let m = &marked[i % MARKED];
        let r = if i % 2 == 0 {
            op.server_fn("nik_lookup", &[("nik", &m.nik), ("purpose", "Uji kanari")])
                .await
        } else {
            op.server_fn(
                "nik_verify",
                &[
                    ("nik", &m.nik),
                    ("purpose", "Uji kanari"),
                    ("claimed[nama_lengkap]", &m.name),
                ],
            )
            .await
        };
        assert_eq!(r.status, reqwest::StatusCode::OK, "{:?}", r.body);
        portal_seen += usize::from(r.body.to_string().contains(&m.name));
    }
    assert_eq!(
        portal_seen,
        PORTAL_CALLS / 2,
        "every portal look-up carried its marker name (positive control)"
    );

    // What SIGAP keeps: the database (SQLite file + WAL + SHM, or a dump), the data folder,
    // the logs.
    let mut kept: Vec<u8> = Vec::new();
    match (&sqlite_file, &pg_url) {
        (Some(file), _) => kept.extend(common::sqlite_kept_text(file).into_bytes()),
        (None, Some(url)) => {
            let dump = std::process::Command::new("pg_dump")
                .arg("--data-only")
                .arg(url)
                .output()
                .expect("pg_dump runs");
            assert!(
                dump.status.success(),
                "{}",
                String::from_utf8_lossy(&dump.stderr)
            );
            kept.extend(dump.stdout);
        }
        (None, None) => unreachable!(),
    }
    files_below(&app.data_dir, &mut kept);
    let log_bytes = logs.0.lock().unwrap().clone();
    assert!(
        !log_bytes.is_empty(),
        "logs were captured (positive control)"
    );
    kept.extend(log_bytes);
    let hay = String::from_utf8_lossy(&kept);
    assert!(
        hay.contains("BPBD Kabupaten Karanganyar"),
        "the searched material holds the institution (positive control)"
    );
    let mut hits = Vec::new();
    for m in marked.iter() {
        for marker in m.markers.iter().chain(std::iter::once(&m.nik)) {
            if hay.contains(marker.as_str()) {
                hits.push(marker.clone());
            }
        }
    }
    assert!(hits.is_empty(), "population data was kept: {hits:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_marker_is_kept_on_sqlite() {
    canary(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_marker_is_kept_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        canary(db).await;
    }
}
