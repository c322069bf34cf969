//! add_acl_rule / remove_acl_rule: a rule in an ACL table.
//!
//! Writes:
//! ```text
//! + ACL_RULE|<table>|<rule>  PRIORITY=.. PACKET_ACTION=.. [SRC_IP|SRC_IPV6 ..] [DST_IP|DST_IPV6 ..] [IP_PROTOCOL ..]
//!                            [L4_SRC_PORT|L4_SRC_PORT_RANGE ..] [L4_DST_PORT|L4_DST_PORT_RANGE ..]
//!                            [ETHER_TYPE ..] [IP_TYPE ..] [TCP_FLAGS ..]
//! ```
//! An L2 table matches frames, not packets: only ETHER_TYPE there. A
//! CTRLPLANE table's rules are caclmgrd's iptables rules: their action is
//! ACCEPT or DROP (forward is written ACCEPT).
//! Preconditions: the table exists (on the device or from an earlier step),
//! and its type takes the rule's address family: IPv4 addresses go to
//! SRC_IP/DST_IP of an L3 or L3V4V6 table, IPv6 to SRC_IPV6/DST_IPV6 of an
//! L3V6 or L3V4V6 table (sonic-acl.yang; aclorch refuses an IPv6 address in
//! SRC_IP, so the rule would never match). An L3V6 table has no EtherType
//! match (sonic-swss aclorch.cpp `initDefaultTableTypes`: orchagent drops
//! the whole rule as "not supported by table"); IP_TYPE IPV6ANY is how
//! SONiC's acl-loader says IPv6 there.

use switchyard_proto::v1::AclRule;

use super::keys::acl_table_key as table_key;
use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, Release, View};

fn key(p: &AclRule) -> String {
    format!("ACL_RULE|{}|{}", p.table, p.rule)
}

/// add_acl_rule.
pub(crate) struct Add<'a>(pub(crate) &'a AclRule);

impl Catalogued for Add<'_> {

    fn reads(&self) -> Reads {
        Reads::default().key(table_key(&self.0.table)).key(key(self.0))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let action = if p.action.is_empty() { "FORWARD".to_string() } else { p.action.to_uppercase() };
        let table = table_key(&p.table);
        let Some(row) = view.row(&table) else {
            return Err(PlanError::new("table", format!("{table} does not exist; create it first (create_acl_table)")));
        };
        let kind = row.get("type").map_or("L3", String::as_str);
        let action = match (kind, action.as_str()) {
            ("CTRLPLANE", "FORWARD") => "ACCEPT".to_string(),
            ("CTRLPLANE", _) => action,
            (_, "ACCEPT") => return Err(PlanError::new("action", format!(
                "ACCEPT is the action of CTRLPLANE tables; {table} is a {kind} table: use forward"))),
            _ => action,
        };
        let ip_matches = [("src_ip", &p.src_ip), ("dst_ip", &p.dst_ip), ("ip_type", &p.ip_type), ("tcp_flags", &p.tcp_flags),
            ("l4_src_port_range", &p.l4_src_port_range), ("l4_dst_port_range", &p.l4_dst_port_range)];
        if kind == "L2" {
            let ip_field = ip_matches.iter().find(|(_, v)| !v.is_empty()).map(|(f, _)| *f)
                .or((p.ip_protocol > 0).then_some("ip_protocol"))
                .or((p.l4_src_port > 0).then_some("l4_src_port"))
                .or((p.l4_dst_port > 0).then_some("l4_dst_port"));
            if let Some(field) = ip_field {
                return Err(PlanError::new(field, format!("{table} is an L2 table: it matches frames (ether_type), not IP fields; use an L3, L3V6 or L3V4V6 table")));
            }
        }
        if kind == "L3V6" && !p.ether_type.is_empty() {
            return Err(PlanError::new("ether_type", format!(
                "{table} is an L3V6 table, which has no EtherType match (orchagent drops the rule); use ip_type IPV6ANY, or an L3V4V6 table")));
        }
        let mut fields = vec![("PRIORITY", p.priority.to_string()), ("PACKET_ACTION", action)];
        for (v4, v6, field, value) in [("SRC_IP", "SRC_IPV6", "src_ip", &p.src_ip), ("DST_IP", "DST_IPV6", "dst_ip", &p.dst_ip)] {
            if value.is_empty() {
                continue;
            }
            let ipv6 = value.contains(':');
            match (kind, ipv6) {
                ("L3", true) => return Err(PlanError::new(field, format!(
                    "{table} is an L3 (IPv4) table; an IPv6 match needs an L3V6 or L3V4V6 table (orchagent refuses an IPv6 address in SRC_IP/DST_IP)"))),
                ("L3V6", false) => return Err(PlanError::new(field, format!(
                    "{table} is an L3V6 table; an IPv4 match needs an L3 or L3V4V6 table"))),
                _ => fields.push((if ipv6 { v6 } else { v4 }, value.clone())),
            }
        }
        for (name, value) in [("IP_PROTOCOL", p.ip_protocol), ("L4_SRC_PORT", p.l4_src_port), ("L4_DST_PORT", p.l4_dst_port)] {
            if value > 0 {
                fields.push((name, value.to_string()));
            }
        }
        for (name, value) in [("L4_SRC_PORT_RANGE", &p.l4_src_port_range), ("L4_DST_PORT_RANGE", &p.l4_dst_port_range),
            ("ETHER_TYPE", &p.ether_type), ("IP_TYPE", &p.ip_type), ("TCP_FLAGS", &p.tcp_flags)]
        {
            if !value.is_empty() {
                fields.push((name, value.clone()));
            }
        }
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&key(p), &fields);
        Ok(plan.finish())
    }
}

/// remove_acl_rule.
pub(crate) fn remove(p: &AclRule) -> Release {
    Release::leaf(key(p), "rule")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    #[test]
    fn plans() {
        let rule = AclRule { table: "TENANT_IN".into(), rule: "DENY_SSH".into(), priority: 100, action: "drop".into(),
            dst_ip: "10.0.0.0/8".into(), ip_protocol: 6, l4_dst_port: 22, ..Default::default() };
        check_plan(&Add(&rule), rows(&[("ACL_TABLE|TENANT_IN", &[("type", "L3")])]),
            "+ ACL_RULE|TENANT_IN|DENY_SSH DST_IP=10.0.0.0/8 IP_PROTOCOL=6 L4_DST_PORT=22 PACKET_ACTION=DROP PRIORITY=100\n",
            "created=[ACL_RULE|TENANT_IN|DENY_SSH]");
        check_refused(&Add(&rule), rows(&[]), "table", "ACL_TABLE|TENANT_IN does not exist");
    }

    #[test]
    fn ipv6_matches_go_to_the_v6_fields_of_a_table_that_takes_them() {
        // sonic-acl.yang: SRC_IP/DST_IP are IPv4 prefixes; IPv6 goes to SRC_IPV6/DST_IPV6.
        let rule = AclRule { table: "T6".into(), rule: "DENY".into(), priority: 10, action: "DROP".into(),
            src_ip: "2001:db8::/32".into(), ..Default::default() };
        for kind in ["L3V6", "L3V4V6"] {
            check_plan(&Add(&rule), rows(&[("ACL_TABLE|T6", &[("type", kind)])]),
                "+ ACL_RULE|T6|DENY PACKET_ACTION=DROP PRIORITY=10 SRC_IPV6=2001:db8::/32\n", "created=[ACL_RULE|T6|DENY]");
        }
        check_refused(&Add(&rule), rows(&[("ACL_TABLE|T6", &[("type", "L3")])]), "src_ip", "needs an L3V6 or L3V4V6 table");
        let v4 = AclRule { src_ip: "10.0.0.0/8".into(), ..rule };
        check_refused(&Add(&v4), rows(&[("ACL_TABLE|T6", &[("type", "L3V6")])]), "src_ip", "needs an L3 or L3V4V6 table");
        // sonic-swss aclorch.cpp: the L3V6 table type has no ETHER_TYPE match.
        let ether = AclRule { table: "T6".into(), rule: "R".into(), priority: 10, ether_type: "0x86DD".into(), ..Default::default() };
        check_refused(&Add(&ether), rows(&[("ACL_TABLE|T6", &[("type", "L3V6")])]), "ether_type", "has no EtherType match");
        let any6 = AclRule { ether_type: String::new(), ip_type: "IPV6ANY".into(), ..ether.clone() };
        check_plan(&Add(&any6), rows(&[("ACL_TABLE|T6", &[("type", "L3V6")])]),
            "+ ACL_RULE|T6|R IP_TYPE=IPV6ANY PACKET_ACTION=FORWARD PRIORITY=10\n", "created=[ACL_RULE|T6|R]");
        for kind in ["L3", "L3V4V6"] {
            check_plan(&Add(&ether), rows(&[("ACL_TABLE|T6", &[("type", kind)])]),
                "+ ACL_RULE|T6|R ETHER_TYPE=0x86DD PACKET_ACTION=FORWARD PRIORITY=10\n", "created=[ACL_RULE|T6|R]");
        }
    }

    #[test]
    fn ranges_ether_types_ip_types_and_tcp_flags_are_written_as_sonic_names_them() {
        // sonic-acl.yang: L4_*_PORT_RANGE, ETHER_TYPE, IP_TYPE, TCP_FLAGS.
        let rule = AclRule { table: "T".into(), rule: "EPHEMERAL".into(), priority: 20, action: "FORWARD".into(),
            l4_dst_port_range: "49152-65535".into(), ip_type: "IPV4ANY".into(), tcp_flags: "0x12/0x12".into(), ip_protocol: 6, ..Default::default() };
        check_plan(&Add(&rule), rows(&[("ACL_TABLE|T", &[("type", "L3")])]),
            "+ ACL_RULE|T|EPHEMERAL IP_PROTOCOL=6 IP_TYPE=IPV4ANY L4_DST_PORT_RANGE=49152-65535 PACKET_ACTION=FORWARD PRIORITY=20 TCP_FLAGS=0x12/0x12\n",
            "created=[ACL_RULE|T|EPHEMERAL]");
        // An L2 table matches frames: ETHER_TYPE, not IP fields.
        let arp = AclRule { table: "L2T".into(), rule: "ARP".into(), priority: 5, action: "DROP".into(), ether_type: "0x0806".into(), ..Default::default() };
        check_plan(&Add(&arp), rows(&[("ACL_TABLE|L2T", &[("type", "L2")])]),
            "+ ACL_RULE|L2T|ARP ETHER_TYPE=0x0806 PACKET_ACTION=DROP PRIORITY=5\n", "created=[ACL_RULE|L2T|ARP]");
        check_refused(&Add(&rule), rows(&[("ACL_TABLE|T", &[("type", "L2")])]), "ip_type", "is an L2 table");
    }

    #[test]
    fn control_plane_rules_accept_or_drop() {
        // caclmgrd turns a CTRLPLANE rule into an iptables ACCEPT or DROP.
        let ssh = AclRule { table: "SSH_ONLY".into(), rule: "MGMT".into(), priority: 10, action: "FORWARD".into(), src_ip: "10.255.0.0/16".into(), ..Default::default() };
        check_plan(&Add(&ssh), rows(&[("ACL_TABLE|SSH_ONLY", &[("type", "CTRLPLANE"), ("services@", "SSH")])]),
            "+ ACL_RULE|SSH_ONLY|MGMT PACKET_ACTION=ACCEPT PRIORITY=10 SRC_IP=10.255.0.0/16\n", "created=[ACL_RULE|SSH_ONLY|MGMT]");
        let accept = AclRule { action: "ACCEPT".into(), table: "T".into(), ..ssh };
        check_refused(&Add(&accept), rows(&[("ACL_TABLE|T", &[("type", "L3")])]), "action", "ACCEPT is the action of CTRLPLANE tables");
    }
}
