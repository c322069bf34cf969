//! The suite before it writes anything: plan every device, wait for the
//! approvals its policy requires, wait for the change window. Each gate
//! either lets the suite on or ends it with nothing applied.
//!
//! Must never: write to a device (planning only reads).

use std::time::Duration;

use switchyard_proto::time::{format_rfc3339, parse_rfc3339};
use switchyard_proto::vocabulary::count;
use switchyard_proto::v1::{
    DevicePlan, DeviceStatus, DeviceTarget, EffectivePolicy, PlanDeviceRequest, SuiteInput, SuitePhase,
    SuiteStatus,
};
use switchyard_proto::plan_root::PlanTree;
use switchyard_proto::{names, policy};
use temporalio_workflow::workflows::{join_all, select};
use temporalio_workflow::common::SearchAttributeKey;
use temporalio_workflow::{CancellableFuture, MemoValue, WorkflowContext};

use super::conclude::finish;
use super::context::{cancel_requested, cancellation, now, now_secs, set_phase, set_wait, wait};
use super::SuiteWorkflow;
use crate::activity_defs::{PlanDevice, ResolvePolicy};
use crate::approval::{self, Verdict};
use crate::failure::describe;
use crate::options;
use crate::{fleet, rollout};

/// Refusals a failed plan's error lists, one line each.
const REFUSALS_LISTED: usize = 20;

/// Devices planned at once, whatever the rollout's parallelism: planning
/// only reads.
const PLAN_PARALLELISM: u32 = 16;

/// Plans every device and records the fleet plan; ends the suite if any
/// device refused (nothing is written anywhere), if it was cancelled, or
/// if it only plans.
pub(super) async fn plan(ctx: &WorkflowContext<SuiteWorkflow>, input: &SuiteInput) -> Option<SuiteStatus> {
    set_phase(ctx, SuitePhase::Planning, "planning every device".into());
    // An input whose devices name steps it does not hold plans nothing.
    // The worker reads each device's target from the input itself.
    let targets = match input.check_targets() {
        Ok(()) => &input.devices,
        Err(why) => {
            let error = format!("the suite's input is malformed: {why}; nothing read or written");
            ctx.state_mut(|s| s.status.error = error.clone());
            return Some(finish(ctx, SuitePhase::Failed, error));
        }
    };
    let policy = if ctx.patched(names::patches::POLICY) {
        match resolve_policy(ctx, input).await {
            Ok(policy) => Some(policy),
            Err(ended) => return Some(ended),
        }
    } else {
        None
    };
    let plans = join_all(targets.iter().map(|t| plan_device(ctx, &input.suite_id, t))).await;
    let refused: Vec<String> = plans.iter().filter(|p| !p.error.is_empty()).map(|p| p.error.clone()).collect();
    let hash = if ctx.patched(names::patches::WARRANT) {
        let tree = PlanTree::new(&plans, policy.as_ref());
        let hash = tree.plan_hash();
        ctx.state_mut(|s| s.plan_tree = Some(tree));
        hash
    } else {
        match &policy {
            Some(policy) => fleet::plan_hash_under(&plans, policy),
            None => fleet::plan_hash(&plans),
        }
    };
    let (created, updated, deleted) = rollout::row_counts(&plans);
    let planned_at = now(ctx);
    ctx.state_mut(|s| {
        s.status.plan_hash = hash.clone();
        let rest = format!("every device's diff: switchyard status {} --devices --diff", s.status.suite_id);
        s.status.fleet_diff = fleet::fleet_diff_within(&plans, names::FLEET_DIFF_MAX_BYTES, &rest);
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
    if ctx.patched(names::patches::SUITE_MEMO) {
        let requester = ctx.state(|s| s.status.requester.clone());
        let _ = ctx.upsert_memo([("requester", Some(MemoValue::new(requester))), ("plan_hash", Some(MemoValue::new(hash.clone())))]);
    }
    if let Some(reason) = cancellation(ctx) {
        return Some(finish(ctx, SuitePhase::Cancelled, format!("cancelled while planning ({reason}); nothing applied")));
    }
    if !refused.is_empty() {
        // Nothing was written anywhere: a plan that cannot be made on
        // every device is not a plan anyone can approve.
        // One line per device, at most a screenful: the rest are counted,
        // and each device's own line is in `status --devices`.
        let shown: Vec<&str> = refused.iter().take(REFUSALS_LISTED).map(String::as_str).collect();
        let more = refused.len().saturating_sub(REFUSALS_LISTED);
        let tail = if more > 0 { format!("\n  … and {more} more: switchyard status <suite> --devices --device-status plan_failed") } else { String::new() };
        let error = format!("planning refused on {}:\n  {}{tail}", count(refused.len() as u64, "device"), shown.join("\n  "));
        ctx.state_mut(|s| s.status.error = error.clone());
        return Some(finish(ctx, SuitePhase::Failed, error));
    }
    let blocked = policy.as_ref().map(|p| fleet::blocked_warnings(&plans, p)).unwrap_or_default();
    if !blocked.is_empty() {
        // The policy asks that what a daemon would ignore is fixed in the
        // suite, not approved: nothing was written anywhere.
        let error = format!("plan warnings refused by policy on {}:\n{}", count(blocked.len() as u64, "step"), blocked.join("\n"));
        ctx.state_mut(|s| s.status.error = error.clone());
        return Some(finish(ctx, SuitePhase::Failed, error));
    }
    if input.plan_only {
        return Some(finish(ctx, SuitePhase::Planned, "plan only: nothing written".into()));
    }
    None
}

/// Records the policy the suite runs under, before any device is read; ends
/// the suite when the policy refuses it (nothing is read or written).
async fn resolve_policy(ctx: &WorkflowContext<SuiteWorkflow>, input: &SuiteInput) -> Result<EffectivePolicy, SuiteStatus> {
    // The input as launched: a scheduled run's own id is not what was signed.
    let launched = ctx.state(|s| s.input.clone());
    let req = policy::request(&launched);
    let result = ctx.execute_activity(ResolvePolicy, req, options::policy()).await;
    let runs_as_signed = ctx.workflow_id() == launched.suite_id
        || (launched.scheduled && super::scheduled_run_of(&launched.suite_id, ctx.workflow_id()));
    let policy = match result {
        // A launch is signed for its suite id (a schedule's runs: its id
        // and a time): started under another workflow id it is a
        // replayed signature.
        Ok(mut policy) if input.launch.is_some() && !runs_as_signed => {
            policy.refusals.push(format!("the launch was signed for suite {:?} but runs as workflow {:?}", launched.suite_id, ctx.workflow_id()));
            policy
        }
        Ok(policy) => policy,
        Err(e) => {
            let error = format!("cannot apply the organisation's policy: {}; nothing read or written", describe(&e));
            ctx.state_mut(|s| s.status.error = error.clone());
            return Err(finish(ctx, SuitePhase::Failed, error));
        }
    };
    ctx.state_mut(|s| {
        if let Some(requester) = &policy.requester {
            s.status.requester = requester.principal.clone();
        }
        s.status.policy = Some(policy.clone());
    });
    // The Requester the suite started with is what the CLI was told; the
    // one the launch signature proves replaces it.
    if let Some(requester) = &policy.requester {
        ctx.upsert_search_attributes([SearchAttributeKey::keyword(names::SA_REQUESTER).value_set(requester.principal.clone())]);
    }
    if !policy.refusals.is_empty() {
        let error = format!("refused by policy {}: {}; nothing read or written", policy.file, policy.refusals.join("; "));
        ctx.state_mut(|s| s.status.error = error.clone());
        return Err(finish(ctx, SuitePhase::Failed, error));
    }
    Ok(policy)
}

async fn plan_device(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, target: &DeviceTarget) -> DevicePlan {
    wait(ctx, |s| s.inflight < PLAN_PARALLELISM).await;
    ctx.state_mut(|s| s.inflight += 1);
    let req = PlanDeviceRequest { suite_id: suite_id.to_string(), device: target.device.clone(), target: None };
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
    let (policy, recorded) = ctx.state(|s| (s.policy(), s.status.policy.is_some()));
    if policy.approvals.is_empty() {
        return None;
    }
    let own = input.approval.clone().unwrap_or_default();
    let hash = ctx.state(|s| s.status.plan_hash.clone());
    let (timeout_seconds, summary) = if recorded {
        let needed: Vec<String> = policy.approvals.iter().map(approval::describe).collect();
        let summary = format!("awaiting approval of plan {hash}: {}", needed.join("; "));
        set_phase(ctx, SuitePhase::AwaitingApproval, summary.clone());
        (approval_timeout(own.timeout_seconds, policy.approval_timeout_seconds), summary)
    } else {
        let summary = format!("awaiting {} of plan {hash}", count(own.required, "approval"));
        set_phase(ctx, SuitePhase::AwaitingApproval, summary.clone());
        (own.timeout_seconds, summary)
    };
    // Reviewers are told: the plan, what it needs and from whom.
    super::events::emit(ctx, names::events::AWAITING_APPROVAL, Vec::new(), |s, e| {
        e.summary = summary;
        e.fleet_diff = s.status.fleet_diff.clone();
        e.approvals_needed = policy.approvals.iter().map(|a| a.count).sum();
        e.approvers = policy.approvals.iter().flat_map(|a| a.groups.iter().map(|g| format!("group {g}")).chain(a.principals.iter().cloned())).collect();
    });
    let timeout = Duration::from_secs(timeout_seconds.max(1));
    let until = format_rfc3339(now_secs(ctx) + timeout_seconds.max(1) as i64);
    let needed = if recorded {
        policy.approvals.iter().map(approval::describe).collect::<Vec<_>>().join("; ")
    } else {
        count(own.required, "approval")
    };
    set_wait(ctx, format!("approval until {until}: {needed} (switchyard review {})", input.suite_id));
    let mut timer = std::pin::pin!(ctx.timer(timeout));
    let decided = select! {
        _ = cancel_requested(ctx) => false,
        _ = wait(ctx, |s| approval::verdict(&policy, &s.status.decisions) != Verdict::Pending) => true,
        _ = timer => false,
    };
    if decided {
        timer.cancel();
    }
    set_wait(ctx, String::new());
    if let Some(reason) = cancellation(ctx) {
        return Some(finish(ctx, SuitePhase::Cancelled, format!("cancelled awaiting approval ({reason}); nothing applied")));
    }
    match ctx.state(|s| approval::verdict(&policy, &s.status.decisions)) {
        Verdict::Approved => {
            if ctx.patched(names::patches::SUITE_MEMO) {
                let approvers = ctx.state(|s| s.status.decisions.iter().filter(|d| d.counted)
                    .filter_map(|d| d.signer.as_ref().map(|x| x.principal.clone())).collect::<Vec<_>>().join(", "));
                let _ = ctx.upsert_memo([("approvers", Some(MemoValue::new(approvers)))]);
            }
            None
        }
        Verdict::Rejected => Some(finish(ctx, SuitePhase::Rejected, "rejected by a reviewer; nothing applied".into())),
        Verdict::Pending => Some(finish(ctx, SuitePhase::Expired, format!("no decision within {timeout_seconds}s; nothing applied"))),
    }
}

/// How long a suite waits for approval: its own timeout, at most the
/// policy's; a day when neither says.
fn approval_timeout(suite: u64, policy: u64) -> u64 {
    const DEFAULT: u64 = 24 * 3600;
    match (suite, policy) {
        (0, 0) => DEFAULT,
        (0, p) => p,
        (s, 0) => s,
        (s, p) => s.min(p),
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
        set_wait(ctx, format!("the change window, which opens at {} and ends at {}", window.start, window.end));
        let mut timer = std::pin::pin!(ctx.timer(Duration::from_secs(wait_for as u64)));
        let cancelled = select! {
            _ = cancel_requested(ctx) => true,
            _ = timer => false,
        };
        set_wait(ctx, String::new());
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
