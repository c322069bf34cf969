//! Reporting a device run to the device's history workflow, from the
//! worker: one signal-with-start through the worker's Temporal client
//! (the reporter the worker hands in), so the device workflow writes no
//! signal command of its own and ends in the workflow task that applied it.
//!
//! Must never: touch a device, or count a run twice (the history drops a
//! run it already holds, so a retried report is harmless).

// The #[activities] macro emits one marker constant per activity.
#![allow(missing_docs)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use switchyard_proto::names;
use switchyard_proto::v1::{DeviceHistoryEntry, RecordRunRequest, RecordRunResult};
use temporalio_common::error::ApplicationFailure;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::info;

/// Reports one run (device, entry) to the device's history. The worker
/// builds it over its Temporal client.
pub type RunReporter = Arc<dyn Fn(String, DeviceHistoryEntry) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// The worker's reporter.
pub struct HistoryActivities {
    report: RunReporter,
}

impl HistoryActivities {
    /// Reports through `report`.
    pub fn new(report: RunReporter) -> Self {
        Self { report }
    }
}

#[activities]
impl HistoryActivities {
    /// Tells the device's history how a suite's run on it ended.
    #[activity(name = names::ACTIVITY_RECORD_RUN)]
    pub async fn record_run(self: Arc<Self>, ctx: ActivityContext, req: RecordRunRequest) -> Result<RecordRunResult, ActivityError> {
        let entry = req.entry.unwrap_or_default();
        let suite_id = entry.suite_id.clone();
        (self.report)(req.device.clone(), entry).await
            // Temporal did not take it (a server restarting): retried.
            .map_err(|why| ActivityError::application(ApplicationFailure::builder(format!("{}: history not told: {why}", req.device)).build()))?;
        info!(suite_id = %suite_id, device = %req.device, "Recorded run in device history");
        Ok(RecordRunResult { attempt: ctx.info().attempt })
    }
}
