//! Every door into SIGAP, as a list: the HTTP endpoints (registered through [`DoorRouter`], so
//! the router and the list cannot disagree), the Leptos server functions (from server_fn's
//! registry) and the portal's pages (from the route list). The access-matrix test
//! (`server/tests/access_matrix.rs`) compares [`all`] with the "Doors" table of docs/ACCESS.md
//! and calls each door as every role and anonymously.

use axum::{Router, handler::Handler, routing::MethodFilter};

/// The HTTP methods our endpoints use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Delete,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Delete => "DELETE",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Delete => MethodFilter::DELETE,
        }
    }
}

/// What kind of door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoorKind {
    /// An axum endpoint (`/healthz`, `/auth/...`, later `/api/v1/...`).
    Endpoint,
    /// A Leptos server function under `/api/sf/`.
    ServerFunction,
    /// A portal page (server-rendered, then hydrated).
    Page,
}

/// One door: method and path (axum's `{param}` syntax).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Door {
    pub method: &'static str,
    pub path: String,
    pub kind: DoorKind,
}

/// A router that records every route it is given.
pub struct DoorRouter<S> {
    router: Router<S>,
    doors: Vec<Door>,
}

impl<S> Default for DoorRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    fn default() -> Self {
        DoorRouter {
            router: Router::new(),
            doors: Vec::new(),
        }
    }
}

impl<S> DoorRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    /// Adds `handler` for `verb` on `path` (several verbs on one path are merged by axum).
    pub fn at<H, T>(mut self, verb: Verb, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.router = self
            .router
            .route(path, axum::routing::on(verb.filter(), handler));
        self.doors.push(Door {
            method: verb.as_str(),
            path: path.to_string(),
            kind: DoorKind::Endpoint,
        });
        self
    }

    /// Adds the routes of `other`.
    pub fn merge(mut self, other: DoorRouter<S>) -> Self {
        self.router = self.router.merge(other.router);
        self.doors.extend(other.doors);
        self
    }

    /// Applies `f` to the router (layers), keeping the list.
    pub fn map(mut self, f: impl FnOnce(Router<S>) -> Router<S>) -> Self {
        self.router = f(self.router);
        self
    }

    pub fn doors(&self) -> &[Door] {
        &self.doors
    }

    pub fn into_router(self) -> Router<S> {
        self.router
    }
}

/// Every door: endpoints, server functions and pages, sorted by path then method.
pub fn all() -> Vec<Door> {
    let mut doors = super::endpoints().doors().to_vec();
    doors.extend(
        leptos::server_fn::axum::server_fn_paths().map(|(path, method)| Door {
            method: verb_name(method.as_str()),
            path: path.to_string(),
            kind: DoorKind::ServerFunction,
        }),
    );
    for route in leptos_axum::generate_route_list(app::App) {
        for method in route.methods() {
            let name = match method {
                leptos_router::Method::Get => "GET",
                leptos_router::Method::Post => "POST",
                leptos_router::Method::Put => "PUT",
                leptos_router::Method::Delete => "DELETE",
                leptos_router::Method::Patch => "PATCH",
            };
            doors.push(Door {
                method: name,
                path: route.path().to_string(),
                kind: DoorKind::Page,
            });
        }
    }
    doors.sort_by(|a, b| (&a.path, a.method).cmp(&(&b.path, b.method)));
    doors.dedup();
    doors
}

fn verb_name(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        _ => "OTHER",
    }
}
