//! One file per subcommand, plus the start-and-watch path they share.

pub(crate) mod list;
pub(crate) mod operate;
pub(crate) mod plan;
pub(crate) mod review;
pub(crate) mod run;
pub(crate) mod status;
pub(crate) mod watch;

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use switchyard_proto::names;
use switchyard_proto::v1::{SuiteInput, SuitePhase, SuiteStatus};
use switchyard_workflows::SuiteWorkflow;
use temporalio_client::{Client, WorkflowGetResultOptions, WorkflowQueryOptions, WorkflowStartOptions};
use temporalio_common::search_attributes::{SearchAttributeKey, SearchAttributes};

use crate::cli::Global;
use crate::connect;
use crate::render;

/// Starts the suite workflow; returns its Web UI link.
pub(crate) async fn start(global: &Global, client: &Client, input: SuiteInput) -> anyhow::Result<String> {
    let attrs = SearchAttributes::new([
        SearchAttributeKey::keyword(names::SA_SUITE_NAME).value_set(input.name.clone()),
        SearchAttributeKey::keyword(names::SA_SUITE_STATUS).value_set("planning".to_string()),
        SearchAttributeKey::keyword(names::SA_REQUESTER).value_set(input.requester.clone()),
        SearchAttributeKey::int(names::SA_DEVICE_COUNT).value_set(input.devices.len() as i64),
        SearchAttributeKey::int(names::SA_FAILED_COUNT).value_set(0),
    ]);
    let suite_id = input.suite_id.clone();
    let options = WorkflowStartOptions::new(global.task_queue.clone(), suite_id.clone()).search_attributes(attrs).build();
    client.start_workflow(SuiteWorkflow::run, input, options).await
        .with_context(|| format!("cannot start suite {suite_id}"))?;
    Ok(connect::ui_link(global, &suite_id))
}

pub(crate) async fn query(client: &Client, suite_id: &str) -> anyhow::Result<SuiteStatus> {
    connect::suite(client, suite_id).query(SuiteWorkflow::status, (), WorkflowQueryOptions::default()).await
        .with_context(|| format!("cannot query suite {suite_id} (is a worker running?)"))
}

/// Follows a suite until it ends, printing phase and device changes.
pub(crate) async fn watch(client: &Client, suite_id: &str, quiet: bool) -> anyhow::Result<SuiteStatus> {
    watch_until(client, suite_id, quiet, None).await
}

/// Follows a suite until it ends or reaches `until`. On a terminal, a
/// refreshing per-device table; otherwise one line per change (for logs).
pub(crate) async fn watch_until(client: &Client, suite_id: &str, quiet: bool, until: Option<SuitePhase>) -> anyhow::Result<SuiteStatus> {
    if !quiet && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        return watch_table(client, suite_id, until).await;
    }
    let mut last_phase = SuitePhase::Unspecified;
    let mut last_devices: BTreeMap<String, i32> = BTreeMap::new();
    loop {
        let status = query(client, suite_id).await?;
        if !quiet {
            if render::phase(&status) != last_phase {
                last_phase = render::phase(&status);
                println!("phase: {}", switchyard_proto::vocabulary::phase_name(last_phase));
                if last_phase == SuitePhase::AwaitingApproval {
                    println!("{}", render::plan(&status).trim_end());
                    println!("approve with: switchyard approve {suite_id} --reviewer <name> --plan-hash {}", status.plan_hash);
                }
                if last_phase == SuitePhase::Paused {
                    println!("paused: {}", status.devices.iter().filter(|d| !d.error.is_empty()).map(|d| d.error.as_str()).collect::<Vec<_>>().join("; "));
                    println!("decide with: switchyard resume|rollback|abandon {suite_id} --operator <name>");
                }
            }
            for d in &status.devices {
                if last_devices.get(&d.device) != Some(&d.status) {
                    last_devices.insert(d.device.clone(), d.status);
                    println!("  {:<14} {}", d.device, render::device_status(d.status));
                }
            }
        }
        if until.is_some_and(|p| render::phase(&status) == p) {
            return Ok(status);
        }
        if render::is_final(&status) {
            return result(client, suite_id).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Exit code for a finished suite.
pub(crate) fn exit_code(status: &SuiteStatus) -> i32 {
    match render::phase(status) {
        SuitePhase::Succeeded | SuitePhase::Planned => 0,
        _ => 2,
    }
}

async fn watch_table(client: &Client, suite_id: &str, until: Option<SuitePhase>) -> anyhow::Result<SuiteStatus> {
    loop {
        let status = query(client, suite_id).await?;
        // Clear the screen and redraw: a table that refreshes in place.
        print!("\x1b[H\x1b[2J{}", render::progress(&status));
        if until.is_some_and(|p| render::phase(&status) == p) {
            return Ok(status);
        }
        if render::is_final(&status) {
            return result(client, suite_id).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The suite's result: the final word (a query may lag the close).
async fn result(client: &Client, suite_id: &str) -> anyhow::Result<SuiteStatus> {
    connect::suite(client, suite_id).get_result(WorkflowGetResultOptions::default()).await
        .with_context(|| format!("cannot read the result of suite {suite_id}"))
}
