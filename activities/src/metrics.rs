//! switchyard's own metrics of device work: steps by kind, operation and
//! outcome with their duration, rows found drifted, writes refused for want
//! of a warrant, check readings by outcome, SSH handshakes and the sessions
//! held.
//! They are made on the meter the worker hands in (the Temporal SDK's
//! Prometheus meter), so one scrape port serves the SDK's metrics and
//! these.
//!
//! Must never: put a device name, an address or any credential in a label
//! (labels are few and bounded: kind, operation, outcome).

use std::sync::Arc;
use std::time::Duration;

use temporalio_common::telemetry::metrics::{
    CoreMeter, Counter, Gauge, HistogramDuration, MetricKeyValue, MetricParameters, NewAttributes, NoOpCoreMeter,
};

/// The device metrics of one worker.
pub struct DeviceMetrics {
    meter: Arc<dyn CoreMeter>,
    steps: Counter,
    step_duration: HistogramDuration,
    handshakes: Counter,
    sessions: Gauge,
    evictions: Counter,
    drift_rows: Counter,
    warrant_refusals: Counter,
    checks: Counter,
}

impl DeviceMetrics {
    /// Metrics made on `meter`.
    pub fn new(meter: Arc<dyn CoreMeter>) -> Self {
        let param = |name: &'static str, description: &'static str| MetricParameters::builder().name(name).description(description).build();
        Self {
            steps: meter.counter(param("switchyard_device_steps", "Device steps run, by kind (plan, apply, verify, reverse), operation and outcome")),
            // Exported as `switchyard_device_step_duration_seconds`: the
            // exporter names each histogram's unit.
            step_duration: meter.histogram_duration(param("switchyard_device_step_duration", "Time one device step took, by kind and operation")),
            handshakes: meter.counter(param("switchyard_ssh_handshakes", "SSH connections opened to devices, by outcome")),
            sessions: meter.gauge(param("switchyard_ssh_sessions", "SSH sessions to devices held open by this worker")),
            evictions: meter.counter(param("switchyard_ssh_sessions_closed_for_room",
                "Idle SSH sessions closed because the worker held its --max-sessions; each costs a handshake at the device's next use")),
            drift_rows: meter.counter(param("switchyard_drift_rows",
                "Rows found not as planned, by kind: apply (the step refused; its first differing row) or verify (every differing row)")),
            warrant_refusals: meter.counter(param("switchyard_warrant_refusals",
                "Device writes refused before anything was written because no warrant held, by write (apply, reverse, lock, save), and events refused before signing (event)")),
            checks: meter.counter(param("switchyard_device_checks",
                "Device check readings, by when (pre, post) and outcome (passed, failed); a failed post-check fails its device")),
            meter,
        }
    }

    /// One check reading of `when` (pre or post) with its outcome.
    pub(crate) fn check(&self, when: &'static str, passed: bool) {
        let attributes = vec![MetricKeyValue::new("when", when), MetricKeyValue::new("outcome", if passed { "passed" } else { "failed" })];
        self.checks.add(1, &self.meter.new_attributes(NewAttributes { attributes }));
    }

    /// Metrics that go nowhere (tests, the benchmark's direct runs).
    pub fn disabled() -> Self {
        Self::new(Arc::new(NoOpCoreMeter))
    }

    /// One step of `kind` for `operation` ended with `outcome` after `took`.
    pub(crate) fn step(&self, kind: &'static str, operation: &str, outcome: &'static str, took: Duration) {
        let labels = |extra: Option<&'static str>| {
            let mut attributes = vec![MetricKeyValue::new("kind", kind), MetricKeyValue::new("operation", operation.to_string())];
            if let Some(outcome) = extra {
                attributes.push(MetricKeyValue::new("outcome", outcome));
            }
            self.meter.new_attributes(NewAttributes { attributes })
        };
        self.steps.add(1, &labels(Some(outcome)));
        self.step_duration.record(took, &labels(None));
    }

    /// `rows` rows were found not as planned at `kind` (apply or verify).
    pub(crate) fn drift(&self, kind: &'static str, rows: usize) {
        let attributes = vec![MetricKeyValue::new("kind", kind)];
        self.drift_rows.add(rows as u64, &self.meter.new_attributes(NewAttributes { attributes }));
    }

    /// A `write` was refused for want of a warrant.
    pub(crate) fn warrant_refused(&self, write: &'static str) {
        let attributes = vec![MetricKeyValue::new("write", write)];
        self.warrant_refusals.add(1, &self.meter.new_attributes(NewAttributes { attributes }));
    }

    /// An SSH handshake ended, well or not.
    pub(crate) fn handshake(&self, ok: bool) {
        let attributes = vec![MetricKeyValue::new("outcome", if ok { "ok" } else { "failed" })];
        self.handshakes.add(1, &self.meter.new_attributes(NewAttributes { attributes }));
    }

    /// `closed` idle sessions were closed to make room for another.
    pub(crate) fn evicted(&self, closed: u64) {
        if closed > 0 {
            self.evictions.add(closed, &self.meter.new_attributes(NewAttributes { attributes: vec![] }));
        }
    }

    /// The worker now holds `open` SSH sessions.
    pub(crate) fn sessions(&self, open: u64) {
        self.sessions.record(open, &self.meter.new_attributes(NewAttributes { attributes: vec![] }));
    }
}
