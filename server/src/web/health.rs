//! `/healthz` (the process answers) and `/readyz` (database reachable, migrations applied).

use crate::state::AppState;
use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::json;

/// Liveness: answers as long as the process serves requests.
pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Readiness: 200 only when the database answers and every embedded migration is applied.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let storage = &state.storage;
    let db = storage.ping().await;
    let migrations = storage.migration_state().await;
    match (db, migrations) {
        (Ok(()), Ok(m)) if m.complete() => (
            StatusCode::OK,
            Json(json!({
                "status": "ready",
                "database": storage.kind().name(),
                "migrations": { "applied": m.applied, "expected": m.expected },
            })),
        ),
        (Ok(()), Ok(m)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "not_ready",
                "reason": "MIGRATIONS_PENDING",
                "migrations": { "applied": m.applied, "expected": m.expected },
            })),
        ),
        (db, m) => {
            let reference = crate::error::log_internal(
                "readiness check failed",
                &format!("{:?} / {:?}", db.err(), m.err()),
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({
                    "status": "not_ready",
                    "reason": "DATABASE_UNREACHABLE",
                    "reference": reference,
                })),
            )
        }
    }
}
