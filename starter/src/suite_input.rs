//! Suite file + inventory → workflow input, signed by the requester's key
//! when one is configured, and checked against the organisation's policy
//! when the CLI is given it. Nothing starts if this fails.

use std::time::{SystemTime, UNIX_EPOCH};

use switchyard_proto::inventory::Inventory;
use switchyard_proto::policy::{self, Policy};
use switchyard_proto::suite_file::SuiteFile;
use switchyard_proto::trust::{self, Kind};
use switchyard_proto::v1::SuiteInput;
use switchyard_starter::signing::{self, About};

use crate::cli::{Global, SuiteArgs};

/// How long a launch signature stays valid: the worker checks it when the
/// suite is planned, moments after it starts.
const LAUNCH_VALID_SECS: i64 = 15 * 60;

pub(crate) fn load(global: &Global, args: &SuiteArgs, plan_only: bool) -> anyhow::Result<SuiteInput> {
    let suite = SuiteFile::load(&args.suite).map_err(anyhow::Error::msg)?;
    let inventory = match (&args.inventory, suite.load_inventory()) {
        (Some(path), _) => Inventory::load(path),
        (None, Some(named)) => named,
        (None, None) => anyhow::bail!("{}: no inventory: pass --inventory or set `inventory:` in the suite", args.suite.display()),
    }
    .map_err(anyhow::Error::msg)?;
    let resolved = suite.resolve(&inventory).map_err(anyhow::Error::msg)?;
    // For an unsigned launch, as typed less surrounding space (which the
    // rules ignore anyway, so "alice " is never a second person); a signed
    // launch's requester is the key's principal.
    let requester = args.requester.clone().or(resolved.requester.clone())
        .or_else(|| std::env::var("USER").ok())
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "unknown".into());
    if let Some(w) = &resolved.window {
        let end = switchyard_proto::time::parse_rfc3339(&w.end).unwrap_or(0);
        anyhow::ensure!(plan_only || end > now(), "{}: window: the change window ended at {}; nothing started", args.suite.display(), w.end);
    }
    let suite_id = args.suite_id.clone().unwrap_or_else(|| format!("{}-{}", resolved.name, utc_stamp()));
    let suite_id = if plan_only { format!("{suite_id}-plan") } else { suite_id };
    let mut input = SuiteInput {
        suite_id,
        name: resolved.name,
        requester,
        source_file: args.suite.display().to_string(),
        rollout: Some(resolved.rollout),
        approval: suite.has_approval().then_some(resolved.approval),
        devices: resolved.devices,
        plan_only,
        window: resolved.window,
        launch: None,
    };
    if let Some(key) = super::commands::signing_key(global) {
        let about = About { suite: input.suite_id.clone(), input: trust::input_digest(&input), ..Default::default() };
        input.launch = Some(key.sign(&signing::decision(Kind::Launch, about, "cli", "", LAUNCH_VALID_SECS)?)?);
    }
    if let Some(path) = &global.policy {
        let policy = Policy::load(path).map_err(anyhow::Error::msg)?;
        let (_, refusals) = policy.effective(&inventory, &policy::request(&input), now());
        if let Some(first) = refusals.first() {
            let more = if refusals.len() > 1 { format!(" (and {} more refusal(s))", refusals.len() - 1) } else { String::new() };
            anyhow::bail!("{}{more}; nothing started", suite.refusal_at(first.field, first.message.clone()));
        }
    }
    Ok(input)
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// `YYYYMMDD-HHMMSS` in UTC, from the starter's clock (never the workflow's).
fn utc_stamp() -> String {
    // 2026-11-22T17:20:05Z → 20261122-172005
    switchyard_proto::time::format_rfc3339(now()).replace(['-', ':', 'Z'], "").replace('T', "-")
}
