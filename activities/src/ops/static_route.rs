//! add_static_route / remove_static_route.
//!
//! Writes:
//! ```text
//! + STATIC_ROUTE|default|<prefix>  nexthop=.. [ifname=..] [distance=..]   default VRF
//! + STATIC_ROUTE|<vrf>|<prefix>    ...                                    in a VRF
//! ```
//! The default VRF's routes carry `default` as SONiC's CLI writes them
//! (config/main.py `cli_sroute_to_config`): a one-part key falls in a YANG
//! list without `distance` and is not the row the CLI would see.
//! Preconditions: the VRF exists (unless default); no route for the same
//! prefix in the old one-part form (it would be a second route). Remove
//! deletes the row, in either form.

use switchyard_proto::v1::StaticRoute;

use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, must_exist, plan_release};
use super::keys::vrf_or_default;

fn key(p: &StaticRoute) -> String {
    format!("STATIC_ROUTE|{}|{}", vrf_or_default(&p.vrf), p.prefix)
}

/// The one-part key older tools wrote for a default-VRF route.
fn one_part_key(p: &StaticRoute) -> Option<String> {
    (vrf_or_default(&p.vrf) == "default").then(|| format!("STATIC_ROUTE|{}", p.prefix))
}

fn reads(p: &StaticRoute) -> Reads {
    let mut reads = Reads::default().key(key(p));
    match one_part_key(p) {
        Some(old) => reads = reads.key(old),
        None => reads = reads.key(format!("VRF|{}", p.vrf)),
    }
    reads
}

/// add_static_route.
pub(crate) struct Add<'a>(pub(crate) &'a StaticRoute);
/// remove_static_route.
pub(crate) struct Remove<'a>(pub(crate) &'a StaticRoute);

impl Catalogued for Add<'_> {

    fn reads(&self) -> Reads {
        reads(self.0)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        if vrf_or_default(&p.vrf) != "default" {
            must_exist(view, &format!("VRF|{}", p.vrf), "vrf", &format!("VRF {}", p.vrf))?;
        }
        if let Some(old) = one_part_key(p).filter(|old| view.row(old).is_some()) {
            return Err(PlanError::new("prefix", format!(
                "{old} already routes {} in the one-part form; SONiC's form is {}: remove the old row first (remove_static_route removes either)", p.prefix, key(p))));
        }
        let mut fields = Vec::new();
        if !p.nexthop.is_empty() {
            fields.push(("nexthop", p.nexthop.clone()));
        }
        if !p.ifname.is_empty() {
            fields.push(("ifname", p.ifname.clone()));
        }
        if p.distance > 0 {
            fields.push(("distance", p.distance.to_string()));
        }
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&key(p), &fields);
        Ok(plan.finish())
    }
}

impl Catalogued for Remove<'_> {

    fn reads(&self) -> Reads {
        reads(self.0)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        // A route an older tool wrote in the one-part form is removed too.
        let key = match one_part_key(self.0) {
            Some(old) if view.row(&key(self.0)).is_none() && view.row(&old).is_some() => old,
            _ => key(self.0),
        };
        plan_release(view, &key, false, "prefix")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    #[test]
    fn plans() {
        let route = StaticRoute { vrf: "VrfRed".into(), prefix: "10.9.0.0/16".into(), nexthop: "10.0.0.0".into(), ifname: String::new(), distance: 0 };
        check_plan(&Add(&route), rows(&[("VRF|VrfRed", &[("NULL", "NULL")])]), "+ STATIC_ROUTE|VrfRed|10.9.0.0/16 nexthop=10.0.0.0\n",
            "created=[STATIC_ROUTE|VrfRed|10.9.0.0/16]");
        check_refused(&Add(&route), rows(&[]), "vrf", "VRF VrfRed does not exist");
    }

    #[test]
    fn default_vrf_routes_carry_default_as_the_cli_writes_them() {
        // config/main.py cli_sroute_to_config: STATIC_ROUTE|default|<prefix>.
        let route = StaticRoute { vrf: String::new(), prefix: "10.9.0.0/16".into(), nexthop: "10.0.0.0".into(), ifname: String::new(), distance: 10 };
        check_plan(&Add(&route), rows(&[]), "+ STATIC_ROUTE|default|10.9.0.0/16 distance=10 nexthop=10.0.0.0\n",
            "created=[STATIC_ROUTE|default|10.9.0.0/16]");
        // An old one-part row for the prefix would make a second route.
        let old = rows(&[("STATIC_ROUTE|10.9.0.0/16", &[("nexthop", "10.0.0.2")])]);
        check_refused(&Add(&route), old.clone(), "prefix", "one-part form");
        // Removal takes either form.
        let plan = Remove(&route).plan(&View::new(old)).unwrap();
        assert!(format!("{plan:?}").contains("STATIC_ROUTE|10.9.0.0/16"), "{plan:?}");
    }
}
