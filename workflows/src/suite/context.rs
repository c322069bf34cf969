//! Small helpers every phase of the suite uses: workflow time, waiting on
//! the suite's own state, and setting the phase where the Web UI, the
//! search attributes and the status query see it.
//!
//! Must never: read the machine's clock (time is the workflow's, replayed
//! from history) or wait on anything but the suite's state and timers.

use futures_util::FutureExt;
use futures_util::future::FusedFuture;
use switchyard_proto::names;
use switchyard_proto::time::format_rfc3339;
use switchyard_proto::v1::{SuitePhase, SuiteStatus};
use switchyard_proto::vocabulary::phase_name;
use temporalio_workflow::common::SearchAttributeKey;
use temporalio_workflow::workflows::select;
use temporalio_workflow::{CancellableFuture, SyncWorkflowContext, TimerOptions, TimerResult, WaitConditionOptions, WorkflowCancellationToken, WorkflowContext};

use super::SuiteWorkflow;

const SA_STATUS: SearchAttributeKey<String> = SearchAttributeKey::keyword(names::SA_SUITE_STATUS);

/// Seconds since the epoch, in workflow time (deterministic on replay).
pub(super) fn now_secs(ctx: &WorkflowContext<SuiteWorkflow>) -> i64 {
    crate::unix_secs(ctx.workflow_time())
}

/// Workflow time as RFC 3339.
pub(super) fn now(ctx: &WorkflowContext<SuiteWorkflow>) -> String {
    format_rfc3339(now_secs(ctx))
}

/// Workflow time as RFC 3339, inside a signal or update handler.
pub(super) fn sync_now(ctx: &SyncWorkflowContext<SuiteWorkflow>) -> String {
    ctx.workflow_time().map(|t| format_rfc3339(crate::unix_secs(Some(t)))).unwrap_or_default()
}

/// Workflow time as Unix seconds, inside a signal or update handler.
pub(super) fn sync_now_secs(ctx: &SyncWorkflowContext<SuiteWorkflow>) -> i64 {
    crate::unix_secs(ctx.workflow_time())
}

/// The reason, if the suite was asked to cancel: a signed cancel (the
/// `operator` signal), or Temporal's cancellation request.
pub(super) fn cancellation(ctx: &WorkflowContext<SuiteWorkflow>) -> Option<String> {
    if let Some(reason) = ctx.state(|s| s.cancel.clone()) {
        return Some(reason);
    }
    let token = ctx.cancellation_token();
    token.is_cancelled().then(|| token.reason().unwrap_or_else(|| "no reason given".into()))
}

/// Resolves once the suite is asked to cancel, either way (see
/// [`cancellation`]). Before anything is written, either way ends it.
pub(super) fn cancel_requested<'a>(ctx: &'a WorkflowContext<SuiteWorkflow>) -> impl FusedFuture<Output = ()> + 'a {
    async move {
        select! {
            _ = ctx.cancelled() => {},
            _ = wait(ctx, |s| s.cancel.is_some()) => {},
        }
    }.fuse()
}

/// A timer that a Temporal cancellation request does not cut short (since
/// `signed-cancel`, the suite decides what such a request means); before
/// that patch, the workflow's own cancellation still cancels it, as it did.
pub(super) fn timer(ctx: &WorkflowContext<SuiteWorkflow>, duration: std::time::Duration) -> impl CancellableFuture<Output = TimerResult> {
    let mut options = TimerOptions::builder(duration).build();
    if ctx.state(|s| s.signed_cancel) {
        options.cancellation_token = Some(WorkflowCancellationToken::new());
    }
    ctx.timer(options)
}

/// Waits for a condition on the suite's own state. Detached from workflow
/// cancellation: cancelling is watched explicitly, and the rollback that
/// follows it still needs these waits.
pub(super) fn wait<'a>(ctx: &'a WorkflowContext<SuiteWorkflow>, cond: impl FnMut(&SuiteWorkflow) -> bool + 'a) -> impl FusedFuture<Output = ()> + 'a {
    let mut options = WaitConditionOptions::default();
    options.cancellation_token = Some(WorkflowCancellationToken::new());
    ctx.wait_condition_with_options(cond, options).map(|_| ())
}

/// A trace span for one stretch of the suite (`plan`, `approval`,
/// `window`, `apply`, `conclude`), a child of the suite's workflow span,
/// with the suite id on it. Its id comes from workflow randomness and a
/// span begun during replay is never exported (the SDK's tracing plugin
/// sees to both), so a replay adds nothing to the trace. Without traces
/// configured it is a no-op span.
fn phase_span(suite_id: &str, stretch: &'static str) -> opentelemetry::Context {
    use opentelemetry::trace::{Tracer, TraceContextExt};
    let tracer = opentelemetry::global::tracer("switchyard");
    let span = tracer
        .span_builder(format!("suite {stretch}"))
        .with_attributes([
            opentelemetry::KeyValue::new("switchyard.suite_id", suite_id.to_string()),
            opentelemetry::KeyValue::new("switchyard.stretch", stretch),
        ])
        .start(&tracer);
    opentelemetry::Context::current_with_span(span)
}

/// Runs one stretch of the suite inside its span (see [`phase_span`]).
pub(super) async fn in_stretch<T>(
    ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, stretch: &'static str, work: impl std::future::Future<Output = T>,
) -> T {
    use opentelemetry::trace::FutureExt as _;
    let span = phase_span(suite_id, stretch);
    let out = work.with_context(span.clone()).await;
    end_span(ctx, &span);
    out
}

/// Ends a stretch's span, with the phase the suite is in after it.
fn end_span(ctx: &WorkflowContext<SuiteWorkflow>, span: &opentelemetry::Context) {
    use opentelemetry::trace::TraceContextExt;
    let phase = ctx.state(|s| s.phase());
    span.span().set_attribute(opentelemetry::KeyValue::new("switchyard.phase", phase_name(phase)));
    if switchyard_proto::vocabulary::is_final(phase) && !matches!(phase, SuitePhase::Succeeded | SuitePhase::Planned) {
        span.span().set_status(opentelemetry::trace::Status::error(format!("the suite ended {}", phase_name(phase))));
    }
    span.span().end();
}

/// Closes the run with the suite's final status: completed when it
/// succeeded (or planned), otherwise failed or cancelled, so the Web UI's
/// status column tells the outcome (see [`crate::outcome`]).
pub(super) fn close(ctx: &WorkflowContext<SuiteWorkflow>, mut status: SuiteStatus) -> temporalio_workflow::WorkflowResult<SuiteStatus> {
    // The result is a payload too: bounded like the status query's answer.
    super::devices::bound(&mut status);
    // Suites started since `outcome-status-at-start` asked at their start;
    // older ones ask where they always did, so their histories replay.
    let with_status = ctx.state(|s| s.outcome_asked_early) || ctx.patched(names::patches::OUTCOME_STATUS);
    crate::outcome::close_suite(status, with_status)
}

/// Sets the phase in the status, the `SuiteStatus` search attribute and
/// the Web UI's current details.
pub(super) fn set_phase(ctx: &WorkflowContext<SuiteWorkflow>, phase: SuitePhase, details: String) {
    ctx.state_mut(|s| {
        s.status.phase = phase as i32;
        s.details = details;
        if switchyard_proto::vocabulary::is_final(phase) {
            s.wait.clear();
        }
    });
    ctx.upsert_search_attributes([SA_STATUS.value_set(phase_name(phase).to_string())]);
    show(ctx);
}

/// Sets what the suite itself waits for (empty: nothing), where `status`,
/// `watch` and the Web UI see it while it waits.
pub(super) fn set_wait(ctx: &WorkflowContext<SuiteWorkflow>, wait: String) {
    ctx.state_mut(|s| s.wait = wait);
    show(ctx);
}

/// Shows the suite's state in the Web UI's current details (no history
/// event: the details are answered from the worker's memory).
pub(super) fn show(ctx: &WorkflowContext<SuiteWorkflow>) {
    ctx.set_current_details(ctx.state(SuiteWorkflow::details_now));
}

/// The Web UI's current details of a suite in `phase`.
pub(super) fn details(phase: SuitePhase, doing: &str, waiting: &str) -> String {
    let phase = phase_name(phase);
    if waiting.is_empty() {
        format!("{phase}: {doing}\n\n{HANDLERS}")
    } else {
        format!("{phase}: {doing}\nwaiting: {waiting}\n\n{HANDLERS}")
    }
}

/// What the Web UI's "current details" adds under the phase: the suite's
/// query, signals and updates and what each is for. The SDK answers the
/// UI's metadata query with these details only (no handler descriptions),
/// so they are said here, where the operator looks.
const HANDLERS: &str = concat!(
    "Query `status`: the suite (phase, counts per wave, plan, the devices that need a look, decisions, operator and compensation logs); ",
    "query `devices`: every device, a page at a time (`{\"page_token\": \"\", \"page_size\": 100}`). ",
    "Signals: `approval` (approve or reject the plan, signed: `switchyard sign approve`), ",
    "`operator` (resume, rollback or abandon a paused suite; cancel, signed: `switchyard sign cancel`). ",
    "Updates: `extend_window` (a later end for the change window), `set_parallelism` (devices at a time).",
);

#[cfg(test)]
mod tests {
    use super::HANDLERS;
    use switchyard_proto::names;

    #[test]
    fn the_details_name_every_handler_by_its_wire_name() {
        for name in [names::QUERY_STATUS, names::QUERY_DEVICES, names::SIGNAL_APPROVAL, names::SIGNAL_OPERATOR, names::UPDATE_EXTEND_WINDOW, names::UPDATE_SET_PARALLELISM] {
            assert!(HANDLERS.contains(&format!("`{name}`")), "{name} is not described");
        }
    }
}
