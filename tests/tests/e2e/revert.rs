//! Reverting a completed suite end to end: `switchyard revert` plans a new
//! suite from the suite's receipts against today's rows and runs it like
//! any suite. Every row the suite wrote goes back to its bytes from before,
//! except a row changed by hand since (left in place, and the plan says
//! so) and a VRF a later suite uses (kept for it); a second revert is
//! refused naming the first, and each suite's report names the other; an
//! `undo_step` whose receipt is not the one Temporal recorded is refused.
//! Needs `tests/run.sh`; fails loudly without it.

use switchyard_proto::names;
use switchyard_proto::v1::SuitePhase;
use switchyard_tests::{TestEnv, device_result, run_to_end, started_suite_id, suite_on};

#[tokio::test]
async fn a_revert_restores_what_the_suite_wrote_and_leaves_what_others_changed_or_use() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let device = 6;
    let before = env.rows(device);
    let original = run_to_end(&env, &suite_on("revert", "revert-tenant", &[device], "steps:
  - create_vrf: { name: Vrf-rv }
  - create_vlan: { vlan_id: 350, description: tenant-rv }
  - add_vlan_member: { vlan_id: 350, port: Ethernet8, tagging_mode: tagged }
  - create_vlan: { vlan_id: 351 }
")).await;
    assert_eq!(original.phase, SuitePhase::Succeeded as i32, "{original:#?}");
    // Since: a row changed by hand, and a later suite that uses the VRF.
    env.hset(device, "VLAN|Vlan351", &[("description", "by-hand")]);
    let later = run_to_end(&env, &suite_on("revert", "revert-later", &[device], "steps:
  - add_interface_address: { interface: Ethernet12, address: 10.77.0.1/31, vrf: Vrf-rv }
")).await;
    assert_eq!(later.phase, SuitePhase::Succeeded as i32, "{later:#?}");
    let since = env.rows(device);
    let since_bytes = env.dump_config_db(device);

    // In a change window of its own, open now.
    let (start, end) = (switchyard_tests::rfc3339_in(-60), switchyard_tests::rfc3339_in(3600));
    let out = env.cli(&["revert", &original.suite_id, "--requester", "alice", "--window-start", &start, "--window-end", &end]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{said}{}", String::from_utf8_lossy(&out.stderr));
    let revert_id = started_suite_id(&said).unwrap();
    assert_eq!(revert_id, names::revert_suite_id(&original.suite_id));
    let client = env.client().await.unwrap();
    let reverted = switchyard_tests::wait_for(&client, &revert_id, "ended", std::time::Duration::from_secs(180), switchyard_tests::ended).await.unwrap();
    assert_eq!(reverted.phase, SuitePhase::Succeeded as i32, "{reverted:#?}");
    assert_eq!(reverted.reverts, original.suite_id);
    assert_eq!(reverted.window_end, end, "the revert ran in its window");
    assert!(device_result(&reverted, device).confirmed, "the revert is confirmed on the switch like any change");

    // Exactly the suite's own rows that nobody touched since are gone.
    let mut expected = since.clone();
    for key in ["VLAN|Vlan350", "VLAN_MEMBER|Vlan350|Ethernet8"] {
        assert!(expected.remove(key).is_some(), "{key} was written by the suite");
    }
    assert_eq!(env.rows(device), expected, "the revert removed the suite's rows and nothing else");
    // To the byte: every other row is as DUMP saw it before the revert.
    let mut expected_bytes = since_bytes.clone();
    for key in ["VLAN|Vlan350", "VLAN_MEMBER|Vlan350|Ethernet8"] {
        expected_bytes.remove(key);
    }
    assert_eq!(env.dump_config_db(device), expected_bytes, "every row left is byte for byte as it was");
    assert_eq!(env.rows(device)["VLAN|Vlan351"]["description"], "by-hand", "the row changed since stays as it was changed");
    assert!(env.rows(device).contains_key("VRF|Vrf-rv"), "the VRF the later suite uses stays");
    for key in before.keys() {
        assert_eq!(env.rows(device).get(key), before.get(key), "{key}: a row from before the suite is as it was");
    }
    // The plan said what stays, and why, before anyone approved it.
    let report = String::from_utf8_lossy(&env.cli(&["status", &revert_id]).stdout).to_string();
    assert!(report.contains(&format!("reverts suite {}", original.suite_id)), "{report}");
    assert!(report.contains(&format!("VLAN|Vlan351: left in place: changed since suite {} wrote it", original.suite_id)), "{report}");
    assert!(report.contains("VRF|Vrf-rv: left in place: still used by"), "{report}");
    let report = String::from_utf8_lossy(&env.cli(&["status", &original.suite_id]).stdout).to_string();
    assert!(report.contains(&format!("reverted by suite {revert_id}")), "{report}");

    let audit = String::from_utf8_lossy(&env.cli(&["audit", &revert_id]).stdout).to_string();
    assert!(audit.contains(&format!("reverts suite {}", original.suite_id)), "{audit}");
    let audit = String::from_utf8_lossy(&env.cli(&["audit", &original.suite_id]).stdout).to_string();
    assert!(audit.contains(&format!("reverted by suite {revert_id}")), "{audit}");

    // Once only.
    let again = env.cli(&["revert", &original.suite_id, "--requester", "alice"]);
    let err = String::from_utf8_lossy(&again.stderr);
    assert_ne!(again.status.code(), Some(0), "{err}");
    assert!(err.contains(&format!("reverted already by suite {revert_id}")), "{err}");

    // An undo_step written by hand with a receipt the suite never recorded
    // (it would remove a VLAN the suite did not create) is refused at plan
    // time by the worker, which reads the recorded one from Temporal.
    let rows = env.rows(device);
    env.hset(device, "VLAN|Vlan352", &[("vlanid", "352")]);
    let forged = run_to_end(&env, &suite_on("revert", "revert-forged", &[device], &format!("steps:
  - undo_step: {{ suite_id: {}, step_id: 4-create_vlan, receipt: '{{\"created\": [\"VLAN|Vlan352\"]}}', written: '{{\"changes\": []}}' }}
", original.suite_id))).await;
    assert_ne!(forged.phase, SuitePhase::Succeeded as i32, "{forged:#?}");
    let d = device_result(&forged, device);
    assert!(d.error.contains(&format!("undo_step refused: its receipt is not the one suite {} recorded for step 4-create_vlan", original.suite_id)), "{d:#?}");
    assert!(env.rows(device).contains_key("VLAN|Vlan352"), "nothing was removed");
    let mut expected = rows;
    expected.insert("VLAN|Vlan352".into(), [("vlanid".to_string(), "352".to_string())].into());
    assert_eq!(env.rows(device), expected);
}
