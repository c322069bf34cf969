//! The service's HTTP client: what the CLI calls instead of Temporal when
//! it is given `--api URL` (and `SWITCHYARD_API_KEY`). One method per
//! route of `switchyard serve`, each returning the same contract types as
//! [`crate::client`], so a command prints the same output either way.
//!
//! The caller's identity is the API key; the service signs decisions for
//! the key's principal. A refusal is the service's problem document, shown
//! with its code and its detail.
//!
//! Must never: put the API key in an error, a log line or a URL; follow a
//! redirect (it would carry the key elsewhere).

use switchyard_http::Method;
use serde_json::Value;
use switchyard_proto::v1::{DeviceHistory, DevicePage, DevicePageRequest, OperatorAction, OperatorEvent, RecordedDecision, SuiteStatus};

pub use crate::api::Created;
use crate::api::{AnswerBody, Answered, CancelBody, Deliveries, ParallelismBody, ParallelismSet, ReviewBody, Reviewed, Sent, SuitePage, WindowBody, WindowMoved};
use crate::client::{EventLog, ListedSuite, SuiteFilter};

/// A refusal or a failure to reach the service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The service URL cannot be used.
    #[error("service address {address:?}: {why}")]
    Address {
        /// The address as given.
        address: String,
        /// What is wrong with it.
        why: String,
    },
    /// No connection (or no answer) at the address.
    #[error("cannot reach the service at {address}: {why}")]
    Connect {
        /// host:port dialled.
        address: String,
        /// The cause.
        why: String,
    },
    /// The service answered with a problem document.
    #[error("the service refused ({status} {code}): {detail}")]
    Problem {
        /// HTTP status.
        status: u16,
        /// The problem's stable code (e.g. `forbidden`, `invalid-suite`).
        code: String,
        /// What it says happened.
        detail: String,
        /// The whole document (with `file`, `line`, `field`, … when sent).
        document: Value,
    },
    /// The answer is not what the API documents.
    #[error("unexpected answer from the service ({status}): {why}")]
    Protocol {
        /// HTTP status.
        status: u16,
        /// What did not fit.
        why: String,
    },
}

/// The service at one base URL, with one API key.
#[derive(Clone)]
pub struct Service {
    base: url::Url,
    key: String,
    http: switchyard_http::Client,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Service").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

impl Service {
    /// The service at `base` (`http://` or `https://`, verified against the
    /// system's roots) with API key `key`.
    pub fn new(base: &str, key: &str) -> Result<Self, ServiceError> {
        let bad = |why: &str| ServiceError::Address { address: base.to_string(), why: why.to_string() };
        let mut url = url::Url::parse(base).map_err(|e| bad(&e.to_string()))?;
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        if url.host_str().is_none() {
            return Err(bad("it has no host"));
        }
        if key.trim().is_empty() {
            return Err(bad("no API key: set SWITCHYARD_API_KEY (switchyard keys create makes one)"));
        }
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad(&format!("scheme {} is neither http nor https", url.scheme())));
        }
        Ok(Self { base: url, key: key.trim().to_string(), http: switchyard_http::Client::system() })
    }

    /// The same service reached with `files` for `https://`: a private CA,
    /// a client certificate where the service asks for one.
    pub fn with_tls(mut self, files: &switchyard_http::TlsFiles) -> Result<Self, ServiceError> {
        self.http = switchyard_http::Client::with_files(files)
            .map_err(|why| ServiceError::Address { address: self.base.to_string(), why })?;
        Ok(self)
    }

    /// `POST /v1/suites`: launch (or, with `plan_only`, plan) the suite
    /// whose YAML is `text`; the service selects devices from its inventory.
    pub async fn create(&self, text: &str, plan_only: bool) -> Result<Created, ServiceError> {
        let path = if plan_only { "v1/suites?plan_only=true" } else { "v1/suites" };
        let (status, body) = self.call(Method::POST, path, "application/yaml", text.as_bytes().to_vec()).await?;
        decode(status, &body)
    }

    /// `POST /v1/suites/{id}/revert`: starts the suite that undoes it.
    pub async fn revert(&self, suite_id: &str, window_start: &str, window_end: &str) -> Result<crate::api::Reverted, ServiceError> {
        let body = crate::api::RevertBody { window_start: window_start.to_string(), window_end: window_end.to_string() };
        let (status, body) = self.post(&format!("v1/suites/{}/revert", segment(suite_id)), &to_json(body)).await?;
        decode(status, &body)
    }

    /// `GET /v1/suites/{id}`: the suite's whole status.
    pub async fn status(&self, suite_id: &str) -> Result<SuiteStatus, ServiceError> {
        let (status, body) = self.call(Method::GET, &format!("v1/suites/{}", segment(suite_id)), "", Vec::new()).await?;
        decode(status, &body)
    }

    /// `GET /v1/suites/{id}/devices`: one page of the suite's devices.
    pub async fn devices_page(&self, suite_id: &str, req: &DevicePageRequest) -> Result<DevicePage, ServiceError> {
        let mut query = vec![format!("page_size={}", req.page_size.max(1))];
        if !req.page_token.is_empty() {
            query.push(format!("page_token={}", encode(&req.page_token)));
        }
        if req.status != 0 {
            let status = switchyard_proto::vocabulary::device_status_name(req.status());
            query.push(format!("status={status}"));
        }
        if req.with_diff {
            query.push("with_diff=true".into());
        }
        let (status, body) = self.call(Method::GET, &format!("v1/suites/{}/devices?{}", segment(suite_id), query.join("&")), "", Vec::new()).await?;
        decode(status, &body)
    }

    /// `GET /v1/suites`, every page until `limit`.
    pub async fn list(&self, filter: &SuiteFilter, limit: usize) -> Result<Vec<ListedSuite>, ServiceError> {
        let mut suites = Vec::new();
        let mut token = String::new();
        loop {
            let mut query = vec![("limit", (limit - suites.len()).min(1000).to_string())];
            for (name, value) in [("phase", &filter.status), ("name", &filter.name), ("requester", &filter.requester)] {
                if let Some(v) = value {
                    query.push((name, v.clone()));
                }
            }
            if let Some(change) = filter.change {
                query.push(("kind", if change { "change" } else { "plan" }.to_string()));
            }
            if !token.is_empty() {
                query.push(("page_token", token.clone()));
            }
            let query: Vec<String> = query.iter().map(|(n, v)| format!("{n}={}", encode(v))).collect();
            let (status, body) = self.call(Method::GET, &format!("v1/suites?{}", query.join("&")), "", Vec::new()).await?;
            let page: SuitePage = decode(status, &body)?;
            suites.extend(page.suites);
            if page.next_page_token.is_empty() || suites.len() >= limit {
                suites.truncate(limit);
                return Ok(suites);
            }
            token = page.next_page_token;
        }
    }

    /// `POST /v1/suites/{id}/approve` or `…/reject` for the key's principal:
    /// the suite's record of it, none when the suite had not recorded it in
    /// time.
    pub async fn review(&self, suite_id: &str, approve: bool, plan_hash: &str, comment: &str) -> Result<Option<RecordedDecision>, ServiceError> {
        let verb = if approve { "approve" } else { "reject" };
        let body = ReviewBody { plan_hash: plan_hash.into(), comment: comment.into() };
        let (status, body) = self.post(&format!("v1/suites/{}/{verb}", segment(suite_id)), &to_json(body)).await?;
        if not_recorded(status, &body) {
            return Ok(None);
        }
        // 422: recorded and not counted, which the record says.
        let status = if status == 422 { 200 } else { status };
        Ok(Some(decode::<Reviewed>(status, &body)?.decision))
    }

    /// `POST /v1/suites/{id}/resume|rollback|abandon|cancel`: the operator
    /// log's entry for the answer (whether it applied and why not), once
    /// recorded.
    pub async fn answer(&self, suite_id: &str, action: OperatorAction, comment: &str) -> Result<Option<OperatorEvent>, ServiceError> {
        // The route is the decision's name (resume, rollback, abandon, cancel).
        let verb = switchyard_proto::trust::Kind::of_operator_action(action).map_or("abandon", |k| k.name());
        let body = if action == OperatorAction::Cancel { to_json(CancelBody { reason: comment.into() }) } else { to_json(AnswerBody { comment: comment.into() }) };
        let (status, body) = self.post(&format!("v1/suites/{}/{verb}", segment(suite_id)), &body).await?;
        if not_recorded(status, &body) {
            return Ok(None);
        }
        let status = if status == 422 { 200 } else { status };
        Ok(Some(decode::<Answered>(status, &body)?.event))
    }

    /// `GET /v1/suites/{id}/deliveries`: every event and its deliveries.
    pub async fn event_log(&self, suite_id: &str) -> Result<Vec<EventLog>, ServiceError> {
        let (status, body) = self.call(Method::GET, &format!("v1/suites/{}/deliveries", segment(suite_id)), "", Vec::new()).await?;
        Ok(decode::<Deliveries>(status, &body)?.events)
    }

    /// `GET /v1/devices/{name}/history`: the device's runs and owned rows.
    pub async fn device_history(&self, device: &str) -> Result<Option<DeviceHistory>, ServiceError> {
        let (status, body) = self.call(Method::GET, &format!("v1/devices/{}/history", segment(device)), "", Vec::new()).await?;
        if status == 404 {
            return Ok(None);
        }
        decode(status, &body).map(Some)
    }

    /// `POST /v1/suites/{id}/window`: the window's end now in force.
    pub async fn extend_window(&self, suite_id: &str, end: &str, comment: &str) -> Result<String, ServiceError> {
        let (status, body) = self.post(&format!("v1/suites/{}/window", segment(suite_id)), &to_json(WindowBody { end: end.into(), comment: comment.into() })).await?;
        Ok(decode::<WindowMoved>(status, &body)?.window_end)
    }

    /// `POST /v1/suites/{id}/parallelism`: the parallelism before.
    pub async fn set_parallelism(&self, suite_id: &str, parallelism: u32) -> Result<u32, ServiceError> {
        let (status, body) = self.post(&format!("v1/suites/{}/parallelism", segment(suite_id)), &to_json(ParallelismBody { parallelism: Some(parallelism) })).await?;
        Ok(decode::<ParallelismSet>(status, &body)?.previous)
    }

    async fn post(&self, path: &str, body: &Value) -> Result<(u16, Vec<u8>), ServiceError> {
        self.call(Method::POST, path, "application/json", body.to_string().into_bytes()).await
    }

    /// One request on a fresh connection (a CLI makes a handful).
    async fn call(&self, method: Method, path: &str, content_type: &str, body: Vec<u8>) -> Result<(u16, Vec<u8>), ServiceError> {
        let url = self.base.join(path).map_err(|e| ServiceError::Address { address: self.base.to_string(), why: e.to_string() })?;
        let address = format!("{}:{}", url.host_str().unwrap_or_default(), url.port_or_known_default().unwrap_or(80));
        let bearer = format!("Bearer {}", self.key);
        let mut headers = vec![("authorization", bearer.as_str()), ("accept", "application/json")];
        if !content_type.is_empty() {
            headers.push(("content-type", content_type));
        }
        let response = self.http.request(method, url.as_str(), &headers, body).await
            .map_err(|why| ServiceError::Connect { address, why })?;
        Ok((response.status, response.body))
    }
}

/// A success body as `T`, or the problem document as the error.
/// A decision sent that the suite had not recorded yet (202 with `sent`;
/// an applied cancel is a 202 too, with the operator log's entry).
fn not_recorded(status: u16, body: &[u8]) -> bool {
    status == 202 && serde_json::from_slice::<Sent>(body).is_ok_and(|s| s.sent)
}

fn decode<T: serde::de::DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, ServiceError> {
    if (200..300).contains(&status) {
        return serde_json::from_slice(body).map_err(|e| ServiceError::Protocol { status, why: e.to_string() });
    }
    let document: Value = serde_json::from_slice(body)
        .map_err(|_| ServiceError::Protocol { status, why: String::from_utf8_lossy(body).chars().take(300).collect() })?;
    let text = |name: &str| document.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
    Err(ServiceError::Problem { status, code: text("code"), detail: text("detail"), document })
}

/// `text` as one URL path segment.
fn segment(text: &str) -> String {
    encode(text)
}

/// `text` percent-encoded for a path segment or a query value.
fn encode(text: &str) -> String {
    switchyard_http::encode_component(text)
}

/// A request body as JSON (the body types serialise infallibly).
fn to_json<T: serde::Serialize>(body: T) -> Value {
    serde_json::to_value(body).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_document_is_the_error_with_its_code() {
        let body = br#"{"code":"forbidden","detail":"key 1 may act on sites=lab1","status":403}"#;
        let e = decode::<Value>(403, body).unwrap_err();
        assert_eq!(e.to_string(), "the service refused (403 forbidden): key 1 may act on sites=lab1");
        assert!(matches!(decode::<Value>(502, b"<html>bad gateway</html>"), Err(ServiceError::Protocol { status: 502, .. })));
    }

    #[test]
    fn the_key_is_never_shown() {
        let service = Service::new("http://127.0.0.1:1/base", "sy_ab_secret").unwrap();
        assert!(!format!("{service:?}").contains("secret"));
        assert_eq!(service.base.as_str(), "http://127.0.0.1:1/base/");
        assert!(Service::new("ftp://x", "k").unwrap_err().to_string().contains("neither http nor https"));
        assert!(Service::new("http://x", " ").unwrap_err().to_string().contains("SWITCHYARD_API_KEY"));
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }
}
