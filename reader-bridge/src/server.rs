//! The WebSocket server on loopback: the handshake checks (`Host`, `Origin`, pairing token,
//! connection limit) before the upgrade, and one session per connection speaking
//! [`crate::protocol`].
//!
//! A refused handshake is an HTTP error with `{"error":{"code","message"}}`; inside a session
//! every bad message gets an `error` message and the session goes on (an oversized frame
//! closes the connection with 1009 after the error).

use crate::driver::ReadOptions;
use crate::hub::Hub;
use crate::protocol::{
    ClientMessage, ErrorCode, Fingerprint, PROTOCOL_VERSION, ServerMessage, parse_client,
};
use crate::security;
use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::pairing::{self, ReaderSecret};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast, mpsc};

/// The WebSocket path of protocol version 1.
pub const WS_PATH: &str = "/v1";

/// What the server needs to know.
#[derive(Clone)]
pub struct ServerSettings {
    /// The port actually listened on (for the `Host` check).
    pub port: u16,
    /// Allowed portal origins, normalised ([`security::normalise_origin`]).
    pub origins: Vec<String>,
    /// The registered reader id.
    pub reader_id: String,
    /// The registered reader secret.
    pub secret: ReaderSecret,
    /// Concurrent WebSocket connections allowed.
    pub max_connections: usize,
    /// Largest accepted message or frame, bytes.
    pub max_message_bytes: usize,
}

/// Current Unix time in milliseconds.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
#[must_use]
pub fn system_clock() -> Clock {
    Arc::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    })
}

#[derive(Clone)]
struct AppState {
    hub: Hub,
    settings: Arc<ServerSettings>,
    connections: Arc<Semaphore>,
    clock: Clock,
}

fn refuse(status: StatusCode, code: ErrorCode) -> Response {
    let body = serde_json::json!({"error": {"code": code.as_str(), "message": code.message()}});
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The router: the guard on every request, the WebSocket at [`WS_PATH`], 404 elsewhere.
pub fn router(hub: Hub, settings: ServerSettings, clock: Clock) -> Router {
    let state = AppState {
        hub,
        connections: Arc::new(Semaphore::new(settings.max_connections)),
        settings: Arc::new(settings),
        clock,
    };
    Router::new()
        .route(WS_PATH, get(websocket))
        .fallback(|| async { refuse(StatusCode::NOT_FOUND, ErrorCode::NotFound) })
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// `Host` and `Origin` on every request, before anything else.
async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if !host.is_some_and(|h| security::host_allowed(h, state.settings.port)) {
        tracing::warn!("request refused: Host not allowed");
        return refuse(StatusCode::FORBIDDEN, ErrorCode::HostNotAllowed);
    }
    match headers.get(header::ORIGIN).map(|o| o.to_str()) {
        None => {
            tracing::warn!("request refused: no Origin");
            return refuse(StatusCode::FORBIDDEN, ErrorCode::OriginMissing);
        }
        Some(Ok(origin)) if security::origin_allowed(origin, &state.settings.origins) => {}
        Some(_) => {
            tracing::warn!("request refused: Origin not allowed");
            return refuse(StatusCode::FORBIDDEN, ErrorCode::OriginNotAllowed);
        }
    }
    next.run(request).await
}

fn query_token(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

fn token_status(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::TokenOtherReader => StatusCode::FORBIDDEN,
        _ => StatusCode::UNAUTHORIZED,
    }
}

async fn websocket(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let Ok(ws) = ws else {
        return refuse(StatusCode::BAD_REQUEST, ErrorCode::NotWebSocket);
    };
    let Some(token) = query_token(uri.query()) else {
        tracing::warn!("handshake refused: no pairing token");
        return refuse(StatusCode::UNAUTHORIZED, ErrorCode::TokenMissing);
    };
    let pairing = match pairing::verify(
        &state.settings.secret,
        &token,
        &state.settings.reader_id,
        (state.clock)(),
    ) {
        Ok(p) => p,
        Err(e) => {
            let code = ErrorCode::from(&e);
            tracing::warn!(code = %code, "handshake refused: pairing token");
            return refuse(token_status(code), code);
        }
    };
    let Ok(permit) = state.connections.clone().try_acquire_owned() else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::TooManyConnections,
        );
    };
    tracing::info!(operator = %pairing.operator_id, "connection opened");
    let max = state.settings.max_message_bytes;
    ws.max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| session(socket, state, token, permit))
}

/// Per-connection state.
struct Session {
    state: AppState,
    token: String,
    read_running: bool,
}

enum Flow {
    Continue,
    Close,
}

async fn send(socket: &mut WebSocket, message: &ServerMessage) -> bool {
    socket
        .send(Message::Text(message.to_json().into()))
        .await
        .is_ok()
}

async fn session(
    mut socket: WebSocket,
    state: AppState,
    token: String,
    _permit: OwnedSemaphorePermit,
) {
    let mut events = state.hub.subscribe();
    let greeting = hello(&state);
    if !send(&mut socket, &greeting).await {
        return;
    }
    let (results_tx, mut results) = mpsc::channel::<ServerMessage>(4);
    let mut s = Session {
        state,
        token,
        read_running: false,
    };
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let flow = match incoming {
                    None => Flow::Close,
                    Some(Ok(message)) => s.on_message(&mut socket, message, &results_tx).await,
                    Some(Err(e)) => {
                        let too_big = is_capacity_error(&e);
                        if too_big {
                            let _ = send(&mut socket, &ServerMessage::error(None, ErrorCode::MessageTooLarge)).await;
                            let _ = socket
                                .send(Message::Close(Some(CloseFrame {
                                    code: close_code::SIZE,
                                    reason: ErrorCode::MessageTooLarge.as_str().into(),
                                })))
                                .await;
                        }
                        tracing::info!(too_big, "connection ended by a transport error");
                        Flow::Close
                    }
                };
                if matches!(flow, Flow::Close) {
                    break;
                }
            }
            event = events.recv() => {
                let message = match event {
                    Ok(m) => m,
                    // Missed events: start over with the full picture.
                    Err(broadcast::error::RecvError::Lagged(_)) => hello(&s.state),
                    Err(broadcast::error::RecvError::Closed) => break,
                };
                if !send(&mut socket, &message).await {
                    break;
                }
            }
            Some(result) = results.recv() => {
                s.read_running = false;
                if !send(&mut socket, &result).await {
                    break;
                }
            }
        }
    }
    tracing::info!("connection closed");
}

fn is_capacity_error(e: &axum::Error) -> bool {
    // axum wraps tungstenite's error; its text names the capacity limit.
    let text = e.to_string().to_ascii_lowercase();
    text.contains("space limit") || text.contains("too long") || text.contains("capacity")
}

fn hello(state: &AppState) -> ServerMessage {
    ServerMessage::Hello {
        bridge: format!("reader-bridge {}", env!("CARGO_PKG_VERSION")),
        protocol: PROTOCOL_VERSION,
        reader_id: state.settings.reader_id.clone(),
        readers: state.hub.snapshot(),
    }
}

impl Session {
    async fn on_message(
        &mut self,
        socket: &mut WebSocket,
        message: Message,
        results: &mpsc::Sender<ServerMessage>,
    ) -> Flow {
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(_) => {
                return self
                    .reply(
                        socket,
                        ServerMessage::error(None, ErrorCode::BinaryNotSupported),
                    )
                    .await;
            }
            Message::Close(_) => return Flow::Close,
            Message::Ping(_) | Message::Pong(_) => return Flow::Continue,
        };
        let parsed = match parse_client(text.as_str()) {
            Ok(m) => m,
            Err(failure) => {
                return self
                    .reply(socket, ServerMessage::error(failure.id, failure.code))
                    .await;
            }
        };
        match parsed {
            ClientMessage::Ping { id } => self.reply(socket, ServerMessage::Pong { id }).await,
            ClientMessage::Read {
                id,
                reader,
                token,
                fingerprint,
            } => {
                if let Err(code) = self.check_token(token) {
                    return self
                        .reply(socket, ServerMessage::error(Some(id), code))
                        .await;
                }
                if self.read_running {
                    return self
                        .reply(
                            socket,
                            ServerMessage::error(Some(id), ErrorCode::ReadInProgress),
                        )
                        .await;
                }
                self.read_running = true;
                let hub = self.state.hub.clone();
                let tx = results.clone();
                let today = today_wib((self.state.clock)());
                tokio::spawn(async move {
                    let options = ReadOptions { fingerprint, today };
                    let message = match hub.read(reader.as_deref(), options).await {
                        Ok(outcome) => read_result(id, outcome),
                        Err(code) => ServerMessage::error(Some(id), code),
                    };
                    let _ = tx.send(message).await;
                });
                Flow::Continue
            }
        }
    }

    async fn reply(&mut self, socket: &mut WebSocket, message: ServerMessage) -> Flow {
        if send(socket, &message).await {
            Flow::Continue
        } else {
            Flow::Close
        }
    }

    /// A fresh token (if sent) must be valid and replaces the connection's; the
    /// connection's token must still be valid now.
    fn check_token(&mut self, fresh: Option<String>) -> Result<(), ErrorCode> {
        let now = (self.state.clock)();
        let settings = &self.state.settings;
        if let Some(fresh) = fresh {
            pairing::verify(&settings.secret, &fresh, &settings.reader_id, now)
                .map_err(|e| ErrorCode::from(&e))?;
            self.token = fresh;
            return Ok(());
        }
        pairing::verify(&settings.secret, &self.token, &settings.reader_id, now)
            .map(|_| ())
            .map_err(|e| ErrorCode::from(&e))
    }
}

fn read_result(id: String, outcome: crate::hub::ReadOutcome) -> ServerMessage {
    let fingerprint: Fingerprint = outcome.data.fingerprint;
    ServerMessage::ReadResult {
        id,
        reader: outcome.reader,
        card: outcome.card,
        nik: outcome.data.nik,
        demographics: outcome.data.demographics,
        fingerprint,
    }
}

/// The WIB (UTC+7) calendar day of a Unix-millisecond instant.
#[must_use]
pub fn today_wib(now_ms: i64) -> time::Date {
    let wib = time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::from_unix_timestamp(now_ms.div_euclid(1000))
        .map(|t| t.to_offset(wib).date())
        .unwrap_or(time::Date::MIN)
}

/// Binds 127.0.0.1:`port` and [::1]:`port` (the latter skipped, with a warning, where the
/// machine has no IPv6 loopback). With port 0 the IPv4 socket picks the port and IPv6 uses the
/// same one. Returns the listeners and the port.
pub async fn bind_loopback(port: u16) -> std::io::Result<(Vec<TcpListener>, u16)> {
    let [v4, v6] = security::listen_addrs(port);
    let first = TcpListener::bind(v4).await?;
    let port = first.local_addr()?.port();
    let mut listeners = vec![first];
    let v6 = std::net::SocketAddr::new(v6.ip(), port);
    match TcpListener::bind(v6).await {
        Ok(l) => listeners.push(l),
        Err(e) => {
            tracing::warn!(error = %e, "IPv6 loopback not available; listening on 127.0.0.1 only")
        }
    }
    Ok((listeners, port))
}

/// Serves `router` on every listener until `shutdown` completes.
pub async fn serve(
    listeners: Vec<TcpListener>,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, _) = broadcast::channel::<()>(1);
    let mut tasks = Vec::new();
    for listener in listeners {
        let mut stop = stop_tx.subscribe();
        let app = router.clone();
        tasks.push(tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.recv().await;
                })
                .await
        }));
    }
    shutdown.await;
    let _ = stop_tx.send(());
    for task in tasks {
        match task.await {
            Ok(result) => result?,
            Err(e) => return Err(std::io::Error::other(e)),
        }
    }
    Ok(())
}
