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

use super::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, must_exist, references};

/// The interface table of an interface name.
pub(crate) fn table(interface: &str) -> &'static str {
    if interface.starts_with("PortChannel") {
        "PORTCHANNEL_INTERFACE"
    } else if interface.starts_with("Loopback") {
        "LOOPBACK_INTERFACE"
    } else if interface.starts_with("Vlan") {
        "VLAN_INTERFACE"
    } else {
        "INTERFACE"
    }
}

/// Reads of an address step on `table|name`.
pub(crate) fn address_reads(table: &str, name: &str, address: &str, vrf: &str) -> Reads {
    let base = format!("{table}|{name}");
    let addr = format!("{base}|{address}");
    let mut reads = Reads::default().key(&base).key(&addr).pattern(format!("{base}|*"));
    if !vrf.is_empty() {
        reads = reads.key(format!("VRF|{vrf}"));
    }
    reads.merge(references::reads(&addr));
    reads
}

/// Adds `address` on `table|name` (base row first, bound to `vrf`).
pub(crate) fn plan_add(view: &View, table: &str, name: &str, address: &str, vrf: &str) -> Result<Planned, PlanError> {
    let vrf = if vrf == "default" { "" } else { vrf };
    if !vrf.is_empty() {
        must_exist(view, &format!("VRF|{vrf}"), "vrf", &format!("VRF {vrf}"))?;
    }
    let base = format!("{table}|{name}");
    if let Some(row) = view.row(&base) {
        let bound = row.get("vrf_name").map(String::as_str).unwrap_or("");
        if bound != vrf {
            let show = |v: &str| if v.is_empty() { "the default VRF".to_string() } else { v.to_string() };
            return Err(PlanError::new("vrf", format!("{name} is bound to {} ({base}); it cannot take an address in {}", show(bound), show(vrf))));
        }
    }
    let mut plan = PlanBuilder::new(view);
    let base_fields: Vec<(&str, String)> = if vrf.is_empty() { vec![] } else { vec![("vrf_name", vrf.to_string())] };
    plan.ensure(&base, &base_fields);
    plan.ensure(&format!("{base}|{address}"), &[]);
    Ok(plan.finish())
}

/// Removes one address; the base row goes with the last address unless it
/// binds a VRF that `vrf` does not name. SONiC's CLI keeps a VRF-bound
/// interface's base row when its last address goes (unbinding is its own
/// command), so a removal that does not ask for the VRF keeps the binding.
pub(crate) fn plan_remove(view: &View, table: &str, name: &str, address: &str, vrf: &str) -> Result<Planned, PlanError> {
    let base = format!("{table}|{name}");
    let bound = view.row(&base).and_then(|r| r.get("vrf_name")).filter(|v| !v.is_empty()).cloned();
    if let Some(bound) = &bound
        && !vrf.is_empty() && vrf != bound
    {
        return Err(PlanError::new("vrf", format!("{name} is bound to VRF {bound}, not {vrf}")));
    }
    let mut plan = PlanBuilder::new(view);
    plan.release(&format!("{base}|{address}"), false, "address")?;
    if plan.row(&base).is_some() && references::users(plan.view(), &base).is_empty() {
        match &bound {
            Some(bound) if vrf.is_empty() => plan.keep(&base, format!("its binding to VRF {bound} stays (give vrf: {bound} to remove it with the last address)")),
            _ => plan.release(&base, true, "interface")?,
        }
    }
    Ok(plan.finish())
}

/// add_interface_address.
pub(crate) struct Add<'a>(pub(crate) &'a InterfaceAddress);
/// remove_interface_address.
pub(crate) struct Remove<'a>(pub(crate) &'a InterfaceAddress);

fn parent_reads(p: &InterfaceAddress) -> Reads {
    let name = &p.interface;
    let mut reads = address_reads(table(name), name, &p.address, &p.vrf);
    if !name.starts_with("Loopback") {
        reads = reads.key(super::port_key(name)).pattern(format!("VLAN_MEMBER|*|{name}")).pattern(format!("PORTCHANNEL_MEMBER|*|{name}"));
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
            must_exist(view, &super::port_key(name), "interface", &format!("port {name}"))?;
            if let Some(m) = view.keys(&format!("VLAN_MEMBER|*|{name}")).first() {
                return Err(PlanError::new("interface", format!("{name} is a VLAN member ({m}); a routed port cannot be")));
            }
            if let Some(m) = view.keys(&format!("PORTCHANNEL_MEMBER|*|{name}")).first() {
                return Err(PlanError::new("interface", format!("{name} is a PortChannel member ({m}); address the PortChannel instead")));
            }
            if let Some(mode @ ("access" | "trunk")) = super::switchport::mode_of(view, name) {
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
