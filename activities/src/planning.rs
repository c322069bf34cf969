//! Plans every step of one device against one snapshot.
//!
//! Step N plans against the snapshot plus the planned effects of steps
//! 1..N-1, so a step may use an object an earlier step creates. Pure: the
//! snapshot is read by the caller.

use switchyard_proto::v1::{DevicePlan, DeviceTarget, StepPlan};

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
                plan.diff.push_str(&render_diff(&planned.changes));
                plan.steps.push(StepPlan {
                    step: Some(step.clone()),
                    changes: Some(planned.changes),
                    receipt: Some(planned.receipt),
                    guards: Some(guards),
                    notes: planned.notes,
                });
            }
            Err(e) => {
                plan.error = format!("{}: step {}: {}: {}", target.device, step.id, e.field, e.message);
                return plan;
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_proto::v1::{Operation, Step};

    /// A step without an operation (`operation: {}` from a client other
    /// than the CLI, or no `operation` at all) is refused, naming the
    /// device and step; nothing panics and no other step is planned.
    #[test]
    fn a_step_without_an_operation_is_refused() {
        for operation in [Some(Operation { op: None }), None] {
            let target = DeviceTarget { device: "leaf1".into(), steps: vec![Step { id: "1-x".into(), operation }] };
            assert!(reads(&target).keys.is_empty());
            let plan = plan_device(&target, View::default());
            assert_eq!(plan.error, "leaf1: step 1-x: operation: no operation given");
            assert!(plan.steps.is_empty());
        }
    }
}
