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
//! Must never: write to the device, or wait past the longest settle time.

use std::time::{Duration, Instant};

use switchyard_proto::checks::{self, Observed};
use switchyard_proto::time::format_rfc3339;
use switchyard_proto::v1::{Check, CheckDb, CheckReading, HealthSnapshot};

use crate::device::redis as rdb;
use crate::device::Sessions;

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
        let waited = started.elapsed().as_secs() as u32;
        open.retain(|&i| {
            let (passed, observed) = match &round {
                Ok(rows) => checks::judge(&list[i], &rows[&i]),
                Err(e) => (false, format!("could not read the device: {e}")),
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

/// One read of the open checks, grouped by database: each open check's row.
async fn read_round(sessions: &Sessions, device: &str, list: &[Check], open: &[usize]) -> Result<std::collections::HashMap<usize, Observed>, String> {
    let mut conn = sessions.redis(device).await.map_err(|e| e.to_string())?;
    let mut out = std::collections::HashMap::with_capacity(open.len());
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
