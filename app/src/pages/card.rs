//! Cek kartu (`/cek-kartu`) and the card panel ([`CardReaderPanel`]) the Cek NIK page will
//! embed: the browser connects to the reader-bridge on this PC (WebSocket on
//! `ws://127.0.0.1:<port>/v1`, docs/reader-protocol.md) with a pairing token the server
//! issues for a registered, active reader (`reader_pairing`), shows bridge, reader and card
//! status, sends the read (with a fresh token, optionally with the fingerprint match), shows
//! the fingerprint verdict, hands the NIK to `on_nik`, and runs the comparison with the
//! registry (`card_compare`: one look-up, one quota hit, per-element same/different). The
//! card's data lives in this page's memory only; nothing is written to browser storage.

use crate::AppError;
use crate::backend::{CardComparison, CardElements, CardReaderInfo, PairingToken};
use crate::i18n::use_lang;
use crate::session::RequireNda;
use leptos::prelude::*;

/// Bridge port and the caller's institution's active readers (`nik.lookup`).
#[leptos::server(prefix = "/api/sf", endpoint = "card_reader_info")]
pub async fn get_card_reader_info() -> Result<CardReaderInfo, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?.card_reader_info(parts).await
}

/// A short-lived pairing token for one registered, active reader of the caller's institution.
#[leptos::server(prefix = "/api/sf", endpoint = "reader_pairing")]
pub async fn reader_pairing(reader_id: String) -> Result<PairingToken, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .reader_pairing(parts, reader_id)
        .await
}

/// One look-up on channel `reader`, compared element by element with the card; nothing kept.
#[leptos::server(prefix = "/api/sf", endpoint = "card_compare")]
pub async fn card_compare(
    nik: String,
    purpose: String,
    card: CardElements,
    fingerprint: String,
) -> Result<CardComparison, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .card_compare(parts, nik, purpose, card, fingerprint)
        .await
}

/// What one read returned (page memory only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRead {
    pub nik: String,
    pub card: CardElements,
    /// `matched`, `not_matched`, `not_performed`.
    pub fingerprint: String,
    pub attempts_left: Option<u8>,
}

/// The page: the panel on its own.
#[component]
pub fn CardCheckPage() -> impl IntoView {
    let lang = use_lang();
    let rt = move || lang.get().reader_texts();
    view! {
        <RequireNda>
            <section class="card">
                <h1 data-testid="card-title">{move || rt().card_title}</h1>
                <p class="muted">{move || rt().card_lead}</p>
            </section>
            <CardReaderPanel />
        </RequireNda>
    }
}

/// Bridge connection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bridge {
    Idle,
    Connecting,
    Connected,
    Unavailable,
}

impl Bridge {
    fn code(self) -> &'static str {
        match self {
            Bridge::Idle => "idle",
            Bridge::Connecting => "connecting",
            Bridge::Connected => "connected",
            Bridge::Unavailable => "unavailable",
        }
    }
}

/// Signals the WebSocket handlers write.
#[derive(Clone, Copy)]
struct PanelState {
    bridge: RwSignal<Bridge>,
    /// Readers the bridge sees: name and whether a card is in it.
    readers: RwSignal<Vec<(String, bool)>>,
    error: RwSignal<Option<(String, String)>>,
    reading: RwSignal<bool>,
    result: RwSignal<Option<CardRead>>,
}

/// The card panel. `on_nik` receives the NIK of every card read.
#[component]
pub fn CardReaderPanel(#[prop(optional, into)] on_nik: Option<Callback<String>>) -> impl IntoView {
    let lang = use_lang();
    let rt = move || lang.get().reader_texts();
    let texts = move || lang.get().texts();
    let info = Resource::new(|| (), |_| get_card_reader_info());
    view! {
        <Suspense fallback=move || view! { <p>{move || texts().loading}</p> }>
            {move || Suspend::new(async move {
                match info.await {
                    Ok(i) if i.readers.is_empty() => {
                        view! { <p class="card" data-testid="card-no-readers">{move || rt().no_readers}</p> }
                            .into_any()
                    }
                    Ok(i) => view! { <Panel info=i on_nik=on_nik /> }.into_any(),
                    Err(e) => {
                        view! {
                            <p class="form-error" role="alert" data-testid="card-error" data-error-code=e.code().to_string()>
                                {
                        let e = e.clone();
                        move || texts().error_message(&e)
                    }
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn Panel(info: CardReaderInfo, on_nik: Option<Callback<String>>) -> impl IntoView {
    let lang = use_lang();
    let rt = move || lang.get().reader_texts();
    let texts = move || lang.get().texts();
    let state = PanelState {
        bridge: RwSignal::new(Bridge::Idle),
        readers: RwSignal::new(Vec::new()),
        error: RwSignal::new(None),
        reading: RwSignal::new(false),
        result: RwSignal::new(None),
    };
    let port = info.bridge_port;
    let selected = RwSignal::new(
        info.readers
            .first()
            .map(|r| r.reader_id.clone())
            .unwrap_or_default(),
    );
    let fingerprint = RwSignal::new(true);
    let purpose = RwSignal::new(String::new());
    let compare = ServerAction::<CardCompare>::new();
    let socket = ws::Socket::new();
    // Hand every NIK read to the embedding page.
    Effect::new(move |_| {
        if let (Some(cb), Some(r)) = (on_nik, state.result.get()) {
            cb.run(r.nik);
        }
    });
    let connect = move |_| {
        let reader = selected.get_untracked();
        state.bridge.set(Bridge::Connecting);
        state.error.set(None);
        leptos::task::spawn_local(async move {
            match reader_pairing(reader).await {
                Ok(t) => socket.connect(port, &t.token, state),
                Err(e) => {
                    state.bridge.set(Bridge::Idle);
                    state.error.set(Some((e.code().to_string(), String::new())));
                }
            }
        });
    };
    let read = move |_| {
        let reader = selected.get_untracked();
        let with_fp = fingerprint.get_untracked();
        state.reading.set(true);
        state.error.set(None);
        state.result.set(None);
        leptos::task::spawn_local(async move {
            match reader_pairing(reader).await {
                Ok(t) => socket.read(&t.token, with_fp, state),
                Err(e) => {
                    state.reading.set(false);
                    state.error.set(Some((e.code().to_string(), String::new())));
                }
            }
        });
    };
    let run_compare = move |_| {
        if let Some(r) = state.result.get_untracked() {
            compare.dispatch(CardCompare {
                nik: r.nik,
                purpose: purpose.get_untracked(),
                card: r.card,
                fingerprint: r.fingerprint,
            });
        }
    };
    let help = format!(
        "reader-bridge --port {port} --origin {} --reader-id {} --secret-file ~/.config/reader-bridge/secret",
        info.portal_origin
            .clone()
            .unwrap_or_else(|| "https://sigap.example.go.id".into()),
        selected.get_untracked(),
    );
    let choices = info.readers.clone();
    view! {
        <section class="card" data-testid="card-panel" data-bridge=move || state.bridge.get().code()>
            <label>
                {move || rt().reader_label}
                <select
                    data-testid="card-reader-select"
                    on:change=move |ev| selected.set(event_target_value(&ev))
                    prop:value=move || selected.get()
                >
                    {choices
                        .into_iter()
                        .map(|r| {
                            let label = format!("{} · {}", r.reader_id, r.work_unit);
                            view! { <option value=r.reader_id.clone()>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <p data-testid="bridge-status">
                {move || match state.bridge.get() {
                    Bridge::Idle => rt().bridge_idle,
                    Bridge::Connecting => rt().bridge_connecting,
                    Bridge::Connected => rt().bridge_connected,
                    Bridge::Unavailable => rt().bridge_unavailable,
                }}
            </p>
            <Show when=move || state.bridge.get() == Bridge::Unavailable>
                <div data-testid="bridge-help">
                    <p>{move || rt().bridge_help}</p>
                    <pre>{help.clone()}</pre>
                    <p>
                        {move || rt().bridge_help_link} ": "
                        <code>"reader-bridge/README.md#usage"</code>
                    </p>
                </div>
            </Show>
            <Show when=move || state.bridge.get() != Bridge::Connected>
                <button type="button" data-testid="bridge-connect" on:click=connect>
                    {move || rt().connect}
                </button>
            </Show>
            <ul data-testid="bridge-readers">
                {move || {
                    state
                        .readers
                        .get()
                        .into_iter()
                        .map(|(name, card)| {
                            view! {
                                <li data-testid="bridge-reader" data-card=card.to_string()>
                                    {name} " · "
                                    {move || if card { rt().card_present } else { rt().card_absent }}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <Show when=move || state.bridge.get() == Bridge::Connected>
                <label>
                    <input
                        type="checkbox"
                        data-testid="card-fingerprint"
                        prop:checked=move || fingerprint.get()
                        on:change=move |ev| fingerprint.set(event_target_checked(&ev))
                    />
                    {move || rt().with_fingerprint}
                </label>
                <button type="button" data-testid="card-read" on:click=read disabled=move || state.reading.get()>
                    {move || if state.reading.get() { rt().reading } else { rt().read }}
                </button>
            </Show>
            {move || {
                state
                    .error
                    .get()
                    .map(|(code, message)| {
                        let words = texts()
                            .rejection(&code)
                            .map(str::to_string)
                            .unwrap_or(message);
                        view! {
                            <p class="form-error" role="alert" data-testid="card-read-error" data-error-code=code.clone()>
                                {format!("{words} ({code})")}
                            </p>
                        }
                    })
            }}
        </section>
        {move || {
            state
                .result
                .get()
                .map(|r| {
                    let verdict = r.fingerprint.clone();
                    let verdict_code = verdict.clone();
                    view! {
                        <section class="card" data-testid="card-result">
                            <dl class="facts">
                                <dt>{move || rt().nik_read}</dt>
                                <dd data-testid="card-nik">{r.nik.clone()}</dd>
                                <dt>{move || rt().fingerprint}</dt>
                                <dd data-testid="card-fingerprint-verdict" data-verdict=verdict_code>
                                    {move || rt().fingerprint_verdict(&verdict)}
                                    {r.attempts_left.map(|n| format!(" ({n})"))}
                                </dd>
                            </dl>
                            <label>
                                {move || rt().purpose}
                                <input
                                    data-testid="card-purpose"
                                    maxlength="200"
                                    prop:value=move || purpose.get()
                                    on:input=move |ev| purpose.set(event_target_value(&ev))
                                />
                            </label>
                            <button type="button" data-testid="card-compare" on:click=run_compare disabled=move || compare.pending().get()>
                                {move || rt().compare}
                            </button>
                            <p class="muted">{move || rt().compare_note}</p>
                        </section>
                    }
                })
        }}
        {move || compare.value().get().map(|r| view! { <ComparisonView result=r /> })}
    }
}

#[component]
fn ComparisonView(result: Result<CardComparison, AppError>) -> impl IntoView {
    let lang = use_lang();
    let rt = move || lang.get().reader_texts();
    let texts = move || lang.get().texts();
    match result {
        Err(e) => {
            view! {
                <p class="form-error" role="alert" data-testid="card-compare-error" data-error-code=e.code().to_string()>
                    {
                        let e = e.clone();
                        move || texts().error_message(&e)
                    }
                </p>
            }
                .into_any()
        }
        Ok(c) if !c.found => {
            let code = c.outcome_code.clone();
            view! {
                <p class="card" data-testid="card-compare-not-found" data-code=code.clone()>
                    {move || rt().not_found} " " {code.clone()}
                </p>
            }
                .into_any()
        }
        Ok(c) => {
            let differences = c.differences;
            let quota = match (c.quota_used, c.quota_limit) {
                (Some(u), Some(l)) => format!("{u} / {l}"),
                _ => "—".into(),
            };
            view! {
                <section class="card" data-testid="card-comparison" data-differences=differences.to_string()>
                    <p data-testid="card-compare-summary">
                        {move || {
                            if differences == 0 {
                                rt().no_differences.to_string()
                            } else {
                                format!("{}: {differences}", rt().differences)
                            }
                        }}
                    </p>
                    <div class="table-wrap"><table class="table">
                        <tbody>
                            {c.elements
                                .into_iter()
                                .map(|e| {
                                    let code = e.element.clone();
                                    let v = e.verdict.clone();
                                    let class = match v.as_str() {
                                        "different" => "badge-warn",
                                        "same" => "badge-ok",
                                        _ => "muted",
                                    };
                                    view! {
                                        <tr data-testid="card-element" data-element=e.element.clone() data-verdict=e.verdict.clone()>
                                            <td>{move || rt().element(&code)}</td>
                                            <td class=class>
                                                {move || match v.as_str() {
                                                    "same" => rt().same,
                                                    "different" => rt().different,
                                                    _ => rt().not_compared,
                                                }}
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table></div>
                    <p class="muted">{move || rt().quota} ": " {quota.clone()}</p>
                </section>
            }
                .into_any()
        }
    }
}

/// A message from the bridge, as the panel uses it (docs/reader-protocol.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BridgeEvent {
    /// The readers the bridge sees, with whether each holds a card.
    Hello {
        readers: Vec<(String, bool)>,
    },
    ReaderAttached(String),
    ReaderDetached(String),
    CardInserted(String),
    CardRemoved(String),
    Read(Box<CardRead>),
    Error {
        code: String,
        message: String,
    },
}

fn text(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Reads one bridge message; `None` for anything the panel ignores (`pong`, unknown types,
/// malformed text).
pub fn parse_bridge_message(raw: &str) -> Option<BridgeEvent> {
    let msg = serde_json::from_str::<serde_json::Value>(raw).ok()?;
    if msg.get("v").and_then(serde_json::Value::as_u64) != Some(1) {
        return None;
    }
    Some(match msg.get("type").and_then(serde_json::Value::as_str)? {
        "hello" => BridgeEvent::Hello {
            readers: msg
                .get("readers")
                .and_then(serde_json::Value::as_array)
                .map(|rs| {
                    rs.iter()
                        .map(|r| (text(r, "name"), r.get("card").is_some_and(|c| !c.is_null())))
                        .collect()
                })
                .unwrap_or_default(),
        },
        "reader_attached" => BridgeEvent::ReaderAttached(text(&msg, "reader")),
        "reader_detached" => BridgeEvent::ReaderDetached(text(&msg, "reader")),
        "card_inserted" => BridgeEvent::CardInserted(text(&msg, "reader")),
        "card_removed" => BridgeEvent::CardRemoved(text(&msg, "reader")),
        "read_result" => {
            let d = msg.get("demographics").cloned().unwrap_or_default();
            let fp = msg.get("fingerprint").cloned().unwrap_or_default();
            BridgeEvent::Read(Box::new(CardRead {
                nik: text(&msg, "nik"),
                card: CardElements {
                    name: text(&d, "name"),
                    birth_place: text(&d, "birth_place"),
                    birth_date: text(&d, "birth_date"),
                    sex: text(&d, "sex"),
                    address: text(&d, "address"),
                    rt: text(&d, "rt"),
                    rw: text(&d, "rw"),
                    village: text(&d, "village"),
                    district: text(&d, "district"),
                    regency: text(&d, "regency"),
                    province: text(&d, "province"),
                    marital_status: text(&d, "marital_status"),
                    occupation: text(&d, "occupation"),
                },
                fingerprint: match text(&fp, "verdict").as_str() {
                    v @ ("matched" | "not_matched") => v.to_string(),
                    _ => "not_performed".to_string(),
                },
                attempts_left: fp
                    .get("attempts_left")
                    .and_then(serde_json::Value::as_u64)
                    .and_then(|n| u8::try_from(n).ok()),
            }))
        }
        "error" => BridgeEvent::Error {
            code: text(&msg, "code"),
            message: text(&msg, "message"),
        },
        _ => return None,
    })
}

/// How long the panel waits for the bridge's WebSocket to open before saying it is
/// unavailable.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The WebSocket to the bridge (browser only; on the server every call does nothing).
mod ws {
    #[cfg(feature = "hydrate")]
    use super::Bridge;
    use super::PanelState;
    #[cfg(feature = "hydrate")]
    use leptos::prelude::*;

    /// The page's connection, kept in the page's memory.
    #[derive(Clone, Copy)]
    pub struct Socket {
        #[cfg(feature = "hydrate")]
        inner: StoredValue<Option<web_sys::WebSocket>, LocalStorage>,
        #[cfg(feature = "hydrate")]
        next_id: StoredValue<u32>,
    }

    impl Socket {
        pub fn new() -> Socket {
            Socket {
                #[cfg(feature = "hydrate")]
                inner: StoredValue::new_local(None),
                #[cfg(feature = "hydrate")]
                next_id: StoredValue::new(0),
            }
        }

        #[cfg(not(feature = "hydrate"))]
        pub fn connect(&self, _port: u16, _token: &str, _state: PanelState) {}

        #[cfg(not(feature = "hydrate"))]
        pub fn read(&self, _token: &str, _fingerprint: bool, _state: PanelState) {}

        #[cfg(feature = "hydrate")]
        pub fn connect(&self, port: u16, token: &str, state: PanelState) {
            use wasm_bindgen::JsCast;
            use wasm_bindgen::closure::Closure;
            if let Some(old) = self.inner.get_value() {
                let _ = old.close();
            }
            let url = format!("ws://127.0.0.1:{port}/v1?token={token}");
            let Ok(socket) = web_sys::WebSocket::new(&url) else {
                state.bridge.set(Bridge::Unavailable);
                return;
            };
            let onopen = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                state.bridge.set(Bridge::Connected);
            });
            socket.set_onopen(Some(onopen.as_ref().unchecked_ref()));
            onopen.forget();
            let onclose = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                state.bridge.set(Bridge::Unavailable);
                state.reading.set(false);
            });
            socket.set_onclose(Some(onclose.as_ref().unchecked_ref()));
            onclose.forget();
            let onmessage = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |ev: web_sys::MessageEvent| {
                    if let Some(text) = ev.data().as_string() {
                        handle(&text, state);
                    }
                },
            );
            socket.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
            onmessage.forget();
            // A connection the browser neither opens nor refuses (blocked, a firewall that
            // drops packets) would leave the panel "connecting" for ever: give up after
            // CONNECT_TIMEOUT and say the bridge is unavailable.
            let pending = socket.clone();
            set_timeout(
                move || {
                    if pending.ready_state() == web_sys::WebSocket::CONNECTING {
                        let _ = pending.close();
                        state.bridge.set(Bridge::Unavailable);
                    }
                },
                super::CONNECT_TIMEOUT,
            );
            self.inner.set_value(Some(socket));
        }

        #[cfg(feature = "hydrate")]
        pub fn read(&self, token: &str, fingerprint: bool, state: PanelState) {
            let Some(socket) = self.inner.get_value() else {
                state.reading.set(false);
                state.bridge.set(Bridge::Unavailable);
                return;
            };
            let n = self.next_id.get_value() + 1;
            self.next_id.set_value(n);
            let msg = serde_json::json!({
                "v": 1, "type": "read", "id": format!("r-{n}"),
                "token": token, "fingerprint": fingerprint,
            });
            if socket.send_with_str(&msg.to_string()).is_err() {
                state.reading.set(false);
                state.bridge.set(Bridge::Unavailable);
            }
        }
    }

    /// One message from the bridge, applied to the panel.
    #[cfg(feature = "hydrate")]
    fn handle(raw: &str, state: PanelState) {
        use super::BridgeEvent;
        let set_card = |reader: String, card: bool| {
            state.readers.update(|rs| {
                if let Some(r) = rs.iter_mut().find(|(n, _)| *n == reader) {
                    r.1 = card;
                } else {
                    rs.push((reader, card));
                }
            })
        };
        match super::parse_bridge_message(raw) {
            Some(BridgeEvent::Hello { readers }) => state.readers.set(readers),
            Some(BridgeEvent::ReaderAttached(name)) | Some(BridgeEvent::CardRemoved(name)) => {
                set_card(name, false)
            }
            Some(BridgeEvent::ReaderDetached(name)) => {
                state.readers.update(|rs| rs.retain(|(n, _)| *n != name));
            }
            Some(BridgeEvent::CardInserted(name)) => set_card(name, true),
            Some(BridgeEvent::Read(read)) => {
                state.reading.set(false);
                state.result.set(Some(*read));
            }
            Some(BridgeEvent::Error { code, message }) => {
                state.reading.set(false);
                state.error.set(Some((code, message)));
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Examples from docs/reader-protocol.md (synthetic data).
    const HELLO: &str = r#"{"v":1,"type":"hello","bridge":"reader-bridge 0.1.0","protocol":1,"reader_id":"RDR-01","readers":[{"name":"Virtual PCD 00 00","card":{"atr":"3B8A800153494741502D454B545060","uid":"04A1B2C3D4E5F6"}},{"name":"Virtual PCD 00 01","card":null}]}"#;
    const READ: &str = r#"{"v":1,"type":"read_result","id":"r-4","reader":"Virtual PCD 00 00","card":{"atr":"3B8A800153494741502D454B545060","uid":"04A1B2C3D4E5F6"},"nik":"3313010101900001","demographics":{"name":"SINTETIS CONTOH","birth_place":"KARANGANYAR","birth_date":"01-01-1990","sex":"LAKI-LAKI","blood_group":"O","address":"DUSUN CONTOH","rt":"001","rw":"002","village":"JATIPURO","district":"JATIPURO","regency":"KARANGANYAR","province":"JAWA TENGAH","religion":"ISLAM","marital_status":"KAWIN","occupation":"PETANI/PEKEBUN","citizenship":"WNI","valid_until":"SEUMUR HIDUP"},"fingerprint":{"verdict":"not_performed","attempts_left":0,"reason":"blocked"}}"#;

    #[test]
    fn protocol_examples_parse() {
        assert_eq!(
            parse_bridge_message(HELLO),
            Some(BridgeEvent::Hello {
                readers: vec![
                    ("Virtual PCD 00 00".into(), true),
                    ("Virtual PCD 00 01".into(), false)
                ]
            })
        );
        let Some(BridgeEvent::Read(read)) = parse_bridge_message(READ) else {
            panic!("not a read");
        };
        assert_eq!(read.nik, "3313010101900001");
        assert_eq!(read.card.name, "SINTETIS CONTOH");
        assert_eq!(read.card.birth_date, "01-01-1990");
        assert_eq!(read.card.occupation, "PETANI/PEKEBUN");
        assert_eq!(read.fingerprint, "not_performed");
        assert_eq!(read.attempts_left, Some(0));
        assert_eq!(
            parse_bridge_message(
                r#"{"v":1,"type":"error","id":"r-1","code":"CARD_REMOVED","message":"Kartu dicabut."}"#
            ),
            Some(BridgeEvent::Error {
                code: "CARD_REMOVED".into(),
                message: "Kartu dicabut.".into()
            })
        );
        assert_eq!(
            parse_bridge_message(
                r#"{"v":1,"type":"card_inserted","reader":"R","atr":"3B","uid":null}"#
            ),
            Some(BridgeEvent::CardInserted("R".into()))
        );
        assert_eq!(
            parse_bridge_message(r#"{"v":1,"type":"pong","id":"p-1"}"#),
            None
        );
        assert_eq!(parse_bridge_message(r#"{"v":2,"type":"hello"}"#), None);
        assert_eq!(parse_bridge_message("not json"), None);
    }
}
