//! Drift and schedules on the real dev server, worker and lab, with a real
//! HTTP receiver for the events: a hand edit of a row switchyard owns is
//! found and reported like the fleet diff, webhooks hear of it, and the
//! remediation suite puts the row back only after its approval; a Temporal
//! Schedule with a short interval runs drift checks and a scheduled suite,
//! whose runs are suites of their own (one awaiting approval makes the
//! schedule skip, not pile up). Needs `tests/run.sh`; fails loudly without it.

use std::time::{Duration, Instant};

use switchyard_proto::v1::{DriftReport, SuitePhase};
use switchyard_tests::receiver::{Received, Receiver};
use switchyard_tests::{TestEnv, phase, started_suite_id, wait_for};

/// A 32-byte key, as Standard Webhooks secrets are given out.
const SECRET: &str = "whsec_c3dpdGNoeWFyZC10ZXN0LXdlYmhvb2stc2VjcmV0LTMy";

fn file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("switchyard-drift-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The CLI's exit code and stdout, with stderr for messages.
fn cli(env: &TestEnv, queue: &str, args: &[&str]) -> (i32, String, String) {
    let out = env.cli_on(queue, args);
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn field(env: &TestEnv, device: usize, key: &str, name: &str) -> Option<String> {
    env.rows(device).get(key).and_then(|r| r.get(name).cloned())
}

#[tokio::test]
async fn a_hand_edit_is_found_told_and_remediated_only_after_approval() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.expect("dev server (run through tests/run.sh)");
    let receiver = Receiver::start(Box::new(|_: &Received, _| (200, Duration::ZERO)));
    let hooks = file("hooks.yaml", &format!(
        "subscriptions:\n  - name: noc\n    url: http://{}/noc\n    secret_env: SY_TEST_HOOK_SECRET\n    events: [drift.detected, remediation.proposed]\n",
        receiver.address));
    let queue = "drift-remediate";
    let _worker = env.spawn_worker_under(queue, &env.inventory(), &env.unsigned_policy(),
        &[("SWITCHYARD_WEBHOOKS", hooks.to_str().unwrap()), ("SY_TEST_HOOK_SECRET", SECRET)]);
    let device = 8;
    let name = TestEnv::device_name(device);

    // switchyard makes VLAN 330 with a member on the device.
    let suite = file("base.yaml", &format!("name: drift-base\ntargets:\n  names: [{name}]\nsteps:\n\
        \x20 - create_vlan: {{ vlan_id: 330, description: tenant-a }}\n\
        \x20 - add_vlan_member: {{ vlan_id: 330, port: Ethernet0, tagging_mode: tagged }}\n"));
    let base = started_suite_id(&env.cli_ok(queue, &["run", suite.to_str().unwrap(), "--requester", "alice"])).unwrap();
    wait_for(&client, &base, "succeeded", Duration::from_secs(120), |s| phase(s) == SuitePhase::Succeeded).await.unwrap();
    let (code, out, err) = cli(&env, queue, &["drift", "check", &name]);
    assert_eq!(code, 0, "no drift right after the suite:\n{out}\n{err}");
    assert!(out.contains("no drift"), "{out}");

    // Someone edits the VLAN by hand and deletes the member.
    env.hset(device, "VLAN|Vlan330", &[("description", "by-hand")]);
    let _: i64 = redis::cmd("DEL").arg("VLAN_MEMBER|Vlan330|Ethernet0").query(&mut env.device_redis(device)).unwrap();

    let (code, out, err) = cli(&env, queue, &["drift", "check", &name]);
    assert_eq!(code, 5, "drift found exits 5:\n{out}\n{err}");
    assert!(out.contains(&format!("1 device: {name}")), "grouped like the fleet diff:\n{out}");
    assert!(out.contains(&format!("~ VLAN|Vlan330 (suite {base})")) && out.contains("description: tenant-a → by-hand"), "{out}");
    assert!(out.contains(&format!("- VLAN_MEMBER|Vlan330|Ethernet0 deleted; switchyard wrote tagging_mode=tagged (suite {base})")), "{out}");
    let (_, json, _) = cli(&env, queue, &["drift", "check", &name, "--json"]);
    let report: DriftReport = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let rows: Vec<(String, String)> = report.devices.iter().flat_map(|d| d.rows.iter().map(|r| (r.key.clone(), r.kind.clone()))).collect();
    assert!(rows.contains(&("VLAN|Vlan330".into(), "changed".into())) && rows.contains(&("VLAN_MEMBER|Vlan330|Ethernet0".into(), "deleted".into())), "{rows:?}");
    let told = receiver.wait_delivered("/noc", "drift.detected");
    assert!(told.json()["data"]["fleet_diff"].as_str().unwrap().contains("VLAN|Vlan330"), "{}", told.body);

    // A remediation is proposed: a suite of its own, waiting for approval.
    let (code, out, err) = cli(&env, queue, &["drift", "check", &name, "--remediate", "--requester", "alice"]);
    assert_eq!(code, 5, "{out}\n{err}");
    let remediation = out.lines().find_map(|l| l.strip_prefix("remediation suite ")).and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no remediation suite in:\n{out}")).to_string();
    assert!(remediation.starts_with("remediate-drift-"), "{remediation}");
    let proposed = receiver.wait_delivered("/noc", "remediation.proposed");
    assert_eq!(proposed.json()["data"]["suite_id"], remediation.as_str(), "{}", proposed.body);
    let waiting = wait_for(&client, &remediation, "awaiting approval", Duration::from_secs(60), |s| phase(s) == SuitePhase::AwaitingApproval).await.unwrap();
    assert!(waiting.fleet_diff.contains("VLAN|Vlan330") && waiting.fleet_diff.contains("VLAN_MEMBER|Vlan330|Ethernet0"), "{}", waiting.fleet_diff);
    assert_eq!(waiting.requester, "alice");
    // Nothing bypasses the gate: the device still holds the hand edit.
    assert_eq!(field(&env, device, "VLAN|Vlan330", "description").as_deref(), Some("by-hand"));
    let (code, out, err) = cli(&env, queue, &["approve", &remediation, "--reviewer", "alice"]);
    assert_eq!(code, 3, "the requester's own approval does not count:\n{out}\n{err}");
    let still = wait_for(&client, &remediation, "awaiting approval", Duration::from_secs(10), |s| phase(s) == SuitePhase::AwaitingApproval).await.unwrap();
    assert!(still.decisions.iter().any(|d| !d.counted), "{:?}", still.decisions);
    assert_eq!(field(&env, device, "VLAN|Vlan330", "description").as_deref(), Some("by-hand"));

    env.cli_ok(queue, &["approve", &remediation, "--reviewer", "bob"]);
    wait_for(&client, &remediation, "succeeded", Duration::from_secs(120), |s| phase(s) == SuitePhase::Succeeded).await.unwrap();
    assert_eq!(field(&env, device, "VLAN|Vlan330", "description").as_deref(), Some("tenant-a"));
    assert_eq!(field(&env, device, "VLAN_MEMBER|Vlan330|Ethernet0", "tagging_mode").as_deref(), Some("tagged"));
    let (code, out, _) = cli(&env, queue, &["drift", "check", &name]);
    assert_eq!(code, 0, "no drift once remediated:\n{out}");
    let history: serde_json::Value = serde_json::from_str(&env.cli_ok(queue, &["device", &name, "--json"])).unwrap();
    assert_eq!(history["owned"]["VLAN|Vlan330"]["suite_id"], remediation.as_str(), "the remediation owns the row now: {history}");

    // A selector that picks nothing is refused, and says so.
    let (code, out, _) = cli(&env, queue, &["drift", "check", "--sites", "nowhere"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("matches no device"), "{out}");
}

/// A suite that makes or changes a row and deletes it in a later step leaves
/// nothing switchyard owns: `device` lists neither row, a drift check finds
/// nothing, and a remediation (which would re-create the rows) is not
/// proposed.
#[tokio::test]
async fn a_row_made_or_changed_then_deleted_in_one_suite_is_not_owned() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.expect("dev server (run through tests/run.sh)");
    let queue = "drift-deleted";
    let _worker = env.spawn_worker_under(queue, &env.inventory(), &env.unsigned_policy(), &[]);
    let device = 9;
    let name = TestEnv::device_name(device);

    // One suite owns VLAN 340.
    let first = file("first.yaml", &format!("name: drift-owner\ntargets:\n  names: [{name}]\nsteps:\n\
        \x20 - create_vlan: {{ vlan_id: 340, description: tenant-c }}\n"));
    let first = started_suite_id(&env.cli_ok(queue, &["run", first.to_str().unwrap(), "--requester", "alice"])).unwrap();
    wait_for(&client, &first, "succeeded", Duration::from_secs(120), |s| phase(s) == SuitePhase::Succeeded).await.unwrap();

    // The next makes an ACL table and deletes it, changes the VLAN and deletes it.
    let second = file("second.yaml", &format!("name: drift-made-and-gone\ntargets:\n  names: [{name}]\nsteps:\n\
        \x20 - create_acl_table: {{ name: TRANSIENT, type: L3, stage: ingress, description: short-lived }}\n\
        \x20 - create_vlan: {{ vlan_id: 340, description: tenant-d }}\n\
        \x20 - delete_acl_table: {{ name: TRANSIENT }}\n\
        \x20 - delete_vlan: {{ vlan_id: 340 }}\n"));
    let second = started_suite_id(&env.cli_ok(queue, &["run", second.to_str().unwrap(), "--requester", "alice"])).unwrap();
    wait_for(&client, &second, "succeeded", Duration::from_secs(120), |s| phase(s) == SuitePhase::Succeeded).await.unwrap();
    assert!(!env.rows(device).contains_key("ACL_TABLE|TRANSIENT") && !env.rows(device).contains_key("VLAN|Vlan340"));

    // The history folds the second run: neither row is anyone's now.
    let deadline = Instant::now() + Duration::from_secs(30);
    let history = loop {
        let history: serde_json::Value = serde_json::from_str(&env.cli_ok(queue, &["device", &name, "--json"])).unwrap();
        let runs = history["entries"].as_array().map(|e| e.iter().filter(|r| r["suite_id"] == second.as_str()).count()).unwrap_or(0);
        if runs > 0 {
            break history;
        }
        assert!(Instant::now() < deadline, "the second suite never reached the device's history: {history}");
        std::thread::sleep(Duration::from_millis(300));
    };
    let owned = history["owned"].as_object().cloned().unwrap_or_default();
    assert!(!owned.contains_key("ACL_TABLE|TRANSIENT") && !owned.contains_key("VLAN|Vlan340"), "still owned: {history}");
    let text = env.cli_ok(queue, &["device", &name]);
    let owned_text = text.split("rows switchyard owns on").nth(1).unwrap_or("");
    assert!(!owned_text.contains("ACL_TABLE|TRANSIENT") && !owned_text.contains("VLAN|Vlan340"), "{text}");

    // Other suites may have left rows on this device that the lab's reseed
    // took away; whatever else drifted, these two rows are not reported,
    // and a remediation does not put them back.
    let (code, json, err) = cli(&env, queue, &["drift", "check", &name, "--json"]);
    assert!(code == 0 || code == 5, "{json}\n{err}");
    let report: DriftReport = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let keys: Vec<&str> = report.devices.iter().flat_map(|d| d.rows.iter().map(|r| r.key.as_str())).collect();
    assert!(!keys.contains(&"ACL_TABLE|TRANSIENT") && !keys.contains(&"VLAN|Vlan340"), "a deleted row reported as drift: {keys:?}");
    let (_, out, err) = cli(&env, queue, &["drift", "check", &name, "--remediate", "--requester", "alice"]);
    if let Some(remediation) = out.lines().find_map(|l| l.strip_prefix("remediation suite ")).and_then(|r| r.split_whitespace().next()) {
        let waiting = wait_for(&client, remediation, "awaiting approval", Duration::from_secs(60), |s| phase(s) == SuitePhase::AwaitingApproval).await.unwrap();
        assert!(!waiting.fleet_diff.contains("TRANSIENT") && !waiting.fleet_diff.contains("Vlan340"), "{}", waiting.fleet_diff);
        env.cli_ok(queue, &["reject", remediation, "--reviewer", "bob"]);
    } else {
        assert!(out.contains("no drift"), "{out}\n{err}");
    }
    assert!(!env.rows(device).contains_key("ACL_TABLE|TRANSIENT") && !env.rows(device).contains_key("VLAN|Vlan340"));
}

/// The schedule's entry in `schedule list --json`.
fn listed(env: &TestEnv, queue: &str, id: &str) -> Option<serde_json::Value> {
    let all: serde_json::Value = serde_json::from_str(&env.cli_ok(queue, &["schedule", "list", "--json"])).unwrap();
    all.as_array().unwrap().iter().find(|s| s["schedule_id"] == id).cloned()
}

/// Waits until `done` holds for the schedule's listing.
fn wait_listed(env: &TestEnv, queue: &str, id: &str, what: &str, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(s) = listed(env, queue, id).filter(|s| done(s)) {
            return s;
        }
        assert!(Instant::now() < deadline, "schedule {id}: not {what}; listed: {:?}", listed(env, queue, id));
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn recent(s: &serde_json::Value) -> Vec<String> {
    s["recent"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect()
}

/// Deletes the test's schedules however the test ends.
struct Schedules<'a>(&'a TestEnv, &'a str, Vec<String>);

impl Drop for Schedules<'_> {
    fn drop(&mut self) {
        for id in &self.2 {
            let _ = self.0.cli_on(self.1, &["schedule", "delete", id]);
        }
    }
}

#[tokio::test]
async fn schedules_run_drift_checks_and_suites_each_through_its_own_gate() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.expect("dev server (run through tests/run.sh)");
    let queue = "drift-schedules";
    let _worker = env.spawn_worker_under(queue, &env.inventory(), &env.unsigned_policy(), &[]);
    let name = TestEnv::device_name(9);
    let tag = std::process::id();
    let (drift_id, suite_id) = (format!("t-drift-{tag}"), format!("t-vlan-{tag}"));
    let _cleanup = Schedules(&env, queue, vec![drift_id.clone(), suite_id.clone()]);

    // Refusals name what is wrong and create nothing.
    let (code, _, err) = cli(&env, queue, &["drift", "schedule", "--every", "soon", &name]);
    assert_ne!(code, 0);
    assert!(err.contains("--every \"soon\" is not an interval"), "{err}");
    let (code, _, err) = cli(&env, queue, &["drift", "schedule", &name]);
    assert!(code != 0 && err.contains("--every INTERVAL or --cron EXPRESSION"), "{err}");

    let out = env.cli_ok(queue, &["drift", "schedule", "--every", "2s", &name, "--id", &drift_id]);
    assert!(out.contains(&format!("schedule {drift_id} created: drift check every 2s")), "{out}");
    let suite = file("scheduled.yaml", &format!("name: scheduled-vlan\ntargets:\n  names: [{name}]\nsteps:\n\
        \x20 - create_vlan: {{ vlan_id: 331, description: nightly }}\napproval:\n  required: 1\n  timeout: 10m\n"));
    let out = env.cli_ok(queue, &["schedule", "create", suite.to_str().unwrap(), "--every", "2s", "--suite-id", &suite_id, "--requester", "alice"]);
    assert!(out.contains(&format!("schedule {suite_id} created: suite on 1 device(s), every 2s")), "{out}");

    // The drift schedule's runs are drift checks with reports.
    let drift = wait_listed(&env, queue, &drift_id, "run twice", |s| recent(s).len() >= 2);
    assert_eq!((drift["kind"].as_str(), drift["every"].as_str()), (Some("drift"), Some("every 2s")), "{drift}");
    let run = recent(&drift)[0].clone();
    assert!(run.starts_with(&format!("{drift_id}-")), "{run}");
    let report = switchyard_starter::client::drift_report(&client, &run).await.unwrap();
    assert_eq!(report.check_id, run);
    assert_eq!(report.devices.iter().map(|d| d.device.as_str()).collect::<Vec<_>>(), [name.as_str()]);
    let only_drift = env.cli_ok(queue, &["drift", "schedule", "list"]);
    assert!(only_drift.contains(&drift_id) && !only_drift.contains(&suite_id), "{only_drift}");

    // The suite schedule's first run is a suite of its own, awaiting its
    // approval; while it waits the schedule skips rather than piles up.
    let first = wait_listed(&env, queue, &suite_id, "started", |s| !recent(s).is_empty());
    let run = recent(&first)[0].clone();
    assert!(run.starts_with(&format!("{suite_id}-")), "{run}");
    let waiting = wait_for(&client, &run, "awaiting approval", Duration::from_secs(60), |s| phase(s) == SuitePhase::AwaitingApproval).await.unwrap();
    assert_eq!(waiting.suite_id, run, "a scheduled run is known by its own id");
    assert_eq!(waiting.requester, "alice");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(recent(&listed(&env, queue, &suite_id).unwrap()), std::slice::from_ref(&run), "overlap skip: no second run while the first waits");
    let listed_suites = env.cli_ok(queue, &["list", "--name", "scheduled-vlan"]);
    assert!(listed_suites.contains(&run), "the run is listed like any suite:\n{listed_suites}");
    env.cli_ok(queue, &["approve", &run, "--reviewer", "bob"]);
    wait_for(&client, &run, "succeeded", Duration::from_secs(120), |s| phase(s) == SuitePhase::Succeeded).await.unwrap();
    assert_eq!(field(&env, 9, "VLAN|Vlan331", "description").as_deref(), Some("nightly"));
    wait_listed(&env, queue, &suite_id, "run again after the first ended", |s| recent(s).len() >= 2);

    // Paused, it says so; deleted, it is gone.
    env.cli_ok(queue, &["schedule", "pause", &suite_id, "--note", "change freeze"]);
    let paused = wait_listed(&env, queue, &suite_id, "paused", |s| s["paused"] == true);
    assert_eq!(paused["note"], "change freeze");
    for id in [&suite_id, &drift_id] {
        env.cli_ok(queue, &["schedule", "delete", id]);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while listed(&env, queue, &suite_id).is_some() || listed(&env, queue, &drift_id).is_some() {
        assert!(Instant::now() < deadline, "deleted schedules still listed");
        std::thread::sleep(Duration::from_millis(500));
    }
    // The run still waiting for approval is cancelled, not left behind.
    for r in recent(&paused).iter().filter(|r| **r != run) {
        let _ = env.cli_on(queue, &["cancel", r, "--reason", "test over", "--operator", "oscar"]);
    }
}

/// Under a policy that counts only signed decisions, `--remediate` with the
/// caller's key launches a remediation suite signed by them, which awaits
/// approval like any suite; without a key, the CLI given the policy refuses
/// before anything starts.
#[tokio::test]
async fn a_signed_remediation_awaits_approval_under_a_signed_policy() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.expect("dev server (run through tests/run.sh)");
    let key = |who: &str| env.person_public_key(who);
    let policy = file("signed-policy.yaml", &format!(
        "principals:\n  - {{ name: alice, groups: [neteng], keys: [\"{}\"] }}\n  - {{ name: bob, groups: [reviewers], keys: [\"{}\"] }}\n\
         rules:\n  - name: lab\n    devices: {{ tags: [lab] }}\n    request: [neteng]\n    approvals:\n      - {{ count: 1, from: [reviewers] }}\n",
        key("alice"), key("bob")));
    let queue = "drift-signed";
    let _worker = env.spawn_worker_under(queue, &env.inventory(), &policy, &[]);
    let (alice, bob) = (env.person_key("alice").display().to_string(), env.person_key("bob").display().to_string());
    // Rows other tests left owned on the device may have drifted too (the
    // lab reseeds): the remediation restores those as well.
    let device = 9;
    let name = TestEnv::device_name(device);
    let suite = file("signed-base.yaml", &format!("name: drift-signed\ntargets:\n  names: [{name}]\nsteps:\n  - create_vlan: {{ vlan_id: 331, description: tenant-b }}\n"));
    let base = started_suite_id(&env.cli_ok(queue, &["--signing-key", &alice, "run", suite.to_str().unwrap()])).unwrap();
    wait_for(&client, &base, "awaiting approval", Duration::from_secs(120), |s| phase(s) == SuitePhase::AwaitingApproval).await.unwrap();
    env.cli_ok(queue, &["--signing-key", &bob, "approve", &base]);
    wait_for(&client, &base, "succeeded", Duration::from_secs(120), |s| phase(s) == SuitePhase::Succeeded).await.unwrap();
    env.hset(device, "VLAN|Vlan331", &[("description", "by-hand")]);

    let policy_arg = policy.display().to_string();
    let (code, out, err) = cli(&env, queue, &["--policy", &policy_arg, "drift", "check", &name, "--remediate"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(err.contains("counts only signed launches") && err.contains("--signing-key") && err.contains("nothing started"), "{err}");

    let (code, out, err) = cli(&env, queue, &["--signing-key", &alice, "drift", "check", &name, "--remediate"]);
    assert_eq!(code, 5, "{out}\n{err}");
    assert!(out.contains("awaits approval"), "the CLI says where it stands:\n{out}");
    let remediation = out.lines().find_map(|l| l.strip_prefix("remediation suite ")).and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no remediation suite in:\n{out}")).to_string();
    let waiting = wait_for(&client, &remediation, "awaiting approval", Duration::from_secs(60), |s| phase(s) == SuitePhase::AwaitingApproval).await.unwrap();
    assert_eq!(waiting.requester, "alice", "the launch is alice's, by her key");
    assert!(waiting.policy.as_ref().unwrap().requester.as_ref().unwrap().fingerprint.starts_with("SHA256:"));
    env.cli_ok(queue, &["--signing-key", &bob, "approve", &remediation]);
    wait_for(&client, &remediation, "succeeded", Duration::from_secs(120), |s| phase(s) == SuitePhase::Succeeded).await.unwrap();
    assert_eq!(field(&env, device, "VLAN|Vlan331", "description").as_deref(), Some("tenant-b"));
}
