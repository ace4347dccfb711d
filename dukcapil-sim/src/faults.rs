//! Latency and transport faults: drawing them, and turning an answer into the broken HTTP
//! response a fault calls for (HTTP 500 page, truncated JSON, aborted or trickled body, hang).

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::stream;
use rand::Rng;

use crate::config::{Fault, FaultPlan, Latency};

/// Longest delay a log-normal latency produces.
const LATENCY_CAP_MS: f64 = 120_000.0;

/// z-score of the 99th percentile of the standard normal distribution.
const Z99: f64 = 2.326_347_874;

/// One draw of the latency distribution.
pub(crate) fn sample_latency(latency: &Latency) -> Duration {
    let mut rng = rand::rng();
    let ms = match *latency {
        Latency::None => 0.0,
        Latency::Fixed { ms } => ms as f64,
        Latency::Uniform { min_ms, max_ms } => rng.random_range(min_ms..=max_ms.max(min_ms)) as f64,
        Latency::LogNormal { p50_ms, p99_ms } => {
            let mu = (p50_ms.max(1) as f64).ln();
            let sigma = ((p99_ms.max(p50_ms).max(1) as f64).ln() - mu) / Z99;
            // Box-Muller.
            let u1: f64 = rng.random_range(f64::EPSILON..1.0);
            let u2: f64 = rng.random();
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            (mu + sigma * z).exp().min(LATENCY_CAP_MS)
        }
    };
    Duration::from_micros((ms * 1000.0) as u64)
}

/// A random fault from the plan's probabilities, if one strikes.
pub(crate) fn draw(plan: &FaultPlan) -> Option<Fault> {
    if plan.random.is_empty() {
        return None;
    }
    let mut roll: f64 = rand::rng().random();
    for r in &plan.random {
        if roll < r.probability {
            return Some(r.fault);
        }
        roll -= r.probability;
    }
    None
}

/// A normal JSON answer.
pub(crate) fn json(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn reset_error() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "simulated connection reset",
    )
}

/// A body that fails, which makes hyper abort the connection. With a `prefix`, the prefix is
/// sent first and the failure comes after a pause, so that the status line, headers and prefix
/// reach the client; without one the failure is immediate and the client receives nothing.
fn aborted_body(prefix: Vec<u8>) -> Body {
    if prefix.is_empty() {
        return Body::from_stream(stream::iter([Err::<Bytes, _>(reset_error())]));
    }
    let body = stream::unfold(Some(Some(Bytes::from(prefix))), |state| async move {
        match state? {
            Some(chunk) => Some((Ok(chunk), Some(None))),
            None => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Some((Err(reset_error()), None))
            }
        }
    });
    Body::from_stream(body)
}

/// The response for `answer` broken by the transport `fault` (a [`Fault::Code`] never gets
/// here: it changes the answer, not the transport).
pub(crate) async fn respond(fault: Fault, answer: Vec<u8>, plan: &FaultPlan) -> Response {
    match fault {
        Fault::Timeout => {
            tokio::time::sleep(Duration::from_millis(plan.hang_ms)).await;
            Response::new(aborted_body(Vec::new()))
        }
        Fault::LongDelay => {
            tokio::time::sleep(Duration::from_millis(plan.long_delay_ms)).await;
            json(StatusCode::OK, answer)
        }
        Fault::Http500 => {
            let mut response = Response::new(Body::from(
                "<html><head><title>500 Internal Server Error</title></head><body>\
                 <h1>Internal Server Error</h1><p>The server encountered an internal error \
                 and was unable to complete your request.</p></body></html>",
            ));
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=iso-8859-1"),
            );
            response
        }
        Fault::MalformedJson => {
            let mut cut = answer;
            cut.truncate(cut.len() / 2);
            cut.extend_from_slice(b"\"<br />\n<b>Warning</b>:");
            json(StatusCode::OK, cut)
        }
        Fault::Reset => {
            let mut prefix = answer;
            prefix.truncate(prefix.len() / 2);
            let mut response = Response::new(aborted_body(prefix));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Fault::SlowBody => {
            let chunk = plan.slow_chunk_bytes.max(1);
            let interval = Duration::from_millis(plan.slow_interval_ms);
            let pieces: Vec<Bytes> = answer.chunks(chunk).map(Bytes::copy_from_slice).collect();
            let body = stream::unfold(
                (pieces.into_iter(), true),
                move |(mut it, first)| async move {
                    let next = it.next()?;
                    if !first {
                        tokio::time::sleep(interval).await;
                    }
                    Some((Ok::<Bytes, std::io::Error>(next), (it, false)))
                },
            );
            let mut response = Response::new(Body::from_stream(body));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Fault::Code(_) => json(StatusCode::OK, answer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_distributions() {
        assert_eq!(sample_latency(&Latency::None), Duration::ZERO);
        assert_eq!(
            sample_latency(&Latency::Fixed { ms: 15 }),
            Duration::from_millis(15)
        );
        for _ in 0..200 {
            let d = sample_latency(&Latency::Uniform {
                min_ms: 5,
                max_ms: 9,
            });
            assert!(d >= Duration::from_millis(5) && d <= Duration::from_millis(9));
        }
        let mut draws: Vec<Duration> = (0..20_000)
            .map(|_| {
                sample_latency(&Latency::LogNormal {
                    p50_ms: 50,
                    p99_ms: 500,
                })
            })
            .collect();
        draws.sort_unstable();
        let p50 = draws[10_000].as_secs_f64() * 1000.0;
        let p99 = draws[19_800].as_secs_f64() * 1000.0;
        assert!((40.0..62.0).contains(&p50), "p50 {p50}");
        assert!((350.0..700.0).contains(&p99), "p99 {p99}");
    }

    #[test]
    fn random_faults_follow_their_probabilities() {
        assert_eq!(draw(&FaultPlan::default()), None);
        let always = FaultPlan::default().with_random(Fault::Http500, 1.0);
        assert_eq!(draw(&always), Some(Fault::Http500));
        let half = FaultPlan::default().with_random(Fault::Reset, 0.5);
        let hits = (0..10_000).filter(|_| draw(&half).is_some()).count();
        assert!((4_500..5_500).contains(&hits), "{hits}");
    }
}
