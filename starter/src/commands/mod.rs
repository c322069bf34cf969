//! One file per subcommand. Shared here: where requests go (Temporal, or
//! the service with `--api`), the Web UI link, and the exit code of a
//! finished suite. Every Temporal call goes through
//! `switchyard_starter::client`, every service call through
//! `switchyard_starter::remote`.

pub(crate) mod audit;
pub(crate) mod device;
pub(crate) mod drift;
pub(crate) mod events;
pub(crate) mod keys;
pub(crate) mod list;
pub(crate) mod operate;
pub(crate) mod plan;
pub(crate) mod review;
pub(crate) mod run;
pub(crate) mod schedule;
pub(crate) mod sign;
pub(crate) mod status;
pub(crate) mod watch;

use switchyard_proto::trust::Kind;
use switchyard_proto::v1::{SignedDecision, SuitePhase, SuiteStatus};
use switchyard_starter::client::{self, Client, ListedSuite, SuiteFilter};
use switchyard_starter::remote::Service;
use switchyard_starter::signing::{self, About, SigningKey};

use crate::cli::Global;

/// Recorded on every event the CLI causes, so a history tells the CLI's
/// signals from the Web UI's.
const IDENTITY: &str = "switchyard-cli";

/// The CLI's traces, set up once by `main` when an OTLP endpoint is given.
pub(crate) static TRACES: std::sync::OnceLock<switchyard_starter::traces::Traces> = std::sync::OnceLock::new();

pub(crate) async fn connect(global: &Global) -> anyhow::Result<Client> {
    Ok(client::connect(&global.temporal_address, &global.namespace, IDENTITY, TRACES.get()).await?)
}

/// Where a command's requests go.
pub(crate) enum Target {
    /// Temporal, directly: the CLI signs with the user's key.
    Temporal(Client),
    /// A switchyard service (`--api`): the API key is who the user is,
    /// and the service signs for it.
    Service(Service),
}

/// The target the global options name: the service with `--api`,
/// Temporal otherwise.
pub(crate) async fn target(global: &Global) -> anyhow::Result<Target> {
    let Some(api) = &global.api else { return Ok(Target::Temporal(connect(global).await?)) };
    let key = std::env::var("SWITCHYARD_API_KEY").unwrap_or_default();
    if global.signing_key.is_some() {
        eprintln!("note: through the service, decisions are signed by the service for your API key's principal; --signing-key is not used");
    }
    Ok(Target::Service(Service::new(api, &key)?))
}

impl Target {
    /// The suite's current status.
    pub(crate) async fn status(&self, suite_id: &str) -> anyhow::Result<SuiteStatus> {
        Ok(match self {
            Self::Temporal(c) => client::status(c, suite_id).await?,
            Self::Service(s) => s.status(suite_id).await?,
        })
    }

    /// The final word on an ended suite (its result; through the service,
    /// its status once ended, which the service reads the same way).
    pub(crate) async fn result(&self, suite_id: &str) -> anyhow::Result<SuiteStatus> {
        Ok(match self {
            Self::Temporal(c) => client::result(c, suite_id).await?,
            Self::Service(s) => s.status(suite_id).await?,
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

/// Launches (or plans) a suite file on `target`: through the launch
/// library against Temporal, or as the file's text to the service. Its id,
/// devices and Web UI link.
pub(crate) async fn launch(global: &Global, target: &Target, args: &crate::cli::SuiteArgs, plan_only: bool) -> anyhow::Result<(String, usize, String)> {
    match target {
        Target::Temporal(client) => {
            let input = crate::suite_input::load(global, args, plan_only)?;
            let (suite_id, n_devices) = (input.suite_id.clone(), input.devices.len());
            client::start_suite(client, &global.task_queue, input).await?;
            let link = ui_link(global, &suite_id);
            Ok((suite_id, n_devices, link))
        }
        Target::Service(service) => {
            let created = crate::suite_input::create(service, args, plan_only).await?;
            Ok((created.suite_id, created.devices, created.web_ui))
        }
    }
}

/// How long a decision the CLI sends itself stays valid: it arrives at
/// once, so a short time keeps a leaked copy useless.
const SENT_VALID_SECS: i64 = 15 * 60;

/// The user's signing key, if one is configured.
pub(crate) fn signing_key(global: &Global) -> Option<SigningKey> {
    global.signing_key.as_ref().map(SigningKey::new)
}

/// Signs a decision on a running suite with the user's key, bound to its
/// run and current plan; `None` without a key (an unsigned decision).
pub(crate) async fn sign_for(
    global: &Global, client: &Client, kind: Kind, suite_id: &str, value: String, comment: &str, plan: Option<&str>,
) -> anyhow::Result<Option<SignedDecision>> {
    let Some(key) = signing_key(global) else { return Ok(None) };
    let status = client::status(client, suite_id).await?;
    // The plan the person reviewed, when they name it; the suite refuses
    // the decision if that is not the plan it awaits approval for.
    let plan = plan.map_or(status.plan_hash, str::to_string);
    let about = About { suite: suite_id.to_string(), run: status.run_id, plan, input: String::new(), value };
    let decision = signing::decision(kind, about, "cli", comment, SENT_VALID_SECS)?;
    Ok(Some(key.sign(&decision)?))
}

pub(crate) fn ui_link(global: &Global, workflow_id: &str) -> String {
    client::ui_link(&global.ui_address, &global.namespace, workflow_id)
}

/// Exit code for a finished suite: 0 when it did what was asked (applied,
/// or planned for a plan-only run), 2 otherwise.
pub(crate) fn exit_code(status: &SuiteStatus) -> i32 {
    match status.phase() {
        SuitePhase::Succeeded | SuitePhase::Planned => 0,
        _ => 2,
    }
}
