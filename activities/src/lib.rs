//! Side effects on devices, one device per call.
//!
//! Owns device sessions (SSH with strict host-key checking, redis over a
//! direct-tcpip channel), the operation catalogue (pure planning and
//! domain-level reverse in [`ops`]), the device procedures over one
//! connection ([`procedures`]: plan, apply, verify, reverse), the
//! activities that expose them to Temporal, and the one activity that is
//! not about a device: the worker's policy applied to a suite ([`policy`]),
//! the suite events' delivery to the worker's webhooks ([`events`]),
//! devices compared with the rows switchyard owns there ([`drift`]), and a
//! device run reported to the device's history ([`history`]).
//!
//! Must never: depend on the workflows crate, act on two devices in one
//! call, or let a credential value reach a result, an error or a log line.
//! Every activity is idempotent: a retry after a lost reply writes nothing twice.

#![warn(missing_docs)]

pub mod activities;
pub mod changeset;
pub mod checking;
pub mod confirm;
pub mod device;
pub mod docs;
pub mod doctor;
pub mod drift;
pub mod error;
pub mod events;
pub mod gates;
pub mod history;
pub mod live_inventory;
pub mod metrics;
pub mod ops;
pub mod planning;
pub mod policy;
pub mod procedures;
pub mod restarts;
pub mod warrant;
mod spans;

pub use activities::DeviceActivities;
pub use drift::{DriftActivities, IntentReader};
pub use events::EventActivities;
pub use gates::GateActivities;
pub use history::{HistoryActivities, RunReporter, RunVoucher};
pub use policy::{LivePolicy, PolicyActivities};
pub use warrant::{SuiteRuns, Warrants};
pub use device::{SessionConfig, Sessions};
pub use metrics::DeviceMetrics;
pub use live_inventory::LiveInventory;
