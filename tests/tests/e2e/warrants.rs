//! Warrants end to end: the worker writes to a device only what a suite
//! decided, checked in the activity that writes against the worker's
//! current policy. Anyone who can reach Temporal can start a device
//! workflow or copy one's input from a history; neither writes anything.
//! A key taken out of the policy file stops counting at once, for a suite
//! already planned. A record signalled to a device's history by hand adds
//! no run and takes no row from switchyard's intent: drift still sees the
//! row. Needs `tests/run.sh`; fails loudly without it.

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use switchyard_proto::names;
use switchyard_proto::v1::{DeviceHistory, DeviceHistoryEntry, DeviceRunInput, DeviceStatus, SuitePhase};
use switchyard_tests::{TestEnv, ended, http_get, phase, started_suite_id, wait_for};
use switchyard_workflows::{DeviceHistoryWorkflow, DeviceWorkflow};
use temporalio_client::{Client, WorkflowQueryOptions, WorkflowSignalOptions, WorkflowStartOptions, WorkflowTerminateOptions};
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;

const TIMEOUT: Duration = Duration::from_secs(180);

fn dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("switchyard-warrants-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn write(name: &str, body: &str) -> PathBuf {
    let path = dir().join(name);
    std::fs::write(&path, body).expect("write");
    path
}

/// The input a workflow was started with, as anyone with namespace access
/// reads it from its history.
async fn started_input(client: &Client, workflow_id: &str) -> DeviceRunInput {
    let handle = client.get_workflow_handle::<DeviceWorkflow>(workflow_id.to_string());
    let events = handle.fetch_history(Default::default()).into_events().await.expect("history");
    let Some(Attributes::WorkflowExecutionStartedEventAttributes(a)) = events.into_iter().next().and_then(|e| e.attributes) else {
        panic!("{workflow_id} has no start event");
    };
    let payload = a.input.expect("input").payloads.into_iter().next().expect("one payload");
    serde_json::from_slice(&payload.data).expect("a DeviceRunInput")
}

/// How a device workflow ended: its failure message, or "completed".
async fn ending(client: &Client, workflow_id: &str) -> String {
    let handle = client.get_workflow_handle::<DeviceWorkflow>(workflow_id.to_string());
    let deadline = Instant::now() + TIMEOUT;
    while Instant::now() < deadline {
        let events = handle.fetch_history(Default::default()).into_events().await.unwrap_or_default();
        for event in events {
            match event.attributes {
                Some(Attributes::WorkflowExecutionFailedEventAttributes(a)) => return a.failure.map(|f| f.message).unwrap_or_default(),
                Some(Attributes::WorkflowExecutionCompletedEventAttributes(_)) => return "completed".into(),
                _ => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{workflow_id} did not end");
}

/// The value of a counter series on a worker's scrape port (0 when absent).
fn counter(address: &str, series: &str) -> f64 {
    let (_, body) = http_get(address, "/metrics").expect("scrape");
    body.lines().filter(|l| l.starts_with(series)).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
}

#[tokio::test]
async fn a_device_workflow_started_by_hand_writes_nothing() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let queue = "warrants-hand";
    let _worker = env.spawn_worker(queue);
    let client = env.client().await.unwrap();

    // An approved suite on sonic-d001: its device workflow's input, warrant
    // and all, is in the history for anyone to copy.
    let suite = write("hand.yaml", "name: warrants-hand\ntargets:\n  names: [sonic-d001]\nsteps:\n  - create_vlan:\n      vlan_id: 361\napproval:\n  required: 1\n  reviewers: [bob]\n");
    let out = env.cli_on(queue, &["run", suite.to_str().unwrap(), "--requester", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    wait_for(&client, &id, "awaiting approval", TIMEOUT, |s| phase(s) == SuitePhase::AwaitingApproval || ended(s)).await.unwrap();
    let out = env.cli_on(queue, &["approve", &id, "--reviewer", "bob"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = wait_for(&client, &id, "ended", TIMEOUT, ended).await.unwrap();
    assert_eq!(phase(&s), SuitePhase::Succeeded, "{s:#?}");
    let copied = started_input(&client, &names::device_workflow_id(&id, "sonic-d001", "apply")).await;
    assert!(copied.warrant.as_ref().is_some_and(|w| !w.unsigned_approvers.is_empty()), "the suite's device run carries its warrant: {copied:#?}");

    // The copy aimed at another device, and a hand edit with no warrant
    // that would write VLAN 362.
    let mut elsewhere = copied.clone();
    elsewhere.plan.as_mut().unwrap().device = "sonic-d002".into();
    let mut edited = copied.clone();
    edited.warrant = None;
    edited.suite_id = "made-up".into();
    let plan = edited.plan.as_mut().unwrap();
    plan.device = "sonic-d003".into();
    let text_of = serde_json::to_string(&plan.steps).unwrap().replace("361", "362");
    plan.steps = serde_json::from_str(&text_of).unwrap();

    let before = env.hsets();
    let before_rows: Vec<_> = (1..=3).map(|i| env.rows(i)).collect();
    let scrape = env.scrape_address(queue);
    let refused_before = counter(&scrape, "switchyard_warrant_refusals_total");
    for (name, input) in [("copy", copied), ("elsewhere", elsewhere), ("edited", edited)] {
        let workflow_id = format!("warrants-hand-{name}-{}", std::process::id());
        let options = WorkflowStartOptions::new(queue.to_string(), workflow_id.clone()).build();
        client.start_workflow(DeviceWorkflow::run, input, options).await.expect("anyone may start a device workflow");
        let ended = ending(&client, &workflow_id).await;
        assert!(ended.contains("refused, nothing written") && ended.contains("was not started by a suite"), "{name}: {ended}");
    }
    // Not a lock, not a row, not a journal record on any of the devices.
    assert_eq!(&env.hsets()[..3], &before[..3], "HSETs on sonic-d001..3");
    for i in 1..=3 {
        assert_eq!(env.rows(i), before_rows[i - 1], "sonic-d00{i}");
    }
    // Each refusal is counted and logged with its reason.
    let refused = counter(&scrape, "switchyard_warrant_refusals_total") - refused_before;
    assert!(refused >= 3.0, "refusals counted: {refused}");
    let log = std::fs::read_to_string(env.worker_log(queue)).unwrap();
    assert!(log.contains("Refused a device write: no warrant") && log.contains("was not started by a suite"), "the worker log says why");
    // Nor do the hand-started runs enter the devices' histories: the copy
    // reported to sonic-d001's and was refused there.
    assert!(device_history(&env, queue, "sonic-d001").refused.iter().any(|r| r.reason.contains("was not started by a suite")));
    for device in ["sonic-d001", "sonic-d002", "sonic-d003"] {
        let history = device_history(&env, queue, device);
        let hand_started = |id: &str| ["copy", "elsewhere", "edited"].iter().any(|name| id == format!("warrants-hand-{name}-{}", std::process::id()));
        assert!(!history.entries.iter().any(|e| hand_started(&e.workflow_id)), "{device}: {history:#?}");
    }
}

/// A device's history as `switchyard device --json` reads it.
fn device_history(env: &TestEnv, queue: &str, device: &str) -> DeviceHistory {
    let out = env.cli_on(queue, &["device", device, "--json"]);
    if !out.status.success() && String::from_utf8_lossy(&out.stdout).contains("never") {
        return DeviceHistory::default();
    }
    assert!(out.status.success(), "{}", text(&out));
    switchyard_tests::device_history_from_cli(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)))
}

#[tokio::test]
async fn a_record_sent_to_a_devices_history_by_hand_changes_nothing() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let queue = "warrants-history";
    let _worker = env.spawn_worker(queue);
    let client = env.client().await.unwrap();
    let (device, name) = (16, "sonic-d016");
    // A history of its own on this worker's queue, so the workflow's own
    // verdicts are seen too (not only the reading's).
    let history_id = names::device_history_workflow_id(name);
    let _ = client.get_workflow_handle::<DeviceHistoryWorkflow>(history_id.clone()).terminate(WorkflowTerminateOptions::builder().reason("a fresh history for this test").build()).await;

    let suite = write("history.yaml", &format!("name: warrants-history\ntargets:\n  names: [{name}]\nsteps:\n  - create_vlan: {{ vlan_id: 371, description: tenant-h }}\n"));
    let out = env.cli_on(queue, &["run", suite.to_str().unwrap(), "--requester", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let s = wait_for(&client, &id, "ended", TIMEOUT, ended).await.unwrap();
    assert_eq!(phase(&s), SuitePhase::Succeeded, "{s:#?}");
    let genuine = device_history(&env, queue, name);
    assert_eq!(genuine.owned.get("VLAN|Vlan371").map(|o| o.suite_id.as_str()), Some(id.as_str()), "{genuine:#?}");
    let ours = genuine.entries.iter().find(|e| e.suite_id == id).expect("the suite's run is recorded").clone();

    // Three forgeries: a rollback the suite never ran, approved by two
    // people who never saw it; the genuine record edited; and a run with
    // no device run behind it at all.
    let rollback = DeviceHistoryEntry {
        mode: "rollback".into(), outcome: "rolled_back".into(), approvers: vec!["bob".into(), "carol".into()],
        rows_rolled_back: vec!["VLAN|Vlan371".into()], owned: Vec::new(), rows_applied: Vec::new(), run_id: "forged-run".into(), ..ours.clone()
    };
    let edited = DeviceHistoryEntry { approvers: vec!["bob".into(), "carol".into()], rows_applied: Vec::new(), owned: Vec::new(), at: "2026-01-01T00:00:00Z".into(), ..ours.clone() };
    let made_up = DeviceHistoryEntry { suite_id: "made-up".into(), requester: "mallory".into(), ..Default::default() };
    let scrape = env.scrape_address(queue);
    let records_refused = || -> f64 {
        let (_, body) = http_get(&scrape, "/metrics").expect("scrape");
        body.lines().filter(|l| l.starts_with("switchyard_warrant_refusals_total") && l.contains("write=\"record\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
    };
    let refused_before = records_refused();
    let handle = client.get_workflow_handle::<DeviceHistoryWorkflow>(history_id.clone());
    for forged in [rollback, edited, made_up] {
        handle.signal(DeviceHistoryWorkflow::record_run, forged.into(), WorkflowSignalOptions::default()).await.expect("anyone may signal a history");
    }

    // The worker refuses all three, logs and counts them.
    let deadline = Instant::now() + TIMEOUT;
    while records_refused() - refused_before < 3.0 {
        assert!(Instant::now() < deadline, "the worker did not refuse the three records");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let log = std::fs::read_to_string(env.worker_log(queue)).unwrap();
    assert!(log.contains("Refused a device-history record") && log.contains("no such record"), "the worker log says why");

    // The history holds what it held: the one genuine run, the row still
    // switchyard's, the forgeries listed as refused by digest.
    let after = device_history(&env, queue, name);
    assert_eq!(after.owned.get("VLAN|Vlan371").map(|o| o.suite_id.as_str()), Some(id.as_str()), "{after:#?}");
    assert_eq!(after.entries, genuine.entries, "no run added");
    assert!(!after.entries.iter().any(|e| e.approvers.iter().any(|a| a == "carol")), "{after:#?}");
    assert_eq!(after.refused_total, genuine.refused_total + 3, "{after:#?}");
    let reasons: Vec<&str> = after.refused.iter().map(|r| r.reason.as_str()).collect();
    assert!(reasons.iter().any(|r| r.contains("Temporal has no device run")) && reasons.iter().any(|r| r.contains("no such record"))
        && reasons.iter().any(|r| r.contains("names no device run")), "{reasons:#?}");
    assert!(after.refused.iter().all(|r| r.digest.len() == 64 && r.size > 0), "{:#?}", after.refused);
    // The workflow's own state agrees (it is what it carries over).
    let state = handle.query(DeviceHistoryWorkflow::history, (), WorkflowQueryOptions::default()).await.expect("query the history");
    assert_eq!((state.owned.keys().collect::<Vec<_>>(), state.refused_total), (after.owned.keys().collect::<Vec<_>>(), after.refused_total), "{state:#?}");

    // A hand edit of the row is still drift.
    env.hset(device, "VLAN|Vlan371", &[("description", "by-hand")]);
    let out = env.cli_on(queue, &["drift", "check", name]);
    assert_eq!(out.status.code(), Some(5), "drift found:\n{}", text(&out));
    assert!(text(&out).contains(&format!("~ VLAN|Vlan371 (suite {id})")), "{}", text(&out));
}

#[tokio::test]
async fn a_key_removed_from_the_policy_stops_counting_for_a_planned_suite() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let queue = "warrants-revoke";
    let key = |who: &str| env.person_public_key(who);
    let policy_with = |people: &[&str]| {
        let mut text = String::from("principals:\n");
        for who in people {
            let groups = if *who == "alice" { "[neteng]" } else { "[reviewers]" };
            text.push_str(&format!("  - name: {who}\n    groups: {groups}\n    keys: [\"{}\"]\n", key(who)));
        }
        text.push_str("rules:\n  - name: lab\n    devices: { tags: [lab] }\n    request: [neteng]\n    approvals:\n      - { count: 1, from: [reviewers] }\n");
        text
    };
    let policy = write("revoke-policy.yaml", &policy_with(&["alice", "bob", "carol"]));
    let _worker = env.spawn_worker_under(queue, &env.inventory(), &policy, &[]);
    let client = env.client().await.unwrap();
    let suite = write("revoke.yaml", "name: warrants-revoke\ntargets:\n  names: [sonic-d004]\nsteps:\n  - create_vlan:\n      vlan_id: 363\n");
    let alice = env.person_key("alice").display().to_string();
    let bob = env.person_key("bob").display().to_string();
    let out = env.cli_on(queue, &["--signing-key", &alice, "run", suite.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let planned = wait_for(&client, &id, "awaiting approval", TIMEOUT, |s| phase(s) == SuitePhase::AwaitingApproval || ended(s)).await.unwrap();
    assert_eq!(phase(&planned), SuitePhase::AwaitingApproval, "{}", planned.error);

    // bob leaves: his key is taken out of the file while the suite waits.
    // The suite still judges by the policy it recorded; the worker, which
    // writes, by the file as it is now.
    let log = env.worker_log(queue);
    let reloads = || std::fs::read_to_string(&log).map_or(0, |t| t.matches("Reloaded policy").count());
    let before = reloads();
    std::fs::write(&policy, policy_with(&["alice", "carol"])).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while reloads() == before {
        assert!(Instant::now() < deadline, "the worker did not reload its policy; see {}", log.display());
        std::thread::sleep(Duration::from_millis(100));
    }
    let hsets = env.hsets();
    let rows = env.rows(4);
    let out = env.cli_on(queue, &["--signing-key", &bob, "approve", &id]);
    assert_eq!(out.status.code(), Some(0), "the suite counts bob under its recorded policy: {}", text(&out));
    let s = wait_for(&client, &id, "ended", TIMEOUT, ended).await.unwrap();
    assert_ne!(phase(&s), SuitePhase::Succeeded, "{s:#?}");
    let device = s.devices.iter().find(|d| d.device == "sonic-d004").unwrap();
    assert_eq!(device.status, DeviceStatus::Failed as i32, "{device:#?}");
    assert!(device.error.contains("no principal of the policy holds") && device.error.contains("nothing written"), "{}", device.error);
    assert_eq!(env.hsets()[3], hsets[3], "nothing written to sonic-d004");
    assert_eq!(env.rows(4), rows);
}

/// An event workflow started by hand with a forged `suite.succeeded`: the
/// worker, which would sign it with its webhook secrets, refuses it, and a
/// real receiver gets nothing.
#[tokio::test]
async fn a_forged_event_is_not_signed_or_sent() {
    use switchyard_proto::v1::SuiteEvent;
    use switchyard_tests::receiver::{Received, Receiver};
    use switchyard_workflows::EventWorkflow;

    let env = TestEnv::get();
    let receiver = Receiver::start(Box::new(|_: &Received, _| (200, Duration::ZERO)));
    let hooks = write("forged-hooks.yaml", &format!(
        "subscriptions:\n  - name: pipeline\n    url: http://{}/hook\n    secret_env: SY_TEST_HOOK_SECRET\n", receiver.address));
    let queue = "warrants-event";
    let _worker = env.spawn_worker_under(queue, &env.inventory(), &env.unsigned_policy(),
        &[("SWITCHYARD_WEBHOOKS", hooks.to_str().unwrap()), ("SY_TEST_HOOK_SECRET", "whsec_c3dpdGNoeWFyZC10ZXN0LXdlYmhvb2stc2VjcmV0LTMy")]);
    let client = env.client().await.unwrap();
    let forged = SuiteEvent {
        id: format!("forged-{}", std::process::id()),
        r#type: "suite.succeeded".into(),
        suite_id: "vlan-rollout".into(),
        summary: "every device changed".into(),
        ..Default::default()
    };
    // Under the id a real suite's event would have.
    let workflow_id = names::event_workflow_id("vlan-rollout", 99, "suite.succeeded") + &format!("-{}", std::process::id());
    let options = WorkflowStartOptions::new(queue.to_string(), workflow_id.clone()).build();
    client.start_workflow(EventWorkflow::run, forged, options).await.expect("anyone may start an event workflow");
    let handle = client.get_workflow_handle::<EventWorkflow>(workflow_id.clone());
    let result = tokio::time::timeout(TIMEOUT, handle.get_result(Default::default())).await.expect("the event workflow ends").expect("a result");
    let delivery = result.deliveries.first().expect("one delivery, refused");
    assert!(delivery.error.contains("not started by a suite or a drift check"), "{delivery:?}");
    assert!(receiver.got().is_empty(), "nothing reached the receiver: {:?}", receiver.got().len());
    let log = std::fs::read_to_string(env.worker_log(queue)).unwrap();
    assert!(log.contains("Refused to send an event"), "the worker log says why");
}

/// A suite's input is anyone's claim, and a compact one names its devices'
/// steps by index: an input naming a step it does not hold ends the suite
/// before any device is read, saying which device and what it named.
#[tokio::test]
async fn a_suite_input_naming_a_step_it_lacks_ends_before_reading_anything() {
    use switchyard_proto::v1::{operation::Op, CreateVlan, DeviceTarget, Operation, Rollout, SharedTarget, Step, SuiteInput};
    use switchyard_workflows::SuiteWorkflow;

    let env = TestEnv::get();
    let queue = "warrants-compact";
    let _worker = env.spawn_worker(queue);
    let client = env.client().await.unwrap();
    let id = format!("warrants-compact-{}", std::process::id());
    let vlan = Step { id: "1-create_vlan".into(), operation: Some(Operation { op: Some(Op::CreateVlan(CreateVlan { vlan_id: 363, ..Default::default() })) }) };
    let input = SuiteInput {
        suite_id: id.clone(),
        name: "warrants-compact".into(),
        requester: "alice".into(),
        rollout: Some(Rollout { parallelism: 1, ..Default::default() }),
        devices: vec![
            DeviceTarget { device: "sonic-d001".into(), shared: 1, ..Default::default() },
            DeviceTarget { device: "sonic-d002".into(), shared: 2, ..Default::default() },
        ],
        step_pool: vec![vlan],
        shared: vec![SharedTarget { step_refs: vec![0], ..Default::default() }, SharedTarget { step_refs: vec![0, 3], ..Default::default() }],
        ..Default::default()
    };
    let options = WorkflowStartOptions::new(queue.to_string(), id.clone()).build();
    client.start_workflow(SuiteWorkflow::run, input, options).await.expect("anyone may start a suite");
    let s = wait_for(&client, &id, "ended", TIMEOUT, ended).await.unwrap();
    assert_eq!(phase(&s), SuitePhase::Failed, "{s:#?}");
    assert_eq!(s.error, "the suite's input is malformed: device sonic-d002 names step 3 of 1; nothing read or written");
    // Not one device read, nor the policy asked: neither activity is in the suite's history.
    let handle = client.get_workflow_handle::<SuiteWorkflow>(id.clone());
    let events = handle.fetch_history(Default::default()).into_events().await.expect("history");
    let scheduled: Vec<String> = events.into_iter().filter_map(|e| match e.attributes {
        Some(Attributes::ActivityTaskScheduledEventAttributes(a)) => a.activity_type.map(|t| t.name),
        _ => None,
    }).collect();
    assert!(!scheduled.iter().any(|name| name == names::ACTIVITY_PLAN_DEVICE || name == names::ACTIVITY_RESOLVE_POLICY), "{scheduled:?}");
}

/// Rolling back writes to devices, so cancelling is a decision: a bare
/// Temporal cancellation request (any identity, as the Web UI's "Request
/// Cancellation" sends it) only pauses the suite and says so; an unsigned
/// cancel counts for nothing under a signed policy; the requester's signed
/// `switchyard cancel` rolls the changed device back.
#[tokio::test]
async fn a_bare_temporal_cancel_pauses_and_a_signed_cancel_rolls_back() {
    use switchyard_proto::v1::SuitePhase::{Cancelled, Paused};

    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let queue = "warrants-cancel";
    let key = |who: &str| env.person_public_key(who);
    let policy = write("cancel-policy.yaml", &format!(
        "principals:\n  - {{ name: alice, groups: [neteng], keys: [\"{}\"] }}\n  - {{ name: bob, groups: [reviewers], keys: [\"{}\"] }}\n\
         rules:\n  - name: lab\n    devices: {{ tags: [lab] }}\n    request: [neteng]\n    operate: [neteng]\n    approvals:\n      - {{ count: 1, from: [reviewers] }}\n",
        key("alice"), key("bob")));
    let _worker = env.spawn_worker_under(queue, &env.inventory(), &policy, &[]);
    let client = env.client().await.unwrap();
    let (alice, bob) = (env.person_key("alice").display().to_string(), env.person_key("bob").display().to_string());
    let before = env.rows(6);
    // The first device, then a long soak before the second.
    let suite = write("cancel.yaml", "name: warrants-cancel\ntargets:\n  names: [sonic-d006, sonic-d007]\nsteps:\n  - create_vlan:\n      vlan_id: 364\n\
        rollout:\n  parallelism: 1\n  waves: [1]\n  soak: 10m\n");
    let out = env.cli_on(queue, &["--signing-key", &alice, "run", suite.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    wait_for(&client, &id, "awaiting approval", TIMEOUT, |s| phase(s) == SuitePhase::AwaitingApproval || ended(s)).await.unwrap();
    env.cli_ok(queue, &["--signing-key", &bob, "approve", &id]);
    wait_for(&client, &id, "the first device changed", TIMEOUT, |s| s.devices.iter().any(|d| d.status == DeviceStatus::Succeeded as i32) || ended(s)).await.unwrap();
    assert!(env.rows(6).contains_key("VLAN|Vlan364"));

    // Anyone with namespace access asks Temporal to cancel.
    let cli = std::env::var("TEMPORAL_CLI").expect("TEMPORAL_CLI is set by tests/run.sh");
    let address = env.temporal.trim_start_matches("http://").to_string();
    let sent = std::process::Command::new(cli).args(["workflow", "cancel", "--workflow-id", &id, "--address", &address])
        .output().expect("temporal CLI");
    assert!(sent.status.success(), "{}", text(&sent));
    let paused = wait_for(&client, &id, "paused", TIMEOUT, |s| phase(s) == Paused || ended(s)).await.unwrap();
    assert_eq!(phase(&paused), Paused, "{}", paused.error);
    let noted = paused.operator_log.iter().find(|e| e.operator == "temporal").expect("the request is recorded");
    assert!(!noted.applied && noted.reason.contains("through Temporal") && noted.reason.contains("not a signed decision"), "{noted:?}");
    assert!(env.rows(6).contains_key("VLAN|Vlan364"), "nothing rolled back on a bare request");

    // Unsigned, under a policy that counts only signed decisions.
    let out = env.cli_on(queue, &["cancel", &id, "--operator", "alice"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("only signed"), "{}", text(&out));
    // bob may approve but not operate.
    let out = env.cli_on(queue, &["--signing-key", &bob, "cancel", &id]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("bob may not operate"), "{}", text(&out));
    // alice's signed cancel: the changed device is rolled back.
    let out = env.cli_on(queue, &["--signing-key", &alice, "cancel", &id, "--reason", "change freeze"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = wait_for(&client, &id, "ended", TIMEOUT, ended).await.unwrap();
    assert_eq!(phase(&s), Cancelled, "{}", s.error);
    assert!(s.error.contains("by alice: change freeze"), "{}", s.error);
    assert_eq!(env.rows(6), before, "sonic-d006 rolled back");
}
