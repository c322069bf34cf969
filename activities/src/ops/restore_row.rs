//! restore_row: a row put back as switchyard last wrote it.
//!
//! Writes:
//! ```text
//! + <TABLE>|<name>  <fields>                create, when the row was deleted
//! ~ <TABLE>|<name>  <fields that differ>    update, when fields were changed
//! ```
//! The step a drift check's remediation suite runs for each drifted row,
//! with the fields the device history says switchyard owns there. Only
//! those fields are set: a field someone else added stays, as a reverse
//! would leave it. Its reverse is the receipt's: a re-created row goes
//! again (unless something uses it), changed fields get back the values
//! they held before, if they still hold the restored ones.

use switchyard_proto::v1::RestoreRow;

use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View};

impl Catalogued for RestoreRow {
    fn reads(&self) -> Reads {
        Reads::default().key(&self.key)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let fields: Vec<(&str, String)> = self.fields.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&self.key, &fields);
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, rows};

    fn restore(fields: &[(&str, &str)]) -> RestoreRow {
        RestoreRow { key: "VLAN|Vlan300".into(), fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
    }

    #[test]
    fn restores_a_deleted_row_and_changed_fields_only() {
        let owned = restore(&[("vlanid", "300"), ("description", "tenant-a")]);
        check_plan(&owned, rows(&[]), "+ VLAN|Vlan300 description=tenant-a vlanid=300\n", "created=[VLAN|Vlan300]");
        let edited = rows(&[("VLAN|Vlan300", &[("vlanid", "300"), ("description", "by-hand"), ("mtu", "9100")])]);
        check_plan(&owned, edited, "~ VLAN|Vlan300 description: by-hand → tenant-a\n", "reused=[VLAN|Vlan300] overwritten=[VLAN|Vlan300.description]");
        let intact = rows(&[("VLAN|Vlan300", &[("vlanid", "300"), ("description", "tenant-a")])]);
        check_plan(&owned, intact, "", "reused=[VLAN|Vlan300]");
    }
}
