//! Deterministic orchestration of suites.
//!
//! Owns the suite workflow (plan every device, gate on approval, roll out
//! with bounded parallelism, compensate on failure), the per-device child
//! workflow (whose history is that device's journal), the delivery of each
//! suite event to the worker's webhooks (`event`), each device's history
//! across suites (`history`), drift checks and their remediation suites
//! (`drift`), and the pure logic
//! they use: fleet diff and plan hash, approval rules, rollout bookkeeping.
//!
//! Must never: depend on the activities crate, SSH, redis or tokio; read a
//! clock (use workflow time), draw randomness, print, or use
//! `FuturesUnordered`. Everything here is replayed from history, so every
//! decision must come out the same on replay. Changes to running workflows
//! are guarded with `ctx.patched`.

#![warn(missing_docs)]

pub mod activity_defs;
pub mod approval;
pub mod decisions;
pub mod device;
pub mod drift;
pub mod event;
mod failure;
pub mod lenient;
pub mod outcome;
pub mod fleet;
pub mod history;
pub mod rollout;
pub mod signal_defs;
mod options;
pub mod suite;

pub use device::DeviceWorkflow;
pub use drift::DriftWorkflow;
pub use event::EventWorkflow;
pub use history::DeviceHistoryWorkflow;
pub use suite::SuiteWorkflow;

/// Workflow time (from history, never the machine's clock) as Unix seconds.
pub(crate) fn unix_secs(workflow_time: Option<std::time::SystemTime>) -> i64 {
    workflow_time.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_secs() as i64)
}
