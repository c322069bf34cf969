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

use switchyard_proto::names;
use switchyard_proto::vocabulary::phase_name;
use switchyard_proto::time::{format_rfc3339, parse_rfc3339};
use switchyard_proto::v1::{
    ApprovalSignal, CompensationAction, CompensationEntry, DeviceMode, DevicePlan, DeviceResult, DeviceRunInput, DeviceStatus, DeviceTarget, ExtendWindow, LockRequest,
    OnFailure, OperatorAction, OperatorEvent, OperatorSignal, PlanDeviceRequest, Rollout, SetParallelism, SuiteCounts,
    SuiteInput, SuitePhase, SuiteStatus, WindowClose,
};
use futures_util::FutureExt;
use futures_util::future::FusedFuture;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::common::SearchAttributeKey;
use temporalio_workflow::workflows::{join, join_all, select};
use temporalio_workflow::{
    CancellableFuture, ChildWorkflowOptions, SyncWorkflowContext, WaitConditionOptions, WorkflowCancellationToken,
    WorkflowContext, WorkflowContextView, WorkflowResult,
};

use crate::activity_defs::{PlanDevice, UnlockDevice};
use crate::approval::{self, Verdict};
use crate::device::DeviceWorkflow;
use crate::failure::describe;
use crate::options;
use crate::{fleet, rollout};

const SA_STATUS: SearchAttributeKey<String> = SearchAttributeKey::keyword(names::SA_SUITE_STATUS);
const SA_FAILED: SearchAttributeKey<i64> = SearchAttributeKey::int(names::SA_FAILED_COUNT);

/// Devices planned at once, whatever the rollout's parallelism: planning
/// only reads.
const PLAN_PARALLELISM: u32 = 16;

/// Entries the suite-level compensation log holds before it keeps only the
/// left-in-place ones: the status is a payload (query result, workflow
/// result), and Temporal refuses payloads over 2 MB. At about 250 bytes an
/// entry this stays near 1 MB; 1,000 devices rolled back write ~20,000.
const COMPENSATION_LOG_FULL: usize = 4_000;

/// The suite's state; queried whole as `status`.
#[workflow]
pub struct SuiteWorkflow {
    input: SuiteInput,
    status: SuiteStatus,
    plans: BTreeMap<String, DevicePlan>,
    // Semaphore made of workflow state: device futures wait until a slot is
    // free, so the cap is deterministic and can change while running.
    inflight: u32,
    // No device starts any more (budget exceeded, window closed, operator
    // decision, cancellation). In-flight devices finish.
    halt: bool,
    // No device starts until an operator resumes.
    paused: bool,
    // Failures already answered by an operator's resume.
    budget_base: u32,
    rollout_done: bool,
    // Why the suite compensates, once it must.
    rollback: Option<String>,
    abandoned: Option<String>,
    cancelled: Option<String>,
    window_closed: bool,
    window_end: Option<i64>,
    operator: Option<OperatorSignal>,
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
        let rollout = input.rollout.clone().unwrap_or_default();
        let window_end = input.window.as_ref().and_then(|w| parse_rfc3339(&w.end));
        let status = SuiteStatus {
            suite_id: input.suite_id.clone(),
            name: input.name.clone(),
            requester: input.requester.clone(),
            phase: SuitePhase::Planning as i32,
            counts: Some(SuiteCounts { devices: input.devices.len() as u32, ..Default::default() }),
            devices,
            parallelism: rollout.parallelism.max(1),
            window_end: window_end.map(format_rfc3339).unwrap_or_default(),
            ..Default::default()
        };
        Self {
            input, status, plans: BTreeMap::new(), inflight: 0, halt: false, paused: false, budget_base: 0,
            rollout_done: false, rollback: None, abandoned: None, cancelled: None, window_closed: false,
            window_end, operator: None, completed: Vec::new(),
        }
    }

    /// Plans, waits for approval and the window, rolls out, compensates.
    #[run(name = names::SUITE_WORKFLOW)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<SuiteStatus> {
        let input = ctx.state(|s| s.input.clone());
        let started = now(ctx);
        ctx.state_mut(|s| s.status.started_at = started.clone());

        // ---- plan ----
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
            return Ok(finish(ctx, SuitePhase::Cancelled, format!("cancelled while planning ({reason}); nothing applied")));
        }
        if !refused.is_empty() {
            // Nothing was written anywhere: a plan that cannot be made on
            // every device is not a plan anyone can approve.
            let error = format!("planning refused on {} device(s): {}", refused.len(), refused.join("; "));
            ctx.state_mut(|s| s.status.error = error.clone());
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
                _ = ctx.cancelled() => false,
                _ = wait(ctx, |s| approval::verdict(&policy, &s.status.decisions) != Verdict::Pending) => true,
                _ = timer => false,
            };
            if decided {
                timer.cancel();
            }
            if let Some(reason) = cancellation(ctx) {
                return Ok(finish(ctx, SuitePhase::Cancelled, format!("cancelled awaiting approval ({reason}); nothing applied")));
            }
            match ctx.state(|s| approval::verdict(&policy, &s.status.decisions)) {
                Verdict::Approved => {}
                Verdict::Rejected => return Ok(finish(ctx, SuitePhase::Rejected, "rejected by a reviewer; nothing applied".into())),
                Verdict::Pending => {
                    return Ok(finish(ctx, SuitePhase::Expired, format!("no decision within {}s; nothing applied", policy.timeout_seconds)));
                }
            }
        }

        // ---- change window ----
        if let Some(window) = &input.window {
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
                    return Ok(finish(ctx, SuitePhase::Cancelled, format!("cancelled waiting for the window ({reason}); nothing applied")));
                }
            }
            let end = ctx.state(|s| s.window_end).unwrap_or(0);
            if now_secs(ctx) >= end {
                return Ok(finish(ctx, SuitePhase::Expired, format!("the change window closed at {} before applying started; nothing applied", format_rfc3339(end))));
            }
        }

        // ---- apply ----
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
        set_phase(ctx, SuitePhase::Applying, format!("applying in {} wave(s), {} at a time", waves.len(), settings.parallelism.max(1)));
        join!(
            run_waves(ctx, &input.suite_id, &waves, &settings),
            watch_window(ctx),
            answer_pauses(ctx, &settings),
            watch_cancellation(ctx),
        );

        // ---- decide ----
        let (phase, summary) = conclude(ctx, &input.suite_id).await;
        if ctx.patched(names::patches::DEVICE_LOCK) {
            release_locks(ctx, &input.suite_id).await;
        }
        Ok(finish(ctx, phase, summary))
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

    /// An operator's answer to a paused suite: resume, rollback or abandon.
    #[signal(name = names::SIGNAL_OPERATOR)]
    pub fn operator(&mut self, ctx: &mut SyncWorkflowContext<Self>, signal: OperatorSignal) {
        let action = OperatorAction::try_from(signal.action).unwrap_or(OperatorAction::Unspecified);
        let name = match action {
            OperatorAction::Resume => "resume",
            OperatorAction::Rollback => "rollback",
            OperatorAction::Abandon => "abandon",
            OperatorAction::Unspecified => "",
        };
        let refusal = if name.is_empty() {
            Some("action must be OPERATOR_ACTION_RESUME, OPERATOR_ACTION_ROLLBACK or OPERATOR_ACTION_ABANDON".to_string())
        } else if signal.operator.trim().is_empty() {
            Some("no operator named".into())
        } else if self.phase() != SuitePhase::Paused || self.operator.is_some() {
            Some(format!("the suite is {}, not paused", phase_name(self.phase())))
        } else {
            None
        };
        let at = sync_now(ctx);
        self.status.operator_log.push(OperatorEvent {
            at,
            operator: signal.operator.clone(),
            action: name.to_string(),
            applied: refusal.is_none(),
            reason: refusal.clone().unwrap_or_else(|| signal.comment.clone()),
        });
        if refusal.is_none() {
            self.operator = Some(signal);
        }
    }

    /// Checks an extension before it is accepted (nothing is recorded when
    /// it is refused).
    #[update_validator(extend_window)]
    pub fn validate_extend_window(&self, _ctx: &WorkflowContextView, req: &ExtendWindow) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let Some(current) = self.window_end else { return Err("this suite has no change window".into()) };
        if self.is_final() || self.rollout_done {
            return Err(format!("the suite is {}; nothing left to extend", phase_name(self.phase())).into());
        }
        if self.window_closed {
            return Err("the window has already closed".into());
        }
        let end = parse_rfc3339(&req.end).ok_or_else(|| format!("{:?} is not an RFC 3339 time", req.end))?;
        if end <= current {
            return Err(format!("new end {} is not after the current end {}", format_rfc3339(end), format_rfc3339(current)).into());
        }
        if req.operator.trim().is_empty() {
            return Err("no operator named".into());
        }
        Ok(())
    }

    /// Moves the change window's end later; returns the new end.
    #[update(name = names::UPDATE_EXTEND_WINDOW)]
    pub fn extend_window(&mut self, ctx: &mut SyncWorkflowContext<Self>, req: ExtendWindow) -> String {
        let end = parse_rfc3339(&req.end).unwrap_or_default();
        self.window_end = Some(end);
        self.status.window_end = format_rfc3339(end);
        self.status.operator_log.push(OperatorEvent {
            at: sync_now(ctx),
            operator: req.operator,
            action: format!("extend window to {}", self.status.window_end),
            applied: true,
            reason: req.comment,
        });
        self.status.window_end.clone()
    }

    /// Checks a parallelism change before it is accepted.
    #[update_validator(set_parallelism)]
    pub fn validate_set_parallelism(&self, _ctx: &WorkflowContextView, req: &SetParallelism) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if !(1..=1000).contains(&req.parallelism) {
            return Err("parallelism must be in 1..=1000".into());
        }
        if self.is_final() {
            return Err(format!("the suite is {}", phase_name(self.phase())).into());
        }
        if req.operator.trim().is_empty() {
            return Err("no operator named".into());
        }
        Ok(())
    }

    /// Changes how many devices run at once; returns the previous value.
    #[update(name = names::UPDATE_SET_PARALLELISM)]
    pub fn set_parallelism(&mut self, ctx: &mut SyncWorkflowContext<Self>, req: SetParallelism) -> u32 {
        let old = self.status.parallelism;
        self.status.parallelism = req.parallelism;
        self.status.operator_log.push(OperatorEvent {
            at: sync_now(ctx),
            operator: req.operator,
            action: format!("set parallelism {old} → {}", req.parallelism),
            applied: true,
            reason: String::new(),
        });
        old
    }

    /// The whole status: phase, plan, per-device results, decisions, logs.
    #[query(name = names::QUERY_STATUS)]
    pub fn status(&self, _ctx: &WorkflowContextView) -> SuiteStatus {
        self.status.clone()
    }
}

impl SuiteWorkflow {
    fn phase(&self) -> SuitePhase {
        SuitePhase::try_from(self.status.phase).unwrap_or(SuitePhase::Unspecified)
    }

    fn is_final(&self) -> bool {
        !matches!(self.phase(), SuitePhase::Planning | SuitePhase::AwaitingApproval | SuitePhase::WaitingWindow
            | SuitePhase::Applying | SuitePhase::Paused | SuitePhase::RollingBack | SuitePhase::Unspecified)
    }

    fn device_mut(&mut self, device: &str, f: impl FnOnce(&mut DeviceResult)) {
        if let Some(d) = self.status.devices.iter_mut().find(|d| d.device == device) {
            f(d);
        }
    }

    fn count_of(&self, status: DeviceStatus) -> u32 {
        self.status.devices.iter().filter(|d| d.status == status as i32).count() as u32
    }

    /// Devices that failed applying, including those rolled back after
    /// failing (their `error` is kept).
    fn failed_total(&self) -> u32 {
        self.count_of(DeviceStatus::Failed)
    }

    /// Records a device's compensation entries: counts on the device, every
    /// entry an operator must see (left in place, unknown, not applied) in
    /// the suite log, the others while it has room.
    fn log_compensation(&mut self, device: &str, entries: &[CompensationEntry]) {
        let removed_or_restored = [CompensationAction::Removed as i32, CompensationAction::Restored as i32];
        let count = |a: CompensationAction| entries.iter().filter(|e| e.action == a as i32).count() as u32;
        let (removed, restored, kept) = (count(CompensationAction::Removed), count(CompensationAction::Restored), count(CompensationAction::LeftInPlace));
        self.device_mut(device, |d| {
            d.removed += removed;
            d.restored += restored;
            d.left_in_place += kept;
            d.compensation.extend(entries.iter().filter(|e| !removed_or_restored.contains(&e.action)).cloned());
        });
        for e in entries {
            if !removed_or_restored.contains(&e.action) || self.status.compensation_log.len() < COMPENSATION_LOG_FULL {
                self.status.compensation_log.push(e.clone());
            } else {
                self.status.compensation_log_omitted += 1;
            }
        }
    }

    fn count(&mut self) {
        self.status.counts = Some(SuiteCounts {
            devices: self.status.devices.len() as u32,
            succeeded: self.count_of(DeviceStatus::Succeeded),
            failed: self.count_of(DeviceStatus::Failed) + self.count_of(DeviceStatus::PlanFailed),
            rolled_back: self.count_of(DeviceStatus::RolledBack),
            skipped: self.count_of(DeviceStatus::Skipped),
        });
    }
}

/// Seconds since the epoch, in workflow time (deterministic on replay).
fn now_secs(ctx: &WorkflowContext<SuiteWorkflow>) -> i64 {
    crate::unix_secs(ctx.workflow_time())
}

fn now(ctx: &WorkflowContext<SuiteWorkflow>) -> String {
    format_rfc3339(now_secs(ctx))
}

fn sync_now(ctx: &SyncWorkflowContext<SuiteWorkflow>) -> String {
    ctx.workflow_time().map(|t| format_rfc3339(crate::unix_secs(Some(t)))).unwrap_or_default()
}

/// After the rollout: rolls back if asked to, and says how the suite ends.
async fn conclude(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str) -> (SuitePhase, String) {
    let (failed, skipped, completed, rollback, abandoned, cancelled, window_closed) = ctx.state(|s| {
        (s.failed_total(), s.count_of(DeviceStatus::Skipped), s.completed.clone(), s.rollback.clone(), s.abandoned.clone(),
         s.cancelled.clone(), s.window_closed)
    });
    if let Some(why) = abandoned {
        return (SuitePhase::Failed, format!("{why}; {failed} device(s) failed, {} changed device(s) keep their change", completed.len()));
    }
    if let Some(why) = rollback {
        set_phase(ctx, SuitePhase::RollingBack, format!("{why}; rolling back {} device(s)", completed.len()));
        ctx.state_mut(|s| s.inflight = 0);
        // Reverse order of completion: the last device changed is the first restored.
        let rolled = join_all(completed.iter().rev().map(|d| rollback_device(ctx, suite_id, d))).await;
        let back = rolled.iter().filter(|ok| **ok).count();
        let summary = format!("{why}; {failed} device(s) failed; {back} of {} changed device(s) rolled back", completed.len());
        if cancelled.is_some() {
            return (SuitePhase::Cancelled, summary);
        }
        let phase = if back == completed.len() { SuitePhase::RolledBack } else { SuitePhase::PartiallyRolledBack };
        return (phase, summary);
    }
    if window_closed {
        return (SuitePhase::Failed, format!("the change window closed: {skipped} device(s) not started, {} changed", completed.len()));
    }
    if failed == 0 && skipped == 0 {
        return (SuitePhase::Succeeded, "all devices changed and verified".into());
    }
    (SuitePhase::Failed, format!("{failed} device(s) failed, {skipped} not started; changed devices keep their change"))
}

/// Gives back the lock of every device this suite locked, as local
/// activities: one marker each in the suite's history instead of three
/// events and a server round trip (about 500 fewer events at 200 devices).
/// A lock that cannot be given back (the device went away) expires on the
/// device.
async fn release_locks(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str) {
    let locked: Vec<String> = ctx.state(|s| s.status.devices.iter().filter(|d| d.locked).map(|d| d.device.clone()).collect());
    if locked.is_empty() {
        return;
    }
    ctx.set_current_details(format!("releasing {} device lock(s)", locked.len()));
    let since = now(ctx);
    join_all(locked.iter().map(|device| {
        let req = LockRequest { suite_id: suite_id.to_string(), device: device.clone(), since: since.clone() };
        ctx.execute_local_activity(UnlockDevice, req, options::lock_release(format!("unlock {device}")))
    }))
    .await;
}

/// The reason, if the workflow was asked to cancel.
fn cancellation(ctx: &WorkflowContext<SuiteWorkflow>) -> Option<String> {
    let token = ctx.cancellation_token();
    token.is_cancelled().then(|| token.reason().unwrap_or_else(|| "no reason given".into()))
}

/// Waits for a condition on the suite's own state. Detached from workflow
/// cancellation: cancelling is watched explicitly, and the rollback that
/// follows it still needs these waits.
fn wait<'a>(ctx: &'a WorkflowContext<SuiteWorkflow>, cond: impl FnMut(&SuiteWorkflow) -> bool + 'a) -> impl FusedFuture<Output = ()> + 'a {
    let mut options = WaitConditionOptions::default();
    options.cancellation_token = Some(WorkflowCancellationToken::new());
    ctx.wait_condition_with_options(cond, options).map(|_| ())
}

fn set_phase(ctx: &WorkflowContext<SuiteWorkflow>, phase: SuitePhase, details: String) {
    ctx.state_mut(|s| s.status.phase = phase as i32);
    ctx.upsert_search_attributes([SA_STATUS.value_set(phase_name(phase).to_string())]);
    ctx.set_current_details(format!("{}: {details}", phase_name(phase)));
}

fn finish(ctx: &WorkflowContext<SuiteWorkflow>, phase: SuitePhase, details: String) -> SuiteStatus {
    let finished = now(ctx);
    let failed = ctx.state_mut(|s| {
        s.count();
        s.status.finished_at = finished;
        if !matches!(phase, SuitePhase::Succeeded | SuitePhase::Planned) && s.status.error.is_empty() {
            s.status.error = details.clone();
        }
        s.status.counts.as_ref().map_or(0, |c| c.failed)
    });
    ctx.upsert_search_attributes([SA_FAILED.value_set(i64::from(failed))]);
    set_phase(ctx, phase, details);
    ctx.state(|s| s.status.clone())
}

async fn plan_device(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, target: &DeviceTarget) -> DevicePlan {
    wait(ctx, |s| s.inflight < PLAN_PARALLELISM).await;
    ctx.state_mut(|s| s.inflight += 1);
    let req = PlanDeviceRequest { suite_id: suite_id.to_string(), target: Some(target.clone()) };
    let result = ctx.execute_activity(PlanDevice, req, options::planning(format!("plan {}", target.device))).await;
    release(ctx);
    result.unwrap_or_else(|e| DevicePlan {
        device: target.device.clone(),
        error: format!("{}: cannot plan: {}", target.device, describe(&e)),
        ..Default::default()
    })
}

fn release(ctx: &WorkflowContext<SuiteWorkflow>) {
    ctx.state_mut(|s| s.inflight -= 1);
}

/// Runs the waves in order, soaking between them.
async fn run_waves(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, waves: &[Vec<String>], settings: &Rollout) {
    for (w, wave) in waves.iter().enumerate() {
        ctx.state_mut(|s| s.status.wave = w as u32 + 1);
        join_all(wave.iter().map(|d| apply_device(ctx, suite_id, d, settings))).await;
        let last = w + 1 == waves.len();
        if !last && settings.soak_seconds > 0 && !ctx.state(|s| s.halt) {
            ctx.set_current_details(format!("applying: wave {} done, soaking {}s before wave {}", w + 1, settings.soak_seconds, w + 2));
            let mut timer = std::pin::pin!(ctx.timer(Duration::from_secs(settings.soak_seconds)));
            let halted = select! {
                _ = wait(ctx, |s| s.halt) => true,
                _ = timer => false,
            };
            if halted {
                timer.cancel();
            }
        }
    }
    ctx.state_mut(|s| s.rollout_done = true);
}

async fn apply_device(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, device: &str, settings: &Rollout) {
    wait(ctx, |s| s.halt || (!s.paused && s.inflight < s.status.parallelism.max(1))).await;
    let plan = ctx.state(|s| s.plans.get(device).cloned().unwrap_or_default());
    let skip = |ctx: &WorkflowContext<SuiteWorkflow>, reason: String| {
        ctx.state_mut(|s| s.device_mut(device, |d| {
            d.status = DeviceStatus::Skipped as i32;
            d.error = reason;
        }));
    };
    if ctx.state(|s| s.halt) {
        let why = ctx.state(|s| s.rollback.clone().or(s.abandoned.clone()).unwrap_or_else(|| "the rollout stopped".into()));
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
    let input = DeviceRunInput {
        suite_id: suite_id.to_string(),
        mode: DeviceMode::Apply as i32,
        plan: Some(plan),
        applied_steps: vec![],
        fail_if_locked: settings.fail_if_locked,
        lock_wait_seconds: settings.lock_wait_seconds,
    };
    let mut result = run_child(ctx, suite_id, device, "apply", input).await;
    release(ctx);
    result.finished_at = now(ctx);
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
        } else if s.failed_total() > s.budget_base + settings.failure_budget && !s.halt {
            let why = format!("failure budget of {} exceeded", settings.failure_budget);
            match OnFailure::try_from(settings.on_failure).unwrap_or(OnFailure::Rollback) {
                OnFailure::Continue => {}
                OnFailure::Pause => s.paused = true,
                OnFailure::Rollback | OnFailure::Unspecified => {
                    s.halt = true;
                    s.rollback = Some(why);
                }
            }
        }
        s.count();
    });
}

/// Closes the window at its (possibly extended) end: no device starts after.
async fn watch_window(ctx: &WorkflowContext<SuiteWorkflow>) {
    let Some(on_close) = ctx.state(|s| s.input.window.as_ref().map(|w| w.on_close)) else { return };
    loop {
        let Some(end) = ctx.state(|s| s.window_end) else { return };
        let left = end - now_secs(ctx);
        if left > 0 {
            let mut timer = std::pin::pin!(ctx.timer(Duration::from_secs(left as u64)));
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
            if s.rollout_done {
                return;
            }
            s.window_closed = true;
            s.halt = true;
            if on_close == WindowClose::Rollback as i32 && s.rollback.is_none() && s.abandoned.is_none() {
                s.rollback = Some(format!("the change window closed at {}", format_rfc3339(end)));
            }
        });
        return;
    }
}

/// With on_failure = pause: each time the budget is exceeded, waits for an
/// operator (or the timeout, then the default action).
async fn answer_pauses(ctx: &WorkflowContext<SuiteWorkflow>, settings: &Rollout) {
    if settings.on_failure != OnFailure::Pause as i32 {
        return;
    }
    loop {
        wait(ctx, |s| s.paused || s.rollout_done).await;
        if !ctx.state(|s| s.paused) {
            return;
        }
        let failed = ctx.state(|s| s.failed_total());
        set_phase(ctx, SuitePhase::Paused, format!(
            "{failed} device(s) failed; waiting up to {}s for an operator: switchyard resume|rollback|abandon", settings.pause_timeout_seconds));
        let mut timer = std::pin::pin!(ctx.timer(Duration::from_secs(settings.pause_timeout_seconds.max(1))));
        let answered = select! {
            _ = wait(ctx, |s| s.operator.is_some() || s.halt) => true,
            _ = timer => false,
        };
        if answered {
            timer.cancel();
        }
        let at = now(ctx);
        ctx.state_mut(|s| {
            let (action, who) = match s.operator.take() {
                Some(sig) => (OperatorAction::try_from(sig.action).unwrap_or(OperatorAction::Rollback), sig.operator),
                None if s.halt => (OperatorAction::Unspecified, String::new()),
                None => {
                    let default = OperatorAction::try_from(settings.pause_default).unwrap_or(OperatorAction::Rollback);
                    s.status.operator_log.push(OperatorEvent {
                        at,
                        operator: "switchyard".into(),
                        action: format!("{default:?}").to_lowercase(),
                        applied: true,
                        reason: format!("no operator answered within {}s", settings.pause_timeout_seconds),
                    });
                    (default, "the pause timeout".to_string())
                }
            };
            s.paused = false;
            match action {
                OperatorAction::Resume => s.budget_base = failed,
                OperatorAction::Rollback => {
                    s.halt = true;
                    s.rollback.get_or_insert(format!("rollback chosen by {who}"));
                }
                OperatorAction::Abandon => {
                    s.halt = true;
                    s.abandoned = Some(format!("abandoned by {who}"));
                }
                OperatorAction::Unspecified => {}
            }
        });
        if !ctx.state(|s| s.halt) {
            set_phase(ctx, SuitePhase::Applying, "resumed by an operator".into());
        }
    }
}

/// Cancellation (Web UI "Request Cancellation", `switchyard cancel`): start
/// no more devices, let in-flight ones finish, then compensate.
async fn watch_cancellation(ctx: &WorkflowContext<SuiteWorkflow>) {
    let cancelled = select! {
        _ = ctx.cancelled() => true,
        _ = wait(ctx, |s| s.rollout_done) => false,
    };
    if cancelled {
        let reason = cancellation(ctx).unwrap_or_default();
        ctx.state_mut(|s| {
            s.cancelled = Some(reason.clone());
            s.halt = true;
            s.paused = false;
            s.abandoned = None;
            s.rollback = Some(format!("cancelled ({reason})"));
        });
    }
}

async fn rollback_device(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, device: &str) -> bool {
    // Rollback ignores halt and pause: it is exactly what runs after them.
    wait(ctx, |s| s.inflight < s.status.parallelism.max(1)).await;
    ctx.state_mut(|s| s.inflight += 1);
    let (plan, applied, lock_wait_seconds) = ctx.state(|s| {
        let applied = s.status.devices.iter().find(|d| d.device == device).map(|d| d.steps_applied.clone()).unwrap_or_default();
        let lock_wait = s.input.rollout.as_ref().map_or(0, |r| r.lock_wait_seconds);
        (s.plans.get(device).cloned().unwrap_or_default(), applied, lock_wait)
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
    };
    let result = run_child(ctx, suite_id, device, "rollback", input).await;
    release(ctx);
    let ok = result.status == DeviceStatus::RolledBack as i32;
    let finished = now(ctx);
    ctx.state_mut(|s| {
        s.device_mut(device, |d| {
            d.status = result.status;
            d.locked |= result.locked;
            d.steps_compensated = result.steps_compensated.clone();
            d.finished_at = finished;
            if !result.error.is_empty() {
                d.error = result.error.clone();
            }
        });
        s.log_compensation(device, &result.compensation);
        s.count();
    });
    ok
}

/// Runs one device's child workflow to its result. The child is detached
/// from the suite's cancellation: a device always finishes what it started
/// (all steps, or its own compensation) before the suite decides.
async fn run_child(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, device: &str, mode: &str, input: DeviceRunInput) -> DeviceResult {
    let steps = input.plan.as_ref().map_or(0, |p| p.steps.len());
    let opts = ChildWorkflowOptions::builder()
        .workflow_id(names::device_workflow_id(suite_id, device, mode))
        .static_summary(format!("{mode} {device} ({steps} steps)"))
        .cancellation_token(WorkflowCancellationToken::new())
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
