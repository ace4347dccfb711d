//! The page guard: applies `app::gates::PAGE_GATES` to every GET of a portal page before Leptos
//! renders it. Anonymous callers of a gated page are sent to `/masuk`; a password-only session
//! to its next step (`/akun/passkey` to enrol a first passkey, else `/masuk/verifikasi`); a
//! signed-in role without the page's permission gets the page with status 403 (the page shows
//! the refusal; its server functions refuse the data on their own as well).

use crate::{auth::session::SessionUser, state::AppState};
use app::gates::{PageGate, page_gate};
use axum::{
    body::Body,
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use http::{Method, StatusCode};

/// What the guard does with a page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageDecision {
    Render,
    SignIn,
    SecondFactor,
    Forbidden,
}

/// The decision for a gate and the request's session (`None`: anonymous).
pub fn decide(gate: PageGate, user: Option<&SessionUser>) -> PageDecision {
    match (gate, user) {
        (PageGate::Public, _) => PageDecision::Render,
        (_, None) => PageDecision::SignIn,
        (PageGate::Session, Some(_)) => PageDecision::Render,
        (_, Some(u)) if !u.fully_authenticated => PageDecision::SecondFactor,
        (PageGate::Authenticated, Some(_)) => PageDecision::Render,
        (PageGate::AnyOf(perms), Some(u)) => {
            if perms.iter().any(|p| u.user.role.allows(*p)) {
                PageDecision::Render
            } else {
                PageDecision::Forbidden
            }
        }
    }
}

/// The middleware (after the session is resolved).
pub async fn page_guard(State(state): State<AppState>, req: Request<Body>, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let Some(gate) = page_gate(req.uri().path()) else {
        return next.run(req).await;
    };
    let user = req.extensions().get::<SessionUser>().cloned();
    match decide(gate, user.as_ref()) {
        PageDecision::Render => next.run(req).await,
        PageDecision::SignIn => Redirect::to("/masuk").into_response(),
        PageDecision::SecondFactor => {
            let enrolled = match &user {
                Some(u) => {
                    crate::portal::has_second_factor(state.storage.as_ref(), u.user.account_id)
                        .await
                        .unwrap_or(true)
                }
                None => true,
            };
            Redirect::to(if enrolled {
                "/masuk/verifikasi"
            } else {
                "/akun/passkey"
            })
            .into_response()
        }
        PageDecision::Forbidden => {
            let mut res = next.run(req).await;
            *res.status_mut() = StatusCode::FORBIDDEN;
            res
        }
    }
}
