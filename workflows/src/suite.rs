//! SuiteWorkflow: one change across many devices.
//!
//! Phases: planning → awaiting_approval (when the policy asks for reviewers)
//! → applying → succeeded | failed | rolled_back | partially_rolled_back |
//! rejected | expired. Each device runs as a child DeviceWorkflow, so a
//! large suite stays far inside Temporal's per-workflow history limits and
//! every device has its own journal.


// The workflow macros emit marker constants for each method; the methods
// carry the docs.
#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::time::Duration;

use switchyard_proto::names::{self, phase_name};
use switchyard_proto::v1::{
    ApprovalSignal, DeviceMode, DevicePlan, DeviceResult, DeviceRunInput, DeviceStatus, DeviceTarget, OnFailure,
    PlanDeviceRequest, SuiteCounts, SuiteInput, SuitePhase, SuiteStatus,
};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::common::SearchAttributeKey;
use temporalio_workflow::workflows::{join_all, select};
use temporalio_workflow::{
    CancellableFuture, ChildWorkflowOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult,
};

use crate::activity_defs::PlanDevice;
use crate::approval::{self, Verdict};
use crate::device::{DeviceWorkflow, describe};
use crate::fleet;
use crate::options;

const SA_STATUS: SearchAttributeKey<String> = SearchAttributeKey::keyword(names::SA_SUITE_STATUS);
const SA_FAILED: SearchAttributeKey<i64> = SearchAttributeKey::int(names::SA_FAILED_COUNT);

/// Devices planned at once, whatever the rollout's parallelism: planning
/// only reads.
const PLAN_PARALLELISM: u32 = 16;

/// The suite's state; queried whole as `status`.
#[workflow]
pub struct SuiteWorkflow {
    input: SuiteInput,
    status: SuiteStatus,
    plans: BTreeMap<String, DevicePlan>,
    // Semaphore made of workflow state: device futures wait until a slot is
    // free, so the cap is deterministic and can change while running.
    inflight: u32,
    // Set when the failure budget is exceeded: no new device starts.
    stop: bool,
    // Devices whose apply succeeded, in completion order (rollback reverses it).
    completed: Vec<String>,
}

#[workflow_methods]
impl SuiteWorkflow {
    /// Builds the initial status from the input.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: SuiteInput) -> Self {
        let devices = input.devices.iter().map(|d| DeviceResult {
            device: d.device.clone(),
            status: DeviceStatus::Pending as i32,
            ..Default::default()
        }).collect();
        let status = SuiteStatus {
            suite_id: input.suite_id.clone(),
            name: input.name.clone(),
            phase: SuitePhase::Planning as i32,
            counts: Some(SuiteCounts { devices: input.devices.len() as u32, ..Default::default() }),
            devices,
            ..Default::default()
        };
        Self { input, status, plans: BTreeMap::new(), inflight: 0, stop: false, completed: Vec::new() }
    }

    /// Plans, waits for approval, applies, compensates on failure.
    #[run(name = names::SUITE_WORKFLOW)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<SuiteStatus> {
        let input = ctx.state(|s| s.input.clone());

        // ---- plan ----
        set_phase(ctx, SuitePhase::Planning, "planning every device".into());
        let plans = join_all(input.devices.iter().map(|t| plan_device(ctx, &input.suite_id, t))).await;
        let refused: Vec<String> = plans.iter().filter(|p| !p.error.is_empty()).map(|p| p.error.clone()).collect();
        let hash = fleet::plan_hash(&plans);
        ctx.state_mut(|s| {
            s.status.plan_hash = hash.clone();
            s.status.fleet_diff = fleet::fleet_diff(&plans);
            for plan in &plans {
                let failed = !plan.error.is_empty();
                s.device_mut(&plan.device, |d| {
                    d.status = if failed { DeviceStatus::PlanFailed } else { DeviceStatus::Planned } as i32;
                    d.error = plan.error.clone();
                });
                s.plans.insert(plan.device.clone(), plan.clone());
            }
        });
        if !refused.is_empty() {
            // Nothing was written anywhere: a plan that cannot be made on
            // every device is not a plan anyone can approve.
            let error = format!("planning refused on {} device(s): {}", refused.len(), refused.join("; "));
            ctx.state_mut(|s| {
                s.status.error = error.clone();
                s.count();
            });
            return Ok(finish(ctx, SuitePhase::Failed, error));
        }

        if input.plan_only {
            return Ok(finish(ctx, SuitePhase::Planned, "plan only: nothing written".into()));
        }

        // ---- approve ----
        let policy = input.approval.clone().unwrap_or_default();
        if policy.required > 0 {
            set_phase(ctx, SuitePhase::AwaitingApproval, format!("awaiting {} approval(s) of plan {hash}", policy.required));
            let timeout = Duration::from_secs(policy.timeout_seconds.max(1));
            let mut timer = std::pin::pin!(ctx.timer(timeout));
            let decided = select! {
                _ = ctx.wait_condition(|s: &Self| approval::verdict(&policy, &s.status.decisions) != Verdict::Pending) => true,
                _ = timer => false,
            };
            if decided {
                timer.cancel();
            }
            match ctx.state(|s| approval::verdict(&policy, &s.status.decisions)) {
                Verdict::Approved => {}
                Verdict::Rejected => return Ok(finish(ctx, SuitePhase::Rejected, "rejected by a reviewer; nothing applied".into())),
                Verdict::Pending => {
                    return Ok(finish(ctx, SuitePhase::Expired, format!("no decision within {}s; nothing applied", policy.timeout_seconds)));
                }
            }
        }

        // ---- apply ----
        let rollout = input.rollout.unwrap_or_default();
        set_phase(ctx, SuitePhase::Applying, format!("applying, {} at a time", rollout.parallelism.max(1)));
        join_all(input.devices.iter().map(|t| apply_device(ctx, &input.suite_id, &t.device, rollout.failure_budget))).await;

        // ---- decide ----
        let (failed, completed) = ctx.state(|s| (s.failed(), s.completed.clone()));
        if failed == 0 {
            return Ok(finish(ctx, SuitePhase::Succeeded, "all devices changed and verified".into()));
        }
        let over_budget = failed > rollout.failure_budget;
        if !over_budget || rollout.on_failure == OnFailure::Continue as i32 {
            return Ok(finish(ctx, SuitePhase::Failed, format!("{failed} device(s) failed; changed devices kept their change")));
        }
        set_phase(ctx, SuitePhase::RollingBack, format!("{failed} device(s) failed; rolling back {} device(s)", completed.len()));
        ctx.state_mut(|s| s.inflight = 0);
        // Reverse order of completion: the last device changed is the first restored.
        let rolled = join_all(completed.iter().rev().map(|d| rollback_device(ctx, &input.suite_id, d))).await;
        let all_back = rolled.iter().all(|ok| *ok);
        let phase = if all_back { SuitePhase::RolledBack } else { SuitePhase::PartiallyRolledBack };
        Ok(finish(ctx, phase, format!("{failed} device(s) failed; {} of {} changed device(s) rolled back",
            rolled.iter().filter(|ok| **ok).count(), completed.len())))
    }

    /// A reviewer's decision (from the Web UI or the CLI). Every decision is
    /// recorded, counted or not, with the reason.
    #[signal(name = names::SIGNAL_APPROVAL)]
    pub fn approval(&mut self, _ctx: &mut SyncWorkflowContext<Self>, signal: ApprovalSignal) {
        let policy = self.input.approval.clone().unwrap_or_default();
        let awaiting = self.status.phase == SuitePhase::AwaitingApproval as i32;
        let mut decision = approval::judge(&policy, &self.input.requester, &self.status.plan_hash, &self.status.decisions, signal);
        if decision.counted && !awaiting {
            decision.counted = false;
            decision.reason = format!("arrived in phase {}, not awaiting_approval", phase_name(self.phase()));
        }
        self.status.decisions.push(decision);
    }

    /// The whole status: phase, plan, per-device results, decisions, log.
    #[query(name = names::QUERY_STATUS)]
    pub fn status(&self, _ctx: &WorkflowContextView) -> SuiteStatus {
        self.status.clone()
    }
}

impl SuiteWorkflow {
    fn phase(&self) -> SuitePhase {
        SuitePhase::try_from(self.status.phase).unwrap_or(SuitePhase::Unspecified)
    }

    fn device_mut(&mut self, device: &str, f: impl FnOnce(&mut DeviceResult)) {
        if let Some(d) = self.status.devices.iter_mut().find(|d| d.device == device) {
            f(d);
        }
    }

    fn failed(&self) -> u32 {
        self.status.devices.iter().filter(|d| d.status == DeviceStatus::Failed as i32).count() as u32
    }

    fn count(&mut self) {
        let of = |st: DeviceStatus| self.status.devices.iter().filter(|d| d.status == st as i32).count() as u32;
        self.status.counts = Some(SuiteCounts {
            devices: self.status.devices.len() as u32,
            succeeded: of(DeviceStatus::Succeeded),
            failed: of(DeviceStatus::Failed) + of(DeviceStatus::PlanFailed),
            rolled_back: of(DeviceStatus::RolledBack),
            skipped: of(DeviceStatus::Skipped),
        });
    }
}

fn set_phase(ctx: &WorkflowContext<SuiteWorkflow>, phase: SuitePhase, details: String) {
    ctx.state_mut(|s| s.status.phase = phase as i32);
    ctx.upsert_search_attributes([SA_STATUS.value_set(phase_name(phase).to_string())]);
    ctx.set_current_details(format!("{}: {details}", phase_name(phase)));
}

fn finish(ctx: &WorkflowContext<SuiteWorkflow>, phase: SuitePhase, details: String) -> SuiteStatus {
    let failed = ctx.state_mut(|s| {
        s.count();
        if !matches!(phase, SuitePhase::Succeeded | SuitePhase::Planned) && s.status.error.is_empty() {
            s.status.error = details.clone();
        }
        s.status.counts.as_ref().map_or(0, |c| c.failed)
    });
    ctx.upsert_search_attributes([SA_FAILED.value_set(i64::from(failed))]);
    set_phase(ctx, phase, details);
    ctx.state(|s| s.status.clone())
}

/// Waits for a free slot under `limit` (read from state each time, so it can
/// change while running). Returns false if the suite stopped meanwhile.
async fn acquire(ctx: &WorkflowContext<SuiteWorkflow>, limit: impl Fn(&SuiteWorkflow) -> u32) -> bool {
    let _ = ctx.wait_condition(|s: &SuiteWorkflow| s.stop || s.inflight < limit(s)).await;
    ctx.state_mut(|s| {
        if s.stop {
            return false;
        }
        s.inflight += 1;
        true
    })
}

fn release(ctx: &WorkflowContext<SuiteWorkflow>) {
    ctx.state_mut(|s| s.inflight -= 1);
}

async fn plan_device(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, target: &DeviceTarget) -> DevicePlan {
    acquire(ctx, |_| PLAN_PARALLELISM).await;
    let req = PlanDeviceRequest { suite_id: suite_id.to_string(), target: Some(target.clone()) };
    let result = ctx.execute_activity(PlanDevice, req, options::device_io(format!("plan {}", target.device))).await;
    release(ctx);
    result.unwrap_or_else(|e| DevicePlan {
        device: target.device.clone(),
        error: format!("{}: cannot plan: {}", target.device, describe(&e)),
        ..Default::default()
    })
}

async fn apply_device(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, device: &str, budget: u32) {
    if !acquire(ctx, |s| s.input.rollout.as_ref().map_or(1, |r| r.parallelism.max(1))).await {
        ctx.state_mut(|s| s.device_mut(device, |d| d.status = DeviceStatus::Skipped as i32));
        return;
    }
    let plan = ctx.state(|s| s.plans.get(device).cloned().unwrap_or_default());
    ctx.state_mut(|s| s.device_mut(device, |d| d.status = DeviceStatus::Applying as i32));
    let input = DeviceRunInput { suite_id: suite_id.to_string(), mode: DeviceMode::Apply as i32, plan: Some(plan), applied_steps: vec![] };
    let result = run_child(ctx, suite_id, device, "apply", input).await;
    release(ctx);
    ctx.state_mut(|s| {
        let succeeded = result.status == DeviceStatus::Succeeded as i32;
        s.status.compensation_log.extend(result.compensation.iter().cloned());
        s.device_mut(device, |d| *d = result);
        if succeeded {
            s.completed.push(device.to_string());
        } else if s.failed() > budget {
            s.stop = true;
        }
        s.count();
    });
}

async fn rollback_device(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, device: &str) -> bool {
    acquire_rollback(ctx).await;
    let (plan, applied) = ctx.state(|s| {
        let applied = s.status.devices.iter().find(|d| d.device == device).map(|d| d.steps_applied.clone()).unwrap_or_default();
        (s.plans.get(device).cloned().unwrap_or_default(), applied)
    });
    let input = DeviceRunInput { suite_id: suite_id.to_string(), mode: DeviceMode::Compensate as i32, plan: Some(plan), applied_steps: applied };
    let result = run_child(ctx, suite_id, device, "rollback", input).await;
    release(ctx);
    let ok = result.status == DeviceStatus::RolledBack as i32;
    ctx.state_mut(|s| {
        s.status.compensation_log.extend(result.compensation.iter().cloned());
        s.device_mut(device, |d| {
            d.status = result.status;
            d.steps_compensated = result.steps_compensated.clone();
            d.compensation.extend(result.compensation.iter().cloned());
            if !result.error.is_empty() {
                d.error = result.error.clone();
            }
        });
        s.count();
    });
    ok
}

/// Rollback ignores `stop`: it is exactly what runs after a stop.
async fn acquire_rollback(ctx: &WorkflowContext<SuiteWorkflow>) {
    let limit = |s: &SuiteWorkflow| s.input.rollout.as_ref().map_or(1, |r| r.parallelism.max(1));
    let _ = ctx.wait_condition(|s: &SuiteWorkflow| s.inflight < limit(s)).await;
    ctx.state_mut(|s| s.inflight += 1);
}

async fn run_child(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, device: &str, mode: &str, input: DeviceRunInput) -> DeviceResult {
    let steps = input.plan.as_ref().map_or(0, |p| p.steps.len());
    let opts = ChildWorkflowOptions::builder()
        .workflow_id(names::device_workflow_id(suite_id, device, mode))
        .static_summary(format!("{mode} {device} ({steps} steps)"))
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
            Err(e) => failed(format!("{device}: device workflow failed: {e}")),
        },
        Err(e) => failed(format!("{device}: device workflow did not start: {e}")),
    }
}
