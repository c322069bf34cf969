//! The Temporal Web UI tells a suite's outcome without opening its JSON:
//! a rolled-back suite and its failed device are listed as Failed, not as
//! a green Completed, and the device that only undid its change (compensate
//! mode, which did what was asked) completes. Checked twice: through the
//! server's own API, and in the Web UI itself with a headless browser
//! (Debian's `chromium`). Needs `tests/run.sh` and chromium; fails loudly
//! without them.

use std::process::Command;
use std::time::Duration;

use switchyard_proto::names;
use switchyard_proto::v1::{DeviceStatus, SuitePhase};
use switchyard_tests::{TestEnv, ended, phase, started_suite_id, url_encode, wait_for};
use switchyard_workflows::SuiteWorkflow;
use temporalio_client::WorkflowDescribeOptions;
use temporalio_protos::temporal::api::enums::v1::WorkflowExecutionStatus;

/// What the Web UI's workflow list shows for `query`, as rendered by a
/// headless browser: each row's status badge, in list order.
fn listed_statuses(ui: &str, query: &str) -> Vec<String> {
    let url = format!("{ui}/namespaces/default/workflows?query={}", url_encode(query));
    for _ in 0..5 {
        let out = Command::new("chromium")
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000", "--dump-dom", &url])
            .output()
            .unwrap_or_else(|e| panic!("cannot run chromium ({e}): tests/run.sh installs it (`lab/lab.sh install tests`, as root)"));
        assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
        let dom = String::from_utf8_lossy(&out.stdout);
        // Kept for whoever reads a failure.
        let _ = std::fs::write(std::env::temp_dir().join("switchyard-web-ui-last.html"), dom.as_bytes());
        let badges: Vec<String> = dom.split("data-testid=\"workflows-summary-configurable-table-row\"").skip(1)
            .filter_map(row_status)
            .collect();
        if !badges.is_empty() {
            return badges;
        }
        // Visibility may lag the close by a moment.
        std::thread::sleep(Duration::from_secs(1));
    }
    panic!("the Web UI at {url} never listed a workflow");
}

/// The status badge's word in one row of the list: the first `<span>`
/// with only letters in it after the row's `execution-status` cell.
fn row_status(row: &str) -> Option<String> {
    let cell = &row[row.find("data-testid=\"execution-status\"")?..];
    cell.match_indices("<span>").find_map(|(at, open)| {
        let word = cell[at + open.len()..].split('<').next()?;
        (!word.is_empty() && word.chars().all(|c| c.is_ascii_alphabetic())).then(|| word.to_string())
    })
}

/// A workflow's Summary and Details, as the Web UI shows them above its
/// history.
async fn summary_and_details(client: &temporalio_client::Client, workflow_id: &str) -> (String, String) {
    let handle = client.get_workflow_handle::<SuiteWorkflow>(workflow_id.to_string());
    let described = handle.describe(WorkflowDescribeOptions::default()).await.unwrap();
    let meta = described.raw_description.execution_config.and_then(|c| c.user_metadata).unwrap_or_default();
    let text = |p: Option<temporalio_protos::temporal::api::common::v1::Payload>| {
        p.map(|p| serde_json::from_slice::<String>(&p.data).unwrap_or_default()).unwrap_or_default()
    };
    (text(meta.summary), text(meta.details))
}

async fn execution_status(client: &temporalio_client::Client, workflow_id: &str) -> WorkflowExecutionStatus {
    // Any workflow id describes through a handle; the type only matters for results.
    let handle = client.get_workflow_handle::<SuiteWorkflow>(workflow_id.to_string());
    let described = handle.describe(WorkflowDescribeOptions::default()).await.unwrap();
    described.raw_description.workflow_execution_info.unwrap().status()
}

#[tokio::test]
async fn a_rolled_back_suite_and_its_failed_device_are_not_listed_as_completed() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let dir = std::env::temp_dir().join(format!("switchyard-web-ui-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let suite = dir.join("web-ui.yaml");
    // The canary changes; the second device's plan no longer holds when it
    // applies (drift), so it fails and the canary is rolled back.
    std::fs::write(&suite, "name: web-ui\ntargets:\n  names: [sonic-d001, sonic-d002]\nsteps:\n  - create_vlan:\n      vlan_id: 300\n\
        rollout:\n  waves: [1, 1]\n  failure_budget: 0\n  on_failure: rollback\napproval:\n  required: 1\n  reviewers: [bob]\n  timeout: 10m\n").unwrap();
    let out = env.cli(&["run", suite.to_str().unwrap(), "--requester", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let planned = wait_for(&client, &id, "awaiting approval", Duration::from_secs(60), |s| phase(s) == SuitePhase::AwaitingApproval).await.unwrap();
    env.hset(2, "VLAN|Vlan300", &[("vlanid", "300"), ("description", "made by hand")]);
    let approve = env.cli(&["approve", &id, "--reviewer", "bob", "--plan-hash", &planned.plan_hash]);
    assert_eq!(approve.status.code(), Some(0), "{}", String::from_utf8_lossy(&approve.stderr));
    let s = wait_for(&client, &id, "ended", Duration::from_secs(120), ended).await.unwrap();
    assert_eq!(phase(&s), SuitePhase::RolledBack, "{s:#?}");
    assert_eq!(s.devices[1].status, DeviceStatus::Failed as i32, "{s:#?}");

    // Temporal's own status says it, and the CLI still reads the result.
    let canary_apply = names::device_workflow_id(&id, "sonic-d001", "apply");
    let canary_undo = names::device_workflow_id(&id, "sonic-d001", "rollback");
    let failed_device = names::device_workflow_id(&id, "sonic-d002", "apply");
    assert_eq!(execution_status(&client, &id).await, WorkflowExecutionStatus::Failed);
    assert_eq!(execution_status(&client, &failed_device).await, WorkflowExecutionStatus::Failed);
    assert_eq!(execution_status(&client, &canary_apply).await, WorkflowExecutionStatus::Completed);
    assert_eq!(execution_status(&client, &canary_undo).await, WorkflowExecutionStatus::Completed);
    // Summary and Details say what the suite is and where its outcome is;
    // a device's undo is told apart from its apply by its summary.
    let (summary, details) = summary_and_details(&client, &id).await;
    assert_eq!(summary, "web-ui on 2 devices for alice");
    assert!(details.contains(&format!("Suite {id} (unsigned launch, requested by alice)")) && details.contains("sonic-d001, sonic-d002"), "{details}");
    assert!(summary_and_details(&client, &canary_undo).await.0.starts_with("rollback sonic-d001"));
    assert!(summary_and_details(&client, &canary_apply).await.0.starts_with("apply sonic-d001"));
    let result = switchyard_starter::client::result(&client, &id).await.unwrap();
    assert_eq!(phase(&result), SuitePhase::RolledBack, "the failed run carries the status: {result:#?}");
    let status = env.cli(&["status", &id]);
    // A rolled-back suite did not succeed: `status` exits as `watch` does.
    assert_eq!(status.status.code(), Some(4), "{}", String::from_utf8_lossy(&status.stderr));
    assert!(String::from_utf8_lossy(&status.stdout).contains("rolled_back"), "{}", String::from_utf8_lossy(&status.stdout));

    // The Web UI's list, filtered to the suite, shows it failed; filtered
    // to the suite's tree (it and its device workflows), the failed device
    // is the other failure and nothing that did not succeed is green.
    let ui = &env.ui;
    assert_eq!(listed_statuses(ui, &format!("WorkflowId = '{id}'")), ["Failed"]);
    let mut tree = listed_statuses(ui, &format!("RootWorkflowId = '{id}'"));
    tree.sort();
    assert_eq!(tree, ["Completed", "Completed", "Failed", "Failed"], "suite, failed device, canary apply and its rollback");
    let failed = listed_statuses(ui, &format!("RootWorkflowId = '{id}' AND ExecutionStatus = 'Failed' AND DeviceStatus = 'failed'"));
    assert_eq!(failed, ["Failed"], "the failed device, found by its search attribute");

    // The suite's page, as a picture: its history's timeline, with the
    // devices' runs and the rollback. `SWITCHYARD_PICTURES=DIR` keeps it
    // (the README's picture is made this way).
    let picture = dir.join("web-ui-rollback.png");
    screenshot(&format!("{ui}/namespaces/default/workflows/{id}/{}/timeline", s.run_id), &picture);
    let png = std::fs::read(&picture).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "{} bytes: not a rendered page", png.len());
    if let Some(keep) = std::env::var_os("SWITCHYARD_PICTURES") {
        std::fs::copy(&picture, std::path::Path::new(&keep).join("web-ui-rollback.png")).unwrap();
    }
}

/// A picture of the Web UI's page at `url`, as the headless browser
/// renders it once its scripts have run.
fn screenshot(url: &str, path: &std::path::Path) {
    let out = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1440,1000", "--virtual-time-budget=15000"])
        .arg(format!("--screenshot={}", path.display()))
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("cannot run chromium ({e}): tests/run.sh installs it (`lab/lab.sh install tests`, as root)"));
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
}
