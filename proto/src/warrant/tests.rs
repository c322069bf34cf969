//! The warrant check: what a write needs, and each forgery it refuses.

use ssh_key::private::Ed25519Keypair;
use ssh_key::{HashAlg, LineEnding, PrivateKey};

use super::*;
use crate::inventory::Inventory;
use crate::plan_root::PlanTree;
use crate::trust::{Decision, hex};
use crate::v1::operation::Op;
use crate::v1::{CreateVlan, DevicePlan, DeviceTarget, Operation, SignedDecision, Step};

const STARTED: i64 = 1_000_000;

fn key(seed: u8) -> PrivateKey {
    PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
}

fn public(seed: u8) -> String {
    key(seed).public_key().to_openssh().unwrap()
}

/// alice requests, bob and carol review; leaves need one approval, the
/// lab rule none.
fn policy(with_carol: bool) -> Policy {
    Policy::parse("policy.yaml", &policy_text(with_carol)).unwrap()
}

fn policy_text(with_carol: bool) -> String {
    let carol = if with_carol { format!("  - {{ name: carol, groups: [reviewers], keys: [\"{}\"] }}\n", public(3)) } else { String::new() };
    format!(
        "principals:\n  - {{ name: alice, groups: [neteng], keys: [\"{}\"] }}\n  - {{ name: bob, groups: [neteng, reviewers], keys: [\"{}\"] }}\n{carol}rules:\n  - name: leaves\n    devices: {{ roles: [leaf] }}\n    request: [neteng]\n    approvals:\n      - {{ count: 1, from: [reviewers] }}\n  - name: lab\n    devices: {{ roles: [lab] }}\n    request: [neteng]\n",
        public(1), public(2))
}

fn inventory() -> Inventory {
    Inventory::parse("inv.yaml", "defaults:\n  user: admin\n  credential: { key_file: k }\n  known_hosts: kh\ndevices:\n  - { name: leaf1, address: 10.0.0.1, role: leaf }\n  - { name: leaf2, address: 10.0.0.2, role: leaf }\n  - { name: lab1, address: 10.0.0.3, role: lab }\n  - { name: oob1, address: 10.0.0.4, role: oob }\n").unwrap()
}

fn step(vlan: u32) -> Step {
    Step { id: "0-create_vlan".into(), operation: Some(Operation { op: Some(Op::CreateVlan(CreateVlan { vlan_id: vlan, ..Default::default() })) }) }
}

fn sign(by: &PrivateKey, d: &Decision) -> SignedDecision {
    let sig = by.sign(trust::NAMESPACE, HashAlg::Sha512, d.to_text().as_bytes()).unwrap();
    SignedDecision { message: d.to_text(), signature: sig.to_pem(LineEnding::LF).unwrap() }
}

fn decision(kind: Kind, suite: &str, run: &str, plan: &str, input: &str) -> Decision {
    Decision {
        kind, suite: suite.into(), run: run.into(), plan: plan.into(), input: input.into(), value: String::new(),
        channel: "cli".into(), expires: STARTED + 3600, nonce: format!("n-{kind:?}"), comment: String::new(), on_behalf: String::new(),
    }
}

/// A suite "s1" (run "r1") launched by alice over `devices`, each planned
/// with one create_vlan step.
fn run(devices: &[&str]) -> (SuiteRun, Vec<DevicePlan>) {
    let mut input = SuiteInput {
        suite_id: "s1".into(),
        requester: "alice".into(),
        devices: devices.iter().map(|d| DeviceTarget { device: d.to_string(), steps: vec![step(100)], ..Default::default() }).collect(),
        ..Default::default()
    };
    input.launch = Some(sign(&key(1), &decision(Kind::Launch, "s1", "", "", &trust::input_digest(&input))));
    let plans = devices.iter().map(|d| DevicePlan {
        device: d.to_string(),
        steps: vec![StepPlan { step: Some(step(100)), ..Default::default() }],
        ..Default::default()
    }).collect();
    (SuiteRun { workflow_id: "s1".into(), run_id: "r1".into(), input, started_at: STARTED }, plans)
}

fn warrant(tree: &PlanTree, plan: &DevicePlan, approvals: Vec<SignedDecision>) -> Warrant {
    Warrant {
        plan_hash: tree.plan_hash(),
        policy_digest: tree.policy_digest(),
        step_digests: plan.steps.iter().map(|s| hex(&plan_root::step_digest(s))).collect(),
        proof: tree.proof(&plan.device).unwrap(),
        approvals,
        ..Default::default()
    }
}

fn device(name: &str) -> crate::inventory::Device {
    inventory().device(name).unwrap().clone()
}

#[test]
fn an_approved_plan_covers_its_devices_steps() {
    let (run, plans) = run(&["leaf1", "leaf2"]);
    let tree = PlanTree::new(&plans, None);
    let bob = sign(&key(2), &decision(Kind::Approve, "s1", "r1", &tree.plan_hash(), ""));
    let w = warrant(&tree, &plans[0], vec![bob]);
    let ok = check(&policy(true), &device("leaf1"), &run, Some(&w), &plans[0].steps).unwrap();
    assert_eq!(ok, Authority { requester: "alice".into(), approvers: vec!["bob".into()], confirm_timeout_seconds: 0 });
    // A lock or a save names no steps; the warrant still has to hold.
    check(&policy(true), &device("leaf1"), &run, Some(&w), &[]).unwrap();
}

#[test]
fn no_warrant_no_write() {
    let (run, plans) = run(&["leaf1"]);
    let e = check(&policy(true), &device("leaf1"), &run, None, &plans[0].steps).unwrap_err();
    assert!(e.contains("no warrant"), "{e}");
    // A warrant without approvals is refused by the count.
    let tree = PlanTree::new(&plans, None);
    let e = check(&policy(true), &device("leaf1"), &run, Some(&warrant(&tree, &plans[0], vec![])), &plans[0].steps).unwrap_err();
    assert!(e.contains("needs 1 approval(s) from reviewers"), "{e}");
}

#[test]
fn the_warrant_of_one_device_does_not_cover_another_or_another_plan() {
    let (run, plans) = run(&["leaf1", "leaf2"]);
    let tree = PlanTree::new(&plans, None);
    let bob = sign(&key(2), &decision(Kind::Approve, "s1", "r1", &tree.plan_hash(), ""));
    let w = warrant(&tree, &plans[0], vec![bob.clone()]);
    // leaf1's proof used for leaf2.
    let e = check(&policy(true), &device("leaf2"), &run, Some(&w), &plans[1].steps).unwrap_err();
    assert!(e.contains("leads to plan"), "{e}");
    // Another step (VLAN 200) written under leaf1's warrant: the suite did
    // not launch it.
    let other = StepPlan { step: Some(step(200)), ..Default::default() };
    let e = check(&policy(true), &device("leaf1"), &run, Some(&w), &[other]).unwrap_err();
    assert!(e.contains("is not a step suite s1 launched"), "{e}");
    // The launched step with other changes than the approved plan's.
    let mut edited = plans[0].steps[0].clone();
    edited.receipt = Some(Default::default());
    let e = check(&policy(true), &device("leaf1"), &run, Some(&w), &[edited]).unwrap_err();
    assert!(e.contains("not the step the approved plan holds"), "{e}");
    // A device that is not a target.
    let e = check(&policy(true), &device("oob1"), &run, Some(&w), &[]).unwrap_err();
    assert!(e.contains("not a target"), "{e}");
}

#[test]
fn approvals_hold_only_for_their_run_plan_and_current_keys() {
    let (run, plans) = run(&["leaf1"]);
    let tree = PlanTree::new(&plans, None);
    let hash = tree.plan_hash();
    for (approval, why) in [
        (sign(&key(2), &decision(Kind::Approve, "s1", "r0", &hash, "")), "signed for run"),
        (sign(&key(2), &decision(Kind::Approve, "s1", "r1", "0123", "")), "signed for plan"),
        (sign(&key(2), &decision(Kind::Approve, "s2", "r1", &hash, "")), "signed for suite"),
        (sign(&key(2), &decision(Kind::Reject, "s1", "r1", &hash, "")), "signed reject"),
        (sign(&key(9), &decision(Kind::Approve, "s1", "r1", &hash, "")), "no principal"),
    ] {
        let e = check(&policy(true), &device("leaf1"), &run, Some(&warrant(&tree, &plans[0], vec![approval])), &[]).unwrap_err();
        assert!(e.contains(why), "{why}: {e}");
    }
    // The requester's own approval does not count.
    let alice = sign(&key(1), &decision(Kind::Approve, "s1", "r1", &hash, ""));
    let e = check(&policy(true), &device("leaf1"), &run, Some(&warrant(&tree, &plans[0], vec![alice])), &[]).unwrap_err();
    assert!(e.contains("the warrant has 0"), "{e}");
    // carol's approval counts while the policy holds her key, and not
    // once she is removed from it.
    let carol = sign(&key(3), &decision(Kind::Approve, "s1", "r1", &hash, ""));
    let w = warrant(&tree, &plans[0], vec![carol]);
    check(&policy(true), &device("leaf1"), &run, Some(&w), &[]).unwrap();
    let e = check(&policy(false), &device("leaf1"), &run, Some(&w), &[]).unwrap_err();
    assert!(e.contains("no principal of the policy holds"), "{e}");
}

#[test]
fn the_launch_is_checked_against_the_runs_own_input_and_start() {
    let (mut run_, plans) = run(&["lab1"]);
    // Needs no approval: the launch alone decides.
    check(&policy(true), &device("lab1"), &run_, None, &plans[0].steps).unwrap();
    // Another workflow id than the launch was signed for.
    run_.workflow_id = "s1-copy".into();
    assert!(check(&policy(true), &device("lab1"), &run_, None, &[]).unwrap_err().contains("launched as suite"));
    // An input edited after signing.
    let (mut edited, _) = run(&["lab1"]);
    edited.input.devices[0].steps[0] = step(300);
    let e = check(&policy(true), &device("lab1"), &edited, None, &[]).unwrap_err();
    assert!(e.contains("the launch does not hold"), "{e}");
    // A run started after the launch expired.
    let (mut late, _) = run(&["lab1"]);
    late.started_at = STARTED + 7200;
    assert!(check(&policy(true), &device("lab1"), &late, None, &[]).unwrap_err().contains("expired"));
    // No launch at all under a signed policy.
    let (mut bare, _) = run(&["lab1"]);
    bare.input.launch = None;
    assert!(check(&policy(true), &device("lab1"), &bare, None, &[]).unwrap_err().contains("unsigned"));
    // A device no rule covers.
    let (oob, _) = run(&["oob1"]);
    assert!(check(&policy(true), &device("oob1"), &oob, None, &[]).unwrap_err().contains("default deny"));
}

/// `run`, launched with a change window of an hour from its start.
fn windowed(devices: &[&str]) -> (SuiteRun, Vec<DevicePlan>) {
    let (mut run, plans) = run(devices);
    run.input.window = Some(crate::v1::ChangeWindow {
        start: crate::time::format_rfc3339(STARTED),
        end: crate::time::format_rfc3339(STARTED + 3600),
        ..Default::default()
    });
    (run, plans)
}

fn extension(by: u8, run: &str, plan: &str, to: i64) -> SignedDecision {
    let mut d = decision(Kind::ExtendWindow, "s1", run, plan, "");
    d.value = crate::time::format_rfc3339(to);
    sign(&key(by), &d)
}

#[test]
fn a_write_falls_in_the_launched_window_or_a_warranted_extension() {
    let (plain, plans) = run(&["leaf1"]);
    let tree = PlanTree::new(&plans, None);
    let w = warrant(&tree, &plans[0], vec![]);
    // No window: any time.
    check_window(&policy(true), &device("leaf1"), &plain, Some(&w), STARTED + 99_999).unwrap();

    let (run, _) = windowed(&["leaf1"]);
    let end = STARTED + 3600;
    check_window(&policy(true), &device("leaf1"), &run, Some(&w), STARTED + 10).unwrap();
    // A device started in the window may finish, for a while; no longer.
    check_window(&policy(true), &device("leaf1"), &run, Some(&w), end + WINDOW_GRACE_SECS).unwrap();
    let e = check_window(&policy(true), &device("leaf1"), &run, Some(&w), end + WINDOW_GRACE_SECS + 1).unwrap_err();
    assert!(e.contains("the change window closed at") && e.contains("nothing is written after it"), "{e}");
    let e = check_window(&policy(true), &device("leaf1"), &run, None, STARTED - WINDOW_SKEW_SECS - 1).unwrap_err();
    assert!(e.contains("the change window opens at"), "{e}");

    // bob's signed extension by two hours moves the end for this run.
    let later = end + 7200;
    let mut extended = w.clone();
    extended.window_extensions = vec![extension(2, "r1", &tree.plan_hash(), later)];
    check_window(&policy(true), &device("leaf1"), &run, Some(&extended), end + 3600).unwrap();
    let e = check_window(&policy(true), &device("leaf1"), &run, Some(&extended), later + WINDOW_GRACE_SECS + 1).unwrap_err();
    assert!(e.contains(&crate::time::format_rfc3339(later)), "{e}");
}

#[test]
fn an_extension_counts_only_bound_to_its_run_by_someone_who_may_operate() {
    let (run, plans) = windowed(&["leaf1"]);
    let tree = PlanTree::new(&plans, None);
    let after_end = STARTED + 3600 + 600;
    let later = STARTED + 3600 * 4;
    let with = |ext: Vec<SignedDecision>, unsigned: &str| Warrant {
        window_extensions: ext, unsigned_window_end: unsigned.into(), ..warrant(&tree, &plans[0], vec![])
    };
    // Bound to another run, or to another plan.
    let e = check_window(&policy(true), &device("leaf1"), &run, Some(&with(vec![extension(2, "r2", &tree.plan_hash(), later)], "")), after_end).unwrap_err();
    assert!(e.contains("extension 0: does not hold"), "{e}");
    let e = check_window(&policy(true), &device("leaf1"), &run, Some(&with(vec![extension(2, "r1", "another-plan", later)], "")), after_end).unwrap_err();
    assert!(e.contains("extension 0: does not hold"), "{e}");
    // Signed by carol, whose key was taken out of the policy.
    let e = check_window(&policy(false), &device("leaf1"), &run, Some(&with(vec![extension(3, "r1", &tree.plan_hash(), later)], "")), after_end).unwrap_err();
    assert!(e.contains("extension 0"), "{e}");
    // Another kind of decision passed off as an extension.
    let approve = sign(&key(2), &decision(Kind::Approve, "s1", "r1", &tree.plan_hash(), ""));
    let e = check_window(&policy(true), &device("leaf1"), &run, Some(&with(vec![approve], "")), after_end).unwrap_err();
    assert!(e.contains("a signed approve decision"), "{e}");
    // alice may request but, here, not operate.
    let operate_reviewers = Policy::parse("policy.yaml", &format!(
        "principals:\n  - {{ name: alice, groups: [neteng], keys: [\"{}\"] }}\n  - {{ name: bob, groups: [reviewers], keys: [\"{}\"] }}\nrules:\n  - name: leaves\n    devices: {{ roles: [leaf] }}\n    request: [neteng]\n    operate: [reviewers]\n",
        public(1), public(2))).unwrap();
    let e = check_window(&operate_reviewers, &device("leaf1"), &run, Some(&with(vec![extension(1, "r1", &tree.plan_hash(), later)], "")), after_end).unwrap_err();
    assert!(e.contains("alice may not operate leaf1 under rule leaves"), "{e}");
    check_window(&operate_reviewers, &device("leaf1"), &run, Some(&with(vec![extension(2, "r1", &tree.plan_hash(), later)], "")), after_end).unwrap();
    // An unsigned extension counts only where unsigned decisions do.
    let unsigned = crate::time::format_rfc3339(later);
    let e = check_window(&policy(true), &device("leaf1"), &run, Some(&with(vec![], &unsigned)), after_end).unwrap_err();
    assert!(e.contains("counts only signed decisions"), "{e}");
    let mut lab = policy(true);
    lab.allow_unsigned = true;
    check_window(&lab, &device("leaf1"), &run, Some(&with(vec![], &unsigned)), after_end).unwrap();
}

/// The checks a rule requires are read from the suite as it was launched
/// (the input its launch signs), against the rule as it is now: the worker
/// refuses to move a device forward when they fall short.
#[test]
fn the_checks_a_rule_requires_are_those_the_suite_launched_with() {
    let (mut run, _) = run(&["leaf1"]);
    check_checks(&policy(true), &device("leaf1"), &run).unwrap();
    let strict = Policy::parse("policy.yaml", &policy_text(true).replace("rules:\n  - name: leaves\n", "rules:\n  - name: leaves\n    checks: required\n    min_check_within: 20s\n")).unwrap();
    let e = check_checks(&strict, &device("leaf1"), &run).unwrap_err();
    assert!(e.contains("rule leaves requires post-checks and the suite reads none"), "{e}");
    run.input.devices[0].builtin_checks = true;
    check_checks(&strict, &device("leaf1"), &run).unwrap();
    run.input.devices[0].checks_within_seconds = 5;
    let e = check_checks(&strict, &device("leaf1"), &run).unwrap_err();
    assert!(e.contains("at least 20s and the suite's shortest is 5s"), "{e}");
}

/// Confirmed commit as launched, against the rule as it is now: a suite
/// launched with it off moves no device forward unless a rule lets it.
#[test]
fn a_suite_launched_without_confirmed_commit_writes_only_where_a_rule_allows() {
    let (mut run, plans) = run(&["leaf1"]);
    let e = check_confirm(&policy(true), &device("leaf1"), &run).unwrap_err();
    assert!(e.contains("rule leaves requires confirmed commit") && e.contains("of policy.yaml"), "{e}");
    run.input.rollout = Some(crate::v1::Rollout { confirm_timeout_seconds: 300, ..Default::default() });
    run.input.launch = Some(sign(&key(1), &decision(Kind::Launch, "s1", "", "", &trust::input_digest(&run.input))));
    check_confirm(&policy(true), &device("leaf1"), &run).unwrap();
    // The apply learns the timeout, to check the revert is armed on the switch.
    let tree = PlanTree::new(&plans, None);
    let bob = sign(&key(2), &decision(Kind::Approve, "s1", "r1", &tree.plan_hash(), ""));
    assert_eq!(check(&policy(true), &device("leaf1"), &run, Some(&warrant(&tree, &plans[0], vec![bob])), &plans[0].steps).unwrap().confirm_timeout_seconds, 300);
    run.input.rollout = None;
    let optional = Policy::parse("policy.yaml", &policy_text(true).replace("rules:\n  - name: leaves\n", "rules:\n  - name: leaves\n    confirm: optional\n")).unwrap();
    check_confirm(&optional, &device("leaf1"), &run).unwrap();
}
