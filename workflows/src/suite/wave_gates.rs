//! Gates between waves: after a wave (and its soak), each of the rollout's
//! gates is read by the activity `check_gate` (a Prometheus query that must
//! stay within bounds for a while); the first that fails stops the rollout
//! the way `on_failure` says, before the next wave starts.
//!
//! Must never: start a device, or read a gate once the rollout is stopping.

use std::time::Duration;

use switchyard_proto::v1::{CheckGateRequest, GateReading, OnFailure, Rollout};
use temporalio_workflow::WorkflowContext;

use super::course;
use super::SuiteWorkflow;
use crate::activity_defs::CheckGate;
use crate::failure::describe;
use crate::options;

/// Readings a suite keeps: a rollout has at most a few dozen gate reads.
const MAX_READINGS: usize = 100;

/// Reads every gate after wave `wave` (1-based) of `devices`; a failed one
/// moves the course as a failure past the budget would.
pub(super) async fn read_after(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, wave: u32, devices: &[String], settings: &Rollout) {
    for gate in &settings.gates {
        if ctx.state(|s| s.course.is_stopping()) {
            return;
        }
        ctx.set_current_details(format!("applying: wave {wave} done, reading gate {:?} before wave {}", gate.name, wave + 1));
        let req = CheckGateRequest { suite_id: suite_id.to_string(), wave, gate: Some(gate.clone()), devices: devices.to_vec() };
        let options = options::gate_read(format!("gate {} after wave {wave}", gate.name), Duration::from_secs(u64::from(gate.for_seconds)));
        let reading = match ctx.execute_activity(CheckGate, req, options).await {
            Ok(result) => result.reading.unwrap_or_default(),
            Err(e) => GateReading {
                name: gate.name.clone(), wave, passed: false, expected: switchyard_proto::checks::gate_expected(gate),
                observed: format!("the gate could not be read: {}", describe(&e)), ..Default::default()
            },
        };
        let failed = (!reading.passed).then(|| format!("gate {:?} after wave {wave}: {} (expected {})", reading.name, reading.observed, reading.expected));
        ctx.state_mut(|s| {
            if s.status.gates.len() < MAX_READINGS {
                s.status.gates.push(reading);
            }
            if let Some(why) = &failed {
                let on_failure = OnFailure::try_from(settings.on_failure).unwrap_or(OnFailure::Rollback);
                let before = std::mem::take(&mut s.course);
                s.course = course::after_gate_failed(before, on_failure, why);
            }
        });
        if failed.is_some() {
            return;
        }
    }
}
