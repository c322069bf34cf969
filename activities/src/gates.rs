//! Gates between waves: a Prometheus instant query, read until every sample
//! has stayed within the gate's bounds for its duration, or one has not.
//!
//! The worker names its Prometheus endpoints (`--prometheus NAME=URL`) and a
//! suite names one, never a URL: a suite cannot make the worker call an
//! address of its choosing. A Prometheus that cannot be asked, or a query
//! with no samples (unless the gate says otherwise), fails the gate: a gate
//! that cannot see the network does not let a wave through.
//!
//! Must never: write anything, or call a URL a workflow gave.

#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchyard_http::Method;
use switchyard_proto::checks::{gate_expected, gate_query, judge_gate};
use switchyard_proto::names;
use switchyard_proto::time::format_rfc3339;
use switchyard_proto::v1::{CheckGateRequest, CheckGateResult, Gate, GateReading};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::info;

/// Between two reads of a gate that must hold for a while.
const INTERVAL: Duration = Duration::from_secs(15);
/// One query's answer, at most (Prometheus answers in milliseconds).
const QUERY_TIMEOUT: Duration = Duration::from_secs(20);

/// The worker's Prometheus endpoints, by name.
pub struct GateActivities {
    endpoints: BTreeMap<String, String>,
}

impl GateActivities {
    /// Gates read against `endpoints` (name to base URL).
    pub fn new(endpoints: BTreeMap<String, String>) -> Self {
        Self { endpoints }
    }
}

#[activities]
impl GateActivities {
    /// Reads one gate after a wave: its query, every `INTERVAL`, until it
    /// has held for the gate's duration or a reading falls outside.
    #[activity(name = names::ACTIVITY_CHECK_GATE)]
    pub async fn check_gate(self: Arc<Self>, ctx: ActivityContext, req: CheckGateRequest) -> Result<CheckGateResult, ActivityError> {
        let gate = req.gate.unwrap_or_default();
        let query = gate_query(&gate, &req.devices);
        let endpoint = self.endpoints.get(&gate.prometheus).cloned();
        let read = read_gate(endpoint.as_deref(), &gate, &query);
        let beat = async {
            loop {
                let _ = ctx.record_heartbeat(String::new()).await;
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        };
        let (passed, observed, held_seconds) = tokio::select! {
            out = read => out,
            never = beat => never,
        };
        info!(suite_id = %req.suite_id, wave = req.wave, gate = %gate.name, passed, observed = %observed, "Gate read");
        Ok(CheckGateResult {
            reading: Some(GateReading {
                name: gate.name.clone(), wave: req.wave, passed, expected: gate_expected(&gate), observed,
                at: format_rfc3339(now_unix()), held_seconds, query,
            }),
        })
    }
}

/// Whether the gate held, what it showed last, and for how long it held.
async fn read_gate(endpoint: Option<&str>, gate: &Gate, query: &str) -> (bool, String, u32) {
    let Some(base) = endpoint else {
        return (false, format!("this worker has no Prometheus endpoint {:?} (--prometheus {}=URL)", gate.prometheus, gate.prometheus), 0);
    };
    let started = Instant::now();
    loop {
        let (passed, observed) = match instant_query(base, query).await {
            Ok(samples) => judge_gate(gate, &samples),
            Err(e) => (false, format!("could not query Prometheus {:?}: {e}", gate.prometheus)),
        };
        let held = started.elapsed().as_secs() as u32;
        if !passed || held >= gate.for_seconds {
            return (passed, observed, held);
        }
        tokio::time::sleep(INTERVAL.min(Duration::from_secs(u64::from(gate.for_seconds - held)))).await;
    }
}

/// One instant query: each sample as its labels in words and its value.
async fn instant_query(base: &str, query: &str) -> Result<Vec<(String, f64)>, String> {
    let url = format!("{}/api/v1/query?query={}", base.trim_end_matches('/'), switchyard_http::encode_component(query));
    let call = switchyard_http::request(Method::GET, &url, &[("accept", "application/json")], Vec::new());
    let response = tokio::time::timeout(QUERY_TIMEOUT, call).await.map_err(|_| format!("no answer in {}s", QUERY_TIMEOUT.as_secs()))??;
    let body: serde_json::Value = serde_json::from_slice(&response.body).map_err(|e| format!("HTTP {}: not JSON ({e})", response.status))?;
    if response.status != 200 || body["status"] != "success" {
        let why = body["error"].as_str().unwrap_or("no error given");
        return Err(format!("HTTP {}: {why}", response.status));
    }
    samples(&body["data"])
}

/// The samples of a query's `data`: a vector's series, or a scalar.
fn samples(data: &serde_json::Value) -> Result<Vec<(String, f64)>, String> {
    let value = |pair: &serde_json::Value| -> Result<f64, String> {
        pair[1].as_str().and_then(|v| v.parse::<f64>().ok()).ok_or_else(|| format!("a sample without a number: {pair}"))
    };
    match data["resultType"].as_str() {
        Some("vector") => data["result"].as_array().map_or(Ok(Vec::new()), |series| {
            series.iter().map(|s| Ok((labels(&s["metric"]), value(&s["value"])?))).collect()
        }),
        Some("scalar") => Ok(vec![("scalar".into(), value(&data["result"])?)]),
        other => Err(format!("a {} result; a gate takes an instant vector or a scalar", other.unwrap_or("missing"))),
    }
}

/// A series' labels as PromQL writes them, e.g. `{device="sonic-d001"}`.
fn labels(metric: &serde_json::Value) -> String {
    let pairs: Vec<String> = metric.as_object().map_or(Vec::new(), |m| m.iter().map(|(k, v)| format!("{k}={v}")).collect());
    format!("{{{}}}", pairs.join(","))
}

fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_answers_become_samples() {
        let vector: serde_json::Value = serde_json::from_str(r#"{"resultType":"vector","result":[{"metric":{"device":"sonic-d001"},"value":[1.5,"3"]},{"metric":{},"value":[1.5,"NaN"]}]}"#).unwrap();
        let got = samples(&vector).unwrap();
        assert_eq!(got[0], ("{device=\"sonic-d001\"}".to_string(), 3.0));
        assert!(got[1].0 == "{}" && got[1].1.is_nan());
        let scalar: serde_json::Value = serde_json::from_str(r#"{"resultType":"scalar","result":[1.5,"0"]}"#).unwrap();
        assert_eq!(samples(&scalar).unwrap(), vec![("scalar".to_string(), 0.0)]);
        let matrix: serde_json::Value = serde_json::from_str(r#"{"resultType":"matrix","result":[]}"#).unwrap();
        assert!(samples(&matrix).unwrap_err().contains("a matrix result"));
    }
}
