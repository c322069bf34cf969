//! add_acl_rule / remove_acl_rule: a rule in an ACL table.
//!
//! Writes:
//! ```text
//! + ACL_RULE|<table>|<rule>  PRIORITY=.. PACKET_ACTION=.. [SRC_IP ..] [DST_IP ..] [IP_PROTOCOL ..] [L4_SRC_PORT ..] [L4_DST_PORT ..]
//! ```
//! Preconditions: the table exists (on the device or from an earlier step).

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
        if view.row(&table).is_none() {
            return Err(PlanError::new("table", format!("{table} does not exist; create it first (create_acl_table)")));
        }
        let mut fields = vec![("PRIORITY", p.priority.to_string()), ("PACKET_ACTION", action)];
        for (name, value) in [("SRC_IP", &p.src_ip), ("DST_IP", &p.dst_ip)] {
            if !value.is_empty() {
                fields.push((name, value.clone()));
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
}
