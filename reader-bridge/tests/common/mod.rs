//! Shared test harness: an in-process bridge over the fake driver (or any driver), a
//! WebSocket client with chosen `Host`/`Origin`, synthetic residents and tokens.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use domain::pairing::{self, ReaderSecret};
use futures_util::{SinkExt, StreamExt};
use reader_bridge::driver::fake::FakeDriver;
use reader_bridge::hub::{Hub, HubConfig};
use reader_bridge::protocol::{Demographics, ServerEnvelope, ServerMessage};
use reader_bridge::server::{self, ServerSettings};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const SECRET: &str = "synthetic-reader-secret-0123456789abcdef";
pub const READER_ID: &str = "RDR-TEST-01";
pub const ORIGIN: &str = "https://sigap.example.go.id";
pub const NOW: i64 = 1_790_000_000_000;

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub fn secret() -> ReaderSecret {
    ReaderSecret::new(SECRET.as_bytes().to_vec()).unwrap()
}

pub fn token_at(now: i64) -> String {
    pairing::create(&secret(), "op-7", READER_ID, now, 120_000).unwrap()
}

pub struct Bridge {
    pub port: u16,
    pub fake: FakeDriver,
    pub clock: Arc<AtomicI64>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Bridge {
    pub async fn start(hub_config: HubConfig) -> Bridge {
        let fake = FakeDriver::new();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        fake.connect_monitor(tx);
        let hub = Hub::start(Arc::new(fake.clone()), hub_config, rx);
        let (listeners, port) = server::bind_loopback(0).await.unwrap();
        let clock = Arc::new(AtomicI64::new(NOW));
        let c = clock.clone();
        let settings = ServerSettings {
            port,
            origins: vec![ORIGIN.to_owned(), "http://localhost:3000".to_owned()],
            reader_id: READER_ID.to_owned(),
            secret: secret(),
            max_connections: 4,
            max_message_bytes: 16 * 1024,
        };
        let router = server::router(hub, settings, Arc::new(move || c.load(Ordering::SeqCst)));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server::serve(listeners, router, async move {
            let _ = stopped.await;
        }));
        Bridge {
            port,
            fake,
            clock,
            stop: Some(stop),
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.load(Ordering::SeqCst)
    }

    pub fn advance(&self, ms: i64) {
        self.clock.fetch_add(ms, Ordering::SeqCst);
    }

    pub async fn connect(&self) -> Ws {
        let token = token_at(self.now());
        connect(self.port, &format!("/v1?token={token}"), Some(ORIGIN), None)
            .await
            .unwrap()
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Opens a WebSocket to 127.0.0.1:`port` + `path` with `origin` and an optional `Host`.
/// A refused handshake comes back as (status, error code).
pub async fn connect(
    port: u16,
    path: &str,
    origin: Option<&str>,
    host: Option<&str>,
) -> Result<Ws, (u16, String)> {
    connect_to(&format!("127.0.0.1:{port}"), path, origin, host).await
}

pub async fn connect_to(
    authority: &str,
    path: &str,
    origin: Option<&str>,
    host: Option<&str>,
) -> Result<Ws, (u16, String)> {
    let mut request = format!("ws://{authority}{path}")
        .into_client_request()
        .unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("Origin", HeaderValue::from_str(origin).unwrap());
    }
    if let Some(host) = host {
        request
            .headers_mut()
            .insert("Host", HeaderValue::from_str(host).unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let body = response.body().clone().unwrap_or_default();
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            Err((
                status,
                json["error"]["code"].as_str().unwrap_or("").to_owned(),
            ))
        }
        Err(e) => Err((0, e.to_string())),
    }
}

/// The next bridge message (5 s at most).
pub async fn next(ws: &mut Ws) -> ServerMessage {
    next_within(ws, Duration::from_secs(5))
        .await
        .expect("a message from the bridge")
}

pub async fn next_within(ws: &mut Ws, wait: Duration) -> Option<ServerMessage> {
    loop {
        let frame = tokio::time::timeout(wait, ws.next()).await.ok()??;
        match frame.ok()? {
            Message::Text(text) => {
                let envelope: ServerEnvelope = serde_json::from_str(text.as_str())
                    .unwrap_or_else(|e| panic!("bad message {text}: {e}"));
                assert_eq!(envelope.v, 1);
                return Some(envelope.message);
            }
            Message::Close(_) => return None,
            _ => continue,
        }
    }
}

/// Waits for a message matching `pred`, skipping others (10 s at most).
pub async fn wait_for(
    ws: &mut Ws,
    what: &str,
    pred: impl Fn(&ServerMessage) -> bool,
) -> ServerMessage {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match next_within(ws, left).await {
            Some(m) if pred(&m) => return m,
            Some(_) => continue,
            None => panic!("no {what} from the bridge"),
        }
    }
}

pub async fn send_text(ws: &mut Ws, text: &str) {
    ws.send(Message::Text(text.into())).await.unwrap();
}

pub async fn send_json(ws: &mut Ws, value: serde_json::Value) {
    send_text(ws, &value.to_string()).await;
}

pub fn read_request(id: &str, fingerprint: bool) -> serde_json::Value {
    serde_json::json!({"v": 1, "type": "read", "id": id, "fingerprint": fingerprint})
}

/// A synthetic resident of the simulator's population (never a real person).
pub fn resident(index: usize) -> (String, Demographics) {
    reader_bridge::vcard::synthetic_resident(3313, 500, index).unwrap()
}

pub fn error_code(m: &ServerMessage) -> Option<&'static str> {
    match m {
        ServerMessage::Error { code, .. } => Some(code.as_str()),
        _ => None,
    }
}
