//! Timeouts and retry policies per activity class, in one place.

use std::time::Duration;

use switchyard_proto::names::failures;
use temporalio_workflow::{ActivityOptions, LocalActivityOptions, WorkflowCancellationToken};
use temporalio_workflow::common::{ActivityCloseTimeouts, RetryPolicy};

fn retry(maximum_attempts: u32) -> RetryPolicy {
    RetryPolicy::builder()
        .initial_interval(Duration::from_secs(1))
        .backoff_coefficient(2.0)
        .maximum_interval(Duration::from_secs(10))
        .maximum_attempts(maximum_attempts)
        .non_retryable_error_types(failures::NON_RETRYABLE.iter().copied())
        .build()
}

/// Reads and writes on one device: a short attempt, a few retries for
/// transport failures; drift, auth and host-key failures are final.
pub(crate) fn device_io(summary: String) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(60))
        .retry_policy(retry(5))
        .summary(summary)
        .build()
}

/// A drift check's reads: the selector over the inventory, then each
/// device and its history; a device that stays unreachable is reported
/// as such, not waited on.
pub(crate) fn drift(summary: String) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(60))
        .retry_policy(retry(5))
        .summary(summary)
        .build()
}

/// Planning one device: a regular activity, possibly on another worker, so
/// it heartbeats: a worker that dies mid-plan is noticed within the
/// heartbeat timeout rather than at the end of start-to-close.
pub(crate) fn planning(summary: String) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(60))
        .heartbeat_timeout(Duration::from_secs(10))
        .retry_policy(retry(5))
        .summary(summary)
        .build()
}

/// Applying the policy file to a suite: pure work on the worker, quick;
/// retried while no worker is up.
pub(crate) fn policy() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(30))
        .retry_policy(retry(10))
        .summary("apply the organisation's policy".to_string())
        .build()
}

/// Compensation must get through if at all possible: more attempts, and
/// detached from cancellation, so cancelling a device's workflow still lets
/// it undo what it did.
pub(crate) fn compensation(summary: String) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(60))
        .retry_policy(retry(10))
        .summary(summary)
        .cancellation_token(WorkflowCancellationToken::new())
        .build()
}

/// Giving a device lock back at the end of a suite: a few tries; a device
/// gone for longer keeps the lock until it expires.
pub(crate) fn lock_release(summary: String) -> LocalActivityOptions {
    let mut options = LocalActivityOptions::builder()
        .retry_policy(retry(3))
        .start_to_close_timeout(Duration::from_secs(60))
        .summary(summary)
        .build();
    options.cancellation_token = Some(WorkflowCancellationToken::new());
    options
}

/// A device step run as a local activity: in the worker that runs the
/// device's workflow, recorded as a marker, with no server round trip per
/// step. Safe because every step is idempotent: a step re-run after a crash
/// finds its journal record and writes nothing.
pub(crate) fn local_device_io(summary: String, compensating: bool) -> LocalActivityOptions {
    let mut options = LocalActivityOptions::builder()
        .retry_policy(retry(if compensating { 10 } else { 5 }))
        .start_to_close_timeout(Duration::from_secs(60))
        .include_arguments_in_marker(true)
        .summary(summary)
        .build();
    if compensating {
        options.cancellation_token = Some(WorkflowCancellationToken::new());
    }
    options
}

/// Reading a device's checks: local to the device workflow's worker, like
/// its steps; long enough for the longest settle time and a slow read. A
/// device that cannot be read fails its checks inside the call, so a retry
/// is only for a worker that died mid-read.
pub(crate) fn local_device_checks(summary: String, longest_within_seconds: u32) -> LocalActivityOptions {
    LocalActivityOptions::builder()
        .retry_policy(retry(3))
        .start_to_close_timeout(Duration::from_secs(u64::from(longest_within_seconds) + 60))
        .summary(summary)
        .build()
}

/// Reading a gate between waves: a regular activity (any worker with the
/// Prometheus endpoint), heartbeating while it holds; long enough for the
/// gate's duration and a slow answer, retried only for a lost worker.
pub(crate) fn gate_read(summary: String, hold: Duration) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(hold + Duration::from_secs(120))
        .retry_policy(retry(3))
        .heartbeat_timeout(Duration::from_secs(30))
        .summary(summary)
        .build()
}

/// Reporting a device run to its history from the worker: quick, retried
/// while the server does not answer (a restart), local to the device
/// workflow's worker.
pub(crate) fn history_report(summary: String) -> LocalActivityOptions {
    let mut options = LocalActivityOptions::builder()
        .retry_policy(retry(10))
        .start_to_close_timeout(Duration::from_secs(30))
        .summary(summary)
        .build();
    // Reported even when the suite is being cancelled.
    options.cancellation_token = Some(WorkflowCancellationToken::new());
    options
}

/// Which event types the worker's webhooks take: quick, once per suite; a
/// regular activity, not a local one, so the patches the suite asks after
/// it fall in the same workflow task on replay as when it ran.
pub(crate) fn event_subscriptions() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(10))
        .retry_policy(retry(5))
        .summary("which events the webhooks take".to_string())
        .build()
}

/// Matching an event to subscriptions: pure work on a worker; retried
/// while no worker is up.
pub(crate) fn event_match() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(30))
        .retry_policy(retry(20))
        .summary("match the event to the worker's webhooks".to_string())
        .build()
}

/// Vouching for a device history's records: a few Temporal reads per
/// record on the worker, retried (backing off to ten minutes apart) for as
/// long as it takes: a record waits rather than being dropped or folded
/// unchecked.
pub(crate) fn record_vouching() -> ActivityOptions {
    let retry = RetryPolicy::builder()
        .initial_interval(Duration::from_secs(1))
        .backoff_coefficient(2.0)
        .maximum_interval(Duration::from_secs(600))
        .build();
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(120))
        .retry_policy(retry)
        .summary("vouch for the records received".to_string())
        .build()
}

/// How long an event is offered to a receiver that does not take it.
pub(crate) const EVENT_DELIVERY_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// Delivering an event: each attempt short (the receiver answers or not
/// within seconds), retried with backoff up to ten minutes apart for a
/// day; a worker killed mid-attempt is noticed at the attempt's timeout.
pub(crate) fn event_delivery(summary: String) -> ActivityOptions {
    let retry = RetryPolicy::builder()
        .initial_interval(Duration::from_secs(1))
        .backoff_coefficient(2.0)
        .maximum_interval(Duration::from_secs(600))
        .non_retryable_error_types(failures::NON_RETRYABLE.iter().copied())
        .build();
    let timeouts = ActivityCloseTimeouts::ScheduleAndStartToClose { schedule_to_close: EVENT_DELIVERY_WINDOW, start_to_close: Duration::from_secs(15) };
    ActivityOptions::with_close_timeouts(timeouts)
        .retry_policy(retry)
        .summary(summary)
        .build()
}
