//! The upstream client against small fakes: the request it sends (path, headers, field
//! spellings, credentials), answers outside the simulator's repertoire (codes in non-200
//! bodies, redirects, oversized bodies, foreign NIKs), set-up errors, DNS failures, and TLS
//! (an HTTPS fake with a throw-away CA: refused without `ca_file`, accepted with it, refused
//! for a certificate of another name).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed step is a failed test

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use domain::nik::Nik;
use serde_json::{Value, json};
use sigap_server::upstream::{
    ClaimedElements, Element, LookupOutcome, ResponseCode, UnavailableReason, UpstreamClient,
    UpstreamCode, UpstreamConfig, UpstreamPassword, UpstreamSetupError, Verdict, VerifyOutcome,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;

const NIK: &str = "3313010101900001";
const PASSWORD: &str = "pw-fake-Rahasia-42";

#[derive(Debug, Clone)]
struct Hit {
    path: String,
    content_type: Option<String>,
    body: Value,
}

type Reply = Arc<dyn Fn(&Hit) -> Response + Send + Sync>;

#[derive(Clone)]
struct FakeState {
    hits: Arc<Mutex<Vec<Hit>>>,
    reply: Reply,
}

struct Fake {
    addr: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
    task: JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Fake {
    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}

async fn handler(
    State(state): State<FakeState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let hit = Hit {
        path: uri.path().to_string(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    state.hits.lock().unwrap().push(hit.clone());
    (state.reply)(&hit)
}

async fn fake(reply: impl Fn(&Hit) -> Response + Send + Sync + 'static) -> Fake {
    let hits = Arc::new(Mutex::new(Vec::new()));
    let state = FakeState {
        hits: hits.clone(),
        reply: Arc::new(reply),
    };
    let app = Router::new().fallback(handler).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Fake { addr, hits, task }
}

fn json_reply(status: StatusCode, v: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn envelope(records: Value) -> Value {
    json!({"content": records, "lastPage": true, "numberOfElements": 1, "sort": null,
           "totalElements": 1, "firstPage": true, "number": 0, "size": 1})
}

fn record() -> Value {
    json!({
        "NIK": NIK, "NO_KK": "3313010101900100", "NAMA_LGKP": "BUDI SANTOSO",
        "JENIS_KLMIN": "Laki-laki", "TMPT_LHR": "KARANGANYAR", "TGL_LHR": "1990-01-01",
        "STATUS_KAWIN": "KAWIN", "JENIS_PKRJN": "PETANI/PEKEBUN", "ALAMAT": "DUSUN KRAJAN",
        "NO_RT": 3, "NO_RW": "011", "NO_KEL": "2001", "KEL_NAME": "JATIPURO",
        "NO_KEC": "01", "KEC_NAME": "JATIPURO", "NO_KAB": "13", "KAB_NAME": "KARANGANYAR",
        "NO_PROP": "33", "PROP_NAME": "JAWA TENGAH",
        "AGAMA": "ISLAM", "PDDK_AKH": "SLTA/SEDERAJAT", "NAMA_LGKP_IBU": "SRI WAHYUNI",
        "GOL_DARAH": "O", "EKTP_STATUS": "ELEKTRONIK", "FOTO": "base64-canary-photo",
        "RESPONSE_CODE": "01"
    })
}

fn config_for(base_url: String) -> UpstreamConfig {
    UpstreamConfig {
        base_url: Some(base_url),
        consumer: "BPBD3313".into(),
        user_id: "USER3313".into(),
        password: Some(UpstreamPassword::new(PASSWORD)),
        ip_user: "10.20.0.7".into(),
        connect_timeout_ms: 500,
        total_timeout_ms: 2_000,
        ..UpstreamConfig::default()
    }
}

fn config(addr: SocketAddr) -> UpstreamConfig {
    config_for(format!("http://{addr}/dukcapil/get_json"))
}

fn nik() -> Nik {
    Nik::parse(NIK, time::OffsetDateTime::now_utc().date()).unwrap()
}

#[tokio::test]
async fn upstream_fake_call_nik_request_shape_and_filter() {
    let f = fake(|_| json_reply(StatusCode::OK, envelope(json!([record()])))).await;
    let c = UpstreamClient::new(&config(f.addr)).unwrap();
    let out = c.call_nik(&nik()).await;
    let LookupOutcome::Found {
        resident,
        multiple_records,
    } = &out
    else {
        panic!("{out:?}")
    };
    assert!(!multiple_records);
    assert_eq!(resident.nik, NIK);
    assert_eq!(resident.jenis_kelamin, Some(domain::nik::Sex::Male));
    assert_eq!(resident.alamat.rt, "3");
    let text = format!("{out:?} {}", serde_json::to_string(&out).unwrap());
    for forbidden in [
        "ISLAM",
        "SLTA",
        "SRI WAHYUNI",
        "ELEKTRONIK",
        "base64-canary",
        "FOTO",
    ] {
        assert!(!text.contains(forbidden), "{forbidden}: {text}");
    }

    let hits = f.hits();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].path, "/dukcapil/get_json/BPBD3313/CALL_NIK");
    assert_eq!(hits[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(
        hits[0].body,
        json!({"nik": NIK, "user_id": "USER3313", "password": PASSWORD, "ip_user": "10.20.0.7"})
    );
}

#[tokio::test]
async fn upstream_fake_verify_request_shape_and_verdicts() {
    let f = fake(|_| {
        json_reply(
            StatusCode::OK,
            envelope(json!([{
                "NAMA_LGKP": "Tidak Sesuai (59)", "TGL_LHR": "Sesuai", "JENIS_KLMIN": "Sesuai",
                "AGAMA": "Sesuai", "RESPONSE_CODE": "01", "RESPON": "Data Ditemukan"
            }])),
        )
    })
    .await;
    let c = UpstreamClient::new(&config(f.addr)).unwrap();
    let claimed = ClaimedElements {
        nama_lengkap: Some("BUDI SANTOS".into()),
        tanggal_lahir: Some(time::macros::date!(1990 - 01 - 01)),
        jenis_kelamin: Some(domain::nik::Sex::Male),
        ..ClaimedElements::default()
    };
    let out = c.verify(&nik(), &claimed, 150).await;
    let VerifyOutcome::Verdicts { verdicts, .. } = &out else {
        panic!("{out:?}")
    };
    assert_eq!(
        verdicts.keys().copied().collect::<Vec<_>>(),
        vec![
            Element::NamaLengkap,
            Element::JenisKelamin,
            Element::TanggalLahir
        ]
    );
    assert_eq!(
        verdicts[&Element::NamaLengkap],
        Verdict::TidakSesuai { score: Some(59) }
    );
    let hits = f.hits();
    assert_eq!(
        hits[0].path,
        "/dukcapil/get_json/BPBD3313/CALL_VERIFY_BY_ELEMEN"
    );
    let body = &hits[0].body;
    assert_eq!(body["NIK"], NIK);
    assert_eq!(body["USER_ID"], "USER3313");
    assert_eq!(body["PASSWORD"], PASSWORD);
    assert_eq!(body["IP_USER"], "10.20.0.7");
    assert_eq!(body["TRESHOLD"], "100", "capped");
    assert_eq!(body["NAMA_LGKP"], "BUDI SANTOS");
    assert_eq!(body["TGL_LHR"], "01-01-1990");
    assert_eq!(body["JENIS_KLMIN"], "LAKI-LAKI");
    assert_eq!(body["NO_KK"], "");
}

#[tokio::test]
async fn upstream_fake_configured_spellings() {
    let f = fake(|hit| {
        if hit.path.ends_with("/NIK_V2") {
            json_reply(
                StatusCode::OK,
                json!({"data": [{"kode": "13", "pesan": "Data Tidak Ditemukan"}]}),
            )
        } else {
            json_reply(StatusCode::OK, json!({"data": [{"kode": "05"}]}))
        }
    })
    .await;
    let mut cfg = config(f.addr);
    cfg.methods.call_nik = "NIK_V2".into();
    cfg.methods.verify_by_element = "VERIFY_V2".into();
    cfg.fields.call_nik.nik = "NIK".into();
    cfg.fields.call_nik.password = "PASS".into();
    cfg.fields.verify.threshold = "THRESHOLD".into();
    cfg.fields.answer.content = "data".into();
    cfg.fields.answer.response_code = "kode".into();
    cfg.fields.answer.respon = "pesan".into();
    cfg.fields.elements.nama_lengkap = "NAMA".into();
    cfg.verify_date_format = sigap_server::upstream::ClaimDateFormat::YyyyMmDd;
    let c = UpstreamClient::new(&cfg).unwrap();
    assert_eq!(
        c.call_nik(&nik()).await,
        LookupOutcome::IdentityResult {
            code: ResponseCode::NotFound.into()
        }
    );
    let claimed = ClaimedElements {
        nama_lengkap: Some("ANI".into()),
        tanggal_lahir: Some(time::macros::date!(1990 - 01 - 01)),
        ..ClaimedElements::default()
    };
    assert_eq!(
        c.verify(&nik(), &claimed, 85).await,
        VerifyOutcome::SetupError {
            code: ResponseCode::QuotaExhausted.into()
        }
    );
    let hits = f.hits();
    assert_eq!(hits[0].path, "/dukcapil/get_json/BPBD3313/NIK_V2");
    assert_eq!(hits[0].body["NIK"], NIK);
    assert_eq!(hits[0].body["PASS"], PASSWORD);
    assert!(hits[0].body.get("nik").is_none());
    assert_eq!(hits[1].path, "/dukcapil/get_json/BPBD3313/VERIFY_V2");
    assert_eq!(hits[1].body["THRESHOLD"], "85");
    assert_eq!(hits[1].body["NAMA"], "ANI");
    assert_eq!(hits[1].body["TGL_LHR"], "1990-01-01");
}

#[tokio::test]
async fn upstream_fake_statuses_redirects_and_odd_answers() {
    let f = fake(|hit| {
        let nik = hit.body["nik"].as_str().unwrap_or_default().to_string();
        match &nik[12..] {
            "0001" => json_reply(
                StatusCode::UNAUTHORIZED,
                envelope(json!([{"RESPONSE_CODE": "03", "RESPON": "Login Gagal"}])),
            ),
            "0002" => (StatusCode::SERVICE_UNAVAILABLE, "<html>busy</html>").into_response(),
            "0003" => (
                StatusCode::TEMPORARY_REDIRECT,
                [(header::LOCATION, "http://127.0.0.1:9/elsewhere")],
            )
                .into_response(),
            "0004" => json_reply(
                StatusCode::OK,
                envelope(json!([{"RESPONSE_CODE": "01", "NIK": "x".repeat(2 * 1024 * 1024)}])),
            ),
            "0005" => {
                let mut r = record();
                r["NIK"] = json!("3313010101909999");
                json_reply(StatusCode::OK, envelope(json!([r])))
            }
            "0006" => json_reply(StatusCode::OK, envelope(json!([{"RESPONSE_CODE": "02"}]))),
            "0007" => json_reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                envelope(json!([record()])),
            ),
            _ => json_reply(StatusCode::NOT_FOUND, json!({"error": "no route"})),
        }
    })
    .await;
    let c = UpstreamClient::new(&config(f.addr)).unwrap();
    let call = |serial: &str| {
        let n = Nik::parse(
            &format!("331301010190{serial}"),
            time::OffsetDateTime::now_utc().date(),
        )
        .unwrap();
        let c = c.clone();
        async move { c.call_nik(&n).await }
    };
    let unavailable = |reason| LookupOutcome::Unavailable {
        reason,
        may_have_reached_upstream: true,
    };
    // A code in the body of a non-200 answer counts.
    assert_eq!(
        call("0001").await,
        LookupOutcome::SetupError {
            code: ResponseCode::LoginFailed.into()
        }
    );
    assert_eq!(
        call("0002").await,
        unavailable(UnavailableReason::HttpStatus(503))
    );
    // Redirects are not followed (credentials would travel to the new location).
    assert_eq!(
        call("0003").await,
        unavailable(UnavailableReason::HttpStatus(307))
    );
    assert_eq!(
        call("0004").await,
        unavailable(UnavailableReason::UnexpectedShape)
    );
    assert_eq!(
        call("0005").await,
        unavailable(UnavailableReason::UnexpectedShape)
    );
    let out = call("0006").await;
    assert_eq!(
        out,
        LookupOutcome::SetupError {
            code: UpstreamCode::Unknown("02".into())
        }
    );
    // Data with a 500 status is not trusted.
    assert_eq!(
        call("0007").await,
        unavailable(UnavailableReason::HttpStatus(500))
    );
    assert_eq!(
        call("0008").await,
        unavailable(UnavailableReason::HttpStatus(404))
    );
    assert_eq!(f.hits().len(), 8, "the redirect was not followed");
}

#[tokio::test]
async fn upstream_dns_failure_never_reached_the_upstream() {
    let c = UpstreamClient::new(&config_for(
        "http://sigap-no-such-host.invalid:8080/dukcapil/get_json".into(),
    ))
    .unwrap();
    let out = c.call_nik(&nik()).await;
    let LookupOutcome::Unavailable {
        reason,
        may_have_reached_upstream,
    } = out
    else {
        panic!("{out:?}")
    };
    assert!(!may_have_reached_upstream);
    assert!(
        matches!(
            reason,
            UnavailableReason::Dns
                | UnavailableReason::ConnectTimeout
                | UnavailableReason::ConnectFailed
        ),
        "{reason:?}"
    );
}

#[tokio::test]
async fn upstream_setup_errors_name_the_key_and_hide_the_password() {
    let err = |cfg: UpstreamConfig| UpstreamClient::new(&cfg).unwrap_err();
    let base = config_for("https://10.0.0.1:8443/dukcapil/get_json".into());

    let mut cfg = base.clone();
    cfg.base_url = None;
    assert!(err(cfg).to_string().contains("upstream.base_url"));

    let mut cfg = base.clone();
    cfg.password = None;
    cfg.password_file = Some("/nonexistent/sigap-password".into());
    let e = err(cfg);
    assert!(matches!(e, UpstreamSetupError::PasswordFile { .. }), "{e}");
    assert!(e.to_string().contains("upstream.password_file"), "{e}");

    let dir = std::env::temp_dir().join(format!("sigap-upstream-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(
        &ca,
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let mut cfg = base.clone();
    cfg.ca_file = Some(ca);
    let e = err(cfg);
    assert!(e.to_string().contains("upstream.ca_file"), "{e}");

    // A password from a file works; nothing prints it.
    let pw = dir.join("password");
    std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
    let mut cfg = base.clone();
    cfg.password = None;
    cfg.password_file = Some(pw);
    let c = UpstreamClient::new(&cfg).unwrap();
    for text in [format!("{c:?}"), format!("{cfg:?}"), format!("{base:?}")] {
        assert!(!text.contains(PASSWORD), "{text}");
    }
    assert!(!format!("{c:?}").contains("10.0.0.1"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A throw-away CA and a server certificate for `names`, PEM CA and rustls server config.
fn tls_material(names: &[&str]) -> (String, Arc<tokio_rustls::rustls::ServerConfig>) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "SIGAP test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let leaf = CertificateParams::new(names)
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    (ca.as_ref().pem(), Arc::new(server))
}

/// A minimal HTTPS server answering every request with `answer`; counts handshakes that
/// completed and requests answered.
async fn https_fake(
    server: Arc<tokio_rustls::rustls::ServerConfig>,
    answer: Value,
) -> (SocketAddr, Arc<AtomicUsize>, JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let acceptor = tokio_rustls::TlsAcceptor::from(server);
    let body = answer.to_string();
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, counter, body) = (acceptor.clone(), counter.clone(), body.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read the head, then as many body bytes as Content-Length says.
                let body_start = loop {
                    let Ok(n) = tls.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..body_start]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                while buf.len() < body_start + length {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                     connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (addr, served, task)
}

#[tokio::test]
async fn upstream_tls_verifies_certificates_always() {
    let answer = envelope(json!([{"RESPONSE_CODE": "13", "RESPON": "Data Tidak Ditemukan"}]));
    let (ca_pem, server) = tls_material(&["localhost", "127.0.0.1"]);
    let (addr, served, task) = https_fake(server, answer.clone()).await;
    let url = format!("https://127.0.0.1:{}/dukcapil/get_json", addr.port());

    // Without the CA: the certificate is not trusted, nothing is sent.
    let c = UpstreamClient::new(&config_for(url.clone())).unwrap();
    assert_eq!(
        c.call_nik(&nik()).await,
        LookupOutcome::Unavailable {
            reason: UnavailableReason::Tls,
            may_have_reached_upstream: false
        }
    );
    assert_eq!(served.load(Ordering::SeqCst), 0);

    // With the CA configured: the exchange works, by IP and by name.
    let dir = std::env::temp_dir().join(format!("sigap-upstream-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, &ca_pem).unwrap();
    for base in [
        url.clone(),
        format!("https://localhost:{}/dukcapil/get_json", addr.port()),
    ] {
        let mut cfg = config_for(base);
        cfg.ca_file = Some(ca_file.clone());
        let c = UpstreamClient::new(&cfg).unwrap();
        assert_eq!(
            c.call_nik(&nik()).await,
            LookupOutcome::IdentityResult {
                code: ResponseCode::NotFound.into()
            }
        );
    }
    assert_eq!(served.load(Ordering::SeqCst), 2);
    task.abort();

    // A certificate from the trusted CA but for another name is still refused.
    let (other_ca, other_server) = tls_material(&["dukcapil.example"]);
    let (addr, served, task) = https_fake(other_server, answer).await;
    std::fs::write(&ca_file, other_ca).unwrap();
    let mut cfg = config_for(format!(
        "https://127.0.0.1:{}/dukcapil/get_json",
        addr.port()
    ));
    cfg.ca_file = Some(ca_file.clone());
    let c = UpstreamClient::new(&cfg).unwrap();
    assert_eq!(
        c.call_nik(&nik()).await,
        LookupOutcome::Unavailable {
            reason: UnavailableReason::Tls,
            may_have_reached_upstream: false
        }
    );
    assert_eq!(served.load(Ordering::SeqCst), 0);
    task.abort();
    std::fs::remove_dir_all(&dir).unwrap();
}
