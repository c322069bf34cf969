//! What the suite tells the worker's webhooks: an event at each moment a
//! reviewer or a pipeline acts on (awaiting approval, applying, paused, a
//! device failed, the end), queued from the suite's own state and started
//! as one event workflow each by [`pump`], which runs beside the suite.
//! Each event workflow is abandoned by the suite when it closes, so a
//! receiver down for hours delays nothing and loses nothing.
//!
//! Only the types some subscription takes are emitted (asked once, at the
//! start, of the worker's webhooks file), so a worker without webhooks
//! adds nothing to the suite's history but that one activity.
//!
//! Must never: wait on a delivery, or put anything in an event that is
//! not in the suite's status (no secret, no subscription's URL).

use switchyard_proto::names::{self, events};
use switchyard_proto::v1::{EventSubscriptions, SuiteEvent, SuitePhase};
use switchyard_proto::vocabulary::phase_name;
use temporalio_workflow::WorkflowContext;

use super::SuiteWorkflow;
use super::context::{now, wait};
use crate::activity_defs::EventSubscriptionTypes;
use crate::options;

/// Asks the worker which event types its webhooks take; none when the
/// suite predates events (its history has no answer to replay).
pub(super) async fn subscribe(ctx: &WorkflowContext<SuiteWorkflow>) {
    if !ctx.patched(names::patches::WEBHOOK_EVENTS) {
        return;
    }
    let types = ctx.execute_activity(EventSubscriptionTypes, EventSubscriptions::default(), options::event_subscriptions()).await
        .map(|s| s.types)
        .unwrap_or_default();
    ctx.state_mut(|s| s.subscribed = types);
}

/// Queues an event of `event_type` about `devices` (all the suite's when
/// empty), if a subscription takes it; `fill` adds what only this type says.
pub(super) fn emit(ctx: &WorkflowContext<SuiteWorkflow>, event_type: &str, devices: Vec<String>, fill: impl FnOnce(&SuiteWorkflow, &mut SuiteEvent)) {
    if !ctx.state(|s| s.subscribed.iter().any(|t| t == event_type)) {
        return;
    }
    let at = now(ctx);
    ctx.state_mut(|s| {
        s.events_queued += 1;
        let seq = s.events_queued;
        let status = &s.status;
        // Every event is a workflow's input in the suite's history: it names
        // a bounded number of devices, whatever the fleet.
        let (devices, devices_omitted) = if devices.is_empty() {
            let shown = names::STATUS_DEVICES_SHOWN;
            (status.devices.iter().take(shown).map(|d| d.device.clone()).collect(), status.devices.len().saturating_sub(shown) as u32)
        } else {
            (devices, 0)
        };
        let mut event = SuiteEvent {
            id: format!("{}.{seq}.{event_type}", status.suite_id),
            r#type: event_type.to_string(),
            suite_id: status.suite_id.clone(),
            suite_name: status.name.clone(),
            at,
            phase: phase_name(status.phase()).to_string(),
            requester: status.requester.clone(),
            devices,
            devices_omitted,
            plan_hash: status.plan_hash.clone(),
            error: status.error.clone(),
            counts: status.counts,
            ..Default::default()
        };
        fill(s, &mut event);
        s.outbox.push_back((seq, event));
    });
}

/// The event of a suite's end, `suite.<phase>`.
pub(super) fn emit_end(ctx: &WorkflowContext<SuiteWorkflow>, phase: SuitePhase, summary: &str) {
    let Some(event_type) = events::of_phase(phase_name(phase)) else { return };
    emit(ctx, &event_type, Vec::new(), |_, e| e.summary = summary.to_string());
}

/// Starts an event workflow for each queued event, in order, until the
/// suite is done and nothing is queued.
pub(super) async fn pump(ctx: &WorkflowContext<SuiteWorkflow>) {
    loop {
        wait(ctx, |s| !s.outbox.is_empty() || s.events_closed).await;
        let Some((seq, event)) = ctx.state_mut(|s| s.outbox.pop_front()) else { return };
        let owner = event.suite_id.clone();
        // A start that fails (an id taken) leaves the event unrecorded;
        // the suite goes on either way.
        if let Some(emitted) = crate::event::start(ctx, &owner, seq, event).await {
            ctx.state_mut(|s| s.status.events.push(emitted));
        }
    }
}
