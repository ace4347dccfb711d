//! The reference e-KTP APDU profile (`SIGAP-REF-1`): the commands the bridge sends, the
//! demographic file's TLV layout, and the read procedure over any [`Transport`].
//!
//! Real e-KTP chips are read through a vendor's SAM-aware SDK; this profile is the documented,
//! ISO 7816-4-shaped stand-in that the PC/SC driver speaks and the virtual card answers
//! (README "Reference profile" and docs/reader-protocol.md describe it byte by byte).
//!
//! | step | command | good answer |
//! | --- | --- | --- |
//! | chip UID | `FF CA 00 00 00` (PC/SC GET DATA) | UID ‖ `90 00` (any error: UID unknown) |
//! | select application | `00 A4 04 0C 0A` ‖ [`EKTP_AID`] | `90 00` (`6A 82`: not an e-KTP) |
//! | select demographic file | `00 A4 02 0C 02 01 01` | `90 00` |
//! | read it | `00 B0 <offset> E0` until the TLV is complete | data ‖ `90 00` or `62 82` |
//! | attempts left | `00 20 00 81` | `63 Cx` (x left), `69 83` (blocked) |
//! | match finger on the reader | `80 21 00 81` | `90 00` matched, `63 Cx` not matched, `69 83` blocked, `64 01` no finger, `6A 81` unsupported |

use crate::protocol::{Demographics, Fingerprint, FingerprintVerdict, NotPerformedReason};
use std::fmt;

/// The reference profile's application id: `F0` ‖ ASCII `SIGAP-KTP`.
pub const EKTP_AID: [u8; 10] = [0xF0, b'S', b'I', b'G', b'A', b'P', b'-', b'K', b'T', b'P'];
/// File id of the demographic file.
pub const DEMOGRAPHIC_FID: [u8; 2] = [0x01, 0x01];
/// Bytes asked for per READ BINARY.
pub const READ_CHUNK: u8 = 0xE0;
/// Largest demographic file accepted.
pub const MAX_FILE_BYTES: usize = 4096;
/// The outer template tag of the demographic file.
pub const TEMPLATE_TAG: u8 = 0x70;

/// `FF CA 00 00 00`: the PC/SC part 3 GET DATA pseudo-APDU for the chip UID.
pub const CMD_GET_UID: [u8; 5] = [0xFF, 0xCA, 0x00, 0x00, 0x00];
/// `00 20 00 81`: ask for the fingerprint attempt counter.
pub const CMD_ATTEMPTS: [u8; 4] = [0x00, 0x20, 0x00, 0x81];
/// `80 21 00 81`: capture the finger on the reader and match it against the card.
pub const CMD_MATCH_FINGER: [u8; 4] = [0x80, 0x21, 0x00, 0x81];

/// Status words.
pub mod sw {
    /// Success.
    pub const OK: u16 = 0x9000;
    /// End of file reached before `Le` bytes.
    pub const END_OF_FILE: u16 = 0x6282;
    /// Authentication method blocked.
    pub const BLOCKED: u16 = 0x6983;
    /// File or application not found.
    pub const NOT_FOUND: u16 = 0x6A82;
    /// Function not supported.
    pub const NOT_SUPPORTED: u16 = 0x6A81;
    /// No finger placed in time (reference profile).
    pub const NO_FINGER: u16 = 0x6401;
    /// Instruction not supported.
    pub const INS_NOT_SUPPORTED: u16 = 0x6D00;
    /// Wrong P1/P2 (offset beyond the file).
    pub const WRONG_P1P2: u16 = 0x6B00;
    /// Class not supported.
    pub const CLA_NOT_SUPPORTED: u16 = 0x6E00;
    /// Conditions of use not satisfied.
    pub const CONDITIONS: u16 = 0x6985;
    /// Wrong length.
    pub const WRONG_LENGTH: u16 = 0x6700;
    /// `63 Cx`: x tries left.
    pub const fn counter(x: u8) -> u16 {
        0x63C0 | (x as u16 & 0x0F)
    }
}

/// `00 A4 04 0C 0A <AID>`.
#[must_use]
pub fn cmd_select_application() -> Vec<u8> {
    let mut c = vec![0x00, 0xA4, 0x04, 0x0C, EKTP_AID.len() as u8];
    c.extend_from_slice(&EKTP_AID);
    c
}

/// `00 A4 02 0C 02 01 01`.
#[must_use]
pub fn cmd_select_demographics() -> Vec<u8> {
    vec![
        0x00,
        0xA4,
        0x02,
        0x0C,
        0x02,
        DEMOGRAPHIC_FID[0],
        DEMOGRAPHIC_FID[1],
    ]
}

/// `00 B0 <offset hi> <offset lo> <len>`.
#[must_use]
pub fn cmd_read_binary(offset: u16, len: u8) -> Vec<u8> {
    let [hi, lo] = offset.to_be_bytes();
    vec![0x00, 0xB0, hi, lo, len]
}

/// A failure of the channel to the card (below the APDU level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The card was removed or reset.
    #[error("card removed")]
    Removed,
    /// The card does not answer.
    #[error("card unresponsive")]
    Unresponsive,
    /// No card in the reader.
    #[error("no card")]
    NoCard,
    /// The reader is gone or unknown.
    #[error("reader unavailable")]
    ReaderGone,
    /// Another application holds the card exclusively.
    #[error("reader busy")]
    Busy,
    /// The PC/SC service is not running.
    #[error("PC/SC unavailable")]
    ServiceUnavailable,
    /// Anything else the reader reported.
    #[error("reader error")]
    Other,
}

/// Why a read failed. Never carries card data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    /// The channel failed.
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    /// An answer shorter than its two status bytes (or than the data it must carry).
    #[error("{command}: answer too short")]
    ResponseTooShort {
        /// The command.
        command: &'static str,
    },
    /// An error status word.
    #[error("{command}: status {sw:04X}")]
    Status {
        /// The command.
        command: &'static str,
        /// The status word.
        sw: u16,
    },
    /// The card has no e-KTP application.
    #[error("not an e-KTP")]
    NotEktp,
    /// The demographic file is not valid.
    #[error("card data invalid: {0}")]
    DataInvalid(&'static str),
    /// The driver gave up waiting.
    #[error("timeout")]
    Timeout,
}

/// The APDU channel to one card.
pub trait Transport {
    /// Sends a command APDU and returns the full response (data ‖ SW1 SW2).
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError>;
}

/// A response split into data and status word.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// Data bytes.
    pub data: Vec<u8>,
    /// SW1 SW2.
    pub sw: u16,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Response({} bytes, {:04X})", self.data.len(), self.sw)
    }
}

/// Splits a raw response; fewer than two bytes is [`CardError::ResponseTooShort`].
pub fn split_response(raw: Vec<u8>, command: &'static str) -> Result<Response, CardError> {
    let mut data = raw;
    if data.len() < 2 {
        return Err(CardError::ResponseTooShort { command });
    }
    let sw2 = data.pop().unwrap_or_default();
    let sw1 = data.pop().unwrap_or_default();
    Ok(Response {
        data,
        sw: u16::from_be_bytes([sw1, sw2]),
    })
}

fn exchange(
    t: &mut dyn Transport,
    command: &[u8],
    name: &'static str,
) -> Result<Response, CardError> {
    split_response(t.transmit(command)?, name)
}

/// Everything read from a card (no ATR: the monitor knows it).
#[derive(Clone, PartialEq, Eq)]
pub struct CardData {
    /// Chip UID, when GET DATA answered.
    pub uid: Option<Vec<u8>>,
    /// NIK.
    pub nik: String,
    /// Demographic elements.
    pub demographics: Demographics,
    /// Fingerprint verdict.
    pub fingerprint: Fingerprint,
}

impl fmt::Debug for CardData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardData(..)")
    }
}

/// The chip UID via GET DATA; `None` when the reader/card refuses it.
pub fn read_uid(t: &mut dyn Transport) -> Result<Option<Vec<u8>>, CardError> {
    let r = exchange(t, &CMD_GET_UID, "GET DATA")?;
    Ok((r.sw == sw::OK && !r.data.is_empty() && r.data.len() <= 16).then_some(r.data))
}

/// Reads an e-KTP with the reference profile: UID, application, demographic file, and the
/// fingerprint counter (and a match on the reader when `fingerprint` is asked for).
/// `today` bounds the NIK's birth date check.
pub fn read_card(
    t: &mut dyn Transport,
    fingerprint: bool,
    today: time::Date,
) -> Result<CardData, CardError> {
    let uid = read_uid(t)?;
    let r = exchange(t, &cmd_select_application(), "SELECT application")?;
    match r.sw {
        sw::OK => {}
        sw::NOT_FOUND | sw::NOT_SUPPORTED | sw::CLA_NOT_SUPPORTED | sw::INS_NOT_SUPPORTED => {
            return Err(CardError::NotEktp);
        }
        other => {
            return Err(CardError::Status {
                command: "SELECT application",
                sw: other,
            });
        }
    }
    let r = exchange(t, &cmd_select_demographics(), "SELECT file")?;
    if r.sw != sw::OK {
        return Err(CardError::Status {
            command: "SELECT file",
            sw: r.sw,
        });
    }
    let file = read_file(t)?;
    let (nik, demographics) = decode_demographics(&file)?;
    if domain::nik::Nik::parse(&nik, today).is_err() {
        return Err(CardError::DataInvalid("NIK"));
    }
    let fingerprint = fingerprint_step(t, fingerprint)?;
    Ok(CardData {
        uid,
        nik,
        demographics,
        fingerprint,
    })
}

/// READ BINARY in chunks until the outer TLV is complete.
fn read_file(t: &mut dyn Transport) -> Result<Vec<u8>, CardError> {
    let mut file: Vec<u8> = Vec::new();
    let mut expected: Option<usize> = None;
    loop {
        if let Some(total) = expected
            && file.len() >= total
        {
            file.truncate(total);
            return Ok(file);
        }
        let offset = u16::try_from(file.len()).map_err(|_| CardError::DataInvalid("size"))?;
        let r = exchange(t, &cmd_read_binary(offset, READ_CHUNK), "READ BINARY")?;
        if r.sw != sw::OK && r.sw != sw::END_OF_FILE {
            return Err(CardError::Status {
                command: "READ BINARY",
                sw: r.sw,
            });
        }
        if r.data.is_empty() {
            return Err(CardError::ResponseTooShort {
                command: "READ BINARY",
            });
        }
        if r.data.len() > usize::from(READ_CHUNK) {
            return Err(CardError::DataInvalid("chunk"));
        }
        file.extend_from_slice(&r.data);
        if expected.is_none() {
            if file.first() != Some(&TEMPLATE_TAG) {
                return Err(CardError::DataInvalid("template"));
            }
            if let Some((len, header)) = ber_length(&file[1..]) {
                let total = 1 + header + len;
                if total > MAX_FILE_BYTES {
                    return Err(CardError::DataInvalid("size"));
                }
                expected = Some(total);
            } else if file.len() > 4 {
                return Err(CardError::DataInvalid("length"));
            }
        }
        if r.sw == sw::END_OF_FILE && expected.is_none_or(|total| file.len() < total) {
            return Err(CardError::ResponseTooShort {
                command: "READ BINARY",
            });
        }
    }
}

/// BER length at the start of `bytes`: (length, bytes used). `None` if incomplete or invalid.
fn ber_length(bytes: &[u8]) -> Option<(usize, usize)> {
    match *bytes.first()? {
        n @ 0..=0x7F => Some((usize::from(n), 1)),
        0x81 => Some((usize::from(*bytes.get(1)?), 2)),
        0x82 => Some((
            usize::from(u16::from_be_bytes([*bytes.get(1)?, *bytes.get(2)?])),
            3,
        )),
        _ => None,
    }
}

fn push_ber_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len <= 0xFF {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        let len = u16::try_from(len).unwrap_or(u16::MAX);
        out.push(0x82);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// Inner tags of the demographic file, in file order.
pub const TAGS: [(u8, &str); 18] = [
    (0x80, "nik"),
    (0x81, "name"),
    (0x82, "birth_place"),
    (0x83, "birth_date"),
    (0x84, "sex"),
    (0x85, "blood_group"),
    (0x86, "address"),
    (0x87, "rt"),
    (0x88, "rw"),
    (0x89, "village"),
    (0x8A, "district"),
    (0x8B, "regency"),
    (0x8C, "province"),
    (0x8D, "religion"),
    (0x8E, "marital_status"),
    (0x8F, "occupation"),
    (0x90, "citizenship"),
    (0x91, "valid_until"),
];

fn field_mut(d: &mut Demographics, tag: u8) -> Option<&mut String> {
    Some(match tag {
        0x81 => &mut d.name,
        0x82 => &mut d.birth_place,
        0x83 => &mut d.birth_date,
        0x84 => &mut d.sex,
        0x85 => &mut d.blood_group,
        0x86 => &mut d.address,
        0x87 => &mut d.rt,
        0x88 => &mut d.rw,
        0x89 => &mut d.village,
        0x8A => &mut d.district,
        0x8B => &mut d.regency,
        0x8C => &mut d.province,
        0x8D => &mut d.religion,
        0x8E => &mut d.marital_status,
        0x8F => &mut d.occupation,
        0x90 => &mut d.citizenship,
        0x91 => &mut d.valid_until,
        _ => return None,
    })
}

fn field(d: &Demographics, tag: u8) -> Option<&str> {
    Some(match tag {
        0x81 => &d.name,
        0x82 => &d.birth_place,
        0x83 => &d.birth_date,
        0x84 => &d.sex,
        0x85 => &d.blood_group,
        0x86 => &d.address,
        0x87 => &d.rt,
        0x88 => &d.rw,
        0x89 => &d.village,
        0x8A => &d.district,
        0x8B => &d.regency,
        0x8C => &d.province,
        0x8D => &d.religion,
        0x8E => &d.marital_status,
        0x8F => &d.occupation,
        0x90 => &d.citizenship,
        0x91 => &d.valid_until,
        _ => return None,
    })
}

/// Encodes the demographic file (used by the virtual card and tests).
#[must_use]
pub fn encode_demographics(nik: &str, d: &Demographics) -> Vec<u8> {
    let mut inner = Vec::new();
    for (tag, _) in TAGS {
        let value = if tag == 0x80 {
            nik
        } else {
            field(d, tag).unwrap_or_default()
        };
        inner.push(tag);
        push_ber_length(&mut inner, value.len());
        inner.extend_from_slice(value.as_bytes());
    }
    let mut out = vec![TEMPLATE_TAG];
    push_ber_length(&mut out, inner.len());
    out.extend_from_slice(&inner);
    out
}

/// Decodes the demographic file: NIK and elements. Unknown tags are skipped; a repeated tag,
/// a truncated element, text that is not UTF-8, or a missing NIK or name is invalid.
pub fn decode_demographics(file: &[u8]) -> Result<(String, Demographics), CardError> {
    if file.first() != Some(&TEMPLATE_TAG) {
        return Err(CardError::DataInvalid("template"));
    }
    let (len, header) = ber_length(&file[1..]).ok_or(CardError::DataInvalid("length"))?;
    let inner = file
        .get(1 + header..1 + header + len)
        .ok_or(CardError::DataInvalid("length"))?;
    let mut d = Demographics::default();
    let mut nik: Option<String> = None;
    let mut seen = [false; 256];
    let mut rest = inner;
    while let Some((&tag, after)) = rest.split_first() {
        let (len, header) = ber_length(after).ok_or(CardError::DataInvalid("element length"))?;
        let value = after
            .get(header..header + len)
            .ok_or(CardError::DataInvalid("element truncated"))?;
        rest = &after[header + len..];
        if std::mem::replace(&mut seen[usize::from(tag)], true) {
            return Err(CardError::DataInvalid("repeated element"));
        }
        let text = std::str::from_utf8(value).map_err(|_| CardError::DataInvalid("text"))?;
        if text.chars().any(char::is_control) {
            return Err(CardError::DataInvalid("text"));
        }
        if tag == 0x80 {
            nik = Some(text.to_owned());
        } else if let Some(slot) = field_mut(&mut d, tag) {
            *slot = text.to_owned();
        }
    }
    let nik = nik.ok_or(CardError::DataInvalid("NIK missing"))?;
    if d.name.is_empty() {
        return Err(CardError::DataInvalid("name missing"));
    }
    Ok((nik, d))
}

fn attempts_of(sw: u16) -> Option<u8> {
    (sw & 0xFFF0 == 0x63C0).then_some((sw & 0x000F) as u8)
}

fn fingerprint_step(t: &mut dyn Transport, requested: bool) -> Result<Fingerprint, CardError> {
    let not_performed = |attempts_left, reason| Fingerprint {
        verdict: FingerprintVerdict::NotPerformed,
        attempts_left,
        reason: Some(reason),
    };
    let r = exchange(t, &CMD_ATTEMPTS, "VERIFY (attempts)")?;
    let attempts = match r.sw {
        sw::BLOCKED => return Ok(not_performed(Some(0), NotPerformedReason::Blocked)),
        sw::NOT_SUPPORTED | sw::INS_NOT_SUPPORTED | sw::NOT_FOUND | sw::CLA_NOT_SUPPORTED => {
            return Ok(not_performed(None, NotPerformedReason::Unsupported));
        }
        sw::OK => None,
        other => match attempts_of(other) {
            Some(0) => return Ok(not_performed(Some(0), NotPerformedReason::Blocked)),
            Some(n) => Some(n),
            None => {
                return Err(CardError::Status {
                    command: "VERIFY (attempts)",
                    sw: other,
                });
            }
        },
    };
    if !requested {
        return Ok(not_performed(attempts, NotPerformedReason::NotRequested));
    }
    let r = exchange(t, &CMD_MATCH_FINGER, "VERIFY (fingerprint)")?;
    match r.sw {
        sw::OK => {
            // A match resets the counter; ask again for the value after it.
            let again = exchange(t, &CMD_ATTEMPTS, "VERIFY (attempts)")?;
            Ok(Fingerprint {
                verdict: FingerprintVerdict::Matched,
                attempts_left: attempts_of(again.sw),
                reason: None,
            })
        }
        sw::BLOCKED => Ok(not_performed(Some(0), NotPerformedReason::Blocked)),
        sw::NO_FINGER => Ok(not_performed(attempts, NotPerformedReason::NoFinger)),
        sw::NOT_SUPPORTED | sw::INS_NOT_SUPPORTED | sw::CLA_NOT_SUPPORTED => {
            Ok(not_performed(attempts, NotPerformedReason::Unsupported))
        }
        other => match attempts_of(other) {
            Some(n) => Ok(Fingerprint {
                verdict: FingerprintVerdict::NotMatched,
                attempts_left: Some(n),
                reason: None,
            }),
            None => Err(CardError::Status {
                command: "VERIFY (fingerprint)",
                sw: other,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Answers scripted responses in order and records the commands.
    struct Script {
        answers: VecDeque<Result<Vec<u8>, TransportError>>,
        sent: Vec<Vec<u8>>,
    }

    impl Script {
        fn new(answers: Vec<Result<Vec<u8>, TransportError>>) -> Self {
            Script {
                answers: answers.into(),
                sent: Vec::new(),
            }
        }
    }

    impl Transport for Script {
        fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
            self.sent.push(command.to_vec());
            self.answers
                .pop_front()
                .unwrap_or(Err(TransportError::Other))
        }
    }

    fn ok(data: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut v = data.to_vec();
        v.extend_from_slice(&[0x90, 0x00]);
        Ok(v)
    }

    fn status(sw: u16) -> Result<Vec<u8>, TransportError> {
        Ok(sw.to_be_bytes().to_vec())
    }

    fn today() -> time::Date {
        time::macros::date!(2026 - 11 - 27)
    }

    fn resident() -> (String, Demographics) {
        (
            "3313010101900001".to_owned(),
            Demographics {
                name: "SINTETIS CONTOH".into(),
                birth_place: "KARANGANYAR".into(),
                birth_date: "01-01-1990".into(),
                sex: "LAKI-LAKI".into(),
                address: "JL. CONTOH NO. 1 ".repeat(12),
                citizenship: "WNI".into(),
                ..Default::default()
            },
        )
    }

    /// The file split into READ BINARY answers of at most 0xE0 bytes.
    fn file_answers(file: &[u8]) -> Vec<Result<Vec<u8>, TransportError>> {
        file.chunks(usize::from(READ_CHUNK)).map(ok).collect()
    }

    fn full_script(fp: Vec<Result<Vec<u8>, TransportError>>) -> Script {
        let (nik, d) = resident();
        let file = encode_demographics(&nik, &d);
        let mut answers = vec![ok(&[0x04, 0xA1, 0xB2, 0xC3]), ok(&[]), ok(&[])];
        answers.extend(file_answers(&file));
        answers.extend(fp);
        Script::new(answers)
    }

    #[test]
    fn encode_decode_round_trip() {
        let (nik, d) = resident();
        let file = encode_demographics(&nik, &d);
        assert!(file.len() > usize::from(READ_CHUNK), "needs several reads");
        assert_eq!(decode_demographics(&file).unwrap(), (nik, d));
    }

    #[test]
    fn reads_a_card_in_chunks_with_a_match() {
        let mut s = full_script(vec![
            status(sw::counter(3)),
            ok(&[]),
            status(sw::counter(3)),
        ]);
        let card = read_card(&mut s, true, today()).unwrap();
        assert_eq!(card.nik, "3313010101900001");
        assert_eq!(card.uid, Some(vec![0x04, 0xA1, 0xB2, 0xC3]));
        assert_eq!(card.demographics, resident().1);
        assert_eq!(card.fingerprint.verdict, FingerprintVerdict::Matched);
        assert_eq!(card.fingerprint.attempts_left, Some(3));
        assert_eq!(s.sent[0], CMD_GET_UID);
        assert_eq!(s.sent[1], cmd_select_application());
        assert_eq!(s.sent[3], cmd_read_binary(0, READ_CHUNK));
        assert_eq!(s.sent[4], cmd_read_binary(0xE0, READ_CHUNK));
        assert_eq!(s.sent.last().unwrap(), &CMD_ATTEMPTS.to_vec());
    }

    #[test]
    fn fingerprint_outcomes() {
        let verdict = |fp, requested| {
            let mut s = full_script(fp);
            read_card(&mut s, requested, today()).map(|c| c.fingerprint)
        };
        let f = verdict(vec![status(sw::counter(3)), status(sw::counter(2))], true).unwrap();
        assert_eq!(
            (f.verdict, f.attempts_left),
            (FingerprintVerdict::NotMatched, Some(2))
        );
        let f = verdict(vec![status(sw::BLOCKED)], true).unwrap();
        assert_eq!(
            (f.verdict, f.attempts_left, f.reason),
            (
                FingerprintVerdict::NotPerformed,
                Some(0),
                Some(NotPerformedReason::Blocked)
            )
        );
        let f = verdict(vec![status(sw::counter(3))], false).unwrap();
        assert_eq!(
            (f.verdict, f.attempts_left, f.reason),
            (
                FingerprintVerdict::NotPerformed,
                Some(3),
                Some(NotPerformedReason::NotRequested)
            )
        );
        let f = verdict(
            vec![status(sw::counter(1)), status(sw::NOT_SUPPORTED)],
            true,
        )
        .unwrap();
        assert_eq!(f.reason, Some(NotPerformedReason::Unsupported));
        let f = verdict(vec![status(sw::counter(1)), status(sw::NO_FINGER)], true).unwrap();
        assert_eq!(f.reason, Some(NotPerformedReason::NoFinger));
        assert_eq!(
            verdict(vec![status(sw::counter(1)), status(0x6F00)], true).unwrap_err(),
            CardError::Status {
                command: "VERIFY (fingerprint)",
                sw: 0x6F00
            }
        );
    }

    #[test]
    fn too_short_answers_and_error_status_words() {
        // One byte: no status word.
        let mut s = Script::new(vec![ok(&[]), Ok(vec![0x90])]);
        assert_eq!(
            read_card(&mut s, false, today()).unwrap_err(),
            CardError::ResponseTooShort {
                command: "SELECT application"
            }
        );
        // Application missing: not an e-KTP.
        let mut s = Script::new(vec![status(sw::INS_NOT_SUPPORTED), status(sw::NOT_FOUND)]);
        assert_eq!(
            read_card(&mut s, false, today()).unwrap_err(),
            CardError::NotEktp
        );
        // File selection refused.
        let mut s = Script::new(vec![ok(&[1]), ok(&[]), status(sw::CONDITIONS)]);
        assert_eq!(
            read_card(&mut s, false, today()).unwrap_err(),
            CardError::Status {
                command: "SELECT file",
                sw: sw::CONDITIONS
            }
        );
        // READ BINARY with no data.
        let mut s = Script::new(vec![ok(&[1]), ok(&[]), ok(&[]), ok(&[])]);
        assert_eq!(
            read_card(&mut s, false, today()).unwrap_err(),
            CardError::ResponseTooShort {
                command: "READ BINARY"
            }
        );
        // End of file before the TLV is complete.
        let (nik, d) = resident();
        let file = encode_demographics(&nik, &d);
        let mut short = file[..100].to_vec();
        short.extend_from_slice(&[0x62, 0x82]);
        let mut s = Script::new(vec![ok(&[1]), ok(&[]), ok(&[]), Ok(short)]);
        assert_eq!(
            read_card(&mut s, false, today()).unwrap_err(),
            CardError::ResponseTooShort {
                command: "READ BINARY"
            }
        );
    }

    #[test]
    fn card_pulled_mid_read() {
        let (nik, d) = resident();
        let file = encode_demographics(&nik, &d);
        let mut s = Script::new(vec![
            ok(&[1]),
            ok(&[]),
            ok(&[]),
            ok(&file[..usize::from(READ_CHUNK)]),
            Err(TransportError::Removed),
        ]);
        assert_eq!(
            read_card(&mut s, false, today()).unwrap_err(),
            CardError::Transport(TransportError::Removed)
        );
    }

    #[test]
    fn invalid_files() {
        let (nik, d) = resident();
        let good = encode_demographics(&nik, &d);
        let mut wrong_tag = good.clone();
        wrong_tag[0] = 0x71;
        assert!(decode_demographics(&wrong_tag).is_err());
        assert!(decode_demographics(&good[..good.len() - 3]).is_err());
        let bad_nik = encode_demographics("1234", &d);
        let mut s =
            Script::new([vec![ok(&[1]), ok(&[]), ok(&[])], file_answers(&bad_nik)].concat());
        assert_eq!(
            read_card(&mut s, false, today()).unwrap_err(),
            CardError::DataInvalid("NIK")
        );
        let nameless = encode_demographics(&nik, &Demographics::default());
        assert_eq!(
            decode_demographics(&nameless).unwrap_err(),
            CardError::DataInvalid("name missing")
        );
        // Repeated element.
        let mut inner = vec![0x80, 2, b'1', b'2', 0x80, 1, b'3'];
        let mut twice = vec![TEMPLATE_TAG, inner.len() as u8];
        twice.append(&mut inner);
        assert_eq!(
            decode_demographics(&twice).unwrap_err(),
            CardError::DataInvalid("repeated element")
        );
        // A huge declared length is refused before reading it all.
        let mut s = Script::new(vec![
            ok(&[1]),
            ok(&[]),
            ok(&[]),
            ok(&[TEMPLATE_TAG, 0x82, 0xFF, 0xFF, 0x80]),
        ]);
        assert_eq!(
            read_card(&mut s, false, today()).unwrap_err(),
            CardError::DataInvalid("size")
        );
    }

    #[test]
    fn uid_refusal_is_not_an_error() {
        let mut s = Script::new(vec![status(sw::INS_NOT_SUPPORTED)]);
        assert_eq!(read_uid(&mut s).unwrap(), None);
    }
}
