//! `/v1/suites` and `/v1/capabilities`: create (or plan), list, read and
//! cancel suites for an authenticated key, within its scopes and devices.
//!
//! Must never: start a suite that the same validation as the CLI's refuses,
//! or one touching a device outside the key's selector.

use axum::routing::{self, post};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use switchyard_proto::operation::OPERATIONS;
use switchyard_proto::suite_file::SuiteFile;
use switchyard_starter::client::{self, ClientError, SuiteFilter};
use switchyard_starter::api::{Created, ReviewBody, Reviewed, RevertBody, Reverted, Sent, SkippedDevice, SuitePage};
use switchyard_starter::decide;
use switchyard_starter::keys::ApiKey;
use switchyard_starter::launch::{self, Launch, LaunchError};
use switchyard_starter::signing::{self, About};
use switchyard_proto::trust::Kind;
use switchyard_proto::v1::{ApprovalSignal, Decision, DevicePageRequest, DeviceStatus, SignedDecision, SuiteStatus};
use temporalio_client::errors::{WorkflowQueryError, WorkflowStartError};

use super::Json;
use super::caller::{Approves, Caller, Reads, Writes};
use super::problem::Problem;
use super::Shared;
use switchyard_proto::trust::hex;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateQuery {
    /// Plan only: read every device, write nothing.
    #[serde(default)]
    plan_only: bool,
}

/// This file's routes, beside their handlers.
pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/capabilities", routing::get(capabilities))
        .route("/v1/suites", post(create).get(list))
        .route("/v1/suites/{suite_id}", routing::get(read))
        .route("/v1/suites/{suite_id}/devices", routing::get(devices))
        .route("/v1/suites/{suite_id}/approve", post(approve))
        .route("/v1/suites/{suite_id}/reject", post(reject))
        .route("/v1/suites/{suite_id}/revert", post(revert))
        .route("/v1/statistics", routing::get(statistics))
}

/// POST /v1/suites: the body is the suite, YAML or JSON (JSON is YAML).
pub(super) async fn create(
    State(app): State<Shared>, Caller { key, .. }: Caller<Writes>, headers: HeaderMap,
    query: Result<Query<CreateQuery>, axum::extract::rejection::QueryRejection>, body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let Query(query) = query.map_err(|e| Problem::bad_request(format!("query string: {}", e.body_text())))?;
    let body = body.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(_) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Problem::too_large(app.body_limit),
        other => Problem::bad_request(other.body_text()),
    })?;
    let text = std::str::from_utf8(&body).map_err(|e| Problem::bad_request(format!("the body is not UTF-8 text: {e}")))?;
    let suite = SuiteFile::parse_with("request body", text, app.catalogue.clone()).map_err(|e| Problem::invalid_suite(&e))?;
    // A retried create with the same Idempotency-Key names the same suite,
    // which Temporal starts at most once.
    let idempotency = headers.get("idempotency-key").map(|v| v.to_str().map(str::to_string))
        .transpose().map_err(|_| Problem::bad_request("Idempotency-Key is not visible ASCII"))?;
    // Without one, a fresh id: callers launch many suites a second.
    let suite_id = Some(match &idempotency {
        Some(k) => {
            let digest = hex(&Sha256::digest(format!("{}\n{k}", key.id).as_bytes()));
            format!("{}-{}", suite.name(), &digest[..16])
        }
        None => launch::fresh_suite_id(suite.name()),
    });
    let launch = Launch {
        requester: Some(key.principal.clone()),
        suite_id,
        plan_only: query.plan_only,
        policy: app.policy.as_ref(),
        signing_key: app.signing_key.as_ref(),
        on_behalf: app.signing_key.as_ref().map(|_| key.principal.clone()),
        ..Default::default()
    };
    // A source of truth is read for every suite created: the suite records
    // what it said, with its ids.
    // The key's device scope is judged by the same reading.
    if app.file_inventory.source.is_some() {
        let fresh = switchyard_starter::inventory_source::resolve(app.file_inventory.clone()).await.map_err(|e| Problem::inventory_unavailable(e.to_string()))?;
        *app.inventory.write().unwrap_or_else(|e| e.into_inner()) = std::sync::Arc::new(fresh);
    }
    let inventory = app.inventory();
    let input = launch::prepare(&suite, &inventory, &launch).map_err(|e| match e {
        LaunchError::Suite(e) => Problem::invalid_suite(&e),
        LaunchError::Policy { refusal, more } => Problem::policy_denied(&refusal, format!("{refusal}{more}")),
        other => Problem::bad_request(other.to_string()),
    })?;
    within_devices(&app, &key, input.devices.iter().map(|d| d.device.as_str()), "the suite")?;
    if !input.plan_only {
        let running = client::running_changes(&app.client).await
            .map_err(|e| Problem::temporal_unavailable(format!("{e}: {}", source_text(&e))))?;
        if running >= app.max_running {
            return Err(Problem::too_many_suites(running, app.max_running));
        }
    }
    let (suite_id, devices) = (input.suite_id.clone(), input.devices.len());
    let location = format!("/v1/suites/{suite_id}");
    let web_ui = client::ui_link(&app.ui_address, &app.namespace, &suite_id);
    match client::start_suite(&app.client, &app.task_queue, input).await {
        Ok(()) => {
            tracing::info!(suite_id = %suite_id, key = %key.id, principal = %key.principal, devices, "Suite started");
            let body = Created { suite_id, devices, created: true, web_ui };
            Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(body)).into_response())
        }
        Err(ClientError::Start { source: WorkflowStartError::AlreadyStarted { .. }, .. }) if idempotency.is_some() => {
            let body = Created { suite_id, devices, created: false, web_ui };
            Ok((StatusCode::OK, [(header::LOCATION, location)], Json(body)).into_response())
        }
        Err(ClientError::Start { source: WorkflowStartError::AlreadyStarted { .. }, .. }) => {
            Err(Problem::conflict(format!("suite {suite_id} exists already; send an Idempotency-Key to retry a create safely")))
        }
        Err(e) => Err(Problem::temporal_unavailable(format!("{e}: {}", source_text(&e)))),
    }
}

/// POST /v1/suites/{suite_id}/revert: starts the suite that undoes a
/// completed suite (planned from its receipts against today's rows), for
/// the caller, signed as the caller's launch; it then waits for the
/// approvals the policy requires like any suite. 409 when the suite was
/// reverted already (naming that suite), has not ended, or left nothing.
pub(super) async fn revert(
    State(app): State<Shared>, Caller { key, .. }: Caller<Writes>, Path(suite_id): Path<String>, body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let request: RevertBody = json_body(body)?;
    let window = switchyard_starter::revert::window(&request.window_start, &request.window_end, signing::now())
        .map_err(|why| Problem::bad_request(why).with("field", "window_end"))?;
    let original = readable(&app, &key, &suite_id).await?;
    within_devices(&app, &key, original.devices.iter().map(|d| d.device.as_str()), "the suite")?;
    let mut revert = switchyard_starter::revert::prepare(&app.client, &suite_id, &key.principal, window).await.map_err(|e| match e {
        ClientError::Revert { .. } => Problem::conflict(e.to_string()),
        other => Problem::temporal_unavailable(format!("{other}: {}", source_text(&other))),
    })?;
    if let Some(signing_key) = app.signing_key.as_ref() {
        launch::sign(&mut revert.input, signing_key, Some(&key.principal), launch::LAUNCH_VALID_SECS).map_err(|e| Problem::bad_request(e.to_string()))?;
    }
    let (revert_id, devices) = (revert.input.suite_id.clone(), revert.input.devices.len());
    let web_ui = client::ui_link(&app.ui_address, &app.namespace, &revert_id);
    match client::start_suite(&app.client, &app.task_queue, revert.input).await {
        Ok(()) => {
            tracing::info!(suite_id = %revert_id, reverts = %suite_id, key = %key.id, principal = %key.principal, devices, "Revert started");
            let skipped = revert.skipped.into_iter().map(|(device, reason)| SkippedDevice { device, reason }).collect();
            let body = Reverted { suite_id: revert_id.clone(), reverts: suite_id, devices, skipped, web_ui };
            Ok((StatusCode::CREATED, [(header::LOCATION, format!("/v1/suites/{revert_id}"))], Json(body)).into_response())
        }
        Err(ClientError::Start { source: WorkflowStartError::AlreadyStarted { .. }, .. }) => {
            Err(Problem::conflict(format!("suite {suite_id} is being reverted already by suite {revert_id}")))
        }
        Err(e) => Err(Problem::temporal_unavailable(format!("{e}: {}", source_text(&e)))),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    /// Only suites in this phase.
    phase: Option<String>,
    /// Only suites with this name.
    name: Option<String>,
    /// Only suites requested by this principal.
    requester: Option<String>,
    /// Only change suites (`change`) or only plan-only runs (`plan`).
    kind: Option<String>,
    /// Only suites started at or after this time (RFC 3339).
    since: Option<String>,
    /// Only suites started before this time (RFC 3339).
    until: Option<String>,
    /// At most this many on the page (1..=1000, default 50).
    limit: Option<usize>,
    /// The `next_page_token` of the previous page.
    page_token: Option<String>,
}

/// GET /v1/suites: newest first, as the visibility store has them, a page
/// at a time; for a key limited to devices, only the suites within them
/// (a page may then hold fewer than `limit`).
pub(super) async fn list(
    State(app): State<Shared>, Caller { key, .. }: Caller<Reads>, query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(query) = query.map_err(|e| Problem::bad_request(format!("query string: {}", e.body_text())))?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(Problem::bad_request(format!("limit {limit} is out of range 1..=1000")).with("field", "limit"));
    }
    if let Some(phase) = &query.phase
        && switchyard_proto::vocabulary::phase_from_name(phase).is_none()
    {
        return Err(Problem::bad_request(format!("{phase:?} is not a suite phase (e.g. applying, succeeded, rolled_back)")).with("field", "phase"));
    }
    let filter = SuiteFilter {
        status: query.phase, name: query.name, requester: query.requester,
        since: query.since.as_deref().map(|t| instant("since", t)).transpose()?,
        until: query.until.as_deref().map(|t| instant("until", t)).transpose()?,
        change: match query.kind.as_deref() {
            None => None,
            Some("change") => Some(true),
            Some("plan") => Some(false),
            Some(other) => return Err(Problem::bad_request(format!("{other:?} is not a kind of suite (change or plan)")).with("field", "kind")),
        },
    };
    let page = client::list_page(&app.client, &filter, limit, query.page_token.as_deref().unwrap_or_default()).await.map_err(|e| match e {
        ClientError::PageToken { .. } => Problem::bad_request(e.to_string()).with("field", "page_token"),
        e => Problem::temporal_unavailable(e.to_string()),
    })?;
    let kept: std::collections::BTreeSet<String> = readable_ids(&app, &key, page.suites.iter().map(|s| s.suite_id.clone()).collect()).await?.into_iter().collect();
    let suites: Vec<_> = page.suites.into_iter().filter(|s| kept.contains(&s.suite_id)).collect();
    Ok(Json(SuitePage { suites, next_page_token: page.next_page_token }).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StatisticsQuery {
    /// From (RFC 3339); default seven days before `until`.
    since: Option<String>,
    /// To (RFC 3339); default now.
    until: Option<String>,
}

/// The most suites one statistics answer reads from the visibility store.
const STATISTICS_MAX: usize = 10_000;

/// GET /v1/statistics: change suites started in a range, by phase, their
/// success rate and duration percentiles; for a key limited to devices,
/// over the suites within them only.
pub(super) async fn statistics(
    State(app): State<Shared>, Caller { key, .. }: Caller<Reads>, query: Result<Query<StatisticsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(query) = query.map_err(|e| Problem::bad_request(format!("query string: {}", e.body_text())))?;
    let until = query.until.as_deref().map(|t| instant("until", t)).transpose()?.unwrap_or_else(signing::now);
    let since = query.since.as_deref().map(|t| instant("since", t)).transpose()?.unwrap_or(until - 7 * 86_400);
    if since >= until {
        return Err(Problem::bad_request("since must be before until").with("field", "since"));
    }
    let filter = SuiteFilter { since: Some(since), until: Some(until), change: Some(true), ..Default::default() };
    let suites = client::list_suites(&app.client, &filter, STATISTICS_MAX + 1).await.map_err(|e| Problem::temporal_unavailable(e.to_string()))?;
    let kept: std::collections::BTreeSet<String> = readable_ids(&app, &key, suites.iter().map(|s| s.suite_id.clone()).collect()).await?.into_iter().collect();
    let suites: Vec<_> = suites.into_iter().filter(|s| kept.contains(&s.suite_id)).collect();
    let truncated = suites.len() > STATISTICS_MAX;
    let stats = switchyard_starter::statistics::of(&suites[..suites.len().min(STATISTICS_MAX)]);
    let mut body = serde_json::to_value(&stats).map_err(|e| Problem::bad_request(e.to_string()))?;
    body["since"] = json!(switchyard_proto::time::format_rfc3339(since));
    body["until"] = json!(switchyard_proto::time::format_rfc3339(until));
    body["truncated"] = json!(truncated);
    Ok(Json(body).into_response())
}

/// An RFC 3339 query value, refused naming its field.
fn instant(field: &str, text: &str) -> Result<i64, Problem> {
    switchyard_proto::time::parse_rfc3339(text)
        .ok_or_else(|| Problem::bad_request(format!("{field} {text:?} is not an RFC 3339 time (e.g. 2026-12-01T00:00:00Z)")).with("field", field.to_string()))
}

/// GET /v1/suites/{id}: the suite's whole status, as the workflow has it.
pub(super) async fn read(State(app): State<Shared>, Caller { key, .. }: Caller<Reads>, Path(suite_id): Path<String>) -> Result<Response, Problem> {
    let status = readable(&app, &key, &suite_id).await?;
    let body = serde_json::to_value(&status).map_err(|e| Problem::bad_request(e.to_string()))?;
    Ok(Json(body).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DevicesQuery {
    /// The `next_page_token` of the previous page.
    page_token: Option<String>,
    /// At most this many on the page (1..=500, default 100).
    page_size: Option<u32>,
    /// Only devices in this status (e.g. failed, rolled_back).
    status: Option<String>,
    /// Also each device's planned diff.
    with_diff: Option<bool>,
}

/// GET /v1/suites/{id}/devices: the suite's devices a page at a time, in
/// its order (a suite's status carries only those that need a look when
/// it has many).
pub(super) async fn devices(
    State(app): State<Shared>, Caller { key, .. }: Caller<Reads>, Path(suite_id): Path<String>,
    query: Result<Query<DevicesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(query) = query.map_err(|e| Problem::bad_request(format!("query string: {}", e.body_text())))?;
    let page_size = query.page_size.unwrap_or(switchyard_proto::names::DEVICE_PAGE_DEFAULT);
    if !(1..=switchyard_proto::names::DEVICE_PAGE_MAX).contains(&page_size) {
        return Err(Problem::bad_request(format!("page_size {page_size} is out of range 1..={}", switchyard_proto::names::DEVICE_PAGE_MAX))
            .with("field", "page_size"));
    }
    let status = match query.status.as_deref() {
        None | Some("") => DeviceStatus::Unspecified,
        Some(name) => switchyard_proto::vocabulary::device_status_typed(name).map_err(|why| Problem::bad_request(why).with("field", "status"))?,
    };
    readable(&app, &key, &suite_id).await?;
    let req = DevicePageRequest { page_token: query.page_token.unwrap_or_default(), page_size, status: status as i32, with_diff: query.with_diff.unwrap_or(false) };
    let page = client::devices_page(&app.client, &suite_id, req).await.map_err(|e| match &e {
        // The suite refused the token it did not give.
        ClientError::Query { why, .. } if why.contains("page_token") => Problem::bad_request(why.clone()).with("field", "page_token"),
        _ => read_failure(&suite_id, e),
    })?;
    Ok(Json(page).into_response())
}

/// POST /v1/suites/{id}/approve.
pub(super) async fn approve(state: State<Shared>, caller: Caller<Approves>, path: Path<String>, body: Result<Bytes, BytesRejection>) -> Result<Response, Problem> {
    review(state, caller, path, body, Decision::Approve).await
}

/// POST /v1/suites/{id}/reject.
pub(super) async fn reject(state: State<Shared>, caller: Caller<Approves>, path: Path<String>, body: Result<Bytes, BytesRejection>) -> Result<Response, Problem> {
    review(state, caller, path, body, Decision::Reject).await
}

/// A reviewer's verdict for the key's principal, signed by the service's
/// key (an attester of the policy) so the suite verifies it as it verifies
/// a person's; refused for a key whose devices do not cover the suite's.
async fn review(
    State(app): State<Shared>, Caller { key, .. }: Caller<Approves>, Path(suite_id): Path<String>, body: Result<Bytes, BytesRejection>, verdict: Decision,
) -> Result<Response, Problem> {
    let request: ReviewBody = json_body(body)?;
    let status = suite_within_key(&app, &key, &suite_id).await?;
    let plan = if request.plan_hash.is_empty() { status.plan_hash.clone() } else { request.plan_hash.clone() };
    let kind = Kind::of_verdict(verdict).unwrap_or(Kind::Reject);
    let signed = sign_for(&app, &key, kind, &status, &plan, String::new(), &request.comment)?;
    let signal = ApprovalSignal { reviewer: key.principal.clone(), decision: verdict as i32, plan_hash: plan, comment: request.comment, signed };
    // The suite judges the decision; report its verdict when it is recorded.
    let recorded = decide::review(&app.client, &suite_id, signal).await.map_err(|e| sent_failure(&suite_id, e))?;
    let Some(d) = recorded else {
        return Ok((StatusCode::ACCEPTED, Json(Sent { suite_id, sent: true })).into_response());
    };
    let code = if d.counted { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((code, Json(Reviewed { suite_id, counted: d.counted, reason: d.reason.clone(), decision: d })).into_response())
}

/// The service's signature on a decision for the key's principal, bound
/// to the suite's run and `plan`; none when the service has no key (the
/// decision goes unsigned, and counts only where the policy allows that).
pub(super) fn sign_for(
    app: &Shared, key: &ApiKey, kind: Kind, status: &SuiteStatus, plan: &str, value: String, comment: &str,
) -> Result<Option<SignedDecision>, Problem> {
    let Some(signing) = &app.signing_key else { return Ok(None) };
    let about = About { suite: status.suite_id.clone(), run: status.run_id.clone(), plan: plan.to_string(), input: String::new(), value };
    let mut decision = signing::decision(kind, about, "service", comment, signing::SENT_VALID_SECS)
        .map_err(|e| Problem::bad_request(format!("comment: {e}")).with("field", "comment"))?;
    decision.on_behalf = key.principal.clone();
    signing.sign(&decision).map(Some).map_err(|e| Problem::temporal_unavailable(format!("the service cannot sign: {e}")))
}

/// A JSON request body as `T`; an empty body is `T`'s default.
pub(super) fn json_body<T: serde::de::DeserializeOwned + Default>(body: Result<Bytes, BytesRejection>) -> Result<T, Problem> {
    let body = body.map_err(|e| Problem::bad_request(e.body_text()))?;
    if body.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(&body).map_err(|e| Problem::bad_request(format!("body: {e}")).with("line", e.line()).with("column", e.column()))
}

/// The status of a suite still running, after checking the key may act
/// on all its devices; an ended suite is a conflict, as nothing it could
/// be asked would change it.
pub(super) async fn suite_within_key(app: &Shared, key: &ApiKey, suite_id: &str) -> Result<SuiteStatus, Problem> {
    valid_id(suite_id)?;
    let status = client::status(&app.client, suite_id).await.map_err(|e| read_failure(suite_id, e))?;
    within_devices(app, key, every_device(app, key, &status).await?.iter().map(String::as_str), &format!("suite {suite_id}"))?;
    if switchyard_proto::vocabulary::is_final(status.phase()) {
        let phase = switchyard_proto::vocabulary::phase_name(status.phase());
        return Err(Problem::conflict(format!("suite {suite_id} has ended ({phase}); nothing more can be asked of it")).with("phase", phase));
    }
    Ok(status)
}

/// GET /v1/capabilities: what this service offers and under which policy.
pub(super) async fn capabilities(State(app): State<Shared>, _caller: Caller<Reads>) -> Result<Response, Problem> {
    let operations: Vec<serde_json::Value> = OPERATIONS.iter()
        .map(|o| json!({ "name": o.name, "summary": o.summary, "params": o.params })).collect();
    Ok(Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "operations": operations,
        "limits": { "body_bytes": app.body_limit, "requests_per_minute_per_key": app.rate.policy(), "running_change_suites": app.max_running },
        "policy_sha256": app.policy_hash,
        "namespace": app.namespace,
        "task_queue": app.task_queue,
    })).into_response())
}

/// Refuses a key limited to some devices when `devices` has others,
/// naming them.
fn within_devices<'a>(app: &Shared, key: &ApiKey, devices: impl Iterator<Item = &'a str>, what: &str) -> Result<(), Problem> {
    if key.devices.is_all() {
        return Ok(());
    }
    let inventory = app.inventory();
    let outside: Vec<String> = devices.filter(|name| inventory.device(name).is_none_or(|d| !key.devices.selects(d))).map(str::to_string).collect();
    if outside.is_empty() {
        return Ok(());
    }
    Err(Problem::forbidden(format!("key {} may act on {}; {what} also changes {}", key.id, key.devices.describe(), outside.join(", ")))
        .with("devices", outside))
}

/// A failed read: an unknown suite is 404; anything else is Temporal's.
/// A suite's status for a key that may read it: the id well formed (400),
/// the suite there (404), and for a key limited to devices, every device of
/// the suite within them (otherwise also 404: such a key does not learn
/// that suites elsewhere exist).
pub(super) async fn readable(app: &Shared, key: &ApiKey, suite_id: &str) -> Result<SuiteStatus, Problem> {
    valid_id(suite_id)?;
    let status = client::status(&app.client, suite_id).await.map_err(|e| read_failure(suite_id, e))?;
    if !within(app, key, every_device(app, key, &status).await?.iter().map(String::as_str)) {
        return Err(Problem::not_found(format!("no suite {suite_id} among the suites key {} may read", key.id)));
    }
    Ok(status)
}

/// The names of every device of the suite, for a key limited to devices
/// (a status lists at most `names::STATUS_DEVICES_SHOWN`: the rest are
/// read a page at a time); none for a key that is not limited.
async fn every_device(app: &Shared, key: &ApiKey, status: &SuiteStatus) -> Result<Vec<String>, Problem> {
    if key.devices.is_all() {
        return Ok(Vec::new());
    }
    let all = client::with_every_device(&app.client, status.clone()).await.map_err(|e| read_failure(&status.suite_id, e))?;
    Ok(all.devices.into_iter().map(|d| d.device).collect())
}

/// Refuses a path's suite id that cannot name a suite (400, naming it).
pub(super) fn valid_id(suite_id: &str) -> Result<(), Problem> {
    switchyard_proto::names::check_suite_id(suite_id).map_err(|why| Problem::bad_request(why).with("field", "suite_id"))
}

/// Whether every one of `devices` is within the key's devices.
fn within<'a>(app: &Shared, key: &ApiKey, mut devices: impl Iterator<Item = &'a str>) -> bool {
    let inventory = app.inventory();
    key.devices.is_all() || devices.all(|name| inventory.device(name).is_some_and(|d| key.devices.selects(d)))
}

/// Keeps the suites of `ids` a key limited to devices may read, judged by
/// each suite's own input as Temporal recorded it; every suite for a key
/// that is not limited.
pub(super) async fn readable_ids(app: &Shared, key: &ApiKey, ids: Vec<String>) -> Result<Vec<String>, Problem> {
    if key.devices.is_all() {
        return Ok(ids);
    }
    let mut kept = Vec::new();
    for id in ids {
        let (input, _) = client::suite_started(&app.client, &id, "").await.map_err(Problem::temporal_unavailable)?;
        if within(app, key, input.devices.iter().map(|d| d.device.as_str())) {
            kept.push(id);
        }
    }
    Ok(kept)
}

/// What a failed read of a suite means for the caller: no such suite is
/// 404, a request Temporal finds malformed is 400, a suite that cannot
/// answer now 409; only a Temporal that cannot be reached is 503.
pub(super) fn read_failure(suite_id: &str, e: ClientError) -> Problem {
    let ClientError::Query { source, .. } = &e else { return Problem::temporal_unavailable(e.to_string()) };
    match source {
        WorkflowQueryError::NotFound(_) => Problem::not_found(format!("no suite {suite_id}")),
        WorkflowQueryError::Rejected { .. } => Problem::conflict(format!("suite {suite_id} cannot answer now: {source}")),
        WorkflowQueryError::Rpc(status) if status.code() == tonic::Code::InvalidArgument => {
            Problem::bad_request(format!("suite {suite_id}: {}", status.message())).with("field", "suite_id")
        }
        WorkflowQueryError::Rpc(status) if matches!(status.code(), tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Unknown) => {
            Problem::temporal_unavailable(e.to_string())
        }
        _ => Problem::conflict(format!("suite {suite_id} did not answer: {source}")),
    }
}

/// A decision that could not be sent, or whose record could not be read.
pub(super) fn sent_failure(suite_id: &str, e: ClientError) -> Problem {
    match e {
        ClientError::Query { .. } => read_failure(suite_id, e),
        e => Problem::temporal_unavailable(format!("{e}: {}", source_text(&e))),
    }
}

pub(super) fn source_text(e: &ClientError) -> String {
    std::error::Error::source(e).map(|s| s.to_string()).unwrap_or_default()
}
