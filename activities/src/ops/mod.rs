//! The operation catalogue: pure planning and domain-level reverse.
//!
//! Every operation plans from a [`View`] of the rows it reads and returns a
//! ChangeSet plus a receipt of what it creates, reuses and overwrites. Its
//! reverse works from the receipt and the device's state at reverse time:
//! it removes only rows the step created that nobody else uses, and restores
//! only fields that still hold the value the step wrote.
//!
//! Must never: open a session, touch the network or a clock. Everything here
//! is a function of its inputs, so it is tested with fixture snapshots.

mod add_vlan_member;
mod create_vlan;
pub mod reverse;
pub mod view;

use std::collections::BTreeMap;

use switchyard_proto::v1::{operation::Op, Change, ChangeAction, ChangeSet, FieldOverwrite, Operation, Receipt};

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
    /// Created / reused / overwritten, for the reverse.
    pub receipt: Receipt,
}

/// Builds a [`Planned`] row by row, keeping ChangeSet and receipt in step.
#[derive(Default)]
pub(crate) struct PlanBuilder {
    planned: Planned,
}

impl PlanBuilder {
    /// Creates a row that does not exist yet.
    pub(crate) fn create(&mut self, key: &str, fields: Row) {
        self.planned.changes.changes.push(change(key, ChangeAction::Create, Row::new(), fields));
        self.planned.receipt.created.push(key.to_string());
    }

    /// Records that an existing row is used as it is.
    pub(crate) fn reuse(&mut self, key: &str) {
        self.planned.receipt.reused.push(key.to_string());
    }

    /// Sets fields on an existing row, recording the values overwritten.
    pub(crate) fn update(&mut self, key: &str, before: &Row, set: &[(&str, String)]) {
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
            self.planned.changes.changes.push(change(key, ChangeAction::Update, before.clone(), after));
        }
    }

    pub(crate) fn finish(self) -> Planned {
        self.planned
    }
}

fn change(key: &str, action: ChangeAction, before: Row, after: Row) -> Change {
    let table = key.split('|').next().unwrap_or_default().to_string();
    Change { table, key: key.to_string(), action: action as i32, before, after }
}

/// The closed registry: each operation's reads, plan and consumers.
pub trait Catalogued {
    /// Operation name as written in suite files.
    const NAME: &'static str;
    /// Rows and key patterns the plan depends on.
    fn reads(&self) -> Reads;
    /// Plans against the view (which already holds earlier steps' effects).
    fn plan(&self, view: &View) -> Result<Planned, PlanError>;
    /// Key patterns whose rows would still use `created` (a key this
    /// operation creates); the reverse keeps `created` while any match.
    fn consumers(&self, created: &str) -> Vec<String>;
}

fn with_op<R>(op: &Operation, f: impl FnOnce(&dyn Dispatch) -> R) -> R {
    match op.op.as_ref().expect("operation set by the suite file parser") {
        Op::CreateVlan(p) => f(p),
        Op::AddVlanMember(p) => f(p),
    }
}

/// Object-safe view of [`Catalogued`].
pub(crate) trait Dispatch {
    fn name(&self) -> &'static str;
    fn reads(&self) -> Reads;
    fn plan(&self, view: &View) -> Result<Planned, PlanError>;
    fn consumers(&self, created: &str) -> Vec<String>;
}

impl<T: Catalogued> Dispatch for T {
    fn name(&self) -> &'static str {
        T::NAME
    }
    fn reads(&self) -> Reads {
        Catalogued::reads(self)
    }
    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        Catalogued::plan(self, view)
    }
    fn consumers(&self, created: &str) -> Vec<String> {
        Catalogued::consumers(self, created)
    }
}

/// Name of an operation.
pub fn name(op: &Operation) -> &'static str {
    with_op(op, |d| d.name())
}

/// Rows an operation reads.
pub fn reads(op: &Operation) -> Reads {
    with_op(op, |d| d.reads())
}

/// Plans an operation.
pub fn plan(op: &Operation, view: &View) -> Result<Planned, PlanError> {
    with_op(op, |d| d.plan(view))
}

/// Consumer patterns of a key the operation created.
pub fn consumers(op: &Operation, created: &str) -> Vec<String> {
    with_op(op, |d| d.consumers(created))
}

/// A row's fields, as stored in the CONFIG_DB hash.
pub(crate) fn fields(pairs: &[(&str, String)]) -> Row {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<BTreeMap<_, _>>()
}

#[cfg(test)]
pub(crate) mod tests {
    //! Fixture helpers shared by the operations' data-driven tests.
    use super::*;
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
        parts.join(" ")
    }

    /// Plans `op` against `rows` and compares the rendered diff and receipt.
    pub(crate) fn check_plan<T: Catalogued>(op: &T, rows: BTreeMap<String, Row>, diff: &str, receipt: &str) {
        let planned = op.plan(&View::new(rows)).expect("plan");
        assert_eq!(render_diff(&planned.changes), diff);
        assert_eq!(receipt_line(&planned.receipt), receipt);
    }

    /// Plans `op` against `rows` and expects a refusal on `field`.
    pub(crate) fn check_refused<T: Catalogued>(op: &T, rows: BTreeMap<String, Row>, field: &str, message: &str) {
        let err = op.plan(&View::new(rows)).expect_err("refusal");
        assert_eq!(err.field, field);
        assert!(err.message.contains(message), "{}", err.message);
    }
}
