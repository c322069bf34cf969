//! Traces over OTLP: one setup shared by every process that talks to
//! Temporal (the CLI, and the worker through this library).
//!
//! When an OTLP endpoint is given, [`install`] sets the process's global
//! tracer provider (batching spans to the endpoint over gRPC) and returns
//! the Temporal SDK's OpenTelemetry plugin. The plugin carries the trace
//! context in the `_tracer-data` header of every start, signal, activity
//! and child workflow, so the CLI's `StartWorkflow` span, the suite's
//! workflow and phase spans, each device workflow and each device step
//! land in one trace. Workflow span ids come from workflow randomness and
//! spans begun while replaying are never exported, so a worker restart
//! neither repeats nor re-numbers them. Without an endpoint nothing is
//! installed and nothing is exported. Must never: put a secret in a span
//! (spans carry suite ids, device names, operations and outcomes only).

use std::time::Duration;

use opentelemetry::global;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use temporalio_sdk::opentelemetry::{OpenTelemetryPlugin, WorkflowIdGenerator, WorkflowSpanProcessor};
use temporalio_sdk::SimplePlugin;

/// Why traces could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TracesError {
    /// The endpoint is not an `http://` or `https://` URL.
    #[error("--otlp-endpoint {0:?}: expected an http:// or https:// URL of an OTLP/gRPC receiver (e.g. http://127.0.0.1:4317)")]
    Endpoint(String),
    /// The exporter could not be built.
    #[error("--otlp-endpoint {endpoint}: {message}")]
    Exporter {
        /// The endpoint given.
        endpoint: String,
        /// The exporter's reason.
        message: String,
    },
}

/// The installed tracer provider; [`Traces::shutdown`] flushes what is
/// still batched (a CLI that exits without it loses its last spans).
pub struct Traces {
    provider: SdkTracerProvider,
    plugin: SimplePlugin,
}

impl Traces {
    /// The plugin to register on the Temporal client (and through it on a
    /// worker): it makes and propagates the Temporal spans.
    pub fn plugin(&self) -> SimplePlugin {
        self.plugin.clone()
    }

    /// Exports the spans still batched and stops the exporter; says why
    /// when the receiver could not take them.
    pub fn shutdown(&self) -> Result<(), String> {
        self.provider.shutdown().map_err(|e| format!("the last spans could not be exported: {e}"))
    }
}

/// Sets up traces for `service` (its `service.name`) when `endpoint` is
/// given. Must run inside the Tokio runtime (the gRPC exporter's channel is
/// made on it).
pub fn install(service: &'static str, endpoint: Option<&str>) -> Result<Option<Traces>, TracesError> {
    let Some(endpoint) = endpoint.map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
        return Err(TracesError::Endpoint(endpoint.to_string()));
    }
    let exporter = SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .with_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| TracesError::Exporter { endpoint: endpoint.to_string(), message: e.to_string() })?;
    // Replay must neither export a span twice nor give it another id: the
    // SDK's wrappers see to both for the spans workflow code makes.
    let processor = WorkflowSpanProcessor::new(BatchSpanProcessor::builder(exporter).build());
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_id_generator(WorkflowIdGenerator::default())
        .with_resource(Resource::builder().with_service_name(service).build())
        .build();
    global::set_tracer_provider(provider.clone());
    let plugin = OpenTelemetryPlugin::builder().tracer(provider.tracer("switchyard")).build();
    Ok(Some(Traces { provider, plugin }))
}
