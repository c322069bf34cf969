//! add_static_route / remove_static_route.
//!
//! Writes:
//! ```text
//! + STATIC_ROUTE|<prefix>          nexthop=.. [ifname=..] [distance=..]   default VRF
//! + STATIC_ROUTE|<vrf>|<prefix>    ...                                    in a VRF
//! ```
//! Preconditions: the VRF exists (unless default). Remove deletes the row.

use switchyard_proto::v1::StaticRoute;

use super::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, must_exist, plan_release, vrf_or_default};

fn key(p: &StaticRoute) -> String {
    match vrf_or_default(&p.vrf) {
        "default" => format!("STATIC_ROUTE|{}", p.prefix),
        vrf => format!("STATIC_ROUTE|{vrf}|{}", p.prefix),
    }
}

fn reads(p: &StaticRoute) -> Reads {
    let reads = Reads::default().key(key(p));
    if vrf_or_default(&p.vrf) == "default" { reads } else { reads.key(format!("VRF|{}", p.vrf)) }
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
        plan_release(view, &key(self.0), false, "prefix")
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
}
