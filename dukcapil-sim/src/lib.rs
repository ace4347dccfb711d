//! # dukcapil-sim
//!
//! A simulator of the Dukcapil (civil registry) NIK web service as SIGAP's upstream, speaking
//! the contract in `shared/docs/dukcapil-contract.md`:
//!
//! * `POST /dukcapil/get_json/{consumer}/CALL_NIK` with lower-case `nik`, `user_id`,
//!   `password`, `ip_user`: the record(s) in `content[]`, always including the elements the
//!   access agreement forbids (`AGAMA`, `PDDK_AKH`, `NAMA_LGKP_IBU`, `GOL_DARAH`,
//!   `EKTP_STATUS`) so that the gateway's filter is exercised;
//! * `POST /dukcapil/get_json/{consumer}/CALL_VERIFY_BY_ELEMEN` with upper-case `NIK`,
//!   `USER_ID`, `PASSWORD`, `IP_USER`, `TRESHOLD` and claimed elements: `Sesuai` /
//!   `Tidak Sesuai (59)` per element, never a registry value;
//! * every response code of the contract (01, 03-17) reachable by configuration or by special
//!   NIKs ([`special`]), answered with HTTP 200 and `RESPONSE_CODE`/`RESPON` in `content[0]`;
//!   malformed requests get 07 or 15, never a crash;
//! * per-user daily quota per WIB day, access hours, IP binding, inactive users/institutions;
//! * latency distributions and transport faults (timeout, HTTP 500, malformed JSON, connection
//!   reset, slow body) by probability or by NIK;
//! * a synthetic population (default: 100,000 residents of Kabupaten Karanganyar, 33.13),
//!   deterministic from a seed, stored compactly.
//!
//! In-process use (tests, SIGAP's demo mode):
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let (addr, sim, task) = dukcapil_sim::spawn(dukcapil_sim::SimConfig::default()).await?;
//! let someone = &sim.sample(1)[0];
//! println!("http://{addr}/dukcapil/get_json/BPBD3313/CALL_NIK knows {}", someone["NIK"]);
//! task.abort();
//! # Ok(()) }
//! ```
//!
//! All data is synthetic: names come from public name lists, NIKs and KK numbers are generated.

#![forbid(unsafe_code)]

pub mod clock;
pub mod config;
mod data;
pub mod error;
mod faults;
mod nik;
mod population;
pub mod protocol;
mod region;
mod render;
mod rng;
mod simulator;
pub mod special;
mod verify;

pub use clock::{Clock, ManualClock, SystemClock, WIB};
pub use config::{
    AccessHours, AnomalyRates, CodeStyle, DateFormat, Fault, FaultPlan, Latency, OutputFormat,
    RandomFault, SexSpelling, SimConfig, SimUser, WibTime,
};
pub use error::SimError;
pub use population::{RecordStatus, Sex};
pub use protocol::{Record, ResponseCode};
pub use render::ResidentSpec;
pub use simulator::{Simulator, spawn};
