//! `switchyard drift check [selector]`: a drift check started on the
//! worker and its report, grouped like the fleet diff; `--remediate` also
//! starts the remediation suite (which then waits for approval), signed
//! by the caller's key when one is given, and says where it stands.
//! `switchyard drift schedule`: the same check on a Temporal Schedule.

use anstream::{print, println};
use switchyard_proto::policy::Policy;
use switchyard_proto::v1::{DriftInput, DriftReport, SuitePhase};
use switchyard_proto::vocabulary::{is_final, phase_name};
use switchyard_starter::launch;
use switchyard_proto::vocabulary::count;
use switchyard_starter::schedules;

use super::schedule::{every, manage};
use crate::cli::{DriftAction, DriftRemedy, DriftSchedule, DriftSelect, Global};

pub(crate) async fn run(global: &Global, action: DriftAction) -> anyhow::Result<i32> {
    anyhow::ensure!(global.api.is_none(), "drift checks go to Temporal directly: leave out --api (and SWITCHYARD_API)");
    match action {
        DriftAction::Check { select, remedy, output } => check(global, &select, &remedy, output.json()).await,
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
    let key = crate::global::signing_key(global);
    if remedy.remediate && key.is_none() {
        let policy = global.policy.as_ref().map(|p| Policy::load(p)).transpose().map_err(anyhow::Error::msg)?;
        if let Some(policy) = policy.filter(|p| !p.allow_unsigned) {
            anyhow::bail!("--remediate: policy {} counts only signed launches, so an unsigned remediation suite would be refused at once; \
                give --signing-key (or SWITCHYARD_SIGNING_KEY) to sign it; nothing started", policy.file);
        }
    }
    let client = crate::global::connect(global).await?;
    let check_id = switchyard_starter::launch::fresh_suite_id("drift");
    let mut drift = input(select, remedy);
    // Signed, the remediation is the caller's own launch: the check only
    // reports, and the CLI builds the suite from the report, signs what it
    // starts and starts it.
    let signs = remedy.remediate && key.is_some();
    drift.remediate &= !signs;
    switchyard_starter::client::start_drift_check(&client, &global.task_queue, &check_id, drift.clone()).await?;
    let mut report = switchyard_starter::client::drift_report(&client, &check_id).await?;
    if let Some(key) = key.filter(|_| signs && report.drifted_rows > 0 && report.error.is_empty()) {
        let mut suite = switchyard_workflows::drift::remediation(&check_id, &drift, &report.devices);
        launch::sign_now(&mut suite, &key)?;
        report.remediation_suite = suite.suite_id.clone();
        switchyard_starter::client::start_suite(&client, &global.task_queue, suite).await?;
    }
    if json {
        crate::output::print_json(&report)?;
    } else {
        show(&report);
        if !report.remediation_suite.is_empty() {
            println!("{}", remediation_state(&client, &report.remediation_suite).await);
            println!("web ui: {}", crate::global::ui_link(global, &report.remediation_suite));
        }
    }
    Ok(if !report.error.is_empty() { crate::exit::ERROR } else if report.drifted_rows > 0 { crate::exit::DRIFT } else { crate::exit::OK })
}

/// Where the remediation suite stands once it has planned: awaiting
/// approval, or ended (refused by the policy, say) and why.
async fn remediation_state(client: &temporalio_client::Client, suite_id: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let status = switchyard_starter::client::status(client, suite_id).await;
        match status {
            Ok(s) if s.phase() == SuitePhase::AwaitingApproval => {
                return format!("remediation suite {suite_id} awaits approval: switchyard approve {suite_id}");
            }
            Ok(s) if is_final(s.phase()) => return format!("remediation suite {suite_id} ended {}: {}", phase_name(s.phase()), s.error),
            _ if std::time::Instant::now() > deadline => return format!("remediation suite {suite_id} started; see switchyard status {suite_id}"),
            _ => tokio::time::sleep(std::time::Duration::from_millis(300)).await,
        }
    }
}

fn show(report: &DriftReport) {
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
    let client = crate::global::connect(global).await?;
    schedules::create_drift(&client, &global.task_queue, &id, &every, input).await?;
    println!("schedule {id} created: drift check {}; runs are {id}-<time>", schedules::describe(&every));
    Ok(0)
}
