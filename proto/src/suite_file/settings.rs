//! The suite's settings: rollout (parallelism, waves, failure policy,
//! pauses, locks), change window and approval policy, read from the file
//! with their defaults and refused at their line when they cannot work.
//!
//! Must never: look at the inventory or a device.

use serde_saphyr::Spanned;

use super::{RawApproval, RawGate, SuiteFile};
use crate::params::Scalar;
use crate::time::{format_rfc3339, parse_duration, parse_rfc3339};
use crate::v1::{ApprovalPolicy, ChangeWindow, Gate, OnFailure, OperatorAction, Rollout, Wave, WindowClose};
use crate::SourceError;

/// Bytes of PromQL a gate's query may have.
const MAX_GATE_QUERY: usize = 4_096;
/// The longest a gate may be read before the next wave.
const MAX_GATE_HOLD_SECONDS: u64 = 3_600;

/// How long a device's revert stays armed on the switch when the suite
/// does not say: long enough for a device's steps, its checks and the
/// confirm over a fresh connection; short enough that a switch cut off by
/// its change is back within minutes.
pub const DEFAULT_CONFIRM_SECONDS: u32 = 300;

/// The longest duration a suite file may give (365 days).
const MAX_DURATION_SECONDS: u64 = 365 * 86_400;

/// 0001-01-01T00:00:00Z and the latest time jiff represents
/// (9999-12-30T22:00:00Z): times handed on as text must format back as
/// RFC 3339 with a 4-digit year.
const EARLIEST_TIME: i64 = -62_135_596_800;
const LATEST_TIME: i64 = 253_402_207_200;

impl SuiteFile {
    pub(super) fn duration(&self, value: &Spanned<Scalar>, field: &str) -> Result<u64, SourceError> {
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

    pub(super) fn rollout(&self) -> Result<Rollout, SourceError> {
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
            skip_config_save: false,
            gates: vec![],
            confirm_timeout_seconds: DEFAULT_CONFIRM_SECONDS,
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
                    format!("unknown policy {other:?}{}; expected rollback, pause or continue",
                        crate::vocabulary::did_you_mean(other, ["rollback", "pause", "continue"])))),
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
                    format!("unknown choice {other:?}{}; expected wait or fail", crate::vocabulary::did_you_mean(other, ["wait", "fail"])))),
            };
        }
        if let Some(w) = &raw.lock_wait {
            rollout.lock_wait_seconds = self.duration(w, "rollout.lock_wait")?;
        }
        if let Some(save) = &raw.save_config {
            rollout.skip_config_save = match save.value.text().trim() {
                "true" => false,
                "false" => true,
                other => return Err(self.err(save.referenced, "rollout.save_config",
                    format!("{other:?} is not true or false (save the running configuration after each device, as `config save -y` does)"))),
            };
        }
        if let Some(c) = &raw.confirm {
            rollout.confirm_timeout_seconds = match c.value.text().trim() {
                "off" | "false" => 0,
                _ => {
                    let seconds = self.duration(c, "rollout.confirm")?;
                    if !(60..=3_600).contains(&seconds) {
                        return Err(self.err(c.referenced, "rollout.confirm", "a device confirms its change within 1m..=1h (or off)"));
                    }
                    seconds as u32
                }
            };
        }
        for (i, g) in raw.gates.iter().enumerate() {
            rollout.gates.push(self.gate(&format!("rollout.gates[{i}]"), i, g)?);
        }
        Ok(rollout)
    }

    /// One gate between waves: a query, its bounds and how long they hold.
    fn gate(&self, field: &str, i: usize, raw: &Spanned<RawGate>) -> Result<Gate, SourceError> {
        let g = &raw.value;
        let name = g.name.as_ref().map_or_else(|| format!("gate {}", i + 1), |n| n.value.clone());
        if let Some(checks) = g.checks.as_ref().filter(|c| c.value) {
            if g.query.is_some() || g.prometheus.is_some() || g.max.is_some() || g.min.is_some() || g.hold.is_some() || g.pass_when_empty.is_some() {
                return Err(self.err(checks.referenced, format!("{field}.checks"),
                    "a gate is either the wave's checks read again (checks: true) or a Prometheus query, not both"));
            }
            return Ok(Gate { name, device_checks: true, ..Default::default() });
        }
        let Some(query) = &g.query else {
            return Err(self.err(raw.referenced, format!("{field}.query"), "a gate needs a query (PromQL), or `checks: true` to read the wave's checks again"));
        };
        let query_loc = query.referenced;
        let query = query.value.trim();
        if query.is_empty() || query.len() > MAX_GATE_QUERY {
            return Err(self.err(query_loc, format!("{field}.query"), format!("a gate's query is 1..={MAX_GATE_QUERY} bytes of PromQL")));
        }
        let bound = |value: &Option<Spanned<Scalar>>, name: &str| -> Result<Option<f64>, SourceError> {
            value.as_ref().map(|v| v.value.text().trim().parse::<f64>().ok().filter(|n| n.is_finite())
                .ok_or_else(|| self.err(v.referenced, format!("{field}.{name}"), format!("{:?} is not a number", v.value.text()))))
                .transpose()
        };
        let (max, min) = (bound(&g.max, "max")?, bound(&g.min, "min")?);
        if max.is_none() && min.is_none() {
            return Err(self.err(raw.referenced, field.to_string(), "a gate needs a bound: max, min or both (e.g. max: 0 for no errors)"));
        }
        if let (Some(max), Some(min)) = (max, min) && min > max {
            return Err(self.err(raw.referenced, format!("{field}.min"), format!("min {min} is above max {max}: no value could pass")));
        }
        let for_seconds = match &g.hold {
            Some(h) => {
                let seconds = self.duration(h, &format!("{field}.for"))?;
                if seconds > MAX_GATE_HOLD_SECONDS {
                    return Err(self.err(h.referenced, format!("{field}.for"), "a gate holds for at most an hour"));
                }
                seconds as u32
            }
            None => 0,
        };
        let prometheus = match &g.prometheus {
            Some(p) if !crate::names::is_endpoint_name(&p.value) => return Err(self.err(p.referenced, format!("{field}.prometheus"),
                format!("{:?} is not an endpoint name; name one the worker's --prometheus gives (letters, digits, '-', '_')", p.value))),
            Some(p) => p.value.clone(),
            None => "default".into(),
        };
        Ok(Gate {
            name,
            prometheus, query: query.to_string(),
            has_max: max.is_some(), max: max.unwrap_or_default(), has_min: min.is_some(), min: min.unwrap_or_default(),
            for_seconds, pass_when_empty: g.pass_when_empty.unwrap_or(false), device_checks: false,
        })
    }

    pub(super) fn window(&self) -> Result<Option<ChangeWindow>, SourceError> {
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
                return Err(self.err(loc, field, format!("the time is outside the years 0001..=9999 (from {} to {})",
                    format_rfc3339(EARLIEST_TIME), format_rfc3339(LATEST_TIME))));
            }
        }
        if end <= start {
            return Err(self.err(end_loc, end_field, "the window must end after it starts"));
        }
        let on_close = match w.on_close.as_ref().map(|c| (c, c.value.as_str())) {
            None | Some((_, "stop")) => WindowClose::Stop,
            Some((_, "rollback")) => WindowClose::Rollback,
            Some((c, other)) => return Err(self.err(c.referenced, "window.on_close",
                format!("unknown policy {other:?}{}; expected stop or rollback", crate::vocabulary::did_you_mean(other, ["stop", "rollback"])))),
        };
        Ok(Some(ChangeWindow { start: format_rfc3339(start), end: format_rfc3339(end), on_close: on_close as i32 }))
    }

    pub(super) fn approval(&self) -> Result<ApprovalPolicy, SourceError> {
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
            // Space and case do not make another person.
            let same = |earlier: &Spanned<String>| earlier.value.trim().to_lowercase() == r.value.trim().to_lowercase();
            if let Some(first) = reviewers[..i].iter().position(same) {
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

}
