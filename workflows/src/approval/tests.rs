//! Which decisions count: unsigned under a lab policy, signed by key otherwise.

use ssh_key::private::Ed25519Keypair;
use ssh_key::{HashAlg, LineEnding, PrivateKey};
use switchyard_proto::trust::{self, Decision as Message};
use switchyard_proto::v1::{ApprovalPolicy, PolicyPrincipal, SignedDecision, Signer};

use super::*;
use crate::decisions::legacy_policy;

fn unsigned(reviewer: &str, decision: Decision, hash: &str) -> ApprovalSignal {
    ApprovalSignal { reviewer: reviewer.into(), decision: decision as i32, plan_hash: hash.into(), ..Default::default() }
}

fn binding(plan: &'static str) -> Binding<'static> {
    Binding { suite: "s1", run: "r1", plan, input: "", now: 1_000_000 }
}

fn run(policy: &EffectivePolicy, signals: Vec<(ApprovalSignal, bool, &str)>) -> Vec<RecordedDecision> {
    let mut log = Vec::new();
    for (s, counted, reason) in signals {
        let d = judge(policy, &binding("h"), String::new(), &log, s);
        assert_eq!(d.counted, counted, "{d:?}");
        assert!(d.reason.contains(reason), "want {reason:?}: {d:?}");
        log.push(d);
    }
    log
}

#[test]
fn unsigned_rules_where_the_policy_allows_them() {
    let policy = legacy_policy(&ApprovalPolicy { required: 2, reviewers: vec![], timeout_seconds: 60 }, "alice");
    let log = run(&policy, vec![
        (unsigned("alice", Decision::Approve, "h"), false, "requested this suite"),
        (unsigned(" Alice", Decision::Approve, "h"), false, "requested this suite"),
        (unsigned("bob", Decision::Approve, "old"), false, "the plan to approve is h"),
        (unsigned("bob", Decision::Approve, "h"), true, "counted"),
        (unsigned("Bob ", Decision::Approve, "h"), false, "already decided"),
        (unsigned("carol", Decision::Unspecified, "h"), false, "DECISION_APPROVE"),
        (unsigned("carol", Decision::Approve, "h"), true, "counted"),
    ]);
    assert_eq!(verdict(&policy, &log), Verdict::Approved);
    assert_eq!(verdict(&policy, &log[..4]), Verdict::Pending);
    let named = legacy_policy(&ApprovalPolicy { required: 1, reviewers: vec!["bob".into()], timeout_seconds: 60 }, "alice");
    run(&named, vec![(unsigned("dave", Decision::Approve, "h"), false, "not among the reviewers")]);
    let rejected = run(&named, vec![(unsigned("bob", Decision::Reject, "h"), true, "counted")]);
    assert_eq!(verdict(&named, &rejected), Verdict::Rejected);
}

fn key(seed: u8) -> PrivateKey {
    PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
}

fn signed(by: &PrivateKey, kind: trust::Kind, plan: &str, nonce: &str) -> ApprovalSignal {
    let m = Message {
        kind, suite: "s1".into(), run: "r1".into(), plan: plan.into(), input: String::new(), value: String::new(),
        channel: "cli".into(), expires: 1_000_600, nonce: nonce.into(), comment: "ok".into(), on_behalf: String::new(),
    };
    let sig = by.sign(trust::NAMESPACE, HashAlg::Sha512, m.to_text().as_bytes()).unwrap();
    // The typed name is ignored when a signature is present.
    ApprovalSignal { reviewer: "carol".into(), signed: Some(SignedDecision { message: m.to_text(), signature: sig.to_pem(LineEnding::LF).unwrap() }), ..Default::default() }
}

fn strict() -> EffectivePolicy {
    let person = |name: &str, seed: u8, groups: &[&str]| PolicyPrincipal {
        name: name.into(), groups: groups.iter().map(|g| g.to_string()).collect(),
        keys: vec![key(seed).public_key().to_openssh().unwrap()], attester: false,
    };
    EffectivePolicy {
        principals: vec![person("alice", 1, &["neteng", "reviewers"]), person("bob", 2, &["reviewers"]), person("carol", 3, &["reviewers"])],
        approvals: vec![ApprovalRequirement { count: 2, groups: vec!["reviewers".into()], principals: vec![], source: "rule lab".into() }],
        requester: Some(Signer { principal: "alice".into(), ..Default::default() }),
        ..Default::default()
    }
}

/// Identity comes from keys: a quorum of two needs two keys of two
/// principals; the requester's key never counts, whatever name is typed;
/// one key twice is one person; a used signature cannot be sent again.
#[test]
fn signed_decisions_count_by_key() {
    let policy = strict();
    let bob = signed(&key(2), trust::Kind::Approve, "h", "n1");
    let log = run(&policy, vec![
        (unsigned("bob", Decision::Approve, "h"), false, "only signed"),
        (signed(&key(1), trust::Kind::Approve, "h", "n0"), false, "alice requested this suite"),
        (signed(&key(9), trust::Kind::Approve, "h", "n0"), false, "no principal of the policy holds"),
        (signed(&key(2), trust::Kind::Approve, "other", "n1"), false, "but the plan is"),
        (signed(&key(2), trust::Kind::Resume, "h", "n1"), false, "takes approve or reject"),
        (bob.clone(), true, "counted"),
        (bob, false, "already used"),
        (signed(&key(2), trust::Kind::Approve, "h", "n2"), false, "bob has already decided"),
        (signed(&key(3), trust::Kind::Approve, "h", "n3"), true, "counted"),
    ]);
    assert_eq!(log[5].signal.as_ref().unwrap().reviewer, "bob", "the signer, not the typed name, is recorded");
    assert!(log[5].signer.as_ref().unwrap().fingerprint.starts_with("SHA256:"));
    assert_eq!(verdict(&policy, &log[..6]), Verdict::Pending);
    assert_eq!(verdict(&policy, &log), Verdict::Approved);
}

/// A copy of bob's signed body sent first with a broken signature is
/// refused and does not use it up: the genuine one still counts.
#[test]
fn a_forged_copy_does_not_use_up_the_genuine_decision() {
    let policy = strict();
    let bob = signed(&key(2), trust::Kind::Approve, "h", "n1");
    let mut forged = bob.clone();
    let signed_body = forged.signed.as_mut().unwrap();
    // Another signature block of the same key over another text.
    let other = signed(&key(2), trust::Kind::Approve, "h", "n-other");
    signed_body.signature = other.signed.unwrap().signature;
    run(&policy, vec![
        (forged, false, "does not match the message"),
        (bob, true, "counted"),
    ]);
}
