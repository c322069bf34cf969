//! Where a device's apply time goes, read from the server's own timestamps
//! in the suite's history and its device workflows' histories: for each
//! device, from the suite asking for its workflow to the suite seeing it
//! end, split at the events between. Medians (and the 90th percentile) over
//! the devices; seconds.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use temporalio_protos::temporal::api::enums::v1::EventType;
use temporalio_protos::temporal::api::history::v1::HistoryEvent;
use temporalio_protos::temporal::api::history::v1::history_event::Attributes;

fn at(e: &HistoryEvent) -> f64 {
    e.event_time.as_ref().map_or(0.0, |t| t.seconds as f64 + f64::from(t.nanos) / 1e9)
}

fn first(events: &[HistoryEvent], kind: EventType) -> Option<f64> {
    events.iter().find(|e| e.event_type == kind as i32).map(at)
}

/// The phases of every apply device workflow in `children` (by workflow
/// id), and the suite's own reaction time: from a device's end to the next
/// device's start in the suite's history.
pub(crate) fn of_apply(suite: &[HistoryEvent], children: &BTreeMap<String, Vec<HistoryEvent>>) -> Value {
    let mut asked = BTreeMap::new();
    let mut seen = BTreeMap::new();
    for e in suite {
        match &e.attributes {
            Some(Attributes::StartChildWorkflowExecutionInitiatedEventAttributes(a)) => {
                asked.entry(a.workflow_id.clone()).or_insert(at(e));
            }
            Some(Attributes::ChildWorkflowExecutionCompletedEventAttributes(a)) => {
                if let Some(w) = &a.workflow_execution {
                    seen.insert(w.workflow_id.clone(), at(e));
                }
            }
            _ => {}
        }
    }
    let names = ["child_start", "first_task_wait", "device_work", "history_signal", "close", "suite_notified", "lifetime"];
    let mut samples: BTreeMap<&str, Vec<f64>> = names.iter().map(|n| (*n, Vec::new())).collect();
    for (id, events) in children {
        let (Some(&t_asked), Some(&t_seen)) = (asked.get(id), seen.get(id)) else { continue };
        let (Some(started), Some(task), Some(task_done), Some(done)) = (
            first(events, EventType::WorkflowExecutionStarted),
            first(events, EventType::WorkflowTaskStarted),
            first(events, EventType::WorkflowTaskCompleted),
            first(events, EventType::WorkflowExecutionCompleted),
        ) else { continue };
        let signalled = first(events, EventType::ExternalWorkflowExecutionSignaled);
        let mut add = |name: &str, v: f64| samples.get_mut(name).expect("known phase").push(v);
        add("child_start", started - t_asked);
        add("first_task_wait", task - started);
        add("device_work", task_done - task);
        if let Some(signalled) = signalled {
            add("history_signal", signalled - task_done);
            add("close", done - signalled);
        } else {
            add("close", done - task_done);
        }
        add("suite_notified", t_seen - done);
        add("lifetime", t_seen - t_asked);
    }
    // The suite's reaction: each device's end seen in the suite's history to
    // the next device workflow it asks for.
    let mut starts: Vec<f64> = asked.values().copied().collect();
    starts.sort_by(f64::total_cmp);
    let mut gaps = Vec::new();
    for t in seen.values() {
        if let Some(next) = starts.iter().find(|s| **s >= *t) {
            gaps.push(next - t);
        }
    }
    let mut out = serde_json::Map::new();
    for (name, mut v) in samples.into_iter().chain([("suite_next_start", gaps)]) {
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            continue;
        }
        let pick = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        out.insert(name.to_string(), json!({ "p50": pick(0.5), "p90": pick(0.9) }));
    }
    let span = match (starts.first(), seen.values().copied().reduce(f64::max)) {
        (Some(a), Some(b)) => b - a,
        _ => 0.0,
    };
    out.insert("first_start_to_last_end".into(), json!(span));
    Value::Object(out)
}
