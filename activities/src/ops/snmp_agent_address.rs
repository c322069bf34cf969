//! add_snmp_agent_address / remove_snmp_agent_address: an address the SNMP
//! agent listens on.
//!
//! Writes, as `config snmpagentaddress add` does (sonic-utilities
//! config/main.py; sonic-snmp.yang from 202411, which the CLI writes on
//! earlier releases too):
//! ```text
//! + SNMP_AGENT_ADDRESS_CONFIG|<address>|<port or empty>|<vrf or empty>  NULL   add
//! - SNMP_AGENT_ADDRESS_CONFIG|<address>|<port or empty>|<vrf or empty>         remove
//! ```
//! The address is one the switch has (the CLI checks its interfaces); one
//! address and port listen in one VRF only (the YANG list's `unique`); a
//! named VRF exists, `mgmt` needs the management VRF on. A change
//! restarts snmp, as the CLI does; its reverse restarts it again.

use switchyard_proto::v1::SnmpAgentAddress;

use super::interfaces::{MGMT_VRF, address_pattern, service_vrf_exists};
use super::daemons::{SNMP, restart_if_changed};
use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View};


fn port(p: &SnmpAgentAddress) -> String {
    if p.port == 0 { String::new() } else { p.port.to_string() }
}

fn key(p: &SnmpAgentAddress) -> String {
    format!("SNMP_AGENT_ADDRESS_CONFIG|{}|{}|{}", p.address, port(p), p.vrf)
}

/// add_snmp_agent_address.
pub(crate) struct Add<'a>(pub(crate) &'a SnmpAgentAddress);
/// remove_snmp_agent_address.
pub(crate) struct Remove<'a>(pub(crate) &'a SnmpAgentAddress);

impl Catalogued for Add<'_> {

    fn reads(&self) -> Reads {
        let p = self.0;
        let mut reads = Reads::default()
            .pattern(format!("SNMP_AGENT_ADDRESS_CONFIG|{}|{}|*", p.address, port(p)))
            .pattern(address_pattern(&p.address))
            .key(MGMT_VRF);
        if !p.vrf.is_empty() && p.vrf != "mgmt" {
            reads = reads.key(format!("VRF|{}", p.vrf));
        }
        reads
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        if view.keys(&address_pattern(&p.address)).is_empty() {
            return Err(PlanError::new("address", format!("{} is not an address of this switch (no interface row holds it); SONiC's CLI refuses it", p.address)));
        }
        service_vrf_exists(view, &p.vrf)?;
        let own = key(p);
        if let Some(other) = view.keys(&format!("SNMP_AGENT_ADDRESS_CONFIG|{}|{}|*", p.address, port(p))).into_iter().find(|k| *k != own) {
            return Err(PlanError::new("vrf", format!("{other} listens on this address and port already; an address and port listen in one VRF (sonic-snmp.yang unique)")));
        }
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&own, &[]);
        restart_if_changed(&mut plan, SNMP);
        Ok(plan.finish())
    }
}

impl Catalogued for Remove<'_> {

    fn reads(&self) -> Reads {
        Reads::default().key(key(self.0))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let mut plan = PlanBuilder::new(view);
        plan.release(&key(self.0), false, "address")?;
        restart_if_changed(&mut plan, SNMP);
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    const MGMT: (&str, &[(&str, &str)]) = ("MGMT_INTERFACE|eth0|198.19.1.7/16", &[("gwaddr", "198.19.0.1")]);

    #[test]
    fn listens_on_an_address_the_switch_has() {
        let op = SnmpAgentAddress { address: "198.19.1.7".into(), port: 0, vrf: String::new() };
        check_plan(&Add(&op), rows(&[MGMT]), "+ SNMP_AGENT_ADDRESS_CONFIG|198.19.1.7|| NULL=NULL\n",
            "created=[SNMP_AGENT_ADDRESS_CONFIG|198.19.1.7||] restarted=[snmp]");
        check_refused(&Add(&op), rows(&[]), "address", "not an address of this switch");
        let in_mgmt = SnmpAgentAddress { vrf: "mgmt".into(), ..op.clone() };
        check_refused(&Add(&in_mgmt), rows(&[MGMT]), "vrf", "the management VRF is off");
        check_refused(&Add(&in_mgmt), rows(&[MGMT, ("SNMP_AGENT_ADDRESS_CONFIG|198.19.1.7||", &[("NULL", "NULL")]), (MGMT_VRF, &[("mgmtVrfEnabled", "true")])]),
            "vrf", "listens on this address and port already");
        check_plan(&Remove(&op), rows(&[("SNMP_AGENT_ADDRESS_CONFIG|198.19.1.7||", &[("NULL", "NULL")])]),
            "- SNMP_AGENT_ADDRESS_CONFIG|198.19.1.7||\n", "deleted=[SNMP_AGENT_ADDRESS_CONFIG|198.19.1.7||] restarted=[snmp]");
    }
}
