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
        format!("{text:?} is not a phase{}; expected one of {}", did_you_mean(text, names.iter().copied()), names.join(", "))
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
        format!("{text:?} is not a device status{} (one of {})", did_you_mean(text, all.map(device_status_name)), all.map(device_status_name).join(", "))
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

/// The names among `candidates` nearest to what was typed, at most three
/// equally near: those a few edits away (a typo, a letter doubled or
/// dropped, a `-` for a `_`), for a "did you mean" beside a refusal.
pub fn nearest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    // A name is short; a long text is not a typo of one, and comparing it
    // costs its length times each candidate's.
    if typed.len() > NEAREST_MAX_LEN {
        return Vec::new();
    }
    let typed = typed.trim().to_ascii_lowercase();
    // Up to a third of the word, at least one edit and at most three.
    let most = (typed.chars().count() / 3).clamp(1, 3);
    let mut near: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (edits(&typed, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= most)
        .collect();
    near.sort();
    near.dedup_by(|a, b| a.1 == b.1);
    // Only the closest: a near miss is not offered beside a nearer one.
    let best = near.first().map_or(0, |(d, _)| *d);
    near.into_iter().take_while(|(d, _)| *d == best).take(3).map(|(_, c)| c).collect()
}

/// Longest text [`nearest`] looks for a name near.
const NEAREST_MAX_LEN: usize = 64;

/// ` (did you mean a or b?)` for the [`nearest`] names, or nothing.
pub fn did_you_mean<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let near = nearest(typed, candidates);
    if near.is_empty() { String::new() } else { format!(" (did you mean {}?)", near.join(" or ")) }
}

/// Edit distance counting a swap of two neighbours as one edit (`alcie`
/// for `alice`), with `-` and `_` the same character.
fn edits(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| if c == '-' { '_' } else { c }).collect();
    let b: Vec<char> = b.chars().map(|c| if c == '-' { '_' } else { c }).collect();
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut last: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (last[j] + 1).min(row[j - 1] + 1).min(last[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(before[j - 2] + 1);
            }
        }
        before = std::mem::replace(&mut last, row);
    }
    last[b.len()]
}

#[cfg(test)]
mod nearest_tests {
    use super::*;

    #[test]
    fn typos_find_their_word_and_strangers_find_none() {
        let ops = ["create_vlan", "delete_vlan", "create_vlan_member", "add_ntp_server"];
        assert_eq!(nearest("create_vlann", ops), ["create_vlan"]);
        assert_eq!(nearest("Create-Vlan", ops), ["create_vlan"]);
        assert_eq!(did_you_mean("delte_vlan", ops), " (did you mean delete_vlan?)");
        assert_eq!(did_you_mean("reboot", ops), "");
        assert_eq!(nearest("sonic-d999", ["sonic-d009", "sonic-d099", "spine-01"]), ["sonic-d099"]);
        assert_eq!(nearest("sonic-d0", ["sonic-d01", "sonic-d02"]), ["sonic-d01", "sonic-d02"]);
        assert_eq!(nearest("alcie", ["alice", "bob"]), ["alice"], "a swap is one edit");
        assert_eq!(edits("kitten", "sitting"), 3);
        assert!(nearest(&"a".repeat(1 << 20), ops).is_empty(), "a long text is not compared");
    }
}
