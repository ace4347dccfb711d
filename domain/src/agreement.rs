//! Cooperation agreements (PKS, perjanjian kerja sama) between an institution and Disdukcapil:
//! their status, the nine data elements they may allow, and whether an institution's access is
//! in force on a given day ([`access_state`]), with a stable reason code when it is not.
//!
//! An agreement is in force on `today` only when all hold:
//! 1. its status is [`AgreementStatus::Active`];
//! 2. `today` is within `valid_from ..= effective_valid_to`, where the effective end is the
//!    latest of `valid_to` and the new end dates of its addenda;
//! 3. the head's SPTJM (surat pernyataan tanggung jawab mutlak) is recorded for it.
//!
//! Dates are calendar days (WIB); callers pass `today`.

use serde::{Deserialize, Serialize};
use std::fmt;
use time::Date;

/// The life cycle of an agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementStatus {
    /// Being prepared; grants nothing yet.
    Draft,
    /// Signed and in force (between its dates, with the SPTJM recorded).
    Active,
    /// Temporarily stopped by Disdukcapil (e.g. a misuse investigation).
    Suspended,
    /// Ended before its term; final.
    Terminated,
}

impl AgreementStatus {
    /// Every status.
    pub const ALL: [AgreementStatus; 4] = [
        AgreementStatus::Draft,
        AgreementStatus::Active,
        AgreementStatus::Suspended,
        AgreementStatus::Terminated,
    ];

    /// The stable code stored in the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AgreementStatus::Draft => "draft",
            AgreementStatus::Active => "active",
            AgreementStatus::Suspended => "suspended",
            AgreementStatus::Terminated => "terminated",
        }
    }

    /// Parses a stored code; unknown codes are `None` (never a default).
    #[must_use]
    pub fn parse(code: &str) -> Option<AgreementStatus> {
        AgreementStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == code)
    }

    /// Whether an agreement may move from `self` to `to`. `terminated` is final; the same
    /// status is no change and is refused too.
    #[must_use]
    pub fn may_become(self, to: AgreementStatus) -> bool {
        use AgreementStatus::*;
        matches!(
            (self, to),
            (Draft, Active)
                | (Draft, Terminated)
                | (Active, Suspended)
                | (Active, Terminated)
                | (Suspended, Active)
                | (Suspended, Terminated)
        )
    }
}

/// The nine data elements an agreement may allow (the access agreement's list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PksElement {
    /// NIK.
    Nik,
    /// NO_KK.
    NoKk,
    /// NAMA_LGKP.
    NamaLengkap,
    /// JENIS_KLMIN.
    JenisKelamin,
    /// TMPT_LHR.
    TempatLahir,
    /// TGL_LHR.
    TanggalLahir,
    /// STATUS_KAWIN.
    StatusPerkawinan,
    /// JENIS_PKRJN.
    JenisPekerjaan,
    /// Alamat sekarang (street, RT/RW, village, district, regency, province).
    Alamat,
}

impl PksElement {
    /// The nine elements, in the agreement's order.
    pub const ALL: [PksElement; 9] = [
        PksElement::Nik,
        PksElement::NoKk,
        PksElement::NamaLengkap,
        PksElement::JenisKelamin,
        PksElement::TempatLahir,
        PksElement::TanggalLahir,
        PksElement::StatusPerkawinan,
        PksElement::JenisPekerjaan,
        PksElement::Alamat,
    ];

    /// The stable code stored in the database (same spelling as the upstream client's
    /// element names).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PksElement::Nik => "nik",
            PksElement::NoKk => "no_kk",
            PksElement::NamaLengkap => "nama_lengkap",
            PksElement::JenisKelamin => "jenis_kelamin",
            PksElement::TempatLahir => "tempat_lahir",
            PksElement::TanggalLahir => "tanggal_lahir",
            PksElement::StatusPerkawinan => "status_perkawinan",
            PksElement::JenisPekerjaan => "jenis_pekerjaan",
            PksElement::Alamat => "alamat",
        }
    }

    /// Parses a stored code.
    #[must_use]
    pub fn parse(code: &str) -> Option<PksElement> {
        PksElement::ALL.into_iter().find(|e| e.as_str() == code)
    }

    /// Joins elements as stored (`nik,no_kk,...`), in [`PksElement::ALL`] order, no duplicates.
    #[must_use]
    pub fn join(elements: &[PksElement]) -> String {
        PksElement::ALL
            .into_iter()
            .filter(|e| elements.contains(e))
            .map(PksElement::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Splits a stored list; an unknown code is an error (`Err(code)`), never skipped.
    ///
    /// # Errors
    /// The first unknown code.
    pub fn split(stored: &str) -> Result<Vec<PksElement>, String> {
        if stored.is_empty() {
            return Ok(Vec::new());
        }
        stored
            .split(',')
            .map(|c| PksElement::parse(c).ok_or_else(|| c.to_string()))
            .collect()
    }
}

/// What [`access_state`] needs to know of one agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementTerms {
    /// Current status.
    pub status: AgreementStatus,
    /// First day in force.
    pub valid_from: Date,
    /// Last day in force as signed.
    pub valid_to: Date,
    /// New end dates of the agreement's addenda (extensions), in any order.
    pub addenda_valid_to: Vec<Date>,
    /// Whether the head's SPTJM is recorded for this agreement.
    pub sptjm_recorded: bool,
}

impl AgreementTerms {
    /// The last day in force: the latest of `valid_to` and the addenda's end dates.
    #[must_use]
    pub fn effective_valid_to(&self) -> Date {
        self.addenda_valid_to
            .iter()
            .copied()
            .fold(self.valid_to, Date::max)
    }

    /// This agreement's state on `today`.
    #[must_use]
    pub fn state(&self, today: Date) -> AccessState {
        match self.status {
            AgreementStatus::Draft => return AccessState::Inactive(InactiveReason::AgreementDraft),
            AgreementStatus::Suspended => {
                return AccessState::Inactive(InactiveReason::AgreementSuspended);
            }
            AgreementStatus::Terminated => {
                return AccessState::Inactive(InactiveReason::AgreementTerminated);
            }
            AgreementStatus::Active => {}
        }
        if today < self.valid_from {
            return AccessState::Inactive(InactiveReason::AgreementNotStarted {
                valid_from: self.valid_from,
            });
        }
        let until = self.effective_valid_to();
        if today > until {
            return AccessState::Inactive(InactiveReason::AgreementExpired { valid_to: until });
        }
        if !self.sptjm_recorded {
            return AccessState::Inactive(InactiveReason::SptjmMissing);
        }
        AccessState::Active { valid_to: until }
    }

    /// Whether this agreement is in force on `today`.
    #[must_use]
    pub fn is_valid_on(&self, today: Date) -> bool {
        self.state(today).is_active()
    }
}

/// Whether an institution's access to population data is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessState {
    /// In force through `valid_to` (the latest end among the agreements in force).
    Active {
        /// Last day in force.
        valid_to: Date,
    },
    /// Not in force, and why.
    Inactive(InactiveReason),
}

impl AccessState {
    /// Whether access is in force.
    #[must_use]
    pub fn is_active(&self) -> bool {
        matches!(self, AccessState::Active { .. })
    }

    /// The reason code when inactive.
    #[must_use]
    pub fn reason_code(&self) -> Option<&'static str> {
        match self {
            AccessState::Active { .. } => None,
            AccessState::Inactive(r) => Some(r.code()),
        }
    }
}

/// Why access is not in force. [`InactiveReason::code`] is the stable code; `Display` the
/// Indonesian message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InactiveReason {
    /// `NO_AGREEMENT`.
    #[error("Instansi belum memiliki perjanjian kerja sama (PKS)")]
    NoAgreement,
    /// `AGREEMENT_DRAFT`.
    #[error("Perjanjian kerja sama masih berupa draf")]
    AgreementDraft,
    /// `AGREEMENT_SUSPENDED`.
    #[error("Perjanjian kerja sama sedang ditangguhkan oleh Disdukcapil")]
    AgreementSuspended,
    /// `AGREEMENT_TERMINATED`.
    #[error("Perjanjian kerja sama telah diakhiri")]
    AgreementTerminated,
    /// `AGREEMENT_NOT_STARTED`.
    #[error("Perjanjian kerja sama baru berlaku mulai {valid_from}")]
    AgreementNotStarted {
        /// First day in force.
        valid_from: Date,
    },
    /// `AGREEMENT_EXPIRED`.
    #[error("Perjanjian kerja sama berakhir pada {valid_to}")]
    AgreementExpired {
        /// Last day it was in force (addenda included).
        valid_to: Date,
    },
    /// `SPTJM_MISSING`.
    #[error("SPTJM penanggung jawab belum tercatat untuk perjanjian kerja sama ini")]
    SptjmMissing,
}

impl InactiveReason {
    /// The stable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            InactiveReason::NoAgreement => "NO_AGREEMENT",
            InactiveReason::AgreementDraft => "AGREEMENT_DRAFT",
            InactiveReason::AgreementSuspended => "AGREEMENT_SUSPENDED",
            InactiveReason::AgreementTerminated => "AGREEMENT_TERMINATED",
            InactiveReason::AgreementNotStarted { .. } => "AGREEMENT_NOT_STARTED",
            InactiveReason::AgreementExpired { .. } => "AGREEMENT_EXPIRED",
            InactiveReason::SptjmMissing => "SPTJM_MISSING",
        }
    }
}

impl fmt::Display for AgreementStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An institution's access state on `today` given all its agreements: active when any one is
/// in force (until the latest end among those in force); otherwise the reason of the newest
/// agreement (greatest `valid_from`, the later one in the slice on a tie), or `NO_AGREEMENT`.
#[must_use]
pub fn access_state(agreements: &[AgreementTerms], today: Date) -> AccessState {
    let mut best_until: Option<Date> = None;
    for a in agreements {
        if let AccessState::Active { valid_to } = a.state(today) {
            best_until = Some(best_until.map_or(valid_to, |b| b.max(valid_to)));
        }
    }
    if let Some(valid_to) = best_until {
        return AccessState::Active { valid_to };
    }
    agreements
        .iter()
        .enumerate()
        .max_by_key(|(i, a)| (a.valid_from, *i))
        .map_or(
            AccessState::Inactive(InactiveReason::NoAgreement),
            |(_, a)| a.state(today),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn pks(status: AgreementStatus, sptjm: bool, addenda: &[Date]) -> AgreementTerms {
        AgreementTerms {
            status,
            valid_from: date!(2022 - 11 - 10),
            valid_to: date!(2024 - 11 - 09),
            addenda_valid_to: addenda.to_vec(),
            sptjm_recorded: sptjm,
        }
    }

    fn code(a: &AgreementTerms, today: Date) -> Option<&'static str> {
        a.state(today).reason_code()
    }

    #[test]
    fn edges_without_addenda() {
        let a = pks(AgreementStatus::Active, true, &[]);
        assert_eq!(
            code(&a, date!(2022 - 11 - 09)),
            Some("AGREEMENT_NOT_STARTED")
        );
        assert_eq!(code(&a, date!(2022 - 11 - 10)), None, "valid_from itself");
        assert_eq!(code(&a, date!(2024 - 11 - 09)), None, "valid_to itself");
        assert_eq!(code(&a, date!(2024 - 11 - 10)), Some("AGREEMENT_EXPIRED"));
        assert_eq!(
            a.state(date!(2024 - 11 - 10)),
            AccessState::Inactive(InactiveReason::AgreementExpired {
                valid_to: date!(2024 - 11 - 09)
            })
        );
        assert_eq!(
            a.state(date!(2023 - 01 - 01)),
            AccessState::Active {
                valid_to: date!(2024 - 11 - 09)
            }
        );
    }

    #[test]
    fn addenda_extend_to_the_latest_end() {
        let a = pks(
            AgreementStatus::Active,
            true,
            &[date!(2029 - 11 - 09), date!(2026 - 11 - 09)],
        );
        assert_eq!(a.effective_valid_to(), date!(2029 - 11 - 09));
        assert_eq!(
            code(&a, date!(2022 - 11 - 09)),
            Some("AGREEMENT_NOT_STARTED")
        );
        assert_eq!(
            code(&a, date!(2024 - 11 - 10)),
            None,
            "day after the signed end"
        );
        assert_eq!(code(&a, date!(2029 - 11 - 09)), None, "new end itself");
        assert_eq!(code(&a, date!(2029 - 11 - 10)), Some("AGREEMENT_EXPIRED"));
        // An addendum ending before the signed end does not shorten it.
        let b = pks(AgreementStatus::Active, true, &[date!(2023 - 01 - 01)]);
        assert_eq!(b.effective_valid_to(), date!(2024 - 11 - 09));
    }

    #[test]
    fn sptjm_is_required_inside_the_term() {
        let a = pks(AgreementStatus::Active, false, &[date!(2029 - 11 - 09)]);
        assert_eq!(code(&a, date!(2022 - 11 - 10)), Some("SPTJM_MISSING"));
        assert_eq!(code(&a, date!(2026 - 11 - 27)), Some("SPTJM_MISSING"));
        // Outside the term the date is the clearer reason.
        assert_eq!(
            code(&a, date!(2022 - 11 - 09)),
            Some("AGREEMENT_NOT_STARTED")
        );
        assert_eq!(code(&a, date!(2029 - 11 - 10)), Some("AGREEMENT_EXPIRED"));
        assert!(!a.is_valid_on(date!(2026 - 11 - 27)));
    }

    #[test]
    fn status_comes_first() {
        let day = date!(2023 - 06 - 01);
        assert_eq!(
            code(&pks(AgreementStatus::Draft, true, &[]), day),
            Some("AGREEMENT_DRAFT")
        );
        assert_eq!(
            code(&pks(AgreementStatus::Suspended, true, &[]), day),
            Some("AGREEMENT_SUSPENDED")
        );
        assert_eq!(
            code(&pks(AgreementStatus::Terminated, false, &[]), day),
            Some("AGREEMENT_TERMINATED")
        );
    }

    #[test]
    fn institution_state_over_several_agreements() {
        let today = date!(2026 - 11 - 27);
        assert_eq!(access_state(&[], today).reason_code(), Some("NO_AGREEMENT"));
        let old = pks(AgreementStatus::Active, true, &[]);
        assert_eq!(
            access_state(std::slice::from_ref(&old), today).reason_code(),
            Some("AGREEMENT_EXPIRED")
        );
        let mut renewal = pks(AgreementStatus::Active, false, &[]);
        renewal.valid_from = date!(2024 - 11 - 10);
        renewal.valid_to = date!(2029 - 11 - 09);
        // The newest agreement's reason is reported.
        assert_eq!(
            access_state(&[old.clone(), renewal.clone()], today).reason_code(),
            Some("SPTJM_MISSING")
        );
        renewal.sptjm_recorded = true;
        assert_eq!(
            access_state(&[old, renewal], today),
            AccessState::Active {
                valid_to: date!(2029 - 11 - 09)
            }
        );
    }

    #[test]
    fn status_transitions() {
        use AgreementStatus::*;
        assert!(Draft.may_become(Active));
        assert!(Active.may_become(Suspended));
        assert!(Suspended.may_become(Active));
        assert!(!Terminated.may_become(Active));
        assert!(!Active.may_become(Active));
        assert!(!Active.may_become(Draft));
        for s in AgreementStatus::ALL {
            assert_eq!(AgreementStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(AgreementStatus::parse("Active"), None);
    }

    #[test]
    fn elements_are_stored_in_order_and_unknown_codes_refused() {
        let stored = PksElement::join(&[PksElement::Alamat, PksElement::Nik, PksElement::Nik]);
        assert_eq!(stored, "nik,alamat");
        assert_eq!(
            PksElement::split(&stored),
            Ok(vec![PksElement::Nik, PksElement::Alamat])
        );
        assert_eq!(PksElement::split("nik,agama"), Err("agama".to_string()));
        assert_eq!(PksElement::split(""), Ok(vec![]));
        assert_eq!(PksElement::join(&PksElement::ALL).split(',').count(), 9);
    }
}
