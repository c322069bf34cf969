//! add_vlan_interface / remove_vlan_interface: a VLAN's routed interface
//! (SVI) with an address, optionally in a VRF.
//!
//! Writes:
//! ```text
//! + VLAN_INTERFACE|Vlan<id>          vrf_name=<vrf> (or NULL)
//! + VLAN_INTERFACE|Vlan<id>|<cidr>   NULL
//! - ... in reverse order on remove; the base row once it has no address
//! ```
//! Preconditions: the VLAN exists; the VRF exists; not bound to another VRF.

use switchyard_proto::v1::VlanInterface;

use super::interfaces::{address_reads, plan_add, plan_remove};
use super::keys::vlan_key;
use super::plan::{Catalogued, PlanError, Planned, Reads, View};

/// add_vlan_interface.
pub(crate) struct Add<'a>(pub(crate) &'a VlanInterface);
/// remove_vlan_interface.
pub(crate) struct Remove<'a>(pub(crate) &'a VlanInterface);

fn reads(p: &VlanInterface) -> Reads {
    address_reads("VLAN_INTERFACE", &format!("Vlan{}", p.vlan_id), &p.address, &p.vrf).key(vlan_key(p.vlan_id))
}

impl Catalogued for Add<'_> {

    fn reads(&self) -> Reads {
        reads(self.0)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let vlan = vlan_key(self.0.vlan_id);
        if view.row(&vlan).is_none() {
            return Err(PlanError::new("vlan_id", format!("{vlan} does not exist; create it first (create_vlan)")));
        }
        plan_add(view, "VLAN_INTERFACE", &format!("Vlan{}", self.0.vlan_id), &self.0.address, &self.0.vrf)
    }
}

impl Catalogued for Remove<'_> {

    fn reads(&self) -> Reads {
        reads(self.0)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        plan_remove(view, "VLAN_INTERFACE", &format!("Vlan{}", self.0.vlan_id), &self.0.address, &self.0.vrf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    #[test]
    fn plans() {
        let op = VlanInterface { vlan_id: 100, address: "10.0.100.1/24".into(), vrf: "VrfRed".into() };
        check_plan(&Add(&op), rows(&[("VLAN|Vlan100", &[("vlanid", "100")]), ("VRF|VrfRed", &[("NULL", "NULL")])]),
            "+ VLAN_INTERFACE|Vlan100 vrf_name=VrfRed\n+ VLAN_INTERFACE|Vlan100|10.0.100.1/24 NULL=NULL\n",
            "created=[VLAN_INTERFACE|Vlan100,VLAN_INTERFACE|Vlan100|10.0.100.1/24]");
        check_refused(&Add(&op), rows(&[("VRF|VrfRed", &[("NULL", "NULL")])]), "vlan_id", "VLAN|Vlan100 does not exist");
    }
}
