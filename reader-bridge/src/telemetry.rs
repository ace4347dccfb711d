//! Logging for the bridge: a `tracing` subscriber whose level comes from `RUST_LOG` (default
//! `info`), with the WebSocket libraries' own events always dropped, because at debug/trace
//! level `tungstenite` logs whole frame payloads, and those carry card data.

use tracing_subscriber::filter::{EnvFilter, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

/// Targets never logged, whatever `RUST_LOG` says (they print message payloads).
pub const SILENCED_TARGETS: [&str; 2] = ["tungstenite", "tokio_tungstenite"];

fn silenced(target: &str) -> bool {
    SILENCED_TARGETS.iter().any(|t| {
        target == *t
            || target
                .strip_prefix(t)
                .is_some_and(|rest| rest.starts_with("::"))
    })
}

/// Installs the global subscriber writing to `writer`, with `directives` (`RUST_LOG` syntax;
/// `None` or invalid: `info`). Returns false if a global subscriber was already set.
pub fn init<W>(directives: Option<&str>, writer: W) -> bool
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let env = directives
        .and_then(|d| EnvFilter::try_new(d).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_filter(env)
        .with_filter(filter_fn(|meta| !silenced(meta.target())));
    tracing_subscriber::registry()
        .with(layer)
        .try_init()
        .is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn silenced_targets() {
        assert!(super::silenced("tungstenite::protocol"));
        assert!(super::silenced("tokio_tungstenite"));
        assert!(!super::silenced("tungstenitex"));
        assert!(!super::silenced("reader_bridge::server"));
    }
}
