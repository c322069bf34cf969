//! Plans every step of one device against one snapshot.
//!
//! Step N plans against the snapshot plus the planned effects of steps
//! 1..N-1, so a step may use an object an earlier step creates. Pure: the
//! snapshot is read by the caller.

use switchyard_proto::checks::builtin_within;
use switchyard_proto::v1::{Check, DevicePlan, DeviceTarget, StepPlan};

use crate::changeset::render_diff;
use crate::ops::{self, Reads, View};

/// Every row and pattern any step of the target reads.
pub fn reads(target: &DeviceTarget) -> Reads {
    let mut reads = Reads::default();
    for step in &target.steps {
        if let Some(op) = step.operation.as_ref().and_then(|o| o.op.as_ref()) {
            reads.merge(ops::reads(op));
        }
    }
    reads
}

/// Plans the target's steps in order. A refusal is returned in
/// `DevicePlan.error`, naming the device, step and field.
pub fn plan_device(target: &DeviceTarget, snapshot: View) -> DevicePlan {
    let mut view = snapshot;
    let mut plan = DevicePlan { device: target.device.clone(), ..Default::default() };
    for step in &target.steps {
        let Some(op) = step.operation.as_ref().and_then(|o| o.op.as_ref()) else {
            plan.error = format!("{}: step {}: operation: no operation given", target.device, step.id);
            return plan;
        };
        let guards = view.guards(&ops::reads(op));
        match ops::plan(op, &view) {
            Ok(planned) => {
                view.apply(&planned.changes);
                for note in &planned.notes {
                    plan.diff.push_str(&format!("# {}: {note}\n", step.id));
                }
                for warning in &planned.warnings {
                    plan.diff.push_str(&format!("# {}: warning: {warning}\n", step.id));
                }
                plan.diff.push_str(&render_diff(&planned.changes));
                for service in &planned.receipt.restarted {
                    plan.diff.push_str(&format!("! restart {service}\n"));
                }
                plan.steps.push(StepPlan {
                    step: Some(step.clone()),
                    changes: Some(planned.changes),
                    receipt: Some(planned.receipt),
                    guards: Some(guards),
                    notes: planned.notes,
                    warnings: planned.warnings,
                });
            }
            Err(e) => {
                plan.error = format!("{}: step {}: {}: {}", target.device, step.id, e.field, e.message);
                return plan;
            }
        }
    }
    plan.checks = checks(target);
    plan
}

/// The device's checks: the suite's own, then (when the suite asks) the
/// catalogue's for what each step creates, settling as the suite's own do
/// by default and named after their step.
fn checks(target: &DeviceTarget) -> Vec<Check> {
    let mut out = target.checks.clone();
    if !target.builtin_checks {
        return out;
    }
    let within = builtin_within(target);
    for step in &target.steps {
        let Some(op) = step.operation.as_ref().and_then(|o| o.op.as_ref()) else { continue };
        out.extend(ops::checks(op).into_iter().map(|c| Check { within_seconds: within, origin: step.id.clone(), ..c }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_proto::v1::{operation::Op, AddVlanMember, CheckDb, CheckWhen, CreateVlan, Operation, Step};

    use crate::ops::tests::rows;

    /// The catalogue's checks come only when the suite asks, after the
    /// suite's own, named after their step and settling as the suite says.
    #[test]
    fn the_catalogues_checks_come_when_asked() {
        let op = |op| Some(Operation { op: Some(op) });
        let mut target = DeviceTarget {
            device: "leaf1".into(),
            steps: vec![
                Step { id: "1-create_vlan".into(), operation: op(Op::CreateVlan(CreateVlan { vlan_id: 100, description: String::new() })) },
                Step { id: "2-add_vlan_member".into(), operation: op(Op::AddVlanMember(AddVlanMember { vlan_id: 100, port: "Ethernet8".into(), tagging_mode: 0 })) },
            ],
            ..Default::default()
        };
        let view = || View::new(rows(&[("PORT|Ethernet8", &[("admin_status", "up")])]));
        assert!(plan_device(&target, view()).checks.is_empty());
        target.builtin_checks = true;
        target.checks_within_seconds = 60;
        let plan = plan_device(&target, view());
        assert_eq!(plan.error, "");
        let summary: Vec<(&str, &str, &str, u32, &str)> = plan.checks.iter().map(|c| (c.name.as_str(), c.key.as_str(), c.value.as_str(), c.within_seconds, c.origin.as_str())).collect();
        assert_eq!(summary, vec![("VLAN 100 member Ethernet8 up", "PORT_TABLE:Ethernet8", "up", 60, "2-add_vlan_member")]);
        assert_eq!((plan.checks[0].db(), plan.checks[0].when()), (CheckDb::Appl, CheckWhen::Post));
    }

    /// A step without an operation (`operation: {}` from a client other
    /// than the CLI, or no `operation` at all) is refused, naming the
    /// device and step; nothing panics and no other step is planned.
    #[test]
    fn a_step_without_an_operation_is_refused() {
        for operation in [Some(Operation { op: None }), None] {
            let target = DeviceTarget { device: "leaf1".into(), steps: vec![Step { id: "1-x".into(), operation }], ..Default::default() };
            assert!(reads(&target).keys.is_empty());
            let plan = plan_device(&target, View::default());
            assert_eq!(plan.error, "leaf1: step 1-x: operation: no operation given");
            assert!(plan.steps.is_empty());
        }
    }
}
