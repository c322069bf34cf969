//! After the rollout: roll back the changed devices when the course says
//! so (last changed first), give every device lock back, and name the
//! final phase; and ending the suite in a phase, from wherever it ends
//! ([`finish`]: final counts, search attributes, the end event).
//!
//! Must never: skip a changed device's rollback once one is due, or keep a
//! lock after the suite ends (another suite would wait a day for it).

use switchyard_proto::names;
use switchyard_proto::v1::{DeviceMode, DeviceRunInput, DeviceStatus, LockRequest, SuitePhase, SuiteStatus};
use switchyard_proto::vocabulary::count;
use temporalio_workflow::common::SearchAttributeKey;
use temporalio_workflow::workflows::join_all;
use temporalio_workflow::WorkflowContext;

use super::apply::run_child;
use super::context::{now, set_phase, wait};
use super::course::{self, Ending};
use super::SuiteWorkflow;
use crate::activity_defs::UnlockDevice;
use crate::options;

/// Rolls back if the course asks for it, and says how the suite ends.
pub(super) async fn conclude(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str) -> (SuitePhase, String) {
    let (failed, completed, ending) = ctx.state(|s| {
        let (failed, skipped) = (s.failed_total(), s.count_of(DeviceStatus::Skipped));
        (failed, s.completed.clone(), course::conclude(&s.course, failed, skipped, s.completed.len()))
    });
    let (why, cancelled) = match ending {
        Ending::Done(phase, summary) => return (phase, summary),
        Ending::RollBack { why, cancelled } => (why, cancelled),
    };
    set_phase(ctx, SuitePhase::RollingBack, format!("{why}; rolling back {}", count(completed.len() as u64, "device")));
    ctx.state_mut(|s| s.inflight = 0);
    // Reverse order of completion: the last device changed is the first restored.
    let rolled = join_all(completed.iter().rev().map(|d| rollback_device(ctx, suite_id, d))).await;
    let back = rolled.iter().filter(|ok| **ok).count();
    // Changes of the suite's a reverse had to leave (something else now
    // uses the row, someone changed the field since): not all as it was.
    let left = ctx.state(|s| s.status.devices.iter().flat_map(|d| &d.compensation).filter(|e| e.remains).count() as u32);
    course::after_rollback(&why, cancelled, failed, back, completed.len(), left)
}

async fn rollback_device(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, device: &str) -> bool {
    // Rollback ignores the course: it is exactly what runs after a stop.
    wait(ctx, |s| s.inflight < s.status.parallelism.max(1)).await;
    ctx.state_mut(|s| s.inflight += 1);
    let (plan, applied, lock_wait_seconds, save_config) = ctx.state(|s| {
        let applied = s.status.devices.iter().find(|d| d.device == device).map(|d| d.steps_applied.clone()).unwrap_or_default();
        let lock_wait = s.input.rollout.as_ref().map_or(0, |r| r.lock_wait_seconds);
        let save = !s.input.rollout.as_ref().is_some_and(|r| r.skip_config_save);
        (s.plans.get(device).cloned().unwrap_or_default(), applied, lock_wait, save)
    });
    // The suite holds the device's lock from its apply: taking it again is
    // immediate; waiting covers a lock that expired and was taken meanwhile.
    let input = DeviceRunInput {
        suite_id: suite_id.to_string(),
        mode: DeviceMode::Compensate as i32,
        plan: Some(plan),
        applied_steps: applied,
        fail_if_locked: false,
        lock_wait_seconds,
        save_config,
        warrant: ctx.state(|s| s.warrant(device)),
        ..ctx.state(|s| s.for_history())
    };
    let result = run_child(ctx, suite_id, device, "rollback", input).await;
    ctx.state_mut(|s| s.inflight -= 1);
    let ok = result.status == DeviceStatus::RolledBack as i32;
    let finished = now(ctx);
    ctx.state_mut(|s| {
        s.device_mut(device, |d| {
            d.status = result.status;
            d.locked |= result.locked;
            d.steps_compensated = result.steps_compensated.clone();
            d.retries.extend(result.retries.iter().cloned());
            d.finished_at = finished;
            // The rollback's save is what the startup configuration now holds.
            d.saved = result.saved;
            d.save_error = result.save_error.clone();
            if !result.error.is_empty() {
                d.error = result.error.clone();
            }
        });
        s.log_compensation(device, &result.compensation);
        s.count();
    });
    ok
}

/// Adds to the summary the devices whose configuration could not be saved:
/// their change (or undo) is live but would not survive a reboot.
pub(super) fn with_unsaved(ctx: &WorkflowContext<SuiteWorkflow>, summary: String) -> String {
    let unsaved = ctx.state(|s| s.status.devices.iter().filter(|d| !d.save_error.is_empty()).count() as u64);
    if unsaved == 0 {
        return summary;
    }
    format!("{summary}; {} not saved to the startup configuration (see SAVED)", count(unsaved, "device"))
}

/// Gives back the lock of every device this suite locked, as local
/// activities: one marker each in the suite's history instead of three
/// events and a server round trip (about 500 fewer events at 200 devices).
/// A lock that cannot be given back (the device went away) expires on the
/// device.
pub(super) async fn release_locks(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str) {
    let locked: Vec<String> = ctx.state(|s| s.status.devices.iter().filter(|d| d.locked).map(|d| d.device.clone()).collect());
    if locked.is_empty() {
        return;
    }
    ctx.set_current_details(format!("releasing {}", count(locked.len() as u64, "device lock")));
    let since = now(ctx);
    join_all(locked.iter().map(|device| {
        let req = LockRequest { suite_id: suite_id.to_string(), device: device.clone(), since: since.clone(), warrant: None };
        ctx.execute_local_activity(UnlockDevice, req, options::lock_release(format!("unlock {device}")))
    }))
    .await;
}

/// Ends the suite in `phase`: final counts, times and search attributes;
/// returns the status that becomes the workflow's result.
pub(super) fn finish(ctx: &WorkflowContext<SuiteWorkflow>, phase: SuitePhase, details: String) -> SuiteStatus {
    let finished = now(ctx);
    let failed = ctx.state_mut(|s| {
        s.count();
        s.status.finished_at = finished;
        if !matches!(phase, SuitePhase::Succeeded | SuitePhase::Planned) && s.status.error.is_empty() {
            s.status.error = details.clone();
        }
        s.status.counts.as_ref().map_or(0, |c| c.failed)
    });
    ctx.upsert_search_attributes([SearchAttributeKey::int(names::SA_FAILED_COUNT).value_set(i64::from(failed))]);
    set_phase(ctx, phase, details.clone());
    super::events::emit_end(ctx, phase, &details);
    ctx.state(|s| s.status.clone())
}
