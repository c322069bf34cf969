//! The decision text and every check a signed decision must pass.

use ssh_key::private::Ed25519Keypair;
use ssh_key::{LineEnding, PrivateKey};

use super::*;

fn key(seed: u8) -> PrivateKey {
    PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
}

fn principal(name: &str, key: &PrivateKey) -> PolicyPrincipal {
    PolicyPrincipal { name: name.into(), keys: vec![key.public_key().to_openssh().unwrap()], ..Default::default() }
}

fn sign_with(key: &PrivateKey, namespace: &str, text: &str) -> SignedDecision {
    let sig = key.sign(namespace, HashAlg::Sha512, text.as_bytes()).unwrap();
    SignedDecision { message: text.to_string(), signature: sig.to_pem(LineEnding::LF).unwrap() }
}

fn approve() -> Decision {
    Decision {
        kind: Kind::Approve, suite: "s1".into(), run: "r1".into(), plan: "p1".into(), input: String::new(), value: String::new(),
        channel: "cli".into(), expires: 2_000_000_000, nonce: "n1".into(), comment: "looks right".into(), on_behalf: String::new(),
    }
}

fn binding(now: i64) -> Binding<'static> {
    Binding { suite: "s1", run: "r1", plan: "p1", input: "", now }
}

const NOW: i64 = 2_000_000_000 - 600;

#[test]
fn text_round_trips_and_only_the_canonical_form_parses() {
    let d = approve();
    let text = d.to_text();
    assert!(text.starts_with("switchyard decision v1\ndecision: approve\nsuite: s1\n"), "{text}");
    assert!(text.contains("\ninput:\n"), "empty fields have no trailing space: {text}");
    assert_eq!(Decision::parse(&text).unwrap(), d);
    for (bad, why) in [
        (text.replace("decision: approve", "decision: maybe"), "unknown decision"),
        (text.replace("suite: s1\n", ""), "lines"),
        (text.replace("suite: s1", "suite:  s1"), "surrounding space"),
        (text.replace("run: r1", "rnu: r1"), "line 4 must be"),
        (text.trim_end().to_string(), "newline"),
        (text.replace("2033-05-18T03:33:20Z", "2033-05-18T03:33:20+00:00"), "canonical"),
    ] {
        let e = Decision::parse(&bad).unwrap_err();
        assert!(e.contains(why), "{bad:?}: {e}");
    }
}

#[test]
fn a_good_signature_names_its_principal_and_fingerprint() {
    let alice = key(1);
    let signed = sign_with(&alice, NAMESPACE, &approve().to_text());
    let ok = establish(&signed, &[principal("bob", &key(2)), principal("alice", &alice)], &binding(NOW)).unwrap();
    assert_eq!(ok.signer.principal, "alice");
    assert!(ok.signer.fingerprint.starts_with("SHA256:"), "{:?}", ok.signer);
    assert_eq!(ok.signer.channel, "cli");
    assert_eq!(ok.decision, approve());
}

#[test]
fn every_way_a_decision_can_be_wrong_is_refused_with_its_reason() {
    let alice = key(1);
    let people = [principal("alice", &alice)];
    let good = approve();
    let altered = {
        let mut s = sign_with(&alice, NAMESPACE, &good.to_text());
        s.message = Decision { kind: Kind::Reject, ..good.clone() }.to_text();
        s
    };
    let cases: Vec<(SignedDecision, Binding<'static>, &str)> = vec![
        (sign_with(&key(9), NAMESPACE, &good.to_text()), binding(NOW), "which no principal of the policy holds"),
        (sign_with(&alice, "git", &good.to_text()), binding(NOW), "namespace \"git\""),
        (altered, binding(NOW), "altered or forged"),
        (sign_with(&alice, NAMESPACE, &good.to_text()), Binding { suite: "s2", ..binding(NOW) }, "not this suite"),
        (sign_with(&alice, NAMESPACE, &good.to_text()), Binding { run: "r2", ..binding(NOW) }, "not this run"),
        (sign_with(&alice, NAMESPACE, &good.to_text()), Binding { plan: "p2", ..binding(NOW) }, "but the plan is"),
        (sign_with(&alice, NAMESPACE, &good.to_text()), binding(good.expires), "expired at"),
        (sign_with(&alice, NAMESPACE, &good.to_text()), binding(good.expires - MAX_VALIDITY_SECS - 1), "days ahead"),
        (SignedDecision { message: good.to_text(), signature: "not a signature".into() }, binding(NOW), "not an SSH signature"),
        (SignedDecision { message: "hello\n".into(), signature: String::new() }, binding(NOW), "not a switchyard decision"),
    ];
    for (signed, b, why) in cases {
        let e = establish(&signed, &people, &b).unwrap_err();
        assert!(e.contains(why), "want {why:?}, got {e}");
    }
}

#[test]
fn unsigned_decisions_count_only_where_the_policy_allows_them() {
    let strict = EffectivePolicy::default();
    assert!(unsigned(&strict, "bob").unwrap_err().contains("only signed"));
    let lab = EffectivePolicy { allow_unsigned: true, ..Default::default() };
    assert_eq!(unsigned(&lab, " Bob ").unwrap().principal, "bob");
    assert!(unsigned(&lab, "  ").is_err());
}

#[test]
fn the_input_digest_ignores_the_launch_signature_only() {
    let input = SuiteInput { suite_id: "s1".into(), name: "n".into(), ..Default::default() };
    let signed = SuiteInput { launch: Some(SignedDecision { message: "m".into(), signature: "s".into() }), ..input.clone() };
    assert_eq!(input_digest(&input), input_digest(&signed));
    let other = SuiteInput { name: "m".into(), ..input.clone() };
    assert_ne!(input_digest(&input), input_digest(&other));
}

/// The service signs for the principal it authenticated; the message says
/// whom, and only an attester of the policy may say it.
#[test]
fn an_attester_signs_for_a_principal_and_nobody_else_does() {
    let (service, alice) = (key(7), key(1));
    let attester = PolicyPrincipal { attester: true, ..principal("service", &service) };
    let people = [attester, principal("alice", &alice), principal("bob", &key(2))];
    let for_bob = Decision { channel: "service".into(), on_behalf: "bob".into(), ..approve() };
    let text = for_bob.to_text();
    assert!(text.ends_with("comment: looks right\nfor: bob\n"), "{text}");
    assert_eq!(Decision::parse(&text).unwrap(), for_bob);
    assert_eq!(Decision::parse(&approve().to_text()).unwrap().on_behalf, "", "messages without the line read as before");

    let ok = establish(&sign_with(&service, NAMESPACE, &text), &people, &binding(NOW)).unwrap();
    assert_eq!((ok.signer.principal.as_str(), ok.signer.attested_by.as_str(), ok.signer.channel.as_str()), ("bob", "service", "service"));

    let cases = [
        (sign_with(&alice, NAMESPACE, &text), "only an attester of the policy signs for someone else"),
        (sign_with(&service, NAMESPACE, &approve().to_text()), "without naming whom it signs for"),
        (sign_with(&service, NAMESPACE, &Decision { on_behalf: "mallory".into(), ..for_bob.clone() }.to_text()), "not a principal of the policy"),
        (sign_with(&service, NAMESPACE, &Decision { on_behalf: "service".into(), ..for_bob.clone() }.to_text()), "another attester"),
    ];
    for (signed, why) in cases {
        let e = establish(&signed, &people, &binding(NOW)).unwrap_err();
        assert!(e.contains(why), "want {why:?}, got {e}");
    }
    assert!(Decision::parse(&text.replace("for: bob", "for:  bob")).is_err());
}

#[test]
fn hex_round_trips_and_refuses_what_is_not_hex() {
    let bytes = [0u8, 1, 0xab, 0xff];
    assert_eq!(unhex(&hex(&bytes)).unwrap(), bytes);
    assert_eq!(unhex("").unwrap(), Vec::<u8>::new());
    assert!(unhex("abc").is_none() && unhex("zz").is_none() && unhex("é1").is_none());
}

#[test]
fn operator_actions_and_their_decisions_map_both_ways() {
    use crate::v1::OperatorAction;
    for action in [OperatorAction::Resume, OperatorAction::Rollback, OperatorAction::Abandon, OperatorAction::Cancel] {
        let kind = Kind::of_operator_action(action).unwrap();
        assert_eq!(kind.operator_action(), Some(action));
    }
    assert_eq!(Kind::Approve.operator_action(), None);
    assert_eq!(Kind::of_operator_action(OperatorAction::Unspecified), None);
    assert_eq!(Kind::from_name("cancel"), Some(Kind::Cancel));
}

#[test]
fn reviewers_verdicts_and_their_decisions_map_both_ways() {
    use crate::v1::Decision as Verdict;
    for verdict in [Verdict::Approve, Verdict::Reject] {
        assert_eq!(Kind::of_verdict(verdict).and_then(Kind::verdict), Some(verdict));
    }
    assert_eq!(Kind::of_verdict(Verdict::Unspecified), None);
    assert_eq!(Kind::Resume.verdict(), None);
    // The names the operator routes and the operator log use.
    assert_eq!(Kind::of_operator_action(crate::v1::OperatorAction::Abandon).map(Kind::name), Some("abandon"));
}
