//! Device checks end to end: a change is done when the device works, not
//! when its rows are written.
//!
//! The lab's `lab/health.py` plays SONiC's daemons for health: an admin-up
//! port is oper up in APPL_DB (down under the `port-down` fault), and a BGP
//! neighbor of the default VRF goes Established in STATE_DB two seconds
//! after it is configured when another lab device holds its address,
//! Active otherwise. A real session's FSM, learned routes and counters only
//! a real switch shows. Needs `tests/run.sh`; fails loudly without it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use switchyard_proto::v1::{CheckWhen, DeviceResult, DeviceStatus, SuitePhase, SuiteStatus};
use switchyard_proto::names;
use switchyard_tests::{Fault, TestEnv, ended, record_history, started_suite_id, wait_for};

const SUITE_TIMEOUT: Duration = Duration::from_secs(180);

fn suite(name: &str, devices: &[usize], body: &str) -> PathBuf {
    switchyard_tests::suite_on("checks", name, devices, body)
}

async fn run(env: &TestEnv, path: &Path) -> SuiteStatus {
    switchyard_tests::run_to_end(env, path).await
}

fn device(status: &SuiteStatus, i: usize) -> &DeviceResult {
    switchyard_tests::device_result(status, i)
}

/// The lab's loopback address of device `i` (seeded as a real switch's).
fn loopback(i: usize) -> String {
    format!("10.1.{}.{}", i / 250, i % 250)
}

/// A change whose device works: the suite's own pre- and post-checks and
/// the catalogue's (the new member's port is up, the new BGP session to
/// another lab device establishes) all hold, and the readings are in the
/// status, its report and the device's JSON.
#[tokio::test]
async fn a_healthy_change_reads_its_checks_and_reports_them() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let (changed, peer) = (9, 10);
    let body = format!("steps:
  - create_vlan: {{ vlan_id: 400 }}
  - add_vlan_member: {{ vlan_id: 400, port: Ethernet8, tagging_mode: tagged }}
  - add_bgp_neighbor: {{ neighbor: {peer_address}, remote_asn: {asn} }}
checks:
  builtin: true
  within: 20s
  pre:
    - {{ state_db: \"PORT_TABLE|Ethernet8\", field: state, equals: ok }}
  post:
    - {{ name: the VLAN is in CONFIG_DB's view of the port, appl_db: \"PORT_TABLE:Ethernet8\", field: oper_status, not_equals: down }}
", peer_address = loopback(peer), asn = 65000 + peer);
    let status = run(&env, &suite("checks-healthy", &[changed], &body)).await;
    assert_eq!(status.phase, SuitePhase::Succeeded as i32, "{status:#?}");
    let d = device(&status, changed);
    let readings: Vec<(i32, &str, bool)> = d.checks.iter().map(|r| (r.when, r.name.as_str(), r.passed)).collect();
    let bgp = format!("BGP neighbor {} established", loopback(peer));
    assert_eq!(readings, vec![
        (CheckWhen::Pre as i32, "STATE_DB PORT_TABLE|Ethernet8: state = ok", true),
        (CheckWhen::Post as i32, "the VLAN is in CONFIG_DB's view of the port", true),
        (CheckWhen::Post as i32, "VLAN 400 member Ethernet8 up", true),
        (CheckWhen::Post as i32, bgp.as_str(), true),
    ], "{d:#?}");
    let established = &d.checks[3];
    assert_eq!((established.observed.as_str(), established.origin.as_str()), ("state = Established", "3-add_bgp_neighbor"), "{established:#?}");
    assert!(!established.at.is_empty() && established.source == format!("STATE_DB NEIGH_STATE_TABLE|{}", loopback(peer)), "{established:#?}");
    // The device's health around the change: one more session established.
    let (before, after) = (d.health_before.as_ref().unwrap(), d.health_after.as_ref().unwrap());
    assert_eq!((before.ports_up, before.ports, before.bgp_established, before.bgp_neighbors), (32, 32, 0, 0), "{before:#?}");
    assert_eq!((after.ports_up, after.ports, after.bgp_established, after.bgp_neighbors), (32, 32, 1, 1), "{after:#?}");
    let report = env.cli(&["status", &status.suite_id]);
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(report.contains("4/4 passed") && report.contains(&bgp) && report.contains("state = Established"), "the report shows the readings:\n{report}");
    assert!(report.contains("health (before → after the change):") && report.contains("0/0 → 1/1"), "the report shows the health:\n{report}");
}

/// A BGP peer that never comes up fails its device on the post-check,
/// naming the neighbor and the state it is in; the device's own steps are
/// undone, the canary's failure rolls the suite back, and the next wave
/// never starts.
#[tokio::test]
async fn a_peer_that_does_not_come_up_fails_its_device_and_stops_the_rollout() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let (canary, next) = (11, 12);
    let (canary_before, next_before) = (env.rows(canary), env.rows(next));
    // Nobody in the lab holds 10.250.0.9: the session stays Active.
    let body = "steps:
  - create_vlan: { vlan_id: 410 }
  - add_bgp_neighbor: { neighbor: 10.250.0.9, remote_asn: 65250 }
checks:
  builtin: true
  within: 4s
rollout:
  parallelism: 1
  waves: [1]
  on_failure: rollback
";
    let status = run(&env, &suite("checks-peer-down", &[canary, next], body)).await;
    assert_eq!(status.phase, SuitePhase::RolledBack as i32, "{status:#?}");
    let d = device(&status, canary);
    assert_eq!(d.status, DeviceStatus::Failed as i32, "{d:#?}");
    assert!(d.error.contains("post-check failed") && d.error.contains("BGP neighbor 10.250.0.9 established")
        && d.error.contains("state = Active"), "the error names the neighbor and its state: {}", d.error);
    let failed: Vec<&str> = d.checks.iter().filter(|r| !r.passed).map(|r| r.observed.as_str()).collect();
    assert_eq!(failed, vec!["state = Active"], "{d:#?}");
    let after = d.health_after.as_ref().expect("health after the change");
    assert_eq!(after.not_established, vec!["10.250.0.9 Active".to_string()], "{after:#?}");
    assert!(d.checks.iter().all(|r| r.waited_seconds <= 10), "a check gives up at its settle time: {d:#?}");
    assert_eq!(d.steps_compensated.len(), 2, "the device undid its own steps: {d:#?}");
    assert_eq!(env.rows(canary), canary_before, "the canary is as it was");
    let second = device(&status, next);
    assert!(second.steps_applied.is_empty() && second.checks.is_empty(), "the next wave never started: {second:#?}");
    assert_eq!(env.rows(next), next_before);
    record_history(&env, &status.suite_id, "suite_checks_canary_failed.binpb").await;
    let canary_run = names::device_workflow_id(&status.suite_id, &TestEnv::device_name(canary), "apply");
    record_history(&env, &canary_run, "device_post_check_failed.binpb").await;
}

/// A pre-check that does not hold fails the device before its first
/// write: a port the lab reports down is not changed at all.
#[tokio::test]
async fn a_failed_pre_check_writes_nothing() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let target = 13;
    let before = env.rows(target);
    let _down = Fault::inject(&env, target, "port-down");
    // The lab's daemons report it within a second or two, as a switch would.
    let mut conn = env.device_redis(target);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let oper: Option<String> = redis::cmd("SELECT").arg(0).query::<()>(&mut conn)
            .and_then(|()| redis::cmd("HGET").arg("PORT_TABLE:Ethernet4").arg("oper_status").query(&mut conn)).unwrap();
        if oper.as_deref() == Some("down") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "lab/health.py never reported the port down (is it running? see the lab's health.log)");
        std::thread::sleep(Duration::from_millis(200));
    }
    let body = "steps:
  - create_vlan: { vlan_id: 420 }
  - add_vlan_member: { vlan_id: 420, port: Ethernet4 }
checks:
  pre:
    - { name: uplink up, appl_db: \"PORT_TABLE:Ethernet4\", field: oper_status, equals: up, within: 3s }
";
    let status = run(&env, &suite("checks-pre", &[target], body)).await;
    assert_ne!(status.phase, SuitePhase::Succeeded as i32, "{status:#?}");
    let d = device(&status, target);
    assert_eq!(d.status, DeviceStatus::Failed as i32, "{d:#?}");
    assert!(d.error.contains("pre-check failed: uplink up (expected oper_status = up, saw oper_status = down"), "{}", d.error);
    assert!(d.steps_applied.is_empty(), "{d:#?}");
    assert_eq!(env.rows(target), before, "nothing was written");
    let run = names::device_workflow_id(&status.suite_id, &TestEnv::device_name(target), "apply");
    record_history(&env, &run, "device_pre_check_failed.binpb").await;
}

/// A policy rule may require post-checks: a suite that reads none on the
/// devices it covers is refused before anything is read or written, naming
/// the device, the rule and what to add; with checks it runs.
#[tokio::test]
async fn a_policy_that_requires_checks_refuses_a_suite_without_them() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let queue = "switchyard-checks-policy";
    let target = 14;
    let before = env.rows(target);
    let policy = std::env::temp_dir().join(format!("switchyard-checks-{}/policy.yaml", std::process::id()));
    std::fs::create_dir_all(policy.parent().unwrap()).unwrap();
    let text = std::fs::read_to_string(env.unsigned_policy()).unwrap();
    std::fs::write(&policy, text.replace("    operate: [\"*\"]\n", "    operate: [\"*\"]\n    checks: required\n    min_check_within: 5s\n")).unwrap();
    assert!(std::fs::read_to_string(&policy).unwrap().contains("checks: required"), "the lab's unsigned policy changed shape");
    let _worker = env.spawn_worker_under(queue, &env.inventory(), &policy, &[]);
    let client = env.client().await.unwrap();
    let run_on = |name: &str, body: &str| {
        let out = env.cli_on(queue, &["run", suite(name, &[target], body).to_str().unwrap(), "--requester", "alice"]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap()
    };
    let id = run_on("checks-policy-none", "steps:\n  - create_vlan: { vlan_id: 430 }\n");
    let status = wait_for(&client, &id, "ended", SUITE_TIMEOUT, ended).await.unwrap();
    assert_eq!(status.phase, SuitePhase::Failed as i32, "{status:#?}");
    assert!(status.error.contains(&format!("{}: rule everything requires post-checks and the suite reads none (add checks.post, or checks.builtin: true)", TestEnv::device_name(target))),
        "{}", status.error);
    assert_eq!(env.rows(target), before, "nothing was written");
    let id = run_on("checks-policy-some", "steps:\n  - create_vlan: { vlan_id: 430 }\nchecks:\n  within: 5s\n  post:\n    - { state_db: \"PORT_TABLE|Ethernet0\", field: state, equals: ok }\n");
    let status = wait_for(&client, &id, "ended", SUITE_TIMEOUT, ended).await.unwrap();
    assert_eq!(status.phase, SuitePhase::Succeeded as i32, "{status:#?}");
    assert!(device(&status, target).checks.iter().all(|r| r.passed), "{status:#?}");
}

/// A change that holds at first and breaks during the soak: the gate that
/// reads the wave's post-checks again after the soak finds the canary's
/// port down, rolls the canary back and never starts the next wave.
#[tokio::test]
async fn a_check_that_breaks_during_the_soak_stops_the_next_wave() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let (canary, next) = (19, 20);
    let (canary_before, next_before) = (env.rows(canary), env.rows(next));
    let body = "steps:
  - create_vlan: { vlan_id: 450 }
  - add_vlan_member: { vlan_id: 450, port: Ethernet12 }
checks:
  builtin: true
  within: 5s
rollout:
  parallelism: 1
  waves: [1]
  soak: 10s
  on_failure: rollback
  gates:
    - { name: still healthy, checks: true }
";
    let out = env.cli(&["run", suite("checks-soak", &[canary, next], body).to_str().unwrap(), "--requester", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let client = env.client().await.unwrap();
    let canary_name = TestEnv::device_name(canary);
    wait_for(&client, &id, "the canary succeeded", SUITE_TIMEOUT, |s| {
        s.devices.iter().any(|d| d.device == canary_name && d.status == DeviceStatus::Succeeded as i32)
    }).await.unwrap();
    // During the soak the canary's ports go down.
    let _down = Fault::inject(&env, canary, "port-down");
    let status = wait_for(&client, &id, "ended", SUITE_TIMEOUT, ended).await.unwrap();
    assert_eq!(status.phase, SuitePhase::RolledBack as i32, "{status:#?}");
    let gate = &status.gates[0];
    assert!(!gate.passed && gate.observed.contains(&format!("{canary_name}: VLAN 450 member Ethernet12 up now shows oper_status = down")), "{gate:#?}");
    assert_eq!(device(&status, next).status, DeviceStatus::Skipped as i32, "{status:#?}");
    assert_eq!((env.rows(canary), env.rows(next)), (canary_before, next_before));
}

/// Read-only commands as checks, run on the switch over its SSH session: a
/// ping to the lab's gateway holds, a ping to an address nobody holds does
/// not (which one check expects, and another fails its device on, undoing
/// its change); a command the allow-list refuses is refused at its line
/// before anything starts; a device whose forwarding is blackholed fails
/// its pre-check and is not written. The lab's devices are network
/// namespaces, so their pings are real; `show` (SONiC's CLI) exists only
/// on a switch.
#[tokio::test]
async fn commands_run_on_the_switch_as_checks() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let subnet = std::env::var("LAB_SUBNET").expect("LAB_SUBNET: run the end-to-end tests through tests/run.sh");
    let target = 14;
    let body = format!("steps:
  - create_vlan: {{ vlan_id: 425 }}
checks:
  post:
    - {{ name: gateway reachable, command: \"ping -c 2 -W 1 {subnet}.0.1\", within: 10s }}
    - {{ name: nobody answers, command: \"ping -c 1 -W 1 {subnet}.255.250\", succeeds: false, within: 10s }}
");
    let status = run(&env, &suite("checks-commands", &[target], &body)).await;
    assert_eq!(status.phase, SuitePhase::Succeeded as i32, "{status:#?}");
    let d = device(&status, target);
    let reading = |name: &str| d.checks.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("{name}: {d:#?}")).clone();
    let gateway = reading("gateway reachable");
    assert!(gateway.passed && gateway.observed == "exit 0" && gateway.expected == "exit 0", "{gateway:#?}");
    assert_eq!(gateway.source, format!("command ping -c 2 -W 1 {subnet}.0.1"));
    assert!(reading("nobody answers").passed, "{d:#?}");
    let before = env.rows(target);

    let body = format!("steps:
  - create_vlan: {{ vlan_id: 426 }}
checks:
  post:
    - {{ name: peer reachable, command: \"ping -c 1 -W 1 {subnet}.255.250\", within: 3s }}
");
    let status = run(&env, &suite("checks-commands-fail", &[target], &body)).await;
    let d = device(&status, target);
    assert_eq!(d.status, DeviceStatus::Failed as i32, "{d:#?}");
    assert!(d.error.contains("post-check failed: peer reachable (expected exit 0, saw exit status 1"), "{}", d.error);
    assert_eq!(env.rows(target), before, "the change was undone");

    // The `blackhole` fault breaks the device's forwarding but not its
    // management path: the change is written, the ping to another lab
    // device (15) fails, and the change is undone.
    let peer = format!("{subnet}.1.15");
    let body = format!("steps:
  - create_vlan: {{ vlan_id: 428 }}
checks:
  pre:
    - {{ name: peer before, command: \"ping -c 1 -W 1 {peer}\", within: 5s }}
  post:
    - {{ name: peer after, command: \"ping -c 1 -W 1 {peer}\", within: 3s }}
");
    let blackhole = Fault::inject(&env, target, "blackhole");
    let status = run(&env, &suite("checks-commands-blackhole", &[target], &body)).await;
    drop(blackhole);
    let d = device(&status, target);
    assert_eq!(d.status, DeviceStatus::Failed as i32, "{d:#?}");
    // The lab's blackhole route makes ping fail at once (exit 2); a switch
    // dropping the traffic makes it time out (exit 1): either fails.
    assert!(d.error.contains("pre-check failed: peer before (expected exit 0, saw exit status"), "{}", d.error);
    assert_eq!(env.rows(target), before, "nothing written");

    let refused = suite("checks-commands-refused", &[target], "steps:\n  - create_vlan: { vlan_id: 427 }\nchecks:\n  post:\n    - { command: \"config reload -y\" }\n");
    let out = env.cli(&["run", refused.to_str().unwrap(), "--requester", "alice"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("checks.post[0].command") && said.contains("\"config\" is not a program a check may run"), "{said}");
    assert_eq!(env.rows(target), before, "nothing started");
}
