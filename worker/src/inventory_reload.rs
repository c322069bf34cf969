//! Keeps the worker's inventory current: read again on SIGHUP, when the
//! file's bytes change (checked every two seconds), and, when its devices
//! come from a source of truth, every `--inventory-refresh-secs`; a switch
//! added to Nautobot or NetBox is reachable from the next read, without a
//! restart. The worker still reads it itself: never from a workflow.
//!
//! An inventory that no longer loads (the file broken, the source
//! unreachable, a device without an address) leaves the last good one in
//! force and says why in the log, and is tried again at the next refresh
//! (not every check): a source's outage must not stop the rollbacks
//! already under way. For the same reason a device that left the source's
//! filter stays reachable (as last read) until SIGHUP or a restart: a
//! refresh adds and updates devices, never removes one a run may still be
//! rolling back.
//!
//! Must never: put in force an inventory that did not load whole.

use std::path::PathBuf;
use std::time::Duration;

use switchyard_activities::LiveInventory;
use tokio::signal::unix::{SignalKind, signal};
use tracing::{error, info};

/// How often the file is looked at between signals.
const EVERY: Duration = Duration::from_secs(2);

/// Starts the reloader of `path` into `live`; `refresh` (none: never) is
/// how often a source of truth is read again when nothing else asked.
pub(crate) fn spawn(path: PathBuf, live: LiveInventory, refresh: Option<Duration>) -> anyhow::Result<()> {
    let mut hup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        let mut seen = std::fs::read(&path).ok();
        let mut tick = tokio::time::interval(EVERY);
        let mut last_read = tokio::time::Instant::now();
        loop {
            let asked = tokio::select! {
                _ = hup.recv() => true,
                _ = tick.tick() => false,
            };
            let now = std::fs::read(&path).ok();
            let due = live.current().source.is_some() && refresh.is_some_and(|every| last_read.elapsed() >= every);
            if !asked && !due && now == seen {
                continue;
            }
            last_read = tokio::time::Instant::now();
            let why = if asked { "SIGHUP" } else if now != seen { "change" } else { "refresh" };
            // Seen either way: a file or source that does not load is tried
            // again when it changes, at SIGHUP or at the next refresh, not
            // every two seconds.
            seen = now;
            match load(&path).await {
                Ok(mut inventory) => {
                    let before = live.current();
                    let added = inventory.devices.iter().filter(|d| before.device(&d.name).is_none()).count();
                    let departed: Vec<_> = before.devices.iter().filter(|d| inventory.device(&d.name).is_none()).cloned().collect();
                    let removed = if asked { departed.len() } else { 0 };
                    let kept = if asked { 0 } else { departed.len() };
                    if !asked {
                        inventory.devices.extend(departed);
                    }
                    let devices = inventory.devices.len();
                    live.replace(inventory);
                    info!(inventory = %path.display(), devices, added, removed, kept_until_sighup = kept, by = why, "Reloaded inventory");
                }
                Err(e) => error!(inventory = %path.display(), error = %e, by = why, "The inventory does not load; the last good one stays in force"),
            }
        }
    });
    Ok(())
}

/// The inventory, its source read, its key and known_hosts files checked.
async fn load(path: &std::path::Path) -> anyhow::Result<switchyard_proto::inventory::Inventory> {
    let inventory = switchyard_starter::inventory_source::load(path).await.map_err(anyhow::Error::msg)?;
    crate::checks::inventory_files(&inventory)?;
    Ok(inventory)
}
