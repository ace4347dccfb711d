//! The `sigap` binary's start-up checks: bad configuration and data folders stop it with a
//! message naming what to fix and a non-zero exit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

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
    let out = sigap()
        .arg("serve")
        .env("SIGAP_BIND", "nonsense")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`bind`"), "{err}");
}

#[test]
fn unknown_log_format_names_the_key() {
    let out = sigap()
        .arg("serve")
        .env("SIGAP_LOG_FORMAT", "xml")
        .output()
        .unwrap();
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
    assert!(
        err.contains("data directory") && err.contains("data_dir"),
        "{err}"
    );
}

#[test]
fn demo_refuses_a_non_loopback_bind() {
    let out = sigap()
        .arg("demo")
        .env("SIGAP_BIND", "0.0.0.0:0")
        .output()
        .unwrap();
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

#[test]
fn nik_inspect_prints_one_json_object_and_exits_0_for_a_valid_nik() {
    let out = sigap()
        .args([
            "nik",
            "inspect",
            "3313-0141-0790-0001",
            "--today",
            "2026-11-27",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["nik"], "3313014107900001");
    assert_eq!(v["province"]["code"], "33");
    assert_eq!(v["regency"]["code"], "33.13");
    assert_eq!(v["district"]["code"], "33.13.01");
    assert_eq!(v["sex"], "P");
    assert_eq!(v["birth_date"], "1990-07-01");
    assert_eq!(v["serial"], "0001");
    assert_eq!(v["warnings"], serde_json::json!([]));
}

#[test]
fn nik_inspect_exits_2_with_a_stable_code_for_an_invalid_nik() {
    let out = sigap()
        .args([
            "nik",
            "inspect",
            "3313013102900001",
            "--today",
            "2026-11-27",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["error"]["code"], "NIK_BAD_DATE");
    assert!(v["error"]["message"].as_str().unwrap().len() > 5);
}
