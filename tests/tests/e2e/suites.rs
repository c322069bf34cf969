//! End-to-end: the `switchyard` CLI launches suites on the Temporal dev
//! server; the worker applies them to the lab's real sshd + redis devices.
//! Needs `tests/run.sh`; fails loudly without it.

use std::collections::BTreeMap;
use std::time::Duration;

use switchyard_proto::names;
use switchyard_proto::v1::{CompensationAction, DeviceStatus, SuitePhase, SuiteStatus};
use switchyard_tests::{TestEnv, ended, record_history, started_suite_id, wait_for};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
const SUITE_TIMEOUT: Duration = Duration::from_secs(120);

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

fn is_phase(s: &SuiteStatus, phase: SuitePhase) -> bool {
    s.phase == phase as i32
}

fn row(fields: &[(&str, &str)]) -> BTreeMap<String, String> {
    fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[tokio::test]
async fn vlan_suite_applies_exactly_the_plan_on_every_device() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let n = env.device_count();
    assert!(n >= 8, "this test wants at least 8 lab devices, found {n}");
    let before: Vec<_> = (1..=n).map(|i| env.rows(i)).collect();

    let out = env.cli(&["run", &fixture("vlan-tenant.yaml"), "--requester", "alice", "--watch"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stdout:\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("web ui: http://"), "{stdout}");
    let suite_id = started_suite_id(&stdout).unwrap();

    let client = env.client().await.unwrap();
    let status = wait_for(&client, &suite_id, "ended", SUITE_TIMEOUT, ended).await.unwrap();
    assert!(is_phase(&status, SuitePhase::Succeeded), "{status:?}");
    assert_eq!(status.counts.as_ref().unwrap().succeeded as usize, n);
    assert!(status.fleet_diff.starts_with(&format!("{n} devices: ")), "identical diffs are grouped:\n{}", status.fleet_diff);

    // The oracle is written here, not taken from the plan: every device
    // holds exactly its old rows plus the VLAN and the member.
    for i in 1..=n {
        let mut expected = before[i - 1].clone();
        expected.insert("VLAN|Vlan100".into(), row(&[("vlanid", "100"), ("description", "tenant-a")]));
        expected.insert("VLAN_MEMBER|Vlan100|Ethernet0".into(), row(&[("tagging_mode", "untagged")]));
        assert_eq!(env.rows(i), expected, "device {i}");
        let d = &status.devices[i - 1];
        assert_eq!(d.steps_applied, ["1-create_vlan", "2-add_vlan_member"]);
        assert!(d.verified);
    }
    record_history(&env, &suite_id, "suite_vlan_ok.binpb").await;
    record_history(&env, &names::device_workflow_id(&suite_id, "sonic-d001", "apply"), "device_apply_ok.binpb").await;
}

#[tokio::test]
async fn a_refused_plan_writes_nothing_anywhere() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let n = env.device_count();
    // Device 3's uplink is already an access port of VLAN 200.
    env.hset(3, "VLAN|Vlan200", &[("vlanid", "200")]);
    env.hset(3, "VLAN_MEMBER|Vlan200|Ethernet0", &[("tagging_mode", "untagged")]);
    let before: Vec<_> = (1..=n).map(|i| env.dump_config_db(i)).collect();

    let out = env.cli(&["run", &fixture("vlan-tenant.yaml"), "--requester", "alice", "--watch"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "a refused plan exits refused: {stdout}");
    let suite_id = started_suite_id(&stdout).unwrap();
    let client = env.client().await.unwrap();
    let status = wait_for(&client, &suite_id, "ended", SUITE_TIMEOUT, ended).await.unwrap();
    assert!(is_phase(&status, SuitePhase::Failed), "{status:?}");
    let d3 = &status.devices[2];
    assert_eq!(d3.status, DeviceStatus::PlanFailed as i32);
    assert!(d3.error.contains("sonic-d003: step 2-add_vlan_member: port:") && d3.error.contains("VLAN_MEMBER|Vlan200|Ethernet0"), "{}", d3.error);
    for i in 1..=n {
        assert_eq!(env.dump_config_db(i), before[i - 1], "device {i} changed");
    }
}

#[tokio::test]
async fn drift_after_approval_rolls_every_device_back_byte_for_byte() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let n = env.device_count();
    let client = env.client().await.unwrap();

    let out = env.cli(&["run", &fixture("vlan-tenant-approved.yaml"), "--requester", "alice"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let suite_id = started_suite_id(&stdout).unwrap();
    let planned = wait_for(&client, &suite_id, "awaiting approval", SUITE_TIMEOUT, |s| is_phase(s, SuitePhase::AwaitingApproval)).await.unwrap();

    // Between review and apply, someone makes device 5's uplink an access
    // port of VLAN 200: its planned-from rows moved.
    env.hset(5, "VLAN|Vlan200", &[("vlanid", "200")]);
    env.hset(5, "VLAN_MEMBER|Vlan200|Ethernet0", &[("tagging_mode", "untagged")]);
    let before: Vec<_> = (1..=n).map(|i| env.dump_config_db(i)).collect();

    // The requester's own approval does not count.
    let own = env.cli(&["approve", &suite_id, "--reviewer", "alice", "--plan-hash", &planned.plan_hash]);
    assert_eq!(own.status.code(), Some(3), "{}", String::from_utf8_lossy(&own.stdout));
    // Approve as the Web UI does: a signal with a JSON body, sent by the temporal CLI.
    let body = format!(r#"{{"reviewer":"bob","decision":"DECISION_APPROVE","planHash":"{}","comment":"lgtm"}}"#, planned.plan_hash);
    let signal = std::process::Command::new(temporal_cli())
        .args(["workflow", "signal", "--address", env.temporal.trim_start_matches("http://"), "--workflow-id", &suite_id,
               "--name", names::SIGNAL_APPROVAL, "--input", &body])
        .output().expect("temporal workflow signal");
    assert!(signal.status.success(), "{}", String::from_utf8_lossy(&signal.stderr));

    let status = wait_for(&client, &suite_id, "ended", SUITE_TIMEOUT, ended).await.unwrap();
    assert!(is_phase(&status, SuitePhase::RolledBack), "{status:#?}");
    assert_eq!(status.decisions.len(), 2);
    assert!(!status.decisions[0].counted && status.decisions[0].reason.contains("requested this suite"));
    assert!(status.decisions[1].counted);

    let d5 = &status.devices[4];
    assert_eq!(d5.status, DeviceStatus::Failed as i32, "{d5:?}");
    assert!(d5.error.contains("drift") && d5.error.contains("VLAN_MEMBER|*|Ethernet0"), "{}", d5.error);
    assert_eq!(d5.steps_applied, ["1-create_vlan"]);
    assert_eq!(d5.steps_compensated, ["1-create_vlan"]);
    let rolled_back = status.devices.iter().filter(|d| d.status == DeviceStatus::RolledBack as i32).count();
    let skipped = status.devices.iter().filter(|d| d.status == DeviceStatus::Skipped as i32).count();
    assert_eq!(rolled_back + skipped + 1, n, "{status:#?}");
    assert!(rolled_back >= 3, "the first wave completed before device 5 failed: {status:#?}");
    assert!(status.compensation_log.iter().any(|e| e.device == "sonic-d005" && e.key == "VLAN|Vlan100" && e.action == CompensationAction::Removed as i32));

    for i in 1..=n {
        assert_eq!(env.dump_config_db(i), before[i - 1], "device {i} is not byte-for-byte as before the suite");
    }
    record_history(&env, &suite_id, "suite_vlan_rollback.binpb").await;
    record_history(&env, &names::device_workflow_id(&suite_id, "sonic-d005", "apply"), "device_apply_drift.binpb").await;
    record_history(&env, &names::device_workflow_id(&suite_id, "sonic-d001", "rollback"), "device_rollback.binpb").await;
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_starts() {
    let env = TestEnv::get();
    let out = env.cli(&["run", &fixture("bad-vlan.yaml")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let expected = format!("{}:5:29: steps[0].create_vlan.vlan_id: VLAN id 5000 is out of range", fixture("bad-vlan.yaml"));
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).is_empty(), "nothing was started, so no suite id is printed");
    let client = env.client().await.unwrap();
    let listed = client.list_workflows(format!("{}='e2e-bad-vlan'", names::SA_SUITE_NAME), Default::default());
    use futures_util::StreamExt;
    let found: Vec<_> = listed.collect().await;
    assert!(found.is_empty(), "a workflow was started for a refused suite");
}

fn temporal_cli() -> String {
    std::env::var("TEMPORAL_CLI").unwrap_or_else(|_| "temporal".into())
}

#[tokio::test]
async fn a_service_is_applied_and_removed_through_suites() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let n = env.device_count();
    let before: Vec<_> = (1..=n).map(|i| env.dump_config_db(i)).collect();
    let client = env.client().await.unwrap();

    let out = env.cli(&["run", &fixture("tenant-apply.yaml"), "--requester", "alice", "--watch"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let status = wait_for(&client, &started_suite_id(&stdout).unwrap(), "ended", SUITE_TIMEOUT, ended).await.unwrap();
    assert_eq!(status.devices[0].steps_applied.len(), 7, "{status:?}");
    for i in 1..=n {
        let rows = env.rows(i);
        assert_eq!(rows["INTERFACE|Ethernet8"]["vrf_name"], "VrfRed", "device {i}");
        // The peer's VRF has its BGP instance, as SONiC needs.
        assert_eq!(rows["BGP_GLOBALS|VrfRed"]["local_asn"], "65001", "device {i}");
        assert!(rows.contains_key("ROUTE_REDISTRIBUTE|VrfRed|connected|bgp|ipv4"), "device {i}");
        assert_eq!(rows["ACL_TABLE|TENANT_IN"]["ports@"], "Ethernet8");
        assert!(rows.contains_key("ACL_RULE|TENANT_IN|VrfRed_DENY_SSH"));
    }

    let out = env.cli(&["run", &fixture("tenant-remove.yaml"), "--requester", "alice", "--watch"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    for i in 1..=n {
        assert_eq!(env.dump_config_db(i), before[i - 1], "device {i} is back to its start");
    }
}
