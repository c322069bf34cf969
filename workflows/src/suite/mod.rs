//! SuiteWorkflow: one change across many devices.
//!
//! Phases: planning → awaiting_approval (when the policy asks for reviewers)
//! → waiting_window → applying ⇄ paused → rolling_back → succeeded | failed
//! | rolled_back | partially_rolled_back | rejected | expired | cancelled.
//! Each device runs as a child DeviceWorkflow, so a large suite stays far
//! inside Temporal's per-workflow history limits and every device has its
//! own journal.
//!
//! This module holds the workflow's state and its handlers; the phases live
//! beside it: `gates` (plan, approval, window), `apply` (waves and the
//! watchers), `conclude` (rollback, locks, the final phase), `course` (the
//! stop state and its pure decisions), `state` (bookkeeping), `context`
//! (time, waits, phase). Must never: decide anything from outside workflow
//! state and history.

// The workflow macros emit marker constants for each method; the methods
// carry the docs.
#![allow(missing_docs)]

mod apply;
mod conclude;
mod context;
mod course;
mod devices;
mod events;
mod gates;
mod state;
mod waits;
mod wave_gates;

use std::collections::BTreeMap;

use switchyard_proto::names;
use switchyard_proto::time::{format_rfc3339, parse_rfc3339};
use switchyard_proto::v1::{
    ApprovalSignal, DevicePage, DevicePageRequest, DevicePlan, DeviceResult, DeviceStatus, DeviceWaiting, ExtendWindow, OperatorAction, OperatorEvent, OperatorSignal,
    RecordedDecision, SetParallelism, SignedDecision, SuiteCounts, SuiteInput, SuitePhase, SuiteStatus,
};
use switchyard_proto::policy::may_operate;
use switchyard_proto::trust::{Decision, Kind};
use switchyard_proto::vocabulary::phase_name;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::common::SearchAttributeKey;
use temporalio_workflow::common::search_attributes::SearchAttributeUpdate;
use temporalio_workflow::{SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult};

use self::conclude::finish;
use self::context::{close, in_stretch, now, sync_now, sync_now_secs};
use self::course::{Answer, Course};
use crate::approval;
use crate::decisions::{identify, Identified};
use crate::lenient::Lenient;

/// The suite's state; queried whole as `status`.
#[workflow]
pub struct SuiteWorkflow {
    input: SuiteInput,
    status: SuiteStatus,
    plans: BTreeMap<String, DevicePlan>,
    // Semaphore made of workflow state: device futures wait until a slot is
    // free, so the cap is deterministic and can change while running.
    inflight: u32,
    // Whether another device may start, and how the suite will end.
    course: Course,
    // Failures already answered by an operator's resume.
    budget_base: u32,
    rollout_done: bool,
    window_end: Option<i64>,
    // Devices whose apply succeeded, in completion order (rollback reverses it).
    completed: Vec<String>,
    // Whether the run closes failed or cancelled when it does not succeed,
    // asked at the start (see `close`).
    outcome_asked_early: bool,
    // Event types the worker's webhooks take (asked at the start), the
    // events not yet handed to their delivery with their sequence numbers,
    // how many were ever queued, and whether the suite has emitted its last.
    subscribed: Vec<String>,
    outbox: std::collections::VecDeque<(usize, switchyard_proto::v1::SuiteEvent)>,
    events_queued: usize,
    events_closed: bool,
    // The plan's Merkle tree (plan format v2): each device's warrant proves
    // its steps into the approved hash from it.
    plan_tree: Option<switchyard_proto::plan_root::PlanTree>,
    // Since `signed-cancel`: a signed cancel's reason, once one applied;
    // and whether a bare Temporal cancellation paused the suite.
    signed_cancel: bool,
    cancel: Option<String>,
    cancel_asked: bool,
    // The window extensions applied, signed, and the latest unsigned end:
    // each device's warrant carries them, so a write after the launched
    // window's end is one an operator decided.
    window_extensions: Vec<SignedDecision>,
    unsigned_window_end: String,
    // What the phase is doing, in words (the Web UI's details), and what
    // the suite itself waits for now (see `waits`): state only, so a query
    // says why the suite is not moving while it waits.
    details: String,
    wait: String,
}

/// Signed window extensions a suite keeps for its devices' warrants.
const WINDOW_EXTENSIONS_KEPT: usize = 4;

#[workflow_methods]
impl SuiteWorkflow {
    /// Builds the initial status from the input.
    #[init]
    pub fn new(ctx: &WorkflowContextView, input: SuiteInput) -> Self {
        let devices = input.devices.iter().map(|d| DeviceResult {
            device: d.device.clone(),
            status: DeviceStatus::Pending as i32,
            ..Default::default()
        }).collect();
        let rollout = input.rollout.clone().unwrap_or_default();
        let window_end = input.window.as_ref().and_then(|w| parse_rfc3339(&w.end));
        let status = SuiteStatus {
            suite_id: run_suite_id(&input, ctx.workflow_id()),
            name: input.name.clone(),
            requester: input.requester.clone(),
            phase: SuitePhase::Planning as i32,
            counts: Some(SuiteCounts { devices: input.devices.len() as u32, ..Default::default() }),
            devices,
            parallelism: rollout.parallelism.max(1),
            window_end: window_end.map(format_rfc3339).unwrap_or_default(),
            run_id: ctx.run_id().to_string(),
            launch: input.launch.clone(),
            reverts: input.reverts.clone(),
            ..Default::default()
        };
        Self {
            input, status, plans: BTreeMap::new(), inflight: 0, course: Course::Running, budget_base: 0,
            rollout_done: false, window_end, completed: Vec::new(), outcome_asked_early: false,
            subscribed: Vec::new(), outbox: Default::default(), events_queued: 0, events_closed: false, plan_tree: None,
            signed_cancel: false, cancel: None, cancel_asked: false, window_extensions: Vec::new(), unsigned_window_end: String::new(),
            details: String::new(), wait: String::new(),
        }
    }

    /// Plans, waits for approval and the window, rolls out, compensates.
    #[run(name = names::SUITE_WORKFLOW)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<SuiteStatus> {
        let mut input = ctx.state(|s| s.input.clone());
        // A scheduled run is known by its own id; the policy still judges
        // (and the launch signature still covers) the input as scheduled.
        input.suite_id = run_suite_id(&input, ctx.workflow_id());
        if input.scheduled {
            // A schedule starts suites without search attributes.
            ctx.upsert_search_attributes(start_attributes(&input));
        }
        // Asked before anything else: a patch first asked after a local
        // activity may be answered in another workflow task on replay than
        // when it ran (the suite's last one is the locks' release).
        let early = ctx.patched(names::patches::OUTCOME_STATUS_AT_START);
        ctx.state_mut(|s| s.outcome_asked_early = early);
        let signed_cancel = ctx.patched(names::patches::SIGNED_CANCEL);
        ctx.state_mut(|s| s.signed_cancel = signed_cancel);
        let started = now(ctx);
        ctx.state_mut(|s| s.status.started_at = started.clone());
        events::subscribe(ctx).await;
        let ctx = &*ctx;
        // Events are handed to their deliveries beside the suite's course,
        // so the suite never waits on a receiver.
        let (mut status, ()) = futures::join!(
            async {
                let status = stages(ctx, &input).await;
                ctx.state_mut(|s| s.events_closed = true);
                status
            },
            events::pump(ctx),
        );
        status.events = ctx.state(|s| s.status.events.clone());
        close(ctx, status)
    }

    /// A reviewer's decision (from the Web UI or the CLI). Every decision is
    /// recorded, counted or not, with the reason.
    #[signal(name = names::SIGNAL_APPROVAL)]
    pub fn approval(&mut self, ctx: &mut SyncWorkflowContext<Self>, body: Lenient<ApprovalSignal>) {
        let at = sync_now(ctx);
        let signal = match body {
            Lenient::Understood(signal) => signal,
            Lenient::Refused(why) => {
                self.record_decision(RecordedDecision { counted: false, reason: format!("refused: {why}"), at, ..Default::default() });
                return;
            }
        };
        let policy = self.policy();
        let awaiting = self.status.phase == SuitePhase::AwaitingApproval as i32;
        let binding = self.binding(sync_now_secs(ctx));
        let mut decision = approval::judge(&policy, &binding, at, &self.status.decisions, signal);
        if decision.counted && !awaiting {
            decision.counted = false;
            decision.reason = format!("arrived in phase {}, not awaiting_approval", phase_name(self.phase()));
        }
        self.record_decision(decision);
    }

    /// An operator's answer to a paused suite (resume, rollback or
    /// abandon), or a cancel at any time before the suite concludes.
    #[signal(name = names::SIGNAL_OPERATOR)]
    pub fn operator(&mut self, ctx: &mut SyncWorkflowContext<Self>, body: Lenient<OperatorSignal>) {
        let at = sync_now(ctx);
        let signal = match body {
            Lenient::Understood(signal) => signal,
            Lenient::Refused(why) => {
                self.record_operator(OperatorEvent { at, applied: false, reason: format!("refused: {why}"), ..Default::default() });
                return;
            }
        };
        let kinds = [Kind::Resume, Kind::Rollback, Kind::Abandon, Kind::Cancel];
        let who = self.operate(signal.signed.as_ref(), &signal.operator, &kinds, sync_now_secs(ctx));
        // A signed message is the authority on what is asked.
        let (action, comment) = match &who {
            Ok(Identified { decision: Some(d), .. }) => (d.kind.operator_action().unwrap_or(OperatorAction::Abandon), d.comment.clone()),
            _ => (OperatorAction::try_from(signal.action).unwrap_or(OperatorAction::Unspecified), signal.comment.clone()),
        };
        let name = Kind::of_operator_action(action).map_or("", Kind::name);
        let concluding = self.is_final() || self.phase() == SuitePhase::RollingBack || self.rollout_done;
        let refusal = match &who {
            Err(why) => Some(why.clone()),
            Ok(_) if name.is_empty() => Some("action must be OPERATOR_ACTION_RESUME, OPERATOR_ACTION_ROLLBACK, OPERATOR_ACTION_ABANDON or OPERATOR_ACTION_CANCEL".to_string()),
            Ok(_) if action == OperatorAction::Cancel && concluding => Some(format!("the suite is {}: nothing left to cancel", phase_name(self.phase()))),
            Ok(_) if action == OperatorAction::Cancel && self.cancel.is_some() => Some("already cancelled".to_string()),
            Ok(_) if action == OperatorAction::Cancel => None,
            Ok(_) if self.phase() != SuitePhase::Paused || !self.course.awaits_answer() =>
                Some(format!("the suite is {}, not paused awaiting an answer", phase_name(self.phase()))),
            Ok(_) => None,
        };
        let signer = who.as_ref().ok().map(|w| w.signer.clone());
        let by = signer.as_ref().map_or_else(|| signal.operator.trim().to_string(), |s| s.principal.clone());
        self.record_operator(OperatorEvent {
            at,
            operator: by.clone(),
            action: name.to_string(),
            applied: refusal.is_none(),
            reason: refusal.clone().unwrap_or(comment.clone()),
            signer,
            signed: signal.signed.clone(),
        });
        if refusal.is_none() && action == OperatorAction::Cancel {
            // The watchers act on it: the gates end the suite, the rollout
            // stops and rolls back.
            self.cancel = Some(if comment.is_empty() { format!("by {by}") } else { format!("by {by}: {comment}") });
        } else if refusal.is_none() {
            self.course = Course::Paused { answer: Some(Answer { action, by }) };
        }
    }

    /// A device's run saying what it waits for (another suite's lock), or
    /// that it no longer waits. Shown in the status and the Web UI, never
    /// acted on: anyone with namespace access can send it, so it is kept
    /// only for a device of this suite that is applying, and bounded.
    #[signal(name = names::SIGNAL_DEVICE_WAITING)]
    pub fn device_waiting(&mut self, ctx: &mut SyncWorkflowContext<Self>, body: Lenient<DeviceWaiting>) {
        let Lenient::Understood(report) = body else { return };
        let waiting = waits::kept(&report.waiting);
        self.device_mut(&report.device, |d| {
            if d.status == DeviceStatus::Applying as i32 {
                d.waiting = waiting;
            }
        });
        ctx.set_current_details(self.details_now());
    }

    /// Checks an extension before it is accepted (nothing is recorded when
    /// it is refused; who sent it is checked, and recorded, by the update).
    #[update_validator(extend_window)]
    pub fn validate_extend_window(&self, _ctx: &WorkflowContextView, req: &Lenient<ExtendWindow>) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let req = understood(req)?;
        let Some(current) = self.window_end else { return Err("this suite has no change window".into()) };
        if self.is_final() || self.rollout_done {
            return Err(format!("the suite is {}; nothing left to extend", phase_name(self.phase())).into());
        }
        if self.course.is_stopping() {
            return Err(format!("the rollout is stopping ({}); nothing left to extend", self.course.skip_reason()).into());
        }
        let wanted = requested(req.signed.as_ref(), &req.end)?;
        let end = parse_rfc3339(&wanted).ok_or_else(|| format!("{wanted:?} is not an RFC 3339 time"))?;
        if end <= current {
            return Err(format!("new end {} is not after the current end {}", format_rfc3339(end), format_rfc3339(current)).into());
        }
        if req.signed.is_none() && req.operator.trim().is_empty() {
            return Err("no operator named".into());
        }
        Ok(())
    }

    /// Moves the change window's end later; returns the new end. Refused,
    /// and recorded as refused, when its sender may not operate this suite.
    #[update(name = names::UPDATE_EXTEND_WINDOW)]
    pub fn extend_window(&mut self, ctx: &mut SyncWorkflowContext<Self>, req: Lenient<ExtendWindow>) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
        // The validator refused any body it could not understand.
        let Lenient::Understood(req) = req else { return Ok(self.status.window_end.clone()) };
        let who = self.operate(req.signed.as_ref(), &req.operator, &[Kind::ExtendWindow], sync_now_secs(ctx));
        let wanted = who.as_ref().ok().and_then(|w| w.decision.as_ref()).map_or_else(|| req.end.clone(), |d| d.value.clone());
        let end = parse_rfc3339(&wanted).unwrap_or_default();
        let signed = req.signed.clone();
        let applied = self.record_operation(ctx, &who, &req.operator, format!("extend window to {}", format_rfc3339(end)), req.comment, req.signed)?;
        if applied {
            self.window_end = Some(end);
            self.status.window_end = format_rfc3339(end);
            match signed {
                Some(signed) => {
                    // Each moves the end later, so the latest few say all a
                    // warrant needs, however many are sent: state and every
                    // device's input stay bounded.
                    self.window_extensions.push(signed);
                    let excess = self.window_extensions.len().saturating_sub(WINDOW_EXTENSIONS_KEPT);
                    self.window_extensions.drain(..excess);
                }
                None => self.unsigned_window_end = format_rfc3339(end),
            }
        }
        Ok(self.status.window_end.clone())
    }

    /// Checks a parallelism change before it is accepted.
    #[update_validator(set_parallelism)]
    pub fn validate_set_parallelism(&self, _ctx: &WorkflowContextView, req: &Lenient<SetParallelism>) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let req = understood(req)?;
        let wanted = requested(req.signed.as_ref(), &req.parallelism.to_string())?;
        let parallelism: u32 = wanted.parse().map_err(|_| format!("parallelism {wanted:?} is not a number"))?;
        if !(1..=1000).contains(&parallelism) {
            return Err("parallelism must be in 1..=1000".into());
        }
        let max = self.status.policy.as_ref().map_or(0, |p| p.max_parallelism);
        if max > 0 && parallelism > max {
            return Err(format!("parallelism {parallelism} is above the {max} the policy allows for this suite").into());
        }
        if self.is_final() {
            return Err(format!("the suite is {}", phase_name(self.phase())).into());
        }
        if req.signed.is_none() && req.operator.trim().is_empty() {
            return Err("no operator named".into());
        }
        Ok(())
    }

    /// Changes how many devices run at once; returns the previous value.
    #[update(name = names::UPDATE_SET_PARALLELISM)]
    pub fn set_parallelism(&mut self, ctx: &mut SyncWorkflowContext<Self>, req: Lenient<SetParallelism>) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
        // The validator refused any body it could not understand.
        let Lenient::Understood(req) = req else { return Ok(self.status.parallelism) };
        let who = self.operate(req.signed.as_ref(), &req.operator, &[Kind::SetParallelism], sync_now_secs(ctx));
        let wanted = who.as_ref().ok().and_then(|w| w.decision.as_ref()).and_then(|d| d.value.parse().ok()).unwrap_or(req.parallelism);
        let old = self.status.parallelism;
        let applied = self.record_operation(ctx, &who, &req.operator, format!("set parallelism {old} → {wanted}"), String::new(), req.signed)?;
        if applied {
            self.status.parallelism = wanted;
        }
        Ok(old)
    }

    /// The status: phase, counts, plan, decisions, logs, and the devices
    /// that need a look first (at most `names::STATUS_DEVICES_SHOWN`).
    #[query(name = names::QUERY_STATUS)]
    pub fn status(&self, _ctx: &WorkflowContextView) -> SuiteStatus {
        let mut shown = devices::shown(&self.status);
        if !self.is_final() {
            waits::annotate(&self.wait, &mut shown, self.inflight);
        }
        shown
    }

    /// One page of the suite's devices, in its order.
    #[query(name = names::QUERY_DEVICES)]
    pub fn devices(&self, _ctx: &WorkflowContextView, req: DevicePageRequest) -> Result<DevicePage, Box<dyn std::error::Error + Send + Sync>> {
        let mut page = devices::page(&self.status, &self.plans, &req)?;
        if !self.is_final() {
            for d in &mut page.devices {
                d.waiting = waits::device_waiting(&self.wait, &self.status, d);
            }
        }
        Ok(page)
    }
}

impl SuiteWorkflow {
    /// The Web UI's current details: the phase and what it does, what the
    /// suite waits for, and the handlers an operator may use.
    fn details_now(&self) -> String {
        let waiting = waits::suite_waiting(&self.wait, &self.status, self.inflight);
        context::details(self.phase(), &self.details, &waiting)
    }

    /// Who sent an operator's decision, and whether they may operate this
    /// suite under its policy.
    fn operate(&self, signed: Option<&SignedDecision>, typed: &str, kinds: &[Kind], now: i64) -> Result<Identified, String> {
        if let Some(why) = self.not_yet() {
            return Err(why);
        }
        let policy = self.policy();
        // Only a message that verified (its signer recorded) is used up.
        let used = self.status.operator_log.iter().filter(|e| e.signer.is_some()).filter_map(|e| e.signed.as_ref());
        let who = identify(&policy, signed, typed, kinds, &self.binding(now), used)?;
        may_operate(&policy, &who.signer.principal)?;
        Ok(who)
    }

    /// Writes an update's line in the operator log; a refused sender is
    /// recorded and the refusal becomes the update's error.
    fn record_operation(
        &mut self, ctx: &SyncWorkflowContext<Self>, who: &Result<Identified, String>, typed: &str, action: String, comment: String,
        signed: Option<SignedDecision>,
    ) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
        let (operator, signer, refusal) = match who {
            Ok(w) => (w.signer.principal.clone(), Some(w.signer.clone()), None),
            Err(why) => (typed.trim().to_string(), None, Some(why.clone())),
        };
        let comment = who.as_ref().ok().and_then(|w| w.decision.as_ref()).map_or(comment, |d| d.comment.clone());
        self.record_operator(OperatorEvent {
            at: sync_now(ctx),
            operator,
            action,
            applied: refusal.is_none(),
            reason: refusal.clone().unwrap_or(comment),
            signer,
            signed,
        });
        match refusal {
            Some(why) => Err(why.into()),
            None => Ok(true),
        }
    }
}

/// The search attributes a suite starts with (name, phase, requester,
/// size, kind), so it is listable before its first workflow task: set by
/// whoever starts it, or by the suite itself when a schedule did.
pub fn start_attributes(input: &SuiteInput) -> Vec<SearchAttributeUpdate> {
    names::start_attributes(input).into_iter().map(|(name, value)| match value {
        names::StartValue::Keyword(v) => SearchAttributeKey::keyword(name).value_set(v),
        names::StartValue::Int(v) => SearchAttributeKey::int(name).value_set(v),
    }).collect()
}

/// The id a run of `input` is known by: a scheduled suite's runs are
/// started by Temporal as `<suite_id>-<time>`, each its own suite.
pub fn run_suite_id(input: &SuiteInput, workflow_id: &str) -> String {
    if input.scheduled && scheduled_run_of(&input.suite_id, workflow_id) { workflow_id.to_string() } else { input.suite_id.clone() }
}

/// Whether `workflow_id` is a run a schedule started for `suite_id`.
pub fn scheduled_run_of(suite_id: &str, workflow_id: &str) -> bool {
    workflow_id.strip_prefix(suite_id).is_some_and(|rest| rest.starts_with('-') && rest.len() > 1)
}

/// The suite's course, from the plan to its end: each gate either lets it
/// on or ends it with nothing applied; each stretch runs inside its own
/// trace span.
async fn stages(ctx: &WorkflowContext<SuiteWorkflow>, input: &SuiteInput) -> SuiteStatus {
    let id = input.suite_id.as_str();
    if let Some(ended) = in_stretch(ctx, id, "plan", gates::plan(ctx, input)).await {
        return ended;
    }
    if let Some(ended) = in_stretch(ctx, id, "approval", gates::approve(ctx, input)).await {
        return ended;
    }
    if let Some(ended) = in_stretch(ctx, id, "window", gates::window(ctx, input)).await {
        return ended;
    }
    in_stretch(ctx, id, "apply", apply::rollout(ctx, input)).await;
    in_stretch(ctx, id, "conclude", async {
        let (phase, summary) = conclude::conclude(ctx, id).await;
        let summary = conclude::with_unsaved(ctx, summary);
        if ctx.patched(names::patches::DEVICE_LOCK) {
            conclude::release_locks(ctx, id).await;
        }
        finish(ctx, phase, summary)
    }).await
}

/// The value an update asks for: from its signed message when it is
/// signed (the message is the authority), else the field beside it.
fn requested(signed: Option<&SignedDecision>, field: &str) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    match signed {
        None => Ok(field.to_string()),
        Some(s) => Decision::parse(&s.message).map(|d| d.value).map_err(|e| format!("the signed message is not a switchyard decision: {e}").into()),
    }
}

/// An update's body, or its decode error as the update's refusal.
fn understood<T>(body: &Lenient<T>) -> Result<&T, Box<dyn std::error::Error + Send + Sync>> {
    match body {
        Lenient::Understood(req) => Ok(req),
        Lenient::Refused(why) => Err(format!("refused: {why}").into()),
    }
}
