//! Status, plans, progress and compensation logs as operators read them.
//! Pure: text in, text out; it never asks Temporal and never prints.

use std::collections::BTreeMap;
use std::fmt::Write;

use switchyard_proto::vocabulary::{self, device_is_done, device_status_name, phase_name};
use switchyard_proto::v1::{CompensationAction, DeviceStatus, SuitePhase, SuiteStatus};

pub(crate) fn phase(status: &SuiteStatus) -> SuitePhase {
    SuitePhase::try_from(status.phase).unwrap_or(SuitePhase::Unspecified)
}

pub(crate) fn device_status(code: i32) -> &'static str {
    vocabulary::device_status_name(DeviceStatus::try_from(code).unwrap_or(DeviceStatus::Unspecified))
}

/// One line: phase and counts.
pub(crate) fn summary(status: &SuiteStatus) -> String {
    let c = status.counts.unwrap_or_default();
    format!(
        "{}: {} | {} devices: {} succeeded, {} failed, {} rolled back, {} skipped",
        status.suite_id, phase_name(phase(status)), c.devices, c.succeeded, c.failed, c.rolled_back, c.skipped
    )
}

/// The fleet plan with its hash.
pub(crate) fn plan(status: &SuiteStatus) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "plan {} for suite {}: {} row(s) created, {} updated, {} deleted",
        status.plan_hash, status.suite_id, status.rows_created, status.rows_updated, status.rows_deleted);
    out.push_str(&status.fleet_diff);
    out
}

/// Everything: summary, plan, devices, decisions, compensation log.
pub(crate) fn report(status: &SuiteStatus) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", summary(status));
    let _ = writeln!(out, "requested by {}; started {}{}{}", status.requester, status.started_at,
        if status.applying_at.is_empty() { String::new() } else { format!(", applying {}", status.applying_at) },
        if status.finished_at.is_empty() { String::new() } else { format!(", finished {}", status.finished_at) });
    if !status.window_end.is_empty() {
        let _ = writeln!(out, "change window ends {}", status.window_end);
    }
    if status.waves > 1 {
        let _ = writeln!(out, "wave {} of {}, {} at a time", status.wave, status.waves, status.parallelism);
    }
    if !status.plan_hash.is_empty() {
        let _ = writeln!(out, "\n{}", plan(status).trim_end());
    }
    let _ = writeln!(out, "\ndevices:");
    for d in &status.devices {
        let _ = write!(out, "  {:<14} {:<12}", d.device, device_status(d.status));
        if status.waves > 1 {
            let _ = write!(out, " wave {}", d.wave);
        }
        if !d.steps_applied.is_empty() {
            let _ = write!(out, " applied [{}]", d.steps_applied.join(", "));
        }
        if d.verified {
            out.push_str(" verified");
        }
        if !d.steps_compensated.is_empty() {
            let _ = write!(out, " compensated [{}]: {} removed, {} restored, {} left in place",
                d.steps_compensated.join(", "), d.removed, d.restored, d.left_in_place);
        }
        out.push('\n');
        if !d.error.is_empty() {
            let _ = writeln!(out, "      {}", d.error);
        }
    }
    if !status.decisions.is_empty() {
        let _ = writeln!(out, "\ndecisions:");
        for d in &status.decisions {
            let s = d.signal.clone().unwrap_or_default();
            let verb = if s.decision == 2 { "reject" } else { "approve" };
            let _ = writeln!(out, "  {} {verb} ({}): {}{}", s.reviewer, if d.counted { "counted" } else { "not counted" }, d.reason,
                if s.comment.is_empty() { String::new() } else { format!(" — {:?}", s.comment) });
        }
    }
    if !status.operator_log.is_empty() {
        let _ = writeln!(out, "\noperator log:");
        for e in &status.operator_log {
            let _ = writeln!(out, "  {} {} {} ({}){}", e.at, e.operator, e.action, if e.applied { "applied" } else { "not applied" },
                if e.reason.is_empty() { String::new() } else { format!(": {}", e.reason) });
        }
    }
    if !status.compensation_log.is_empty() {
        let _ = writeln!(out, "\ncompensation log:");
        for e in &status.compensation_log {
            let action = match CompensationAction::try_from(e.action).unwrap_or(CompensationAction::Unspecified) {
                CompensationAction::Removed => "removed",
                CompensationAction::Restored => "restored",
                CompensationAction::LeftInPlace => "left in place",
                CompensationAction::NotApplied => "not applied",
                CompensationAction::Unknown => "UNKNOWN",
                CompensationAction::Unspecified => "?",
            };
            let field = if e.field.is_empty() { String::new() } else { format!(" {}", e.field) };
            // Entries about a whole step (not applied, unknown) name no row.
            let key = if e.key.is_empty() { "(step)" } else { e.key.as_str() };
            let step = if e.step_id.is_empty() { "-" } else { e.step_id.as_str() };
            let _ = writeln!(out, "  {:<14} {:<18} {key}{field}: {action} ({})", e.device, step, e.reason);
        }
        if status.compensation_log_omitted > 0 {
            let _ = writeln!(out, "  … and {} removed/restored entries not listed here; each device workflow's result lists its own", status.compensation_log_omitted);
        }
    }
    if !status.error.is_empty() {
        let _ = writeln!(out, "\n{}", status.error);
    }
    out
}

/// How far a suite is, for `watch`'s progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Devices that finished their part, successfully or not.
    pub(crate) done: u64,
    pub(crate) total: u64,
    /// What the bar says beside itself: phase, counts and wave.
    pub(crate) message: String,
}

pub(crate) fn progress(status: &SuiteStatus) -> Progress {
    let total = status.devices.len() as u64;
    let done = status.devices.iter().filter(|d| device_is_done(d.status())).count() as u64;
    let mut message = format!("{}: {done}/{total} {} done", phase_name(status.phase()), if total == 1 { "device" } else { "devices" });
    if status.waves > 1 {
        let _ = write!(message, ", wave {} of {}", status.wave, status.waves);
    }
    Progress { done, total, message }
}

/// What moved since the last look at a suite, as `watch` prints it: the
/// phase when it changes (with the plan and how to approve it, or why the
/// suite paused and how to answer), then each device whose status changed.
/// Logs and tests read these lines, so their wording is fixed.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    phase: SuitePhase,
    devices: BTreeMap<String, DeviceStatus>,
}

impl Changes {
    /// The lines to print for `status`, each ending in a newline; empty
    /// when nothing moved.
    pub(crate) fn since_last(&mut self, status: &SuiteStatus) -> String {
        let mut out = String::new();
        let suite_id = &status.suite_id;
        if status.phase() != self.phase {
            self.phase = status.phase();
            let _ = writeln!(out, "phase: {}", phase_name(self.phase));
            if self.phase == SuitePhase::AwaitingApproval {
                let _ = writeln!(out, "{}", plan(status).trim_end());
                let _ = writeln!(out, "approve with: switchyard approve {suite_id} --reviewer <name> --plan-hash {}", status.plan_hash);
            }
            if self.phase == SuitePhase::Paused {
                let errors: Vec<&str> = status.devices.iter().filter(|d| !d.error.is_empty()).map(|d| d.error.as_str()).collect();
                let _ = writeln!(out, "paused: {}", errors.join("; "));
                let _ = writeln!(out, "decide with: switchyard resume|rollback|abandon {suite_id} --operator <name>");
            }
        }
        for d in &status.devices {
            if self.devices.get(&d.device) != Some(&d.status()) {
                self.devices.insert(d.device.clone(), d.status());
                let _ = writeln!(out, "  {:<14} {}", d.device, device_status_name(d.status()));
            }
        }
        out
    }
}
