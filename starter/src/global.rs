//! What the global options name: the Temporal client the CLI and the
//! service connect with, where a command's requests go (Temporal, or the
//! service with `--api`), the user's signing key, and the Web UI link.
//!
//! Must never: read a suite file, or decide anything about a suite.

use switchyard_starter::client::{self, Client, ListedSuite, SuiteFilter};
use switchyard_starter::remote::Service;
use switchyard_proto::v1::SuiteStatus;
use switchyard_starter::signing::SigningKey;

use crate::cli::Global;

/// Recorded on every event the CLI causes, so a history tells the CLI's
/// signals from the Web UI's.
const IDENTITY: &str = "switchyard-cli";

/// The CLI's traces, set up once by `main` when an OTLP endpoint is given.
pub(crate) static TRACES: std::sync::OnceLock<switchyard_starter::traces::Traces> = std::sync::OnceLock::new();

pub(crate) async fn connect(global: &Global) -> anyhow::Result<Client> {
    Ok(client::connect(&settings(global)?, IDENTITY, TRACES.get()).await?)
}

/// How to reach Temporal: the global options over Temporal's own
/// environment and profile, every file checked.
pub(crate) fn settings(global: &Global) -> anyhow::Result<switchyard_starter::connection::Resolved> {
    Ok(global.temporal.resolve()?)
}

/// The namespace suites run in, for links (the default one when the
/// settings cannot be read: the command that needs them says why).
pub(crate) fn namespace(global: &Global) -> String {
    global.temporal.resolve().map_or_else(|_| "default".to_string(), |s| s.namespace)
}

/// Where a command's requests go.
pub(crate) enum Target {
    /// Temporal, directly: the CLI signs with the user's key.
    Temporal(Client),
    /// A switchyard service (`--api`): the API key is who the user is,
    /// and the service signs for it.
    Service(Service),
}

/// Whether Temporal answered that no workflow has the id.
fn no_such_workflow(e: &client::ClientError) -> bool {
    use temporalio_client::errors::WorkflowQueryError;
    match e {
        client::ClientError::Query { source: WorkflowQueryError::NotFound(_), .. } => true,
        client::ClientError::Query { source: WorkflowQueryError::Rpc(status), .. } => status.code() == tonic::Code::NotFound,
        _ => false,
    }
}

/// The target the global options name: the service with `--api`,
/// Temporal otherwise.
pub(crate) async fn target(global: &Global) -> anyhow::Result<Target> {
    let Some(api) = &global.api else { return Ok(Target::Temporal(connect(global).await?)) };
    let key = std::env::var("SWITCHYARD_API_KEY").unwrap_or_default();
    if global.signing_key.is_some() {
        eprintln!("note: through the service, decisions are signed by the service for your API key's principal; --signing-key is not used");
    }
    let tls = switchyard_http::TlsFiles {
        ca: global.api_ca_cert.clone(),
        client_cert: global.api_client_cert.clone(),
        client_key: global.api_client_key.clone(),
    };
    Ok(Target::Service(Service::new(api, &key)?.with_tls(&tls)?))
}

impl Target {
    /// The suite's current status.
    pub(crate) async fn status(&self, suite_id: &str) -> anyhow::Result<SuiteStatus> {
        match self {
            Self::Temporal(c) => match client::status(c, suite_id).await {
                Ok(status) => return Ok(status),
                Err(e) if no_such_workflow(&e) => {}
                Err(e) => return Err(e.into()),
            },
            Self::Service(s) => match s.status(suite_id).await {
                Ok(status) => return Ok(status),
                Err(switchyard_starter::remote::ServiceError::Problem { status: 404, .. }) => {}
                Err(e) => return Err(e.into()),
            },
        }
        Err(self.unknown_suite(suite_id).await)
    }

    /// No suite has this id: say so, and offer the suites a name (or the
    /// start of an id) the user may have meant.
    async fn unknown_suite(&self, typed: &str) -> anyhow::Error {
        let recent = self.list(&SuiteFilter::default(), 1000).await.unwrap_or_default();
        let mut named: Vec<&str> = recent.iter()
            .filter(|s| s.name == typed || s.suite_id.starts_with(typed))
            .map(|s| s.suite_id.as_str())
            .take(5)
            .collect();
        if named.is_empty() {
            named = switchyard_proto::vocabulary::nearest(typed, recent.iter().map(|s| s.suite_id.as_str()));
        }
        if named.is_empty() {
            return crate::exit::usage(format!("no suite {typed:?}: no such id (switchyard list shows suites and their ids)"));
        }
        crate::exit::usage(format!("no suite {typed:?}: no such id; did you mean {}? (a suite is named by its id: switchyard list --name {typed})",
            named.join(", ")))
    }

    /// The final word on an ended suite (its result; through the service,
    /// its status once ended, which the service reads the same way).
    pub(crate) async fn result(&self, suite_id: &str) -> anyhow::Result<SuiteStatus> {
        Ok(match self {
            Self::Temporal(c) => client::result(c, suite_id).await?,
            Self::Service(s) => s.status(suite_id).await?,
        })
    }

    /// One page of the suite's devices.
    pub(crate) async fn devices_page(&self, suite_id: &str, req: switchyard_proto::v1::DevicePageRequest) -> anyhow::Result<switchyard_proto::v1::DevicePage> {
        Ok(match self {
            Self::Temporal(c) => client::devices_page(c, suite_id, req).await?,
            Self::Service(s) => s.devices_page(suite_id, &req).await?,
        })
    }

    pub(crate) async fn list(&self, filter: &SuiteFilter, limit: usize) -> anyhow::Result<Vec<ListedSuite>> {
        Ok(match self {
            Self::Temporal(c) => client::list_suites(c, filter, limit).await?,
            Self::Service(s) => s.list(filter, limit).await?,
        })
    }

    pub(crate) async fn event_log(&self, suite_id: &str) -> anyhow::Result<Vec<client::EventLog>> {
        Ok(match self {
            Self::Temporal(c) => client::event_log(c, suite_id).await?,
            Self::Service(s) => s.event_log(suite_id).await?,
        })
    }

    pub(crate) async fn device_history(&self, device: &str) -> anyhow::Result<Option<switchyard_proto::v1::DeviceHistory>> {
        Ok(match self {
            Self::Temporal(c) => client::device_history(c, device).await?,
            Self::Service(s) => s.device_history(device).await?,
        })
    }

}

/// The user's signing key, if one is configured.
pub(crate) fn signing_key(global: &Global) -> Option<SigningKey> {
    global.signing_key.as_ref().map(SigningKey::new)
}

pub(crate) fn ui_link(global: &Global, workflow_id: &str) -> String {
    client::ui_link(&global.ui_address, &namespace(global), workflow_id)
}
