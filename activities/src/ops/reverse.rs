//! The domain-level reverse of a step, planned from its receipt.
//!
//! Not a mechanical undo of the ChangeSet:
//! - a row the step created is removed only while nothing uses it
//!   ([`super::references`]); a row that existed before the suite is never removed;
//! - a field is restored only if it still holds the value the step wrote;
//! - a row the step deleted is put back only if nobody re-created it;
//! - a list element the step added is removed (others' elements stay), one
//!   it removed is put back.
//!
//! Every decision is one compensation-log entry with its reason.

use switchyard_proto::v1::{ChangeAction, ChangeSet, CompensationAction, CompensationEntry, Receipt};

use super::plan::{Reads, Row, View, change, list};
use super::references;

/// What undoing one step will write, and the log of why.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReversePlan {
    /// Row changes, applied atomically like a forward step.
    pub changes: ChangeSet,
    /// One entry per object considered.
    pub entries: Vec<CompensationEntry>,
}

/// Rows and patterns the reverse must read at reverse time.
pub fn reads(receipt: &Receipt) -> Reads {
    let mut reads = Reads::default();
    for key in &receipt.created {
        reads.keys.insert(key.clone());
        reads.merge(references::reads(key));
    }
    for o in &receipt.overwritten {
        reads.keys.insert(o.key.clone());
    }
    for d in &receipt.deleted {
        reads.keys.insert(d.key.clone());
    }
    for l in receipt.list_added.iter().chain(&receipt.list_removed) {
        reads.keys.insert(l.key.clone());
    }
    reads
}

struct Undo<'a> {
    device: &'a str,
    step_id: &'a str,
    view: View,
    out: ReversePlan,
}

impl Undo<'_> {
    fn log(&mut self, key: &str, field: &str, action: CompensationAction, reason: String) {
        self.out.entries.push(CompensationEntry {
            device: self.device.to_string(),
            step_id: self.step_id.to_string(),
            key: key.to_string(),
            field: field.to_string(),
            action: action as i32,
            reason,
            remains: false,
        });
    }

    /// Logs a change of the suite's that stays on the device.
    fn log_remaining(&mut self, key: &str, field: &str, reason: String) {
        self.log(key, field, CompensationAction::LeftInPlace, reason);
        if let Some(e) = self.out.entries.last_mut() {
            e.remains = true;
        }
    }

    fn write(&mut self, key: &str, after: Option<Row>) {
        let before = self.view.row(key).cloned().unwrap_or_default();
        let action = match (&after, before.is_empty()) {
            (None, _) => ChangeAction::Delete,
            (Some(_), true) => ChangeAction::Create,
            (Some(_), false) => ChangeAction::Update,
        };
        match &after {
            None => self.view.remove_row(key),
            Some(row) => self.view.set_row(key, row.clone()),
        }
        let after = after.unwrap_or_default();
        if let Some(c) = self.out.changes.changes.iter_mut().find(|c| c.key == key) {
            c.after = after;
            if action == ChangeAction::Delete {
                c.action = action as i32;
            }
            return;
        }
        self.out.changes.changes.push(change(key, action, before, after));
    }
}

/// Plans the reverse of one step of `device` against the current `view`.
pub fn plan(device: &str, step_id: &str, receipt: &Receipt, view: &View) -> ReversePlan {
    let mut u = Undo { device, step_id, view: view.clone(), out: ReversePlan::default() };

    for l in receipt.list_added.iter().rev() {
        let Some(row) = u.view.row(&l.key).cloned() else {
            u.log(&l.key, &l.field, CompensationAction::LeftInPlace, "row no longer exists".into());
            continue;
        };
        let items = list(row.get(&l.field));
        if !items.contains(&l.element) {
            u.log(&l.key, &l.field, CompensationAction::LeftInPlace, format!("{} was already removed by someone else", l.element));
            continue;
        }
        let rest: Vec<String> = items.into_iter().filter(|i| *i != l.element).collect();
        let mut after = row.clone();
        // An empty list is no list: the field goes, as before the first bind.
        if rest.is_empty() { after.remove(&l.field) } else { after.insert(l.field.clone(), rest.join(",")) };
        u.write(&l.key, Some(after));
        u.log(&l.key, &l.field, CompensationAction::Removed, format!("removed {} that the suite added", l.element));
    }

    for key in receipt.created.iter().rev() {
        // A relay row that held only the suite's element went with it above.
        let emptied = u.out.changes.changes.iter().any(|c| &c.key == key) && u.view.row(key).is_none();
        if emptied {
            u.log(key, "", CompensationAction::Removed, "created by this suite and used by nothing else".into());
            continue;
        }
        if u.view.row(key).is_none() {
            u.log(key, "", CompensationAction::LeftInPlace, "already absent: removed by someone else".into());
            continue;
        }
        let users = references::users(&u.view, key);
        if !users.is_empty() {
            u.log_remaining(key, "", format!("still used by {}", users.join(", ")));
            continue;
        }
        u.write(key, None);
        u.log(key, "", CompensationAction::Removed, "created by this suite and used by nothing else".into());
    }

    for o in receipt.overwritten.iter().rev() {
        let Some(row) = u.view.row(&o.key).cloned() else {
            u.log(&o.key, &o.field, CompensationAction::LeftInPlace, "row no longer exists".into());
            continue;
        };
        let now = row.get(&o.field);
        let left = if o.removed { now.is_some() } else { now != Some(&o.written) };
        if left {
            let now = now.map_or("(unset)".to_string(), |v| format!("{v:?}"));
            let wrote = if o.removed { "removed it".to_string() } else { format!("wrote {:?}", o.written) };
            u.log_remaining(&o.key, &o.field, format!("changed since the suite {wrote}: now {now}"));
            continue;
        }
        let mut after = row.clone();
        if o.had_value { after.insert(o.field.clone(), o.previous.clone()) } else { after.remove(&o.field) };
        u.write(&o.key, Some(after));
        let restored = if o.had_value { format!("restored {:?}", o.previous) } else { "removed the field the suite added".into() };
        u.log(&o.key, &o.field, CompensationAction::Restored, restored);
    }

    for d in receipt.deleted.iter().rev() {
        if u.view.row(&d.key).is_some() {
            u.log(&d.key, "", CompensationAction::LeftInPlace, "re-created by someone else since the suite deleted it".into());
            continue;
        }
        u.write(&d.key, Some(d.fields.clone()));
        u.log(&d.key, "", CompensationAction::Restored, "re-created as it was before the suite deleted it".into());
    }

    // In the order they were removed: elements a step took out together
    // come back in the order they stood in.
    for l in &receipt.list_removed {
        let Some(row) = u.view.row(&l.key).cloned() else {
            u.log(&l.key, &l.field, CompensationAction::LeftInPlace, "row no longer exists".into());
            continue;
        };
        let mut items = list(row.get(&l.field));
        if items.contains(&l.element) {
            u.log(&l.key, &l.field, CompensationAction::LeftInPlace, format!("{} is back already", l.element));
            continue;
        }
        items.push(l.element.clone());
        let mut after = row.clone();
        after.insert(l.field.clone(), items.join(","));
        u.write(&l.key, Some(after));
        u.log(&l.key, &l.field, CompensationAction::Restored, format!("put {} back", l.element));
    }

    for key in &receipt.reused {
        if !receipt.overwritten.iter().any(|o| &o.key == key) {
            u.log(key, "", CompensationAction::LeftInPlace, "existed before the suite".into());
        }
    }
    for k in &receipt.kept {
        u.log(&k.key, "", CompensationAction::LeftInPlace, format!("the step kept it: {}", k.reason));
    }
    u.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::rows;
    use switchyard_proto::v1::{DeletedRow, FieldOverwrite, ListChange};

    fn actions(p: &ReversePlan) -> Vec<(String, i32)> {
        p.entries.iter().map(|e| (e.key.clone(), e.action)).collect()
    }

    #[test]
    fn removes_what_it_created_when_unused() {
        let receipt = Receipt { created: vec!["VLAN|Vlan100".into()], ..Default::default() };
        let view = View::new(rows(&[("VLAN|Vlan100", &[("vlanid", "100")])]));
        let p = plan("d1", "1-create_vlan", &receipt, &view);
        assert_eq!(p.changes.changes.len(), 1);
        assert_eq!(p.changes.changes[0].action, ChangeAction::Delete as i32);
        assert_eq!(actions(&p), [("VLAN|Vlan100".to_string(), CompensationAction::Removed as i32)]);
    }

    #[test]
    fn keeps_what_is_still_used() {
        let receipt = Receipt { created: vec!["VLAN|Vlan100".into()], ..Default::default() };
        let view = View::new(rows(&[("VLAN|Vlan100", &[("vlanid", "100")]), ("VLAN_MEMBER|Vlan100|Ethernet8", &[("tagging_mode", "tagged")])]));
        let p = plan("d1", "1-create_vlan", &receipt, &view);
        assert!(p.changes.changes.is_empty());
        assert!(p.entries[0].reason.contains("still used by VLAN_MEMBER|Vlan100|Ethernet8"), "{:?}", p.entries);
    }

    #[test]
    fn rows_created_together_go_together() {
        // An interface's base row is used by its address row until the
        // address goes in the same reverse.
        let receipt = Receipt { created: vec!["INTERFACE|Ethernet8".into(), "INTERFACE|Ethernet8|10.0.0.1/31".into()], ..Default::default() };
        let view = View::new(rows(&[("INTERFACE|Ethernet8", &[("NULL", "NULL")]), ("INTERFACE|Ethernet8|10.0.0.1/31", &[("NULL", "NULL")])]));
        let p = plan("d1", "s", &receipt, &view);
        assert_eq!(p.changes.changes.len(), 2, "{:?}", p.entries);
    }

    #[test]
    fn restores_only_unchanged_fields() {
        let overwrite = FieldOverwrite { key: "VLAN|Vlan100".into(), field: "description".into(), had_value: true, previous: "old".into(), written: "t".into(), ..Default::default() };
        let receipt = Receipt { reused: vec!["VLAN|Vlan100".into()], overwritten: vec![overwrite], ..Default::default() };
        let same = View::new(rows(&[("VLAN|Vlan100", &[("vlanid", "100"), ("description", "t")])]));
        let p = plan("d1", "s", &receipt, &same);
        assert_eq!(p.changes.changes[0].after["description"], "old");
        assert_eq!(p.entries[0].action, CompensationAction::Restored as i32);

        let moved = View::new(rows(&[("VLAN|Vlan100", &[("vlanid", "100"), ("description", "someone else")])]));
        let p = plan("d1", "s", &receipt, &moved);
        assert!(p.changes.changes.is_empty());
        assert_eq!(p.entries[0].action, CompensationAction::LeftInPlace as i32);
        assert!(p.entries[0].reason.contains("now \"someone else\""), "{:?}", p.entries);
    }

    #[test]
    fn puts_back_what_it_deleted_and_list_elements() {
        let receipt = Receipt {
            deleted: vec![DeletedRow { key: "VRF|VrfRed".into(), fields: [("vni".to_string(), "100".to_string())].into() }],
            list_added: vec![ListChange { key: "ACL_TABLE|T".into(), field: "ports@".into(), element: "Ethernet8".into() }],
            ..Default::default()
        };
        let view = View::new(rows(&[("ACL_TABLE|T", &[("ports@", "Ethernet4,Ethernet8,Ethernet12")])]));
        let p = plan("d1", "s", &receipt, &view);
        let after: Vec<(String, String)> = p.changes.changes.iter().map(|c| (c.key.clone(), c.after.values().cloned().collect::<Vec<_>>().join(","))).collect();
        assert_eq!(after, [("ACL_TABLE|T".to_string(), "Ethernet4,Ethernet12".to_string()), ("VRF|VrfRed".to_string(), "100".to_string())]);
    }
}
