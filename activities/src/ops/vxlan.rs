//! create_vtep / delete_vtep and map_vni / unmap_vni: EVPN/VXLAN.
//!
//! Writes, in the order SONiC needs them (VTEP, then its NVO, then maps;
//! a VRF takes a mapped VNI as its L3VNI afterwards with create_vrf vni):
//! ```text
//! + VXLAN_TUNNEL|<vtep>                          src_ip=..          create_vtep
//! + VXLAN_EVPN_NVO|<nvo>                         source_vtep=<vtep> create_vtep
//! + VXLAN_TUNNEL_MAP|<vtep>|map_<vni>_Vlan<id>   vlan=Vlan<id> vni=<vni>   map_vni
//! ```
//! Deletes go the other way: a map only while no VRF takes its VNI, the VTEP
//! and NVO only once no map uses the VTEP. Preconditions: one VTEP per
//! switch (another tunnel, or this one with another source, is refused); a
//! map needs the VTEP and the VLAN, and neither the VNI nor the VLAN may be
//! mapped already to something else.

use switchyard_proto::v1::{VniMap, Vtep};

use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, must_exist, release_reads};

fn or<'a>(name: &'a str, default: &'a str) -> &'a str {
    if name.is_empty() { default } else { name }
}

fn tunnel_key(name: &str) -> String {
    format!("VXLAN_TUNNEL|{}", or(name, "vtep"))
}

fn nvo_key(name: &str) -> String {
    format!("VXLAN_EVPN_NVO|{}", or(name, "nvo"))
}

fn map_key(p: &VniMap) -> String {
    format!("VXLAN_TUNNEL_MAP|{}|map_{}_Vlan{}", or(&p.vtep, "vtep"), p.vni, p.vlan_id)
}

/// create_vtep.
pub(crate) struct CreateVtep<'a>(pub(crate) &'a Vtep);
/// delete_vtep.
pub(crate) struct DeleteVtep<'a>(pub(crate) &'a Vtep);
/// map_vni.
pub(crate) struct Map<'a>(pub(crate) &'a VniMap);
/// unmap_vni.
pub(crate) struct Unmap<'a>(pub(crate) &'a VniMap);

impl Catalogued for CreateVtep<'_> {

    fn reads(&self) -> Reads {
        Reads::default().pattern("VXLAN_TUNNEL|*").key(nvo_key(&self.0.nvo))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let own = tunnel_key(&p.name);
        if let Some(other) = view.keys("VXLAN_TUNNEL|*").into_iter().find(|k| *k != own) {
            return Err(PlanError::new("name", format!("the switch already has a VTEP ({other}); SONiC runs one per switch")));
        }
        if let Some(src) = view.row(&own).and_then(|r| r.get("src_ip")).filter(|s| **s != p.src_ip) {
            return Err(PlanError::new("src_ip", format!("{own} already sources from {src}; changing a VTEP's source moves every tunnel on it")));
        }
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&own, &[("src_ip", p.src_ip.clone())]);
        plan.ensure(&nvo_key(&p.nvo), &[("source_vtep", or(&p.name, "vtep").to_string())]);
        Ok(plan.finish())
    }
}

impl Catalogued for DeleteVtep<'_> {

    fn reads(&self) -> Reads {
        release_reads(&tunnel_key(&self.0.name)).key(nvo_key(&self.0.nvo))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let own = tunnel_key(&p.name);
        let mut plan = PlanBuilder::new(view);
        // The NVO goes with its VTEP, and stays with it while maps use it.
        if !super::references::users(view, &own).is_empty() {
            plan.release(&own, p.keep_if_used, "name")?;
            return Ok(plan.finish());
        }
        plan.release(&nvo_key(&p.nvo), false, "nvo")?;
        plan.release(&own, p.keep_if_used, "name")?;
        Ok(plan.finish())
    }
}

impl Catalogued for Map<'_> {

    fn reads(&self) -> Reads {
        Reads::default()
            .key(tunnel_key(&self.0.vtep))
            .key(format!("VLAN|Vlan{}", self.0.vlan_id))
            .pattern(format!("VXLAN_TUNNEL_MAP|{}|*", or(&self.0.vtep, "vtep")))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        must_exist(view, &tunnel_key(&p.vtep), "vtep", &format!("VTEP {}", or(&p.vtep, "vtep")))?;
        let vlan = format!("Vlan{}", p.vlan_id);
        must_exist(view, &format!("VLAN|{vlan}"), "vlan_id", &format!("VLAN {vlan}"))?;
        let own = map_key(p);
        let (vni, field) = (p.vni.to_string(), |k: &str, f: &str| view.row(k).and_then(|r| r.get(f)).cloned());
        for other in view.keys(&format!("VXLAN_TUNNEL_MAP|{}|*", or(&p.vtep, "vtep"))).into_iter().filter(|k| *k != own) {
            if field(&other, "vni").as_deref() == Some(vni.as_str()) {
                return Err(PlanError::new("vni", format!("VNI {vni} is already mapped ({other})")));
            }
            if field(&other, "vlan").as_deref() == Some(vlan.as_str()) {
                return Err(PlanError::new("vlan_id", format!("{vlan} is already mapped to a VNI ({other})")));
            }
        }
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&own, &[("vlan", vlan), ("vni", vni)]);
        Ok(plan.finish())
    }
}

impl Catalogued for Unmap<'_> {

    fn reads(&self) -> Reads {
        release_reads(&map_key(self.0))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let mut plan = PlanBuilder::new(view);
        plan.release(&map_key(self.0), self.0.keep_if_used, "vni")?;
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    fn vtep() -> Vtep {
        Vtep { name: String::new(), src_ip: "10.1.0.1".into(), nvo: String::new(), keep_if_used: false }
    }

    fn map() -> VniMap {
        VniMap { vtep: String::new(), vni: 10100, vlan_id: 100, keep_if_used: false }
    }

    #[test]
    fn one_vtep_per_switch_with_its_nvo() {
        check_plan(&CreateVtep(&vtep()), rows(&[]), "+ VXLAN_TUNNEL|vtep src_ip=10.1.0.1\n+ VXLAN_EVPN_NVO|nvo source_vtep=vtep\n",
            "created=[VXLAN_TUNNEL|vtep,VXLAN_EVPN_NVO|nvo]");
        check_refused(&CreateVtep(&vtep()), rows(&[("VXLAN_TUNNEL|vtep1", &[("src_ip", "10.1.0.9")])]), "name", "one per switch");
        check_refused(&CreateVtep(&vtep()), rows(&[("VXLAN_TUNNEL|vtep", &[("src_ip", "10.1.0.9")])]), "src_ip", "already sources from 10.1.0.9");
        let used = rows(&[
            ("VXLAN_TUNNEL|vtep", &[("src_ip", "10.1.0.1")]),
            ("VXLAN_EVPN_NVO|nvo", &[("source_vtep", "vtep")]),
            ("VXLAN_TUNNEL_MAP|vtep|map_10100_Vlan100", &[("vlan", "Vlan100"), ("vni", "10100")]),
        ]);
        check_refused(&DeleteVtep(&vtep()), used.clone(), "name", "still used by VXLAN_TUNNEL_MAP|vtep|map_10100_Vlan100");
        // Undoing the create while another tenant's map uses the VTEP keeps
        // the VTEP and its NVO both.
        let receipt = switchyard_proto::v1::Receipt { created: vec!["VXLAN_TUNNEL|vtep".into(), "VXLAN_EVPN_NVO|nvo".into()], ..Default::default() };
        let undo = crate::ops::reverse::plan("d", "s", &receipt, &View::new(used));
        assert!(undo.changes.changes.is_empty(), "{:?}", undo.entries);
    }

    #[test]
    fn maps_need_the_vtep_and_the_vlan_and_stay_while_a_vrf_takes_the_vni() {
        let base = [("VXLAN_TUNNEL|vtep", &[("src_ip", "10.1.0.1")][..]), ("VLAN|Vlan100", &[("vlanid", "100")][..])];
        check_plan(&Map(&map()), rows(&base), "+ VXLAN_TUNNEL_MAP|vtep|map_10100_Vlan100 vlan=Vlan100 vni=10100\n",
            "created=[VXLAN_TUNNEL_MAP|vtep|map_10100_Vlan100]");
        check_refused(&Map(&map()), rows(&base[1..]), "vtep", "VTEP vtep does not exist");
        let mut taken = base.to_vec();
        taken.push(("VXLAN_TUNNEL_MAP|vtep|map_10100_Vlan200", &[("vlan", "Vlan200"), ("vni", "10100")][..]));
        check_refused(&Map(&map()), rows(&taken), "vni", "already mapped");
        let mut l3vni = base.to_vec();
        l3vni.push(("VXLAN_TUNNEL_MAP|vtep|map_10100_Vlan100", &[("vlan", "Vlan100"), ("vni", "10100")][..]));
        l3vni.push(("VRF|VrfRed", &[("vni", "10100")][..]));
        check_refused(&Unmap(&map()), rows(&l3vni), "vni", "still used by VRF|VrfRed");
    }
}
