//! DeviceWorkflow: one device's part of a suite. Its history is the
//! device's journal: every step applied, verified or reversed, with inputs
//! and results, one row per device in the Web UI.
//!
//! Apply mode applies the planned steps in order and verifies; if a step or
//! the verification fails, it reverses its own completed steps before
//! reporting failure, so a device is never left half-changed. Compensate
//! mode reverses the steps a suite-level rollback names.


// The workflow macros emit marker constants for each method; the methods
// carry the docs.
#![allow(missing_docs)]

use switchyard_proto::v1::{
    ApplyStepRequest, CompensationEntry, DeviceMode, DeviceResult, DeviceRunInput, DeviceStatus, ReverseStepRequest,
    StepPlan, VerifyRequest,
};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::common::error::ActivityExecutionError;
use temporalio_workflow::{WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::activity_defs::{ApplyStep, ReverseStep, VerifyDevice};
use crate::options;

/// One device's run.
#[workflow]
pub struct DeviceWorkflow {
    input: DeviceRunInput,
}

#[workflow_methods]
impl DeviceWorkflow {
    /// Keeps the input for the run.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: DeviceRunInput) -> Self {
        Self { input }
    }

    /// Applies or compensates, per the input's mode.
    #[run(name = switchyard_proto::names::DEVICE_WORKFLOW)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<DeviceResult> {
        let input = ctx.state(|s| s.input.clone());
        let plan = input.plan.clone().unwrap_or_default();
        let mut result = DeviceResult { device: plan.device.clone(), ..Default::default() };
        if input.mode == DeviceMode::Compensate as i32 {
            let steps: Vec<&StepPlan> = plan.steps.iter().filter(|s| input.applied_steps.contains(&step_id(s))).collect();
            let failed = compensate(ctx, &input.suite_id, &plan.device, &steps, &mut result).await;
            result.status = DeviceStatus::RolledBack as i32;
            if let Some(e) = failed {
                result.status = DeviceStatus::Failed as i32;
                result.error = format!("compensation incomplete: {e}");
            }
            return Ok(result);
        }

        let local = local_steps(ctx);
        let mut applied: Vec<&StepPlan> = Vec::new();
        let mut failure: Option<String> = None;
        for step in &plan.steps {
            let id = step_id(step);
            ctx.set_current_details(format!("applying {id}"));
            let req = ApplyStepRequest { suite_id: input.suite_id.clone(), device: plan.device.clone(), step: Some(step.clone()) };
            let summary = format!("apply {id} on {}", plan.device);
            let outcome = if local {
                ctx.execute_local_activity(ApplyStep, req, options::local_device_io(summary, false)).await
            } else {
                ctx.execute_activity(ApplyStep, req, options::device_io(summary)).await
            };
            match outcome {
                Ok(_) => {
                    applied.push(step);
                    result.steps_applied.push(id);
                }
                Err(e) => {
                    failure = Some(describe(&e));
                    break;
                }
            }
        }
        if failure.is_none() {
            ctx.set_current_details("verifying");
            let req = VerifyRequest { device: plan.device.clone(), steps: plan.steps.clone() };
            let summary = format!("verify {}", plan.device);
            let outcome = if local {
                ctx.execute_local_activity(VerifyDevice, req, options::local_device_io(summary, false)).await
            } else {
                ctx.execute_activity(VerifyDevice, req, options::device_io(summary)).await
            };
            match outcome {
                Ok(_) => result.verified = true,
                Err(e) => failure = Some(describe(&e)),
            }
        }
        match failure {
            None => {
                result.status = DeviceStatus::Succeeded as i32;
                ctx.set_current_details("succeeded");
            }
            Some(error) => {
                ctx.set_current_details(format!("failed, compensating: {error}"));
                result.error = error;
                result.status = DeviceStatus::Failed as i32;
                if let Some(e) = compensate(ctx, &input.suite_id, &plan.device, &applied, &mut result).await {
                    result.error = format!("{}; compensation incomplete: {e}", result.error);
                }
            }
        }
        Ok(result)
    }
}

/// Device steps run as local activities (one marker each, no server round
/// trip per step) in workflows started since this patch; histories recorded
/// before it keep replaying as regular activities.
fn local_steps(ctx: &WorkflowContext<DeviceWorkflow>) -> bool {
    ctx.patched("local-device-steps")
}

fn step_id(step: &StepPlan) -> String {
    step.step.as_ref().map(|s| s.id.clone()).unwrap_or_default()
}

/// Reverses `steps` in reverse order. Keeps going past a failed reverse so
/// every other step still gets its chance; returns the first failure.
async fn compensate(
    ctx: &WorkflowContext<DeviceWorkflow>,
    suite_id: &str,
    device: &str,
    steps: &[&StepPlan],
    result: &mut DeviceResult,
) -> Option<String> {
    let mut first_failure = None;
    let local = local_steps(ctx);
    for step in steps.iter().rev() {
        let id = step_id(step);
        ctx.set_current_details(format!("reversing {id}"));
        let req = ReverseStepRequest { suite_id: suite_id.to_string(), device: device.to_string(), step: Some((*step).clone()) };
        let summary = format!("reverse {id} on {device}");
        let outcome = if local {
            ctx.execute_local_activity(ReverseStep, req, options::local_device_io(summary, true)).await
        } else {
            ctx.execute_activity(ReverseStep, req, options::compensation(summary)).await
        };
        match outcome {
            Ok(r) => {
                result.steps_compensated.push(id);
                result.compensation.extend(r.entries);
            }
            Err(e) => {
                let why = describe(&e);
                result.compensation.push(CompensationEntry {
                    device: device.to_string(),
                    step_id: id,
                    reason: format!("reverse failed, step left applied: {why}"),
                    action: switchyard_proto::v1::CompensationAction::LeftInPlace as i32,
                    ..Default::default()
                });
                first_failure.get_or_insert(why);
            }
        }
    }
    first_failure
}

/// The innermost failure message: the activity's own error, not the
/// SDK's wrapper ("Activity task failed").
pub(crate) fn describe(e: &ActivityExecutionError) -> String {
    let Some(mut f) = e.failure() else { return e.to_string() };
    while let Some(cause) = f.cause.as_deref() {
        f = cause;
    }
    if f.message.is_empty() { e.to_string() } else { f.message.clone() }
}
