//! Reads a device's checks until each holds or its settle time passes: the
//! procedure behind the `check_device` activity.
//!
//! Each round reads every check still open in one script per database,
//! judges it ([`switchyard_proto::checks::judge`]) and closes the ones that
//! hold; a check whose settle time has passed closes as failed with what the
//! device showed last. A device that cannot be read is a failed reading
//! that says so, not an error: a switch cut off by its own change must fail
//! its post-check, not retry it.
//!
//! It also reads the device's health around its change (ports up, BGP
//! sessions established: [`read_health`]), for the report's before and after.
//!
//! Command checks run through the device's SSH session, only when the
//! allow-list ([`switchyard_proto::checks::command_refusal`]) admits them.
//!
//! Must never: write to the device, run a command the allow-list refuses,
//! or wait past the longest settle time.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use switchyard_proto::checks::{self, Observed};
use switchyard_proto::time::format_rfc3339;
use switchyard_proto::v1::{Check, CheckDb, CheckReading, HealthSnapshot};

use crate::device::redis as rdb;
use crate::device::Sessions;
use crate::error::DeviceError;

/// Between two reads of the checks still open.
const INTERVAL: Duration = Duration::from_secs(1);

/// Reads `list` on `device` until each check holds or its settle time
/// passes; one reading per check, in the order given.
pub async fn read_checks(sessions: &Sessions, device: &str, list: &[Check]) -> Vec<CheckReading> {
    let started = Instant::now();
    let mut open: Vec<usize> = (0..list.len()).collect();
    let mut readings: Vec<Option<CheckReading>> = vec![None; list.len()];
    let mut last: Vec<String> = vec!["not read".into(); list.len()];
    loop {
        let round = read_round(sessions, device, list, &open).await;
        let commands = run_commands(sessions, device, list, &open, started).await;
        let waited = started.elapsed().as_secs() as u32;
        open.retain(|&i| {
            let (passed, observed) = match (&round, commands.get(&i)) {
                (_, Some(judged)) => judged.clone(),
                (Ok(rows), None) => checks::judge(&list[i], &rows[&i]),
                (Err(e), None) => (false, format!("could not read the device: {e}")),
            };
            last[i].clone_from(&observed);
            let settled = waited >= list[i].within_seconds;
            if passed || settled {
                readings[i] = Some(reading(&list[i], passed, observed, waited));
                return false;
            }
            true
        });
        if open.is_empty() {
            break;
        }
        if round.is_err() {
            sessions.reset(device).await;
        }
        tokio::time::sleep(INTERVAL).await;
    }
    readings.into_iter().enumerate().map(|(i, r)| r.unwrap_or_else(|| reading(&list[i], false, last[i].clone(), 0))).collect()
}

/// The device's health now (ports up, BGP sessions established), or none
/// when it cannot be read (its checks say why).
pub async fn read_health(sessions: &Sessions, device: &str) -> Option<HealthSnapshot> {
    let mut conn = sessions.redis(device).await.ok()?;
    let entries = rdb::health(&mut conn).await.ok()?;
    Some(HealthSnapshot { at: format_rfc3339(now_unix()), ..checks::health(&entries) })
}

/// Runs each open command check once, judged: a command the allow-list
/// refuses is a failed reading that says why and never reaches the switch
/// (the check is a claim from the workflow; the worker holds the
/// credentials). Each run is bounded by what is left of its settle time.
async fn run_commands(sessions: &Sessions, device: &str, list: &[Check], open: &[usize], started: Instant) -> HashMap<usize, (bool, String)> {
    let mut out = HashMap::new();
    for &i in open.iter().filter(|&&i| !list[i].command.is_empty()) {
        let check = &list[i];
        if let Some(why) = checks::command_refusal(&check.command) {
            out.insert(i, (false, format!("refused, not run: {why}")));
            continue;
        }
        let left = check.within_seconds.saturating_sub(started.elapsed().as_secs() as u32).clamp(COMMAND_FLOOR_SECONDS, COMMAND_CEILING_SECONDS);
        let line = checks::command_line(&check.command, left);
        let outcome = sessions.run(device, &line, Duration::from_secs(u64::from(left) + 5)).await.map_err(|e| match e {
            DeviceError::Command { reason, .. } => reason,
            other => format!("could not run it: {other}"),
        });
        out.insert(i, checks::judge_command(check, &outcome));
    }
    out
}

/// Seconds one run of a command check may take on the switch, at least and
/// at most: a ping of 3 needs 2, and a read is not a wait.
const COMMAND_FLOOR_SECONDS: u32 = 5;
const COMMAND_CEILING_SECONDS: u32 = 60;

/// One read of the open checks, grouped by database: each open check's row
/// (a command check reads as an absent row here; [`run_commands`] runs it).
async fn read_round(sessions: &Sessions, device: &str, list: &[Check], open: &[usize]) -> Result<HashMap<usize, Observed>, String> {
    let mut conn = sessions.redis(device).await.map_err(|e| e.to_string())?;
    let mut out = HashMap::with_capacity(open.len());
    for db in [CheckDb::Appl, CheckDb::Counters, CheckDb::State] {
        let of_db: Vec<usize> = open.iter().copied().filter(|&i| list[i].db() == db).collect();
        let Some(number) = checks::db_number(db) else { continue };
        let keys: Vec<String> = of_db.iter().map(|&i| list[i].key.clone()).collect();
        let rows = rdb::rows_in(&mut conn, number, &keys).await.map_err(|e| e.to_string())?;
        out.extend(of_db.into_iter().zip(rows));
    }
    // A check on no known database reads as an absent row.
    for &i in open {
        out.entry(i).or_insert(None);
    }
    Ok(out)
}

fn reading(check: &Check, passed: bool, observed: String, waited_seconds: u32) -> CheckReading {
    CheckReading {
        name: check.name.clone(),
        when: check.when,
        passed,
        expected: checks::expected(check),
        observed,
        at: format_rfc3339(now_unix()),
        waited_seconds,
        origin: check.origin.clone(),
        source: checks::source(check),
    }
}

/// The worker's clock, for the reading's `at`.
fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
