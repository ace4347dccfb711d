//! Simulator configuration: population, users, access hours, output format, latency and faults.
//!
//! Every type deserialises from TOML (`dukcapil-sim serve --config sim.toml`); every field has a
//! default, so a file only names what it changes. [`SimConfig::default`] is the demo set-up.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::error::SimError;
use crate::protocol::ResponseCode;

/// Seed of the demo population (Karanganyar's regency code).
pub const DEMO_SEED: u64 = 3313;
/// Regency of the demo population: Kabupaten Karanganyar.
pub const DEMO_REGENCY: &str = "33.13";
/// Residents in the demo population.
pub const DEMO_POPULATION: usize = 100_000;
/// Institution (consumer) code of the demo user.
pub const DEMO_CONSUMER: &str = "BPBD3313";
/// User ID of the demo user.
pub const DEMO_USER_ID: &str = "BPBD3313";
/// Password of the demo user: synthetic, for the simulator only.
pub const DEMO_PASSWORD: &str = "sim-demo-password";
/// IP address the demo user is bound to.
pub const DEMO_IP: &str = "127.0.0.1";
/// Daily quota of the demo user.
pub const DEMO_DAILY_QUOTA: u32 = 1000;

/// Everything a [`crate::Simulator`] is built from.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Seed of the synthetic population: the same seed (with the same regency, population and
    /// reference date) gives the same residents.
    pub seed: u64,
    /// Regency the population lives in, `PP.KK` (e.g. `33.13`).
    pub regency: String,
    /// Number of residents (people) to generate; `0` = the regency's official 2025 population.
    /// Duplicate records come on top.
    pub population: usize,
    /// Census day: ages are computed against it, so the population does not drift with the
    /// wall clock. Format `YYYY-MM-DD`.
    #[serde(with = "iso_date")]
    pub reference_date: Date,
    /// Proportions of anomalous records.
    pub anomalies: AnomalyRates,
    /// User IDs the simulator accepts.
    pub users: Vec<SimUser>,
    /// Consumer (institution) codes that are registered but not active (code 16).
    pub inactive_institutions: Vec<String>,
    /// WIB hours during which access is allowed (code 06 outside); `None` = always.
    pub access_hours: Option<AccessHours>,
    /// How dates, sex and codes are spelled in answers.
    pub format: OutputFormat,
    /// Delay added before every answer.
    pub latency: Latency,
    /// Faults and forced codes, by probability or by NIK.
    pub faults: FaultPlan,
    /// Larger request bodies are refused with code 07.
    pub max_body_bytes: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: DEMO_SEED,
            regency: DEMO_REGENCY.to_string(),
            population: DEMO_POPULATION,
            reference_date: time::macros::date!(2025 - 07 - 01),
            anomalies: AnomalyRates::default(),
            users: vec![SimUser::default()],
            inactive_institutions: Vec::new(),
            access_hours: None,
            format: OutputFormat::default(),
            latency: Latency::None,
            faults: FaultPlan::default(),
            max_body_bytes: 64 * 1024,
        }
    }
}

impl SimConfig {
    /// Reads a TOML file on top of the defaults (fields absent from the file keep their
    /// default value).
    pub fn from_toml_file(path: &Path) -> Result<Self, SimError> {
        use figment::providers::{Format, Serialized, Toml};
        let cfg: Self = figment::Figment::from(Serialized::defaults(Self::default()))
            .merge(Toml::file_exact(path))
            .extract()
            .map_err(|e| SimError::ConfigFile(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Parses TOML text on top of the defaults.
    pub fn from_toml_str(text: &str) -> Result<Self, SimError> {
        use figment::providers::{Format, Serialized, Toml};
        let cfg: Self = figment::Figment::from(Serialized::defaults(Self::default()))
            .merge(Toml::string(text))
            .extract()
            .map_err(|e| SimError::ConfigFile(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks ranges and consistency.
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |m: String| Err(SimError::Config(m));
        crate::region::parse_regency_code(&self.regency)?;
        for (name, rate) in [
            ("deceased", self.anomalies.deceased),
            ("inactive", self.anomalies.inactive),
            ("duplicate", self.anomalies.duplicate),
        ] {
            if !(0.0..=0.2).contains(&rate) {
                return bad(format!(
                    "anomalies.{name} must be within 0..=0.2, got {rate}"
                ));
            }
        }
        if self.population > 20_000_000 {
            return bad(format!(
                "population {} is above 20,000,000",
                self.population
            ));
        }
        let mut ids = std::collections::BTreeSet::new();
        for user in &self.users {
            if !ids.insert(user.user_id.as_str()) {
                return bad(format!("user ID {:?} is configured twice", user.user_id));
            }
        }
        if self.max_body_bytes < 256 {
            return bad("max_body_bytes must be at least 256".to_string());
        }
        self.latency.validate()?;
        self.faults.validate()
    }
}

/// Proportions (0..=0.2) of anomalous records in the generated population.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnomalyRates {
    /// Deceased residents (answered with code 11); weighted towards the elderly.
    pub deceased: f64,
    /// Inactive records (code 14).
    pub inactive: f64,
    /// Residents whose NIK has a second record (code 12).
    pub duplicate: f64,
}

impl Default for AnomalyRates {
    fn default() -> Self {
        Self {
            deceased: 0.005,
            inactive: 0.003,
            duplicate: 0.002,
        }
    }
}

/// A user ID of an institution, as registered with the upstream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimUser {
    /// Institution code, the `<consumer>` of the URL path.
    pub consumer: String,
    /// User ID (`user_id` / `USER_ID`).
    pub user_id: String,
    /// Password (`password` / `PASSWORD`).
    pub password: String,
    /// The IP address the user ID is bound to (`ip_user` must equal it).
    pub ip: String,
    /// Requests per WIB calendar day before code 05.
    pub daily_quota: u32,
    /// An inactive user ID gets code 17.
    pub active: bool,
}

impl Default for SimUser {
    /// The demo user.
    fn default() -> Self {
        Self {
            consumer: DEMO_CONSUMER.to_string(),
            user_id: DEMO_USER_ID.to_string(),
            password: DEMO_PASSWORD.to_string(),
            ip: DEMO_IP.to_string(),
            daily_quota: DEMO_DAILY_QUOTA,
            active: true,
        }
    }
}

/// A wall-clock time of day in WIB, written `HH:MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WibTime {
    /// Minutes since midnight (0..1440).
    minutes: u16,
}

impl WibTime {
    /// `hour:minute`; `None` when out of range.
    pub fn new(hour: u8, minute: u8) -> Option<Self> {
        (hour < 24 && minute < 60).then(|| Self {
            minutes: u16::from(hour) * 60 + u16::from(minute),
        })
    }

    /// Minutes since midnight.
    pub fn minutes(self) -> u16 {
        self.minutes
    }
}

impl FromStr for WibTime {
    type Err = SimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || SimError::Config(format!("time {s:?} is not HH:MM"));
        let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
        let hour: u8 = h.parse().map_err(|_| bad())?;
        let minute: u8 = m.parse().map_err(|_| bad())?;
        Self::new(hour, minute).ok_or_else(bad)
    }
}

impl TryFrom<String> for WibTime {
    type Error = SimError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<WibTime> for String {
    fn from(t: WibTime) -> Self {
        t.to_string()
    }
}

impl fmt::Display for WibTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.minutes / 60, self.minutes % 60)
    }
}

/// Hours (WIB) during which the service answers; outside them every request gets code 06.
/// `from` is inclusive, `to` exclusive; a window with `to < from` runs across midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessHours {
    /// Opening time, e.g. `07:00`.
    pub from: WibTime,
    /// Closing time, e.g. `17:00`.
    pub to: WibTime,
}

impl AccessHours {
    /// Whether `t` (WIB) lies in the window.
    pub fn allows(&self, t: time::Time) -> bool {
        let m = u16::from(t.hour()) * 60 + u16::from(t.minute());
        let (from, to) = (self.from.minutes, self.to.minutes);
        if from <= to {
            (from..to).contains(&m)
        } else {
            m >= from || m < to
        }
    }
}

/// How answers spell dates, sex and region/RT/RW numbers (deployments differ).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputFormat {
    /// `TGL_LHR` format.
    pub date: DateFormat,
    /// `JENIS_KLMIN` spelling.
    pub sex: SexSpelling,
    /// Region numbers and RT/RW: zero-padded (`01`, `2001`, `003`) or bare (`1`, `2001`, `3`).
    pub codes: CodeStyle,
}

/// Date format of `TGL_LHR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DateFormat {
    /// `31-12-1990`.
    #[default]
    #[serde(rename = "dd-mm-yyyy")]
    DdMmYyyy,
    /// `1990-12-31`.
    #[serde(rename = "yyyy-mm-dd")]
    YyyyMmDd,
}

/// Spelling of `JENIS_KLMIN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SexSpelling {
    /// `LAKI-LAKI` / `PEREMPUAN`.
    #[default]
    Upper,
    /// `Laki-laki` / `Perempuan`.
    Title,
}

/// Spelling of `NO_PROP`, `NO_KAB`, `NO_KEC`, `NO_KEL`, `NO_RT`, `NO_RW`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeStyle {
    /// `33`, `13`, `01`, `2001`, RT `003`, RW `011`.
    #[default]
    Padded,
    /// `33`, `13`, `1`, `2001`, RT `3`, RW `11`.
    Bare,
}

/// Delay before every answer.
#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Latency {
    /// Answer at once.
    #[default]
    None,
    /// Always `ms` milliseconds.
    Fixed {
        /// Delay in milliseconds.
        ms: u64,
    },
    /// Uniform in `min_ms..=max_ms`.
    Uniform {
        /// Shortest delay.
        min_ms: u64,
        /// Longest delay.
        max_ms: u64,
    },
    /// Log-normal with the given median and 99th percentile (capped at 120 s).
    LogNormal {
        /// Median delay.
        p50_ms: u64,
        /// 99th-percentile delay.
        p99_ms: u64,
    },
}

impl Latency {
    fn validate(&self) -> Result<(), SimError> {
        match *self {
            Self::Uniform { min_ms, max_ms } if min_ms > max_ms => Err(SimError::Config(format!(
                "latency uniform: min_ms {min_ms} > max_ms {max_ms}"
            ))),
            Self::LogNormal { p50_ms, p99_ms } if p50_ms == 0 || p99_ms < p50_ms => {
                Err(SimError::Config(format!(
                    "latency log_normal: need 0 < p50_ms <= p99_ms, got {p50_ms}/{p99_ms}"
                )))
            }
            _ => Ok(()),
        }
    }
}

/// Something that goes wrong with one answer, or a response code forced on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Fault {
    /// `timeout`: no byte is sent for [`FaultPlan::hang_ms`], then the connection is dropped.
    Timeout,
    /// `long_delay`: the normal answer, after [`FaultPlan::long_delay_ms`].
    LongDelay,
    /// `http_500`: HTTP 500 with an HTML error page.
    Http500,
    /// `malformed_json`: HTTP 200, `application/json`, a truncated JSON text.
    MalformedJson,
    /// `reset`: headers and part of the body, then the connection is aborted.
    Reset,
    /// `slow_body`: the normal answer trickled [`FaultPlan::slow_chunk_bytes`] bytes every
    /// [`FaultPlan::slow_interval_ms`].
    SlowBody,
    /// A two-digit code (`"05"`): the answer carries that response code.
    Code(ResponseCode),
}

impl Fault {
    /// The transport faults (every variant but [`Fault::Code`]).
    pub const TRANSPORT: [Fault; 6] = [
        Fault::Timeout,
        Fault::LongDelay,
        Fault::Http500,
        Fault::MalformedJson,
        Fault::Reset,
        Fault::SlowBody,
    ];
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Timeout => "timeout",
            Self::LongDelay => "long_delay",
            Self::Http500 => "http_500",
            Self::MalformedJson => "malformed_json",
            Self::Reset => "reset",
            Self::SlowBody => "slow_body",
            Self::Code(code) => code.as_str(),
        })
    }
}

impl FromStr for Fault {
    type Err = SimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Some(fault) = Self::TRANSPORT.into_iter().find(|f| f.to_string() == s) {
            return Ok(fault);
        }
        let code = s.strip_prefix("code:").unwrap_or(s);
        code.parse().map(Self::Code).map_err(|_| {
            SimError::Config(format!(
                "unknown fault {s:?}: expected timeout, long_delay, http_500, malformed_json, \
                 reset, slow_body or a response code such as \"05\""
            ))
        })
    }
}

impl TryFrom<String> for Fault {
    type Error = SimError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Fault> for String {
    fn from(f: Fault) -> Self {
        f.to_string()
    }
}

/// A fault that strikes at random.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomFault {
    /// What happens.
    pub fault: Fault,
    /// Probability per request (the probabilities of a plan add up to at most 1).
    pub probability: f64,
}

/// Faults by probability and by NIK, and their timings.
///
/// The built-in special NIKs (see [`crate::special`]) work whatever the plan says; `by_nik`
/// adds more. A fault strikes after the request was processed (and charged to the quota, when
/// it would have been): the upstream did the work, the answer is lost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultPlan {
    /// Faults drawn independently for every request.
    pub random: Vec<RandomFault>,
    /// Faults for particular NIKs (16-digit strings).
    pub by_nik: BTreeMap<String, Fault>,
    /// How long a `timeout` holds the connection before dropping it.
    pub hang_ms: u64,
    /// Delay of a `long_delay` answer.
    pub long_delay_ms: u64,
    /// Bytes per chunk of a `slow_body` answer.
    pub slow_chunk_bytes: usize,
    /// Pause between chunks of a `slow_body` answer.
    pub slow_interval_ms: u64,
}

impl Default for FaultPlan {
    fn default() -> Self {
        Self {
            random: Vec::new(),
            by_nik: BTreeMap::new(),
            hang_ms: 600_000,
            long_delay_ms: 30_000,
            slow_chunk_bytes: 8,
            slow_interval_ms: 250,
        }
    }
}

impl FaultPlan {
    /// Adds a random fault.
    pub fn with_random(mut self, fault: Fault, probability: f64) -> Self {
        self.random.push(RandomFault { fault, probability });
        self
    }

    /// Adds a fault for one NIK.
    pub fn with_nik(mut self, nik: impl Into<String>, fault: Fault) -> Self {
        self.by_nik.insert(nik.into(), fault);
        self
    }

    /// Checks probabilities and timings.
    pub fn validate(&self) -> Result<(), SimError> {
        let mut total = 0.0;
        for r in &self.random {
            if !(0.0..=1.0).contains(&r.probability) {
                return Err(SimError::Config(format!(
                    "fault {} probability {} is not within 0..=1",
                    r.fault, r.probability
                )));
            }
            total += r.probability;
        }
        if total > 1.0 + 1e-9 {
            return Err(SimError::Config(format!(
                "fault probabilities add up to {total} > 1"
            )));
        }
        if self.slow_chunk_bytes == 0 {
            return Err(SimError::Config("slow_chunk_bytes must be > 0".to_string()));
        }
        Ok(())
    }
}

mod iso_date {
    //! `YYYY-MM-DD` (de)serialisation of [`time::Date`] for configuration files.

    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;
    use time::macros::format_description;

    const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
        format_description!("[year]-[month]-[day]");

    pub(super) fn serialize<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
        let text = date.format(FORMAT).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse(&text, FORMAT).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_demo() {
        let cfg = SimConfig::default();
        cfg.validate().unwrap();
        assert_eq!(cfg.seed, 3313);
        assert_eq!(cfg.regency, "33.13");
        assert_eq!(cfg.users[0].consumer, "BPBD3313");
        assert_eq!(cfg.users[0].daily_quota, 1000);
        assert_eq!(cfg.latency, Latency::None);
    }

    #[test]
    fn toml_overrides_only_what_it_names() {
        let cfg = SimConfig::from_toml_str(
            r#"
            seed = 7
            population = 500
            reference_date = "2024-01-31"
            access_hours = { from = "07:00", to = "17:30" }
            format = { date = "yyyy-mm-dd", sex = "title", codes = "bare" }
            latency = { kind = "log_normal", p50_ms = 40, p99_ms = 400 }

            [[users]]
            consumer = "BPBD1"
            user_id = "U1"
            password = "p"
            ip = "10.0.0.1"
            daily_quota = 5
            active = true

            [faults]
            random = [{ fault = "reset", probability = 0.01 }, { fault = "05", probability = 0.02 }]
            by_nik = { "3313010101900001" = "slow_body", "3313010101900002" = "code:17" }
            hang_ms = 1000
            "#,
        )
        .unwrap();
        assert_eq!(cfg.seed, 7);
        assert_eq!(cfg.regency, "33.13");
        assert_eq!(cfg.reference_date, time::macros::date!(2024 - 01 - 31));
        assert_eq!(cfg.users.len(), 1);
        assert_eq!(cfg.users[0].user_id, "U1");
        let hours = cfg.access_hours.unwrap();
        assert_eq!(hours.to.to_string(), "17:30");
        assert!(hours.allows(time::macros::time!(07:00)));
        assert!(!hours.allows(time::macros::time!(17:30)));
        assert_eq!(cfg.format.date, DateFormat::YyyyMmDd);
        assert_eq!(cfg.format.codes, CodeStyle::Bare);
        assert_eq!(
            cfg.latency,
            Latency::LogNormal {
                p50_ms: 40,
                p99_ms: 400
            }
        );
        assert_eq!(
            cfg.faults.random[1].fault,
            Fault::Code(ResponseCode::QuotaExhausted)
        );
        assert_eq!(cfg.faults.by_nik["3313010101900001"], Fault::SlowBody);
        assert_eq!(
            cfg.faults.by_nik["3313010101900002"],
            Fault::Code(ResponseCode::UserInactive)
        );
        assert_eq!(cfg.faults.hang_ms, 1000);
        assert_eq!(cfg.faults.long_delay_ms, 30_000);
    }

    #[test]
    fn invalid_configs_are_refused() {
        assert!(SimConfig::from_toml_str("nonsense = 1").is_err());
        assert!(SimConfig::from_toml_str("regency = \"3x.13\"").is_err());
        assert!(
            SimConfig::from_toml_str(
                "[faults]\nrandom = [{ fault = \"boom\", probability = 0.1 }]"
            )
            .is_err()
        );
        assert!(
            SimConfig::from_toml_str(
                "[faults]\nrandom = [{ fault = \"reset\", probability = 0.7 }, { fault = \"http_500\", probability = 0.7 }]"
            )
            .is_err()
        );
        assert!(
            SimConfig::from_toml_str("access_hours = { from = \"25:00\", to = \"17:00\" }")
                .is_err()
        );
        assert!(
            SimConfig::from_toml_str("latency = { kind = \"uniform\", min_ms = 5, max_ms = 1 }")
                .is_err()
        );
    }

    #[test]
    fn shipped_example_files_parse() {
        let example = SimConfig::from_toml_str(include_str!("../sim.example.toml")).unwrap();
        assert_eq!(example.users.len(), 2);
        assert_eq!(example.users[1].ip, "127.0.0.2");
        assert_eq!(example.format, OutputFormat::default());
        let bench = SimConfig::from_toml_str(include_str!("../examples/bench.toml")).unwrap();
        assert_eq!(bench.users[0].daily_quota, u32::MAX);
        assert_eq!(bench.population, DEMO_POPULATION);
    }

    #[test]
    fn overnight_window() {
        let hours = AccessHours {
            from: "22:00".parse().unwrap(),
            to: "06:00".parse().unwrap(),
        };
        assert!(hours.allows(time::macros::time!(23:00)));
        assert!(hours.allows(time::macros::time!(05:59)));
        assert!(!hours.allows(time::macros::time!(12:00)));
    }
}
