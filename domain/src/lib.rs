//! SIGAP domain logic, shared by the server, the browser bundle and the upstream simulator.
//!
//! Pure functions only: no I/O, no clock (callers pass `today`), no randomness, no `unsafe`.
//! Builds for `wasm32-unknown-unknown`.
//!
//! * [`nik`]: NIK (Nomor Induk Kependudukan) and No. KK (Nomor Kartu Keluarga) parsing, with
//!   stable error codes and the [`nik::NikReport`] used by `sigap nik inspect` and the API.
//! * [`region`]: Kemendagri region codes (province, regency/city, district, and with the
//!   `villages` feature village and population) compiled into the binary.
//! * [`names`]: normalisation and fuzzy matching of Indonesian personal names.
//! * [`access`]: roles, permissions and the access matrix (docs/ACCESS.md is its written form).
//! * [`agreement`]: cooperation agreements (PKS): status, allowed elements, and whether an
//!   institution's access is in force on a day, with reason codes.
//! * [`identity`]: account and user-ID statuses and the field rules of identity records.
//! * [`quota`]: daily quota arithmetic (WIB days, reset time, remaining, limit bounds).
//! * [`pairing`]: the pairing tokens the portal issues for a card reader's `reader-bridge`.
#![forbid(unsafe_code)]

pub mod access;
pub mod agreement;
pub mod dukcapil;
pub mod identity;
pub mod names;
pub mod nik;
pub mod pairing;
pub mod quota;
pub mod region;
