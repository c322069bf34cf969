//! add_vlan_interface / remove_vlan_interface: a VLAN's routed interface
//! (SVI) with an address, optionally in a VRF, or (no address) only bound
//! to a VRF, as an EVPN tenant's L3VNI VLAN is.
//!
//! Writes:
//! ```text
//! + VLAN_INTERFACE|Vlan<id>          vrf_name=<vrf> (or NULL)
//! + VLAN_INTERFACE|Vlan<id>|<cidr>   NULL             when an address is given
//! - ... in reverse order on remove; the base row once it has no address
//! ```
//! Preconditions: the VLAN exists; the VRF exists; not bound to another VRF.
//! SONiC's EVPN design (EVPN_VXLAN_HLD, symmetric IRB) binds the L3VNI VLAN
//! to its VRF with no address; the tenant's gateway is on its own VLAN. An
//! address on a VLAN whose VNI a VRF takes as its L3VNI is warned about.

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

/// The VRF whose L3VNI is mapped to this VLAN, if any.
fn l3vni_of(view: &View, vlan_id: u32) -> Option<(String, String)> {
    let vlan = format!("Vlan{vlan_id}");
    let vni = view.keys("VXLAN_TUNNEL_MAP|*").into_iter()
        .filter_map(|k| view.row(&k).cloned())
        .find(|r| r.get("vlan") == Some(&vlan))?
        .get("vni")?.clone();
    let vrf = view.keys("VRF|*").into_iter().find(|k| view.row(k).and_then(|r| r.get("vni")) == Some(&vni))?;
    Some((vrf.trim_start_matches("VRF|").to_string(), vni))
}

impl Catalogued for Add<'_> {

    fn reads(&self) -> Reads {
        reads(self.0).pattern("VXLAN_TUNNEL_MAP|*").pattern("VRF|*")
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let vlan = vlan_key(self.0.vlan_id);
        if view.row(&vlan).is_none() {
            return Err(PlanError::new("vlan_id", format!("{vlan} does not exist; create it first (create_vlan)")));
        }
        let mut planned = plan_add(view, "VLAN_INTERFACE", &format!("Vlan{}", self.0.vlan_id), &self.0.address, &self.0.vrf)?;
        if let Some((vrf, vni)) = l3vni_of(view, self.0.vlan_id).filter(|_| !self.0.address.is_empty()) {
            planned.warnings.push(format!("Vlan{} carries {vrf}'s L3VNI {vni}: SONiC's EVPN design gives the L3VNI VLAN no address \
                (EVPN_VXLAN_HLD), the tenant's gateway belongs on its own VLAN", self.0.vlan_id));
        }
        Ok(planned)
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

    #[test]
    fn an_l3vni_vlan_is_bound_to_its_vrf_without_an_address() {
        let vlan = ("VLAN|Vlan3000", &[("vlanid", "3000")][..]);
        let map = ("VXLAN_TUNNEL_MAP|vtep|map_5000_Vlan3000", &[("vlan", "Vlan3000"), ("vni", "5000")][..]);
        let vrf = ("VRF|VrfRed", &[("vni", "5000")][..]);
        let bind = VlanInterface { vlan_id: 3000, address: String::new(), vrf: "VrfRed".into() };
        check_plan(&Add(&bind), rows(&[vlan, map, vrf]), "+ VLAN_INTERFACE|Vlan3000 vrf_name=VrfRed\n", "created=[VLAN_INTERFACE|Vlan3000]");
        let bound = ("VLAN_INTERFACE|Vlan3000", &[("vrf_name", "VrfRed")][..]);
        check_plan(&Remove(&bind), rows(&[vlan, map, vrf, bound]), "- VLAN_INTERFACE|Vlan3000\n", "deleted=[VLAN_INTERFACE|Vlan3000]");
        // A gateway address on the L3VNI VLAN itself is warned about.
        let gateway = VlanInterface { address: "10.30.0.1/24".into(), ..bind };
        let planned = Add(&gateway).plan(&View::new(rows(&[vlan, map, vrf]))).unwrap();
        assert!(planned.warnings.len() == 1 && planned.warnings[0].contains("carries VrfRed's L3VNI 5000"), "{:?}", planned.warnings);
    }
}
