//! No body can break a suite: approval and operator signals and the two
//! updates are sent as raw JSON (the way the Web UI's signal dialog or
//! `temporal workflow signal` sends them) in every malformed shape. Each is
//! recorded as refused with its decode error; the suite keeps answering
//! its status query, its timeouts still fire and act, and a good decision
//! afterwards still counts. Needs `tests/run.sh`; fails loudly without it.

use std::process::Command;
use std::time::Duration;

use switchyard_proto::v1::{SuitePhase, SuiteStatus};
use switchyard_tests::{TestEnv, ended, phase, started_suite_id, vlan_suite, wait_for};
use temporalio_client::Client;

const TIMEOUT: Duration = Duration::from_secs(120);

/// Malformed bodies: a JSON string, an unknown enum value, an extra field,
/// a mis-cased field name, and text that is not JSON.
const APPROVAL_BODIES: &[(&str, &str)] = &[
    (r#""approve""#, "cannot decode the body"),
    (r#"{"reviewer": "bob", "decision": "DECISION_MAYBE"}"#, "DECISION_MAYBE"),
    (r#"{"reviewer": "bob", "decision": "DECISION_APPROVE", "extra": true}"#, "extra"),
    (r#"{"Reviewer": "bob", "decision": "DECISION_APPROVE"}"#, "Reviewer"),
];
const OPERATOR_BODIES: &[(&str, &str)] = &[
    (r#""resume""#, "cannot decode the body"),
    (r#"{"operator": "oscar", "action": "OPERATOR_ACTION_MAYBE"}"#, "OPERATOR_ACTION_MAYBE"),
    (r#"{"operator": "oscar", "action": "OPERATOR_ACTION_RESUME", "extra": 1}"#, "extra"),
    (r#"{"Operator": "oscar", "action": "OPERATOR_ACTION_RESUME"}"#, "Operator"),
];

fn temporal(env: &TestEnv, args: &[&str]) -> std::process::Output {
    let cli = std::env::var("TEMPORAL_CLI").expect("TEMPORAL_CLI is set by tests/run.sh");
    let address = env.temporal.trim_start_matches("http://").to_string();
    Command::new(cli).args(args).args(["--address", &address]).output().expect("run the temporal CLI")
}

/// Sends `body` as signal `name`, raw, and checks the server took it.
fn signal(env: &TestEnv, id: &str, name: &str, body: &str) {
    let out = temporal(env, &["workflow", "signal", "--workflow-id", id, "--name", name, "--input", body]);
    assert!(out.status.success(), "signal {name} {body}: {}", String::from_utf8_lossy(&out.stderr));
}

fn launch(env: &TestEnv, name: &str, extra: &str) -> String {
    let out = env.cli(&["run", vlan_suite(name, extra).to_str().unwrap(), "--requester", "alice"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    started_suite_id(&stdout).unwrap()
}

async fn until(client: &Client, id: &str, what: &str, f: impl Fn(&SuiteStatus) -> bool) -> SuiteStatus {
    wait_for(client, id, what, TIMEOUT, f).await.unwrap()
}

#[tokio::test]
async fn malformed_approvals_are_refused_and_a_good_one_still_counts() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let id = launch(&env, "bad-body-approval", "approval:\n  required: 1\n  reviewers: [bob]\n  timeout: 10m\n");
    let planned = until(&client, &id, "awaiting approval", |s| phase(s) == SuitePhase::AwaitingApproval).await;
    for (n, (body, why)) in APPROVAL_BODIES.iter().enumerate() {
        signal(&env, &id, "approval", body);
        // The status query keeps answering, and records each refusal.
        let s = until(&client, &id, "the refusal recorded", |s| s.decisions.len() > n).await;
        let d = &s.decisions[n];
        assert!(!d.counted && d.reason.starts_with("refused: ") && d.reason.contains(why), "{body}: {d:?}");
        assert_eq!(phase(&s), SuitePhase::AwaitingApproval);
    }
    // A malformed update is refused by its validator, and leaves no trace.
    let out = temporal(&env, &["workflow", "update", "execute", "--workflow-id", &id, "--name", "set_parallelism", "--input", r#""fast""#]);
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success() && said.contains("refused: cannot decode the body"), "{said}");
    let out = env.cli(&["approve", &id, "--reviewer", "bob", "--plan-hash", &planned.plan_hash]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let s = until(&client, &id, "ended", ended).await;
    assert_eq!(phase(&s), SuitePhase::Succeeded, "{s:?}");
    assert_eq!(s.decisions.iter().filter(|d| d.counted).count(), 1);
}

#[tokio::test]
async fn malformed_answers_to_a_paused_suite_leave_its_timeout_to_act() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    // Device 1 drifts after planning, so the first device fails and the
    // suite pauses; nobody answers in a well-formed way.
    let extra = "rollout:\n  parallelism: 1\n  on_failure: pause\n  pause_timeout: 8s\n  pause_default: abandon\napproval:\n  required: 1\n  reviewers: [bob]\n  timeout: 10m\n";
    let id = launch(&env, "bad-body-pause", extra);
    let planned = until(&client, &id, "awaiting approval", |s| phase(s) == SuitePhase::AwaitingApproval).await;
    // A malformed operator signal while the suite is not paused.
    signal(&env, &id, "operator", OPERATOR_BODIES[0].0);
    until(&client, &id, "the early refusal recorded", |s| !s.operator_log.is_empty()).await;
    env.hset(1, "VLAN|Vlan300", &[("vlanid", "300")]);
    env.hset(1, "VLAN_MEMBER|Vlan300|Ethernet0", &[("tagging_mode", "untagged")]);
    let out = env.cli(&["approve", &id, "--reviewer", "bob", "--plan-hash", &planned.plan_hash]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    until(&client, &id, "paused", |s| phase(s) == SuitePhase::Paused).await;
    for (body, _) in OPERATOR_BODIES {
        signal(&env, &id, "operator", body);
    }
    let s = until(&client, &id, "the refusals recorded", |s| s.operator_log.len() > OPERATOR_BODIES.len()).await;
    assert_eq!(phase(&s), SuitePhase::Paused, "refused answers do not resume: {s:?}");
    // The first entry is the early refusal, sent before the pause.
    for ((body, why), e) in OPERATOR_BODIES.iter().zip(&s.operator_log[1..]) {
        assert!(!e.applied && e.reason.starts_with("refused: ") && e.reason.contains(why), "{body}: {e:?}");
    }
    // The pause timeout still fires and applies its default.
    let s = until(&client, &id, "ended", ended).await;
    assert_eq!(phase(&s), SuitePhase::Failed, "{s:?}");
    assert!(s.error.contains("abandoned by the pause timeout"), "{}", s.error);
    assert!(s.operator_log.iter().any(|e| e.operator == "switchyard" && e.applied), "{:?}", s.operator_log);
    // And the device lock of the suite is given back.
    let mut conn = env.device_redis(1);
    let _: () = redis::cmd("SELECT").arg(switchyard_proto::names::device_db::STATE_DB).query(&mut conn).unwrap();
    let holder: Option<String> = redis::cmd("HGET").arg(switchyard_proto::names::device_db::LOCK_KEY).arg("suite").query(&mut conn).unwrap();
    assert_eq!(holder, None, "the suite's locks are released");
}

/// Two refused approvals of 1.5 MB each: the suite keeps them by size and
/// digest, so its status still answers and it still ends at its approval
/// timeout, on time. A copy of a signed body with a broken signature does
/// not use up the genuine one.
#[tokio::test]
async fn huge_refused_bodies_leave_the_suite_answering_and_ending_on_time() {
    use switchyard_proto::v1::ApprovalSignal;
    use switchyard_starter::client;

    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();
    let id = launch(&env, "huge-bodies", "approval:\n  required: 1\n  reviewers: [bob]\n  timeout: 40s\n");
    until(&client, &id, "awaiting approval", |s| phase(s) == SuitePhase::AwaitingApproval || ended(s)).await;
    let huge = "x".repeat(1_500_000);
    for _ in 0..2 {
        // Refused: for another plan.
        let signal = ApprovalSignal { reviewer: "bob".into(), decision: 1, plan_hash: "another-plan".into(), comment: huge.clone(), signed: None };
        client::send_review(&client, &id, signal).await.expect("the server takes a 1.5 MB signal");
    }
    let s = until(&client, &id, "both refusals recorded", |s| s.decisions.len() >= 2 || ended(s)).await;
    assert_eq!(s.decisions.len(), 2, "{:?}", s.decisions.iter().map(|d| &d.reason).collect::<Vec<_>>());
    for d in &s.decisions {
        let kept = d.signal.as_ref().unwrap();
        assert!(!d.counted && kept.comment.starts_with("(a body of ") && kept.comment.contains("SHA-256"), "{}", kept.comment);
    }
    let ended_ = until(&client, &id, "expired", ended).await;
    assert_eq!(phase(&ended_), SuitePhase::Expired, "{}", ended_.error);
    let result = client::result(&client, &id).await.expect("the suite's result fits");
    assert_eq!(phase(&result), SuitePhase::Expired);
}
