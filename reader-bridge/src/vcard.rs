//! The virtual e-KTP card: [`CardState`] answers the reference profile
//! ([`crate::profile`]) for a synthetic resident of the `dukcapil-sim` population, and
//! [`VpcdConnection`] plugs it into Debian's `vsmartcard-vpcd` reader driver, so pcscd sees a
//! card in its "Virtual PCD" reader. All data is synthetic.
//!
//! vpcd wire format (TCP, the card connects to the reader driver, default 127.0.0.1:35963):
//! every frame is a 2-byte big-endian length and a payload. One-byte frames are controls:
//! `0` power off, `1` power on, `2` reset (no answer), `4` asks for the ATR (answered with the
//! ATR). Every other frame is a command APDU, answered with the response APDU. Closing the
//! connection removes the card.

use crate::profile::{self, sw};
use crate::protocol::Demographics;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread::JoinHandle;

/// What the reader's fingerprint sensor "sees".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FingerOutcome {
    /// The finger matches the card's template.
    Match,
    /// It does not (the attempt counter goes down).
    NoMatch,
    /// The reader has no sensor (`6A 81`).
    Unsupported,
    /// Nobody puts a finger on the sensor (`64 01`).
    NoFinger,
}

impl std::str::FromStr for FingerOutcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "match" => Ok(FingerOutcome::Match),
            "no-match" => Ok(FingerOutcome::NoMatch),
            "unsupported" => Ok(FingerOutcome::Unsupported),
            "no-finger" => Ok(FingerOutcome::NoFinger),
            _ => Err(format!(
                "unknown fingerprint outcome {s:?} (match, no-match, unsupported, no-finger)"
            )),
        }
    }
}

/// A deliberate misbehaviour, to exercise the bridge's error paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardFault {
    /// READ BINARY answers one byte (no status word).
    TruncatedReadBinary,
    /// SELECT application answers this status word.
    SelectStatus(u16),
}

/// The card's state: file, counter, selection.
#[derive(Clone)]
pub struct CardState {
    uid: Vec<u8>,
    file: Vec<u8>,
    finger: FingerOutcome,
    attempts: u8,
    max_attempts: u8,
    app_selected: bool,
    file_selected: bool,
    fault: Option<CardFault>,
}

impl std::fmt::Debug for CardState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardState(..)")
    }
}

/// The ATR of the virtual card: T=1, historical bytes `SIGAP-EKTP`, with its check byte.
#[must_use]
pub fn virtual_atr() -> Vec<u8> {
    let historical = b"SIGAP-EKTP";
    // TS, T0 (TD1 present, K historical bytes), TD1 (TD2 present, T=0), TD2 (T=1).
    let mut atr = vec![0x3B, 0x80 | historical.len() as u8, 0x80, 0x01];
    atr.extend_from_slice(historical);
    let tck = atr[1..].iter().fold(0u8, |acc, b| acc ^ b);
    atr.push(tck);
    atr
}

/// A 7-byte chip UID derived from the NIK (FNV-1a), so a given resident's card is stable.
#[must_use]
pub fn uid_for(nik: &str) -> Vec<u8> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in nik.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut uid = vec![0x04];
    uid.extend_from_slice(&h.to_be_bytes()[..6]);
    uid
}

impl CardState {
    /// A card for `nik` with `demographics`, `attempts` fingerprint tries (at most 15).
    #[must_use]
    pub fn new(
        nik: &str,
        demographics: &Demographics,
        finger: FingerOutcome,
        attempts: u8,
    ) -> Self {
        let attempts = attempts.min(15);
        CardState {
            uid: uid_for(nik),
            file: profile::encode_demographics(nik, demographics),
            finger,
            attempts,
            max_attempts: attempts,
            app_selected: false,
            file_selected: false,
            fault: None,
        }
    }

    /// The same card with a deliberate fault.
    #[must_use]
    pub fn with_fault(mut self, fault: CardFault) -> Self {
        self.fault = Some(fault);
        self
    }

    /// The card's ATR.
    #[must_use]
    pub fn atr(&self) -> Vec<u8> {
        virtual_atr()
    }

    /// The card's UID.
    #[must_use]
    pub fn uid(&self) -> &[u8] {
        &self.uid
    }

    /// Attempts left on the fingerprint counter.
    #[must_use]
    pub fn attempts_left(&self) -> u8 {
        self.attempts
    }

    /// Power off / reset: selections are forgotten (the counter is not).
    pub fn reset_session(&mut self) {
        self.app_selected = false;
        self.file_selected = false;
    }

    /// Answers one command APDU.
    pub fn answer(&mut self, apdu: &[u8]) -> Vec<u8> {
        let status = |sw: u16| sw.to_be_bytes().to_vec();
        let with_data = |data: &[u8], sw: u16| {
            let mut v = data.to_vec();
            v.extend_from_slice(&sw.to_be_bytes());
            v
        };
        if apdu.len() < 4 {
            return status(sw::WRONG_LENGTH);
        }
        let (cla, ins, p1, p2) = (apdu[0], apdu[1], apdu[2], apdu[3]);
        match (cla, ins) {
            (0xFF, 0xCA) if p1 == 0 && p2 == 0 => with_data(&self.uid, sw::OK),
            (0x00, 0xA4) => self.select(p1, p2, &apdu[4..]),
            (0x00, 0xB0) => {
                if !self.file_selected {
                    return status(sw::CONDITIONS);
                }
                if self.fault == Some(CardFault::TruncatedReadBinary) {
                    return vec![0x90];
                }
                let offset = usize::from(u16::from_be_bytes([p1, p2]));
                let le = match apdu.get(4) {
                    Some(0) | None => 256,
                    Some(&n) => usize::from(n),
                };
                if offset >= self.file.len() {
                    return status(sw::WRONG_P1P2);
                }
                let end = (offset + le).min(self.file.len());
                let sw = if end - offset < le {
                    sw::END_OF_FILE
                } else {
                    sw::OK
                };
                with_data(&self.file[offset..end], sw)
            }
            (0x00, 0x20) if p1 == 0 && p2 == 0x81 => {
                if !self.app_selected {
                    return status(sw::CONDITIONS);
                }
                self.counter_status()
            }
            (0x80, 0x21) if p1 == 0 && p2 == 0x81 => {
                if !self.app_selected {
                    return status(sw::CONDITIONS);
                }
                if self.attempts == 0 {
                    return status(sw::BLOCKED);
                }
                match self.finger {
                    FingerOutcome::Match => {
                        self.attempts = self.max_attempts;
                        status(sw::OK)
                    }
                    FingerOutcome::NoMatch => {
                        self.attempts -= 1;
                        status(sw::counter(self.attempts))
                    }
                    FingerOutcome::Unsupported => status(sw::NOT_SUPPORTED),
                    FingerOutcome::NoFinger => status(sw::NO_FINGER),
                }
            }
            (0x00 | 0x80 | 0xFF, _) => status(sw::INS_NOT_SUPPORTED),
            _ => status(sw::CLA_NOT_SUPPORTED),
        }
    }

    fn counter_status(&self) -> Vec<u8> {
        if self.attempts == 0 {
            sw::BLOCKED.to_be_bytes().to_vec()
        } else {
            sw::counter(self.attempts).to_be_bytes().to_vec()
        }
    }

    fn select(&mut self, p1: u8, p2: u8, body: &[u8]) -> Vec<u8> {
        let status = |sw: u16| sw.to_be_bytes().to_vec();
        let Some((&lc, data)) = body.split_first() else {
            return status(sw::WRONG_LENGTH);
        };
        let Some(data) = data.get(..usize::from(lc)) else {
            return status(sw::WRONG_LENGTH);
        };
        match (p1, p2) {
            (0x04, 0x0C | 0x00) => {
                if let Some(CardFault::SelectStatus(sw)) = self.fault {
                    return status(sw);
                }
                if data == profile::EKTP_AID {
                    self.app_selected = true;
                    self.file_selected = false;
                    status(sw::OK)
                } else {
                    self.app_selected = false;
                    status(sw::NOT_FOUND)
                }
            }
            (0x02, 0x0C | 0x00) if self.app_selected => {
                if data == profile::DEMOGRAPHIC_FID {
                    self.file_selected = true;
                    status(sw::OK)
                } else {
                    status(sw::NOT_FOUND)
                }
            }
            (0x02, _) => status(sw::CONDITIONS),
            _ => status(sw::WRONG_P1P2),
        }
    }
}

/// The `index`-th active synthetic resident of the simulator's population (`seed`,
/// `population`) as the card's NIK and demographic elements.
pub fn synthetic_resident(
    seed: u64,
    population: usize,
    index: usize,
) -> Result<(String, Demographics), String> {
    let sim = dukcapil_sim::Simulator::try_new(dukcapil_sim::SimConfig {
        seed,
        population,
        ..Default::default()
    })
    .map_err(|e| e.to_string())?;
    let records = sim.sample_records(index + 1, true);
    let (record, _) = records
        .into_iter()
        .nth(index)
        .ok_or_else(|| format!("the population has fewer than {} residents", index + 1))?;
    let d = Demographics {
        name: record.nama_lgkp,
        birth_place: record.tmpt_lhr,
        birth_date: record.tgl_lhr,
        sex: record.jenis_klmin,
        blood_group: record.gol_darah,
        address: record.alamat,
        rt: record.no_rt,
        rw: record.no_rw,
        village: record.kel_name,
        district: record.kec_name,
        regency: record.kab_name,
        province: record.prop_name,
        religion: record.agama,
        marital_status: record.status_kawin,
        occupation: record.jenis_pkrjn,
        citizenship: "WNI".to_owned(),
        valid_until: "SEUMUR HIDUP".to_owned(),
    };
    Ok((record.nik, d))
}

/// The default vpcd address (`/etc/reader.conf.d/vpcd`: port 0x8C7B).
pub const DEFAULT_VPCD: &str = "127.0.0.1:35963";

fn read_frame(stream: &mut TcpStream) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 2];
    match stream.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut payload = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut payload)?;
    Ok(Some(payload))
}

fn write_frame(stream: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let len = u16::try_from(payload.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too long"))?;
    let mut frame = len.to_be_bytes().to_vec();
    frame.extend_from_slice(payload);
    stream.write_all(&frame)
}

/// Serves `card` on an open vpcd connection until vpcd closes it or, with `remove_after`,
/// until that many APDUs were answered (then the card is "pulled out": the connection is
/// closed before the next answer). Returns the card (its counter may have changed).
pub fn serve(
    mut stream: TcpStream,
    mut card: CardState,
    remove_after: Option<usize>,
) -> io::Result<CardState> {
    let mut apdus = 0usize;
    while let Some(frame) = read_frame(&mut stream)? {
        match frame.as_slice() {
            [0] | [1] | [2] => card.reset_session(),
            [4] => write_frame(&mut stream, &card.atr())?,
            [_] => {}
            apdu => {
                if remove_after.is_some_and(|n| apdus >= n) {
                    let _ = stream.shutdown(Shutdown::Both);
                    return Ok(card);
                }
                apdus += 1;
                let answer = card.answer(apdu);
                write_frame(&mut stream, &answer)?;
            }
        }
    }
    Ok(card)
}

/// A virtual card inserted into vpcd, served on its own thread; [`VpcdConnection::remove`]
/// (or dropping it) pulls it out.
pub struct VpcdConnection {
    stream: TcpStream,
    thread: Option<JoinHandle<io::Result<CardState>>>,
}

impl VpcdConnection {
    /// Connects `card` to vpcd at `addr` (the reader then reports a card present).
    pub fn insert(addr: &str, card: CardState, remove_after: Option<usize>) -> io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        let serving = stream.try_clone()?;
        let thread = std::thread::Builder::new()
            .name("ektp-vcard".into())
            .spawn(move || serve(serving, card, remove_after))?;
        Ok(VpcdConnection {
            stream,
            thread: Some(thread),
        })
    }

    /// Whether the card is still being served (false once vpcd closed or it pulled itself).
    #[must_use]
    pub fn is_inserted(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Pulls the card out; returns its final state.
    pub fn remove(mut self) -> io::Result<CardState> {
        self.take()
    }

    fn take(&mut self) -> io::Result<CardState> {
        let _ = self.stream.shutdown(Shutdown::Both);
        match self.thread.take() {
            Some(t) => t
                .join()
                .map_err(|_| io::Error::other("virtual card thread panicked"))?,
            None => Err(io::Error::other("already removed")),
        }
    }
}

impl Drop for VpcdConnection {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.take();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Transport, TransportError, read_card};

    struct Direct(CardState);
    impl Transport for Direct {
        fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
            Ok(self.0.answer(command))
        }
    }

    #[test]
    fn atr_check_byte() {
        let atr = virtual_atr();
        assert_eq!(atr[0], 0x3B);
        assert_eq!(
            atr[1..].iter().fold(0u8, |a, b| a ^ b),
            0,
            "TCK makes the XOR zero"
        );
    }

    #[test]
    fn synthetic_resident_reads_back_through_the_profile() {
        let (nik, d) = synthetic_resident(3313, 500, 2).unwrap();
        let card = CardState::new(&nik, &d, FingerOutcome::NoMatch, 3);
        let uid = card.uid().to_vec();
        let mut t = Direct(card);
        let today = time::macros::date!(2026 - 11 - 27);
        let read = read_card(&mut t, true, today).unwrap();
        assert_eq!(read.nik, nik);
        assert_eq!(read.demographics, d);
        assert_eq!(read.uid, Some(uid));
        assert_eq!(read.fingerprint.attempts_left, Some(2));
        read_card(&mut t, true, today).unwrap();
        let third = read_card(&mut t, true, today).unwrap();
        assert_eq!(third.fingerprint.attempts_left, Some(0));
        let blocked = read_card(&mut t, true, today).unwrap();
        assert_eq!(
            blocked.fingerprint.reason,
            Some(crate::protocol::NotPerformedReason::Blocked)
        );
    }

    #[test]
    fn commands_out_of_order_are_refused() {
        let (nik, d) = synthetic_resident(3313, 500, 0).unwrap();
        let mut card = CardState::new(&nik, &d, FingerOutcome::Match, 3);
        assert_eq!(
            card.answer(&profile::cmd_read_binary(0, 16)),
            sw::CONDITIONS.to_be_bytes()
        );
        assert_eq!(card.answer(&[0x00]), sw::WRONG_LENGTH.to_be_bytes());
        assert_eq!(
            card.answer(&[0x12, 0x34, 0, 0]),
            sw::CLA_NOT_SUPPORTED.to_be_bytes()
        );
    }
}
