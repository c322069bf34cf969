//! The words for a suite's phases, device statuses and decisions, and for
//! counting things ([`count`]: "1 device", "2 devices"), as the
//! `SuiteStatus` search attribute, the CLI and the docs spell them, and
//! which phases are final. One home, so the workflow that sets a phase and
//! every reader that filters on it agree.

use crate::v1::{Decision, DeviceStatus, SuitePhase};

/// Every phase, in the order a suite can pass through them.
pub const PHASES: &[SuitePhase] = &[
    SuitePhase::Planning,
    SuitePhase::AwaitingApproval,
    SuitePhase::WaitingWindow,
    SuitePhase::Applying,
    SuitePhase::Paused,
    SuitePhase::RollingBack,
    SuitePhase::Succeeded,
    SuitePhase::Failed,
    SuitePhase::RolledBack,
    SuitePhase::PartiallyRolledBack,
    SuitePhase::Rejected,
    SuitePhase::Expired,
    SuitePhase::Cancelled,
    SuitePhase::Planned,
];

/// Phase name used in the `SuiteStatus` search attribute and in the UI.
pub fn phase_name(phase: SuitePhase) -> &'static str {
    use SuitePhase as P;
    match phase {
        P::Unspecified => "unspecified",
        P::Planning => "planning",
        P::AwaitingApproval => "awaiting_approval",
        P::Applying => "applying",
        P::RollingBack => "rolling_back",
        P::Succeeded => "succeeded",
        P::Failed => "failed",
        P::RolledBack => "rolled_back",
        P::PartiallyRolledBack => "partially_rolled_back",
        P::Rejected => "rejected",
        P::Expired => "expired",
        P::Planned => "planned",
        P::WaitingWindow => "waiting_window",
        P::Paused => "paused",
        P::Cancelled => "cancelled",
    }
}

/// The phase a name stands for (the inverse of [`phase_name`]).
pub fn phase_from_name(name: &str) -> Option<SuitePhase> {
    PHASES.iter().copied().find(|p| phase_name(*p) == name)
}

/// The phase a person typed: its name, in any case, with `-` or no
/// separator for `_` (`rolledback`, `Rolled-Back`); otherwise why not, with
/// every phase's name.
pub fn phase_typed(text: &str) -> Result<SuitePhase, String> {
    let squash = |t: &str| t.to_ascii_lowercase().replace(['_', '-', ' '], "");
    let wanted = squash(text.trim());
    PHASES.iter().copied().find(|p| squash(phase_name(*p)) == wanted).ok_or_else(|| {
        let names: Vec<&str> = PHASES.iter().map(|p| phase_name(*p)).collect();
        format!("{text:?} is not a phase; expected one of {}", names.join(", "))
    })
}

/// Whether a suite in `phase` has ended: nothing more will happen to it.
pub fn is_final(phase: SuitePhase) -> bool {
    !matches!(
        phase,
        SuitePhase::Unspecified
            | SuitePhase::Planning
            | SuitePhase::AwaitingApproval
            | SuitePhase::WaitingWindow
            | SuitePhase::Applying
            | SuitePhase::Paused
            | SuitePhase::RollingBack
    )
}

/// Device status as the CLI and the docs spell it.
pub fn device_status_name(status: DeviceStatus) -> &'static str {
    match status {
        DeviceStatus::Unspecified => "unspecified",
        DeviceStatus::Pending => "pending",
        DeviceStatus::Planned => "planned",
        DeviceStatus::Applying => "applying",
        DeviceStatus::Succeeded => "succeeded",
        DeviceStatus::Failed => "failed",
        DeviceStatus::RolledBack => "rolled_back",
        DeviceStatus::Skipped => "skipped",
        DeviceStatus::PlanFailed => "plan_failed",
    }
}

/// The device status `text` names, as typed (`rolled_back`, `rolledback`,
/// `ROLLED-BACK`), or why not, naming every status.
pub fn device_status_typed(text: &str) -> Result<DeviceStatus, String> {
    let folded = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect::<String>();
    let all = [
        DeviceStatus::Pending, DeviceStatus::Planned, DeviceStatus::Applying, DeviceStatus::Succeeded, DeviceStatus::Failed,
        DeviceStatus::RolledBack, DeviceStatus::Skipped, DeviceStatus::PlanFailed,
    ];
    let wanted = folded(text);
    all.into_iter().find(|s| folded(device_status_name(*s)) == wanted).ok_or_else(|| {
        format!("{text:?} is not a device status (one of {})", all.map(device_status_name).join(", "))
    })
}

/// Whether a device has finished its part (successfully or not).
pub fn device_is_done(status: DeviceStatus) -> bool {
    !matches!(status, DeviceStatus::Unspecified | DeviceStatus::Pending | DeviceStatus::Planned | DeviceStatus::Applying)
}

/// A reviewer's decision as the CLI spells it; an unspecified decision is
/// never shown as either verdict.
pub fn decision_name(decision: Decision) -> &'static str {
    match decision {
        Decision::Approve => "approve",
        Decision::Reject => "reject",
        Decision::Unspecified => "unspecified decision",
    }
}

/// `n` things in words: `1 device`, `2 devices`, `0 changes`. The one
/// counting of every summary the workflows write and the CLI prints.
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    match n.into() {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_typed_phase_is_read_leniently_or_refused_with_the_list() {
        for typed in ["rolled_back", "rolledback", "Rolled-Back", " ROLLED_BACK "] {
            assert_eq!(phase_typed(typed), Ok(crate::v1::SuitePhase::RolledBack), "{typed}");
        }
        let why = phase_typed("rolled").unwrap_err();
        assert!(why.starts_with("\"rolled\" is not a phase; expected one of planning, awaiting_approval"), "{why}");
    }

    use super::*;

    #[test]
    fn every_phase_has_one_name_and_back() {
        for phase in PHASES {
            assert_eq!(phase_from_name(phase_name(*phase)), Some(*phase));
        }
        assert_eq!(phase_from_name("unspecified"), None);
        assert!(is_final(SuitePhase::RolledBack) && !is_final(SuitePhase::Paused));
        // Every enum value is listed (the numbers run 1..=14).
        for n in 1..=14 {
            let p = SuitePhase::try_from(n).unwrap();
            assert!(PHASES.contains(&p), "{p:?} missing from PHASES");
        }
    }
}
