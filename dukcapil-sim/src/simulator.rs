//! The simulator: its shared state (population, users, quota, faults, clock), the HTTP
//! endpoint speaking the upstream's contract, and the in-process API.
//!
//! Order of checks for every request (the first that fails answers):
//!
//! | step | check | code |
//! | --- | --- | --- |
//! | 1 | `POST`, known method, `Content-Type: application/json`, body within `max_body_bytes`, a JSON object with every field of the method present as a string (`TRESHOLD` may be a number) | 07 |
//! | 2 | user ID, password and IP not empty | 09 |
//! | 3 | `ip_user` is bound to some user ID | 10 |
//! | 4 | user ID known, password right, user of the path's consumer | 03 |
//! | 5 | `ip_user` is the user's bound IP | 04 |
//! | 6 | institution active | 16 |
//! | 7 | user ID active | 17 |
//! | 8 | within access hours (WIB) | 06 |
//! | 9 | NIK not empty, `TRESHOLD` 0-100, at least one claimed element (verify) | 07 |
//! | 10 | NIK in registry format | 15 |
//! | 11 | forced setup-error code (special NIK, `by_nik`, random) | that code |
//! | 12 | daily quota (charged here) | 05 |
//! | 13 | forced identity code, else the registry: found 01, several records 12, deceased 11, inactive 14, unknown 13 | |
//!
//! Transport faults (special NIK, `by_nik`, random) then break the answer; latency delays it.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Map, Value};
use time::Date;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::clock::{Clock, SystemClock};
use crate::config::{AccessHours, Fault, FaultPlan, Latency, OutputFormat, SimConfig, SimUser};
use crate::error::SimError;
use crate::faults;
use crate::nik;
use crate::population::{Population, RecordStatus};
use crate::protocol::{
    Answered, CALL_NIK, CALL_NIK_FIELDS, CALL_VERIFY_BY_ELEMEN, CodeOnly, Envelope, FieldNames,
    Record, ResponseCode, TRESHOLD, VERIFY_ELEMENTS, VERIFY_FIELDS,
};
use crate::region::load_area;
use crate::render::{self, ResidentSpec};
use crate::special::{Special, special_of};
use crate::verify;

/// Who may call, and from where.
struct Access {
    users: HashMap<String, SimUser>,
    /// Every IP some user ID is bound to.
    ips: HashSet<String>,
    inactive_institutions: HashSet<String>,
}

impl Access {
    fn new(users: &[SimUser], inactive: &[String]) -> Self {
        let mut access = Self {
            users: HashMap::new(),
            ips: HashSet::new(),
            inactive_institutions: inactive.iter().cloned().collect(),
        };
        for u in users {
            access.upsert(u.clone());
        }
        access
    }

    fn upsert(&mut self, user: SimUser) {
        self.users.insert(user.user_id.clone(), user);
        self.ips = self.users.values().map(|u| u.ip.clone()).collect();
    }
}

struct Inner {
    population: Population,
    /// Residents inserted through the API, by NIK.
    extras: RwLock<HashMap<u64, Vec<ResidentSpec>>>,
    access: RwLock<Access>,
    faults: RwLock<Arc<FaultPlan>>,
    latency: RwLock<Latency>,
    /// Per user ID: the WIB day counted and the requests charged that day.
    quota: Mutex<HashMap<String, (Date, u32)>>,
    calls: AtomicU64,
    clock: RwLock<Arc<dyn Clock>>,
    format: OutputFormat,
    access_hours: Option<AccessHours>,
    max_body_bytes: usize,
}

/// The Dukcapil simulator. Cheap to clone (shared state behind an `Arc`).
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use dukcapil_sim::{SimConfig, spawn};
/// let cfg = SimConfig { population: 5_000, ..SimConfig::default() };
/// let (addr, sim, _task) = spawn(cfg).await?;
/// let nik = sim.sample(1)[0]["NIK"].as_str().unwrap_or_default().to_string();
/// // POST http://{addr}/dukcapil/get_json/BPBD3313/CALL_NIK with
/// // {"nik": nik, "user_id": "BPBD3313", "password": "sim-demo-password", "ip_user": "127.0.0.1"}
/// # let _ = (addr, nik); Ok(()) }
/// ```
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("people", &self.inner.population.people)
            .field("records", &self.inner.population.residents.len())
            .field("calls", &self.calls())
            .finish_non_exhaustive()
    }
}

/// What processing a request produced, before latency and transport faults.
struct Outcome {
    body: Vec<u8>,
    code: ResponseCode,
    fault: Option<Fault>,
}

/// The two methods.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Call {
    Nik,
    Verify,
}

impl Simulator {
    /// Builds the simulator and generates its population.
    ///
    /// # Panics
    /// If the configuration is invalid (see [`SimConfig::validate`]); use
    /// [`Simulator::try_new`] to get the error instead.
    pub fn new(cfg: SimConfig) -> Self {
        match Self::try_new(cfg) {
            Ok(sim) => sim,
            Err(e) => panic!("dukcapil-sim: {e}"),
        }
    }

    /// Builds the simulator and generates its population, or says why the configuration is
    /// not usable.
    pub fn try_new(cfg: SimConfig) -> Result<Self, SimError> {
        cfg.validate()?;
        let area = load_area(&cfg.regency)?;
        let people = if cfg.population == 0 {
            usize::try_from(area.official_population.unwrap_or(100_000)).unwrap_or(100_000)
        } else {
            cfg.population
        };
        let population =
            Population::generate(cfg.seed, area, people, cfg.reference_date, cfg.anomalies);
        Ok(Self {
            inner: Arc::new(Inner {
                population,
                extras: RwLock::new(HashMap::new()),
                access: RwLock::new(Access::new(&cfg.users, &cfg.inactive_institutions)),
                faults: RwLock::new(Arc::new(cfg.faults)),
                latency: RwLock::new(cfg.latency),
                quota: Mutex::new(HashMap::new()),
                calls: AtomicU64::new(0),
                clock: RwLock::new(Arc::new(SystemClock)),
                format: cfg.format,
                access_hours: cfg.access_hours,
                max_body_bytes: cfg.max_body_bytes,
            }),
        })
    }

    /// The HTTP service: `POST /dukcapil/get_json/{consumer}/{CALL_NIK|CALL_VERIFY_BY_ELEMEN}`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/dukcapil/get_json/{consumer}/{method}", any(endpoint))
            .fallback(|| async { (StatusCode::NOT_FOUND, "Not Found") })
            .with_state(self.clone())
    }

    /// Serves [`Simulator::router`] on `listener` until the task is aborted.
    pub fn serve(&self, listener: TcpListener) -> JoinHandle<()> {
        let router = self.router();
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!(error = %e, "dukcapil-sim server stopped");
            }
        })
    }

    /// Up to `n` active residents (each answers 01), as JSON objects keyed by the upstream's
    /// field names (the CALL_NIK `content[0]`, with `RESPONSE_CODE` and `RESPON`). The same
    /// seed gives the same sample.
    pub fn sample(&self, n: usize) -> Vec<Value> {
        self.sample_records(n, true)
            .into_iter()
            .filter_map(|(record, code)| answered_value(&record, code))
            .collect()
    }

    /// Like [`Simulator::sample`] but any record: deceased (11), inactive (14) and duplicated
    /// (12) ones included, each with the code the simulator answers for it.
    pub fn sample_any(&self, n: usize) -> Vec<Value> {
        self.sample_records(n, false)
            .into_iter()
            .filter_map(|(record, code)| answered_value(&record, code))
            .collect()
    }

    /// Sampled records with their codes, in order (used by the CLI to print ordered fields).
    pub fn sample_records(&self, n: usize, active_only: bool) -> Vec<(Record, ResponseCode)> {
        let pop = &self.inner.population;
        pop.sample(n, active_only)
            .into_iter()
            .filter_map(|i| pop.residents.get(i))
            .map(|r| {
                let records = pop.records_of(r.nik).len();
                let code = match (r.status(), records) {
                    (_, 2..) => ResponseCode::MultipleRecords,
                    (RecordStatus::Deceased, _) => ResponseCode::Deceased,
                    (RecordStatus::Inactive, _) => ResponseCode::Inactive,
                    (RecordStatus::Active, _) => ResponseCode::Found,
                };
                let family = pop.family_of(r);
                (render::record(pop, r, &family, &self.inner.format), code)
            })
            .collect()
    }

    /// What the registry holds for `nik`, without credentials, quota, special NIKs or faults:
    /// the code a well-formed, authorised CALL_NIK gets and the records it carries (empty
    /// unless the code is 01 or 12).
    pub fn lookup(&self, nik: &str) -> (ResponseCode, Vec<Record>) {
        let today = self.clock().wib_date();
        match nik::parse_nik(nik.trim(), today) {
            None => (ResponseCode::BadFormat, Vec::new()),
            Some(n) => self.registry(n),
        }
    }

    /// A complete, plausible resident for `nik` (drawn from the seed and the NIK, not in the
    /// population), to modify and pass to [`Simulator::insert_resident`]. `None` if `nik` is
    /// not in registry format.
    pub fn resident_template(&self, nik: &str) -> Option<ResidentSpec> {
        let pop = &self.inner.population;
        let today = self.clock().wib_date();
        let n = nik::parse_nik(nik.trim(), today)?;
        pop.phantom(n, 0, today)
            .map(|(r, f)| render::spec_of(pop, &r, &f))
    }

    /// Adds a resident (answered exactly as given). A NIK that already has a record gets a
    /// second one (code 12).
    pub fn insert_resident(&self, resident: ResidentSpec) -> Result<(), SimError> {
        let n = nik_number(&resident.nik).ok_or_else(|| {
            SimError::Config(format!("resident NIK {:?} is not 16 digits", resident.nik))
        })?;
        self.inner
            .extras
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(n)
            .or_default()
            .push(resident);
        Ok(())
    }

    /// Requests received on the two endpoints since start (well-formed or not).
    pub fn calls(&self) -> u64 {
        self.inner.calls.load(Ordering::Relaxed)
    }

    /// Requests charged to `user_id`'s quota on the current WIB day.
    pub fn quota_used(&self, user_id: &str) -> u32 {
        let today = self.clock().wib_date();
        let quota = self
            .inner
            .quota
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match quota.get(user_id) {
            Some((day, used)) if *day == today => *used,
            _ => 0,
        }
    }

    /// Replaces the fault plan (takes effect for the next request).
    pub fn set_fault_plan(&self, plan: FaultPlan) {
        *self
            .inner
            .faults
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(plan);
    }

    /// The fault plan in force.
    pub fn fault_plan(&self) -> FaultPlan {
        self.faults().as_ref().clone()
    }

    /// Replaces the latency distribution.
    pub fn set_latency(&self, latency: Latency) {
        *self
            .inner
            .latency
            .write()
            .unwrap_or_else(PoisonError::into_inner) = latency;
    }

    /// Replaces the time source (quota days, access hours, NIK dates).
    pub fn set_clock(&self, clock: impl Clock) {
        *self
            .inner
            .clock
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(clock);
    }

    /// Adds a user ID or replaces the one with the same `user_id`.
    pub fn upsert_user(&self, user: SimUser) {
        self.inner
            .access
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .upsert(user);
    }

    /// Activates or deactivates an institution (consumer code); inactive ones get code 16.
    pub fn set_institution_active(&self, consumer: &str, active: bool) {
        let mut access = self
            .inner
            .access
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if active {
            access.inactive_institutions.remove(consumer);
        } else {
            access.inactive_institutions.insert(consumer.to_string());
        }
    }

    /// Number of people generated (duplicate records not counted).
    pub fn population_size(&self) -> usize {
        self.inner.population.people
    }

    /// Number of generated records (people plus duplicate records).
    pub fn record_count(&self) -> usize {
        self.inner.population.residents.len()
    }

    /// Binds `addr` and serves there; returns the bound address.
    pub async fn bind(&self, addr: &str) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        Ok((local, self.serve(listener)))
    }

    fn clock(&self) -> Arc<dyn Clock> {
        self.inner
            .clock
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn faults(&self) -> Arc<FaultPlan> {
        self.inner
            .faults
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The registry's answer for a valid NIK: inserted residents first, then the population.
    fn registry(&self, nik: u64) -> (ResponseCode, Vec<Record>) {
        let pop = &self.inner.population;
        let format = &self.inner.format;
        let mut found: Vec<(RecordStatus, Record)> = Vec::new();
        if let Some(extra) = self
            .inner
            .extras
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&nik)
        {
            found.extend(
                extra
                    .iter()
                    .map(|s| (s.status, render::into_record(s.clone(), format))),
            );
        }
        for r in pop.records_of(nik) {
            let family = pop.family_of(r);
            found.push((r.status(), render::record(pop, r, &family, format)));
        }
        match found.len() {
            0 => (ResponseCode::NotFound, Vec::new()),
            1 => match found[0].0 {
                RecordStatus::Deceased => (ResponseCode::Deceased, Vec::new()),
                RecordStatus::Inactive => (ResponseCode::Inactive, Vec::new()),
                RecordStatus::Active => (
                    ResponseCode::Found,
                    found.into_iter().map(|(_, r)| r).collect(),
                ),
            },
            _ => (
                ResponseCode::MultipleRecords,
                found.into_iter().map(|(_, r)| r).collect(),
            ),
        }
    }

    /// Synthetic records answering a special NIK (one for 01, two for 12).
    fn phantoms(&self, nik: u64, count: u32, today: Date) -> Vec<Record> {
        let pop = &self.inner.population;
        (0..count)
            .filter_map(|variant| pop.phantom(nik, variant, today))
            .map(|(r, f)| render::record(pop, &r, &f, &self.inner.format))
            .collect()
    }

    /// Charges one request to the user's quota for the WIB day; `false` if it is used up.
    fn charge(&self, user: &SimUser, today: Date) -> bool {
        let mut quota = self
            .inner
            .quota
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let entry = quota.entry(user.user_id.clone()).or_insert((today, 0));
        if entry.0 != today {
            *entry = (today, 0);
        }
        if entry.1 >= user.daily_quota {
            return false;
        }
        entry.1 += 1;
        true
    }

    /// Processes a request into an answer (before latency and transport faults).
    fn process(&self, consumer: &str, call: Call, obj: &Map<String, Value>) -> Outcome {
        let fields: &FieldNames = match call {
            Call::Nik => &CALL_NIK_FIELDS,
            Call::Verify => &VERIFY_FIELDS,
        };
        let text = |name: &str| obj.get(name).and_then(Value::as_str);
        let (Some(nik_text), Some(user_id), Some(password), Some(ip)) = (
            text(fields.nik),
            text(fields.user_id),
            text(fields.password),
            text(fields.ip_user),
        ) else {
            return code_outcome(ResponseCode::Incomplete);
        };
        let threshold = match call {
            Call::Nik => None,
            Call::Verify => match obj.get(TRESHOLD) {
                None => return code_outcome(ResponseCode::Incomplete),
                Some(v) => Some(v),
            },
        };
        let (user_id, password, ip) = (user_id.trim(), password, ip.trim());
        if user_id.is_empty() || password.is_empty() || ip.is_empty() {
            return code_outcome(ResponseCode::EmptyCredentials);
        }

        // Authentication and authorisation.
        let user = {
            let access = self
                .inner
                .access
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            if !access.ips.contains(ip) {
                return code_outcome(ResponseCode::IpNotRegistered);
            }
            let Some(user) = access
                .users
                .get(user_id)
                .filter(|u| u.password == password && u.consumer == consumer)
            else {
                return code_outcome(ResponseCode::LoginFailed);
            };
            if user.ip != ip {
                return code_outcome(ResponseCode::IpMismatch);
            }
            if access.inactive_institutions.contains(&user.consumer) {
                return code_outcome(ResponseCode::InstitutionInactive);
            }
            if !user.active {
                return code_outcome(ResponseCode::UserInactive);
            }
            user.clone()
        };
        let clock = self.clock();
        if let Some(hours) = &self.inner.access_hours
            && !hours.allows(clock.wib_time())
        {
            return code_outcome(ResponseCode::OutsideHours);
        }

        // Parameters of the look-up.
        let nik_text = nik_text.trim();
        if nik_text.is_empty() {
            return code_outcome(ResponseCode::Incomplete);
        }
        let threshold = match threshold.map(threshold_value) {
            None => 0,
            Some(Some(t)) => t,
            Some(None) => return code_outcome(ResponseCode::Incomplete),
        };
        let claims: Vec<(&'static str, String)> = match call {
            Call::Nik => Vec::new(),
            Call::Verify => {
                let claims: Vec<(&'static str, String)> = VERIFY_ELEMENTS
                    .iter()
                    .filter_map(|e| text(e).map(|v| (*e, v.to_string())))
                    .collect();
                if claims.iter().all(|(_, v)| v.trim().is_empty()) {
                    return code_outcome(ResponseCode::Incomplete);
                }
                claims
            }
        };
        let today = clock.wib_date();
        let Some(nik) = nik::parse_nik(nik_text, today) else {
            return code_outcome(ResponseCode::BadFormat);
        };

        // Forced outcomes: special NIK, then the plan's NIK list, then chance.
        let plan = self.faults();
        let builtin = special_of(nik);
        let forced = match builtin {
            Some(Special::Code(code)) => Some(Fault::Code(code)),
            Some(Special::Fault(fault)) => Some(fault),
            None => plan
                .by_nik
                .get(nik_text)
                .copied()
                .or_else(|| faults::draw(&plan)),
        };
        if let Some(Fault::Code(code)) = forced
            && code.is_setup_error()
        {
            return code_outcome(code);
        }
        if !self.charge(&user, today) {
            return code_outcome(ResponseCode::QuotaExhausted);
        }

        let (code, records) = match forced {
            Some(Fault::Code(ResponseCode::Found)) => {
                (ResponseCode::Found, self.phantoms(nik, 1, today))
            }
            Some(Fault::Code(ResponseCode::MultipleRecords)) => {
                (ResponseCode::MultipleRecords, self.phantoms(nik, 2, today))
            }
            Some(Fault::Code(code)) => (code, Vec::new()),
            Some(_) if matches!(builtin, Some(Special::Fault(_))) => {
                (ResponseCode::Found, self.phantoms(nik, 1, today))
            }
            _ => self.registry(nik),
        };
        let (code, records) = if matches!(code, ResponseCode::Found | ResponseCode::MultipleRecords)
            && records.is_empty()
        {
            (ResponseCode::NotFound, records) // no synthetic record could be made
        } else {
            (code, records)
        };
        let fault = forced.filter(|f| !matches!(f, Fault::Code(_)));
        let body = match (call, records.first()) {
            (Call::Nik, Some(_)) => {
                let content: Vec<Answered<'_>> = records
                    .iter()
                    .map(|record| Answered {
                        record,
                        code: code.as_str(),
                        respon: code.respon(),
                    })
                    .collect();
                serde_json::to_vec(&Envelope::new(content))
            }
            (Call::Verify, Some(first)) => {
                serde_json::to_vec(&Envelope::new(vec![verify::verify(
                    first, &claims, threshold, code,
                )]))
            }
            (_, None) => serde_json::to_vec(&Envelope::new(vec![CodeOnly::from(code)])),
        };
        Outcome {
            body: body.unwrap_or_default(),
            code,
            fault,
        }
    }
}

/// `TRESHOLD` as 0..=100, from a number or a numeric string.
fn threshold_value(v: &Value) -> Option<u8> {
    let n = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (0.0..=100.0).contains(&n).then_some(n.round() as u8)
}

fn nik_number(text: &str) -> Option<u64> {
    let t = text.trim();
    (t.len() == 16 && t.bytes().all(|b| b.is_ascii_digit()))
        .then(|| t.parse().ok())
        .flatten()
}

fn code_body(code: ResponseCode) -> Vec<u8> {
    serde_json::to_vec(&Envelope::new(vec![CodeOnly::from(code)])).unwrap_or_default()
}

fn code_outcome(code: ResponseCode) -> Outcome {
    Outcome {
        body: code_body(code),
        code,
        fault: None,
    }
}

fn answered_value(record: &Record, code: ResponseCode) -> Option<Value> {
    serde_json::to_value(Answered {
        record,
        code: code.as_str(),
        respon: code.respon(),
    })
    .ok()
}

fn is_json(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// Reads and checks the request up to a JSON object, or answers 07.
async fn read_request(
    sim: &Simulator,
    path: Result<Path<(String, String)>, PathRejection>,
    request: Request,
) -> Result<(String, Call, Map<String, Value>), ResponseCode> {
    let Ok(Path((consumer, method))) = path else {
        return Err(ResponseCode::Incomplete);
    };
    let call = match method.as_str() {
        CALL_NIK => Call::Nik,
        CALL_VERIFY_BY_ELEMEN => Call::Verify,
        _ => return Err(ResponseCode::Incomplete),
    };
    if request.method() != Method::POST || !is_json(&request) {
        return Err(ResponseCode::Incomplete);
    }
    let bytes: Bytes = axum::body::to_bytes(request.into_body(), sim.inner.max_body_bytes)
        .await
        .map_err(|_| ResponseCode::Incomplete)?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(obj)) => Ok((consumer, call, obj)),
        _ => Err(ResponseCode::Incomplete),
    }
}

async fn endpoint(
    State(sim): State<Simulator>,
    path: Result<Path<(String, String)>, PathRejection>,
    request: Request,
) -> Response {
    sim.inner.calls.fetch_add(1, Ordering::Relaxed);
    let outcome = match read_request(&sim, path, request).await {
        Ok((consumer, call, obj)) => sim.process(&consumer, call, &obj),
        Err(code) => code_outcome(code),
    };
    tracing::debug!(code = %outcome.code, fault = ?outcome.fault, "dukcapil-sim answer");
    let latency = *sim
        .inner
        .latency
        .read()
        .unwrap_or_else(PoisonError::into_inner);
    let delay = faults::sample_latency(&latency);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match outcome.fault {
        None => faults::json(StatusCode::OK, outcome.body),
        Some(fault) => {
            let plan = sim.faults();
            faults::respond(fault, outcome.body, &plan)
                .await
                .into_response()
        }
    }
}

/// Builds a simulator from `cfg` (population generated off the async threads), binds
/// `127.0.0.1:0` and serves it. Returns the bound address, the simulator (for its API) and the
/// server task (abort it to stop).
pub async fn spawn(cfg: SimConfig) -> std::io::Result<(SocketAddr, Simulator, JoinHandle<()>)> {
    let sim = tokio::task::spawn_blocking(move || Simulator::try_new(cfg))
        .await
        .map_err(std::io::Error::other)?
        .map_err(std::io::Error::other)?;
    let (addr, task) = sim.bind("127.0.0.1:0").await?;
    Ok((addr, sim, task))
}
