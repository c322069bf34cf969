//! bind_acl_table / unbind_acl_table: a port in an ACL table's ports@ list.
//!
//! Writes:
//! ```text
//! ~ ACL_TABLE|<table>  ports@: <list> → <list>,<port>     bind
//! ~ ACL_TABLE|<table>  ports@: <list> → <list without port>   unbind
//! ```
//! The reverse works on the element, not the field: it removes only the port
//! this step added (others may have bound theirs meanwhile).
//! Preconditions: the table and the port exist, and the port is not a
//! PortChannel member (portsorch binds no ACL to a LAG member: bind the
//! PortChannel instead), and the table is not CTRLPLANE (it has no ports).

use switchyard_proto::v1::AclBinding;

use super::keys::acl_table_key as table_key;
use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, must_exist};
use super::keys::port_key;

/// bind_acl_table.
pub(crate) struct Bind<'a>(pub(crate) &'a AclBinding);
/// unbind_acl_table.
pub(crate) struct Unbind<'a>(pub(crate) &'a AclBinding);

impl Catalogued for Bind<'_> {

    fn reads(&self) -> Reads {
        Reads::default().key(table_key(&self.0.table)).key(port_key(&self.0.port))
            .pattern(format!("PORTCHANNEL_MEMBER|*|{}", self.0.port))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let table = table_key(&self.0.table);
        if view.row(&table).is_none() {
            return Err(PlanError::new("table", format!("{table} does not exist; create it first (create_acl_table)")));
        }
        if view.row(&table).and_then(|r| r.get("type")).is_some_and(|t| t == "CTRLPLANE") {
            return Err(PlanError::new("table", format!("{table} is a CTRLPLANE table: it filters traffic to the switch by its services, not on ports")));
        }
        must_exist(view, &port_key(&self.0.port), "port", &format!("port {}", self.0.port))?;
        if let Some(member) = view.keys(&format!("PORTCHANNEL_MEMBER|*|{}", self.0.port)).first() {
            let pc = member.split('|').nth(1).unwrap_or_default();
            return Err(PlanError::new("port", format!(
                "{} is a member of {pc} ({member}); orchagent binds no ACL to a LAG member: bind {pc} instead", self.0.port)));
        }
        let mut plan = PlanBuilder::new(view);
        plan.list_add(&table, "ports@", &self.0.port);
        Ok(plan.finish())
    }
}

impl Catalogued for Unbind<'_> {

    fn reads(&self) -> Reads {
        Reads::default().key(table_key(&self.0.table))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let mut plan = PlanBuilder::new(view);
        plan.list_remove(&table_key(&self.0.table), "ports@", &self.0.port);
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    #[test]
    fn plans() {
        let b = AclBinding { table: "TENANT_IN".into(), port: "Ethernet8".into() };
        let port = ("PORT|Ethernet8", &[("mtu", "9100")][..]);
        check_plan(&Bind(&b), rows(&[port, ("ACL_TABLE|TENANT_IN", &[("ports@", "Ethernet4")])]),
            "~ ACL_TABLE|TENANT_IN ports@: Ethernet4 → Ethernet4,Ethernet8\n", "list_added=[ACL_TABLE|TENANT_IN.ports@+Ethernet8]");
        check_plan(&Unbind(&b), rows(&[("ACL_TABLE|TENANT_IN", &[("ports@", "Ethernet4,Ethernet8")])]),
            "~ ACL_TABLE|TENANT_IN ports@: Ethernet4,Ethernet8 → Ethernet4\n", "list_removed=[ACL_TABLE|TENANT_IN.ports@-Ethernet8]");
        check_refused(&Bind(&b), rows(&[port]), "table", "does not exist");
    }

    #[test]
    fn a_lag_member_is_not_bound_its_portchannel_is() {
        // portsorch getAclBindPortId refuses a LAG member as a bind point.
        let b = AclBinding { table: "TENANT_IN".into(), port: "Ethernet8".into() };
        let view = rows(&[
            ("ACL_TABLE|TENANT_IN", &[("type", "L3")]),
            ("PORT|Ethernet8", &[("mtu", "9100")]),
            ("PORTCHANNEL_MEMBER|PortChannel10|Ethernet8", &[("NULL", "NULL")]),
        ]);
        check_refused(&Bind(&b), view, "port", "bind PortChannel10 instead");
    }
}
