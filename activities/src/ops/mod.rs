//! The operation catalogue: pure planning and domain-level reverse.
//!
//! Every operation plans from a [`View`] of the rows it reads and returns a
//! ChangeSet plus a receipt of what it creates, reuses, overwrites and
//! deletes. The reverse ([`reverse`]) works from the receipt and the
//! device's state at reverse time: it removes only rows the step created
//! that nothing uses ([`references`]), restores only fields that still hold
//! the value the step wrote, and puts back only rows nobody re-created.
//!
//! One file per operation pair. Must never: open a session, touch the
//! network or a clock. Everything here is a function of its inputs, so it
//! is tested with fixture snapshots.

mod acl_binding;
mod acl_rule;
mod acl_table;
mod bgp_daemon;
mod bgp_globals;
mod dhcp_relay;
mod bgp_neighbor;
mod bgp_peer_group;
mod interface_address;
mod interfaces;
mod keys;
mod loopback;
mod port;
mod portchannel;
mod portchannel_member;
pub mod references;
mod restore_row;
pub mod reverse;
mod static_route;
mod switchport;
pub mod view;
mod vlan;
mod vlan_interface;
mod vlan_member;
mod vrf;
mod vxlan;

use switchyard_proto::operation;
use switchyard_proto::v1::{
    operation::Op, Change, ChangeAction, ChangeSet, DeletedRow, FieldOverwrite, KeptRow, ListChange, Operation, Receipt,
};

pub use view::{Reads, Row, View};

/// A refused plan: names the parameter and says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PlanError {
    /// Parameter of the step the refusal is about, e.g. `port`.
    pub field: String,
    /// What is wrong, naming the rows involved.
    pub message: String,
}

impl PlanError {
    pub(crate) fn new(field: &str, message: impl Into<String>) -> Self {
        Self { field: field.to_string(), message: message.into() }
    }
}

/// What one step will do.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Planned {
    /// Ordered row changes.
    pub changes: ChangeSet,
    /// Created / reused / overwritten / deleted, for the reverse.
    pub receipt: Receipt,
    /// What the plan chose from the device's own facts (which BGP daemon's
    /// key form, which DHCP relay table), for the operator reading the diff.
    pub notes: Vec<String>,
}

/// Builds a [`Planned`] row by row, keeping the ChangeSet, the receipt and
/// a working view (the device as this step leaves it) in step.
pub(crate) struct PlanBuilder {
    view: View,
    planned: Planned,
}

impl PlanBuilder {
    pub(crate) fn new(view: &View) -> Self {
        Self { view: view.clone(), planned: Planned::default() }
    }

    /// The device as the step has changed it so far.
    pub(crate) fn view(&self) -> &View {
        &self.view
    }

    /// The row at `key`, as the step has changed it so far.
    pub(crate) fn row(&self, key: &str) -> Option<&Row> {
        self.view.row(key)
    }

    /// Makes sure a row exists with `fields` set: creates it, or updates the
    /// fields that differ (recording what they held).
    pub(crate) fn ensure(&mut self, key: &str, fields: &[(&str, String)]) {
        match self.view.row(key).cloned() {
            None => {
                let mut row: Row = fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
                if row.is_empty() {
                    // SONiC's convention for a row without fields.
                    row.insert("NULL".into(), "NULL".into());
                }
                self.push(key, ChangeAction::Create, Row::new(), row);
                self.planned.receipt.created.push(key.to_string());
            }
            Some(before) => {
                self.planned.receipt.reused.push(key.to_string());
                self.update(key, &before, fields);
            }
        }
    }

    fn update(&mut self, key: &str, before: &Row, set: &[(&str, String)]) {
        let mut after = before.clone();
        for (field, value) in set {
            if before.get(*field) == Some(value) {
                continue;
            }
            self.planned.receipt.overwritten.push(FieldOverwrite {
                key: key.to_string(),
                field: field.to_string(),
                had_value: before.contains_key(*field),
                previous: before.get(*field).cloned().unwrap_or_default(),
                written: value.clone(),
            });
            after.insert(field.to_string(), value.clone());
        }
        if after != *before {
            self.push(key, ChangeAction::Update, before.clone(), after);
        }
    }

    /// Deletes a row if nothing uses it. When something does: refuses, or
    /// with `keep_if_used` keeps it and records why. An absent row is
    /// already what was asked for.
    pub(crate) fn release(&mut self, key: &str, keep_if_used: bool, field: &str) -> Result<(), PlanError> {
        let Some(row) = self.view.row(key).cloned() else {
            self.planned.receipt.kept.push(KeptRow { key: key.to_string(), reason: "already absent".into() });
            return Ok(());
        };
        let users = references::users(&self.view, key);
        if !users.is_empty() {
            let why = format!("still used by {}", users.join(", "));
            if keep_if_used {
                self.planned.receipt.kept.push(KeptRow { key: key.to_string(), reason: why });
                return Ok(());
            }
            return Err(PlanError::new(field, format!("cannot remove {key}: {why} (set keep_if_used to keep it instead)")));
        }
        self.push(key, ChangeAction::Delete, row.clone(), Row::new());
        self.planned.receipt.deleted.push(DeletedRow { key: key.to_string(), fields: row });
        Ok(())
    }

    /// Says what the plan chose from the device's facts, and why.
    pub(crate) fn note(&mut self, note: String) {
        if !self.planned.notes.contains(&note) {
            self.planned.notes.push(note);
        }
    }

    /// Keeps a row the step would otherwise remove, saying why.
    pub(crate) fn keep(&mut self, key: &str, reason: String) {
        self.planned.receipt.kept.push(KeptRow { key: key.to_string(), reason });
    }

    /// Adds `element` to a comma-separated list field, creating the row
    /// when it is absent (a relay row holds nothing but its list).
    pub(crate) fn list_add(&mut self, key: &str, field: &str, element: &str) {
        let added = ListChange { key: key.to_string(), field: field.to_string(), element: element.to_string() };
        let Some(before) = self.view.row(key).cloned() else {
            let row: Row = [(field.to_string(), element.to_string())].into();
            self.push(key, ChangeAction::Create, Row::new(), row);
            self.planned.receipt.created.push(key.to_string());
            self.planned.receipt.list_added.push(added);
            return;
        };
        let mut items = list(before.get(field));
        if items.iter().any(|i| i == element) {
            self.planned.receipt.reused.push(format!("{key} {field} {element}"));
            return;
        }
        items.push(element.to_string());
        let mut after = before.clone();
        after.insert(field.to_string(), items.join(","));
        self.push(key, ChangeAction::Update, before, after);
        self.planned.receipt.list_added.push(added);
    }

    /// Removes `element` from a list field, if it is there. A row left with
    /// no field at all goes (redis keeps no empty hash).
    pub(crate) fn list_remove(&mut self, key: &str, field: &str, element: &str) {
        let Some(before) = self.view.row(key).cloned() else { return };
        let items = list(before.get(field));
        if !items.iter().any(|i| i == element) {
            self.planned.receipt.kept.push(KeptRow { key: key.to_string(), reason: format!("{element} already not in {field}") });
            return;
        }
        let rest: Vec<String> = items.into_iter().filter(|i| i != element).collect();
        let mut after = before.clone();
        // An empty list is no list: the field goes.
        if rest.is_empty() { after.remove(field) } else { after.insert(field.to_string(), rest.join(",")) };
        self.planned.receipt.list_removed.push(ListChange { key: key.to_string(), field: field.to_string(), element: element.to_string() });
        if after.is_empty() {
            self.push(key, ChangeAction::Delete, before.clone(), Row::new());
            self.planned.receipt.deleted.push(DeletedRow { key: key.to_string(), fields: before });
        } else {
            self.push(key, ChangeAction::Update, before, after);
        }
    }

    fn push(&mut self, key: &str, action: ChangeAction, before: Row, after: Row) {
        if action == ChangeAction::Delete { self.view.remove_row(key) } else { self.view.set_row(key, after.clone()) }
        // One change per row and step: a second write to the same row folds in.
        if let Some(c) = self.planned.changes.changes.iter_mut().find(|c| c.key == key) {
            c.after = after;
            c.action = match (ChangeAction::try_from(c.action), action) {
                (Ok(ChangeAction::Create), ChangeAction::Delete) => ChangeAction::Delete,
                (Ok(ChangeAction::Create), _) => ChangeAction::Create,
                _ => action,
            } as i32;
            return;
        }
        self.planned.changes.changes.push(change(key, action, before, after));
    }

    pub(crate) fn finish(self) -> Planned {
        self.planned
    }
}

/// Items of a comma-separated list field.
pub(crate) fn list(value: Option<&String>) -> Vec<String> {
    value.map(|v| v.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()).unwrap_or_default()
}

pub(crate) fn change(key: &str, action: ChangeAction, before: Row, after: Row) -> Change {
    let table = key.split('|').next().unwrap_or_default().to_string();
    Change { table, key: key.to_string(), action: action as i32, before, after }
}

/// Reads of a step that removes an object: its row and every row that may
/// still use it.
pub(crate) fn release_reads(key: &str) -> Reads {
    let mut reads = Reads::default().key(key);
    reads.merge(references::reads(key));
    reads
}

/// Plans the removal of one object (see [`PlanBuilder::release`]).
pub(crate) fn plan_release(view: &View, key: &str, keep_if_used: bool, field: &str) -> Result<Planned, PlanError> {
    let mut plan = PlanBuilder::new(view);
    plan.release(key, keep_if_used, field)?;
    Ok(plan.finish())
}

/// Fails unless the row exists, naming what it is and the parameter.
pub(crate) fn must_exist<'v>(view: &'v View, key: &str, field: &str, what: &str) -> Result<&'v Row, PlanError> {
    view.row(key).ok_or_else(|| PlanError::new(field, format!("{what} does not exist on the device (no {key} row)")))
}

/// The device-dependent half of one operation: what it reads and how it
/// plans against those rows. Its wire name, parameters and static rules
/// are declared once in `switchyard_proto::operation`.
pub trait Catalogued {
    /// Rows and key patterns the plan depends on.
    fn reads(&self) -> Reads;
    /// Plans against the view (which already holds earlier steps' effects).
    /// The operation's static rules have already passed.
    fn plan(&self, view: &View) -> Result<Planned, PlanError>;
}

/// The closed registry: every operation variant to its implementation. A
/// variant added to `operations.proto` without an arm here does not compile.
fn with_op<R>(op: &Op, f: impl FnOnce(&dyn Catalogued) -> R) -> R {
    match op {
        Op::CreateVlan(p) => f(p),
        Op::DeleteVlan(p) => f(p),
        Op::AddVlanMember(p) => f(p),
        Op::RemoveVlanMember(p) => f(&vlan_member::Remove(p)),
        Op::AddVlanInterface(p) => f(&vlan_interface::Add(p)),
        Op::RemoveVlanInterface(p) => f(&vlan_interface::Remove(p)),
        Op::CreateVrf(p) => f(&vrf::Create(p)),
        Op::DeleteVrf(p) => f(&vrf::Delete(p)),
        Op::AddInterfaceAddress(p) => f(&interface_address::Add(p)),
        Op::RemoveInterfaceAddress(p) => f(&interface_address::Remove(p)),
        Op::AddBgpNeighbor(p) => f(&bgp_neighbor::Add(p)),
        Op::RemoveBgpNeighbor(p) => f(&bgp_neighbor::Remove(p)),
        Op::AddStaticRoute(p) => f(&static_route::Add(p)),
        Op::RemoveStaticRoute(p) => f(&static_route::Remove(p)),
        Op::CreateAclTable(p) => f(&acl_table::Create(p)),
        Op::DeleteAclTable(p) => f(&acl_table::Delete(p)),
        Op::AddAclRule(p) => f(&acl_rule::Add(p)),
        Op::RemoveAclRule(p) => f(&acl_rule::Remove(p)),
        Op::BindAclTable(p) => f(&acl_binding::Bind(p)),
        Op::UnbindAclTable(p) => f(&acl_binding::Unbind(p)),
        Op::CreatePortchannel(p) => f(&portchannel::Create(p)),
        Op::DeletePortchannel(p) => f(&portchannel::Delete(p)),
        Op::AddPortchannelMember(p) => f(&portchannel_member::Add(p)),
        Op::RemovePortchannelMember(p) => f(&portchannel_member::Remove(p)),
        Op::SetPort(p) => f(p),
        Op::SetSwitchportMode(p) => f(p),
        Op::CreateLoopback(p) => f(&loopback::Create(p)),
        Op::DeleteLoopback(p) => f(&loopback::Delete(p)),
        Op::CreateVtep(p) => f(&vxlan::CreateVtep(p)),
        Op::DeleteVtep(p) => f(&vxlan::DeleteVtep(p)),
        Op::MapVni(p) => f(&vxlan::Map(p)),
        Op::UnmapVni(p) => f(&vxlan::Unmap(p)),
        Op::AddDhcpRelay(p) => f(&dhcp_relay::Add(p)),
        Op::RemoveDhcpRelay(p) => f(&dhcp_relay::Remove(p)),
        Op::CreateBgpGlobals(p) => f(&bgp_globals::Create(p)),
        Op::DeleteBgpGlobals(p) => f(&bgp_globals::Delete(p)),
        Op::CreateBgpPeerGroup(p) => f(&bgp_peer_group::Create(p)),
        Op::DeleteBgpPeerGroup(p) => f(&bgp_peer_group::Delete(p)),
        Op::RestoreRow(p) => f(p),
    }
}

/// The operation a step carries; a step without one (`operation: {}` from
/// a client other than the CLI) is refused, never assumed.
pub fn operation_of(op: &Operation) -> Result<&Op, PlanError> {
    op.op.as_ref().ok_or_else(|| PlanError::new("operation", "no operation given"))
}

/// Rows an operation reads.
pub fn reads(op: &Op) -> Reads {
    with_op(op, |d| d.reads())
}

/// Plans an operation: its static rules first (a workflow input need not
/// come from a suite file), then against the device's rows.
pub fn plan(op: &Op, view: &View) -> Result<Planned, PlanError> {
    operation::check(op).map_err(|e| PlanError::new(e.field, e.message))?;
    with_op(op, |d| d.plan(view))
}

#[cfg(test)]
pub(crate) mod tests {
    //! Fixture helpers shared by the operations' data-driven tests.
    use super::*;
    use std::collections::BTreeMap;

    use crate::changeset::render_diff;

    pub(crate) fn rows(rows: &[(&str, &[(&str, &str)])]) -> BTreeMap<String, Row> {
        rows.iter().map(|(k, f)| (k.to_string(), f.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect())).collect()
    }

    fn receipt_line(r: &Receipt) -> String {
        let mut parts = Vec::new();
        if !r.created.is_empty() { parts.push(format!("created=[{}]", r.created.join(","))); }
        if !r.reused.is_empty() { parts.push(format!("reused=[{}]", r.reused.join(","))); }
        if !r.overwritten.is_empty() {
            let o: Vec<String> = r.overwritten.iter().map(|o| format!("{}.{}", o.key, o.field)).collect();
            parts.push(format!("overwritten=[{}]", o.join(",")));
        }
        if !r.deleted.is_empty() {
            let d: Vec<&str> = r.deleted.iter().map(|d| d.key.as_str()).collect();
            parts.push(format!("deleted=[{}]", d.join(",")));
        }
        if !r.list_added.is_empty() {
            let l: Vec<String> = r.list_added.iter().map(|l| format!("{}.{}+{}", l.key, l.field, l.element)).collect();
            parts.push(format!("list_added=[{}]", l.join(",")));
        }
        if !r.list_removed.is_empty() {
            let l: Vec<String> = r.list_removed.iter().map(|l| format!("{}.{}-{}", l.key, l.field, l.element)).collect();
            parts.push(format!("list_removed=[{}]", l.join(",")));
        }
        if !r.kept.is_empty() {
            let k: Vec<String> = r.kept.iter().map(|k| format!("{}: {}", k.key, k.reason)).collect();
            parts.push(format!("kept=[{}]", k.join(",")));
        }
        parts.join(" ")
    }

    /// Plans `op` against `rows` and compares the rendered diff and receipt.
    pub(crate) fn check_plan(op: &dyn Catalogued, rows: BTreeMap<String, Row>, diff: &str, receipt: &str) {
        let planned = op.plan(&View::new(rows)).expect("plan");
        assert_eq!(render_diff(&planned.changes), diff);
        assert_eq!(receipt_line(&planned.receipt), receipt);
    }

    /// Plans `op` against `rows` and expects a refusal on `field`.
    pub(crate) fn check_refused(op: &dyn Catalogued, rows: BTreeMap<String, Row>, field: &str, message: &str) {
        let err = op.plan(&View::new(rows)).expect_err("refusal");
        assert_eq!(err.field, field, "{}", err.message);
        assert!(err.message.contains(message), "{}", err.message);
    }
}
