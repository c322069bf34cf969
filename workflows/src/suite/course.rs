//! The suite's course: the one state that says whether another device may
//! start and how the suite will end, and the pure decisions that move it.
//!
//! Every event that can stop or pause a rollout (a device over the failure
//! budget, the change window closing, an operator's answer, cancellation)
//! is a function from the course before to the course after, so each rule
//! is written once and unit-tested without a workflow. Must never: touch
//! the workflow context, a clock or history.

use switchyard_proto::v1::{OnFailure, OperatorAction, SuitePhase, WindowClose};
use switchyard_proto::vocabulary::count;

/// Where the rollout is heading.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Course {
    /// Devices start as slots free up.
    #[default]
    Running,
    /// Over the failure budget with `on_failure: pause`: no device starts
    /// until an operator answers (or the pause timeout applies its default).
    Paused {
        /// The operator's answer, once given and not yet acted on.
        answer: Option<Answer>,
    },
    /// No device starts again. In-flight devices finish (a device is
    /// all-or-nothing); then the suite ends the way the stop says.
    Stopping(Stop),
}

/// An operator's answer to a paused suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) action: OperatorAction,
    pub(crate) by: String,
}

/// Why the rollout stopped, which decides how the suite ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Compensate every changed device (budget exceeded under `rollback`,
    /// the window closed under `on_close: rollback`, an operator's rollback).
    RollBack(String),
    /// Cancelled: compensate every changed device, then end `cancelled`.
    Cancel(String),
    /// An operator abandoned the suite: changed devices keep their change.
    Abandon(String),
    /// The window closed under `on_close: stop`: changed devices keep it.
    WindowClosed,
}

impl Course {
    /// Whether no device may start any more.
    pub(crate) fn is_stopping(&self) -> bool {
        matches!(self, Course::Stopping(_))
    }

    /// Whether a device may start now (a free slot permitting).
    pub(crate) fn may_start(&self) -> bool {
        matches!(self, Course::Running)
    }

    /// Whether an operator's answer is awaited.
    pub(crate) fn awaits_answer(&self) -> bool {
        matches!(self, Course::Paused { answer: None })
    }

    /// Why a device that has not started will not start.
    pub(crate) fn skip_reason(&self) -> String {
        match self {
            Course::Stopping(Stop::RollBack(why) | Stop::Abandon(why)) => why.clone(),
            Course::Stopping(Stop::Cancel(reason)) => cancelled(reason),
            _ => "the rollout stopped".into(),
        }
    }
}

fn cancelled(reason: &str) -> String {
    format!("cancelled ({reason})")
}

/// A device failed: once failures exceed the budget (counting only those
/// since the operator last resumed), the suite follows `on_failure`. A
/// stopping suite stays as it is; a paused one keeps waiting.
pub(crate) fn after_failure(course: Course, failed: u32, answered: u32, budget: u32, on_failure: OnFailure) -> Course {
    if failed <= answered + budget || !matches!(course, Course::Running) {
        return course;
    }
    match on_failure {
        OnFailure::Continue => course,
        OnFailure::Pause => Course::Paused { answer: None },
        OnFailure::Rollback | OnFailure::Unspecified => Course::Stopping(Stop::RollBack(format!("failure budget of {budget} exceeded"))),
    }
}

/// A gate between waves failed (`why` names it and what it read): the
/// suite follows `on_failure` as it would past its failure budget, but the
/// budget does not decide, since no device failed. A stopping or paused
/// suite stays as it is.
pub(crate) fn after_gate_failed(course: Course, on_failure: OnFailure, why: &str) -> Course {
    if !matches!(course, Course::Running) {
        return course;
    }
    match on_failure {
        OnFailure::Continue => course,
        OnFailure::Pause => Course::Paused { answer: None },
        OnFailure::Rollback | OnFailure::Unspecified => Course::Stopping(Stop::RollBack(why.to_string())),
    }
}

/// The change window closed (`closed_at` as written in the log). A suite
/// already stopping for another reason keeps that reason.
pub(crate) fn after_window_closed(course: Course, on_close: WindowClose, closed_at: &str) -> Course {
    if course.is_stopping() {
        return course;
    }
    match on_close {
        WindowClose::Rollback => Course::Stopping(Stop::RollBack(format!("the change window closed at {closed_at}"))),
        WindowClose::Stop | WindowClose::Unspecified => Course::Stopping(Stop::WindowClosed),
    }
}

/// What a pause came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PauseEnd {
    /// The operator answered; their answer is applied.
    Answered,
    /// Nobody answered in time: the suite's default is applied (and logged).
    TimedOut(OperatorAction),
    /// The suite stopped meanwhile (cancelled, window closed): nothing to apply.
    Overtaken,
}

/// Ends a pause: applies the operator's answer, or on timeout the
/// suite's default. Resuming forgives the failures so far: `failed` becomes
/// the new base of the failure budget.
pub(crate) fn end_pause(course: Course, default: OperatorAction, failed: u32, answered: u32) -> (Course, u32, PauseEnd) {
    let (answer, end) = match course {
        Course::Paused { answer: Some(a) } => (a, PauseEnd::Answered),
        Course::Paused { answer: None } => {
            let action = if default == OperatorAction::Abandon { default } else { OperatorAction::Rollback };
            (Answer { action, by: "the pause timeout".into() }, PauseEnd::TimedOut(action))
        }
        other => return (other, answered, PauseEnd::Overtaken),
    };
    let course = match answer.action {
        OperatorAction::Resume => return (Course::Running, failed, end),
        OperatorAction::Abandon => Course::Stopping(Stop::Abandon(format!("abandoned by {}", answer.by))),
        OperatorAction::Cancel => Course::Stopping(Stop::Cancel(format!("by {}", answer.by))),
        OperatorAction::Rollback | OperatorAction::Unspecified => Course::Stopping(Stop::RollBack(format!("rollback chosen by {}", answer.by))),
    };
    (course, answered, end)
}

/// Cancellation overrides every other course: compensate, end `cancelled`.
pub(crate) fn after_cancel(reason: &str) -> Course {
    Course::Stopping(Stop::Cancel(reason.to_string()))
}

/// How the suite ends once the rollout is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Roll back the changed devices first; see [`after_rollback`].
    RollBack { why: String, cancelled: bool },
    /// The final phase and its summary.
    Done(SuitePhase, String),
}

/// The ending for a rollout that is over: `failed` devices failed,
/// `skipped` never started, `changed` completed their change.
pub(crate) fn conclude(course: &Course, failed: u32, skipped: u32, changed: usize) -> Ending {
    match course {
        Course::Stopping(Stop::Abandon(why)) => {
            Ending::Done(SuitePhase::Failed, format!("{why}; {} failed, {} keep their change", count(failed, "device"), count(changed as u64, "changed device")))
        }
        Course::Stopping(Stop::RollBack(why)) => Ending::RollBack { why: why.clone(), cancelled: false },
        Course::Stopping(Stop::Cancel(reason)) => Ending::RollBack { why: cancelled(reason), cancelled: true },
        Course::Stopping(Stop::WindowClosed) => {
            Ending::Done(SuitePhase::Failed, format!("the change window closed: {} not started, {changed} changed", count(skipped, "device")))
        }
        Course::Running | Course::Paused { .. } if failed == 0 && skipped == 0 => {
            Ending::Done(SuitePhase::Succeeded, "all devices changed and verified".into())
        }
        Course::Running | Course::Paused { .. } => {
            Ending::Done(SuitePhase::Failed, format!("{} failed, {skipped} not started; changed devices keep their change", count(failed, "device")))
        }
    }
}

/// The phase after a rollback in which `back` of `changed` devices were
/// rolled back completely.
pub(crate) fn after_rollback(why: &str, cancelled: bool, failed: u32, back: usize, changed: usize, remaining: u32) -> (SuitePhase, String) {
    let mut summary = if changed == 0 {
        // A failed device undoes its own steps before it reports: with no
        // other device changed, there was nothing left to roll back.
        let their = if failed == 1 { "its" } else { "their" };
        format!("{why}; {} failed and compensated {their} own steps; no other device had changed", count(failed, "device"))
    } else {
        format!("{why}; {} failed and compensated; {back} of {} rolled back", count(failed, "device"), count(changed as u64, "changed device"))
    };
    if remaining > 0 {
        summary.push_str(&format!("; {} of the suite left in place (see the compensation log)", count(remaining, "change")));
    }
    let phase = if cancelled {
        SuitePhase::Cancelled
    } else if back == changed && remaining == 0 {
        SuitePhase::RolledBack
    } else {
        SuitePhase::PartiallyRolledBack
    };
    (phase, summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stopping(why: &str) -> Course {
        Course::Stopping(Stop::RollBack(why.into()))
    }

    #[test]
    fn a_failed_gate_follows_on_failure() {
        use OnFailure as F;
        assert_eq!(after_gate_failed(Course::Running, F::Rollback, "gate \"errors\" after wave 1: 3"), stopping("gate \"errors\" after wave 1: 3"));
        assert_eq!(after_gate_failed(Course::Running, F::Pause, "g"), Course::Paused { answer: None });
        assert_eq!(after_gate_failed(Course::Running, F::Continue, "g"), Course::Running);
        assert_eq!(after_gate_failed(stopping("budget"), F::Rollback, "g"), stopping("budget"));
    }

    #[test]
    fn the_failure_budget_decides_by_policy() {
        use OnFailure as F;
        // Within the budget nothing changes.
        assert_eq!(after_failure(Course::Running, 2, 0, 2, F::Rollback), Course::Running);
        assert_eq!(after_failure(Course::Running, 3, 0, 2, F::Rollback), stopping("failure budget of 2 exceeded"));
        assert_eq!(after_failure(Course::Running, 3, 0, 2, F::Pause), Course::Paused { answer: None });
        assert_eq!(after_failure(Course::Running, 3, 0, 2, F::Continue), Course::Running);
        // Failures an operator resumed past do not count again.
        assert_eq!(after_failure(Course::Running, 3, 3, 0, F::Pause), Course::Running);
        assert_eq!(after_failure(Course::Running, 4, 3, 0, F::Pause), Course::Paused { answer: None });
        // A stopping suite keeps its reason; a paused one keeps waiting.
        let cancel = after_cancel("ops");
        assert_eq!(after_failure(cancel.clone(), 9, 0, 0, F::Rollback), cancel);
        let answered = Course::Paused { answer: Some(Answer { action: OperatorAction::Resume, by: "oscar".into() }) };
        assert_eq!(after_failure(answered.clone(), 9, 0, 0, F::Pause), answered);
    }

    #[test]
    fn the_window_stops_or_rolls_back_unless_already_stopping() {
        assert_eq!(after_window_closed(Course::Running, WindowClose::Stop, "T"), Course::Stopping(Stop::WindowClosed));
        assert_eq!(after_window_closed(Course::Paused { answer: None }, WindowClose::Rollback, "T"), stopping("the change window closed at T"));
        assert_eq!(after_window_closed(stopping("budget"), WindowClose::Rollback, "T"), stopping("budget"));
        let abandon = Course::Stopping(Stop::Abandon("abandoned by oscar".into()));
        assert_eq!(after_window_closed(abandon.clone(), WindowClose::Rollback, "T"), abandon);
    }

    #[test]
    fn a_pause_ends_by_answer_timeout_or_being_overtaken() {
        let paused = |action| Course::Paused { answer: Some(Answer { action, by: "oscar".into() }) };
        assert_eq!(end_pause(paused(OperatorAction::Resume), OperatorAction::Rollback, 3, 0), (Course::Running, 3, PauseEnd::Answered));
        assert_eq!(end_pause(paused(OperatorAction::Rollback), OperatorAction::Abandon, 3, 0),
            (stopping("rollback chosen by oscar"), 0, PauseEnd::Answered));
        assert_eq!(end_pause(paused(OperatorAction::Abandon), OperatorAction::Rollback, 3, 1),
            (Course::Stopping(Stop::Abandon("abandoned by oscar".into())), 1, PauseEnd::Answered));
        assert_eq!(end_pause(paused(OperatorAction::Cancel), OperatorAction::Rollback, 3, 0),
            (Course::Stopping(Stop::Cancel("by oscar".into())), 0, PauseEnd::Answered));
        assert_eq!(end_pause(Course::Paused { answer: None }, OperatorAction::Abandon, 3, 0),
            (Course::Stopping(Stop::Abandon("abandoned by the pause timeout".into())), 0, PauseEnd::TimedOut(OperatorAction::Abandon)));
        assert_eq!(end_pause(Course::Paused { answer: None }, OperatorAction::Unspecified, 3, 0),
            (stopping("rollback chosen by the pause timeout"), 0, PauseEnd::TimedOut(OperatorAction::Rollback)));
        let cancel = after_cancel("ops");
        assert_eq!(end_pause(cancel.clone(), OperatorAction::Rollback, 3, 0), (cancel, 0, PauseEnd::Overtaken));
    }

    #[test]
    fn the_ending_follows_the_course() {
        assert_eq!(conclude(&Course::Running, 0, 0, 5), Ending::Done(SuitePhase::Succeeded, "all devices changed and verified".into()));
        assert!(matches!(conclude(&Course::Running, 1, 0, 4), Ending::Done(SuitePhase::Failed, _)));
        assert_eq!(conclude(&stopping("budget"), 1, 2, 2), Ending::RollBack { why: "budget".into(), cancelled: false });
        assert_eq!(conclude(&after_cancel("ops"), 0, 2, 2), Ending::RollBack { why: "cancelled (ops)".into(), cancelled: true });
        assert!(matches!(conclude(&Course::Stopping(Stop::WindowClosed), 0, 3, 2), Ending::Done(SuitePhase::Failed, s) if s.contains("3 devices not started")));
        assert!(matches!(conclude(&Course::Stopping(Stop::Abandon("abandoned by oscar".into())), 1, 0, 2), Ending::Done(SuitePhase::Failed, s) if s.starts_with("abandoned by oscar")));
        assert_eq!(after_rollback("budget", false, 1, 3, 3, 0).0, SuitePhase::RolledBack);
        assert_eq!(after_rollback("budget", false, 1, 2, 3, 0).0, SuitePhase::PartiallyRolledBack);
        // Every device rolled back, but one change had to stay.
        let (phase, summary) = after_rollback("budget", false, 1, 3, 3, 1);
        assert_eq!(phase, SuitePhase::PartiallyRolledBack);
        assert!(summary.ends_with("1 change of the suite left in place (see the compensation log)"), "{summary}");
        assert_eq!(after_rollback("cancelled (ops)", true, 0, 3, 3, 0).0, SuitePhase::Cancelled);
        let (phase, summary) = after_rollback("failure budget of 0 exceeded", false, 1, 0, 0, 0);
        assert_eq!(phase, SuitePhase::RolledBack);
        assert!(summary.ends_with("1 device failed and compensated its own steps; no other device had changed"), "{summary}");
    }

    #[test]
    fn skip_reasons_name_the_stop() {
        assert_eq!(after_cancel("ops").skip_reason(), "cancelled (ops)");
        assert_eq!(stopping("failure budget of 0 exceeded").skip_reason(), "failure budget of 0 exceeded");
        assert_eq!(Course::Stopping(Stop::WindowClosed).skip_reason(), "the rollout stopped");
    }
}
