//! Confirmed commit end to end: before a device's first write the switch
//! takes a checkpoint and starts a timer that restores it; the change is
//! confirmed over a fresh connection once its checks hold. A device cut off
//! by its own change restores itself when the timer fires, with no call
//! from switchyard. The lab runs GCU's `config checkpoint`/`rollback` and
//! transient systemd timers (`lab/config.py`, `lab/systemd.py`) inside each
//! device's namespace, so the timer fires with the link down, as a switch's
//! would. Needs `tests/run.sh`; fails loudly without it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use switchyard_proto::names;
use switchyard_proto::v1::{CompensationAction, DeviceStatus, SuitePhase};
use switchyard_tests::{Fault, TestEnv, ended, started_suite_id, wait_for};

const SUITE_TIMEOUT: Duration = Duration::from_secs(240);

fn suite(name: &str, device: usize, body: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("switchyard-confirm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("suite dir");
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, format!("name: {name}\ntargets:\n  names: [{}]\n{body}", TestEnv::device_name(device))).expect("write suite");
    path
}

/// What is left of a device's confirmed commit on the switch: its
/// checkpoint file and its waiting timer.
fn leftovers(env: &TestEnv, device: usize, name: &str) -> (bool, bool) {
    let dir = env.lab_dir.join(format!("dev/{device}"));
    (dir.join(format!("etc/sonic/checkpoints/{name}.cp.json")).exists(), dir.join(format!("run/{name}.timer")).exists())
}

#[tokio::test]
async fn a_confirmed_device_keeps_its_change_and_leaves_nothing_armed() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let device = 3;
    let body = "steps:\n  - create_vlan: { vlan_id: 460 }\nchecks:\n  post:\n    - { state_db: \"PORT_TABLE|Ethernet0\", field: state, equals: ok }\nrollout:\n  confirm: 1m\n";
    let out = env.cli(&["run", suite("confirm-ok", device, body).to_str().unwrap(), "--requester", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let client = env.client().await.unwrap();
    let status = wait_for(&client, &id, "ended", SUITE_TIMEOUT, ended).await.unwrap();
    assert_eq!(status.phase, SuitePhase::Succeeded as i32, "{status:#?}");
    let d = &status.devices[0];
    assert!(d.armed && d.confirmed && !d.reverted_by_switch, "{d:#?}");
    let name = names::confirm_name(&id, &TestEnv::device_name(device));
    assert_eq!(leftovers(&env, device, &name), (false, false), "the checkpoint is dropped and the timer stopped");
    assert!(env.rows(device).contains_key("VLAN|Vlan460"), "the change stands");
}

/// The change cuts the device off (its link goes down right after the
/// write): the post-check cannot read it, switchyard cannot undo or confirm
/// it, and the switch restores its checkpoint by itself when the timer
/// fires; once the link is back the device is as it was before the suite.
#[tokio::test]
async fn a_device_cut_off_by_its_change_restores_itself() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let device = 4;
    let before = env.rows(device);
    let body = "steps:\n  - create_vlan: { vlan_id: 470 }\nchecks:\n  post:\n    - { state_db: \"PORT_TABLE|Ethernet0\", field: state, equals: ok, within: 5s }\nrollout:\n  confirm: 1m\n";
    let out = env.cli(&["run", suite("confirm-cut", device, body).to_str().unwrap(), "--requester", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    // The moment the row is written, the device's link goes down.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !env.rows(device).contains_key("VLAN|Vlan470") {
        assert!(Instant::now() < deadline, "the change was never written");
        std::thread::sleep(Duration::from_millis(20));
    }
    let link = Fault::inject(&env, device, "link-down");
    let name = names::confirm_name(&id, &TestEnv::device_name(device));
    // No call reaches the device; its own timer restores it (about 65 s).
    let restored = Instant::now() + Duration::from_secs(150);
    while env.rows(device).contains_key("VLAN|Vlan470") {
        assert!(Instant::now() < restored, "the switch never reverted by itself");
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(env.rows(device), before, "the device is back at its pre-suite rows, restored on the switch");
    assert!(!leftovers(&env, device, &name).1, "the timer has fired");
    drop(link);
    let client = env.client().await.unwrap();
    let status = wait_for(&client, &id, "ended", SUITE_TIMEOUT, ended).await.unwrap();
    let d = &status.devices[0];
    assert_eq!(d.status, DeviceStatus::Failed as i32, "{d:#?}");
    // Found on reconnection once the timer was due: the switch reverted,
    // and the step is said restored (by the switch), not left in place.
    assert!(d.armed && !d.confirmed && d.reverted_by_switch, "{d:#?}");
    assert!(d.error.contains("reverted by the switch"), "{}", d.error);
    assert_eq!((d.restored, d.left_in_place), (1, 0), "{d:#?}");
    let step = status.compensation_log.iter().find(|e| e.step_id == "1-create_vlan").unwrap_or_else(|| panic!("the step's entry: {status:#?}"));
    assert!(step.action == CompensationAction::Restored as i32 && !step.remains && step.reason.contains("restored by the switch"), "{step:#?}");
    let report = String::from_utf8_lossy(&env.cli(&["status", &id]).stdout).to_string();
    assert!(report.contains("failed, reverted by the switch"), "{report}");
    assert_eq!(env.rows(device), before, "and stays so once reachable again");
}

/// The worker is SIGKILLed inside the window (after the arm and the write,
/// while the post-check waits) and restarted: the device is confirmed once,
/// and its switch never reverts it, also long after the armed timer would
/// have fired.
#[tokio::test]
async fn a_worker_killed_inside_the_window_confirms_once_and_the_switch_keeps_the_change() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let device = 5;
    let queue = format!("confirm-kill-{}", std::process::id());
    let mut worker = env.spawn_worker(&queue);
    let gate = "SWITCHYARD_TEST_GATE|confirm";
    let mut state_db = env.device_redis(device);
    let _: () = redis::cmd("SELECT").arg(6).query(&mut state_db).unwrap();
    let _: i64 = redis::cmd("DEL").arg(gate).query(&mut state_db).unwrap();
    // The post-check holds only once the test says so (after the restart).
    let body = format!("steps:\n  - create_vlan: {{ vlan_id: 480 }}\nchecks:\n  post:\n    - {{ state_db: \"{gate}\", field: open, equals: \"yes\", within: 30s }}\nrollout:\n  confirm: 1m\n");
    let out = env.cli_on(&queue, &["run", suite("confirm-kill", device, &body).to_str().unwrap(), "--requester", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let name = names::confirm_name(&id, &TestEnv::device_name(device));
    let deadline = Instant::now() + Duration::from_secs(90);
    while !(env.rows(device).contains_key("VLAN|Vlan480") && leftovers(&env, device, &name).1) {
        assert!(Instant::now() < deadline, "never armed and written");
        std::thread::sleep(Duration::from_millis(50));
    }
    let armed_at = Instant::now();
    worker.kill();
    let mut worker = env.spawn_worker(&queue);
    std::thread::sleep(Duration::from_secs(3));
    let _: i64 = redis::cmd("HSET").arg(gate).arg("open").arg("yes").query(&mut state_db).unwrap();
    let client = env.client().await.unwrap();
    let status = wait_for(&client, &id, "ended", SUITE_TIMEOUT, ended).await.unwrap();
    let d = &status.devices[0];
    assert_eq!(status.phase, SuitePhase::Succeeded as i32, "{status:#?}");
    assert!(d.armed && d.confirmed && !d.reverted_by_switch, "{d:#?}");
    assert_eq!(leftovers(&env, device, &name), (false, false), "confirmed: no checkpoint, no timer");
    // Past when the timer armed before the kill would have fired (the
    // check's 30 s plus the 60 s margin): the change stands.
    let past_due = armed_at + Duration::from_secs(100);
    while Instant::now() < past_due {
        std::thread::sleep(Duration::from_secs(2));
    }
    assert!(env.rows(device).contains_key("VLAN|Vlan480"), "the switch never reverted the confirmed change");
    assert!(!env.lab_dir.join(format!("dev/{device}/run/{name}.fired")).exists(), "the revert timer never fired");
    let _: i64 = redis::cmd("DEL").arg(gate).query(&mut state_db).unwrap();
    worker.kill();
}

/// Confirmed commit is on by default, and a switch that cannot take its
/// checkpoint (its database refuses every command) gets no write at all:
/// the device fails saying why, and nothing of the suite is on it.
#[tokio::test]
async fn a_switch_that_cannot_arm_its_revert_is_not_written() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let device = 7;
    let before = env.rows(device);
    let body = "steps:\n  - create_vlan: { vlan_id: 490 }\napproval:\n  required: 1\n";
    let out = env.cli(&["run", suite("confirm-unarmed", device, body).to_str().unwrap(), "--requester", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let client = env.client().await.unwrap();
    // Planned while the device answered; then its database refuses all.
    let planned = wait_for(&client, &id, "awaiting approval", SUITE_TIMEOUT, |s| s.phase == SuitePhase::AwaitingApproval as i32).await.unwrap();
    let refused = Fault::inject(&env, device, "refuse-all");
    let approve = env.cli(&["approve", &id, "--reviewer", "bob", "--plan-hash", &planned.plan_hash]);
    assert_eq!(approve.status.code(), Some(0), "{}", String::from_utf8_lossy(&approve.stderr));
    let status = wait_for(&client, &id, "ended", SUITE_TIMEOUT, ended).await.unwrap();
    drop(refused);
    let d = &status.devices[0];
    assert_eq!(d.status, DeviceStatus::Failed as i32, "{d:#?}");
    assert!(!d.armed && d.steps_applied.is_empty(), "{d:#?}");
    assert!(d.error.contains("the switch's revert could not be armed, so nothing was written"), "{}", d.error);
    assert_eq!(env.rows(device), before, "nothing written");
}
