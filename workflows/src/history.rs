//! A device's history across suites: one long-lived workflow per device
//! (`device-history--<device>`) to which every device run of every suite
//! reports how it ended (applied, failed, rolled back, what it left in
//! place, who asked and approved). It folds the runs into the rows
//! switchyard owns on the device now (its intent), which a drift check
//! compares with the device. It keeps the latest runs in full, counts all,
//! and continues as new every [`names::DEVICE_HISTORY_KEPT`] runs, so its
//! history stays small; its state is carried whole.
//!
//! A record is a claim: anyone with namespace access can signal it. So a
//! record waits until the worker vouches for it (activity `vouch_runs`:
//! the device run it names, as Temporal records it, reported exactly this,
//! see [`switchyard_proto::record`]); only then is it folded. A refused one
//! is kept by digest, counted, and changes nothing. A history started by
//! hand with runs in it starts empty: only its own continuation carries
//! state.
//!
//! The device workflow reports at its end (`report`): a local activity
//! that signals the history from the worker, starting it when the device
//! has none yet (signal-with-start). Runs recorded before that reported
//! with a signal of their own (`record`), or started the history as an
//! abandoned child. A run reported twice (a retried report) is folded once.
//!
//! Must never: read a device, fold a record no worker vouched for (in a
//! run begun under `vouched-history`), or forget a row a run made
//! switchyard's until a later run removes or rolls it back.

// The workflow macros emit marker constants for each method.
#![allow(missing_docs)]

use prost::Message;
use switchyard_proto::names;
use switchyard_proto::record;
use switchyard_proto::v1::{
    ChangeAction, CompensationAction, DeviceHistory, DeviceHistoryEntry, DeviceMode, DeviceResult, DeviceRunInput, DeviceStatus,
    OwnedRow, RecordRunRequest, VouchRunsRequest,
};
use switchyard_proto::vocabulary::device_status_name;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::{
    ChildWorkflowOptions, ContinueAsNewOptions, ParentClosePolicy, SignalWorkflowOptions, SyncWorkflowContext,
    WorkflowCancellationToken, WorkflowContext, WorkflowContextView, WorkflowResult,
};

use crate::activity_defs::{RecordRun, VouchRuns};
use crate::lenient::Lenient;

/// Records vouched for in one activity: its input stays far below
/// Temporal's payload limit even when every record is as large as allowed.
const VOUCH_BATCH: usize = 4;

/// One device's history.
#[workflow]
pub struct DeviceHistoryWorkflow {
    history: DeviceHistory,
    // Records received by this execution (since the last continue-as-new),
    // refused ones too: a flood of them ends the run sooner, not later.
    recorded_here: usize,
    // Records received and not yet vouched for, in arrival order.
    waiting: Vec<DeviceHistoryEntry>,
}

#[workflow_methods]
impl DeviceHistoryWorkflow {
    /// Starts from the history carried over by its own previous run, or
    /// from nothing (a start with runs in it, not a continuation, is a
    /// claim nobody vouched for).
    #[init]
    pub fn new(ctx: &WorkflowContextView, history: DeviceHistory) -> Self {
        Self { history: trusted_start(history, ctx.continued_from_run_id().is_some()), recorded_here: 0, waiting: Vec::new() }
    }

    /// Records runs until it is time to continue as new.
    #[run(name = names::DEVICE_HISTORY_WORKFLOW)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<DeviceHistory> {
        // Asked once, first: a run begun before vouching folds as it did.
        let vouching = ctx.patched(names::patches::VOUCHED_HISTORY);
        loop {
            let woke = ctx.wait_condition(|s| !s.waiting.is_empty() || s.recorded_here >= names::DEVICE_HISTORY_KEPT).await;
            if woke.is_err() {
                // Cancelled by an operator: it ends with what it holds.
                return Ok(ctx.state(|s| s.history.clone()));
            }
            let batch = ctx.state_mut(|s| std::mem::take(&mut s.waiting));
            if vouching {
                vouch(ctx, batch).await;
            } else {
                ctx.state_mut(|s| batch.into_iter().for_each(|entry| fold(&mut s.history, entry)));
            }
            if ctx.state(|s| s.waiting.is_empty() && s.recorded_here >= names::DEVICE_HISTORY_KEPT) {
                break;
            }
        }
        let carried = ctx.state(|s| s.history.clone());
        let Err(end) = ctx.continue_as_new(carried, ContinueAsNewOptions::default());
        Err(end)
    }

    /// One suite's run on the device, to be vouched for; a body that cannot
    /// be read, or too large to check, is refused at once.
    #[signal(name = names::SIGNAL_RECORD_RUN)]
    pub fn record_run(&mut self, _ctx: &mut SyncWorkflowContext<Self>, entry: Lenient<DeviceHistoryEntry>) {
        self.recorded_here += 1;
        match entry {
            Lenient::Understood(entry) => {
                let size = entry.encoded_len();
                if size > record::MAX_BYTES {
                    let reason = format!("a record of {size} bytes, over the {} a history checks", record::MAX_BYTES);
                    record::refuse(&mut self.history, record::refusal(&entry, &entry.encode_to_vec(), reason));
                } else if self.waiting.len() >= record::MAX_WAITING {
                    let reason = format!("{} records already wait to be vouched for", record::MAX_WAITING);
                    record::refuse(&mut self.history, record::refusal(&entry, &entry.encode_to_vec(), reason));
                } else {
                    self.waiting.push(entry);
                }
            }
            Lenient::Refused(why) => {
                record::refuse(&mut self.history, record::refusal(&DeviceHistoryEntry::default(), why.as_bytes(), why.clone()));
            }
        }
    }

    /// The runs kept and the rows switchyard owns now.
    #[query(name = names::QUERY_HISTORY)]
    pub fn history(&self, _ctx: &WorkflowContextView) -> DeviceHistory {
        self.history.clone()
    }
}

/// The state a history run starts from: what its own previous run carried
/// over, or only the device's name when it was started any other way
/// (the worker starts a history with nothing in it).
pub fn trusted_start(history: DeviceHistory, continued: bool) -> DeviceHistory {
    if continued {
        return history;
    }
    let mut fresh = DeviceHistory { device: history.device.clone(), ..Default::default() };
    if !history.entries.is_empty() || !history.owned.is_empty() || history.recorded > 0 {
        let reason = "a history started with runs in it, not continued from its own: its runs and rows are not taken".to_string();
        record::refuse(&mut fresh, record::refusal(&DeviceHistoryEntry::default(), &history.encode_to_vec(), reason));
    }
    fresh
}

/// Vouches for `batch` a few records at a time and folds those vouched
/// for, in arrival order; the others are kept as refused.
async fn vouch(ctx: &WorkflowContext<DeviceHistoryWorkflow>, batch: Vec<DeviceHistoryEntry>) {
    let device = ctx.state(|s| s.history.device.clone());
    for chunk in batch.chunks(VOUCH_BATCH) {
        let req = VouchRunsRequest { device: device.clone(), entries: chunk.to_vec() };
        let refused = match ctx.execute_activity(VouchRuns, req, crate::options::record_vouching()).await {
            Ok(result) => result.refused,
            // Only a cancelled history gets here: nothing it could not vouch for counts.
            Err(e) => vec![format!("not vouched for: {}", crate::failure::describe(&e)); chunk.len()],
        };
        ctx.state_mut(|s| {
            for (i, entry) in chunk.iter().enumerate() {
                match refused.get(i).map(String::as_str) {
                    Some("") => fold(&mut s.history, entry.clone()),
                    Some(why) => record::refuse(&mut s.history, record::refusal(entry, &entry.encode_to_vec(), why.to_string())),
                    None => record::refuse(&mut s.history, record::refusal(entry, &entry.encode_to_vec(), "no verdict".into())),
                }
            }
        });
    }
}

/// Adds a run to the history: its entry, and what it did to the rows
/// switchyard owns (a kept change makes a row the suite's, a removal or a
/// rollback ends the suite's claim, a partial rollback keeps it, marked).
pub fn fold(history: &mut DeviceHistory, entry: DeviceHistoryEntry) {
    // A report retried after a lost reply: the very same run is there
    // already. Its run id says so even when the retry came from a workflow
    // task run again after a crash, whose workflow time (the entry's `at`)
    // is later; entries without one match on everything.
    let same_run = |e: &DeviceHistoryEntry| e == &entry || (!entry.run_id.is_empty() && e.run_id == entry.run_id);
    if history.entries.iter().any(same_run) {
        return;
    }
    for key in &entry.rows_rolled_back {
        if history.owned.get(key).is_some_and(|o| o.suite_id == entry.suite_id) {
            history.owned.remove(key);
        }
    }
    for key in &entry.rows_left_in_place {
        if let Some(o) = history.owned.get_mut(key).filter(|o| o.suite_id == entry.suite_id) {
            o.left_in_place = true;
        }
    }
    for row in &entry.owned {
        history.owned.insert(row.key.clone(), row.clone());
    }
    for key in entry.rows_applied.iter().filter(|k| !entry.owned.iter().any(|o| o.key == **k)) {
        // Applied and not owned: the run deleted the row.
        history.owned.remove(key);
    }
    history.entries.push(entry);
    history.recorded += 1;
    let excess = history.entries.len().saturating_sub(names::DEVICE_HISTORY_KEPT);
    history.entries.drain(..excess);
}

/// Check readings a history entry keeps: a history holds a hundred runs
/// and continues as new with them, so each keeps a few.
const READINGS_KEPT: usize = 8;

/// The run's readings for its history, failed ones first.
fn kept_readings(result: &DeviceResult) -> Vec<switchyard_proto::v1::CheckReading> {
    let failed = result.checks.iter().filter(|r| !r.passed);
    let passed = result.checks.iter().filter(|r| r.passed);
    failed.chain(passed).take(READINGS_KEPT).cloned().collect()
}

/// The history entry of the device run (`workflow_id`, `run_id`) that
/// ended with `result` at `at`. The run id is what folds a run reported
/// twice (after a worker crash) into one entry; the two ids name the run
/// whose own history vouches for the entry.
pub fn entry(input: &DeviceRunInput, result: &DeviceResult, at: &str, workflow_id: &str, run_id: &str) -> DeviceHistoryEntry {
    let plan = input.plan.clone().unwrap_or_default();
    let status = DeviceStatus::try_from(result.status).unwrap_or(DeviceStatus::Unspecified);
    let applying = input.mode != DeviceMode::Compensate as i32;
    let mut entry = DeviceHistoryEntry {
        suite_id: input.suite_id.clone(),
        suite_name: input.suite_name.clone(),
        requester: input.requester.clone(),
        approvers: input.approvers.clone(),
        mode: if applying { "apply" } else { "rollback" }.into(),
        outcome: device_status_name(status).to_string(),
        at: at.to_string(),
        run_id: run_id.to_string(),
        workflow_id: workflow_id.to_string(),
        steps_applied: result.steps_applied.clone(),
        steps_compensated: result.steps_compensated.clone(),
        error: result.error.clone(),
        checks: kept_readings(result),
        ..Default::default()
    };
    if applying && status == DeviceStatus::Succeeded {
        for step in plan.steps.iter().filter(|s| s.step.as_ref().is_some_and(|st| result.steps_applied.contains(&st.id))) {
            for change in step.changes.iter().flat_map(|c| c.changes.iter()) {
                if !entry.rows_applied.contains(&change.key) {
                    entry.rows_applied.push(change.key.clone());
                }
                // Steps apply in order, so a row's last change is what the
                // run leaves: a row made or changed and then deleted by a
                // later step is not the suite's afterwards.
                entry.owned.retain(|o| o.key != change.key);
                if change.action != ChangeAction::Delete as i32 {
                    entry.owned.push(OwnedRow { key: change.key.clone(), suite_id: input.suite_id.clone(), at: at.to_string(), fields: change.after.clone(), left_in_place: false });
                }
            }
        }
    }
    for c in result.compensation.iter().filter(|c| !c.key.is_empty()) {
        let list = if c.remains || c.action == CompensationAction::LeftInPlace as i32 { &mut entry.rows_left_in_place } else { &mut entry.rows_rolled_back };
        if !list.contains(&c.key) {
            list.push(c.key.clone());
        }
    }
    entry
}

/// Reports a device run to the device's history through the worker (local
/// activity `record_run`: a signal-with-start from the worker's client), so
/// the device workflow adds no command and no workflow task of its own. A
/// report that cannot get through after its attempts is logged in the
/// workflow's details; the device's result stands.
pub(crate) async fn report<W>(ctx: &WorkflowContext<W>, entry: DeviceHistoryEntry, device: &str) {
    let req = RecordRunRequest { device: device.to_string(), entry: Some(entry) };
    if let Err(e) = ctx.execute_local_activity(RecordRun, req, crate::options::history_report(format!("record in the history of {device}"))).await {
        ctx.set_current_details(format!("the device's history was not told of this run: {}", crate::failure::describe(&e)));
    }
}

/// Reports a device run to the device's history by a signal from the
/// device workflow itself, starting the history when the device has none
/// yet: how runs recorded before `device-history-by-activity` report.
pub(crate) async fn record<W>(ctx: &WorkflowContext<W>, entry: DeviceHistoryEntry, device: &str) {
    let id = names::device_history_workflow_id(device);
    if send(ctx, &id, entry.clone()).await {
        return;
    }
    let mut first = DeviceHistory { device: device.to_string(), ..Default::default() };
    fold(&mut first, entry.clone());
    let options = ChildWorkflowOptions::builder()
        .workflow_id(id.clone())
        .static_summary(format!("history of {device}"))
        .parent_close_policy(ParentClosePolicy::Abandon)
        .cancellation_token(WorkflowCancellationToken::new())
        .build();
    if ctx.start_child_workflow(DeviceHistoryWorkflow::run, first, options).await.is_err() {
        // Another suite's device run started it meanwhile.
        send(ctx, &id, entry).await;
    }
}

/// Signals a run to the device's history; false when it does not run.
async fn send<W>(ctx: &WorkflowContext<W>, id: &str, entry: DeviceHistoryEntry) -> bool {
    let mut options = SignalWorkflowOptions::default();
    // Reported even when the suite is being cancelled.
    options.cancellation_token = Some(WorkflowCancellationToken::new());
    let history = ctx.external_workflow(id.to_string(), None);
    history.signal(DeviceHistoryWorkflow::record_run, entry.into(), options).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(suite: &str, applied: &[&str], rolled_back: &[&str], left: &[&str]) -> DeviceHistoryEntry {
        DeviceHistoryEntry {
            suite_id: suite.into(),
            rows_applied: applied.iter().map(|k| k.to_string()).collect(),
            owned: applied.iter().filter(|k| !k.starts_with('-')).map(|k| OwnedRow { key: k.to_string(), suite_id: suite.into(), ..Default::default() }).collect(),
            rows_rolled_back: rolled_back.iter().map(|k| k.to_string()).collect(),
            rows_left_in_place: left.iter().map(|k| k.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn runs_fold_into_the_rows_switchyard_owns() {
        let mut h = DeviceHistory::default();
        fold(&mut h, run("a", &["VLAN|Vlan100", "VLAN_MEMBER|Vlan100|Ethernet0"], &[], &[]));
        fold(&mut h, run("b", &["VLAN|Vlan200"], &[], &[]));
        // b rolled back: its row is no longer switchyard's.
        fold(&mut h, run("b", &[], &["VLAN|Vlan200"], &[]));
        // A rollback of a row another suite owns does not end that claim.
        fold(&mut h, run("c", &[], &["VLAN|Vlan100"], &[]));
        // a rolled back in part: the member goes, the VLAN stays, marked.
        fold(&mut h, run("a", &[], &["VLAN_MEMBER|Vlan100|Ethernet0"], &["VLAN|Vlan100"]));
        assert_eq!(h.owned.keys().collect::<Vec<_>>(), ["VLAN|Vlan100"]);
        assert!(h.owned["VLAN|Vlan100"].left_in_place);
        assert_eq!((h.entries.len(), h.recorded), (5, 5));
    }

    #[test]
    fn a_run_reported_twice_is_folded_once() {
        let mut h = DeviceHistory::default();
        let mut first = run("a", &["VLAN|Vlan100"], &[], &[]);
        first.at = "2026-12-02T05:00:00Z".into();
        fold(&mut h, first.clone());
        fold(&mut h, first.clone());
        assert_eq!((h.entries.len(), h.recorded), (1, 1));
        // The same suite's rollback of the device is another run.
        let mut rollback = run("a", &[], &["VLAN|Vlan100"], &[]);
        (rollback.at, rollback.mode) = (first.at.clone(), "rollback".into());
        fold(&mut h, rollback);
        assert_eq!((h.entries.len(), h.recorded), (2, 2));
        assert!(h.owned.is_empty());
    }

    #[test]
    fn a_run_reported_again_after_a_crash_is_folded_once() {
        let mut h = DeviceHistory::default();
        let mut first = run("a", &["VLAN|Vlan100"], &[], &[]);
        (first.at, first.run_id) = ("2026-12-02T05:00:00Z".into(), "run-1".into());
        fold(&mut h, first.clone());
        // Its workflow task ran again on another worker: a later time.
        let mut again = first.clone();
        again.at = "2026-12-02T05:00:10Z".into();
        fold(&mut h, again);
        assert_eq!((h.entries.len(), h.recorded), (1, 1));
        assert_eq!(h.entries[0].at, first.at);
        // Another run of the same suite on the device (a resumed suite) is kept.
        let mut resumed = first.clone();
        resumed.run_id = "run-2".into();
        fold(&mut h, resumed);
        assert_eq!((h.entries.len(), h.recorded), (2, 2));
    }

    #[test]
    fn only_a_continuation_carries_runs_and_rows() {
        let mut carried = DeviceHistory { device: "d1".into(), ..Default::default() };
        fold(&mut carried, run("a", &["VLAN|Vlan100"], &[], &[]));
        assert_eq!(trusted_start(carried.clone(), true), carried);
        // Started by hand with runs in it: nothing taken, the start refused.
        let started = trusted_start(carried, false);
        assert!(started.entries.is_empty() && started.owned.is_empty() && started.recorded == 0);
        assert_eq!((started.device.as_str(), started.refused_total), ("d1", 1));
        // The worker's own first start (nothing in it) is no refusal.
        assert_eq!(trusted_start(DeviceHistory { device: "d1".into(), ..Default::default() }, false).refused_total, 0);
    }

    /// A plan step that writes `changes` (key, action) under `id`.
    fn step(id: &str, changes: &[(&str, ChangeAction)]) -> switchyard_proto::v1::StepPlan {
        use switchyard_proto::v1::{Change, ChangeSet, Step, StepPlan};
        let changes = changes.iter().map(|(key, action)| Change { key: key.to_string(), action: *action as i32, ..Default::default() }).collect();
        StepPlan { step: Some(Step { id: id.into(), ..Default::default() }), changes: Some(ChangeSet { changes }), ..Default::default() }
    }

    #[test]
    fn a_row_made_or_changed_then_deleted_by_the_same_run_is_not_owned() {
        use switchyard_proto::v1::DevicePlan;
        let plan = DevicePlan {
            steps: vec![
                step("1", &[("ACL_TABLE|EDGE", ChangeAction::Create), ("VLAN|Vlan300", ChangeAction::Update)]),
                step("2", &[("ACL_TABLE|EDGE", ChangeAction::Delete), ("VLAN|Vlan300", ChangeAction::Delete)]),
                step("3", &[("VLAN|Vlan301", ChangeAction::Create)]),
            ],
            ..Default::default()
        };
        let input = DeviceRunInput { suite_id: "b".into(), plan: Some(plan), mode: DeviceMode::Apply as i32, ..Default::default() };
        let result = DeviceResult {
            status: DeviceStatus::Succeeded as i32,
            steps_applied: vec!["1".into(), "2".into(), "3".into()],
            ..Default::default()
        };
        let e = entry(&input, &result, "2026-12-07T00:00:00Z", "w", "r");
        assert_eq!(e.owned.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["VLAN|Vlan301"]);
        assert_eq!(e.rows_applied, ["ACL_TABLE|EDGE", "VLAN|Vlan300", "VLAN|Vlan301"]);
        // An earlier suite owned the VLAN this run changed and deleted: nobody does now.
        let mut h = DeviceHistory::default();
        fold(&mut h, run("a", &["VLAN|Vlan300"], &[], &[]));
        fold(&mut h, e);
        assert_eq!(h.owned.keys().collect::<Vec<_>>(), ["VLAN|Vlan301"]);
    }

    #[test]
    fn it_keeps_the_latest_runs_and_counts_all() {
        let mut h = DeviceHistory::default();
        for i in 0..names::DEVICE_HISTORY_KEPT + 5 {
            fold(&mut h, run(&format!("s{i}"), &[], &[], &[]));
        }
        assert_eq!(h.entries.len(), names::DEVICE_HISTORY_KEPT);
        assert_eq!(h.recorded, names::DEVICE_HISTORY_KEPT as u64 + 5);
        assert_eq!(h.entries[0].suite_id, "s5");
    }
}
