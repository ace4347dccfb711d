//! The versioned JSON protocol between the portal page and the bridge (docs/reader-protocol.md
//! is its written form, with an example of every message).
//!
//! Every message is one WebSocket text frame holding one JSON object with `"v"` (the protocol
//! version, [`PROTOCOL_VERSION`]) and `"type"`. This module depends on `serde` only, so the
//! portal can share the types.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The protocol version this bridge speaks (also the `/v1` path of the WebSocket).
pub const PROTOCOL_VERSION: u32 = 1;

/// Messages the page sends to the bridge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Read the e-KTP in a reader.
    Read {
        /// The page's correlation id, echoed in the answer (1-64 characters).
        id: String,
        /// Reader name as announced; may be left out when exactly one reader is attached.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reader: Option<String>,
        /// A fresh pairing token; replaces the connection's token from here on.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        /// Whether to match the resident's fingerprint on the reader.
        #[serde(default)]
        fingerprint: bool,
    },
    /// Liveness check; answered with `pong`.
    Ping {
        /// Echoed in the `pong`.
        id: String,
    },
}

/// The envelope of a page message: the version and the message. For building (serialising)
/// messages; the bridge parses with [`parse_client`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientEnvelope {
    /// Protocol version; must be [`PROTOCOL_VERSION`].
    pub v: u32,
    /// The message.
    #[serde(flatten)]
    pub message: ClientMessage,
}

/// A card as announced by the bridge (no personal data: ATR and chip UID only).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardInfo {
    /// Answer to reset, upper-case hex.
    pub atr: String,
    /// The chip UID from the PC/SC GET DATA pseudo-APDU (`FF CA 00 00 00`), upper-case hex;
    /// `null` when the reader or card does not answer it.
    pub uid: Option<String>,
}

impl fmt::Debug for CardInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardInfo(..)")
    }
}

/// A reader as announced in `hello`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderInfo {
    /// The PC/SC reader name.
    pub name: String,
    /// The card in it, if any.
    pub card: Option<CardInfo>,
}

/// The demographic elements printed on and stored in an e-KTP.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Demographics {
    /// Nama.
    pub name: String,
    /// Tempat lahir.
    pub birth_place: String,
    /// Tanggal lahir, `DD-MM-YYYY` as on the card.
    pub birth_date: String,
    /// Jenis kelamin (`LAKI-LAKI` / `PEREMPUAN`).
    pub sex: String,
    /// Golongan darah (`A`, `B`, `AB`, `O`, `-`).
    pub blood_group: String,
    /// Alamat.
    pub address: String,
    /// RT.
    pub rt: String,
    /// RW.
    pub rw: String,
    /// Kelurahan/desa.
    pub village: String,
    /// Kecamatan.
    pub district: String,
    /// Kabupaten/kota.
    pub regency: String,
    /// Provinsi.
    pub province: String,
    /// Agama.
    pub religion: String,
    /// Status perkawinan.
    pub marital_status: String,
    /// Pekerjaan.
    pub occupation: String,
    /// Kewarganegaraan (`WNI`).
    pub citizenship: String,
    /// Berlaku hingga (`SEUMUR HIDUP` or a date).
    pub valid_until: String,
}

impl fmt::Debug for Demographics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Demographics(..)")
    }
}

/// The fingerprint verdict of a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FingerprintVerdict {
    /// The finger on the reader matches the card's template.
    Matched,
    /// It does not.
    NotMatched,
    /// No match was attempted (see the reason).
    NotPerformed,
}

/// Why no fingerprint match was attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotPerformedReason {
    /// The page did not ask for it.
    NotRequested,
    /// The attempt counter is at zero.
    Blocked,
    /// The reader has no fingerprint sensor or the card no template.
    Unsupported,
    /// No finger was placed in time.
    NoFinger,
}

/// The fingerprint part of a read result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// The verdict.
    pub verdict: FingerprintVerdict,
    /// Attempts left on the card's counter after this read, when the card told.
    pub attempts_left: Option<u8>,
    /// Set when the verdict is `not_performed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<NotPerformedReason>,
}

/// Messages the bridge sends to the page.
// `ReadResult` is large (the demographic elements); messages are few and short-lived, so
// boxing it would only make building and matching them clumsier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// First message of every connection.
    Hello {
        /// `reader-bridge <version>`.
        bridge: String,
        /// [`PROTOCOL_VERSION`].
        protocol: u32,
        /// The registered reader id this bridge holds the secret of.
        reader_id: String,
        /// The readers attached now.
        readers: Vec<ReaderInfo>,
    },
    /// A reader appeared.
    ReaderAttached {
        /// Reader name.
        reader: String,
    },
    /// A reader went away (its card with it).
    ReaderDetached {
        /// Reader name.
        reader: String,
    },
    /// A card was inserted.
    CardInserted {
        /// Reader name.
        reader: String,
        /// The card.
        #[serde(flatten)]
        card: CardInfo,
    },
    /// The card was removed.
    CardRemoved {
        /// Reader name.
        reader: String,
    },
    /// The answer to a successful `read`.
    ReadResult {
        /// The request's id.
        id: String,
        /// Reader name.
        reader: String,
        /// The card that was read.
        card: CardInfo,
        /// NIK from the card.
        nik: String,
        /// The card's demographic elements.
        demographics: Demographics,
        /// The fingerprint verdict.
        fingerprint: Fingerprint,
    },
    /// The answer to a `ping`.
    Pong {
        /// The ping's id.
        id: String,
    },
    /// A request failed or a message was refused.
    Error {
        /// The request's id when known.
        id: Option<String>,
        /// Stable code.
        code: ErrorCode,
        /// Indonesian explanation for the operator.
        message: String,
    },
}

/// The envelope of a bridge message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerEnvelope {
    /// [`PROTOCOL_VERSION`].
    pub v: u32,
    /// The message.
    #[serde(flatten)]
    pub message: ServerMessage,
}

impl ServerMessage {
    /// The JSON text of this message in its envelope.
    #[must_use]
    pub fn to_json(&self) -> String {
        let envelope = ServerEnvelope {
            v: PROTOCOL_VERSION,
            message: self.clone(),
        };
        serde_json::to_string(&envelope).unwrap_or_else(|_| {
            // Serialising these plain types cannot fail; answer a fixed error if it ever did.
            r#"{"v":1,"type":"error","id":null,"code":"INTERNAL","message":"Kesalahan internal."}"#
                .to_owned()
        })
    }

    /// An `error` message with the code's standard Indonesian text.
    #[must_use]
    pub fn error(id: Option<String>, code: ErrorCode) -> Self {
        ServerMessage::Error {
            id,
            code,
            message: code.message().to_owned(),
        }
    }
}

macro_rules! error_codes {
    ($($variant:ident => $code:literal, $msg:literal;)*) => {
        /// Stable error codes of the protocol and of refused handshakes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $(
                #[doc = $msg]
                #[serde(rename = $code)]
                $variant,
            )*
        }

        impl ErrorCode {
            /// Every code.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The SCREAMING_SNAKE code.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The Indonesian message shown to the operator.
            #[must_use]
            pub fn message(self) -> &'static str {
                match self { $(ErrorCode::$variant => $msg,)* }
            }
        }
    };
}

error_codes! {
    // Handshake (HTTP status before the upgrade).
    HostNotAllowed => "HOST_NOT_ALLOWED", "Alamat host tidak diizinkan.";
    OriginMissing => "ORIGIN_MISSING", "Permintaan tanpa header Origin ditolak.";
    OriginNotAllowed => "ORIGIN_NOT_ALLOWED", "Asal halaman tidak diizinkan memakai pembaca kartu.";
    NotWebSocket => "NOT_WEBSOCKET", "Hanya koneksi WebSocket yang dilayani.";
    TooManyConnections => "TOO_MANY_CONNECTIONS", "Terlalu banyak koneksi ke pembaca kartu.";
    NotFound => "NOT_FOUND", "Alamat tidak dikenal.";
    // Pairing token.
    TokenMissing => "TOKEN_MISSING", "Token pemasangan dari portal diperlukan.";
    TokenMalformed => "TOKEN_MALFORMED", "Token pemasangan tidak dikenali.";
    TokenUnsupportedVersion => "TOKEN_UNSUPPORTED_VERSION", "Versi token pemasangan tidak didukung.";
    TokenInvalid => "TOKEN_INVALID", "Token pemasangan tidak sah.";
    TokenOtherReader => "TOKEN_OTHER_READER", "Token pemasangan untuk pembaca kartu lain.";
    TokenExpired => "TOKEN_EXPIRED", "Token pemasangan sudah kedaluwarsa; minta token baru dari portal.";
    TokenLifetimeTooLong => "TOKEN_LIFETIME_TOO_LONG", "Masa berlaku token pemasangan terlalu panjang (periksa jam komputer).";
    // Messages.
    MalformedMessage => "MALFORMED_MESSAGE", "Pesan tidak dapat dibaca (JSON tidak sah).";
    MessageTooLarge => "MESSAGE_TOO_LARGE", "Pesan terlalu besar.";
    BinaryNotSupported => "BINARY_NOT_SUPPORTED", "Hanya pesan teks JSON yang diterima.";
    UnknownMessageType => "UNKNOWN_MESSAGE_TYPE", "Jenis pesan tidak dikenal.";
    UnsupportedVersion => "UNSUPPORTED_VERSION", "Versi protokol tidak didukung.";
    InvalidRequest => "INVALID_REQUEST", "Isi permintaan tidak sah.";
    // Reads.
    RateLimited => "RATE_LIMITED", "Terlalu banyak pembacaan; coba lagi sebentar lagi.";
    ReadInProgress => "READ_IN_PROGRESS", "Pembacaan sebelumnya belum selesai.";
    ReaderBusy => "READER_BUSY", "Pembaca kartu sedang sibuk.";
    NoReader => "NO_READER", "Tidak ada pembaca kartu yang terpasang.";
    UnknownReader => "UNKNOWN_READER", "Pembaca kartu tidak dikenal.";
    ReaderAmbiguous => "READER_AMBIGUOUS", "Lebih dari satu pembaca kartu; pilih salah satu.";
    NoCard => "NO_CARD", "Tidak ada kartu di pembaca.";
    CardRemoved => "CARD_REMOVED", "Kartu dicabut saat dibaca; masukkan kembali dan ulangi.";
    CardNotEktp => "CARD_NOT_EKTP", "Kartu ini bukan e-KTP.";
    CardResponseInvalid => "CARD_RESPONSE_INVALID", "Jawaban kartu tidak lengkap.";
    CardStatusError => "CARD_STATUS_ERROR", "Kartu menolak perintah.";
    CardDataInvalid => "CARD_DATA_INVALID", "Data pada kartu tidak sah.";
    CardUnresponsive => "CARD_UNRESPONSIVE", "Kartu tidak menjawab; periksa posisi kartu.";
    ReadTimeout => "READ_TIMEOUT", "Pembaca kartu tidak menjawab tepat waktu.";
    ReaderError => "READER_ERROR", "Kesalahan pembaca kartu.";
    PcscUnavailable => "PCSC_UNAVAILABLE", "Layanan kartu pintar (PC/SC) tidak berjalan.";
    Internal => "INTERNAL", "Kesalahan internal pada jembatan pembaca kartu.";
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&domain::pairing::PairingError> for ErrorCode {
    fn from(e: &domain::pairing::PairingError) -> Self {
        use domain::pairing::PairingError as P;
        match e {
            P::Malformed | P::BadId => ErrorCode::TokenMalformed,
            P::UnsupportedVersion => ErrorCode::TokenUnsupportedVersion,
            P::BadSignature | P::SecretTooShort | P::BadLifetime => ErrorCode::TokenInvalid,
            P::OtherReader => ErrorCode::TokenOtherReader,
            P::Expired => ErrorCode::TokenExpired,
            P::LifetimeTooLong => ErrorCode::TokenLifetimeTooLong,
        }
    }
}

/// Why a page message was refused before it could be acted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFailure {
    /// The request id, when the text had one.
    pub id: Option<String>,
    /// The code.
    pub code: ErrorCode,
}

/// Parses one text frame from the page: JSON object, version, known type, valid fields.
pub fn parse_client(text: &str) -> Result<ClientMessage, ParseFailure> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| ParseFailure {
        id: None,
        code: ErrorCode::MalformedMessage,
    })?;
    let Some(object) = value.as_object() else {
        return Err(ParseFailure {
            id: None,
            code: ErrorCode::MalformedMessage,
        });
    };
    let id = object
        .get("id")
        .and_then(|v| v.as_str())
        .filter(|s| valid_request_id(s))
        .map(str::to_owned);
    let fail = |code| ParseFailure {
        id: id.clone(),
        code,
    };
    match object.get("v").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(PROTOCOL_VERSION) => {}
        _ => return Err(fail(ErrorCode::UnsupportedVersion)),
    }
    match object.get("type").and_then(|t| t.as_str()) {
        Some("read" | "ping") => {}
        _ => return Err(fail(ErrorCode::UnknownMessageType)),
    }
    let mut fields = object.clone();
    fields.remove("v");
    let message: ClientMessage = serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|_| fail(ErrorCode::InvalidRequest))?;
    let request_id = match &message {
        ClientMessage::Read { id, .. } | ClientMessage::Ping { id } => id,
    };
    if !valid_request_id(request_id) {
        return Err(fail(ErrorCode::InvalidRequest));
    }
    Ok(message)
}

/// A request id: 1-64 printable ASCII characters.
#[must_use]
pub fn valid_request_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Upper-case hex of bytes (ATR, UID).
#[must_use]
pub fn hex_upper(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_read_and_ping() {
        let m = parse_client(r#"{"v":1,"type":"read","id":"r1","fingerprint":true}"#).unwrap();
        assert_eq!(
            m,
            ClientMessage::Read {
                id: "r1".into(),
                reader: None,
                token: None,
                fingerprint: true
            }
        );
        let m = parse_client(r#"{"v":1,"type":"ping","id":"p"}"#).unwrap();
        assert_eq!(m, ClientMessage::Ping { id: "p".into() });
    }

    #[test]
    fn refusals_have_codes_and_keep_the_id() {
        let code = |t: &str| parse_client(t).unwrap_err();
        assert_eq!(code("not json").code, ErrorCode::MalformedMessage);
        assert_eq!(code("[1,2]").code, ErrorCode::MalformedMessage);
        let f = code(r#"{"v":1,"type":"erase","id":"x1"}"#);
        assert_eq!(f.code, ErrorCode::UnknownMessageType);
        assert_eq!(f.id.as_deref(), Some("x1"));
        assert_eq!(
            code(r#"{"v":2,"type":"ping","id":"p"}"#).code,
            ErrorCode::UnsupportedVersion
        );
        assert_eq!(
            code(r#"{"type":"ping","id":"p"}"#).code,
            ErrorCode::UnsupportedVersion
        );
        assert_eq!(
            code(r#"{"v":1,"type":"read","id":"r","fingerprint":"yes"}"#).code,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            code(r#"{"v":1,"type":"read","id":"r","extra":1}"#).code,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            code(r#"{"v":1,"type":"ping","id":""}"#).code,
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn server_messages_are_tagged_and_versioned() {
        let json = ServerMessage::CardInserted {
            reader: "R".into(),
            card: CardInfo {
                atr: "3B00".into(),
                uid: None,
            },
        }
        .to_json();
        assert_eq!(
            json,
            r#"{"v":1,"type":"card_inserted","reader":"R","atr":"3B00","uid":null}"#
        );
        let json = ServerMessage::error(Some("r1".into()), ErrorCode::CardRemoved).to_json();
        assert!(json.contains(r#""code":"CARD_REMOVED""#), "{json}");
    }

    #[test]
    fn codes_are_unique_screaming_snake() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{s}"
            );
            assert_eq!(
                serde_json::to_string(code).unwrap(),
                format!("\"{s}\""),
                "serde and as_str agree"
            );
        }
    }

    #[test]
    fn personal_data_is_not_in_debug_output() {
        let d = Demographics {
            name: "CANARY-NAME".into(),
            ..Default::default()
        };
        assert!(!format!("{d:?}").contains("CANARY"));
    }
}
