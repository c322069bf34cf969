//! What a device step says about itself on its trace span.
//!
//! The Temporal SDK's tracing plugin opens a `RunActivity:<name>` span
//! around every activity, a child of the device workflow's span; this
//! module puts the suite id, device, step, operation, outcome and attempt
//! on it, so a trace viewer finds a device's steps by those names. Without
//! an OTLP endpoint there is no plugin and these calls do nothing. Must
//! never: put a row value, a credential or a device error's raw text on a
//! span (an outcome is one of the metric labels).

use opentelemetry::trace::{get_active_span, Status};
use opentelemetry::KeyValue;

/// One step of one device, as its span shows it.
pub(crate) struct Step<'a> {
    pub(crate) suite_id: &'a str,
    pub(crate) device: &'a str,
    /// plan, apply, verify or reverse.
    pub(crate) kind: &'static str,
    /// The step's id in the suite, or empty for a whole-device step.
    pub(crate) step: &'a str,
    pub(crate) operation: &'a str,
    /// The same word as the step metric's `outcome` label.
    pub(crate) outcome: &'a str,
    /// Temporal's attempt number: above 1 after a retry or a worker crash.
    pub(crate) attempt: u32,
}

/// Annotates the current activity span with `step`.
pub(crate) fn record(step: Step<'_>) {
    get_active_span(|span| {
        span.set_attributes([
            KeyValue::new("switchyard.suite_id", step.suite_id.to_string()),
            KeyValue::new("switchyard.device", step.device.to_string()),
            KeyValue::new("switchyard.step_kind", step.kind),
            KeyValue::new("switchyard.step", step.step.to_string()),
            KeyValue::new("switchyard.operation", step.operation.to_string()),
            KeyValue::new("switchyard.outcome", step.outcome.to_string()),
            KeyValue::new("switchyard.attempt", i64::from(step.attempt)),
        ]);
        if step.outcome == "error" {
            span.set_status(Status::error(format!("{} {} on {} failed", step.kind, step.operation, step.device)));
        }
    });
}

/// Adds `step` to the current activity span as an event named `step`:
/// one per step when a device's steps run in one activity.
pub(crate) fn event(step: Step<'_>) {
    get_active_span(|span| {
        span.add_event("step", vec![
            KeyValue::new("switchyard.step_kind", step.kind),
            KeyValue::new("switchyard.step", step.step.to_string()),
            KeyValue::new("switchyard.operation", step.operation.to_string()),
            KeyValue::new("switchyard.outcome", step.outcome.to_string()),
        ]);
    });
}
