//! add_snmp_community / remove_snmp_community: who may read (or write) the
//! switch over SNMP.
//!
//! Writes, as `config snmp community add` does (sonic-utilities
//! config/main.py; sonic-snmp.yang):
//! ```text
//! + SNMP_COMMUNITY|<name>  TYPE=RO|RW      add (an existing one's TYPE set to the step's)
//! - SNMP_COMMUNITY|<name>                  remove
//! ```
//! snmpd reads its communities when it starts and nothing watches the
//! table (hostcfgd has no SNMP handler), so a step that changes one
//! restarts snmp as the CLI does (`systemctl reset-failed snmp.service`,
//! `systemctl restart snmp.service`); its reverse restarts it again.

use switchyard_proto::v1::SnmpCommunity;

use super::daemons::{SNMP, restart_if_changed};
use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View};

fn key(name: &str) -> String {
    format!("SNMP_COMMUNITY|{name}")
}


/// add_snmp_community.
pub(crate) struct Add<'a>(pub(crate) &'a SnmpCommunity);
/// remove_snmp_community.
pub(crate) struct Remove<'a>(pub(crate) &'a SnmpCommunity);

impl Catalogued for Add<'_> {

    fn reads(&self) -> Reads {
        Reads::default().key(key(&self.0.name))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let kind = if self.0.r#type.is_empty() { "RO" } else { self.0.r#type.as_str() };
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&key(&self.0.name), &[("TYPE", kind.to_string())]);
        restart_if_changed(&mut plan, SNMP);
        Ok(plan.finish())
    }
}

impl Catalogued for Remove<'_> {

    fn reads(&self) -> Reads {
        Reads::default().key(key(&self.0.name))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let mut plan = PlanBuilder::new(view);
        plan.release(&key(&self.0.name), false, "name")?;
        restart_if_changed(&mut plan, SNMP);
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, rows};

    #[test]
    fn a_community_and_its_restart() {
        let op = SnmpCommunity { name: "noc-readonly".into(), r#type: String::new() };
        check_plan(&Add(&op), rows(&[]), "+ SNMP_COMMUNITY|noc-readonly TYPE=RO\n", "created=[SNMP_COMMUNITY|noc-readonly] restarted=[snmp]");
        check_plan(&Add(&op), rows(&[("SNMP_COMMUNITY|noc-readonly", &[("TYPE", "RO")])]), "", "reused=[SNMP_COMMUNITY|noc-readonly]");
        let rw = SnmpCommunity { r#type: "RW".into(), ..op.clone() };
        check_plan(&Add(&rw), rows(&[("SNMP_COMMUNITY|noc-readonly", &[("TYPE", "RO")])]), "~ SNMP_COMMUNITY|noc-readonly TYPE: RO → RW\n",
            "reused=[SNMP_COMMUNITY|noc-readonly] overwritten=[SNMP_COMMUNITY|noc-readonly.TYPE] restarted=[snmp]");
        check_plan(&Remove(&op), rows(&[("SNMP_COMMUNITY|noc-readonly", &[("TYPE", "RO")])]), "- SNMP_COMMUNITY|noc-readonly\n",
            "deleted=[SNMP_COMMUNITY|noc-readonly] restarted=[snmp]");
        check_plan(&Remove(&op), rows(&[]), "", "kept=[SNMP_COMMUNITY|noc-readonly: already absent]");
    }
}
