//! docs/API.md is true: its ```sh blocks are run against a real server with the Dukcapil
//! simulator. The token block runs the real `sigap admin token create` on the test database;
//! each curl block runs with the real `curl` binary (with `$SIGAP`, `$TOKEN`, `$NIK`, `$NAMA`
//! set to the test server, the new token and a simulated resident), and the status and code
//! written after `# →` are checked. Blocks that only set variables are the reader's, not run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth_support;
mod common;

use auth_support::spawn_with_upstream;
use common::TestDb;
use serde_json::Value;
use std::process::Command;

/// The ```sh blocks of the document, continuation lines kept.
fn sh_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(b), "```") => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "unclosed ```sh block");
    blocks
}

/// `# → 401 TOKEN_REQUIRED` / `# → 200 found` / `# → 200`.
fn expectation(block: &str) -> (u16, Option<String>) {
    let line = block
        .lines()
        .find_map(|l| l.trim().strip_prefix("# →"))
        .unwrap_or_else(|| panic!("a curl block without `# →`:\n{block}"));
    let mut parts = line.split_whitespace();
    let status = parts.next().unwrap().parse().unwrap();
    (status, parts.next().map(str::to_string))
}

/// Runs `script` with `sh -e` off the test's runtime (the server answers on that runtime).
async fn shell(script: &str, envs: &[(&str, String)]) -> (bool, String, String) {
    let script = script.to_string();
    let envs: Vec<(String, String)> = envs
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    tokio::task::spawn_blocking(move || shell_blocking(&script, &envs))
        .await
        .unwrap()
}

fn shell_blocking(script: &str, envs: &[(String, String)]) -> (bool, String, String) {
    let mut c = Command::new("sh");
    c.arg("-ec").arg(script);
    for (k, _) in std::env::vars() {
        if k.starts_with("SIGAP_") {
            c.env_remove(k);
        }
    }
    for (k, v) in envs {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn walkthrough(db: TestDb) {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/API.md")).unwrap();
    let db_url = db.url.clone();
    let (app, sim) = spawn_with_upstream(db, |_| {}).await;
    let resident = sim.sample(1).remove(0);
    let work = std::env::temp_dir().join(format!("sigap-api-doc-{}", uuid::Uuid::new_v4()));
    let bin = work.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_sigap"), bin.join("sigap")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out_file = work.join("body.json");
    let mut env = vec![
        ("PATH", path),
        ("SIGAP_DATABASE_URL", db_url),
        ("SIGAP_DATA_DIR", work.display().to_string()),
        ("SIGAP", app.url("")),
        ("NIK", resident["NIK"].as_str().unwrap().to_string()),
        ("NAMA", resident["NAMA_LGKP"].as_str().unwrap().to_string()),
        ("OUT", out_file.display().to_string()),
    ];

    let blocks = sh_blocks(&doc);
    let mut curls = 0;
    let mut token_made = false;
    for block in &blocks {
        if block.contains("sigap admin token create") {
            let script = format!("{block}\nprintf '%s' \"$TOKEN\"");
            let (ok, out, err) = shell(&script, &env).await;
            assert!(ok, "token block failed: {err}");
            assert!(out.starts_with("sigap_"), "no token printed: {out}{err}");
            env.push(("TOKEN", out));
            token_made = true;
        } else if block.contains("curl ") {
            assert!(token_made, "a curl block before the token is made");
            let (status, what) = expectation(block);
            let script = block.replacen("curl ", "curl -o \"$OUT\" -w '%{http_code}' ", 1);
            let _ = std::fs::remove_file(&out_file);
            let (ok, out, err) = shell(&script, &env).await;
            assert!(ok, "curl failed: {err}\n{block}");
            let body: Value =
                serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap_or(Value::Null);
            assert_eq!(out.trim(), status.to_string(), "{block}{body}");
            match what {
                Some(code) if code.chars().all(|c| c.is_ascii_uppercase() || c == '_') => {
                    assert_eq!(body["error"]["code"], code.as_str(), "{block}");
                }
                Some(result) => assert_eq!(body["result"], result.as_str(), "{block}{body}"),
                None => assert!(body.is_object(), "{block}: not JSON"),
            }
            curls += 1;
        } else {
            // Reader's variable settings: only assignments.
            for line in block.lines().filter(|l| !l.trim().is_empty()) {
                assert!(
                    line.split('=')
                        .next()
                        .unwrap()
                        .chars()
                        .all(|c| c.is_ascii_uppercase()),
                    "an sh block that is neither token, curl nor assignments: {line}"
                );
            }
        }
    }
    assert!(token_made, "docs/API.md shows no token creation");
    assert!(curls >= 6, "only {curls} curl examples were checked");
    let _ = std::fs::remove_dir_all(&work);
    app.stop().await;
}

#[tokio::test]
async fn the_api_walkthrough_works_as_written() {
    walkthrough(TestDb::chosen().await).await;
}

#[tokio::test]
async fn the_api_walkthrough_works_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        walkthrough(db).await;
    }
}
