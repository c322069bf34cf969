//! What the worker checks before it polls: the namespace exists, the
//! search attributes the workflows set are registered, and every key file
//! and known_hosts file the inventory names can be read. A worker that
//! would fail on its first suite exits at start instead, naming what is
//! wrong and how to fix it.
//!
//! Must never: print a key file's content (only its path), or change
//! anything on the cluster.

use std::collections::BTreeSet;

use anyhow::bail;
use switchyard_proto::inventory::{CredentialRef, Inventory};
use switchyard_starter::client::{self, Client};

/// The namespace exists and carries every search attribute switchyard sets
/// (the check the service's /readyz makes too).
pub(crate) async fn cluster(client: &Client, namespace: &str, address: &str) -> anyhow::Result<()> {
    client::check_cluster(client, namespace, address).await.map_err(anyhow::Error::msg)
}


/// Every key file and known_hosts file the inventory names can be opened
/// (loading the inventory already checked that they exist).
pub(crate) fn inventory_files(inventory: &Inventory) -> anyhow::Result<()> {
    let mut files: BTreeSet<(&str, &str)> = BTreeSet::new();
    for device in &inventory.devices {
        if let CredentialRef::KeyFile(path) = &device.credential {
            files.insert((path.as_str(), "key file"));
        }
        files.insert((device.known_hosts.as_str(), "known_hosts file"));
    }
    for (path, what) in files {
        // Read, not only opened: a directory opens but cannot be read.
        if let Err(e) = std::fs::read(path) {
            bail!("{}: the {what} {path} cannot be read by the worker: {e}", inventory.file);
        }
    }
    Ok(())
}
