//! A drift check: the devices a selector picks, each compared with the
//! rows switchyard owns there (its history's intent), reported grouped
//! like the fleet diff. A check that finds drift tells the worker's
//! webhooks (`drift.detected`); asked to remediate, it starts a
//! remediation suite that puts the drifted rows back as switchyard last
//! wrote them (`restore_row` steps), and says so
//! (`remediation.proposed`). That suite is an ordinary suite: it plans,
//! passes the worker's policy and waits for its approvals like any other,
//! abandoned by the check so it outlives it.
//!
//! Temporal Schedules start this workflow for periodic checks; each run
//! is known by its own workflow id.
//!
//! Must never: write to a device, or start a suite that skips the gate
//! (the remediation always needs at least one approval).

// The workflow macros emit marker constants for each method.
#![allow(missing_docs)]

use std::fmt::Write;

use switchyard_proto::names::{self, events};
use switchyard_proto::time::format_rfc3339;
use switchyard_proto::v1::{
    operation::Op, ApprovalPolicy, CheckDriftRequest, DeviceDrift, DeviceTarget, DriftInput, DriftReport, EventSubscriptions,
    OnFailure, Operation, OperatorAction, RestoreRow, Rollout, Step, SuiteEvent, SuiteInput,
};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::common::search_attributes::SearchAttributes;
use temporalio_workflow::workflows::join_all;
use temporalio_workflow::{ChildWorkflowOptions, ParentClosePolicy, WorkflowCancellationToken, WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::activity_defs::{CheckDrift, EventSubscriptionTypes, SelectDriftTargets};
use crate::failure::describe;
use crate::fleet::grouped;
use crate::options;
use crate::suite::SuiteWorkflow;

/// Name of every remediation suite.
pub const REMEDIATION_SUITE_NAME: &str = "remediate-drift";
/// How long a remediation suite waits for its approvals.
const REMEDIATION_APPROVAL_SECS: u64 = 24 * 3600;

/// Devices a drift check reads at once: a schedule checks the whole fleet,
/// and every read is an SSH session and a CONFIG_DB scan on a switch.
pub const DRIFT_PARALLELISM: u32 = 16;

/// One drift check.
#[workflow]
pub struct DriftWorkflow {
    input: DriftInput,
    // Device reads in flight (bounded since `drift-bounded`).
    inflight: u32,
    bounded: bool,
}

#[workflow_methods]
impl DriftWorkflow {
    /// Keeps the selector for the run.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: DriftInput) -> Self {
        Self { input, inflight: 0, bounded: false }
    }

    /// Checks every selected device, then tells and remediates.
    #[run(name = names::DRIFT_WORKFLOW)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<DriftReport> {
        let input = ctx.state(|s| s.input.clone());
        let check_id = ctx.workflow_id().to_string();
        let at = format_rfc3339(crate::unix_secs(ctx.workflow_time()));
        let mut report = DriftReport { check_id: check_id.clone(), at: at.clone(), ..Default::default() };
        let ctx = &*ctx;
        let subscribed = ctx.execute_activity(EventSubscriptionTypes, EventSubscriptions::default(), options::event_subscriptions()).await
            .map(|s| s.types)
            .unwrap_or_default();
        let devices = match ctx.execute_activity(SelectDriftTargets, input.clone(), options::drift("select devices".into())).await {
            Ok(targets) => targets.devices,
            Err(e) => {
                report.error = describe(&e);
                return Ok(report);
            }
        };
        let bounded = ctx.patched(names::patches::DRIFT_BOUNDED);
        ctx.state_mut(|s| s.bounded = bounded);
        report.devices = join_all(devices.iter().map(|d| check(ctx, &check_id, d))).await;
        report.drifted_rows = report.devices.iter().map(|d| d.rows.len() as u32).sum();
        report.diff = drift_diff(&report.devices);
        if report.drifted_rows == 0 {
            return Ok(report);
        }
        let drifted: Vec<String> = report.devices.iter().filter(|d| !d.rows.is_empty()).map(|d| d.device.clone()).collect();
        let detected = SuiteEvent {
            id: format!("{check_id}.1.{}", events::DRIFT_DETECTED),
            r#type: events::DRIFT_DETECTED.into(),
            suite_id: check_id.clone(),
            suite_name: "drift-check".into(),
            at: at.clone(),
            requester: input.requester.clone(),
            devices: drifted.clone(),
            summary: format!("{} row(s) switchyard owns changed or deleted on {} device(s)", report.drifted_rows, drifted.len()),
            fleet_diff: report.diff.clone(),
            ..Default::default()
        };
        tell(ctx, &subscribed, &check_id, 1, detected, &mut report).await;
        if !input.remediate {
            return Ok(report);
        }
        let suite = remediation(&check_id, &input, &report.devices);
        let suite_id = suite.suite_id.clone();
        let options = ChildWorkflowOptions::builder()
            .workflow_id(suite_id.clone())
            .static_summary(format!("remediation of drift check {check_id}"))
            .search_attributes(SearchAttributes::new(crate::suite::start_attributes(&suite)))
            // The suite waits for its reviewers long after the check ends.
            .parent_close_policy(ParentClosePolicy::Abandon)
            .cancellation_token(WorkflowCancellationToken::new())
            .build();
        if let Err(e) = ctx.start_child_workflow(SuiteWorkflow::run, suite, options).await {
            report.error = format!("cannot start the remediation suite {suite_id}: {e:?}");
            return Ok(report);
        }
        report.remediation_suite = suite_id.clone();
        let proposed = SuiteEvent {
            id: format!("{check_id}.2.{}", events::REMEDIATION_PROPOSED),
            r#type: events::REMEDIATION_PROPOSED.into(),
            suite_id: suite_id.clone(),
            suite_name: REMEDIATION_SUITE_NAME.into(),
            at,
            requester: input.requester.clone(),
            devices: drifted,
            summary: format!("remediation suite {suite_id} restores {} row(s); it awaits approval", report.drifted_rows),
            fleet_diff: report.diff.clone(),
            ..Default::default()
        };
        tell(ctx, &subscribed, &check_id, 2, proposed, &mut report).await;
        Ok(report)
    }
}

async fn check(ctx: &WorkflowContext<DriftWorkflow>, check_id: &str, device: &str) -> DeviceDrift {
    // A cancelled check ends at its next read anyway.
    let _ = ctx.wait_condition(|s| !s.bounded || s.inflight < DRIFT_PARALLELISM).await;
    ctx.state_mut(|s| s.inflight += 1);
    let req = CheckDriftRequest { check_id: check_id.to_string(), device: device.to_string() };
    let drift = ctx.execute_activity(CheckDrift, req, options::drift(format!("check {device}"))).await
        .unwrap_or_else(|e| DeviceDrift { device: device.to_string(), error: format!("cannot check: {}", describe(&e)), ..Default::default() });
    ctx.state_mut(|s| s.inflight -= 1);
    drift
}

/// Hands an event to its delivery when some subscription takes its type.
async fn tell(ctx: &WorkflowContext<DriftWorkflow>, subscribed: &[String], owner: &str, seq: usize, event: SuiteEvent, report: &mut DriftReport) {
    if !subscribed.contains(&event.r#type) {
        return;
    }
    if let Some(emitted) = crate::event::start(ctx, owner, seq, event).await {
        report.events.push(emitted);
    }
}

/// Each device's drift in the diff's notation, grouped like the fleet
/// diff: a changed field as `was → is`, a deleted row with the fields
/// switchyard wrote.
pub fn drift_diff(devices: &[DeviceDrift]) -> String {
    let texts: Vec<(&str, String)> = devices.iter().map(|d| (d.device.as_str(), device_text(d))).collect();
    grouped(texts.iter().map(|(d, t)| (*d, t.as_str())), "(no drift)")
}

fn device_text(d: &DeviceDrift) -> String {
    let mut out = String::new();
    if !d.error.is_empty() {
        let _ = writeln!(out, "! {}", d.error);
    }
    for row in &d.rows {
        if row.kind == "deleted" {
            let fields: Vec<String> = row.expected.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(out, "- {} deleted; switchyard wrote {} (suite {})", row.key, fields.join(" "), row.suite_id);
            continue;
        }
        let _ = writeln!(out, "~ {} (suite {})", row.key, row.suite_id);
        for (field, was) in &row.expected {
            match row.actual.get(field) {
                Some(is) if is == was => {}
                Some(is) => { let _ = writeln!(out, "    {field}: {was} → {is}"); }
                None => { let _ = writeln!(out, "    {field}: {was} → (absent)"); }
            }
        }
    }
    out
}

/// The remediation suite of a check: one `restore_row` step per drifted
/// row, parents before their children (fewer key parts first: a VLAN
/// before its members), under at least one approval.
pub fn remediation(check_id: &str, input: &DriftInput, devices: &[DeviceDrift]) -> SuiteInput {
    let targets = devices.iter().filter(|d| !d.rows.is_empty()).map(|d| {
        let mut rows: Vec<_> = d.rows.iter().collect();
        rows.sort_by(|a, b| a.key.split('|').count().cmp(&b.key.split('|').count()).then(a.key.cmp(&b.key)));
        let steps = rows.iter().enumerate().map(|(i, row)| Step {
            id: format!("{i}-restore_row"),
            operation: Some(Operation { op: Some(Op::RestoreRow(RestoreRow { key: row.key.clone(), fields: row.expected.clone() })) }),
        }).collect();
        DeviceTarget { device: d.device.clone(), steps, ..Default::default() }
    }).collect();
    let requester = if input.requester.trim().is_empty() { "drift-check".to_string() } else { input.requester.trim().to_string() };
    SuiteInput {
        suite_id: names::remediation_suite_id(check_id),
        name: REMEDIATION_SUITE_NAME.into(),
        requester,
        source_file: format!("drift check {check_id}"),
        rollout: Some(Rollout {
            parallelism: 4,
            on_failure: OnFailure::Rollback as i32,
            pause_timeout_seconds: 3600,
            pause_default: OperatorAction::Rollback as i32,
            step_estimate_seconds: 10,
            lock_wait_seconds: 600,
            confirm_timeout_seconds: switchyard_proto::suite_file::DEFAULT_CONFIRM_SECONDS,
            ..Default::default()
        }),
        approval: Some(ApprovalPolicy { required: input.approvals.max(1), reviewers: Vec::new(), timeout_seconds: REMEDIATION_APPROVAL_SECS }),
        devices: targets,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_proto::v1::DriftedRow;

    fn row(key: &str, kind: &str, expected: &[(&str, &str)], actual: &[(&str, &str)]) -> DriftedRow {
        let map = |f: &[(&str, &str)]| f.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        DriftedRow { key: key.into(), kind: kind.into(), suite_id: "s1".into(), expected: map(expected), actual: map(actual) }
    }

    fn drifted() -> Vec<DeviceDrift> {
        let rows = vec![
            row("VLAN_MEMBER|Vlan300|Ethernet0", "deleted", &[("tagging_mode", "tagged")], &[]),
            row("VLAN|Vlan300", "changed", &[("vlanid", "300"), ("description", "tenant-a")], &[("vlanid", "300"), ("description", "by-hand")]),
        ];
        vec![
            DeviceDrift { device: "a".into(), owned: 2, rows: rows.clone(), ..Default::default() },
            DeviceDrift { device: "b".into(), owned: 2, rows, ..Default::default() },
            DeviceDrift { device: "c".into(), owned: 2, ..Default::default() },
        ]
    }

    #[test]
    fn the_report_groups_devices_like_the_fleet_diff() {
        assert_eq!(drift_diff(&drifted()), "\
2 devices: a, b
  - VLAN_MEMBER|Vlan300|Ethernet0 deleted; switchyard wrote tagging_mode=tagged (suite s1)
  ~ VLAN|Vlan300 (suite s1)
      description: tenant-a → by-hand
1 device: c
  (no drift)
");
    }

    #[test]
    fn remediation_restores_parents_first_and_always_needs_an_approval() {
        let input = DriftInput { requester: "alice".into(), ..Default::default() };
        let suite = remediation("drift-1", &input, &drifted());
        assert_eq!(suite.suite_id, "remediate-drift-1");
        assert_eq!(suite.approval.as_ref().map(|a| a.required), Some(1));
        assert_eq!(suite.devices.len(), 2, "a device without drift gets no steps");
        let keys: Vec<&str> = suite.devices[0].steps.iter().map(|s| match s.operation.as_ref().and_then(|o| o.op.as_ref()) {
            Some(Op::RestoreRow(r)) => r.key.as_str(),
            _ => "",
        }).collect();
        assert_eq!(keys, ["VLAN|Vlan300", "VLAN_MEMBER|Vlan300|Ethernet0"]);
        assert_eq!(suite.requester, "alice");
    }
}
