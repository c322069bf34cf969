//! A worker killed with SIGKILL mid-suite and restarted: the suite ends
//! correctly on every device, and each device step was written exactly once
//! (counted on the devices' redis: the HSETs it ran). Planning, applying and
//! compensating are each interrupted, on the whole lab (20 devices in
//! `tests/run.sh`).
//! Needs `tests/run.sh`; fails loudly without it.

use std::time::Duration;

use switchyard_proto::v1::{DeviceStatus, SuitePhase};
use switchyard_tests::{FrozenRedis, TestEnv, VLAN_STEPS, ended, phase, started_suite_id, vlan_suite, wait_for};

const TIMEOUT: Duration = Duration::from_secs(180);

/// Every device holds its rows from before plus exactly VLAN_STEPS' rows.
fn assert_vlan_applied(env: &TestEnv, before_rows: &[switchyard_tests::Rows]) {
    for (i, before) in before_rows.iter().enumerate() {
        let mut expected = before.clone();
        expected.insert("VLAN|Vlan100".into(), [("vlanid".to_string(), "100".to_string()), ("description".into(), "tenant-a".into())].into());
        expected.insert("VLAN_MEMBER|Vlan100|Ethernet0".into(), [("tagging_mode".to_string(), "untagged".to_string())].into());
        assert_eq!(env.rows(i + 1), expected, "device {}", i + 1);
    }
}

#[tokio::test]
async fn killed_worker_loses_nothing_and_repeats_nothing() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let n = env.device_count();
    let client = env.client().await.unwrap();
    let queue = format!("crash-{}", std::process::id());
    let before_rows: Vec<_> = (1..=n).map(|i| env.rows(i)).collect();
    let before_hsets = env.hsets();
    let expected = env.expect(VLAN_STEPS).await;

    let mut worker = env.spawn_worker(&queue);
    let suite = vlan_suite("crash-apply", "rollout:\n  parallelism: 2\napproval:\n  required: 1\n  timeout: 10m\n");
    let out = env.cli_on(&queue, &["run", suite.to_str().unwrap(), "--requester", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();

    // 1. Killed while planning (or just before): restarted, it plans.
    worker.kill();
    let mut worker = env.spawn_worker(&queue);
    let planned = wait_for(&client, &id, "awaiting approval", TIMEOUT, |s| phase(s) == SuitePhase::AwaitingApproval).await.unwrap();

    // 2. Killed while a device is being applied: device 3's redis is frozen,
    // so its step hangs in flight when the worker dies. Its command may still
    // run when redis wakes, with nobody to hear the reply: the lost-reply case.
    let frozen = FrozenRedis::new(&env, 3);
    let approve = env.cli_on(&queue, &["approve", &id, "--reviewer", "bob", "--plan-hash", &planned.plan_hash]);
    let applying = wait_for(&client, &id, "device 3 applying", TIMEOUT, |s| s.devices[2].status == DeviceStatus::Applying as i32).await;
    worker.kill();
    drop(frozen);
    assert_eq!(approve.status.code(), Some(0), "{}", String::from_utf8_lossy(&approve.stdout));
    applying.unwrap();
    // 3. Restarted: the devices not started yet go on, device 3's step is retried.
    let mut worker = env.spawn_worker(&queue);
    // 4. Killed again once half the fleet is done: between devices, or in
    // the middle of the next ones.
    let half = n / 2;
    wait_for(&client, &id, "half the devices done", TIMEOUT, |s| {
        s.devices.iter().filter(|d| d.status == DeviceStatus::Succeeded as i32).count() >= half
    }).await.unwrap();
    worker.kill();
    let mut worker = env.spawn_worker(&queue);
    let s = wait_for(&client, &id, "ended", TIMEOUT, ended).await.unwrap();
    worker.kill();

    assert_eq!(phase(&s), SuitePhase::Succeeded, "{s:#?}");
    env.check_invariant(&s, &expected).unwrap();
    assert_vlan_applied(&env, &before_rows);
    // Exactly once: per device, the lock record (one HSET, taken once), and
    // two steps that each wrote one row and its journal record in one HSET
    // apiece: five HSETs, whatever was retried.
    let after = env.hsets();
    let writes: Vec<u64> = after.iter().zip(&before_hsets).map(|(a, b)| a - b).collect();
    assert!(writes.iter().all(|w| *w == 5), "HSETs per device: {writes:?}");
}

#[tokio::test]
async fn killed_worker_during_compensation_still_rolls_everything_back() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let n = env.device_count();
    let client = env.client().await.unwrap();
    let queue = format!("crash-rb-{}", std::process::id());
    let mut worker = env.spawn_worker(&queue);
    let extra = format!("rollout:\n  parallelism: 1\n  waves: [{}]\napproval:\n  required: 1\n  timeout: 10m\n", n - 1);
    let suite = vlan_suite("crash-rollback", &extra);
    let out = env.cli_on(&queue, &["run", suite.to_str().unwrap(), "--requester", "alice"]);
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let planned = wait_for(&client, &id, "awaiting approval", TIMEOUT, |s| phase(s) == SuitePhase::AwaitingApproval).await.unwrap();
    // The last device (alone in the last wave) drifts: everything else rolls back.
    env.hset(n, "VLAN|Vlan300", &[("vlanid", "300")]);
    env.hset(n, "VLAN_MEMBER|Vlan300|Ethernet0", &[("tagging_mode", "untagged")]);
    let before: Vec<_> = (1..=n).map(|i| env.dump_config_db(i)).collect();
    let expected = env.expect(VLAN_STEPS).await;
    let before_hsets = env.hsets();
    let approve = env.cli_on(&queue, &["approve", &id, "--reviewer", "bob", "--plan-hash", &planned.plan_hash]);
    assert_eq!(approve.status.code(), Some(0));
    wait_for(&client, &id, "rolling back", TIMEOUT, |s| phase(s) == SuitePhase::RollingBack).await.unwrap();
    worker.kill();
    let mut worker = env.spawn_worker(&queue);
    let s = wait_for(&client, &id, "ended", TIMEOUT, ended).await.unwrap();
    worker.kill();
    assert_eq!(phase(&s), SuitePhase::RolledBack, "{s:#?}");
    env.check_invariant(&s, &expected).unwrap();
    for i in 1..=n {
        assert_eq!(env.dump_config_db(i), before[i - 1], "device {i}");
    }
    // Devices 1..n-1: the lock record (1), two steps applied (2 × 2 HSETs)
    // and two reversed (a journal HSET each; the reverse itself deletes).
    // The drifted device: lock, step 1 applied and reversed (1 + 2 + 1).
    let writes: Vec<u64> = env.hsets().iter().zip(&before_hsets).map(|(a, b)| a - b).collect();
    let mut expected = vec![7; n - 1];
    expected.push(4);
    assert_eq!(writes, expected, "HSETs per device");
}

/// The identities of the workers that ran workflow tasks of `workflow_id`.
async fn workers_of(client: &temporalio_client::Client, workflow_id: &str) -> std::collections::BTreeSet<String> {
    use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
    let handle = client.get_workflow_handle::<switchyard_workflows::DeviceWorkflow>(workflow_id.to_string());
    let events = handle.fetch_history(Default::default()).into_events().await.unwrap_or_default();
    events.into_iter().filter_map(|e| match e.attributes {
        Some(Attributes::WorkflowTaskStartedEventAttributes(a)) => Some(a.identity),
        _ => None,
    }).collect()
}

#[tokio::test]
async fn three_workers_share_a_suite_and_one_killed_mid_suite_loses_nothing() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let n = env.device_count();
    let client = env.client().await.unwrap();
    let queue = format!("scale-out-{}", std::process::id());
    let before_rows: Vec<_> = (1..=n).map(|i| env.rows(i)).collect();
    let before_hsets = env.hsets();
    let expected = env.expect(VLAN_STEPS).await;
    let mut workers = [env.spawn_worker(&queue), env.spawn_worker(&queue), env.spawn_worker(&queue)];

    let suite = vlan_suite("scale-out", "rollout:\n  parallelism: 6\n");
    let out = env.cli_on(&queue, &["run", suite.to_str().unwrap(), "--requester", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    // One of the three dies with devices in flight; the other two carry on.
    wait_for(&client, &id, "a quarter of the devices done", TIMEOUT, |s| {
        s.devices.iter().filter(|d| d.status == DeviceStatus::Succeeded as i32).count() >= n / 4
    }).await.unwrap();
    workers[1].kill();
    let s = wait_for(&client, &id, "ended", TIMEOUT, ended).await.unwrap();

    assert_eq!(phase(&s), SuitePhase::Succeeded, "{s:#?}");
    env.check_invariant(&s, &expected).unwrap();
    assert_vlan_applied(&env, &before_rows);
    // One write per row: the lock and two steps of one row and its journal
    // record each, five HSETs per device, whichever worker ran it.
    let writes: Vec<u64> = env.hsets().iter().zip(&before_hsets).map(|(a, b)| a - b).collect();
    assert!(writes.iter().all(|w| *w == 5), "HSETs per device: {writes:?}");
    // The devices' workflows ran on more than one worker.
    let mut identities = std::collections::BTreeSet::new();
    for d in &s.devices {
        identities.extend(workers_of(&client, &switchyard_proto::names::device_workflow_id(&id, &d.device, "apply")).await);
    }
    assert!(identities.len() >= 2, "device workflows ran on {identities:?}");
    for w in &mut workers {
        w.kill();
    }
}
