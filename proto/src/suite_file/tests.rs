//! Data-driven tests of the suite file: good input resolves, bad input is
//! refused with file, line, column and field.

use super::*;

const INVENTORY: &str = "defaults:\n  user: admin\n  credential: { key_file: k }\n  known_hosts: kh\ndevices:\n  - { name: leaf1, address: 10.0.0.1, role: leaf, vars: { uplink: Ethernet4 } }\n  - { name: leaf2, address: 10.0.0.2, role: leaf, vars: { uplink: Ethernet8 } }\n  - { name: spine1, address: 10.0.0.3, role: spine }\n";

const SUITE: &str = "\
name: vlan100
targets:
  roles: [leaf]
steps:
  - create_vlan: { vlan_id: 100, description: tenant-a }
  - add_vlan_member:
      vlan_id: 100
      port: \"{{ device.vars.uplink }}\"
rollout:
  parallelism: 2
  waves: [1, 50%]
  soak: 30s
  on_failure: pause
window:
  start: 2026-11-22T22:00:00Z
  duration: 4h
";

fn inventory() -> Inventory {
    Inventory::parse("inv.yaml", INVENTORY).unwrap()
}

#[test]
fn resolves_templates_per_device() {
    let suite = SuiteFile::parse("s.yaml", SUITE).unwrap();
    let r = suite.resolve(&inventory()).unwrap();
    assert_eq!(r.devices.len(), 2);
    assert_eq!(r.rollout.parallelism, 2);
    let ports: Vec<String> = r.devices.iter().map(|d| match &d.steps[1].operation.as_ref().unwrap().op {
        Some(Op::AddVlanMember(m)) => m.port.clone(),
        other => panic!("{other:?}"),
    }).collect();
    assert_eq!(ports, ["Ethernet4", "Ethernet8"]);
    assert_eq!(r.devices[0].steps[0].id, "1-create_vlan");
    assert_eq!(r.rollout.waves.len(), 2);
    assert_eq!(r.rollout.soak_seconds, 30);
    let w = r.window.unwrap();
    assert_eq!((w.start.as_str(), w.end.as_str()), ("2026-11-22T22:00:00Z", "2026-11-23T02:00:00Z"));
}

/// (mutation of the good suite, line, field, part of the message)
const BAD: &[(&str, &str, u64, &str, &str)] = &[
    ("vlan_id: 100, description", "vlan_id: 5000, description", 5, "steps[0].create_vlan.vlan_id", "out of range"),
    ("port: \"{{ device.vars.uplink }}\"", "port: Eth4", 8, "steps[1].add_vlan_member.port", "not a port name"),
    ("port: \"{{ device.vars.uplink }}\"", "port: \"{{ device.vars.downlink }}\"", 8, "steps[1].add_vlan_member.port", "has no vars.downlink"),
    ("  - create_vlan:", "  - create_vlam:", 5, "steps[0]", "unknown operation \"create_vlam\""),
    ("roles: [leaf]", "roles: [border]", 3, "targets", "matches no device"),
    ("parallelism: 2", "parallelism: 0", 10, "rollout.parallelism", "1..=1000"),
    ("rollout:", "rolout:", 9, "", "rolout"),
    ("      vlan_id: 100\n", "      vlan_id: 100\n      speed: 10\n", 8, "steps[1].add_vlan_member.speed", "unknown parameter"),
    ("name: vlan100", "name: [vlan100", 1, "", ""),
    ("waves: [1, 50%]", "waves: [1, 150%]", 11, "rollout.waves[1]", "percentage"),
    ("soak: 30s", "soak: a while", 12, "rollout.soak", "not a duration"),
    ("on_failure: pause", "on_failure: panic", 13, "rollout.on_failure", "rollback, pause or continue"),
    ("start: 2026-11-22T22:00:00Z", "start: 22:00", 15, "window.start", "RFC 3339"),
    ("  duration: 4h\n", "  end: 2026-11-22T21:00:00Z\n", 16, "window.end", "must end after it starts"),
];

#[test]
fn bad_input_is_located() {
    for (from, to, line, field, message) in BAD {
        assert!(SUITE.contains(from), "mutation source {from:?} not in suite");
        let text = SUITE.replace(from, to);
        let err = SuiteFile::parse("s.yaml", &text).and_then(|s| s.resolve(&inventory()).map(|_| ())).unwrap_err();
        assert_eq!(err.file, "s.yaml");
        assert_eq!(err.line, *line, "{to}: {err}");
        assert_eq!(err.field, *field, "{to}: {err}");
        assert!(err.message.contains(message), "{to}: {err}");
        assert!(err.column > 0, "{to}: {err}");
    }
}

#[test]
fn durations() {
    assert_eq!(parse_duration("90"), Some(90));
    assert_eq!(parse_duration("15m"), Some(900));
    assert_eq!(parse_duration("2d"), Some(172800));
    assert_eq!(parse_duration("soon"), None);
}

