//! Shared-resource safety on a real device (lab sshd + redis): two tenants
//! share a VRF and an ACL table; removing or rolling back the first keeps
//! them, the second takes them away; objects that existed before are never
//! deleted by a rollback; fields changed since are left alone and reported.
//! Needs `tests/run.sh`; fails loudly without it.

use switchyard_proto::v1::{CompensationAction, CompensationEntry};
use switchyard_tests::TestEnv;
use switchyard_tests::device::{apply, plan, reverse, sessions, target, try_plan, try_plan_as};

const DEVICE: usize = 7;

fn tenant(verb: &str, port: &str, address: &str, peer: &str) -> String {
    format!("  - {verb}: {{ service: l3-tenant, vrf: VrfRed, local_asn: 65001, port: {port}, address: {address}, peer: {peer}, peer_asn: 65100, acl: TENANT_IN }}\n")
}

fn entry<'a>(log: &'a [CompensationEntry], key: &str) -> &'a CompensationEntry {
    log.iter().find(|e| e.key == key).unwrap_or_else(|| panic!("no entry for {key}: {log:#?}"))
}

#[tokio::test]
async fn shared_vrf_and_acl_table_go_with_their_last_user() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let s = sessions(&env);
    let start = env.dump_config_db(DEVICE);
    let (a, b) = (tenant("apply_service", "Ethernet8", "10.0.0.1/31", "10.0.0.0"), tenant("apply_service", "Ethernet12", "10.0.0.3/31", "10.0.0.2"));
    let plan_a = plan(&s, &target(&env, DEVICE, &a)).await;
    apply(&s, "svc-a", &plan_a).await;
    let plan_b = plan(&s, &target(&env, DEVICE, &b)).await;
    assert_eq!(plan_b.steps[0].receipt.as_ref().unwrap().reused, ["VRF|VrfRed"], "the second tenant reuses the VRF");
    apply(&s, "svc-b", &plan_b).await;
    assert_eq!(env.rows(DEVICE)["ACL_TABLE|TENANT_IN"]["ports@"], "Ethernet8,Ethernet12");

    // Removing the first tenant keeps the shared VRF and table.
    let remove_a = plan(&s, &target(&env, DEVICE, &tenant("remove_service", "Ethernet8", "10.0.0.1/31", "10.0.0.0"))).await;
    let kept: Vec<String> = remove_a.steps.iter().flat_map(|st| st.receipt.as_ref().unwrap().kept.iter().map(|k| format!("{}: {}", k.key, k.reason))).collect();
    assert!(kept.iter().any(|k| k.starts_with("VRF|VrfRed: still used by INTERFACE|Ethernet12")), "{kept:?}");
    assert!(kept.iter().any(|k| k.starts_with("ACL_TABLE|TENANT_IN: still used by")), "{kept:?}");
    // The VRF's BGP instance stays whole while the second tenant's peer uses it.
    assert!(kept.iter().any(|k| k.starts_with("BGP_GLOBALS|VrfRed: still used by BGP_NEIGHBOR|VrfRed|10.0.0.2")), "{kept:?}");
    apply(&s, "svc-rm-a", &remove_a).await;
    let rows = env.rows(DEVICE);
    assert!(rows.contains_key("VRF|VrfRed") && rows.contains_key("ACL_TABLE|TENANT_IN"));
    assert!(rows.contains_key("BGP_GLOBALS|VrfRed") && rows.contains_key("ROUTE_REDISTRIBUTE|VrfRed|connected|bgp|ipv4"), "{rows:#?}");
    assert_eq!(rows["ACL_TABLE|TENANT_IN"]["ports@"], "Ethernet12");
    assert!(!rows.contains_key("INTERFACE|Ethernet8") && !rows.contains_key("BGP_NEIGHBOR|VrfRed|10.0.0.0"));

    // Removing the second takes them away: the device is as it started.
    let remove_b = plan(&s, &target(&env, DEVICE, &tenant("remove_service", "Ethernet12", "10.0.0.3/31", "10.0.0.2"))).await;
    apply(&s, "svc-rm-b", &remove_b).await;
    assert_eq!(env.dump_config_db(DEVICE), start);
}

/// Rolling back the first tenant keeps the shared objects; removing the
/// second then takes them away.
#[tokio::test]
async fn rolling_back_the_first_tenant_keeps_what_the_second_uses() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let s = sessions(&env);
    let start = env.dump_config_db(DEVICE);
    let plan_a = plan(&s, &target(&env, DEVICE, &tenant("apply_service", "Ethernet8", "10.0.0.1/31", "10.0.0.0"))).await;
    apply(&s, "rb-a", &plan_a).await;
    let plan_b = plan(&s, &target(&env, DEVICE, &tenant("apply_service", "Ethernet12", "10.0.0.3/31", "10.0.0.2"))).await;
    apply(&s, "rb-b", &plan_b).await;

    let log = reverse(&s, "rb-a", &plan_a).await;
    let vrf = entry(&log, "VRF|VrfRed");
    assert_eq!(vrf.action, CompensationAction::LeftInPlace as i32);
    assert!(vrf.reason.contains("still used by INTERFACE|Ethernet12"), "{}", vrf.reason);
    let table = entry(&log, "ACL_TABLE|TENANT_IN");
    assert!(log.iter().any(|e| e.key == "ACL_TABLE|TENANT_IN" && e.action == CompensationAction::LeftInPlace as i32 && e.reason.contains("still used by")), "{table:?} {log:#?}");
    assert_eq!(entry(&log, "INTERFACE|Ethernet8|10.0.0.1/31").action, CompensationAction::Removed as i32);
    assert_eq!(env.rows(DEVICE)["ACL_TABLE|TENANT_IN"]["ports@"], "Ethernet12", "only the first tenant's binding goes");
    // Undoing the first tenant leaves the shared BGP instance whole.
    for key in ["BGP_GLOBALS|VrfRed", "BGP_GLOBALS_AF|VrfRed|ipv4_unicast", "ROUTE_REDISTRIBUTE|VrfRed|connected|bgp|ipv4"] {
        assert_eq!(entry(&log, key).action, CompensationAction::LeftInPlace as i32, "{key}");
        assert!(env.rows(DEVICE).contains_key(key), "{key}");
    }

    let remove_b = plan(&s, &target(&env, DEVICE, &tenant("remove_service", "Ethernet12", "10.0.0.3/31", "10.0.0.2"))).await;
    apply(&s, "rb-rm-b", &remove_b).await;
    assert_eq!(env.dump_config_db(DEVICE), start);
}

fn evpn(verb: &str, vrf: &str, vni: u32, vlan: u32, address: &str) -> String {
    format!("  - {verb}: {{ service: evpn-l3vni-tenant, vtep_ip: 10.1.0.7, vrf: {vrf}, vni: {vni}, l3vni_vlan_id: {}, vlan_id: {vlan}, local_asn: 65007, address: {address} }}\n", vlan + 3000)
}

/// Two EVPN L3VNI tenants share the switch's VTEP: each maps its VLAN to its
/// VNI before its VRF takes the VNI; removing the first keeps the VTEP, the
/// second takes it away, and the device is as it started.
#[tokio::test]
async fn evpn_tenants_share_the_vtep_until_the_last_goes() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let s = sessions(&env);
    let start = env.dump_config_db(DEVICE);
    let a = plan(&s, &target(&env, DEVICE, &evpn("apply_service", "VrfGold", 10100, 100, "10.100.0.1/24"))).await;
    apply(&s, "evpn-a", &a).await;
    let b = plan(&s, &target(&env, DEVICE, &evpn("apply_service", "VrfSilver", 10200, 200, "10.200.0.1/24"))).await;
    assert_eq!(b.steps[0].receipt.as_ref().unwrap().reused, ["VXLAN_TUNNEL|vtep", "VXLAN_EVPN_NVO|nvo"], "the second tenant reuses the VTEP");
    apply(&s, "evpn-b", &b).await;
    let rows = env.rows(DEVICE);
    assert_eq!(rows["VXLAN_TUNNEL|vtep"]["src_ip"], "10.1.0.7");
    assert_eq!(rows["VXLAN_EVPN_NVO|nvo"]["source_vtep"], "vtep");
    assert_eq!(rows["VXLAN_TUNNEL_MAP|vtep|map_10100_Vlan3100"]["vni"], "10100");
    assert_eq!(rows["VRF|VrfGold"]["vni"], "10100");
    // Symmetric IRB as SONiC's EVPN design has it: the L3VNI VLAN bound to
    // the VRF with no address, the gateway on the tenant's own VLAN, and
    // the VRF's routes advertised into EVPN.
    assert_eq!(rows["VLAN_INTERFACE|Vlan3100"]["vrf_name"], "VrfGold");
    assert!(!rows.keys().any(|k| k.starts_with("VLAN_INTERFACE|Vlan3100|")), "no address on the L3VNI VLAN");
    assert!(rows.contains_key("VLAN_INTERFACE|Vlan100|10.100.0.1/24"));
    assert_eq!(rows["BGP_GLOBALS_AF|VrfSilver|l2vpn_evpn"]["advertise-ipv4-unicast"], "true");
    assert!(!a.diff.contains("warning: Vlan"), "{}", a.diff);

    let remove_a = plan(&s, &target(&env, DEVICE, &evpn("remove_service", "VrfGold", 10100, 100, "10.100.0.1/24"))).await;
    let kept: Vec<String> = remove_a.steps.iter().flat_map(|st| st.receipt.as_ref().unwrap().kept.iter().map(|k| format!("{}: {}", k.key, k.reason))).collect();
    assert!(kept.iter().any(|k| k.starts_with("VXLAN_TUNNEL|vtep: still used by VXLAN_TUNNEL_MAP|vtep|map_10200_Vlan3200")), "{kept:?}");
    apply(&s, "evpn-rm-a", &remove_a).await;
    let rows = env.rows(DEVICE);
    assert!(rows.contains_key("VXLAN_TUNNEL|vtep") && rows.contains_key("VXLAN_EVPN_NVO|nvo"));
    assert!(!rows.keys().any(|k| k.contains("VrfGold") || k.contains("Vlan100") || k.contains("Vlan3100") || k.contains("10100")), "{rows:#?}");

    // Rolling the second tenant back (rather than removing it) also ends
    // where the device started: its VTEP goes with it.
    let log = reverse(&s, "evpn-b", &b).await;
    assert_eq!(entry(&log, "VXLAN_TUNNEL|vtep").action, CompensationAction::LeftInPlace as i32, "A created it; B only reused it");
    let remove_rest = plan(&s, &target(&env, DEVICE, "  - delete_vtep: {}\n")).await;
    apply(&s, "evpn-rm-vtep", &remove_rest).await;
    assert_eq!(env.dump_config_db(DEVICE), start);
}

#[tokio::test]
async fn objects_that_existed_before_are_never_rolled_back() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let s = sessions(&env);
    // Made by hand (or another tool) before the suite.
    env.hset(DEVICE, "VRF|VrfRed", &[("NULL", "NULL")]);
    env.hset(DEVICE, "ACL_TABLE|TENANT_IN", &[("type", "L3"), ("stage", "ingress"), ("policy_desc", "by hand")]);
    let start = env.dump_config_db(DEVICE);
    let plan_a = plan(&s, &target(&env, DEVICE, &tenant("apply_service", "Ethernet8", "10.0.0.1/31", "10.0.0.0"))).await;
    apply(&s, "pre-a", &plan_a).await;
    let log = reverse(&s, "pre-a", &plan_a).await;
    assert_eq!(entry(&log, "VRF|VrfRed").reason, "existed before the suite");
    assert!(log.iter().any(|e| e.key == "ACL_TABLE|TENANT_IN" && e.reason == "existed before the suite"), "{log:#?}");
    assert_eq!(env.dump_config_db(DEVICE), start);
}

#[tokio::test]
async fn fields_changed_since_are_left_and_reported() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let s = sessions(&env);
    let p = plan(&s, &target(&env, DEVICE, "  - set_port: { port: Ethernet16, mtu: 1500, description: uplink }\n")).await;
    apply(&s, "fld", &p).await;
    env.hset(DEVICE, "PORT|Ethernet16", &[("mtu", "9000")]);
    let log = reverse(&s, "fld", &p).await;
    let mtu = log.iter().find(|e| e.field == "mtu").unwrap();
    assert_eq!(mtu.action, CompensationAction::LeftInPlace as i32);
    assert!(mtu.reason.contains("changed since the suite wrote \"1500\": now \"9000\""), "{}", mtu.reason);
    let desc = log.iter().find(|e| e.field == "description").unwrap();
    assert_eq!(desc.action, CompensationAction::Restored as i32);
    let row = &env.rows(DEVICE)["PORT|Ethernet16"];
    assert_eq!((row["mtu"].as_str(), row.get("description")), ("9000", None));
}

#[tokio::test]
async fn device_state_refusals_name_the_device_step_and_field() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let s = sessions(&env);
    let cases = [
        ("  - add_acl_rule: { table: MISSING, rule: R1, priority: 10, dst_ip: 10.0.0.0/8 }\n", "step 1-add_acl_rule: table: ACL_TABLE|MISSING does not exist"),
        ("  - add_interface_address: { interface: Ethernet0, address: 10.0.0.1/31, vrf: VrfNone }\n", "step 1-add_interface_address: vrf: VRF VrfNone does not exist"),
        ("  - add_vlan_member: { vlan_id: 7, port: Ethernet999 }\n", "step 1-add_vlan_member: vlan_id: VLAN|Vlan7 does not exist"),
        ("  - create_vlan: { vlan_id: 300 }\n  - add_vlan_member: { vlan_id: 300, port: Ethernet999 }\n", "step 2-add_vlan_member: port: port Ethernet999 does not exist on the device"),
    ];
    for (steps, message) in cases {
        let err = try_plan(&s, &target(&env, DEVICE, steps)).await.unwrap_err();
        assert!(err.starts_with(&format!("{}: ", TestEnv::device_name(DEVICE))) && err.contains(message), "{err}");
    }
    // A routed port cannot join a VLAN, and a VLAN member cannot be routed.
    env.hset(DEVICE, "INTERFACE|Ethernet20", &[("NULL", "NULL")]);
    let err = try_plan(&s, &target(&env, DEVICE, "  - create_vlan: { vlan_id: 300 }\n  - add_vlan_member: { vlan_id: 300, port: Ethernet20 }\n")).await.unwrap_err();
    assert!(err.contains("port: Ethernet20 is a routed port"), "{err}");
    env.hset(DEVICE, "PORTCHANNEL_MEMBER|PortChannel1|Ethernet24", &[("NULL", "NULL")]);
    let err = try_plan(&s, &target(&env, DEVICE, "  - add_interface_address: { interface: Ethernet24, address: 10.0.0.1/31 }\n")).await.unwrap_err();
    assert!(err.contains("interface: Ethernet24 is a PortChannel member"), "{err}");
}

/// Every remaining operation, applied, removed and reversed on a real device:
/// each round trip ends at the exact starting bytes.
#[tokio::test]
async fn every_operation_round_trips_to_the_byte() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let s = sessions(&env);
    // A VRF takes an L3VNI only once the VNI is mapped (as SONiC's CLI
    // requires): the device has a VTEP with VNI 5000 mapped to its VLAN 3000.
    env.hset(DEVICE, "VLAN|Vlan3000", &[("vlanid", "3000")]);
    env.hset(DEVICE, "VXLAN_TUNNEL|vtep", &[("src_ip", "10.1.0.5")]);
    env.hset(DEVICE, "VXLAN_TUNNEL_MAP|vtep|map_5000_Vlan3000", &[("vlan", "Vlan3000"), ("vni", "5000")]);
    let start = env.dump_config_db(DEVICE);
    let forward = "  - create_vrf: { name: VrfBlue, vni: 5000 }
  - create_vlan: { vlan_id: 200, description: storage }
  - add_vlan_member: { vlan_id: 200, port: Ethernet36, tagging_mode: tagged }
  - add_vlan_interface: { vlan_id: 200, address: 10.2.0.1/24, vrf: VrfBlue }
  - add_dhcp_relay: { vlan_id: 200, servers: \"10.0.0.9,10.0.1.9\" }
  - create_portchannel: { name: PortChannel10, mtu: 9100, min_links: 1 }
  - add_portchannel_member: { portchannel: PortChannel10, port: Ethernet28 }
  - add_interface_address: { interface: PortChannel10, address: 10.1.1.1/31 }
  - add_interface_address: { interface: Loopback5, address: 10.255.0.5/32, vrf: VrfBlue }
  - add_static_route: { vrf: VrfBlue, prefix: 10.9.0.0/16, nexthop: 10.2.0.254 }
  - create_bgp_globals: { vrf: VrfBlue, local_asn: 65005, router_id: 10.255.0.5, address_families: \"ipv4_unicast,ipv6_unicast\", redistribute: \"connected,static\" }
  - add_bgp_neighbor: { vrf: VrfBlue, neighbor: 10.2.0.2, remote_asn: 65200, description: storage-peer }
  - create_loopback: { name: Loopback6, vrf: VrfBlue }
  - set_port: { port: Ethernet32, mtu: 1500, admin_status: down, description: parked }
";
    let removal = "  - remove_bgp_neighbor: { vrf: VrfBlue, neighbor: 10.2.0.2 }
  - delete_bgp_globals: { vrf: VrfBlue, address_families: \"ipv4_unicast,ipv6_unicast\", redistribute: \"connected,static\" }
  - remove_static_route: { vrf: VrfBlue, prefix: 10.9.0.0/16 }
  - remove_interface_address: { interface: Loopback5, address: 10.255.0.5/32, vrf: VrfBlue }
  - remove_interface_address: { interface: PortChannel10, address: 10.1.1.1/31 }
  - remove_portchannel_member: { portchannel: PortChannel10, port: Ethernet28 }
  - delete_portchannel: { name: PortChannel10 }
  - remove_vlan_interface: { vlan_id: 200, address: 10.2.0.1/24, vrf: VrfBlue }
  - remove_vlan_member: { vlan_id: 200, port: Ethernet36 }
  - remove_dhcp_relay: { vlan_id: 200, servers: \"10.0.0.9,10.0.1.9\" }
  - delete_vlan: { vlan_id: 200 }
  - delete_loopback: { name: Loopback6 }
  - delete_vrf: { name: VrfBlue }
  - set_port: { port: Ethernet32, mtu: 9100, admin_status: up }
";
    // Apply, then reverse: back to the start.
    let p = plan(&s, &target(&env, DEVICE, forward)).await;
    apply(&s, "all-1", &p).await;
    let applied = env.dump_config_db(DEVICE);
    let rows = env.rows(DEVICE);
    assert_eq!(rows["VLAN_INTERFACE|Vlan200"]["vrf_name"], "VrfBlue");
    assert!(rows.contains_key("PORTCHANNEL_MEMBER|PortChannel10|Ethernet28"));
    assert_eq!(rows["STATIC_ROUTE|VrfBlue|10.9.0.0/16"]["nexthop"], "10.2.0.254");
    assert_eq!(rows["BGP_GLOBALS|VrfBlue"]["local_asn"], "65005");
    assert_eq!(rows["LOOPBACK_INTERFACE|Loopback6"]["vrf_name"], "VrfBlue");
    assert_eq!(rows["VLAN|Vlan200"]["dhcp_servers@"], "10.0.0.9,10.0.1.9");
    for key in ["BGP_GLOBALS_AF|VrfBlue|ipv6_unicast", "ROUTE_REDISTRIBUTE|VrfBlue|static|bgp|ipv6", "BGP_NEIGHBOR|VrfBlue|10.2.0.2"] {
        assert!(rows.contains_key(key), "{key}: {rows:#?}");
    }
    assert_eq!(rows["PORT|Ethernet32"]["admin_status"], "down");
    let log = reverse(&s, "all-1", &p).await;
    assert!(log.iter().all(|e| e.action != switchyard_proto::v1::CompensationAction::LeftInPlace as i32 || e.reason == "existed before the suite"), "{log:#?}");
    assert_eq!(env.dump_config_db(DEVICE), start);

    // Apply again, remove with the removal operations: back to the start
    // (the description set_port added stays: removal only sets what it names).
    let p = plan(&s, &target(&env, DEVICE, forward)).await;
    apply(&s, "all-2", &p).await;
    assert_eq!(env.dump_config_db(DEVICE), applied);
    let r = plan(&s, &target(&env, DEVICE, removal)).await;
    apply(&s, "all-2-rm", &r).await;
    let rows = env.rows(DEVICE);
    assert!(!rows.keys().any(|k| k.contains("VrfBlue") || k.contains("Vlan200") || k.contains("PortChannel10") || k.contains("Loopback5") || k.contains("Loopback6")), "{rows:#?}");
    // Reversing the removal puts everything back as it was applied.
    reverse(&s, "all-2-rm", &r).await;
    assert_eq!(env.dump_config_db(DEVICE), applied, "reversing the removal re-creates what it deleted");
}

/// A switchport mode (SONiC 202405 and later: a 202411 device) is set,
/// reversed to the byte, set again, cleared by its removal operation, and
/// the clearing reversed to the byte.
#[tokio::test]
async fn a_switchport_mode_is_set_and_cleared_to_the_byte() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let s = sessions(&env);
    let device = 10;
    assert_eq!(env.rows(device)["VERSIONS|DATABASE"]["VERSION"], "version_202411_02");
    let start = env.dump_config_db(device);
    let set = plan(&s, &target(&env, device, "  - set_switchport_mode: { port: Ethernet40, mode: trunk }\n")).await;
    apply(&s, "mode-1", &set).await;
    assert_eq!(env.rows(device)["PORT|Ethernet40"]["mode"], "trunk");
    reverse(&s, "mode-1", &set).await;
    assert_eq!(env.dump_config_db(device), start);

    let set = plan(&s, &target(&env, device, "  - set_switchport_mode: { port: Ethernet40, mode: trunk }\n")).await;
    apply(&s, "mode-2", &set).await;
    let applied = env.dump_config_db(device);
    let clear = plan(&s, &target(&env, device, "  - clear_switchport_mode: { port: Ethernet40 }\n")).await;
    apply(&s, "mode-2-rm", &clear).await;
    assert!(!env.rows(device)["PORT|Ethernet40"].contains_key("mode"), "{:?}", env.rows(device)["PORT|Ethernet40"]);
    assert_eq!(env.dump_config_db(device), start, "cleared: the port as it started");
    reverse(&s, "mode-2-rm", &clear).await;
    assert_eq!(env.dump_config_db(device), applied, "reversing the clear puts the mode back");
}

/// The day-one operations (NTP, syslog, SNMP), applied, reversed, applied
/// again, removed by their removal operations and the removal reversed, on
/// a 202305 and a 202411 device: each round trip ends at the exact bytes it
/// started from, and each release gets its own NTP_SERVER form.
#[tokio::test]
async fn day_one_operations_round_trip_to_the_byte() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let s = sessions(&env);
    let forward = "  - add_ntp_server: { server: 10.0.0.123 }
  - add_ntp_server: { server: 10.0.0.124 }
  - set_ntp: { src_intf: \"Loopback0,eth0\" }
  - add_syslog_server: { server: 10.0.0.50, source: \"{{ device.address }}\", port: 514, protocol: udp, severity: info }
  - add_snmp_community: { name: noc-readonly, type: RO }
  - add_snmp_agent_address: { address: \"{{ device.address }}\" }
  - set_snmp: { location: \"lab row 1\", contact: noc@example.net }
";
    let removal = "  - remove_ntp_server: { server: 10.0.0.123 }
  - remove_ntp_server: { server: 10.0.0.124 }
  - clear_ntp: {}
  - remove_syslog_server: { server: 10.0.0.50 }
  - remove_snmp_community: { name: noc-readonly }
  - remove_snmp_agent_address: { address: \"{{ device.address }}\" }
  - clear_snmp: {}
";
    for (device, ntp_row) in [(7, vec![("NULL", "NULL")]), (10, vec![("association_type", "server"), ("resolve_as", "10.0.0.123")])] {
        let start = env.dump_config_db(device);
        let p = plan(&s, &target(&env, device, forward)).await;
        apply(&s, &format!("day1-{device}"), &p).await;
        let rows = env.rows(device);
        let want: std::collections::BTreeMap<String, String> = ntp_row.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(rows["NTP_SERVER|10.0.0.123"], want, "device {device}: its release's form");
        assert_eq!(rows["NTP|global"]["src_intf"], "Loopback0;eth0");
        assert_eq!(rows["SYSLOG_SERVER|10.0.0.50"]["severity"], "info");
        assert_eq!(rows["SNMP_COMMUNITY|noc-readonly"]["TYPE"], "RO");
        assert!(rows.keys().any(|k| k.starts_with("SNMP_AGENT_ADDRESS_CONFIG|198.19.")), "{rows:#?}");
        assert_eq!(rows["SNMP|CONTACT"]["Contact"], "noc@example.net");
        let log = reverse(&s, &format!("day1-{device}"), &p).await;
        assert!(log.iter().all(|e| e.action != CompensationAction::LeftInPlace as i32), "{log:#?}");
        assert_eq!(env.dump_config_db(device), start, "device {device}: the reverse ends where it started");

        let p = plan(&s, &target(&env, device, forward)).await;
        apply(&s, &format!("day1-{device}-2"), &p).await;
        let applied = env.dump_config_db(device);
        let r = plan(&s, &target(&env, device, removal)).await;
        apply(&s, &format!("day1-{device}-rm"), &r).await;
        assert_eq!(env.dump_config_db(device), start, "device {device}: the removal operations end where it started");
        reverse(&s, &format!("day1-{device}-rm"), &r).await;
        assert_eq!(env.dump_config_db(device), applied, "device {device}: reversing the removal puts everything back");
    }
}

/// AAA login methods and TACACS+ servers on a real 202411 device: a change
/// that would let a TACACS+ server refuse switchyard's own password login
/// is refused at plan time (nothing written) unless the suite says
/// allow_lockout; with a key login it plans, applies, reverses and is
/// removed to the byte. 202411's YANG requires the global passkey for a
/// TACACS+ login, which switchyard never writes: without it, refused.
#[tokio::test]
async fn aaa_changes_never_lock_out_switchyards_own_login() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let s = sessions(&env);
    let device = 10;
    let forward = "  - add_tacacs_server: { address: 10.0.0.60, timeout: 5 }\n  - set_aaa_login: { login: \"tacacs+,local\" }\n";
    let err = try_plan(&s, &target(&env, device, forward)).await.unwrap_err();
    assert!(err.contains("set_aaa_login: login: login uses tacacs+ and TACPLUS|global has no passkey") && err.contains("SONiC 202411 requires it"), "{err}");

    // The operator sets the shared secret on the switch, out of band.
    env.hset(device, "TACPLUS|global", &[("passkey", "lab-secret")]);
    let start = env.dump_config_db(device);
    let err = try_plan_as(&s, &target(&env, device, forward), true).await.unwrap_err();
    assert!(err.contains("step 2-set_aaa_login: login: switchyard logs in to this switch as admin with a password") && err.contains("allow_lockout: true"), "{err}");
    let allowed = forward.replace("login: \"tacacs+,local\"", "login: \"tacacs+,local\", allow_lockout: true");
    let p = try_plan_as(&s, &target(&env, device, &allowed), true).await.unwrap();
    assert!(p.diff.contains("warning: allowed by allow_lockout"), "{}", p.diff);
    assert_eq!(env.dump_config_db(device), start, "planning writes nothing");

    let p = try_plan_as(&s, &target(&env, device, forward), false).await.unwrap();
    // The switch's shared secret never enters the plan (and so never the
    // workflow's history): not in its guards, changes or receipts.
    assert!(!format!("{p:?}").contains("lab-secret"), "the passkey reached the plan: {p:?}");
    apply(&s, "aaa-1", &p).await;
    let rows = env.rows(device);
    assert_eq!(rows["AAA|authentication"]["login"], "tacacs+,local");
    assert_eq!((rows["TACPLUS_SERVER|10.0.0.60"]["priority"].as_str(), rows["TACPLUS_SERVER|10.0.0.60"]["tcp_port"].as_str()), ("1", "49"));
    assert!(!rows["TACPLUS_SERVER|10.0.0.60"].contains_key("passkey"), "no secret written");
    reverse(&s, "aaa-1", &p).await;
    assert_eq!(env.dump_config_db(device), start);

    let p = try_plan_as(&s, &target(&env, device, forward), false).await.unwrap();
    apply(&s, "aaa-2", &p).await;
    let applied = env.dump_config_db(device);
    let removal = "  - clear_aaa_login: {}\n  - remove_tacacs_server: { address: 10.0.0.60 }\n";
    let r = try_plan_as(&s, &target(&env, device, removal), false).await.unwrap();
    apply(&s, "aaa-2-rm", &r).await;
    assert_eq!(env.dump_config_db(device), start);
    reverse(&s, "aaa-2-rm", &r).await;
    assert_eq!(env.dump_config_db(device), applied);
}

/// Route policy where frrcfgd runs (a 202411 device): a prefix list, a
/// route map matching it, and a neighbor importing through the map, in
/// the key forms frrcfgd parses, round trip to the byte; removing the map's
/// statement keeps the map while the neighbor applies it. A bgpcfgd
/// device refuses route policy, naming why.
#[tokio::test]
async fn route_policy_round_trips_where_frrcfgd_runs() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let s = sessions(&env);
    let device = 10;
    let forward = "  - add_prefix_list: { name: LOOPBACKS, prefix: 10.1.0.0/16, range: \"32..32\" }
  - add_route_map: { name: FROM_SPINES, seq: 10, match_prefix_list: LOOPBACKS, set_local_pref: 200, set_community: \"65000:100\" }
  - add_bgp_neighbor: { neighbor: 10.0.0.9, remote_asn: 65100, route_map_in: FROM_SPINES }
";
    let start = env.dump_config_db(device);
    let p = plan(&s, &target(&env, device, forward)).await;
    assert!(p.diff.contains("PREFIX keyed <name>|<prefix>|<range>"), "{}", p.diff);
    apply(&s, "policy-1", &p).await;
    let rows = env.rows(device);
    assert_eq!(rows["PREFIX_SET|LOOPBACKS"]["mode"], "IPv4");
    assert_eq!(rows["PREFIX|LOOPBACKS|10.1.0.0/16|32..32"]["action"], "permit");
    assert_eq!(rows["ROUTE_MAP|FROM_SPINES|10"]["route_operation"], "permit");
    assert_eq!(rows["BGP_NEIGHBOR_AF|default|10.0.0.9|ipv4_unicast"]["route_map_in@"], "FROM_SPINES");
    assert_eq!(rows["BGP_NEIGHBOR_AF|default|10.0.0.9|ipv4_unicast"]["admin_status"], "true");
    reverse(&s, "policy-1", &p).await;
    assert_eq!(env.dump_config_db(device), start);

    let p = plan(&s, &target(&env, device, forward)).await;
    apply(&s, "policy-2", &p).await;
    let applied = env.dump_config_db(device);
    // The statement goes; the map stays while the neighbor applies it.
    let r = plan(&s, &target(&env, device, "  - remove_route_map: { name: FROM_SPINES, seq: 10 }\n")).await;
    apply(&s, "policy-2-rm", &r).await;
    let rows = env.rows(device);
    assert!(!rows.contains_key("ROUTE_MAP|FROM_SPINES|10") && rows.contains_key("ROUTE_MAP_SET|FROM_SPINES"), "{rows:#?}");
    reverse(&s, "policy-2-rm", &r).await;
    assert_eq!(env.dump_config_db(device), applied);
    let all = "  - remove_bgp_neighbor: { neighbor: 10.0.0.9 }
  - remove_route_map: { name: FROM_SPINES, seq: 10 }
  - remove_prefix_list: { name: LOOPBACKS, prefix: 10.1.0.0/16, range: \"32..32\" }
";
    let r = plan(&s, &target(&env, device, all)).await;
    apply(&s, "policy-2-all", &r).await;
    assert_eq!(env.dump_config_db(device), start, "the removals end where it started");

    let err = try_plan(&s, &target(&env, 7, "  - add_prefix_list: { name: LOOPBACKS, prefix: 10.1.0.0/16 }\n")).await.unwrap_err();
    assert!(err.contains("add_prefix_list: name: this device runs bgpcfgd") && err.contains("no route policy"), "{err}");

    // BGP unnumbered: a neighbor on a routed port, over its link-local address.
    let unnumbered = "  - add_bgp_neighbor: { neighbor: Ethernet40, remote_asn: 65200 }\n";
    let p = plan(&s, &target(&env, device, unnumbered)).await;
    apply(&s, "unnumbered", &p).await;
    let rows = env.rows(device);
    assert_eq!(rows["INTERFACE|Ethernet40"]["ipv6_use_link_local_only"], "enable");
    assert_eq!(rows["BGP_NEIGHBOR|default|Ethernet40"]["capability_ext_nexthop"], "true");
    reverse(&s, "unnumbered", &p).await;
    assert_eq!(env.dump_config_db(device), start);
    let err = try_plan(&s, &target(&env, 7, unnumbered)).await.unwrap_err();
    assert!(err.contains("BGP unnumbered needs frrcfgd"), "{err}");
}
