//! `switchyard drift check [selector]`: a drift check started on the
//! worker and its report, grouped like the fleet diff; `--remediate` also
//! starts the remediation suite (which then waits for approval).
//! `switchyard drift schedule`: the same check on a Temporal Schedule.

use anstream::{print, println};
use switchyard_proto::v1::{DriftInput, DriftReport};
use switchyard_proto::vocabulary::count;
use switchyard_starter::schedules;

use super::schedule::{every, manage};
use crate::cli::{DriftAction, DriftRemedy, DriftSchedule, DriftSelect, Global};

pub(crate) async fn run(global: &Global, action: DriftAction) -> anyhow::Result<i32> {
    anyhow::ensure!(global.api.is_none(), "drift checks go to Temporal directly: leave out --api (and SWITCHYARD_API)");
    match action {
        DriftAction::Check { select, remedy, json } => check(global, &select, &remedy, json).await,
        DriftAction::Schedule(args) => schedule(global, args).await,
    }
}

fn list(text: &Option<String>) -> Vec<String> {
    text.as_deref().map(|t| t.split(',').map(str::trim).filter(|e| !e.is_empty()).map(str::to_string).collect()).unwrap_or_default()
}

fn input(select: &DriftSelect, remedy: &DriftRemedy) -> DriftInput {
    DriftInput {
        names: list(&select.names),
        roles: list(&select.roles),
        sites: list(&select.sites),
        tags: list(&select.tags),
        remediate: remedy.remediate,
        requester: remedy.requester.clone().or_else(|| std::env::var("USER").ok()).unwrap_or_default(),
        approvals: remedy.approvals.max(1),
    }
}

async fn check(global: &Global, select: &DriftSelect, remedy: &DriftRemedy, json: bool) -> anyhow::Result<i32> {
    let client = super::connect(global).await?;
    let check_id = switchyard_starter::launch::fresh_suite_id("drift");
    switchyard_starter::client::start_drift_check(&client, &global.task_queue, &check_id, input(select, remedy)).await?;
    let report = switchyard_starter::client::drift_report(&client, &check_id).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        show(global, &report);
    }
    Ok(if !report.error.is_empty() { 1 } else if report.drifted_rows > 0 { 2 } else { 0 })
}

fn show(global: &Global, report: &DriftReport) {
    let drifted = report.devices.iter().filter(|d| !d.rows.is_empty()).count() as u64;
    let unread = report.devices.iter().filter(|d| !d.error.is_empty()).count() as u64;
    print!("drift check {} on {}: ", report.check_id, count(report.devices.len() as u64, "device"));
    if report.drifted_rows == 0 {
        println!("no drift");
    } else {
        println!("{} drifted on {}", count(report.drifted_rows, "row"), count(drifted, "device"));
    }
    if unread > 0 {
        println!("{} could not be read", count(unread, "device"));
    }
    if !report.error.is_empty() {
        println!("error: {}", report.error);
    }
    print!("{}", report.diff);
    if !report.remediation_suite.is_empty() {
        println!("remediation suite {} started; it awaits approval: switchyard approve {}", report.remediation_suite, report.remediation_suite);
        println!("web ui: {}", super::ui_link(global, &report.remediation_suite));
    }
}

async fn schedule(global: &Global, args: DriftSchedule) -> anyhow::Result<i32> {
    if let Some(m) = args.manage {
        return manage(global, m, Some("drift")).await;
    }
    let every = every(&args.when)?;
    let input = input(&args.select, &args.remedy);
    let id = args.id.unwrap_or_else(|| {
        let what = [&input.names, &input.roles, &input.sites, &input.tags].iter().flat_map(|l| l.iter()).cloned().collect::<Vec<_>>().join("-");
        let what: String = what.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
        if what.is_empty() { "drift-all".to_string() } else { format!("drift-{what}") }
    });
    let client = super::connect(global).await?;
    schedules::create_drift(&client, &global.task_queue, &id, &every, input).await?;
    println!("schedule {id} created: drift check {}; runs are {id}-<time>", schedules::describe(&every));
    Ok(0)
}
