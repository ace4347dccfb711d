//! Helpers for the authentication tests: a server with an adjustable clock and a tweakable
//! configuration, a cookie-keeping "browser" that sends the portal's Origin, accounts with
//! known passwords, and a software passkey.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::TestDb;
use reqwest::{StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use sigap_server::{
    auth::{Auth, Clock},
    config::Config,
    state::{AppState, AppStateInner},
    storage::{Account, Actor, NewAccount, Storage},
};
use std::{net::SocketAddr, path::PathBuf, sync::Arc};
use webauthn_authenticator_rs::{WebauthnAuthenticator, softpasskey::SoftPasskey};
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};

/// A running server whose authentication clock the test moves.
pub struct AuthApp {
    pub addr: SocketAddr,
    pub storage: Arc<dyn Storage>,
    pub clock: Clock,
    pub config: Config,
    pub institution_id: i64,
    pub db: Option<TestDb>,
    pub data_dir: PathBuf,
    /// The keyring the server seals user-ID credentials with (servers with an upstream).
    pub secrets: Option<Arc<sigap_server::secrets::Keyring>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl AuthApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The portal's own origin (what a browser on the portal sends).
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
        if let Some(db) = self.db.take() {
            db.cleanup().await;
        }
    }

    /// A new account with a known password (argon2id), in the demo institution when the role
    /// is institution-bound.
    pub async fn account(
        &self,
        username: &str,
        role: domain::access::Role,
        password: &str,
    ) -> Account {
        self.storage
            .create_account(
                &NewAccount {
                    username: username.into(),
                    display_name: format!("Uji {username}"),
                    role,
                    institution_id: role.is_institution_bound().then_some(self.institution_id),
                    local_user_id: None,
                    password_hash: Some(sigap_server::auth::hash_password(password).unwrap()),
                    demo_password: false,
                },
                &Actor::system("test"),
                sigap_server::now_ms(),
            )
            .await
            .unwrap()
    }
}

/// The chosen backend (`TestDb::chosen`), default configuration.
pub async fn spawn() -> AuthApp {
    spawn_with(TestDb::chosen().await, |_| {}).await
}

/// A server on `db` with the configuration changed by `tweak`.
pub async fn spawn_with(db: TestDb, tweak: impl FnOnce(&mut Config)) -> AuthApp {
    spawn_inner(db, tweak, false).await.0
}

/// A server that also reaches an in-process Dukcapil simulator (demo seed, demo user ID) and
/// has audit keys (generated under its data folder), so NIK access works end to end.
pub async fn spawn_with_upstream(
    db: TestDb,
    tweak: impl FnOnce(&mut Config),
) -> (AuthApp, dukcapil_sim::Simulator) {
    let (app, sim) = spawn_inner(db, tweak, true).await;
    (app, sim.expect("simulator started"))
}

async fn spawn_inner(
    db: TestDb,
    tweak: impl FnOnce(&mut Config),
    with_upstream: bool,
) -> (AuthApp, Option<dukcapil_sim::Simulator>) {
    let data_dir = std::env::temp_dir().join(format!("sigap-auth-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let mut config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: Some(db.url.clone()),
        data_dir: data_dir.clone(),
        institution: sigap_server::config::InstitutionSection {
            code: Some(sigap_server::demo::DEMO_INSTITUTION_CODE.into()),
        },
        ..Config::default()
    };
    tweak(&mut config);
    let simulator = if with_upstream {
        Some(
            sigap_server::demo::start_simulator(&mut config)
                .await
                .unwrap()
                .1,
        )
    } else {
        None
    };
    let upstream = with_upstream
        .then(|| sigap_server::upstream::UpstreamClient::new(&config.upstream).unwrap());
    let audit = with_upstream.then(|| {
        Arc::new(sigap_server::audit::AuditKeys::load(&config.audit, &data_dir, true).unwrap())
    });
    // With an upstream, a keyring for sealed user-ID credentials (tests seal with it).
    let secrets = with_upstream.then(|| Arc::new(sigap_server::secrets::Keyring::generate()));
    let storage = sigap_server::storage::connect(&db.url).await.unwrap();
    sigap_server::demo::seed(storage.as_ref(), sigap_server::now_ms())
        .await
        .unwrap();
    let institution_id = storage
        .institution_by_code(sigap_server::demo::DEMO_INSTITUTION_CODE)
        .await
        .unwrap()
        .unwrap()
        .id;
    let listener = tokio::net::TcpListener::bind(config.bind).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let clock = Clock::adjustable();
    let auth = Auth::new(storage.clone(), &config.auth, addr, clock.clone()).unwrap();
    let state = AppState::new(AppStateInner {
        storage: storage.clone(),
        writer: sigap_server::group_commit::GroupWriter::with_leases(
            storage.clone(),
            config.check.quota_lease_max,
        ),
        reads: sigap_server::read_cache::ReadCache::new(
            storage.clone(),
            std::time::Duration::from_millis(config.check.read_cache_ms),
        ),
        config: Arc::new(config.clone()),
        leptos_options: sigap_server::leptos_options(&config, addr),
        upstream,
        user_id_clients: Default::default(),
        demo: true,
        secrets: secrets.clone(),
        auth: Arc::new(auth),
        audit,
    });
    let router = sigap_server::web::router(state);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    (
        AuthApp {
            addr,
            storage,
            clock,
            config,
            institution_id,
            db: Some(db),
            data_dir,
            secrets,
            shutdown: Some(tx),
        },
        simulator,
    )
}

/// An answer: status, JSON body (Null when not JSON), headers.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: HeaderMap,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// A browser on the portal: keeps the `sigap_session` cookie and sends the portal's Origin
/// on every request that changes state.
pub struct Browser {
    client: reqwest::Client,
    base: String,
    pub origin: Option<String>,
    pub cookie: Option<String>,
    /// Every `Set-Cookie` for the session seen, latest last.
    pub set_cookies: Vec<String>,
}

impl Browser {
    /// A browser signed in with a password (the sign-in server function must answer `Ok`).
    pub async fn signed_in(app: &AuthApp, username: &str, password: &str) -> Browser {
        let mut b = Browser::new(app);
        let r = b
            .server_fn("sign_in", &[("username", username), ("password", password)])
            .await;
        assert_eq!(r.status, reqwest::StatusCode::OK, "{:?}", r.body);
        assert!(r.body.get("Ok").is_some(), "{:?}", r.body);
        b
    }

    pub fn new(app: &AuthApp) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.url(""),
            origin: Some(app.origin()),
            cookie: None,
            set_cookies: Vec::new(),
        }
    }

    fn absorb(&mut self, headers: &HeaderMap) {
        for v in headers.get_all(reqwest::header::SET_COOKIE) {
            let s = v.to_str().unwrap().to_string();
            if let Some(rest) = s.strip_prefix("sigap_session=") {
                let value = rest.split(';').next().unwrap_or("").to_string();
                let removed = value.is_empty() || s.contains("Max-Age=0");
                self.cookie = if removed { None } else { Some(value) };
                self.set_cookies.push(s);
            }
        }
    }

    pub async fn send(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{}", self.base, path));
        if let Some(c) = &self.cookie {
            req = req.header(reqwest::header::COOKIE, format!("sigap_session={c}"));
        }
        if method != reqwest::Method::GET
            && let Some(o) = &self.origin
        {
            req = req.header(reqwest::header::ORIGIN, o);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        self.absorb(&headers);
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&mut self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn post_empty(&mut self, path: &str) -> Answer {
        self.send(reqwest::Method::POST, path, None).await
    }

    pub async fn delete(&mut self, path: &str) -> Answer {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// Calls a Leptos server function (`/api/sf/{name}`, form-encoded arguments) as the
    /// portal's hydrated page does.
    pub async fn server_fn(&mut self, name: &str, args: &[(&str, &str)]) -> Answer {
        let mut req = self
            .client
            .post(format!("{}/api/sf/{name}", self.base))
            .form(args);
        if let Some(c) = &self.cookie {
            req = req.header(reqwest::header::COOKIE, format!("sigap_session={c}"));
        }
        if let Some(o) = &self.origin {
            req = req.header(reqwest::header::ORIGIN, o);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        self.absorb(&headers);
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            body,
            headers,
        }
    }

    pub async fn sign_in(&mut self, username: &str, password: &str) -> Answer {
        self.post(
            "/auth/sign-in",
            json!({ "username": username, "password": password }),
        )
        .await
    }
}

/// The WebAuthn origin the tests' authenticator reports (the default `auth.rp_origin`).
pub fn webauthn_origin() -> Url {
    Url::parse("http://localhost:3000").unwrap()
}

/// A software passkey (user verification asserted) and what it registered.
pub struct Passkey {
    pub token: SoftPasskey,
    /// Base64url credential id of the registered credential.
    pub credential_id: Option<String>,
    /// The WebAuthn user handle the server gave (base64url).
    pub user_handle: Option<String>,
}

impl Passkey {
    pub fn new() -> Passkey {
        Passkey {
            token: SoftPasskey::new(true),
            credential_id: None,
            user_handle: None,
        }
    }

    /// Runs a registration over HTTP; returns the finish answer.
    pub async fn register(&mut self, browser: &mut Browser, name: &str) -> Answer {
        let start = browser
            .post("/auth/passkey/register/start", json!({ "name": name }))
            .await;
        assert_eq!(start.status, StatusCode::OK, "{:?}", start.body);
        let ccr: CreationChallengeResponse = serde_json::from_value(start.body.clone()).unwrap();
        self.user_handle = start.body["publicKey"]["user"]["id"]
            .as_str()
            .map(str::to_string);
        let reg = self
            .token
            .do_registration(webauthn_origin(), ccr)
            .expect("soft passkey registers");
        let reg_json = serde_json::to_value(&reg).unwrap();
        self.credential_id = reg_json["id"].as_str().map(str::to_string);
        browser
            .post(
                "/auth/passkey/register/finish",
                json!({ "credential": reg_json }),
            )
            .await
    }

    /// Answers a sign-in challenge (the start answer's body). For a passwordless
    /// (discoverable) challenge the test plays the browser's part: it names the credential and
    /// adds the user handle a discoverable authenticator returns.
    pub fn answer(&mut self, challenge: &Value) -> Value {
        let mut challenge = challenge.clone();
        let discoverable = challenge["publicKey"]["allowCredentials"]
            .as_array()
            .is_none_or(|a| a.is_empty());
        if discoverable {
            challenge["publicKey"]["allowCredentials"] = json!([{
                "type": "public-key",
                "id": self.credential_id.clone().unwrap(),
            }]);
        }
        let rcr: RequestChallengeResponse = serde_json::from_value(challenge).unwrap();
        let cred = self
            .token
            .do_authentication(webauthn_origin(), rcr)
            .expect("soft passkey answers");
        let mut v = serde_json::to_value(&cred).unwrap();
        if discoverable {
            v["response"]["userHandle"] = json!(self.user_handle.clone().unwrap());
        }
        v
    }

    /// Starts and finishes a passkey sign-in over HTTP; returns the finish answer.
    pub async fn sign_in(&mut self, browser: &mut Browser) -> Answer {
        let start = browser.post("/auth/passkey/sign-in/start", json!({})).await;
        assert_eq!(start.status, StatusCode::OK, "{:?}", start.body);
        let cred = self.answer(&start.body);
        browser
            .post(
                "/auth/passkey/sign-in/finish",
                json!({ "credential": cred }),
            )
            .await
    }
}
