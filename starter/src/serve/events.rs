//! `GET /v1/suites/{id}/events`: a suite's progress as server-sent events,
//! read live from its Temporal history. Each event's id is its history
//! event id, which is gap-free and never reused, so a client that
//! reconnects with `Last-Event-ID` gets exactly what it missed: no gaps, no
//! repeats. The stream ends with the suite.
//!
//! Also the delivery log of the suite's webhook events.
//!
//! Must never: invent an event that is not in the history, or hold state
//! between requests (a replica that never saw the suite serves it the same).

use std::convert::Infallible;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use serde_json::{Value, json};
use switchyard_workflows::SuiteWorkflow;
use temporalio_client::WorkflowFetchHistoryOptions;
use temporalio_common::protos::temporal::api::common::v1::Payload;
use temporalio_common::protos::temporal::api::history::v1::HistoryEvent;
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;

use super::Shared;
use super::problem::Problem;
use super::caller::{Caller, Reads};

/// This file's routes, beside their handlers.
pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/suites/{suite_id}/events", get(stream))
        .route("/v1/suites/{suite_id}/deliveries", get(deliveries))
        .route("/v1/devices/{name}/history", get(device_history))
}

/// The suite's events after `Last-Event-ID` (all of them without one).
pub(super) async fn stream(State(app): State<Shared>, Caller { key, .. }: Caller<Reads>, headers: HeaderMap, Path(suite_id): Path<String>) -> Result<Response, Problem> {
    let after = match headers.get("last-event-id") {
        None => 0,
        Some(v) => v.to_str().ok().and_then(|s| s.trim().parse::<i64>().ok())
            .ok_or_else(|| Problem::bad_request("Last-Event-ID is not an event id (a number this stream sent)"))?,
    };
    // An unknown suite, or one the key may not read, is a 404 before the
    // stream begins.
    super::suites::readable(&app, &key, &suite_id).await?;
    let handle = app.client.get_workflow_handle::<SuiteWorkflow>(suite_id.clone());
    let history = handle.fetch_history(WorkflowFetchHistoryOptions::builder().wait_new_event(true).build());
    let events = sse_events(history, after, suite_id);
    Ok(Sse::new(events).keep_alive(KeepAlive::default()).into_response())
}

fn sse_events(
    history: impl Stream<Item = Result<HistoryEvent, temporalio_client::errors::WorkflowInteractionError>> + Send + 'static,
    after: i64,
    suite_id: String,
) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
    history
        .take_while(|e| std::future::ready(e.is_ok()))
        .filter_map(move |e| {
            let suite_id = suite_id.clone();
            std::future::ready(e.ok().filter(|e| e.event_id > after).and_then(|e| describe(&suite_id, &e)))
        })
        .map(|(id, kind, data)| Ok(Event::default().id(id.to_string()).event(kind).data(data.to_string())))
}

/// What one history event means to someone following the suite, if
/// anything (workflow tasks and timers are the engine's business).
fn describe(suite_id: &str, e: &HistoryEvent) -> Option<(i64, &'static str, Value)> {
    let at = e.event_time.as_ref().map(|t| switchyard_proto::time::format_rfc3339(t.seconds)).unwrap_or_default();
    let (kind, mut data) = match e.attributes.as_ref()? {
        Attributes::WorkflowExecutionStartedEventAttributes(_) => ("suite.started", json!({})),
        Attributes::UpsertWorkflowSearchAttributesEventAttributes(a) => {
            let fields = &a.search_attributes.as_ref()?.indexed_fields;
            let phase = fields.get(switchyard_proto::names::SA_SUITE_STATUS).and_then(text)?;
            // The webhooks' name for entering this phase, when they have one.
            match switchyard_proto::names::events::of_phase(&phase) {
                Some(kind) => ("suite.phase", json!({ "phase": phase, "type": kind })),
                None => ("suite.phase", json!({ "phase": phase })),
            }
        }
        Attributes::ChildWorkflowExecutionStartedEventAttributes(a) => {
            let id = a.workflow_execution.as_ref().map(|w| w.workflow_id.as_str()).unwrap_or_default();
            let (device, mode) = device_of(suite_id, id)?;
            ("device.started", json!({ "device": device, "mode": mode }))
        }
        Attributes::ChildWorkflowExecutionCompletedEventAttributes(a) => {
            let id = a.workflow_execution.as_ref().map(|w| w.workflow_id.as_str()).unwrap_or_default();
            let (device, mode) = device_of(suite_id, id)?;
            let result = a.result.as_ref().and_then(|p| p.payloads.first()).and_then(json_of).unwrap_or(Value::Null);
            // The device's status as the convention's word (`failed`).
            let status = switchyard_proto::json_style::normalize(result.get("status").cloned().unwrap_or(Value::Null));
            let mut data = json!({ "device": device, "mode": mode, "status": status });
            if status == "failed" {
                data["type"] = switchyard_proto::names::events::DEVICE_FAILED.into();
            }
            ("device.finished", data)
        }
        Attributes::ChildWorkflowExecutionFailedEventAttributes(a) => {
            let id = a.workflow_execution.as_ref().map(|w| w.workflow_id.as_str()).unwrap_or_default();
            let (device, mode) = device_of(suite_id, id)?;
            let message = a.failure.as_ref().map(|f| f.message.clone()).unwrap_or_default();
            ("device.finished", json!({ "device": device, "mode": mode, "status": "failed", "error": message, "type": switchyard_proto::names::events::DEVICE_FAILED }))
        }
        Attributes::WorkflowExecutionSignaledEventAttributes(a) if a.signal_name == switchyard_proto::names::SIGNAL_DEVICE_WAITING => {
            // A device's run saying what it waits for (empty: no longer).
            let body = a.input.as_ref().and_then(|p| p.payloads.first()).and_then(json_of).unwrap_or(Value::Null);
            let device = body.get("device").and_then(Value::as_str).unwrap_or_default().to_string();
            let waiting = body.get("waiting").and_then(Value::as_str).unwrap_or_default().to_string();
            ("device.waiting", json!({ "device": device, "waiting": waiting }))
        }
        Attributes::WorkflowExecutionSignaledEventAttributes(a) => {
            ("decision", json!({ "signal": a.signal_name, "identity": a.identity }))
        }
        Attributes::WorkflowExecutionUpdateCompletedEventAttributes(_) => ("update", json!({})),
        Attributes::WorkflowExecutionCompletedEventAttributes(_) => ("suite.ended", json!({ "closed": "completed" })),
        Attributes::WorkflowExecutionFailedEventAttributes(a) => {
            ("suite.ended", json!({ "closed": "failed", "message": a.failure.as_ref().map(|f| f.message.clone()).unwrap_or_default() }))
        }
        Attributes::WorkflowExecutionCanceledEventAttributes(_) => ("suite.ended", json!({ "closed": "cancelled" })),
        Attributes::WorkflowExecutionTerminatedEventAttributes(a) => ("suite.ended", json!({ "closed": "terminated", "reason": a.reason })),
        Attributes::WorkflowExecutionTimedOutEventAttributes(_) => ("suite.ended", json!({ "closed": "timed_out" })),
        _ => return None,
    };
    if let Value::Object(map) = &mut data {
        map.insert("suite_id".into(), suite_id.into());
        map.insert("at".into(), at.into());
    }
    Some((e.event_id, kind, data))
}

/// `<suite>--<device>--<mode>` → (device, mode).
fn device_of<'a>(suite_id: &str, workflow_id: &'a str) -> Option<(&'a str, &'a str)> {
    workflow_id.strip_prefix(suite_id)?.strip_prefix("--")?.rsplit_once("--")
}

fn json_of(p: &Payload) -> Option<Value> {
    serde_json::from_slice(&p.data).ok()
}

fn text(p: &Payload) -> Option<String> {
    json_of(p)?.as_str().map(str::to_string)
}

/// `GET /v1/suites/{id}/deliveries`: every event the suite sent to the
/// worker's webhooks and each subscription's delivery.
pub(super) async fn deliveries(State(app): State<Shared>, Caller { key, .. }: Caller<Reads>, Path(suite_id): Path<String>) -> Result<Response, Problem> {
    super::suites::readable(&app, &key, &suite_id).await?;
    let log = switchyard_starter::client::event_log(&app.client, &suite_id).await.map_err(|e| super::suites::read_failure(&suite_id, e))?;
    Ok(super::Json(switchyard_starter::api::Deliveries { suite_id, events: log }).into_response())
}

/// `GET /v1/devices/{name}/history`: what switchyard has done to the
/// device across suites and the rows it owns there (404: never changed).
pub(super) async fn device_history(State(app): State<Shared>, Caller { key, .. }: Caller<Reads>, Path(device): Path<String>) -> Result<Response, Problem> {
    if app.inventory().device(&device).is_some_and(|d| !key.devices.selects(d)) {
        return Err(Problem::forbidden(format!("key {} may read {}, not {device}", key.id, key.devices.describe())));
    }
    match switchyard_starter::client::device_history(&app.client, &device).await {
        Ok(Some(history)) => Ok(super::Json(history).into_response()),
        Ok(None) => Err(Problem::not_found(format!("switchyard has not changed {device}"))),
        Err(e) => Err(Problem::temporal_unavailable(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_workflow_ids_name_the_device_and_mode() {
        assert_eq!(device_of("s-1", "s-1--sonic-d001--apply"), Some(("sonic-d001", "apply")));
        assert_eq!(device_of("s-1", "s-10--sonic-d001--apply"), None);
    }
}
