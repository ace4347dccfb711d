//! Server-rendered pages always finish: many concurrent renders of the pages every visitor
//! sees (home, sign-in, status, 404) on one server, each bounded by a timeout; none may stall.
//!
//! Why the test suite runs one test at a time per binary (`RUST_TEST_THREADS=1` in
//! `scripts/dev`): with three or more servers on separate tokio runtimes in one process, a
//! Leptos render occasionally never finishes (reproduced with four threads, each running its
//! own runtime and server; never with one runtime, which is how `sigap` runs). A CI run once
//! waited on such a render until its time limit. These tests keep the production shape (one
//! runtime, many concurrent requests) honest.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::spawn_app;
use std::time::Duration;

async fn hammer(app: &common::TestApp, rounds: usize, concurrency: usize) -> Vec<String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let paths = ["/", "/masuk", "/status", "/tidak/ada"];
    let mut failures = Vec::new();
    for round in 0..rounds {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..concurrency {
            let path = paths[(round + i) % paths.len()];
            let url = app.url(path);
            let client = client.clone();
            tasks.spawn(async move {
                let outcome = match client.get(&url).send().await {
                    Ok(r) => r.text().await.map(|body| body.contains("</html>")),
                    Err(e) => Err(e),
                };
                match outcome {
                    Ok(true) => None,
                    Ok(false) => Some(format!("{path}: page did not end with </html>")),
                    Err(e) => Some(format!("{path}: {e}")),
                }
            });
        }
        while let Some(r) = tasks.join_next().await {
            if let Some(f) = r.unwrap() {
                failures.push(f);
            }
        }
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_renders_all_finish_on_a_multi_thread_runtime() {
    let app = spawn_app().await;
    let failures = hammer(&app, 25, 16).await;
    assert!(
        failures.is_empty(),
        "stalled or broken renders: {failures:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn concurrent_renders_all_finish_on_a_current_thread_runtime() {
    let app = spawn_app().await;
    let failures = hammer(&app, 25, 16).await;
    assert!(
        failures.is_empty(),
        "stalled or broken renders: {failures:?}"
    );
    app.stop().await;
}
