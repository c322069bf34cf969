//! add_interface_address / remove_interface_address: an address on a routed
//! port, PortChannel or Loopback, optionally bound to a VRF.
//!
//! Writes (`T` is INTERFACE, PORTCHANNEL_INTERFACE or LOOPBACK_INTERFACE):
//! ```text
//! + T|<if>          vrf_name=<vrf> (or NULL)    add, when the interface has no row yet
//! + T|<if>|<cidr>   NULL                        add
//! - T|<if>|<cidr>                               remove, unless a BGP session is sourced from it
//! - T|<if>                                      remove, once it has no address left
//!                                               (a VRF-bound one only when `vrf` names the VRF)
//! ```
//! Preconditions: the port or PortChannel exists and is neither a VLAN nor a
//! PortChannel member; the VRF exists; the interface is not already bound
//! to another VRF.

use switchyard_proto::v1::InterfaceAddress;

use super::interfaces::{address_reads, mode_of, plan_add, plan_remove, table};
use super::plan::{Catalogued, PlanError, Planned, Reads, View, must_exist};

/// add_interface_address.
pub(crate) struct Add<'a>(pub(crate) &'a InterfaceAddress);
/// remove_interface_address.
pub(crate) struct Remove<'a>(pub(crate) &'a InterfaceAddress);

fn parent_reads(p: &InterfaceAddress) -> Reads {
    let name = &p.interface;
    let mut reads = address_reads(table(name), name, &p.address, &p.vrf);
    if !name.starts_with("Loopback") {
        reads = reads.key(super::keys::port_key(name)).pattern(format!("VLAN_MEMBER|*|{name}")).pattern(format!("PORTCHANNEL_MEMBER|*|{name}"));
    }
    reads
}

impl Catalogued for Add<'_> {

    fn reads(&self) -> Reads {
        parent_reads(self.0)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let name = &self.0.interface;
        if !name.starts_with("Loopback") {
            must_exist(view, &super::keys::port_key(name), "interface", &format!("port {name}"))?;
            if let Some(m) = view.keys(&format!("VLAN_MEMBER|*|{name}")).first() {
                return Err(PlanError::new("interface", format!("{name} is a VLAN member ({m}); a routed port cannot be")));
            }
            if let Some(m) = view.keys(&format!("PORTCHANNEL_MEMBER|*|{name}")).first() {
                return Err(PlanError::new("interface", format!("{name} is a PortChannel member ({m}); address the PortChannel instead")));
            }
            if let Some(mode @ ("access" | "trunk")) = mode_of(view, name) {
                return Err(PlanError::new("interface", format!("{name} is in {mode} mode; SONiC's CLI adds addresses to routed ports only (set_switchport_mode routed first)")));
            }
        }
        plan_add(view, table(name), name, &self.0.address, &self.0.vrf)
    }
}

impl Catalogued for Remove<'_> {

    fn reads(&self) -> Reads {
        parent_reads(self.0)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        plan_remove(view, table(&self.0.interface), &self.0.interface, &self.0.address, &self.0.vrf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    fn addr(interface: &str, vrf: &str) -> InterfaceAddress {
        InterfaceAddress { interface: interface.into(), address: "10.0.0.1/31".into(), vrf: vrf.into() }
    }

    const PORT: (&str, &[(&str, &str)]) = ("PORT|Ethernet8", &[("mtu", "9100")]);
    const VRF: (&str, &[(&str, &str)]) = ("VRF|VrfRed", &[("NULL", "NULL")]);

    #[test]
    fn adds() {
        check_plan(&Add(&addr("Ethernet8", "VrfRed")), rows(&[PORT, VRF]),
            "+ INTERFACE|Ethernet8 vrf_name=VrfRed\n+ INTERFACE|Ethernet8|10.0.0.1/31 NULL=NULL\n",
            "created=[INTERFACE|Ethernet8,INTERFACE|Ethernet8|10.0.0.1/31]");
        check_plan(&Add(&addr("Loopback1", "")), rows(&[]),
            "+ LOOPBACK_INTERFACE|Loopback1 NULL=NULL\n+ LOOPBACK_INTERFACE|Loopback1|10.0.0.1/31 NULL=NULL\n",
            "created=[LOOPBACK_INTERFACE|Loopback1,LOOPBACK_INTERFACE|Loopback1|10.0.0.1/31]");
    }

    #[test]
    fn refuses() {
        check_refused(&Add(&addr("Ethernet8", "VrfRed")), rows(&[PORT]), "vrf", "VRF VrfRed does not exist");
        check_refused(&Add(&addr("Ethernet8", "")), rows(&[PORT, ("VLAN_MEMBER|Vlan100|Ethernet8", &[("tagging_mode", "untagged")])]),
            "interface", "is a VLAN member");
        check_refused(&Add(&addr("Ethernet8", "")), rows(&[PORT, ("PORTCHANNEL_MEMBER|PortChannel1|Ethernet8", &[("NULL", "NULL")])]),
            "interface", "PortChannel member");
        check_refused(&Add(&addr("Ethernet8", "VrfRed")), rows(&[PORT, VRF, ("INTERFACE|Ethernet8", &[("NULL", "NULL")])]),
            "vrf", "bound to the default VRF");
    }

    #[test]
    fn removes_base_row_only_when_bare() {
        let base = ("INTERFACE|Ethernet8", &[("vrf_name", "VrfRed")][..]);
        let a1 = ("INTERFACE|Ethernet8|10.0.0.1/31", &[("NULL", "NULL")][..]);
        let a2 = ("INTERFACE|Ethernet8|10.0.1.1/31", &[("NULL", "NULL")][..]);
        check_plan(&Remove(&addr("Ethernet8", "VrfRed")), rows(&[base, a1]),
            "- INTERFACE|Ethernet8|10.0.0.1/31\n- INTERFACE|Ethernet8\n", "deleted=[INTERFACE|Ethernet8|10.0.0.1/31,INTERFACE|Ethernet8]");
        check_plan(&Remove(&addr("Ethernet8", "VrfRed")), rows(&[base, a1, a2]),
            "- INTERFACE|Ethernet8|10.0.0.1/31\n", "deleted=[INTERFACE|Ethernet8|10.0.0.1/31]");
        check_refused(&Remove(&addr("Ethernet8", "VrfRed")), rows(&[base, a1, ("BGP_NEIGHBOR|VrfRed|10.0.0.0", &[("local_addr", "10.0.0.1")])]),
            "address", "still used by BGP_NEIGHBOR|VrfRed|10.0.0.0");
    }

    #[test]
    fn an_access_or_trunk_port_takes_no_address() {
        for mode in ["access", "trunk"] {
            let port = ("PORT|Ethernet8", &[("mode", mode)][..]);
            check_refused(&Add(&addr("Ethernet8", "")), rows(&[port]), "interface", "routed ports only");
        }
    }

    #[test]
    fn a_vrf_binding_stays_unless_the_removal_names_the_vrf() {
        // SONiC's CLI keeps a VRF-bound interface's base row when its last
        // address goes: unbinding is `config interface vrf unbind`.
        let base = ("INTERFACE|Ethernet8", &[("vrf_name", "VrfRed")][..]);
        let a1 = ("INTERFACE|Ethernet8|10.0.0.1/31", &[("NULL", "NULL")][..]);
        check_plan(&Remove(&addr("Ethernet8", "")), rows(&[base, a1]),
            "- INTERFACE|Ethernet8|10.0.0.1/31\n", "deleted=[INTERFACE|Ethernet8|10.0.0.1/31] kept=[INTERFACE|Ethernet8: its binding to VRF VrfRed stays (give vrf: VrfRed to remove it with the last address)]");
        check_refused(&Remove(&addr("Ethernet8", "VrfBlue")), rows(&[base, a1]), "vrf", "bound to VRF VrfRed, not VrfBlue");
        // An unbound interface's base row goes with its last address as before.
        let plain = ("INTERFACE|Ethernet8", &[("NULL", "NULL")][..]);
        check_plan(&Remove(&addr("Ethernet8", "")), rows(&[plain, a1]),
            "- INTERFACE|Ethernet8|10.0.0.1/31\n- INTERFACE|Ethernet8\n", "deleted=[INTERFACE|Ethernet8|10.0.0.1/31,INTERFACE|Ethernet8]");
    }
}
