//! Suite status as operators read it: the one-line summary, the fleet plan,
//! the report (devices, decisions, operator and compensation logs), the
//! suite list, and what `watch` prints as a suite moves.
//!
//! Pure: text in, text out. It never asks Temporal and never prints, and
//! it names enum values only through `switchyard_proto::vocabulary`, never
//! by their numbers. Styles are embedded as ANSI codes; callers print
//! through `anstream`, which drops them unless stdout is a terminal and
//! `NO_COLOR` is unset, so piped output is plain text.

use std::collections::BTreeMap;
use std::fmt::Write;

use anstyle::{AnsiColor, Style};
use comfy_table::{CellAlignment, Table};
use switchyard_proto::v1::{CheckWhen, CompensationAction, DevicePage, DeviceResult, DeviceStatus, HealthSnapshot, StepRetry, SuitePhase, SuiteStatus, WaveCounts};
use switchyard_proto::vocabulary::{count, decision_name, device_is_done, device_status_name, phase_name};
use switchyard_starter::client::ListedSuite;

#[cfg(test)]
mod tests;

const BOLD: Style = Style::new().bold();
// The fleet diff's colours are git diff's.
const ADDED: Style = AnsiColor::Green.on_default();
const DELETED: Style = AnsiColor::Red.on_default();
const CHANGED: Style = AnsiColor::Yellow.on_default();

fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// Widest a report's line is meant to get: tables carry counts and short
/// words, and the long texts (errors) go under them, wrapped to this.
pub(crate) const REPORT_WIDTH: u16 = 120;

/// A borderless table whose columns are as wide as their widest cell, so a
/// long step name or key moves whole columns, never one row. Each line is
/// prefixed with `indent`; trailing blanks are trimmed. The one table style
/// of every command. A row stays one line, so `grep` finds a device or a
/// suite with all it says about it.
pub(crate) fn table(indent: &str, mut table: Table) -> String {
    table.load_style(comfy_table::presets::NOTHING);
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table.lines().fold(String::new(), |mut out, line| {
        let _ = writeln!(out, "{indent}{}", line.trim_end());
        out
    })
}

fn titled(out: &mut String, title: &str, body: Table) {
    let _ = write!(out, "\n{}\n{}", paint(BOLD, title), table("  ", body));
}

/// [`titled`] for a log whose last column is prose (a comment, a reason):
/// its longest cells wrap inside their column, so the report fits
/// [`REPORT_WIDTH`].
fn titled_log(out: &mut String, title: &str, mut body: Table) {
    body.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    body.set_width(REPORT_WIDTH - 2);
    titled(out, title, body);
}

/// One line: phase and counts. Failed devices that undid all their own
/// steps are counted as compensated: nothing of theirs stayed.
pub(crate) fn summary(status: &SuiteStatus) -> String {
    let c = status.counts.unwrap_or_default();
    let compensated = status.devices.iter().filter(|d| self_compensated(d)).count();
    let failed = if compensated > 0 { format!("{} failed ({compensated} compensated)", c.failed) } else { format!("{} failed", c.failed) };
    format!(
        "{}: {} | {}: {} succeeded, {failed}, {} rolled back, {} skipped",
        status.suite_id, phase_name(status.phase()), count(c.devices, "device"), c.succeeded, c.rolled_back, c.skipped
    )
}

/// A failed device that undid every step it had written, leaving nothing.
fn self_compensated(d: &DeviceResult) -> bool {
    d.status() == DeviceStatus::Failed && !d.steps_compensated.is_empty() && d.left_in_place == 0
        && d.compensation.iter().all(|e| !e.remains && e.action() != CompensationAction::Unknown)
}

/// A device's status as the report words it: a failed device says whether
/// it undid its own steps.
fn device_outcome(d: &DeviceResult) -> String {
    let name = device_status_name(d.status());
    if d.reverted_by_switch {
        format!("{name}, reverted by the switch")
    } else if self_compensated(d) {
        format!("{name}, compensated")
    } else if d.status() == DeviceStatus::Failed && !d.steps_compensated.is_empty() {
        format!("{name}, partly compensated")
    } else {
        name.to_string()
    }
}

/// The fleet plan with its hash, coloured like `git diff`; a suite that
/// planned nothing (its policy refused it first) says so and what to do,
/// rather than show an empty hash.
pub(crate) fn plan(status: &SuiteStatus) -> String {
    let mut out = String::new();
    if status.plan_hash.is_empty() {
        let _ = writeln!(out, "{}", paint(BOLD, &format!("no plan for suite {}: nothing was planned", status.suite_id)));
        if let Some(hint) = unsigned_hint(status) {
            let _ = writeln!(out, "{hint}");
        }
        return out;
    }
    let header = format!("plan {} for suite {}: {} created, {} updated, {} deleted",
        status.plan_hash, status.suite_id, count(status.rows_created, "row"), status.rows_updated, status.rows_deleted);
    let _ = writeln!(out, "{}", paint(BOLD, &header));
    for line in status.fleet_diff.lines() {
        // Group headers ("2 devices: a, b") start the line; their changes are
        // indented "+ ", "- " or "~ " lines.
        let style = match line.strip_prefix("  ") {
            None => BOLD,
            Some(change) if change.starts_with("+ ") => ADDED,
            Some(change) if change.starts_with("- ") => DELETED,
            Some(change) if change.starts_with("~ ") => CHANGED,
            Some(_) => Style::new(),
        };
        let _ = writeln!(out, "{}", paint(style, line));
    }
    out
}

/// Everything: summary, timings, plan, devices, decisions, operator log,
/// compensation log, and the suite's error.
pub(crate) fn report(status: &SuiteStatus) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", summary(status));
    let mut times = format!("requested by {}; started {}", status.requester, status.started_at);
    if !status.applying_at.is_empty() {
        let _ = write!(times, ", applying {}", status.applying_at);
    }
    if !status.finished_at.is_empty() {
        let _ = write!(times, ", finished {}", status.finished_at);
    }
    let _ = writeln!(out, "{times}");
    if !status.waiting.is_empty() {
        let _ = writeln!(out, "{}", paint(BOLD, &format!("waiting: {}", status.waiting)));
    }
    if !status.reverts.is_empty() {
        let _ = writeln!(out, "reverts suite {} (planned from its receipts against the rows as they were now)", status.reverts);
    }
    if !status.window_end.is_empty() {
        let _ = writeln!(out, "change window ends {}", status.window_end);
    }
    if status.waves > 1 {
        let _ = writeln!(out, "wave {} of {}, {} at a time", status.wave, status.waves, status.parallelism);
    }
    if !status.plan_hash.is_empty() {
        let _ = write!(out, "\n{}", plan(status));
    }
    if let Some(t) = waves_table(status) {
        titled(&mut out, "waves:", t);
    }
    let styles: Vec<Style> = status.devices.iter().map(|d| device_style(d.status())).collect();
    let _ = write!(out, "\n{}\n{}", paint(BOLD, "devices:"), paint_column(&table("  ", devices(status)), "STATUS", &styles));
    // Errors under the table, one per device, wrapped: a long error in a
    // column would push the table off the screen.
    let errors: Vec<String> = status.devices.iter().flat_map(|d| {
        let own = |text: &str| if text.starts_with(&d.device) { text.to_string() } else { format!("{}: {text}", d.device) };
        let error = (!d.error.is_empty()).then(|| own(&d.error));
        let unsaved = (!d.save_error.is_empty()).then(|| own(&format!("not saved: {}", d.save_error)));
        error.into_iter().chain(unsaved)
    }).collect();
    if !errors.is_empty() {
        let _ = writeln!(out, "\n{}", paint(BOLD, "errors:"));
        for text in errors {
            out.push_str(&wrapped(&text, "  ", "      "));
        }
    }
    if status.devices_omitted > 0 {
        let _ = writeln!(out, "  … and {} more (listed: the {} that need a look first); every device: switchyard status {} --devices",
            status.devices_omitted, status.devices.len(), status.suite_id);
    }
    if let Some(t) = check_readings(status) {
        titled(&mut out, "checks:", t);
    }
    if let Some(t) = health_table(status) {
        titled(&mut out, "health (before → after the change):", t);
    }
    if !status.gates.is_empty() {
        let mut t = Table::new();
        t.set_header(["AFTER WAVE", "GATE", "EXPECTED", "OBSERVED", "HELD", "RESULT"]);
        for g in &status.gates {
            let result = if g.passed { "passed" } else { "FAILED" };
            t.add_row([g.wave.to_string(), g.name.clone(), g.expected.clone(), g.observed.clone(), format!("{}s", g.held_seconds), result.to_string()]);
        }
        titled(&mut out, "gates:", t);
    }
    if !status.decisions.is_empty() {
        let mut t = Table::new();
        t.set_header(["REVIEWER", "DECISION", "COUNTED", "COMMENT"]);
        for d in &status.decisions {
            // The suite says why a decision did not count; "counted" needs no why.
            let counted = if d.counted { "yes".to_string() } else { format!("no: {}", d.reason) };
            match &d.signal {
                Some(s) => t.add_row([s.reviewer.clone(), decision_name(s.decision()).to_string(), counted, s.comment.clone()]),
                // A body the suite could not read names nobody and nothing.
                None => t.add_row(["-".to_string(), "unreadable".to_string(), counted, String::new()]),
            };
        }
        titled_log(&mut out, "decisions:", t);
    }
    if !status.operator_log.is_empty() {
        let mut t = Table::new();
        t.set_header(["AT", "OPERATOR", "ACTION", "APPLIED", "COMMENT OR REASON"]);
        for e in &status.operator_log {
            t.add_row([e.at.as_str(), e.operator.as_str(), e.action.as_str(), if e.applied { "yes" } else { "no" }, e.reason.as_str()]);
        }
        titled_log(&mut out, "operator log:", t);
    }
    if !status.compensation_log.is_empty() {
        let mut t = Table::new();
        t.set_header(["DEVICE", "STEP", "ROW", "UNDO"]);
        for e in &status.compensation_log {
            // Entries about a whole step (not applied, unknown) name no row.
            let row = match (e.key.as_str(), e.field.as_str()) {
                ("", _) => "(step)".to_string(),
                (key, "") => key.to_string(),
                (key, field) => format!("{key} {field}"),
            };
            let step = if e.step_id.is_empty() { "-" } else { e.step_id.as_str() };
            let undo = if e.reason.is_empty() { compensation_action_name(e.action()).to_string() } else { format!("{}: {}", compensation_action_name(e.action()), e.reason) };
            t.add_row([e.device.clone(), step.to_string(), row, undo]);
        }
        titled_log(&mut out, "compensation log:", t);
        if status.compensation_log_omitted > 0 {
            let _ = writeln!(out, "  … and {} removed/restored entries not listed here; each device workflow's result lists its own",
                status.compensation_log_omitted);
        }
    }
    if !status.error.is_empty() {
        let _ = writeln!(out, "\n{}", status.error);
    }
    out
}

/// Each wave's counts, for a suite too large to read device by device.
fn waves_table(status: &SuiteStatus) -> Option<Table> {
    if status.wave_counts.len() < 2 || (status.devices_omitted == 0 && status.devices.len() <= WATCH_DEVICE_LINES) {
        return None;
    }
    let mut t = Table::new();
    t.set_header(["WAVE", "DEVICES", "SUCCEEDED", "FAILED", "RUNNING", "WAITING", "ROLLED BACK", "SKIPPED"]);
    for w in &status.wave_counts {
        t.add_row([w.wave, w.devices, w.succeeded, w.failed, w.running, w.waiting, w.rolled_back, w.skipped].map(|n| n.to_string()));
    }
    Some(t)
}

/// One page of a suite's devices (`status --devices`): a row per device,
/// then each device's planned diff when the page carries them.
pub(crate) fn device_page(page: &DevicePage) -> String {
    let mut out = String::new();
    let mut t = Table::new();
    t.set_header(["DEVICE", "STATUS", "WAVE", "APPLIED", "ERROR"]);
    for d in &page.devices {
        t.add_row([d.device.clone(), device_outcome(d), if d.wave > 0 { d.wave.to_string() } else { String::new() }, d.steps_applied.len().to_string(), d.error.clone()]);
    }
    out.push_str(&table("", t));
    let _ = writeln!(out, "{} listed; {} of the suite's {} match", page.devices.len(), page.matching, page.total);
    for (d, diff) in page.devices.iter().zip(&page.diffs) {
        let _ = writeln!(out, "\n{}:", d.device);
        if diff.is_empty() {
            let _ = writeln!(out, "  (no changes)");
        }
        for line in diff.lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

/// One row per device. Columns that would be empty for every device (wave
/// with one wave, compensation when nothing was undone, errors, lock waits)
/// are left out.
fn devices(status: &SuiteStatus) -> Table {
    type Column = (&'static str, fn(&DeviceResult) -> String);
    let mut columns: Vec<Column> = vec![
        ("DEVICE", |d| d.device.clone()),
        ("STATUS", device_outcome),
    ];
    let any = |f: fn(&DeviceResult) -> bool| status.devices.iter().any(f);
    if status.waves > 1 {
        columns.push(("WAVE", |d| d.wave.to_string()));
    }
    // Counts, so a row fits a terminal; which steps, and what each undo
    // did, are in the compensation log and `status --devices` / `-o json`.
    columns.push(("APPLIED", |d| steps(d.steps_applied.len())));
    columns.push(("VERIFIED", |d| if d.verified { "yes" } else { "" }.to_string()));
    if any(|d| d.saved || !d.save_error.is_empty()) {
        // Whether the change (or its undo) survives a reboot.
        columns.push(("SAVED", |d| if d.saved { "yes" } else if d.save_error.is_empty() { "" } else { "no" }.to_string()));
    }
    if any(|d| !d.steps_compensated.is_empty()) {
        columns.push(("UNDONE", |d| if d.steps_compensated.is_empty() { String::new() } else { steps(d.steps_compensated.len()) }));
        // Counts only for devices that compensated: a blank is not a zero.
        columns.push(("REMOVED", |d| undone(d, d.removed)));
        columns.push(("RESTORED", |d| undone(d, d.restored)));
        columns.push(("LEFT IN PLACE", |d| undone(d, d.left_in_place)));
    }
    if any(|d| !d.retries.is_empty()) {
        // A step that needed retries (device errors, a worker crash) says
        // so: the run was not a clean one.
        columns.push(("RETRIED", |d| d.retries.iter().map(retry).collect::<Vec<_>>().join(", ")));
    }
    if any(|d| !d.lock_wait.is_empty()) {
        columns.push(("LOCK WAIT", |d| d.lock_wait.clone()));
    }
    // A device's own wait (another suite's lock, a slot, its wave); one the
    // whole suite shares is said once, above the table.
    let own = |d: &DeviceResult, suite: &str| if d.waiting == suite { String::new() } else { d.waiting.clone() };
    let waiting: Vec<String> = status.devices.iter().map(|d| own(d, &status.waiting)).collect();
    let waits = waiting.iter().any(|w| !w.is_empty());
    if any(|d| !d.checks.is_empty()) {
        columns.push(("CHECKS", checks_passed));
    }

    let mut t = Table::new();
    let mut header: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    if waits {
        header.push("WAITING FOR");
    }
    t.set_header(header);
    for (d, waiting) in status.devices.iter().zip(waiting) {
        let mut row: Vec<String> = columns.iter().map(|(_, cell)| cell(d)).collect();
        if waits {
            row.push(waiting);
        }
        t.add_row(row);
    }
    t
}

/// `3/3 passed`, or how many failed: a device's check readings at a glance.
fn checks_passed(d: &DeviceResult) -> String {
    let failed = d.checks.iter().filter(|r| !r.passed).count();
    if failed == 0 { format!("{}/{} passed", d.checks.len(), d.checks.len()) } else { format!("{failed}/{} failed", d.checks.len()) }
}

/// Readings, one row each: every reading of a small suite, the failed ones
/// of a large one (each device's JSON has them all).
fn check_readings(status: &SuiteStatus) -> Option<Table> {
    const ALL_UP_TO: usize = 40;
    let total: usize = status.devices.iter().map(|d| d.checks.len()).sum();
    let shown = status.devices.iter().flat_map(|d| d.checks.iter().map(move |r| (d, r))).filter(|(_, r)| total <= ALL_UP_TO || !r.passed);
    let mut t = Table::new();
    t.set_header(["DEVICE", "WHEN", "CHECK", "EXPECTED", "OBSERVED", "AFTER", "RESULT"]);
    let mut rows = 0;
    for (d, r) in shown {
        let when = if r.when == CheckWhen::Pre as i32 { "pre" } else { "post" };
        let result = if r.passed { "passed" } else { "FAILED" };
        t.add_row([d.device.clone(), when.to_string(), r.name.clone(), r.expected.clone(), r.observed.clone(), format!("{}s", r.waited_seconds), result.to_string()]);
        rows += 1;
    }
    (rows > 0).then_some(t)
}

/// Each device's health before and after its change: every device of a
/// small suite, the ones whose health got worse otherwise.
fn health_table(status: &SuiteStatus) -> Option<Table> {
    const ALL_UP_TO: usize = 40;
    let measured: Vec<&DeviceResult> = status.devices.iter().filter(|d| d.health_before.is_some() || d.health_after.is_some()).collect();
    let worse = |d: &DeviceResult| match (&d.health_before, &d.health_after) {
        (Some(b), Some(a)) => a.ports_up < b.ports_up || a.bgp_established < b.bgp_established,
        _ => false,
    };
    let mut t = Table::new();
    t.set_header(["DEVICE", "PORTS UP", "BGP ESTABLISHED", "NOT UP OR ESTABLISHED (AFTER)"]);
    let mut rows = 0;
    for d in measured.iter().filter(|d| measured.len() <= ALL_UP_TO || worse(d)) {
        let pair = |f: fn(&HealthSnapshot) -> (u32, u32)| {
            let side = |h: &Option<HealthSnapshot>| h.as_ref().map_or("-".to_string(), |h| { let (n, of) = f(h); format!("{n}/{of}") });
            format!("{} → {}", side(&d.health_before), side(&d.health_after))
        };
        let after = d.health_after.as_ref().map(|h| h.not_up.iter().chain(&h.not_established).cloned().collect::<Vec<_>>().join(", ")).unwrap_or_default();
        t.add_row([d.device.clone(), pair(|h| (h.ports_up, h.ports)), pair(|h| (h.bgp_established, h.bgp_neighbors)), after]);
        rows += 1;
    }
    (rows > 0).then_some(t)
}

/// `apply 1-create_vlan ×3`: the kind of step, its id and its attempts.
fn retry(r: &StepRetry) -> String {
    if r.step_id.is_empty() { format!("{} ×{}", r.kind, r.attempts) } else { format!("{} {} ×{}", r.kind, r.step_id, r.attempts) }
}

/// `3 steps`, `1 step`.
fn steps(n: usize) -> String {
    count(n as u64, "step")
}

/// `text` wrapped at spaces to [`REPORT_WIDTH`], its first line after
/// `first`, the rest after `rest`; a word longer than a line stays whole.
fn wrapped(text: &str, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > usize::from(REPORT_WIDTH) {
            out.push_str(&line);
            out.push('\n');
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
    out
}

fn undone(d: &DeviceResult, n: u32) -> String {
    if d.steps_compensated.is_empty() { String::new() } else { n.to_string() }
}

fn compensation_action_name(action: CompensationAction) -> &'static str {
    match action {
        CompensationAction::Removed => "removed",
        CompensationAction::Restored => "restored",
        CompensationAction::LeftInPlace => "left in place",
        CompensationAction::NotApplied => "not applied",
        CompensationAction::Unknown => "UNKNOWN",
        CompensationAction::Unspecified => "unspecified",
    }
}

/// `switchyard list`: one row per suite, as the visibility store has it,
/// with when it started and how long ago (from `now`, Unix seconds), each
/// status coloured by how it ended.
pub(crate) fn suites(suites: &[ListedSuite], now: i64) -> String {
    let mut t = Table::new();
    t.set_header(["SUITE", "STATUS", "STARTED", "AGE", "REQUESTER", "DEVICES", "FAILED"]);
    for s in suites {
        let (started, age) = if s.started_at > 0 {
            (switchyard_proto::time::format_rfc3339(s.started_at), age(now - s.started_at))
        } else {
            (String::new(), String::new())
        };
        t.add_row([s.suite_id.clone(), s.status.clone(), started, age, s.requester.clone(), s.devices.to_string(), s.failed.to_string()]);
    }
    for i in [3, 5, 6] {
        if let Some(column) = t.column_mut(i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    let styles: Vec<Style> = suites.iter().map(|s| outcome_style(&s.status)).collect();
    paint_column(&table("", t), "STATUS", &styles)
}

/// A suite's status in the colour of how it ended: green succeeded, red
/// failed or undone, yellow cancelled; a status still moving is plain.
fn outcome_style(status: &str) -> Style {
    match status {
        "succeeded" | "planned" => ADDED,
        "failed" | "rolled_back" | "partially_rolled_back" | "rejected" | "expired" => DELETED,
        "cancelled" => CHANGED,
        s if s.contains('(') => DELETED,
        _ => Style::new(),
    }
}

/// A device's status in the colour of how it ended, as a suite's.
fn device_style(status: DeviceStatus) -> Style {
    match status {
        DeviceStatus::Succeeded => ADDED,
        DeviceStatus::Failed | DeviceStatus::PlanFailed => DELETED,
        DeviceStatus::RolledBack => CHANGED,
        _ => Style::new(),
    }
}

/// Paints each row's cell of the column headed `header` in its style,
/// after the table is laid out (the layout counts colour codes as width).
fn paint_column(text: &str, header: &str, styles: &[Style]) -> String {
    let mut lines = text.lines();
    let Some(head) = lines.next() else { return String::new() };
    let Some(at) = head.find(header) else { return text.to_string() };
    let mut out = format!("{head}\n");
    for (line, style) in lines.zip(styles.iter().chain(std::iter::repeat(&Style::new()))) {
        let cell_end = line[at.min(line.len())..].find("  ").map_or(line.len(), |e| at + e);
        match line.get(at..cell_end) {
            Some(cell) if at < line.len() => {
                let _ = writeln!(out, "{}{}{}", &line[..at], paint(*style, cell), &line[cell_end..]);
            }
            _ => {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}

/// A duration in its largest whole unit: `45s`, `12m`, `3h`, `9d`.
pub(crate) fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
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
    // The counts cover every device; the list may hold only some.
    let (total, done) = match &status.counts {
        Some(c) if status.devices_omitted > 0 => (u64::from(c.devices), u64::from(c.succeeded + c.failed + c.rolled_back + c.skipped)),
        _ => (status.devices.len() as u64, status.devices.iter().filter(|d| device_is_done(d.status())).count() as u64),
    };
    let mut message = format!("{}: {done}/{total} {} done", phase_name(status.phase()), if total == 1 { "device" } else { "devices" });
    if status.waves > 1 {
        let _ = write!(message, ", wave {} of {}", status.wave, status.waves);
    }
    if !status.waiting.is_empty() {
        let _ = write!(message, "; waiting: {}", status.waiting);
    }
    Progress { done, total, message }
}

/// Whether the suite's policy counts only signed decisions (a suite
/// started before policies, or under `unsigned: allow`, takes names).
fn signed_only(status: &SuiteStatus) -> bool {
    status.policy.as_ref().is_some_and(|p| !p.allow_unsigned)
}

/// The signing option a hint shows under a signed policy.
fn signing(status: &SuiteStatus) -> &'static str {
    if signed_only(status) { "--signing-key <your key> " } else { "" }
}

/// The name option a hint shows where names count.
fn named(status: &SuiteStatus, option: &str) -> String {
    if signed_only(status) { String::new() } else { format!(" {option} <name>") }
}

/// What to do about a launch the policy refused for want of a signature.
fn unsigned_hint(status: &SuiteStatus) -> Option<&'static str> {
    status.error.contains("counts only signed decisions")
        .then_some("sign the launch: --signing-key <your key> (or SWITCHYARD_SIGNING_KEY); the policy counts only signed decisions")
}

/// What moved since the last look at a suite, as `watch` prints it: the
/// phase when it changes (with the plan and how to approve it, or why the
/// suite paused and how to answer), then each device whose status changed.
/// Logs and tests read these lines, so their wording is fixed.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    phase: SuitePhase,
    devices: BTreeMap<String, DeviceStatus>,
    waves: BTreeMap<u32, WaveCounts>,
    waiting: String,
}

/// Suites of more devices than this are watched wave by wave (a line per
/// wave whose counts moved, and one per device that failed), not device
/// by device.
const WATCH_DEVICE_LINES: usize = 50;

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
                // The command on a line of its own, to copy whole.
                let _ = writeln!(out, "approve with:\n  switchyard {}approve {suite_id}{} --plan-hash {}", signing(status), named(status, "--reviewer"), status.plan_hash);
            }
            if self.phase == SuitePhase::Paused {
                let errors: Vec<&str> = status.devices.iter().filter(|d| !d.error.is_empty()).map(|d| d.error.as_str()).collect();
                let _ = writeln!(out, "paused: {}", errors.join("; "));
                let _ = writeln!(out, "decide with: switchyard {}resume|rollback|abandon|cancel {suite_id}{}", signing(status), named(status, "--operator"));
            }
        }
        if status.waiting != self.waiting {
            self.waiting = status.waiting.clone();
            if !self.waiting.is_empty() {
                let _ = writeln!(out, "waiting: {}", self.waiting);
            }
        }
        let large = status.devices_omitted > 0 || status.devices.len() > WATCH_DEVICE_LINES;
        for d in &status.devices {
            let failed = matches!(d.status(), DeviceStatus::Failed | DeviceStatus::PlanFailed);
            if self.devices.get(&d.device) != Some(&d.status()) && (!large || failed) {
                self.devices.insert(d.device.clone(), d.status());
                let _ = writeln!(out, "  {:<14} {}", d.device, device_status_name(d.status()));
            }
        }
        if large {
            for w in &status.wave_counts {
                if self.waves.get(&w.wave) != Some(w) {
                    self.waves.insert(w.wave, *w);
                    let done = w.succeeded + w.failed + w.rolled_back + w.skipped;
                    let _ = writeln!(out, "  wave {}: {done}/{} done ({} succeeded, {} failed, {} rolled back, {} skipped), {} running, {} waiting",
                        w.wave, w.devices, w.succeeded, w.failed, w.rolled_back, w.skipped, w.running, w.waiting);
                }
            }
        }
        out
    }
}
