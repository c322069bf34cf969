//! The activities: thin adapters from a Temporal activity call to one
//! device. Each decodes its request, runs one procedure of
//! [`crate::procedures`] on the device's connection (heartbeating where the
//! call is long), and encodes the result or the device error.
//!
//! Every activity that writes (apply, reverse, lock, save) first checks the
//! write's warrant ([`crate::warrant`]); no warrant, nothing written.
//!
//! Must never: act on more than one device per call, write before the
//! warrant check, hold device logic of its own, or decide what the suite
//! does next (that is the workflow's job).

// The #[activities] macro emits one marker constant per activity; they
// carry the methods' docs only on the methods themselves.
#![allow(missing_docs)]

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use redis::aio::MultiplexedConnection;
use switchyard_proto::{names, operation};
use switchyard_proto::v1::{
    ApplyDeviceRequest, ApplyDeviceResult, AppliedStep, ApplyStepRequest, ApplyStepResult, CheckDeviceRequest, CheckDeviceResult, CheckWhen, ConfirmRequest, ConfirmResult, DevicePlan, DeviceTarget, StepOutcome, LockRequest, LockResult, PlanDeviceRequest, ReverseStepRequest,
    ReverseStepResult, SaveConfigRequest, SaveConfigResult, StepPlan, VerifyRequest, VerifyResult,
};
use temporalio_common::error::ApplicationFailure;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::info;

use crate::checking;
use crate::confirm;
use crate::device::redis::{self as rdb, ApplyOutcome, LockOutcome};
use crate::device::Sessions;
use crate::error::DeviceError;
use crate::procedures::{self, ReverseOutcome};
use crate::restarts;
use crate::spans::{self, Step};
use crate::warrant::Warrants;
use switchyard_proto::warrant::Authority;

/// Device activities of one worker, sharing its device sessions.
pub struct DeviceActivities {
    sessions: Arc<Sessions>,
    warrants: Arc<Warrants>,
}

impl DeviceActivities {
    /// Activities acting through `sessions`, each write first checked by
    /// `warrants`.
    pub fn new(sessions: Arc<Sessions>, warrants: Arc<Warrants>) -> Self {
        Self { sessions, warrants }
    }

    /// Refuses a forward write of a suite launched with confirmed commit
    /// unless the switch's revert runs now: the workflow arms it first, so
    /// only an apply scheduled without the arm (or after the timer fired)
    /// finds none.
    async fn require_armed(&self, ctx: &ActivityContext, authority: &Authority, suite_id: &str, device: &str) -> Result<(), ActivityError> {
        if authority.confirm_timeout_seconds == 0 {
            return Ok(());
        }
        let name = names::confirm_name(suite_id, device);
        match confirm::is_armed(&self.sessions, device, &name).await.map_err(DeviceError::into_activity_error)? {
            true => Ok(()),
            false => Err(self.warrants.refuse(ctx, device, "apply", &format!(
                "the suite runs with confirmed commit and the switch's revert {name} is not armed (never armed, or its timer already fired)"))),
        }
    }

    /// A plan refused at its first `undo_step` whose receipt is not the one
    /// Temporal recorded (see [`Warrants::undo_refusal`]); `None` when every
    /// undo step holds, or there is none.
    async fn undo_refusal(&self, target: &DeviceTarget) -> Result<Option<DevicePlan>, ActivityError> {
        for step in &target.steps {
            let Some(switchyard_proto::v1::operation::Op::UndoStep(undo)) = step.operation.as_ref().and_then(|o| o.op.as_ref()) else { continue };
            // Temporal could not be asked: retried, like a warrant check.
            let verdict = self.warrants.undo_refusal(&target.device, undo).await.map_err(|why| ActivityError::application(
                ApplicationFailure::builder(format!("{}: cannot read the run step {} undoes: {why}", target.device, step.id))
                    .type_name(names::failures::WARRANT.to_string()).build()))?;
            if let Some(why) = verdict {
                return Ok(Some(DevicePlan { device: target.device.clone(), error: format!("{}: step {}: undo_step refused: {why}", target.device, step.id), ..Default::default() }));
            }
        }
        Ok(None)
    }

    fn metrics(&self) -> &crate::metrics::DeviceMetrics {
        self.sessions.metrics()
    }

    /// Runs `work` on the device's connection. A redis failure becomes the
    /// device's (retryable) error and drops the session, so the retry
    /// reconnects rather than reusing a connection that may be wedged.
    async fn on_device<T, F, Fut>(&self, device: &str, work: F) -> Result<T, ActivityError>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let conn = self.sessions.redis(device).await.map_err(DeviceError::into_activity_error)?;
        match work(conn).await {
            Ok(out) => Ok(out),
            Err(e) => {
                self.sessions.reset(device).await;
                Err(DeviceError::Redis { device: device.to_string(), reason: e.to_string() }.into_activity_error())
            }
        }
    }

    /// Restarts the services written steps name in their receipts, as
    /// SONiC's CLI does after the same change. A failed restart fails the
    /// activity: its retry finds the rows written and restarts again.
    async fn restart(&self, suite_id: &str, device: &str, services: &[String]) -> Result<(), ActivityError> {
        for service in services {
            let Some(command) = restarts::command(service) else {
                let why = format!("{device}: the plan names {service:?} as a service to restart, which switchyard never restarts; nothing run");
                return Err(ApplicationFailure::builder(why).non_retryable(true).build().into());
            };
            let started = Instant::now();
            let outcome = self.sessions.run(device, &command, RESTART_TIMEOUT).await;
            self.metrics().step("restart", ALL_OPERATIONS, if outcome.is_ok() { "restarted" } else { "error" }, started.elapsed());
            outcome.map_err(DeviceError::into_activity_error)?;
            info!(suite_id = %suite_id, device = %device, service = %service, "Restarted service");
        }
        Ok(())
    }
}

/// How SONiC persists its running configuration; the same command an
/// operator types.
const SAVE_COMMAND: &str = "sudo config save -y";

/// `config save` dumps every table: seconds on a loaded switch CPU.
const SAVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A service restart waits for the service to stop and start again.
const RESTART_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(90);

/// The operation label of steps that cover a whole device (plan, verify).
const ALL_OPERATIONS: &str = "all";

/// The wire name of a planned step's operation, for its metrics.
fn operation_of(step: &StepPlan) -> &'static str {
    step.step.as_ref().and_then(|s| s.operation.as_ref()?.op.as_ref()).map_or("none", operation::name)
}

/// Runs `work`, heartbeating every few seconds until it ends. The device
/// calls inside are bounded by their own timeouts; the heartbeats tell the
/// server this worker is alive meanwhile, so only a dead worker's attempt
/// is given up early.
async fn with_heartbeats<T>(ctx: &ActivityContext, work: impl Future<Output = T>) -> T {
    let beat = async {
        loop {
            let _ = ctx.record_heartbeat(String::new()).await;
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        }
    };
    tokio::select! {
        out = work => out,
        never = beat => never,
    }
}

#[activities]
impl DeviceActivities {
    /// Reads the rows every step depends on and plans them in order.
    #[activity(name = names::ACTIVITY_PLAN_DEVICE)]
    pub async fn plan_device(self: Arc<Self>, ctx: ActivityContext, req: PlanDeviceRequest) -> Result<DevicePlan, ActivityError> {
        let target = match req.target {
            Some(target) => target,
            None => match self.warrants.launched_target(&ctx, &req.device).await? {
                Ok(target) => target,
                Err(why) => {
                    info!(suite_id = %req.suite_id, device = %req.device, reason = %why, "Refused to plan a device the suite did not launch");
                    return Ok(DevicePlan { device: req.device.clone(), error: format!("{}: cannot plan: {why}", req.device), ..Default::default() });
                }
            },
        };
        let device = target.device.clone();
        if let Some(refused) = self.undo_refusal(&target).await? {
            info!(suite_id = %req.suite_id, device = %device, reason = %refused.error, "Refused to plan a revert step");
            return Ok(refused);
        }
        // The device's record in the worker's source of truth, which the
        // plan hash covers; the launch's, when it read one, must be the same.
        let launched_ref = target.source_ref.clone();
        let source_ref = self.sessions.inventory().device(&device).map(|d| d.source_ref.clone()).unwrap_or_default();
        // (A worker whose inventory lists the device in its file has no
        // record to compare.)
        if !launched_ref.is_empty() && !source_ref.is_empty() && launched_ref != source_ref {
            let error = format!("{device}: the launch read it as {launched_ref}, the worker's inventory has {source_ref}: the source of truth changed since; launch again once the worker has read it (every --inventory-refresh-secs, or at SIGHUP)");
            info!(suite_id = %req.suite_id, device = %device, reason = %error, "Refused to plan a device read differently");
            return Ok(DevicePlan { device, error, ..Default::default() });
        }
        let login = self.sessions.inventory().device(&device).map(|d| crate::ops::Login {
            user: d.user.clone(),
            by_password: matches!(d.credential, switchyard_proto::inventory::CredentialRef::PasswordEnv(_)),
        }).unwrap_or_default();
        let started = Instant::now();
        let plan = with_heartbeats(&ctx, self.on_device(&device, |mut c| async move { procedures::plan_as(&mut c, &target, login).await })).await;
        let outcome = match &plan { Ok(p) if p.error.is_empty() => "planned", Ok(_) => "refused", Err(_) => "error" };
        self.metrics().step("plan", ALL_OPERATIONS, outcome, started.elapsed());
        spans::record(Step { suite_id: &req.suite_id, device: &device, kind: "plan", step: "", operation: ALL_OPERATIONS, outcome, attempt: ctx.info().attempt });
        let plan = DevicePlan { source_ref, ..plan? };
        info!(suite_id = %req.suite_id, device = %plan.device, steps = plan.steps.len(), refused = !plan.error.is_empty(), "Planned device");
        Ok(plan)
    }

    /// Applies one planned step atomically, or refuses it as drift.
    #[activity(name = names::ACTIVITY_APPLY_STEP)]
    pub async fn apply_step(self: Arc<Self>, ctx: ActivityContext, req: ApplyStepRequest) -> Result<ApplyStepResult, ActivityError> {
        let step = req.step.unwrap_or_default();
        let authority = self.warrants.check(&ctx, &req.suite_id, &req.device, req.warrant.as_ref(), std::slice::from_ref(&step), "apply").await?;
        self.require_armed(&ctx, &authority, &req.suite_id, &req.device).await?;
        let step_id = procedures::step_id(&step).to_string();
        let suite_id = req.suite_id.clone();
        let operation = operation_of(&step);
        let services = restarts::of(std::slice::from_ref(&step));
        let started = Instant::now();
        let outcome = self.on_device(&req.device, |mut c| async move { procedures::apply_step(&mut c, &suite_id, &step).await }).await;
        let label = match &outcome {
            Ok(ApplyOutcome::Applied) => "applied",
            Ok(ApplyOutcome::AlreadyApplied) => "already_applied",
            Ok(ApplyOutcome::Drift(_)) => "drift",
            Err(_) => "error",
        };
        self.metrics().step("apply", operation, label, started.elapsed());
        if label == "drift" {
            self.metrics().drift("apply", 1);
        }
        spans::record(Step { suite_id: &req.suite_id, device: &req.device, kind: "apply", step: &step_id, operation, outcome: label, attempt: ctx.info().attempt });
        let outcome = outcome?;
        info!(suite_id = %req.suite_id, device = %req.device, step = %step_id, outcome = ?outcome, "Applied step");
        if matches!(outcome, ApplyOutcome::Applied | ApplyOutcome::AlreadyApplied) {
            // Written now or by an earlier attempt whose restart may not have
            // run: restarting again is harmless, skipping it is not.
            self.restart(&req.suite_id, &req.device, &services).await?;
        }
        match outcome {
            ApplyOutcome::Applied => Ok(ApplyStepResult { step_id, already_applied: false, attempt: ctx.info().attempt }),
            ApplyOutcome::AlreadyApplied => Ok(ApplyStepResult { step_id, already_applied: true, attempt: ctx.info().attempt }),
            ApplyOutcome::Drift(rows) => Err(DeviceError::Drift { device: req.device, step: step_id, rows }.into_activity_error()),
        }
    }

    /// Applies every planned step of the device in order in one script (a
    /// step that drifts stops it, nothing of it written), then, when every
    /// step is written, re-reads the rows they wrote, all on one
    /// connection: one round trip for the steps instead of one per step.
    /// Each step keeps its own metric, span event, journal record and log
    /// line; the steps share the script's time.
    #[activity(name = names::ACTIVITY_APPLY_DEVICE)]
    pub async fn apply_device(self: Arc<Self>, ctx: ActivityContext, req: ApplyDeviceRequest) -> Result<ApplyDeviceResult, ActivityError> {
        let authority = self.warrants.check(&ctx, &req.suite_id, &req.device, req.warrant.as_ref(), &req.steps, "apply").await?;
        self.require_armed(&ctx, &authority, &req.suite_id, &req.device).await?;
        let steps = req.steps;
        let services: Vec<Vec<String>> = steps.iter().map(|s| restarts::of(std::slice::from_ref(s))).collect();
        let suite_id = req.suite_id.clone();
        let started = Instant::now();
        let done = self.on_device(&req.device, |mut c| async move {
            let applied = procedures::apply_steps(&mut c, &suite_id, &steps).await?;
            let outcomes: Vec<(String, &'static str, ApplyOutcome)> =
                applied.into_iter().map(|(step, o)| (procedures::step_id(step).to_string(), operation_of(step), o)).collect();
            let applied_in = started.elapsed();
            let all_written = outcomes.len() == steps.len() && outcomes.iter().all(|(_, _, o)| !matches!(o, ApplyOutcome::Drift(_)));
            let mismatches = if all_written { Some(procedures::verify(&mut c, &steps).await?) } else { None };
            Ok((outcomes, applied_in, mismatches))
        }).await;
        let attempt = ctx.info().attempt;
        let (outcomes, applied_in, mismatches) = match done {
            Ok(done) => done,
            Err(e) => {
                self.metrics().step("apply", ALL_OPERATIONS, "error", started.elapsed());
                spans::record(Step { suite_id: &req.suite_id, device: &req.device, kind: "apply", step: "", operation: ALL_OPERATIONS, outcome: "error", attempt });
                return Err(e);
            }
        };
        let share = applied_in / outcomes.len().max(1) as u32;
        let mut result = ApplyDeviceResult { attempt, ..Default::default() };
        for (step_id, operation, outcome) in outcomes {
            let (label, kind, drift) = match outcome {
                ApplyOutcome::Applied => ("applied", StepOutcome::Applied, String::new()),
                ApplyOutcome::AlreadyApplied => ("already_applied", StepOutcome::AlreadyApplied, String::new()),
                ApplyOutcome::Drift(rows) => {
                    ("drift", StepOutcome::Drift, DeviceError::Drift { device: req.device.clone(), step: step_id.clone(), rows }.to_string())
                }
            };
            self.metrics().step("apply", operation, label, share);
            if label == "drift" {
                self.metrics().drift("apply", 1);
            }
            spans::event(Step { suite_id: &req.suite_id, device: &req.device, kind: "apply", step: &step_id, operation, outcome: label, attempt });
            info!(suite_id = %req.suite_id, device = %req.device, step = %step_id, outcome = label, "Applied step");
            result.steps.push(AppliedStep { step_id, outcome: kind as i32, drift });
        }
        // Each service once, after every written step that restarts it.
        let mut restart: Vec<String> = Vec::new();
        for (service, _) in services.iter().zip(&result.steps).filter(|(_, s)| s.outcome != StepOutcome::Drift as i32) {
            for s in service.iter().filter(|s| !restart.contains(s)).cloned().collect::<Vec<_>>() {
                restart.push(s);
            }
        }
        self.restart(&req.suite_id, &req.device, &restart).await?;
        let drifted = result.steps.iter().any(|s| s.outcome == StepOutcome::Drift as i32);
        let label = if drifted { "drift" } else { "applied" };
        spans::record(Step { suite_id: &req.suite_id, device: &req.device, kind: "apply", step: "", operation: ALL_OPERATIONS, outcome: label, attempt });
        if let Some(mismatches) = mismatches {
            let verified = if mismatches.is_empty() { "ok" } else { "mismatch" };
            self.metrics().step("verify", ALL_OPERATIONS, verified, started.elapsed() - applied_in);
            self.metrics().drift("verify", mismatches.len());
            info!(device = %req.device, mismatches = mismatches.len(), "Verified device");
            result.verified = mismatches.is_empty();
            result.mismatches = mismatches;
        }
        Ok(result)
    }

    /// Re-reads every row the steps wrote, on a fresh connection, and
    /// reports each one that differs from the last planned after-image.
    #[activity(name = names::ACTIVITY_VERIFY_DEVICE)]
    pub async fn verify_device(self: Arc<Self>, ctx: ActivityContext, req: VerifyRequest) -> Result<VerifyResult, ActivityError> {
        let steps = req.steps;
        let started = Instant::now();
        let mismatches = self.on_device(&req.device, |mut c| async move { procedures::verify(&mut c, &steps).await }).await;
        let label = match &mismatches { Ok(m) if m.is_empty() => "ok", Ok(_) => "mismatch", Err(_) => "error" };
        self.metrics().step("verify", ALL_OPERATIONS, label, started.elapsed());
        if let Ok(m) = &mismatches {
            self.metrics().drift("verify", m.len());
        }
        spans::record(Step { suite_id: &req.suite_id, device: &req.device, kind: "verify", step: "", operation: ALL_OPERATIONS, outcome: label, attempt: ctx.info().attempt });
        let mismatches = mismatches?;
        info!(device = %req.device, mismatches = mismatches.len(), "Verified device");
        Ok(VerifyResult { ok: mismatches.is_empty(), mismatches, attempt: ctx.info().attempt })
    }

    /// Takes the device's lock for the suite, or reports who holds it.
    #[activity(name = names::ACTIVITY_LOCK_DEVICE)]
    pub async fn lock_device(self: Arc<Self>, ctx: ActivityContext, req: LockRequest) -> Result<LockResult, ActivityError> {
        // A lock blocks other suites: only a decided suite takes one.
        self.warrants.check(&ctx, &req.suite_id, &req.device, req.warrant.as_ref(), &[], "lock").await?;
        let (suite, since) = (req.suite_id.clone(), req.since.clone());
        let outcome = self.on_device(&req.device, |mut c| async move { rdb::lock(&mut c, &suite, &since).await }).await?;
        info!(suite_id = %req.suite_id, device = %req.device, outcome = ?outcome, "Device lock");
        Ok(match outcome {
            LockOutcome::Acquired { since } => LockResult { acquired: true, holder: req.suite_id, since, released: false, attempt: ctx.info().attempt },
            LockOutcome::Busy { holder, since } => LockResult { acquired: false, holder, since, released: false, attempt: ctx.info().attempt },
        })
    }

    /// Reads the device's checks (pre or post) until each holds or its
    /// settle time passes. Reads only: no warrant. A device that cannot be
    /// read fails its checks, saying so; it is not retried here.
    #[activity(name = names::ACTIVITY_CHECK_DEVICE)]
    pub async fn check_device(self: Arc<Self>, ctx: ActivityContext, req: CheckDeviceRequest) -> Result<CheckDeviceResult, ActivityError> {
        let started = Instant::now();
        let read = async {
            let readings = checking::read_checks(&self.sessions, &req.device, &req.checks).await;
            (readings, checking::read_health(&self.sessions, &req.device).await)
        };
        let (readings, health) = with_heartbeats(&ctx, read).await;
        let failed = readings.iter().filter(|r| !r.passed).count();
        let kind = if req.when == CheckWhen::Pre as i32 { "pre-check" } else { "post-check" };
        for r in &readings {
            self.metrics().check(if req.when == CheckWhen::Pre as i32 { "pre" } else { "post" }, r.passed);
        }
        let outcome = if failed == 0 { "passed" } else { "failed" };
        self.metrics().step(kind, ALL_OPERATIONS, outcome, started.elapsed());
        spans::record(Step { suite_id: &req.suite_id, device: &req.device, kind, step: "", operation: ALL_OPERATIONS, outcome, attempt: ctx.info().attempt });
        info!(suite_id = %req.suite_id, device = %req.device, kind, checks = readings.len(), failed, "Checked device");
        Ok(CheckDeviceResult { readings, health })
    }

    /// Arms the device's confirmed commit before its first write: a
    /// checkpoint and a timer on the switch that restores it. A write (a
    /// timer that rolls the device back is one), so warranted.
    #[activity(name = names::ACTIVITY_ARM_DEVICE)]
    pub async fn arm_device(self: Arc<Self>, ctx: ActivityContext, req: ConfirmRequest) -> Result<ConfirmResult, ActivityError> {
        self.warrants.check(&ctx, &req.suite_id, &req.device, req.warrant.as_ref(), &[], "arm").await?;
        let name = names::confirm_name(&req.suite_id, &req.device);
        if req.extend {
            let reverted = confirm::extend(&self.sessions, &req.device, &name, req.timeout_seconds).await.map_err(DeviceError::into_activity_error)?;
            info!(suite_id = %req.suite_id, device = %req.device, checkpoint = %name, timeout = req.timeout_seconds, reverted, "Extended the switch's revert");
            return Ok(ConfirmResult { name, reverted, attempt: ctx.info().attempt });
        }
        confirm::arm(&self.sessions, &req.device, &name, req.timeout_seconds).await.map_err(DeviceError::into_activity_error)?;
        info!(suite_id = %req.suite_id, device = %req.device, checkpoint = %name, timeout = req.timeout_seconds, "Armed the switch's revert");
        Ok(ConfirmResult { name, reverted: false, attempt: ctx.info().attempt })
    }

    /// Confirms the device's change over a fresh connection (stops the
    /// timer, drops the checkpoint), or finds the switch already reverted
    /// it. Stopping a revert is also a write: warranted.
    #[activity(name = names::ACTIVITY_CONFIRM_DEVICE)]
    pub async fn confirm_device(self: Arc<Self>, ctx: ActivityContext, req: ConfirmRequest) -> Result<ConfirmResult, ActivityError> {
        self.warrants.check(&ctx, &req.suite_id, &req.device, req.warrant.as_ref(), &[], "confirm").await?;
        let name = names::confirm_name(&req.suite_id, &req.device);
        let reverted = confirm::confirm(&self.sessions, &req.device, &name).await.map_err(DeviceError::into_activity_error)?;
        info!(suite_id = %req.suite_id, device = %req.device, checkpoint = %name, reverted, "Confirmed the change");
        Ok(ConfirmResult { name, reverted, attempt: ctx.info().attempt })
    }

    /// Gives the device's lock back, if the suite holds it.
    #[activity(name = names::ACTIVITY_UNLOCK_DEVICE)]
    pub async fn unlock_device(self: Arc<Self>, _ctx: ActivityContext, req: LockRequest) -> Result<LockResult, ActivityError> {
        let suite = req.suite_id.clone();
        let released = self.on_device(&req.device, |mut c| async move { rdb::unlock(&mut c, &suite).await }).await?;
        info!(suite_id = %req.suite_id, device = %req.device, released, "Device unlock");
        Ok(LockResult { released, ..Default::default() })
    }

    /// Saves the device's running configuration as its startup
    /// configuration, as an operator would after a change: `sudo config
    /// save -y` (SONiC writes /etc/sonic/config_db.json). A save that runs
    /// and fails is final for this attempt's cause (disk, permissions) and
    /// says why; a lost connection is retried.
    #[activity(name = names::ACTIVITY_SAVE_CONFIG)]
    pub async fn save_config(self: Arc<Self>, ctx: ActivityContext, req: SaveConfigRequest) -> Result<SaveConfigResult, ActivityError> {
        self.warrants.check(&ctx, &req.suite_id, &req.device, req.warrant.as_ref(), &[], "save").await?;
        let started = Instant::now();
        let outcome = self.sessions.run(&req.device, SAVE_COMMAND, SAVE_TIMEOUT).await;
        let label = if outcome.is_ok() { "saved" } else { "error" };
        self.metrics().step("save", ALL_OPERATIONS, label, started.elapsed());
        spans::record(Step { suite_id: &req.suite_id, device: &req.device, kind: "save", step: "", operation: ALL_OPERATIONS, outcome: label, attempt: ctx.info().attempt });
        let output = outcome.map_err(DeviceError::into_activity_error)?;
        info!(suite_id = %req.suite_id, device = %req.device, "Saved configuration");
        Ok(SaveConfigResult { output, attempt: ctx.info().attempt })
    }

    /// Runs the domain-level reverse of one step from its receipt.
    #[activity(name = names::ACTIVITY_REVERSE_STEP)]
    pub async fn reverse_step(self: Arc<Self>, ctx: ActivityContext, req: ReverseStepRequest) -> Result<ReverseStepResult, ActivityError> {
        let step = req.step.unwrap_or_default();
        // Compensation is part of what was approved: the same warrant.
        self.warrants.check(&ctx, &req.suite_id, &req.device, req.warrant.as_ref(), std::slice::from_ref(&step), "reverse").await?;
        let step_id = procedures::step_id(&step).to_string();
        let (suite, device, check) = (req.suite_id.clone(), req.device.clone(), req.check_applied);
        let operation = operation_of(&step);
        let services = restarts::of(std::slice::from_ref(&step));
        let started = Instant::now();
        let outcome = self.on_device(&req.device, |mut c| async move {
            procedures::reverse_step(&mut c, &suite, &device, &step, check).await
        }).await;
        let label = match &outcome {
            Ok(ReverseOutcome::NeverApplied(_)) => "never_applied",
            Ok(ReverseOutcome::Reversed { already: true, .. }) => "already_reversed",
            Ok(ReverseOutcome::Reversed { .. }) => "reversed",
            Ok(ReverseOutcome::Moved(_)) => "moved",
            Err(_) => "error",
        };
        self.metrics().step("reverse", operation, label, started.elapsed());
        spans::record(Step { suite_id: &req.suite_id, device: &req.device, kind: "reverse", step: &step_id, operation, outcome: label, attempt: ctx.info().attempt });
        let outcome = outcome?;
        info!(suite_id = %req.suite_id, device = %req.device, step = %step_id, outcome = ?outcome, "Reversed step");
        if matches!(outcome, ReverseOutcome::Reversed { .. }) {
            self.restart(&req.suite_id, &req.device, &services).await?;
        }
        match outcome {
            ReverseOutcome::NeverApplied(entry) => Ok(ReverseStepResult { step_id, entries: vec![entry], already_reversed: false, attempt: ctx.info().attempt }),
            ReverseOutcome::Reversed { entries, already } => Ok(ReverseStepResult { step_id, entries, already_reversed: already, attempt: ctx.info().attempt }),
            // Someone changed the rows between our read and our write: the
            // retry re-reads and re-plans.
            ReverseOutcome::Moved(rows) => Err(DeviceError::Redis { device: req.device, reason: format!("state moved during reverse, retrying: {rows}") }.into_activity_error()),
        }
    }
}
