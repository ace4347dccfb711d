//! The PC/SC side: [`PcscDriver`] (a [`CardDriver`] speaking the reference profile through
//! `SCardTransmit`) and [`spawn_monitor`], the thread that follows readers and cards with
//! `SCardGetStatusChange` (pcsc-lite on Linux, WinSCard on Windows, through the `pcsc` crate).
//!
//! The monitor has its own PC/SC context and thread; reads connect with their own handle from
//! the blocking pool. When pcscd goes away the monitor reports it, retries every
//! [`RETRY_INTERVAL`], and announces the readers again when it is back.

use crate::driver::{CardDriver, MonitorEvent, ReadOptions};
use crate::profile::{self, CardData, CardError, Transport, TransportError};
use pcsc::{Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State};
use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// How long one `SCardGetStatusChange` waits before the monitor checks for shutdown.
pub const POLL: Duration = Duration::from_millis(500);
/// How often the monitor retries when pcscd is not running.
pub const RETRY_INTERVAL: Duration = Duration::from_secs(2);

fn map_error(e: pcsc::Error) -> TransportError {
    use pcsc::Error as E;
    match e {
        E::RemovedCard | E::ResetCard => TransportError::Removed,
        E::NoSmartcard => TransportError::NoCard,
        E::UnresponsiveCard | E::UnpoweredCard | E::UnsupportedCard | E::CommError => {
            TransportError::Unresponsive
        }
        E::UnknownReader | E::ReaderUnavailable | E::NoReadersAvailable => {
            TransportError::ReaderGone
        }
        E::SharingViolation => TransportError::Busy,
        E::NoService | E::ServiceStopped | E::InvalidHandle => TransportError::ServiceUnavailable,
        _ => TransportError::Other,
    }
}

/// The PC/SC card driver.
#[derive(Debug, Default, Clone)]
pub struct PcscDriver;

impl PcscDriver {
    /// A driver; each call establishes its own context (cheap, and survives pcscd restarts).
    #[must_use]
    pub fn new() -> Self {
        PcscDriver
    }

    fn with_card<T>(
        reader: &str,
        f: impl FnOnce(&mut PcscTransport<'_>) -> Result<T, CardError>,
    ) -> Result<T, CardError> {
        let ctx = Context::establish(Scope::User).map_err(map_error)?;
        let name = CString::new(reader).map_err(|_| TransportError::ReaderGone)?;
        let mut card = ctx
            .connect(&name, ShareMode::Shared, Protocols::ANY)
            .map_err(map_error)?;
        let result = {
            let tx = card.transaction().map_err(map_error)?;
            let result = f(&mut PcscTransport {
                ctx: &ctx,
                reader: &name,
                card: &tx,
            });
            // Reset the card after a read so no selection or verified state lingers.
            let _ = tx.end(Disposition::ResetCard);
            result
        };
        let _ = card.disconnect(Disposition::LeaveCard);
        result
    }
}

/// How long a failed or truncated exchange waits for the reader to report the card gone.
pub const REMOVAL_GRACE: Duration = Duration::from_millis(1500);

struct PcscTransport<'a> {
    ctx: &'a Context,
    reader: &'a CStr,
    card: &'a pcsc::Card,
}

impl PcscTransport<'_> {
    /// Whether the card left the reader (within [`REMOVAL_GRACE`]): a card pulled out
    /// mid-exchange shows first as a failed or empty answer, then as a state change.
    fn card_gone(&self) -> bool {
        let deadline = std::time::Instant::now() + REMOVAL_GRACE;
        let mut states = [ReaderState::new(self.reader.to_owned(), State::UNAWARE)];
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.ctx.get_status_change(left, &mut states) {
                Ok(()) => {
                    let event = states[0].event_state();
                    if !event.contains(State::PRESENT) || event.contains(State::EMPTY) {
                        return true;
                    }
                    if left.is_zero() {
                        return false;
                    }
                    states[0].sync_current_state();
                }
                Err(pcsc::Error::UnknownReader) => return true,
                Err(_) => return false,
            }
        }
    }
}

impl Transport for PcscTransport<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
        let outcome = self
            .card
            .transmit(command, &mut buf)
            .map(<[u8]>::to_vec)
            .map_err(map_error);
        buf.fill(0);
        match outcome {
            Ok(answer) if answer.len() >= 2 => Ok(answer),
            Ok(short) => {
                if self.card_gone() {
                    Err(TransportError::Removed)
                } else {
                    Ok(short)
                }
            }
            Err(TransportError::Removed) => Err(TransportError::Removed),
            Err(e) => {
                if self.card_gone() {
                    Err(TransportError::Removed)
                } else {
                    Err(e)
                }
            }
        }
    }
}

impl CardDriver for PcscDriver {
    fn name(&self) -> &'static str {
        "pcsc"
    }

    fn card_uid(&self, reader: &str) -> Result<Option<Vec<u8>>, CardError> {
        Self::with_card(reader, |t| profile::read_uid(t))
    }

    fn read(&self, reader: &str, options: &ReadOptions) -> Result<CardData, CardError> {
        Self::with_card(reader, |t| {
            profile::read_card(t, options.fingerprint, options.today)
        })
    }
}

/// The monitor thread; dropping the handle does not stop it, [`MonitorHandle::stop`] does.
pub struct MonitorHandle {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MonitorHandle {
    /// Stops the thread (within [`POLL`]) and waits for it.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the monitor thread, reporting to `events`.
pub fn spawn_monitor(events: UnboundedSender<MonitorEvent>) -> std::io::Result<MonitorHandle> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("pcsc-monitor".into())
        .spawn(move || monitor(&events, &flag))?;
    Ok(MonitorHandle {
        stop,
        thread: Some(thread),
    })
}

/// What the monitor last told about one reader.
#[derive(Default)]
struct Known {
    card: bool,
}

fn monitor(events: &UnboundedSender<MonitorEvent>, stop: &AtomicBool) {
    let mut service_up: Option<bool> = None;
    while !stop.load(Ordering::SeqCst) {
        match Context::establish(Scope::User) {
            Ok(ctx) => {
                if service_up != Some(true) {
                    service_up = Some(true);
                    let _ = events.send(MonitorEvent::Service(true));
                    tracing::info!("PC/SC service available");
                }
                let mut known = BTreeMap::new();
                let outcome = watch(&ctx, events, stop, &mut known);
                for reader in known.into_keys() {
                    let _ = events.send(MonitorEvent::ReaderDetached(reader));
                }
                if let Err(e) = outcome {
                    tracing::warn!(error = %e, "PC/SC monitor lost the service");
                    service_up = Some(false);
                    let _ = events.send(MonitorEvent::Service(false));
                }
            }
            Err(e) => {
                if service_up != Some(false) {
                    tracing::warn!(error = %e, "PC/SC service not available; retrying");
                    service_up = Some(false);
                    let _ = events.send(MonitorEvent::Service(false));
                }
            }
        }
        sleep_unless_stopped(stop, RETRY_INTERVAL);
    }
}

fn sleep_unless_stopped(stop: &AtomicBool, total: Duration) {
    let step = Duration::from_millis(100);
    let mut waited = Duration::ZERO;
    while waited < total && !stop.load(Ordering::SeqCst) {
        std::thread::sleep(step);
        waited += step;
    }
}

/// Follows readers and cards on one context until stopped (`Ok`) or the service fails.
fn watch(
    ctx: &Context,
    events: &UnboundedSender<MonitorEvent>,
    stop: &AtomicBool,
    known: &mut BTreeMap<String, Known>,
) -> Result<(), pcsc::Error> {
    let mut states: Vec<ReaderState> =
        vec![ReaderState::new(pcsc::PNP_NOTIFICATION(), State::UNAWARE)];
    let mut refresh = true;
    while !stop.load(Ordering::SeqCst) {
        if refresh {
            refresh = false;
            let names = match ctx.list_readers_owned() {
                Ok(names) => names,
                Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
                Err(e) => return Err(e),
            };
            let current: Vec<String> = names
                .iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect();
            // Detached readers.
            let gone: Vec<String> = known
                .keys()
                .filter(|k| !current.contains(k))
                .cloned()
                .collect();
            for reader in gone {
                known.remove(&reader);
                states.retain(|s| s.name().to_string_lossy() != reader.as_str());
                let _ = events.send(MonitorEvent::ReaderDetached(reader));
            }
            // Attached readers.
            for (name, text) in names.into_iter().zip(current) {
                if !known.contains_key(&text) {
                    known.insert(text.clone(), Known::default());
                    states.push(ReaderState::new(name, State::UNAWARE));
                    let _ = events.send(MonitorEvent::ReaderAttached(text));
                }
            }
        }
        match ctx.get_status_change(POLL, &mut states) {
            Ok(()) => {}
            Err(pcsc::Error::Timeout) => continue,
            Err(pcsc::Error::UnknownReader) => {
                refresh = true;
                continue;
            }
            Err(e) => return Err(e),
        }
        for state in &mut states {
            let event = state.event_state();
            if !event.contains(State::CHANGED) {
                continue;
            }
            if is_pnp(state.name()) {
                refresh = true;
                state.sync_current_state();
                continue;
            }
            let reader = state.name().to_string_lossy().into_owned();
            if event.intersects(State::UNKNOWN | State::IGNORE) {
                refresh = true;
                state.sync_current_state();
                continue;
            }
            let present = event.contains(State::PRESENT) && !event.contains(State::MUTE);
            let entry = known.entry(reader.clone()).or_default();
            if present && !entry.card {
                entry.card = true;
                let _ = events.send(MonitorEvent::CardInserted {
                    reader,
                    atr: state.atr().to_vec(),
                });
            } else if !present && entry.card {
                entry.card = false;
                let _ = events.send(MonitorEvent::CardRemoved(reader));
            }
            state.sync_current_state();
        }
    }
    Ok(())
}

fn is_pnp(name: &CStr) -> bool {
    name == pcsc::PNP_NOTIFICATION()
}
