//! Devices that break between plan and apply: a dead link, a frozen sshd,
//! a stopped redis, a changed host key, revoked credentials. Each failure
//! stays on its device, counts against the failure budget, and the suite's
//! policy (here: roll back once the budget is spent) then runs. The
//! compensation log names every broken device and the state it was left in.
//! Needs `tests/run.sh`; fails loudly without it.

use std::time::{Duration, Instant};

use switchyard_proto::v1::{CompensationAction, DeviceStatus, SuitePhase};
use switchyard_tests::{Fault, TestEnv, WorkerProcess, VLAN_STEPS, ended, phase, started_suite_id, vlan_suite, wait_for};

/// Device, fault, and what its error must say.
const FAULTS: &[(usize, &str, &str)] = &[
    (2, "link-down", "unreachable"),
    (3, "freeze-sshd", "unreachable"),
    (4, "stop-redis", "no redis at 127.0.0.1:6379"),
    (5, "rekey", "host key does not match"),
    (6, "revoke", "authentication refused"),
];

/// A worker with short device timeouts, so that a dead device costs seconds,
/// not minutes; the retry policy is the production one.
fn impatient_worker(env: &TestEnv, queue: &str) -> WorkerProcess {
    env.spawn_worker_with(queue, &env.inventory(), &[
        ("SWITCHYARD_CONNECT_TIMEOUT_SECS", "3"),
        ("SWITCHYARD_COMMAND_TIMEOUT_SECS", "3"),
    ])
}

#[tokio::test]
async fn broken_devices_are_isolated_counted_and_logged() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let queue = format!("faults-{}", std::process::id());
    let _worker = impatient_worker(&env, &queue);
    let n = env.device_count();
    let suite = vlan_suite("faults", "rollout:\n  parallelism: 20\n  failure_budget: 4\n  on_failure: rollback\napproval:\n  required: 1\n  timeout: 10m\n");
    let out = env.cli_on(&queue, &["run", suite.to_str().unwrap(), "--requester", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let planned = wait_for(&client, &id, "awaiting approval", Duration::from_secs(60), |s| phase(s) == SuitePhase::AwaitingApproval).await.unwrap();
    let expected = env.expect(VLAN_STEPS).await;

    // Planned on every device, over connections the worker keeps open; now
    // five devices break.
    let faults: Vec<Fault> = FAULTS.iter().map(|(i, kind, _)| Fault::inject(&env, *i, kind)).collect();
    let started = Instant::now();
    let approve = env.cli_on(&queue, &["approve", &id, "--reviewer", "bob", "--plan-hash", &planned.plan_hash]);
    assert_eq!(approve.status.code(), Some(0), "{}", String::from_utf8_lossy(&approve.stderr));
    let s = wait_for(&client, &id, "ended", Duration::from_secs(400), ended).await.unwrap();
    let took = started.elapsed();
    drop(faults);

    eprintln!("suite ended {:?} after {took:?}", phase(&s));
    for d in &s.devices {
        eprintln!("  {} {:?}: {}", d.device, DeviceStatus::try_from(d.status).unwrap(), d.error);
    }
    for e in &s.compensation_log {
        eprintln!("  log {} {} {:?}: {}", e.device, e.step_id, CompensationAction::try_from(e.action).unwrap(), e.reason);
    }
    // Five failures spend a budget of four: the healthy devices, applied,
    // are rolled back.
    assert_eq!(phase(&s), SuitePhase::RolledBack, "{s:#?}");
    assert_eq!(s.counts.as_ref().unwrap().failed, 5, "{:?}", s.counts);
    assert!(s.error.contains("failure budget of 4 exceeded"), "{}", s.error);
    for i in (1..=n).filter(|i| FAULTS.iter().all(|(f, _, _)| f != i)) {
        let d = &s.devices[i - 1];
        assert_eq!(d.status, DeviceStatus::RolledBack as i32, "{d:?}");
    }
    for (i, kind, says) in FAULTS {
        let d = &s.devices[i - 1];
        assert_eq!(d.status, DeviceStatus::Failed as i32, "{kind}: {d:?}");
        assert!(d.error.contains(says), "{kind}: error {:?} does not say {says:?}", d.error);
        // The log names the device and the state it was left in: the device
        // could not even be locked, so no step was written.
        let entries: Vec<_> = s.compensation_log.iter().filter(|e| e.device == d.device).collect();
        assert!(!entries.is_empty(), "{kind}: {} is not in the compensation log", d.device);
        assert!(entries.iter().all(|e| e.action == CompensationAction::NotApplied as i32
            && e.reason.contains("could not take the device lock") && e.reason.ends_with("nothing written")), "{kind}: {entries:?}");
    }
    // With the faults healed, every device holds the invariant: the broken
    // ones were never written, the healthy ones are back where they were.
    env.check_invariant(&s, &expected).unwrap();
    for i in 1..=env.device_count() {
        assert_eq!(env.rows(i), expected.before[i - 1], "device {i}");
    }
}

/// A step that fails without saying whether it landed is compensated too:
/// its reverse first looks for the step's record on the device. Device 1
/// takes the lock, then refuses the step's writes: no record, so the log says
/// "not applied". Device 2 then refuses even the lookup: the log says the
/// outcome is UNKNOWN, naming the step and the error. Device 3 is healthy.
/// Confirmed commit is off here (the lab's unsigned policy allows it): with
/// it on, device 2's checkpoint cannot read its database, so nothing would
/// be written there at all, and the journal lookup this tests never runs.
#[tokio::test]
async fn a_step_with_an_unknown_outcome_is_checked_on_the_device() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let queue = format!("unsure-{}", std::process::id());
    let _worker = impatient_worker(&env, &queue);
    let dir = std::env::temp_dir().join(format!("switchyard-unsure-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let suite = dir.join("unsure.yaml");
    std::fs::write(&suite, format!("name: unsure\ntargets: {{ names: [sonic-d001, sonic-d002, sonic-d003] }}\nsteps:\n{VLAN_STEPS}\
rollout:\n  parallelism: 3\n  failure_budget: 2\n  on_failure: continue\n  confirm: off\napproval:\n  required: 1\n  timeout: 10m\n")).unwrap();
    let out = env.cli_on(&queue, &["run", suite.to_str().unwrap(), "--requester", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let planned = wait_for(&client, &id, "awaiting approval", Duration::from_secs(60), |s| phase(s) == SuitePhase::AwaitingApproval).await.unwrap();
    let expected = env.expect(VLAN_STEPS).await;

    let faults = [Fault::inject(&env, 1, "refuse-writes"), Fault::inject(&env, 2, "refuse-all")];
    let approve = env.cli_on(&queue, &["approve", &id, "--reviewer", "bob", "--plan-hash", &planned.plan_hash]);
    assert_eq!(approve.status.code(), Some(0), "{}", String::from_utf8_lossy(&approve.stderr));
    let s = wait_for(&client, &id, "ended", Duration::from_secs(300), ended).await.unwrap();
    drop(faults);

    assert_eq!(phase(&s), SuitePhase::Failed, "{s:#?}");
    assert_eq!(s.devices[2].status, DeviceStatus::Succeeded as i32, "{:?}", s.devices[2]);
    for (i, action, says) in [
        (1, CompensationAction::NotApplied, "no record of it on the device"),
        (2, CompensationAction::Unknown, "may or may not have been written"),
    ] {
        let d = &s.devices[i - 1];
        assert_eq!(d.status, DeviceStatus::Failed as i32, "{d:?}");
        assert!(d.error.contains("can't access at least one of the keys"), "device {i}: {}", d.error);
        let entries: Vec<_> = s.compensation_log.iter().filter(|e| e.device == d.device).collect();
        assert!(entries.iter().any(|e| e.step_id == "1-create_vlan" && e.action == action as i32 && e.reason.contains(says)),
            "device {i}: {entries:?}");
    }
    env.check_invariant(&s, &expected).unwrap();
    for i in [1, 2] {
        assert_eq!(env.rows(i), expected.before[i - 1], "device {i} was written");
    }
}

/// A device that goes away and comes back: its first call succeeds on a
/// retry, and the result and the report say so, so the run does not read
/// like a clean one. Device 1's redis is down when the suite is approved,
/// and back a few seconds later.
#[tokio::test]
async fn a_step_that_needed_retries_is_reported_with_its_attempts() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let queue = format!("retries-{}", std::process::id());
    let _worker = impatient_worker(&env, &queue);
    let dir = std::env::temp_dir().join(format!("switchyard-retries-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let suite = dir.join("retries.yaml");
    std::fs::write(&suite, format!("name: retries\ntargets: {{ names: [sonic-d001, sonic-d002] }}\nsteps:\n{VLAN_STEPS}\
approval:\n  required: 1\n  timeout: 10m\n")).unwrap();
    let out = env.cli_on(&queue, &["run", suite.to_str().unwrap(), "--requester", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let planned = wait_for(&client, &id, "awaiting approval", Duration::from_secs(60), |s| phase(s) == SuitePhase::AwaitingApproval).await.unwrap();

    let down = Fault::inject(&env, 1, "stop-redis");
    let approve = env.cli_on(&queue, &["approve", &id, "--reviewer", "bob", "--plan-hash", &planned.plan_hash]);
    assert_eq!(approve.status.code(), Some(0), "{}", String::from_utf8_lossy(&approve.stderr));
    // A few attempts' worth (the retry policy backs off from 1 s), well
    // inside the attempts a device step gets.
    std::thread::sleep(Duration::from_secs(4));
    drop(down);
    let s = wait_for(&client, &id, "ended", Duration::from_secs(120), ended).await.unwrap();

    assert_eq!(phase(&s), SuitePhase::Succeeded, "{s:#?}");
    // The stall hits the device's first call (its lock, or the first step
    // when the lock was quicker): whichever it was, it is listed.
    let retried = &s.devices[0].retries;
    assert!(retried.iter().any(|r| ["lock", "apply"].contains(&r.kind.as_str()) && r.attempts >= 2), "{:#?}", s.devices[0]);
    assert!(s.devices[1].retries.is_empty(), "the healthy device needed no retry: {:?}", s.devices[1].retries);
    let report = env.cli_on(&queue, &["status", &id]);
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(text.contains("RETRIED") && (text.contains("lock ×") || text.contains("apply 1-create_vlan ×")), "{text}");
}
