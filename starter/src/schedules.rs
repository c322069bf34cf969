//! Temporal Schedules of switchyard: periodic drift checks and scheduled
//! suites. A schedule starts a `DriftWorkflow` or a `SuiteWorkflow` each
//! time it fires, as `<schedule id>-<time>`; a run still going when the
//! next is due makes the schedule skip that one (overlap: skip), so a slow
//! check or a suite awaiting approval never piles up behind itself. Each
//! scheduled suite is a suite of its own: it plans, passes the worker's
//! policy and waits for its approvals.
//!
//! Must never: print, or read files (the CLI does both).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use switchyard_proto::v1::{DriftInput, SuiteInput};
use switchyard_workflows::{DriftWorkflow, SuiteWorkflow};
use temporalio_client::Client;
use temporalio_client::schedules::{
    CreateScheduleOptions, DeleteScheduleOptions, ListSchedulesOptions, PauseScheduleOptions, ScheduleAction, ScheduleError,
    ScheduleOverlapPolicy, ScheduleSpec, UnpauseScheduleOptions,
};

/// When a schedule fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Every {
    /// At a fixed interval.
    Interval(Duration),
    /// On a cron expression (`minute hour day-of-month month day-of-week`), UTC.
    Cron(String),
}

impl Every {
    fn spec(&self, until: Option<i64>) -> ScheduleSpec {
        let mut spec = match self {
            Self::Interval(every) => ScheduleSpec::from_interval(*every),
            Self::Cron(cron) => ScheduleSpec::builder().cron_strings(vec![cron.clone()]).build(),
        };
        spec.end_time = until.map(|t| UNIX_EPOCH + Duration::from_secs(t.max(0) as u64));
        spec
    }
}

/// What went wrong with a schedule; names it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchedulesError {
    /// An id a schedule cannot have.
    #[error("schedule id {0:?}: use letters, digits, '.', '_' and '-' (at most 200)")]
    BadId(String),
    /// Temporal refused or failed the call.
    #[error("schedule {schedule_id}: {source}")]
    Temporal {
        /// The schedule.
        schedule_id: String,
        /// The SDK's reason.
        #[source]
        source: ScheduleError,
    },
}

/// One schedule as `schedule list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ListedSchedule {
    /// Schedule id (its runs are `<id>-<time>`).
    pub schedule_id: String,
    /// `drift` or `suite`.
    pub kind: String,
    /// When it fires, in words (`every 1h`, `cron 0 2 * * *`).
    pub every: String,
    /// Whether it is paused, and the note saying why.
    pub paused: bool,
    /// The note of its last pause or unpause.
    pub note: String,
    /// The runs it started lately, oldest first.
    pub recent: Vec<String>,
    /// When it fires next (Unix seconds; written as RFC 3339), if it will.
    #[serde(with = "switchyard_proto::time::rfc3339_seconds::option")]
    pub next: Option<i64>,
}

fn checked(id: &str) -> Result<(), SchedulesError> {
    let ok = !id.is_empty() && id.len() <= 200 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok { Ok(()) } else { Err(SchedulesError::BadId(id.to_string())) }
}

fn temporal(schedule_id: &str) -> impl FnOnce(ScheduleError) -> SchedulesError + '_ {
    move |source| SchedulesError::Temporal { schedule_id: schedule_id.to_string(), source }
}

async fn create(client: &Client, schedule_id: &str, action: ScheduleAction, every: &Every, until: Option<i64>) -> Result<(), SchedulesError> {
    checked(schedule_id)?;
    let options = CreateScheduleOptions::builder()
        .action(action)
        .spec(every.spec(until))
        .overlap_policy(ScheduleOverlapPolicy::Skip)
        .note(format!("created by switchyard, {}", describe(every)))
        .build();
    client.create_schedule(schedule_id, options).await.map_err(temporal(schedule_id))?;
    Ok(())
}

/// A schedule running the drift check `input` on `task_queue`.
pub async fn create_drift(client: &Client, task_queue: &str, schedule_id: &str, every: &Every, input: DriftInput) -> Result<(), SchedulesError> {
    let action = ScheduleAction::start_workflow(DriftWorkflow::run, input, task_queue, schedule_id);
    create(client, schedule_id, action, every, None).await
}

/// A schedule running the suite `input` (its `suite_id` the schedule's id,
/// `scheduled` set) until `until` (its launch signature's end).
pub async fn create_suite(client: &Client, task_queue: &str, every: &Every, until: Option<i64>, input: SuiteInput) -> Result<(), SchedulesError> {
    let schedule_id = input.suite_id.clone();
    let action = ScheduleAction::start_workflow(SuiteWorkflow::run, input, task_queue, schedule_id.clone());
    create(client, &schedule_id, action, every, until).await
}

/// Every schedule of switchyard's workflows in the namespace.
pub async fn list(client: &Client) -> Result<Vec<ListedSchedule>, SchedulesError> {
    let mut stream = client.list_schedules(ListSchedulesOptions::default());
    let mut out = Vec::new();
    while let Some(entry) = stream.next().await {
        let entry = entry.map_err(temporal("*"))?;
        let kind = match entry.workflow_type() {
            Some(t) if t == switchyard_proto::names::DRIFT_WORKFLOW => "drift",
            Some(t) if t == switchyard_proto::names::SUITE_WORKFLOW => "suite",
            _ => continue,
        };
        let raw = entry.raw();
        let spec = raw.info.as_ref().and_then(|i| i.spec.as_ref());
        let every = spec.map(|s| {
            if let Some(d) = s.interval.first().and_then(|i| i.interval.as_ref()) {
                format!("every {}", words(Duration::from_secs(d.seconds.max(0) as u64)))
            } else if let Some(c) = s.cron_string.first() {
                format!("cron {c}")
            } else {
                "on a calendar".to_string()
            }
        }).unwrap_or_default();
        out.push(ListedSchedule {
            schedule_id: entry.schedule_id().to_string(),
            kind: kind.into(),
            every,
            paused: entry.paused(),
            note: entry.note().unwrap_or_default().to_string(),
            recent: entry.recent_actions().into_iter().map(|a| a.workflow_id).collect(),
            next: entry.future_action_times().first().and_then(|t| unix(*t)),
        });
    }
    out.sort_by(|a, b| a.schedule_id.cmp(&b.schedule_id));
    Ok(out)
}

/// Pauses a schedule, saying why.
pub async fn pause(client: &Client, schedule_id: &str, note: &str) -> Result<(), SchedulesError> {
    client.get_schedule_handle(schedule_id).pause(Some(note), PauseScheduleOptions::default()).await.map_err(temporal(schedule_id))
}

/// Lets a paused schedule fire again.
pub async fn unpause(client: &Client, schedule_id: &str, note: &str) -> Result<(), SchedulesError> {
    client.get_schedule_handle(schedule_id).unpause(Some(note), UnpauseScheduleOptions::default()).await.map_err(temporal(schedule_id))
}

/// Deletes a schedule; the runs it started go on.
pub async fn delete(client: &Client, schedule_id: &str) -> Result<(), SchedulesError> {
    client.get_schedule_handle(schedule_id).delete(DeleteScheduleOptions::default()).await.map_err(temporal(schedule_id))
}

fn unix(t: SystemTime) -> Option<i64> {
    t.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs() as i64)
}

/// `every 1h`, `cron 0 2 * * *`.
pub fn describe(every: &Every) -> String {
    match every {
        Every::Interval(d) => format!("every {}", words(*d)),
        Every::Cron(c) => format!("cron {c}"),
    }
}

/// 3600 s → `1h`, 90 s → `1m30s`.
fn words(d: Duration) -> String {
    let mut s = d.as_secs();
    if s == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if s >= size {
            out.push_str(&format!("{}{unit}", s / size));
            s %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_spans_read_as_operators_write_them() {
        assert!(checked("nightly-drift.lab1").is_ok());
        assert!(matches!(checked("a b"), Err(SchedulesError::BadId(_))));
        assert!(checked("").is_err());
        assert_eq!(words(Duration::from_secs(3600)), "1h");
        assert_eq!(words(Duration::from_secs(90)), "1m30s");
        assert_eq!(describe(&Every::Cron("0 2 * * *".into())), "cron 0 2 * * *");
        let spec = Every::Interval(Duration::from_secs(60)).spec(Some(100));
        assert_eq!(spec.end_time, Some(UNIX_EPOCH + Duration::from_secs(100)));
    }
}
