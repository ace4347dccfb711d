//! The HTTP surface: the router (portal pages, server functions, health endpoints, static
//! files, the `/auth/` endpoints, the web-service API) and the layers around it, outermost
//! first: tracing, the closed-network guard (`network`), security headers, compression; then,
//! for the portal only, the CSRF origin check (`csrf`), the session (tower-sessions over our
//! database) and its check (`auth::session::resolve_session`), the page guard, body limits.
//! The API (`/api/v1/`, bearer tokens) has its own body limit and JSON errors instead.

pub mod api_errors;
pub mod api_v1;
pub mod auth_api;
pub mod csrf;
pub mod doors;
pub mod health;
pub mod network;
pub mod openapi;
pub mod pages;
pub mod security;

use crate::{portal::PortalBackend, state::AppState};
use app::backend::BackendHandle;
use axum::{
    Router,
    body::Body,
    extract::{Request, State},
    response::IntoResponse,
};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};
use std::sync::Arc;
use tower_http::{compression::CompressionLayer, limit::RequestBodyLimitLayer, trace::TraceLayer};

/// Largest request body accepted anywhere (server functions and API), in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Builds the complete router for the given state.
pub fn router(state: AppState) -> Router {
    let handle = BackendHandle(Arc::new(PortalBackend::new(state.clone())));
    let context = move || provide_context(handle.clone());
    let routes = generate_route_list(app::App);
    let options = state.leptos_options.clone();
    let auth = state.auth.clone();
    let network = Arc::new(state.config.network.clone());
    let origins = Arc::new(csrf::AllowedOrigins(
        auth.settings().allowed_origins.clone(),
    ));
    let sessions = crate::auth::session::session_layer(&auth);

    let sf_context = context.clone();
    let server_fns = move |_state: State<AppState>, req: Request<Body>| {
        let ctx = sf_context.clone();
        async move {
            handle_server_fns_with_context(ctx, req)
                .await
                .into_response()
        }
    };

    // The portal: pages, server functions, `/auth/` and health, behind the session, its
    // check, the page guard and the CSRF check.
    let portal = portal_endpoints()
        .into_router()
        .route(
            "/api/sf/{*fn_name}",
            axum::routing::get(server_fns.clone()).post(server_fns),
        )
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = options.clone();
            move || app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, app::shell))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(api_v1::plain_errors_as_json))
        .layer(axum::middleware::from_fn(server_fn_error_status))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            pages::page_guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            auth,
            crate::auth::session::resolve_session,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            origins,
            csrf::csrf_guard,
        ));
    // The web-service API (`/api/v1/`): bearer tokens only, so none of the portal's session,
    // page or CSRF layers (each of which let a bearer request through untouched, at a cost
    // on every call); its own body limit (`api_v1::routes`) and JSON errors.
    let api = api_v1::routes()
        .into_router()
        .layer(axum::middleware::from_fn(api_v1::plain_errors_as_json));
    api.merge(portal)
        .layer(CompressionLayer::new().br(true).gzip(true))
        .layer(axum::middleware::from_fn(security::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            network,
            network::network_guard,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The plain HTTP endpoints (health, `/auth/` and the web-service API), recorded as doors
/// (`doors::all`); the router is built from the same two parts.
pub fn endpoints() -> doors::DoorRouter<AppState> {
    portal_endpoints().merge(api_v1::routes())
}

/// Health and `/auth/`: the endpoints behind the portal's layers.
fn portal_endpoints() -> doors::DoorRouter<AppState> {
    doors::DoorRouter::default()
        .at(doors::Verb::Get, "/healthz", health::healthz)
        .at(doors::Verb::Get, "/readyz", health::readyz)
        .merge(auth_api::routes())
}

/// server_fn answers every failed call with 500 (leptos_axum registers each server function
/// as its own route, so this runs as a middleware on `/api/sf/`): give it the status its
/// `AppError` stands for (malformed arguments 400, not signed in 401, forbidden 403, ...), so a
/// bad request is never reported as a server fault. The body (the serialised error) is kept.
async fn server_fn_error_status(
    req: Request<Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let is_server_fn = req.uri().path().starts_with("/api/sf/");
    let res = next.run(req).await;
    if !is_server_fn || res.status() != http::StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        parts.status = http::StatusCode::INTERNAL_SERVER_ERROR;
        return axum::response::Response::from_parts(parts, Body::empty());
    };
    if let Ok(err) = serde_json::from_slice::<app::AppError>(&bytes)
        && let Ok(status) = http::StatusCode::from_u16(err.http_status())
    {
        parts.status = status;
    }
    axum::response::Response::from_parts(parts, Body::from(bytes))
}
