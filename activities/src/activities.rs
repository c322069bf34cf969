//! The activities: thin adapters from a Temporal activity call to one
//! device. Decode the request, open the device's session, call planning or
//! the compare-and-apply script, encode the result.
//!
//! Must never: act on more than one device per call, or decide what the
//! suite does next (that is the workflow's job).

// The #[activities] macro emits one marker constant per activity; they
// carry the methods' docs only on the methods themselves.
#![allow(missing_docs)]

use std::sync::Arc;

use switchyard_proto::names;
use switchyard_proto::v1::{
    ApplyStepRequest, ApplyStepResult, CompensationAction, CompensationEntry, DevicePlan, LockRequest, LockResult, PlanDeviceRequest,
    ReverseStepRequest, ReverseStepResult, VerifyRequest, VerifyResult,
};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::info;

use crate::device::Sessions;
use crate::device::redis::{self as rdb, ApplyOutcome, LockOutcome};
use crate::error::DeviceError;
use crate::ops::{self, Row, reverse};
use crate::planning;

/// Device activities of one worker, sharing its device sessions.
pub struct DeviceActivities {
    sessions: Arc<Sessions>,
}

impl DeviceActivities {
    /// Activities acting through `sessions`.
    pub fn new(sessions: Arc<Sessions>) -> Self {
        Self { sessions }
    }

    async fn conn(&self, device: &str) -> Result<redis::aio::MultiplexedConnection, ActivityError> {
        self.sessions.redis(device).await.map_err(DeviceError::into_activity_error)
    }

    /// Maps a redis failure to a device error, dropping the session so the
    /// retry reconnects.
    async fn redis_err(&self, device: &str, e: redis::RedisError) -> ActivityError {
        self.sessions.reset(device).await;
        DeviceError::Redis { device: device.to_string(), reason: e.to_string() }.into_activity_error()
    }
}

/// Runs `work`, heartbeating every few seconds until it ends. The device
/// calls inside are bounded by their own timeouts; the heartbeats tell the
/// server this worker is alive meanwhile, so only a dead worker's attempt
/// is given up early.
async fn with_heartbeats<T>(ctx: &ActivityContext, work: impl std::future::Future<Output = T>) -> T {
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
        let target = req.target.unwrap_or_default();
        let device = target.device.clone();
        let read = async {
            let mut conn = self.conn(&device).await?;
            match rdb::snapshot(&mut conn, &planning::reads(&target)).await {
                Ok(s) => Ok(s),
                Err(e) => Err(self.redis_err(&device, e).await),
            }
        };
        let snapshot = with_heartbeats(&ctx, read).await?;
        let plan = planning::plan_device(&target, snapshot);
        info!(suite_id = %req.suite_id, device = %device, steps = plan.steps.len(), refused = !plan.error.is_empty(), "Planned device");
        Ok(plan)
    }

    /// Applies one planned step atomically, or refuses it as drift.
    #[activity(name = names::ACTIVITY_APPLY_STEP)]
    pub async fn apply_step(self: Arc<Self>, _ctx: ActivityContext, req: ApplyStepRequest) -> Result<ApplyStepResult, ActivityError> {
        let step = req.step.unwrap_or_default();
        let step_id = step.step.as_ref().map(|s| s.id.clone()).unwrap_or_default();
        let mut conn = self.conn(&req.device).await?;
        let journal = rdb::journal_key(&req.suite_id, &step_id, "apply");
        let outcome = rdb::compare_and_apply(&mut conn, &journal, "applied", &step.guards.unwrap_or_default(), &step.changes.unwrap_or_default()).await;
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => return Err(self.redis_err(&req.device, e).await),
        };
        info!(suite_id = %req.suite_id, device = %req.device, step = %step_id, outcome = ?outcome, "Applied step");
        match outcome {
            ApplyOutcome::Applied => Ok(ApplyStepResult { step_id, already_applied: false }),
            ApplyOutcome::AlreadyApplied => Ok(ApplyStepResult { step_id, already_applied: true }),
            ApplyOutcome::Drift(rows) => Err(DeviceError::Drift { device: req.device, step: step_id, rows }.into_activity_error()),
        }
    }

    /// Re-reads every row the steps wrote, on a fresh connection, and
    /// compares it with the last planned after-image.
    #[activity(name = names::ACTIVITY_VERIFY_DEVICE)]
    pub async fn verify_device(self: Arc<Self>, _ctx: ActivityContext, req: VerifyRequest) -> Result<VerifyResult, ActivityError> {
        let mut expected: std::collections::BTreeMap<String, Option<Row>> = Default::default();
        for step in &req.steps {
            for c in step.changes.iter().flat_map(|cs| &cs.changes) {
                let deleted = c.action == switchyard_proto::v1::ChangeAction::Delete as i32;
                expected.insert(c.key.clone(), (!deleted).then(|| c.after.clone()));
            }
        }
        let keys: Vec<String> = expected.keys().cloned().collect();
        let mut conn = self.conn(&req.device).await?;
        let live = match rdb::rows(&mut conn, &keys).await {
            Ok(r) => r,
            Err(e) => return Err(self.redis_err(&req.device, e).await),
        };
        let mismatches: Vec<String> = expected.iter().filter_map(|(key, want)| {
            let got = live.get(key);
            (got != want.as_ref()).then(|| format!("{key}: expected {want:?}, found {got:?}"))
        }).collect();
        if !mismatches.is_empty() {
            return Err(DeviceError::VerifyFailed { device: req.device, mismatches: mismatches.join("; ") }.into_activity_error());
        }
        Ok(VerifyResult { ok: true, mismatches })
    }

    /// Takes the device's lock for the suite, or reports who holds it.
    #[activity(name = names::ACTIVITY_LOCK_DEVICE)]
    pub async fn lock_device(self: Arc<Self>, _ctx: ActivityContext, req: LockRequest) -> Result<LockResult, ActivityError> {
        let mut conn = self.conn(&req.device).await?;
        let outcome = match rdb::lock(&mut conn, &req.suite_id, &req.since).await {
            Ok(o) => o,
            Err(e) => return Err(self.redis_err(&req.device, e).await),
        };
        info!(suite_id = %req.suite_id, device = %req.device, outcome = ?outcome, "Device lock");
        Ok(match outcome {
            LockOutcome::Acquired { since } => LockResult { acquired: true, holder: req.suite_id, since },
            LockOutcome::Busy { holder, since } => LockResult { acquired: false, holder, since },
        })
    }

    /// Gives the device's lock back, if the suite holds it.
    #[activity(name = names::ACTIVITY_UNLOCK_DEVICE)]
    pub async fn unlock_device(self: Arc<Self>, _ctx: ActivityContext, req: LockRequest) -> Result<LockResult, ActivityError> {
        let mut conn = self.conn(&req.device).await?;
        let released = match rdb::unlock(&mut conn, &req.suite_id).await {
            Ok(r) => r,
            Err(e) => return Err(self.redis_err(&req.device, e).await),
        };
        info!(suite_id = %req.suite_id, device = %req.device, released, "Device unlock");
        Ok(LockResult { acquired: false, holder: String::new(), since: String::new() })
    }

    /// Runs the domain-level reverse of one step from its receipt.
    #[activity(name = names::ACTIVITY_REVERSE_STEP)]
    pub async fn reverse_step(self: Arc<Self>, _ctx: ActivityContext, req: ReverseStepRequest) -> Result<ReverseStepResult, ActivityError> {
        let step = req.step.unwrap_or_default();
        let def = step.step.clone().unwrap_or_default();
        let op = def.operation.clone().unwrap_or_default();
        let receipt = step.receipt.clone().unwrap_or_default();
        let mut conn = self.conn(&req.device).await?;
        if req.check_applied {
            let applied = match rdb::journal_exists(&mut conn, &rdb::journal_key(&req.suite_id, &def.id, "apply")).await {
                Ok(a) => a,
                Err(e) => return Err(self.redis_err(&req.device, e).await),
            };
            if !applied {
                info!(suite_id = %req.suite_id, device = %req.device, step = %def.id, "Step was never applied; nothing to reverse");
                let entry = CompensationEntry {
                    device: req.device.clone(),
                    step_id: def.id.clone(),
                    action: CompensationAction::NotApplied as i32,
                    reason: "no record of it on the device: never written, nothing to undo".into(),
                    ..Default::default()
                };
                return Ok(ReverseStepResult { step_id: def.id, entries: vec![entry], already_reversed: false });
            }
        }
        let reads = reverse::reads(&receipt);
        let view = match rdb::snapshot(&mut conn, &reads).await {
            Ok(v) => v,
            Err(e) => return Err(self.redis_err(&req.device, e).await),
        };
        let plan = reverse::plan(&req.device, &def.id, &receipt, &view);
        let guards = view.guards(&reads);
        let journal = rdb::journal_key(&req.suite_id, &def.id, "reverse");
        let outcome = match rdb::compare_and_apply(&mut conn, &journal, "reversed", &guards, &plan.changes).await {
            Ok(o) => o,
            Err(e) => return Err(self.redis_err(&req.device, e).await),
        };
        info!(suite_id = %req.suite_id, device = %req.device, step = %def.id, op = ops::name(&op), outcome = ?outcome, "Reversed step");
        match outcome {
            ApplyOutcome::Applied => Ok(ReverseStepResult { step_id: def.id, entries: plan.entries, already_reversed: false }),
            // The first attempt wrote the reverse and its reply was lost;
            // the log entries it computed then are the ones that held.
            ApplyOutcome::AlreadyApplied => Ok(ReverseStepResult { step_id: def.id, entries: plan.entries, already_reversed: true }),
            // Someone changed the rows between our read and our write: the
            // retry re-reads and re-plans.
            ApplyOutcome::Drift(rows) => Err(DeviceError::Redis { device: req.device, reason: format!("state moved during reverse, retrying: {rows}") }.into_activity_error()),
        }
    }
}
