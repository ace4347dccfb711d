//! Card readers in the portal (issue 6 items 6 and 7): the inventory behind `/admin/pembaca`
//! (`readers.manage`: register with a secret generated here and shown once, deactivate,
//! reactivate, retire, rotate the secret; Disdukcapil admins read every institution's list),
//! pairing tokens for operators (`reader_pairing`: only for registered, active readers of the
//! caller's institution, with the NDA accepted and the institution's access active), and the
//! card comparison (`card_compare`): one look-up through `verification::serve` on channel
//! `reader`, then the card's elements against the registry's, element by element, answered
//! as same/different only and never stored.

use super::{PortalBackend, actor, internal, permitted, storage_error};
use crate::secrets::reader_secret_aad;
use crate::storage::{NewReader, Reader, ReaderStatus};
use crate::upstream::{LookupOutcome, Resident};
use crate::verification::{self, AccessExtra, AccessRequest, Answer, Caller, Mode};
use app::{
    AppError,
    backend::{
        CardComparison, CardElements, CardReaderChoice, CardReaderInfo, ElementComparison,
        IssuedReaderSecret, PairingToken, ReaderForm, ReaderSummary, ReadersView,
    },
};
use domain::access::Permission;
use domain::nik::Sex;
use domain::pairing::{self, ReaderSecret};
use http::request::Parts;
use rand::RngCore;
use secrecy::ExposeSecret;

/// The reader-bridge's default WebSocket port (`reader_bridge::config::DEFAULT_PORT`).
pub const BRIDGE_DEFAULT_PORT: u16 = 47265;

/// The fingerprint verdicts the bridge reports (docs/reader-protocol.md `read_result`).
pub const FINGERPRINT_VERDICTS: [&str; 3] = ["matched", "not_matched", "not_performed"];

/// A new reader secret: 32 random bytes as 64 lower-case hex digits (the bridge uses the
/// text's bytes as the HMAC key, so the server does too).
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The operator id a pairing token carries: `op-<account id>` (usernames may hold dots).
pub fn operator_token_id(account_id: i64) -> String {
    format!("op-{account_id}")
}

/// The portal origin the browser used (the server function's `Origin`), for the snippet.
fn portal_origin(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| !o.is_empty() && *o != "null")
        .map(str::to_string)
}

/// The reader-bridge configuration to paste on the operator's PC.
fn config_snippet(reader_id: &str, origin: Option<&str>) -> String {
    let origin = origin.unwrap_or("https://sigap.example.go.id");
    format!(
        "# ~/.config/reader-bridge/reader-bridge.toml\n\
         port = {BRIDGE_DEFAULT_PORT}\n\
         origins = [\"{origin}\"]\n\
         reader_id = \"{reader_id}\"\n\
         secret_file = \"~/.config/reader-bridge/secret\"\n\
         # Simpan rahasia di atas (satu baris) ke berkas secret_file, chmod 600.\n\
         # reader-bridge --config ~/.config/reader-bridge/reader-bridge.toml"
    )
}

fn summary(r: &Reader, institution_name: &str) -> ReaderSummary {
    ReaderSummary {
        id: r.id,
        reader_id: r.reader_id.clone(),
        institution_name: institution_name.to_string(),
        work_unit: r.work_unit.clone(),
        serial_number: r.serial_number.clone(),
        sam_number: r.sam_number.clone(),
        status: r.status.as_str().to_string(),
        created_at_ms: r.created_at_ms,
        updated_at_ms: r.updated_at_ms,
        secret_rotated_at_ms: r.secret_rotated_at_ms,
        next_statuses: ReaderStatus::ALL
            .into_iter()
            .filter(|s| r.status.may_become(*s))
            .map(|s| s.as_str().to_string())
            .collect(),
    }
}

fn rejected(code: &str) -> AppError {
    AppError::Rejected { code: code.into() }
}

impl PortalBackend {
    fn keyring(&self) -> Result<&crate::secrets::Keyring, AppError> {
        self.state
            .secrets
            .as_deref()
            .ok_or_else(|| rejected("SECRETS_UNAVAILABLE"))
    }

    /// Institution names by id (one query for a whole list; also the audit search's).
    pub(super) async fn institution_names(
        &self,
    ) -> Result<std::collections::HashMap<i64, String>, AppError> {
        Ok(self
            .state
            .storage
            .list_institutions()
            .await
            .map_err(|e| internal("readers", &e))?
            .into_iter()
            .map(|i| (i.id, i.name))
            .collect())
    }

    async fn institution_label(&self, id: i64) -> Result<String, AppError> {
        Ok(self
            .institution_names()
            .await?
            .remove(&id)
            .unwrap_or_default())
    }

    pub(super) async fn readers_view(&self, parts: &Parts) -> Result<ReadersView, AppError> {
        let user = super::authenticated(parts)?;
        let role = user.user.role;
        let (manage, scope) = if role.allows(Permission::ManageReaders) {
            (
                true,
                Some(user.user.institution_id.ok_or(AppError::Forbidden)?),
            )
        } else if role.allows(Permission::ManageAgreements) {
            (false, None)
        } else {
            return Err(AppError::Forbidden);
        };
        let readers = self
            .state
            .storage
            .list_readers(scope)
            .await
            .map_err(|e| internal("readers", &e))?;
        let names = self.institution_names().await?;
        let mut out = Vec::with_capacity(readers.len());
        for r in &readers {
            let name = names.get(&r.institution_id).map_or("", String::as_str);
            let mut s = summary(r, name);
            if !manage {
                s.next_statuses.clear();
            }
            out.push(s);
        }
        Ok(ReadersView {
            manage,
            readers: out,
        })
    }

    pub(super) async fn register_reader_for(
        &self,
        parts: &Parts,
        form: &ReaderForm,
    ) -> Result<IssuedReaderSecret, AppError> {
        let user = permitted(parts, Permission::ManageReaders)?;
        let institution_id = user.user.institution_id.ok_or(AppError::Forbidden)?;
        let reader_id = form.reader_id.trim();
        if !pairing::valid_id(reader_id) {
            return Err(rejected("READER_INVALID"));
        }
        let keyring = self.keyring()?;
        let secret = new_secret();
        let sealed = keyring
            .seal(&secret, &reader_secret_aad(reader_id))
            .map_err(|e| internal("register_reader", &e))?;
        let now = self.state.auth.clock().now_ms();
        let reader = self
            .state
            .storage
            .register_reader(
                &NewReader {
                    reader_id: reader_id.to_string(),
                    institution_id,
                    work_unit: form.work_unit.trim().to_string(),
                    serial_number: form.serial_number.trim().to_string(),
                    sam_number: form.sam_number.trim().to_string(),
                    sealed_secret: sealed,
                },
                &actor(user, parts),
                now,
            )
            .await
            .map_err(|e| storage_error("register_reader", e))?;
        let name = self.institution_label(institution_id).await?;
        Ok(IssuedReaderSecret {
            config_snippet: config_snippet(&reader.reader_id, portal_origin(parts).as_deref()),
            reader: summary(&reader, &name),
            secret,
        })
    }

    pub(super) async fn set_reader_status_for(
        &self,
        parts: &Parts,
        id: i64,
        status: &str,
    ) -> Result<ReadersView, AppError> {
        let user = permitted(parts, Permission::ManageReaders)?;
        let institution_id = user.user.institution_id.ok_or(AppError::Forbidden)?;
        let to = ReaderStatus::parse(status).ok_or_else(|| rejected("READER_STATUS_INVALID"))?;
        let now = self.state.auth.clock().now_ms();
        self.state
            .storage
            .set_reader_status(id, institution_id, to, &actor(user, parts), now)
            .await
            .map_err(|e| storage_error("set_reader_status", e))?;
        self.readers_view(parts).await
    }

    pub(super) async fn rotate_reader_secret_for(
        &self,
        parts: &Parts,
        id: i64,
    ) -> Result<IssuedReaderSecret, AppError> {
        let user = permitted(parts, Permission::ManageReaders)?;
        let institution_id = user.user.institution_id.ok_or(AppError::Forbidden)?;
        let storage = &self.state.storage;
        let current = storage
            .reader_by_id(id)
            .await
            .map_err(|e| internal("rotate_reader_secret", &e))?
            .ok_or(AppError::NotFound)?;
        if current.institution_id != institution_id {
            return Err(AppError::Forbidden);
        }
        let keyring = self.keyring()?;
        let secret = new_secret();
        let sealed = keyring
            .seal(&secret, &reader_secret_aad(&current.reader_id))
            .map_err(|e| internal("rotate_reader_secret", &e))?;
        let now = self.state.auth.clock().now_ms();
        let reader = storage
            .rotate_reader_secret(id, institution_id, &sealed, &actor(user, parts), now)
            .await
            .map_err(|e| storage_error("rotate_reader_secret", e))?;
        let name = self.institution_label(institution_id).await?;
        Ok(IssuedReaderSecret {
            config_snippet: config_snippet(&reader.reader_id, portal_origin(parts).as_deref()),
            reader: summary(&reader, &name),
            secret,
        })
    }

    /// The gates a pairing passes: `nik.lookup`, NDA accepted, institution access active.
    /// Returns the caller's account id and institution.
    async fn reader_gates(&self, parts: &Parts) -> Result<(i64, i64), AppError> {
        let user = permitted(parts, Permission::NikLookup)?;
        let institution_id = user.user.institution_id.ok_or(AppError::Forbidden)?;
        let storage = &self.state.storage;
        let nda = storage
            .nda_status(user.user.account_id)
            .await
            .map_err(|e| internal("reader_gates", &e))?;
        if !nda.satisfied() {
            return Err(rejected("NDA_REQUIRED"));
        }
        let today = domain::quota::wib_day(self.state.auth.clock().now_ms());
        let access = storage
            .institution_access_state(institution_id, today)
            .await
            .map_err(|e| internal("reader_gates", &e))?;
        if let Some(code) = access.reason_code() {
            return Err(rejected(code));
        }
        Ok((user.user.account_id, institution_id))
    }

    pub(super) async fn card_reader_info_for(
        &self,
        parts: &Parts,
    ) -> Result<CardReaderInfo, AppError> {
        let user = permitted(parts, Permission::NikLookup)?;
        let institution_id = user.user.institution_id.ok_or(AppError::Forbidden)?;
        let readers = self
            .state
            .storage
            .list_readers(Some(institution_id))
            .await
            .map_err(|e| internal("card_reader_info", &e))?;
        Ok(CardReaderInfo {
            bridge_port: BRIDGE_DEFAULT_PORT,
            readers: readers
                .into_iter()
                .filter(|r| r.status == ReaderStatus::Active)
                .map(|r| CardReaderChoice {
                    reader_id: r.reader_id,
                    work_unit: r.work_unit,
                })
                .collect(),
            portal_origin: portal_origin(parts),
        })
    }

    pub(super) async fn reader_pairing_for(
        &self,
        parts: &Parts,
        reader_id: &str,
    ) -> Result<PairingToken, AppError> {
        let (account_id, institution_id) = self.reader_gates(parts).await?;
        let storage = &self.state.storage;
        let reader = storage
            .reader_by_reader_id(reader_id.trim())
            .await
            .map_err(|e| internal("reader_pairing", &e))?
            .ok_or_else(|| rejected("READER_UNKNOWN"))?;
        if reader.institution_id != institution_id {
            return Err(AppError::Forbidden);
        }
        if reader.status != ReaderStatus::Active {
            return Err(rejected("READER_INACTIVE"));
        }
        let keyring = self.keyring()?;
        let sealed = storage
            .sealed_reader_secret(reader.id)
            .await
            .map_err(|e| internal("reader_pairing", &e))?
            .ok_or(AppError::NotFound)?;
        let secret = keyring
            .open(&sealed, &reader_secret_aad(&reader.reader_id))
            .map_err(|e| internal("reader_pairing", &e))?;
        let secret = ReaderSecret::new(secret.expose_secret().as_bytes().to_vec())
            .map_err(|e| internal("reader_pairing", &e))?;
        let now = self.state.auth.clock().now_ms();
        let token = pairing::create(
            &secret,
            &operator_token_id(account_id),
            &reader.reader_id,
            now,
            pairing::DEFAULT_LIFETIME_MS,
        )
        .map_err(|e| internal("reader_pairing", &e))?;
        Ok(PairingToken {
            reader_id: reader.reader_id,
            token,
            expires_at_ms: now + pairing::DEFAULT_LIFETIME_MS,
        })
    }

    pub(super) async fn card_compare_for(
        &self,
        parts: &Parts,
        nik: &str,
        purpose: &str,
        card: &CardElements,
        fingerprint: &str,
    ) -> Result<CardComparison, AppError> {
        let user = permitted(parts, Permission::NikLookup)?;
        if !FINGERPRINT_VERDICTS.contains(&fingerprint) {
            return Err(rejected("FINGERPRINT_INVALID"));
        }
        let account = self
            .state
            .storage
            .account_by_id(user.user.account_id)
            .await
            .map_err(|e| internal("card_compare", &e))?
            .ok_or(AppError::AuthRequired)?;
        let client = crate::auth::session::client_info(parts);
        let req = AccessRequest {
            caller: Caller {
                account_id: account.id,
                username: account.username.clone(),
                role: account.role,
                institution_id: account.institution_id,
                local_user_id: account.local_user_id.clone(),
                client_ip: client.ip.map(|i| i.to_string()),
                request_id: client.request_id,
            },
            channel: crate::storage::AccessChannel::Reader,
            nik: nik.to_string(),
            purpose: purpose.to_string(),
            mode: Mode::Lookup,
        };
        let extra = AccessExtra {
            fingerprint: Some(fingerprint.to_string()),
        };
        let served = verification::serve_with(&self.state, req, extra)
            .await
            .map_err(|e| internal("card_compare", &e))?;
        let answer = served.result.map_err(|r| rejected(r.code()))?;
        let Answer::Lookup(outcome) = &answer else {
            return Err(internal("card_compare", &"verify answer to a look-up"));
        };
        let outcome_code = outcome
            .code()
            .map_or_else(|| "UNAVAILABLE".to_string(), |c| c.to_string());
        let (found, elements) = match outcome {
            LookupOutcome::Found { resident, .. } => (true, compare(card, resident)),
            _ => (false, Vec::new()),
        };
        let differences = elements.iter().filter(|e| e.verdict == "different").count();
        Ok(CardComparison {
            found,
            outcome_code,
            differences,
            elements,
            fingerprint: fingerprint.to_string(),
            quota_used: served.quota.map(|q| q.used),
            quota_limit: served.quota.map(|q| q.limit),
        })
    }
}

/// Upper case, letters and digits only, single spaces.
fn norm(text: &str) -> String {
    text.to_uppercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// RT/RW numbers: `001` equals `1`.
fn number(text: &str) -> Option<u32> {
    text.trim().parse().ok()
}

/// A card date `DD-MM-YYYY` (or ISO `YYYY-MM-DD`).
fn card_date(text: &str) -> Option<time::Date> {
    let parts: Vec<&str> = text.trim().split(['-', '/']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (d, m, y) = if a.len() == 4 { (c, b, a) } else { (a, b, c) };
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    time::Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

fn card_sex(text: &str) -> Option<Sex> {
    match norm(text).as_str() {
        "L" | "LAKI LAKI" | "LAKI" | "PRIA" => Some(Sex::Male),
        "P" | "PEREMPUAN" | "WANITA" => Some(Sex::Female),
        _ => None,
    }
}

fn verdict(element: &str, same: Option<bool>) -> ElementComparison {
    ElementComparison {
        element: element.to_string(),
        verdict: match same {
            Some(true) => "same",
            Some(false) => "different",
            None => "not_compared",
        }
        .to_string(),
    }
}

/// Compares two texts after [`norm`]; empty on either side is not compared.
fn text_same(card: &str, registry: &str) -> Option<bool> {
    let (a, b) = (norm(card), norm(registry));
    (!a.is_empty() && !b.is_empty()).then(|| a == b)
}

/// The card's elements against the registry's: names with `domain::names` (spelling
/// variants match), dates, sex and RT/RW exactly, other texts after normalising case and
/// punctuation. Nothing of either side is returned.
pub fn compare(card: &CardElements, r: &Resident) -> Vec<ElementComparison> {
    let name = (!card.name.trim().is_empty() && !r.nama_lengkap.trim().is_empty())
        .then(|| domain::names::is_match(&card.name, &r.nama_lengkap));
    let birth_date = match (card.birth_date.trim().is_empty(), r.tanggal_lahir) {
        (false, Some(reg)) => Some(card_date(&card.birth_date) == Some(reg)),
        _ => None,
    };
    let sex = match (card.sex.trim().is_empty(), r.jenis_kelamin) {
        (false, Some(reg)) => Some(card_sex(&card.sex) == Some(reg)),
        _ => None,
    };
    let num = |c: &str, reg: &str| match (c.trim().is_empty(), reg.trim().is_empty()) {
        (false, false) => Some(number(c).is_some() && number(c) == number(reg)),
        _ => None,
    };
    let a = &r.alamat;
    vec![
        verdict("name", name),
        verdict("birth_place", text_same(&card.birth_place, &r.tempat_lahir)),
        verdict("birth_date", birth_date),
        verdict("sex", sex),
        verdict("address", text_same(&card.address, &a.alamat)),
        verdict("rt", num(&card.rt, &a.rt)),
        verdict("rw", num(&card.rw, &a.rw)),
        verdict("village", text_same(&card.village, &a.kelurahan.nama)),
        verdict("district", text_same(&card.district, &a.kecamatan.nama)),
        verdict("regency", text_same(&card.regency, &a.kabupaten.nama)),
        verdict("province", text_same(&card.province, &a.provinsi.nama)),
        verdict(
            "marital_status",
            text_same(&card.marital_status, &r.status_perkawinan),
        ),
        verdict(
            "occupation",
            text_same(&card.occupation, &r.jenis_pekerjaan),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::{Alamat, Wilayah};

    fn resident() -> Resident {
        let w = |n: &str| Wilayah {
            kode: "01".into(),
            nama: n.into(),
        };
        Resident {
            no_kk: "3313010101900002".into(),
            nik: "3313010101900001".into(),
            nama_lengkap: "SINTETIS CONTOH".into(),
            jenis_kelamin: Some(Sex::Male),
            tempat_lahir: "KARANGANYAR".into(),
            tanggal_lahir: Some(time::macros::date!(1990 - 01 - 01)),
            status_perkawinan: "KAWIN".into(),
            jenis_pekerjaan: "PETANI/PEKEBUN".into(),
            alamat: Alamat {
                alamat: "DUSUN CONTOH".into(),
                rt: "001".into(),
                rw: "002".into(),
                kelurahan: w("JATIPURO"),
                kecamatan: w("JATIPURO"),
                kabupaten: w("KARANGANYAR"),
                provinsi: w("JAWA TENGAH"),
            },
        }
    }

    fn card() -> CardElements {
        CardElements {
            name: "Sintetis Contoh".into(),
            birth_place: "Karanganyar".into(),
            birth_date: "01-01-1990".into(),
            sex: "LAKI-LAKI".into(),
            address: "Dusun Contoh".into(),
            rt: "1".into(),
            rw: "002".into(),
            village: "JATIPURO".into(),
            district: "JATIPURO".into(),
            regency: "KARANGANYAR".into(),
            province: "JAWA TENGAH".into(),
            marital_status: "KAWIN".into(),
            occupation: "PETANI / PEKEBUN".into(),
        }
    }

    fn verdicts(v: &[ElementComparison]) -> Vec<(&str, &str)> {
        v.iter()
            .map(|e| (e.element.as_str(), e.verdict.as_str()))
            .collect()
    }

    #[test]
    fn the_same_card_is_the_same_everywhere() {
        let v = compare(&card(), &resident());
        assert_eq!(v.len(), 13);
        assert!(v.iter().all(|e| e.verdict == "same"), "{:?}", verdicts(&v));
    }

    #[test]
    fn differences_are_flagged_per_element() {
        let mut c = card();
        c.birth_date = "02-01-1990".into();
        c.sex = "PEREMPUAN".into();
        c.name = "Budi Santoso".into();
        c.rw = "3".into();
        c.occupation = String::new();
        let v = compare(&c, &resident());
        let d = verdicts(&v);
        assert!(d.contains(&("birth_date", "different")));
        assert!(d.contains(&("sex", "different")));
        assert!(d.contains(&("name", "different")));
        assert!(d.contains(&("rw", "different")));
        assert!(d.contains(&("occupation", "not_compared")));
        assert!(d.contains(&("rt", "same")));
    }

    #[test]
    fn card_dates_and_sexes_parse() {
        assert_eq!(
            card_date("31-12-1985"),
            Some(time::macros::date!(1985 - 12 - 31))
        );
        assert_eq!(
            card_date("1985-12-31"),
            Some(time::macros::date!(1985 - 12 - 31))
        );
        assert_eq!(card_date("31-13-1985"), None);
        assert_eq!(card_sex("laki-laki"), Some(Sex::Male));
        assert_eq!(card_sex("PEREMPUAN"), Some(Sex::Female));
        assert_eq!(card_sex("?"), None);
    }

    #[test]
    fn snippets_name_the_reader_and_origin_but_not_the_secret() {
        let s = config_snippet("RDR-01", Some("http://localhost:3000"));
        assert!(s.contains("reader_id = \"RDR-01\""));
        assert!(s.contains("origins = [\"http://localhost:3000\"]"));
        assert!(s.contains("port = 47265"));
        let secret = new_secret();
        assert_eq!(secret.len(), 64);
        assert!(ReaderSecret::new(secret.as_bytes().to_vec()).is_ok());
    }
}
