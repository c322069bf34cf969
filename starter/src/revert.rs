//! `switchyard revert`: a completed suite undone later, by a new suite
//! planned from its receipts against today's rows.
//!
//! Each device the suite changed and left changed (it succeeded) gets one
//! `undo_step` per step, last step first, carrying the step's receipt and
//! what it wrote, as the suite's device run recorded them in Temporal. The
//! new suite plans them like any other: rows changed since stay, objects a
//! later suite uses stay for it, everything else returns to what it was
//! before, and the plan says which is which. It goes through the same
//! policy, approvals, waves and failure handling as the suite it reverts,
//! and reads the suite's pre-checks before and after (the state the
//! network was in before the change is the state it must be in after).
//! Its id is the suite's own plus `-revert`, so a second revert finds the
//! first and is refused.
//!
//! Must never: start anything (callers start what [`prepare`] builds), or
//! take the receipts from anywhere but Temporal's record of the run.

use std::collections::BTreeMap;

use switchyard_proto::names;
use switchyard_proto::time::{format_rfc3339, parse_rfc3339};
use switchyard_proto::v1::{
    ChangeWindow, CheckWhen, DevicePlan, WindowClose, DeviceStatus, DeviceTarget, Operation, Step, SuiteInput, SuitePhase, SuiteStatus, UndoStep, operation::Op,
};
use switchyard_proto::vocabulary::{device_status_name, is_final, phase_name};
use temporalio_client::Client;

use crate::client::{self, ClientError};

/// A revert, ready to start: its input and the devices of the suite it
/// leaves alone, each with why.
#[derive(Debug, Clone)]
pub struct Revert {
    /// The revert suite's input (unsigned: the caller signs it).
    pub input: SuiteInput,
    /// (device, why it is not reverted).
    pub skipped: Vec<(String, String)>,
}

/// Reads what reverting `suite_id` needs from Temporal (the suite's input
/// and outcome, each changed device's recorded plan) and builds the revert.
/// Refused when the suite was already reverted (naming that suite), has
/// not ended, or left nothing to revert.
pub async fn prepare(client: &Client, suite_id: &str, requester: &str, window: Option<ChangeWindow>) -> Result<Revert, ClientError> {
    let refused = |why: String| ClientError::Revert { suite_id: suite_id.to_string(), why };
    let revert_id = names::revert_suite_id(suite_id);
    if let Some(state) = client::workflow_state(client, &revert_id).await? {
        return Err(refused(format!("it was reverted already by suite {revert_id} ({state}); a suite is reverted once (see switchyard status {revert_id})")));
    }
    let status = client::with_every_device(client, client::status(client, suite_id).await?).await?;
    let (original, _) = client::suite_started(client, suite_id, &status.run_id).await.map_err(refused)?;
    let mut plans = BTreeMap::new();
    for d in status.devices.iter().filter(|d| d.status == DeviceStatus::Succeeded as i32) {
        let run = names::device_workflow_id(suite_id, &d.device, "apply");
        match client::device_plan(client, &run).await.map_err(refused)? {
            Some(plan) => plans.insert(d.device.clone(), plan),
            None => return Err(refused(format!("Temporal has no record of {}'s run {run} (its history may have been deleted after the namespace's retention)", d.device))),
        };
    }
    let mut revert = build(&original, &status, &plans, requester).map_err(refused)?;
    revert.input.window = window;
    Ok(revert)
}

/// The change window a revert is given (`--window-start`/`--window-end`,
/// or the API body's): none, or both times, RFC 3339, ending after they
/// start and after `now`. A policy that requires a window refuses a revert
/// without one, as it refuses any suite.
pub fn window(start: &str, end: &str, now: i64) -> Result<Option<ChangeWindow>, String> {
    let (start, end) = (start.trim(), end.trim());
    if start.is_empty() && end.is_empty() {
        return Ok(None);
    }
    let time = |name: &str, t: &str| parse_rfc3339(t).ok_or_else(|| format!("window {name} {t:?} is not an RFC 3339 time (e.g. 2026-12-01T22:00:00Z)"));
    let (from, to) = match (start.is_empty(), end.is_empty()) {
        (false, false) => (time("start", start)?, time("end", end)?),
        _ => return Err("a window needs both its start and its end".into()),
    };
    if to <= from {
        return Err("the window must end after it starts".into());
    }
    if to <= now {
        return Err(format!("the window ended at {}", format_rfc3339(to)));
    }
    Ok(Some(ChangeWindow { start: format_rfc3339(from), end: format_rfc3339(to), on_close: WindowClose::Stop as i32 }))
}

/// The revert of `original` (as launched), given how it ended and the plan
/// each device it changed ran with. Pure: the decisions, apart from the
/// reads.
pub fn build(original: &SuiteInput, status: &SuiteStatus, plans: &BTreeMap<String, DevicePlan>, requester: &str) -> Result<Revert, String> {
    if original.plan_only {
        return Err("it only planned: nothing was written".into());
    }
    if !is_final(status.phase()) || status.phase() == SuitePhase::Planned {
        return Err(format!("it has not ended ({}); cancel it, or wait for it to end, then revert", phase_name(status.phase())));
    }
    let mut devices = Vec::new();
    let mut skipped = Vec::new();
    for d in &status.devices {
        let Some(plan) = plans.get(&d.device).filter(|_| d.status == DeviceStatus::Succeeded as i32) else {
            skipped.push((d.device.clone(), match d.status() {
                DeviceStatus::RolledBack => "rolled back: nothing of the suite is left on it".to_string(),
                DeviceStatus::Failed => "failed, and undid its own steps then (its compensation log says what stayed)".to_string(),
                other => format!("{}: nothing of the suite is on it", device_status_name(other)),
            }));
            continue;
        };
        let launched = match original.target(&d.device) {
            Some(Ok(launched)) => launched,
            Some(Err(why)) => {
                skipped.push((d.device.clone(), format!("the suite's input as launched is malformed: {why}")));
                continue;
            }
            None => {
                skipped.push((d.device.clone(), "not a target of the suite as launched".into()));
                continue;
            }
        };
        devices.push(target(&original.suite_id, &launched, plan, &d.steps_applied));
    }
    if devices.iter().all(|t| t.steps.is_empty()) {
        return Err("no device holds a change of it (none succeeded)".into());
    }
    devices.retain(|t| !t.steps.is_empty());
    let input = SuiteInput {
        suite_id: names::revert_suite_id(&original.suite_id),
        name: format!("revert-{}", original.name),
        requester: requester.to_string(),
        source_file: format!("revert of suite {}", original.suite_id),
        rollout: original.rollout.clone(),
        approval: original.approval.clone(),
        devices,
        plan_only: false,
        window: None,
        launch: None,
        scheduled: false,
        reverts: original.suite_id.clone(),
        ..Default::default()
    };
    Ok(Revert { input, skipped })
}

/// One device's revert: an `undo_step` for each step it applied, last
/// first; the suite's pre-checks read before and after.
fn target(suite_id: &str, launched: &DeviceTarget, plan: &DevicePlan, applied: &[String]) -> DeviceTarget {
    let steps = plan.steps.iter().rev()
        .filter(|s| s.step.as_ref().is_some_and(|st| applied.contains(&st.id)))
        .enumerate()
        .map(|(i, s)| Step {
            id: format!("{}-undo_step", i + 1),
            operation: Some(Operation { op: Some(Op::UndoStep(UndoStep {
                suite_id: suite_id.to_string(),
                step_id: s.step.as_ref().map(|st| st.id.clone()).unwrap_or_default(),
                receipt: s.receipt.clone(),
                written: s.changes.clone(),
            })) }),
        })
        .collect();
    let pre: Vec<_> = launched.checks.iter().filter(|c| c.when == CheckWhen::Pre as i32).cloned().collect();
    let post = pre.iter().cloned().map(|mut c| {
        c.when = CheckWhen::Post as i32;
        c
    });
    let checks = pre.iter().cloned().chain(post).collect();
    DeviceTarget { device: launched.device.clone(), steps, checks, builtin_checks: false, checks_within_seconds: launched.checks_within_seconds, source_ref: launched.source_ref.clone(), ..Default::default() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_proto::v1::{Change, ChangeSet, Check, CreateVlan, DeviceResult, Receipt, Rollout, StepPlan};

    fn step(id: &str, vlan: u32) -> StepPlan {
        StepPlan {
            step: Some(Step { id: id.into(), operation: Some(Operation { op: Some(Op::CreateVlan(CreateVlan { vlan_id: vlan, ..Default::default() })) }) }),
            receipt: Some(Receipt { created: vec![format!("VLAN|Vlan{vlan}")], ..Default::default() }),
            changes: Some(ChangeSet { changes: vec![Change { key: format!("VLAN|Vlan{vlan}"), ..Default::default() }] }),
            ..Default::default()
        }
    }

    fn original() -> (SuiteInput, SuiteStatus, BTreeMap<String, DevicePlan>) {
        let pre = Check { name: "uplink up".into(), when: CheckWhen::Pre as i32, ..Default::default() };
        let post = Check { name: "vlan there".into(), when: CheckWhen::Post as i32, ..Default::default() };
        let target = |d: &str| DeviceTarget { device: d.into(), checks: vec![pre.clone(), post.clone()], ..Default::default() };
        let input = SuiteInput {
            suite_id: "vlans-1".into(), name: "vlans".into(), devices: vec![target("a"), target("b"), target("c")],
            rollout: Some(Rollout { parallelism: 2, confirm_timeout_seconds: 300, ..Default::default() }), ..Default::default()
        };
        let result = |d: &str, s: DeviceStatus, applied: &[&str]| DeviceResult { device: d.into(), status: s as i32, steps_applied: applied.iter().map(|a| a.to_string()).collect(), ..Default::default() };
        let status = SuiteStatus {
            suite_id: "vlans-1".into(), phase: SuitePhase::Failed as i32,
            devices: vec![result("a", DeviceStatus::Succeeded, &["1-create_vlan", "2-create_vlan"]), result("b", DeviceStatus::RolledBack, &["1-create_vlan"]), result("c", DeviceStatus::Succeeded, &["1-create_vlan"])],
            ..Default::default()
        };
        let plan = |d: &str| DevicePlan { device: d.into(), steps: vec![step("1-create_vlan", 10), step("2-create_vlan", 20)], ..Default::default() };
        (input, status, [("a".to_string(), plan("a")), ("c".to_string(), plan("c"))].into())
    }

    fn undone(t: &DeviceTarget) -> Vec<(String, String)> {
        t.steps.iter().map(|s| match s.operation.as_ref().and_then(|o| o.op.as_ref()) {
            Some(Op::UndoStep(u)) => (s.id.clone(), u.step_id.clone()),
            _ => panic!("not an undo step: {s:?}"),
        }).collect()
    }

    /// Each device that kept its change gets its applied steps undone, last
    /// first, with their receipts; a rolled-back device is left alone and
    /// said so; the suite's pre-checks are read before and after.
    #[test]
    fn a_revert_undoes_what_each_device_kept_last_step_first() {
        let (input, status, plans) = original();
        let revert = build(&input, &status, &plans, "alice").unwrap();
        let r = &revert.input;
        assert_eq!((r.suite_id.as_str(), r.reverts.as_str(), r.requester.as_str()), ("vlans-1-revert", "vlans-1", "alice"));
        assert_eq!(r.rollout.as_ref().unwrap().confirm_timeout_seconds, 300, "the same rollout");
        assert_eq!(r.devices.iter().map(|t| t.device.as_str()).collect::<Vec<_>>(), ["a", "c"]);
        assert_eq!(undone(&r.devices[0]), [("1-undo_step".to_string(), "2-create_vlan".to_string()), ("2-undo_step".into(), "1-create_vlan".into())]);
        assert_eq!(undone(&r.devices[1]), [("1-undo_step".to_string(), "1-create_vlan".to_string())], "only the steps it applied");
        let Some(Op::UndoStep(u)) = r.devices[0].steps[0].operation.as_ref().and_then(|o| o.op.as_ref()) else { unreachable!() };
        assert_eq!(u.receipt.as_ref().unwrap().created, ["VLAN|Vlan20"]);
        let checks: Vec<(&str, i32)> = r.devices[0].checks.iter().map(|c| (c.name.as_str(), c.when)).collect();
        assert_eq!(checks, [("uplink up", CheckWhen::Pre as i32), ("uplink up", CheckWhen::Post as i32)]);
        assert_eq!(revert.skipped, [("b".to_string(), "rolled back: nothing of the suite is left on it".to_string())]);
    }

    #[test]
    fn a_window_has_both_ends_in_order_and_in_the_future() {
        assert_eq!(window("", "", 0), Ok(None));
        let w = window("2026-12-08T22:00:00Z", "2026-12-08T23:00:00Z", 0).unwrap().unwrap();
        assert_eq!((w.start.as_str(), w.end.as_str()), ("2026-12-08T22:00:00Z", "2026-12-08T23:00:00Z"));
        assert!(window("2026-12-08T22:00:00Z", "", 0).unwrap_err().contains("both"));
        assert!(window("tonight", "2026-12-08T23:00:00Z", 0).unwrap_err().contains("\"tonight\" is not an RFC 3339 time"));
        assert!(window("2026-12-08T23:00:00Z", "2026-12-08T22:00:00Z", 0).unwrap_err().contains("end after it starts"));
        assert!(window("2026-12-08T22:00:00Z", "2026-12-08T23:00:00Z", i64::MAX / 2).unwrap_err().contains("ended"));
    }

    #[test]
    fn a_suite_that_did_not_end_or_changed_nothing_is_not_reverted() {
        let (input, mut status, plans) = original();
        status.phase = SuitePhase::Applying as i32;
        assert!(build(&input, &status, &plans, "alice").unwrap_err().contains("has not ended (applying)"));
        status.phase = SuitePhase::RolledBack as i32;
        assert!(build(&input, &status, &BTreeMap::new(), "alice").unwrap_err().contains("none succeeded"));
        let planned = SuiteInput { plan_only: true, ..input };
        assert!(build(&planned, &status, &plans, "alice").unwrap_err().contains("only planned"));
    }
}
