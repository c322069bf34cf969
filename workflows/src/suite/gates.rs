//! The suite before it writes anything: plan every device, wait for the
//! approvals its policy requires, wait for the change window. Each gate
//! either lets the suite on or ends it with nothing applied.
//!
//! Must never: write to a device (planning only reads).

use std::time::Duration;

use switchyard_proto::time::{format_rfc3339, parse_rfc3339};
use switchyard_proto::v1::{DevicePlan, DeviceStatus, DeviceTarget, PlanDeviceRequest, SuiteInput, SuitePhase, SuiteStatus};
use temporalio_workflow::workflows::{join_all, select};
use temporalio_workflow::{CancellableFuture, WorkflowContext};

use super::context::{cancellation, finish, now, now_secs, set_phase, wait};
use super::SuiteWorkflow;
use crate::activity_defs::PlanDevice;
use crate::approval::{self, Verdict};
use crate::failure::describe;
use crate::options;
use crate::{fleet, rollout};

/// Devices planned at once, whatever the rollout's parallelism: planning
/// only reads.
const PLAN_PARALLELISM: u32 = 16;

/// Plans every device and records the fleet plan; ends the suite if any
/// device refused (nothing is written anywhere), if it was cancelled, or
/// if it only plans.
pub(super) async fn plan(ctx: &WorkflowContext<SuiteWorkflow>, input: &SuiteInput) -> Option<SuiteStatus> {
    set_phase(ctx, SuitePhase::Planning, "planning every device".into());
    let plans = join_all(input.devices.iter().map(|t| plan_device(ctx, &input.suite_id, t))).await;
    let refused: Vec<String> = plans.iter().filter(|p| !p.error.is_empty()).map(|p| p.error.clone()).collect();
    let hash = fleet::plan_hash(&plans);
    let (created, updated, deleted) = rollout::row_counts(&plans);
    let planned_at = now(ctx);
    ctx.state_mut(|s| {
        s.status.plan_hash = hash.clone();
        s.status.fleet_diff = fleet::fleet_diff(&plans);
        (s.status.rows_created, s.status.rows_updated, s.status.rows_deleted) = (created, updated, deleted);
        s.status.planned_at = planned_at;
        for plan in &plans {
            let failed = !plan.error.is_empty();
            s.device_mut(&plan.device, |d| {
                d.status = if failed { DeviceStatus::PlanFailed } else { DeviceStatus::Planned } as i32;
                d.error = plan.error.clone();
            });
            s.plans.insert(plan.device.clone(), plan.clone());
        }
    });
    if let Some(reason) = cancellation(ctx) {
        return Some(finish(ctx, SuitePhase::Cancelled, format!("cancelled while planning ({reason}); nothing applied")));
    }
    if !refused.is_empty() {
        // Nothing was written anywhere: a plan that cannot be made on
        // every device is not a plan anyone can approve.
        let error = format!("planning refused on {} device(s): {}", refused.len(), refused.join("; "));
        ctx.state_mut(|s| s.status.error = error.clone());
        return Some(finish(ctx, SuitePhase::Failed, error));
    }
    if input.plan_only {
        return Some(finish(ctx, SuitePhase::Planned, "plan only: nothing written".into()));
    }
    None
}

async fn plan_device(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, target: &DeviceTarget) -> DevicePlan {
    wait(ctx, |s| s.inflight < PLAN_PARALLELISM).await;
    ctx.state_mut(|s| s.inflight += 1);
    let req = PlanDeviceRequest { suite_id: suite_id.to_string(), target: Some(target.clone()) };
    let result = ctx.execute_activity(PlanDevice, req, options::planning(format!("plan {}", target.device))).await;
    ctx.state_mut(|s| s.inflight -= 1);
    result.unwrap_or_else(|e| DevicePlan {
        device: target.device.clone(),
        error: format!("{}: cannot plan: {}", target.device, describe(&e)),
        ..Default::default()
    })
}

/// Waits for the approvals the policy requires; ends the suite when it is
/// rejected, expires or is cancelled meanwhile.
pub(super) async fn approve(ctx: &WorkflowContext<SuiteWorkflow>, input: &SuiteInput) -> Option<SuiteStatus> {
    let policy = input.approval.clone().unwrap_or_default();
    if policy.required == 0 {
        return None;
    }
    let hash = ctx.state(|s| s.status.plan_hash.clone());
    set_phase(ctx, SuitePhase::AwaitingApproval, format!("awaiting {} approval(s) of plan {hash}", policy.required));
    let timeout = Duration::from_secs(policy.timeout_seconds.max(1));
    let mut timer = std::pin::pin!(ctx.timer(timeout));
    let decided = select! {
        _ = ctx.cancelled() => false,
        _ = wait(ctx, |s| approval::verdict(&policy, &s.status.decisions) != Verdict::Pending) => true,
        _ = timer => false,
    };
    if decided {
        timer.cancel();
    }
    if let Some(reason) = cancellation(ctx) {
        return Some(finish(ctx, SuitePhase::Cancelled, format!("cancelled awaiting approval ({reason}); nothing applied")));
    }
    match ctx.state(|s| approval::verdict(&policy, &s.status.decisions)) {
        Verdict::Approved => None,
        Verdict::Rejected => Some(finish(ctx, SuitePhase::Rejected, "rejected by a reviewer; nothing applied".into())),
        Verdict::Pending => Some(finish(ctx, SuitePhase::Expired, format!("no decision within {}s; nothing applied", policy.timeout_seconds))),
    }
}

/// Waits for the change window to open; ends the suite if it is cancelled
/// meanwhile or the window has already closed.
pub(super) async fn window(ctx: &WorkflowContext<SuiteWorkflow>, input: &SuiteInput) -> Option<SuiteStatus> {
    let window = input.window.as_ref()?;
    let start = parse_rfc3339(&window.start).unwrap_or(0);
    let wait_for = start - now_secs(ctx);
    if wait_for > 0 {
        set_phase(ctx, SuitePhase::WaitingWindow, format!("waiting for the window {} – {}", window.start, window.end));
        let mut timer = std::pin::pin!(ctx.timer(Duration::from_secs(wait_for as u64)));
        let cancelled = select! {
            _ = ctx.cancelled() => true,
            _ = timer => false,
        };
        if cancelled {
            timer.cancel();
            let reason = cancellation(ctx).unwrap_or_default();
            return Some(finish(ctx, SuitePhase::Cancelled, format!("cancelled waiting for the window ({reason}); nothing applied")));
        }
    }
    let end = ctx.state(|s| s.window_end).unwrap_or(0);
    if now_secs(ctx) >= end {
        return Some(finish(ctx, SuitePhase::Expired, format!("the change window closed at {} before applying started; nothing applied", format_rfc3339(end))));
    }
    None
}
