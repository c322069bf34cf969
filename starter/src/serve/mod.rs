//! `switchyard serve`: the HTTP service for pipelines, chat-ops and
//! dashboards. JSON over HTTP under `/v1`, every body in switchyard's one
//! JSON convention (`proto::json_style`: snake_case keys, lower-case enum
//! words, RFC 3339 times; requests may use protobuf's names too), errors as
//! problem documents, API keys for callers.
//!
//! It keeps no state of its own: suites live in Temporal, keys in the keys
//! file, rules in the policy file; any number of replicas can serve at
//! once. It launches and reads suites through the same library as the CLI
//! (`switchyard_starter::launch`, `client`), so a suite is validated,
//! refused and started the same way from either.
//!
//! Must never: link device or credential code, or answer a malformed
//! request with a 500.

mod access;
mod auth;
mod caller;
mod events;
mod operate;
mod problem;
mod suites;
mod tls;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use switchyard_proto::inventory::Inventory;
use switchyard_proto::policy::Policy;
use switchyard_proto::services::Catalogue;
use switchyard_starter::client::{self, Client};

use crate::cli::{Global, ServeArgs};
use auth::{KeyStore, RateLimit};
use problem::Problem;

/// A response body in switchyard's JSON convention: axum's `Json`, the
/// contracts' canonical JSON turned into the convention on the way out.
pub(crate) struct Json<T>(pub(crate) T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_value(&self.0) {
            Ok(value) => axum::Json(switchyard_proto::json_style::normalize(value)).into_response(),
            // The bodies are messages and plain structs, whose JSON cannot fail.
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("the response could not be written: {e}")).into_response(),
        }
    }
}

/// What every handler shares; all of it read-only but the key store's
/// cache and the counters.
pub(crate) struct App {
    client: Client,
    namespace: String,
    temporal_address: String,
    task_queue: String,
    ui_address: String,
    /// The inventory, with its source's devices as last read (at start,
    /// then at each suite created, which reads the source again): key
    /// scopes are judged by it.
    inventory: std::sync::RwLock<Arc<Inventory>>,
    /// The file alone, to read the source again from.
    file_inventory: Inventory,
    catalogue: Option<Catalogue>,
    policy: Option<Policy>,
    policy_hash: String,
    keys: KeyStore,
    /// The service's own key, an attester of the policy: it signs launches
    /// and decisions for the callers it authenticated. None: unsigned.
    signing_key: Option<switchyard_starter::signing::SigningKey>,
    rate: RateLimit,
    body_limit: usize,
    max_running: u64,
    requests: AtomicU64,
    refused: AtomicU64,
    /// Requests by route, status and latency (`access`).
    routes: access::RouteMetrics,
}

type Shared = Arc<App>;

impl App {
    /// The inventory as last read.
    fn inventory(&self) -> Arc<Inventory> {
        self.inventory.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Runs the service until interrupted.
pub(crate) async fn run(global: &Global, args: ServeArgs) -> anyhow::Result<i32> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour only on a terminal: a log file or journald gets plain lines;
    // `--log-format json` one JSON object per line, for a log pipeline.
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match args.log_format {
        crate::cli::LogFormat::Json => logs.json().with_current_span(false).try_init(),
        crate::cli::LogFormat::Text => logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).try_init(),
    };
    let file_inventory = Inventory::load(&args.inventory).map_err(anyhow::Error::msg)?;
    let inventory = switchyard_starter::inventory_source::resolve(file_inventory.clone()).await.map_err(anyhow::Error::msg)?;
    let catalogue = args.services.as_ref().map(|p| Catalogue::load(p)).transpose().map_err(anyhow::Error::msg)?;
    let (policy, policy_hash) = match &global.policy {
        Some(path) => {
            let policy = Policy::load(path).map_err(anyhow::Error::msg)?;
            let hash = policy.hash.clone();
            (Some(policy), hash)
        }
        None => (None, String::new()),
    };
    let usage = args.keys_usage.clone().unwrap_or_else(|| switchyard_starter::keys::usage_path(&args.keys));
    let keys = KeyStore::open(args.keys.clone(), usage)?;
    let settings = crate::global::settings(global)?;
    let client = crate::global::connect(global).await?;
    let app = Arc::new(App {
        client,
        namespace: settings.namespace.clone(),
        temporal_address: settings.target.to_string(),
        task_queue: global.task_queue.clone(),
        ui_address: global.ui_address.clone(),
        inventory: std::sync::RwLock::new(Arc::new(inventory)),
        file_inventory,
        catalogue,
        policy,
        policy_hash,
        keys,
        signing_key: crate::global::signing_key(global),
        rate: RateLimit::new(args.rate_limit.max(1)),
        body_limit: args.body_limit,
        max_running: args.max_running,
        requests: AtomicU64::new(0),
        refused: AtomicU64::new(0),
        routes: access::RouteMetrics::default(),
    });
    // The certificates are checked before anything listens.
    let acceptor = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(tls::acceptor(tls::TlsFiles { cert: cert.clone(), key: key.clone(), client_ca: args.tls_client_ca.clone() })?),
        _ => None,
    };
    let listener = tokio::net::TcpListener::bind(args.listen).await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
    let address = listener.local_addr()?;
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    // Scripts and tests read the address from this line: keep its shape.
    println!("serving on {scheme}://{address}");
    tracing::info!(%address, keys = %args.keys.display(), client_certificates = args.tls_client_ca.is_some(), "Serving {scheme}");
    let shutdown = async { let _ = tokio::signal::ctrl_c().await; };
    match acceptor {
        Some(acceptor) => axum::serve(tls::TlsListener::new(listener, acceptor)?, router(app)).with_graceful_shutdown(shutdown).await?,
        None => axum::serve(listener, router(app)).with_graceful_shutdown(shutdown).await?,
    }
    Ok(0)
}

/// Every route. The OpenAPI document lists exactly these (a test checks).
pub(crate) fn router(app: Shared) -> Router {
    let limit = app.body_limit;
    Router::new()
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/v1/openapi.json", get(openapi))
        .merge(suites::routes())
        .merge(operate::routes())
        .merge(events::routes())
        .fallback(|| async { Problem::not_found("no such route; see /v1/openapi.json") })
        // The handlers read bodies themselves, so an oversized one is a
        // problem document, not the framework's plain text.
        .layer(DefaultBodyLimit::max(limit))
        // Outermost: every answer is logged and counted, refusals too.
        .layer(axum::middleware::from_fn_with_state(app.clone(), access::log))
        .with_state(app)
}

/// The committed OpenAPI document.
pub(crate) const OPENAPI: &str = include_str!("../../openapi.json");

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn livez() -> &'static str {
    "ok\n"
}

/// Ready when Temporal answers, the namespace has switchyard's search
/// attributes, and the inventory and policy are loaded (they are, or the
/// service would not have started).
async fn readyz(State(app): State<Shared>) -> Response {
    match client::check_cluster(&app.client, &app.namespace, &app.temporal_address).await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(why) => Problem::not_ready(why).into_response(),
    }
}

async fn metrics(State(app): State<Shared>) -> Response {
    let text = format!(
        "# HELP switchyard_service_requests_total API requests answered.\n# TYPE switchyard_service_requests_total counter\nswitchyard_service_requests_total {}\n\
         # HELP switchyard_service_refused_total API requests refused (authentication, scope, rate, validation).\n# TYPE switchyard_service_refused_total counter\nswitchyard_service_refused_total {}\n",
        app.requests.load(Ordering::Relaxed), app.refused.load(Ordering::Relaxed));
    let mut text = text;
    app.routes.render(&mut text);
    switchyard_starter::process::process_metrics(&mut text);
    switchyard_starter::process::build_info(&mut text, "switchyard-serve");
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route the router serves is in the committed OpenAPI document,
    /// and every documented path is served.
    #[test]
    fn the_openapi_document_lists_exactly_the_routes() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
        assert_eq!(doc["openapi"], "3.1.0");
        let documented: std::collections::BTreeSet<String> = doc["paths"].as_object().expect("paths").keys().cloned().collect();
        let served: std::collections::BTreeSet<String> = ROUTES.iter().map(|r| r.to_string()).collect();
        assert_eq!(documented, served, "openapi.json paths vs. the router's routes");
        // Each file routes its own handlers.
        let source = [include_str!("mod.rs"), include_str!("suites.rs"), include_str!("operate.rs"), include_str!("events.rs")].concat();
        for route in ROUTES {
            assert!(source.contains(&format!(".route(\"{route}\"")), "{route} is in ROUTES but not routed");
        }
        assert_eq!(source.matches(".route(\"").count(), ROUTES.len(), "a routed path is missing from ROUTES");
    }

    /// Each route that takes a body lists exactly the fields of the body
    /// type its handler reads and the remote client writes.
    #[test]
    fn the_openapi_document_lists_each_bodys_fields() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
        for (routes, fields) in switchyard_starter::api::bodies() {
            assert!(!fields.is_empty(), "{routes:?}");
            for route in routes {
                let schema = &doc["paths"][*route]["post"]["requestBody"]["content"]["application/json"]["schema"];
                let documented: std::collections::BTreeSet<&str> = schema["properties"].as_object()
                    .unwrap_or_else(|| panic!("{route}: no request body properties")).keys().map(String::as_str).collect();
                let read: std::collections::BTreeSet<&str> = fields.iter().map(String::as_str).collect();
                assert_eq!(documented, read, "{route}: openapi.json vs. the body type");
                assert_eq!(schema["additionalProperties"], false, "{route}: unknown fields are refused");
            }
        }
    }

    /// Each response body the handlers write and the remote client reads is
    /// documented with exactly its fields, under each route and status that
    /// carries it, and those statuses document no other body.
    #[test]
    fn the_openapi_document_lists_each_responses_fields() {
        use std::collections::{BTreeMap, BTreeSet};
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
        let resolve = |schema: &serde_json::Value| -> serde_json::Value {
            match schema["$ref"].as_str() {
                Some(r) => doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")].clone(),
                None => schema.clone(),
            }
        };
        let mut written: BTreeMap<(String, String, String), BTreeSet<BTreeSet<String>>> = BTreeMap::new();
        for body in switchyard_starter::api::responses() {
            for route in body.routes {
                for status in body.statuses {
                    written.entry((route.to_string(), body.method.to_string(), status.to_string())).or_default().insert(body.fields.iter().cloned().collect());
                }
            }
        }
        for ((route, method, status), bodies) in &written {
            let schema = &doc["paths"][route][method]["responses"][status]["content"]["application/json"]["schema"];
            let alternatives: Vec<serde_json::Value> = match schema["oneOf"].as_array() {
                Some(list) => list.iter().map(&resolve).collect(),
                None => vec![resolve(schema)],
            };
            let documented: BTreeSet<BTreeSet<String>> = alternatives.iter().map(|s| {
                s["properties"].as_object().unwrap_or_else(|| panic!("{method} {route} {status}: no response properties")).keys().cloned().collect()
            }).collect();
            assert_eq!(&documented, bodies, "{method} {route} {status}: openapi.json vs. the response types");
        }
        assert!(written.len() >= 20, "{}", written.len());
    }

    /// Every problem code the service sends is one the document lists.
    #[test]
    fn the_openapi_document_lists_every_problem_code() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
        let listed: Vec<&str> = doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"].as_array().expect("codes")
            .iter().filter_map(|c| c.as_str()).collect();
        let source = include_str!("problem.rs");
        let sent: Vec<&str> = source.split("Self::new(StatusCode::").skip(1)
            .filter_map(|rest| rest.split('"').nth(1)).collect();
        assert!(sent.len() >= 13, "{sent:?}");
        for code in &sent {
            assert!(listed.contains(code), "problem code {code} is not in openapi.json");
        }
        assert_eq!(sent.len(), listed.len(), "openapi.json lists a code the service never sends: {listed:?} vs {sent:?}");
    }

    const ROUTES: &[&str] = &["/livez", "/readyz", "/metrics", "/v1/openapi.json", "/v1/capabilities", "/v1/suites",
        "/v1/suites/{suite_id}", "/v1/suites/{suite_id}/cancel", "/v1/suites/{suite_id}/approve", "/v1/suites/{suite_id}/reject", "/v1/suites/{suite_id}/events",
        "/v1/suites/{suite_id}/resume", "/v1/suites/{suite_id}/rollback", "/v1/suites/{suite_id}/abandon", "/v1/suites/{suite_id}/window",
        "/v1/suites/{suite_id}/parallelism", "/v1/statistics", "/v1/suites/{suite_id}/deliveries", "/v1/devices/{name}/history",
        "/v1/suites/{suite_id}/revert", "/v1/suites/{suite_id}/devices"];
}
