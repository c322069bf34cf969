//! Trust end to end: a worker under an organisation's policy (the lab's
//! people and their keys), suites launched and decided with signatures,
//! and every way a decision can be wrong recorded as not counted with its
//! reason. The audit export re-verifies offline, and a tampered copy does
//! not. Needs `tests/run.sh`; fails loudly without it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use switchyard_proto::trust::{Decision, Kind};
use switchyard_proto::v1::{ApprovalSignal, SuitePhase, SuiteStatus};
use switchyard_starter::client;
use switchyard_starter::signing::SigningKey;
use switchyard_tests::{TestEnv, ended, phase, started_suite_id, wait_for};

const TIMEOUT: Duration = Duration::from_secs(180);

fn dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("switchyard-trust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// A policy naming the lab's people: alice requests, bob and carol review.
fn write_policy(env: &TestEnv, name: &str, rule: &str) -> PathBuf {
    let key = |who: &str| env.person_public_key(who);
    let text = format!(
        "principals:\n  - name: alice\n    groups: [neteng]\n    keys: [\"{}\"]\n  - name: bob\n    groups: [reviewers]\n    keys: [\"{}\"]\n  - name: carol\n    groups: [reviewers]\n    keys: [\"{}\"]\nrules:\n{rule}",
        key("alice"), key("bob"), key("carol"));
    let path = dir().join(format!("{name}.yaml"));
    std::fs::write(&path, text).expect("write policy");
    path
}

fn write_suite(name: &str, text: &str) -> PathBuf {
    let path = dir().join(format!("{name}-suite.yaml"));
    std::fs::write(&path, text).expect("write suite");
    path
}

const STEPS: &str = "steps:\n  - create_vlan:\n      vlan_id: 310\n  - add_vlan_member:\n      vlan_id: 310\n      port: Ethernet8\n      tagging_mode: tagged\n";

fn cli_as(env: &TestEnv, queue: &str, who: Option<&str>, args: &[&str]) -> Output {
    let key = who.map(|w| env.person_key(w).display().to_string());
    let mut all: Vec<&str> = Vec::new();
    if let Some(k) = &key {
        all.extend(["--signing-key", k.as_str()]);
    }
    all.extend(args);
    env.cli_on(queue, &all)
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A decision by `key` about this suite with one part wrong.
fn decision(status: &SuiteStatus, nonce: &str) -> Decision {
    Decision {
        kind: Kind::Approve, suite: status.suite_id.clone(), run: status.run_id.clone(), plan: status.plan_hash.clone(),
        input: String::new(), value: String::new(), channel: "cli".into(), expires: now() + 600, nonce: nonce.into(), comment: String::new(),
        on_behalf: String::new(),
    }
}

async fn send(env: &TestEnv, id: &str, key: &Path, d: &Decision) -> ApprovalSignal {
    let signed = SigningKey::new(key).sign(d).expect("sign");
    let client = env.client().await.unwrap();
    let signal = ApprovalSignal { signed: Some(signed), ..Default::default() };
    client::send_review(&client, id, signal.clone()).await.expect("signal");
    signal
}

fn last_reason(status: &SuiteStatus) -> String {
    status.decisions.last().map(|d| format!("counted={} {}", d.counted, d.reason)).unwrap_or_default()
}

#[tokio::test]
async fn signed_decisions_count_by_key_and_the_audit_holds() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let queue = "trust-signed";
    let policy = write_policy(&env, "signed", "  - name: lab\n    devices: { tags: [lab] }\n    request: [neteng]\n    approvals:\n      - { count: 2, from: [reviewers] }\n");
    let _worker = env.spawn_worker_under(queue, &env.inventory(), &policy, &[]);
    let suite = write_suite("signed", &format!("name: trust-signed\ntargets:\n  names: [sonic-d001, sonic-d002]\n{STEPS}"));
    let out = cli_as(&env, queue, Some("alice"), &["run", suite.to_str().unwrap(), "--requester", "bob"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let client = env.client().await.unwrap();
    let status = wait_for(&client, &id, "awaiting approval", TIMEOUT, |s| phase(s) == SuitePhase::AwaitingApproval || ended(s)).await.unwrap();
    assert_eq!(phase(&status), SuitePhase::AwaitingApproval, "{}", status.error);
    // The key says who requested, whatever name was typed.
    assert_eq!(status.requester, "alice");
    let recorded = status.policy.clone().expect("the policy is recorded");
    assert!(recorded.requester.as_ref().unwrap().fingerprint.starts_with("SHA256:"));
    assert_eq!(recorded.file, policy.display().to_string());

    let id_ = id.as_str();
    for (who, args, want) in [
        (None, vec!["approve", id_, "--reviewer", "bob"], "only signed"),
        (Some("alice"), vec!["approve", id_, "--reviewer", "bob"], "alice requested this suite"),
        (Some("alice"), vec!["approve", id_, "--reviewer", " Carol "], "alice requested this suite"),
    ] {
        let out = cli_as(&env, queue, who, &args);
        assert_eq!(out.status.code(), Some(3), "{}", text(&out));
        assert!(text(&out).contains(want), "want {want:?}: {}", text(&out));
    }

    // A key the policy does not hold.
    let stranger = dir().join("stranger");
    let _ = std::fs::remove_file(&stranger);
    assert!(Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(&stranger).status().unwrap().success());
    let bob = env.person_key("bob");
    let wrong = [
        (stranger.as_path(), Decision { nonce: "f1".into(), ..decision(&status, "") }, "no principal of the policy holds"),
        (bob.as_path(), Decision { suite: "another-suite".into(), ..decision(&status, "f2") }, "not this suite"),
        (bob.as_path(), Decision { run: "another-run".into(), ..decision(&status, "f3") }, "not this run"),
        (bob.as_path(), Decision { plan: "0123456789abcdef".into(), ..decision(&status, "f4") }, "but the plan is"),
        (bob.as_path(), Decision { expires: now() - 5, ..decision(&status, "f5") }, "expired at"),
    ];
    for (key, d, want) in wrong {
        send(&env, &id, key, &d).await;
        let s = wait_for(&client, &id, want, TIMEOUT, |s| last_reason(s).contains(want)).await;
        assert!(s.is_ok(), "want {want:?}, got {:?}", client::status(&client, &id).await.map(|s| last_reason(&s)));
    }

    // Bob counts once, however often he signs; a used signature cannot be sent again.
    let bobs = send(&env, &id, &bob, &decision(&status, "b1")).await;
    wait_for(&client, &id, "bob counted", TIMEOUT, |s| last_reason(s) == "counted=true counted").await.unwrap();
    send(&env, &id, &bob, &decision(&status, "b2")).await;
    wait_for(&client, &id, "bob twice", TIMEOUT, |s| last_reason(s).contains("bob has already decided")).await.unwrap();
    client::send_review(&client, &id, bobs).await.unwrap();
    wait_for(&client, &id, "replayed", TIMEOUT, |s| last_reason(s).contains("already used")).await.unwrap();
    let s = client::status(&client, &id).await.unwrap();
    assert_eq!(phase(&s), SuitePhase::AwaitingApproval, "one person is not a quorum of two");

    let out = cli_as(&env, queue, Some("carol"), &["approve", &id, "--comment", "second pair of eyes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let done = wait_for(&client, &id, "succeeded", TIMEOUT, ended).await.unwrap();
    assert_eq!(phase(&done), SuitePhase::Succeeded, "{}", done.error);

    // The audit, exported and re-verified offline; a tampered copy fails.
    let out = cli_as(&env, queue, None, &["audit", &id, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let export = dir().join("audit.json");
    std::fs::write(&export, &out.stdout).unwrap();
    let policy_arg = policy.display().to_string();
    let out = cli_as(&env, queue, None, &["--policy", &policy_arg, "audit", "verify", export.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("all hold"), "{}", text(&out));
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(&export).unwrap()).unwrap();
    let carol = json["entries"].as_array_mut().unwrap().iter_mut()
        .find(|e| e["principal"] == "carol" && e["counted"] == true).expect("carol's approval");
    let message = carol["message"].as_str().unwrap().replace("second pair of eyes", "nothing to see");
    carol["message"] = serde_json::Value::String(message);
    let tampered = dir().join("audit-tampered.json");
    std::fs::write(&tampered, serde_json::to_vec(&json).unwrap()).unwrap();
    let out = cli_as(&env, queue, None, &["--policy", &policy_arg, "audit", "verify", tampered.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("does not match the message"), "{}", text(&out));
    // Flipping alice's refused self-approval to counted does not hold either.
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(&export).unwrap()).unwrap();
    let own = json["entries"].as_array_mut().unwrap().iter_mut()
        .find(|e| e["principal"] == "alice" && e["kind"] == "approve").expect("alice's refused approval");
    own["counted"] = serde_json::Value::Bool(true);
    std::fs::write(&tampered, serde_json::to_vec(&json).unwrap()).unwrap();
    let out = cli_as(&env, queue, None, &["--policy", &policy_arg, "audit", "verify", tampered.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("counted, but alice requested the suite"), "{}", text(&out));
    let out = cli_as(&env, queue, None, &["audit", &id]);
    assert!(text(&out).contains("carol") && text(&out).contains("SHA256:"), "{}", text(&out));
}

#[tokio::test]
async fn the_policy_refuses_at_plan_and_at_the_line() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let queue = "trust-deny";
    let policy = write_policy(&env, "deny", "  - name: one-leaf\n    devices: { names: [sonic-d001] }\n    request: [neteng]\n    approvals:\n      - { count: 1, from: [reviewers] }\n");
    let _worker = env.spawn_worker_under(queue, &env.inventory(), &policy, &[]);

    // Default deny: a device no rule covers is refused when the suite plans.
    let suite = write_suite("deny", &format!("name: trust-deny\ntargets:\n  names: [sonic-d001, sonic-d002]\n{STEPS}"));
    let out = cli_as(&env, queue, Some("alice"), &["plan", suite.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("sonic-d002: no rule of policy") && text(&out).contains("(default deny)"), "{}", text(&out));

    // An unsigned launch under a policy that counts only signed ones.
    let covered = write_suite("covered", &format!("name: trust-covered\ntargets:\n  names: [sonic-d001]\n{STEPS}"));
    let out = cli_as(&env, queue, None, &["plan", covered.to_str().unwrap(), "--requester", "alice"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("the launch is not accepted: unsigned"), "{}", text(&out));

    // The CLI, given the policy, refuses before anything starts, at the line.
    let policy_arg = policy.display().to_string();
    let lowering = write_suite("lowering", &format!("name: trust-lowering\ntargets:\n  names: [sonic-d001]\n{STEPS}approval:\n  required: 0\n"));
    let out = cli_as(&env, queue, Some("alice"), &["--policy", &policy_arg, "run", lowering.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let lines = STEPS.lines().count() + 5;
    let want = format!("{}:{lines}:", lowering.display());
    assert!(text(&out).contains(&want) && text(&out).contains("approval.required is 0 but rule one-leaf"), "want {want}: {}", text(&out));
    assert!(text(&out).contains("nothing started"), "{}", text(&out));
    let out = cli_as(&env, queue, Some("alice"), &["--policy", &policy_arg, "run", suite.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains(&format!("{}:", suite.display())) && text(&out).contains(": targets: sonic-d002") && text(&out).contains("default deny"), "{}", text(&out));
}

/// Pause answers and updates are signed too: a reviewer the policy does
/// not let operate is refused (and recorded), a parallelism above the
/// policy's largest is refused, and the requester's signed rollback applies.
#[tokio::test]
async fn operating_a_suite_takes_a_key_the_policy_lets_operate() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let queue = "trust-operate";
    let rule = "  - name: lab\n    devices: { tags: [lab] }\n    request: [neteng]\n    operate: [neteng]\n    max_parallelism: 2\n    approvals:\n      - { count: 1, from: [reviewers] }\n";
    let policy = write_policy(&env, "operate", rule);
    let _worker = env.spawn_worker_under(queue, &env.inventory(), &policy, &[]);
    let suite = write_suite("operate", &format!(
        "name: trust-operate\ntargets:\n  names: [sonic-d001, sonic-d002]\n{STEPS}rollout:\n  parallelism: 1\n  on_failure: pause\n  pause_timeout: 10m\n"));
    let out = cli_as(&env, queue, Some("alice"), &["run", suite.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let client = env.client().await.unwrap();
    wait_for(&client, &id, "awaiting approval", TIMEOUT, |s| phase(s) == SuitePhase::AwaitingApproval || ended(s)).await.unwrap();
    // sonic-d001's port is taken by hand after the plan: its step drifts and the suite pauses.
    env.hset(1, "VLAN|Vlan300", &[("vlanid", "300")]);
    env.hset(1, "VLAN_MEMBER|Vlan300|Ethernet8", &[("tagging_mode", "untagged")]);
    // Bob approves the way the Web UI's signal dialog sends it: the body
    // `switchyard sign` prints, sent raw by the Temporal CLI.
    let out = cli_as(&env, queue, Some("bob"), &["sign", "approve", &id, "--comment", "from the web ui"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("send as signal \"approval\""), "{}", text(&out));
    let body = String::from_utf8_lossy(&out.stdout).into_owned();
    let temporal = std::env::var("TEMPORAL_CLI").expect("TEMPORAL_CLI is set by tests/run.sh");
    let sent = Command::new(temporal)
        .args(["workflow", "signal", "--workflow-id", &id, "--name", "approval", "--input", &body, "--address", env.temporal.trim_start_matches("http://")])
        .output().expect("run the temporal CLI");
    assert!(sent.status.success(), "{}", text(&sent));
    let s = wait_for(&client, &id, "approved", TIMEOUT, |s| s.decisions.iter().any(|d| d.counted)).await.unwrap();
    let signer = s.decisions.iter().find(|d| d.counted).and_then(|d| d.signer.clone()).unwrap();
    assert_eq!((signer.principal.as_str(), signer.channel.as_str()), ("bob", "web-ui"));
    wait_for(&client, &id, "paused", TIMEOUT, |s| phase(s) == SuitePhase::Paused || ended(s)).await.unwrap();

    let out = cli_as(&env, queue, Some("carol"), &["resume", &id]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("carol may not operate this suite: rule lab lets neteng operate"), "{}", text(&out));
    let out = cli_as(&env, queue, Some("alice"), &["set-parallelism", &id, "3"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("above the 2 the policy allows"), "{}", text(&out));
    let out = cli_as(&env, queue, None, &["resume", &id, "--operator", "alice"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("only signed"), "{}", text(&out));

    let out = cli_as(&env, queue, Some("alice"), &["rollback", &id, "--comment", "port is in use"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let done = wait_for(&client, &id, "ended", TIMEOUT, ended).await.unwrap();
    assert_eq!(phase(&done), SuitePhase::RolledBack, "{}", done.error);
    let applied: Vec<_> = done.operator_log.iter().filter(|e| e.applied).collect();
    assert_eq!(applied.len(), 1, "{:?}", done.operator_log);
    assert_eq!(applied[0].operator, "alice");
    assert!(applied[0].signer.as_ref().is_some_and(|s| s.fingerprint.starts_with("SHA256:")), "{:?}", applied[0]);
    assert_eq!(applied[0].reason, "port is in use");

    // The failed device is listable by its search attributes.
    let temporal = std::env::var("TEMPORAL_CLI").unwrap();
    let query = "SuiteName = 'trust-operate' AND DeviceStatus = 'failed'";
    let wanted = format!("{id}--sonic-d001--apply");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let out = Command::new(&temporal)
            .args(["workflow", "list", "--query", query, "--address", env.temporal.trim_start_matches("http://")])
            .output().expect("temporal workflow list");
        let listed = text(&out);
        if listed.contains(&wanted) {
            assert!(!listed.contains(&format!("{id}--sonic-d002")), "only the failed device: {listed}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{wanted} not listed by {query:?}: {listed}");
        std::thread::sleep(Duration::from_millis(500));
    }
}
