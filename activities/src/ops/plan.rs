//! The plan builder every operation plans with: a refusal naming its
//! parameter ([`PlanError`]), a plan with its receipt ([`Planned`]), the
//! builder that records creates, reuses, overwrites and deletes against a
//! view, and the helpers several operations share (release by key, must
//! exist). The registry that picks an operation's implementation is
//! `ops/mod.rs`, above this; nothing here knows which operations exist.
//!
//! Must never: read a device, or name an operation.

use switchyard_proto::v1::{Change, ChangeAction, ChangeSet, Check, CheckDb, CheckExpect, CheckWhen, DeletedRow, FieldOverwrite, KeptRow, ListChange, Receipt};

use super::references;
pub(crate) use super::view::{Reads, Row, View};


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
    /// What a daemon of this device will not act on, though SONiC accepts
    /// the rows: shown in the diff; a policy may refuse the suite for it.
    pub warnings: Vec<String>,
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

    /// Keys of the rows the step changes so far.
    pub(crate) fn changed_keys(&self) -> impl Iterator<Item = &str> {
        self.planned.changes.changes.iter().map(|c| c.key.as_str())
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
                removed: false,
            });
            after.insert(field.to_string(), value.clone());
        }
        if after != *before {
            self.push(key, ChangeAction::Update, before.clone(), after);
        }
    }

    /// Removes one field of an existing row (recording what it held); an
    /// absent field or row is already what was asked for.
    pub(crate) fn unset(&mut self, key: &str, field: &str) {
        let Some(before) = self.view.row(key).cloned() else { return };
        let Some(previous) = before.get(field).cloned() else {
            self.planned.receipt.kept.push(KeptRow { key: key.to_string(), reason: format!("{field} already unset") });
            return;
        };
        self.planned.receipt.reused.push(key.to_string());
        self.planned.receipt.overwritten.push(FieldOverwrite {
            key: key.to_string(),
            field: field.to_string(),
            had_value: true,
            previous,
            written: String::new(),
            removed: true,
        });
        let mut after = before.clone();
        after.remove(field);
        if after.is_empty() {
            // SONiC's convention for a row without fields.
            after.insert("NULL".into(), "NULL".into());
        }
        self.push(key, ChangeAction::Update, before, after);
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

    /// Warns that the device's daemons will not act on what the step
    /// writes, saying why (and after which SONiC source).
    pub(crate) fn warn(&mut self, warning: String) {
        if !self.planned.warnings.contains(&warning) {
            self.planned.warnings.push(warning);
        }
    }

    /// Restarts a SONiC service once the step's rows are written (and again
    /// after its reverse), saying why.
    pub(crate) fn restart(&mut self, service: &str, why: String) {
        if !self.planned.receipt.restarted.iter().any(|s| s == service) {
            self.planned.receipt.restarted.push(service.to_string());
        }
        self.note(why);
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

/// Removing one row by its key, the whole of many operations' removal: an
/// object others may use (what may use it is read too, and with
/// `keep_if_used` it stays while used), or a leaf nothing uses.
pub(crate) struct Release {
    key: String,
    keep_if_used: bool,
    field: &'static str,
    used_by_others: bool,
}

impl Release {
    /// An object others may use, named by the parameter `field`.
    pub(crate) fn object(key: String, keep_if_used: bool, field: &'static str) -> Self {
        Self { key, keep_if_used, field, used_by_others: true }
    }

    /// A row nothing else uses (a member, a rule).
    pub(crate) fn leaf(key: String, field: &'static str) -> Self {
        Self { key, keep_if_used: false, field, used_by_others: false }
    }
}

impl Catalogued for Release {
    fn reads(&self) -> Reads {
        if self.used_by_others { release_reads(&self.key) } else { Reads::default().key(&self.key) }
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        plan_release(view, &self.key, self.keep_if_used, self.field)
    }
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
    /// What shows on the device that the object this step creates works,
    /// read after the change when the suite asks for the catalogue's checks
    /// (`checks.builtin`); nothing unless the operation says.
    fn checks(&self) -> Vec<Check> {
        Vec::new()
    }
}

/// A post-check the catalogue brings that runs a read-only command on the
/// switch and expects it to exit 0 (its words must pass the allow-list,
/// `switchyard_proto::checks::command_refusal`). Its settle time and
/// origin are the planner's to fill.
pub(crate) fn expect_success(name: String, words: &[&str]) -> Check {
    Check {
        name, when: CheckWhen::Post as i32, db: CheckDb::Unspecified as i32, key: String::new(), field: String::new(),
        expect: CheckExpect::Succeeds as i32, value: String::new(), within_seconds: 0, origin: String::new(),
        command: words.iter().map(|w| w.to_string()).collect(),
    }
}

/// A post-check the catalogue brings: `field` of `key` in `db` equals
/// `value`. Its settle time and origin are the planner's to fill.
pub(crate) fn expect_equal(name: String, db: CheckDb, key: String, field: &str, value: &str) -> Check {
    Check {
        name, when: CheckWhen::Post as i32, db: db as i32, key, field: field.into(), expect: CheckExpect::Equals as i32,
        value: value.into(), within_seconds: 0, origin: String::new(), command: vec![],
    }
}

