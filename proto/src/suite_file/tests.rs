//! Data-driven tests of the suite file: good input resolves, bad input is
//! refused with file, line, column and field.

use super::*;
use crate::v1::operation::Op;
use crate::time::parse_duration;
use crate::v1::{CheckDb, CheckExpect, CheckWhen};

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
    ("port: \"{{ device.vars.uplink }}\"", "port: \"{{ device.vars.uplink \"", 8, "steps[1].add_vlan_member.port", "template syntax error"),
    ("port: \"{{ device.vars.uplink }}\"", "port: \"{{ device.vars.uplink | nosuchfilter }}\"", 8, "steps[1].add_vlan_member.port", "unknown filter"),
    ("  - create_vlan:", "  - create_vlam:", 5, "steps[0]", "unknown operation \"create_vlam\""),
    ("roles: [leaf]", "roles: [border]", 3, "targets.roles[0]", "matches no device"),
    ("parallelism: 2", "parallelism: 0", 10, "rollout.parallelism", "1..=1000"),
    ("rollout:", "rolout:", 9, "rolout", "unknown field `rolout`"),
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
    // The parser takes the forms the docs show; time.rs tests the rest.
    assert_eq!(parse_duration("90"), Some(90));
    assert_eq!(parse_duration("2d"), Some(172800));
}


const CATALOGUE: &str = "\
services:
  l3-tenant:
    description: VRF + routed port + BGP peer + ingress ACL
    params: [vrf, port, address, peer, peer_asn, acl]
    steps:
      - create_vrf: { name: \"{{ params.vrf }}\" }
      - add_interface_address: { interface: \"{{ params.port }}\", address: \"{{ params.address }}\", vrf: \"{{ params.vrf }}\" }
      - add_bgp_neighbor: { vrf: \"{{ params.vrf }}\", neighbor: \"{{ params.peer }}\", remote_asn: \"{{ params.peer_asn }}\" }
      - create_acl_table: { name: \"{{ params.acl }}\", type: L3, stage: ingress }
      - bind_acl_table: { table: \"{{ params.acl }}\", port: \"{{ params.port }}\" }
";

fn tenant_suite(verb: &str, extra: &str) -> String {
    format!("name: tenant\ntargets: {{ roles: [leaf] }}\nsteps:\n  - {verb}:\n      service: l3-tenant\n      vrf: VrfRed\n      port: \"{{{{ device.vars.uplink }}}}\"\n      address: 10.0.0.1/31\n      peer: 10.0.0.0\n      peer_asn: 65100\n      acl: TENANT_IN\n{extra}")
}

fn catalogue() -> crate::services::Catalogue {
    crate::services::Catalogue::parse("svc.yaml", CATALOGUE).unwrap()
}

fn ops(r: &ResolvedSuite) -> Vec<(String, String)> {
    r.devices[0].steps.iter().map(|s| {
        let json = serde_json::to_value(s.operation.as_ref().unwrap()).unwrap();
        (s.id.clone(), json.as_object().unwrap().keys().next().unwrap().clone())
    }).collect()
}

#[test]
fn services_expand_into_operations_and_removals() {
    let apply = SuiteFile::parse_with("s.yaml", &tenant_suite("apply_service", ""), Some(catalogue())).unwrap().resolve(&inventory()).unwrap();
    let ids: Vec<String> = ops(&apply).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["1.1-create_vrf", "1.2-add_interface_address", "1.3-add_bgp_neighbor", "1.4-create_acl_table", "1.5-bind_acl_table"]);
    match &apply.devices[1].steps[1].operation.as_ref().unwrap().op {
        Some(Op::AddInterfaceAddress(a)) => assert_eq!((a.interface.as_str(), a.vrf.as_str()), ("Ethernet8", "VrfRed")),
        other => panic!("{other:?}"),
    }
    let remove = SuiteFile::parse_with("s.yaml", &tenant_suite("remove_service", ""), Some(catalogue())).unwrap().resolve(&inventory()).unwrap();
    let ids: Vec<String> = ops(&remove).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["1.5-unbind_acl_table", "1.4-delete_acl_table", "1.3-remove_bgp_neighbor", "1.2-remove_interface_address", "1.1-delete_vrf"]);
    match &remove.devices[0].steps[4].operation.as_ref().unwrap().op {
        Some(Op::DeleteVrf(v)) => assert!(v.keep_if_used, "a shared VRF is removed only by its last user"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn service_and_catalogue_errors_are_located() {
    let err = SuiteFile::parse_with("s.yaml", &tenant_suite("apply_service", "").replace("service: l3-tenant", "service: l2-tenant"), Some(catalogue())).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (5, "steps[0].apply_service.service"), "{err}");
    assert!(err.message.contains("unknown service \"l2-tenant\""), "{err}");
    let err = SuiteFile::parse_with("s.yaml", &tenant_suite("apply_service", "").replace("      acl: TENANT_IN\n", ""), Some(catalogue())).unwrap_err();
    assert_eq!(err.field, "steps[0].apply_service.acl", "{err}");
    let err = SuiteFile::parse_with("s.yaml", &tenant_suite("apply_service", "").replace("vrf: VrfRed", "vrf: Red"), Some(catalogue())).unwrap_err();
    assert_eq!(err.field, "steps[0].apply_service.create_vrf.name", "{err}");
    assert!(err.message.contains("must start with \"Vrf\""), "{err}");
    let err = SuiteFile::parse("s.yaml", &tenant_suite("apply_service", "")).unwrap_err();
    assert!(err.message.contains("no service catalogue"), "{err}");
}

/// Static refusals of the catalogue operations, each located.
#[test]
fn bad_operation_parameters_are_refused() {
    let cases: &[(&str, &str, &str)] = &[
        ("create_vrf: { name: VrfThisNameIsTooLong }", "steps[0].create_vrf.name", "at most 15"),
        ("add_interface_address: { interface: Ethernet8, address: 10.0.0.1/33 }", "steps[0].add_interface_address.address", "exceeds 32"),
        ("add_interface_address: { interface: Eth8, address: 10.0.0.1/31 }", "steps[0].add_interface_address.interface", "not an interface"),
        ("add_vlan_interface: { vlan_id: 100, address: 10.0.0.1 }", "steps[0].add_vlan_interface.address", "CIDR"),
        ("add_bgp_neighbor: { neighbor: 10.0.0.0 }", "steps[0].add_bgp_neighbor.remote_asn", "missing required parameter"),
        ("add_static_route: { prefix: 10.9.0.0/16 }", "steps[0].add_static_route.nexthop", "needs a nexthop or an ifname"),
        ("add_acl_rule: { table: T, rule: R, priority: 10, action: REJECT }", "steps[0].add_acl_rule.action", "not one of"),
        ("create_portchannel: { name: PortChannel12345 }", "steps[0].create_portchannel.name", "PortChannelN"),
        ("set_port: { port: Ethernet8, speed: 2000000 }", "steps[0].set_port.speed", "out of SONiC's range 1..=1600000"),
        // SONiC's own rules (sonic-facts.md), each refused where it is written.
        ("create_vlan: { vlan_id: 1 }", "steps[0].create_vlan.vlan_id", "default VLAN"),
        ("create_vrf: { name: Vrf }", "steps[0].create_vrf.name", "Vrf[a-zA-Z0-9_-]+"),
        ("add_acl_rule: { table: T, rule: R, priority: 10, action: DROP }", "steps[0].add_acl_rule.rule", "at least one match"),
        ("add_acl_rule: { table: T, rule: R, priority: 10, ip_protocol: 200 }", "steps[0].add_acl_rule.ip_protocol", "1..=143"),
        ("add_acl_rule: { table: T, rule: R, priority: 10, src_ip: 10.0.0.0/8, dst_ip: \"2001:db8::/32\" }", "steps[0].add_acl_rule.dst_ip", "different address families"),
        ("create_acl_table: { name: T, type: PFCWD }", "steps[0].create_acl_table.type", "not an ACL table type"),
        ("create_acl_table: { name: T, type: MIRROR }", "steps[0].create_acl_table.type", "MIRROR_INGRESS_ACTION"),
        ("create_acl_table: { name: T, type: CTRLPLANE }", "steps[0].create_acl_table.services", "needs services"),
        ("create_acl_table: { name: T, type: CTRLPLANE, services: TELNET }", "steps[0].create_acl_table.services", "not one of"),
        ("create_acl_table: { name: T, type: L3, services: SSH }", "steps[0].create_acl_table.services", "only CTRLPLANE"),
        ("add_acl_rule: { table: T, rule: R, priority: 10, l4_dst_port_range: 90-80 }", "steps[0].add_acl_rule.l4_dst_port_range", "starts above"),
        ("add_acl_rule: { table: T, rule: R, priority: 10, l4_dst_port: 80, l4_dst_port_range: 80-90 }", "steps[0].add_acl_rule.l4_dst_port_range", "not both"),
        ("add_acl_rule: { table: T, rule: R, priority: 10, ether_type: \"0x86dd\" }", "steps[0].add_acl_rule.ether_type", "0x86DD"),
        ("add_acl_rule: { table: T, rule: R, priority: 10, ip_type: IPV6ANY, src_ip: 10.0.0.0/8 }", "steps[0].add_acl_rule.ip_type", "IPv4 addresses"),
        ("add_acl_rule: { table: T, rule: R, priority: 10, ip_type: IPV9 }", "steps[0].add_acl_rule.ip_type", "not one of"),
        ("add_acl_rule: { table: T, rule: R, priority: 10, tcp_flags: SYN }", "steps[0].add_acl_rule.tcp_flags", "two hex bytes"),
        ("add_acl_rule: { table: T, rule: R, priority: 10, ip_protocol: 17, tcp_flags: 0x02/0x02 }", "steps[0].add_acl_rule.tcp_flags", "match TCP"),
        ("add_static_route: { prefix: 10.9.0.1/16, nexthop: 10.0.0.1 }", "steps[0].add_static_route.prefix", "the network is 10.9.0.0/16"),
        ("add_static_route: { prefix: 10.9.0.0/16, nexthop: \"2001:db8::1\" }", "steps[0].add_static_route.nexthop", "address family"),
        ("add_static_route: { prefix: 10.9.0.0/16, nexthop: \"10.0.0.1,10.0.0.3\", ifname: Ethernet8 }", "steps[0].add_static_route.ifname", "one ifname per next hop"),
        ("add_bgp_neighbor: { neighbor: \"2001:DB8::1\", remote_asn: 65000 }", "steps[0].add_bgp_neighbor.neighbor", "\"2001:db8::1\""),
        ("add_dhcp_relay: { vlan_id: 100, servers: \"10.0.0.9,10.0.0.9\" }", "steps[0].add_dhcp_relay.servers", "named twice"),
        ("map_vni: { vni: 16777216, vlan_id: 100 }", "steps[0].map_vni.vni", "out of range 1..=16777215"),
        ("create_vtep: { src_ip: \"2001:db8::1\" }", "steps[0].create_vtep.src_ip", "IPv4"),
        ("create_loopback: { name: Lo1 }", "steps[0].create_loopback.name", "LoopbackN"),
        ("set_switchport_mode: { port: Ethernet8, mode: hybrid }", "steps[0].set_switchport_mode.mode", "not one of"),
        ("create_bgp_globals: { vrf: VrfRed, local_asn: 65001, router_id: \"2001:db8::1\" }", "steps[0].create_bgp_globals.router_id", "IPv4"),
        ("create_bgp_globals: { vrf: VrfRed, local_asn: 65001, address_families: ipv4_multicast }", "steps[0].create_bgp_globals.address_families", "not one of"),
        ("set_port: { port: Ethernet8 }", "steps[0].set_port.port", "nothing to set"),
        (&format!("create_vlan: {{ vlan_id: 100, description: {} }}", "d".repeat(256)), "steps[0].create_vlan.description", "at most 255"),
        ("delete_vrf: { name: VrfRed, keep_if_used: maybe }", "steps[0].delete_vrf.keep_if_used", "not true or false"),
        ("add_ntp_server: { server: ntp.example.net }", "steps[0].add_ntp_server.server", "not an IP address"),
        ("add_ntp_server: { server: 10.0.0.1, association_type: peer }", "steps[0].add_ntp_server.association_type", "not one of"),
        ("set_ntp: {}", "steps[0].set_ntp.src_intf", "set src_intf, vrf or both"),
        ("set_ntp: { src_intf: lo }", "steps[0].set_ntp.src_intf", "lo"),
        ("set_ntp: { vrf: VrfRed }", "steps[0].set_ntp.vrf", "not one of"),
        ("add_syslog_server: { server: 10.0.0.50, source: \"2001:db8::1\" }", "steps[0].add_syslog_server.source", "different address families"),
        ("add_syslog_server: { server: 10.0.0.50, port: 70000 }", "steps[0].add_syslog_server.port", "out of range"),
        ("add_syslog_server: { server: 10.0.0.50, severity: loud }", "steps[0].add_syslog_server.severity", "not one of"),
        ("add_snmp_community: { name: abc }", "steps[0].add_snmp_community.name", "4 to 32 characters"),
        ("add_snmp_community: { name: \"noc@site\" }", "steps[0].add_snmp_community.name", "4 to 32 characters"),
        ("add_snmp_community: { name: noc-ro, type: ro }", "steps[0].add_snmp_community.type", "not one of"),
        ("add_snmp_agent_address: { address: 10.1.0.1, vrf: blue }", "steps[0].add_snmp_agent_address.vrf", "blue"),
        ("set_snmp: {}", "steps[0].set_snmp.location", "set location, contact or both"),
        ("add_tacacs_server: { address: 10.0.0.60, priority: 65 }", "steps[0].add_tacacs_server.priority", "out of range 1..=64"),
        ("add_tacacs_server: { address: 10.0.0.60, auth_type: kerberos }", "steps[0].add_tacacs_server.auth_type", "not one of"),
        ("set_aaa_login: { login: \"tacacs+,radius\" }", "steps[0].set_aaa_login.login", "two of which one is local"),
        ("set_aaa_login: { login: kerberos }", "steps[0].set_aaa_login.login", "not one of"),
        ("set_aaa_login: { login: local, failthrough: yes }", "steps[0].set_aaa_login.failthrough", "not one of"),
        ("add_prefix_list: { name: L, prefix: 10.1.0.1/16 }", "steps[0].add_prefix_list.prefix", "10.1.0.0/16"),
        ("add_prefix_list: { name: L, prefix: 10.1.0.0/16, range: \"8..24\" }", "steps[0].add_prefix_list.range", "16 <= min"),
        ("add_prefix_list: { name: \"a b\", prefix: 10.1.0.0/16 }", "steps[0].add_prefix_list.name", "not a policy name"),
        ("add_route_map: { name: RM, seq: 0 }", "steps[0].add_route_map.seq", "out of range"),
        ("add_bgp_neighbor: { neighbor: Ethernet40, remote_asn: 65200, local_addr: 10.0.0.1 }", "steps[0].add_bgp_neighbor.local_addr", "link-local"),
        ("add_bgp_neighbor: { neighbor: Loopback0, remote_asn: 65200 }", "steps[0].add_bgp_neighbor.neighbor", "not an IP address"),
        ("add_route_map: { name: RM, seq: 10, set_community: \"65000:100,nope\" }", "steps[0].add_route_map.set_community", "not a community"),
    ];
    for (step, field, message) in cases {
        let text = format!("name: t\ntargets: {{ roles: [leaf] }}\nsteps:\n  - {step}\n");
        let err = SuiteFile::parse("s.yaml", &text).unwrap_err();
        assert_eq!(err.line, 4, "{step}: {err}");
        assert_eq!(err.field, *field, "{step}: {err}");
        assert!(err.message.contains(message), "{step}: {err}");
    }
}

const CHECKS: &str = "\
checks:
  within: 45s
  builtin: true
  pre:
    - { state_db: \"PORT_TABLE|{{ device.vars.uplink }}\", field: state, equals: ok }
  post:
    - { name: uplink up, appl_db: \"PORT_TABLE:{{ device.vars.uplink }}\", field: oper_status, equals: up, within: 90s }
    - { state_db: \"NEIGH_STATE_TABLE|10.0.0.9\", exists: true }
";

/// Checks are rendered per device, settle as written (or as the suite's
/// default), and carry the suite's wish for the catalogue's own.
#[test]
fn checks_are_rendered_per_device() {
    let suite = SuiteFile::parse("s.yaml", &format!("{SUITE}{CHECKS}")).unwrap().resolve(&inventory()).unwrap();
    let leaf2 = &suite.devices[1];
    assert!(leaf2.builtin_checks);
    assert_eq!(leaf2.checks_within_seconds, 45);
    let summary: Vec<(i32, &str, &str, &str, u32)> =
        leaf2.checks.iter().map(|c| (c.when, c.key.as_str(), c.name.as_str(), c.value.as_str(), c.within_seconds)).collect();
    assert_eq!(summary, vec![
        (CheckWhen::Pre as i32, "PORT_TABLE|Ethernet8", "STATE_DB PORT_TABLE|Ethernet8: state = ok", "ok", 45),
        (CheckWhen::Post as i32, "PORT_TABLE:Ethernet8", "uplink up", "up", 90),
        (CheckWhen::Post as i32, "NEIGH_STATE_TABLE|10.0.0.9", "STATE_DB NEIGH_STATE_TABLE|10.0.0.9: key present", "", 45),
    ]);
    assert_eq!(leaf2.checks[1].db(), CheckDb::Appl);
    assert_eq!(leaf2.checks[2].expect(), CheckExpect::Exists);
    // Without `checks:`, none, and not the catalogue's either.
    let plain = SuiteFile::parse("s.yaml", SUITE).unwrap().resolve(&inventory()).unwrap();
    assert!(plain.devices.iter().all(|d| d.checks.is_empty() && !d.builtin_checks));
}

/// (mutation of the suite with checks, line, field, part of the message)
const BAD_CHECKS: &[(&str, &str, u64, &str, &str)] = &[
    ("{ state_db: \"PORT_TABLE|{{ device.vars.uplink }}\", field", "{ field", 21, "checks.pre[0]", "exactly one database"),
    ("appl_db: \"PORT_TABLE:", "state_db: x, appl_db: \"PORT_TABLE:", 23, "checks.post[0]", "not several"),
    ("exists: true }", "exists: true, equals: x, field: f }", 24, "checks.post[1]", "exactly one expectation"),
    ("within: 90s", "within: 2h", 23, "checks.post[0].within", "longer than an hour"),
    ("  within: 45s", "  within: soon", 18, "checks.within", "not a duration"),
    ("field: state, equals: ok", "equals: ok", 21, "checks.pre[0].field", "name it"),
    ("PORT_TABLE|{{ device.vars.uplink }}", "PORT_TABLE|{{ device.vars.downlink }}", 21, "checks.pre[0].state_db", "has no vars.downlink"),
    ("PORT_TABLE|{{ device.vars.uplink }}", "PORT_TABLE|{{ device.vars.uplink ", 21, "checks.pre[0].state_db", "template syntax error"),
    ("    - { state_db: \"NEIGH", "    - { counters_db: \"\", exists: false }\n    - { state_db: \"NEIGH", 24, "checks.post[1].counters_db", "must not be empty"),
];

#[test]
fn bad_checks_are_located() {
    let good = format!("{SUITE}{CHECKS}");
    for (from, to, line, field, message) in BAD_CHECKS {
        assert!(good.contains(from), "mutation source {from:?} not in suite");
        let text = good.replacen(from, to, 1);
        let err = SuiteFile::parse("s.yaml", &text).and_then(|s| s.resolve(&inventory()).map(|_| ())).unwrap_err();
        assert_eq!((err.line, err.field.as_str()), (*line, *field), "{to}: {err}");
        assert!(err.message.contains(message), "{to}: {}", err.message);
    }
}

const GATES: &str = "  gates:
    - name: no interface errors
      query: 'sum(rate(errs{device=~\"{{ wave.devices }}\"}[1m]))'
      max: 0
      for: 2m
    - { prometheus: site-b, query: 'count(up)', min: 2, pass_when_empty: true }
";

/// Gates are read from the rollout with their bounds, duration and
/// endpoint (`default` unless named); each mistake is refused at its line.
#[test]
fn gates_are_read_and_refused_at_their_line() {
    let text = SUITE.replace("  on_failure: pause\n", &format!("  on_failure: pause\n{GATES}"));
    let gates = SuiteFile::parse("s.yaml", &text).unwrap().resolve(&inventory()).unwrap().rollout.gates;
    let summary: Vec<String> = gates.iter()
        .map(|g| format!("{} @{} max={:?} min={:?} for={} empty_ok={}", g.name, g.prometheus, g.has_max.then_some(g.max), g.has_min.then_some(g.min), g.for_seconds, g.pass_when_empty))
        .collect();
    assert_eq!(summary, vec![
        "no interface errors @default max=Some(0.0) min=None for=120 empty_ok=false",
        "gate 2 @site-b max=None min=Some(2.0) for=0 empty_ok=true",
    ]);
    let again = SUITE.replace("  on_failure: pause\n", "  on_failure: pause\n  gates:\n    - { name: still healthy, checks: true }\n");
    let gates = SuiteFile::parse("s.yaml", &again).unwrap().resolve(&inventory()).unwrap().rollout.gates;
    assert!(gates.len() == 1 && gates[0].device_checks && gates[0].name == "still healthy" && gates[0].query.is_empty(), "{gates:?}");
    for (from, to, line, field, message) in [
        ("      max: 0\n", "", 15, "rollout.gates[0]", "a gate needs a bound"),
        ("      max: 0\n", "      max: none\n", 17, "rollout.gates[0].max", "not a number"),
        ("      for: 2m\n", "      for: 2h\n", 18, "rollout.gates[0].for", "at most an hour"),
        ("min: 2,", "min: 2, max: 1,", 19, "rollout.gates[1].min", "no value could pass"),
        ("prometheus: site-b", "prometheus: \"http://10.0.0.1:9090\"", 19, "rollout.gates[1].prometheus", "not an endpoint name"),
        ("query: 'count(up)'", "query: ''", 19, "rollout.gates[1].query", "1..=4096 bytes"),
        ("{ prometheus: site-b,", "{ checks: true, prometheus: site-b,", 19, "rollout.gates[1].checks", "not both"),
        ("{ prometheus: site-b, query: 'count(up)',", "{ prometheus: site-b,", 19, "rollout.gates[1].query", "needs a query"),
    ] {
        let bad = text.replacen(from, to, 1);
        let err = SuiteFile::parse("s.yaml", &bad).and_then(|s| s.resolve(&inventory()).map(|_| ())).unwrap_err();
        assert_eq!((err.line, err.field.as_str()), (line, field), "{to}: {err}");
        assert!(err.message.contains(message), "{to}: {}", err.message);
    }
}

/// Confirmed commit is on unless the suite says `off` (which the policy
/// must allow); a timeout outside 1m..=1h is refused at its line.
#[test]
fn confirm_is_on_by_default_and_bounded() {
    let rollout = |text: &str| SuiteFile::parse("s.yaml", text).and_then(|s| s.resolve(&inventory())).map(|r| r.rollout.confirm_timeout_seconds);
    assert_eq!(rollout(SUITE).unwrap(), 300);
    let with = |value: &str| SUITE.replace("  on_failure: pause\n", &format!("  on_failure: pause\n  confirm: {value}\n"));
    assert_eq!(rollout(&with("off")).unwrap(), 0);
    assert_eq!(rollout(&with("10m")).unwrap(), 600);
    let err = rollout(&with("30s")).unwrap_err();
    assert_eq!(err.field, "rollout.confirm");
    assert!(err.message.contains("1m..=1h"), "{}", err.message);
}

/// A command check: rendered per device, split into words, judged by its
/// exit (`succeeds`) or its output (`prints`); a command the allow-list
/// refuses is refused at its line, before a device is known when it is
/// plain text and once rendered when it is a template.
#[test]
fn command_checks_are_read_and_refused_at_their_line() {
    let text = format!("{SUITE}checks:\n  post:\n    - {{ name: ping, command: \"ping -c 3 -I {{{{ device.vars.uplink }}}} 10.0.0.9\" }}\n    - {{ command: \"show version\", prints: \"SONiC\" }}\n    - {{ command: \"ping -c 1 10.9.9.9\", succeeds: false }}\n");
    let suite = SuiteFile::parse("s.yaml", &text).unwrap().resolve(&inventory()).unwrap();
    let checks = &suite.devices[0].checks;
    assert_eq!(checks[0].command, ["ping", "-c", "3", "-I", "Ethernet4", "10.0.0.9"]);
    assert_eq!((checks[0].expect(), checks[0].db()), (CheckExpect::Succeeds, CheckDb::Unspecified));
    assert_eq!((checks[1].expect(), checks[1].value.as_str(), checks[1].name.as_str()),
        (CheckExpect::Prints, "SONiC", "command show version: exit 0, output containing \"SONiC\""));
    assert_eq!(checks[2].expect(), CheckExpect::Fails);
    for (from, to, field, message) in [
        ("command: \"show version\"", "command: \"config reload -y\"", "checks.post[1].command", "not a program a check may run"),
        ("command: \"show version\"", "command: \"show version;reboot\"", "checks.post[1].command", "not a plain word"),
        ("command: \"show version\", prints", "command: \"show version\", state_db: x, prints", "checks.post[1]", "not both"),
        ("prints: \"SONiC\"", "equals: SONiC", "checks.post[1]", "succeeds: true|false or prints"),
        ("prints: \"SONiC\"", "prints: x, succeeds: true", "checks.post[1]", "not both"),
        ("10.0.0.9\" }", "10.0.0.9;reboot\" }", "checks.post[0].command", "not a plain word"),
        ("    - { command: \"ping -c 1 10.9.9.9\", succeeds: false }", "    - { state_db: x, field: y, equals: z, succeeds: true }", "checks.post[2].succeeds", "judges a command"),
    ] {
        assert!(text.contains(from), "{from}");
        let err = SuiteFile::parse("s.yaml", &text.replacen(from, to, 1)).and_then(|s| s.resolve(&inventory()).map(|_| ())).unwrap_err();
        assert_eq!(err.field, field, "{to}: {err}");
        assert!(err.message.contains(message), "{to}: {}", err.message);
        assert!(err.line >= 19, "{to}: located at line {}", err.line);
    }
}

#[test]
fn every_mistake_of_a_file_is_said_at_once_in_file_order() {
    let text = "name: t\ntargets: { names: [a] }\nsteps:\n  - create_vlann: { vlan_id: 10 }\n  - create_vlan: { vlan_id: 5000 }\n  - create_vlan: { vlan_idd: 11 }\nrollout:\n  on_failure: rollbak\n";
    let e = SuiteFile::parse("s.yaml", text).unwrap_err();
    let each: Vec<(u64, String)> = e.clone().into_each().into_iter().map(|e| (e.line, e.field)).collect();
    assert_eq!(each, [
        (4, "steps[0]".to_string()),
        (5, "steps[1].create_vlan.vlan_id".to_string()),
        (6, "steps[2].create_vlan.vlan_idd".to_string()),
        (8, "rollout.on_failure".to_string()),
    ], "{e}");
    let shown = e.to_string();
    assert_eq!(shown.lines().count(), 4, "one line each: {shown}");
    assert!(shown.lines().all(|l| l.starts_with("s.yaml:")), "{shown}");
    assert!(shown.contains("(did you mean create_vlan?)") && shown.contains("(did you mean rollback?)"), "{shown}");
}

#[test]
fn at_most_twenty_mistakes_are_listed() {
    let steps: String = (0..30).map(|i| format!("  - create_vlan: {{ vlan_id: {} }}\n", 5000 + i)).collect();
    let e = SuiteFile::parse("s.yaml", &format!("name: t\ntargets: {{ names: [a] }}\nsteps:\n{steps}")).unwrap_err();
    assert_eq!(e.into_each().len(), crate::source::MAX_MISTAKES);
}
