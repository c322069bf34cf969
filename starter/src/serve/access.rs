//! What the service tells its operators about each request: one access-log
//! line (method, route, status, milliseconds) and per-route metrics
//! (requests by method, route and status; latency by method and route as a
//! histogram in seconds).
//!
//! A route is the router's pattern (`/v1/suites/{suite_id}`), never the
//! path a client sent, so the labels stay bounded whatever is requested;
//! a path no route matches is `unmatched`. Must never: log a header, a
//! query string or a body (keys and signed messages travel in them).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::Shared;

/// Latency buckets, in seconds.
const BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Requests counted by (method, route, status), latencies by (method, route).
#[derive(Debug, Default)]
pub(crate) struct RouteMetrics {
    counts: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
}

#[derive(Debug, Default, Clone)]
struct Histogram {
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
}

impl RouteMetrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry((method.to_string(), route.to_string(), status)).or_default() += 1;
        drop(counts);
        let mut latency = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let h = latency.entry((method.to_string(), route.to_string())).or_insert_with(|| Histogram { buckets: vec![0; BUCKETS.len()], ..Default::default() });
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.buckets[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    /// The metrics in Prometheus' text format.
    pub(crate) fn render(&self, out: &mut String) {
        out.push_str("# HELP switchyard_service_http_requests_total API requests answered, by method, route and status.\n");
        out.push_str("# TYPE switchyard_service_http_requests_total counter\n");
        for ((method, route, status), n) in self.counts.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "switchyard_service_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}");
        }
        out.push_str("# HELP switchyard_service_http_request_duration_seconds Time to answer an API request, by method and route.\n");
        out.push_str("# TYPE switchyard_service_http_request_duration_seconds histogram\n");
        for ((method, route), h) in self.latency.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            for (bound, n) in BUCKETS.iter().zip(&h.buckets) {
                let _ = writeln!(out, "switchyard_service_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(out, "switchyard_service_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "switchyard_service_http_request_duration_seconds_sum{{{labels}}} {}", h.sum);
            let _ = writeln!(out, "switchyard_service_http_request_duration_seconds_count{{{labels}}} {}", h.count);
        }
    }
}

/// The middleware: times the request, then logs and counts it.
pub(crate) async fn log(State(app): State<Shared>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    app.routes.record(&method, &route, status, seconds);
    tracing::info!(target: "switchyard::access", method = %method, route = %route, status, millis = (seconds * 1000.0).round() as u64, "request");
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_counted_and_timed_in_seconds() {
        let m = RouteMetrics::default();
        m.record("GET", "/v1/suites/{suite_id}", 200, 0.003);
        m.record("GET", "/v1/suites/{suite_id}", 404, 0.2);
        let mut out = String::new();
        m.render(&mut out);
        assert!(out.contains("switchyard_service_http_requests_total{method=\"GET\",route=\"/v1/suites/{suite_id}\",status=\"404\"} 1"), "{out}");
        assert!(out.contains("_bucket{method=\"GET\",route=\"/v1/suites/{suite_id}\",le=\"0.005\"} 1"), "{out}");
        assert!(out.contains("_bucket{method=\"GET\",route=\"/v1/suites/{suite_id}\",le=\"0.25\"} 2"), "{out}");
        assert!(out.contains("_count{method=\"GET\",route=\"/v1/suites/{suite_id}\"} 2"), "{out}");
    }
}
