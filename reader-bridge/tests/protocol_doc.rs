//! docs/reader-protocol.md stays true: every JSON example parses with the real types (page
//! messages through the bridge's own parser, bridge messages as `ServerEnvelope` and back to
//! the same JSON), every message type has an example, and every error code is documented.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reader_bridge::protocol::{ErrorCode, ServerEnvelope, parse_client};
use std::collections::BTreeSet;

fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/reader-protocol.md");
    std::fs::read_to_string(path).expect("docs/reader-protocol.md")
}

fn json_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("```json\n") {
        let after = &rest[start + 8..];
        let end = after.find("```").expect("closed block");
        blocks.push(after[..end].trim().to_owned());
        rest = &after[end..];
    }
    blocks
}

#[test]
fn every_example_parses_and_every_type_has_one() {
    let mut types = BTreeSet::new();
    for block in json_blocks(&doc()) {
        let value: serde_json::Value =
            serde_json::from_str(&block).unwrap_or_else(|e| panic!("not JSON: {block}: {e}"));
        let kind = value["type"].as_str().expect("type").to_owned();
        if matches!(kind.as_str(), "read" | "ping") {
            parse_client(&block).unwrap_or_else(|e| panic!("{block}: {e:?}"));
        } else {
            let envelope: ServerEnvelope =
                serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{block}: {e}"));
            assert_eq!(envelope.v, 1);
            let back = serde_json::to_value(&envelope).unwrap();
            assert_eq!(back, value, "the example is exactly what the bridge sends");
        }
        types.insert(kind);
    }
    let expected = [
        "read",
        "ping",
        "hello",
        "reader_attached",
        "reader_detached",
        "card_inserted",
        "card_removed",
        "read_result",
        "pong",
        "error",
    ];
    for t in expected {
        assert!(types.contains(t), "no example of {t}");
    }
}

#[test]
fn every_error_code_is_documented() {
    let text = doc();
    for code in ErrorCode::ALL {
        assert!(
            text.contains(&format!("| `{}` |", code.as_str())),
            "{} missing from the error table",
            code.as_str()
        );
    }
}
