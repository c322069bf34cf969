//! The CLI's exit codes: one meaning each, the same for every command
//! (README.md "Output and exit codes" lists them), and the words an error
//! is shown in.
//!
//! Must never: print, or decide anything but the code and the wording.

use switchyard_proto::v1::{DeviceStatus, SuitePhase, SuiteStatus};
use switchyard_proto::vocabulary::is_final;

/// Done: the command did what was asked; a suite it followed or showed
/// succeeded, planned, or is still running.
pub(crate) const OK: i32 = 0;
/// Could not do it: Temporal or the service unreachable or failing, a file
/// that could not be written, a source of truth that did not answer.
pub(crate) const ERROR: i32 = 1;
/// The command line or an input file is wrong; nothing was started.
/// (clap exits 2 for the errors it finds itself.)
pub(crate) const USAGE: i32 = 2;
/// Refused: the policy or planning refused the suite, a decision or an
/// operator's request did not count, an audit does not verify.
pub(crate) const REFUSED: i32 = 3;
/// The suite ended without succeeding: failed, rolled back, partially
/// rolled back, rejected, expired or cancelled.
pub(crate) const NOT_SUCCEEDED: i32 = 4;
/// Drift found: rows switchyard owns were changed or deleted on a device.
pub(crate) const DRIFT: i32 = 5;

/// An error whose exit code is known where it is made: [`USAGE`] for
/// something the user typed or gave, [`REFUSED`] for something a suite or a
/// policy refused.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Coded {
    code: i32,
    message: String,
}

/// A usage error as an `anyhow::Error`.
pub(crate) fn usage(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Coded { code: USAGE, message: message.into() })
}

/// A refusal as an `anyhow::Error`.
pub(crate) fn refused(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Coded { code: REFUSED, message: message.into() })
}

/// An update the suite refused (its validator or its handler said why) as
/// a refusal in the suite's words; any other failure as it is.
pub(crate) fn update_refused(e: switchyard_starter::client::ClientError) -> anyhow::Error {
    use switchyard_starter::client::ClientError;
    use temporalio_client::errors::WorkflowUpdateError;
    match &e {
        ClientError::ExtendWindow { suite_id, source: WorkflowUpdateError::Failed(failure) }
        | ClientError::SetParallelism { suite_id, source: WorkflowUpdateError::Failed(failure) } => {
            refused(format!("suite {suite_id} refused: {}", failure.message))
        }
        ClientError::ExtendWindow { suite_id, source: WorkflowUpdateError::NotFound(_) }
        | ClientError::SetParallelism { suite_id, source: WorkflowUpdateError::NotFound(_) } => {
            usage(format!("no running suite {suite_id} (switchyard list shows suites and their ids)"))
        }
        _ => e.into(),
    }
}

/// The exit code of a suite as a command shows it: [`OK`] while it runs or
/// once it succeeded (or planned), [`REFUSED`] when it ended before
/// applying because its policy or its plan refused it, [`NOT_SUCCEEDED`]
/// for any other end.
pub(crate) fn of_suite(status: &SuiteStatus) -> i32 {
    match status.phase() {
        SuitePhase::Succeeded | SuitePhase::Planned => OK,
        phase if !is_final(phase) => OK,
        SuitePhase::Failed if refused_before_applying(status) => REFUSED,
        _ => NOT_SUCCEEDED,
    }
}

/// The policy refused the suite, or a device's plan could not be made, or
/// the policy blocks the plan's warnings: it ended with nothing written.
fn refused_before_applying(status: &SuiteStatus) -> bool {
    status.applying_at.is_empty()
        && (status.policy.as_ref().is_some_and(|p| !p.refusals.is_empty())
            || status.devices.iter().any(|d| d.status() == DeviceStatus::PlanFailed)
            || status.error.starts_with("plan warnings refused"))
}

/// An error in words for the person at the terminal: each cause once, the
/// transport library's internals (`tonic::transport::Error(…)`, "transport
/// error") left out where a cause in plain words says the same.
pub(crate) fn describe(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        let internal = text.contains("tonic::transport::Error(") || text.starts_with("Server connection error")
            || text.starts_with("transport error");
        if internal && !parts.is_empty() {
            continue;
        }
        if parts.iter().any(|p| p.contains(text.as_str())) {
            continue;
        }
        parts.push(text);
    }
    parts.join(": ")
}

/// The exit code of an error a command returned.
pub(crate) fn of_error(e: &anyhow::Error) -> i32 {
    use switchyard_starter::launch::LaunchError;
    if let Some(coded) = e.downcast_ref::<Coded>() {
        return coded.code;
    }
    match e.downcast_ref::<LaunchError>() {
        Some(LaunchError::Policy { .. }) => REFUSED,
        Some(LaunchError::Suite(_) | LaunchError::SuiteId(_)) => USAGE,
        _ => ERROR,
    }
}

#[cfg(test)]
mod tests {
    use switchyard_proto::v1::{DeviceResult, EffectivePolicy};

    use super::*;

    fn ended(phase: SuitePhase) -> SuiteStatus {
        SuiteStatus { phase: phase as i32, applying_at: "2026-12-07T10:00:00Z".into(), ..Default::default() }
    }

    #[test]
    fn each_end_has_its_code() {
        assert_eq!(of_suite(&ended(SuitePhase::Succeeded)), OK);
        assert_eq!(of_suite(&ended(SuitePhase::Planned)), OK);
        assert_eq!(of_suite(&ended(SuitePhase::Applying)), OK, "a running suite is not an error");
        for phase in [SuitePhase::Failed, SuitePhase::RolledBack, SuitePhase::PartiallyRolledBack, SuitePhase::Rejected, SuitePhase::Expired, SuitePhase::Cancelled] {
            assert_eq!(of_suite(&ended(phase)), NOT_SUCCEEDED, "{phase:?}");
        }
    }

    #[test]
    fn a_suite_refused_before_applying_is_refused() {
        let policy = SuiteStatus {
            phase: SuitePhase::Failed as i32,
            policy: Some(EffectivePolicy { refusals: vec!["default deny".into()], ..Default::default() }),
            ..Default::default()
        };
        assert_eq!(of_suite(&policy), REFUSED);
        let plan = SuiteStatus {
            phase: SuitePhase::Failed as i32,
            devices: vec![DeviceResult { status: DeviceStatus::PlanFailed as i32, ..Default::default() }],
            ..Default::default()
        };
        assert_eq!(of_suite(&plan), REFUSED);
    }

    #[test]
    fn transport_internals_are_left_out() {
        #[derive(Debug)]
        struct Inner;
        impl std::fmt::Display for Inner {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("tonic::transport::Error(Transport, ConnectError(\"tcp connect error\"))")
            }
        }
        impl std::error::Error for Inner {}
        let e = anyhow::Error::new(Inner).context("cannot reach Temporal at http://127.0.0.1:1/: nothing listens there");
        assert_eq!(describe(&e), "cannot reach Temporal at http://127.0.0.1:1/: nothing listens there");
    }

    #[test]
    fn errors_are_coded_by_kind() {
        assert_eq!(of_error(&usage("--until: no phase x")), USAGE);
        assert_eq!(of_error(&refused("not counted")), REFUSED);
        assert_eq!(of_error(&anyhow::anyhow!("cannot reach Temporal")), ERROR);
    }
}
