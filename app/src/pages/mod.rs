//! One module per page of the portal.

pub mod account;
pub mod admin;
pub mod agreements;
pub mod audit_trail;
pub mod card;
pub mod check;
pub mod home;
pub mod nda;
pub mod not_found;
pub mod notices;
pub mod oversight;
pub mod passkey;
pub mod readers;
pub mod sign_in;
pub mod status;
pub mod tokens;
