//! Nothing the card returns reaches a log line: every log event of a connection, a card
//! insertion, a successful read and failed reads is captured at TRACE level and searched for
//! the card's NIK, name, address and UID.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reader_bridge::driver::fake::Behaviour;
use reader_bridge::hub::HubConfig;
use reader_bridge::protocol::{ServerMessage, hex_upper};
use reader_bridge::vcard::{CardState, FingerOutcome, uid_for};
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_data_never_reaches_the_log() {
    let captured = Captured::default();
    let writer = captured.clone();
    // The bridge's own subscriber set-up, at the most verbose level.
    assert!(reader_bridge::telemetry::init(Some("trace"), move || {
        writer.clone()
    }));

    let bridge = Bridge::start(HubConfig::default()).await;
    let mut ws = bridge.connect().await;
    next(&mut ws).await;
    bridge.fake.attach_reader("Fake Reader");
    let (nik, d) = resident(7);
    let card = CardState::new(&nik, &d, FingerOutcome::NoMatch, 3);
    bridge
        .fake
        .insert("Fake Reader", card.clone(), Behaviour::Normal);
    wait_for(&mut ws, "card", |m| {
        matches!(m, ServerMessage::CardInserted { .. })
    })
    .await;
    send_json(&mut ws, read_request("r1", true)).await;
    match next(&mut ws).await {
        ServerMessage::ReadResult { nik: n, .. } => assert_eq!(n, nik),
        other => panic!("{other:?}"),
    }
    // A failed read too (pulled mid-read).
    bridge
        .fake
        .insert("Fake Reader", card, Behaviour::RemovedAfter(4));
    wait_for(&mut ws, "card", |m| {
        matches!(m, ServerMessage::CardInserted { .. })
    })
    .await;
    send_json(&mut ws, read_request("r2", true)).await;
    wait_for(&mut ws, "error", |m| error_code(m).is_some()).await;
    drop(ws);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("read done"), "the capture works:\n{log}");
    assert!(log.contains("card inserted"), "{log}");
    let uid = hex_upper(&uid_for(&nik));
    for secret in [
        nik.as_str(),
        d.name.as_str(),
        d.address.as_str(),
        uid.as_str(),
        d.birth_date.as_str(),
    ] {
        assert!(
            !log.contains(secret),
            "{secret:?} appears in the log:\n{log}"
        );
    }
    // The token is not logged either.
    assert!(!log.contains("v1.op-7."), "{log}");
}
