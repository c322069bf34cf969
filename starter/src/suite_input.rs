//! Suite file + inventory → workflow input. Nothing starts if this fails.

use switchyard_proto::inventory::Inventory;
use switchyard_proto::suite_file::SuiteFile;
use switchyard_proto::v1::SuiteInput;

use crate::cli::SuiteArgs;

pub(crate) fn load(args: &SuiteArgs, plan_only: bool) -> anyhow::Result<SuiteInput> {
    let suite = SuiteFile::load(&args.suite).map_err(anyhow::Error::msg)?;
    let inventory = match (&args.inventory, suite.load_inventory()) {
        (Some(path), _) => Inventory::load(path),
        (None, Some(named)) => named,
        (None, None) => anyhow::bail!("{}: no inventory: pass --inventory or set `inventory:` in the suite", args.suite.display()),
    }
    .map_err(anyhow::Error::msg)?;
    let resolved = suite.resolve(&inventory).map_err(anyhow::Error::msg)?;
    // Recorded as typed, less surrounding space (which the approval rules
    // ignore anyway, so "alice " is never a second person).
    let requester = args.requester.clone().or(resolved.requester.clone())
        .or_else(|| std::env::var("USER").ok())
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "unknown".into());
    if let Some(w) = &resolved.window {
        let end = switchyard_proto::time::parse_rfc3339(&w.end).unwrap_or(0);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        anyhow::ensure!(plan_only || end > now, "{}: window: the change window ended at {}; nothing started", args.suite.display(), w.end);
    }
    let suite_id = args.suite_id.clone().unwrap_or_else(|| format!("{}-{}", resolved.name, utc_stamp()));
    Ok(SuiteInput {
        suite_id,
        name: resolved.name,
        requester,
        source_file: args.suite.display().to_string(),
        rollout: Some(resolved.rollout),
        approval: Some(resolved.approval),
        devices: resolved.devices,
        plan_only,
        window: resolved.window,
    })
}

/// `YYYYMMDD-HHMMSS` in UTC, from the starter's clock (never the workflow's).
fn utc_stamp() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0) as i64;
    // 2026-11-22T17:20:05Z → 20261122-172005
    switchyard_proto::time::format_rfc3339(secs).replace(['-', ':', 'Z'], "").replace('T', "-")
}
