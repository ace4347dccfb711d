//! The web-service API's bad input, case by case (issue 5): each is refused with a stable JSON
//! code that the OpenAPI document lists for that route, and none spends a quota hit. Refusals
//! of the token or the body happen before the verification service and leave no access entry;
//! an invalid NIK and a missing purpose reach the service and leave exactly one refused entry
//! each (the service audits every attempt it sees). Also: the OpenAPI document is public and
//! lists exactly the routes the router serves under `/api/v1`, and real answers have the
//! documented shape.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth_support;
mod common;

use auth_support::{AuthApp, spawn_with_upstream};
use common::TestDb;
use domain::access::Role;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sigap_server::storage::{AccessEventFilter, Account, Actor, NewAccount, Storage};
use sigap_server::web::api_errors::ApiCode;

struct Client {
    http: reqwest::Client,
    base: String,
    doc: Value,
}

struct Reply {
    status: u16,
    body: Value,
    content_type: String,
}

impl Reply {
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl Client {
    async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let text = res.text().await.unwrap();
        Reply {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            content_type,
        }
    }

    fn post(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
    }

    /// Checks the refusal: status, JSON, code, and that the document lists the code with that
    /// status for the route.
    fn expect(&self, what: &str, method: &str, path: &str, r: &Reply, status: u16, code: &str) {
        assert_eq!((r.status, r.code()), (status, code), "{what}: {}", r.body);
        assert!(
            r.content_type.starts_with("application/json"),
            "{what}: {}",
            r.content_type
        );
        if code == "NOT_FOUND" || code == "METHOD_NOT_ALLOWED" {
            let all = self.doc["x-sigap-error-codes"].as_array().unwrap();
            assert!(all.iter().any(|c| c["code"] == code), "{what}");
            return;
        }
        let listed = &self.doc["paths"][path][method]["responses"][status.to_string()]["x-sigap-error-codes"];
        assert!(
            listed
                .as_array()
                .is_some_and(|a| a.iter().any(|c| c == code)),
            "{what}: {code} not documented for {method} {path} {status}: {listed}"
        );
    }
}

async fn service_account(s: &dyn Storage, app: &AuthApp, username: &str) -> Account {
    s.create_account(
        &NewAccount {
            username: username.into(),
            display_name: format!("Uji {username}"),
            role: Role::Service,
            institution_id: Some(app.institution_id),
            local_user_id: None,
            password_hash: None,
            demo_password: false,
        },
        &Actor::system("test"),
        sigap_server::now_ms(),
    )
    .await
    .unwrap()
}

async fn token(s: &dyn Storage, account: &Account, purpose: &str, expires: Option<i64>) -> String {
    let (_, t) = sigap_server::auth::token::issue(
        s,
        account,
        purpose,
        expires,
        &Actor::system("test"),
        sigap_server::now_ms(),
    )
    .await
    .unwrap();
    t.expose_secret().to_string()
}

async fn story(db: TestDb) {
    let (app, sim) = spawn_with_upstream(db, |_| {}).await;
    let s = app.storage.as_ref();
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    // The document is public: no token.
    let doc_res = http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(doc_res.status().as_u16(), 200);
    let doc: Value = doc_res.json().await.unwrap();
    let c = Client {
        http,
        base: app.url(""),
        doc,
    };
    let service = s
        .list_accounts()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.role == Role::Service && a.local_user_id.as_deref() == Some("api-demo"))
        .unwrap();
    let good = token(s, &service, "Aplikasi logistik", None).await;
    let open = token(s, &service, "", None).await;
    let nik = sim.sample(1)[0]["NIK"].as_str().unwrap().to_string();
    let lookup = "/api/v1/nik/lookup";
    let verify = "/api/v1/nik/verify";

    // Invalid NIK: reaches the service, refused, audited once, no hit.
    let r = c
        .send(c.post(lookup, &good).json(&json!({"nik": "3313-12"})))
        .await;
    c.expect("invalid NIK", "post", lookup, &r, 422, "INVALID_NIK");

    // Missing purpose, with a token that has none; the same token with a purpose is fine.
    let r = c
        .send(c.post(lookup, &open).json(&json!({"nik": nik})))
        .await;
    c.expect(
        "missing purpose",
        "post",
        lookup,
        &r,
        422,
        "PURPOSE_REQUIRED",
    );
    let r = c
        .send(
            c.post(lookup, &open)
                .json(&json!({"nik": nik, "purpose": "  "})),
        )
        .await;
    c.expect("blank purpose", "post", lookup, &r, 422, "PURPOSE_REQUIRED");

    // Oversized bodies: over the API's 16 KiB and over the server's 256 KiB, JSON 413.
    for size in [20_000, 300_000] {
        let r = c
            .send(
                c.post(lookup, &good)
                    .json(&json!({"nik": nik, "purpose": "x".repeat(size)})),
            )
            .await;
        c.expect("oversized", "post", lookup, &r, 413, "BODY_TOO_LARGE");
    }

    // Wrong content type.
    let r = c
        .send(
            c.post(lookup, &good)
                .header("content-type", "text/plain")
                .body(format!("{{\"nik\":\"{nik}\"}}")),
        )
        .await;
    c.expect(
        "text/plain",
        "post",
        lookup,
        &r,
        415,
        "CONTENT_TYPE_JSON_REQUIRED",
    );

    // Unknown fields, top level and inside `claimed`: 400 with the field's name.
    let r = c
        .send(
            c.post(lookup, &good)
                .json(&json!({"nik": nik, "nama_lengkap": "x"})),
        )
        .await;
    c.expect("unknown field", "post", lookup, &r, 400, "UNKNOWN_FIELD");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`nama_lengkap`"),
        "{}",
        r.body
    );
    let r = c
        .send(
            c.post(verify, &good)
                .json(&json!({"nik": nik, "claimed": {"nama": "x"}})),
        )
        .await;
    c.expect(
        "unknown claimed field",
        "post",
        verify,
        &r,
        400,
        "UNKNOWN_FIELD",
    );
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`nama`")
    );

    // Malformed JSON; well-formed JSON of the wrong shape.
    let r = c
        .send(
            c.post(lookup, &good)
                .header("content-type", "application/json")
                .body("{\"nik\": "),
        )
        .await;
    c.expect("malformed", "post", lookup, &r, 400, "MALFORMED_JSON");
    let r = c
        .send(c.post(lookup, &good).json(&json!({"nik": 3313})))
        .await;
    c.expect("wrong type", "post", lookup, &r, 400, "INVALID_REQUEST");

    // Verify-only checks.
    let r = c
        .send(
            c.post(verify, &good)
                .json(&json!({"nik": nik, "claimed": {}})),
        )
        .await;
    c.expect("no claims", "post", verify, &r, 422, "CLAIMED_REQUIRED");
    let r = c
        .send(
            c.post(verify, &good)
                .json(&json!({"nik": nik, "threshold": 101, "claimed": {"nama_lengkap": "x"}})),
        )
        .await;
    c.expect("threshold", "post", verify, &r, 422, "THRESHOLD_INVALID");

    // Tokens: missing, unknown, expired, revoked, of a deactivated service account.
    let r = c
        .send(
            c.http
                .post(format!("{}{lookup}", c.base))
                .json(&json!({"nik": nik})),
        )
        .await;
    c.expect("no token", "post", lookup, &r, 401, "TOKEN_REQUIRED");
    let r = c
        .send(c.post(lookup, "sigap_tidak-ada").json(&json!({"nik": nik})))
        .await;
    c.expect("unknown token", "post", lookup, &r, 401, "TOKEN_INVALID");
    let expired = token(s, &service, "Uji", Some(sigap_server::now_ms() - 1)).await;
    let r = c
        .send(c.post(lookup, &expired).json(&json!({"nik": nik})))
        .await;
    c.expect("expired token", "post", lookup, &r, 401, "TOKEN_EXPIRED");
    let revoked = token(s, &service, "Uji", None).await;
    let id = s
        .list_api_tokens(app.institution_id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .max()
        .unwrap();
    s.revoke_api_token(id, &Actor::system("test"), sigap_server::now_ms())
        .await
        .unwrap();
    let r = c
        .send(c.post(lookup, &revoked).json(&json!({"nik": nik})))
        .await;
    c.expect("revoked token", "post", lookup, &r, 401, "TOKEN_REVOKED");
    let other = service_account(s, &app, "api-nonaktif").await;
    let gone = token(s, &other, "Uji", None).await;
    s.deactivate_account(other.id, &Actor::system("test"), sigap_server::now_ms())
        .await
        .unwrap();
    let r = c
        .send(c.post(lookup, &gone).json(&json!({"nik": nik})))
        .await;
    c.expect(
        "deactivated account",
        "post",
        lookup,
        &r,
        401,
        "TOKEN_ACCOUNT_INACTIVE",
    );
    let r = c
        .send(
            c.http
                .get(format!("{}/api/v1/quota", c.base))
                .bearer_auth(&gone),
        )
        .await;
    c.expect(
        "deactivated account, quota",
        "get",
        "/api/v1/quota",
        &r,
        401,
        "TOKEN_ACCOUNT_INACTIVE",
    );

    // Unknown path and wrong method: JSON too.
    let r = c.send(c.post("/api/v1/nik/cari", &good)).await;
    c.expect(
        "unknown path",
        "post",
        "/api/v1/nik/cari",
        &r,
        404,
        "NOT_FOUND",
    );
    let r = c
        .send(c.http.get(format!("{}{lookup}", c.base)).bearer_auth(&good))
        .await;
    c.expect("wrong method", "get", lookup, &r, 405, "METHOD_NOT_ALLOWED");

    // No hit spent; only the two attempts that reached the service are in the trail.
    let quota = c
        .send(
            c.http
                .get(format!("{}/api/v1/quota", c.base))
                .bearer_auth(&good),
        )
        .await;
    assert_eq!(quota.status, 200, "{}", quota.body);
    assert_eq!(quota.body["user_ids"][0]["used"], 0, "{}", quota.body);
    let entries = s
        .search_access_events(&AccessEventFilter {
            limit: 100,
            ..AccessEventFilter::default()
        })
        .await
        .unwrap();
    let mut codes: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.outcome_code.as_deref())
        .collect();
    codes.sort_unstable();
    assert_eq!(
        codes,
        ["INVALID_NIK", "PURPOSE_REQUIRED", "PURPOSE_REQUIRED"],
        "only refusals the service saw are audited"
    );
    assert!(entries.iter().all(|e| e.outcome == "refused"));

    // With a purpose the open token works, and the answer has the documented shape.
    let r = c
        .send(
            c.post(lookup, &open)
                .json(&json!({"nik": nik, "purpose": "Banjir 2026"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    conforms(&c.doc, "NikAnswer", &r.body);
    conforms(&c.doc, "Resident", &r.body["resident"]);
    conforms(&c.doc, "QuotaAfter", &r.body["quota"]);
    conforms(&c.doc, "QuotaAnswer", &quota.body);
    app.stop().await;
}

/// The answer's keys are documented properties and the required ones are present.
fn conforms(doc: &Value, schema: &str, value: &Value) {
    let s = &doc["components"]["schemas"][schema];
    let props = s["properties"].as_object().unwrap();
    let obj = value
        .as_object()
        .unwrap_or_else(|| panic!("{schema}: {value}"));
    for k in obj.keys() {
        assert!(props.contains_key(k), "{schema}: undocumented {k}");
    }
    for r in s["required"].as_array().unwrap() {
        assert!(
            obj.contains_key(r.as_str().unwrap()),
            "{schema}: missing {r}"
        );
    }
}

#[tokio::test]
async fn bad_input_is_refused_with_documented_codes_on_the_chosen_backend() {
    story(TestDb::chosen().await).await;
}

#[tokio::test]
async fn bad_input_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        story(db).await;
    }
}

/// The document lists exactly the routes the router serves under `/api/v1`, with the
/// permission the access table gives them, and only codes of `ApiCode`.
#[test]
fn openapi_document_matches_the_router_and_the_codes() {
    let doc = sigap_server::web::openapi::document();
    let mut served: Vec<(String, String)> = sigap_server::web::endpoints()
        .doors()
        .iter()
        .filter(|d| d.path.starts_with("/api/v1/"))
        .map(|d| (d.method.to_ascii_lowercase(), d.path.clone()))
        .collect();
    served.sort();
    let mut documented: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(|m| (m.clone(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    documented.sort();
    assert_eq!(served, documented);
    assert_eq!(doc["openapi"], "3.1.0");
    let known: Vec<&str> = ApiCode::ALL.iter().map(|c| c.as_str()).collect();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            for (status, res) in op["responses"].as_object().unwrap() {
                for code in res["x-sigap-error-codes"].as_array().into_iter().flatten() {
                    let c = ApiCode::parse(code.as_str().unwrap())
                        .unwrap_or_else(|| panic!("{method} {path}: unknown code {code}"));
                    assert_eq!(c.status().as_u16().to_string(), *status);
                    assert!(known.contains(&c.as_str()));
                }
            }
            // Every `$ref` resolves.
            let text = op.to_string();
            for part in text.split("#/components/schemas/").skip(1) {
                let name = part.split('"').next().unwrap();
                assert!(
                    doc["components"]["schemas"][name].is_object(),
                    "{method} {path}: {name} missing"
                );
            }
        }
    }
    let access =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/ACCESS.md")).unwrap();
    for route in sigap_server::web::api_v1::ROUTES {
        let requires = match route.permission {
            Some(p) => format!("`token: {}`", p.as_str()),
            None => "`public`".to_string(),
        };
        let row = format!(
            "| {} | `{}` | endpoint | {requires} |",
            route.verb.as_str(),
            route.path
        );
        assert!(access.contains(&row), "docs/ACCESS.md lacks {row}");
    }
}
