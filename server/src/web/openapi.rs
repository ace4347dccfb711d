//! The OpenAPI 3.1 document of the web-service API, `GET /api/v1/openapi.json` (public),
//! generated from the code: the paths from the route table next to the router
//! (`web::api_v1::ROUTES`, the same constants the router registers), the request and answer
//! schemas from the types the handlers (de)serialise ([`ApiSchema`], implemented next to each
//! type), the error codes from `web::api_errors::ApiCode`. No schema crate: the fragments are
//! small and written beside the types they describe.

use crate::web::api_errors::ApiCode;
use crate::web::api_v1::{ApiRoute, ROUTES};
use axum::Json;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// A type that describes its own JSON shape as an OpenAPI (JSON Schema 2020-12) fragment.
pub trait ApiSchema {
    /// The component name (`#/components/schemas/<NAME>`).
    const NAME: &'static str;

    /// The schema; other types are referenced with [`reference`] and registered in
    /// [`ApiSchema::register_dependencies`].
    fn schema() -> Value;

    /// Registers the types this one references.
    fn register_dependencies(_out: &mut Components) {}

    /// Registers this type and what it references.
    fn register(out: &mut Components) {
        if !out.0.contains_key(Self::NAME) {
            out.0.insert(Self::NAME.to_string(), Self::schema());
            Self::register_dependencies(out);
        }
    }
}

/// The `components.schemas` being collected.
#[derive(Default)]
pub struct Components(pub BTreeMap<String, Value>);

/// A type's name and registration, for the route table.
#[derive(Clone, Copy)]
pub struct SchemaRef {
    pub name: &'static str,
    pub register: fn(&mut Components),
}

/// The [`SchemaRef`] of `T`.
pub const fn schema_ref<T: ApiSchema>() -> SchemaRef {
    SchemaRef {
        name: T::NAME,
        register: T::register,
    }
}

/// `{"$ref": "#/components/schemas/<T::NAME>"}`.
pub fn reference<T: ApiSchema>() -> Value {
    json!({ "$ref": format!("#/components/schemas/{}", T::NAME) })
}

/// An object schema: `(name, schema, required)` per property, no other properties.
pub fn object(description: &str, properties: &[(&str, Value, bool)]) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for (name, schema, req) in properties {
        props.insert((*name).to_string(), schema.clone());
        if *req {
            required.push(json!(name));
        }
    }
    json!({
        "type": "object",
        "description": description,
        "properties": props,
        "required": required,
        "additionalProperties": false,
    })
}

/// A string with a description.
pub fn text(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

/// The error answer `{"error":{"code","message"}}`.
pub struct ErrorBody;

impl ApiSchema for ErrorBody {
    const NAME: &'static str = "Error";
    fn schema() -> Value {
        let codes: Vec<&str> = ApiCode::ALL.iter().map(|c| c.as_str()).collect();
        object(
            "Jawaban kesalahan: kode stabil dan pesan berbahasa Indonesia.",
            &[(
                "error",
                object(
                    "",
                    &[
                        ("code", json!({ "type": "string", "enum": codes }), true),
                        ("message", text("Pesan untuk manusia; bisa berubah."), true),
                    ],
                ),
                true,
            )],
        )
    }
}

fn operation(route: &ApiRoute, components: &mut Components) -> Value {
    let mut responses = Map::new();
    (route.answer.register)(components);
    responses.insert(
        "200".into(),
        json!({
            "description": "OK",
            "content": { "application/json": { "schema": {
                "$ref": format!("#/components/schemas/{}", route.answer.name) } } },
        }),
    );
    let errors = route.errors();
    let mut by_status: BTreeMap<u16, Vec<ApiCode>> = BTreeMap::new();
    for code in &errors {
        by_status
            .entry(code.status().as_u16())
            .or_default()
            .push(*code);
    }
    for (status, codes) in by_status {
        let list: Vec<String> = codes
            .iter()
            .map(|c| format!("`{}`: {}", c.as_str(), c.description()))
            .collect();
        let names: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
        responses.insert(
            status.to_string(),
            json!({
                "description": list.join("\n\n"),
                "x-sigap-error-codes": names,
                "content": { "application/json": { "schema": {
                    "$ref": "#/components/schemas/Error" } } },
            }),
        );
    }
    let mut op = json!({
        "operationId": route.operation_id,
        "summary": route.summary,
        "description": route.description,
        "responses": responses,
    });
    match route.permission {
        Some(p) => {
            op["security"] = json!([{ "bearer": [] }]);
            op["x-sigap-permission"] = json!(p.as_str());
        }
        None => op["security"] = json!([]),
    }
    if let Some(request) = route.request {
        (request.register)(components);
        op["requestBody"] = json!({
            "required": true,
            "content": { "application/json": { "schema": {
                "$ref": format!("#/components/schemas/{}", request.name) } } },
        });
    }
    op
}

/// The whole document.
pub fn document() -> Value {
    let mut components = Components::default();
    ErrorBody::register(&mut components);
    let mut paths = Map::new();
    for route in ROUTES {
        let entry = paths
            .entry(route.path.to_string())
            .or_insert_with(|| json!({}));
        entry[route.verb.as_str().to_ascii_lowercase()] = operation(route, &mut components);
    }
    let codes: Vec<Value> = ApiCode::ALL
        .iter()
        .map(|c| {
            json!({ "code": c.as_str(), "status": c.status().as_u16(),
                    "description": c.description() })
        })
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "SIGAP web-service API",
            "version": "1",
            "description": "Pemeriksaan NIK untuk aplikasi internal instansi (BPBD) melalui \
                SIGAP: verifikasi lalu lupakan. Token dibuat oleh admin instansi \
                (halaman /admin/token atau `sigap admin token create`). Setiap jawaban \
                `Cache-Control: no-store`; jangan simpan data kependudukan. Panduan: docs/API.md.",
        },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "schemas": components.0,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Token API `sigap_…` dari admin instansi.",
                },
            },
        },
        "x-sigap-error-codes": codes,
    })
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi_json() -> Json<Value> {
    Json(document())
}
