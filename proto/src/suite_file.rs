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

use crate::inventory::{glob_match, Device, Inventory};
use crate::services::{Catalogue, RawParams, RawStep, Scalar, REMOVALS, fill};
use crate::template::render;
use crate::time::{format_rfc3339, parse_rfc3339};
use crate::v1::{
    operation::Op, AclBinding, AclRule, AclTable, AddVlanMember, ApprovalPolicy, BgpNeighbor, ChangeWindow, CreateVlan,
    DeleteVlan, DeviceTarget, InterfaceAddress, OnFailure, Operation, OperatorAction, PortChannel, PortChannelMember,
    PortProperties, Rollout, StaticRoute, Step, TaggingMode, VlanInterface, Vrf, Wave, WindowClose,
};
use crate::validate;
use crate::SourceError;

/// Operation names accepted in `steps`, with the parameters each takes, in
/// the order the docs list them. `apply_service` / `remove_service` expand
/// into these from a service catalogue.
pub const OPERATIONS: &[(&str, &[&str])] = &[
    ("create_vlan", &["vlan_id", "description"]),
    ("delete_vlan", &["vlan_id", "keep_if_used"]),
    ("add_vlan_member", &["vlan_id", "port", "tagging_mode"]),
    ("remove_vlan_member", &["vlan_id", "port"]),
    ("add_vlan_interface", &["vlan_id", "address", "vrf"]),
    ("remove_vlan_interface", &["vlan_id", "address"]),
    ("create_vrf", &["name", "vni"]),
    ("delete_vrf", &["name", "keep_if_used"]),
    ("add_interface_address", &["interface", "address", "vrf"]),
    ("remove_interface_address", &["interface", "address"]),
    ("add_bgp_neighbor", &["vrf", "neighbor", "remote_asn", "local_addr", "description", "address_family"]),
    ("remove_bgp_neighbor", &["vrf", "neighbor", "address_family"]),
    ("add_static_route", &["vrf", "prefix", "nexthop", "ifname", "distance"]),
    ("remove_static_route", &["vrf", "prefix"]),
    ("create_acl_table", &["name", "type", "stage", "description"]),
    ("delete_acl_table", &["name", "keep_if_used"]),
    ("add_acl_rule", &["table", "rule", "priority", "action", "src_ip", "dst_ip", "ip_protocol", "l4_src_port", "l4_dst_port"]),
    ("remove_acl_rule", &["table", "rule"]),
    ("bind_acl_table", &["table", "port"]),
    ("unbind_acl_table", &["table", "port"]),
    ("create_portchannel", &["name", "mtu", "min_links", "admin_status"]),
    ("delete_portchannel", &["name", "keep_if_used"]),
    ("add_portchannel_member", &["portchannel", "port"]),
    ("remove_portchannel_member", &["portchannel", "port"]),
    ("set_port", &["port", "mtu", "admin_status", "description", "speed"]),
];

fn operation_names() -> String {
    let mut names: Vec<&str> = OPERATIONS.iter().map(|(n, _)| *n).collect();
    names.extend(["apply_service", "remove_service"]);
    names.join(", ")
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    #[serde(default)]
    names: Vec<Spanned<String>>,
    #[serde(default)]
    roles: Vec<Spanned<String>>,
    #[serde(default)]
    sites: Vec<Spanned<String>>,
    #[serde(default)]
    tags: Vec<Spanned<String>>,
}

impl RawTargets {
    /// Each selector list with its field name.
    fn lists(&self) -> [(&'static str, &[Spanned<String>]); 4] {
        [("names", &self.names), ("roles", &self.roles), ("sites", &self.sites), ("tags", &self.tags)]
    }

    /// Whether one entry of list `kind` selects `device` on its own.
    fn entry_matches(kind: &str, entry: &str, device: &Device) -> bool {
        match kind {
            "names" => glob_match(entry, &device.name),
            "roles" => device.role == entry,
            "sites" => device.site == entry,
            _ => device.tags.iter().any(|t| t == entry),
        }
    }

    /// Lists combine with AND, entries of one list with OR; an empty list
    /// does not restrict.
    fn selects(&self, device: &Device) -> bool {
        self.lists().iter().all(|(kind, list)| list.is_empty() || list.iter().any(|e| Self::entry_matches(kind, &e.value, device)))
    }
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
    if_locked: Option<Spanned<String>>,
    lock_wait: Option<Spanned<Scalar>>,
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
    #[serde(default)]
    description: String,
    requester: Option<String>,
    inventory: Option<Spanned<String>>,
    targets: Spanned<RawTargets>,
    steps: Spanned<Vec<RawStep>>,
    services: Option<Spanned<String>>,
    rollout: Option<RawRollout>,
    approval: Option<Spanned<RawApproval>>,
    window: Option<Spanned<RawWindow>>,
}

/// A parsed suite file, not yet resolved against an inventory.
#[derive(Debug)]
pub struct SuiteFile {
    file: String,
    raw: RawSuite,
    catalogue: Option<Catalogue>,
}

/// One step after service expansion: its id, operation and parameters.
struct Expanded {
    id: String,
    field: String,
    op: &'static str,
    params: RawParams,
    loc: Location,
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
        let suite = Self { file: file.to_string(), raw, catalogue };
        suite.check_static()?;
        Ok(suite)
    }

    /// Reads and parses a suite file.
    pub fn load(path: &std::path::Path) -> Result<Self, SourceError> {
        let file = path.to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).map_err(|e| SourceError {
            file: file.clone(), line: 0, column: 0, field: String::new(), message: format!("cannot read suite: {e}"),
        })?;
        // The catalogue is named inside the suite: parse the suite once to find it.
        let raw: RawSuite = serde_saphyr::from_str(&text).map_err(|e| SourceError::from_yaml(&file, &text, &e))?;
        let catalogue = match &raw.services {
            None => None,
            Some(rel) => Some(Self::load_catalogue(&file, path, rel)?),
        };
        Self::parse_with(&file, &text, catalogue)
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
        self.check_targets()?;
        if self.raw.steps.value.is_empty() {
            return Err(self.err(self.raw.steps.referenced, "steps", "a suite needs at least one step"));
        }
        for step in self.expand()? {
            // Parameters without templates are checked now; templated ones
            // again per device once rendered.
            if step.params.values().all(|v| !v.value.text().contains("{{")) {
                Self::build_operation(&self.file, &step.field, step.op, &step.params, None, step.loc)?;
            }
        }
        self.rollout()?;
        self.approval()?;
        self.window()?;
        Ok(())
    }

    /// The suite's steps with services expanded into operations.
    fn expand(&self) -> Result<Vec<Expanded>, SourceError> {
        let mut out = Vec::new();
        for (i, step) in self.raw.steps.value.iter().enumerate() {
            let (op, params) = self.step_parts(i, step)?;
            let params = params.cloned().unwrap_or_default();
            if op != "apply_service" && op != "remove_service" {
                out.push(Expanded { id: format!("{}-{op}", i + 1), field: format!("steps[{i}]"), op, params, loc: step.referenced });
                continue;
            }
            let field = format!("steps[{i}].{op}");
            let Some(name) = params.get("service") else {
                return Err(self.err(step.referenced, format!("{field}.service"), "missing required parameter \"service\""));
            };
            let name_text = name.value.text();
            let catalogue = self.catalogue.as_ref().ok_or_else(|| {
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
                p.iter().map(|(k, v)| (k.clone(), Spanned::new(Scalar::Str(fill(&v.value.text(), &values)), step.referenced, step.referenced))).collect()
            };
            if op == "apply_service" {
                for (j, (sop, sparams, _)) in service.steps.iter().enumerate() {
                    let known = OPERATIONS.iter().find(|(n, _)| n == sop).map(|(n, _)| *n).expect("validated by the catalogue");
                    out.push(Expanded { id: format!("{}.{}-{known}", i + 1, j + 1), field: field.clone(), op: known, params: filled(sparams), loc: step.referenced });
                }
            } else {
                for (j, (sop, sparams, _)) in service.steps.iter().enumerate().rev() {
                    let Some((_, removal, carried, keep)) = REMOVALS.iter().find(|(f, ..)| f == sop) else {
                        return Err(self.err(name.referenced, format!("{field}.service"),
                            format!("service {name_text} step {} ({sop}) has no removal; remove_service cannot undo it", j + 1)));
                    };
                    let mut params: RawParams = filled(sparams).into_iter().filter(|(k, _)| carried.contains(&k.as_str())).collect();
                    if *keep {
                        params.insert("keep_if_used".into(), Spanned::new(Scalar::Bool(true), step.referenced, step.referenced));
                    }
                    out.push(Expanded { id: format!("{}.{}-{removal}", i + 1, j + 1), field: field.clone(), op: removal, params, loc: step.referenced });
                }
            }
        }
        Ok(out)
    }

    fn step_parts<'a>(&self, i: usize, step: &'a RawStep)
        -> Result<(&'static str, Option<&'a RawParams>), SourceError> {
        let field = format!("steps[{i}]");
        if step.value.len() != 1 {
            return Err(self.err(step.referenced, field,
                format!("a step is a map with exactly one operation; expected one of: {}", operation_names())));
        }
        let (op, params) = step.value.iter().next().expect("one entry");
        let known = OPERATIONS.iter().map(|(n, _)| *n).chain(["apply_service", "remove_service"]).find(|o| *o == op.as_str())
            .ok_or_else(|| self.err(step.referenced, field, format!("unknown operation {op:?}; expected one of: {}", operation_names())))?;
        Ok((known, params.as_ref()))
    }

    fn duration(&self, value: &Spanned<Scalar>, field: &str) -> Result<u64, SourceError> {
        let text = value.value.text();
        let seconds = parse_duration(&text).ok_or_else(|| {
            self.err(value.referenced, field, format!("{text:?} is not a duration; expected e.g. 90, 90s, 15m, 4h or 2d"))
        })?;
        // A suite is one change, not a standing process; the bound also keeps
        // the workflows' timer and estimate arithmetic far from overflowing.
        if seconds > MAX_DURATION_SECONDS {
            return Err(self.err(value.referenced, field, format!("{text:?} is longer than 365d, the longest duration a suite takes")));
        }
        Ok(seconds)
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
            fail_if_locked: false,
            lock_wait_seconds: 600,
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
        if let Some(l) = &raw.if_locked {
            rollout.fail_if_locked = match l.value.as_str() {
                "wait" => false,
                "fail" => true,
                other => return Err(self.err(l.referenced, "rollout.if_locked",
                    format!("unknown choice {other:?}; expected wait or fail"))),
            };
        }
        if let Some(w) = &raw.lock_wait {
            rollout.lock_wait_seconds = self.duration(w, "rollout.lock_wait")?;
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
            // Both bounded (a 4-digit year, at most 365 days): no overflow.
            (None, Some(d)) => start + self.duration(d, "window.duration")? as i64,
            (Some(_), Some(d)) => return Err(self.err(d.referenced, "window.duration", "a window needs exactly one of end or duration, not both")),
            (None, None) => return Err(self.err(raw.referenced, "window", "a window needs exactly one of end or duration")),
        };
        // Times are handed on as text and read back by the workflows: each
        // must format as a 4-digit year again (an offset can push it out).
        let (end_field, end_loc) = match (&w.end, &w.duration) {
            (Some(e), _) => ("window.end", e.referenced),
            (None, Some(d)) => ("window.duration", d.referenced),
            (None, None) => ("window", raw.referenced),
        };
        for (t, field, loc) in [(start, "window.start", w.start.referenced), (end, end_field, end_loc)] {
            if !(EARLIEST_TIME..=LATEST_TIME).contains(&t) {
                return Err(self.err(loc, field, format!("{} is outside the years 0001..=9999", format_rfc3339(t))));
            }
        }
        if end <= start {
            return Err(self.err(end_loc, end_field, "the window must end after it starts"));
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
        let Some(spanned) = &self.raw.approval else {
            return Ok(ApprovalPolicy { required: 0, reviewers: vec![], timeout_seconds: 0 });
        };
        let raw = &spanned.value;
        let timeout_seconds = match &raw.timeout {
            None => 24 * 3600,
            Some(t) => match self.duration(t, "approval.timeout")? {
                0 => return Err(self.err(t.referenced, "approval.timeout", "a timeout of 0 expires before anyone can approve")),
                secs => secs,
            },
        };
        self.check_reviewers(&raw.reviewers)?;
        let required = raw.required.as_ref().map_or(0, |r| r.value);
        if !raw.reviewers.is_empty() {
            self.check_required(spanned, required)?;
        }
        let reviewers = raw.reviewers.iter().map(|r| r.value.clone()).collect();
        Ok(ApprovalPolicy { required, reviewers, timeout_seconds })
    }

    /// Reviewers are named once each: the workflow counts one decision per
    /// reviewer, so a repeated or blank name is an approval that never comes.
    fn check_reviewers(&self, reviewers: &[Spanned<String>]) -> Result<(), SourceError> {
        for (i, r) in reviewers.iter().enumerate() {
            let field = format!("approval.reviewers[{i}]");
            if r.value.trim().is_empty() {
                return Err(self.err(r.referenced, field, "a reviewer name must not be empty"));
            }
            if let Some(first) = reviewers[..i].iter().position(|earlier| earlier.value == r.value) {
                return Err(self.err(r.referenced, field, format!("duplicate reviewer {:?} (also reviewers[{first}])", r.value)));
            }
        }
        Ok(())
    }

    /// With reviewers listed, the number required must be one that they can
    /// reach: 0 would apply without waiting for them, more than listed would
    /// wait until the approval times out.
    fn check_required(&self, approval: &Spanned<RawApproval>, required: u32) -> Result<(), SourceError> {
        let listed = approval.value.reviewers.len();
        let loc = approval.value.required.as_ref().map_or(approval.referenced, |r| r.referenced);
        if required == 0 {
            return Err(self.err(loc, "approval.required",
                "reviewers are listed but required is 0, so the suite would not wait for them; set required to 1 or more"));
        }
        if required as usize > listed {
            return Err(self.err(loc, "approval.required",
                format!("{required} approvals required but only {listed} reviewer(s) listed; the suite could never be approved")));
        }
        Ok(())
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
                if !inventory.devices.iter().any(|d| RawTargets::entry_matches(kind, &entry.value, d)) {
                    return Err(self.err(entry.referenced, format!("targets.{kind}[{i}]"),
                        format!("{:?} matches no device of {} ({} devices)", entry.value, inventory.file, inventory.devices.len())));
                }
            }
        }
        Ok(())
    }

    /// Selects the target devices and resolves every step for each of them.
    pub fn resolve(&self, inventory: &Inventory) -> Result<ResolvedSuite, SourceError> {
        let t = &self.raw.targets;
        self.check_selector_entries(inventory)?;
        let selected: Vec<&Device> = inventory.devices.iter().filter(|d| t.value.selects(d)).collect();
        if selected.is_empty() {
            return Err(self.err(t.referenced, "targets",
                format!("the selector matches no device of {} ({} devices)", inventory.file, inventory.devices.len())));
        }
        let mut devices = Vec::with_capacity(selected.len());
        for device in selected {
            let mut steps = Vec::new();
            for step in self.expand()? {
                let operation = Self::build_operation(&self.file, &step.field, step.op, &step.params, Some(device), step.loc)?;
                steps.push(Step { id: step.id, operation: Some(operation) });
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
    /// for `device` (static check when `None`). `file` names the file the
    /// parameters came from: this suite, or a service catalogue.
    pub(crate) fn build_operation(file: &str, field_prefix: &str, op: &str, params: &RawParams, device: Option<&Device>, step_loc: Location)
        -> Result<Operation, SourceError> {
        let p = Params { file, prefix: field_prefix, op, params, device, step_loc };
        let known = op_params(op);
        for (key, value) in params {
            if !known.contains(&key.as_str()) {
                return Err(SourceError::at(file, value.referenced, format!("{field_prefix}.{op}.{key}"),
                    format!("unknown parameter {key:?} for {op}; expected one of: {}", known.join(", "))));
            }
        }
        let vlan_if = |p: &Params<'_>| -> Result<VlanInterface, SourceError> {
            Ok(VlanInterface { vlan_id: p.vlan_id("vlan_id")?, address: p.checked("address", validate::cidr)?, vrf: p.checked_opt("vrf", validate::vrf_ref)? })
        };
        let vrf = |p: &Params<'_>| -> Result<Vrf, SourceError> {
            Ok(Vrf { name: p.checked("name", validate::vrf)?, vni: p.number_opt("vni", 1, 16_777_215)?, keep_if_used: p.flag("keep_if_used")? })
        };
        let if_addr = |p: &Params<'_>| -> Result<InterfaceAddress, SourceError> {
            Ok(InterfaceAddress { interface: p.checked("interface", validate::interface)?, address: p.checked("address", validate::cidr)?,
                vrf: p.checked_opt("vrf", validate::vrf_ref)? })
        };
        let acl_table = |p: &Params<'_>| -> Result<AclTable, SourceError> {
            Ok(AclTable {
                name: p.checked("name", validate::acl_name)?,
                r#type: p.checked_opt("type", |v| validate::choice(v, &["L3", "L3V6", "MIRROR", "MIRRORV6", "PFCWD", "CTRLPLANE"]))?,
                stage: p.checked_opt("stage", |v| validate::choice(v, &["ingress", "egress"]))?,
                description: p.text_or("description", "")?,
                keep_if_used: p.flag("keep_if_used")?,
            })
        };
        let binding = |p: &Params<'_>| -> Result<AclBinding, SourceError> {
            Ok(AclBinding { table: p.checked("table", validate::acl_name)?, port: p.checked("port", validate::port)? })
        };
        let portchannel = |p: &Params<'_>| -> Result<PortChannel, SourceError> {
            Ok(PortChannel {
                name: p.checked("name", validate::portchannel)?,
                mtu: p.number_opt("mtu", 68, 9216)?,
                min_links: p.number_opt("min_links", 1, 1024)?,
                admin_status: p.checked_opt("admin_status", |v| validate::choice(v, &["up", "down"]))?,
                keep_if_used: p.flag("keep_if_used")?,
            })
        };
        let member = |p: &Params<'_>| -> Result<PortChannelMember, SourceError> {
            Ok(PortChannelMember { portchannel: p.checked("portchannel", validate::portchannel)?, port: p.checked("port", validate::ethernet)? })
        };
        let op = match op {
            "create_vlan" => Op::CreateVlan(CreateVlan { vlan_id: p.vlan_id("vlan_id")?, description: p.text_or("description", "")? }),
            "delete_vlan" => Op::DeleteVlan(DeleteVlan { vlan_id: p.vlan_id("vlan_id")?, keep_if_used: p.flag("keep_if_used")? }),
            "add_vlan_member" => Op::AddVlanMember(AddVlanMember {
                vlan_id: p.vlan_id("vlan_id")?,
                port: p.checked("port", validate::port)?,
                tagging_mode: match p.text_or("tagging_mode", "untagged")?.as_str() {
                    "untagged" => TaggingMode::Untagged,
                    "tagged" => TaggingMode::Tagged,
                    other => return Err(p.bad("tagging_mode", format!("{other:?} is not a tagging mode; expected untagged or tagged"))),
                } as i32,
            }),
            "remove_vlan_member" => Op::RemoveVlanMember(AddVlanMember { vlan_id: p.vlan_id("vlan_id")?, port: p.checked("port", validate::port)?, tagging_mode: 0 }),
            "add_vlan_interface" => Op::AddVlanInterface(vlan_if(&p)?),
            "remove_vlan_interface" => Op::RemoveVlanInterface(vlan_if(&p)?),
            "create_vrf" => Op::CreateVrf(vrf(&p)?),
            "delete_vrf" => Op::DeleteVrf(vrf(&p)?),
            "add_interface_address" => Op::AddInterfaceAddress(if_addr(&p)?),
            "remove_interface_address" => Op::RemoveInterfaceAddress(if_addr(&p)?),
            "add_bgp_neighbor" | "remove_bgp_neighbor" => {
                let adding = op == "add_bgp_neighbor";
                let neighbor = BgpNeighbor {
                    vrf: p.checked_opt("vrf", validate::vrf_ref)?,
                    neighbor: p.checked("neighbor", validate::ip)?,
                    remote_asn: if adding { p.number("remote_asn", 1, u32::MAX - 1)? } else { 0 },
                    local_addr: p.checked_opt("local_addr", validate::ip)?,
                    description: p.text_or("description", "")?,
                    address_family: p.checked_opt("address_family", |v| validate::choice(v, &["ipv4_unicast", "ipv6_unicast", "l2vpn_evpn"]))?,
                };
                if adding { Op::AddBgpNeighbor(neighbor) } else { Op::RemoveBgpNeighbor(neighbor) }
            }
            "add_static_route" | "remove_static_route" => {
                let route = StaticRoute {
                    vrf: p.checked_opt("vrf", validate::vrf_ref)?,
                    prefix: p.checked("prefix", validate::cidr)?,
                    nexthop: p.checked_opt("nexthop", |v| v.split(',').try_for_each(|h| validate::ip(h.trim()).map(|_| ())))?,
                    ifname: p.text_or("ifname", "")?,
                    distance: p.number_opt("distance", 1, 255)?,
                };
                if op == "add_static_route" {
                    if route.nexthop.is_empty() && route.ifname.is_empty() {
                        return Err(p.bad("nexthop", "a route needs a nexthop or an ifname".into()));
                    }
                    Op::AddStaticRoute(route)
                } else {
                    Op::RemoveStaticRoute(route)
                }
            }
            "create_acl_table" => Op::CreateAclTable(acl_table(&p)?),
            "delete_acl_table" => Op::DeleteAclTable(acl_table(&p)?),
            "add_acl_rule" | "remove_acl_rule" => {
                let adding = op == "add_acl_rule";
                let rule = AclRule {
                    table: p.checked("table", validate::acl_name)?,
                    rule: p.checked("rule", validate::acl_name)?,
                    priority: if adding { p.number("priority", 1, 999_999)? } else { 0 },
                    action: p.checked_opt("action", |v| validate::choice(&v.to_uppercase(), &["FORWARD", "DROP"]))?.to_uppercase(),
                    src_ip: p.checked_opt("src_ip", validate::cidr)?,
                    dst_ip: p.checked_opt("dst_ip", validate::cidr)?,
                    ip_protocol: p.number_opt("ip_protocol", 0, 255)?,
                    l4_src_port: p.number_opt("l4_src_port", 0, 65535)?,
                    l4_dst_port: p.number_opt("l4_dst_port", 0, 65535)?,
                };
                if adding { Op::AddAclRule(rule) } else { Op::RemoveAclRule(rule) }
            }
            "bind_acl_table" => Op::BindAclTable(binding(&p)?),
            "unbind_acl_table" => Op::UnbindAclTable(binding(&p)?),
            "create_portchannel" => Op::CreatePortchannel(portchannel(&p)?),
            "delete_portchannel" => Op::DeletePortchannel(portchannel(&p)?),
            "add_portchannel_member" => Op::AddPortchannelMember(member(&p)?),
            "remove_portchannel_member" => Op::RemovePortchannelMember(member(&p)?),
            "set_port" => {
                let props = PortProperties {
                    port: p.checked("port", validate::ethernet)?,
                    mtu: p.number_opt("mtu", 68, 9216)?,
                    admin_status: p.checked_opt("admin_status", |v| validate::choice(v, &["up", "down"]))?,
                    description: p.text_or("description", "")?,
                    speed: p.number_opt("speed", 1, u32::MAX)?,
                };
                if props.speed > 0 {
                    validate::speed(props.speed).map_err(|m| p.bad("speed", m))?;
                }
                if props.mtu == 0 && props.admin_status.is_empty() && props.description.is_empty() && props.speed == 0 {
                    return Err(p.bad("port", "nothing to set: give mtu, admin_status, description or speed".into()));
                }
                Op::SetPort(props)
            }
            other => unreachable!("operation {other} passed step_parts"),
        };
        Ok(Operation { op: Some(op) })
    }
}

/// Parameter names each operation accepts.
fn op_params(op: &str) -> &'static [&'static str] {
    OPERATIONS.iter().find(|(n, _)| *n == op).map_or(&[], |(_, p)| p)
}

/// Typed access to one step's parameters, with located errors.
struct Params<'a> {
    file: &'a str,
    prefix: &'a str,
    op: &'a str,
    params: &'a RawParams,
    device: Option<&'a Device>,
    step_loc: Location,
}

impl Params<'_> {
    fn field(&self, key: &str) -> String {
        format!("{}.{}.{key}", self.prefix, self.op)
    }

    fn bad(&self, key: &str, message: String) -> SourceError {
        let loc = self.params.get(key).map(|v| v.referenced).unwrap_or(self.step_loc);
        let message = match self.device {
            Some(d) => format!("{message} (for device {})", d.name),
            None => message,
        };
        SourceError::at(self.file, loc, self.field(key), message)
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
            SourceError::at(self.file, self.step_loc, self.field(key), format!("missing required parameter {key:?}"))
        })
    }

    fn vlan_id(&self, key: &str) -> Result<u32, SourceError> {
        let text = self.required(key)?;
        match text.trim().parse::<u32>() {
            Ok(id) if validate::vlan_id(id).is_ok() => Ok(id),
            _ => Err(self.bad(key, format!("VLAN id {text} is out of range; expected an integer in 1..=4094"))),
        }
    }

    /// A required text parameter that passes `check`.
    fn checked<T>(&self, key: &str, check: impl Fn(&str) -> Result<T, String>) -> Result<String, SourceError> {
        let text = self.required(key)?;
        check(&text).map_err(|m| self.bad(key, m))?;
        Ok(text)
    }

    /// An optional text parameter (empty when absent) that passes `check`.
    fn checked_opt<T>(&self, key: &str, check: impl Fn(&str) -> Result<T, String>) -> Result<String, SourceError> {
        match self.text(key)? {
            None => Ok(String::new()),
            Some(text) if text.is_empty() => Ok(text),
            Some(text) => {
                check(&text).map_err(|m| self.bad(key, m))?;
                Ok(text)
            }
        }
    }

    /// A required integer in `min..=max`.
    fn number(&self, key: &str, min: u32, max: u32) -> Result<u32, SourceError> {
        let text = self.required(key)?;
        match text.trim().parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(self.bad(key, format!("{text:?} is not an integer in {min}..={max}"))),
        }
    }

    /// An optional integer in `min..=max`; 0 when absent.
    fn number_opt(&self, key: &str, min: u32, max: u32) -> Result<u32, SourceError> {
        if self.params.contains_key(key) { self.number(key, min, max) } else { Ok(0) }
    }

    /// A boolean; false when absent.
    fn flag(&self, key: &str) -> Result<bool, SourceError> {
        match self.text(key)?.as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(self.bad(key, format!("{other:?} is not true or false"))),
        }
    }
}

/// The longest duration a suite file may give (365 days).
const MAX_DURATION_SECONDS: u64 = 365 * 86_400;

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the times that format
/// back as RFC 3339 with a 4-digit year.
const EARLIEST_TIME: i64 = -62_135_596_800;
const LATEST_TIME: i64 = 253_402_300_799;

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
