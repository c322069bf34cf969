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
