//! Reporting a device run to the device's history workflow, from the
//! worker: one signal-with-start through the worker's Temporal client
//! (the reporter the worker hands in), so the device workflow writes no
//! signal command of its own and ends in the workflow task that applied it.
//!
//! The same activities vouch for the records a device's history received
//! (`vouch_runs`): each is checked against the device run it names, as
//! Temporal records it (the voucher the worker hands in reads it), so a
//! record sent by hand is refused, logged and counted.
//!
//! Must never: touch a device, or count a run twice (the history drops a
//! run it already holds, so a retried report is harmless).

// The #[activities] macro emits one marker constant per activity.
#![allow(missing_docs)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use switchyard_proto::names;
use switchyard_proto::record::Verdict;
use switchyard_proto::v1::{DeviceHistoryEntry, RecordRunRequest, RecordRunResult, VouchRunsRequest, VouchRunsResult};
use temporalio_common::error::ApplicationFailure;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::{info, warn};

/// Reports one run (device, entry) to the device's history. The worker
/// builds it over its Temporal client.
pub type RunReporter = Arc<dyn Fn(String, DeviceHistoryEntry) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// Whether a record (device, entry, Unix seconds it arrived) is the record
/// of a suite's device run; `Err` when Temporal could not be asked. The
/// worker builds it over its Temporal client.
pub type RunVoucher = Arc<dyn Fn(String, DeviceHistoryEntry, i64) -> Pin<Box<dyn Future<Output = Result<Verdict, String>> + Send>> + Send + Sync>;

/// The worker's reporter and voucher.
pub struct HistoryActivities {
    report: RunReporter,
    vouch: RunVoucher,
    metrics: Arc<crate::metrics::DeviceMetrics>,
}

impl HistoryActivities {
    /// Reports through `report`, vouches through `vouch`.
    pub fn new(report: RunReporter, vouch: RunVoucher, metrics: Arc<crate::metrics::DeviceMetrics>) -> Self {
        Self { report, vouch, metrics }
    }
}

#[activities]
impl HistoryActivities {
    /// Tells the device's history how a suite's run on it ended.
    #[activity(name = names::ACTIVITY_RECORD_RUN)]
    pub async fn record_run(self: Arc<Self>, ctx: ActivityContext, req: RecordRunRequest) -> Result<RecordRunResult, ActivityError> {
        let entry = req.entry.unwrap_or_default();
        let suite_id = entry.suite_id.clone();
        (self.report)(req.device.clone(), entry.clone()).await
            // Temporal did not take it (a server restarting): retried.
            .map_err(|why| ActivityError::application(ApplicationFailure::builder(format!("{}: history not told: {why}", req.device)).build()))?;
        info!(suite_id = %suite_id, device = %req.device, "Recorded run in device history");
        // The entry goes back as the result: the device run's own history
        // then holds it, and that is what vouches for it.
        Ok(RecordRunResult { attempt: ctx.info().attempt, recorded: Some(entry) })
    }

    /// Checks each record a device's history received against the device
    /// run it names; a refused one is logged and counted.
    #[activity(name = names::ACTIVITY_VOUCH_RUNS)]
    pub async fn vouch_runs(self: Arc<Self>, ctx: ActivityContext, req: VouchRunsRequest) -> Result<VouchRunsResult, ActivityError> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        // Judged as it arrived: the attempt that first ran, not a retry's.
        let received = ctx.info().scheduled_time.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(now, |d| d.as_secs() as i64);
        let mut refused = Vec::with_capacity(req.entries.len());
        for entry in req.entries {
            let verdict = (self.vouch)(req.device.clone(), entry.clone(), received).await
                // Temporal did not answer: the whole batch is asked again.
                .map_err(|why| ActivityError::application(ApplicationFailure::builder(format!("{}: cannot vouch for a record: {why}", req.device)).build()))?;
            match verdict {
                Verdict::Vouched => refused.push(String::new()),
                // Its run has not closed: the batch is asked again shortly.
                Verdict::NotYet(why) => return Err(ActivityError::application(ApplicationFailure::builder(format!("{}: {why}", req.device)).build())),
                Verdict::Refused(why) => {
                    warn!(device = %req.device, suite_id = %entry.suite_id, workflow_id = %entry.workflow_id, run_id = %entry.run_id, reason = %why,
                        "Refused a device-history record: no device run of a suite made it");
                    self.metrics.warrant_refused("record");
                    refused.push(why);
                }
            }
        }
        Ok(VouchRunsResult { refused })
    }
}
