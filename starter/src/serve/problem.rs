//! Errors as RFC 9457 problem documents (`application/problem+json`), each
//! with a stable `code` a client can branch on, and for a suite the place
//! in it to blame (`file`, `line`, `column`, `field`).
//!
//! Must never: carry a secret (a key's secret, a signature) or a Rust
//! panic's text; every refusal says why.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use switchyard_proto::SourceError;

/// One problem: the HTTP status, a stable code, and what happened.
#[derive(Debug)]
pub(crate) struct Problem {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: String,
    extra: Map<String, Value>,
    headers: Vec<(header::HeaderName, String)>,
}

impl Problem {
    fn new(status: StatusCode, code: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Self { status, code, title, detail: detail.into(), extra: Map::new(), headers: Vec::new() }
    }

    /// A member beside the standard ones.
    pub(crate) fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(name.to_string(), value.into());
        self
    }

    /// A response header (`Retry-After`, `WWW-Authenticate`, ...).
    pub(crate) fn header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The suite (or its policy verdict) is refused at a place in its text.
    pub(crate) fn invalid_suite(e: &SourceError) -> Self {
        let each: Vec<serde_json::Value> = e.clone().into_each().iter()
            .map(|m| serde_json::json!({ "line": m.line, "column": m.column, "field": m.field, "message": m.message }))
            .collect();
        Self::new(StatusCode::BAD_REQUEST, "invalid-suite", "The suite is not valid", e.to_string())
            .with("file", e.file.clone()).with("line", e.line).with("column", e.column).with("field", e.field.clone())
            .with("message", e.message.clone()).with("errors", each)
    }

    /// The organisation's policy refuses the suite.
    pub(crate) fn policy_denied(e: &SourceError, detail: String) -> Self {
        Self::new(StatusCode::FORBIDDEN, "policy-denied", "The policy refuses this suite", detail)
            .with("file", e.file.clone()).with("line", e.line).with("column", e.column).with("field", e.field.clone())
    }

    pub(crate) fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", "The request is not valid", detail)
    }

    pub(crate) fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "No valid API key", detail)
            .header(header::WWW_AUTHENTICATE, "Bearer realm=\"switchyard\"")
    }

    pub(crate) fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "The API key may not do this", detail)
    }

    pub(crate) fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "No such resource", detail)
    }

    pub(crate) fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", "It conflicts with what exists", detail)
    }

    /// The suite judged the request and refused it (a window end earlier
    /// than now, a parallelism past its policy, …).
    pub(crate) fn refused(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", "The suite refused it", detail)
    }

    pub(crate) fn too_large(limit: usize) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "body-too-large", "The request body is too large",
            format!("request bodies are limited to {limit} bytes")).with("limit", limit)
    }

    /// Over the key's rate: when to try again, and the policy's name.
    pub(crate) fn rate_limited(policy: &str, retry_after: u64) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited", "Too many requests",
            format!("the key's rate limit ({policy}) is used up; retry in {retry_after}s"))
            .with("policy", policy.to_string())
            .header(header::RETRY_AFTER, retry_after.to_string())
    }

    /// The inventory's source of truth could not be read (or said
    /// something that cannot be used) for this suite: nothing started.
    pub(crate) fn inventory_unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "inventory-unavailable", "The inventory's source of truth cannot be read", detail)
    }

    /// The admission limit on running suites is reached.
    pub(crate) fn too_many_suites(running: u64, limit: u64) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "too-many-suites", "Too many suites are running",
            format!("{running} change suites are running and the service admits {limit} (--max-running); retry when one ends"))
            .with("policy", format!("max-running={limit}"))
            .with("running", running)
            .header(header::RETRY_AFTER, "30")
    }

    pub(crate) fn temporal_unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "temporal-unavailable", "Temporal is not reachable", detail)
            .header(header::RETRY_AFTER, "5")
    }

    pub(crate) fn not_ready(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "not-ready", "The service is not ready", detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": format!("https://switchyard.dev/problems/{}", self.code),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
            "code": self.code,
        });
        if let Value::Object(map) = &mut body {
            map.extend(self.extra);
        }
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        }
        response
    }
}
