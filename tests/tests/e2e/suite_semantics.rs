//! Production suite semantics end to end: approval rules, change windows,
//! canary waves with a failure budget, each on_failure policy, cancellation
//! mid-apply, live parallelism changes, listing by status.
//! Waits are on the suite's `status` query, never on the clock.
//! Needs `tests/run.sh`; fails loudly without it.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use switchyard_proto::v1::{CompensationAction, DeviceStatus, SuitePhase, SuiteStatus};
use switchyard_proto::names;
use switchyard_tests::{TestEnv, ended, phase, record_history, rfc3339_in, started_suite_id, vlan_suite, wait_for};
use temporalio_client::Client;

const TIMEOUT: Duration = Duration::from_secs(120);
const APPROVAL: &str = "approval:\n  required: 1\n  reviewers: [bob]\n  timeout: 10m\n";

fn statuses(s: &SuiteStatus) -> Vec<DeviceStatus> {
    s.devices.iter().map(|d| DeviceStatus::try_from(d.status).unwrap()).collect()
}

fn cli_ok(env: &TestEnv, args: &[&str]) -> String {
    let out = env.cli(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "switchyard {args:?}\nstdout:\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn launch(env: &TestEnv, suite: &Path) -> String {
    started_suite_id(&cli_ok(env, &["run", suite.to_str().unwrap(), "--requester", "alice"])).unwrap()
}

async fn until(client: &Client, id: &str, what: &str, f: impl Fn(&SuiteStatus) -> bool) -> SuiteStatus {
    wait_for(client, id, what, TIMEOUT, f).await.unwrap()
}

/// Makes device `i`'s uplink an access port of VLAN 300, so an approved
/// plan for it no longer holds.
fn drift(env: &TestEnv, i: usize) {
    env.hset(i, "VLAN|Vlan300", &[("vlanid", "300")]);
    env.hset(i, "VLAN_MEMBER|Vlan300|Ethernet0", &[("tagging_mode", "untagged")]);
}

fn dumps(env: &TestEnv) -> Vec<BTreeMap<String, Vec<u8>>> {
    (1..=env.device_count()).map(|i| env.dump_config_db(i)).collect()
}

/// Launches a suite that needs bob's approval, waits for the plan, runs
/// `before_approval`, approves, and returns the suite id.
async fn approved(env: &TestEnv, client: &Client, name: &str, extra: &str, before_approval: impl FnOnce()) -> String {
    let id = launch(env, &vlan_suite(name, &format!("{extra}{APPROVAL}")));
    let planned = until(client, &id, "awaiting approval", |s| phase(s) == SuitePhase::AwaitingApproval).await;
    before_approval();
    cli_ok(env, &["approve", &id, "--reviewer", "bob", "--plan-hash", &planned.plan_hash]);
    id
}

#[tokio::test]
async fn wrong_hash_and_rejection_leave_every_device_untouched() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let before = dumps(&env);
    let id = launch(&env, &vlan_suite("sem-reject", APPROVAL));
    until(&client, &id, "awaiting approval", |s| phase(s) == SuitePhase::AwaitingApproval).await;

    let stale = env.cli(&["approve", &id, "--reviewer", "bob", "--plan-hash", "0000"]);
    assert_eq!(stale.status.code(), Some(3), "an approval of another plan does not count");
    let stranger = env.cli(&["approve", &id, "--reviewer", "mallory"]);
    assert_eq!(stranger.status.code(), Some(3), "only listed reviewers count");
    cli_ok(&env, &["reject", &id, "--reviewer", "bob", "--comment", "not tonight"]);

    let s = until(&client, &id, "ended", ended).await;
    assert_eq!(phase(&s), SuitePhase::Rejected);
    let reasons: Vec<(bool, &str)> = s.decisions.iter().map(|d| (d.counted, d.reason.as_str())).collect();
    assert!(!reasons[0].0 && reasons[0].1.contains("the plan to approve is"), "{reasons:?}");
    assert!(!reasons[1].0 && reasons[1].1.contains("not among the reviewers this suite needs"), "{reasons:?}");
    assert!(reasons[2].0, "{reasons:?}");
    assert_eq!(dumps(&env), before);
}

#[tokio::test]
async fn no_decision_before_the_timeout_expires_the_suite() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let before = dumps(&env);
    let id = launch(&env, &vlan_suite("sem-expire", "approval:\n  required: 1\n  timeout: 2s\n"));
    let s = until(&client, &id, "ended", ended).await;
    assert_eq!(phase(&s), SuitePhase::Expired, "{s:?}");
    assert!(s.error.contains("no decision within 2s"), "{}", s.error);
    assert_eq!(dumps(&env), before);
}

#[tokio::test]
async fn waits_for_the_window_then_applies() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let start = rfc3339_in(4);
    let extra = format!("window:\n  start: {start}\n  duration: 1h\n");
    let id = launch(&env, &vlan_suite("sem-window", &extra));
    let waiting = until(&client, &id, "waiting for the window", |s| phase(s) == SuitePhase::WaitingWindow).await;
    assert!(waiting.devices.iter().all(|d| d.status == DeviceStatus::Planned as i32), "nothing starts before the window");
    let s = until(&client, &id, "ended", ended).await;
    assert_eq!(phase(&s), SuitePhase::Succeeded, "{s:?}");
    assert!(s.applying_at >= start, "applied at {} before the window opened at {start}", s.applying_at);
}

#[tokio::test]
async fn devices_that_cannot_finish_in_the_window_are_not_started() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let before = dumps(&env);
    // Three steps' worth (two steps + verify) at 60 s each cannot fit in 90 s.
    let extra = format!("rollout:\n  step_estimate: 60s\nwindow:\n  start: {}\n  duration: 90s\n", rfc3339_in(-1));
    let id = launch(&env, &vlan_suite("sem-fit", &extra));
    let s = until(&client, &id, "ended", ended).await;
    assert_eq!(phase(&s), SuitePhase::Failed, "{s:?}");
    assert!(statuses(&s).iter().all(|d| *d == DeviceStatus::Skipped), "{s:?}");
    assert!(s.devices[0].error.contains("would not finish before the window ends"), "{}", s.devices[0].error);
    assert_eq!(dumps(&env), before);
}

#[tokio::test]
async fn window_closing_during_the_soak_rolls_back_unless_extended() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let before = dumps(&env);
    let extra = |end: &str| format!("rollout:\n  waves: [1]\n  soak: 6s\n  step_estimate: 1s\nwindow:\n  start: {}\n  end: {end}\n  on_close: rollback\n", rfc3339_in(-1));

    // Closes during the soak after the canary: the canary is rolled back.
    let id = launch(&env, &vlan_suite("sem-close", &extra(&rfc3339_in(4))));
    let s = until(&client, &id, "ended", ended).await;
    assert_eq!(phase(&s), SuitePhase::RolledBack, "{s:?}");
    assert_eq!(statuses(&s)[0], DeviceStatus::RolledBack);
    assert!(statuses(&s)[1..].iter().all(|d| *d == DeviceStatus::Skipped), "{s:?}");
    assert!(s.error.contains("the change window closed"), "{}", s.error);
    assert_eq!(dumps(&env), before);

    // The same, but an operator extends the window during the soak.
    let id = launch(&env, &vlan_suite("sem-extend", &extra(&rfc3339_in(5))));
    until(&client, &id, "canary done", |s| s.devices[0].status == DeviceStatus::Succeeded as i32).await;
    let earlier = env.cli(&["extend-window", &id, "--end", &rfc3339_in(1), "--operator", "oscar"]);
    assert_eq!(earlier.status.code(), Some(3), "an earlier end is refused by the validator");
    assert!(String::from_utf8_lossy(&earlier.stderr).contains("is not after the current end"));
    cli_ok(&env, &["extend-window", &id, "--end", &rfc3339_in(3600), "--operator", "oscar", "--comment", "change ran late"]);
    let s = until(&client, &id, "ended", ended).await;
    assert_eq!(phase(&s), SuitePhase::Succeeded, "{s:?}");
    assert!(s.operator_log.iter().any(|e| e.operator == "oscar" && e.action.starts_with("extend window")), "{:?}", s.operator_log);
    record_history(&env, &id, "suite_window_extended.binpb").await;
}

#[tokio::test]
async fn a_failed_canary_stops_the_rollout_within_budget() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let mut before = Vec::new();
    let id = approved(&env, &client, "sem-canary", "rollout:\n  waves: [1, 50%]\n  failure_budget: 0\n  on_failure: rollback\n", || {
        drift(&env, 1);
        before = dumps(&env);
    }).await;
    let s = until(&client, &id, "ended", ended).await;
    assert_eq!(phase(&s), SuitePhase::RolledBack, "{s:?}");
    assert_eq!(s.waves, 3);
    assert_eq!(statuses(&s)[0], DeviceStatus::Failed);
    assert!(statuses(&s)[1..].iter().all(|d| *d == DeviceStatus::Skipped), "no device after the canary starts: {s:?}");
    assert_eq!(s.devices[0].steps_compensated, ["1-create_vlan"]);
    assert!(s.compensation_log.iter().any(|e| e.device == "sonic-d001" && e.action == CompensationAction::Removed as i32));
    assert_eq!(dumps(&env), before);
    record_history(&env, &id, "suite_canary_failed.binpb").await;
}

#[tokio::test]
async fn continue_finishes_the_others_and_reports() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let id = approved(&env, &client, "sem-continue", "rollout:\n  parallelism: 2\n  on_failure: continue\n", || drift(&env, 3)).await;
    let s = until(&client, &id, "ended", ended).await;
    assert_eq!(phase(&s), SuitePhase::Failed, "{s:?}");
    let st = statuses(&s);
    assert_eq!(st[2], DeviceStatus::Failed);
    assert_eq!(st.iter().filter(|d| **d == DeviceStatus::Succeeded).count(), st.len() - 1, "{s:?}");
    assert!(!env.rows(3).contains_key("VLAN|Vlan100"), "the failed device undid its own first step");
    assert!(env.rows(4).contains_key("VLAN_MEMBER|Vlan100|Ethernet0"));
}

#[tokio::test]
async fn pause_then_resume_or_rollback() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let extra = "rollout:\n  parallelism: 1\n  on_failure: pause\n  pause_timeout: 10m\n";

    // Resume: the failed device stays failed, the rest go on.
    let id = approved(&env, &client, "sem-resume", extra, || drift(&env, 2)).await;
    let paused = until(&client, &id, "paused", |s| phase(s) == SuitePhase::Paused).await;
    assert!(statuses(&paused)[2..].iter().all(|d| *d == DeviceStatus::Planned), "nothing starts while paused: {paused:?}");
    let refused = env.cli(&["set-parallelism", &id, "0", "--operator", "oscar"]);
    assert_eq!(refused.status.code(), Some(3), "parallelism 0 is refused");
    cli_ok(&env, &["set-parallelism", &id, "4", "--operator", "oscar"]);
    cli_ok(&env, &["resume", &id, "--operator", "oscar", "--comment", "d002 is known bad"]);
    let s = until(&client, &id, "ended", ended).await;
    assert_eq!(phase(&s), SuitePhase::Failed, "{s:?}");
    assert_eq!(s.parallelism, 4);
    let st = statuses(&s);
    assert_eq!(st[1], DeviceStatus::Failed);
    assert_eq!(st.iter().filter(|d| **d == DeviceStatus::Succeeded).count(), st.len() - 1, "{s:?}");
    record_history(&env, &id, "suite_paused_resumed.binpb").await;

    // Rollback: everything changed so far goes back.
    drop(_lab);
    let _lab = env.lock_lab();
    let mut before = Vec::new();
    let id = approved(&env, &client, "sem-pause-rollback", extra, || {
        drift(&env, 3);
        before = dumps(&env);
    }).await;
    until(&client, &id, "paused", |s| phase(s) == SuitePhase::Paused).await;
    cli_ok(&env, &["rollback", &id, "--operator", "oscar"]);
    let s = until(&client, &id, "ended", ended).await;
    assert_eq!(phase(&s), SuitePhase::RolledBack, "{s:?}");
    let st = statuses(&s);
    assert_eq!(&st[..3], &[DeviceStatus::RolledBack, DeviceStatus::RolledBack, DeviceStatus::Failed]);
    assert_eq!(dumps(&env), before, "every device is byte-for-byte as before the suite");
    let listed = cli_ok(&env, &["list", "--status", "rolled_back", "--name", "sem-pause-rollback"]);
    assert!(listed.contains(&id), "list by status finds the suite:\n{listed}");
}

/// A rollback that has to leave one of the suite's changes (someone put a
/// port into the suite's VLAN meanwhile, so the VLAN is still used) ends
/// partially_rolled_back, and says which change stayed.
#[tokio::test]
async fn a_rollback_that_leaves_a_change_is_partial() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let extra = "rollout:\n  parallelism: 1\n  on_failure: pause\n  pause_timeout: 10m\n";
    let id = approved(&env, &client, "sem-partial", extra, || drift(&env, 2)).await;
    until(&client, &id, "paused", |s| phase(s) == SuitePhase::Paused).await;
    // sonic-d001 has VLAN 100 from the suite; someone adds a member by hand.
    env.hset(1, "VLAN_MEMBER|Vlan100|Ethernet4", &[("tagging_mode", "tagged")]);
    cli_ok(&env, &["rollback", &id, "--operator", "oscar"]);
    let s = until(&client, &id, "ended", ended).await;
    assert_eq!(phase(&s), SuitePhase::PartiallyRolledBack, "{}", s.error);
    assert!(s.error.contains("1 change of the suite left in place"), "{}", s.error);
    let kept = s.compensation_log.iter().find(|e| e.key == "VLAN|Vlan100" && e.remains).expect("the VLAN that stays is logged");
    assert!(kept.reason.contains("still used by VLAN_MEMBER|Vlan100|Ethernet4"), "{kept:?}");
    assert!(env.rows(1).contains_key("VLAN|Vlan100"));
}

#[tokio::test]
async fn cancelling_mid_apply_finishes_in_flight_devices_and_rolls_back() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let before = dumps(&env);
    let id = launch(&env, &vlan_suite("sem-cancel", "rollout:\n  parallelism: 1\n"));
    until(&client, &id, "two devices done", |s| s.devices.iter().filter(|d| d.status == DeviceStatus::Succeeded as i32).count() >= 2).await;
    cli_ok(&env, &["cancel", &id, "--reason", "maintenance aborted", "--operator", "oscar"]);
    let s = until(&client, &id, "ended", ended).await;
    assert_eq!(phase(&s), SuitePhase::Cancelled, "{s:?}");
    assert!(s.error.contains("maintenance aborted"), "{}", s.error);
    let st = statuses(&s);
    assert!(st.iter().all(|d| matches!(d, DeviceStatus::RolledBack | DeviceStatus::Skipped)), "no device is left half-changed or changed: {s:?}");
    assert!(st.iter().filter(|d| **d == DeviceStatus::RolledBack).count() >= 2);
    assert_eq!(dumps(&env), before);
    record_history(&env, &id, "suite_cancelled.binpb").await;
    record_history(&env, &names::device_workflow_id(&id, "sonic-d001", "rollback"), "device_rollback_after_cancel.binpb").await;
}

#[tokio::test]
async fn an_unanswered_pause_takes_its_default() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let extra = "rollout:\n  parallelism: 1\n  on_failure: pause\n  pause_timeout: 2s\n  pause_default: abandon\n";
    let id = approved(&env, &client, "sem-pause-timeout", extra, || drift(&env, 1)).await;
    let s = until(&client, &id, "ended", ended).await;
    assert_eq!(phase(&s), SuitePhase::Failed, "{s:?}");
    assert!(s.error.contains("abandoned by the pause timeout"), "{}", s.error);
    assert!(s.operator_log.iter().any(|e| e.operator == "switchyard" && e.reason.contains("no operator answered within 2s")), "{:?}", s.operator_log);
    let st = statuses(&s);
    assert_eq!(st[0], DeviceStatus::Failed);
    assert!(st[1..].iter().all(|d| *d == DeviceStatus::Skipped), "{s:?}");
}

/// A suite terminated while it awaited approval never gets further: `list`
/// says so, and filtering by a phase suites pass through finds it no more.
#[tokio::test]
async fn a_terminated_suite_is_listed_as_terminated() {
    let env = TestEnv::get();
    // It plans every lab device: another test's hand edits must not land meanwhile.
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let id = launch(&env, &vlan_suite("sem-terminated", APPROVAL));
    until(&client, &id, "awaiting approval", |s| phase(s) == SuitePhase::AwaitingApproval).await;
    let cli = std::env::var("TEMPORAL_CLI").expect("TEMPORAL_CLI is set by tests/run.sh");
    let out = std::process::Command::new(cli)
        .args(["workflow", "terminate", "--workflow-id", &id, "--reason", "test", "--address", env.temporal.trim_start_matches("http://")])
        .output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Visibility follows the close within moments; the list is asked again
    // until it does, never longer than the timeout.
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let all = cli_ok(&env, &["list", "--name", "sem-terminated"]);
        if all.contains("terminated (in awaiting_approval)") {
            let waiting = cli_ok(&env, &["list", "--status", "awaiting_approval", "--name", "sem-terminated"]);
            assert!(!waiting.contains(&id), "{waiting}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never listed as terminated:\n{all}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
