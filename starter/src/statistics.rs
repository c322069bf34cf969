//! What a team asks of its change history: how many suites ended in each
//! phase over a time range, how many of the finished ones succeeded, and
//! how long they took. Computed from the visibility store's records
//! (`client::ListedSuite`); the service's `/v1/statistics` answers with it.
//!
//! Must never: read a workflow's history or state (a range may hold
//! thousands of suites; their visibility records are enough).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::client::ListedSuite;

/// Statistics of the change suites started in a time range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statistics {
    /// Suites counted.
    pub suites: usize,
    /// How many are in (or ended in) each phase.
    pub by_phase: BTreeMap<String, usize>,
    /// Suites that have closed.
    pub finished: usize,
    /// Finished suites that succeeded.
    pub succeeded: usize,
    /// `succeeded / finished`; none when nothing finished.
    pub success_rate: Option<f64>,
    /// Seconds from start to close of the finished suites.
    pub duration_seconds: Durations,
}

/// Nearest-rank percentiles of suite durations, in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Durations {
    /// Median.
    pub p50: Option<i64>,
    /// 90th percentile.
    pub p90: Option<i64>,
    /// 99th percentile.
    pub p99: Option<i64>,
    /// Longest.
    pub max: Option<i64>,
}

/// Statistics of `suites`.
pub fn of(suites: &[ListedSuite]) -> Statistics {
    let mut by_phase = BTreeMap::new();
    for s in suites {
        *by_phase.entry(s.status.clone()).or_insert(0) += 1;
    }
    let mut durations: Vec<i64> = suites.iter().filter_map(|s| s.closed_at.map(|c| (c - s.started_at).max(0))).collect();
    durations.sort_unstable();
    let finished = durations.len();
    let succeeded = suites.iter().filter(|s| s.closed_at.is_some() && s.status == "succeeded").count();
    Statistics {
        suites: suites.len(),
        by_phase,
        finished,
        succeeded,
        success_rate: (finished > 0).then(|| succeeded as f64 / finished as f64),
        duration_seconds: Durations {
            p50: percentile(&durations, 50),
            p90: percentile(&durations, 90),
            p99: percentile(&durations, 99),
            max: durations.last().copied(),
        },
    }
}

/// The nearest-rank `p`th percentile of sorted `values`.
fn percentile(values: &[i64], p: usize) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let rank = (p * values.len()).div_ceil(100).max(1);
    values.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite(phase: &str, started: i64, closed: Option<i64>) -> ListedSuite {
        ListedSuite { suite_id: format!("s-{started}"), name: "n".into(), status: phase.into(), requester: "ci".into(), devices: 2, failed: 0, started_at: started, closed_at: closed }
    }

    #[test]
    fn counts_phases_success_and_durations_of_finished_suites() {
        let mut suites: Vec<ListedSuite> = (1..=10).map(|i| suite("succeeded", 0, Some(i * 10))).collect();
        suites.push(suite("rolled_back", 0, Some(500)));
        suites.push(suite("terminated (in applying)", 0, Some(5)));
        suites.push(suite("awaiting_approval", 0, None));
        let s = of(&suites);
        assert_eq!(s.suites, 13);
        assert_eq!((s.finished, s.succeeded), (12, 10));
        assert_eq!(s.by_phase["succeeded"], 10);
        assert_eq!(s.by_phase["awaiting_approval"], 1);
        assert!((s.success_rate.unwrap() - 10.0 / 12.0).abs() < 1e-9);
        // Sorted: 5, 10, 20, …, 100, 500.
        assert_eq!(s.duration_seconds, Durations { p50: Some(50), p90: Some(100), p99: Some(500), max: Some(500) });
    }

    #[test]
    fn nothing_finished_has_no_rate_and_no_durations() {
        let s = of(&[suite("applying", 0, None)]);
        assert_eq!((s.finished, s.success_rate), (0, None));
        assert_eq!(s.duration_seconds, Durations::default());
        assert_eq!(of(&[]).suites, 0);
    }
}
