//! A device's history across suites: after three suites and a rollback,
//! with the worker killed (SIGKILL) in the middle of one of them,
//! `switchyard device` shows every run once, in order, with who asked and
//! who approved, and the rows switchyard owns there now: the kept suites'
//! rows, not the rolled-back one's. Needs `tests/run.sh`; fails loudly
//! without it.

use std::time::Duration;

use switchyard_proto::v1::{DeviceHistory, SuitePhase};
use switchyard_tests::{TestEnv, ended, phase, started_suite_id, wait_for};

fn suite(name: &str, devices: &[usize], steps: &str, extra: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("switchyard-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let names: Vec<String> = devices.iter().map(|i| TestEnv::device_name(*i)).collect();
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, format!("name: {name}\ntargets:\n  names: [{}]\nsteps:\n{steps}{extra}", names.join(", "))).unwrap();
    path
}

fn vlan(id: u32) -> String {
    format!("  - create_vlan: {{ vlan_id: {id}, description: history }}\n")
}


#[tokio::test]
async fn a_devices_history_is_right_after_three_suites_a_rollback_and_a_crash() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let queue = "device-history";
    let mut worker = env.spawn_worker_under(queue, &env.inventory(), &env.unsigned_policy(), &[]);
    let client = env.client().await.unwrap();
    // Earlier tests may have changed these devices: count from here.
    let history_of = |device: &str| -> DeviceHistory {
        let out = env.cli_ok(queue, &["device", device, "-o", "json"]);
        switchyard_tests::device_history_from_cli(out.as_bytes()).unwrap_or_default()
    };
    let before = history_of("sonic-d006").recorded;
    let wait = |id: String| {
        let client = client.clone();
        async move { wait_for(&client, &id, "ended", Duration::from_secs(180), ended).await.unwrap() }
    };

    // One: a VLAN, approved by bob.
    let one = suite("history-one", &[6], &vlan(330), "approval:\n  required: 1\n  reviewers: [bob]\n  timeout: 10m\n");
    let id_one = started_suite_id(&env.cli_ok(queue, &["run", one.to_str().unwrap(), "--requester", "alice"])).unwrap();
    wait_for(&client, &id_one, "awaiting approval", Duration::from_secs(120), |s| phase(s) == SuitePhase::AwaitingApproval).await.unwrap();
    env.cli_ok(queue, &["approve", &id_one, "--reviewer", "bob"]);
    assert_eq!(phase(&wait(id_one.clone()).await), SuitePhase::Succeeded);

    // Two: another VLAN, the worker killed while it applies, then restarted.
    let two = suite("history-two", &[6], &vlan(331), "");
    let id_two = started_suite_id(&env.cli_ok(queue, &["run", two.to_str().unwrap(), "--requester", "carol"])).unwrap();
    wait_for(&client, &id_two, "applying", Duration::from_secs(120), |s| phase(s) == SuitePhase::Applying || switchyard_proto::vocabulary::is_final(phase(s))).await.unwrap();
    worker.kill();
    let _worker = env.spawn_worker_under(queue, &env.inventory(), &env.unsigned_policy(), &[]);
    assert_eq!(phase(&wait(id_two.clone()).await), SuitePhase::Succeeded);

    // Three: device 6 applies, device 7 then fails (its port taken after the
    // plan was approved), and the suite rolls device 6 back.
    let steps = "  - create_vlan: { vlan_id: 332, description: history }\n  - add_vlan_member: { vlan_id: 332, port: Ethernet0, tagging_mode: untagged }\n";
    let three = suite("history-three", &[6, 7], steps, "rollout:\n  parallelism: 1\n  on_failure: rollback\napproval:\n  required: 1\n  reviewers: [bob]\n  timeout: 10m\n");
    let id_three = started_suite_id(&env.cli_ok(queue, &["run", three.to_str().unwrap(), "--requester", "alice"])).unwrap();
    wait_for(&client, &id_three, "awaiting approval", Duration::from_secs(120), |s| phase(s) == SuitePhase::AwaitingApproval).await.unwrap();
    env.hset(7, "VLAN|Vlan300", &[("vlanid", "300")]);
    env.hset(7, "VLAN_MEMBER|Vlan300|Ethernet0", &[("tagging_mode", "untagged")]);
    env.cli_ok(queue, &["approve", &id_three, "--reviewer", "bob"]);
    assert_eq!(phase(&wait(id_three.clone()).await), SuitePhase::RolledBack);

    // The history: every run once, in order; the owned rows are the kept ones.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let history = loop {
        let h = history_of("sonic-d006");
        if h.recorded >= before + 4 || std::time::Instant::now() > deadline {
            break h;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    let ours = [id_one.as_str(), id_two.as_str(), id_three.as_str()];
    let runs: Vec<(&str, &str, &str)> = history.entries.iter().filter(|e| ours.contains(&e.suite_id.as_str()))
        .map(|e| (e.suite_id.as_str(), e.mode.as_str(), e.outcome.as_str())).collect();
    assert_eq!(runs, [
        (id_one.as_str(), "apply", "succeeded"),
        (id_two.as_str(), "apply", "succeeded"),
        (id_three.as_str(), "apply", "succeeded"),
        (id_three.as_str(), "rollback", "rolled_back"),
    ], "{history:#?}");
    assert_eq!(history.recorded, before + 4, "each run recorded once, the one the crash interrupted too");
    let first = history.entries.iter().find(|e| e.suite_id == id_one).unwrap();
    assert_eq!((first.requester.as_str(), first.approvers.as_slice(), first.suite_name.as_str()), ("alice", &["bob".to_string()][..], "history-one"));
    assert_eq!(history.entries.iter().find(|e| e.suite_id == id_two).unwrap().requester, "carol");
    let rollback = history.entries.iter().find(|e| e.suite_id == id_three && e.mode == "rollback").unwrap();
    assert!(rollback.rows_rolled_back.iter().any(|k| k == "VLAN|Vlan332"), "{history:#?}");
    let owned: Vec<&str> = history.owned.keys().map(String::as_str).filter(|k| k.contains("Vlan33")).collect();
    assert_eq!(owned, ["VLAN|Vlan330", "VLAN|Vlan331"], "{history:#?}");
    assert_eq!(history.owned["VLAN|Vlan330"].suite_id, id_one);
    assert_eq!(history.owned["VLAN|Vlan330"].fields.get("vlanid").map(String::as_str), Some("330"));
    // Device 7 failed on its own: its history says so, and it owns nothing of it.
    let seven = history_of("sonic-d007");
    let outcomes: Vec<&str> = seven.entries.iter().filter(|e| e.suite_id == id_three).map(|e| e.outcome.as_str()).collect();
    assert_eq!(outcomes, ["failed"], "{seven:#?}");
    assert!(!seven.owned.keys().any(|k| k.contains("Vlan332")), "{seven:#?}");
    // The table an operator reads.
    let table = env.cli_ok(queue, &["device", "sonic-d006"]);
    assert!(table.contains(&id_three) && table.contains("rolled_back") && table.contains("rows switchyard owns on sonic-d006:"), "{table}");
    // A name the inventory does not have is a typo, not a device left alone.
    let never = env.cli_on(queue, &["device", "sonic-d999"]);
    let said = String::from_utf8_lossy(&never.stderr);
    assert_eq!(never.status.code(), Some(2), "{said}");
    assert!(said.contains("sonic-d999 is not a device of") && said.contains("(did you mean sonic-d"), "{said}");
}
