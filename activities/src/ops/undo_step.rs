//! undo_step: one step of an earlier suite undone on today's rows, the
//! step `switchyard revert` plans for each step a suite left on a device.
//!
//! Writes what the step's reverse writes ([`super::reverse`]): rows it
//! created and nothing uses go, fields it overwrote and nobody changed
//! since get their old values back, rows it deleted come back unless
//! re-created, list elements it added go and those it removed come back.
//! One rule more than a rollback's: a row the step created that no longer
//! reads as the step wrote it (changed by hand or by a later suite) is left
//! in place, and the plan says so. Everything the reverse leaves in place
//! is a note in the diff, so reviewers see it before they approve.
//!
//! Its own receipt is what it writes, turned around: a revert that fails
//! is rolled back like any suite.

use std::collections::BTreeMap;

use switchyard_proto::v1::{ChangeAction, ChangeSet, CompensationAction, DeletedRow, FieldOverwrite, Receipt, UndoStep};

use super::plan::{Catalogued, PlanError, Planned, Reads, Row, View};
use super::reverse;

impl Catalogued for UndoStep {
    fn reads(&self) -> Reads {
        reverse::reads(&self.receipt.clone().unwrap_or_default())
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let mut receipt = self.receipt.clone().unwrap_or_default();
        let written = last_written(self.written.as_ref());
        let mut notes = Vec::new();
        // A created row someone changed since stays: it is theirs now too.
        receipt.created.retain(|key| match (view.row(key), written.get(key)) {
            (Some(now), Some(wrote)) if now != wrote => {
                notes.push(format!("{key}: left in place: changed since suite {} wrote it", self.suite_id));
                false
            }
            _ => true,
        });
        let undone = reverse::plan("", &self.step_id, &receipt, view);
        for e in undone.entries.iter().filter(|e| e.action == CompensationAction::LeftInPlace as i32) {
            let at = if e.field.is_empty() { e.key.clone() } else { format!("{} {}", e.key, e.field) };
            notes.push(format!("{at}: left in place: {}", e.reason));
        }
        Ok(Planned { receipt: turned_around(&undone.changes), changes: undone.changes, notes, warnings: Vec::new() })
    }
}

/// The last after-image the step wrote for each row it wrote.
fn last_written(written: Option<&ChangeSet>) -> BTreeMap<String, Row> {
    let mut out = BTreeMap::new();
    for c in written.map(|w| w.changes.as_slice()).unwrap_or_default() {
        out.insert(c.key.clone(), c.after.clone());
    }
    out
}

/// The receipt of the rows `changes` write, so that they can be reversed
/// in turn: created rows, deleted rows with their fields, and each field
/// an update set or removed with what it held.
fn turned_around(changes: &ChangeSet) -> Receipt {
    let mut receipt = Receipt::default();
    for c in &changes.changes {
        match ChangeAction::try_from(c.action).unwrap_or(ChangeAction::Unspecified) {
            ChangeAction::Create => receipt.created.push(c.key.clone()),
            ChangeAction::Delete => receipt.deleted.push(DeletedRow { key: c.key.clone(), fields: c.before.clone() }),
            ChangeAction::Update | ChangeAction::Unspecified => {
                let mut fields: Vec<&String> = c.before.keys().chain(c.after.keys()).collect();
                fields.sort();
                fields.dedup();
                for field in fields {
                    let (was, now) = (c.before.get(field), c.after.get(field));
                    if was != now {
                        receipt.overwritten.push(FieldOverwrite {
                            key: c.key.clone(),
                            field: field.clone(),
                            had_value: was.is_some(),
                            previous: was.cloned().unwrap_or_default(),
                            written: now.cloned().unwrap_or_default(),
                            removed: now.is_none(),
                        });
                    }
                }
            }
        }
    }
    receipt
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::rows;
    use crate::changeset::render_diff;
    use switchyard_proto::v1::Change;

    fn undo(receipt: Receipt, written: &[(&str, &[(&str, &str)])]) -> UndoStep {
        let changes = rows(written).into_iter().map(|(key, after)| Change { key, action: ChangeAction::Create as i32, after, ..Default::default() }).collect();
        UndoStep { suite_id: "s1".into(), step_id: "1-create_vlan".into(), receipt: Some(receipt), written: Some(ChangeSet { changes }) }
    }

    /// Rows as the step left them go; a row changed since stays and the
    /// plan says so; its own receipt puts back what it removes.
    #[test]
    fn undoes_what_is_as_the_step_left_it_and_leaves_what_changed() {
        let receipt = Receipt { created: vec!["VLAN|Vlan300".into(), "VLAN|Vlan301".into()], ..Default::default() };
        let step = undo(receipt, &[("VLAN|Vlan300", &[("vlanid", "300")]), ("VLAN|Vlan301", &[("vlanid", "301")])]);
        let view = View::new(rows(&[("VLAN|Vlan300", &[("vlanid", "300")]), ("VLAN|Vlan301", &[("vlanid", "301"), ("description", "by hand")])]));
        let planned = step.plan(&view).unwrap();
        assert_eq!(render_diff(&planned.changes), "- VLAN|Vlan300\n");
        assert_eq!(planned.notes, vec!["VLAN|Vlan301: left in place: changed since suite s1 wrote it"]);
        let fields: Row = [("vlanid".to_string(), "300".to_string())].into();
        assert_eq!(planned.receipt.deleted, vec![DeletedRow { key: "VLAN|Vlan300".into(), fields }]);
    }

    /// What the reverse leaves in place (a row something else now uses) is
    /// a note too, and an update is turned around field by field.
    #[test]
    fn says_what_stays_for_its_users_and_turns_updates_around() {
        let receipt = Receipt {
            created: vec!["VRF|Vrf-red".into()],
            overwritten: vec![FieldOverwrite { key: "PORT|Ethernet8".into(), field: "mtu".into(), had_value: true, previous: "1500".into(), written: "9100".into(), ..Default::default() }],
            ..Default::default()
        };
        let step = undo(receipt, &[("VRF|Vrf-red", &[("NULL", "NULL")])]);
        let view = View::new(rows(&[
            ("VRF|Vrf-red", &[("NULL", "NULL")]),
            ("INTERFACE|Ethernet4", &[("vrf_name", "Vrf-red")]),
            ("PORT|Ethernet8", &[("mtu", "9100")]),
        ]));
        let planned = step.plan(&view).unwrap();
        assert_eq!(render_diff(&planned.changes), "~ PORT|Ethernet8 mtu: 9100 → 1500\n");
        assert!(planned.notes.iter().any(|n| n.starts_with("VRF|Vrf-red: left in place: still used by")), "{:?}", planned.notes);
        assert_eq!(planned.receipt.overwritten, vec![FieldOverwrite { key: "PORT|Ethernet8".into(), field: "mtu".into(), had_value: true, previous: "9100".into(), written: "1500".into(), ..Default::default() }]);
    }
}
