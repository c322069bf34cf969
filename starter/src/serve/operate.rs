//! An operator's hand on a running suite through the service: the answer
//! to a pause (`resume`, `rollback`, `abandon`), a later window end, and a
//! new parallelism. Each is signed by the service for the key's principal,
//! as the CLI signs for its user, and the suite judges it the same way.
//!
//! Must never: act on a suite whose devices the key may not touch, or
//! report an answer applied that the suite's operator log does not show.

use axum::routing::post;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use switchyard_proto::trust::Kind;
use switchyard_proto::v1::{ExtendWindow, OperatorAction, OperatorSignal, SetParallelism};
use switchyard_starter::client::{self, ClientError};
use switchyard_starter::api::{AnswerBody, Answered, CancelBody, ParallelismBody, ParallelismSet, Sent, WindowBody, WindowMoved};
use switchyard_starter::decide;
use switchyard_starter::keys::ApiKey;

use super::Json;
use super::Shared;
use super::problem::Problem;
use super::caller::{Caller, Writes};
use super::suites::{json_body, sent_failure, sign_for, source_text, suite_within_key};

/// This file's routes, beside their handlers.
pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/suites/{suite_id}/cancel", post(cancel))
        .route("/v1/suites/{suite_id}/resume", post(resume))
        .route("/v1/suites/{suite_id}/rollback", post(rollback))
        .route("/v1/suites/{suite_id}/abandon", post(abandon))
        .route("/v1/suites/{suite_id}/window", post(window))
        .route("/v1/suites/{suite_id}/parallelism", post(parallelism))
}

/// POST /v1/suites/{id}/resume.
pub(super) async fn resume(state: State<Shared>, caller: Caller<Writes>, path: Path<String>, body: Result<Bytes, BytesRejection>) -> Result<Response, Problem> {
    answer(state, caller, path, body, OperatorAction::Resume).await
}

/// POST /v1/suites/{id}/rollback.
pub(super) async fn rollback(state: State<Shared>, caller: Caller<Writes>, path: Path<String>, body: Result<Bytes, BytesRejection>) -> Result<Response, Problem> {
    answer(state, caller, path, body, OperatorAction::Rollback).await
}

/// POST /v1/suites/{id}/abandon.
pub(super) async fn abandon(state: State<Shared>, caller: Caller<Writes>, path: Path<String>, body: Result<Bytes, BytesRejection>) -> Result<Response, Problem> {
    answer(state, caller, path, body, OperatorAction::Abandon).await
}

/// Sends the answer and reports the operator log's entry for it: 200 when
/// it applied, 422 with the suite's reason when it did not.
async fn answer(
    State(app): State<Shared>, Caller { key, .. }: Caller<Writes>, Path(suite_id): Path<String>, body: Result<Bytes, BytesRejection>, action: OperatorAction,
) -> Result<Response, Problem> {
    let request: AnswerBody = json_body(body)?;
    send(&app, &key, &suite_id, action, request.comment, StatusCode::OK).await
}

/// POST /v1/suites/{id}/cancel: a cancel signed by the service for the
/// key's principal, which the suite judges like any operator's (the policy
/// must let them operate); when it applies, in-flight devices finish and
/// changed devices are rolled back (202), otherwise 422 with the reason.
pub(super) async fn cancel(
    State(app): State<Shared>, Caller { key, .. }: Caller<Writes>, Path(suite_id): Path<String>, body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let request: CancelBody = json_body(body)?;
    let reason = if request.reason.is_empty() { "cancelled through the service".to_string() } else { request.reason };
    send(&app, &key, &suite_id, OperatorAction::Cancel, reason, StatusCode::ACCEPTED).await
}

/// Signs `action` for the key's principal, sends it, and answers with the
/// operator log's entry for it: `applied` (with `applied_code`) or 422.
async fn send(app: &Shared, key: &ApiKey, suite_id: &str, action: OperatorAction, comment: String, applied_code: StatusCode) -> Result<Response, Problem> {
    let suite_id = suite_id.to_string();
    // The suite must exist, and be the key's to touch, before anything is asked of it.
    let status = suite_within_key(app, key, &suite_id).await?;
    let kind = Kind::of_operator_action(action).unwrap_or(Kind::Abandon);
    let signed = sign_for(app, key, kind, &status, &status.plan_hash, String::new(), &comment)?;
    let signal = OperatorSignal { operator: key.principal.clone(), action: action as i32, comment, signed };
    let logged = decide::answer(&app.client, &suite_id, signal).await.map_err(|e| sent_failure(&suite_id, e))?;
    let Some(event) = logged else {
        return Ok((StatusCode::ACCEPTED, Json(Sent { suite_id, sent: true })).into_response());
    };
    let code = if event.applied { applied_code } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((code, Json(Answered { suite_id, applied: event.applied, reason: event.reason.clone(), event })).into_response())
}

/// POST /v1/suites/{id}/window: moves the change window's end later; the
/// suite's validator refuses an earlier end, or one past its policy.
pub(super) async fn window(
    State(app): State<Shared>, Caller { key, .. }: Caller<Writes>, Path(suite_id): Path<String>, body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let request: WindowBody = json_body(body)?;
    if switchyard_proto::time::parse_rfc3339(&request.end).is_none() {
        return Err(Problem::bad_request(format!("end {:?} is not an RFC 3339 time (e.g. 2026-12-01T03:00:00Z)", request.end)).with("field", "end"));
    }
    let status = suite_within_key(&app, &key, &suite_id).await?;
    let signed = sign_for(&app, &key, Kind::ExtendWindow, &status, &status.plan_hash, request.end.clone(), &request.comment)?;
    let update = ExtendWindow { operator: key.principal.clone(), end: request.end, comment: request.comment, signed };
    match client::extend_window(&app.client, &suite_id, update).await {
        Ok(window_end) => Ok(Json(WindowMoved { suite_id, window_end }).into_response()),
        Err(e @ ClientError::ExtendWindow { .. }) => Err(Problem::refused(format!("{e}: {}", source_text(&e)))),
        Err(e) => Err(Problem::temporal_unavailable(e.to_string())),
    }
}

/// POST /v1/suites/{id}/parallelism: how many devices the suite changes at
/// once from now on.
pub(super) async fn parallelism(
    State(app): State<Shared>, Caller { key, .. }: Caller<Writes>, Path(suite_id): Path<String>, body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let request: ParallelismBody = json_body(body)?;
    let parallelism = request.parallelism.filter(|p| (1..=1000).contains(p))
        .ok_or_else(|| Problem::bad_request("parallelism must be a number in 1..=1000").with("field", "parallelism"))?;
    let status = suite_within_key(&app, &key, &suite_id).await?;
    let signed = sign_for(&app, &key, Kind::SetParallelism, &status, &status.plan_hash, parallelism.to_string(), "")?;
    let update = SetParallelism { operator: key.principal.clone(), parallelism, signed };
    match client::set_parallelism(&app.client, &suite_id, update).await {
        Ok(previous) => Ok(Json(ParallelismSet { suite_id, parallelism, previous }).into_response()),
        Err(e @ ClientError::SetParallelism { .. }) => Err(Problem::refused(format!("{e}: {}", source_text(&e)))),
        Err(e) => Err(Problem::temporal_unavailable(e.to_string())),
    }
}
