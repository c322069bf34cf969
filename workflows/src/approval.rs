//! Approval rules: who may approve, which approvals count.

use switchyard_proto::v1::{ApprovalPolicy, ApprovalSignal, Decision, RecordedDecision};

/// Where the suite stands with its reviewers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not enough counted approvals yet.
    Pending,
    /// Enough distinct reviewers approved this plan.
    Approved,
    /// A permitted reviewer rejected this plan.
    Rejected,
}

/// A person's name as the rules compare it: surrounding space and case
/// never make a second person ("alice " and "Alice" are alice). Names are
/// still only names; keys are what prove who decided.
fn person(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Judges one decision against the policy and what was already recorded.
pub fn judge(policy: &ApprovalPolicy, requester: &str, plan_hash: &str, earlier: &[RecordedDecision], signal: ApprovalSignal) -> RecordedDecision {
    let refuse = |reason: String| RecordedDecision { signal: Some(signal.clone()), counted: false, reason };
    let reviewer = signal.reviewer.trim();
    let who = person(reviewer);
    if reviewer.is_empty() {
        return refuse("no reviewer named".into());
    }
    if plan_hash.is_empty() {
        return refuse("the plan is not ready yet".into());
    }
    if signal.plan_hash != plan_hash {
        return refuse(format!("for plan {:?}, but the plan to approve is {plan_hash}", signal.plan_hash));
    }
    if who == person(requester) {
        return refuse(format!("{reviewer} requested this suite and cannot review it"));
    }
    if !policy.reviewers.is_empty() && !policy.reviewers.iter().any(|r| person(r) == who) {
        return refuse(format!("{reviewer} is not among the suite's reviewers ({})", policy.reviewers.join(", ")));
    }
    let decision = Decision::try_from(signal.decision).unwrap_or(Decision::Unspecified);
    if decision == Decision::Unspecified {
        return refuse("decision must be DECISION_APPROVE or DECISION_REJECT".into());
    }
    let already = earlier.iter().any(|d| d.counted && d.signal.as_ref().is_some_and(|s| person(&s.reviewer) == who));
    if already {
        return refuse(format!("{reviewer} has already decided"));
    }
    RecordedDecision { signal: Some(signal.clone()), counted: true, reason: "counted".into() }
}

/// The verdict from the recorded decisions.
pub fn verdict(policy: &ApprovalPolicy, decisions: &[RecordedDecision]) -> Verdict {
    let counted = decisions.iter().filter(|d| d.counted).filter_map(|d| d.signal.as_ref());
    let mut approvals = 0;
    for s in counted {
        if s.decision == Decision::Reject as i32 {
            return Verdict::Rejected;
        }
        approvals += 1;
    }
    if approvals >= policy.required { Verdict::Approved } else { Verdict::Pending }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(reviewer: &str, decision: Decision, hash: &str) -> ApprovalSignal {
        ApprovalSignal { reviewer: reviewer.into(), decision: decision as i32, plan_hash: hash.into(), comment: String::new() }
    }

    #[test]
    fn rules() {
        let policy = ApprovalPolicy { required: 2, reviewers: vec![], timeout_seconds: 60 };
        let mut log = Vec::new();
        for (s, counted, reason) in [
            (signal("alice", Decision::Approve, "h"), false, "requested this suite"),
            (signal("bob", Decision::Approve, "old"), false, "the plan to approve is h"),
            (signal("bob", Decision::Approve, "h"), true, "counted"),
            (signal("bob", Decision::Approve, "h"), false, "already decided"),
            (signal("carol", Decision::Approve, "h"), true, "counted"),
        ] {
            let d = judge(&policy, "alice", "h", &log, s);
            assert_eq!(d.counted, counted, "{d:?}");
            assert!(d.reason.contains(reason), "{d:?}");
            log.push(d);
        }
        assert_eq!(verdict(&policy, &log), Verdict::Approved);
        assert_eq!(verdict(&policy, &log[..3]), Verdict::Pending);
        log.push(judge(&policy, "alice", "h", &[], signal("dave", Decision::Reject, "h")));
        assert_eq!(verdict(&policy, &log), Verdict::Rejected);
    }

    /// Space and case do not make another person: the requester cannot
    /// approve as "Alice " or " alice", and one reviewer counts once.
    #[test]
    fn space_and_case_name_the_same_person() {
        let policy = ApprovalPolicy { required: 2, reviewers: vec!["bob".into(), "carol".into()], timeout_seconds: 60 };
        for name in ["alice ", " Alice", "ALICE"] {
            assert!(judge(&policy, "alice", "h", &[], signal(name, Decision::Approve, "h")).reason.contains("requested this suite"), "{name:?}");
        }
        assert!(judge(&policy, "alice ", "h", &[], signal("alice", Decision::Approve, "h")).reason.contains("requested this suite"));
        let first = judge(&policy, "alice", "h", &[], signal("Bob", Decision::Approve, "h"));
        assert!(first.counted, "{first:?}");
        let again = judge(&policy, "alice", "h", &[first], signal("bob ", Decision::Approve, "h"));
        assert!(again.reason.contains("already decided"), "{again:?}");
    }
}
