//! create_loopback / delete_loopback: a loopback interface.
//!
//! Writes:
//! ```text
//! + LOOPBACK_INTERFACE|<LoopbackN>  vrf_name=<vrf> (or NULL)    create, when absent
//! - LOOPBACK_INTERFACE|<LoopbackN>                              delete, once it has no address
//! ```
//! Its addresses are `add_interface_address` steps on it (which also create
//! it when absent). Preconditions: the VRF exists (unless default); an
//! existing loopback bound to another VRF is refused.

use switchyard_proto::v1::Loopback;

use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, Release, View, must_exist};

fn key(p: &Loopback) -> String {
    format!("LOOPBACK_INTERFACE|{}", p.name)
}

/// create_loopback.
pub(crate) struct Create<'a>(pub(crate) &'a Loopback);

impl Catalogued for Create<'_> {

    fn reads(&self) -> Reads {
        let reads = Reads::default().key(key(self.0));
        if self.0.vrf.is_empty() || self.0.vrf == "default" { reads } else { reads.key(format!("VRF|{}", self.0.vrf)) }
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let vrf = if p.vrf == "default" { "" } else { p.vrf.as_str() };
        if !vrf.is_empty() {
            must_exist(view, &format!("VRF|{vrf}"), "vrf", &format!("VRF {vrf}"))?;
        }
        if let Some(bound) = view.row(&key(p)).map(|r| r.get("vrf_name").map_or("", String::as_str))
            && bound != vrf
        {
            let show = |v: &str| if v.is_empty() { "the default VRF".to_string() } else { v.to_string() };
            return Err(PlanError::new("vrf", format!("{} exists in {}, not {}", p.name, show(bound), show(vrf))));
        }
        let fields: Vec<(&str, String)> = if vrf.is_empty() { vec![] } else { vec![("vrf_name", vrf.to_string())] };
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&key(p), &fields);
        Ok(plan.finish())
    }
}

/// delete_loopback.
pub(crate) fn delete(p: &Loopback) -> Release {
    Release::object(key(p), p.keep_if_used, "name")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    #[test]
    fn creates_and_deletes_a_loopback() {
        let lo = Loopback { name: "Loopback10".into(), vrf: "VrfRed".into(), keep_if_used: false };
        let vrf = ("VRF|VrfRed", &[("NULL", "NULL")][..]);
        check_plan(&Create(&lo), rows(&[vrf]), "+ LOOPBACK_INTERFACE|Loopback10 vrf_name=VrfRed\n", "created=[LOOPBACK_INTERFACE|Loopback10]");
        check_refused(&Create(&lo), rows(&[]), "vrf", "VRF VrfRed does not exist");
        check_refused(&Create(&lo), rows(&[vrf, ("LOOPBACK_INTERFACE|Loopback10", &[("NULL", "NULL")])]), "vrf", "exists in the default VRF, not VrfRed");
        let addressed = rows(&[("LOOPBACK_INTERFACE|Loopback10", &[("NULL", "NULL")]), ("LOOPBACK_INTERFACE|Loopback10|10.255.0.10/32", &[("NULL", "NULL")])]);
        check_refused(&delete(&lo), addressed, "name", "still used by LOOPBACK_INTERFACE|Loopback10|10.255.0.10/32");
    }
}
