//! The suite's device checks (`checks:`): expectations on what each switch
//! reports about itself (STATE_DB, APPL_DB, COUNTERS_DB, or a read-only
//! command it runs: `checks::command_refusal` says which), read before its
//! change (`pre`) and after it (`post`), each with a settle time; keys and
//! values may be templates, rendered per device.
//!
//! Must never: read a device, or let a check wait without a bound.

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::SuiteFile;
use crate::checks::DEFAULT_WITHIN_SECONDS;
use crate::inventory::Device;
use crate::params::Scalar;
use crate::template;
use crate::v1::{Check, CheckDb, CheckExpect, CheckWhen};
use crate::SourceError;

/// The longest a check may wait: a device whose state takes longer is not
/// settling, and its wave should not wait on it.
const MAX_WITHIN_SECONDS: u64 = 3_600;
/// Checks of one kind (pre or post) a suite may declare per device.
const MAX_CHECKS: usize = 64;

/// `checks:` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChecks {
    within: Option<Spanned<Scalar>>,
    builtin: Option<Spanned<bool>>,
    #[serde(default)]
    pre: Vec<Spanned<RawCheck>>,
    #[serde(default)]
    post: Vec<Spanned<RawCheck>>,
}

/// One check as written: one database with its key, and one expectation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    name: Option<Spanned<Scalar>>,
    state_db: Option<Spanned<Scalar>>,
    appl_db: Option<Spanned<Scalar>>,
    counters_db: Option<Spanned<Scalar>>,
    field: Option<Spanned<Scalar>>,
    equals: Option<Spanned<Scalar>>,
    not_equals: Option<Spanned<Scalar>>,
    exists: Option<Spanned<bool>>,
    within: Option<Spanned<Scalar>>,
    /// A read-only command run on the switch instead of a database read.
    command: Option<Spanned<Scalar>>,
    succeeds: Option<Spanned<bool>>,
    prints: Option<Spanned<Scalar>>,
}

/// The database names a check may use, as the file writes them.
const DATABASES: [(&str, CheckDb); 3] = [("state_db", CheckDb::State), ("appl_db", CheckDb::Appl), ("counters_db", CheckDb::Counters)];

impl RawCheck {
    fn databases(&self) -> [(&'static str, CheckDb, Option<&Spanned<Scalar>>); 3] {
        [
            (DATABASES[0].0, DATABASES[0].1, self.state_db.as_ref()),
            (DATABASES[1].0, DATABASES[1].1, self.appl_db.as_ref()),
            (DATABASES[2].0, DATABASES[2].1, self.counters_db.as_ref()),
        ]
    }
}

impl SuiteFile {
    /// Whether the catalogue's checks for the suite's own objects are read
    /// too (`checks.builtin`, off unless asked: a new BGP neighbor, for one,
    /// comes up only once its peer is configured, which may be later).
    pub(super) fn builtin_checks(&self) -> bool {
        self.raw.checks.as_ref().and_then(|c| c.builtin.as_ref()).is_some_and(|b| b.value)
    }

    /// The settle time `checks.within` gives, 0 when it gives none.
    pub(super) fn checks_within(&self) -> Result<u32, SourceError> {
        match self.raw.checks.as_ref().and_then(|c| c.within.as_ref()) {
            Some(w) => self.within(w, "checks.within"),
            None => Ok(0),
        }
    }

    /// Refuses a check that cannot work, at its line, before any device is
    /// known: no database or two, no expectation or two, an empty key, a
    /// settle time out of bounds, a template that does not parse.
    pub(super) fn check_checks(&self) -> Result<(), SourceError> {
        let Some(checks) = &self.raw.checks else { return Ok(()) };
        if let Some(w) = &checks.within {
            self.within(w, "checks.within")?;
        }
        for (kind, list) in [("pre", &checks.pre), ("post", &checks.post)] {
            if list.len() > MAX_CHECKS {
                return Err(self.err(list[MAX_CHECKS].referenced, format!("checks.{kind}"), format!("{} checks; a suite takes at most {MAX_CHECKS} of each kind", list.len())));
            }
            for (i, check) in list.iter().enumerate() {
                self.check_one(&format!("checks.{kind}[{i}]"), check)?;
            }
        }
        Ok(())
    }

    fn check_one(&self, field: &str, check: &Spanned<RawCheck>) -> Result<(), SourceError> {
        let c = &check.value;
        if c.command.is_some() {
            return self.check_command(field, check);
        }
        if let Some(e) = [("succeeds", c.succeeds.as_ref().map(|v| v.referenced)), ("prints", c.prints.as_ref().map(|v| v.referenced))].into_iter().find_map(|(n, at)| at.map(|at| (n, at))) {
            return Err(self.err(e.1, format!("{field}.{}", e.0), format!("{} judges a command; a database check uses equals, not_equals or exists", e.0)));
        }
        let given: Vec<_> = c.databases().into_iter().filter(|(_, _, key)| key.is_some()).collect();
        let [(db, _, Some(key))] = given.as_slice() else {
            return Err(self.err(check.referenced, field.to_string(), format!(
                "a check reads exactly one database; give one of state_db, appl_db or counters_db with the key (e.g. state_db: \"NEIGH_STATE_TABLE|10.0.0.2\"), or a command{}",
                if given.is_empty() { "" } else { ", not several" })));
        };
        let expectations = [c.equals.is_some(), c.not_equals.is_some(), c.exists.is_some()].iter().filter(|e| **e).count();
        if expectations != 1 {
            return Err(self.err(check.referenced, field.to_string(), "a check has exactly one expectation: equals, not_equals or exists"));
        }
        if key.value.text().trim().is_empty() {
            return Err(self.err(key.referenced, format!("{field}.{db}"), "the key must not be empty"));
        }
        if c.field.as_ref().is_some_and(|f| f.value.text().trim().is_empty()) {
            return Err(self.err(check.referenced, format!("{field}.field"), "the field must not be empty; leave it out to check the key itself"));
        }
        if c.field.is_none() && (c.equals.is_some() || c.not_equals.is_some()) {
            return Err(self.err(check.referenced, format!("{field}.field"), "equals and not_equals compare a field: name it (e.g. field: oper_status)"));
        }
        if let Some(w) = &c.within {
            self.within(w, &format!("{field}.within"))?;
        }
        let texts = [(*db, Some(*key)), ("field", c.field.as_ref()), ("equals", c.equals.as_ref()), ("not_equals", c.not_equals.as_ref()), ("name", c.name.as_ref())];
        for (name, value) in texts {
            if let Some(v) = value.filter(|v| template::is_template(&v.value.text())) {
                template::check(&v.value.text()).map_err(|e| self.err(v.referenced, format!("{field}.{name}"), e))?;
            }
        }
        Ok(())
    }

    /// A command check: no database, `succeeds` or `prints` as its one
    /// expectation, and a command the worker will run (checked here when
    /// it is not a template, and again once rendered for each device).
    fn check_command(&self, field: &str, check: &Spanned<RawCheck>) -> Result<(), SourceError> {
        let c = &check.value;
        let command = c.command.as_ref().expect("a command check");
        if c.databases().iter().any(|(_, _, key)| key.is_some()) || c.field.is_some() {
            return Err(self.err(check.referenced, field.to_string(), "a check either runs a command or reads a database (with a field), not both"));
        }
        if c.equals.is_some() || c.not_equals.is_some() || c.exists.is_some() {
            return Err(self.err(check.referenced, field.to_string(), "a command check expects succeeds: true|false or prints: TEXT"));
        }
        if c.succeeds.is_some() && c.prints.is_some() {
            return Err(self.err(check.referenced, field.to_string(), "a command check has one expectation: succeeds or prints, not both"));
        }
        if let Some(w) = &c.within {
            self.within(w, &format!("{field}.within"))?;
        }
        let text = command.value.text();
        if template::is_template(&text) {
            template::check(&text).map_err(|e| self.err(command.referenced, format!("{field}.command"), e))?;
        } else if let Some(why) = crate::checks::command_refusal(&crate::checks::command_words(&text)) {
            return Err(self.err(command.referenced, format!("{field}.command"), why));
        }
        for (name, value) in [("prints", c.prints.as_ref()), ("name", c.name.as_ref())] {
            if let Some(v) = value.filter(|v| template::is_template(&v.value.text())) {
                template::check(&v.value.text()).map_err(|e| self.err(v.referenced, format!("{field}.{name}"), e))?;
            }
        }
        Ok(())
    }

    fn within(&self, value: &Spanned<Scalar>, field: &str) -> Result<u32, SourceError> {
        let seconds = self.duration(value, field)?;
        if seconds > MAX_WITHIN_SECONDS {
            return Err(self.err(value.referenced, field, format!("{seconds}s is longer than an hour, the longest a check may wait for a device to settle")));
        }
        Ok(seconds as u32)
    }

    /// The suite's checks for `device`, templates rendered for it.
    pub(super) fn device_checks(&self, device: &Device) -> Result<Vec<Check>, SourceError> {
        let Some(checks) = &self.raw.checks else { return Ok(Vec::new()) };
        let default_within = match &checks.within {
            Some(w) => self.within(w, "checks.within")?,
            None => DEFAULT_WITHIN_SECONDS,
        };
        let mut out = Vec::with_capacity(checks.pre.len() + checks.post.len());
        for (kind, when, list) in [("pre", CheckWhen::Pre, &checks.pre), ("post", CheckWhen::Post, &checks.post)] {
            for (i, check) in list.iter().enumerate() {
                out.push(self.device_check(&format!("checks.{kind}[{i}]"), when, check, default_within, device)?);
            }
        }
        Ok(out)
    }

    fn device_check(&self, field: &str, when: CheckWhen, check: &Spanned<RawCheck>, default_within: u32, device: &Device) -> Result<Check, SourceError> {
        let c = &check.value;
        let render = |name: &str, value: &Spanned<Scalar>| -> Result<String, SourceError> {
            template::render(&value.value.text(), device)
                .map_err(|e| self.err(value.referenced, format!("{field}.{name}"), e))
        };
        let within_seconds = match &c.within {
            Some(w) => self.within(w, &format!("{field}.within"))?,
            None => default_within,
        };
        if let Some(command) = &c.command {
            let words = crate::checks::command_words(&render("command", command)?);
            if let Some(why) = crate::checks::command_refusal(&words) {
                return Err(self.err(command.referenced, format!("{field}.command"), format!("{why} (for {})", device.name)));
            }
            let (expect, value) = match (&c.prints, &c.succeeds) {
                (Some(p), _) => (CheckExpect::Prints, render("prints", p)?),
                (None, Some(s)) if !s.value => (CheckExpect::Fails, String::new()),
                _ => (CheckExpect::Succeeds, String::new()),
            };
            let mut out = Check {
                name: String::new(), when: when as i32, db: CheckDb::Unspecified as i32, key: String::new(), field: String::new(),
                expect: expect as i32, value, within_seconds, origin: "suite".into(), command: words,
            };
            out.name = match &c.name {
                Some(n) => render("name", n)?,
                None => crate::checks::describe(&out),
            };
            return Ok(out);
        }
        let (db_name, db, key) = c.databases().into_iter().find_map(|(n, db, key)| key.map(|k| (n, db, k)))
            .ok_or_else(|| self.err(check.referenced, field.to_string(), "no database"))?;
        let key = render(db_name, key)?;
        let check_field = c.field.as_ref().map(|f| render("field", f)).transpose()?.unwrap_or_default();
        let (expect, value) = match (&c.equals, &c.not_equals, &c.exists) {
            (Some(v), _, _) => (CheckExpect::Equals, render("equals", v)?),
            (_, Some(v), _) => (CheckExpect::NotEquals, render("not_equals", v)?),
            (_, _, Some(e)) if e.value => (CheckExpect::Exists, String::new()),
            _ => (CheckExpect::Absent, String::new()),
        };
        let mut out = Check {
            name: String::new(), when: when as i32, db: db as i32, key, field: check_field, expect: expect as i32, value,
            within_seconds, origin: "suite".into(), command: vec![],
        };
        out.name = match &c.name {
            Some(n) => render("name", n)?,
            None => crate::checks::describe(&out),
        };
        Ok(out)
    }
}
