//! One file per subcommand. Shared here: the client for the global
//! options, the Web UI link, and the exit code of a finished suite. Every
//! Temporal call goes through `switchyard_starter::client`.

pub(crate) mod list;
pub(crate) mod operate;
pub(crate) mod plan;
pub(crate) mod review;
pub(crate) mod run;
pub(crate) mod status;
pub(crate) mod watch;

use switchyard_proto::v1::{SuitePhase, SuiteStatus};
use switchyard_starter::client::{self, Client};

use crate::cli::Global;

/// Recorded on every event the CLI causes, so a history tells the CLI's
/// signals from the Web UI's.
const IDENTITY: &str = "switchyard-cli";

pub(crate) async fn connect(global: &Global) -> anyhow::Result<Client> {
    Ok(client::connect(&global.temporal_address, &global.namespace, IDENTITY).await?)
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
