//! Wire names: every string another process relies on, in one place.
//!
//! Workflow, activity, signal and query names, search attributes and
//! workflow-id formats are part of the contract with running histories,
//! the Web UI and other-language clients. They are never derived from Rust
//! identifiers, so renaming a function can never break a running suite.

/// Default task queue of suite workflows and device activities.
pub const TASK_QUEUE: &str = "switchyard";

/// Workflow type of a suite run.
pub const SUITE_WORKFLOW: &str = "SuiteWorkflow";
/// Workflow type of one device's run (its history is the device's journal).
pub const DEVICE_WORKFLOW: &str = "DeviceWorkflow";

/// Activity: plan every step of one device from a snapshot.
pub const ACTIVITY_PLAN_DEVICE: &str = "plan_device";
/// Activity: apply one planned step atomically.
pub const ACTIVITY_APPLY_STEP: &str = "apply_step";
/// Activity: re-read a device on a fresh connection and compare.
pub const ACTIVITY_VERIFY_DEVICE: &str = "verify_device";
/// Activity: run one step's domain-level reverse from its receipt.
pub const ACTIVITY_REVERSE_STEP: &str = "reverse_step";
/// Activity: take a device's lock for a suite.
pub const ACTIVITY_LOCK_DEVICE: &str = "lock_device";
/// Activity: give a device's lock back.
pub const ACTIVITY_UNLOCK_DEVICE: &str = "unlock_device";

/// Signal carrying a reviewer's decision (JSON body: `ApprovalSignal`).
pub const SIGNAL_APPROVAL: &str = "approval";
/// Signal carrying an operator's decision on a paused suite (`OperatorSignal`).
pub const SIGNAL_OPERATOR: &str = "operator";
/// Update moving the change window's end (`ExtendWindow`).
pub const UPDATE_EXTEND_WINDOW: &str = "extend_window";
/// Update changing the parallelism (`SetParallelism`).
pub const UPDATE_SET_PARALLELISM: &str = "set_parallelism";
/// Query returning the suite's `SuiteStatus`.
pub const QUERY_STATUS: &str = "status";

/// Search attribute: suite name (Keyword).
pub const SA_SUITE_NAME: &str = "SuiteName";
/// Search attribute: suite phase (Keyword), e.g. `applying`.
pub const SA_SUITE_STATUS: &str = "SuiteStatus";
/// Search attribute: who launched the suite (Keyword).
pub const SA_REQUESTER: &str = "Requester";
/// Search attribute: number of target devices (Int).
pub const SA_DEVICE_COUNT: &str = "DeviceCount";
/// Search attribute: number of failed devices (Int).
pub const SA_FAILED_COUNT: &str = "FailedCount";

/// Every custom search attribute with its server type, for registration.
pub const SEARCH_ATTRIBUTES: &[(&str, &str)] = &[
    (SA_SUITE_NAME, "Keyword"),
    (SA_SUITE_STATUS, "Keyword"),
    (SA_REQUESTER, "Keyword"),
    (SA_DEVICE_COUNT, "Int"),
    (SA_FAILED_COUNT, "Int"),
];

/// Workflow id of a device's run within a suite.
pub fn device_workflow_id(suite_id: &str, device: &str, mode: &str) -> String {
    // No '/': ids appear in Web UI paths.
    format!("{suite_id}--{device}--{mode}")
}

/// Phase name used in the `SuiteStatus` search attribute and in the UI.
pub fn phase_name(phase: crate::v1::SuitePhase) -> &'static str {
    use crate::v1::SuitePhase as P;
    match phase {
        P::Unspecified => "unspecified",
        P::Planning => "planning",
        P::AwaitingApproval => "awaiting_approval",
        P::Applying => "applying",
        P::RollingBack => "rolling_back",
        P::Succeeded => "succeeded",
        P::Failed => "failed",
        P::RolledBack => "rolled_back",
        P::PartiallyRolledBack => "partially_rolled_back",
        P::Rejected => "rejected",
        P::Expired => "expired",
        P::Planned => "planned",
        P::WaitingWindow => "waiting_window",
        P::Paused => "paused",
        P::Cancelled => "cancelled",
    }
}

/// Failure types of device activities, as recorded in history. Retry
/// policies name the non-retryable ones, so they are wire names too.
pub mod failures {
    /// The device cannot be reached (retryable).
    pub const UNREACHABLE: &str = "DeviceUnreachable";
    /// The device refused our credentials.
    pub const AUTH: &str = "AuthRefused";
    /// The device's host key is not the one in known_hosts.
    pub const HOST_KEY: &str = "HostKeyMismatch";
    /// The rows a step planned from changed before apply.
    pub const DRIFT: &str = "Drift";
    /// A re-read did not match what was written.
    pub const VERIFY: &str = "VerifyFailed";
    /// Worker configuration: unknown device, unreadable credential.
    pub const CONFIG: &str = "WorkerConfig";
    /// A redis command failed (retryable).
    pub const REDIS: &str = "RedisError";
    /// Every type that retrying cannot fix.
    pub const NON_RETRYABLE: &[&str] = &[AUTH, HOST_KEY, DRIFT, VERIFY, CONFIG];
}
