//! The card driver seam: [`CardDriver`] is what the bridge calls to talk to a card, and
//! [`MonitorEvent`] what a reader monitor reports. The PC/SC implementation is
//! [`crate::pcsc_driver`]; a vendor's SAM-aware SDK plugs in by implementing [`CardDriver`]
//! (and, if its SDK reports insertions itself, by sending [`MonitorEvent`]s). [`fake`] is an
//! in-memory driver for tests and development without a reader.
//!
//! Driver calls are blocking and run on tokio's blocking pool, one at a time per reader, with
//! a timeout: a stuck reader never blocks the WebSocket side.

use crate::profile::{CardData, CardError};

/// What a read asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Match the resident's fingerprint on the reader.
    pub fingerprint: bool,
    /// Today's date (bounds the NIK's birth-date check).
    pub today: time::Date,
}

/// A card driver: blocking calls for one reader at a time.
pub trait CardDriver: Send + Sync + 'static {
    /// A short name for logs (`pcsc`, `fake`, a vendor's SDK name).
    fn name(&self) -> &'static str;

    /// The chip UID of the card in `reader` (PC/SC GET DATA), `None` when not available.
    fn card_uid(&self, reader: &str) -> Result<Option<Vec<u8>>, CardError>;

    /// Reads the e-KTP in `reader`: NIK, demographic elements, fingerprint verdict.
    fn read(&self, reader: &str, options: &ReadOptions) -> Result<CardData, CardError>;
}

/// What a reader monitor reports (PC/SC: from `SCardGetStatusChange`).
#[derive(Clone, PartialEq, Eq)]
pub enum MonitorEvent {
    /// A reader appeared.
    ReaderAttached(String),
    /// A reader went away.
    ReaderDetached(String),
    /// A card was inserted; its ATR.
    CardInserted {
        /// Reader name.
        reader: String,
        /// Answer to reset.
        atr: Vec<u8>,
    },
    /// The card was removed.
    CardRemoved(String),
    /// The PC/SC service went away (every reader is gone) or came back.
    Service(bool),
}

impl std::fmt::Debug for MonitorEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MonitorEvent::ReaderAttached(r) => write!(f, "ReaderAttached({r:?})"),
            MonitorEvent::ReaderDetached(r) => write!(f, "ReaderDetached({r:?})"),
            MonitorEvent::CardInserted { reader, .. } => write!(f, "CardInserted({reader:?})"),
            MonitorEvent::CardRemoved(r) => write!(f, "CardRemoved({r:?})"),
            MonitorEvent::Service(up) => write!(f, "Service({up})"),
        }
    }
}

pub mod fake {
    //! An in-memory card driver: cards are [`FakeCard`]s placed into named readers, each
    //! answering the reference profile through [`crate::vcard::CardState`] (the same code the
    //! virtual card uses), or misbehaving on purpose. For tests and development.

    use super::{CardDriver, MonitorEvent, ReadOptions};
    use crate::profile::{self, CardData, CardError, Transport, TransportError};
    use crate::vcard::CardState;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use tokio::sync::mpsc::UnboundedSender;

    /// How a fake card behaves.
    #[derive(Debug, Clone)]
    pub enum Behaviour {
        /// Answers the profile.
        Normal,
        /// Is pulled out after this many APDUs.
        RemovedAfter(usize),
        /// Each APDU takes this long (a stuck reader).
        Slow(Duration),
    }

    struct Slot {
        card: CardState,
        behaviour: Behaviour,
        apdus: usize,
    }

    /// The fake driver; clone it to keep a handle for inserting and removing cards.
    #[derive(Clone, Default)]
    pub struct FakeDriver {
        slots: Arc<Mutex<HashMap<String, Slot>>>,
        events: Arc<Mutex<Option<UnboundedSender<MonitorEvent>>>>,
    }

    impl FakeDriver {
        /// A driver with no readers.
        #[must_use]
        pub fn new() -> Self {
            Self::default()
        }

        /// Where insertions and removals are reported (the hub's monitor channel).
        pub fn connect_monitor(&self, tx: UnboundedSender<MonitorEvent>) {
            if let Ok(mut slot) = self.events.lock() {
                *slot = Some(tx);
            }
        }

        fn emit(&self, event: MonitorEvent) {
            if let Ok(tx) = self.events.lock()
                && let Some(tx) = tx.as_ref()
            {
                let _ = tx.send(event);
            }
        }

        /// Announces a reader.
        pub fn attach_reader(&self, reader: &str) {
            self.emit(MonitorEvent::ReaderAttached(reader.to_owned()));
        }

        /// Inserts `card` into `reader`.
        pub fn insert(&self, reader: &str, card: CardState, behaviour: Behaviour) {
            let atr = card.atr();
            if let Ok(mut slots) = self.slots.lock() {
                slots.insert(
                    reader.to_owned(),
                    Slot {
                        card,
                        behaviour,
                        apdus: 0,
                    },
                );
            }
            self.emit(MonitorEvent::CardInserted {
                reader: reader.to_owned(),
                atr,
            });
        }

        /// Removes the card from `reader`.
        pub fn remove(&self, reader: &str) {
            if let Ok(mut slots) = self.slots.lock() {
                slots.remove(reader);
            }
            self.emit(MonitorEvent::CardRemoved(reader.to_owned()));
        }

        fn transmit(&self, reader: &str, command: &[u8]) -> Result<Vec<u8>, TransportError> {
            let delay = {
                let mut slots = self.slots.lock().map_err(|_| TransportError::Other)?;
                let slot = slots.get_mut(reader).ok_or(TransportError::NoCard)?;
                slot.apdus += 1;
                match slot.behaviour {
                    Behaviour::RemovedAfter(n) if slot.apdus > n => {
                        slots.remove(reader);
                        drop(slots);
                        self.emit(MonitorEvent::CardRemoved(reader.to_owned()));
                        return Err(TransportError::Removed);
                    }
                    Behaviour::Slow(d) => Some(d),
                    _ => None,
                }
            };
            if let Some(d) = delay {
                std::thread::sleep(d);
            }
            let mut slots = self.slots.lock().map_err(|_| TransportError::Other)?;
            let slot = slots.get_mut(reader).ok_or(TransportError::Removed)?;
            Ok(slot.card.answer(command))
        }
    }

    struct FakeTransport<'a> {
        driver: &'a FakeDriver,
        reader: &'a str,
    }

    impl Transport for FakeTransport<'_> {
        fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
            self.driver.transmit(self.reader, command)
        }
    }

    impl CardDriver for FakeDriver {
        fn name(&self) -> &'static str {
            "fake"
        }

        fn card_uid(&self, reader: &str) -> Result<Option<Vec<u8>>, CardError> {
            profile::read_uid(&mut FakeTransport {
                driver: self,
                reader,
            })
        }

        fn read(&self, reader: &str, options: &ReadOptions) -> Result<CardData, CardError> {
            let mut t = FakeTransport {
                driver: self,
                reader,
            };
            let result = profile::read_card(&mut t, options.fingerprint, options.today);
            if let Ok(mut slots) = self.slots.lock()
                && let Some(slot) = slots.get_mut(reader)
            {
                slot.card.reset_session();
            }
            result
        }
    }
}
