//! The `sigap` binary's start-up checks: bad configuration and data folders stop it with a
//! message naming what to fix and a non-zero exit.

use std::process::Command;

fn sigap() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sigap"));
    // Hermetic: no SIGAP_* from the developer's shell, no sigap.toml from the cwd.
    for (k, _) in std::env::vars() {
        if k.starts_with("SIGAP_") {
            c.env_remove(k);
        }
    }
    c.current_dir(std::env::temp_dir());
    c
}

#[test]
fn bad_bind_names_the_key_and_fails() {
    let out = sigap().arg("serve").env("SIGAP_BIND", "nonsense").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`bind`"), "{err}");
}

#[test]
fn unknown_log_format_names_the_key() {
    let out = sigap().arg("serve").env("SIGAP_LOG_FORMAT", "xml").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`log_format`"), "{err}");
}

#[test]
fn missing_data_dir_is_a_clear_error() {
    let out = sigap()
        .arg("serve")
        .env("SIGAP_DATA_DIR", "/nonexistent/sigap-data")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("data directory") && err.contains("data_dir"), "{err}");
}

#[test]
fn demo_refuses_a_non_loopback_bind() {
    let out = sigap().arg("demo").env("SIGAP_BIND", "0.0.0.0:0").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("loopback"), "{err}");
}

#[test]
fn missing_config_file_is_an_error() {
    let out = sigap()
        .args(["--config", "/nonexistent/sigap.toml", "serve"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}
