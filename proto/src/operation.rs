//! The operation contract: every operation a suite can run, declared once.
//!
//! Each declaration gives the wire name (as written in suite files and
//! service catalogues), the parameters it takes, how they are read into its
//! message, its static rules (what can be refused without a device), its
//! removal pairing (what `remove_service` turns it into), and its
//! catalogue summary. The suite parser, the service expansion, the
//! activities' registry and the generated `activities/OPERATIONS.md` all
//! read this table; planning applies the same static rules to a workflow
//! input that did not come from a file.
//!
//! Must never: look at a device. What only a device can tell (does the port
//! exist?) is the planning of `activities/src/ops/`.

use crate::params::Params;
use crate::v1::{
    operation::Op, AclBinding, AclRule, AclTable, AddVlanMember, BgpGlobals, BgpNeighbor, BgpPeerGroup, CreateVlan, DhcpRelay, Loopback, VniMap, Vtep, DeleteVlan, InterfaceAddress,
    PortChannel, PortChannelMember, PortProperties, RestoreRow, StaticRoute, SwitchportMode, TaggingMode, UndoStep, VlanInterface, Vrf,
    NtpGlobal, NtpServer, SnmpAgentAddress, SnmpCommunity, SnmpSystem, SyslogServer, AaaLogin, TacacsServer, PrefixListEntry,
    RouteMapStatement,
};
use crate::validate;
use crate::SourceError;

/// One operation of the catalogue.
#[derive(Debug)]
pub struct OperationDef {
    /// Wire name, e.g. `create_vlan`.
    pub name: &'static str,
    /// One line for the catalogue: what it does.
    pub summary: &'static str,
    /// Parameters it takes, in the order the docs list them.
    pub params: &'static [&'static str],
    /// What `remove_service` turns it into, if it can be removed.
    pub removal: Option<Removal>,
    /// A step using it, as a suite writes it (docs and tests).
    pub example: &'static str,
    /// Reads the parameters into the operation's message.
    pub(crate) parse: fn(&Params<'_>) -> Result<Op, SourceError>,
}

/// The removal of a forward operation.
#[derive(Debug, Clone, Copy)]
pub struct Removal {
    /// The removing operation, e.g. `delete_vlan`.
    pub op: &'static str,
    /// Parameters of the forward step that carry over.
    pub carries: &'static [&'static str],
    /// Whether the object may be shared (a VLAN, a VRF): the removal then
    /// keeps it while something else still uses it (`keep_if_used`).
    pub shared: bool,
}

/// A static rule broken: the parameter and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// Parameter of the step, e.g. `vlan_id`.
    pub field: &'static str,
    /// What is wrong and what was expected.
    pub message: String,
}

/// A static check's verdict on one parameter.
fn rule(field: &'static str, result: Result<impl Sized, String>) -> Result<(), FieldError> {
    result.map(|_| ()).map_err(|message| FieldError { field, message })
}

/// A rule for an optional text parameter: empty means not given.
fn optional(field: &'static str, value: &str, check: impl Fn(&str) -> Result<(), String>) -> Result<(), FieldError> {
    if value.is_empty() { Ok(()) } else { rule(field, check(value)) }
}

/// An integer in `min..=max`; 0 means not given when `optional`.
fn within(field: &'static str, n: u32, min: u32, max: u32, optional: bool) -> Result<(), FieldError> {
    if (optional && n == 0) || (min..=max).contains(&n) { Ok(()) } else {
        Err(FieldError { field, message: format!("{n} is out of range {min}..={max}") })
    }
}

fn refuse(field: &'static str, message: &str) -> Result<(), FieldError> {
    Err(FieldError { field, message: message.to_string() })
}

fn vlan(field: &'static str, id: u32) -> Result<(), FieldError> {
    rule(field, validate::vlan_id(id))
}

fn choice(field: &'static str, value: &str, choices: &[&str]) -> Result<(), FieldError> {
    optional(field, value, |v| validate::choice(v, choices))
}

fn vlan_interface(p: &VlanInterface) -> Result<(), FieldError> {
    vlan("vlan_id", p.vlan_id)?;
    if p.address.is_empty() && p.vrf.is_empty() {
        return refuse("address", "give an address, or a vrf to bind the VLAN's interface to without one (an L3VNI VLAN)");
    }
    optional("address", &p.address, |a| validate::cidr(a).map(drop))?;
    optional("vrf", &p.vrf, validate::vrf_ref)
}

fn vrf(p: &Vrf) -> Result<(), FieldError> {
    rule("name", validate::vrf(&p.name))?;
    within("vni", p.vni, 1, 16_777_215, true)
}

fn interface_address(p: &InterfaceAddress) -> Result<(), FieldError> {
    rule("interface", validate::interface(&p.interface))?;
    rule("address", validate::cidr(&p.address))?;
    optional("vrf", &p.vrf, validate::vrf_ref)
}

fn bgp_neighbor(p: &BgpNeighbor, adding: bool) -> Result<(), FieldError> {
    optional("vrf", &p.vrf, validate::vrf_ref)?;
    // An address, or an interface: BGP unnumbered (frrcfgd's
    // `neighbor <interface> interface`).
    let on_interface = p.neighbor.parse::<std::net::IpAddr>().is_err() && validate::interface(&p.neighbor).is_ok() && !p.neighbor.starts_with("Loopback");
    if !on_interface {
        rule("neighbor", validate::ip(&p.neighbor))?;
    } else if !p.local_addr.is_empty() {
        return refuse("local_addr", "a neighbor on an interface (BGP unnumbered) takes the interface's IPv6 link-local address; give no local_addr");
    }
    if adding {
        // A peer group may give the remote AS; without one the neighbor must.
        if p.remote_asn == 0 && p.peer_group.is_empty() {
            return refuse("remote_asn", "missing required parameter \"remote_asn\" (or name a peer_group that gives the remote AS)");
        }
        within("remote_asn", p.remote_asn, 1, u32::MAX - 1, true)?;
        optional("local_addr", &p.local_addr, |v| validate::ip(v).map(|_| ()))?;
        optional("peer_group", &p.peer_group, validate::peer_group)?;
        if !p.route_map_in.is_empty() {
            policy_name("route_map_in", &p.route_map_in)?;
        }
        if !p.route_map_out.is_empty() {
            policy_name("route_map_out", &p.route_map_out)?;
        }
    }
    choice("address_family", &p.address_family, &["ipv4_unicast", "ipv6_unicast", "l2vpn_evpn"])
}

/// Address families a VRF's BGP instance takes (frrcfgd's BGP_GLOBALS_AF keys).
pub const BGP_ADDRESS_FAMILIES: &[&str] = &["ipv4_unicast", "ipv6_unicast", "l2vpn_evpn"];
/// Protocols redistributed into BGP (ROUTE_REDISTRIBUTE src_protocol).
pub const BGP_REDISTRIBUTE: &[&str] = &["connected", "static"];

/// Items of a comma-separated parameter.
pub fn list_items(value: &str) -> Vec<&str> {
    value.split(',').map(str::trim).filter(|v| !v.is_empty()).collect()
}

/// A tunnel or NVO name: 1..=15 letters, digits, '_' or '-' (an interface name).
fn tunnel_name(field: &'static str, name: &str) -> Result<(), FieldError> {
    if name.is_empty() || (name.len() <= 15 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
        Ok(())
    } else {
        refuse(field, &format!("{name:?} is not a tunnel name; use 1..15 letters, digits, '_' or '-'"))
    }
}

fn vtep(p: &Vtep, adding: bool) -> Result<(), FieldError> {
    tunnel_name("name", &p.name)?;
    tunnel_name("nvo", &p.nvo)?;
    if adding {
        match validate::ip(&p.src_ip).map_err(|message| FieldError { field: "src_ip", message })? {
            std::net::IpAddr::V4(_) => {}
            std::net::IpAddr::V6(_) => return refuse("src_ip", "a VTEP's source is an IPv4 address (sonic-vxlan.yang src_ip)"),
        }
    }
    Ok(())
}

fn vni_map(p: &VniMap) -> Result<(), FieldError> {
    tunnel_name("vtep", &p.vtep)?;
    // sonic-vxlan.yang: vni 1..16777215.
    within("vni", p.vni, 1, 16_777_215, false)?;
    vlan("vlan_id", p.vlan_id)
}

fn dhcp_relay(p: &DhcpRelay) -> Result<(), FieldError> {
    vlan("vlan_id", p.vlan_id)?;
    let servers = list_items(&p.servers);
    if servers.is_empty() {
        return refuse("servers", "name at least one DHCP server address");
    }
    for server in &servers {
        rule("servers", validate::ip(server))?;
    }
    // The CLI refuses a server named twice in one add.
    if let Some(twice) = servers.iter().enumerate().find(|(i, s)| servers[..*i].contains(s)).map(|(_, s)| s) {
        return refuse("servers", &format!("{twice} is named twice"));
    }
    Ok(())
}

fn ntp_server(p: &NtpServer) -> Result<(), FieldError> {
    rule("server", validate::ip(&p.server))?;
    choice("association_type", &p.association_type, &["server", "pool"])
}

fn ntp_global(p: &NtpGlobal, setting: bool) -> Result<(), FieldError> {
    if setting && p.src_intf.is_empty() && p.vrf.is_empty() {
        return refuse("src_intf", "set src_intf, vrf or both");
    }
    for name in list_items(&p.src_intf) {
        if name != "eth0" {
            rule("src_intf", validate::interface(name))?;
        }
    }
    choice("vrf", &p.vrf, &["default", "mgmt"])
}

fn syslog_server(p: &SyslogServer) -> Result<(), FieldError> {
    let server = validate::ip(&p.server).map_err(|message| FieldError { field: "server", message })?;
    if !p.source.is_empty() {
        let source = validate::ip(&p.source).map_err(|message| FieldError { field: "source", message })?;
        if source.is_ipv4() != server.is_ipv4() {
            return refuse("source", &format!("{} and the server {} are of different address families (sonic-syslog.yang)", p.source, p.server));
        }
        if source.is_loopback() || source.is_multicast() {
            return refuse("source", &format!("{} is a loopback or multicast address; use one of the switch's interface addresses", p.source));
        }
    }
    within("port", p.port, 1, 65_535, true)?;
    if !p.vrf.is_empty() && p.vrf != "default" && p.vrf != "mgmt" {
        rule("vrf", validate::vrf(&p.vrf))?;
    }
    choice("severity", &p.severity, &["none", "debug", "info", "notice", "warn", "error", "crit"])?;
    choice("protocol", &p.protocol, &["udp", "tcp"])
}

fn snmp_community(p: &SnmpCommunity) -> Result<(), FieldError> {
    // sonic-snmp.yang: 4..32, no space @ , \ ' (the CLI also refuses :).
    let n = p.name.chars().count();
    if !(4..=32).contains(&n) || p.name.chars().any(|c| " @,\\':".contains(c)) {
        return refuse("name", &format!("{:?} is not an SNMP community name: 4 to 32 characters, none of space @ , \\ ' :", p.name));
    }
    choice("type", &p.r#type, &["RO", "RW"])
}

fn snmp_agent_address(p: &SnmpAgentAddress) -> Result<(), FieldError> {
    rule("address", validate::ip(&p.address))?;
    within("port", p.port, 1, 65_535, true)?;
    if !p.vrf.is_empty() && p.vrf != "mgmt" {
        rule("vrf", validate::vrf(&p.vrf))?;
    }
    Ok(())
}

fn snmp_system(p: &SnmpSystem, setting: bool) -> Result<(), FieldError> {
    if setting && p.location.is_empty() && p.contact.is_empty() {
        return refuse("location", "set location, contact or both");
    }
    for (field, text) in [("location", &p.location), ("contact", &p.contact)] {
        if text.chars().count() > 255 {
            return refuse(field, "is longer than 255 characters (sonic-snmp.yang)");
        }
    }
    Ok(())
}

fn tacacs_server(p: &TacacsServer) -> Result<(), FieldError> {
    rule("address", validate::ip(&p.address))?;
    within("priority", p.priority, 1, 64, true)?;
    within("tcp_port", p.tcp_port, 1, 65_535, true)?;
    within("timeout", p.timeout, 1, 60, true)?;
    choice("auth_type", &p.auth_type, &["pap", "chap", "mschap", "login"])?;
    choice("vrf", &p.vrf, &["mgmt", "default"])
}

fn aaa_login(p: &AaaLogin, setting: bool) -> Result<(), FieldError> {
    choice("failthrough", &p.failthrough, &["true", "false"])?;
    if !setting {
        return Ok(());
    }
    let methods = list_items(&p.login);
    for m in &methods {
        rule("login", validate::choice(m, &["local", "tacacs+", "radius", "ldap"]))?;
    }
    // config/aaa.py: one method, or two of which one is local.
    match methods.as_slice() {
        [] => refuse("login", "name the login methods, e.g. \"tacacs+,local\""),
        [_] => Ok(()),
        [a, b] if (*a == "local") != (*b == "local") => Ok(()),
        _ => refuse("login", &format!("{:?}: one method, or two of which one is local (as SONiC's CLI takes them)", p.login)),
    }
}

/// A route policy object's name: frrcfgd passes it to vtysh.
fn policy_name(field: &'static str, name: &str) -> Result<(), FieldError> {
    if !name.is_empty() && name.len() <= 63 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        Ok(())
    } else {
        refuse(field, &format!("{name:?} is not a policy name: 1 to 63 letters, digits, _ and -"))
    }
}

fn prefix_list_entry(p: &PrefixListEntry) -> Result<(), FieldError> {
    policy_name("name", &p.name)?;
    let (addr, len) = validate::network(&p.prefix).map_err(|message| FieldError { field: "prefix", message })?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if !p.range.is_empty() && p.range != "exact" {
        let bounds = p.range.split_once("..").and_then(|(a, b)| Some((a.parse::<u8>().ok()?, b.parse::<u8>().ok()?)));
        match bounds {
            Some((lo, hi)) if len <= lo && lo <= hi && hi <= max => {}
            _ => return refuse("range", &format!("{:?}: exact, or <min>..<max> with {len} <= min <= max <= {max} (the prefix's length and its family's)", p.range)),
        }
    }
    choice("action", &p.action, &["permit", "deny"])
}

fn route_map_statement(p: &RouteMapStatement, adding: bool) -> Result<(), FieldError> {
    policy_name("name", &p.name)?;
    within("seq", p.seq, 1, 65_535, false)?;
    if !adding {
        return Ok(());
    }
    choice("action", &p.action, &["permit", "deny"])?;
    if !p.match_prefix_list.is_empty() {
        policy_name("match_prefix_list", &p.match_prefix_list)?;
    }
    for c in list_items(&p.set_community) {
        let known = ["no-export", "no-advertise", "local-AS", "internet", "graceful-shutdown", "blackhole", "no-peer"].contains(&c);
        let pair = c.split_once(':').is_some_and(|(a, b)| a.parse::<u16>().is_ok() && b.parse::<u16>().is_ok());
        if !known && !pair {
            return refuse("set_community", &format!("{c:?} is not a community: AA:NN or a well-known name (no-export, no-advertise, ...)"));
        }
    }
    Ok(())
}

fn loopback_name(name: &str) -> Result<(), FieldError> {
    if name.strip_prefix("Loopback").is_some_and(|n| !n.is_empty() && n.len() <= 4 && n.chars().all(|c| c.is_ascii_digit())) {
        Ok(())
    } else {
        refuse("name", &format!("{name:?} is not a loopback name; expected LoopbackN (N up to 4 digits)"))
    }
}

fn bgp_globals(p: &BgpGlobals, adding: bool) -> Result<(), FieldError> {
    optional("vrf", &p.vrf, validate::vrf_ref)?;
    if !adding {
        return Ok(());
    }
    rule("local_asn", validate::asn(p.local_asn))?;
    optional("router_id", &p.router_id, |v| match validate::ip(v)? {
        std::net::IpAddr::V4(_) => Ok(()),
        std::net::IpAddr::V6(_) => Err(format!("router id {v} must be an IPv4 address (a BGP identifier is 32 bits)")),
    })?;
    for af in list_items(&p.address_families) {
        rule("address_families", validate::choice(af, BGP_ADDRESS_FAMILIES))?;
    }
    for proto in list_items(&p.redistribute) {
        rule("redistribute", validate::choice(proto, BGP_REDISTRIBUTE))?;
    }
    Ok(())
}

fn bgp_peer_group(p: &BgpPeerGroup, adding: bool) -> Result<(), FieldError> {
    optional("vrf", &p.vrf, validate::vrf_ref)?;
    rule("name", validate::peer_group(&p.name))?;
    if !adding {
        return Ok(());
    }
    within("remote_asn", p.remote_asn, 1, u32::MAX - 1, true)?;
    optional("description", &p.description, validate::description)?;
    for af in list_items(&p.address_families) {
        rule("address_families", validate::choice(af, BGP_ADDRESS_FAMILIES))?;
    }
    Ok(())
}

fn read_bgp_peer_group(p: &Params<'_>, adding: bool) -> Result<BgpPeerGroup, SourceError> {
    Ok(BgpPeerGroup {
        vrf: p.text_opt("vrf")?,
        name: p.text("name")?,
        remote_asn: if adding { p.int_opt("remote_asn")? } else { 0 },
        description: if adding { p.text_opt("description")? } else { String::new() },
        address_families: p.text_opt("address_families")?,
        keep_if_used: p.flag("keep_if_used")?,
    })
}

fn read_bgp_globals(p: &Params<'_>, adding: bool) -> Result<BgpGlobals, SourceError> {
    Ok(BgpGlobals {
        vrf: p.text_opt("vrf")?,
        local_asn: if adding { p.int("local_asn")? } else { 0 },
        router_id: p.text_opt("router_id")?,
        address_families: p.text_opt("address_families")?,
        redistribute: p.text_opt("redistribute")?,
        keep_if_used: p.flag("keep_if_used")?,
    })
}

fn static_route(p: &StaticRoute, adding: bool) -> Result<(), FieldError> {
    optional("vrf", &p.vrf, validate::vrf_ref)?;
    let (prefix, _) = validate::network(&p.prefix).map_err(|message| FieldError { field: "prefix", message })?;
    if !adding {
        return Ok(());
    }
    let hops: Vec<&str> = p.nexthop.split(',').map(str::trim).filter(|h| !h.is_empty()).collect();
    for hop in &hops {
        let addr = validate::ip(hop).map_err(|message| FieldError { field: "nexthop", message })?;
        if addr.is_ipv4() != prefix.is_ipv4() {
            return refuse("nexthop", &format!("next hop {hop} is not of the prefix's address family ({}); bgpcfgd installs no such route", p.prefix));
        }
    }
    if hops.is_empty() && p.ifname.is_empty() {
        return refuse("nexthop", "a route needs a nexthop or an ifname");
    }
    // bgpcfgd (managers_static_rt.py) pairs the nexthop, ifname and
    // distance lists element by element and installs nothing when their
    // lengths differ: one ifname cannot go with several next hops.
    if hops.len() > 1 && !p.ifname.is_empty() {
        return refuse("ifname", &format!("one ifname with {} next hops: bgpcfgd needs one ifname per next hop and installs no route otherwise; \
            give one next hop, or leave ifname out", hops.len()));
    }
    if !p.ifname.is_empty() {
        rule("ifname", validate::interface(&p.ifname))?;
    }
    within("distance", p.distance, 1, 255, true)
}

/// ACL table types whose rules switchyard writes as ASIC rules
/// (PACKET_ACTION and the match fields): sonic-types.yang's `acl_table_type`.
const ACL_TYPES: &[&str] = &["L3", "L3V6", "L3V4V6", "L2"];

fn acl_table(p: &AclTable) -> Result<(), FieldError> {
    rule("name", validate::acl_name(&p.name))?;
    match p.r#type.as_str() {
        "PFCWD" => return refuse("type", "PFCWD is not an ACL table type in SONiC's YANG (sonic-types.yang acl_table_type); PFC watchdog tables are the switch's own"),
        "MIRROR" | "MIRRORV6" => return refuse("type", &format!("{} tables need rules with MIRROR_INGRESS_ACTION or MIRROR_EGRESS_ACTION and a mirror session, \
            which switchyard does not write; a rule with PACKET_ACTION is ignored by orchagent. Expected one of: {}", p.r#type, ACL_TYPES.join(", "))),
        // sonic-acl.yang: a CTRLPLANE table must name its services (caclmgrd
        // turns them into the switch's own iptables rules).
        "CTRLPLANE" if list_items(&p.services).is_empty() => return refuse("services",
            &format!("a CTRLPLANE table needs services (one or more of {}), SONiC's YANG refuses it without", CTRLPLANE_SERVICES.join(", "))),
        "CTRLPLANE" => {
            for service in list_items(&p.services) {
                choice("services", service, CTRLPLANE_SERVICES)?;
            }
        }
        _ => {
            choice("type", &p.r#type, ACL_TYPES)?;
            if !p.services.is_empty() {
                return refuse("services", "only CTRLPLANE tables take services");
            }
        }
    }
    choice("stage", &p.stage, &["ingress", "egress"])?;
    if p.r#type == "CTRLPLANE" && p.stage == "egress" {
        return refuse("stage", "CTRLPLANE tables filter traffic to the switch itself: ingress only");
    }
    optional("description", &p.description, validate::description)
}

/// The services caclmgrd filters for a CTRLPLANE table.
const CTRLPLANE_SERVICES: &[&str] = &["SSH", "SNMP", "NTP", "EXTERNAL_CLIENT"];

/// aclorch's IP_TYPE values (aclorch.cpp ipTypeLookup).
const IP_TYPES: &[&str] = &["ANY", "IP", "NON_IP", "IPV4ANY", "NON_IPv4", "IPV6ANY", "NON_IPv6", "ARP", "ARP_REQUEST", "ARP_REPLY"];

fn acl_rule(p: &AclRule, adding: bool) -> Result<(), FieldError> {
    rule("table", validate::acl_name(&p.table))?;
    rule("rule", validate::acl_name(&p.rule))?;
    if !adding {
        return Ok(());
    }
    within("priority", p.priority, 1, 999_999, false)?;
    choice("action", &p.action, &["FORWARD", "DROP", "ACCEPT"])?;
    let family = |field: &'static str, value: &str| -> Result<Option<bool>, FieldError> {
        if value.is_empty() {
            return Ok(None);
        }
        validate::cidr(value).map(|(a, _)| Some(a.is_ipv4())).map_err(|message| FieldError { field, message })
    };
    let (src, dst) = (family("src_ip", &p.src_ip)?, family("dst_ip", &p.dst_ip)?);
    if let (Some(src), Some(dst)) = (src, dst)
        && src != dst
    {
        return refuse("dst_ip", "src_ip and dst_ip are of different address families; one rule matches one family");
    }
    // sonic-acl.yang.j2: IP_PROTOCOL is 1..143.
    within("ip_protocol", p.ip_protocol, 1, 143, true)?;
    within("l4_src_port", p.l4_src_port, 0, 65_535, true)?;
    within("l4_dst_port", p.l4_dst_port, 0, 65_535, true)?;
    // sonic-acl.yang: a port and a port range are one choice.
    for (range, single, port) in [("l4_src_port_range", &p.l4_src_port_range, p.l4_src_port), ("l4_dst_port_range", &p.l4_dst_port_range, p.l4_dst_port)] {
        if single.is_empty() {
            continue;
        }
        rule(range, validate::port_range(single))?;
        if port > 0 {
            return refuse(range, &format!("give {} or {range}, not both (SONiC's YANG takes one)", range.trim_end_matches("_range")));
        }
    }
    optional("ether_type", &p.ether_type, |t| validate::ether_type(t).map(|_| ()))?;
    if !p.ip_type.is_empty() {
        choice("ip_type", &p.ip_type, IP_TYPES)?;
        // An address of one family under an IP type of the other never matches.
        let v4_only = ["IPV4ANY", "NON_IPv6"].contains(&p.ip_type.as_str());
        let v6_only = ["IPV6ANY", "NON_IPv4"].contains(&p.ip_type.as_str());
        let non_ip = ["NON_IP", "ARP", "ARP_REQUEST", "ARP_REPLY"].contains(&p.ip_type.as_str());
        for is_v4 in [src, dst].into_iter().flatten() {
            if non_ip || (v4_only && !is_v4) || (v6_only && is_v4) {
                return refuse("ip_type", &format!("ip_type {} does not match the rule's {} addresses; the rule would never match", p.ip_type, if is_v4 { "IPv4" } else { "IPv6" }));
            }
        }
    }
    if !p.tcp_flags.is_empty() {
        rule("tcp_flags", validate::tcp_flags(&p.tcp_flags))?;
        if p.ip_protocol != 0 && p.ip_protocol != 6 {
            return refuse("tcp_flags", &format!("TCP flags match TCP (ip_protocol 6), not ip_protocol {}", p.ip_protocol));
        }
    }
    // aclorch (AclRulePacket::validate) refuses a rule that matches nothing.
    let matches = [&p.src_ip, &p.dst_ip, &p.ether_type, &p.ip_type, &p.tcp_flags, &p.l4_src_port_range, &p.l4_dst_port_range];
    if matches.iter().all(|m| m.is_empty()) && p.ip_protocol == 0 && p.l4_src_port == 0 && p.l4_dst_port == 0 {
        return refuse("rule", "a rule needs at least one match (src_ip, dst_ip, ip_protocol, l4_src_port, l4_dst_port, their ranges, ether_type, ip_type or tcp_flags); \
            orchagent refuses a rule that matches nothing");
    }
    Ok(())
}

fn acl_binding(p: &AclBinding) -> Result<(), FieldError> {
    rule("table", validate::acl_name(&p.table))?;
    rule("port", validate::port(&p.port))
}

fn portchannel(p: &PortChannel) -> Result<(), FieldError> {
    rule("name", validate::portchannel(&p.name))?;
    within("mtu", p.mtu, 68, 9216, true)?;
    within("min_links", p.min_links, 1, 1024, true)?;
    choice("admin_status", &p.admin_status, &["up", "down"])
}

fn portchannel_member(p: &PortChannelMember) -> Result<(), FieldError> {
    rule("portchannel", validate::portchannel(&p.portchannel))?;
    rule("port", validate::ethernet(&p.port))
}

fn port_properties(p: &PortProperties) -> Result<(), FieldError> {
    rule("port", validate::ethernet(&p.port))?;
    if p.mtu > 0 {
        rule("mtu", validate::mtu(p.mtu))?;
    }
    choice("admin_status", &p.admin_status, &["up", "down"])?;
    if p.speed > 0 {
        rule("speed", validate::speed(p.speed))?;
    }
    optional("description", &p.description, validate::description)?;
    if p.mtu == 0 && p.admin_status.is_empty() && p.description.is_empty() && p.speed == 0 {
        return refuse("port", "nothing to set: give mtu, admin_status, description or speed");
    }
    Ok(())
}

fn tagging_mode(p: &Params<'_>) -> Result<i32, SourceError> {
    let mode = p.text_opt("tagging_mode")?;
    Ok(match mode.as_str() {
        "" | "untagged" => TaggingMode::Untagged,
        "tagged" => TaggingMode::Tagged,
        other => return Err(p.bad("tagging_mode", format!("{other:?} is not a tagging mode; expected untagged or tagged"))),
    } as i32)
}

fn read_vlan_interface(p: &Params<'_>) -> Result<VlanInterface, SourceError> {
    Ok(VlanInterface { vlan_id: p.int("vlan_id")?, address: p.text_opt("address")?, vrf: p.text_opt("vrf")? })
}

fn read_vrf(p: &Params<'_>) -> Result<Vrf, SourceError> {
    Ok(Vrf { name: p.text("name")?, vni: p.int_opt("vni")?, keep_if_used: p.flag("keep_if_used")? })
}

fn read_interface_address(p: &Params<'_>) -> Result<InterfaceAddress, SourceError> {
    Ok(InterfaceAddress { interface: p.text("interface")?, address: p.text("address")?, vrf: p.text_opt("vrf")? })
}

fn read_bgp_neighbor(p: &Params<'_>, adding: bool) -> Result<BgpNeighbor, SourceError> {
    Ok(BgpNeighbor {
        vrf: p.text_opt("vrf")?,
        neighbor: p.text("neighbor")?,
        remote_asn: if adding { p.int_opt("remote_asn")? } else { 0 },
        local_addr: p.text_opt("local_addr")?,
        description: p.text_opt("description")?,
        address_family: p.text_opt("address_family")?,
        peer_group: if adding { p.text_opt("peer_group")? } else { String::new() },
        route_map_in: if adding { p.text_opt("route_map_in")? } else { String::new() },
        route_map_out: if adding { p.text_opt("route_map_out")? } else { String::new() },
    })
}

fn read_static_route(p: &Params<'_>) -> Result<StaticRoute, SourceError> {
    Ok(StaticRoute {
        vrf: p.text_opt("vrf")?,
        prefix: p.text("prefix")?,
        nexthop: p.text_opt("nexthop")?,
        ifname: p.text_opt("ifname")?,
        distance: p.int_opt("distance")?,
    })
}

fn read_acl_table(p: &Params<'_>) -> Result<AclTable, SourceError> {
    Ok(AclTable {
        name: p.text("name")?,
        r#type: p.text_opt("type")?,
        stage: p.text_opt("stage")?,
        description: p.text_opt("description")?,
        keep_if_used: p.flag("keep_if_used")?,
        services: p.text_opt("services")?.to_uppercase(),
    })
}

fn read_acl_rule(p: &Params<'_>, adding: bool) -> Result<AclRule, SourceError> {
    Ok(AclRule {
        table: p.text("table")?,
        rule: p.text("rule")?,
        priority: if adding { p.int("priority")? } else { 0 },
        // SONiC spells actions in capitals; operators need not.
        action: p.text_opt("action")?.to_uppercase(),
        src_ip: p.text_opt("src_ip")?,
        dst_ip: p.text_opt("dst_ip")?,
        ip_protocol: p.int_opt("ip_protocol")?,
        l4_src_port: p.int_opt("l4_src_port")?,
        l4_dst_port: p.int_opt("l4_dst_port")?,
        ether_type: p.text_opt("ether_type")?,
        ip_type: p.text_opt("ip_type")?.to_uppercase().replace("NON_IPV", "NON_IPv"),
        tcp_flags: p.text_opt("tcp_flags")?,
        l4_src_port_range: p.text_opt("l4_src_port_range")?,
        l4_dst_port_range: p.text_opt("l4_dst_port_range")?,
    })
}

fn read_acl_binding(p: &Params<'_>) -> Result<AclBinding, SourceError> {
    Ok(AclBinding { table: p.text("table")?, port: p.text("port")? })
}

fn read_portchannel(p: &Params<'_>) -> Result<PortChannel, SourceError> {
    Ok(PortChannel {
        name: p.text("name")?,
        mtu: p.int_opt("mtu")?,
        min_links: p.int_opt("min_links")?,
        admin_status: p.text_opt("admin_status")?,
        keep_if_used: p.flag("keep_if_used")?,
        fast_rate: p.flag("fast_rate")?,
    })
}

fn read_portchannel_member(p: &Params<'_>) -> Result<PortChannelMember, SourceError> {
    Ok(PortChannelMember { portchannel: p.text("portchannel")?, port: p.text("port")? })
}

/// Declares the catalogue: one entry per operation, each with its `Op`
/// variant, and generates the table and the per-variant lookups, so that an
/// operation missing anywhere is a compile error rather than a gap.
macro_rules! operations {
    ($(
        $variant:ident $name:literal {
            summary: $summary:literal,
            params: [$($param:literal),* $(,)?],
            removal: $removal:expr,
            example: $example:literal,
            read: |$p:ident| $read:expr,
            rules: |$o:ident| $rules:expr $(,)?
        }
    )*) => {
        /// Every operation a suite can run, in catalogue order.
        pub const OPERATIONS: &[OperationDef] = &[$(
            OperationDef {
                name: $name,
                summary: $summary,
                params: &[$($param),*],
                removal: $removal,
                example: $example,
                parse: |$p: &Params<'_>| -> Result<Op, SourceError> { Ok(Op::$variant($read)) },
            },
        )*];

        /// The wire name of an operation.
        pub fn name(op: &Op) -> &'static str {
            match op { $(Op::$variant(_) => $name,)* }
        }

        /// Checks an operation's static rules: everything that can be
        /// refused without a device. The parser reports a broken rule at
        /// the parameter's line; planning refuses it on a hand-made input.
        pub fn check(op: &Op) -> Result<(), FieldError> {
            match op { $(Op::$variant($o) => $rules,)* }
        }
    };
}

operations! {
    CreateVlan "create_vlan" {
        summary: "Create a VLAN, or reuse it (updating its description) when it exists.",
        params: ["vlan_id", "description"],
        removal: Some(Removal { op: "delete_vlan", carries: &["vlan_id"], shared: true }),
        example: "{ vlan_id: 100, description: tenant-a }",
        read: |p| CreateVlan { vlan_id: p.int("vlan_id")?, description: p.text_opt("description")? },
        rules: |o| { vlan("vlan_id", o.vlan_id)?; optional("description", &o.description, validate::description) },
    }
    DeleteVlan "delete_vlan" {
        summary: "Delete a VLAN that no member or VLAN interface uses.",
        params: ["vlan_id", "keep_if_used"],
        removal: None,
        example: "{ vlan_id: 100 }",
        read: |p| DeleteVlan { vlan_id: p.int("vlan_id")?, keep_if_used: p.flag("keep_if_used")? },
        rules: |o| vlan("vlan_id", o.vlan_id),
    }
    AddVlanMember "add_vlan_member" {
        summary: "Make a port or PortChannel a tagged or untagged member of a VLAN.",
        params: ["vlan_id", "port", "tagging_mode"],
        removal: Some(Removal { op: "remove_vlan_member", carries: &["vlan_id", "port"], shared: false }),
        example: "{ vlan_id: 100, port: Ethernet8, tagging_mode: untagged }",
        read: |p| AddVlanMember { vlan_id: p.int("vlan_id")?, port: p.text("port")?, tagging_mode: tagging_mode(p)? },
        rules: |o| { vlan("vlan_id", o.vlan_id)?; rule("port", validate::port(&o.port)) },
    }
    RemoveVlanMember "remove_vlan_member" {
        summary: "Remove a port or PortChannel from a VLAN.",
        params: ["vlan_id", "port"],
        removal: None,
        example: "{ vlan_id: 100, port: Ethernet8 }",
        read: |p| AddVlanMember { vlan_id: p.int("vlan_id")?, port: p.text("port")?, tagging_mode: 0 },
        rules: |o| { vlan("vlan_id", o.vlan_id)?; rule("port", validate::port(&o.port)) },
    }
    AddVlanInterface "add_vlan_interface" {
        summary: "Give a VLAN a routed interface (SVI) with an address, optionally in a VRF; without an address, only bind it to a VRF (an EVPN L3VNI VLAN).",
        params: ["vlan_id", "address", "vrf"],
        removal: Some(Removal { op: "remove_vlan_interface", carries: &["vlan_id", "address", "vrf"], shared: false }),
        example: "{ vlan_id: 100, address: 10.0.100.1/24 }",
        read: |p| read_vlan_interface(p)?,
        rules: |o| vlan_interface(o),
    }
    RemoveVlanInterface "remove_vlan_interface" {
        summary: "Remove an SVI address, and the SVI once it has none; an SVI bound to a VRF keeps its binding unless `vrf` names that VRF.",
        params: ["vlan_id", "address", "vrf"],
        removal: None,
        example: "{ vlan_id: 100, address: 10.0.100.1/24 }",
        read: |p| read_vlan_interface(p)?,
        rules: |o| vlan_interface(o),
    }
    CreateVrf "create_vrf" {
        summary: "Create a VRF, or reuse it when it exists.",
        params: ["name", "vni"],
        removal: Some(Removal { op: "delete_vrf", carries: &["name"], shared: true }),
        example: "{ name: VrfRed }",
        read: |p| read_vrf(p)?,
        rules: |o| vrf(o),
    }
    DeleteVrf "delete_vrf" {
        summary: "Delete a VRF that no interface, BGP neighbor or route uses.",
        params: ["name", "keep_if_used"],
        removal: None,
        example: "{ name: VrfRed }",
        read: |p| read_vrf(p)?,
        rules: |o| vrf(o),
    }
    AddInterfaceAddress "add_interface_address" {
        summary: "Give a routed port, PortChannel or Loopback an address, optionally in a VRF.",
        params: ["interface", "address", "vrf"],
        removal: Some(Removal { op: "remove_interface_address", carries: &["interface", "address", "vrf"], shared: false }),
        example: "{ interface: Ethernet8, address: 10.0.0.1/31, vrf: VrfRed }",
        read: |p| read_interface_address(p)?,
        rules: |o| interface_address(o),
    }
    RemoveInterfaceAddress "remove_interface_address" {
        summary: "Remove an address from a routed port, PortChannel or Loopback, and its base row once bare; a VRF-bound interface keeps its binding unless `vrf` names that VRF.",
        params: ["interface", "address", "vrf"],
        removal: None,
        example: "{ interface: Ethernet8, address: 10.0.0.1/31 }",
        read: |p| read_interface_address(p)?,
        rules: |o| interface_address(o),
    }
    AddBgpNeighbor "add_bgp_neighbor" {
        summary: "Add a BGP neighbor in a VRF whose BGP instance exists, with its address family (frrcfgd) in the key form the device's BGP daemon reads.",
        params: ["vrf", "neighbor", "remote_asn", "local_addr", "description", "address_family", "peer_group", "route_map_in", "route_map_out"],
        removal: Some(Removal { op: "remove_bgp_neighbor", carries: &["vrf", "neighbor", "address_family"], shared: false }),
        example: "{ vrf: VrfRed, neighbor: 10.0.0.0, remote_asn: 65100 }",
        read: |p| read_bgp_neighbor(p, true)?,
        rules: |o| bgp_neighbor(o, true),
    }
    RemoveBgpNeighbor "remove_bgp_neighbor" {
        summary: "Remove a BGP neighbor and its address family rows.",
        params: ["vrf", "neighbor", "address_family"],
        removal: None,
        example: "{ vrf: VrfRed, neighbor: 10.0.0.0 }",
        read: |p| read_bgp_neighbor(p, false)?,
        rules: |o| bgp_neighbor(o, false),
    }
    AddStaticRoute "add_static_route" {
        summary: "Add a static route (next hops, optional interface and distance) in a VRF.",
        params: ["vrf", "prefix", "nexthop", "ifname", "distance"],
        removal: Some(Removal { op: "remove_static_route", carries: &["vrf", "prefix"], shared: false }),
        example: "{ vrf: VrfRed, prefix: 10.9.0.0/16, nexthop: 10.0.0.0 }",
        read: |p| read_static_route(p)?,
        rules: |o| static_route(o, true),
    }
    RemoveStaticRoute "remove_static_route" {
        summary: "Remove a static route.",
        params: ["vrf", "prefix"],
        removal: None,
        example: "{ vrf: VrfRed, prefix: 10.9.0.0/16 }",
        read: |p| read_static_route(p)?,
        rules: |o| static_route(o, false),
    }
    CreateAclTable "create_acl_table" {
        summary: "Create an ACL table (type, stage, description; services for CTRLPLANE), or reuse it when it exists.",
        params: ["name", "type", "stage", "description", "services"],
        removal: Some(Removal { op: "delete_acl_table", carries: &["name"], shared: true }),
        example: "{ name: TENANT_IN, type: L3, stage: ingress }",
        read: |p| read_acl_table(p)?,
        rules: |o| acl_table(o),
    }
    DeleteAclTable "delete_acl_table" {
        summary: "Delete an ACL table that has no rules and is bound to no port.",
        params: ["name", "keep_if_used"],
        removal: None,
        example: "{ name: TENANT_IN }",
        read: |p| read_acl_table(p)?,
        rules: |o| acl_table(o),
    }
    AddAclRule "add_acl_rule" {
        summary: "Add a rule (priority, action, match fields) to an existing ACL table.",
        params: ["table", "rule", "priority", "action", "src_ip", "dst_ip", "ip_protocol", "l4_src_port", "l4_dst_port",
            "l4_src_port_range", "l4_dst_port_range", "ether_type", "ip_type", "tcp_flags"],
        removal: Some(Removal { op: "remove_acl_rule", carries: &["table", "rule"], shared: false }),
        example: "{ table: TENANT_IN, rule: ALLOW_WEB, priority: 100, action: forward, dst_ip: 10.1.0.0/16, ip_protocol: 6, l4_dst_port: 443 }",
        read: |p| read_acl_rule(p, true)?,
        rules: |o| acl_rule(o, true),
    }
    RemoveAclRule "remove_acl_rule" {
        summary: "Remove a rule from an ACL table.",
        params: ["table", "rule"],
        removal: None,
        example: "{ table: TENANT_IN, rule: ALLOW_WEB }",
        read: |p| read_acl_rule(p, false)?,
        rules: |o| acl_rule(o, false),
    }
    BindAclTable "bind_acl_table" {
        summary: "Bind an ACL table to a port (adds the port to the table's ports@).",
        params: ["table", "port"],
        removal: Some(Removal { op: "unbind_acl_table", carries: &["table", "port"], shared: false }),
        example: "{ table: TENANT_IN, port: Ethernet8 }",
        read: |p| read_acl_binding(p)?,
        rules: |o| acl_binding(o),
    }
    UnbindAclTable "unbind_acl_table" {
        summary: "Unbind an ACL table from a port.",
        params: ["table", "port"],
        removal: None,
        example: "{ table: TENANT_IN, port: Ethernet8 }",
        read: |p| read_acl_binding(p)?,
        rules: |o| acl_binding(o),
    }
    CreatePortchannel "create_portchannel" {
        summary: "Create a PortChannel (admin status, MTU, min links, LACP fast rate) as SONiC's CLI does (lacp_key auto), or reuse it.",
        params: ["name", "mtu", "min_links", "admin_status", "fast_rate"],
        removal: Some(Removal { op: "delete_portchannel", carries: &["name"], shared: true }),
        example: "{ name: PortChannel10, mtu: 9100, min_links: 1 }",
        read: |p| read_portchannel(p)?,
        rules: |o| portchannel(o),
    }
    DeletePortchannel "delete_portchannel" {
        summary: "Delete a PortChannel with no members, addresses or VLAN memberships.",
        params: ["name", "keep_if_used"],
        removal: None,
        example: "{ name: PortChannel10 }",
        read: |p| read_portchannel(p)?,
        rules: |o| portchannel(o),
    }
    AddPortchannelMember "add_portchannel_member" {
        summary: "Add a port to a PortChannel.",
        params: ["portchannel", "port"],
        removal: Some(Removal { op: "remove_portchannel_member", carries: &["portchannel", "port"], shared: false }),
        example: "{ portchannel: PortChannel10, port: Ethernet12 }",
        read: |p| read_portchannel_member(p)?,
        rules: |o| portchannel_member(o),
    }
    RemovePortchannelMember "remove_portchannel_member" {
        summary: "Remove a port from a PortChannel.",
        params: ["portchannel", "port"],
        removal: None,
        example: "{ portchannel: PortChannel10, port: Ethernet12 }",
        read: |p| read_portchannel_member(p)?,
        rules: |o| portchannel_member(o),
    }
    CreateBgpGlobals "create_bgp_globals" {
        summary: "Create a VRF's BGP instance (local ASN, router id, address families, redistribution of connected/static), or reuse it; every BGP neighbor of the VRF needs it first.",
        params: ["vrf", "local_asn", "router_id", "address_families", "redistribute"],
        removal: Some(Removal { op: "delete_bgp_globals", carries: &["vrf", "address_families", "redistribute"], shared: true }),
        example: "{ vrf: VrfRed, local_asn: 65001, router_id: 10.1.0.1, redistribute: connected }",
        read: |p| read_bgp_globals(p, true)?,
        rules: |o| bgp_globals(o, true),
    }
    DeleteBgpGlobals "delete_bgp_globals" {
        summary: "Delete a VRF's BGP instance once no BGP neighbor of the VRF uses it.",
        params: ["vrf", "address_families", "redistribute", "keep_if_used"],
        removal: None,
        example: "{ vrf: VrfRed, keep_if_used: true }",
        read: |p| read_bgp_globals(p, false)?,
        rules: |o| bgp_globals(o, false),
    }
    CreateBgpPeerGroup "create_bgp_peer_group" {
        summary: "Create a BGP peer group in a VRF's BGP instance (frrcfgd only): its remote AS, description and address families, or reuse it.",
        params: ["vrf", "name", "remote_asn", "description", "address_families"],
        removal: Some(Removal { op: "delete_bgp_peer_group", carries: &["vrf", "name", "address_families"], shared: true }),
        example: "{ vrf: VrfRed, name: TENANT_PEERS, remote_asn: 65100 }",
        read: |p| read_bgp_peer_group(p, true)?,
        rules: |o| bgp_peer_group(o, true),
    }
    DeleteBgpPeerGroup "delete_bgp_peer_group" {
        summary: "Delete a BGP peer group once no neighbor is in it.",
        params: ["vrf", "name", "address_families", "keep_if_used"],
        removal: None,
        example: "{ vrf: VrfRed, name: TENANT_PEERS }",
        read: |p| read_bgp_peer_group(p, false)?,
        rules: |o| bgp_peer_group(o, false),
    }
    SetSwitchportMode "set_switchport_mode" {
        summary: "Set a port's or PortChannel's switchport mode (routed, access, trunk) as SONiC's CLI does; the reverse restores the previous mode.",
        params: ["port", "mode"],
        removal: None,
        example: "{ port: Ethernet8, mode: trunk }",
        read: |p| SwitchportMode { port: p.text("port")?, mode: p.text("mode")? },
        rules: |o| { rule("port", validate::port(&o.port))?; rule("mode", validate::choice(&o.mode, &["routed", "access", "trunk"])) },
    }
    ClearSwitchportMode "clear_switchport_mode" {
        summary: "Remove a port's or PortChannel's switchport mode, so SONiC takes its default again; the reverse puts the mode back.",
        params: ["port"],
        removal: None,
        example: "{ port: Ethernet8 }",
        read: |p| SwitchportMode { port: p.text("port")?, mode: String::new() },
        rules: |o| rule("port", validate::port(&o.port)),
    }
    AddNtpServer "add_ntp_server" {
        summary: "Add an NTP server as SONiC's CLI does (`config ntp add`), in its release's form; hostcfgd restarts ntp-config.",
        params: ["server", "association_type"],
        removal: Some(Removal { op: "remove_ntp_server", carries: &["server"], shared: false }),
        example: "{ server: 10.0.0.123 }",
        read: |p| NtpServer { server: p.text("server")?, association_type: p.text_opt("association_type")? },
        rules: |o| ntp_server(o),
    }
    RemoveNtpServer "remove_ntp_server" {
        summary: "Remove an NTP server.",
        params: ["server"],
        removal: None,
        example: "{ server: 10.0.0.123 }",
        read: |p| NtpServer { server: p.text("server")?, association_type: String::new() },
        rules: |o| ntp_server(o),
    }
    SetNtp "set_ntp" {
        summary: "Set where the switch's NTP requests come from: source interfaces and VRF (NTP|global); the reverse restores what was there.",
        params: ["src_intf", "vrf"],
        removal: Some(Removal { op: "clear_ntp", carries: &[], shared: false }),
        example: "{ src_intf: Loopback0 }",
        read: |p| NtpGlobal { src_intf: p.text_opt("src_intf")?, vrf: p.text_opt("vrf")? },
        rules: |o| ntp_global(o, true),
    }
    ClearNtp "clear_ntp" {
        summary: "Remove the NTP source interfaces and VRF, so the switch takes SONiC's defaults again.",
        params: [],
        removal: None,
        example: "{}",
        read: |_p| NtpGlobal::default(),
        rules: |o| ntp_global(o, false),
    }
    AddSyslogServer "add_syslog_server" {
        summary: "Send the switch's logs to a syslog server (source, port, VRF, severity, protocol), as `config syslog add` writes it; hostcfgd restarts rsyslog.",
        params: ["server", "source", "port", "vrf", "severity", "protocol"],
        removal: Some(Removal { op: "remove_syslog_server", carries: &["server"], shared: false }),
        example: "{ server: 10.0.0.50, source: 10.1.0.1 }",
        read: |p| SyslogServer {
            server: p.text("server")?,
            source: p.text_opt("source")?,
            port: p.int_opt("port")?,
            vrf: p.text_opt("vrf")?,
            severity: p.text_opt("severity")?,
            protocol: p.text_opt("protocol")?,
        },
        rules: |o| syslog_server(o),
    }
    RemoveSyslogServer "remove_syslog_server" {
        summary: "Stop sending logs to a syslog server.",
        params: ["server"],
        removal: None,
        example: "{ server: 10.0.0.50 }",
        read: |p| SyslogServer { server: p.text("server")?, ..Default::default() },
        rules: |o| syslog_server(o),
    }
    AddSnmpCommunity "add_snmp_community" {
        summary: "Add an SNMP community (RO or RW) and restart snmp, as `config snmp community add` does.",
        params: ["name", "type"],
        removal: Some(Removal { op: "remove_snmp_community", carries: &["name"], shared: false }),
        example: "{ name: noc-readonly, type: RO }",
        read: |p| SnmpCommunity { name: p.text("name")?, r#type: p.text_opt("type")? },
        rules: |o| snmp_community(o),
    }
    RemoveSnmpCommunity "remove_snmp_community" {
        summary: "Remove an SNMP community and restart snmp.",
        params: ["name"],
        removal: None,
        example: "{ name: noc-readonly }",
        read: |p| SnmpCommunity { name: p.text("name")?, r#type: String::new() },
        rules: |o| snmp_community(o),
    }
    AddSnmpAgentAddress "add_snmp_agent_address" {
        summary: "Make the SNMP agent listen on one of the switch's addresses (port, VRF) and restart snmp, as `config snmpagentaddress add` does.",
        params: ["address", "port", "vrf"],
        removal: Some(Removal { op: "remove_snmp_agent_address", carries: &["address", "port", "vrf"], shared: false }),
        example: "{ address: 10.1.0.1 }",
        read: |p| SnmpAgentAddress { address: p.text("address")?, port: p.int_opt("port")?, vrf: p.text_opt("vrf")? },
        rules: |o| snmp_agent_address(o),
    }
    RemoveSnmpAgentAddress "remove_snmp_agent_address" {
        summary: "Stop the SNMP agent listening on an address and restart snmp.",
        params: ["address", "port", "vrf"],
        removal: None,
        example: "{ address: 10.1.0.1 }",
        read: |p| SnmpAgentAddress { address: p.text("address")?, port: p.int_opt("port")?, vrf: p.text_opt("vrf")? },
        rules: |o| snmp_agent_address(o),
    }
    SetSnmp "set_snmp" {
        summary: "Set the switch's SNMP location and contact and restart snmp; the reverse restores what was there.",
        params: ["location", "contact"],
        removal: Some(Removal { op: "clear_snmp", carries: &[], shared: false }),
        example: "{ location: \"DC1 row 4\", contact: noc@example.net }",
        read: |p| SnmpSystem { location: p.text_opt("location")?, contact: p.text_opt("contact")? },
        rules: |o| snmp_system(o, true),
    }
    ClearSnmp "clear_snmp" {
        summary: "Remove the SNMP location and contact and restart snmp.",
        params: [],
        removal: None,
        example: "{}",
        read: |_p| SnmpSystem::default(),
        rules: |o| snmp_system(o, false),
    }
    AddTacacsServer "add_tacacs_server" {
        summary: "Add a TACACS+ server (priority, port, timeout, auth type, VRF) as `config tacacs add` writes it; refused where it would let a server refuse switchyard's own password login.",
        params: ["address", "priority", "tcp_port", "timeout", "auth_type", "vrf", "allow_lockout"],
        removal: Some(Removal { op: "remove_tacacs_server", carries: &["address"], shared: false }),
        example: "{ address: 10.0.0.60, priority: 1 }",
        read: |p| TacacsServer {
            address: p.text("address")?,
            priority: p.int_opt("priority")?,
            tcp_port: p.int_opt("tcp_port")?,
            timeout: p.int_opt("timeout")?,
            auth_type: p.text_opt("auth_type")?,
            vrf: p.text_opt("vrf")?,
            allow_lockout: p.flag("allow_lockout")?,
        },
        rules: |o| tacacs_server(o),
    }
    RemoveTacacsServer "remove_tacacs_server" {
        summary: "Remove a TACACS+ server.",
        params: ["address"],
        removal: None,
        example: "{ address: 10.0.0.60 }",
        read: |p| TacacsServer { address: p.text("address")?, ..Default::default() },
        rules: |o| tacacs_server(o),
    }
    SetAaaLogin "set_aaa_login" {
        summary: "Set how users log in (AAA authentication login methods, failthrough); refused where it would let a server refuse switchyard's own password login unless allow_lockout says so.",
        params: ["login", "failthrough", "allow_lockout"],
        removal: Some(Removal { op: "clear_aaa_login", carries: &[], shared: false }),
        example: "{ login: \"tacacs+,local\", failthrough: \"true\" }",
        read: |p| AaaLogin { login: p.text("login")?, failthrough: p.text_opt("failthrough")?, allow_lockout: p.flag("allow_lockout")? },
        rules: |o| aaa_login(o, true),
    }
    ClearAaaLogin "clear_aaa_login" {
        summary: "Remove the login methods and failthrough, so the switch logs users in locally again (SONiC's default).",
        params: [],
        removal: None,
        example: "{}",
        read: |_p| AaaLogin::default(),
        rules: |o| aaa_login(o, false),
    }
    AddPrefixList "add_prefix_list" {
        summary: "Add an entry (a network, exact or a length range, permit or deny) to a prefix list, making the list when absent; frrcfgd only.",
        params: ["name", "prefix", "range", "action"],
        removal: Some(Removal { op: "remove_prefix_list", carries: &["name", "prefix", "range"], shared: false }),
        example: "{ name: LOOPBACKS, prefix: 10.1.0.0/16, range: \"32..32\" }",
        read: |p| PrefixListEntry { name: p.text("name")?, prefix: p.text("prefix")?, range: p.text_opt("range")?, action: p.text_opt("action")? },
        rules: |o| prefix_list_entry(o),
    }
    RemovePrefixList "remove_prefix_list" {
        summary: "Remove an entry from a prefix list; the list goes with its last entry once nothing uses it.",
        params: ["name", "prefix", "range"],
        removal: None,
        example: "{ name: LOOPBACKS, prefix: 10.1.0.0/16, range: \"32..32\" }",
        read: |p| PrefixListEntry { name: p.text("name")?, prefix: p.text("prefix")?, range: p.text_opt("range")?, action: String::new() },
        rules: |o| prefix_list_entry(o),
    }
    AddRouteMap "add_route_map" {
        summary: "Add a statement to a route map (permit or deny, match a prefix list, set local preference, MED, communities), making the map when absent; frrcfgd only.",
        params: ["name", "seq", "action", "match_prefix_list", "set_local_pref", "set_med", "set_community"],
        removal: Some(Removal { op: "remove_route_map", carries: &["name", "seq"], shared: false }),
        example: "{ name: FROM_SPINES, seq: 10, match_prefix_list: LOOPBACKS, set_local_pref: 200 }",
        read: |p| RouteMapStatement {
            name: p.text("name")?,
            seq: p.int("seq")?,
            action: p.text_opt("action")?,
            match_prefix_list: p.text_opt("match_prefix_list")?,
            set_local_pref: p.int_opt("set_local_pref")?,
            set_med: p.int_opt("set_med")?,
            set_community: p.text_opt("set_community")?,
        },
        rules: |o| route_map_statement(o, true),
    }
    RemoveRouteMap "remove_route_map" {
        summary: "Remove a statement from a route map; the map goes with its last statement once no neighbor uses it.",
        params: ["name", "seq"],
        removal: None,
        example: "{ name: FROM_SPINES, seq: 10 }",
        read: |p| RouteMapStatement { name: p.text("name")?, seq: p.int("seq")?, ..Default::default() },
        rules: |o| route_map_statement(o, false),
    }
    CreateLoopback "create_loopback" {
        summary: "Create a loopback interface, optionally in a VRF, or reuse it; its addresses are add_interface_address steps.",
        params: ["name", "vrf"],
        removal: Some(Removal { op: "delete_loopback", carries: &["name"], shared: true }),
        example: "{ name: Loopback10, vrf: VrfRed }",
        read: |p| Loopback { name: p.text("name")?, vrf: p.text_opt("vrf")?, keep_if_used: p.flag("keep_if_used")? },
        rules: |o| { loopback_name(&o.name)?; optional("vrf", &o.vrf, validate::vrf_ref) },
    }
    DeleteLoopback "delete_loopback" {
        summary: "Delete a loopback interface that has no address left.",
        params: ["name", "keep_if_used"],
        removal: None,
        example: "{ name: Loopback10 }",
        read: |p| Loopback { name: p.text("name")?, vrf: String::new(), keep_if_used: p.flag("keep_if_used")? },
        rules: |o| loopback_name(&o.name),
    }
    CreateVtep "create_vtep" {
        summary: "Create the switch's VXLAN tunnel endpoint (source IP) and its EVPN NVO, or reuse them; one VTEP per switch.",
        params: ["name", "src_ip", "nvo"],
        removal: Some(Removal { op: "delete_vtep", carries: &["name", "nvo"], shared: true }),
        example: "{ src_ip: 10.1.0.1 }",
        read: |p| Vtep { name: p.text_opt("name")?, src_ip: p.text("src_ip")?, nvo: p.text_opt("nvo")?, keep_if_used: false },
        rules: |o| vtep(o, true),
    }
    DeleteVtep "delete_vtep" {
        summary: "Delete the VTEP and its NVO once no VNI is mapped on it.",
        params: ["name", "nvo", "keep_if_used"],
        removal: None,
        example: "{ keep_if_used: true }",
        read: |p| Vtep { name: p.text_opt("name")?, src_ip: String::new(), nvo: p.text_opt("nvo")?, keep_if_used: p.flag("keep_if_used")? },
        rules: |o| vtep(o, false),
    }
    MapVni "map_vni" {
        summary: "Map a VNI to a VLAN on the VTEP (an L2VNI; a VRF takes it as its L3VNI with create_vrf vni).",
        params: ["vtep", "vni", "vlan_id"],
        removal: Some(Removal { op: "unmap_vni", carries: &["vtep", "vni", "vlan_id"], shared: true }),
        example: "{ vni: 10100, vlan_id: 100 }",
        read: |p| VniMap { vtep: p.text_opt("vtep")?, vni: p.int("vni")?, vlan_id: p.int("vlan_id")?, keep_if_used: false },
        rules: |o| vni_map(o),
    }
    UnmapVni "unmap_vni" {
        summary: "Remove a VNI's map once no VRF takes the VNI as its L3VNI.",
        params: ["vtep", "vni", "vlan_id", "keep_if_used"],
        removal: None,
        example: "{ vni: 10100, vlan_id: 100 }",
        read: |p| VniMap { vtep: p.text_opt("vtep")?, vni: p.int("vni")?, vlan_id: p.int("vlan_id")?, keep_if_used: p.flag("keep_if_used")? },
        rules: |o| vni_map(o),
    }
    AddDhcpRelay "add_dhcp_relay" {
        summary: "Relay a VLAN's DHCP requests to IPv4 and IPv6 servers, in the table the device's SONiC reads (VLAN dhcp_servers@ or DHCPV4_RELAY; DHCP_RELAY for IPv6).",
        params: ["vlan_id", "servers"],
        removal: Some(Removal { op: "remove_dhcp_relay", carries: &["vlan_id", "servers"], shared: false }),
        example: "{ vlan_id: 100, servers: \"10.0.0.9,10.0.1.9\" }",
        read: |p| DhcpRelay { vlan_id: p.int("vlan_id")?, servers: p.text("servers")? },
        rules: |o| dhcp_relay(o),
    }
    RemoveDhcpRelay "remove_dhcp_relay" {
        summary: "Stop relaying a VLAN's DHCP requests to these servers.",
        params: ["vlan_id", "servers"],
        removal: None,
        example: "{ vlan_id: 100, servers: 10.0.0.9 }",
        read: |p| DhcpRelay { vlan_id: p.int("vlan_id")?, servers: p.text("servers")? },
        rules: |o| dhcp_relay(o),
    }
    SetPort "set_port" {
        summary: "Set a port's mtu, admin_status, description or speed; the reverse restores the previous values.",
        params: ["port", "mtu", "admin_status", "description", "speed"],
        removal: None,
        example: "{ port: Ethernet8, mtu: 9100 }",
        read: |p| PortProperties {
            port: p.text("port")?,
            mtu: p.int_opt("mtu")?,
            admin_status: p.text_opt("admin_status")?,
            description: p.text_opt("description")?,
            speed: p.int_opt("speed")?,
        },
        rules: |o| port_properties(o),
    }
    RestoreRow "restore_row" {
        summary: "Put a row back as switchyard last wrote it (drift remediation): set its fields again, creating it when deleted; fields others added stay.",
        params: ["key", "fields"],
        removal: None,
        example: "{ key: \"VLAN|Vlan100\", fields: '{\"vlanid\": \"100\"}' }",
        read: |p| RestoreRow { key: p.text("key")?, fields: read_fields(p, "fields")? },
        rules: |o| restore_row(o),
    }
    UndoStep "undo_step" {
        summary: "Undo one step of an earlier suite on today's rows (what `switchyard revert` plans): its receipt reversed as a rollback would, a row changed since left in place.",
        params: ["suite_id", "step_id", "receipt", "written"],
        removal: None,
        example: "{ suite_id: vlan-100-20261207-101500, step_id: 1-create_vlan, receipt: '{\"created\": [\"VLAN|Vlan100\"]}', written: '{\"changes\": []}' }",
        read: |p| UndoStep { suite_id: p.text("suite_id")?, step_id: p.text("step_id")?, receipt: Some(read_json(p, "receipt")?), written: Some(read_json(p, "written")?) },
        rules: |o| undo_step(o),
    }
}

/// Tables the catalogue writes: the only rows a restore may put back.
pub const RESTORABLE_TABLES: &[&str] = &[
    "AAA", "ACL_RULE", "ACL_TABLE", "BGP_GLOBALS", "BGP_GLOBALS_AF", "BGP_NEIGHBOR", "BGP_NEIGHBOR_AF", "BGP_PEER_GROUP",
    "BGP_PEER_GROUP_AF", "DHCPV4_RELAY", "DHCP_RELAY", "INTERFACE", "LOOPBACK_INTERFACE", "NTP", "NTP_SERVER", "PORT",
    "PORTCHANNEL", "PORTCHANNEL_INTERFACE", "PORTCHANNEL_MEMBER", "PREFIX", "PREFIX_SET", "ROUTE_MAP", "ROUTE_MAP_SET", "SNMP", "SNMP_AGENT_ADDRESS_CONFIG",
    "SNMP_COMMUNITY", "STATIC_ROUTE", "SYSLOG_SERVER", "TACPLUS_SERVER", "VLAN", "VLAN_INTERFACE", "VLAN_MEMBER", "VRF",
    "VXLAN_EVPN_NVO", "VXLAN_TUNNEL", "VXLAN_TUNNEL_MAP",
];

/// A row's fields, written as a JSON object of strings (the one way to put
/// a whole row in a scalar parameter: values may hold commas and spaces).
fn read_fields(p: &Params<'_>, key: &str) -> Result<std::collections::BTreeMap<String, String>, SourceError> {
    let text = p.text(key)?;
    serde_json::from_str(&text).map_err(|e| p.bad(key, format!("not a JSON object of string fields ({e}), e.g. '{{\"vlanid\": \"100\"}}'")))
}

/// A message written as JSON in a scalar parameter (a receipt, a change
/// set), as `switchyard revert` writes them.
fn read_json<T: serde::de::DeserializeOwned>(p: &Params<'_>, key: &str) -> Result<T, SourceError> {
    let text = p.text(key)?;
    serde_json::from_str(&text).map_err(|e| p.bad(key, format!("not the JSON of a {key} ({e})")))
}

/// Whether `key` is a row of a table the catalogue writes.
fn restorable(key: &str) -> bool {
    key.split_once('|').is_some_and(|(table, rest)| !rest.is_empty() && RESTORABLE_TABLES.contains(&table))
}

fn undo_step(o: &UndoStep) -> Result<(), FieldError> {
    if o.suite_id.is_empty() || o.step_id.is_empty() {
        return Err(FieldError { field: if o.suite_id.is_empty() { "suite_id" } else { "step_id" }, message: "names the suite and step it undoes".into() });
    }
    let receipt = o.receipt.clone().unwrap_or_default();
    let keys = receipt.created.iter()
        .chain(receipt.overwritten.iter().map(|w| &w.key))
        .chain(receipt.deleted.iter().map(|d| &d.key))
        .chain(receipt.list_added.iter().chain(&receipt.list_removed).map(|l| &l.key));
    for key in keys {
        if !restorable(key) {
            return Err(FieldError { field: "receipt", message: format!("{key:?} is not a row of a table switchyard writes; expected one of: {}", RESTORABLE_TABLES.join(", ")) });
        }
    }
    Ok(())
}

fn restore_row(o: &RestoreRow) -> Result<(), FieldError> {
    let Some((table, rest)) = o.key.split_once('|') else {
        return Err(FieldError { field: "key", message: format!("{:?} is not a CONFIG_DB key (TABLE|name)", o.key) });
    };
    if rest.is_empty() || !RESTORABLE_TABLES.contains(&table) {
        return Err(FieldError { field: "key", message: format!("{table} is not a table switchyard writes; expected one of: {}", RESTORABLE_TABLES.join(", ")) });
    }
    if o.fields.is_empty() {
        return Err(FieldError { field: "fields", message: "a row needs at least one field (SONiC writes NULL=NULL for a row without any)".into() });
    }
    Ok(())
}

/// The declaration of the operation named `name`.
pub fn find(name: &str) -> Option<&'static OperationDef> {
    OPERATIONS.iter().find(|d| d.name == name)
}

/// Every name a step may use: the operations, then the service steps.
pub fn step_names() -> String {
    let mut names: Vec<&str> = OPERATIONS.iter().map(|d| d.name).collect();
    names.extend(["apply_service", "remove_service"]);
    names.join(", ")
}

impl OperationDef {
    /// Reads and checks one step of this operation: unknown parameters,
    /// types, then the static rules, each reported at its parameter.
    pub(crate) fn build(&self, p: &Params<'_>) -> Result<Op, SourceError> {
        for (key, value) in p.params {
            if !self.params.contains(&key.as_str()) {
                return Err(SourceError::at(p.file, value.referenced, p.field(key),
                    format!("unknown parameter {key:?} for {}{}; expected one of: {}", self.name,
                        crate::vocabulary::did_you_mean(key, self.params.iter().copied()), self.params.join(", "))));
            }
        }
        let op = (self.parse)(p)?;
        check(&op).map_err(|e| p.bad(e.field, e.message))?;
        Ok(op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every declaration's example reads into its own variant and passes
    /// its rules; every removal names a declared operation that takes the
    /// parameters it carries.
    #[test]
    fn declarations_are_consistent() {
        for def in OPERATIONS {
            let text = format!("{{ x: {} }}", def.example);
            let parsed: std::collections::BTreeMap<String, crate::params::RawParams> =
                serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: example: {e}", def.name));
            let params = &parsed["x"];
            let p = Params { file: "example", prefix: "steps[0]", op: def.name, params, device: None, step_loc: serde_saphyr::Location::UNKNOWN };
            let op = def.build(&p).unwrap_or_else(|e| panic!("{}: example refused: {e}", def.name));
            assert_eq!(name(&op), def.name);
            if let Some(r) = def.removal {
                let removal = find(r.op).unwrap_or_else(|| panic!("{}: removal {} is not declared", def.name, r.op));
                for c in r.carries {
                    assert!(def.params.contains(c) && removal.params.contains(c), "{}: carries {c}", def.name);
                }
                assert_eq!(r.shared, removal.params.contains(&"keep_if_used"), "{}: shared removals take keep_if_used", def.name);
            }
        }
        let mut names: Vec<&str> = OPERATIONS.iter().map(|d| d.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), OPERATIONS.len(), "an operation is declared twice");
    }

    /// Static rules, one case per rule kind, as planning sees them on a
    /// workflow input that did not come from a file.
    #[test]
    fn static_rules_refuse_at_the_field() {
        let cases: Vec<(Op, &str, &str)> = vec![
            (Op::CreateVlan(CreateVlan { vlan_id: 5000, description: String::new() }), "vlan_id", "out of range"),
            (Op::CreateVrf(Vrf { name: "Red".into(), ..Default::default() }), "name", "must start with \"Vrf\""),
            (Op::CreateVrf(Vrf { name: "VrfSixteenChars1".into(), ..Default::default() }), "name", "at most 15"),
            (Op::AddInterfaceAddress(InterfaceAddress { interface: "Ethernet8".into(), address: "10.0.0.1".into(), vrf: String::new() }), "address", "CIDR"),
            (Op::AddBgpNeighbor(BgpNeighbor { neighbor: "10.0.0.300".into(), remote_asn: 65100, ..Default::default() }), "neighbor", "not an IP address"),
            (Op::AddStaticRoute(StaticRoute { prefix: "10.9.0.0/40".into(), nexthop: "10.0.0.0".into(), ..Default::default() }), "prefix", "exceeds 32"),
            (Op::AddAclRule(AclRule { table: "T".into(), rule: "R".into(), priority: 10, action: "REJECT".into(), ..Default::default() }), "action", "not one of"),
            (Op::CreatePortchannel(PortChannel { name: "PortChannel12345".into(), ..Default::default() }), "name", "PortChannelN"),
            (Op::SetPort(PortProperties { port: "Ethernet8".into(), mtu: 99_999, ..Default::default() }), "mtu", "out of range"),
        ];
        for (op, field, message) in cases {
            let err = check(&op).expect_err(name(&op));
            assert_eq!(err.field, field, "{}: {}", name(&op), err.message);
            assert!(err.message.contains(message), "{}: {}", name(&op), err.message);
        }
    }

    #[test]
    fn rules_exist_once_and_apply_to_hand_made_input() {
        let route = StaticRoute { prefix: "10.0.0.0/8".into(), ..Default::default() };
        assert_eq!(check(&Op::AddStaticRoute(route.clone())).unwrap_err().message, "a route needs a nexthop or an ifname");
        assert!(check(&Op::RemoveStaticRoute(route)).is_ok());
        let port = PortProperties { port: "Ethernet0".into(), ..Default::default() };
        assert_eq!(check(&Op::SetPort(port)).unwrap_err().field, "port");
        assert_eq!(check(&Op::CreateVlan(CreateVlan { vlan_id: 0, description: String::new() })).unwrap_err().field, "vlan_id");
    }
}
