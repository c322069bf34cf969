//! add_acl_rule / remove_acl_rule: a rule in an ACL table.
//!
//! Writes:
//! ```text
//! + ACL_RULE|<table>|<rule>  PRIORITY=.. PACKET_ACTION=.. [SRC_IP|SRC_IPV6 ..] [DST_IP|DST_IPV6 ..] [IP_PROTOCOL ..] [L4_SRC_PORT ..] [L4_DST_PORT ..]
//! ```
//! Preconditions: the table exists (on the device or from an earlier step),
//! and its type takes the rule's address family: IPv4 addresses go to
//! SRC_IP/DST_IP of an L3 or L3V4V6 table, IPv6 to SRC_IPV6/DST_IPV6 of an
//! L3V6 or L3V4V6 table (sonic-acl.yang; aclorch refuses an IPv6 address in
//! SRC_IP, so the rule would never match).

use switchyard_proto::v1::AclRule;

use super::acl_table::table_key;
use super::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, plan_release};

fn key(p: &AclRule) -> String {
    format!("ACL_RULE|{}|{}", p.table, p.rule)
}

/// add_acl_rule.
pub(crate) struct Add<'a>(pub(crate) &'a AclRule);
/// remove_acl_rule.
pub(crate) struct Remove<'a>(pub(crate) &'a AclRule);

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
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&key(p), &fields);
        Ok(plan.finish())
    }
}

impl Catalogued for Remove<'_> {

    fn reads(&self) -> Reads {
        Reads::default().key(key(self.0))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        plan_release(view, &key(self.0), false, "rule")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    #[test]
    fn plans() {
        let rule = AclRule { table: "TENANT_IN".into(), rule: "DENY_SSH".into(), priority: 100, action: "drop".into(),
            src_ip: String::new(), dst_ip: "10.0.0.0/8".into(), ip_protocol: 6, l4_src_port: 0, l4_dst_port: 22 };
        check_plan(&Add(&rule), rows(&[("ACL_TABLE|TENANT_IN", &[("type", "L3")])]),
            "+ ACL_RULE|TENANT_IN|DENY_SSH DST_IP=10.0.0.0/8 IP_PROTOCOL=6 L4_DST_PORT=22 PACKET_ACTION=DROP PRIORITY=100\n",
            "created=[ACL_RULE|TENANT_IN|DENY_SSH]");
        check_refused(&Add(&rule), rows(&[]), "table", "ACL_TABLE|TENANT_IN does not exist");
    }

    #[test]
    fn ipv6_matches_go_to_the_v6_fields_of_a_table_that_takes_them() {
        // sonic-acl.yang: SRC_IP/DST_IP are IPv4 prefixes; IPv6 goes to SRC_IPV6/DST_IPV6.
        let rule = AclRule { table: "T6".into(), rule: "DENY".into(), priority: 10, action: "DROP".into(),
            src_ip: "2001:db8::/32".into(), dst_ip: String::new(), ip_protocol: 0, l4_src_port: 0, l4_dst_port: 0 };
        for kind in ["L3V6", "L3V4V6"] {
            check_plan(&Add(&rule), rows(&[("ACL_TABLE|T6", &[("type", kind)])]),
                "+ ACL_RULE|T6|DENY PACKET_ACTION=DROP PRIORITY=10 SRC_IPV6=2001:db8::/32\n", "created=[ACL_RULE|T6|DENY]");
        }
        check_refused(&Add(&rule), rows(&[("ACL_TABLE|T6", &[("type", "L3")])]), "src_ip", "needs an L3V6 or L3V4V6 table");
        let v4 = AclRule { src_ip: "10.0.0.0/8".into(), ..rule };
        check_refused(&Add(&v4), rows(&[("ACL_TABLE|T6", &[("type", "L3V6")])]), "src_ip", "needs an L3 or L3V4V6 table");
    }
}
