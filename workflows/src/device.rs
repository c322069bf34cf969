//! DeviceWorkflow: one device's part of a suite. Its history is the
//! device's journal: every step applied, verified or reversed, with inputs
//! and results, one row per device in the Web UI.
//!
//! Apply mode reads the plan's pre-checks, applies the planned steps in
//! order and verifies, then reads its post-checks; if a pre-check fails
//! nothing is written, and if a step, the verification or a post-check
//! fails, it reverses its own completed steps before reporting failure, so
//! a device is never left half-changed or changed and broken. Compensate
//! mode reverses the steps a suite-level rollback names.


// The workflow macros emit marker constants for each method; the methods
// carry the docs.
#![allow(missing_docs)]

use std::time::Duration;

use switchyard_proto::names::{self, failures, patches};
use switchyard_proto::vocabulary::{count, device_status_name};
use switchyard_proto::time::format_rfc3339;
use switchyard_proto::v1::{
    ApplyDeviceRequest, ApplyStepRequest, Check, CheckDeviceRequest, CheckWhen, CompensationAction, ConfirmRequest, DevicePlan, StepOutcome, CompensationEntry, DeviceMode, DeviceResult, DeviceRunInput, DeviceStatus, DeviceWaiting, LockRequest,
    ReverseStepRequest, SaveConfigRequest, StepPlan, StepRetry, VerifyRequest,
};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::common::error::ActivityExecutionError;
use temporalio_workflow::common::{ActivityDefinition, SearchAttributeKey};
use temporalio_workflow::common::data_converters::TemporalDeserializable;
use temporalio_workflow::{WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::activity_defs::{ApplyDevice, ApplyStep, ArmDevice, CheckDevice, ConfirmDevice, LockDevice, ReverseStep, SaveConfig, VerifyDevice};
use crate::failure::{describe, failure_type};
use crate::options;

/// One device's run.
#[workflow]
pub struct DeviceWorkflow {
    input: DeviceRunInput,
    /// Which `patches::DEVICE_CURRENT*` the run started under (0 before
    /// them): every device patch it folds holds without being asked (see
    /// [`patched`]).
    current: u8,
}

#[workflow_methods]
impl DeviceWorkflow {
    /// Keeps the input for the run.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: DeviceRunInput) -> Self {
        Self { input, current: 0 }
    }

    /// Applies or compensates, per the input's mode, and says how it ended
    /// in its `DeviceStatus` search attribute, so failed devices can be
    /// listed in the Web UI.
    #[run(name = switchyard_proto::names::DEVICE_WORKFLOW)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<DeviceResult> {
        // Asked before anything else (see `run_device` on why), and the one
        // patch a new run asks at all.
        let current = if ctx.patched(patches::DEVICE_CURRENT_2) {
            2
        } else {
            u8::from(ctx.patched(patches::DEVICE_CURRENT))
        };
        ctx.state_mut(|s| s.current = current);
        let history = patched(ctx, patches::DEVICE_HISTORY);
        let by_activity = history && patched(ctx, patches::DEVICE_HISTORY_BY_ACTIVITY);
        let result = run_device(ctx).await?;
        if history {
            let input = ctx.state(|s| s.input.clone());
            let at = switchyard_proto::time::format_rfc3339(crate::unix_secs(ctx.workflow_time()));
            let entry = crate::history::entry(&input, &result, &at, ctx.workflow_id(), ctx.run_id());
            if by_activity {
                crate::history::report(ctx, entry, &result.device).await;
            } else {
                crate::history::record(ctx, entry, &result.device).await;
            }
        }
        if patched(ctx, patches::DEVICE_SEARCH_ATTRIBUTES) {
            let status = DeviceStatus::try_from(result.status).unwrap_or(DeviceStatus::Unspecified);
            ctx.upsert_search_attributes([SA_DEVICE_STATUS.value_set(device_status_name(status).to_string())]);
        }
        crate::outcome::close_device(result, patched(ctx, patches::OUTCOME_STATUS))
    }
}

/// Whether the change behind device patch `id` is in effect. A run started
/// since `DEVICE_CURRENT` has every patch it folds in without asking: each
/// patch asked is a marker and a `TemporalChangeVersion` search-attribute
/// upsert (a visibility write on the server) in every device's history,
/// eight of them per device before. Older runs ask each patch as they
/// always did, so their histories replay unchanged. A patch added later is
/// not folded in, so it is asked in every run, as a patch must be.
fn patched(ctx: &WorkflowContext<DeviceWorkflow>, id: &str) -> bool {
    let current = ctx.state(|s| s.current);
    (current >= 1 && patches::DEVICE_CURRENT_FOLDS.contains(&id))
        || (current >= 2 && patches::DEVICE_CURRENT_2_FOLDS.contains(&id))
        || ctx.patched(id)
}

/// The `DeviceStatus` search attribute of a device workflow.
pub const SA_DEVICE_STATUS: SearchAttributeKey<String> = SearchAttributeKey::keyword(names::SA_DEVICE_STATUS);

/// The device's run, in its mode.
async fn run_device(ctx: &mut WorkflowContext<DeviceWorkflow>) -> WorkflowResult<DeviceResult> {
    let input = ctx.state(|s| s.input.clone());
    let plan = input.plan.clone().unwrap_or_default();
    let mut result = DeviceResult { device: plan.device.clone(), ..Default::default() };
    let compensating = input.mode == DeviceMode::Compensate as i32;
    // Asked first, before any local activity: a patch first asked right
    // after one could be answered in another workflow task on replay than
    // it was when it ran.
    let saves = input.save_config && patched(ctx, patches::CONFIG_SAVE);
    let at_once = patched(ctx, patches::DEVICE_APPLY_BATCH);
    // Only a plan made with checks asks: one made before has none to read.
    let checks = !compensating && !plan.checks.is_empty() && patched(ctx, patches::DEVICE_CHECKS);
    // Since `device-health`, the device's health is read before and after
    // its change even when it has checks of one kind only.
    let health = checks && patched(ctx, patches::DEVICE_HEALTH);
    let confirm = !compensating && input.confirm_timeout_seconds > 0 && patched(ctx, patches::DEVICE_CONFIRM);
    let watch = confirm && patched(ctx, patches::DEVICE_CONFIRM_WATCH);
    if device_lock(ctx) {
        match take_lock(ctx, &input, &plan.device).await {
            Ok((waited, attempt)) => {
                retried(&mut result, "", "lock", attempt);
                result.locked = true;
                result.lock_wait = waited;
            }
            Err(why) => {
                result.status = DeviceStatus::Failed as i32;
                result.error = format!("{}: {why}", plan.device);
                if compensating {
                    for id in &input.applied_steps {
                        result.compensation.push(CompensationEntry {
                            device: plan.device.clone(),
                            step_id: id.clone(),
                            action: CompensationAction::LeftInPlace as i32,
                            reason: format!("not reversed: {why}"),
                            remains: true,
                            ..Default::default()
                        });
                    }
                } else {
                    result.compensation.push(not_applied(&plan.device, "", &format!("{why}: nothing written")));
                }
                return Ok(result);
            }
        }
    }
    if compensating {
        let steps: Vec<Undo> = plan.steps.iter().filter(|s| input.applied_steps.contains(&step_id(s)))
            .map(|step| Undo { step, unsure: false }).collect();
        let failed = compensate(ctx, &input.suite_id, &plan.device, &steps, &mut result).await;
        result.status = DeviceStatus::RolledBack as i32;
        match failed {
            Some(e) => {
                result.status = DeviceStatus::Failed as i32;
                result.error = format!("compensation incomplete: {e}");
                not_saved(saves, &mut result, "not saved: the rollback is incomplete, so the startup configuration keeps the last saved state");
            }
            None => save(ctx, &input, &mut result, saves).await,
        }
        return Ok(result);
    }

    if checks && let Some(why) = read_checks(ctx, &input, &plan, CheckWhen::Pre, health, &mut result).await {
        ctx.set_current_details(format!("failed its pre-checks: {why}"));
        result.status = DeviceStatus::Failed as i32;
        result.error = format!("{}: pre-check failed: {why}", plan.device);
        result.compensation.push(not_applied(&plan.device, "", "pre-check failed: nothing written"));
        return Ok(result);
    }
    let mut armed = None;
    if confirm {
        match arm(ctx, &input, &plan, &mut result).await {
            Ok(timer) => armed = Some(timer),
            Err(why) => {
                ctx.set_current_details(format!("could not arm its revert: {why}"));
                result.status = DeviceStatus::Failed as i32;
                result.error = format!("{}: the switch's revert could not be armed, so nothing was written: {why}", plan.device);
                result.compensation.push(not_applied(&plan.device, "", "no revert armed: nothing written"));
                return Ok(result);
            }
        }
    }
    let Applied { applied, unsure, mut failure } = if at_once {
        apply_at_once(ctx, &input, &plan, &mut result).await
    } else {
        apply_step_by_step(ctx, &input, &plan, &mut result).await
    };
    // The switch must not revert while its checks are still being read.
    if watch && checks && failure.is_none() && let Some(timer) = armed.as_mut() {
        failure = extend_if_short(ctx, &input, &plan, timer, &mut result).await;
    }
    // The rows are written and read back; the device must also work.
    if checks && failure.is_none() {
        failure = read_checks(ctx, &input, &plan, CheckWhen::Post, health, &mut result).await
            .map(|why| format!("{}: post-check failed: {why}", plan.device));
    }
    // Confirmed only once it works, over a fresh connection; a device that
    // fails is confirmed after its own undo instead (below), so its timer
    // cannot roll back what others changed since.
    if confirm && failure.is_none() {
        failure = confirm_change(ctx, &input, &plan, &mut result).await;
    }
    match failure {
        None => {
            result.status = DeviceStatus::Succeeded as i32;
            if !applied.is_empty() {
                save(ctx, &input, &mut result, saves).await;
            }
            ctx.set_current_details("succeeded");
        }
        Some(error) => {
            ctx.set_current_details(format!("failed, compensating: {error}"));
            result.error = error;
            result.status = DeviceStatus::Failed as i32;
            let mut to_undo: Vec<Undo> = applied.iter().map(|s| Undo { step: s, unsure: false }).collect();
            to_undo.extend(unsure.into_iter().map(|s| Undo { step: s, unsure: true }));
            let undone = if result.reverted_by_switch {
                None
            } else {
                compensate(ctx, &input.suite_id, &plan.device, &to_undo, &mut result).await
            };
            if confirm && !result.confirmed && !result.reverted_by_switch {
                // The undo is done: the timer must not restore over it.
                let _ = confirm_change(ctx, &input, &plan, &mut result).await;
            }
            // Cut off: its timer restores the switch; once that is due,
            // reconnect to see whether it did.
            if watch && !result.confirmed && !result.reverted_by_switch && let Some(timer) = &armed {
                await_revert(ctx, &input, &plan, timer, &mut result).await;
            }
            // The switch restored its checkpoint: every step it had is undone.
            let undone = match (&armed, watch && result.reverted_by_switch) {
                (Some(timer), true) => {
                    let written: Vec<&StepPlan> = to_undo.iter().map(|u| u.step).collect();
                    restored_by_switch(&plan, &written, timer, &mut result);
                    None
                }
                _ => undone,
            };
            match undone {
                Some(e) => {
                    result.error = format!("{}; compensation incomplete: {e}", result.error);
                    not_saved(saves, &mut result, "not saved: the device's undo is incomplete, so the startup configuration keeps the last saved state");
                }
                // Something was written (an applied step, or an unsure one
                // its reverse found on the device): save what the undo left.
                None if !applied.is_empty() || result.compensation.iter().any(|e| e.action != CompensationAction::NotApplied as i32) => {
                    save(ctx, &input, &mut result, saves).await;
                }
                None => {}
            }
        }
    }
    Ok(result)
}

/// What applying a device's steps came to: the steps written, the steps
/// that may or may not have been (their apply failed without a reply), and
/// why the device fails, if it does (a step refused or failed, or the
/// verification found rows not as planned).
struct Applied<'p> {
    applied: Vec<&'p StepPlan>,
    unsure: Vec<&'p StepPlan>,
    failure: Option<String>,
}

/// Applies every step in one local activity (one script on the device for
/// all of them, then the re-read), since the `device-apply-batch` patch:
/// one marker in the device's history instead of one per step and one for
/// the verification. The script stops at a step that drifts, so the steps
/// before it are written and the ones after it are not.
async fn apply_at_once<'p>(ctx: &WorkflowContext<DeviceWorkflow>, input: &DeviceRunInput, plan: &'p DevicePlan, result: &mut DeviceResult) -> Applied<'p> {
    let device = &plan.device;
    let mut out = Applied { applied: Vec::new(), unsure: Vec::new(), failure: None };
    ctx.set_current_details(format!("applying {}", count(plan.steps.len() as u64, "step")));
    let req = ApplyDeviceRequest { suite_id: input.suite_id.clone(), device: device.clone(), steps: plan.steps.clone(), warrant: input.warrant.clone() };
    let summary = format!("apply {} on {device}", count(plan.steps.len() as u64, "step"));
    let outcome = ctx.execute_local_activity(ApplyDevice, req, options::local_device_io(summary, false)).await;
    let r = match outcome {
        Ok(r) => r,
        Err(e) => {
            // No reply after every attempt: the script is atomic, but an
            // attempt whose reply was lost may have written any prefix of
            // the steps, so each is undone if its journal says it landed.
            out.failure = Some(describe(&e));
            if unsure_steps(ctx) {
                out.unsure = plan.steps.iter().collect();
            }
            return out;
        }
    };
    for (step, done) in plan.steps.iter().zip(&r.steps) {
        let id = step_id(step);
        match StepOutcome::try_from(done.outcome).unwrap_or(StepOutcome::Unspecified) {
            outcome @ (StepOutcome::Applied | StepOutcome::AlreadyApplied) => {
                // As in the step-by-step path: found already written means
                // the script ran at least twice.
                let attempt = if outcome == StepOutcome::AlreadyApplied { r.attempt.max(2) } else { r.attempt };
                retried(result, &id, "apply", attempt);
                out.applied.push(step);
                result.steps_applied.push(id);
            }
            _ => {
                out.failure = Some(done.drift.clone());
                result.compensation.push(not_applied(device, &id, "refused as drift: nothing written"));
                return out;
            }
        }
    }
    if r.steps.len() < plan.steps.len() {
        out.failure = Some(format!("{device}: the device reported {} of {} steps", r.steps.len(), plan.steps.len()));
    } else if r.verified {
        result.verified = true;
    } else {
        out.failure = Some(format!("{device}: verify failed: {}", r.mismatches.join("; ")));
    }
    out
}

/// Applies the steps one local activity (or, before the
/// `local-device-steps` patch, one regular activity) each, then verifies:
/// the path of device workflows started before `device-apply-batch`.
async fn apply_step_by_step<'p>(ctx: &WorkflowContext<DeviceWorkflow>, input: &DeviceRunInput, plan: &'p DevicePlan, result: &mut DeviceResult) -> Applied<'p> {
    let local = local_steps(ctx);
    let mut applied: Vec<&StepPlan> = Vec::new();
    // A step whose apply failed without saying whether it was written.
    let mut unsure: Vec<&StepPlan> = Vec::new();
    let mut failure: Option<String> = None;
    for step in &plan.steps {
        let id = step_id(step);
        ctx.set_current_details(format!("applying {id}"));
        let req = ApplyStepRequest { suite_id: input.suite_id.clone(), device: plan.device.clone(), step: Some(step.clone()), warrant: input.warrant.clone() };
        let outcome = device_step(ctx, local, ApplyStep, req, format!("apply {id} on {}", plan.device), Effort::Change).await;
        match outcome {
            Ok(r) => {
                // Found already written: an earlier attempt wrote it and its
                // reply was lost (a worker that died, a stalled device), so
                // the step ran at least twice, whatever this attempt's number.
                let attempt = if r.already_applied { r.attempt.max(2) } else { r.attempt };
                retried(result, &id, "apply", attempt);
                applied.push(step);
                result.steps_applied.push(id);
            }
            Err(e) => {
                failure = Some(describe(&e));
                if failure_type(&e) == failures::DRIFT {
                    // The script ran and refused: nothing was written.
                    result.compensation.push(not_applied(&plan.device, &id, "refused as drift: nothing written"));
                } else if unsure_steps(ctx) {
                    unsure.push(step);
                }
                break;
            }
        }
    }
    if failure.is_none() {
        ctx.set_current_details("verifying");
        let req = VerifyRequest { device: plan.device.clone(), steps: plan.steps.clone(), suite_id: input.suite_id.clone() };
        let outcome = device_step(ctx, local, VerifyDevice, req, format!("verify {}", plan.device), Effort::Change).await;
        match outcome {
            Ok(r) if r.ok => {
                retried(result, "", "verify", r.attempt);
                result.verified = true;
            }
            // The re-read found rows that are not as planned: the device
            // fails and undoes its steps, like any other failed step.
            Ok(r) => failure = Some(format!("{}: verify failed: {}", plan.device, r.mismatches.join("; "))),
            Err(e) => failure = Some(describe(&e)),
        }
    }
    Applied { applied, unsure, failure }
}

/// Reads the plan's checks of `when` on the device (each until it holds or
/// its settle time passes) and the device's health, keeping both in the
/// result; why the checks failed, if any did.
async fn read_checks(
    ctx: &WorkflowContext<DeviceWorkflow>, input: &DeviceRunInput, plan: &DevicePlan, when: CheckWhen, health: bool, result: &mut DeviceResult,
) -> Option<String> {
    // With `health`, read even when there are none of this kind: the call
    // also reads the device's health, before its first write and after.
    let list: Vec<Check> = plan.checks.iter().filter(|c| c.when == when as i32).cloned().collect();
    if list.is_empty() && !health {
        return None;
    }
    let kind = if when == CheckWhen::Pre { "pre-checks" } else { "post-checks" };
    ctx.set_current_details(format!("reading {} {kind} and the device's health", list.len()));
    let longest = list.iter().map(|c| c.within_seconds).max().unwrap_or(0);
    let req = CheckDeviceRequest { suite_id: input.suite_id.clone(), device: plan.device.clone(), when: when as i32, checks: list };
    let summary = format!("{kind} on {}", plan.device);
    match ctx.execute_local_activity(CheckDevice, req, options::local_device_checks(summary, longest)).await {
        Ok(r) => {
            let failed: Vec<String> = r.readings.iter().filter(|r| !r.passed)
                .map(|r| format!("{} (expected {}, saw {} after {}s)", r.name, r.expected, r.observed, r.waited_seconds)).collect();
            result.checks.extend(r.readings);
            match when {
                CheckWhen::Pre => result.health_before = r.health,
                _ => result.health_after = r.health,
            }
            (!failed.is_empty()).then(|| failed.join("; "))
        }
        Err(e) => Some(format!("the {kind} could not be read: {}", describe(&e))),
    }
}

/// A revert armed on the switch: when (workflow time, Unix seconds) and
/// for how long, so the workflow knows when the switch will act.
struct Armed {
    since: i64,
    timeout_seconds: u32,
}

impl Armed {
    /// When the switch restores its checkpoint unless confirmed first.
    fn due(&self) -> i64 {
        self.since + i64::from(self.timeout_seconds)
    }
}

/// Seconds the confirm over a fresh connection may take after the post-
/// checks: the margin every revert timer leaves beyond them.
const CONFIRM_MARGIN_SECONDS: u32 = 60;

/// Seconds after a revert's due time before the workflow reconnects to see
/// whether the switch restored itself (the rollback takes a moment).
const REVERT_SETTLE_SECONDS: u64 = 15;

/// The longest settle time of the plan's post-checks.
fn longest_post(plan: &DevicePlan) -> u32 {
    plan.checks.iter().filter(|c| c.when == CheckWhen::Post as i32).map(|c| c.within_seconds).max().unwrap_or(0)
}

/// Arms the device's confirmed commit (checkpoint and revert timer on the
/// switch), long enough for its steps, its post-checks and the confirm.
async fn arm(ctx: &WorkflowContext<DeviceWorkflow>, input: &DeviceRunInput, plan: &DevicePlan, result: &mut DeviceResult) -> Result<Armed, String> {
    let timeout_seconds = input.confirm_timeout_seconds.max(longest_post(plan) + CONFIRM_MARGIN_SECONDS);
    ctx.set_current_details(format!("arming the switch's revert ({timeout_seconds}s)"));
    let req = ConfirmRequest { suite_id: input.suite_id.clone(), device: plan.device.clone(), timeout_seconds, warrant: input.warrant.clone(), ..Default::default() };
    let outcome = ctx.execute_local_activity(ArmDevice, req, options::local_device_io(format!("arm revert on {}", plan.device), false)).await;
    match outcome {
        Ok(r) => {
            retried(result, "", "arm", r.attempt);
            result.armed = true;
            Ok(Armed { since: now_secs(ctx), timeout_seconds })
        }
        Err(e) => Err(describe(&e)),
    }
}

/// Restarts the revert timer when what is left of it would not cover the
/// post-checks and the confirm (a slow apply, a worker that queued the
/// device's calls); why the device fails, if the timer had already fired.
async fn extend_if_short(ctx: &WorkflowContext<DeviceWorkflow>, input: &DeviceRunInput, plan: &DevicePlan, timer: &mut Armed, result: &mut DeviceResult) -> Option<String> {
    let needed = longest_post(plan) + CONFIRM_MARGIN_SECONDS;
    let now = now_secs(ctx);
    if timer.due() - now >= i64::from(needed) {
        return None;
    }
    let timeout_seconds = input.confirm_timeout_seconds.max(needed);
    ctx.set_current_details(format!("extending the switch's revert ({timeout_seconds}s from now)"));
    let req = ConfirmRequest { suite_id: input.suite_id.clone(), device: plan.device.clone(), timeout_seconds, warrant: input.warrant.clone(), extend: true };
    match ctx.execute_local_activity(ArmDevice, req, options::local_device_io(format!("extend revert on {}", plan.device), false)).await {
        Ok(r) if r.reverted => {
            result.reverted_by_switch = true;
            Some(format!("{}: reverted by the switch: its revert timer fired before the change was checked, and it restored its checkpoint", plan.device))
        }
        Ok(r) => {
            retried(result, "", "extend", r.attempt);
            *timer = Armed { since: now_secs(ctx), timeout_seconds };
            None
        }
        // The timer still runs as armed: the checks go on, and a switch
        // that reverts before the confirm is found out then.
        Err(_) => None,
    }
}

/// Waits until the switch's revert is due, then reconnects and confirms,
/// which finds whether the switch restored its checkpoint by itself. A
/// device still unreachable is said so, with when its timer was due.
async fn await_revert(ctx: &WorkflowContext<DeviceWorkflow>, input: &DeviceRunInput, plan: &DevicePlan, timer: &Armed, result: &mut DeviceResult) {
    let due = timer.due();
    ctx.set_current_details(format!("unreachable: waiting for its revert timer, due {}", format_rfc3339(due)));
    let wait = (due - now_secs(ctx)).max(0) as u64 + REVERT_SETTLE_SECONDS;
    let _ = ctx.timer(Duration::from_secs(wait)).await;
    match confirm_change(ctx, input, plan, result).await {
        Some(_) if result.reverted_by_switch => {}
        Some(why) => result.error = format!("{}; {why}", result.error),
        None => {}
    }
}

/// Records that the switch's own revert undid the device's steps: each
/// written step is restored (by the switch, to its checkpoint from before
/// the change), whatever its own reverse managed while the switch was cut
/// off.
fn restored_by_switch(plan: &DevicePlan, written: &[&StepPlan], timer: &Armed, result: &mut DeviceResult) {
    let at = format_rfc3339(timer.due());
    let reason = format!("restored by the switch: its revert timer (due {at}) rolled back to the checkpoint taken before the change");
    result.compensation.retain(|e| e.action == CompensationAction::NotApplied as i32);
    for step in written {
        let id = step_id(step);
        if !result.steps_compensated.contains(&id) {
            result.steps_compensated.push(id.clone());
        }
        result.compensation.push(CompensationEntry {
            device: plan.device.clone(),
            step_id: id,
            action: CompensationAction::Restored as i32,
            reason: reason.clone(),
            ..Default::default()
        });
    }
    if !result.error.contains("reverted by the switch") {
        result.error = format!("{}; reverted by the switch on its timer (due {at})", result.error);
    }
}

/// Confirms the device's change over a fresh connection; why the device
/// fails, if the switch had already reverted it or cannot be reached (its
/// timer then reverts it by itself).
async fn confirm_change(ctx: &WorkflowContext<DeviceWorkflow>, input: &DeviceRunInput, plan: &DevicePlan, result: &mut DeviceResult) -> Option<String> {
    ctx.set_current_details("confirming the change");
    let req = ConfirmRequest { suite_id: input.suite_id.clone(), device: plan.device.clone(), warrant: input.warrant.clone(), ..Default::default() };
    let outcome = ctx.execute_local_activity(ConfirmDevice, req, options::local_device_io(format!("confirm on {}", plan.device), false)).await;
    match outcome {
        Ok(r) if r.reverted => {
            result.reverted_by_switch = true;
            Some(format!("{}: reverted by the switch: its revert timer fired before the change was confirmed, and it restored its checkpoint", plan.device))
        }
        Ok(r) => {
            retried(result, "", "confirm", r.attempt);
            result.confirmed = true;
            None
        }
        Err(e) => Some(format!("{}: the change could not be confirmed ({}); the switch restores its checkpoint by itself when its timer fires", plan.device, describe(&e))),
    }
}

/// Saves the device's configuration (`config save -y`) when `saves` (the
/// suite asks for it and the run has the `config-save` patch), recording a
/// failure in the result: the change stands, but would not survive a reboot.
async fn save(ctx: &WorkflowContext<DeviceWorkflow>, input: &DeviceRunInput, result: &mut DeviceResult, saves: bool) {
    if !saves {
        return;
    }
    ctx.set_current_details("saving the configuration");
    let device = result.device.clone();
    let req = SaveConfigRequest { suite_id: input.suite_id.clone(), device: device.clone(), warrant: input.warrant.clone() };
    let outcome = device_step(ctx, local_steps(ctx), SaveConfig, req, format!("config save on {device}"), Effort::Change).await;
    match outcome {
        Ok(r) => {
            retried(result, "", "save", r.attempt);
            result.saved = true;
        }
        Err(e) => result.save_error = format!("not saved: {}", describe(&e)),
    }
}

/// Records why a device that would save did not.
fn not_saved(saves: bool, result: &mut DeviceResult, why: &str) {
    if saves {
        result.save_error = why.to_string();
    }
}

/// Notes a step that succeeded only on attempt `attempt` (> 1).
fn retried(result: &mut DeviceResult, step_id: &str, kind: &str, attempt: u32) {
    if attempt > 1 {
        result.retries.push(StepRetry { step_id: step_id.to_string(), kind: kind.to_string(), attempts: attempt });
    }
}

/// How hard a device step tries: an undo gets more attempts and survives
/// the workflow's cancellation, so a cancelled device still undoes.
#[derive(Clone, Copy)]
enum Effort {
    Change,
    Undo,
}

/// Runs one device step: as a local activity in this worker (one marker in
/// history) since the `local-device-steps` patch, as a regular activity in
/// histories recorded before it.
async fn device_step<A>(
    ctx: &WorkflowContext<DeviceWorkflow>,
    local: bool,
    activity: A,
    input: A::Input,
    summary: String,
    effort: Effort,
) -> Result<A::Output, ActivityExecutionError>
where
    A: ActivityDefinition,
    A::Output: TemporalDeserializable,
{
    let undo = matches!(effort, Effort::Undo);
    if local {
        ctx.execute_local_activity(activity, input, options::local_device_io(summary, undo)).await
    } else if undo {
        ctx.execute_activity(activity, input, options::compensation(summary)).await
    } else {
        ctx.execute_activity(activity, input, options::device_io(summary)).await
    }
}

/// Device steps run as local activities (one marker each, no server round
/// trip per step) in workflows started since this patch; histories recorded
/// before it keep replaying as regular activities.
fn local_steps(ctx: &WorkflowContext<DeviceWorkflow>) -> bool {
    patched(ctx, patches::LOCAL_DEVICE_STEPS)
}

/// Since this patch a device is locked for its suite before its first step
/// (the suite releases the lock when it ends), so two suites never
/// interleave on one device.
fn device_lock(ctx: &WorkflowContext<DeviceWorkflow>) -> bool {
    patched(ctx, patches::DEVICE_LOCK)
}

/// Takes the device lock, waiting (durably, on timers) while another suite
/// holds it, unless the suite says to fail at once. Returns how long it
/// waited and for whom (empty if it did not) with the attempt that took
/// the lock, or why the device was not locked.
async fn take_lock(ctx: &WorkflowContext<DeviceWorkflow>, input: &DeviceRunInput, device: &str) -> Result<(String, u32), String> {
    let started = now_secs(ctx);
    let mut pause = Duration::from_secs(2);
    let mut waited_for: Option<String> = None;
    loop {
        ctx.set_current_details("taking the device lock");
        let req = LockRequest { suite_id: input.suite_id.clone(), device: device.to_string(), since: format_rfc3339(now_secs(ctx)), warrant: input.warrant.clone() };
        let outcome = ctx.execute_local_activity(LockDevice, req, options::local_device_io(format!("lock {device}"), false)).await;
        let lock = outcome.map_err(|e| format!("could not take the device lock: {}", describe(&e)))?;
        if lock.acquired {
            if waited_for.is_some() && reports_waits(ctx) {
                tell_suite(ctx, device, String::new()).await;
            }
            let waited = now_secs(ctx) - started;
            return Ok((waited_for.map(|holder| format!("waited {waited}s for the lock held by {holder}")).unwrap_or_default(), lock.attempt));
        }
        let busy = format!("locked by {} since {}", lock.holder, lock.since);
        if input.fail_if_locked || now_secs(ctx) - started >= input.lock_wait_seconds as i64 {
            if waited_for.is_some() && reports_waits(ctx) {
                tell_suite(ctx, device, String::new()).await;
            }
            return Err(if input.fail_if_locked { busy } else { format!("{busy}; gave up after {}s", input.lock_wait_seconds) });
        }
        ctx.set_current_details(format!("waiting: {busy}"));
        if waited_for.as_deref() != Some(lock.holder.as_str()) && reports_waits(ctx) {
            let until = format_rfc3339(started + input.lock_wait_seconds as i64);
            let waiting = format!("the device lock, held by suite {} since {} (waits until {until})", lock.holder, lock.since);
            tell_suite(ctx, device, waiting).await;
        }
        waited_for = Some(lock.holder);
        ctx.timer(pause).await;
        pause = (pause * 2).min(Duration::from_secs(30));
    }
}

/// Whether the run tells its suite about its waits: only runs started
/// since `DEVICE_CURRENT_2`, which folds `DEVICE_WAITS`. Never asked on its
/// own, since the first wait comes after a local activity, where a patch
/// first asked may be answered in another workflow task on replay.
fn reports_waits(ctx: &WorkflowContext<DeviceWorkflow>) -> bool {
    ctx.state(|s| s.current >= 2)
}

/// Tells the suite that started this run what the device waits for (empty:
/// nothing any more), so its status says why the device is not moving. A
/// run without a parent, or whose parent has ended, tells no one.
async fn tell_suite(ctx: &WorkflowContext<DeviceWorkflow>, device: &str, waiting: String) {
    let Some(parent) = ctx.info().parent() else { return };
    let suite = ctx.external_workflow(parent.workflow_id().to_string(), Some(parent.run_id().to_string()));
    let body = crate::lenient::Lenient::Understood(DeviceWaiting { device: device.to_string(), waiting });
    // Shown, never acted on: a signal that does not arrive changes nothing.
    let _ = suite.signal(crate::signal_defs::DeviceWaitingSignal, body, Default::default()).await;
}

fn now_secs(ctx: &WorkflowContext<DeviceWorkflow>) -> i64 {
    crate::unix_secs(ctx.workflow_time())
}

/// A failed step's outcome can be unknown (a lost reply, a link that
/// dropped mid-call, retries that ended on another error): since this patch
/// such a step is compensated too, and its reverse first checks the device's
/// journal for it.
fn unsure_steps(ctx: &WorkflowContext<DeviceWorkflow>) -> bool {
    patched(ctx, patches::REVERSE_UNSURE_STEPS)
}

/// A step to reverse; `unsure` when its apply may or may not have landed.
struct Undo<'a> {
    step: &'a StepPlan,
    unsure: bool,
}

fn not_applied(device: &str, step_id: &str, reason: &str) -> CompensationEntry {
    CompensationEntry {
        device: device.to_string(),
        step_id: step_id.to_string(),
        reason: reason.to_string(),
        action: CompensationAction::NotApplied as i32,
        ..Default::default()
    }
}

fn step_id(step: &StepPlan) -> String {
    step.step.as_ref().map(|s| s.id.clone()).unwrap_or_default()
}

/// Reverses `steps` in reverse order. Keeps going past a failed reverse so
/// every other step still gets its chance; returns the first failure.
async fn compensate(
    ctx: &WorkflowContext<DeviceWorkflow>,
    suite_id: &str,
    device: &str,
    steps: &[Undo<'_>],
    result: &mut DeviceResult,
) -> Option<String> {
    let warrant = ctx.state(|s| s.input.warrant.clone());
    let mut first_failure = None;
    // Why an unsure step could not be checked: the other unsure steps of
    // the same call are not tried against a device that just failed the
    // same lookup (each try is ten attempts), and are reported as unknown.
    let mut unchecked: Option<String> = None;
    let local = local_steps(ctx);
    for undo in steps.iter().rev() {
        let id = step_id(undo.step);
        if let (true, Some(why)) = (undo.unsure, &unchecked) {
            result.compensation.push(CompensationEntry {
                device: device.to_string(),
                step_id: id,
                reason: format!("may or may not have been written; not checked, since the device could not be checked for a later step: {why}"),
                action: CompensationAction::Unknown as i32,
                ..Default::default()
            });
            continue;
        }
        ctx.set_current_details(format!("reversing {id}"));
        let req = ReverseStepRequest {
            suite_id: suite_id.to_string(),
            device: device.to_string(),
            step: Some(undo.step.clone()),
            check_applied: undo.unsure,
            warrant: warrant.clone(),
        };
        let outcome = device_step(ctx, local, ReverseStep, req, format!("reverse {id} on {device}"), Effort::Undo).await;
        match outcome {
            Ok(r) => {
                retried(result, &id, "reverse", r.attempt);
                result.steps_compensated.push(id);
                result.compensation.extend(r.entries);
            }
            Err(e) => {
                let why = describe(&e);
                let (action, reason) = if undo.unsure {
                    (CompensationAction::Unknown, format!("may or may not have been written; the device could not be checked or undone: {why}"))
                } else {
                    (CompensationAction::LeftInPlace, format!("reverse failed, step left applied: {why}"))
                };
                result.compensation.push(CompensationEntry {
                    device: device.to_string(),
                    step_id: id,
                    reason,
                    action: action as i32,
                    ..Default::default()
                });
                if undo.unsure {
                    unchecked.get_or_insert(why.clone());
                }
                first_failure.get_or_insert(why);
            }
        }
    }
    first_failure
}
