//! The worker's inventory, replaced whole when the worker reads it again
//! (on SIGHUP, when the file changes, and on a schedule when its devices
//! come from a source of truth), so a switch added to Nautobot or NetBox
//! is reachable without a restart. Every reader takes the current one for
//! the length of one decision.
//!
//! Must never: be filled from anything a workflow says (the worker reads
//! its inventory itself), or hold a half-read inventory.

use std::sync::{Arc, RwLock};

use switchyard_proto::inventory::Inventory;

/// The inventory in force, shared by the activities and the sessions.
#[derive(Debug, Clone)]
pub struct LiveInventory(Arc<RwLock<Arc<Inventory>>>);

impl LiveInventory {
    /// `inventory` in force.
    pub fn new(inventory: Inventory) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(inventory))))
    }

    /// The inventory in force now.
    pub fn current(&self) -> Arc<Inventory> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Puts `inventory` in force for every use from now on.
    pub fn replace(&self, inventory: Inventory) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(inventory);
    }
}

impl From<Arc<Inventory>> for LiveInventory {
    fn from(inventory: Arc<Inventory>) -> Self {
        Self(Arc::new(RwLock::new(inventory)))
    }
}

impl From<Inventory> for LiveInventory {
    fn from(inventory: Inventory) -> Self {
        Self::new(inventory)
    }
}
