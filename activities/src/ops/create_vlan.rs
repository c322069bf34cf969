//! create_vlan: make sure VLAN `Vlan<id>` exists.
//!
//! Writes:
//! ```text
//! + VLAN|Vlan<id>  vlanid=<id> [description=<text>]     (when absent: created)
//! ~ VLAN|Vlan<id>  description <old> → <text>           (when present: reused)
//! ```
//! Reverse: deletes `VLAN|Vlan<id>` only if this step created it and no
//! VLAN_MEMBER or VLAN_INTERFACE row still uses it; restores description.

use switchyard_proto::v1::CreateVlan;

use super::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, fields};

pub(crate) fn vlan_key(vlan_id: u32) -> String {
    format!("VLAN|Vlan{vlan_id}")
}

impl Catalogued for CreateVlan {
    const NAME: &'static str = "create_vlan";

    fn reads(&self) -> Reads {
        Reads::default().key(vlan_key(self.vlan_id))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        if !(1..=4094).contains(&self.vlan_id) {
            return Err(PlanError::new("vlan_id", format!("VLAN id {} is out of range 1..=4094", self.vlan_id)));
        }
        let key = vlan_key(self.vlan_id);
        let mut plan = PlanBuilder::default();
        match view.row(&key) {
            None => {
                let mut row = vec![("vlanid", self.vlan_id.to_string())];
                if !self.description.is_empty() {
                    row.push(("description", self.description.clone()));
                }
                plan.create(&key, fields(&row));
            }
            Some(existing) => {
                if existing.get("vlanid").is_some_and(|v| *v != self.vlan_id.to_string()) {
                    return Err(PlanError::new("vlan_id", format!("{key} exists with vlanid={}", existing["vlanid"])));
                }
                plan.reuse(&key);
                if !self.description.is_empty() {
                    plan.update(&key, existing, &[("description", self.description.clone())]);
                }
            }
        }
        Ok(plan.finish())
    }

    fn consumers(&self, created: &str) -> Vec<String> {
        let vlan = created.trim_start_matches("VLAN|");
        vec![format!("VLAN_MEMBER|{vlan}|*"), format!("VLAN_INTERFACE|{vlan}"), format!("VLAN_INTERFACE|{vlan}|*")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, rows};

    #[test]
    fn plans() {
        let op = CreateVlan { vlan_id: 100, description: "tenant-a".into() };
        check_plan(&op, rows(&[]), "+ VLAN|Vlan100 description=tenant-a vlanid=100\n", "created=[VLAN|Vlan100]");
        check_plan(&op, rows(&[("VLAN|Vlan100", &[("vlanid", "100")])]),
            "~ VLAN|Vlan100 description: (unset) → tenant-a\n", "reused=[VLAN|Vlan100] overwritten=[VLAN|Vlan100.description]");
        check_plan(&op, rows(&[("VLAN|Vlan100", &[("vlanid", "100"), ("description", "tenant-a")])]), "", "reused=[VLAN|Vlan100]");
    }

    #[test]
    fn refuses_out_of_range() {
        let op = CreateVlan { vlan_id: 5000, description: String::new() };
        let err = op.plan(&View::default()).unwrap_err();
        assert_eq!(err.field, "vlan_id");
    }
}
