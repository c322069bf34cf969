//! create_bgp_globals / delete_bgp_globals: a VRF's BGP instance.
//!
//! Writes, parent first (frrcfgd drops a VRF's BGP rows that arrive before
//! its `local_asn`):
//! ```text
//! + BGP_GLOBALS|<vrf>                                local_asn=.. [router_id=..]
//! + BGP_GLOBALS_AF|<vrf>|<af>                        NULL   per address family (default ipv4_unicast)
//! + ROUTE_REDISTRIBUTE|<vrf>|<proto>|bgp|<ipv4|ipv6>  NULL   per redistributed protocol and unicast family
//! ```
//! `<vrf>` is `default` for the default VRF. Delete removes them children
//! first, and only while no BGP neighbor of the VRF uses them.
//! A tenant VRF's `l2vpn_evpn` family advertises the VRF's unicast routes
//! into EVPN (`advertise-ipv4-unicast` / `advertise-ipv6-unicast` = true on
//! BGP_GLOBALS_AF|<vrf>|l2vpn_evpn, which frrcfgd renders as `advertise ipv4
//! unicast` under the VRF's `address-family l2vpn evpn`): without it the
//! tenant's subnets never reach the other VTEPs.
//! On a bgpcfgd switch the plan warns: bgpcfgd reads none of these tables
//! and runs BGP on DEVICE_METADATA's `bgp_asn` (a different `local_asn` is
//! warned about too); the rows still stand, since SONiC's YANG ties a VRF's
//! BGP neighbors to its BGP_GLOBALS row.
//! Preconditions: the VRF exists (unless default); BGP globals already
//! there with another local_asn are refused (one AS per VRF instance).
//! Used by BGP_NEIGHBOR and BGP_NEIGHBOR_AF rows of the VRF (both key forms
//! for the default VRF) and by BGP_PEER_GROUP|<vrf>|*.

use switchyard_proto::operation::list_items;
use switchyard_proto::v1::BgpGlobals;

use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, must_exist, release_reads};
use super::keys::{bgp_globals_key as key, vrf_or_default};
use super::bgp_daemon::{self, BGPCFGD_IGNORES, METADATA};

fn families(p: &BgpGlobals) -> Vec<&str> {
    let given = list_items(&p.address_families);
    if given.is_empty() { vec!["ipv4_unicast"] } else { given }
}

/// Every row of the instance, in creation order.
fn rows(p: &BgpGlobals) -> Vec<String> {
    let vrf = vrf_or_default(&p.vrf);
    let mut keys = vec![key(vrf)];
    keys.extend(families(p).iter().map(|af| format!("BGP_GLOBALS_AF|{vrf}|{af}")));
    for proto in list_items(&p.redistribute) {
        for af in families(p) {
            let family = match af {
                "ipv4_unicast" => "ipv4",
                "ipv6_unicast" => "ipv6",
                _ => continue,
            };
            keys.push(format!("ROUTE_REDISTRIBUTE|{vrf}|{proto}|bgp|{family}"));
        }
    }
    keys
}

/// create_bgp_globals.
pub(crate) struct Create<'a>(pub(crate) &'a BgpGlobals);
/// delete_bgp_globals.
pub(crate) struct Delete<'a>(pub(crate) &'a BgpGlobals);

impl Catalogued for Create<'_> {

    fn reads(&self) -> Reads {
        let mut reads = Reads::default();
        for k in rows(self.0) {
            reads = reads.key(k);
        }
        if vrf_or_default(&self.0.vrf) != "default" {
            reads = reads.key(format!("VRF|{}", self.0.vrf));
        }
        reads.key(METADATA)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        if vrf_or_default(&p.vrf) != "default" {
            must_exist(view, &format!("VRF|{}", p.vrf), "vrf", &format!("VRF {}", p.vrf))?;
        }
        let own = key(&p.vrf);
        let asn = p.local_asn.to_string();
        if let Some(existing) = view.row(&own).and_then(|r| r.get("local_asn")).filter(|a| **a != asn) {
            return Err(PlanError::new("local_asn", format!(
                "{own} already runs local_asn {existing}; a VRF has one BGP instance, so use {existing} or remove the instance first")));
        }
        let mut plan = PlanBuilder::new(view);
        let mut fields = vec![("local_asn", asn)];
        if !p.router_id.is_empty() {
            fields.push(("router_id", p.router_id.clone()));
        }
        plan.ensure(&own, &fields);
        let vrf = vrf_or_default(&p.vrf);
        let evpn = format!("BGP_GLOBALS_AF|{vrf}|l2vpn_evpn");
        for k in rows(p).iter().skip(1) {
            if *k == evpn && vrf != "default" {
                let advertised: Vec<(&str, String)> = families(p).iter().filter_map(|af| match *af {
                    "ipv4_unicast" => Some(("advertise-ipv4-unicast", "true".to_string())),
                    "ipv6_unicast" => Some(("advertise-ipv6-unicast", "true".to_string())),
                    _ => None,
                }).collect();
                plan.ensure(k, &advertised);
            } else {
                plan.ensure(k, &[]);
            }
        }
        if !bgp_daemon::frrcfgd(view) {
            plan.warn(format!("{BGPCFGD_IGNORES}: FRR gets no instance, address family or redistribution from this step"));
            if let Some(asn) = view.row(METADATA).and_then(|r| r.get("bgp_asn")).filter(|a| **a != p.local_asn.to_string()) {
                plan.warn(format!("bgpcfgd runs every BGP instance on DEVICE_METADATA bgp_asn {asn}, not local_asn {}", p.local_asn));
            }
        }
        Ok(plan.finish())
    }
}

impl Catalogued for Delete<'_> {

    fn reads(&self) -> Reads {
        let mut reads = release_reads(&key(&self.0.vrf));
        for k in rows(self.0) {
            reads = reads.key(k);
        }
        reads
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let own = key(&p.vrf);
        let mut plan = PlanBuilder::new(view);
        // Only an instance nothing uses goes, and then all of it; the
        // instance's own rows are checked first, so a kept instance keeps
        // its families and redistribution too.
        let users = super::references::users(view, &own);
        if !users.is_empty() {
            return plan.release(&own, p.keep_if_used, "vrf").map(|()| plan.finish());
        }
        for k in rows(p).iter().skip(1).rev() {
            plan.release(k, false, "vrf")?;
        }
        plan.release(&own, p.keep_if_used, "vrf")?;
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows as device};

    fn red() -> BgpGlobals {
        BgpGlobals { vrf: "VrfRed".into(), local_asn: 65001, router_id: "10.1.0.1".into(), address_families: String::new(),
            redistribute: "connected".into(), keep_if_used: false }
    }

    #[test]
    fn creates_the_instance_parent_first() {
        check_plan(&Create(&red()), device(&[("VRF|VrfRed", &[("NULL", "NULL")])]),
            "+ BGP_GLOBALS|VrfRed local_asn=65001 router_id=10.1.0.1\n+ BGP_GLOBALS_AF|VrfRed|ipv4_unicast NULL=NULL\n+ ROUTE_REDISTRIBUTE|VrfRed|connected|bgp|ipv4 NULL=NULL\n",
            "created=[BGP_GLOBALS|VrfRed,BGP_GLOBALS_AF|VrfRed|ipv4_unicast,ROUTE_REDISTRIBUTE|VrfRed|connected|bgp|ipv4]");
        check_refused(&Create(&red()), device(&[]), "vrf", "VRF VrfRed does not exist");
        let other = device(&[("VRF|VrfRed", &[("NULL", "NULL")]), ("BGP_GLOBALS|VrfRed", &[("local_asn", "65009")])]);
        check_refused(&Create(&red()), other, "local_asn", "already runs local_asn 65009");
        let default = BgpGlobals { vrf: String::new(), router_id: String::new(), redistribute: String::new(), address_families: "ipv4_unicast,ipv6_unicast".into(), ..red() };
        check_plan(&Create(&default), device(&[]),
            "+ BGP_GLOBALS|default local_asn=65001\n+ BGP_GLOBALS_AF|default|ipv4_unicast NULL=NULL\n+ BGP_GLOBALS_AF|default|ipv6_unicast NULL=NULL\n",
            "created=[BGP_GLOBALS|default,BGP_GLOBALS_AF|default|ipv4_unicast,BGP_GLOBALS_AF|default|ipv6_unicast]");
    }

    #[test]
    fn an_evpn_tenant_advertises_its_routes_into_evpn() {
        // frrcfgd.py global_af_key_map: advertise-ipv4-unicast on the VRF's
        // l2vpn_evpn family is `advertise ipv4 unicast` there.
        let tenant = BgpGlobals { address_families: "ipv4_unicast,l2vpn_evpn".into(), redistribute: String::new(), ..red() };
        let frr = ("DEVICE_METADATA|localhost", &[("frr_mgmt_framework_config", "true"), ("bgp_asn", "65001")][..]);
        check_plan(&Create(&tenant), device(&[("VRF|VrfRed", &[("NULL", "NULL")]), frr]),
            "+ BGP_GLOBALS|VrfRed local_asn=65001 router_id=10.1.0.1\n+ BGP_GLOBALS_AF|VrfRed|ipv4_unicast NULL=NULL\n\
             + BGP_GLOBALS_AF|VrfRed|l2vpn_evpn advertise-ipv4-unicast=true\n",
            "created=[BGP_GLOBALS|VrfRed,BGP_GLOBALS_AF|VrfRed|ipv4_unicast,BGP_GLOBALS_AF|VrfRed|l2vpn_evpn]");
        let planned = Create(&tenant).plan(&View::new(device(&[("VRF|VrfRed", &[("NULL", "NULL")]), frr]))).unwrap();
        assert!(planned.warnings.is_empty(), "{:?}", planned.warnings);
    }

    #[test]
    fn a_bgpcfgd_switch_is_warned_that_its_frr_ignores_the_instance() {
        // sonic-bgpcfgd main.py subscribes to no BGP_GLOBALS* table and uses
        // DEVICE_METADATA bgp_asn for every instance.
        let bgpcfgd = ("DEVICE_METADATA|localhost", &[("docker_routing_config_mode", "split"), ("bgp_asn", "65003")][..]);
        let planned = Create(&red()).plan(&View::new(device(&[("VRF|VrfRed", &[("NULL", "NULL")]), bgpcfgd]))).unwrap();
        assert_eq!(planned.warnings.len(), 2, "{:?}", planned.warnings);
        assert!(planned.warnings[0].starts_with("bgpcfgd runs here") && planned.warnings[0].contains("BGP_GLOBALS_AF, ROUTE_REDISTRIBUTE"), "{:?}", planned.warnings);
        assert_eq!(planned.warnings[1], "bgpcfgd runs every BGP instance on DEVICE_METADATA bgp_asn 65003, not local_asn 65001");
    }

    #[test]
    fn is_deleted_children_first_and_only_when_no_neighbor_uses_it() {
        let instance = [
            ("VRF|VrfRed", &[("NULL", "NULL")][..]),
            ("BGP_GLOBALS|VrfRed", &[("local_asn", "65001")][..]),
            ("BGP_GLOBALS_AF|VrfRed|ipv4_unicast", &[("NULL", "NULL")][..]),
            ("ROUTE_REDISTRIBUTE|VrfRed|connected|bgp|ipv4", &[("NULL", "NULL")][..]),
        ];
        let planned = Delete(&red()).plan(&View::new(device(&instance))).unwrap();
        let keys: Vec<&str> = planned.changes.changes.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["ROUTE_REDISTRIBUTE|VrfRed|connected|bgp|ipv4", "BGP_GLOBALS_AF|VrfRed|ipv4_unicast", "BGP_GLOBALS|VrfRed"]);
        let mut used = instance.to_vec();
        used.push(("BGP_NEIGHBOR|VrfRed|10.0.0.0", &[("asn", "65100")][..]));
        check_refused(&Delete(&red()), device(&used), "vrf", "still used by BGP_NEIGHBOR|VrfRed|10.0.0.0");
        let kept = Delete(&BgpGlobals { keep_if_used: true, ..red() }).plan(&View::new(device(&used))).unwrap();
        assert!(kept.changes.changes.is_empty(), "{kept:?}");
        // Undoing one tenant's create while another tenant's peer uses the
        // instance keeps all of it, its parts included.
        let receipt = switchyard_proto::v1::Receipt {
            created: instance[1..].iter().map(|(k, _)| k.to_string()).collect(), ..Default::default()
        };
        let undo = crate::ops::reverse::plan("d", "s", &receipt, &View::new(device(&used)));
        assert!(undo.changes.changes.is_empty(), "{:?}", undo.entries);
    }
}
