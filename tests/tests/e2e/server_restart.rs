//! The Temporal server itself dies mid-suite (SIGKILL; its database file
//! stays) and is started again: the worker reconnects, the suite resumes
//! where the server's history says it was and finishes; every device ends in
//! its planned after-state, each step written exactly once.
//! Needs `tests/run.sh` (for the lab and the temporal CLI); fails loudly
//! without it. Runs a dev server of its own, on ports 7245/8245.

use std::time::{Duration, Instant};

use switchyard_proto::v1::{DeviceStatus, SuitePhase};
use switchyard_tests::{DevServer, FrozenRedis, TestEnv, VLAN_STEPS, ended, phase, started_suite_id, vlan_suite, wait_for};

#[tokio::test]
async fn suite_survives_a_server_restart() {
    let base = TestEnv::get();
    let _lab = base.lock_lab();
    let dir = std::env::temp_dir().join(format!("switchyard-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut server = DevServer::start(7245, 8245, &dir.join("temporal.db"));
    let env = base.on_server(&server.address());
    let queue = "restart";
    let _worker = env.spawn_worker(queue);
    let expected = env.expect(VLAN_STEPS).await;
    let before_hsets = env.hsets();

    // One device at a time; once planned, device 3's redis is frozen, so
    // device 3 is in flight (its call waiting on the device) when the
    // server dies.
    let suite = vlan_suite("server-restart", "rollout:\n  parallelism: 1\napproval:\n  required: 1\n  timeout: 10m\n");
    let out = env.cli_on(queue, &["run", suite.to_str().unwrap(), "--requester", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let client = env.client().await.unwrap();
    let planned = wait_for(&client, &id, "awaiting approval", Duration::from_secs(60), |s| phase(s) == SuitePhase::AwaitingApproval).await.unwrap();
    let frozen = FrozenRedis::new(&env, 3);
    let approve = env.cli_on(queue, &["approve", &id, "--reviewer", "bob", "--plan-hash", &planned.plan_hash]);
    assert_eq!(approve.status.code(), Some(0), "{}", String::from_utf8_lossy(&approve.stderr));
    let at_kill = wait_for(&client, &id, "device 3 applying", Duration::from_secs(60), |s| {
        s.devices.get(2).is_some_and(|d| d.status == DeviceStatus::Applying as i32)
    }).await.unwrap();

    server.kill();
    let down = Instant::now();
    // Down long enough for the worker's polls and task completions to fail;
    // the device answers meanwhile, to a worker that cannot report it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(frozen);
    tokio::time::sleep(Duration::from_secs(2)).await;
    server.restart();
    eprintln!("server down for {:?}; devices done at the kill: {}", down.elapsed(),
        at_kill.devices.iter().filter(|d| d.status == DeviceStatus::Succeeded as i32).count());

    // A fresh client: the old connection went with the server.
    let client = env.client().await.unwrap();
    let s = wait_for(&client, &id, "ended", Duration::from_secs(180), ended).await.unwrap();
    assert_eq!(phase(&s), SuitePhase::Succeeded, "{s:#?}");
    env.check_invariant(&s, &expected).unwrap();
    for i in 1..=env.device_count() {
        assert_eq!(env.rows(i), expected.after[i - 1], "device {i}");
    }
    // Each device: the lock record, and two steps of one HSET for the row
    // and one for the journal record apiece; nothing written twice across
    // the restart.
    let writes: Vec<u64> = env.hsets().iter().zip(&before_hsets).map(|(a, b)| a - b).collect();
    assert!(writes.iter().all(|w| *w == 5), "HSETs per device: {writes:?}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
