//! Secrets stay secret: a suite runs on devices reached with a key file and
//! with a password from the worker's environment; no credential value
//! appears in any workflow history (fetched whole), in the worker's log (at
//! debug level), or in the errors of a device whose password is wrong.
//! Needs `tests/run.sh` (its lab accepts the lab password); fails loudly without it.

use std::time::Duration;

use switchyard_proto::names;
use switchyard_proto::v1::{DeviceStatus, SuitePhase};
use switchyard_tests::{TestEnv, started_suite_id, vlan_suite, wait_for};
use switchyard_workflows::SuiteWorkflow;

#[tokio::test]
async fn no_credential_value_reaches_history_logs_or_errors() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let password = std::env::var("SWITCHYARD_TEST_LAB_PASSWORD")
        .expect("SWITCHYARD_TEST_LAB_PASSWORD is not set: run tests/run.sh, whose lab accepts it");
    let wrong = "not-the-password-3f9a1c";
    let key = std::fs::read_to_string(env.lab_dir.join("id_ed25519")).unwrap();
    let key_body: Vec<&str> = key.lines().filter(|l| !l.starts_with("-----")).collect();

    // Device 2 logs in with the password, device 3 with a wrong one, the rest with the key.
    let inventory = std::fs::read_to_string(env.inventory()).unwrap()
        .replace("  - name: sonic-d002\n", "  - name: sonic-d002\n    credential: { password_env: SY_D2_PASSWORD }\n")
        .replace("  - name: sonic-d003\n", "  - name: sonic-d003\n    credential: { password_env: SY_D3_PASSWORD }\n");
    let path = std::env::temp_dir().join(format!("switchyard-secrets-{}.yaml", std::process::id()));
    std::fs::write(&path, inventory).unwrap();
    let queue = format!("secrets-{}", std::process::id());
    let _worker = env.spawn_worker_with(&queue, &path, &[("SY_D2_PASSWORD", &password), ("SY_D3_PASSWORD", wrong)]);

    let client = env.client().await.unwrap();
    let run = |suite: std::path::PathBuf| {
        let out = env.cli_on(&queue, &["run", suite.to_str().unwrap(), "--requester", "alice", "--inventory", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap()
    };
    let ended = |s: &switchyard_proto::v1::SuiteStatus| s.phase == SuitePhase::Succeeded as i32 || s.phase == SuitePhase::Failed as i32;
    let id = run(vlan_suite("secrets-ok", ""));
    let s = wait_for(&client, &id, "ended", Duration::from_secs(120), ended).await.unwrap();
    // Device 3's password is wrong: every device but it is targeted here.
    assert_eq!(s.phase, SuitePhase::Failed as i32, "device 3 refuses the wrong password: {s:?}");
    assert_eq!(s.devices[2].status, DeviceStatus::PlanFailed as i32, "{:?}", s.devices[2]);
    assert!(s.devices[2].error.contains("authentication refused"), "{}", s.devices[2].error);
    let names_but_3: Vec<String> = (1..=env.device_count()).filter(|i| *i != 3).map(TestEnv::device_name).collect();
    let text = std::fs::read_to_string(vlan_suite("secrets-ok2", "")).unwrap()
        .replace("targets:\n  tags: [lab]", &format!("targets:\n  names: [{}]", names_but_3.join(", ")));
    let ok_suite = std::env::temp_dir().join(format!("switchyard-secrets-ok-{}.yaml", std::process::id()));
    std::fs::write(&ok_suite, text).unwrap();
    let id2 = run(ok_suite);
    let s2 = wait_for(&client, &id2, "ended", Duration::from_secs(120), ended).await.unwrap();
    assert_eq!(s2.phase, SuitePhase::Succeeded as i32, "{s2:?}");
    assert_eq!(s2.devices[1].steps_applied.len(), 2, "the device reached with the password was changed: {:?}", s2.devices[1]);

    // Every history of the suites, whole, as the bytes the server stores
    // (payloads are embedded as they are, so a secret in one would show).
    let mut texts: Vec<Vec<u8>> = Vec::new();
    let mut ids = vec![id.clone(), id2.clone()];
    ids.extend(s2.devices.iter().map(|d| names::device_workflow_id(&id2, &d.device, "apply")));
    for wid in &ids {
        if let Ok(events) = client.get_workflow_handle::<SuiteWorkflow>(wid.clone()).fetch_history(Default::default()).into_events().await {
            texts.push(prost::Message::encode_to_vec(&temporalio_protos::temporal::api::history::v1::History { events }));
        }
    }
    assert!(texts.len() >= 2, "histories were fetched");
    assert!(texts.iter().any(|t| contains(t, b"suiteId")), "the histories hold the suite's JSON payloads");
    texts.push(std::fs::read(env.worker_log(&queue)).unwrap());
    texts.push(format!("{s:?} {s2:?}").into_bytes());
    for text in &texts {
        for secret in [password.as_str(), wrong] {
            assert!(!contains(text, secret.as_bytes()), "a password appears in a history, the log or the result");
        }
        for line in &key_body {
            assert!(!contains(text, line.as_bytes()), "private key material appears in a history, the log or the result");
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
