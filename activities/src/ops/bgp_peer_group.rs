//! create_bgp_peer_group / delete_bgp_peer_group: a BGP peer group of a VRF.
//!
//! Writes, as frrcfgd reads them (sonic-bgp-peergroup.yang), parent first:
//! ```text
//! + BGP_PEER_GROUP|<vrf>|<name>          admin_status=true [asn=..] [name=<description>]
//! + BGP_PEER_GROUP_AF|<vrf>|<name>|<af>  admin_status=true   per address family
//! ```
//! Only frrcfgd reads peer groups from CONFIG_DB; bgpcfgd builds its own
//! from templates, so a device without `frr_mgmt_framework_config` "true"
//! is refused with that reason. Preconditions: the VRF's BGP instance
//! exists. Used by the VRF's neighbors whose `peer_group_name` names it;
//! delete removes the address families first.

use switchyard_proto::operation::list_items;
use switchyard_proto::v1::BgpPeerGroup;

use super::bgp_daemon::{ADMIN_TRUE_WHY, DAEMON_FIELD, admin_up, frrcfgd};
use super::keys::peer_group_key as key;
use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, release_reads};
use super::keys::vrf_or_default;

fn families(p: &BgpPeerGroup) -> Vec<&str> {
    let given = list_items(&p.address_families);
    if given.is_empty() { vec!["ipv4_unicast"] } else { given }
}

fn af_keys(p: &BgpPeerGroup) -> Vec<String> {
    let vrf = vrf_or_default(&p.vrf);
    families(p).iter().map(|af| format!("BGP_PEER_GROUP_AF|{vrf}|{}|{af}", p.name)).collect()
}

fn reads(p: &BgpPeerGroup) -> Reads {
    let mut reads = Reads::default().key("DEVICE_METADATA|localhost").key(key(&p.vrf, &p.name)).key(super::keys::bgp_globals_key(&p.vrf));
    for k in af_keys(p) {
        reads = reads.key(k);
    }
    reads
}

/// create_bgp_peer_group.
pub(crate) struct Create<'a>(pub(crate) &'a BgpPeerGroup);
/// delete_bgp_peer_group.
pub(crate) struct Delete<'a>(pub(crate) &'a BgpPeerGroup);

impl Catalogued for Create<'_> {

    fn reads(&self) -> Reads {
        reads(self.0)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let vrf = vrf_or_default(&p.vrf);
        if !frrcfgd(view) {
            return Err(PlanError::new("name", format!(
                "this device runs bgpcfgd (DEVICE_METADATA has no {DAEMON_FIELD}=true), which takes no peer groups from CONFIG_DB; \
                 give each neighbor its own remote_asn instead")));
        }
        let globals = super::keys::bgp_globals_key(vrf);
        if !view.row(&globals).is_some_and(|r| r.contains_key("local_asn")) {
            return Err(PlanError::new("vrf", format!(
                "VRF {vrf} has no BGP instance ({globals} with local_asn); add a create_bgp_globals step for {vrf} before it")));
        }
        let own = key(vrf, &p.name);
        if let (Some(existing), true) = (view.row(&own).and_then(|r| r.get("asn")), p.remote_asn > 0)
            && *existing != p.remote_asn.to_string()
        {
            return Err(PlanError::new("remote_asn", format!("{own} exists with asn {existing}; a group has one remote AS")));
        }
        let mut fields = vec![("admin_status", admin_up(view).to_string())];
        if p.remote_asn > 0 {
            fields.push(("asn", p.remote_asn.to_string()));
        }
        if !p.description.is_empty() {
            fields.push(("name", p.description.clone()));
        }
        let mut plan = PlanBuilder::new(view);
        plan.note(format!("frrcfgd runs here (DEVICE_METADATA {DAEMON_FIELD}=true): it reads BGP_PEER_GROUP"));
        plan.note(ADMIN_TRUE_WHY.to_string());
        plan.ensure(&own, &fields);
        for k in af_keys(p) {
            plan.ensure(&k, &[("admin_status", admin_up(view).to_string())]);
        }
        Ok(plan.finish())
    }
}

impl Catalogued for Delete<'_> {

    fn reads(&self) -> Reads {
        let mut r = release_reads(&key(&self.0.vrf, &self.0.name));
        r.merge(reads(self.0));
        r
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let own = key(&p.vrf, &p.name);
        let mut plan = PlanBuilder::new(view);
        // A group still in use keeps its address families with it.
        if !super::references::users(view, &own).is_empty() {
            return plan.release(&own, p.keep_if_used, "name").map(|()| plan.finish());
        }
        for k in af_keys(p).iter().rev() {
            plan.release(k, false, "name")?;
        }
        plan.release(&own, p.keep_if_used, "name")?;
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    const FRRCFGD: (&str, &[(&str, &str)]) = ("DEVICE_METADATA|localhost", &[("frr_mgmt_framework_config", "true")]);
    const INSTANCE: (&str, &[(&str, &str)]) = ("BGP_GLOBALS|VrfRed", &[("local_asn", "65001")]);

    fn group() -> BgpPeerGroup {
        BgpPeerGroup { vrf: "VrfRed".into(), name: "TENANT".into(), remote_asn: 65100, description: "tenant peers".into(), ..Default::default() }
    }

    /// sonic-bgp-peergroup.yang, read by frrcfgd only.
    #[test]
    fn a_group_is_frrcfgds_and_needs_the_vrfs_instance() {
        check_plan(&Create(&group()), rows(&[FRRCFGD, INSTANCE]),
            "+ BGP_PEER_GROUP|VrfRed|TENANT admin_status=true asn=65100 name=tenant peers\n+ BGP_PEER_GROUP_AF|VrfRed|TENANT|ipv4_unicast admin_status=true\n",
            "created=[BGP_PEER_GROUP|VrfRed|TENANT,BGP_PEER_GROUP_AF|VrfRed|TENANT|ipv4_unicast]");
        check_refused(&Create(&group()), rows(&[INSTANCE]), "name", "runs bgpcfgd");
        check_refused(&Create(&group()), rows(&[FRRCFGD]), "vrf", "has no BGP instance");
    }

    #[test]
    fn a_group_goes_once_no_neighbor_is_in_it() {
        let mut device = vec![FRRCFGD, INSTANCE,
            ("BGP_PEER_GROUP|VrfRed|TENANT", &[("admin_status", "up")][..]),
            ("BGP_PEER_GROUP_AF|VrfRed|TENANT|ipv4_unicast", &[("admin_status", "up")][..])];
        check_plan(&Delete(&group()), rows(&device), "- BGP_PEER_GROUP_AF|VrfRed|TENANT|ipv4_unicast\n- BGP_PEER_GROUP|VrfRed|TENANT\n",
            "deleted=[BGP_PEER_GROUP_AF|VrfRed|TENANT|ipv4_unicast,BGP_PEER_GROUP|VrfRed|TENANT]");
        device.push(("BGP_NEIGHBOR|VrfRed|10.0.0.2", &[("peer_group_name", "TENANT")][..]));
        check_refused(&Delete(&group()), rows(&device), "name", "still used by BGP_NEIGHBOR|VrfRed|10.0.0.2");
    }
}
