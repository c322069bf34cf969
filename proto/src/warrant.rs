//! Whether a device write was decided: the check every writing activity
//! makes before it touches a device, against the worker's current policy.
//!
//! What it trusts and what it does not: the suite run (its workflow id, run
//! id, input and start time) comes from Temporal's own record of the run
//! that started the writing workflow, so nobody can invent it; the
//! [`Warrant`] (approvals, plan hash, proof) is a claim and is checked
//! here; the policy and the device's facts are the worker's own.
//!
//! Must never: do I/O, read a clock, or take a policy or a device fact from
//! the workflow.

use std::collections::BTreeSet;

use crate::inventory::Device;
use crate::plan_root;
use crate::policy::{self, Policy};
use crate::trust::{self, Binding, Kind};
use crate::v1::{ApprovalRequirement, EffectivePolicy, StepPlan, SuiteInput, Warrant};

/// The suite run a write serves, as Temporal records it.
#[derive(Debug, Clone)]
pub struct SuiteRun {
    /// The suite's workflow id.
    pub workflow_id: String,
    /// Its run id: approvals are bound to it.
    pub run_id: String,
    /// The input it was started with: the launch and the targets.
    pub input: SuiteInput,
    /// Unix seconds it started: the launch must have been valid then.
    pub started_at: i64,
}

/// Who decided a write that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    /// The requester, as the launch proves it.
    pub requester: String,
    /// The approvers that count for this device under the current policy.
    pub approvers: Vec<String>,
    /// The suite's confirmed-commit timeout as launched (0: off): a forward
    /// write needs the switch's revert armed when it is not 0.
    pub confirm_timeout_seconds: u32,
}

/// Checks that writing `steps` (the steps whose apply or reverse is about
/// to be written; empty for a lock or a save) to `device` was decided in
/// `run`, under `current`. Every refusal says what failed.
pub fn check(current: &Policy, device: &Device, run: &SuiteRun, warrant: Option<&Warrant>, steps: &[StepPlan]) -> Result<Authority, String> {
    let input = &run.input;
    let runs_as_launched = run.workflow_id == input.suite_id
        || (input.scheduled && run.workflow_id.strip_prefix(&input.suite_id).is_some_and(|rest| rest.starts_with('-') && rest.len() > 1));
    if !runs_as_launched {
        return Err(format!("suite run {} was launched as suite {:?}", run.workflow_id, input.suite_id));
    }
    let principals = EffectivePolicy {
        allow_unsigned: current.allow_unsigned,
        principals: current.principals.clone(),
        ..Default::default()
    };
    let requester = launched_by(current, &principals, run)?;

    // This device, in this suite's targets, with exactly the launched steps.
    let target = input.target(&device.name)
        .ok_or_else(|| format!("{} is not a target of suite {}", device.name, input.suite_id))?
        .map_err(|why| format!("suite {}'s input is malformed: {why}", input.suite_id))?;
    for step in steps {
        let launched = step.step.as_ref().is_some_and(|s| target.steps.contains(s));
        if !launched {
            let id = step.step.as_ref().map_or("", |s| s.id.as_str());
            return Err(format!("step {id:?} is not a step suite {} launched for {}", input.suite_id, device.name));
        }
    }

    // The rules that cover the device now: default deny, the requester
    // and the operations allowed, and the approvals they require.
    let rules: Vec<_> = current.rules.iter().filter(|r| r.covers(device)).collect();
    if rules.is_empty() {
        return Err(format!("no rule of policy {} covers {} (default deny)", current.file, device.name));
    }
    let mut required: Vec<ApprovalRequirement> = Vec::new();
    for rule in &rules {
        if !policy::admits(&principals, &rule.request, &requester) {
            return Err(format!("{requester} may not request changes on {} under rule {} of {}", device.name, rule.name, current.file));
        }
        for step in target.steps.iter() {
            let op = step.operation.as_ref().and_then(|o| o.op.as_ref()).map_or("none", crate::operation::name);
            if !rule.operations.is_empty() && !rule.operations.iter().any(|o| o == op) {
                return Err(format!("operation {op} is not allowed on {} by rule {} of {}", device.name, rule.name, current.file));
            }
        }
        required.extend(rule.approvals.iter().cloned());
    }
    if let Some(own) = input.approval.as_ref().filter(|a| a.required > 0) {
        required.push(ApprovalRequirement {
            count: own.required,
            principals: own.reviewers.iter().map(|r| trust::person(r)).collect(),
            source: "the suite's approval".into(),
            ..Default::default()
        });
    }
    if required.is_empty() {
        return Ok(Authority { requester, approvers: vec![], confirm_timeout_seconds: confirm_timeout(input) });
    }

    // Approvals are needed: they must sign a plan hash that covers these
    // very steps on this device.
    let warrant = warrant.ok_or_else(|| format!("no warrant: {} needs approvals for {}", device.name, input.suite_id))?;
    // The device as the worker's own inventory has it now: a plan approved
    // for another record of it (its source id changed) proves nothing.
    let proven = plan_root::hash_from_proof(&device.name, &device.source_ref, &warrant.step_digests, &warrant.proof, &warrant.policy_digest)
        .map_err(|e| format!("the warrant's proof is malformed: {e}"))?;
    if proven != warrant.plan_hash {
        return Err(format!("the warrant's proof for {} leads to plan {proven}, not to the approved plan {}", device.name, warrant.plan_hash));
    }
    for step in steps {
        let digest = trust::hex(&plan_root::step_digest(step));
        if !warrant.step_digests.contains(&digest) {
            let id = step.step.as_ref().map_or("", |s| s.id.as_str());
            return Err(format!("step {id:?} on {} is not the step the approved plan holds", device.name));
        }
    }
    let approvers = approvers(current, &principals, run, warrant, &requester)?;
    for requirement in &required {
        let have = approvers.iter().filter(|p| policy::qualifies(&principals, requirement, p)).count();
        if have < requirement.count as usize {
            let from: Vec<&str> = requirement.groups.iter().chain(&requirement.principals).map(String::as_str).collect();
            return Err(format!("{} needs {} approval(s) from {} ({}) under policy {}; the warrant has {have}",
                device.name, requirement.count, if from.is_empty() { "anyone but the requester".to_string() } else { from.join(", ") },
                requirement.source, current.file));
        }
    }
    Ok(Authority { requester, approvers, confirm_timeout_seconds: confirm_timeout(input) })
}

fn confirm_timeout(input: &SuiteInput) -> u32 {
    input.rollout.as_ref().map_or(0, |r| r.confirm_timeout_seconds)
}

/// Seconds after its window's end a device's write may still come: a
/// device started in the window finishes its steps (the suite starts one
/// only when its estimate fits), and the worker's clock and Temporal's may
/// disagree a little. A write later than this is refused.
pub const WINDOW_GRACE_SECS: i64 = 300;

/// Seconds before its window opens a write may come: only the clocks'
/// disagreement (the suite waits for the window's start on Temporal's).
pub const WINDOW_SKEW_SECS: i64 = 60;

/// Whether the device's checks, as the suite launched them, meet every
/// rule covering the device now (`checks: required`, `min_check_within`):
/// a write that moves the device forward is refused when they fall short.
pub fn check_checks(current: &Policy, device: &Device, run: &SuiteRun) -> Result<(), String> {
    let target = match run.input.target(&device.name) {
        None => return Ok(()),
        Some(Ok(target)) => target,
        Some(Err(why)) => return Err(format!("suite {}'s input is malformed: {why}", run.input.suite_id)),
    };
    let checked = crate::checks::coverage(&target);
    match current.rules.iter().filter(|r| r.covers(device)).find_map(|r| r.checks_refusal(&checked)) {
        Some(why) => Err(format!("{why} of {}", current.file)),
        None => Ok(()),
    }
}

/// Whether the suite was launched with confirmed commit where every rule
/// covering the device now requires it (the default): a write that moves
/// the device forward without a revert armed on the switch is refused.
pub fn check_confirm(current: &Policy, device: &Device, run: &SuiteRun) -> Result<(), String> {
    match current.rules.iter().filter(|r| r.covers(device)).find_map(|r| r.confirm_refusal(confirm_timeout(&run.input))) {
        Some(why) => Err(format!("{why} of {}", current.file)),
        None => Ok(()),
    }
}

/// Checks that a write that moves the network forward (an apply; a
/// reverse, an undo, a lock or a save is never held back) falls in the suite's
/// change window at `now`: the window it was launched with, whose end only
/// a window extension in the warrant that holds under `current` moves
/// (signed by a principal every rule covering `device` lets operate, bound
/// to this run and plan; an unsigned one only under `unsigned: allow`).
/// A suite launched with no window passes.
pub fn check_window(current: &Policy, device: &Device, run: &SuiteRun, warrant: Option<&Warrant>, now: i64) -> Result<(), String> {
    let Some(window) = run.input.window.as_ref() else { return Ok(()) };
    let start = crate::time::parse_rfc3339(&window.start);
    let launched_end = crate::time::parse_rfc3339(&window.end)
        .ok_or_else(|| format!("the suite's change window end {:?} is not a time", window.end))?;
    if let Some(start) = start.filter(|s| now < s - WINDOW_SKEW_SECS) {
        return Err(format!("the change window opens at {}; nothing is written before it", crate::time::format_rfc3339(start)));
    }
    let mut end = launched_end;
    let mut not_counted = Vec::new();
    if let Some(warrant) = warrant {
        let principals = EffectivePolicy { allow_unsigned: current.allow_unsigned, principals: current.principals.clone(), ..Default::default() };
        for (i, signed) in warrant.window_extensions.iter().enumerate() {
            match extension(current, &principals, device, run, warrant, signed) {
                Ok(to) => end = end.max(to),
                Err(why) => not_counted.push(format!("extension {i}: {why}")),
            }
        }
        if !warrant.unsigned_window_end.is_empty() {
            match crate::time::parse_rfc3339(&warrant.unsigned_window_end) {
                Some(to) if current.allow_unsigned => end = end.max(to),
                Some(_) => not_counted.push(format!("an unsigned extension, and policy {} counts only signed decisions", current.file)),
                None => not_counted.push(format!("an unsigned extension to {:?}, not a time", warrant.unsigned_window_end)),
            }
        }
    }
    if now > end + WINDOW_GRACE_SECS {
        let why = if not_counted.is_empty() { String::new() } else { format!(" (not counted: {})", not_counted.join("; ")) };
        return Err(format!("the change window closed at {}; nothing is written after it{why}", crate::time::format_rfc3339(end)));
    }
    Ok(())
}

/// The end a signed window extension moves the window to, if it holds.
fn extension(current: &Policy, principals: &EffectivePolicy, device: &Device, run: &SuiteRun, warrant: &Warrant, signed: &crate::v1::SignedDecision) -> Result<i64, String> {
    let decision = trust::Decision::parse(&signed.message).map_err(|e| e.to_string())?;
    // Its signature's expiry bounds when it could be made, not how long
    // the later end lasts: the suite applied it while it held.
    let binding = Binding { suite: &run.workflow_id, run: &run.run_id, plan: &warrant.plan_hash, input: "", now: decision.expires - 1 };
    let ok = trust::establish(signed, &principals.principals, &binding).map_err(|e| format!("does not hold: {e}"))?;
    if ok.decision.kind != Kind::ExtendWindow {
        return Err(format!("a signed {} decision", ok.decision.kind.name()));
    }
    let who = ok.signer.principal;
    if let Some(rule) = current.rules.iter().filter(|r| r.covers(device)).find(|r| !policy::admits(principals, &r.operate, &who)) {
        return Err(format!("{who} may not operate {} under rule {} of {}", device.name, rule.name, current.file));
    }
    crate::time::parse_rfc3339(&ok.decision.value).ok_or_else(|| format!("its end {:?} is not a time", ok.decision.value))
}

/// The requester, from the run's launch signature checked against the
/// current keys at the time the run started.
fn launched_by(current: &Policy, principals: &EffectivePolicy, run: &SuiteRun) -> Result<String, String> {
    let input = &run.input;
    match &input.launch {
        None if current.allow_unsigned => {
            let name = trust::person(&input.requester);
            if name.is_empty() { Err("the launch is unsigned and names no requester".into()) } else { Ok(name) }
        }
        None => Err(format!("the suite's launch is unsigned and policy {} counts only signed decisions", current.file)),
        Some(signed) => {
            let binding = Binding { suite: &input.suite_id, run: "", plan: "", input: &trust::input_digest(input), now: run.started_at };
            let ok = trust::establish(signed, &principals.principals, &binding).map_err(|e| format!("the launch does not hold: {e}"))?;
            if ok.decision.kind != Kind::Launch {
                return Err(format!("the launch carries a signed {} decision", ok.decision.kind.name()));
            }
            Ok(ok.signer.principal)
        }
    }
}

/// The distinct principals whose approvals in the warrant hold now: signed
/// by a key the current policy holds, bound to this suite, run and plan,
/// not the requester's. An approval whose key was removed, or that is bound
/// elsewhere, is refused with its reason.
fn approvers(current: &Policy, principals: &EffectivePolicy, run: &SuiteRun, warrant: &Warrant, requester: &str) -> Result<Vec<String>, String> {
    let mut people = BTreeSet::new();
    for (i, signed) in warrant.approvals.iter().enumerate() {
        let decision = trust::Decision::parse(&signed.message).map_err(|e| format!("approval {i}: {e}"))?;
        // Approvals were checked for time when the suite counted them; here
        // the run binding keeps them to this run, whenever it applies.
        let binding = Binding { suite: &run.workflow_id, run: &run.run_id, plan: &warrant.plan_hash, input: "", now: decision.expires - 1 };
        let ok = trust::establish(signed, &principals.principals, &binding).map_err(|e| format!("approval {i} does not hold: {e}"))?;
        if ok.decision.kind != Kind::Approve {
            return Err(format!("approval {i} is a signed {} decision", ok.decision.kind.name()));
        }
        if ok.signer.principal != requester {
            people.insert(ok.signer.principal);
        }
    }
    if !warrant.unsigned_approvers.is_empty() {
        if !current.allow_unsigned {
            return Err(format!("the warrant counts unsigned approvals and policy {} counts only signed decisions", current.file));
        }
        for name in &warrant.unsigned_approvers {
            let name = trust::person(name);
            if !name.is_empty() && name != requester {
                people.insert(name);
            }
        }
    }
    Ok(people.into_iter().collect())
}

#[cfg(test)]
mod tests;
