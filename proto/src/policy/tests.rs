//! Policy file parsing and the effective policy of a suite, rule by rule.

use ssh_key::private::Ed25519Keypair;
use ssh_key::{HashAlg, LineEnding, PrivateKey};

use super::*;
use crate::trust::{Decision, unhex};
use crate::v1::operation::Op;
use crate::v1::{ApprovalPolicy, PolicyDevice, SignedDecision};

fn key(seed: u8) -> PrivateKey {
    PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
}

fn public(seed: u8) -> String {
    key(seed).public_key().to_openssh().unwrap()
}

fn policy_text() -> String {
    format!(
        "principals:\n  - name: alice\n    groups: [neteng]\n    keys: [\"{}\"]\n  - name: bob\n    groups: [neteng, reviewers]\n    keys: [\"{}\"]\n  - name: carol\n    groups: [reviewers]\n    keys: [\"{}\"]\nrules:\n  - name: leaves\n    devices: {{ roles: [leaf] }}\n    request: [neteng]\n    approvals:\n      - {{ count: 1, from: [reviewers] }}\n    max_parallelism: 4\n    operations: [create_vlan, add_vlan_member]\n  - name: spines\n    devices: {{ roles: [spine] }}\n    request: [neteng]\n    window: required\n    approvals:\n      - {{ count: 2, from: [reviewers] }}\n",
        public(1), public(2), public(3)
    )
}

fn inventory() -> Inventory {
    Inventory::parse("inv.yaml", "defaults:\n  user: admin\n  credential: { key_file: k }\n  known_hosts: kh\ndevices:\n  - { name: leaf1, address: 10.0.0.1, role: leaf }\n  - { name: spine1, address: 10.0.0.2, role: spine }\n  - { name: oob1, address: 10.0.0.3, role: oob }\n").unwrap()
}

fn launch(suite: &str, digest: &str, by: &PrivateKey) -> SignedDecision {
    let d = Decision {
        kind: Kind::Launch, suite: suite.into(), run: String::new(), plan: String::new(), input: digest.into(), value: String::new(),
        channel: "cli".into(), expires: 1_000_000 + 3600, nonce: "n".into(), comment: String::new(), on_behalf: String::new(),
    };
    let sig = by.sign(trust::NAMESPACE, HashAlg::Sha512, d.to_text().as_bytes()).unwrap();
    SignedDecision { message: d.to_text(), signature: sig.to_pem(LineEnding::LF).unwrap() }
}

fn request(devices: &[&str], by: &PrivateKey) -> PolicyRequest {
    PolicyRequest {
        suite_id: "s1".into(),
        input_digest: "d1".into(),
        launch: Some(launch("s1", "d1", by)),
        devices: devices.iter().map(|d| PolicyDevice { device: d.to_string(), operations: vec![operation::name(&Op::CreateVlan(Default::default())).into()], ..Default::default() }).collect(),
        parallelism: 2,
        confirm_timeout_seconds: 300,
        ..Default::default()
    }
}

fn messages(refusals: &[Refusal]) -> String {
    refusals.iter().map(|r| format!("[{}] {}", r.field, r.message)).collect::<Vec<_>>().join("\n")
}

#[test]
fn a_covered_suite_gets_its_rules_requirements_and_verified_requester() {
    let policy = Policy::parse("policy.yaml", &policy_text()).unwrap();
    let (eff, refusals) = policy.effective(&inventory(), &request(&["leaf1"], &key(1)), 1_000_000);
    assert!(refusals.is_empty(), "{}", messages(&refusals));
    assert_eq!(eff.requester.as_ref().unwrap().principal, "alice");
    assert_eq!(eff.rules.len(), 1);
    assert_eq!(eff.approvals.len(), 1);
    assert_eq!(eff.max_parallelism, 4);
    assert_eq!(eff.hash.len(), 64);
    // By default the requesters and approvers of a rule may operate.
    assert_eq!(eff.rules[0].operate, vec!["neteng".to_string(), "reviewers".to_string()]);
}

/// Default deny: a device no rule covers is refused, naming it and the file.
#[test]
fn a_device_no_rule_covers_is_refused() {
    let policy = Policy::parse("policy.yaml", &policy_text()).unwrap();
    let (_, refusals) = policy.effective(&inventory(), &request(&["leaf1", "oob1"], &key(1)), 1_000_000);
    let text = messages(&refusals);
    assert!(text.contains("[targets] oob1: no rule of policy policy.yaml covers this device (default deny)"), "{text}");
}

#[test]
fn each_limit_of_a_covering_rule_is_enforced() {
    let policy = Policy::parse("policy.yaml", &policy_text()).unwrap();
    let mut req = request(&["leaf1", "spine1"], &key(1));
    req.parallelism = 8;
    req.devices[0].operations.push(operation::name(&Op::CreateVrf(Default::default())).into());
    req.approval = Some(ApprovalPolicy { required: 1, reviewers: vec![], timeout_seconds: 60 });
    let (eff, refusals) = policy.effective(&inventory(), &req, 1_000_000);
    let text = messages(&refusals);
    for want in [
        "[steps] leaf1: operation create_vrf is not allowed by rule leaves",
        "[window] rule spines of policy.yaml requires a change window for spine1",
        "[rollout.parallelism] parallelism 8 is above the 4 rule leaves",
        "[approval.required] approval.required is 1 but rule spines of policy.yaml requires 2",
    ] {
        assert!(text.contains(want), "want {want:?} in\n{text}");
    }
    assert_eq!(eff.refusals.len(), refusals.len());
}

#[test]
fn the_requester_must_be_a_principal_allowed_to_request() {
    let policy = Policy::parse("policy.yaml", &policy_text()).unwrap();
    // carol is a reviewer, not in neteng.
    let (_, refusals) = policy.effective(&inventory(), &request(&["leaf1"], &key(3)), 1_000_000);
    assert!(messages(&refusals).contains("carol may not request changes on leaf1 under rule leaves"), "{}", messages(&refusals));
    // A key the policy does not hold.
    let (_, refusals) = policy.effective(&inventory(), &request(&["leaf1"], &key(9)), 1_000_000);
    assert!(messages(&refusals).contains("which no principal of the policy holds"), "{}", messages(&refusals));
    // A launch signed for another input.
    let mut req = request(&["leaf1"], &key(1));
    req.input_digest = "d2".into();
    let (_, refusals) = policy.effective(&inventory(), &req, 1_000_000);
    assert!(messages(&refusals).contains("signed for suite input"), "{}", messages(&refusals));
    // Unsigned, under a policy that counts only signed decisions.
    let mut req = request(&["leaf1"], &key(1));
    req.launch = None;
    req.requester = "alice".into();
    let (eff, refusals) = policy.effective(&inventory(), &req, 1_000_000);
    assert!(messages(&refusals).contains("only signed"), "{}", messages(&refusals));
    assert!(eff.requester.is_none());
}

#[test]
fn the_file_is_refused_at_its_line() {
    let good = policy_text();
    let lowered = good.replace("request: [neteng]\n    approvals:\n      - { count: 1", "request: [netops]\n    approvals:\n      - { count: 1");
    for (bad, line, field, why) in [
        (good.replace("name: bob\n", "name: Bob\n"), 5, "principals[1].name", "lower-case"),
        (good.replace(&public(3), &public(2)), 10, "principals[2].keys[0]", "already bob's"),
        (good.replace(&public(3), "ssh-ed25519 nope"), 10, "principals[2].keys[0]", "not an OpenSSH public key"),
        (lowered, 14, "rules[0].request[0]", "no principal is in group \"netops\""),
        (good.replace("count: 2", "count: 3"), 24, "rules[1].approvals[0].count", "only 2 principal(s)"),
        (good.replace("window: required", "window: always"), 22, "rules[1].window", "required or optional"),
        (good.replace("create_vlan, add", "create_vlna, add"), 18, "rules[0].operations[0]", "unknown operation"),
        (good.replace("devices: { roles: [leaf] }", "devices: {}"), 13, "rules[0].devices", "selector is empty"),
        (format!("{good}unsigned: maybe\n"), 25, "unsigned", "allow or refuse"),
    ] {
        let e = Policy::parse("policy.yaml", &bad).unwrap_err();
        assert!(e.message.contains(why), "{e}");
        assert_eq!((e.line, e.field.as_str()), (line, field), "{e}");
    }
}

#[test]
fn operating_needs_every_covering_rule() {
    let policy = Policy::parse("policy.yaml", &policy_text()).unwrap();
    let (eff, _) = policy.effective(&inventory(), &request(&["leaf1"], &key(1)), 1_000_000);
    assert!(may_operate(&eff, "bob").is_ok());
    assert!(may_operate(&eff, "dave").unwrap_err().contains("rule leaves"));
    let any = ApprovalRequirement { count: 1, ..Default::default() };
    assert!(qualifies(&eff, &any, "dave"));
    assert!(qualifies(&eff, &eff.approvals[0], "carol"));
    assert!(!qualifies(&eff, &eff.approvals[0], "alice"));
}

/// bob's key wrapped as a security key (`sk-ssh-ed25519@openssh.com`, its
/// own application string): another spelling of the same point.
fn respelled(seed: u8) -> String {
    let point = *key(seed).public_key().key_data().ed25519().unwrap();
    let sk = ssh_key::public::SkEd25519::new(point, "ssh:second");
    PublicKey::new(ssh_key::public::KeyData::SkEd25519(sk), "bob-again@elsewhere").to_openssh().unwrap()
}

#[test]
fn a_key_is_its_point_whatever_its_spelling() {
    let other = respelled(2);
    assert!(other.starts_with("sk-ssh-ed25519@openssh.com "), "{other}");
    for second in [other, format!("{} another-comment", public(2))] {
        let text = policy_text().replace(&public(3), &second);
        let e = Policy::parse("policy.yaml", &text).unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (10, "principals[2].keys[0]"), "{e}");
        assert!(e.message.contains("already bob's (principals[1].keys[0], line 7)"), "{e}");
    }

    // A compressed ECDSA point (P-256's generator, odd y) has an
    // uncompressed spelling too: refused at its line.
    let x = unhex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296").unwrap();
    let mut sec1 = vec![3u8];
    sec1.extend(x);
    let point = ssh_key::public::EcdsaPublicKey::from_sec1_bytes(&sec1).unwrap();
    let compressed = PublicKey::new(ssh_key::public::KeyData::Ecdsa(point), "c").to_openssh().unwrap();
    let e = Policy::parse("policy.yaml", &policy_text().replace(&public(3), &compressed)).unwrap_err();
    assert!(e.message.contains("compressed ECDSA point") && e.line == 10, "{e}");
}

#[test]
fn anyone_means_a_principal_the_policy_names() {
    let text = policy_text().replace("request: [neteng]\n    approvals:\n      - { count: 1", "request: [\"*\"]\n    approvals:\n      - { count: 1");
    let policy = Policy::parse("policy.yaml", &text).unwrap();
    let (eff, _) = policy.effective(&inventory(), &request(&["leaf1"], &key(1)), 1_000_000);
    assert!(admits(&eff, &["*".to_string()], "carol"));
    assert!(!admits(&eff, &["*".to_string()], "mallory"), "a name the policy does not know");
    // Only a lab policy (unsigned: allow) lets any typed name through.
    let lab = EffectivePolicy { allow_unsigned: true, ..eff.clone() };
    assert!(admits(&lab, &["*".to_string()], "mallory"));
}

/// A rule may require post-checks and a shortest settle time: a suite that
/// reads none, or settles too briefly, is refused naming the device and
/// the rule; the catalogue's own checks count.
#[test]
fn a_rule_may_require_checks_and_a_settle_time() {
    let text = policy_text().replace("    max_parallelism: 4\n", "    max_parallelism: 4\n    checks: required\n    min_check_within: 30s\n");
    let policy = Policy::parse("policy.yaml", &text).unwrap();
    let checked = |post: u32, builtin: bool, shortest: u32| {
        let mut req = request(&["leaf1"], &key(1));
        (req.devices[0].post_checks, req.devices[0].builtin_checks, req.devices[0].shortest_check_within_seconds) = (post, builtin, shortest);
        messages(&policy.effective(&inventory(), &req, 1_000_000).1)
    };
    assert_eq!(checked(0, false, 0), "[checks] leaf1: rule leaves requires post-checks and the suite reads none (add checks.post, or checks.builtin: true) of policy.yaml");
    assert_eq!(checked(0, true, 30), "");
    assert_eq!(checked(2, false, 45), "");
    assert_eq!(checked(1, false, 10), "[checks] leaf1: rule leaves requires checks to settle for at least 30s and the suite's shortest is 10s (checks.within) of policy.yaml");
    let bad = text.replace("checks: required", "checks: sometimes");
    assert!(Policy::parse("policy.yaml", &bad).unwrap_err().message.contains("checks must be required or optional"));
    let bad = text.replace("min_check_within: 30s", "min_check_within: 2h");
    assert_eq!(Policy::parse("policy.yaml", &bad).unwrap_err().field, "rules[0].min_check_within");
}

/// Confirmed commit is on unless a rule covering the device lets the suite
/// turn it off: a suite launched with `rollout.confirm: off` is refused at
/// that field, naming the rule; `confirm: optional` admits it.
#[test]
fn a_suite_turns_confirmed_commit_off_only_where_a_rule_allows() {
    let policy = Policy::parse("policy.yaml", &policy_text()).unwrap();
    let mut req = request(&["leaf1"], &key(1));
    req.confirm_timeout_seconds = 0;
    assert_eq!(messages(&policy.effective(&inventory(), &req, 1_000_000).1),
        "[rollout.confirm] rule leaves requires confirmed commit (a revert armed on the switch) and the suite turns it off (rollout.confirm: off; the rule may say confirm: optional), for leaf1, of policy.yaml");
    let optional = Policy::parse("policy.yaml", &policy_text().replace("    max_parallelism: 4\n", "    max_parallelism: 4\n    confirm: optional\n")).unwrap();
    assert_eq!(messages(&optional.effective(&inventory(), &req, 1_000_000).1), "");
    let bad = policy_text().replace("    max_parallelism: 4\n", "    max_parallelism: 4\n    confirm: never\n");
    let err = Policy::parse("policy.yaml", &bad).unwrap_err();
    assert_eq!(err.field, "rules[0].confirm");
    assert!(err.message.contains("confirm must be required or optional"), "{}", err.message);
}

#[test]
fn a_rule_may_block_plan_warnings() {
    let req = request(&["leaf1"], &key(1));
    let blocking = Policy::parse("policy.yaml", &policy_text().replace("    max_parallelism: 4\n", "    max_parallelism: 4\n    warnings: block\n")).unwrap();
    let (eff, _) = blocking.effective(&inventory(), &req, 1_000_000);
    assert!(eff.rules.iter().any(|r| r.name == "leaves" && r.block_warnings), "{:?}", eff.rules);
    let plain = Policy::parse("policy.yaml", &policy_text()).unwrap();
    assert!(plain.effective(&inventory(), &req, 1_000_000).0.rules.iter().all(|r| !r.block_warnings));
    let bad = policy_text().replace("    max_parallelism: 4\n", "    max_parallelism: 4\n    warnings: loud\n");
    let err = Policy::parse("policy.yaml", &bad).unwrap_err();
    assert_eq!(err.field, "rules[0].warnings");
    assert!(err.message.contains("warnings must be warn or block"), "{}", err.message);
}

#[test]
fn every_mistake_of_the_file_is_said_at_once_in_file_order() {
    let bad = policy_text()
        .replace(&public(3), "ssh-ed25519 nope")
        .replace("create_vlan, add", "create_vlna, add")
        .replace("window: required", "window: always");
    let each: Vec<(u64, String)> = Policy::parse("policy.yaml", &bad).unwrap_err().into_each().into_iter().map(|e| (e.line, e.field)).collect();
    assert_eq!(each, [
        (10, "principals[2].keys[0]".to_string()),
        (18, "rules[0].operations[0]".to_string()),
        (22, "rules[1].window".to_string()),
    ], "carol's bad key does not make her group unknown to the rules");
}
