//! Helpers for the web-service API tests: a token of the demo service account and a small
//! client that posts JSON with it.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::auth_support::AuthApp;
use domain::access::Role;
use secrecy::ExposeSecret;
use serde_json::Value;
use sigap_server::storage::Actor;

/// A client of `/api/v1` holding one bearer token.
#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    /// A new token for the demo service account, for `purpose`.
    pub async fn for_service_account(app: &AuthApp, purpose: &str) -> Api {
        let s = app.storage.as_ref();
        let service = s
            .list_accounts()
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.role == Role::Service)
            .unwrap();
        let (_, token) = sigap_server::auth::token::issue(
            s,
            &service,
            purpose,
            None,
            &Actor::system("test"),
            sigap_server::now_ms(),
        )
        .await
        .unwrap();
        Api {
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .build()
                .unwrap(),
            base: app.url(""),
            token: token.expose_secret().to_string(),
        }
    }

    /// POSTs `body` as JSON: status and JSON body (Null when not JSON).
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let (status, body, _) = self.post_with_headers(path, body).await;
        (status, body)
    }

    /// [`Api::post`] with the answer's headers.
    pub async fn post_with_headers(
        &self,
        path: &str,
        body: &Value,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        (status, res.json().await.unwrap_or(Value::Null), headers)
    }

    /// `GET /api/v1/quota`: the first user ID's `used` today.
    pub async fn quota_used(&self) -> i64 {
        let res = self
            .client
            .get(format!("{}/api/v1/quota", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        let body: Value = res.json().await.unwrap();
        body["user_ids"][0]["used"].as_i64().unwrap()
    }
}
