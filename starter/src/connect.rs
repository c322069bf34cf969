//! The Temporal client and suite handles.

use anyhow::Context;
use switchyard_workflows::SuiteWorkflow;
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions, WorkflowHandle};

use crate::cli::Global;

pub(crate) async fn client(global: &Global) -> anyhow::Result<Client> {
    let url = url::Url::parse(&global.temporal_address).context("--temporal-address")?;
    let connection = Connection::connect(ConnectionOptions::new(url).identity("switchyard-cli".to_string()).build())
        .await
        .with_context(|| format!("cannot reach Temporal at {}", global.temporal_address))?;
    Ok(Client::new(connection, ClientOptions::new(global.namespace.clone()).build())?)
}

pub(crate) fn suite(client: &Client, suite_id: &str) -> WorkflowHandle<Client, SuiteWorkflow> {
    client.get_workflow_handle::<SuiteWorkflow>(suite_id.to_string())
}

/// Web UI page of a workflow.
pub(crate) fn ui_link(global: &Global, workflow_id: &str) -> String {
    format!("{}/namespaces/{}/workflows/{}", global.ui_address.trim_end_matches('/'), global.namespace, workflow_id)
}
