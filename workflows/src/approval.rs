//! Approval rules: which decisions count, and when a plan is approved.
//!
//! A decision counts when its maker is established (a signature by a key of
//! the recorded policy, or a name where a lab policy allows unsigned
//! decisions), it is bound to this suite, run and plan, its maker did not
//! request the suite, qualifies for one of the requirements and has not
//! already decided. The plan is approved when every requirement has its
//! count of distinct people.

use switchyard_proto::policy::qualifies;
use switchyard_proto::trust::{Binding, Kind};
use switchyard_proto::v1::{ApprovalRequirement, ApprovalSignal, Decision, EffectivePolicy, RecordedDecision};

use crate::decisions::identify;

/// Where the suite stands with its reviewers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not enough counted approvals yet.
    Pending,
    /// Every requirement has its approvals.
    Approved,
    /// A qualifying reviewer rejected this plan.
    Rejected,
}

/// One requirement in words: "2 from reviewers (rule leaves)".
pub fn describe(requirement: &ApprovalRequirement) -> String {
    let from: Vec<&str> = requirement.groups.iter().chain(&requirement.principals).map(String::as_str).collect();
    let from = if from.is_empty() { "anyone but the requester".to_string() } else { from.join(", ") };
    format!("{} from {from} ({})", requirement.count, requirement.source)
}

/// Judges one decision against the policy and what was already recorded.
/// `binding.plan` is empty until the plan is ready.
pub fn judge(policy: &EffectivePolicy, binding: &Binding<'_>, at: String, earlier: &[RecordedDecision], mut signal: ApprovalSignal) -> RecordedDecision {
    let refuse = |signal: ApprovalSignal, signer, reason: String| RecordedDecision { signal: Some(signal), counted: false, reason, signer, at: at.clone() };
    if binding.plan.is_empty() {
        return refuse(signal, None, "the plan is not ready yet".into());
    }
    // Only a signed message that verified is used up: a copy sent with a
    // broken signature (recorded without a signer) must not spend it.
    let used = earlier.iter().filter(|d| d.signer.is_some()).filter_map(|d| d.signal.as_ref()?.signed.as_ref());
    let who = match identify(policy, signal.signed.as_ref(), &signal.reviewer, &[Kind::Approve, Kind::Reject], binding, used) {
        Ok(who) => who,
        Err(why) => return refuse(signal, None, why),
    };
    let principal = who.signer.principal.clone();
    // A signed message is the authority: what it says is what is recorded.
    if let Some(d) = &who.decision {
        signal.reviewer = principal.clone();
        signal.decision = if d.kind == Kind::Reject { Decision::Reject } else { Decision::Approve } as i32;
        signal.plan_hash = d.plan.clone();
        signal.comment = d.comment.clone();
    } else if signal.plan_hash != binding.plan {
        let reason = format!("for plan {:?}, but the plan to approve is {}", signal.plan_hash, binding.plan);
        return refuse(signal, Some(who.signer), reason);
    }
    let signer = Some(who.signer);
    if Decision::try_from(signal.decision).unwrap_or(Decision::Unspecified) == Decision::Unspecified {
        return refuse(signal, signer, "decision must be DECISION_APPROVE or DECISION_REJECT".into());
    }
    if policy.requester.as_ref().is_some_and(|r| r.principal == principal) {
        return refuse(signal, signer, format!("{principal} requested this suite and cannot review it"));
    }
    if !policy.approvals.iter().any(|r| qualifies(policy, r, &principal)) {
        let needed: Vec<String> = policy.approvals.iter().map(describe).collect();
        return refuse(signal, signer, format!("{principal} is not among the reviewers this suite needs ({})", needed.join("; ")));
    }
    let already = earlier.iter().any(|d| d.counted && d.signer.as_ref().is_some_and(|s| s.principal == principal));
    if already {
        return refuse(signal, signer, format!("{principal} has already decided"));
    }
    RecordedDecision { signal: Some(signal), counted: true, reason: "counted".into(), signer, at }
}

/// The verdict from the recorded decisions.
pub fn verdict(policy: &EffectivePolicy, decisions: &[RecordedDecision]) -> Verdict {
    let counted: Vec<&RecordedDecision> = decisions.iter().filter(|d| d.counted).collect();
    if counted.iter().any(|d| d.signal.as_ref().is_some_and(|s| s.decision == Decision::Reject as i32)) {
        return Verdict::Rejected;
    }
    let approvers: Vec<&str> = counted.iter().filter_map(|d| d.signer.as_ref()).map(|s| s.principal.as_str()).collect();
    let met = |r: &ApprovalRequirement| approvers.iter().filter(|p| qualifies(policy, r, p)).count() >= r.count as usize;
    if policy.approvals.iter().all(met) { Verdict::Approved } else { Verdict::Pending }
}

#[cfg(test)]
mod tests;
