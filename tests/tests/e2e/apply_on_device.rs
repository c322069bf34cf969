//! The apply path on a real device (lab sshd + redis, through the SSH
//! tunnel): plan from a snapshot, atomic compare-and-apply, idempotent retry,
//! drift refusal, and the receipt-based reverse ending at the exact starting
//! bytes. Needs `tests/run.sh`; fails loudly without it.

use switchyard_activities::device::redis::ApplyOutcome;
use switchyard_activities::ops::View;
use switchyard_activities::procedures::{self, ReverseOutcome};
use switchyard_activities::Sessions;
use switchyard_proto::v1::{
    operation::Op, AddVlanMember, CompensationAction, CreateVlan, DeviceTarget, Operation, Step, StepPlan, TaggingMode,
};
use switchyard_tests::TestEnv;
use switchyard_tests::device::{plan, sessions};

const DEVICE: usize = 6;


fn target(description: &str) -> DeviceTarget {
    let op = |op| Some(Operation { op: Some(op) });
    DeviceTarget {
        device: TestEnv::device_name(DEVICE),
        steps: vec![
            Step { id: "1-create_vlan".into(), operation: op(Op::CreateVlan(CreateVlan { vlan_id: 300, description: description.into() })) },
            Step { id: "2-add_vlan_member".into(), operation: op(Op::AddVlanMember(AddVlanMember {
                vlan_id: 300, port: "Ethernet8".into(), tagging_mode: TaggingMode::Tagged as i32 })) },
        ],
        ..Default::default()
    }
}


async fn apply(s: &Sessions, suite: &str, step: &StepPlan) -> ApplyOutcome {
    let mut conn = s.redis(&TestEnv::device_name(DEVICE)).await.unwrap();
    procedures::apply_step(&mut conn, suite, step).await.unwrap()
}

async fn undo(s: &Sessions, suite: &str, step: &StepPlan) -> Vec<switchyard_proto::v1::CompensationEntry> {
    let device = TestEnv::device_name(DEVICE);
    let mut conn = s.redis(&device).await.unwrap();
    match procedures::reverse_step(&mut conn, suite, &device, step, false).await.unwrap() {
        ReverseOutcome::Reversed { entries, already: false } => entries,
        other => panic!("reverse: {other:?}"),
    }
}

#[tokio::test]
async fn apply_is_atomic_idempotent_and_reversible_to_the_byte() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let s = sessions(&env);
    let start = env.dump_config_db(DEVICE);
    let plan = plan(&s, &target("storage")).await;

    assert_eq!(apply(&s, "t-idem", &plan.steps[0]).await, ApplyOutcome::Applied);
    let after_first = env.dump_config_db(DEVICE);
    // A retry after a lost reply: the journal says done, nothing is written.
    assert_eq!(apply(&s, "t-idem", &plan.steps[0]).await, ApplyOutcome::AlreadyApplied);
    assert_eq!(env.dump_config_db(DEVICE), after_first);
    assert_eq!(apply(&s, "t-idem", &plan.steps[1]).await, ApplyOutcome::Applied);
    let rows = env.rows(DEVICE);
    assert_eq!(rows["VLAN|Vlan300"]["description"], "storage");
    assert_eq!(rows["VLAN_MEMBER|Vlan300|Ethernet8"]["tagging_mode"], "tagged");

    let log2 = undo(&s, "t-idem", &plan.steps[1]).await;
    let log1 = undo(&s, "t-idem", &plan.steps[0]).await;
    assert!(log2.iter().chain(&log1).all(|e| e.action == CompensationAction::Removed as i32), "{log2:?} {log1:?}");
    assert_eq!(env.dump_config_db(DEVICE), start, "reverse must end at the exact starting bytes");
}

#[tokio::test]
async fn drift_is_refused_and_nothing_is_written() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let s = sessions(&env);
    let plan = plan(&s, &target("storage")).await;
    assert_eq!(apply(&s, "t-drift", &plan.steps[0]).await, ApplyOutcome::Applied);
    // Someone changes a row the plan read (the port) between plan and apply.
    env.hset(DEVICE, "PORT|Ethernet8", &[("mtu", "1500")]);
    let before = env.dump_config_db(DEVICE);
    match apply(&s, "t-drift", &plan.steps[1]).await {
        ApplyOutcome::Drift(rows) => assert!(rows.contains("PORT|Ethernet8"), "{rows}"),
        other => panic!("expected drift, got {other:?}"),
    }
    assert_eq!(env.dump_config_db(DEVICE), before);
}

#[tokio::test]
async fn reverse_keeps_what_others_use_and_what_existed_before() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let s = sessions(&env);
    // VLAN 300 exists before the suite, with a description the suite changes.
    env.hset(DEVICE, "VLAN|Vlan300", &[("vlanid", "300"), ("description", "old")]);
    let plan = plan(&s, &target("storage")).await;
    assert_eq!(plan.steps[0].receipt.as_ref().unwrap().reused, ["VLAN|Vlan300"]);
    for step in &plan.steps {
        assert_eq!(apply(&s, "t-keep", step).await, ApplyOutcome::Applied);
    }
    // Another tool adds its own member to the VLAN, and edits the description.
    env.hset(DEVICE, "VLAN_MEMBER|Vlan300|Ethernet12", &[("tagging_mode", "tagged")]);
    env.hset(DEVICE, "VLAN|Vlan300", &[("description", "theirs")]);
    let log2 = undo(&s, "t-keep", &plan.steps[1]).await;
    let log1 = undo(&s, "t-keep", &plan.steps[0]).await;
    assert_eq!(log2[0].action, CompensationAction::Removed as i32, "our member goes: {log2:?}");
    let desc = log1.iter().find(|e| e.field == "description").expect("an entry for the description");
    assert_eq!(desc.action, CompensationAction::LeftInPlace as i32);
    assert!(desc.reason.contains("now \"theirs\""), "{}", desc.reason);
    let rows = env.rows(DEVICE);
    assert_eq!(rows["VLAN|Vlan300"]["description"], "theirs", "a field changed since is left as it is");
    assert!(rows.contains_key("VLAN_MEMBER|Vlan300|Ethernet12"), "their member stays");
    assert!(!rows.contains_key("VLAN_MEMBER|Vlan300|Ethernet8"), "our member is gone");
}

/// The key patterns planning and the apply script guard with are matched
/// by switchyard (planning, against a snapshot) and by redis (`KEYS`,
/// inside the script): the two must agree, or a plan would guard rows the
/// script does not see. Every pattern the operations read, plus `?` forms,
/// against a real device's CONFIG_DB.
#[tokio::test]
async fn key_patterns_match_as_redis_keys_matches_them() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    env.hset(DEVICE, "VLAN_MEMBER|Vlan100|Ethernet8", &[("tagging_mode", "tagged")]);
    env.hset(DEVICE, "VLAN_MEMBER|Vlan1000|PortChannel10", &[("tagging_mode", "tagged")]);
    env.hset(DEVICE, "INTERFACE|Ethernet8|10.0.0.1/31", &[("NULL", "NULL")]);
    env.hset(DEVICE, "BGP_NEIGHBOR|VrfRed|2001:db8::1", &[("asn", "65100")]);
    let rows = env.rows(DEVICE);
    let view = View::new(rows.clone());
    let mut patterns: Vec<String> = ["VRF|VrfRed", "VLAN|Vlan100", "PORTCHANNEL|PortChannel10", "ACL_TABLE|T", "INTERFACE|Ethernet8"]
        .iter().flat_map(|k| switchyard_activities::ops::references::reads(k).patterns).collect();
    patterns.extend(["VLAN_MEMBER|Vlan10?|*", "*|Ethernet8", "INTERFACE|Ethernet?|*", "BGP_NEIGHBOR|*|2001:db8::1", "*"].map(String::from));
    assert!(patterns.len() > 8, "{patterns:?}");
    let s = sessions(&env);
    let mut conn = s.redis(&TestEnv::device_name(DEVICE)).await.unwrap();
    for pattern in &patterns {
        let mut by_redis: Vec<String> = redis::cmd("KEYS").arg(pattern).query_async(&mut conn).await.unwrap();
        by_redis.retain(|k| rows.contains_key(k));
        by_redis.sort();
        assert_eq!(view.keys(pattern), by_redis, "pattern {pattern:?}");
    }
}

/// A device's steps in one script: each still guarded on top of the ones
/// before it and journalled on its own, so a retry writes nothing again,
/// and a step that drifts stops the script with the steps before it written
/// and the ones after it not tried.
#[tokio::test]
async fn steps_in_one_script_keep_each_steps_guard_and_journal() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let s = sessions(&env);
    let device = TestEnv::device_name(DEVICE);
    let start = env.dump_config_db(DEVICE);
    let plan = plan(&s, &target("batch")).await;
    let mut conn = s.redis(&device).await.unwrap();

    let outcomes = |done: Vec<(&StepPlan, ApplyOutcome)>| done.into_iter().map(|(step, o)| (procedures::step_id(step).to_string(), o)).collect::<Vec<_>>();
    let done = outcomes(procedures::apply_steps(&mut conn, "t-batch", &plan.steps).await.unwrap());
    assert_eq!(done, [("1-create_vlan".to_string(), ApplyOutcome::Applied), ("2-add_vlan_member".to_string(), ApplyOutcome::Applied)]);
    let rows = env.rows(DEVICE);
    assert_eq!(rows["VLAN|Vlan300"]["description"], "batch");
    assert_eq!(rows["VLAN_MEMBER|Vlan300|Ethernet8"]["tagging_mode"], "tagged");
    assert!(procedures::verify(&mut conn, &plan.steps).await.unwrap().is_empty());
    // A retry after a lost reply: both journal records are there.
    let after = env.dump_config_db(DEVICE);
    let again = outcomes(procedures::apply_steps(&mut conn, "t-batch", &plan.steps).await.unwrap());
    assert!(again.iter().all(|(_, o)| *o == ApplyOutcome::AlreadyApplied), "{again:?}");
    assert_eq!(env.dump_config_db(DEVICE), after);
    // Each step reverses from its own receipt, as if applied one by one.
    let log2 = undo(&s, "t-batch", &plan.steps[1]).await;
    let log1 = undo(&s, "t-batch", &plan.steps[0]).await;
    assert!(log2.iter().chain(&log1).all(|e| e.action == CompensationAction::Removed as i32), "{log2:?} {log1:?}");
    assert_eq!(env.dump_config_db(DEVICE), start);

    // The member's port moves after planning: the VLAN is written, the
    // member is refused as drift, nothing of it written.
    env.hset(DEVICE, "PORT|Ethernet8", &[("mtu", "1500")]);
    let moved = env.dump_config_db(DEVICE);
    let done = outcomes(procedures::apply_steps(&mut conn, "t-batch-drift", &plan.steps).await.unwrap());
    assert_eq!(done[0], ("1-create_vlan".to_string(), ApplyOutcome::Applied));
    assert!(matches!(&done[1].1, ApplyOutcome::Drift(rows) if rows.contains("PORT|Ethernet8")), "{done:?}");
    assert!(!env.rows(DEVICE).contains_key("VLAN_MEMBER|Vlan300|Ethernet8"));
    let log1 = undo(&s, "t-batch-drift", &plan.steps[0]).await;
    assert!(log1.iter().all(|e| e.action == CompensationAction::Removed as i32), "{log1:?}");
    assert_eq!(env.dump_config_db(DEVICE), moved);
}
