//! What the worker reads and writes in Temporal for its activities, over
//! its own client through the starter's client library: device-history
//! reports, the vouching of their records, a device's intent for drift
//! checks, and who started which run for the warrant check.
//!
//! Must never: touch a device, or take any of this from a workflow's word.

use switchyard_activities::warrant::{Lookup, Starter};
use switchyard_activities::{IntentReader, RunReporter, RunVoucher, SuiteRuns};
use switchyard_proto::warrant::SuiteRun;
use temporalio_client::Client;

/// Reports device runs to their histories through the starter's client,
/// starting a device's history on this worker's queue when it has none.
pub(crate) fn run_reporter(client: &Client, task_queue: &str) -> RunReporter {
    let (client, task_queue) = (client.clone(), task_queue.to_string());
    std::sync::Arc::new(move |device: String, entry| {
        let (client, task_queue) = (client.clone(), task_queue.clone());
        Box::pin(async move {
            switchyard_starter::client::record_run(&client, &task_queue, &device, entry).await.map_err(|e| {
                let chain = std::iter::successors(Some(&e as &dyn std::error::Error), |e| e.source());
                chain.map(|e| e.to_string()).collect::<Vec<_>>().join(": ")
            })
        })
    })
}

/// Vouches for device-history records by reading the device runs they
/// name through the starter's client; each suite's type is read once.
pub(crate) fn run_voucher(client: &Client) -> RunVoucher {
    let client = client.clone();
    let types = std::sync::Arc::new(switchyard_starter::client::WorkflowTypes::default());
    std::sync::Arc::new(move |device: String, entry, received_at| {
        let (client, types) = (client.clone(), types.clone());
        Box::pin(async move { switchyard_starter::client::vouch_record(&client, &types, &device, &entry, received_at).await })
    })
}

/// Reads a device's intent from its history workflow's journal, through
/// the starter's client (the same reading `switchyard device` shows), so a
/// drift check needs no worker on the history's own queue.
pub(crate) fn intent_reader(client: &Client) -> IntentReader {
    let client = client.clone();
    std::sync::Arc::new(move |device: String| {
        let client = client.clone();
        Box::pin(async move { switchyard_starter::client::device_history(&client, &device).await.map_err(|e| e.to_string()) })
    })
}

/// What Temporal records about the runs a device write serves, read
/// through the starter's client for the warrant check.
pub(crate) struct TemporalRuns(pub(crate) Client);

impl SuiteRuns for TemporalRuns {
    fn parent(&self, workflow_id: String, run_id: String) -> Lookup<Option<Starter>> {
        let client = self.0.clone();
        Box::pin(async move { switchyard_starter::client::parent_of(&client, &workflow_id, &run_id).await })
    }

    fn kind(&self, workflow_id: String, run_id: String) -> Lookup<String> {
        let client = self.0.clone();
        Box::pin(async move { switchyard_starter::client::workflow_type(&client, &workflow_id, &run_id).await })
    }

    fn started(&self, workflow_id: String, run_id: String) -> Lookup<Option<SuiteRun>> {
        let client = self.0.clone();
        Box::pin(async move {
            let started = switchyard_starter::client::suite_start(&client, &workflow_id, &run_id).await?;
            Ok(started.map(|(input, started_at)| SuiteRun { workflow_id, run_id, input, started_at }))
        })
    }

    fn device_plan(&self, workflow_id: String) -> Lookup<Option<switchyard_proto::v1::DevicePlan>> {
        let client = self.0.clone();
        Box::pin(async move { switchyard_starter::client::device_plan(&client, &workflow_id).await })
    }
}
