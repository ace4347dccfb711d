//! The Cek NIK server functions end to end against the in-process Dukcapil simulator
//! (`nik_lookup`, `nik_verify`, `quota_status`, `earlier_verdict`, `access_problems`): an
//! operator's session goes through the one verification pipeline with channel `web`; before
//! the NDA, with an invalid NIK, without a purpose or without claims nothing is spent and the
//! pipeline's refusals are audited; a look-up returns the nine elements with `no-store`; a
//! verification returns Sesuai / Tidak Sesuai per element; the quota meter moves by exactly
//! the hits spent; an earlier verdict on the same NIK is found (and only within the window, only
//! for the institution); setup errors (quota exhausted) show up as "Masalah akses" for the
//! institution admin; roles without the permission are refused before anything happens; no
//! resident's name reaches the database (SQLite and PostgreSQL).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth_support;
mod common;

use auth_support::{AuthApp, Browser, spawn_with_upstream};
use common::TestDb;
use domain::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sigap_server::demo::{DEMO_HEAD, DEMO_INSTITUTION_ADMIN, DEMO_OPERATOR_1};
use sigap_server::storage::{AccessEventFilter, Actor};

const PURPOSE: &str = "Banjir Jumantono 2026";

async fn signed_in(app: &AuthApp, username: &str, password: &str) -> Browser {
    Browser::signed_in(app, username, password).await
}

async fn accept_nda(b: &mut Browser) {
    let nda = b.server_fn("current_nda", &[]).await;
    assert_eq!(nda.status, StatusCode::OK, "{:?}", nda.body);
    let id = nda.body["version_id"].as_i64().unwrap().to_string();
    let r = b.server_fn("accept_nda", &[("version_id", &id)]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

async fn quota_used(b: &mut Browser) -> i64 {
    let r = b.server_fn("quota_status", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["used"].as_i64().unwrap()
}

fn rejected(code: &str) -> Value {
    json!({ "Rejected": { "code": code } })
}

/// A page's HTML as the browser with `b`'s session gets it.
async fn page_text(app: &AuthApp, b: &mut Browser, path: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client
        .get(app.url(path))
        .header(
            reqwest::header::COOKIE,
            format!("sigap_session={}", b.cookie.clone().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

async fn web_entries(app: &AuthApp) -> Vec<sigap_server::storage::AccessEvent> {
    app.storage
        .search_access_events(&AccessEventFilter {
            institution_id: Some(app.institution_id),
            limit: 1000,
            ..AccessEventFilter::default()
        })
        .await
        .unwrap()
}

async fn story(db: TestDb) {
    let is_sqlite = db.url.starts_with("sqlite:");
    let db_file = db.url.trim_start_matches("sqlite://").to_string();
    let (app, sim) = spawn_with_upstream(db, |c| c.auth.second_factor_roles = vec![]).await;
    let residents = sim.sample(3);
    let nik = residents[0]["NIK"].as_str().unwrap().to_string();
    let name = residents[0]["NAMA_LGKP"].as_str().unwrap().to_string();
    let other_nik = residents[1]["NIK"].as_str().unwrap().to_string();

    let op_login = DEMO_OPERATOR_1;
    let mut op = signed_in(&app, op_login.username, op_login.password.unwrap()).await;
    let start = quota_used(&mut op).await;
    let lookup = |nik: &str, purpose: &str| {
        vec![
            ("nik".to_string(), nik.to_string()),
            ("purpose".to_string(), purpose.to_string()),
        ]
    };
    async fn call(
        b: &mut Browser,
        name: &str,
        args: Vec<(String, String)>,
    ) -> auth_support::Answer {
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        b.server_fn(name, &args).await
    }

    // Before the NDA: refused by the pipeline (audited), nothing spent.
    let r = call(&mut op, "nik_lookup", lookup(&nik, PURPOSE)).await;
    assert_eq!(r.body, rejected("NDA_REQUIRED"), "{:?}", r.body);
    assert_eq!(quota_used(&mut op).await, start);
    accept_nda(&mut op).await;

    // Local refusals: invalid NIK, no purpose, too long a purpose, no claims.
    let r = call(&mut op, "nik_lookup", lookup("3313abc", PURPOSE)).await;
    assert_eq!(r.body, rejected("INVALID_NIK"));
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = call(&mut op, "nik_lookup", lookup(&nik, "   ")).await;
    assert_eq!(r.body, rejected("PURPOSE_REQUIRED"));
    let r = call(&mut op, "nik_lookup", lookup(&nik, &"x".repeat(201))).await;
    assert_eq!(r.body, rejected("PURPOSE_TOO_LONG"));
    let mut no_claims = lookup(&nik, PURPOSE);
    no_claims.push(("claimed[nama_lengkap]".into(), " ".into()));
    let r = call(&mut op, "nik_verify", no_claims).await;
    assert_eq!(r.body, rejected("CLAIMED_REQUIRED"));
    assert_eq!(quota_used(&mut op).await, start, "refusals spend no hit");
    let entries = web_entries(&app).await;
    let codes: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.outcome_code.as_deref())
        .collect();
    assert_eq!(
        codes,
        [
            "PURPOSE_TOO_LONG",
            "PURPOSE_REQUIRED",
            "INVALID_NIK",
            "NDA_REQUIRED"
        ],
        "one audit entry per pipeline refusal; CLAIMED_REQUIRED never reached it"
    );
    assert!(entries.iter().all(|e| e.channel.as_deref() == Some("web")));
    assert!(entries.iter().all(|e| e.outcome == "refused"));

    // No earlier verdict yet.
    let r = call(
        &mut op,
        "earlier_verdict",
        vec![("nik".into(), nik.clone())],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body, Value::Null);

    // A look-up: the nine elements, no-store, one hit, an audit entry of channel web.
    let r = call(&mut op, "nik_lookup", lookup(&nik, PURPOSE)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["kind"], "found");
    assert_eq!(r.body["code"], "01");
    assert_eq!(r.body["resident"]["nik"], json!(nik));
    assert_eq!(r.body["resident"]["nama_lengkap"], json!(name));
    let mut keys: Vec<&str> = r.body["resident"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "alamat",
            "jenis_kelamin",
            "jenis_pekerjaan",
            "nama_lengkap",
            "nik",
            "no_kk",
            "status_perkawinan",
            "tanggal_lahir",
            "tempat_lahir"
        ]
    );
    let cache = r.headers["cache-control"].to_str().unwrap();
    assert!(cache.contains("no-store"), "{cache}");
    assert_eq!(r.body["quota"]["used"], json!(start + 1));
    assert_eq!(quota_used(&mut op).await, start + 1);
    let audit_id = r.body["audit_id"].as_i64().unwrap();
    let newest = &web_entries(&app).await[0];
    assert_eq!(newest.id, audit_id);
    assert_eq!(newest.event, "nik.lookup");
    assert_eq!(newest.outcome_code.as_deref(), Some("01"));
    assert_eq!(newest.channel.as_deref(), Some("web"));
    assert_eq!(newest.actor_username.as_deref(), Some(op_login.username));
    assert_eq!(newest.local_user_id.as_deref(), op_login.local_user_id);
    assert_eq!(newest.purpose.as_deref(), Some(PURPOSE));
    assert!(!newest.nik_masked.as_deref().unwrap().contains(&nik[4..12]));

    // The earlier verdict on the same NIK: when, who, what; nothing for another NIK.
    let r = call(
        &mut op,
        "earlier_verdict",
        vec![("nik".into(), nik.clone())],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["username"], op_login.username);
    assert_eq!(r.body["kind"], "lookup");
    assert_eq!(r.body["outcome_code"], "01");
    assert_eq!(r.body["channel"], "web");
    assert_eq!(r.body["window_hours"], 24);
    assert_eq!(
        r.body.as_object().unwrap().len(),
        7,
        "no data: {:?}",
        r.body
    );
    // Typed with separators, it is the same NIK.
    let grouped = format!("{} {} {}", &nik[0..6], &nik[6..12], &nik[12..16]);
    let r = call(&mut op, "earlier_verdict", vec![("nik".into(), grouped)]).await;
    assert_eq!(r.body["outcome_code"], "01");
    let r = call(
        &mut op,
        "earlier_verdict",
        vec![("nik".into(), other_nik.clone())],
    )
    .await;
    assert_eq!(r.body, Value::Null);

    // Verification: a verdict per claimed element, one hit each.
    let mut claims = lookup(&nik, PURPOSE);
    claims.push(("claimed[nama_lengkap]".into(), name.clone()));
    let r = call(&mut op, "nik_verify", claims).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["kind"], "verdicts");
    assert!(r.body["resident"].is_null());
    let verdicts = r.body["verdicts"].as_array().unwrap();
    assert_eq!(verdicts.len(), 1, "{verdicts:?}");
    assert_eq!(verdicts[0]["element"], "nama_lengkap");
    assert_eq!(verdicts[0]["matched"], true);
    let mut wrong = lookup(&nik, PURPOSE);
    wrong.push((
        "claimed[nama_lengkap]".into(),
        "Bukan Namanya Sama Sekali".into(),
    ));
    wrong.push(("claimed[jenis_kelamin]".into(), "L".into()));
    let r = call(&mut op, "nik_verify", wrong).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let verdicts = r.body["verdicts"].as_array().unwrap();
    let nama = verdicts
        .iter()
        .find(|v| v["element"] == "nama_lengkap")
        .unwrap();
    assert_eq!(nama["matched"], false);
    assert_eq!(quota_used(&mut op).await, start + 3);

    // An identity result (NIK not in the registry): an answer about the resident.
    let unknown = format!("{}9999", &nik[..12]);
    let r = call(&mut op, "nik_lookup", lookup(&unknown, PURPOSE)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["kind"], "identity_result", "{:?}", r.body);
    assert!(r.body["resident"].is_null());

    // Roles without the permission are refused before anything is looked up or written.
    let before = web_entries(&app).await.len();
    let head_login = DEMO_HEAD;
    let mut head = signed_in(&app, head_login.username, head_login.password.unwrap()).await;
    let r = call(&mut head, "nik_lookup", lookup(&nik, PURPOSE)).await;
    assert_eq!(
        (r.status, r.body.clone()),
        (StatusCode::FORBIDDEN, json!("Forbidden"))
    );
    let r = call(
        &mut head,
        "earlier_verdict",
        vec![("nik".into(), nik.clone())],
    )
    .await;
    assert_eq!(r.body, json!("Forbidden"));
    assert_eq!(web_entries(&app).await.len(), before);
    // The head may read the institution's quota (`quota.view_own`).
    let used_now = quota_used(&mut op).await;
    assert_eq!(quota_used(&mut head).await, used_now);

    // Quota exhausted: a setup error for the operator, a "Masalah akses" for the admin.
    app.storage
        .set_user_id_daily_limit(
            sigap_server::demo::DEMO_DUKCAPIL_USER_ID,
            Some(used_now),
            &Actor::system("test"),
            sigap_server::now_ms(),
        )
        .await
        .unwrap();
    let r = call(&mut op, "nik_lookup", lookup(&other_nik, PURPOSE)).await;
    assert_eq!(r.body, rejected("QUOTA_EXHAUSTED"));
    let r = op.server_fn("quota_status", &[]).await;
    assert_eq!(r.body["remaining"], 0);
    let admin_login = DEMO_INSTITUTION_ADMIN;
    let mut admin = signed_in(&app, admin_login.username, admin_login.password.unwrap()).await;
    let r = admin.server_fn("access_problems", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let problems = r.body.as_array().unwrap();
    let codes: Vec<&str> = problems
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    // The NDA refusal and the exhausted quota are about access; identity results, input
    // errors and successes are not.
    assert_eq!(codes, ["QUOTA_EXHAUSTED", "NDA_REQUIRED"], "{problems:?}");
    assert_eq!(problems[0]["username"], op_login.username);
    assert_eq!(problems[0]["channel"], "web");
    assert_eq!(problems[0].as_object().unwrap().len(), 4);
    // The operator may not read them.
    let r = op.server_fn("access_problems", &[]).await;
    assert_eq!(r.body, json!("Forbidden"));

    // The pages: /admin shows the problem, /cek-nik renders for the operator (the form,
    // the quota meter) and sends everyone else away.
    accept_nda(&mut admin).await;
    let html = page_text(&app, &mut admin, "/admin").await;
    assert!(html.contains("data-testid=\"access-problems\""), "{html}");
    assert!(html.contains("data-code=\"QUOTA_EXHAUSTED\""), "{html}");
    let html = page_text(&app, &mut op, "/cek-nik").await;
    assert!(html.contains("data-testid=\"check-form\""), "{html}");
    assert!(html.contains("data-testid=\"quota\""), "{html}");
    assert!(!html.contains(&name));
    // The navigation links to it only for roles that may look up.
    assert!(
        page_text(&app, &mut op, "/")
            .await
            .contains("href=\"/cek-nik\"")
    );
    assert!(
        !page_text(&app, &mut admin, "/")
            .await
            .contains("href=\"/cek-nik\"")
    );
    let anonymous = Browser::new(&app).get("/cek-nik").await;
    assert!(anonymous.status.is_redirection(), "{}", anonymous.status);
    let page = admin.get("/cek-nik").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    // No resident's name in the database file (SQLite: the file with its WAL).
    if is_sqlite {
        assert!(std::path::Path::new(&db_file).exists(), "{db_file}");
        let hay = common::sqlite_kept_text(&db_file);
        assert!(
            !hay.contains(&name),
            "the resident's name reached the database"
        );
        assert!(!hay.contains(&nik), "the NIK reached the database in clear");
    }
    app.stop().await;
}

#[tokio::test]
async fn cek_nik_on_the_chosen_backend() {
    story(TestDb::chosen().await).await;
}

#[tokio::test]
async fn cek_nik_on_sqlite() {
    story(TestDb::sqlite()).await;
}

#[tokio::test]
async fn cek_nik_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        story(db).await;
    }
}

/// The earlier-verdict window is configurable; 0 turns the question off, and another
/// institution's accesses are never shown.
#[tokio::test]
async fn earlier_verdict_window_and_institution() {
    let (app, sim) = spawn_with_upstream(TestDb::chosen().await, |c| {
        c.auth.second_factor_roles = vec![];
        c.check.earlier_verdict_hours = 0;
    })
    .await;
    let nik = sim.sample(1)[0]["NIK"].as_str().unwrap().to_string();
    let login = DEMO_OPERATOR_1;
    let mut op = signed_in(&app, login.username, login.password.unwrap()).await;
    accept_nda(&mut op).await;
    let r = op
        .server_fn("nik_lookup", &[("nik", &nik), ("purpose", PURPOSE)])
        .await;
    assert_eq!(r.body["kind"], "found", "{:?}", r.body);
    let r = op.server_fn("earlier_verdict", &[("nik", &nik)]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, Value::Null, "window 0: the question is off");
    app.stop().await;

    // Another institution's operator with the default window sees nothing of BPBD's entry.
    let (app, sim) = spawn_with_upstream(TestDb::chosen().await, |c| {
        c.auth.second_factor_roles = vec![];
    })
    .await;
    let nik = sim.sample(1)[0]["NIK"].as_str().unwrap().to_string();
    let mut op = signed_in(&app, login.username, login.password.unwrap()).await;
    accept_nda(&mut op).await;
    let r = op
        .server_fn("nik_lookup", &[("nik", &nik), ("purpose", PURPOSE)])
        .await;
    assert_eq!(r.body["kind"], "found", "{:?}", r.body);
    let now = sigap_server::now_ms();
    let other = app
        .storage
        .create_institution(
            &sigap_server::storage::NewInstitution {
                code: "DINSOS-3313".into(),
                name: "Dinas Sosial Kabupaten Karanganyar".into(),
                region_code: "33.13".into(),
                address: "Jl. Lawu".into(),
            },
            now,
        )
        .await
        .unwrap();
    let pw = "Gunung-Lawu-Berkabut-22";
    let foreign = app
        .storage
        .create_account(
            &sigap_server::storage::NewAccount {
                username: "op.dinsos".into(),
                display_name: "Petugas Dinsos".into(),
                role: Role::Operator,
                institution_id: Some(other.id),
                local_user_id: None,
                password_hash: Some(sigap_server::auth::hash_password(pw).unwrap()),
                demo_password: false,
            },
            &Actor::system("test"),
            now,
        )
        .await
        .unwrap();
    let mut b = signed_in(&app, &foreign.username, pw).await;
    let r = b.server_fn("earlier_verdict", &[("nik", &nik)]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body, Value::Null);
    let r = op.server_fn("earlier_verdict", &[("nik", &nik)]).await;
    assert_eq!(r.body["kind"], "lookup");
    app.stop().await;
}
