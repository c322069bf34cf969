//! Suite file + inventory → workflow input, through the launch the service
//! uses too ([`switchyard_starter::launch`]): read here, validated, signed
//! and checked against the policy there. Nothing starts if this fails.

use switchyard_proto::inventory::Inventory;
use switchyard_proto::policy::Policy;
use switchyard_proto::suite_file::SuiteFile;
use switchyard_proto::v1::SuiteInput;
use switchyard_starter::launch::{self, Launch};

use crate::cli::{Global, SuiteArgs};

pub(crate) fn load(global: &Global, args: &SuiteArgs, plan_only: bool) -> anyhow::Result<SuiteInput> {
    let suite = SuiteFile::load(&args.suite).map_err(anyhow::Error::msg)?;
    let inventory = match (&args.inventory, suite.load_inventory()) {
        (Some(path), _) => Inventory::load(path),
        (None, Some(named)) => named,
        (None, None) => anyhow::bail!("{}: no inventory: pass --inventory or set `inventory:` in the suite", args.suite.display()),
    }
    .map_err(anyhow::Error::msg)?;
    let policy = global.policy.as_ref().map(|p| Policy::load(p)).transpose().map_err(anyhow::Error::msg)?;
    let key = super::commands::signing_key(global);
    let launch = Launch {
        requester: args.requester.clone(),
        default_requester: std::env::var("USER").ok(),
        suite_id: args.suite_id.clone(),
        plan_only,
        signing_key: key.as_ref(),
        on_behalf: None,
        policy: policy.as_ref(),
    };
    Ok(launch::prepare(&suite, &inventory, &launch)?)
}
