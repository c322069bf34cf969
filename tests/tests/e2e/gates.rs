//! Gates between waves against a real Prometheus: after a wave (and its
//! soak) each gate's query must stay within bounds for its duration before
//! the next wave starts; one that fails stops the rollout as `on_failure`
//! says. The worker knows its Prometheus by name (`--prometheus`); a suite
//! names it and cannot point the worker elsewhere. Needs `tests/run.sh`,
//! which installs the `prometheus` binary; fails loudly without it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use switchyard_proto::v1::{DeviceStatus, SuitePhase, SuiteStatus};
use switchyard_tests::prometheus::Prometheus;
use switchyard_tests::{TestEnv, ended, started_suite_id, wait_for};

const QUEUE: &str = "switchyard-gates";
const SUITE_TIMEOUT: Duration = Duration::from_secs(180);

fn suite(name: &str, devices: &[usize], body: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("switchyard-gates-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("suite dir");
    let names: Vec<String> = devices.iter().map(|i| TestEnv::device_name(*i)).collect();
    let path = dir.join(format!("{name}.yaml"));
    let text = format!("name: {name}\ntargets:\n  names: [{}]\nsteps:\n  - create_vlan: {{ vlan_id: 440 }}\nrollout:\n  parallelism: 1\n  waves: [1]\n{body}", names.join(", "));
    std::fs::write(&path, text).expect("write suite");
    path
}

async fn run(env: &TestEnv, path: &Path) -> SuiteStatus {
    let out = env.cli_on(QUEUE, &["run", path.to_str().unwrap(), "--requester", "alice"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stdout:\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr));
    let suite_id = started_suite_id(&stdout).unwrap();
    let client = env.client().await.unwrap();
    wait_for(&client, &suite_id, "ended", SUITE_TIMEOUT, ended).await.unwrap()
}

#[tokio::test]
async fn a_gate_lets_the_next_wave_start_only_while_its_query_holds() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    // The worker's own scrape port is what Prometheus watches; the worker
    // queries that Prometheus by the name `default`.
    let prometheus_port = switchyard_tests::prometheus::free_port();
    let endpoint = format!("default=http://127.0.0.1:{prometheus_port}");
    let _worker = env.spawn_worker_under(QUEUE, &env.inventory(), &env.unsigned_policy(), &[("SWITCHYARD_PROMETHEUS", &endpoint)]);
    let prom = Prometheus::start_on("gates", prometheus_port, &[&env.scrape_address(QUEUE)]);
    prom.wait_for_value(r#"sum(up{job="switchyard-worker"})"#, 1.0);

    // A gate that holds, on a query naming the wave's devices: the next wave runs.
    let (first, second) = (15, 16);
    let holds = "  gates:\n    - name: nothing missing\n      query: 'absent(no_such_metric{device=~\"{{ wave.devices }}\"})'\n      min: 1\n      for: 3s\n";
    let status = run(&env, &suite("gates-hold", &[first, second], holds)).await;
    assert_eq!(status.phase, SuitePhase::Succeeded as i32, "{status:#?}");
    let reading = &status.gates[..];
    assert_eq!(reading.len(), 1, "one gate, after the first of two waves: {reading:#?}");
    assert!(reading[0].passed && reading[0].wave == 1 && reading[0].held_seconds >= 3, "{reading:#?}");
    assert!(reading[0].query.contains(&format!("device=~\"{}\"", TestEnv::device_name(first))), "the query names the wave's devices: {}", reading[0].query);
    assert_eq!(reading[0].expected, "every sample >= 1 for 3s");

    // A gate whose query is out of bounds: the canary is rolled back and
    // the next wave never starts.
    let (canary, next) = (17, 18);
    let (canary_before, next_before) = (env.rows(canary), env.rows(next));
    let fails = "  on_failure: rollback\n  gates:\n    - name: worker down\n      query: 'sum(up{job=\"switchyard-worker\"})'\n      max: 0\n";
    let status = run(&env, &suite("gates-fail", &[canary, next], fails)).await;
    assert_eq!(status.phase, SuitePhase::RolledBack as i32, "{status:#?}");
    let gate = &status.gates[0];
    assert!(!gate.passed && gate.observed == "{} = 1", "{gate:#?}");
    assert!(status.error.contains("gate \"worker down\" after wave 1: {} = 1 (expected every sample <= 0)") || status.devices.iter().any(|d| d.error.contains("gate \"worker down\"")),
        "the suite says which gate stopped it: {status:#?}");
    let by_name = |i: usize| status.devices.iter().find(|d| d.device == TestEnv::device_name(i)).unwrap();
    assert_eq!(by_name(canary).status, DeviceStatus::RolledBack as i32, "{status:#?}");
    assert_eq!(by_name(next).status, DeviceStatus::Skipped as i32, "{status:#?}");
    assert_eq!((env.rows(canary), env.rows(next)), (canary_before, next_before));
    let report = env.cli_on(QUEUE, &["status", &status.suite_id]);
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(report.contains("gates:") && report.contains("worker down") && report.contains("FAILED"), "{report}");

    // A suite cannot point the worker at a Prometheus it does not know:
    // the gate fails, naming the endpoint; `continue` goes on regardless.
    let elsewhere = "  on_failure: continue\n  gates:\n    - { prometheus: elsewhere, query: 'vector(0)', max: 0 }\n";
    let status = run(&env, &suite("gates-elsewhere", &[canary, next], elsewhere)).await;
    assert_eq!(status.phase, SuitePhase::Succeeded as i32, "{status:#?}");
    assert!(!status.gates[0].passed && status.gates[0].observed.contains("this worker has no Prometheus endpoint \"elsewhere\""), "{:#?}", status.gates);
}
