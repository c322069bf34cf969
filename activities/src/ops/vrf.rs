//! create_vrf / delete_vrf: the VRF object.
//!
//! Writes:
//! ```text
//! + VRF|<name>  [vni=<vni>] (or NULL)     create, when absent
//! - VRF|<name>                            delete, when nothing uses it
//! ```
//! Preconditions: a VNI is mapped (a `VXLAN_TUNNEL_MAP` row with that
//! `vni`) before a VRF takes it as its L3VNI, as SONiC's CLI requires
//! (`config vrf add_vrf_vni_map`).
//! Used by interface rows with vrf_name=<name> (INTERFACE, VLAN_INTERFACE,
//! PORTCHANNEL_INTERFACE, LOOPBACK_INTERFACE), BGP_NEIGHBOR|<name>|*,
//! BGP_NEIGHBOR_AF|<name>|*, STATIC_ROUTE|<name>|*, BGP_GLOBALS|<name>,
//! BGP_GLOBALS_AF|<name>|*, BGP_PEER_RANGE|<name>|*, and rows naming it in
//! VLAN_SUB_INTERFACE vrf_name, SYSLOG_SERVER vrf, DHCPV4_RELAY server_vrf.

use switchyard_proto::v1::Vrf;

use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, Release, View};
use super::bgp_daemon;

fn key(p: &Vrf) -> String {
    format!("VRF|{}", p.name)
}

/// create_vrf.
pub(crate) struct Create<'a>(pub(crate) &'a Vrf);

impl Catalogued for Create<'_> {

    fn reads(&self) -> Reads {
        let reads = Reads::default().key(key(self.0));
        if self.0.vni > 0 { reads.pattern("VXLAN_TUNNEL_MAP|*").key(bgp_daemon::METADATA) } else { reads }
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let vni = self.0.vni.to_string();
        let mapped = view.keys("VXLAN_TUNNEL_MAP|*").iter().any(|k| view.row(k).and_then(|r| r.get("vni")) == Some(&vni));
        if self.0.vni > 0 && !mapped {
            return Err(PlanError::new("vni", format!(
                "VNI {vni} is not mapped on the device (no VXLAN_TUNNEL_MAP row with vni={vni}); SONiC maps a VNI to a VLAN before a VRF takes it as its L3VNI")));
        }
        let mut plan = PlanBuilder::new(view);
        let fields: Vec<(&str, String)> = if self.0.vni > 0 { vec![("vni", self.0.vni.to_string())] } else { vec![] };
        plan.ensure(&key(self.0), &fields);
        if self.0.vni > 0 && !bgp_daemon::frrcfgd(view) {
            // swss's vrfmgrd programs the L3VNI; nothing gives FRR the
            // VRF's `vni` or its EVPN routes on a bgpcfgd switch.
            plan.warn(format!("bgpcfgd runs here (DEVICE_METADATA has no frr_mgmt_framework_config=true): the L3VNI {vni} is programmed in hardware, \
                but nothing configures FRR's `vrf {} / vni {vni}` or EVPN routes for it (sonic-bgpcfgd has no VRF manager); EVPN tenants need frrcfgd", self.0.name));
        }
        Ok(plan.finish())
    }
}

/// delete_vrf: the VRF's row, unless something still uses it.
pub(crate) fn delete(p: &Vrf) -> Release {
    Release::object(key(p), p.keep_if_used, "name")
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
        // config/main.py add_vrf_vni_map: the VNI must be mapped first.
        let l3vni = Vrf { vni: 10100, ..red.clone() };
        check_refused(&Create(&l3vni), rows(&[]), "vni", "VNI 10100 is not mapped");
        check_plan(&Create(&l3vni), rows(&[("VXLAN_TUNNEL_MAP|vtep|map_10100_Vlan100", &[("vlan", "Vlan100"), ("vni", "10100")])]),
            "+ VRF|VrfRed vni=10100\n", "created=[VRF|VrfRed]");
        // A bgpcfgd switch programs the L3VNI but gives FRR nothing for it.
        let map = ("VXLAN_TUNNEL_MAP|vtep|map_10100_Vlan100", &[("vlan", "Vlan100"), ("vni", "10100")][..]);
        let planned = Create(&l3vni).plan(&View::new(rows(&[map]))).unwrap();
        assert!(planned.warnings.len() == 1 && planned.warnings[0].contains("EVPN tenants need frrcfgd"), "{:?}", planned.warnings);
        let frr = ("DEVICE_METADATA|localhost", &[("frr_mgmt_framework_config", "true")][..]);
        assert!(Create(&l3vni).plan(&View::new(rows(&[map, frr]))).unwrap().warnings.is_empty());
        let used = rows(&[("VRF|VrfRed", &[("NULL", "NULL")]), ("INTERFACE|Ethernet8", &[("vrf_name", "VrfRed")])]);
        check_refused(&delete(&red), used.clone(), "name", "still used by INTERFACE|Ethernet8");
        check_plan(&delete(&Vrf { keep_if_used: true, ..red.clone() }), used, "", "kept=[VRF|VrfRed: still used by INTERFACE|Ethernet8]");
        check_plan(&delete(&red), rows(&[("VRF|VrfRed", &[("NULL", "NULL")])]), "- VRF|VrfRed\n", "deleted=[VRF|VrfRed]");
    }
}
