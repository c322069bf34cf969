//! Whether a record a device's history received is the record of a
//! suite's device run: the check that keeps a hand-sent `record_run`
//! signal from adding runs, approvers or owned rows to a device's intent.
//!
//! A record is a claim (anyone with namespace access can signal a
//! history). What vouches for it is Temporal's own record of the device run
//! it names: a `DeviceWorkflow` run started by a `SuiteWorkflow` as its
//! child, for this device and this suite, whose own history holds this
//! very record as its report's result, reported not long before the record
//! arrived. Nobody can write into another run's history, so a record that
//! passes was made by that run; one copied from it and edited, or sent to
//! another device's history, or sent again much later, does not pass.
//!
//! Must never: do I/O or read a clock (the facts and the time are given).

use crate::names;
use crate::v1::{DeviceHistory, DeviceHistoryEntry, RefusedRecord};

/// How long after its run reported it a record may still arrive: the
/// report's own retries take minutes; a copy sent later is a replay.
pub const FRESH_SECS: i64 = 24 * 3600;

/// The largest record body a history keeps for vouching; a larger one is
/// refused by its digest and size.
pub const MAX_BYTES: usize = 256 * 1024;

/// Records waiting to be vouched for, at most: more are refused unread.
pub const MAX_WAITING: usize = 1000;

/// Refused records a history keeps (all are counted).
pub const REFUSED_KEPT: usize = 20;

/// What Temporal records about the device run a record names.
#[derive(Debug, Clone, Default)]
pub struct DeviceRun {
    /// Its workflow type.
    pub workflow_type: String,
    /// The run that started it (workflow id and type), if any.
    pub parent: Option<(String, String)>,
    /// The device and suite id of its input.
    pub device: String,
    /// The suite id its input names.
    pub suite_id: String,
    /// The records its reports returned (each with the Unix time it was
    /// recorded).
    pub reported: Vec<(DeviceHistoryEntry, i64)>,
    /// Whether it has closed: a run still open may yet record its report
    /// (a report's result is written when its workflow task completes,
    /// just after the record was sent).
    pub closed: bool,
}

/// What is said of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The record of a suite's device run: it counts.
    Vouched,
    /// Not one: why. It changes nothing.
    Refused(String),
    /// Its run is still open and has not recorded it yet: ask again.
    NotYet(String),
}

/// Whether `entry`, received by `device`'s history at `received_at`, is
/// the record `run` made. Every refusal says what failed.
pub fn vouch(device: &str, entry: &DeviceHistoryEntry, run: &DeviceRun, received_at: i64) -> Verdict {
    match judge(device, entry, run, received_at) {
        Ok(()) => Verdict::Vouched,
        Err(_) if !run.closed && run.parent.is_some() && !run.reported.iter().any(|(r, _)| r == entry) && run.workflow_type == names::DEVICE_WORKFLOW => {
            Verdict::NotYet(format!("device run {} has not recorded its report yet", entry.workflow_id))
        }
        Err(why) => Verdict::Refused(why),
    }
}

fn judge(device: &str, entry: &DeviceHistoryEntry, run: &DeviceRun, received_at: i64) -> Result<(), String> {
    if run.workflow_type != names::DEVICE_WORKFLOW {
        return Err(format!("{} is a {} run, not a device run", entry.workflow_id, run.workflow_type));
    }
    match &run.parent {
        Some((suite, kind)) if kind == names::SUITE_WORKFLOW && *suite == entry.suite_id => {}
        Some((suite, kind)) => return Err(format!("device run {} was started by {kind} {suite}, not by suite {}", entry.workflow_id, entry.suite_id)),
        None => return Err(format!("device run {} was not started by a suite", entry.workflow_id)),
    }
    if run.device != device || run.suite_id != entry.suite_id {
        return Err(format!("device run {} changed {} for suite {}, not {device} for suite {}", entry.workflow_id, run.device, run.suite_id, entry.suite_id));
    }
    let Some((_, at)) = run.reported.iter().find(|(reported, _)| reported == entry) else {
        return Err(format!("device run {} reported no such record (edited, or from before records were vouched for)", entry.workflow_id));
    };
    if received_at - at > FRESH_SECS {
        return Err(format!("device run {} reported this record {} s before it arrived: a replay", entry.workflow_id, received_at - at));
    }
    Ok(())
}

/// Why a record cannot even be looked up: `None` when it names a run.
pub fn unreadable(entry: &DeviceHistoryEntry) -> Option<String> {
    if entry.workflow_id.is_empty() || entry.run_id.is_empty() {
        return Some("the record names no device run".into());
    }
    None
}

/// Keeps `refused` in `history`: counted, and the latest few kept.
pub fn refuse(history: &mut DeviceHistory, refused: RefusedRecord) {
    history.refused_total += 1;
    history.refused.push(refused);
    let excess = history.refused.len().saturating_sub(REFUSED_KEPT);
    history.refused.drain(..excess);
}

/// The refusal of `entry` (whose body was `body`) for `reason`.
pub fn refusal(entry: &DeviceHistoryEntry, body: &[u8], reason: String) -> RefusedRecord {
    use sha2::Digest;
    let digest = crate::trust::hex(&sha2::Sha256::digest(body));
    // What the record claimed is kept only when short: a refused body is
    // never kept whole.
    let short = |s: &str| if s.len() <= 200 { s.to_string() } else { String::new() };
    RefusedRecord { suite_id: short(&entry.suite_id), run_id: short(&entry.run_id), reason, digest, size: body.len() as u64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> DeviceHistoryEntry {
        DeviceHistoryEntry { suite_id: "s1".into(), workflow_id: "s1--d1--apply".into(), run_id: "r1".into(), requester: "alice".into(), ..Default::default() }
    }

    fn run() -> DeviceRun {
        DeviceRun {
            workflow_type: names::DEVICE_WORKFLOW.into(),
            parent: Some(("s1".into(), names::SUITE_WORKFLOW.into())),
            device: "d1".into(),
            suite_id: "s1".into(),
            reported: vec![(record(), 1_000)],
            closed: true,
        }
    }

    fn refused(verdict: Verdict) -> String {
        match verdict {
            Verdict::Refused(why) => why,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn the_record_a_suites_device_run_made_is_vouched_for() {
        assert_eq!(vouch("d1", &record(), &run(), 1_060), Verdict::Vouched);
    }

    #[test]
    fn a_record_its_open_run_has_not_written_yet_is_asked_again() {
        let open = DeviceRun { reported: Vec::new(), closed: false, ..run() };
        assert!(matches!(vouch("d1", &record(), &open, 1_060), Verdict::NotYet(_)));
        let closed = DeviceRun { reported: Vec::new(), ..run() };
        assert!(refused(vouch("d1", &record(), &closed, 1_060)).contains("no such record"));
        // A run of no suite is refused while it runs.
        let hand_started = DeviceRun { parent: None, reported: Vec::new(), closed: false, ..run() };
        assert!(refused(vouch("d1", &record(), &hand_started, 1_060)).contains("not started by a suite"));
    }

    #[test]
    fn a_record_edited_or_misdirected_or_replayed_is_refused() {
        let mut edited = record();
        edited.approvers = vec!["bob".into(), "carol".into()];
        assert!(refused(vouch("d1", &edited, &run(), 1_060)).contains("no such record"));
        assert!(refused(vouch("d2", &record(), &run(), 1_060)).contains("not d2"));
        assert!(refused(vouch("d1", &record(), &run(), 1_000 + FRESH_SECS + 1)).contains("replay"));
        let mut other_suite = record();
        other_suite.suite_id = "s2".into();
        assert!(refused(vouch("d1", &other_suite, &run(), 1_060)).contains("not by suite s2"));
    }

    #[test]
    fn a_run_no_suite_started_vouches_for_nothing() {
        let hand_started = DeviceRun { parent: None, ..run() };
        assert!(refused(vouch("d1", &record(), &hand_started, 1_060)).contains("not started by a suite"));
        let by_drift = DeviceRun { parent: Some(("s1".into(), names::DRIFT_WORKFLOW.into())), ..run() };
        assert!(matches!(vouch("d1", &record(), &by_drift, 1_060), Verdict::Refused(_)));
        let other_type = DeviceRun { workflow_type: names::SUITE_WORKFLOW.into(), ..run() };
        assert!(matches!(vouch("d1", &record(), &other_type, 1_060), Verdict::Refused(_)));
        assert!(unreadable(&DeviceHistoryEntry { suite_id: "s1".into(), ..Default::default() }).is_some());
    }

    #[test]
    fn refusals_are_counted_and_the_latest_kept_by_digest() {
        let mut history = DeviceHistory::default();
        let huge = DeviceHistoryEntry { suite_id: "x".repeat(10_000), ..Default::default() };
        for _ in 0..REFUSED_KEPT + 3 {
            refuse(&mut history, refusal(&huge, &[0u8; 300_000], "too large".into()));
        }
        assert_eq!((history.refused.len(), history.refused_total), (REFUSED_KEPT, REFUSED_KEPT as u64 + 3));
        assert_eq!(history.refused[0].suite_id, "");
        assert_eq!((history.refused[0].size, history.refused[0].digest.len()), (300_000, 64));
    }
}
