//! The warrant check every device write makes before it touches the
//! device: was this write decided, under the worker's policy as it is now?
//!
//! The suite run the write serves is taken from Temporal's own record (the
//! run that started the calling device workflow, its input and its start
//! time), never from the request; the request's warrant (approvals, plan
//! hash, proof) is a claim that [`switchyard_proto::warrant::check`] tests.
//! A write that moves the device forward (an apply) must also fall
//! in the suite's change window as launched or as an operator's warranted
//! extension moved it ([`switchyard_proto::warrant::check_window`]), and
//! read the post-checks the policy requires for the device
//! ([`switchyard_proto::warrant::check_checks`]), and the revert armed on
//! the switch unless the policy lets the suite turn it off
//! ([`switchyard_proto::warrant::check_confirm`]).
//! A refusal is final (not retried), counted in
//! `switchyard_warrant_refusals_total` and logged with its reason.
//!
//! The same reading of Temporal's record vouches for the events the worker
//! signs for webhooks ([`Warrants::check_event`]).
//!
//! Must never: write to a device, or take the policy, the suite's input or
//! a device's facts from the workflow.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use switchyard_proto::names;
use switchyard_proto::v1::{DevicePlan, DeviceTarget, StepPlan, SuiteEvent, UndoStep, Warrant};
use switchyard_proto::warrant::{self, Authority, SuiteRun};
use temporalio_common::error::ApplicationFailure;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::{info, warn};

use crate::policy::LivePolicy;

/// A workflow run: its workflow id and run id.
type RunKey = (String, String);

/// The run that started another: its workflow id and run id.
pub type Starter = (String, String);

/// A future the worker's Temporal lookups return.
pub type Lookup<T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send>>;

/// What Temporal records about workflow runs, as the worker reads it over
/// its client.
pub trait SuiteRuns: Send + Sync {
    /// The run (workflow id, run id) that started this run as its child;
    /// `None` when no workflow started it (a hand start).
    fn parent(&self, workflow_id: String, run_id: String) -> Lookup<Option<Starter>>;
    /// A run's workflow type.
    fn kind(&self, workflow_id: String, run_id: String) -> Lookup<String>;
    /// A suite run as it started: its input and its start time; `None`
    /// when the run is not a suite's.
    fn started(&self, workflow_id: String, run_id: String) -> Lookup<Option<SuiteRun>>;
    /// The plan a device run was started with; `None` when Temporal has no
    /// such run.
    fn device_plan(&self, workflow_id: String) -> Lookup<Option<DevicePlan>>;
}

/// Suite runs kept after their first lookup: a suite's input is read once
/// per worker, however many devices it has.
const CACHED_RUNS: usize = 64;

/// Device runs whose starter is kept: more than the devices in flight on a
/// worker.
const CACHED_PARENTS: usize = 4096;

/// Writes that move a device forward and so must fall in the suite's
/// change window; a reverse, an undo, a save or a lock (a rollback takes
/// one too) never waits for one.
const FORWARD: [&str; 1] = ["apply"];

/// The worker's warrant check.
pub struct Warrants {
    policy: LivePolicy,
    inventory: crate::LiveInventory,
    runs: Arc<dyn SuiteRuns>,
    cache: Mutex<BTreeMap<RunKey, Arc<SuiteRun>>>,
    // Which run started which device run: fixed once recorded, and asked
    // by every write of a device (lock, apply, save).
    parents: Mutex<BTreeMap<RunKey, Starter>>,
    metrics: Arc<crate::metrics::DeviceMetrics>,
}

/// Why a write was refused, or that its check could not be made yet.
enum Refusal {
    /// Not decided: final.
    Refused(String),
    /// Temporal could not be asked: retried.
    Unknown(String),
}

impl Warrants {
    /// Checks against `policy` (reloaded by the worker), with device facts
    /// from `inventory` and runs read through `runs`.
    pub fn new(policy: LivePolicy, inventory: impl Into<crate::LiveInventory>, runs: Arc<dyn SuiteRuns>, metrics: Arc<crate::metrics::DeviceMetrics>) -> Self {
        let inventory = inventory.into();
        Self { policy, inventory, runs, cache: Mutex::new(BTreeMap::new()), parents: Mutex::new(BTreeMap::new()), metrics }
    }

    /// Whether the write `what` of `steps` to `device` for `suite_id`,
    /// asked by the activity of `ctx`, was decided. `Err` is the activity's failure:
    /// final and naming the reason when refused, retryable when Temporal
    /// could not be asked.
    pub async fn check(&self, ctx: &ActivityContext, suite_id: &str, device: &str, warrant: Option<&Warrant>, steps: &[StepPlan], what: &'static str) -> Result<Authority, ActivityError> {
        match self.judge(ctx, suite_id, device, warrant, steps, what).await {
            Ok(authority) => Ok(authority),
            Err(Refusal::Unknown(why)) => Err(ActivityError::application(
                ApplicationFailure::builder(format!("{device}: cannot check the warrant for {what}: {why}")).type_name(names::failures::WARRANT.to_string()).build())),
            Err(Refusal::Refused(why)) => Err(self.refuse(ctx, device, what, &why)),
        }
    }

    /// A final refusal of a device write: logged, counted, never retried.
    pub fn refuse(&self, ctx: &ActivityContext, device: &str, what: &'static str, why: &str) -> ActivityError {
        let info = ctx.info();
        warn!(device, write = what, workflow_id = info.workflow_id.as_deref().unwrap_or(""), reason = %why, "Refused a device write: no warrant");
        self.metrics.warrant_refused(what);
        ActivityError::application(
            ApplicationFailure::builder(format!("{device}: {what} refused, nothing written: {why}"))
                .type_name(names::failures::WARRANT.to_string()).non_retryable(true).build())
    }

    async fn judge(&self, ctx: &ActivityContext, suite_id: &str, device: &str, warrant: Option<&Warrant>, steps: &[StepPlan], what: &str) -> Result<Authority, Refusal> {
        let info = ctx.info();
        let (Some(workflow_id), Some(run_id)) = (info.workflow_id.clone(), info.workflow_run_id.clone()) else {
            return Err(Refusal::Refused("not called from a workflow".into()));
        };
        let not_by_a_suite = || Refusal::Refused(format!("device workflow {workflow_id} was not started by a suite"));
        let (suite, suite_run) = if info.workflow_type.as_deref() == Some(names::SUITE_WORKFLOW) {
            (workflow_id.clone(), run_id)
        } else if info.workflow_type.as_deref() == Some(names::DEVICE_WORKFLOW) {
            self.parent(workflow_id.clone(), run_id).await.map_err(Refusal::Unknown)?.ok_or_else(not_by_a_suite)?
        } else {
            return Err(Refusal::Refused(format!("called from a {} workflow, which does not write to devices", info.workflow_type.as_deref().unwrap_or("unknown"))));
        };
        // The parent's own record says whether it is a suite (its first
        // event is a suite's start), read once per suite.
        let run = self.run(suite, suite_run).await?.ok_or_else(not_by_a_suite)?;
        // The suite id the device's journal and lock are written under is
        // the run's own, not one the request names.
        if suite_id != run.workflow_id {
            return Err(Refusal::Refused(format!("the write names suite {suite_id:?} but serves suite {}", run.workflow_id)));
        }
        let inventory = self.inventory.current();
        let Some(facts) = inventory.device(device) else {
            return Err(Refusal::Refused(format!("{device} is not in the worker's inventory {}", inventory.file)));
        };
        let policy = self.policy.current();
        let authority = warrant::check(&policy, facts, &run, warrant, steps).map_err(Refusal::Refused)?;
        if FORWARD.contains(&what) {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
            warrant::check_window(&policy, facts, &run, warrant, now).map_err(Refusal::Refused)?;
            warrant::check_checks(&policy, facts, &run).map_err(Refusal::Refused)?;
            warrant::check_confirm(&policy, facts, &run).map_err(Refusal::Refused)?;
        }
        info!(device, suite_id = %run.workflow_id, requester = %authority.requester, approvers = ?authority.approvers, "Warrant holds");
        Ok(authority)
    }

    /// Device `device`'s target, whole, as the suite run calling the
    /// activity of `ctx` was started with it: read from Temporal's record of
    /// that start (once per suite), never from the request. `Ok(Err)` says
    /// why there is none (the caller is not a suite, the device is not its
    /// target, its input is malformed); `Err` is the activity's retryable
    /// failure when Temporal could not be asked.
    pub async fn launched_target(&self, ctx: &ActivityContext, device: &str) -> Result<Result<DeviceTarget, String>, ActivityError> {
        let info = ctx.info();
        let (Some(workflow_id), Some(run_id)) = (info.workflow_id.clone(), info.workflow_run_id.clone()) else {
            return Ok(Err("not called from a workflow".into()));
        };
        let run = match self.run(workflow_id.clone(), run_id).await {
            Ok(Some(run)) => run,
            Ok(None) => return Ok(Err(format!("workflow {workflow_id} is not a suite"))),
            Err(Refusal::Refused(why)) => return Ok(Err(why)),
            Err(Refusal::Unknown(why)) => return Err(ActivityError::application(
                ApplicationFailure::builder(format!("{device}: cannot read the launched target of suite {workflow_id}: {why}"))
                    .type_name(names::failures::WARRANT.to_string()).build())),
        };
        Ok(match run.input.target(device) {
            None => Err(format!("not a target of suite {}", run.workflow_id)),
            Some(target) => target.map_err(|why| format!("suite {}'s input is malformed: {why}", run.workflow_id)),
        })
    }

    /// Why an `undo_step` (a revert's step) may not be planned, if it may
    /// not: its receipt and what it wrote must be those Temporal recorded
    /// for that step of that suite on this device, so a revert undoes what
    /// a suite did and nothing a requester wrote in its place. `Err` when
    /// Temporal could not be asked.
    pub async fn undo_refusal(&self, device: &str, undo: &UndoStep) -> Result<Option<String>, String> {
        let run = names::device_workflow_id(&undo.suite_id, device, "apply");
        let Some(plan) = self.runs.device_plan(run.clone()).await? else {
            return Ok(Some(format!("suite {} has no run on {device} ({run}) to undo", undo.suite_id)));
        };
        let recorded = plan.steps.iter().find(|s| s.step.as_ref().is_some_and(|st| st.id == undo.step_id));
        Ok(match recorded {
            None => Some(format!("suite {} ran no step {} on {device}", undo.suite_id, undo.step_id)),
            Some(s) if s.receipt != undo.receipt || s.changes != undo.written => {
                Some(format!("its receipt is not the one suite {} recorded for step {} on {device}", undo.suite_id, undo.step_id))
            }
            Some(_) => None,
        })
    }

    /// Whether `event`, about to be signed with the worker's webhook
    /// secrets, is one a suite or a drift check emitted: the calling event
    /// workflow was started by that workflow (as Temporal records it), under
    /// the id it gives its events, and the event names it. A forged event
    /// (an event workflow started by hand) is refused, logged and counted,
    /// and nothing is sent.
    pub async fn check_event(&self, ctx: &ActivityContext, event: &SuiteEvent) -> Result<(), ActivityError> {
        let info = ctx.info();
        let workflow_id = info.workflow_id.clone().unwrap_or_default();
        let refused = |why: String| {
            warn!(event = %event.id, r#type = %event.r#type, workflow_id = %workflow_id, reason = %why, "Refused to send an event: not emitted by a suite or a drift check");
            self.metrics.warrant_refused("event");
            ActivityError::application(ApplicationFailure::builder(format!("event {} not sent: {why}", event.id))
                .type_name(names::failures::WARRANT.to_string()).non_retryable(true).build())
        };
        if info.workflow_type.as_deref() != Some(names::EVENT_WORKFLOW) {
            return Err(refused(format!("called from a {} workflow", info.workflow_type.as_deref().unwrap_or("unknown"))));
        }
        let run_id = info.workflow_run_id.clone().unwrap_or_default();
        let parent = self.parent(workflow_id.clone(), run_id).await.map_err(|why| ActivityError::application(
            ApplicationFailure::builder(format!("event {}: cannot check who emitted it: {why}", event.id)).type_name(names::failures::WARRANT.to_string()).build()))?;
        let Some((owner, owner_run)) = parent else {
            return Err(refused(format!("event workflow {workflow_id} was not started by a suite or a drift check")));
        };
        let kind = self.runs.kind(owner.clone(), owner_run).await.map_err(|why| ActivityError::application(
            ApplicationFailure::builder(format!("event {}: cannot check who emitted it: {why}", event.id)).type_name(names::failures::WARRANT.to_string()).build()))?;
        let names_owner = match kind.as_str() {
            names::SUITE_WORKFLOW => event.suite_id == owner,
            // A drift check's events name the check, or the remediation suite it proposes.
            names::DRIFT_WORKFLOW => event.suite_id == owner || event.suite_id == names::remediation_suite_id(&owner),
            other => return Err(refused(format!("event workflow {workflow_id} was started by a {other} workflow"))),
        };
        let own_id = workflow_id.strip_prefix(&format!("{owner}--event-"))
            .and_then(|rest| rest.split_once("--"))
            .is_some_and(|(seq, kind)| seq.parse::<usize>().is_ok() && kind == event.r#type);
        if !names_owner || !own_id {
            return Err(refused(format!("event workflow {workflow_id} carries an event about {:?} of type {:?}, which {owner} did not emit", event.suite_id, event.r#type)));
        }
        Ok(())
    }

    /// The run that started `workflow_id`'s run `run_id`, read once and
    /// kept (a hand start, `None`, is read again each time: it is refused
    /// anyway).
    async fn parent(&self, workflow_id: String, run_id: String) -> Result<Option<Starter>, String> {
        let key = (workflow_id.clone(), run_id.clone());
        if let Some(parent) = self.parents.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(Some(parent.clone()));
        }
        let parent = self.runs.parent(workflow_id, run_id).await?;
        if let Some(p) = &parent {
            let mut parents = self.parents.lock().unwrap_or_else(|e| e.into_inner());
            if parents.len() >= CACHED_PARENTS {
                parents.clear();
            }
            parents.insert(key, p.clone());
        }
        Ok(parent)
    }

    /// The suite run, read once and kept; `None` when the run is not a
    /// suite's (read again each time: it is refused anyway).
    async fn run(&self, workflow_id: String, run_id: String) -> Result<Option<Arc<SuiteRun>>, Refusal> {
        let key = (workflow_id.clone(), run_id.clone());
        if let Some(run) = self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(Some(run.clone()));
        }
        let Some(run) = self.runs.started(workflow_id, run_id).await.map_err(Refusal::Unknown)? else {
            return Ok(None);
        };
        let run = Arc::new(run);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHED_RUNS {
            cache.clear();
        }
        cache.insert(key, run.clone());
        Ok(Some(run))
    }
}
