//! The service's request and response bodies, in one place: the handlers
//! of `switchyard serve` read the requests and write the responses, the
//! CLI's remote client (`remote.rs`) does the reverse, and the committed
//! OpenAPI document is checked against them (each field, and no other,
//! under the route and status that carry it).
//!
//! Must never: hold a field the service does not read or write.

use serde::{Deserialize, Serialize};
use switchyard_proto::v1::{OperatorEvent, RecordedDecision};

use crate::client::{EventLog, ListedSuite};

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

/// `POST /v1/suites/{id}/revert` (the body is optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevertBody {
    /// The revert's change window, RFC 3339; none when both are empty.
    #[serde(default)]
    pub window_start: String,
    /// Its end.
    #[serde(default)]
    pub window_end: String,
}

/// `POST /v1/suites/{id}/parallelism`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParallelismBody {
    /// Devices changed at once, 1..=1000.
    pub parallelism: Option<u32>,
}

/// `POST /v1/suites`: 201 when started, 200 for a retried create.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    /// The suite id.
    pub suite_id: String,
    /// Devices it targets.
    pub devices: usize,
    /// False when an `Idempotency-Key` named a suite already started.
    pub created: bool,
    /// The Web UI page of the suite.
    pub web_ui: String,
}

/// `POST /v1/suites/{suite_id}/revert`: 201 when the revert suite started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reverted {
    /// The revert suite's id (the suite's own, then `-revert`).
    pub suite_id: String,
    /// The suite it reverts.
    pub reverts: String,
    /// Devices it undoes steps on.
    pub devices: usize,
    /// Devices of the suite it leaves alone, each with why.
    pub skipped: Vec<SkippedDevice>,
    /// The Web UI page of the revert suite.
    pub web_ui: String,
}

/// A device a revert leaves alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedDevice {
    /// The device.
    pub device: String,
    /// Why nothing of the suite is to undo there.
    pub reason: String,
}

/// `GET /v1/suites`: one page, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuitePage {
    /// The suites on this page.
    pub suites: Vec<ListedSuite>,
    /// The next page's `page_token`; empty on the last page.
    #[serde(default)]
    pub next_page_token: String,
}

/// 202 from a decision (approve, reject, resume, rollback, abandon,
/// cancel) the suite had not recorded when the service stopped waiting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    /// The suite.
    pub suite_id: String,
    /// Always true: the signal was delivered.
    pub sent: bool,
}

/// `POST /v1/suites/{id}/approve|reject`, once the suite recorded it:
/// 200 when it counts, 422 when not (the reason says why).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reviewed {
    /// The suite.
    pub suite_id: String,
    /// Whether it counts towards the suite's approvals.
    pub counted: bool,
    /// Why not, when it does not count.
    #[serde(default)]
    pub reason: String,
    /// The suite's record of the decision.
    pub decision: RecordedDecision,
}

/// `POST /v1/suites/{id}/resume|rollback|abandon|cancel`, once the suite
/// logged it: the route's success code when applied, 422 when not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Answered {
    /// The suite.
    pub suite_id: String,
    /// Whether the suite applied it.
    pub applied: bool,
    /// Why not, when it did not.
    #[serde(default)]
    pub reason: String,
    /// The operator log's entry.
    pub event: OperatorEvent,
}

/// `POST /v1/suites/{id}/window`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowMoved {
    /// The suite.
    pub suite_id: String,
    /// The window's end now in force, RFC 3339.
    pub window_end: String,
}

/// `POST /v1/suites/{id}/parallelism`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParallelismSet {
    /// The suite.
    pub suite_id: String,
    /// Devices changed at once from now on.
    pub parallelism: u32,
    /// What it was before.
    pub previous: u32,
}

/// `GET /v1/suites/{id}/deliveries`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Deliveries {
    /// The suite.
    pub suite_id: String,
    /// Every event it emitted, with its deliveries.
    pub events: Vec<EventLog>,
}

/// Each body's routes and its fields, as JSON names them: what the OpenAPI
/// document must say each route takes.
pub fn bodies() -> Vec<(&'static [&'static str], Vec<String>)> {
    vec![
        (&["/v1/suites/{suite_id}/approve", "/v1/suites/{suite_id}/reject"], fields(ReviewBody::default())),
        (&["/v1/suites/{suite_id}/resume", "/v1/suites/{suite_id}/rollback", "/v1/suites/{suite_id}/abandon"], fields(AnswerBody::default())),
        (&["/v1/suites/{suite_id}/cancel"], fields(CancelBody::default())),
        (&["/v1/suites/{suite_id}/window"], fields(WindowBody::default())),
        (&["/v1/suites/{suite_id}/parallelism"], fields(ParallelismBody { parallelism: Some(1) })),
        (&["/v1/suites/{suite_id}/revert"], fields(RevertBody::default())),
    ]
}

/// One response body as the OpenAPI document must list it.
#[derive(Debug)]
pub struct Documented {
    /// The routes that answer with it.
    pub routes: &'static [&'static str],
    /// Their method, lower case.
    pub method: &'static str,
    /// The statuses that carry it.
    pub statuses: &'static [&'static str],
    /// Its fields, as JSON names them.
    pub fields: Vec<String>,
}

/// Each response body's routes, with the method and statuses that carry
/// it, and its fields: what the OpenAPI document must say each answers.
pub fn responses() -> Vec<Documented> {
    const DECISIONS: &[&str] = &["/v1/suites/{suite_id}/approve", "/v1/suites/{suite_id}/reject", "/v1/suites/{suite_id}/resume",
        "/v1/suites/{suite_id}/rollback", "/v1/suites/{suite_id}/abandon", "/v1/suites/{suite_id}/cancel"];
    const ANSWERS: &[&str] = &["/v1/suites/{suite_id}/resume", "/v1/suites/{suite_id}/rollback", "/v1/suites/{suite_id}/abandon"];
    vec![
        Documented { routes: &["/v1/suites"], method: "post", statuses: &["200", "201"], fields: fields(Created::default()) },
        Documented { routes: &["/v1/suites"], method: "get", statuses: &["200"], fields: fields(SuitePage::default()) },
        Documented { routes: DECISIONS, method: "post", statuses: &["202"], fields: fields(Sent::default()) },
        Documented { routes: &["/v1/suites/{suite_id}/approve", "/v1/suites/{suite_id}/reject"], method: "post", statuses: &["200", "422"], fields: fields(Reviewed::default()) },
        Documented { routes: ANSWERS, method: "post", statuses: &["200", "422"], fields: fields(Answered::default()) },
        Documented { routes: &["/v1/suites/{suite_id}/cancel"], method: "post", statuses: &["202", "422"], fields: fields(Answered::default()) },
        Documented { routes: &["/v1/suites/{suite_id}/window"], method: "post", statuses: &["200"], fields: fields(WindowMoved::default()) },
        Documented { routes: &["/v1/suites/{suite_id}/parallelism"], method: "post", statuses: &["200"], fields: fields(ParallelismSet::default()) },
        Documented { routes: &["/v1/suites/{suite_id}/deliveries"], method: "get", statuses: &["200"], fields: fields(Deliveries::default()) },
        Documented { routes: &["/v1/suites/{suite_id}/revert"], method: "post", statuses: &["201"], fields: fields(Reverted::default()) },
    ]
}

/// A body's fields as JSON names them.
fn fields<T: Serialize>(body: T) -> Vec<String> {
    match serde_json::to_value(body) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}
