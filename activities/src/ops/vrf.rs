//! create_vrf / delete_vrf: the VRF object.
//!
//! Writes:
//! ```text
//! + VRF|<name>  [vni=<vni>] (or NULL)     create, when absent
//! - VRF|<name>                            delete, when nothing uses it
//! ```
//! Used by interface rows with vrf_name=<name> (INTERFACE, VLAN_INTERFACE,
//! PORTCHANNEL_INTERFACE, LOOPBACK_INTERFACE), BGP_NEIGHBOR|<name>|*,
//! BGP_NEIGHBOR_AF|<name>|*, STATIC_ROUTE|<name>|*, BGP_GLOBALS|<name>.

use switchyard_proto::v1::Vrf;

use super::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, plan_release, release_reads};

fn key(p: &Vrf) -> String {
    format!("VRF|{}", p.name)
}

/// create_vrf.
pub(crate) struct Create<'a>(pub(crate) &'a Vrf);
/// delete_vrf.
pub(crate) struct Delete<'a>(pub(crate) &'a Vrf);

impl Catalogued for Create<'_> {

    fn reads(&self) -> Reads {
        Reads::default().key(key(self.0))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let mut plan = PlanBuilder::new(view);
        let fields: Vec<(&str, String)> = if self.0.vni > 0 { vec![("vni", self.0.vni.to_string())] } else { vec![] };
        plan.ensure(&key(self.0), &fields);
        Ok(plan.finish())
    }
}

impl Catalogued for Delete<'_> {

    fn reads(&self) -> Reads {
        release_reads(&key(self.0))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        plan_release(view, &key(self.0), self.0.keep_if_used, "name")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    #[test]
    fn plans() {
        let red = Vrf { name: "VrfRed".into(), vni: 0, keep_if_used: false };
        check_plan(&Create(&red), rows(&[]), "+ VRF|VrfRed NULL=NULL\n", "created=[VRF|VrfRed]");
        check_plan(&Create(&red), rows(&[("VRF|VrfRed", &[("NULL", "NULL")])]), "", "reused=[VRF|VrfRed]");
        let used = rows(&[("VRF|VrfRed", &[("NULL", "NULL")]), ("INTERFACE|Ethernet8", &[("vrf_name", "VrfRed")])]);
        check_refused(&Delete(&red), used.clone(), "name", "still used by INTERFACE|Ethernet8");
        check_plan(&Delete(&Vrf { keep_if_used: true, ..red.clone() }), used, "", "kept=[VRF|VrfRed: still used by INTERFACE|Ethernet8]");
        check_plan(&Delete(&red), rows(&[("VRF|VrfRed", &[("NULL", "NULL")])]), "- VRF|VrfRed\n", "deleted=[VRF|VrfRed]");
    }
}
