//! How a suite's or a device's workflow closes, so Temporal's own status
//! (and with it the Web UI's list and relationship tree) tells the outcome:
//! a suite that succeeded or planned, and a device that succeeded or
//! rolled back as asked, complete; a cancelled suite closes cancelled; any
//! other ending (failed, rolled back, partially rolled back, rejected,
//! expired, a failed device) closes failed. The status travels as the
//! failure's (or cancellation's) details, so the CLI, the bench and the
//! parent suite read the same result as from a completed run.
//!
//! Guarded by the `outcome-status` patch: histories recorded before it
//! completed every run and still do on replay. Must never: fail a run the
//! suite counts as a success, or drop the status from a failure.

use switchyard_proto::v1::{DeviceResult, DeviceStatus, SuitePhase, SuiteStatus};
use switchyard_proto::vocabulary::{device_status_name, phase_name};
use temporalio_workflow::common::error::{ApplicationFailure, ChildWorkflowExecutionError, IncomingError, OutgoingWorkflowError};
use temporalio_workflow::{WorkflowResult, WorkflowTermination};

/// The failure type a suite's failed run carries: `switchyard.<phase>`.
pub fn suite_failure_type(phase: SuitePhase) -> String {
    format!("switchyard.{}", phase_name(phase))
}

/// Closes a suite's run with `status`; `patched` is the `outcome-status`
/// patch's answer.
pub(crate) fn close_suite(status: SuiteStatus, patched: bool) -> WorkflowResult<SuiteStatus> {
    let phase = status.phase();
    if !patched || matches!(phase, SuitePhase::Succeeded | SuitePhase::Planned) {
        return Ok(status);
    }
    if phase == SuitePhase::Cancelled {
        return Err(WorkflowTermination::cancelled_with_details(status));
    }
    let message = format!("{}: {}", phase_name(phase), status.error);
    Err(failed(message, suite_failure_type(phase), status))
}

/// Closes a device's run with `result`.
pub(crate) fn close_device(result: DeviceResult, patched: bool) -> WorkflowResult<DeviceResult> {
    let status = result.status();
    if !patched || status != DeviceStatus::Failed {
        return Ok(result);
    }
    let message = format!("{}: {}", device_status_name(status), result.error);
    Err(failed(message, format!("switchyard.device_{}", device_status_name(status)), result))
}

fn failed<T>(message: String, kind: String, details: T) -> WorkflowTermination
where
    T: temporalio_workflow::common::data_converters::TemporalSerializable + Send + Sync + 'static,
{
    let failure = ApplicationFailure::builder(message).type_name(kind).non_retryable(true).details(details).build();
    WorkflowTermination::Failed(OutgoingWorkflowError::Application(Box::new(failure)))
}

/// The device's result carried by its failed run, if that is how it ended.
pub(crate) fn device_from_child(error: &ChildWorkflowExecutionError) -> Option<DeviceResult> {
    match error.cause()? {
        IncomingError::Application(failure) => failure.details::<DeviceResult>().ok().flatten(),
        _ => None,
    }
}

/// The suite's status carried by a failed run's failure, if any.
pub fn suite_from_failure(failure: &IncomingError) -> Option<SuiteStatus> {
    match failure {
        IncomingError::Application(failure) => failure.details::<SuiteStatus>().ok().flatten(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite(phase: SuitePhase) -> SuiteStatus {
        SuiteStatus { phase: phase as i32, error: "why".into(), ..Default::default() }
    }

    #[test]
    fn only_what_did_not_succeed_fails() {
        assert!(close_suite(suite(SuitePhase::Succeeded), true).is_ok());
        assert!(close_suite(suite(SuitePhase::Planned), true).is_ok());
        for phase in [SuitePhase::Failed, SuitePhase::RolledBack, SuitePhase::PartiallyRolledBack, SuitePhase::Rejected, SuitePhase::Expired] {
            assert!(matches!(close_suite(suite(phase), true), Err(WorkflowTermination::Failed(_))), "{phase:?}");
            // Before the patch every run completed, and replays still do.
            assert!(close_suite(suite(phase), false).is_ok(), "{phase:?}");
        }
        assert!(matches!(close_suite(suite(SuitePhase::Cancelled), true), Err(WorkflowTermination::Cancelled { .. })));
        let device = |status: DeviceStatus| DeviceResult { status: status as i32, ..Default::default() };
        assert!(close_device(device(DeviceStatus::Succeeded), true).is_ok());
        assert!(close_device(device(DeviceStatus::RolledBack), true).is_ok());
        assert!(close_device(device(DeviceStatus::Failed), true).is_err());
        assert!(close_device(device(DeviceStatus::Failed), false).is_ok());
    }
}
