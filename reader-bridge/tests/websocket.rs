//! The bridge over its real WebSocket with the fake driver: handshake refusals (Origin, Host,
//! token), loopback-only listening, events, reads, rate limit, and bad input that must leave
//! the bridge running.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use futures_util::{SinkExt, StreamExt};
use reader_bridge::driver::fake::Behaviour;
use reader_bridge::hub::HubConfig;
use reader_bridge::protocol::{FingerprintVerdict, ServerMessage, hex_upper};
use reader_bridge::vcard::{CardFault, CardState, FingerOutcome, uid_for, virtual_atr};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

const READER: &str = "Fake Reader 00 00";

fn card(index: usize, finger: FingerOutcome) -> (String, CardState) {
    let (nik, d) = resident(index);
    let card = CardState::new(&nik, &d, finger, 3);
    (nik, card)
}

async fn bridge_with_card(config: HubConfig) -> (Bridge, Ws, String) {
    let bridge = Bridge::start(config).await;
    let mut ws = bridge.connect().await;
    assert!(matches!(next(&mut ws).await, ServerMessage::Hello { .. }));
    bridge.fake.attach_reader(READER);
    let (nik, c) = card(0, FingerOutcome::Match);
    bridge.fake.insert(READER, c, Behaviour::Normal);
    wait_for(&mut ws, "card_inserted", |m| {
        matches!(m, ServerMessage::CardInserted { .. })
    })
    .await;
    (bridge, ws, nik)
}

#[tokio::test]
async fn handshakes_are_refused_without_the_right_origin_host_and_token() {
    let bridge = Bridge::start(HubConfig::default()).await;
    let port = bridge.port;
    let good = format!("/v1?token={}", token_at(bridge.now()));

    // Cross-site WebSocket hijacking: another page's origin, or none.
    assert_eq!(
        connect(port, &good, Some("https://evil.example"), None)
            .await
            .err(),
        Some((403, "ORIGIN_NOT_ALLOWED".into()))
    );
    assert_eq!(
        connect(
            port,
            &good,
            Some("https://sigap.example.go.id.evil.example"),
            None
        )
        .await
        .err(),
        Some((403, "ORIGIN_NOT_ALLOWED".into()))
    );
    assert_eq!(
        connect(port, &good, None, None).await.err(),
        Some((403, "ORIGIN_MISSING".into()))
    );
    // DNS rebinding: a foreign name resolving to 127.0.0.1, or the right name on another port.
    assert_eq!(
        connect(
            port,
            &good,
            Some(ORIGIN),
            Some(&format!("evil.example:{port}"))
        )
        .await
        .err(),
        Some((403, "HOST_NOT_ALLOWED".into()))
    );
    assert_eq!(
        connect(port, &good, Some(ORIGIN), Some("127.0.0.1:1"))
            .await
            .err(),
        Some((403, "HOST_NOT_ALLOWED".into()))
    );
    // Pairing token: missing, expired, for another reader, from another secret, garbled.
    assert_eq!(
        connect(port, "/v1", Some(ORIGIN), None).await.err(),
        Some((401, "TOKEN_MISSING".into()))
    );
    let expired = token_at(bridge.now() - 121_000);
    assert_eq!(
        connect(port, &format!("/v1?token={expired}"), Some(ORIGIN), None)
            .await
            .err(),
        Some((401, "TOKEN_EXPIRED".into()))
    );
    let other_reader =
        domain::pairing::create(&secret(), "op-7", "RDR-OTHER", bridge.now(), 60_000).unwrap();
    assert_eq!(
        connect(
            port,
            &format!("/v1?token={other_reader}"),
            Some(ORIGIN),
            None
        )
        .await
        .err(),
        Some((403, "TOKEN_OTHER_READER".into()))
    );
    let other_secret =
        domain::pairing::ReaderSecret::new(b"a-different-synthetic-secret-0123456789".to_vec())
            .unwrap();
    let forged =
        domain::pairing::create(&other_secret, "op-7", READER_ID, bridge.now(), 60_000).unwrap();
    assert_eq!(
        connect(port, &format!("/v1?token={forged}"), Some(ORIGIN), None)
            .await
            .err(),
        Some((401, "TOKEN_INVALID".into()))
    );
    assert_eq!(
        connect(port, "/v1?token=v1.x", Some(ORIGIN), None)
            .await
            .err(),
        Some((401, "TOKEN_MALFORMED".into()))
    );

    // The accepted spellings of Host, with a valid token and origin.
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ] {
        let mut ws = connect(port, &good, Some(ORIGIN), Some(&host))
            .await
            .unwrap_or_else(|e| panic!("{host}: {e:?}"));
        match next(&mut ws).await {
            ServerMessage::Hello {
                protocol,
                reader_id,
                bridge,
                ..
            } => {
                assert_eq!(protocol, 1);
                assert_eq!(reader_id, READER_ID);
                assert!(bridge.starts_with("reader-bridge "));
            }
            other => panic!("expected hello, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn plain_http_requests_get_the_same_guard() {
    let bridge = Bridge::start(HubConfig::default()).await;
    let port = bridge.port;
    // Not a WebSocket upgrade: refused before anything else happens.
    assert_eq!(
        connect(port, "/other", Some(ORIGIN), None).await.err(),
        Some((404, "NOT_FOUND".into()))
    );
    assert_eq!(
        connect(port, "/other", Some(ORIGIN), Some("evil.example"))
            .await
            .err(),
        Some((403, "HOST_NOT_ALLOWED".into()))
    );
}

#[tokio::test]
async fn listens_on_loopback_only() {
    let (listeners, port) = reader_bridge::server::bind_loopback(0).await.unwrap();
    assert!(!listeners.is_empty());
    for l in &listeners {
        let addr = l.local_addr().unwrap();
        assert!(addr.ip().is_loopback(), "{addr}");
        assert_eq!(addr.port(), port);
    }
    // Reaching the same port through a non-loopback address of this machine fails.
    let probe = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    match probe
        .connect("192.0.2.1:9")
        .and_then(|()| probe.local_addr())
    {
        Ok(local) if !local.ip().is_loopback() && !local.ip().is_unspecified() => {
            let outside = std::net::SocketAddr::new(local.ip(), port);
            let attempt = tokio::time::timeout(
                Duration::from_secs(2),
                tokio::net::TcpStream::connect(outside),
            )
            .await;
            assert!(
                !matches!(attempt, Ok(Ok(_))),
                "the bridge answered on {outside}"
            );
        }
        other => eprintln!(
            "no non-loopback address to probe from ({other:?}); loopback binding checked only"
        ),
    }
}

#[tokio::test]
async fn reader_and_card_events_then_a_read() {
    let bridge = Bridge::start(HubConfig::default()).await;
    let mut ws = bridge.connect().await;
    match next(&mut ws).await {
        ServerMessage::Hello { readers, .. } => assert!(readers.is_empty()),
        other => panic!("{other:?}"),
    }
    bridge.fake.attach_reader(READER);
    assert_eq!(
        next(&mut ws).await,
        ServerMessage::ReaderAttached {
            reader: READER.into()
        }
    );
    let (nik, c) = card(1, FingerOutcome::Match);
    bridge.fake.insert(READER, c, Behaviour::Normal);
    match next(&mut ws).await {
        ServerMessage::CardInserted { reader, card } => {
            assert_eq!(reader, READER);
            assert_eq!(card.atr, hex_upper(&virtual_atr()));
            assert_eq!(card.uid, Some(hex_upper(&uid_for(&nik))));
        }
        other => panic!("{other:?}"),
    }
    // A second connection sees the card in its hello.
    let mut second = bridge.connect().await;
    match next(&mut second).await {
        ServerMessage::Hello { readers, .. } => {
            assert_eq!(readers.len(), 1);
            assert_eq!(
                readers[0].card.as_ref().unwrap().uid,
                Some(hex_upper(&uid_for(&nik)))
            );
        }
        other => panic!("{other:?}"),
    }

    send_json(&mut ws, read_request("r1", true)).await;
    match next(&mut ws).await {
        ServerMessage::ReadResult {
            id,
            reader,
            nik: read_nik,
            demographics,
            fingerprint,
            card,
        } => {
            assert_eq!((id.as_str(), reader.as_str()), ("r1", READER));
            assert_eq!(read_nik, nik);
            assert_eq!(demographics, resident(1).1);
            assert_eq!(fingerprint.verdict, FingerprintVerdict::Matched);
            assert_eq!(fingerprint.attempts_left, Some(3));
            assert_eq!(card.uid, Some(hex_upper(&uid_for(&nik))));
        }
        other => panic!("{other:?}"),
    }

    bridge.fake.remove(READER);
    assert_eq!(
        next(&mut ws).await,
        ServerMessage::CardRemoved {
            reader: READER.into()
        }
    );
    send_json(&mut ws, read_request("r2", false)).await;
    assert_eq!(error_code(&next(&mut ws).await), Some("NO_CARD"));
}

#[tokio::test]
async fn fingerprint_not_matched_counts_down() {
    let bridge = Bridge::start(HubConfig::default()).await;
    let mut ws = bridge.connect().await;
    next(&mut ws).await;
    bridge.fake.attach_reader(READER);
    let (_, c) = card(2, FingerOutcome::NoMatch);
    bridge.fake.insert(READER, c, Behaviour::Normal);
    wait_for(&mut ws, "card", |m| {
        matches!(m, ServerMessage::CardInserted { .. })
    })
    .await;
    for (i, left) in [2u8, 1, 0].into_iter().enumerate() {
        send_json(&mut ws, read_request(&format!("f{i}"), true)).await;
        match next(&mut ws).await {
            ServerMessage::ReadResult { fingerprint, .. } => {
                assert_eq!(fingerprint.verdict, FingerprintVerdict::NotMatched);
                assert_eq!(fingerprint.attempts_left, Some(left));
            }
            other => panic!("{other:?}"),
        }
    }
    send_json(&mut ws, read_request("f3", true)).await;
    match next(&mut ws).await {
        ServerMessage::ReadResult { fingerprint, .. } => {
            assert_eq!(fingerprint.verdict, FingerprintVerdict::NotPerformed);
            assert_eq!(fingerprint.attempts_left, Some(0));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn tokens_are_checked_again_at_each_read() {
    let (bridge, mut ws, _) = bridge_with_card(HubConfig::default()).await;
    bridge.advance(121_000);
    send_json(&mut ws, read_request("late", false)).await;
    let m = next(&mut ws).await;
    assert_eq!(error_code(&m), Some("TOKEN_EXPIRED"));
    // A fresh token for another reader does not help.
    let other =
        domain::pairing::create(&secret(), "op-7", "RDR-OTHER", bridge.now(), 60_000).unwrap();
    let mut request = read_request("other", false);
    request["token"] = other.into();
    send_json(&mut ws, request).await;
    assert_eq!(error_code(&next(&mut ws).await), Some("TOKEN_OTHER_READER"));
    // A fresh valid token does.
    let mut request = read_request("fresh", false);
    request["token"] = token_at(bridge.now()).into();
    send_json(&mut ws, request).await;
    assert!(matches!(
        next(&mut ws).await,
        ServerMessage::ReadResult { .. }
    ));
}

#[tokio::test]
async fn reads_are_rate_limited() {
    let config = HubConfig {
        reads_per_minute: 2,
        ..HubConfig::default()
    };
    let (_bridge, mut ws, _) = bridge_with_card(config).await;
    for id in ["a", "b"] {
        send_json(&mut ws, read_request(id, false)).await;
        assert!(matches!(
            next(&mut ws).await,
            ServerMessage::ReadResult { .. }
        ));
    }
    send_json(&mut ws, read_request("c", false)).await;
    assert_eq!(error_code(&next(&mut ws).await), Some("RATE_LIMITED"));
}

#[tokio::test]
async fn bad_messages_get_errors_and_the_bridge_keeps_running() {
    let (bridge, mut ws, _) = bridge_with_card(HubConfig::default()).await;
    send_text(&mut ws, "{not json").await;
    assert_eq!(error_code(&next(&mut ws).await), Some("MALFORMED_MESSAGE"));
    send_text(&mut ws, r#"{"v":1,"type":"format_card","id":"x9"}"#).await;
    match next(&mut ws).await {
        ServerMessage::Error { id, code, .. } => {
            assert_eq!(id.as_deref(), Some("x9"));
            assert_eq!(code.as_str(), "UNKNOWN_MESSAGE_TYPE");
        }
        other => panic!("{other:?}"),
    }
    send_text(&mut ws, r#"{"v":7,"type":"ping","id":"p"}"#).await;
    assert_eq!(
        error_code(&next(&mut ws).await),
        Some("UNSUPPORTED_VERSION")
    );
    send_text(&mut ws, r#"{"v":1,"type":"read","id":"r","reader":5}"#).await;
    assert_eq!(error_code(&next(&mut ws).await), Some("INVALID_REQUEST"));
    ws.send(Message::Binary(vec![1u8, 2, 3].into()))
        .await
        .unwrap();
    assert_eq!(
        error_code(&next(&mut ws).await),
        Some("BINARY_NOT_SUPPORTED")
    );
    send_json(
        &mut ws,
        serde_json::json!({"v":1,"type":"read","id":"r","reader":"Nope"}),
    )
    .await;
    assert_eq!(error_code(&next(&mut ws).await), Some("UNKNOWN_READER"));
    send_text(&mut ws, r#"{"v":1,"type":"ping","id":"p1"}"#).await;
    assert_eq!(next(&mut ws).await, ServerMessage::Pong { id: "p1".into() });

    // Oversized message: an error, then the connection closes with 1009.
    let big = format!(r#"{{"v":1,"type":"ping","id":"{}"}}"#, "x".repeat(20_000));
    let _ = ws.send(Message::Text(big.into())).await;
    assert_eq!(error_code(&next(&mut ws).await), Some("MESSAGE_TOO_LARGE"));
    let mut close_code = None;
    while let Ok(Some(frame)) = tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
        match frame {
            Ok(Message::Close(Some(frame))) => {
                close_code = Some(u16::from(frame.code));
                break;
            }
            Ok(_) => continue,
            Err(_) => break,
        }
    }
    assert_eq!(close_code, Some(1009));

    // The bridge still serves new connections and reads.
    let mut again = bridge.connect().await;
    next(&mut again).await;
    send_json(&mut again, read_request("after", false)).await;
    assert!(matches!(
        next(&mut again).await,
        ServerMessage::ReadResult { .. }
    ));
}

#[tokio::test]
async fn card_pulled_mid_read_and_card_errors() {
    let bridge = Bridge::start(HubConfig::default()).await;
    let mut ws = bridge.connect().await;
    next(&mut ws).await;
    bridge.fake.attach_reader(READER);

    // Pulled out after the 4th APDU of the read (UID query at insertion is the 1st).
    let (_, c) = card(3, FingerOutcome::Match);
    bridge.fake.insert(READER, c, Behaviour::RemovedAfter(5));
    wait_for(&mut ws, "card", |m| {
        matches!(m, ServerMessage::CardInserted { .. })
    })
    .await;
    send_json(&mut ws, read_request("pulled", false)).await;
    let mut got_error = false;
    let mut got_removed = false;
    for _ in 0..2 {
        match next(&mut ws).await {
            ServerMessage::Error { code, id, .. } => {
                assert_eq!(code.as_str(), "CARD_REMOVED");
                assert_eq!(id.as_deref(), Some("pulled"));
                got_error = true;
            }
            ServerMessage::CardRemoved { .. } => got_removed = true,
            other => panic!("{other:?}"),
        }
    }
    assert!(got_error && got_removed);

    // Not an e-KTP (SELECT answers 6A 82).
    let (_, c) = card(3, FingerOutcome::Match);
    bridge.fake.insert(
        READER,
        c.with_fault(CardFault::SelectStatus(0x6A82)),
        Behaviour::Normal,
    );
    wait_for(&mut ws, "card", |m| {
        matches!(m, ServerMessage::CardInserted { .. })
    })
    .await;
    send_json(&mut ws, read_request("foreign", false)).await;
    assert_eq!(error_code(&next(&mut ws).await), Some("CARD_NOT_EKTP"));

    // Another error status word.
    let (_, c) = card(3, FingerOutcome::Match);
    bridge.fake.insert(
        READER,
        c.with_fault(CardFault::SelectStatus(0x6F00)),
        Behaviour::Normal,
    );
    wait_for(&mut ws, "card", |m| {
        matches!(m, ServerMessage::CardInserted { .. })
    })
    .await;
    send_json(&mut ws, read_request("sw", false)).await;
    assert_eq!(error_code(&next(&mut ws).await), Some("CARD_STATUS_ERROR"));

    // Answers too short.
    let (_, c) = card(3, FingerOutcome::Match);
    bridge.fake.insert(
        READER,
        c.with_fault(CardFault::TruncatedReadBinary),
        Behaviour::Normal,
    );
    wait_for(&mut ws, "card", |m| {
        matches!(m, ServerMessage::CardInserted { .. })
    })
    .await;
    send_json(&mut ws, read_request("short", false)).await;
    assert_eq!(
        error_code(&next(&mut ws).await),
        Some("CARD_RESPONSE_INVALID")
    );

    // And a good card afterwards reads fine.
    let (nik, c) = card(4, FingerOutcome::Match);
    bridge.fake.insert(READER, c, Behaviour::Normal);
    wait_for(&mut ws, "card", |m| {
        matches!(m, ServerMessage::CardInserted { .. })
    })
    .await;
    send_json(&mut ws, read_request("good", false)).await;
    match next(&mut ws).await {
        ServerMessage::ReadResult { nik: n, .. } => assert_eq!(n, nik),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_stuck_reader_does_not_block_the_websocket() {
    let bridge = Bridge::start(HubConfig {
        read_timeout: Duration::from_millis(400),
        uid_timeout: Duration::from_millis(200),
        ..HubConfig::default()
    })
    .await;
    let mut ws = bridge.connect().await;
    next(&mut ws).await;
    bridge.fake.attach_reader(READER);
    let (_, c) = card(5, FingerOutcome::Match);
    bridge
        .fake
        .insert(READER, c, Behaviour::Slow(Duration::from_millis(700)));
    // The UID query times out: the card is announced without a UID.
    match wait_for(&mut ws, "card", |m| {
        matches!(m, ServerMessage::CardInserted { .. })
    })
    .await
    {
        ServerMessage::CardInserted { card, .. } => assert_eq!(card.uid, None),
        _ => unreachable!(),
    }
    send_json(&mut ws, read_request("slow", false)).await;
    // While the driver hangs, the connection still answers at once.
    let started = Instant::now();
    send_text(&mut ws, r#"{"v":1,"type":"ping","id":"alive"}"#).await;
    assert_eq!(
        next(&mut ws).await,
        ServerMessage::Pong { id: "alive".into() }
    );
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(error_code(&next(&mut ws).await), Some("READ_TIMEOUT"));
    // The reader is still busy with the stuck call: refused, not queued.
    send_json(&mut ws, read_request("again", false)).await;
    assert_eq!(error_code(&next(&mut ws).await), Some("READER_BUSY"));
}

#[tokio::test]
async fn read_without_reader_or_with_two_readers() {
    let bridge = Bridge::start(HubConfig::default()).await;
    let mut ws = bridge.connect().await;
    next(&mut ws).await;
    send_json(&mut ws, read_request("none", false)).await;
    assert_eq!(error_code(&next(&mut ws).await), Some("NO_READER"));
    bridge.fake.attach_reader("Reader A");
    bridge.fake.attach_reader("Reader B");
    wait_for(
        &mut ws,
        "B",
        |m| matches!(m, ServerMessage::ReaderAttached { reader } if reader == "Reader B"),
    )
    .await;
    send_json(&mut ws, read_request("two", false)).await;
    assert_eq!(error_code(&next(&mut ws).await), Some("READER_AMBIGUOUS"));
    // With a card in only one of them, that one is meant.
    let (nik, c) = card(6, FingerOutcome::Match);
    bridge.fake.insert("Reader B", c, Behaviour::Normal);
    wait_for(&mut ws, "card", |m| {
        matches!(m, ServerMessage::CardInserted { .. })
    })
    .await;
    send_json(&mut ws, read_request("one", false)).await;
    match next(&mut ws).await {
        ServerMessage::ReadResult { reader, nik: n, .. } => {
            assert_eq!((reader.as_str(), n), ("Reader B", nik));
        }
        other => panic!("{other:?}"),
    }
}
