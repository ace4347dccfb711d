//! The bridge's core: the current readers and cards (from the monitor's events), their
//! broadcast to every connection, and reads run on the blocking pool with a timeout, one at a
//! time per reader, under the read rate limit.
//!
//! Card data passes through here in memory only; nothing is logged but reader names, error
//! codes and durations.

use crate::driver::{CardDriver, MonitorEvent, ReadOptions};
use crate::profile::{CardData, CardError, TransportError};
use crate::protocol::{CardInfo, ErrorCode, ReaderInfo, ServerMessage, hex_upper};
use crate::security::RateLimiter;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc};

/// Hub settings.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Longest a read may take (fingerprint capture included) before `READ_TIMEOUT`.
    pub read_timeout: Duration,
    /// Longest the UID query after an insertion may take.
    pub uid_timeout: Duration,
    /// Reads allowed per minute (a burst of this many, refilled evenly).
    pub reads_per_minute: u32,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            read_timeout: Duration::from_secs(30),
            uid_timeout: Duration::from_secs(5),
            reads_per_minute: 6,
        }
    }
}

struct CardSlot {
    atr: Vec<u8>,
    uid: Option<Vec<u8>>,
    announced: bool,
}

#[derive(Default)]
struct ReaderSlot {
    card: Option<CardSlot>,
    generation: u64,
    busy: bool,
}

#[derive(Default)]
struct State {
    readers: BTreeMap<String, ReaderSlot>,
    service_up: bool,
}

struct Inner {
    driver: Arc<dyn CardDriver>,
    state: Mutex<State>,
    events: broadcast::Sender<ServerMessage>,
    limiter: Mutex<RateLimiter>,
    config: HubConfig,
}

/// A successful read.
pub struct ReadOutcome {
    /// The reader it came from.
    pub reader: String,
    /// ATR and UID.
    pub card: CardInfo,
    /// What the card said.
    pub data: CardData,
}

/// Handle to the hub (cheap to clone).
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks leaves consistent data (plain field updates).
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Maps a driver failure to the protocol's code.
#[must_use]
pub fn error_code(e: &CardError) -> ErrorCode {
    match e {
        CardError::Transport(t) => match t {
            TransportError::Removed => ErrorCode::CardRemoved,
            TransportError::Unresponsive => ErrorCode::CardUnresponsive,
            TransportError::NoCard => ErrorCode::NoCard,
            TransportError::ReaderGone => ErrorCode::UnknownReader,
            TransportError::Busy => ErrorCode::ReaderBusy,
            TransportError::ServiceUnavailable => ErrorCode::PcscUnavailable,
            TransportError::Other => ErrorCode::ReaderError,
        },
        CardError::ResponseTooShort { .. } => ErrorCode::CardResponseInvalid,
        CardError::Status { .. } => ErrorCode::CardStatusError,
        CardError::NotEktp => ErrorCode::CardNotEktp,
        CardError::DataInvalid(_) => ErrorCode::CardDataInvalid,
        CardError::Timeout => ErrorCode::ReadTimeout,
    }
}

impl Hub {
    /// Starts the hub: a task applying `monitor` events, with `driver` for card access.
    #[must_use]
    pub fn start(
        driver: Arc<dyn CardDriver>,
        config: HubConfig,
        mut monitor: mpsc::UnboundedReceiver<MonitorEvent>,
    ) -> Hub {
        let (events, _) = broadcast::channel(64);
        let hub = Hub {
            inner: Arc::new(Inner {
                driver,
                state: Mutex::new(State {
                    readers: BTreeMap::new(),
                    service_up: true,
                }),
                events,
                limiter: Mutex::new(RateLimiter::per_minute(config.reads_per_minute)),
                config,
            }),
        };
        let task_hub = hub.clone();
        tokio::spawn(async move {
            while let Some(event) = monitor.recv().await {
                task_hub.apply(event);
            }
        });
        hub
    }

    /// New messages for one connection.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<ServerMessage> {
        self.inner.events.subscribe()
    }

    /// The readers now, with their announced cards.
    #[must_use]
    pub fn snapshot(&self) -> Vec<ReaderInfo> {
        let state = lock(&self.inner.state);
        state
            .readers
            .iter()
            .map(|(name, slot)| ReaderInfo {
                name: name.clone(),
                card: slot.card.as_ref().filter(|c| c.announced).map(card_info),
            })
            .collect()
    }

    fn broadcast(&self, message: ServerMessage) {
        // No receivers is fine (nobody connected).
        let _ = self.inner.events.send(message);
    }

    fn apply(&self, event: MonitorEvent) {
        tracing::debug!(?event, "monitor event");
        match event {
            MonitorEvent::Service(up) => lock(&self.inner.state).service_up = up,
            MonitorEvent::ReaderAttached(reader) => {
                let new = {
                    let mut state = lock(&self.inner.state);
                    state.service_up = true;
                    if state.readers.contains_key(&reader) {
                        false
                    } else {
                        state.readers.insert(reader.clone(), ReaderSlot::default());
                        true
                    }
                };
                if new {
                    tracing::info!(reader = %reader, "reader attached");
                    self.broadcast(ServerMessage::ReaderAttached { reader });
                }
            }
            MonitorEvent::ReaderDetached(reader) => {
                let known = lock(&self.inner.state).readers.remove(&reader).is_some();
                if known {
                    tracing::info!(reader = %reader, "reader detached");
                    self.broadcast(ServerMessage::ReaderDetached { reader });
                }
            }
            MonitorEvent::CardInserted { reader, atr } => {
                let generation = {
                    let mut state = lock(&self.inner.state);
                    let slot = state.readers.entry(reader.clone()).or_default();
                    slot.generation += 1;
                    slot.card = Some(CardSlot {
                        atr,
                        uid: None,
                        announced: false,
                    });
                    slot.generation
                };
                tracing::info!(reader = %reader, "card inserted");
                let hub = self.clone();
                tokio::spawn(async move { hub.announce_card(reader, generation).await });
            }
            MonitorEvent::CardRemoved(reader) => {
                let had_card = {
                    let mut state = lock(&self.inner.state);
                    match state.readers.get_mut(&reader) {
                        Some(slot) => {
                            slot.generation += 1;
                            slot.card.take().is_some()
                        }
                        None => false,
                    }
                };
                if had_card {
                    tracing::info!(reader = %reader, "card removed");
                    self.broadcast(ServerMessage::CardRemoved { reader });
                }
            }
        }
    }

    /// Asks the card's UID, then announces the card (unless it left meanwhile).
    async fn announce_card(&self, reader: String, generation: u64) {
        let driver = self.inner.driver.clone();
        let name = reader.clone();
        let uid = tokio::time::timeout(
            self.inner.config.uid_timeout,
            tokio::task::spawn_blocking(move || driver.card_uid(&name)),
        )
        .await;
        let uid = match uid {
            Ok(Ok(Ok(uid))) => uid,
            Ok(Ok(Err(e))) => {
                tracing::info!(reader = %reader, code = %error_code(&e), "card UID not available");
                None
            }
            _ => {
                tracing::warn!(reader = %reader, "card UID query timed out");
                None
            }
        };
        let message = {
            let mut state = lock(&self.inner.state);
            let Some(slot) = state.readers.get_mut(&reader) else {
                return;
            };
            if slot.generation != generation {
                return;
            }
            let Some(card) = slot.card.as_mut() else {
                return;
            };
            card.uid = uid;
            card.announced = true;
            ServerMessage::CardInserted {
                reader,
                card: card_info(card),
            }
        };
        self.broadcast(message);
    }

    fn pick_reader(&self, state: &State, asked: Option<&str>) -> Result<String, ErrorCode> {
        if let Some(name) = asked {
            return if state.readers.contains_key(name) {
                Ok(name.to_owned())
            } else {
                Err(ErrorCode::UnknownReader)
            };
        }
        match state.readers.len() {
            0 if !state.service_up => Err(ErrorCode::PcscUnavailable),
            0 => Err(ErrorCode::NoReader),
            1 => Ok(state.readers.keys().next().cloned().unwrap_or_default()),
            _ => {
                let with_card: Vec<&String> = state
                    .readers
                    .iter()
                    .filter(|(_, s)| s.card.is_some())
                    .map(|(n, _)| n)
                    .collect();
                match with_card.as_slice() {
                    [one] => Ok((*one).clone()),
                    _ => Err(ErrorCode::ReaderAmbiguous),
                }
            }
        }
    }

    /// Reads the card in `reader` (or the only reader / the only reader with a card).
    pub async fn read(
        &self,
        reader: Option<&str>,
        options: ReadOptions,
    ) -> Result<ReadOutcome, ErrorCode> {
        let started = Instant::now();
        let (reader, atr, generation) = {
            let mut state = lock(&self.inner.state);
            let name = self.pick_reader(&state, reader)?;
            let slot = state
                .readers
                .get_mut(&name)
                .ok_or(ErrorCode::UnknownReader)?;
            let Some(card) = slot.card.as_ref() else {
                return Err(ErrorCode::NoCard);
            };
            if slot.busy {
                return Err(ErrorCode::ReaderBusy);
            }
            if !lock(&self.inner.limiter).try_take(Instant::now()) {
                tracing::info!(reader = %name, "read refused: rate limit");
                return Err(ErrorCode::RateLimited);
            }
            let atr = card.atr.clone();
            slot.busy = true;
            (name, atr, slot.generation)
        };
        let driver = self.inner.driver.clone();
        let inner = self.inner.clone();
        let name = reader.clone();
        let job = tokio::task::spawn_blocking(move || {
            let result = driver.read(&name, &options);
            // Free the reader when the driver returns, even if the caller gave up waiting.
            if let Some(slot) = lock(&inner.state).readers.get_mut(&name) {
                slot.busy = false;
            }
            result
        });
        let result = match tokio::time::timeout(self.inner.config.read_timeout, job).await {
            Ok(Ok(Ok(data))) => Ok(data),
            Ok(Ok(Err(e))) => Err(error_code(&e)),
            Ok(Err(_join)) => Err(ErrorCode::Internal),
            Err(_elapsed) => Err(ErrorCode::ReadTimeout),
        };
        let elapsed_ms = started.elapsed().as_millis();
        match result {
            Ok(data) => {
                // A card swapped during the read is not the card the page asked about.
                let same_card = lock(&self.inner.state)
                    .readers
                    .get(&reader)
                    .is_some_and(|s| s.generation == generation);
                if !same_card {
                    tracing::info!(reader = %reader, elapsed_ms, code = "CARD_REMOVED", "read failed");
                    return Err(ErrorCode::CardRemoved);
                }
                tracing::info!(reader = %reader, elapsed_ms, "read done");
                let uid = data.uid.as_deref().map(hex_upper);
                Ok(ReadOutcome {
                    reader,
                    card: CardInfo {
                        atr: hex_upper(&atr),
                        uid,
                    },
                    data,
                })
            }
            Err(code) => {
                tracing::info!(reader = %reader, elapsed_ms, code = %code, "read failed");
                Err(code)
            }
        }
    }
}

fn card_info(card: &CardSlot) -> CardInfo {
    CardInfo {
        atr: hex_upper(&card.atr),
        uid: card.uid.as_deref().map(hex_upper),
    }
}
