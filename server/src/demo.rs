//! `sigap demo`: the embedded default with synthetic data: a SQLite file under `./data/`,
//! the demo institution, loopback only.

use crate::{
    StartupError,
    config::Config,
    storage::{NewInstitution, Storage, StorageError},
};

/// The demo institution: BPBD of Kabupaten Karanganyar (region 33.13).
pub const DEMO_INSTITUTION_CODE: &str = "BPBD-3313";

/// Adjusts a loaded configuration for the demo: own database file, demo institution, and a
/// refusal to listen anywhere but loopback.
pub fn prepare_config(mut config: Config) -> Result<Config, StartupError> {
    if !config.bind.ip().is_loopback() {
        return Err(StartupError::Demo(format!(
            "configuration key `bind`: the demo listens on loopback only (127.0.0.1), not {}",
            config.bind.ip()
        )));
    }
    std::fs::create_dir_all(&config.data_dir).map_err(|e| StartupError::DataDir {
        path: config.data_dir.clone(),
        reason: format!("cannot be created: {e}"),
    })?;
    if config.database_url.is_none() {
        config.database_url = Some(format!(
            "sqlite://{}",
            config.data_dir.join("sigap-demo.db").display()
        ));
    }
    if config.institution.code.is_none() {
        config.institution.code = Some(DEMO_INSTITUTION_CODE.to_string());
    }
    Ok(config)
}

/// Starts the Dukcapil simulator in-process on its own loopback port (demo seed, so
/// `dukcapil-sim --export-sample N` lists residents it knows) and points `[upstream]` at it.
pub async fn start_simulator(
    config: &mut Config,
) -> Result<(std::net::SocketAddr, dukcapil_sim::Simulator), StartupError> {
    use dukcapil_sim::config as sim;
    let (addr, simulator, _task) = dukcapil_sim::spawn(dukcapil_sim::SimConfig::default())
        .await
        .map_err(|e| StartupError::Demo(format!("cannot start the Dukcapil simulator: {e}")))?;
    let up = &mut config.upstream;
    up.base_url = Some(format!("http://{addr}/dukcapil/get_json"));
    up.consumer = sim::DEMO_CONSUMER.into();
    up.user_id = sim::DEMO_USER_ID.into();
    up.password = Some(crate::upstream::UpstreamPassword::new(sim::DEMO_PASSWORD));
    up.password_file = None;
    up.ip_user = sim::DEMO_IP.into();
    Ok((addr, simulator))
}

/// Seeds the demo records that are missing (idempotent: a second start changes nothing).
pub async fn seed(storage: &dyn Storage, now_ms: i64) -> Result<(), StorageError> {
    if storage
        .institution_by_code(DEMO_INSTITUTION_CODE)
        .await?
        .is_none()
    {
        storage
            .create_institution(
                &NewInstitution {
                    code: DEMO_INSTITUTION_CODE.into(),
                    name: "BPBD Kabupaten Karanganyar".into(),
                    region_code: "33.13".into(),
                    address: "Jl. Contoh Demo No. 1, Karanganyar (alamat sintetis)".into(),
                },
                now_ms,
            )
            .await?;
    }
    Ok(())
}
