//! Keeps the worker's policy current: the file is read again on SIGHUP and
//! whenever its bytes change (checked every two seconds), and the new
//! policy is in force for every suite from the next device write on, so a
//! key or principal removed from the file stops counting at once.
//!
//! A file that no longer loads leaves the last good policy in force and
//! says so in the log at every check until it is fixed: a typo must not
//! stop the rollbacks already under way.
//!
//! Must never: judge a suite (that is the activities' job), or put in
//! force a policy that did not load whole.

use std::path::PathBuf;
use std::time::Duration;

use switchyard_activities::LivePolicy;
use switchyard_proto::policy::Policy;
use tokio::signal::unix::{SignalKind, signal};
use tracing::{error, info};

/// How often the file is looked at between signals.
const EVERY: Duration = Duration::from_secs(2);

/// Starts the reloader of `path` into `live`.
pub(crate) fn spawn(path: PathBuf, live: LivePolicy) -> anyhow::Result<()> {
    let mut hup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        let mut seen = std::fs::read(&path).ok();
        let mut tick = tokio::time::interval(EVERY);
        loop {
            let asked = tokio::select! {
                _ = hup.recv() => true,
                _ = tick.tick() => false,
            };
            let now = std::fs::read(&path).ok();
            if !asked && now == seen {
                continue;
            }
            match Policy::load(&path) {
                Ok(policy) => {
                    let (hash, rules, principals) = (policy.hash.clone(), policy.rules.len(), policy.principals.len());
                    live.replace(policy);
                    seen = now;
                    info!(policy = %path.display(), %hash, rules, principals, by = if asked { "SIGHUP" } else { "change" }, "Reloaded policy");
                }
                Err(e) => {
                    // Not marked seen: said again until it loads.
                    error!(policy = %path.display(), error = %e, "The policy file does not load; the last good policy stays in force");
                }
            }
        }
    });
    Ok(())
}
