//! The suite file: which devices, which operations, how to roll out.
//!
//! Parsing is strict and located: a malformed file, an unknown key or
//! operation, a bad parameter or a selector that matches no device is
//! refused with the file, line, column and field, before anything starts.
//! Checks that need the device's state (does the port exist?) happen when
//! the suite plans, on the device.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::inventory::{glob_match, Device, Inventory};
use crate::template::render;
use crate::time::{format_rfc3339, parse_rfc3339};
use crate::v1::{
    operation::Op, AddVlanMember, ApprovalPolicy, ChangeWindow, CreateVlan, DeviceTarget, OnFailure, Operation,
    OperatorAction, Rollout, Step, TaggingMode, Wave, WindowClose,
};
use crate::SourceError;

/// Operation names accepted in `steps`, in the order the docs list them.
pub const OPERATIONS: &[&str] = &["create_vlan", "add_vlan_member"];

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Int(i64),
    Bool(bool),
    Str(String),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Int(i) => i.to_string(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Str(s) => s.clone(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    sites: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
}

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
    #[serde(default)]
    required: u32,
    #[serde(default)]
    reviewers: Vec<String>,
    timeout: Option<Spanned<Scalar>>,
}

type RawParams = BTreeMap<String, Spanned<Scalar>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    requester: Option<String>,
    inventory: Option<String>,
    targets: Spanned<RawTargets>,
    steps: Spanned<Vec<Spanned<BTreeMap<String, Option<RawParams>>>>>,
    rollout: Option<RawRollout>,
    approval: Option<RawApproval>,
    window: Option<Spanned<RawWindow>>,
}

/// A parsed suite file, not yet resolved against an inventory.
#[derive(Debug)]
pub struct SuiteFile {
    file: String,
    raw: RawSuite,
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
        let raw: RawSuite = serde_saphyr::from_str(text).map_err(|e| SourceError::from_yaml(file, &e))?;
        let suite = Self { file: file.to_string(), raw };
        suite.check_static()?;
        Ok(suite)
    }

    /// Reads and parses a suite file.
    pub fn load(path: &std::path::Path) -> Result<Self, SourceError> {
        let file = path.to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).map_err(|e| SourceError {
            file: file.clone(), line: 0, column: 0, field: String::new(), message: format!("cannot read suite: {e}"),
        })?;
        Self::parse(&file, &text)
    }

    /// The inventory path named in the file, relative to the suite file.
    pub fn inventory_path(&self) -> Option<std::path::PathBuf> {
        let inv = self.raw.inventory.as_ref()?;
        let base = std::path::Path::new(&self.file).parent().unwrap_or(std::path::Path::new("."));
        Some(base.join(inv))
    }

    /// The suite's name.
    pub fn name(&self) -> &str {
        &self.raw.name.value
    }

    /// The free-text description.
    pub fn description(&self) -> &str {
        &self.raw.description
    }

    fn err(&self, loc: Location, field: impl Into<String>, message: impl Into<String>) -> SourceError {
        SourceError::at(&self.file, loc, field, message)
    }

    /// Checks everything that does not depend on the inventory, so a typo is
    /// reported even before devices are selected.
    fn check_static(&self) -> Result<(), SourceError> {
        let name = &self.raw.name;
        if name.value.trim().is_empty() || name.value.len() > 100 {
            return Err(self.err(name.referenced, "name", "suite name must be 1..100 characters"));
        }
        if self.raw.steps.value.is_empty() {
            return Err(self.err(self.raw.steps.referenced, "steps", "a suite needs at least one step"));
        }
        for (i, step) in self.raw.steps.value.iter().enumerate() {
            let (op, params) = self.step_parts(i, step)?;
            let params = params.unwrap_or(&EMPTY);
            // Parameters without templates are checked now; templated ones
            // again per device once rendered.
            let known = op_params(op);
            for (key, value) in params {
                if !known.contains(&key.as_str()) {
                    return Err(self.err(value.referenced, format!("steps[{i}].{op}.{key}"),
                        format!("unknown parameter {key:?} for {op}; expected one of: {}", known.join(", "))));
                }
            }
            if params.values().all(|v| !v.value.text().contains("{{")) {
                self.build_operation(i, op, params, None, step.referenced)?;
            }
        }
        self.rollout()?;
        self.approval()?;
        self.window()?;
        Ok(())
    }

    fn step_parts<'a>(&self, i: usize, step: &'a Spanned<BTreeMap<String, Option<RawParams>>>)
        -> Result<(&'static str, Option<&'a RawParams>), SourceError> {
        let field = format!("steps[{i}]");
        if step.value.len() != 1 {
            return Err(self.err(step.referenced, field,
                format!("a step is a map with exactly one operation; expected one of: {}", OPERATIONS.join(", "))));
        }
        let (op, params) = step.value.iter().next().expect("one entry");
        let known = OPERATIONS.iter().find(|o| **o == op.as_str()).ok_or_else(|| {
            self.err(step.referenced, field, format!("unknown operation {op:?}; expected one of: {}", OPERATIONS.join(", ")))
        })?;
        Ok((known, params.as_ref()))
    }

    fn duration(&self, value: &Spanned<Scalar>, field: &str) -> Result<u64, SourceError> {
        parse_duration(&value.value.text()).ok_or_else(|| {
            self.err(value.referenced, field, format!("{:?} is not a duration; expected e.g. 90, 90s, 15m, 4h or 2d", value.value.text()))
        })
    }

    fn rollout(&self) -> Result<Rollout, SourceError> {
        let mut rollout = Rollout {
            parallelism: 4,
            on_failure: OnFailure::Rollback as i32,
            failure_budget: 0,
            waves: vec![],
            soak_seconds: 0,
            pause_timeout_seconds: 3600,
            pause_default: OperatorAction::Rollback as i32,
            step_estimate_seconds: 10,
        };
        let Some(raw) = &self.raw.rollout else { return Ok(rollout) };
        if let Some(p) = &raw.parallelism {
            if p.value == 0 || p.value > 1000 {
                return Err(self.err(p.referenced, "rollout.parallelism", "parallelism must be in 1..=1000"));
            }
            rollout.parallelism = p.value;
        }
        if let Some(f) = &raw.on_failure {
            rollout.on_failure = match f.value.as_str() {
                "rollback" => OnFailure::Rollback,
                "continue" => OnFailure::Continue,
                "pause" => OnFailure::Pause,
                other => return Err(self.err(f.referenced, "rollout.on_failure",
                    format!("unknown policy {other:?}; expected rollback, pause or continue"))),
            } as i32;
        }
        rollout.failure_budget = raw.failure_budget.unwrap_or(0);
        for (i, w) in raw.waves.iter().flatten().enumerate() {
            let text = w.value.text();
            let field = format!("rollout.waves[{i}]");
            let wave = match text.trim().strip_suffix('%') {
                Some(p) => match p.trim().parse::<u32>() {
                    Ok(p) if (1..=100).contains(&p) => Wave { count: 0, percent: p },
                    _ => return Err(self.err(w.referenced, field, format!("{text:?} is not a percentage in 1%..=100%"))),
                },
                None => match text.trim().parse::<u32>() {
                    Ok(n) if n >= 1 => Wave { count: n, percent: 0 },
                    _ => return Err(self.err(w.referenced, field, format!("{text:?} is not a wave size; expected a device count (e.g. 1) or a percentage (e.g. 10%)"))),
                },
            };
            rollout.waves.push(wave);
        }
        if let Some(soak) = &raw.soak {
            rollout.soak_seconds = self.duration(soak, "rollout.soak")?;
        }
        if let Some(t) = &raw.pause_timeout {
            rollout.pause_timeout_seconds = self.duration(t, "rollout.pause_timeout")?.max(1);
        }
        if let Some(d) = &raw.pause_default {
            rollout.pause_default = match d.value.as_str() {
                "rollback" => OperatorAction::Rollback,
                "abandon" => OperatorAction::Abandon,
                other => return Err(self.err(d.referenced, "rollout.pause_default",
                    format!("unknown action {other:?}; expected rollback or abandon"))),
            } as i32;
        }
        if let Some(e) = &raw.step_estimate {
            rollout.step_estimate_seconds = self.duration(e, "rollout.step_estimate")?;
        }
        Ok(rollout)
    }

    fn window(&self) -> Result<Option<ChangeWindow>, SourceError> {
        let Some(raw) = &self.raw.window else { return Ok(None) };
        let w = &raw.value;
        let time = |s: &Spanned<String>, field: &str| parse_rfc3339(&s.value).ok_or_else(|| {
            self.err(s.referenced, field, format!("{:?} is not an RFC 3339 time; expected e.g. 2026-11-22T22:00:00Z", s.value))
        });
        let start = time(&w.start, "window.start")?;
        let end = match (&w.end, &w.duration) {
            (Some(end), None) => time(end, "window.end")?,
            (None, Some(d)) => start + self.duration(d, "window.duration")? as i64,
            _ => return Err(self.err(raw.referenced, "window", "a window needs exactly one of end or duration")),
        };
        if end <= start {
            let loc = w.end.as_ref().map_or(raw.referenced, |e| e.referenced);
            return Err(self.err(loc, "window.end", "the window must end after it starts"));
        }
        let on_close = match w.on_close.as_ref().map(|c| (c, c.value.as_str())) {
            None | Some((_, "stop")) => WindowClose::Stop,
            Some((_, "rollback")) => WindowClose::Rollback,
            Some((c, other)) => return Err(self.err(c.referenced, "window.on_close",
                format!("unknown policy {other:?}; expected stop or rollback"))),
        };
        Ok(Some(ChangeWindow { start: format_rfc3339(start), end: format_rfc3339(end), on_close: on_close as i32 }))
    }

    fn approval(&self) -> Result<ApprovalPolicy, SourceError> {
        let Some(raw) = &self.raw.approval else {
            return Ok(ApprovalPolicy { required: 0, reviewers: vec![], timeout_seconds: 0 });
        };
        let timeout_seconds = match &raw.timeout {
            None => 24 * 3600,
            Some(t) => parse_duration(&t.value.text()).ok_or_else(|| {
                self.err(t.referenced, "approval.timeout", format!("{:?} is not a duration; expected e.g. 90, 90s, 15m, 4h or 2d", t.value.text()))
            })?,
        };
        Ok(ApprovalPolicy { required: raw.required, reviewers: raw.reviewers.clone(), timeout_seconds })
    }

    /// Selects the target devices and resolves every step for each of them.
    pub fn resolve(&self, inventory: &Inventory) -> Result<ResolvedSuite, SourceError> {
        let t = &self.raw.targets;
        let selected: Vec<&Device> = inventory.devices.iter().filter(|d| {
            (t.value.names.is_empty() || t.value.names.iter().any(|g| glob_match(g, &d.name)))
                && (t.value.roles.is_empty() || t.value.roles.contains(&d.role))
                && (t.value.sites.is_empty() || t.value.sites.contains(&d.site))
                && (t.value.tags.is_empty() || t.value.tags.iter().any(|tag| d.tags.contains(tag)))
        }).collect();
        if selected.is_empty() {
            return Err(self.err(t.referenced, "targets",
                format!("the selector matches no device of {} ({} devices)", inventory.file, inventory.devices.len())));
        }
        let mut devices = Vec::with_capacity(selected.len());
        for device in selected {
            let mut steps = Vec::new();
            for (i, step) in self.raw.steps.value.iter().enumerate() {
                let (op, params) = self.step_parts(i, step)?;
                let operation = self.build_operation(i, op, params.unwrap_or(&EMPTY), Some(device), step.referenced)?;
                steps.push(Step { id: format!("{}-{op}", i + 1), operation: Some(operation) });
            }
            devices.push(DeviceTarget { device: device.name.clone(), steps });
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

    /// Builds one typed operation from its parameters, rendering templates
    /// for `device` (static check when `None`).
    fn build_operation(&self, i: usize, op: &str, params: &RawParams, device: Option<&Device>, step_loc: Location)
        -> Result<Operation, SourceError> {
        let p = Params { suite: self, i, op, params, device, step_loc };
        let op = match op {
            "create_vlan" => Op::CreateVlan(CreateVlan {
                vlan_id: p.vlan_id("vlan_id")?,
                description: p.text_or("description", "")?,
            }),
            "add_vlan_member" => Op::AddVlanMember(AddVlanMember {
                vlan_id: p.vlan_id("vlan_id")?,
                port: p.port("port")?,
                tagging_mode: match p.text_or("tagging_mode", "untagged")?.as_str() {
                    "untagged" => TaggingMode::Untagged,
                    "tagged" => TaggingMode::Tagged,
                    other => return Err(p.bad("tagging_mode", format!("{other:?} is not a tagging mode; expected untagged or tagged"))),
                } as i32,
            }),
            other => unreachable!("operation {other} passed step_parts"),
        };
        Ok(Operation { op: Some(op) })
    }
}

static EMPTY: RawParams = BTreeMap::new();

/// Parameter names each operation accepts.
fn op_params(op: &str) -> &'static [&'static str] {
    match op {
        "create_vlan" => &["vlan_id", "description"],
        "add_vlan_member" => &["vlan_id", "port", "tagging_mode"],
        _ => &[],
    }
}

/// Typed access to one step's parameters, with located errors.
struct Params<'a> {
    suite: &'a SuiteFile,
    i: usize,
    op: &'a str,
    params: &'a RawParams,
    device: Option<&'a Device>,
    step_loc: Location,
}

impl Params<'_> {
    fn field(&self, key: &str) -> String {
        format!("steps[{}].{}.{key}", self.i, self.op)
    }

    fn bad(&self, key: &str, message: String) -> SourceError {
        let loc = self.params.get(key).map(|v| v.referenced).unwrap_or(self.step_loc);
        let message = match self.device {
            Some(d) => format!("{message} (for device {})", d.name),
            None => message,
        };
        self.suite.err(loc, self.field(key), message)
    }

    fn text(&self, key: &str) -> Result<Option<String>, SourceError> {
        let Some(v) = self.params.get(key) else { return Ok(None) };
        let raw = v.value.text();
        match self.device {
            Some(d) => render(&raw, d).map(Some).map_err(|e| self.bad(key, e)),
            None => Ok(Some(raw)),
        }
    }

    fn text_or(&self, key: &str, default: &str) -> Result<String, SourceError> {
        Ok(self.text(key)?.unwrap_or_else(|| default.to_string()))
    }

    fn required(&self, key: &str) -> Result<String, SourceError> {
        self.text(key)?.ok_or_else(|| {
            self.suite.err(self.step_loc, self.field(key), format!("missing required parameter {key:?}"))
        })
    }

    fn vlan_id(&self, key: &str) -> Result<u32, SourceError> {
        let text = self.required(key)?;
        match text.trim().parse::<u32>() {
            Ok(id) if (1..=4094).contains(&id) => Ok(id),
            _ => Err(self.bad(key, format!("VLAN id {text} is out of range; expected an integer in 1..=4094"))),
        }
    }

    fn port(&self, key: &str) -> Result<String, SourceError> {
        let text = self.required(key)?;
        let ok = ["Ethernet", "PortChannel"].iter().any(|prefix| {
            text.strip_prefix(prefix).is_some_and(|n| !n.is_empty() && n.len() <= 4 && n.chars().all(|c| c.is_ascii_digit()))
        });
        if ok { Ok(text) } else {
            Err(self.bad(key, format!("{text:?} is not a port name; expected EthernetN or PortChannelN")))
        }
    }
}

/// Parses `90`, `90s`, `15m`, `4h`, `2d` into seconds.
pub fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    let (num, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(pos) => text.split_at(pos),
        None => (text, "s"),
    };
    let n: u64 = num.parse().ok()?;
    let mult = match unit { "s" => 1, "m" => 60, "h" => 3600, "d" => 86400, _ => return None };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests;
