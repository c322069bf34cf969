//! `switchyard_suites{phase}`: how many suites are in each phase, and
//! `switchyard_devices{status}`: how many device workflows applied, failed
//! or rolled back, read from Temporal's visibility store (the SuiteStatus
//! and DeviceStatus search attributes) every 30 s. Suites live in history, not in any one worker, so this is a view
//! of the namespace: every worker exports the same numbers (dashboards take
//! `max`), and a phase that is final counts suites still retained.
//!
//! Must never: fail the worker (a failed count is logged and retried).

use std::sync::Arc;
use std::time::Duration;

use switchyard_proto::names;
use switchyard_proto::vocabulary::{PHASES, phase_name};
use temporalio_client::Client;
use temporalio_client::grpc::WorkflowService;
use temporalio_common::protos::temporal::api::workflowservice::v1::CountWorkflowExecutionsRequest;
use temporalio_common::telemetry::metrics::{CoreMeter, MetricKeyValue, MetricParameters, NewAttributes};
use tonic::IntoRequest;
use tracing::warn;

const EVERY: Duration = Duration::from_secs(30);

/// The DeviceStatus values a device workflow takes: running ones, then final.
const DEVICE_STATUSES: &[&str] = &["applying", "rolling_back", "succeeded", "failed", "rolled_back"];

/// Counts suites by phase on a timer, for as long as the worker runs.
pub(crate) fn spawn(client: Client, namespace: String, meter: Arc<dyn CoreMeter>) {
    let gauge = meter.gauge(MetricParameters::builder()
        .name("switchyard_suites")
        .description("Suites in the namespace by phase (SuiteStatus), from Temporal visibility")
        .build());
    let devices = meter.gauge(MetricParameters::builder()
        .name("switchyard_devices")
        .description("Device workflows in the namespace by DeviceStatus (applying, rolling_back, succeeded, failed, rolled_back), from Temporal visibility")
        .build());
    tokio::spawn(async move {
        loop {
            for phase in PHASES {
                let name = phase_name(*phase);
                let query = format!("WorkflowType = '{}' AND {} = '{name}'", names::SUITE_WORKFLOW, names::SA_SUITE_STATUS);
                if let Some(n) = count(&client, &namespace, &query).await {
                    let attributes = meter.new_attributes(NewAttributes { attributes: vec![MetricKeyValue::new("phase", name)] });
                    gauge.record(n, &attributes);
                }
            }
            for status in DEVICE_STATUSES {
                let query = format!("WorkflowType = '{}' AND {} = '{status}'", names::DEVICE_WORKFLOW, names::SA_DEVICE_STATUS);
                if let Some(n) = count(&client, &namespace, &query).await {
                    let attributes = meter.new_attributes(NewAttributes { attributes: vec![MetricKeyValue::new("status", *status)] });
                    devices.record(n, &attributes);
                }
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}

/// The number of executions `query` matches, or `None` (logged) when the
/// count fails.
async fn count(client: &Client, namespace: &str, query: &str) -> Option<u64> {
    let mut c = client.clone();
    let request = CountWorkflowExecutionsRequest { namespace: namespace.to_string(), query: query.to_string() }.into_request();
    match WorkflowService::count_workflow_executions(&mut c, request).await {
        Ok(answer) => Some(u64::try_from(answer.into_inner().count).unwrap_or(0)),
        Err(status) => {
            warn!(query, error = %status.message(), "Cannot count workflows");
            None
        }
    }
}
