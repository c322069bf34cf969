//! The service's request bodies, in one place: the handlers of
//! `switchyard serve` read them and the CLI's remote client (`remote.rs`)
//! writes them, and the committed OpenAPI document is checked against
//! them (each field, and no other, under the route that takes it).
//!
//! Must never: hold a field the service does not read.

use serde::{Deserialize, Serialize};

/// `POST /v1/suites/{id}/approve` and `…/reject`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// The plan reviewed; the suite's current plan when empty.
    #[serde(default)]
    pub plan_hash: String,
    /// Recorded with the decision.
    #[serde(default)]
    pub comment: String,
}

/// `POST /v1/suites/{id}/resume`, `…/rollback` and `…/abandon`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// Recorded with the answer.
    #[serde(default)]
    pub comment: String,
}

/// `POST /v1/suites/{id}/cancel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Why, recorded with the decision.
    #[serde(default)]
    pub reason: String,
}

/// `POST /v1/suites/{id}/window`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowBody {
    /// The new end, RFC 3339.
    #[serde(default)]
    pub end: String,
    /// Recorded with the change.
    #[serde(default)]
    pub comment: String,
}

/// `POST /v1/suites/{id}/parallelism`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParallelismBody {
    /// Devices changed at once, 1..=1000.
    pub parallelism: Option<u32>,
}

/// Each body's routes and its fields, as JSON names them: what the OpenAPI
/// document must say each route takes.
pub fn bodies() -> Vec<(&'static [&'static str], Vec<String>)> {
    fn fields<T: Serialize>(body: T) -> Vec<String> {
        match serde_json::to_value(body) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }
    vec![
        (&["/v1/suites/{suite_id}/approve", "/v1/suites/{suite_id}/reject"], fields(ReviewBody::default())),
        (&["/v1/suites/{suite_id}/resume", "/v1/suites/{suite_id}/rollback", "/v1/suites/{suite_id}/abandon"], fields(AnswerBody::default())),
        (&["/v1/suites/{suite_id}/cancel"], fields(CancelBody::default())),
        (&["/v1/suites/{suite_id}/window"], fields(WindowBody::default())),
        (&["/v1/suites/{suite_id}/parallelism"], fields(ParallelismBody { parallelism: Some(1) })),
    ]
}
