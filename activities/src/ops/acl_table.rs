//! create_acl_table / delete_acl_table: an ACL table.
//!
//! Writes:
//! ```text
//! + ACL_TABLE|<name>  type=.. stage=.. policy_desc=.. [services@=..]   create, when absent
//! - ACL_TABLE|<name>                                     delete, when no rule and no port uses it
//! ```
//! A CTRLPLANE table carries the services caclmgrd filters (SSH, SNMP,
//! NTP, EXTERNAL_CLIENT) and no ports. Used by ACL_RULE|<name>|* and by its
//! own non-empty ports@ list.

use switchyard_proto::v1::AclTable;

use super::keys::acl_table_key as table_key;
use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, Release, View};

/// create_acl_table.
pub(crate) struct Create<'a>(pub(crate) &'a AclTable);

impl Catalogued for Create<'_> {

    fn reads(&self) -> Reads {
        Reads::default().key(table_key(&self.0.name))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let kind = if p.r#type.is_empty() { "L3" } else { p.r#type.as_str() };
        let stage = if p.stage.is_empty() { "ingress" } else { p.stage.as_str() };
        let key = table_key(&p.name);
        if let Some(existing) = view.row(&key) {
            // A shared table is used as it is; a different type or stage is a
            // different table, not something to overwrite under its users.
            for (field, want) in [("type", kind), ("stage", stage)] {
                if existing.get(field).is_some_and(|v| !v.eq_ignore_ascii_case(want)) {
                    return Err(PlanError::new(field, format!("{key} exists with {field}={}, not {want}", existing[field])));
                }
            }
        }
        let mut fields = vec![("type", kind.to_string()), ("stage", stage.to_string())];
        if !p.description.is_empty() {
            fields.push(("policy_desc", p.description.clone()));
        }
        if !p.services.is_empty() {
            fields.push(("services@", p.services.clone()));
        }
        let mut plan = PlanBuilder::new(view);
        if view.row(&key).is_some() {
            plan.ensure(&key, &[]);
        } else {
            plan.ensure(&key, &fields);
        }
        Ok(plan.finish())
    }
}

/// delete_acl_table.
pub(crate) fn delete(p: &AclTable) -> Release {
    Release::object(table_key(&p.name), p.keep_if_used, "name")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    #[test]
    fn plans() {
        let t = AclTable { name: "TENANT_IN".into(), r#type: "L3".into(), stage: "ingress".into(), description: "tenant".into(), keep_if_used: false, services: String::new() };
        check_plan(&Create(&t), rows(&[]), "+ ACL_TABLE|TENANT_IN policy_desc=tenant stage=ingress type=L3\n", "created=[ACL_TABLE|TENANT_IN]");
        check_plan(&Create(&t), rows(&[("ACL_TABLE|TENANT_IN", &[("type", "L3"), ("stage", "ingress")])]), "", "reused=[ACL_TABLE|TENANT_IN]");
        check_refused(&Create(&t), rows(&[("ACL_TABLE|TENANT_IN", &[("type", "MIRROR")])]), "type", "exists with type=MIRROR");
        check_refused(&delete(&t), rows(&[("ACL_TABLE|TENANT_IN", &[("ports@", "Ethernet8")])]), "name", "still used by ACL_TABLE|TENANT_IN ports@=Ethernet8");
        // sonic-acl.yang: a CTRLPLANE table names its services.
        let c = AclTable { name: "SSH_ONLY".into(), r#type: "CTRLPLANE".into(), stage: "ingress".into(), services: "SSH".into(), ..Default::default() };
        check_plan(&Create(&c), rows(&[]), "+ ACL_TABLE|SSH_ONLY services@=SSH stage=ingress type=CTRLPLANE\n", "created=[ACL_TABLE|SSH_ONLY]");
    }
}
