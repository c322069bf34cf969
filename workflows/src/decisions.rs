//! Who made a decision sent to a suite, and whether it is for this suite:
//! the signature against the keys of the recorded policy, its binding to
//! this suite, run and plan, its expiry against workflow time, and that a
//! signed decision is used once.
//!
//! Must never: read a clock (the caller passes workflow time) or trust a
//! name written beside a signature.

use switchyard_proto::trust::{self, Binding, Decision, Kind};
use switchyard_proto::v1::{ApprovalPolicy, ApprovalRequirement, EffectivePolicy, SignedDecision, Signer};

/// A decision whose maker is established.
#[derive(Debug, Clone)]
pub struct Identified {
    /// Who made it.
    pub signer: Signer,
    /// The signed decision, when it was signed (unsigned ones have none).
    pub decision: Option<Decision>,
}

/// Establishes who made a decision of one of the kinds in `expected`:
/// the signature when there is one, or the typed name when the policy lets
/// unsigned decisions count. `used` holds the signed messages already
/// recorded by this suite: one signed decision counts once.
pub fn identify<'a>(
    policy: &EffectivePolicy,
    signed: Option<&SignedDecision>,
    typed: &str,
    expected: &[Kind],
    binding: &Binding<'_>,
    mut used: impl Iterator<Item = &'a SignedDecision>,
) -> Result<Identified, String> {
    let Some(signed) = signed else {
        return trust::unsigned(policy, typed).map(|signer| Identified { signer, decision: None });
    };
    let ok = trust::establish(signed, &policy.principals, binding)?;
    if !expected.contains(&ok.decision.kind) {
        let names: Vec<&str> = expected.iter().map(|k| k.name()).collect();
        return Err(format!("a signed {} decision, but this takes {}", ok.decision.kind.name(), names.join(" or ")));
    }
    if used.any(|u| u.message == signed.message) {
        return Err(format!("this signed decision (nonce {}) was already used", ok.decision.nonce));
    }
    Ok(Identified { signer: ok.signer, decision: Some(ok.decision) })
}

/// The policy of a suite started before policies existed: its own approval
/// section, with names as typed. Only for replaying such suites.
pub fn legacy_policy(approval: &ApprovalPolicy, requester: &str) -> EffectivePolicy {
    let approvals = if approval.required == 0 {
        vec![]
    } else {
        vec![ApprovalRequirement {
            count: approval.required,
            groups: vec![],
            principals: approval.reviewers.iter().map(|r| trust::person(r)).collect(),
            source: "the suite's approval".into(),
        }]
    };
    EffectivePolicy {
        allow_unsigned: true,
        approvals,
        requester: Some(Signer { principal: trust::person(requester), fingerprint: String::new(), channel: "unsigned".into(), ..Default::default() }),
        ..Default::default()
    }
}
