//! Recorded histories replayed against the current workflow code: a change
//! that would break running suites fails here, in plain `cargo test`.
//! Histories are recorded by the end-to-end tests with
//! `SWITCHYARD_RECORD_HISTORIES=1 tests/run.sh`.

use switchyard_workflows::{DeviceWorkflow, SuiteWorkflow};
use temporalio_client::WorkflowHistory;
use temporalio_protos::temporal::api::history::v1::History;
use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};

/// Histories that must exist; every other `.binpb` in the folder replays too
/// (older recordings stay: they stand for suites still running on workers).
const REQUIRED: &[&str] = &[
    "suite_vlan_ok.binpb",
    "device_apply_ok.binpb",
    "suite_vlan_rollback.binpb",
    "device_apply_drift.binpb",
    "device_rollback.binpb",
    "suite_window_extended.binpb",
    "suite_canary_failed.binpb",
    "suite_paused_resumed.binpb",
    "suite_cancelled.binpb",
    "device_rollback_after_cancel.binpb",
    "suite_checks_canary_failed.binpb",
    "device_post_check_failed.binpb",
    "device_pre_check_failed.binpb",
];

#[tokio::test]
async fn recorded_histories_replay() {
    let replayer = WorkflowReplayer::new(
        WorkflowReplayerOptions::new()
            .register_workflow::<SuiteWorkflow>().unwrap()
            .register_workflow::<DeviceWorkflow>().unwrap()
            .build(),
    ).unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/histories");
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".binpb"))
        .collect();
    names.sort();
    for required in REQUIRED {
        assert!(names.iter().any(|n| n == required), "{required} is missing from {dir}");
    }
    for name in &names {
        let path = format!("{dir}/{name}");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let history: History = prost::Message::decode(bytes.as_slice()).unwrap();
        assert!(history.events.len() > 5, "{name} looks truncated");
        replayer.replay_workflow(WorkflowHistory::from(history)).await.unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// Payloads in history are what the Web UI shows: they must be plain JSON
/// with field and enum names, not protobuf bytes.
#[test]
fn payloads_in_history_are_readable_json() {
    use temporalio_protos::temporal::api::history::v1::history_event::Attributes;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/histories/suite_vlan_rollback.binpb");
    let history: History = prost::Message::decode(std::fs::read(path).unwrap().as_slice()).unwrap();
    let mut seen = 0;
    for event in &history.events {
        let payloads = match &event.attributes {
            Some(Attributes::WorkflowExecutionStartedEventAttributes(a)) => a.input.as_ref(),
            Some(Attributes::ActivityTaskScheduledEventAttributes(a)) => a.input.as_ref(),
            Some(Attributes::WorkflowExecutionSignaledEventAttributes(a)) => a.input.as_ref(),
            Some(Attributes::WorkflowExecutionCompletedEventAttributes(a)) => a.result.as_ref(),
            _ => None,
        };
        for p in payloads.into_iter().flat_map(|p| &p.payloads) {
            assert_eq!(p.metadata.get("encoding").map(|e| e.as_slice()), Some(&b"json/plain"[..]), "event {}", event.event_id);
            let json: serde_json::Value = serde_json::from_slice(&p.data).expect("payload is JSON");
            assert!(json.is_object(), "event {}: {json}", event.event_id);
            seen += 1;
        }
    }
    assert!(seen >= 3, "expected start, signal and result payloads, saw {seen}");
    // Field and enum names, as written in suite.proto.
    let start = history.events.iter().find_map(|e| match &e.attributes {
        Some(Attributes::WorkflowExecutionStartedEventAttributes(a)) => a.input.clone(),
        _ => None,
    }).unwrap();
    let text = String::from_utf8(start.payloads[0].data.clone()).unwrap();
    assert!(text.contains("\"suiteId\"") && text.contains("\"ON_FAILURE_ROLLBACK\"") && text.contains("\"createVlan\""), "{text}");
}
