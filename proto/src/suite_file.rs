//! The suite file: which devices, which operations, how to roll out.
//!
//! Parsing is strict and located: a malformed file, an unknown key or
//! operation, a bad parameter, an empty selector or one (or one entry of
//! one) that matches no device, or an approval policy that can never be met
//! is refused with the file, line, column and field, before anything starts.
//! Checks that need the device's state (does the port exist?) happen when
//! the suite plans, on the device.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::inventory::{Device, Inventory};
use crate::selector::{self, entry_matches};
use crate::operation::{self, OperationDef};
use crate::params::{has_template, Params, RawParams, RawStep, Scalar};
use crate::services::{fill, Catalogue};
use crate::v1::{
    ApprovalPolicy, ChangeWindow, DeviceTarget, Operation, Rollout, Step, SuiteInput,
};
use crate::SourceError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRollout {
    parallelism: Option<Spanned<u32>>,
    on_failure: Option<Spanned<String>>,
    failure_budget: Option<u32>,
    waves: Option<Vec<Spanned<Scalar>>>,
    soak: Option<Spanned<Scalar>>,
    pause_timeout: Option<Spanned<Scalar>>,
    pause_default: Option<Spanned<String>>,
    step_estimate: Option<Spanned<Scalar>>,
    if_locked: Option<Spanned<String>>,
    lock_wait: Option<Spanned<Scalar>>,
    save_config: Option<Spanned<Scalar>>,
    confirm: Option<Spanned<Scalar>>,
    #[serde(default)]
    gates: Vec<Spanned<RawGate>>,
}

/// A gate between waves, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGate {
    name: Option<Spanned<String>>,
    checks: Option<Spanned<bool>>,
    prometheus: Option<Spanned<String>>,
    query: Option<Spanned<String>>,
    max: Option<Spanned<Scalar>>,
    min: Option<Spanned<Scalar>>,
    #[serde(rename = "for")]
    hold: Option<Spanned<Scalar>>,
    pass_when_empty: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    start: Spanned<String>,
    end: Option<Spanned<String>>,
    duration: Option<Spanned<Scalar>>,
    on_close: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApproval {
    required: Option<Spanned<u32>>,
    #[serde(default)]
    reviewers: Vec<Spanned<String>>,
    timeout: Option<Spanned<Scalar>>,
}


#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    name: Spanned<String>,
    description: Option<Spanned<String>>,
    requester: Option<String>,
    inventory: Option<Spanned<String>>,
    targets: Spanned<selector::Located>,
    steps: Spanned<Vec<RawStep>>,
    services: Option<Spanned<String>>,
    rollout: Option<RawRollout>,
    approval: Option<Spanned<RawApproval>>,
    window: Option<Spanned<RawWindow>>,
    checks: Option<checks::RawChecks>,
}

/// A parsed suite file, not yet resolved against an inventory.
#[derive(Debug)]
pub struct SuiteFile {
    file: String,
    raw: RawSuite,
    /// The steps with services expanded, once, when the file is read.
    steps: Vec<Expanded>,
}

/// One step after service expansion: its id, operation and parameters.
#[derive(Debug)]
struct Expanded {
    id: String,
    field: String,
    def: &'static OperationDef,
    params: RawParams,
    loc: Location,
    /// The operation, when no parameter depends on the device: built and
    /// checked once, the same for every device.
    fixed: Option<Operation>,
}

impl Expanded {
    /// The step's operation for `device` (templates rendered for it).
    fn operation(&self, file: &str, device: Option<&Device>) -> Result<Operation, SourceError> {
        if let Some(op) = &self.fixed {
            return Ok(op.clone());
        }
        let p = Params { file, prefix: &self.field, op: self.def.name, params: &self.params, device, step_loc: self.loc };
        Ok(Operation { op: Some(self.def.build(&p)?) })
    }
}

/// A suite resolved against an inventory: ready to become workflow input.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedSuite {
    /// Suite name.
    pub name: String,
    /// Requester named in the file, if any (the CLI may supply one).
    pub requester: Option<String>,
    /// Rollout settings.
    pub rollout: Rollout,
    /// Approval policy.
    pub approval: ApprovalPolicy,
    /// Change window, if any.
    pub window: Option<ChangeWindow>,
    /// One entry per selected device, in inventory order.
    pub devices: Vec<DeviceTarget>,
}

impl SuiteFile {
    /// Parses suite text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, SourceError> {
        Self::parse_with(file, text, None)
    }

    /// Parses suite text with the service catalogue its `services:` names.
    pub fn parse_with(file: &str, text: &str, catalogue: Option<Catalogue>) -> Result<Self, SourceError> {
        let raw: RawSuite = serde_saphyr::from_str(text).map_err(|e| SourceError::from_yaml(file, text, &e))?;
        Self::from_raw(file, raw, catalogue.as_ref())
    }

    /// Reads and parses a suite file, and the catalogue it names.
    pub fn load(path: &std::path::Path) -> Result<Self, SourceError> {
        let (file, text) = crate::source::read_text(path, "suite")?;
        let raw: RawSuite = serde_saphyr::from_str(&text).map_err(|e| SourceError::from_yaml(&file, &text, &e))?;
        // The catalogue is named inside the suite, relative to it.
        let catalogue = match &raw.services {
            None => None,
            Some(rel) => Some(Self::load_catalogue(&file, path, rel)?),
        };
        Self::from_raw(&file, raw, catalogue.as_ref())
    }

    fn from_raw(file: &str, raw: RawSuite, catalogue: Option<&Catalogue>) -> Result<Self, SourceError> {
        let mut suite = Self { file: file.to_string(), raw, steps: Vec::new() };
        // The steps' mistakes and the rest's, in one answer, in file order.
        let mut errors = Vec::new();
        match suite.expand(catalogue) {
            Ok(steps) => suite.steps = steps,
            Err(e) => errors.extend(e.into_each()),
        }
        if let Err(e) = suite.check_static() {
            errors.extend(e.into_each());
        }
        match SourceError::all(errors) {
            Some(e) => Err(e),
            None => Ok(suite),
        }
    }

    /// Loads the catalogue named by `services:`, relative to the suite file.
    /// A catalogue that cannot be read is refused at the suite's line that
    /// names it (its own errors point into the catalogue).
    fn load_catalogue(file: &str, path: &std::path::Path, rel: &Spanned<String>) -> Result<Catalogue, SourceError> {
        let catalogue_path = path.parent().unwrap_or(std::path::Path::new(".")).join(&rel.value);
        Catalogue::load(&catalogue_path).map_err(|e| match e.line {
            0 => SourceError::at(file, rel.referenced, "services", e.message),
            _ => e,
        })
    }

    /// The inventory path named in the file, relative to the suite file.
    pub fn inventory_path(&self) -> Option<std::path::PathBuf> {
        let inv = self.raw.inventory.as_ref()?;
        let base = std::path::Path::new(&self.file).parent().unwrap_or(std::path::Path::new("."));
        Some(base.join(&inv.value))
    }

    /// Loads the inventory the file names, if it names one. An inventory
    /// that cannot be read is refused at the suite's `inventory:` line, so
    /// the operator sees which file named it.
    pub fn load_inventory(&self) -> Option<Result<Inventory, SourceError>> {
        let inv = self.raw.inventory.as_ref()?;
        let path = self.inventory_path()?;
        if let Err(e) = std::fs::metadata(&path) {
            return Some(Err(self.err(inv.referenced, "inventory", format!("cannot read inventory {}: {e}", path.display()))));
        }
        Some(Inventory::load(&path))
    }

    /// The file as named in errors (a path, or what a request called it).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The suite's name.
    pub fn name(&self) -> &str {
        &self.raw.name.value
    }

    /// The free-text description.
    pub fn description(&self) -> &str {
        self.raw.description.as_ref().map_or("", |d| d.value.as_str())
    }

    /// Whether the file has an `approval:` section (which may only add to
    /// what the organisation's policy requires).
    pub fn has_approval(&self) -> bool {
        self.raw.approval.is_some()
    }

    /// A refusal of this suite by something outside it (the organisation's
    /// policy), placed at the field it concerns (`approval.required`,
    /// `rollout.parallelism`, `window`, `targets`, `steps`); the suite's
    /// name when no field is to blame.
    pub fn refusal_at(&self, field: &str, message: impl Into<String>) -> SourceError {
        let loc = match field {
            "approval.required" => self.raw.approval.as_ref().map(|a| a.value.required.as_ref().map_or(a.referenced, |r| r.referenced)),
            "rollout.parallelism" => self.raw.rollout.as_ref().and_then(|r| r.parallelism.as_ref()).map(|p| p.referenced),
            "rollout.confirm" => self.raw.rollout.as_ref().and_then(|r| r.confirm.as_ref()).map(|c| c.referenced),
            "window" => self.raw.window.as_ref().map(|w| w.referenced),
            "targets" => Some(self.raw.targets.referenced),
            "steps" => Some(self.raw.steps.referenced),
            _ => None,
        };
        self.err(loc.unwrap_or(self.raw.name.referenced), field, message)
    }

    fn err(&self, loc: Location, field: impl Into<String>, message: impl Into<String>) -> SourceError {
        SourceError::at(&self.file, loc, field, message)
    }

    /// Checks everything that does not depend on the inventory, so a typo is
    /// reported even before devices are selected.
    fn check_static(&self) -> Result<(), SourceError> {
        // Each part is checked on its own, so every mistake is said at once.
        let checks: [&dyn Fn() -> Result<(), SourceError>; 6] = [
            &|| self.check_name(),
            &|| self.check_targets(),
            &|| self.check_steps(),
            &|| self.rollout().map(|_| ()),
            &|| self.approval().map(|_| ()),
            &|| self.window().map(|_| ()),
        ];
        let mut errors: Vec<SourceError> = checks.iter().filter_map(|check| check().err()).flat_map(SourceError::into_each).collect();
        errors.extend(self.check_checks().err().into_iter().flat_map(SourceError::into_each));
        match SourceError::all(errors) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn check_name(&self) -> Result<(), SourceError> {
        let name = &self.raw.name;
        if name.value.trim().is_empty() || name.value.len() > 100 {
            return Err(self.err(name.referenced, "name", "suite name must be 1..100 characters"));
        }
        if let Err(why) = crate::names::check_suite_id(&name.value) {
            return Err(self.err(name.referenced, "name", format!("the name starts the suite's id: {why}")));
        }
        if let Some(d) = self.raw.description.as_ref().filter(|d| d.value.chars().count() > MAX_DESCRIPTION) {
            return Err(self.err(d.referenced, "description", format!(
                "{} characters; a description takes at most {MAX_DESCRIPTION} (link to a longer text instead)", d.value.chars().count())));
        }
        Ok(())
    }

    fn check_steps(&self) -> Result<(), SourceError> {
        if self.raw.steps.value.is_empty() {
            return Err(self.err(self.raw.steps.referenced, "steps", "a suite needs at least one step"));
        }
        if self.steps.len() > MAX_STEPS {
            return Err(self.err(self.raw.steps.referenced, "steps", format!(
                "{} steps once services are expanded; a suite takes at most {MAX_STEPS} per device (split the change into several suites)",
                self.steps.len())));
        }
        Ok(())
    }

    /// The suite's steps with services expanded into operations.
    /// Parameters without templates are read and checked here, once;
    /// templated ones per device when the suite is resolved.
    fn expand(&self, catalogue: Option<&Catalogue>) -> Result<Vec<Expanded>, SourceError> {
        let mut out = Vec::new();
        // Every step is read, so a file's mistakes are all said at once.
        let mut errors = Vec::new();
        for (i, step) in self.raw.steps.value.iter().enumerate() {
            match self.expand_step(i, step, catalogue) {
                Ok(steps) => out.extend(steps),
                Err(e) => errors.extend(e.into_each()),
            }
        }
        match SourceError::all(errors) {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// One step of the file, a service's expanded into its operations.
    fn expand_step(&self, i: usize, step: &RawStep, catalogue: Option<&Catalogue>) -> Result<Vec<Expanded>, SourceError> {
        let mut out = Vec::new();
        let (op, params) = self.step_parts(i, step)?;
        let params = params.cloned().unwrap_or_default();
        let service_op = match op {
            StepKind::Operation(def) => {
                out.push(self.expanded(format!("{}-{}", i + 1, def.name), format!("steps[{i}]"), def, params, step.referenced)?);
                return Ok(out);
            }
            StepKind::Service(op) => op,
        };
        let op = service_op;
        let field = format!("steps[{i}].{op}");
        let Some(name) = params.get("service") else {
            return Err(self.err(step.referenced, format!("{field}.service"), "missing required parameter \"service\""));
        };
        let name_text = name.value.text();
        let catalogue = catalogue.ok_or_else(|| {
            self.err(name.referenced, format!("{field}.service"), "no service catalogue: name one with `services: <file>` in the suite")
        })?;
        let service = catalogue.services.get(&name_text).ok_or_else(|| {
            let known: Vec<&str> = catalogue.services.keys().map(String::as_str).collect();
            self.err(name.referenced, format!("{field}.service"), format!("unknown service {name_text:?} in {}; expected one of: {}", catalogue.file, known.join(", ")))
        })?;
        let mut values = BTreeMap::new();
        for (k, v) in &params {
            if k == "service" {
                continue;
            }
            if !service.params.contains(k) {
                return Err(self.err(v.referenced, format!("{field}.{k}"),
                    format!("service {name_text} has no parameter {k:?}; it takes: {}", service.params.join(", "))));
            }
            values.insert(k.clone(), v.value.text());
        }
        if let Some(missing) = service.params.iter().find(|p| !values.contains_key(*p)) {
            return Err(self.err(step.referenced, format!("{field}.{missing}"), format!("service {name_text} needs parameter {missing:?}")));
        }
        // Filled-in parameters point at the suite's step: that is where
        // the operator can fix a value.
        let filled = |p: &RawParams| -> RawParams {
            p.iter().map(|(k, v)| (k.clone(), Spanned::new(Scalar(fill(&v.value.text(), &values)), step.referenced, step.referenced))).collect()
        };
        if op == "apply_service" {
            for (j, (sop, sparams, _)) in service.steps.iter().enumerate() {
                let def = self.service_op(name, &field, sop)?;
                out.push(self.expanded(format!("{}.{}-{}", i + 1, j + 1, def.name), field.clone(), def, filled(sparams), step.referenced)?);
            }
        } else {
            for (j, (sop, sparams, _)) in service.steps.iter().enumerate().rev() {
                let removal = self.service_op(name, &field, sop)?.removal.ok_or_else(|| {
                    self.err(name.referenced, format!("{field}.service"),
                        format!("service {name_text} step {} ({sop}) has no removal; remove_service cannot undo it", j + 1))
                })?;
                let def = self.service_op(name, &field, removal.op)?;
                let mut params: RawParams = filled(sparams).into_iter().filter(|(k, _)| removal.carries.contains(&k.as_str())).collect();
                if removal.shared {
                    params.insert("keep_if_used".into(), Spanned::new(Scalar("true".into()), step.referenced, step.referenced));
                }
                out.push(self.expanded(format!("{}.{}-{}", i + 1, j + 1, def.name), field.clone(), def, params, step.referenced)?);
            }
        }
        Ok(out)
    }

    /// One expanded step; built and checked now unless it has templates.
    fn expanded(&self, id: String, field: String, def: &'static OperationDef, params: RawParams, loc: Location) -> Result<Expanded, SourceError> {
        let mut step = Expanded { id, field, def, params, loc, fixed: None };
        if has_template(&step.params) {
            Params { file: &self.file, prefix: &step.field, op: def.name, params: &step.params, device: None, step_loc: loc }.check_templates()?;
        } else {
            step.fixed = Some(step.operation(&self.file, None)?);
        }
        Ok(step)
    }

    /// An operation a service step names (the catalogue checked it exists).
    fn service_op(&self, service: &Spanned<Scalar>, field: &str, op: &str) -> Result<&'static OperationDef, SourceError> {
        operation::find(op).ok_or_else(|| self.err(service.referenced, format!("{field}.service"), format!("unknown operation {op:?} in the service")))
    }

    fn step_parts<'a>(&self, i: usize, step: &'a RawStep) -> Result<(StepKind, Option<&'a RawParams>), SourceError> {
        let field = format!("steps[{i}]");
        let one = if step.value.len() == 1 { step.value.iter().next() } else { None };
        let Some((op, params)) = one else {
            return Err(self.err(step.referenced, field,
                format!("a step is a map with exactly one operation; expected one of: {}", operation::step_names())));
        };
        let kind = match op.as_str() {
            "apply_service" => StepKind::Service("apply_service"),
            "remove_service" => StepKind::Service("remove_service"),
            name => StepKind::Operation(operation::find(name).ok_or_else(|| {
                self.err(step.referenced, field, format!("unknown operation {op:?}{}; expected one of: {}",
                    crate::vocabulary::did_you_mean(op, operation::OPERATIONS.iter().map(|d| d.name)), operation::step_names()))
            })?),
        };
        Ok((kind, params.as_ref()))
    }

    /// An empty selector would select the whole inventory: a change to every
    /// device must be asked for explicitly (`names: ["*"]`), not by omission.
    fn check_targets(&self) -> Result<(), SourceError> {
        let t = &self.raw.targets;
        if t.value.lists().iter().all(|(_, list)| list.is_empty()) {
            return Err(self.err(t.referenced, "targets",
                "the selector is empty and would select every device; name names, roles, sites or tags (names: [\"*\"] selects all)"));
        }
        for (kind, list) in t.value.lists() {
            if let Some(blank) = list.iter().position(|e| e.value.trim().is_empty()) {
                return Err(self.err(list[blank].referenced, format!("targets.{kind}[{blank}]"), "a selector entry must not be empty"));
            }
        }
        Ok(())
    }

    /// Every selector entry must match some device of the inventory: one
    /// that matches none is a typo that would silently leave devices out.
    fn check_selector_entries(&self, inventory: &Inventory) -> Result<(), SourceError> {
        for (kind, list) in self.raw.targets.value.lists() {
            for (i, entry) in list.iter().enumerate() {
                if !inventory.devices.iter().any(|d| entry_matches(kind, &entry.value, d)) {
                    return Err(self.err(entry.referenced, format!("targets.{kind}[{i}]"),
                        format!("{:?} matches no device of {} ({})", entry.value, inventory.file, crate::vocabulary::count(inventory.devices.len() as u64, "device"))));
                }
            }
        }
        Ok(())
    }

    /// Selects the target devices and resolves every step for each of them.
    pub fn resolve(&self, inventory: &Inventory) -> Result<ResolvedSuite, SourceError> {
        let t = &self.raw.targets;
        self.check_selector_entries(inventory)?;
        let selector = t.value.selector();
        let selected: Vec<&Device> = inventory.devices.iter().filter(|d| selector.selects(d)).collect();
        if selected.is_empty() {
            return Err(self.err(t.referenced, "targets",
                format!("the selector matches no device of {} ({})", inventory.file, crate::vocabulary::count(inventory.devices.len() as u64, "device"))));
        }
        let mut devices = Vec::with_capacity(selected.len());
        for device in selected {
            let steps = self.steps.iter()
                .map(|step| Ok(Step { id: step.id.clone(), operation: Some(step.operation(&self.file, Some(device))?) }))
                .collect::<Result<_, SourceError>>()?;
            let checks = self.device_checks(device)?;
            devices.push(DeviceTarget {
                device: device.name.clone(), steps, checks, builtin_checks: self.builtin_checks(), checks_within_seconds: self.checks_within()?,
                source_ref: device.source_ref.clone(), ..Default::default()
            });
        }
        // Measured as the input carries them: each distinct step once.
        let mut carried = SuiteInput { devices: devices.clone(), ..Default::default() };
        crate::targets::compact(&mut carried);
        let bytes = serde_json::to_vec(&carried).map_or(0, |v| v.len());
        if bytes > MAX_INPUT_BYTES {
            return Err(self.err(t.referenced, "targets", format!(
                "{} devices × {} steps come to {bytes} bytes of workflow input ({} distinct steps); Temporal refuses payloads over 2 MiB: \
                 split the suite (for example by site or role)", carried.devices.len(), self.steps.len(), carried.step_pool.len())));
        }
        Ok(ResolvedSuite {
            name: self.raw.name.value.clone(),
            requester: self.raw.requester.clone(),
            rollout: self.rollout()?,
            approval: self.approval()?,
            window: self.window()?,
            devices,
        })
    }
}

/// What a step names: one operation, or a service to expand.
enum StepKind {
    Operation(&'static OperationDef),
    Service(&'static str),
}

/// Steps per device, services expanded: planning every step of every
/// device must stay a short activity, and the plan a payload Temporal takes.
const MAX_STEPS: usize = 200;

/// Characters in a suite's description.
const MAX_DESCRIPTION: usize = 4_096;

/// Bytes of JSON the resolved devices and steps may come to: Temporal
/// refuses payloads over 2 MiB, and the suite's input carries them all.
const MAX_INPUT_BYTES: usize = 2 * 1024 * 1024 - 64 * 1024;

mod checks;
mod settings;
pub use settings::DEFAULT_CONFIRM_SECONDS;
#[cfg(test)]
mod tests;

