//! Who uses what in CONFIG_DB: the rows that keep an object alive.
//!
//! A row may be removed (by a delete step or by a reverse) only while none
//! of its consumers exists. This table is the single source of those rules,
//! written from SONiC's references between tables.

use super::view::{Reads, View};

/// When a row matching the pattern counts as a user.
#[derive(Debug, Clone, PartialEq, Eq)]
enum When {
    /// Any matching row.
    Exists,
    /// A matching row whose field has this value.
    FieldIs(&'static str, String),
    /// The object's own row, when this list field is not empty.
    OwnListNonEmpty(&'static str),
    /// A matching row whose comma-separated list field holds this value.
    ListHas(&'static str, String),
    /// A matching row whose `;`-separated field holds this value (the one
    /// leaf-list sonic-cfggen keeps as a string: NTP's `src_intf`).
    SemicolonListHas(&'static str, String),
    /// A matching row whose key has exactly this many `|`-separated parts.
    KeyParts(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Consumer {
    pattern: String,
    when: When,
}

fn any(pattern: String) -> Consumer {
    Consumer { pattern, when: When::Exists }
}

fn field_is(pattern: &str, field: &'static str, value: &str) -> Consumer {
    Consumer { pattern: pattern.to_string(), when: When::FieldIs(field, value.to_string()) }
}

const INTERFACE_TABLES: [&str; 4] = ["INTERFACE", "VLAN_INTERFACE", "PORTCHANNEL_INTERFACE", "LOOPBACK_INTERFACE"];

fn list_has(pattern: &str, field: &'static str, value: &str) -> Consumer {
    Consumer { pattern: pattern.to_string(), when: When::ListHas(field, value.to_string()) }
}

/// SONiC's leafrefs and its CLI's "in use" checks (sonic-yang-models,
/// config/vlan.py `del_vlan`, config/main.py), for the objects switchyard
/// creates. A row is a user even when switchyard did not write it: removing
/// what it points at would leave a dangling reference that makes every
/// later validated change on the switch fail.
fn consumers(key: &str) -> Vec<Consumer> {
    let parts: Vec<&str> = key.split('|').collect();
    match parts.as_slice() {
        ["VRF", vrf] => {
            let mut c: Vec<Consumer> = INTERFACE_TABLES.iter().map(|t| field_is(&format!("{t}|*"), "vrf_name", vrf)).collect();
            c.push(any(format!("BGP_NEIGHBOR|{vrf}|*")));
            c.push(any(format!("BGP_NEIGHBOR_AF|{vrf}|*")));
            c.push(any(format!("STATIC_ROUTE|{vrf}|*")));
            c.push(any(format!("BGP_GLOBALS|{vrf}")));
            c.push(any(format!("BGP_GLOBALS_AF|{vrf}|*")));
            c.push(any(format!("BGP_PEER_RANGE|{vrf}|*")));
            c.push(field_is("VLAN_SUB_INTERFACE|*", "vrf_name", vrf));
            c.push(field_is("SYSLOG_SERVER|*", "vrf", vrf));
            c.push(any(format!("SNMP_AGENT_ADDRESS_CONFIG|*|*|{vrf}")));
            c.push(field_is("DHCPV4_RELAY|*", "server_vrf", vrf));
            c
        }
        // A VRF's BGP instance lives while the VRF's peers do; its address
        // families and redistribution rows are part of it, not users.
        ["BGP_GLOBALS", vrf] => {
            let mut c = vec![
                any(format!("BGP_NEIGHBOR|{vrf}|*")),
                any(format!("BGP_NEIGHBOR_AF|{vrf}|*")),
                any(format!("BGP_PEER_GROUP|{vrf}|*")),
            ];
            if *vrf == "default" {
                // bgpcfgd's one-part keys are the default VRF's peers.
                c.push(Consumer { pattern: "BGP_NEIGHBOR|*".into(), when: When::KeyParts(2) });
            }
            c
        }
        // The instance's address families and redistribution go with it:
        // kept while its peers are, so a reverse never strips a shared
        // instance of its parts.
        ["BGP_GLOBALS_AF", vrf, _] | ["ROUTE_REDISTRIBUTE", vrf, ..] => consumers(&format!("BGP_GLOBALS|{vrf}")),
        // A peer group lives while neighbors are in it; its address
        // families are part of it.
        ["BGP_PEER_GROUP", vrf, group] => vec![field_is(&format!("BGP_NEIGHBOR|{vrf}|*"), "peer_group_name", group)],
        ["BGP_PEER_GROUP_AF", vrf, group, _] => consumers(&format!("BGP_PEER_GROUP|{vrf}|{group}")),
        // A VTEP lives while VNIs are mapped on it, and so does its NVO
        // (one VTEP per switch: every map is on it), so undoing one tenant
        // never strips a shared VTEP of its NVO.
        ["VXLAN_TUNNEL", vtep] => vec![any(format!("VXLAN_TUNNEL_MAP|{vtep}|*"))],
        ["VXLAN_EVPN_NVO", _] => vec![any("VXLAN_TUNNEL_MAP|*".to_string())],
        // A VNI's map lives while a VRF takes the VNI as its L3VNI.
        ["VXLAN_TUNNEL_MAP", _, map] => match map.strip_prefix("map_").and_then(|m| m.split('_').next()) {
            Some(vni) => vec![field_is("VRF|*", "vni", vni)],
            None => Vec::new(),
        },
        ["VLAN", vlan] => vec![
            any(format!("VLAN_MEMBER|{vlan}|*")),
            any(format!("VLAN_INTERFACE|{vlan}")),
            any(format!("VLAN_INTERFACE|{vlan}|*")),
            // DHCP relay, in both of SONiC's forms, and the DHCP server.
            Consumer { pattern: key.to_string(), when: When::OwnListNonEmpty("dhcp_servers@") },
            any(format!("DHCPV4_RELAY|{vlan}")),
            any(format!("DHCP_RELAY|{vlan}")),
            any(format!("DHCP_SERVER_IPV4|{vlan}")),
            field_is("VXLAN_TUNNEL_MAP|*", "vlan", vlan),
            any(format!("STP_VLAN|{vlan}")),
            any(format!("MCLAG_UNIQUE_IP|{vlan}")),
        ],
        // A relay row lives while it relays to someone's server.
        ["DHCP_RELAY", _] => vec![Consumer { pattern: key.to_string(), when: When::OwnListNonEmpty("dhcpv6_servers@") }],
        ["DHCPV4_RELAY", _] => vec![Consumer { pattern: key.to_string(), when: When::OwnListNonEmpty("dhcpv4_servers@") }],
        ["PORTCHANNEL", pc] => vec![
            any(format!("PORTCHANNEL_MEMBER|{pc}|*")),
            any(format!("PORTCHANNEL_INTERFACE|{pc}")),
            any(format!("PORTCHANNEL_INTERFACE|{pc}|*")),
            any(format!("VLAN_MEMBER|*|{pc}")),
            list_has("ACL_TABLE|*", "ports@", pc),
        ],
        // A prefix list lives while it has entries or a route map matches
        // it; a route map while it has statements or a neighbor applies it.
        ["PREFIX_SET", name] => vec![
            any(format!("PREFIX|{name}|*")),
            field_is("ROUTE_MAP|*", "match_prefix_set", name),
        ],
        ["ROUTE_MAP_SET", name] => vec![
            any(format!("ROUTE_MAP|{name}|*")),
            list_has("BGP_NEIGHBOR_AF|*", "route_map_in@", name),
            list_has("BGP_NEIGHBOR_AF|*", "route_map_out@", name),
            list_has("BGP_PEER_GROUP_AF|*", "route_map_in@", name),
            list_has("BGP_PEER_GROUP_AF|*", "route_map_out@", name),
        ],
        ["ACL_TABLE", table] => vec![
            any(format!("ACL_RULE|{table}|*")),
            Consumer { pattern: key.to_string(), when: When::OwnListNonEmpty("ports@") },
        ],
        // An interface's base row lives while it has addresses, and while
        // NTP sends from it (sonic-ntp.yang src_intf leafrefs).
        [table, name] if INTERFACE_TABLES.contains(table) => vec![
            any(format!("{table}|{name}|*")),
            Consumer { pattern: "NTP|global".into(), when: When::SemicolonListHas("src_intf", name.to_string()) },
        ],
        // An address lives while a BGP session, a syslog server's source
        // or the SNMP agent uses it (config/syslog.py and
        // `config snmpagentaddress` check the switch has it).
        [table, _, cidr] if INTERFACE_TABLES.contains(table) => {
            let ip = cidr.split('/').next().unwrap_or_default();
            vec![
                field_is("BGP_NEIGHBOR|*", "local_addr", ip),
                field_is("SYSLOG_SERVER|*", "source", ip),
                any(format!("SNMP_AGENT_ADDRESS_CONFIG|{ip}|*")),
            ]
        }
        _ => Vec::new(),
    }
}

/// Patterns to read so that [`users`] can answer for `key`.
pub fn reads(key: &str) -> Reads {
    let mut reads = Reads::default();
    for c in consumers(key) {
        reads.patterns.insert(c.pattern);
    }
    reads
}

/// Rows that still use `key`, in key order (empty: nothing does).
pub fn users(view: &View, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    for c in consumers(key) {
        for k in view.keys(&c.pattern) {
            let row = view.row(&k);
            let uses = match &c.when {
                When::Exists => k != key,
                When::FieldIs(field, value) => k != key && row.and_then(|r| r.get(*field)) == Some(value),
                When::OwnListNonEmpty(field) => {
                    k == key && row.and_then(|r| r.get(*field)).is_some_and(|v| !v.is_empty())
                }
                When::ListHas(field, value) => {
                    k != key && row.and_then(|r| r.get(*field)).is_some_and(|v| v.split(',').any(|item| item == value))
                }
                When::SemicolonListHas(field, value) => {
                    k != key && row.and_then(|r| r.get(*field)).is_some_and(|v| v.split(';').any(|item| item == value))
                }
                When::KeyParts(n) => k != key && k.split('|').count() == *n,
            };
            if uses {
                let item = match &c.when {
                    When::OwnListNonEmpty(field) => format!("{k} {field}={}", row.and_then(|r| r.get(*field)).cloned().unwrap_or_default()),
                    _ => k,
                };
                if !out.contains(&item) {
                    out.push(item);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::rows;

    #[test]
    fn vrf_users() {
        let view = View::new(rows(&[
            ("VRF|VrfRed", &[("NULL", "NULL")]),
            ("INTERFACE|Ethernet8", &[("vrf_name", "VrfRed")]),
            ("INTERFACE|Ethernet12", &[("vrf_name", "VrfBlue")]),
            ("BGP_NEIGHBOR|VrfRed|10.0.0.2", &[("asn", "65100")]),
        ]));
        assert_eq!(users(&view, "VRF|VrfRed"), ["INTERFACE|Ethernet8", "BGP_NEIGHBOR|VrfRed|10.0.0.2"]);
        assert!(users(&view, "VRF|VrfGreen").is_empty());
    }

    #[test]
    fn management_services_keep_their_sources() {
        let view = View::new(rows(&[
            ("LOOPBACK_INTERFACE|Loopback0", &[("NULL", "NULL")]),
            ("NTP|global", &[("src_intf", "eth0;Loopback0")]),
            ("SYSLOG_SERVER|10.0.0.50", &[("source", "10.1.0.5")]),
            ("SNMP_AGENT_ADDRESS_CONFIG|10.1.0.5||", &[("NULL", "NULL")]),
        ]));
        assert_eq!(users(&view, "LOOPBACK_INTERFACE|Loopback0"), ["NTP|global"]);
        assert!(users(&view, "LOOPBACK_INTERFACE|Loopback10").is_empty());
        assert_eq!(users(&view, "LOOPBACK_INTERFACE|Loopback0|10.1.0.5/32"), ["SYSLOG_SERVER|10.0.0.50", "SNMP_AGENT_ADDRESS_CONFIG|10.1.0.5||"]);
    }

    #[test]
    fn acl_table_users() {
        let view = View::new(rows(&[("ACL_TABLE|EDGE", &[("ports@", "Ethernet0,Ethernet4")])]));
        assert_eq!(users(&view, "ACL_TABLE|EDGE"), ["ACL_TABLE|EDGE ports@=Ethernet0,Ethernet4"]);
        let view = View::new(rows(&[("ACL_TABLE|EDGE", &[("type", "L3")]), ("ACL_RULE|EDGE|R1", &[("PRIORITY", "10")])]));
        assert_eq!(users(&view, "ACL_TABLE|EDGE"), ["ACL_RULE|EDGE|R1"]);
    }

    #[test]
    fn sonic_leafrefs_and_cli_checks_keep_what_others_use() {
        // config/vlan.py del_vlan: not while a VXLAN map or a DHCP relay uses the VLAN.
        let view = View::new(rows(&[
            ("VLAN|Vlan100", &[("vlanid", "100"), ("dhcp_servers@", "10.0.0.9")]),
            ("VXLAN_TUNNEL_MAP|vtep|map_10100_Vlan100", &[("vlan", "Vlan100"), ("vni", "10100")]),
            ("DHCPV4_RELAY|Vlan100", &[("dhcpv4_servers@", "10.0.0.9")]),
        ]));
        assert_eq!(users(&view, "VLAN|Vlan100"), [
            "VLAN|Vlan100 dhcp_servers@=10.0.0.9", "DHCPV4_RELAY|Vlan100", "VXLAN_TUNNEL_MAP|vtep|map_10100_Vlan100",
        ]);
        // sonic-syslog.yang and sonic-vlan-sub-interface.yang: leafrefs to a VRF.
        let view = View::new(rows(&[
            ("SYSLOG_SERVER|10.0.0.5", &[("vrf", "VrfMgmt2")]),
            ("VLAN_SUB_INTERFACE|Ethernet8.10", &[("vrf_name", "VrfMgmt2")]),
        ]));
        assert_eq!(users(&view, "VRF|VrfMgmt2"), ["VLAN_SUB_INTERFACE|Ethernet8.10", "SYSLOG_SERVER|10.0.0.5"]);
        // sonic-acl.yang: ports@ may name a PortChannel.
        let view = View::new(rows(&[("ACL_TABLE|EDGE", &[("ports@", "Ethernet0,PortChannel10")])]));
        assert_eq!(users(&view, "PORTCHANNEL|PortChannel10"), ["ACL_TABLE|EDGE"]);
        assert!(users(&view, "PORTCHANNEL|PortChannel1").is_empty());
    }

    #[test]
    fn address_users() {
        let view = View::new(rows(&[("BGP_NEIGHBOR|default|10.0.0.2", &[("local_addr", "10.0.0.1")])]));
        assert_eq!(users(&view, "INTERFACE|Ethernet8|10.0.0.1/31"), ["BGP_NEIGHBOR|default|10.0.0.2"]);
    }
}
