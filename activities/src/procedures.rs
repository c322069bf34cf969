//! The device procedures: plan, apply, verify and reverse one device's
//! steps over its redis connection, as plain functions.
//!
//! The activities call these and only decode, heartbeat and encode around
//! them; the tests and the benchmark call the very same functions, so what
//! they exercise is what the worker runs. Owns the sequence of reads,
//! pure planning and atomic scripts of each procedure.
//!
//! Must never: know about Temporal, decide what a suite does next, or act
//! on a second device.

use std::collections::BTreeMap;

use redis::aio::MultiplexedConnection;
use redis::RedisResult;
use switchyard_proto::names::device_db::journal_key;
use switchyard_proto::v1::{ChangeAction, CompensationAction, CompensationEntry, DevicePlan, DeviceTarget, StepPlan};

use crate::device::redis::{self as rdb, ApplyOutcome};
use crate::ops::{reverse, Login, Row};
use crate::planning;

/// Reads every row the target's steps depend on and plans them in order.
/// A refusal is in the plan's `error`, naming the device, step and field.
pub async fn plan(conn: &mut MultiplexedConnection, target: &DeviceTarget) -> RedisResult<DevicePlan> {
    let snapshot = rdb::snapshot(conn, &planning::reads(target)).await?;
    Ok(planning::plan_device(target, snapshot))
}

/// [`plan`], knowing how switchyard logs in to the device: a step that
/// would lock that login out is refused.
pub async fn plan_as(conn: &mut MultiplexedConnection, target: &DeviceTarget, login: Login) -> RedisResult<DevicePlan> {
    let snapshot = rdb::snapshot(conn, &planning::reads(target)).await?;
    Ok(planning::plan_device(target, snapshot.with_login(login)))
}

/// The id of a planned step.
pub fn step_id(step: &StepPlan) -> &str {
    step.step.as_ref().map_or("", |s| s.id.as_str())
}

/// Applies one planned step atomically (or refuses it as drift), recording
/// its journal entry in the same script.
pub async fn apply_step(conn: &mut MultiplexedConnection, suite_id: &str, step: &StepPlan) -> RedisResult<ApplyOutcome> {
    let journal = journal_key(suite_id, step_id(step), "apply");
    let (guards, changes) = (step.guards.clone().unwrap_or_default(), step.changes.clone().unwrap_or_default());
    rdb::compare_and_apply(conn, &journal, "applied", &guards, &changes).await
}

/// Applies `steps` in order in one atomic script on the device, each as
/// [`apply_step`] would (its guards checked on top of the steps before it,
/// its own journal record), stopping at the first that drifts. Returns each
/// step reached with its outcome, in order.
pub async fn apply_steps<'a>(conn: &mut MultiplexedConnection, suite_id: &str, steps: &'a [StepPlan]) -> RedisResult<Vec<(&'a StepPlan, ApplyOutcome)>> {
    let empty_guards = Default::default();
    let empty_changes = Default::default();
    let writes: Vec<rdb::StepWrite<'_>> = steps.iter().map(|step| rdb::StepWrite {
        journal: journal_key(suite_id, step_id(step), "apply"),
        guards: step.guards.as_ref().unwrap_or(&empty_guards),
        changes: step.changes.as_ref().unwrap_or(&empty_changes),
    }).collect();
    let outcomes = rdb::apply_in_order(conn, "applied", &writes).await?;
    Ok(steps.iter().zip(outcomes).collect())
}

/// Each row the steps write, as the last step that touches it leaves it
/// (`None`: deleted).
pub fn expected_rows(steps: &[StepPlan]) -> BTreeMap<String, Option<Row>> {
    let mut expected = BTreeMap::new();
    for c in steps.iter().flat_map(|s| s.changes.iter().flat_map(|cs| &cs.changes)) {
        let deleted = c.action == ChangeAction::Delete as i32;
        expected.insert(c.key.clone(), (!deleted).then(|| c.after.clone()));
    }
    expected
}

/// The rows that differ between what was planned and what a re-read found.
pub fn compare(expected: &BTreeMap<String, Option<Row>>, live: &BTreeMap<String, Row>) -> Vec<String> {
    expected.iter().filter_map(|(key, want)| {
        let got = live.get(key);
        (got != want.as_ref()).then(|| match (want, got) {
            (Some(want), Some(got)) => format!("{key}: expected {want:?}, found {got:?}"),
            (Some(_), None) => format!("{key}: expected the row, found none"),
            (None, Some(got)) => format!("{key}: expected no row, found {got:?}"),
            (None, None) => unreachable!("equal"),
        })
    }).collect()
}

/// Re-reads every row the steps wrote and returns the mismatches (empty
/// when the device is exactly as planned). Call it on a fresh connection.
pub async fn verify(conn: &mut MultiplexedConnection, steps: &[StepPlan]) -> RedisResult<Vec<String>> {
    let expected = expected_rows(steps);
    let keys: Vec<String> = expected.keys().cloned().collect();
    let live = rdb::rows(conn, &keys).await?;
    Ok(compare(&expected, &live))
}

/// What reversing a step did.
#[derive(Debug, Clone, PartialEq)]
pub enum ReverseOutcome {
    /// The step's apply left no journal record: nothing to undo.
    NeverApplied(CompensationEntry),
    /// The reverse was written (or, `already`, had been by an attempt whose
    /// reply was lost); the entries say what was removed, restored or left.
    Reversed {
        /// What the reverse did, row by row.
        entries: Vec<CompensationEntry>,
        /// An earlier attempt had already written it.
        already: bool,
    },
    /// The rows moved between the read and the write: read and plan again.
    Moved(String),
}

/// Runs the domain-level reverse of one step from its receipt, against the
/// device as it is now. With `check_applied`, first looks for the step's
/// journal record (its apply's outcome was unknown).
pub async fn reverse_step(
    conn: &mut MultiplexedConnection,
    suite_id: &str,
    device: &str,
    step: &StepPlan,
    check_applied: bool,
) -> RedisResult<ReverseOutcome> {
    let id = step_id(step);
    if check_applied && !rdb::journal_exists(conn, &journal_key(suite_id, id, "apply")).await? {
        return Ok(ReverseOutcome::NeverApplied(CompensationEntry {
            device: device.to_string(),
            step_id: id.to_string(),
            action: CompensationAction::NotApplied as i32,
            reason: "no record of it on the device: never written, nothing to undo".into(),
            ..Default::default()
        }));
    }
    let receipt = step.receipt.clone().unwrap_or_default();
    let reads = reverse::reads(&receipt);
    let view = rdb::snapshot(conn, &reads).await?;
    let plan = reverse::plan(device, id, &receipt, &view);
    let journal = journal_key(suite_id, id, "reverse");
    Ok(match rdb::compare_and_apply(conn, &journal, "reversed", &view.guards(&reads), &plan.changes).await? {
        ApplyOutcome::Applied => ReverseOutcome::Reversed { entries: plan.entries, already: false },
        // The first attempt wrote the reverse and its reply was lost; the
        // log entries it computed then are the ones that held.
        ApplyOutcome::AlreadyApplied => ReverseOutcome::Reversed { entries: plan.entries, already: true },
        ApplyOutcome::Drift(rows) => ReverseOutcome::Moved(rows),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_proto::v1::{Change, ChangeSet};

    fn step(changes: Vec<Change>) -> StepPlan {
        StepPlan { changes: Some(ChangeSet { changes }), ..Default::default() }
    }

    fn row(fields: &[(&str, &str)]) -> Row {
        fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn verify_compares_the_last_after_image_of_each_row() {
        let create = Change { key: "VLAN|Vlan100".into(), action: ChangeAction::Create as i32, after: row(&[("vlanid", "100")]), ..Default::default() };
        let update = Change { key: "VLAN|Vlan100".into(), action: ChangeAction::Update as i32, after: row(&[("vlanid", "100"), ("mtu", "9100")]), ..Default::default() };
        let delete = Change { key: "VLAN|Vlan200".into(), action: ChangeAction::Delete as i32, ..Default::default() };
        let expected = expected_rows(&[step(vec![create, delete]), step(vec![update])]);
        let good: BTreeMap<String, Row> = [("VLAN|Vlan100".to_string(), row(&[("vlanid", "100"), ("mtu", "9100")]))].into();
        assert!(compare(&expected, &good).is_empty());
        let stale: BTreeMap<String, Row> = [("VLAN|Vlan100".to_string(), row(&[("vlanid", "100")]))].into();
        assert_eq!(compare(&expected, &stale).len(), 1);
        let mut resurrected = good.clone();
        resurrected.insert("VLAN|Vlan200".into(), row(&[("vlanid", "200")]));
        assert_eq!(compare(&expected, &resurrected), vec!["VLAN|Vlan200: expected no row, found {\"vlanid\": \"200\"}".to_string()]);
        assert_eq!(compare(&expected, &BTreeMap::new()), vec!["VLAN|Vlan100: expected the row, found none".to_string()]);
    }
}
