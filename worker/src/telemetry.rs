//! The worker's one scrape port: `/metrics` (the Temporal SDK's metrics and
//! switchyard's, which share the SDK's Prometheus meter), `/livez` (the
//! process answers) and `/readyz` (it passed its start checks and polls).
//!
//! The SDK's exporter keeps its registry to itself and serves it on a port
//! of its own; it is bound to loopback on a free port and this server
//! relays its text, so operators scrape one port per process.
//!
//! Must never: serve anything but these three paths, or block a poller.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use temporalio_common::telemetry::metrics::CoreMeter;
use temporalio_common::telemetry::{PrometheusExporterOptions, start_prometheus_metric_exporter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::warn;

/// What the worker's other parts need from its telemetry.
pub(crate) struct Telemetry {
    /// The meter the SDK and switchyard's own metrics are made on.
    pub(crate) meter: Arc<dyn CoreMeter>,
    /// Set once the worker polls; `/readyz` answers 200 from then on.
    pub(crate) ready: Arc<AtomicBool>,
    /// Where the scrape port is bound.
    pub(crate) address: SocketAddr,
}

/// Starts the SDK's exporter on loopback and the scrape port at `address`.
pub(crate) async fn start(address: SocketAddr) -> anyhow::Result<Telemetry> {
    let options = PrometheusExporterOptions::builder()
        .socket_addr(SocketAddr::from(([127, 0, 0, 1], 0)))
        // Prometheus conventions: counters end in _total, durations are
        // seconds and every histogram names its unit
        // (`temporal_activity_execution_latency_seconds`).
        .counters_total_suffix(true)
        .use_seconds_for_durations(true)
        .unit_suffix(true)
        .build();
    let exporter = start_prometheus_metric_exporter(options).context("cannot start the Prometheus exporter")?;
    let listener = TcpListener::bind(address).await.with_context(|| format!("cannot listen on --metrics-address {address}"))?;
    let bound = listener.local_addr()?;
    let ready = Arc::new(AtomicBool::new(false));
    let (inner, flag) = (exporter.bound_addr, ready.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let flag = flag.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| answer(req, inner, flag.clone()));
                if let Err(e) = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                    warn!(error = %e, "Scrape connection failed");
                }
            });
        }
    });
    Ok(Telemetry { meter: exporter.meter, ready, address: bound })
}

async fn answer(req: Request<hyper::body::Incoming>, exporter: SocketAddr, ready: Arc<AtomicBool>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, content_type, body) = match (req.method().as_str(), req.uri().path()) {
        ("GET", "/metrics") => match relay(exporter).await {
            Ok(mut text) => {
                // The SDK's exporter has no process collector: said here.
                let mut own = String::new();
                switchyard_starter::process::process_metrics(&mut own);
                switchyard_starter::process::build_info(&mut own, "switchyard-worker");
                text.extend_from_slice(own.as_bytes());
                (StatusCode::OK, "text/plain; version=0.0.4", text)
            }
            Err(e) => (StatusCode::SERVICE_UNAVAILABLE, "text/plain", format!("metrics unavailable: {e}\n").into_bytes()),
        },
        ("GET", "/livez") => (StatusCode::OK, "text/plain", b"ok\n".to_vec()),
        ("GET", "/readyz") if ready.load(Ordering::Relaxed) => (StatusCode::OK, "text/plain", b"ready: polling\n".to_vec()),
        ("GET", "/readyz") => (StatusCode::SERVICE_UNAVAILABLE, "text/plain", b"not ready: starting\n".to_vec()),
        _ => (StatusCode::NOT_FOUND, "text/plain", b"not found: /metrics, /livez, /readyz\n".to_vec()),
    };
    let response = Response::builder().status(status).header("content-type", content_type).body(Full::new(Bytes::from(body)));
    Ok(response.unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))))
}

/// The SDK exporter's text, fetched over loopback (HTTP/1.0: it closes
/// the connection after the body).
async fn relay(exporter: SocketAddr) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(exporter).await?;
    stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let start = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
        .ok_or_else(|| std::io::Error::other("the exporter's answer has no body"))?;
    Ok(raw.split_off(start))
}
