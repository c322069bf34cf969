//! add_bgp_neighbor / remove_bgp_neighbor: a BGP peer and its address family.
//!
//! The key form follows the device's routing config mode
//! (DEVICE_METADATA|localhost docker_routing_config_mode):
//! ```text
//! unified (frrcfgd):  + BGP_NEIGHBOR|<vrf>|<ip>  asn=.. admin_status=up [name=..] [local_addr=..]
//!                     + BGP_NEIGHBOR_AF|<vrf>|<ip>|<af>  admin_status=up
//! split (bgpcfgd):    + BGP_NEIGHBOR|<ip>  (default VRF) or BGP_NEIGHBOR|<vrf>|<ip>
//! ```
//! Preconditions: the VRF exists (unless default). Remove deletes both rows.

use switchyard_proto::v1::BgpNeighbor;

use super::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, must_exist, vrf_or_default};

const METADATA: &str = "DEVICE_METADATA|localhost";

fn unified(view: &View) -> bool {
    view.row(METADATA).and_then(|r| r.get("docker_routing_config_mode")).is_some_and(|m| m == "unified")
}

fn af(p: &BgpNeighbor) -> &str {
    if p.address_family.is_empty() { "ipv4_unicast" } else { &p.address_family }
}

fn keys(p: &BgpNeighbor, unified: bool) -> (String, Option<String>) {
    let vrf = vrf_or_default(&p.vrf);
    if unified {
        (format!("BGP_NEIGHBOR|{vrf}|{}", p.neighbor), Some(format!("BGP_NEIGHBOR_AF|{vrf}|{}|{}", p.neighbor, af(p))))
    } else if vrf == "default" {
        (format!("BGP_NEIGHBOR|{}", p.neighbor), None)
    } else {
        (format!("BGP_NEIGHBOR|{vrf}|{}", p.neighbor), None)
    }
}

fn reads(p: &BgpNeighbor) -> Reads {
    let mut reads = Reads::default().key(METADATA);
    for unified in [true, false] {
        let (n, a) = keys(p, unified);
        reads = reads.key(n);
        if let Some(a) = a {
            reads = reads.key(a);
        }
    }
    if vrf_or_default(&p.vrf) != "default" {
        reads = reads.key(format!("VRF|{}", p.vrf));
    }
    reads
}

/// add_bgp_neighbor.
pub(crate) struct Add<'a>(pub(crate) &'a BgpNeighbor);
/// remove_bgp_neighbor.
pub(crate) struct Remove<'a>(pub(crate) &'a BgpNeighbor);

impl Catalogued for Add<'_> {

    fn reads(&self) -> Reads {
        reads(self.0)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let vrf = vrf_or_default(&p.vrf);
        if vrf != "default" {
            must_exist(view, &format!("VRF|{vrf}"), "vrf", &format!("VRF {vrf}"))?;
        }
        let unified = unified(view);
        let (neighbor, family) = keys(p, unified);
        let mut fields = vec![("asn", p.remote_asn.to_string()), ("admin_status", "up".to_string())];
        if !p.description.is_empty() {
            fields.push(("name", p.description.clone()));
        }
        if !p.local_addr.is_empty() {
            fields.push(("local_addr", p.local_addr.clone()));
        }
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&neighbor, &fields);
        if let Some(family) = family {
            plan.ensure(&family, &[("admin_status", "up".to_string())]);
        }
        Ok(plan.finish())
    }
}

impl Catalogued for Remove<'_> {

    fn reads(&self) -> Reads {
        reads(self.0)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let (neighbor, family) = keys(self.0, unified(view));
        let mut plan = PlanBuilder::new(view);
        if let Some(family) = family {
            plan.release(&family, false, "neighbor")?;
        }
        plan.release(&neighbor, false, "neighbor")?;
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    fn peer(vrf: &str) -> BgpNeighbor {
        BgpNeighbor { vrf: vrf.into(), neighbor: "10.0.0.0".into(), remote_asn: 65100, local_addr: "10.0.0.1".into(), description: "tenant".into(), address_family: String::new() }
    }

    #[test]
    fn key_form_follows_the_routing_mode() {
        let unified = ("DEVICE_METADATA|localhost", &[("docker_routing_config_mode", "unified")][..]);
        let split = ("DEVICE_METADATA|localhost", &[("docker_routing_config_mode", "split")][..]);
        let vrf = ("VRF|VrfRed", &[("NULL", "NULL")][..]);
        check_plan(&Add(&peer("VrfRed")), rows(&[unified, vrf]),
            "+ BGP_NEIGHBOR|VrfRed|10.0.0.0 admin_status=up asn=65100 local_addr=10.0.0.1 name=tenant\n+ BGP_NEIGHBOR_AF|VrfRed|10.0.0.0|ipv4_unicast admin_status=up\n",
            "created=[BGP_NEIGHBOR|VrfRed|10.0.0.0,BGP_NEIGHBOR_AF|VrfRed|10.0.0.0|ipv4_unicast]");
        check_plan(&Add(&peer("")), rows(&[split]),
            "+ BGP_NEIGHBOR|10.0.0.0 admin_status=up asn=65100 local_addr=10.0.0.1 name=tenant\n", "created=[BGP_NEIGHBOR|10.0.0.0]");
        check_refused(&Add(&peer("VrfRed")), rows(&[split]), "vrf", "VRF VrfRed does not exist");
    }
}
