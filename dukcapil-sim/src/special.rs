//! Special NIKs: valid-format NIKs whose serial (last four digits) makes the simulator answer a
//! given response code or fault, whatever the population holds.
//!
//! * serial `99CC`: response code `CC` (`01`, `03`...`17`). `…9901` and `…9912` answer with
//!   synthetic records (one, resp. two); every other code comes alone.
//! * serial `98FF`: transport fault `FF`: `01` timeout, `02` long delay, `03` HTTP 500,
//!   `04` malformed JSON, `05` connection reset, `06` slow body. The answer that the fault
//!   delays, trickles or breaks is a synthetic `01` record.
//!
//! Any valid prefix works (region code + birth date); the generated population never uses
//! serials from 9800 up, so these never collide with a resident. The documented examples use
//! the prefix `331301010190` (Jatipuro, Karanganyar; born 01-01-1990, male).

use crate::config::Fault;
use crate::protocol::ResponseCode;

/// Generated serials stay below this value; from here on serials are special.
pub const FIRST_SPECIAL_SERIAL: u16 = 9800;

/// Prefix (region code + birth date) of the documented example special NIKs.
pub const EXAMPLE_PREFIX: &str = "331301010190";

/// What a special NIK asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    /// Answer with this response code.
    Code(ResponseCode),
    /// Break the answer this way.
    Fault(Fault),
}

const FAULT_NUMBERS: [(u8, Fault); 6] = [
    (1, Fault::Timeout),
    (2, Fault::LongDelay),
    (3, Fault::Http500),
    (4, Fault::MalformedJson),
    (5, Fault::Reset),
    (6, Fault::SlowBody),
];

/// The special meaning of a (valid-format) NIK, if any.
pub fn special_of(nik: u64) -> Option<Special> {
    let serial = nik % 10_000;
    let (group, number) = (serial / 100, (serial % 100) as u8);
    match group {
        99 => format!("{number:02}").parse().ok().map(Special::Code),
        98 => FAULT_NUMBERS
            .iter()
            .find(|(n, _)| *n == number)
            .map(|(_, f)| Special::Fault(*f)),
        _ => None,
    }
}

/// The documented example NIK answering `code` (e.g. `3313010101909913` for 13).
pub fn code_nik(code: ResponseCode) -> String {
    format!("{EXAMPLE_PREFIX}99{}", code.as_str())
}

/// The documented example NIK triggering a transport `fault` (`None` for [`Fault::Code`], use
/// [`code_nik`]).
pub fn fault_nik(fault: Fault) -> Option<String> {
    FAULT_NUMBERS
        .iter()
        .find(|(_, f)| *f == fault)
        .map(|(n, _)| format!("{EXAMPLE_PREFIX}98{n:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_and_fault_has_a_nik_that_maps_back() {
        for code in ResponseCode::ALL {
            let nik = code_nik(code);
            assert_eq!(nik.len(), 16);
            assert_eq!(special_of(nik.parse().unwrap()), Some(Special::Code(code)));
        }
        for fault in Fault::TRANSPORT {
            let nik = fault_nik(fault).unwrap();
            assert_eq!(
                special_of(nik.parse().unwrap()),
                Some(Special::Fault(fault))
            );
        }
        assert_eq!(fault_nik(Fault::Code(ResponseCode::Found)), None);
        assert_eq!(special_of(3_313_010_101_900_001), None);
        assert_eq!(special_of(3_313_010_101_909_902), None);
        assert_eq!(special_of(3_313_010_101_909_807), None);
    }
}
