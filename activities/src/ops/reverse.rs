//! The domain-level reverse of a step, planned from its receipt.
//!
//! Not a mechanical undo of the ChangeSet: a row the step created is removed
//! only while nothing uses it, a row that existed before the suite is never
//! removed, and a field is restored only if it still holds the value the step
//! wrote. Every decision is one compensation-log entry with its reason.

use switchyard_proto::v1::{
    Change, ChangeAction, ChangeSet, CompensationAction, CompensationEntry, Operation, Receipt,
};

use super::{Reads, View, consumers};

/// What undoing one step will write, and the log of why.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReversePlan {
    /// Row changes, applied atomically like a forward step.
    pub changes: ChangeSet,
    /// One entry per object considered.
    pub entries: Vec<CompensationEntry>,
}

/// Rows and patterns the reverse must read at reverse time.
pub fn reads(op: &Operation, receipt: &Receipt) -> Reads {
    let mut reads = Reads::default();
    for key in &receipt.created {
        reads.keys.insert(key.clone());
        reads.patterns.extend(consumers(op, key));
    }
    for o in &receipt.overwritten {
        reads.keys.insert(o.key.clone());
    }
    reads
}

/// Plans the reverse of one step of `device` against the current `view`.
pub fn plan(device: &str, step_id: &str, op: &Operation, receipt: &Receipt, view: &View) -> ReversePlan {
    let mut out = ReversePlan::default();
    let entry = |key: &str, field: &str, action: CompensationAction, reason: String| CompensationEntry {
        device: device.to_string(),
        step_id: step_id.to_string(),
        key: key.to_string(),
        field: field.to_string(),
        action: action as i32,
        reason,
    };
    let mut removed: Vec<&str> = Vec::new();
    for key in receipt.created.iter().rev() {
        let Some(row) = view.row(key) else {
            out.entries.push(entry(key, "", CompensationAction::LeftInPlace, "already absent: removed by someone else".into()));
            continue;
        };
        let users: Vec<String> = consumers(op, key).iter().flat_map(|p| view.keys(p)).collect();
        if !users.is_empty() {
            out.entries.push(entry(key, "", CompensationAction::LeftInPlace, format!("still used by {}", users.join(", "))));
            continue;
        }
        out.changes.changes.push(Change {
            table: table_of(key),
            key: key.clone(),
            action: ChangeAction::Delete as i32,
            before: row.clone(),
            after: Default::default(),
        });
        removed.push(key);
        out.entries.push(entry(key, "", CompensationAction::Removed, "created by this suite and used by nothing else".into()));
    }
    for o in receipt.overwritten.iter().rev() {
        if removed.contains(&o.key.as_str()) {
            continue;
        }
        let Some(row) = view.row(&o.key) else {
            out.entries.push(entry(&o.key, &o.field, CompensationAction::LeftInPlace, "row no longer exists".into()));
            continue;
        };
        let now = row.get(&o.field);
        if now != Some(&o.written) {
            let now = now.map_or("(unset)".to_string(), |v| format!("{v:?}"));
            out.entries.push(entry(&o.key, &o.field, CompensationAction::LeftInPlace,
                format!("changed since the suite wrote {:?}: now {now}", o.written)));
            continue;
        }
        let mut after = row.clone();
        if o.had_value { after.insert(o.field.clone(), o.previous.clone()); } else { after.remove(&o.field); }
        // Several overwrites of one row merge into one update.
        match out.changes.changes.iter_mut().find(|c| c.key == o.key) {
            Some(c) => c.after = merge(&c.after, &o.field, after.get(&o.field)),
            None => out.changes.changes.push(Change {
                table: table_of(&o.key),
                key: o.key.clone(),
                action: ChangeAction::Update as i32,
                before: row.clone(),
                after,
            }),
        }
        let restored = if o.had_value { format!("restored {:?}", o.previous) } else { "removed the field the suite added".into() };
        out.entries.push(entry(&o.key, &o.field, CompensationAction::Restored, restored));
    }
    for key in &receipt.reused {
        if !receipt.overwritten.iter().any(|o| &o.key == key) {
            out.entries.push(entry(key, "", CompensationAction::LeftInPlace, "existed before the suite".into()));
        }
    }
    out
}

fn merge(row: &super::Row, field: &str, value: Option<&String>) -> super::Row {
    let mut row = row.clone();
    match value {
        Some(v) => row.insert(field.to_string(), v.clone()),
        None => row.remove(field),
    };
    row
}

fn table_of(key: &str) -> String {
    key.split('|').next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::rows;
    use switchyard_proto::v1::{operation::Op, CreateVlan, FieldOverwrite};

    fn create_vlan() -> Operation {
        Operation { op: Some(Op::CreateVlan(CreateVlan { vlan_id: 100, description: "t".into() })) }
    }

    fn actions(p: &ReversePlan) -> Vec<(String, i32)> {
        p.entries.iter().map(|e| (e.key.clone(), e.action)).collect()
    }

    #[test]
    fn removes_what_it_created_when_unused() {
        let receipt = Receipt { created: vec!["VLAN|Vlan100".into()], ..Default::default() };
        let view = View::new(rows(&[("VLAN|Vlan100", &[("vlanid", "100")])]));
        let p = plan("d1", "1-create_vlan", &create_vlan(), &receipt, &view);
        assert_eq!(p.changes.changes.len(), 1);
        assert_eq!(p.changes.changes[0].action, ChangeAction::Delete as i32);
        assert_eq!(actions(&p), [("VLAN|Vlan100".to_string(), CompensationAction::Removed as i32)]);
    }

    #[test]
    fn keeps_what_is_still_used() {
        let receipt = Receipt { created: vec!["VLAN|Vlan100".into()], ..Default::default() };
        let view = View::new(rows(&[("VLAN|Vlan100", &[("vlanid", "100")]), ("VLAN_MEMBER|Vlan100|Ethernet8", &[("tagging_mode", "tagged")])]));
        let p = plan("d1", "1-create_vlan", &create_vlan(), &receipt, &view);
        assert!(p.changes.changes.is_empty());
        assert!(p.entries[0].reason.contains("still used by VLAN_MEMBER|Vlan100|Ethernet8"), "{:?}", p.entries);
    }

    #[test]
    fn restores_only_unchanged_fields() {
        let overwrite = FieldOverwrite { key: "VLAN|Vlan100".into(), field: "description".into(), had_value: true, previous: "old".into(), written: "t".into() };
        let receipt = Receipt { reused: vec!["VLAN|Vlan100".into()], overwritten: vec![overwrite], ..Default::default() };
        let same = View::new(rows(&[("VLAN|Vlan100", &[("vlanid", "100"), ("description", "t")])]));
        let p = plan("d1", "s", &create_vlan(), &receipt, &same);
        assert_eq!(p.changes.changes[0].after["description"], "old");
        assert_eq!(p.entries[0].action, CompensationAction::Restored as i32);

        let moved = View::new(rows(&[("VLAN|Vlan100", &[("vlanid", "100"), ("description", "someone else")])]));
        let p = plan("d1", "s", &create_vlan(), &receipt, &moved);
        assert!(p.changes.changes.is_empty());
        assert_eq!(p.entries[0].action, CompensationAction::LeftInPlace as i32);
        assert!(p.entries[0].reason.contains("now \"someone else\""), "{:?}", p.entries);
    }
}
