//! One file per subcommand. Shared here: launching a suite file on the
//! target, signing a decision on a running suite, and the exit code of a
//! finished suite. Every Temporal call goes through
//! `switchyard_starter::client`, every service call through
//! `switchyard_starter::remote`.

pub(crate) mod audit;
pub(crate) mod device;
pub(crate) mod doctor;
pub(crate) mod drift;
pub(crate) mod events;
pub(crate) mod keys;
pub(crate) mod list;
pub(crate) mod manual;
pub(crate) mod operate;
pub(crate) mod plan;
pub(crate) mod review;
pub(crate) mod revert;
pub(crate) mod run;
pub(crate) mod schedule;
pub(crate) mod sign;
pub(crate) mod status;
pub(crate) mod watch;

use switchyard_proto::trust::Kind;
use switchyard_proto::v1::{SignedDecision, SuiteStatus};
use switchyard_starter::client::{self, Client};
use switchyard_starter::signing::{self, About};

use crate::cli::Global;
use crate::global::{Target, signing_key, ui_link};

/// Launches (or plans) a suite file on `target`: through the launch
/// library against Temporal, or as the file's text to the service. Its id,
/// devices and Web UI link.
pub(crate) async fn launch(global: &Global, target: &Target, args: &crate::cli::SuiteArgs, plan_only: bool) -> anyhow::Result<(String, usize, String)> {
    match target {
        Target::Temporal(client) => {
            let input = crate::suite_input::load(global, args, plan_only).await?;
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
    let decision = signing::decision(kind, about, "cli", comment, signing::SENT_VALID_SECS)?;
    Ok(Some(key.sign(&decision)?))
}

/// Exit code for a suite a command followed or showed (see `crate::exit`).
pub(crate) fn exit_code(status: &SuiteStatus) -> i32 {
    crate::exit::of_suite(status)
}
