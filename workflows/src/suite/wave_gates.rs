//! Gates between waves: after a wave (and its soak), each of the rollout's
//! gates is read: a Prometheus query that must stay within bounds for a
//! while (the activity `check_gate`), or the wave's own post-checks read
//! once more on each device that succeeded (the local activity
//! `check_device`), since a change can hold at first and break during the
//! soak. The first gate that fails stops the rollout the way `on_failure`
//! says, before the next wave starts.
//!
//! Must never: start a device, or read a gate once the rollout is stopping.

use std::time::Duration;

use switchyard_proto::checks::gate_expected;
use switchyard_proto::time::format_rfc3339;
use switchyard_proto::vocabulary::count;
use switchyard_proto::v1::{Check, CheckDeviceRequest, CheckGateRequest, CheckWhen, DeviceStatus, Gate, GateReading, OnFailure, Rollout};
use temporalio_workflow::WorkflowContext;
use temporalio_workflow::workflows::join_all;

use super::context::now_secs;
use super::course;
use super::SuiteWorkflow;
use crate::activity_defs::{CheckDevice, CheckGate};
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
        super::context::set_wait(ctx, format!("wave {}: gate {:?} reads wave {wave}", wave + 1, gate.name));
        let reading = if gate.device_checks {
            checks_again(ctx, suite_id, wave, devices, gate).await
        } else {
            query(ctx, suite_id, wave, devices, gate).await
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

/// A Prometheus gate, read by the activity `check_gate`.
async fn query(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, wave: u32, devices: &[String], gate: &Gate) -> GateReading {
    let req = CheckGateRequest { suite_id: suite_id.to_string(), wave, gate: Some(gate.clone()), devices: devices.to_vec() };
    let options = options::gate_read(format!("gate {} after wave {wave}", gate.name), Duration::from_secs(u64::from(gate.for_seconds)));
    match ctx.execute_activity(CheckGate, req, options).await {
        Ok(result) => result.reading.unwrap_or_default(),
        Err(e) => GateReading {
            name: gate.name.clone(), wave, passed: false, expected: gate_expected(gate),
            observed: format!("the gate could not be read: {}", describe(&e)), ..Default::default()
        },
    }
}

/// The wave's post-checks, read once more on every device of the wave that
/// succeeded: each must still hold (no settle time: it held once).
async fn checks_again(ctx: &WorkflowContext<SuiteWorkflow>, suite_id: &str, wave: u32, devices: &[String], gate: &Gate) -> GateReading {
    let succeeded: Vec<(String, Vec<Check>)> = ctx.state(|s| devices.iter()
        .filter(|d| s.status.devices.iter().any(|r| &r.device == *d && r.status == DeviceStatus::Succeeded as i32))
        .map(|d| {
            let post = s.plans.get(d).map(|p| p.checks.iter().filter(|c| c.when == CheckWhen::Post as i32)
                .map(|c| Check { within_seconds: 0, ..c.clone() }).collect()).unwrap_or_default();
            (d.clone(), post)
        })
        .filter(|(_, post): &(String, Vec<Check>)| !post.is_empty())
        .collect());
    let reads = succeeded.iter().map(|(device, post)| {
        let req = CheckDeviceRequest { suite_id: suite_id.to_string(), device: device.clone(), when: CheckWhen::Post as i32, checks: post.clone() };
        ctx.execute_local_activity(CheckDevice, req, options::local_device_checks(format!("post-checks again on {device}"), 0))
    });
    let results = join_all(reads).await;
    let mut broken = Vec::new();
    let mut read = 0;
    for ((device, _), result) in succeeded.iter().zip(results) {
        match result {
            Ok(r) => {
                read += r.readings.len();
                broken.extend(r.readings.iter().filter(|x| !x.passed).map(|x| format!("{device}: {} now shows {}", x.name, x.observed)));
            }
            Err(e) => broken.push(format!("{device}: its checks could not be read: {}", describe(&e))),
        }
    }
    let observed = if broken.is_empty() {
        format!("{} on {} held", count(read as u64, "check"), count(succeeded.len() as u64, "device"))
    } else {
        broken.join("; ")
    };
    GateReading {
        name: gate.name.clone(), wave, passed: broken.is_empty(), expected: "the wave's post-checks still hold".into(), observed,
        at: format_rfc3339(now_secs(ctx)), ..Default::default()
    }
}
