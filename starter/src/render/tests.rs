//! Snapshots of what operators read, rendered with colour off (as when
//! stdout is piped), so a change of wording or layout shows up as a text
//! diff of the `.snap` files beside this one. Fixtures are built here, by
//! hand, in the shapes the suite workflow reports.

use switchyard_proto::v1::{
    ApprovalSignal, CompensationAction, CompensationEntry, Decision, DeviceResult, DeviceStatus, OperatorEvent,
    RecordedDecision, StepRetry, SuiteCounts, SuitePhase, SuiteStatus,
};

use super::*;

/// Rendered text as a pipe receives it: anstream strips the styles there.
fn plain(text: String) -> String {
    anstream::adapter::strip_str(&text).to_string()
}

const DIFF: &str = "\
7 devices: sonic-d001, sonic-d002, sonic-d003, sonic-d004, sonic-d005, sonic-d006, … and 1 more
  + VLAN|Vlan100 description=tenant-a vlanid=100
  + VLAN_MEMBER|Vlan100|Ethernet0 tagging_mode=untagged
1 device: sonic-d008
  + VLAN|Vlan100 description=tenant-a vlanid=100
  ~ PORT|Ethernet0 mtu: 1500 → 9100
  - VLAN_MEMBER|Vlan200|Ethernet0
";

fn device(name: &str, status: DeviceStatus, applied: &[&str]) -> DeviceResult {
    DeviceResult {
        device: name.into(),
        status: status as i32,
        steps_applied: applied.iter().map(|s| s.to_string()).collect(),
        wave: 1,
        ..Default::default()
    }
}

fn decision(reviewer: &str, decision: Decision, counted: bool, reason: &str, comment: &str) -> RecordedDecision {
    RecordedDecision {
        signal: Some(ApprovalSignal { reviewer: reviewer.into(), decision: decision as i32, plan_hash: "4f2a9c".into(), comment: comment.into(), ..Default::default() }),
        counted,
        reason: reason.into(),
        ..Default::default()
    }
}

fn entry(device: &str, step: &str, key: &str, field: &str, action: CompensationAction, reason: &str) -> CompensationEntry {
    CompensationEntry { device: device.into(), step_id: step.into(), key: key.into(), field: field.into(), action: action as i32, reason: reason.into(), remains: false }
}

fn suite(phase: SuitePhase, devices: Vec<DeviceResult>) -> SuiteStatus {
    let count = |s: DeviceStatus| devices.iter().filter(|d| d.status() == s).count() as u32;
    SuiteStatus {
        suite_id: "vlan-tenant-20261122-172005".into(),
        name: "vlan-tenant".into(),
        phase: phase as i32,
        plan_hash: "4f2a9c0d1e2b3a4c5d6e7f8091a2b3c4".into(),
        fleet_diff: DIFF.into(),
        counts: Some(SuiteCounts {
            devices: devices.len() as u32,
            succeeded: count(DeviceStatus::Succeeded),
            failed: count(DeviceStatus::Failed),
            rolled_back: count(DeviceStatus::RolledBack),
            skipped: count(DeviceStatus::Skipped),
        }),
        devices,
        requester: "alice".into(),
        parallelism: 4,
        wave: 1,
        waves: 1,
        started_at: "2026-11-22T17:20:05Z".into(),
        planned_at: "2026-11-22T17:20:07Z".into(),
        rows_created: 16,
        rows_updated: 1,
        rows_deleted: 1,
        ..Default::default()
    }
}

#[test]
fn plan() {
    let status = suite(SuitePhase::AwaitingApproval, vec![]);
    insta::assert_snapshot!(plain(super::plan(&status)));
}

#[test]
fn plan_is_coloured_like_git_diff() {
    let text = super::plan(&suite(SuitePhase::AwaitingApproval, vec![]));
    assert!(text.contains(&paint(ADDED, "  + VLAN|Vlan100 description=tenant-a vlanid=100")), "{text:?}");
    assert!(text.contains(&paint(DELETED, "  - VLAN_MEMBER|Vlan200|Ethernet0")), "{text:?}");
    assert!(text.contains(&paint(CHANGED, "  ~ PORT|Ethernet0 mtu: 1500 → 9100")), "{text:?}");
    assert!(text.contains(&paint(BOLD, "1 device: sonic-d008")), "{text:?}");
}

#[test]
fn summary_counts_one_device_and_many() {
    let one = suite(SuitePhase::Succeeded, vec![device("sonic-d001", DeviceStatus::Succeeded, &[])]);
    assert_eq!(summary(&one), "vlan-tenant-20261122-172005: succeeded | 1 device: 1 succeeded, 0 failed, 0 rolled back, 0 skipped");
    let two = suite(SuitePhase::Succeeded, vec![device("a", DeviceStatus::Succeeded, &[]), device("b", DeviceStatus::Succeeded, &[])]);
    assert!(summary(&two).contains("| 2 devices: 2 succeeded"), "{}", summary(&two));
}

#[test]
fn report_of_a_succeeded_suite() {
    let steps = ["1-create_vlan", "2-add_vlan_member"];
    let devices = (1..=3).map(|i| DeviceResult { verified: true, ..device(&format!("sonic-d00{i}"), DeviceStatus::Succeeded, &steps) }).collect();
    let mut status = suite(SuitePhase::Succeeded, devices);
    status.applying_at = "2026-11-22T17:24:51Z".into();
    status.finished_at = "2026-11-22T17:25:03Z".into();
    status.decisions = vec![decision("bob", Decision::Approve, true, "counted", "lgtm")];
    insta::assert_snapshot!(plain(report(&status)));
}

#[test]
fn report_of_a_rolled_back_suite() {
    let steps = ["1.1-create_vrf", "1.2-bind_interface_vrf", "1.3-remove_interface_address"];
    let rolled_back = |name: &str| DeviceResult {
        verified: true,
        steps_compensated: steps.iter().rev().map(|s| s.to_string()).collect(),
        removed: 1,
        restored: 2,
        left_in_place: 1,
        ..device(name, DeviceStatus::RolledBack, &steps)
    };
    let failed = DeviceResult {
        wave: 2,
        steps_compensated: vec!["1.1-create_vrf".into()],
        removed: 1,
        error: "sonic-d003: step 1.2-bind_interface_vrf: drift: INTERFACE|Ethernet8 changed since it was planned".into(),
        ..device("sonic-d003", DeviceStatus::Failed, &["1.1-create_vrf"])
    };
    let skipped = DeviceResult { wave: 2, ..device("sonic-d004", DeviceStatus::Skipped, &[]) };
    let mut status = suite(SuitePhase::RolledBack, vec![rolled_back("sonic-d001"), rolled_back("sonic-d002"), failed, skipped]);
    status.waves = 2;
    status.wave = 2;
    status.applying_at = "2026-11-22T17:24:51Z".into();
    status.finished_at = "2026-11-22T17:26:40Z".into();
    status.decisions = vec![decision("bob", Decision::Approve, true, "counted", "")];
    status.compensation_log = vec![
        entry("sonic-d003", "1.1-create_vrf", "VRF|VrfRed", "", CompensationAction::Removed, "created by this suite"),
        entry("sonic-d001", "1.3-remove_interface_address", "INTERFACE|Ethernet8|10.0.0.1/31", "", CompensationAction::Restored, "re-created"),
        entry("sonic-d001", "1.2-bind_interface_vrf", "INTERFACE|Ethernet8", "vrf_name", CompensationAction::Restored, "was \"\""),
        entry("sonic-d001", "1.1-create_vrf", "VRF|VrfRed", "", CompensationAction::LeftInPlace, "still used by INTERFACE|Ethernet12"),
        entry("sonic-d002", "", "", "", CompensationAction::NotApplied, "no journal record: nothing undone"),
    ];
    status.compensation_log_omitted = 3;
    status.error = "sonic-d003 failed; on_failure: rollback".into();
    insta::assert_snapshot!(plain(report(&status)));
}

#[test]
fn report_of_a_paused_suite() {
    let mut first = device("sonic-d001", DeviceStatus::Succeeded, &["1-create_vlan", "2-add_vlan_member"]);
    first.verified = true;
    let mut second = device("sonic-d002", DeviceStatus::Failed, &["1-create_vlan"]);
    second.error = "sonic-d002: step 2-add_vlan_member: drift: VLAN_MEMBER|*|Ethernet0 changed since it was planned".into();
    second.lock_wait = "waited 12s for vlan-storage-20261122-171000".into();
    let mut status = suite(SuitePhase::Paused, vec![first, second, device("sonic-d003", DeviceStatus::Planned, &[])]);
    status.window_end = "2026-11-23T03:00:00Z".into();
    status.applying_at = "2026-11-22T17:24:51Z".into();
    status.decisions = vec![
        decision("mallory", Decision::Approve, false, "mallory is not among the suite's reviewers (bob, carol)", ""),
        decision("carol", Decision::Unspecified, false, "decision must be DECISION_APPROVE or DECISION_REJECT", "from the web ui"),
        RecordedDecision { signal: None, counted: false, reason: "refused: cannot decode the body: unknown variant `DECISION_MAYBE`".into(), ..Default::default() },
        decision("bob", Decision::Approve, true, "counted", "lgtm"),
    ];
    status.operator_log = vec![
        OperatorEvent { at: "2026-11-22T17:25:10Z".into(), operator: "oscar".into(), action: "set parallelism 4 → 1".into(), applied: true, reason: String::new(), ..Default::default() },
        OperatorEvent { at: "2026-11-22T17:25:30Z".into(), operator: "oscar".into(), action: "resume".into(), applied: false, reason: "the suite is applying, not paused".into(), ..Default::default() },
    ];
    let text = plain(report(&status));
    assert!(!text.contains("carol  approve"), "an unspecified decision is never shown as approve:\n{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn progress_view() {
    // One suite, looked at as `watch` does, from planning to the end.
    let planned = |name: &str| DeviceResult { wave: 1, ..device(name, DeviceStatus::Planned, &[]) };
    let mut status = suite(SuitePhase::Planning, vec![DeviceResult { status: DeviceStatus::Pending as i32, ..planned("sonic-d001") }]);
    status.fleet_diff = "2 devices: sonic-d001, sonic-d002\n  + VLAN|Vlan100 vlanid=100\n".into();
    status.rows_created = 2;
    let mut looks = vec![status.clone()];
    status.phase = SuitePhase::AwaitingApproval as i32;
    status.devices = vec![planned("sonic-d001"), planned("sonic-d002")];
    looks.push(status.clone());
    status.phase = SuitePhase::Applying as i32;
    status.waves = 2;
    status.devices[0].status = DeviceStatus::Applying as i32;
    looks.push(status.clone());
    looks.push(status.clone());
    status.devices[0].status = DeviceStatus::Succeeded as i32;
    status.wave = 2;
    status.devices[1].status = DeviceStatus::Failed as i32;
    status.devices[1].error = "sonic-d002: step 1-create_vlan: drift".into();
    status.phase = SuitePhase::Paused as i32;
    looks.push(status.clone());

    let mut changes = Changes::default();
    let mut transcript = String::new();
    for look in &looks {
        let p = progress(look);
        let _ = writeln!(transcript, "-- bar: {}/{} {}", p.done, p.total, p.message);
        transcript.push_str(&changes.since_last(look));
    }
    insta::assert_snapshot!(plain(transcript));
}

#[test]
fn suite_list() {
    let suites = [
        ListedSuite { suite_id: "sem-pause-rollback-20261122-172005".into(), status: "rolled_back".into(), requester: "alice".into(), devices: 8, failed: 1, name: String::new(), started_at: 1_795_371_605, closed_at: Some(1_795_371_700) },
        ListedSuite { suite_id: "a".into(), status: "applying".into(), requester: "bob".into(), devices: 120, failed: 0, name: String::new(), started_at: 1_795_374_000, closed_at: None },
        ListedSuite { suite_id: "b".into(), status: "succeeded".into(), requester: "bob".into(), devices: 2, failed: 0, name: String::new(), started_at: 0, closed_at: None },
    ];
    let raw = super::suites(&suites, 1_795_374_045);
    assert!(raw.contains("\u{1b}[31mrolled_back\u{1b}[0m  2026") && raw.contains("\u{1b}[32msucceeded\u{1b}[0m"), "{raw:?}");
    insta::assert_snapshot!(plain(raw));
}

#[test]
fn ages_are_in_their_largest_whole_unit() {
    assert_eq!([0, 59, 60, 3599, 3600, 86_399, 86_400, -5].map(super::age), ["0s", "59s", "1m", "59m", "1h", "23h", "1d", "0s"]);
}

#[test]
fn steps_that_needed_retries_are_listed_with_their_attempts() {
    let clean = device("sonic-d001", DeviceStatus::Succeeded, &["1-create_vlan"]);
    let retried = DeviceResult {
        retries: vec![
            StepRetry { step_id: "1-create_vlan".into(), kind: "apply".into(), attempts: 3 },
            StepRetry { step_id: String::new(), kind: "verify".into(), attempts: 2 },
        ],
        ..device("sonic-d002", DeviceStatus::Succeeded, &["1-create_vlan"])
    };
    let text = plain(report(&suite(SuitePhase::Succeeded, vec![clean.clone(), retried])));
    assert!(text.contains("RETRIED"), "{text}");
    assert!(text.contains("apply 1-create_vlan ×3, verify ×2"), "{text}");
    // A clean run has no such column.
    assert!(!plain(report(&suite(SuitePhase::Succeeded, vec![clean]))).contains("RETRIED"));
}

#[test]
fn whether_each_device_saved_its_configuration_is_shown() {
    let saved = DeviceResult { saved: true, ..device("sonic-d001", DeviceStatus::Succeeded, &["1-create_vlan"]) };
    let unsaved = DeviceResult {
        save_error: "not saved: sonic-d002: `sudo config save -y` failed: exit status 1: Permission denied".into(),
        ..device("sonic-d002", DeviceStatus::Succeeded, &["1-create_vlan"])
    };
    let text = plain(report(&suite(SuitePhase::Succeeded, vec![saved.clone(), unsaved])));
    assert!(text.contains("SAVED"), "{text}");
    assert!(text.contains("Permission denied"), "{text}");
    // No device asked to save: no column.
    let plain_run = device("sonic-d001", DeviceStatus::Succeeded, &["1-create_vlan"]);
    assert!(!plain(report(&suite(SuitePhase::Succeeded, vec![plain_run]))).contains("SAVED"));
}

/// Under a policy that counts only signed decisions, the hints say to sign
/// and name nobody; a suite refused before it planned shows no empty hash
/// but what to do.
#[test]
fn hints_follow_the_policy() {
    use switchyard_proto::v1::EffectivePolicy;
    let signed = SuiteStatus {
        suite_id: "s1".into(),
        phase: SuitePhase::AwaitingApproval as i32,
        plan_hash: "abc".into(),
        policy: Some(EffectivePolicy { allow_unsigned: false, ..Default::default() }),
        ..Default::default()
    };
    let lines = plain(Changes::default().since_last(&signed));
    assert!(lines.contains("approve with:\n  switchyard --signing-key <your key> approve s1 --plan-hash abc\n"), "{lines}");
    assert!(!lines.contains("<name>"), "{lines}");
    let refused = SuiteStatus {
        suite_id: "s2".into(),
        error: "refused by policy p.yaml: the launch is not accepted: unsigned: this policy counts only signed decisions (sign with --signing-key or `switchyard sign`)".into(),
        ..Default::default()
    };
    let text = plain(super::plan(&refused));
    assert!(text.starts_with("no plan for suite s2: nothing was planned\nsign the launch: --signing-key"), "{text}");
}

#[test]
fn a_large_suite_is_watched_and_reported_wave_by_wave() {
    // What the suite reports for 10,000 devices: the 200 that need a look
    // (here one failed, the rest succeeded), the counts, each wave's counts.
    let shown: Vec<DeviceResult> = (1..=200).map(|i| {
        let status = if i == 7 { DeviceStatus::Failed } else { DeviceStatus::Succeeded };
        DeviceResult { wave: if i == 1 { 1 } else { 2 }, error: if i == 7 { "sonic-d007: step 1-create_vlan: drift".into() } else { String::new() }, ..device(&format!("sonic-d{i:03}"), status, &[]) }
    }).collect();
    let mut status = suite(SuitePhase::Applying, shown);
    status.devices_omitted = 9_800;
    status.counts = Some(SuiteCounts { devices: 10_000, succeeded: 4_000, failed: 1, ..Default::default() });
    status.waves = 3;
    status.wave_counts = vec![
        WaveCounts { wave: 1, devices: 1, succeeded: 1, ..Default::default() },
        WaveCounts { wave: 2, devices: 999, succeeded: 998, failed: 1, ..Default::default() },
        WaveCounts { wave: 3, devices: 9_000, succeeded: 3_001, running: 16, waiting: 5_983, ..Default::default() },
    ];
    let mut changes = Changes::default();
    let first = plain(changes.since_last(&status));
    assert_eq!(first.lines().filter(|l| l.starts_with("  sonic-")).count(), 1, "only the failed device by name: {first}");
    assert!(first.contains("  sonic-d007     failed"), "{first}");
    assert!(first.contains("  wave 3: 3001/9000 done (3001 succeeded, 0 failed, 0 rolled back, 0 skipped), 16 running, 5983 waiting"), "{first}");
    status.wave_counts[2].succeeded += 16;
    let next = plain(changes.since_last(&status));
    assert_eq!(next.lines().count(), 1, "one line for the wave that moved: {next}");
    let p = progress(&status);
    assert_eq!((p.done, p.total), (4_001, 10_000), "from the counts, not the list");

    let report = plain(report(&status));
    assert!(report.contains("waves:"), "{report}");
    assert!(report.contains("… and 9800 more (listed: the 200 that need a look first); every device: switchyard status vlan-tenant-20261122-172005 --devices"), "{report}");
}
