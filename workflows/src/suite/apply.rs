//! The rollout: devices in waves, `parallelism` at a time, each a child
//! DeviceWorkflow; beside it the watchers of the change window, of pauses
//! and of cancellation. They coordinate only through the suite's
//! [`Course`](super::course::Course): each event moves it through one pure
//! decision, and every device start waits on it.
//!
//! Must never: start a device once the course is stopping, or cancel an
//! in-flight device (a device is all-or-nothing; it finishes).

use std::time::Duration;

use switchyard_proto::names;
use switchyard_proto::time::format_rfc3339;
use switchyard_proto::vocabulary::count;
use switchyard_proto::v1::{
    DeviceMode, DeviceResult, DeviceRunInput, DeviceStatus, OnFailure, OperatorAction, OperatorEvent, Rollout, SuiteInput, SuitePhase, WindowClose,
};
use temporalio_workflow::workflows::{join, join_all, select};
use temporalio_workflow::common::SearchAttributeKey;
use temporalio_workflow::common::search_attributes::SearchAttributes;
use temporalio_workflow::{CancellableFuture, ChildWorkflowOptions, WorkflowCancellationToken, WorkflowContext};

use super::context::{self, cancellation, now, now_secs, set_phase, set_wait, show, wait};
use super::course::{self, Course, PauseEnd};
use super::SuiteWorkflow;
use crate::device::DeviceWorkflow;
use crate::rollout;

/// The whole rollout: assigns devices to waves, enters `applying` and runs
/// the waves beside the watchers until every device has ended.
pub(super) async fn rollout(ctx: &WorkflowContext<SuiteWorkflow>, input: &SuiteInput) {
    let settings = input.rollout.clone().unwrap_or_default();
    let sizes = rollout::wave_sizes(input.devices.len(), &settings.waves);
    let mut waves: Vec<Vec<String>> = Vec::new();
    let mut names = input.devices.iter().map(|d| d.device.clone());
    for size in &sizes {
        waves.push(names.by_ref().take(*size).collect());
    }
    let applying_at = now(ctx);
    ctx.state_mut(|s| {
        s.status.applying_at = applying_at;
        s.status.waves = waves.len() as u32;
        for (w, wave) in waves.iter().enumerate() {
            for device in wave {
                s.device_mut(device, |d| d.wave = w as u32 + 1);
            }
        }
    });
    let summary = format!("applying in {}, {} at a time", count(waves.len() as u64, "wave"), settings.parallelism.max(1));
    set_phase(ctx, SuitePhase::Applying, summary.clone());
    super::events::emit(ctx, names::events::APPLYING, Vec::new(), |_, e| e.summary = summary);
    join!(
        run_waves(ctx, &input.suite_id, &waves, &settings),
        watch_window(ctx),
        answer_pauses(ctx, &settings),
        watch_cancellation(ctx),
    );
}

/// Runs the waves in order, soaking between them and reading the gates
/// after each but the last.
pub(super) async fn run_waves(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, waves: &[Vec<String>], settings: &Rollout) {
    // Only a rollout made with gates asks: one made before has none to read.
    let gates = waves.len() > 1 && !settings.gates.is_empty() && ctx.patched(names::patches::SUITE_GATES);
    for (w, wave) in waves.iter().enumerate() {
        ctx.state_mut(|s| s.status.wave = w as u32 + 1);
        join_all(wave.iter().map(|d| apply_device(ctx, suite_id, d, settings))).await;
        let last = w + 1 == waves.len();
        if !last && settings.soak_seconds > 0 && !ctx.state(|s| s.course.is_stopping()) {
            let until = format_rfc3339(now_secs(ctx) + settings.soak_seconds as i64);
            set_wait(ctx, format!("wave {}: wave {} soaks until {until}", w + 2, w + 1));
            let mut timer = std::pin::pin!(context::timer(ctx, Duration::from_secs(settings.soak_seconds)));
            let halted = select! {
                _ = wait(ctx, |s| s.course.is_stopping()) => true,
                _ = timer => false,
            };
            if halted {
                timer.cancel();
            }
            set_wait(ctx, String::new());
        }
        if gates && !last {
            super::wave_gates::read_after(ctx, suite_id, w as u32 + 1, wave, settings).await;
            set_wait(ctx, String::new());
        }
    }
    ctx.state_mut(|s| s.rollout_done = true);
}

async fn apply_device(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, device: &str, settings: &Rollout) {
    wait(ctx, |s| s.course.is_stopping() || (s.course.may_start() && s.inflight < s.status.parallelism.max(1))).await;
    let plan = ctx.state(|s| s.plans.get(device).cloned().unwrap_or_default());
    let skip = |ctx: &WorkflowContext<SuiteWorkflow>, reason: String| {
        ctx.state_mut(|s| s.device_mut(device, |d| {
            d.status = DeviceStatus::Skipped as i32;
            d.error = reason;
        }));
    };
    if let Some(why) = ctx.state(|s| s.course.is_stopping().then(|| s.course.skip_reason())) {
        return skip(ctx, format!("not started: {why}"));
    }
    if let Some(end) = ctx.state(|s| s.window_end) {
        let estimate = rollout::device_estimate(&plan, settings.step_estimate_seconds);
        if now_secs(ctx) + estimate as i64 > end {
            return skip(ctx, format!("not started: would not finish before the window ends at {} (estimate {estimate}s)", format_rfc3339(end)));
        }
    }
    let started = now(ctx);
    ctx.state_mut(|s| {
        s.inflight += 1;
        s.device_mut(device, |d| {
            d.status = DeviceStatus::Applying as i32;
            d.started_at = started;
        });
    });
    show(ctx);
    let input = DeviceRunInput {
        suite_id: suite_id.to_string(),
        mode: DeviceMode::Apply as i32,
        plan: Some(plan),
        applied_steps: vec![],
        fail_if_locked: settings.fail_if_locked,
        lock_wait_seconds: settings.lock_wait_seconds,
        save_config: !settings.skip_config_save,
        confirm_timeout_seconds: settings.confirm_timeout_seconds,
        warrant: ctx.state(|s| s.warrant(device)),
        ..ctx.state(|s| s.for_history())
    };
    let mut result = run_child(ctx, suite_id, device, "apply", input).await;
    ctx.state_mut(|s| s.inflight -= 1);
    result.finished_at = now(ctx);
    // What failed, with the checks that did not hold (expected, observed,
    // when), for the `device.failed` event.
    let failure = (result.status != DeviceStatus::Succeeded as i32)
        .then(|| (result.error.clone(), result.checks.iter().filter(|r| !r.passed).cloned().collect::<Vec<_>>()));
    ctx.state_mut(|s| {
        let succeeded = result.status == DeviceStatus::Succeeded as i32;
        let entries = std::mem::take(&mut result.compensation);
        s.device_mut(device, |d| {
            let (wave, started) = (d.wave, d.started_at.clone());
            *d = result;
            (d.wave, d.started_at) = (wave, started);
        });
        s.log_compensation(device, &entries);
        if succeeded {
            s.completed.push(device.to_string());
        } else {
            let on_failure = OnFailure::try_from(settings.on_failure).unwrap_or(OnFailure::Rollback);
            let before = std::mem::take(&mut s.course);
            s.course = course::after_failure(before, s.failed_total(), s.budget_base, settings.failure_budget, on_failure);
        }
        s.count();
    });
    show(ctx);
    if let Some((error, checks)) = failure {
        super::events::emit(ctx, names::events::DEVICE_FAILED, vec![device.to_string()], |_, e| {
            e.summary = format!("{device} failed");
            e.error = error;
            e.checks = checks;
        });
    }
}

/// Closes the window at its (possibly extended) end: no device starts after.
pub(super) async fn watch_window(ctx: &WorkflowContext<SuiteWorkflow>) {
    let Some(on_close) = ctx.state(|s| s.input.window.as_ref().map(|w| w.on_close)) else { return };
    let on_close = WindowClose::try_from(on_close).unwrap_or(WindowClose::Stop);
    loop {
        let Some(end) = ctx.state(|s| s.window_end) else { return };
        let left = end - now_secs(ctx);
        if left > 0 {
            let mut timer = std::pin::pin!(context::timer(ctx, Duration::from_secs(left as u64)));
            let fired = select! {
                _ = wait(ctx, move |s| s.rollout_done || s.window_end != Some(end)) => false,
                _ = timer => true,
            };
            if !fired {
                timer.cancel();
                if ctx.state(|s| s.rollout_done) {
                    return;
                }
                continue;
            }
            if ctx.state(|s| s.window_end != Some(end)) {
                continue;
            }
        }
        ctx.state_mut(|s| {
            if !s.rollout_done {
                let before = std::mem::take(&mut s.course);
                s.course = course::after_window_closed(before, on_close, &format_rfc3339(end));
            }
        });
        return;
    }
}

/// With on_failure = pause: each time the budget is exceeded, waits for an
/// operator (or the timeout, then the default action). Since
/// `signed-cancel` a Temporal cancellation request pauses any suite the
/// same way, so this watches every suite.
pub(super) async fn answer_pauses(ctx: &WorkflowContext<SuiteWorkflow>, settings: &Rollout) {
    if settings.on_failure != OnFailure::Pause as i32 && !ctx.state(|s| s.signed_cancel) {
        return;
    }
    let default = OperatorAction::try_from(settings.pause_default).unwrap_or(OperatorAction::Rollback);
    // A suite that never asked for pauses has no timeout of its own.
    let timeout_seconds = if settings.pause_timeout_seconds > 0 { settings.pause_timeout_seconds } else { CANCEL_PAUSE_SECS };
    loop {
        wait(ctx, |s| matches!(s.course, Course::Paused { .. }) || s.rollout_done).await;
        if !ctx.state(|s| matches!(s.course, Course::Paused { .. })) {
            return;
        }
        let (failed, asked) = ctx.state(|s| (s.failed_total(), s.cancel_asked));
        let summary = if asked {
            format!("a cancellation request through Temporal is not a signed decision; waiting up to {timeout_seconds}s for a signed one: \
                switchyard cancel|resume|rollback|abandon")
        } else {
            format!("{} failed; waiting up to {timeout_seconds}s for an operator: switchyard resume|rollback|abandon", count(failed, "device"))
        };
        set_phase(ctx, SuitePhase::Paused, summary.clone());
        let until = format_rfc3339(now_secs(ctx) + timeout_seconds.max(1) as i64);
        let then = format!("{default:?}").to_lowercase();
        set_wait(ctx, format!("an operator until {until} (switchyard resume, rollback or abandon), then {then}"));
        super::events::emit(ctx, names::events::PAUSED, Vec::new(), |_, e| e.summary = summary);
        let mut timer = std::pin::pin!(context::timer(ctx, Duration::from_secs(timeout_seconds.max(1))));
        let answered = select! {
            _ = wait(ctx, |s| !s.course.awaits_answer()) => true,
            _ = timer => false,
        };
        if answered {
            timer.cancel();
        }
        set_wait(ctx, String::new());
        let at = now(ctx);
        ctx.state_mut(|s| {
            let before = std::mem::take(&mut s.course);
            let (after, base, end) = course::end_pause(before, default, failed, s.budget_base);
            if let PauseEnd::TimedOut(action) = end {
                s.status.operator_log.push(OperatorEvent {
                    at,
                    operator: "switchyard".into(),
                    action: format!("{action:?}").to_lowercase(),
                    applied: true,
                    reason: format!("no operator answered within {timeout_seconds}s"),
                    ..Default::default()
                });
            }
            (s.course, s.budget_base) = (after, base);
            s.cancel_asked = false;
        });
        if !ctx.state(|s| s.course.is_stopping()) {
            set_phase(ctx, SuitePhase::Applying, "resumed by an operator".into());
        }
    }
}

/// Cancellation: start no more devices, let in-flight ones finish, then
/// compensate. Since `signed-cancel` only a signed cancel (`switchyard
/// cancel`, the `operator` signal) does that: rolling back writes to
/// devices, which takes a decision someone signed. A bare Temporal
/// cancellation request (the Web UI's "Request Cancellation", any
/// identity) is recorded and pauses the suite for a signed answer; the
/// pause timeout's default applies if none comes.
pub(super) async fn watch_cancellation(ctx: &WorkflowContext<SuiteWorkflow>) {
    if !ctx.state(|s| s.signed_cancel) {
        let cancelled = select! {
            _ = ctx.cancelled() => true,
            _ = wait(ctx, |s| s.rollout_done) => false,
        };
        if cancelled {
            let reason = cancellation(ctx).unwrap_or_default();
            ctx.state_mut(|s| s.course = course::after_cancel(&reason));
        }
        return;
    }
    let first = select! {
        _ = wait(ctx, |s| s.cancel.is_some()) => Asked::Signed,
        _ = ctx.cancelled() => Asked::Temporal,
        _ = wait(ctx, |s| s.rollout_done) => Asked::Nothing,
    };
    if first == Asked::Temporal {
        let token = ctx.cancellation_token();
        let reason = token.reason().filter(|r| !r.is_empty()).unwrap_or_else(|| "no reason given".into());
        let at = now(ctx);
        ctx.state_mut(|s| {
            s.record_operator(OperatorEvent {
                at,
                operator: "temporal".into(),
                action: "cancel".into(),
                applied: false,
                reason: format!("a cancellation request through Temporal ({reason}; its sender is in the history's WorkflowExecutionCancelRequested event) \
                    is not a signed decision: the suite pauses for a signed answer (switchyard cancel, resume, rollback or abandon)"),
                ..Default::default()
            });
            if s.course == Course::Running {
                s.course = Course::Paused { answer: None };
                s.cancel_asked = true;
            }
        });
        let signed = select! {
            _ = wait(ctx, |s| s.cancel.is_some()) => true,
            _ = wait(ctx, |s| s.rollout_done) => false,
        };
        if !signed {
            return;
        }
    } else if first == Asked::Nothing {
        return;
    }
    let reason = ctx.state(|s| s.cancel.clone().unwrap_or_default());
    ctx.state_mut(|s| s.course = course::after_cancel(&reason));
}

/// What stopped the cancellation watcher's first wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked {
    Signed,
    Temporal,
    Nothing,
}

/// How long a suite that set no pause timeout waits for a signed answer to
/// a Temporal cancellation request before its pause default applies.
const CANCEL_PAUSE_SECS: u64 = 3600;

/// Runs one device's child workflow to its result. The child is detached
/// from the suite's cancellation: a device always finishes what it started
/// (all steps, or its own compensation) before the suite decides.
pub(super) async fn run_child(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, device: &str, mode: &str, input: DeviceRunInput) -> DeviceResult {
    let steps = input.plan.as_ref().map_or(0, |p| p.steps.len());
    // Listable in the Web UI: "every failed device of this suite".
    let attributes = ctx.patched(names::patches::DEVICE_SEARCH_ATTRIBUTES).then(|| {
        let name = ctx.state(|s| s.input.name.clone());
        let status = if mode == "rollback" { "rolling_back" } else { "applying" };
        SearchAttributes::new([
            SearchAttributeKey::keyword(names::SA_SUITE_NAME).value_set(name),
            SearchAttributeKey::keyword(names::SA_DEVICE).value_set(device.to_string()),
            SearchAttributeKey::keyword(names::SA_DEVICE_STATUS).value_set(status.to_string()),
        ])
    });
    let opts = ChildWorkflowOptions::builder()
        .workflow_id(names::device_workflow_id(suite_id, device, mode))
        .static_summary(format!("{mode} {device} ({steps} steps)"))
        .cancellation_token(WorkflowCancellationToken::new())
        .maybe_search_attributes(attributes)
        .build();
    let failed = |error: String| DeviceResult {
        device: device.to_string(),
        status: DeviceStatus::Failed as i32,
        error,
        ..Default::default()
    };
    match ctx.start_child_workflow(DeviceWorkflow::run, input, opts).await {
        Ok(started) => match started.result().await {
            Ok(r) => r,
            // A failed device closes its run failed, its result attached.
            Err(e) => crate::outcome::device_from_child(&e).unwrap_or_else(|| failed(format!("{device}: device workflow failed: {e}"))),
        },
        Err(e) => failed(format!("{device}: device workflow did not start: {e}")),
    }
}
