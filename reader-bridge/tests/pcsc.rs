//! The real PC/SC stack: our own `pcscd` with vsmartcard-vpcd's reader driver, the virtual
//! e-KTP inserted and removed through vpcd, and the `reader-bridge` binary reading it over its
//! WebSocket. Skipped (with the reason printed) only when pcscd or vpcd is not installed;
//! `READER_BRIDGE_REQUIRE_PCSC=1` turns the skip into a failure (CI).
//!
//! vpcd listens on a fixed port (35963) and pcscd on a fixed socket, so everything runs in one
//! test, in order.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reader_bridge::protocol::{FingerprintVerdict, ServerMessage, hex_upper};
use reader_bridge::vcard::{
    CardFault, CardState, FingerOutcome, VpcdConnection, uid_for, virtual_atr,
};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const VPCD_LIB: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";
const VPCD_ADDR: &str = "127.0.0.1:35963";
const PCSCD_SOCKET: &str = "/run/pcscd/pcscd.comm";

fn find_pcscd() -> Option<PathBuf> {
    ["/usr/sbin/pcscd", "/usr/bin/pcscd", "/sbin/pcscd"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

struct Kill(Child);

impl Drop for Kill {
    /// SIGTERM first (pcscd then removes its socket and pid file), SIGKILL after 3 s.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(3) {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rb-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn wait_until(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A pcscd is running (its pid is alive) or socket-activated (its socket accepts).
fn pcscd_running() -> bool {
    let alive = std::fs::read_to_string("/run/pcscd/pcscd.pid")
        .ok()
        .and_then(|pid| pid.trim().parse::<u32>().ok())
        .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
    alive || std::os::unix::net::UnixStream::connect(PCSCD_SOCKET).is_ok()
}

/// Our own pcscd with only vpcd's reader, or `None` when one already runs (then it is used;
/// Debian's default configuration includes vpcd on the same port).
fn start_pcscd(pcscd: &Path) -> Option<Kill> {
    if pcscd_running() {
        eprintln!("pcsc test: using the pcscd already running");
        return None;
    }
    let conf = temp_dir("pcscd-conf");
    std::fs::write(
        conf.join("vpcd"),
        format!(
            "FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME /dev/null:0x8C7B\nLIBPATH {VPCD_LIB}\nCHANNELID 0x8C7B\n"
        ),
    )
    .unwrap();
    let child = Command::new(pcscd)
        .args(["--foreground", "--config"])
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pcscd");
    let guard = Kill(child);
    wait_until(
        "pcscd's socket and vpcd's port",
        Duration::from_secs(10),
        || {
            Path::new(PCSCD_SOCKET).exists()
                && std::net::TcpStream::connect(VPCD_ADDR).map(drop).is_ok()
        },
    );
    // That probe connection was a card insertion and removal for vpcd; let it settle.
    std::thread::sleep(Duration::from_millis(500));
    Some(guard)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

fn insert(card: CardState, remove_after: Option<usize>) -> VpcdConnection {
    // vpcd accepts one card at a time; right after a removal it may need a moment.
    let start = Instant::now();
    loop {
        match VpcdConnection::insert(VPCD_ADDR, card.clone(), remove_after) {
            Ok(c) => return c,
            Err(e) if start.elapsed() < Duration::from_secs(5) => {
                eprintln!("vpcd not ready ({e}); retrying");
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("cannot insert into vpcd: {e}"),
        }
    }
}

async fn inserted(ws: &mut Ws) -> (String, reader_bridge::protocol::CardInfo) {
    match wait_for(ws, "card_inserted", |m| {
        matches!(m, ServerMessage::CardInserted { .. })
    })
    .await
    {
        ServerMessage::CardInserted { reader, card } => (reader, card),
        _ => unreachable!(),
    }
}

async fn removed(ws: &mut Ws) {
    wait_for(ws, "card_removed", |m| {
        matches!(m, ServerMessage::CardRemoved { .. })
    })
    .await;
}

async fn read(ws: &mut Ws, id: &str, reader: &str, fingerprint: bool) -> ServerMessage {
    send_json(
        ws,
        serde_json::json!({"v":1,"type":"read","id":id,"reader":reader,"fingerprint":fingerprint}),
    )
    .await;
    wait_for(ws, "read answer", |m| {
        matches!(m, ServerMessage::ReadResult { id: i, .. } | ServerMessage::Error { id: Some(i), .. } if i == id)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn virtual_ektp_through_pcscd_vpcd_and_the_bridge() {
    let require = std::env::var("READER_BRIDGE_REQUIRE_PCSC").is_ok_and(|v| v == "1");
    let Some(pcscd) = find_pcscd() else {
        assert!(
            !require,
            "READER_BRIDGE_REQUIRE_PCSC=1 but pcscd is not installed"
        );
        eprintln!("SKIPPED: pcscd is not installed (apt-get install pcscd vsmartcard-vpcd)");
        return;
    };
    if !Path::new(VPCD_LIB).exists() {
        assert!(
            !require,
            "READER_BRIDGE_REQUIRE_PCSC=1 but vsmartcard-vpcd is not installed"
        );
        eprintln!("SKIPPED: vsmartcard-vpcd is not installed ({VPCD_LIB} missing)");
        return;
    }
    let _pcscd = start_pcscd(&pcscd);

    // The bridge binary, with trace logs captured and an empty working directory.
    let port = free_port();
    let workdir = temp_dir("bridge-cwd");
    let mut child = Command::new(env!("CARGO_BIN_EXE_reader-bridge"))
        .args([
            "--port",
            &port.to_string(),
            "--origin",
            ORIGIN,
            "--reader-id",
            READER_ID,
        ])
        .args(["--reads-per-minute", "60", "--read-timeout-secs", "10"])
        .env("READER_BRIDGE_SECRET", SECRET)
        .env("RUST_LOG", "trace")
        .env("HOME", &workdir)
        .current_dir(&workdir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start reader-bridge");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut stdout = child.stdout.take().unwrap();
    let bridge = Kill(child);
    let (log_tx, log_rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut line = String::new();
        while stderr.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
            let _ = log_tx.send(std::mem::take(&mut line));
        }
    });
    let mut log = String::new();
    let start = Instant::now();
    while !log.contains("listening") {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "bridge did not start:\n{log}"
        );
        if let Ok(line) = log_rx.recv_timeout(Duration::from_millis(100)) {
            log.push_str(&line);
        }
    }

    let token = pairing_token();
    let mut ws = connect(port, &format!("/v1?token={token}"), Some(ORIGIN), None)
        .await
        .expect("handshake");
    let hello = next(&mut ws).await;
    let reader = match &hello {
        ServerMessage::Hello { readers, .. } if !readers.is_empty() => readers
            .iter()
            .find(|r| r.name.starts_with("Virtual PCD"))
            .map(|r| r.name.clone())
            .expect("vpcd's reader"),
        _ => match wait_for(&mut ws, "vpcd reader", |m| {
            matches!(m, ServerMessage::ReaderAttached { reader } if reader.starts_with("Virtual PCD"))
        })
        .await
        {
            ServerMessage::ReaderAttached { reader } => reader,
            _ => unreachable!(),
        },
    };
    // Slot 0 of vpcd is the port 35963 reader.
    assert!(reader.ends_with("00 00"), "{reader}");

    // 1. A matching finger.
    let (nik, d) = resident(0);
    let card = insert(CardState::new(&nik, &d, FingerOutcome::Match, 3), None);
    let (in_reader, info) = inserted(&mut ws).await;
    assert_eq!(in_reader, reader);
    assert_eq!(info.atr, hex_upper(&virtual_atr()));
    assert_eq!(
        info.uid,
        Some(hex_upper(&uid_for(&nik))),
        "UID through GET DATA"
    );
    let started = Instant::now();
    match read(&mut ws, "r1", &reader, true).await {
        ServerMessage::ReadResult {
            nik: n,
            demographics,
            fingerprint,
            card,
            ..
        } => {
            eprintln!(
                "pcsc test: read with fingerprint took {:?}",
                started.elapsed()
            );
            assert_eq!(n, nik);
            assert_eq!(demographics, d);
            assert_eq!(fingerprint.verdict, FingerprintVerdict::Matched);
            assert_eq!(fingerprint.attempts_left, Some(3));
            assert_eq!(card.uid, Some(hex_upper(&uid_for(&nik))));
        }
        other => panic!("{other:?}"),
    }
    drop(card.remove().unwrap());
    removed(&mut ws).await;

    // 2. A finger that does not match: the counter goes down and survives the read.
    let (nik2, d2) = resident(1);
    let card = insert(CardState::new(&nik2, &d2, FingerOutcome::NoMatch, 2), None);
    inserted(&mut ws).await;
    match read(&mut ws, "r2", &reader, true).await {
        ServerMessage::ReadResult {
            nik: n,
            fingerprint,
            ..
        } => {
            assert_eq!(n, nik2);
            assert_eq!(fingerprint.verdict, FingerprintVerdict::NotMatched);
            assert_eq!(fingerprint.attempts_left, Some(1));
        }
        other => panic!("{other:?}"),
    }
    let state = card.remove().unwrap();
    assert_eq!(state.attempts_left(), 1);
    removed(&mut ws).await;

    // 3. Pulled out mid-read (after the read's 3rd APDU; the UID query took one).
    let card = insert(CardState::new(&nik, &d, FingerOutcome::Match, 3), Some(4));
    inserted(&mut ws).await;
    send_json(
        &mut ws,
        serde_json::json!({"v":1,"type":"read","id":"r3","reader":reader,"fingerprint":false}),
    )
    .await;
    let (mut answered, mut gone) = (false, false);
    while !(answered && gone) {
        match next(&mut ws).await {
            ServerMessage::Error { id, code, .. } => {
                assert_eq!((id.as_deref(), code.as_str()), (Some("r3"), "CARD_REMOVED"));
                answered = true;
            }
            ServerMessage::CardRemoved { .. } => gone = true,
            other => panic!("{other:?}"),
        }
    }
    drop(card);

    // 4. Not an e-KTP.
    let card = insert(
        CardState::new(&nik, &d, FingerOutcome::Match, 3)
            .with_fault(CardFault::SelectStatus(0x6A82)),
        None,
    );
    inserted(&mut ws).await;
    assert_eq!(
        error_code(&read(&mut ws, "r4", &reader, false).await),
        Some("CARD_NOT_EKTP")
    );
    drop(card.remove().unwrap());
    removed(&mut ws).await;

    // 5. The ektp-vcard binary, as a developer would run it.
    let mut vcard = Command::new(env!("CARGO_BIN_EXE_ektp-vcard"))
        .args([
            "--vpcd",
            VPCD_ADDR,
            "--resident",
            "2",
            "--population",
            "500",
            "--print-nik",
        ])
        .args(["--fingerprint", "no-finger"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ektp-vcard");
    let mut printed = String::new();
    BufReader::new(vcard.stdout.take().unwrap())
        .read_line(&mut printed)
        .unwrap();
    let vcard = Kill(vcard);
    inserted(&mut ws).await;
    match read(&mut ws, "r5", &reader, true).await {
        ServerMessage::ReadResult {
            nik: n,
            fingerprint,
            ..
        } => {
            assert_eq!(n, printed.trim());
            assert_eq!(n, resident(2).0);
            assert_eq!(fingerprint.verdict, FingerprintVerdict::NotPerformed);
        }
        other => panic!("{other:?}"),
    }
    drop(vcard);
    removed(&mut ws).await;
    drop(ws);

    // Nothing the cards returned is in the bridge's output or on disk.
    drop(bridge);
    while let Ok(line) = log_rx.recv_timeout(Duration::from_millis(300)) {
        log.push_str(&line);
    }
    let mut out = String::new();
    let _ = stdout.read_to_string(&mut out);
    log.push_str(&out);
    assert!(log.contains("read done"), "trace log captured:\n{log}");
    for (n, d) in [resident(0), resident(1), resident(2)] {
        let uid = hex_upper(&uid_for(&n));
        for secret in [
            n.as_str(),
            d.name.as_str(),
            d.address.as_str(),
            uid.as_str(),
        ] {
            assert!(!log.contains(secret), "{secret:?} in the bridge's output");
        }
    }
    let left: Vec<_> = std::fs::read_dir(&workdir).unwrap().collect();
    assert!(left.is_empty(), "the bridge wrote files: {left:?}");
    let _ = std::fs::remove_dir_all(&workdir);
}

fn pairing_token() -> String {
    domain::pairing::create(&secret(), "op-7", READER_ID, now_ms(), 120_000).unwrap()
}
