//! Who is signed in: the session server functions (`session`, `sign_in`, `sign_out`) and the
//! session context every component reads (the header, the NDA gate).
//!
//! Sign-in and sign-out go through server functions rather than `/auth/` fetches, so the
//! forms also work before the wasm bundle has loaded. The server side (throttling, session id
//! rotation, audit) is the same code as `/auth/sign-in`.

use crate::AppError;
use crate::backend::{SessionInfo, SessionState};
use leptos::prelude::*;

/// The request's session (public: anonymous is an answer).
#[leptos::server(prefix = "/api/sf", endpoint = "session")]
pub async fn get_session() -> Result<SessionInfo, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?.session(parts).await
}

/// Password sign-in. Unknown user and wrong password get the same `SIGN_IN_FAILED`;
/// throttled attempts get `TOO_MANY_ATTEMPTS` with the wait.
///
/// A refused sign-in is an expected answer, not a failed call: it comes back as the inner
/// `Err` with HTTP 200 (a 4xx/5xx would be a console error in the browser).
#[leptos::server(prefix = "/api/sf", endpoint = "sign_in")]
pub async fn sign_in(
    username: String,
    password: String,
) -> Result<Result<SessionInfo, AppError>, AppError> {
    let parts = crate::backend::request_parts()?;
    Ok(crate::backend::backend()?
        .sign_in(parts, username, password)
        .await)
}

/// Ends this browser's session.
#[leptos::server(prefix = "/api/sf", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?.sign_out(parts).await
}

/// The session as a resource shared by every component, refetched after sign-in/out.
#[derive(Clone, Copy)]
pub struct SessionContext {
    pub info: Resource<Result<SessionInfo, AppError>>,
    version: RwSignal<u32>,
}

impl SessionContext {
    /// Reads the session again (after signing in or out, accepting the NDA).
    pub fn refresh(&self) {
        self.version.update(|v| *v += 1);
    }
}

/// Puts the session resource in context (once, in `App`).
pub fn provide_session() {
    let version = RwSignal::new(0u32);
    let info = Resource::new(move || version.get(), |_| get_session());
    provide_context(SessionContext { info, version });
}

/// The session context.
pub fn use_session() -> SessionContext {
    expect_context::<SessionContext>()
}

/// Wraps a page that shows personal data: anonymous and partial sessions are sent to the
/// sign-in flow, and an operator whose NDA is pending to `/nda`, before `children` render.
#[component]
pub fn RequireNda(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    view! {
        <Suspense fallback=|| ()>
            // Awaited, not read with `.get()` (see the note in `layout.rs`).
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    let info = session.info.await.unwrap_or_else(|_| SessionInfo::anonymous());
                    match (info.state, info.nda_pending) {
                        (SessionState::Authenticated, false) => children().into_any(),
                        (state, pending) => {
                            view! {
                                <leptos_router::components::Redirect path=state
                                    .next_path(pending) />
                            }
                                .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}
