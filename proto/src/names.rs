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
/// Workflow type of a device's history across suites (one per device).
pub const DEVICE_HISTORY_WORKFLOW: &str = "DeviceHistoryWorkflow";
/// Signal to the device history: one suite's run on the device.
pub const SIGNAL_RECORD_RUN: &str = "record_run";
/// Query of the device history: its entries and the rows switchyard owns.
pub const QUERY_HISTORY: &str = "history";
/// Runs a device's history keeps in full (older ones are counted only);
/// the workflow continues as new every this many runs, to stay small.
pub const DEVICE_HISTORY_KEPT: usize = 100;

/// Workflow id of a device's history.
pub fn device_history_workflow_id(device: &str) -> String {
    format!("device-history--{device}")
}

/// Workflow type delivering one suite event to the worker's webhooks.
pub const EVENT_WORKFLOW: &str = "EventWorkflow";

/// Workflow type of a drift check: devices compared with the rows
/// switchyard owns there.
pub const DRIFT_WORKFLOW: &str = "DriftWorkflow";

/// Workflow id of the remediation suite a drift check proposes.
pub fn remediation_suite_id(check_id: &str) -> String {
    format!("remediate-{check_id}")
}

/// Workflow id of the suite that reverts `suite_id` (`switchyard revert`):
/// one per suite, so a second revert finds the first.
pub fn revert_suite_id(suite_id: &str) -> String {
    format!("{suite_id}-revert")
}

/// Activity: plan every step of one device from a snapshot.
pub const ACTIVITY_PLAN_DEVICE: &str = "plan_device";
/// Activity: apply one planned step atomically.
pub const ACTIVITY_APPLY_STEP: &str = "apply_step";
/// Activity: apply every planned step of one device in one script, then
/// re-read what they wrote.
pub const ACTIVITY_APPLY_DEVICE: &str = "apply_device";
/// Activity: report a device run to the device's history workflow.
pub const ACTIVITY_RECORD_RUN: &str = "record_run";
/// Activity: check the records a device's history received against the
/// device runs they claim to come from.
pub const ACTIVITY_VOUCH_RUNS: &str = "vouch_runs";
/// Activity: re-read a device on a fresh connection and compare.
pub const ACTIVITY_VERIFY_DEVICE: &str = "verify_device";
/// Activity: run one step's domain-level reverse from its receipt.
pub const ACTIVITY_REVERSE_STEP: &str = "reverse_step";
/// Activity: take a device's lock for a suite.
pub const ACTIVITY_LOCK_DEVICE: &str = "lock_device";
/// Activity: give a device's lock back.
pub const ACTIVITY_UNLOCK_DEVICE: &str = "unlock_device";
/// Activity: apply the worker's policy file to one suite.
pub const ACTIVITY_RESOLVE_POLICY: &str = "resolve_policy";
/// Activity: save one device's running configuration (`config save -y`).
pub const ACTIVITY_SAVE_CONFIG: &str = "save_config";
/// Local activity: the event types the worker's webhooks subscribe to.
pub const ACTIVITY_EVENT_SUBSCRIPTIONS: &str = "event_subscriptions";
/// Activity: the worker's subscriptions that take one event.
pub const ACTIVITY_MATCH_SUBSCRIPTIONS: &str = "match_subscriptions";
/// Activity: deliver one event to one subscription (signed POST).
pub const ACTIVITY_DELIVER_EVENT: &str = "deliver_event";
/// Local activity: read one device's checks (pre or post) until each holds
/// or its settle time passes.
pub const ACTIVITY_CHECK_DEVICE: &str = "check_device";
/// Activity: read one gate between waves (a Prometheus query) until it has
/// held for its duration or fails.
pub const ACTIVITY_CHECK_GATE: &str = "check_gate";
/// Local activity: arm a device's confirmed commit (checkpoint and revert
/// timer on the switch) before its first write.
pub const ACTIVITY_ARM_DEVICE: &str = "arm_device";
/// Local activity: confirm a device's change (stop its revert timer, drop
/// the checkpoint) over a fresh connection, or find it reverted.
pub const ACTIVITY_CONFIRM_DEVICE: &str = "confirm_device";
/// Activity: the inventory's devices a drift check's selector picks.
pub const ACTIVITY_DRIFT_TARGETS: &str = "drift_targets";
/// Activity: compare one device with the rows switchyard owns there.
pub const ACTIVITY_CHECK_DRIFT: &str = "check_drift";

/// The checkpoint and timer name of a device's confirmed commit in a suite:
/// a systemd unit name and a checkpoint file name at once.
pub fn confirm_name(suite_id: &str, device: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{suite_id}\n{device}").as_bytes());
    format!("switchyard-{}", hex::encode(&digest[..8]))
}

/// Whether `name` can name one of the worker's Prometheus endpoints
/// (`--prometheus NAME=URL`, a gate's `prometheus:`).
pub fn is_endpoint_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Signal carrying a reviewer's decision (JSON body: `ApprovalSignal`).
pub const SIGNAL_APPROVAL: &str = "approval";
/// Signal carrying an operator's decision on a paused suite (`OperatorSignal`).
pub const SIGNAL_OPERATOR: &str = "operator";
/// Signal a device's run sends its suite while it waits, and once it no
/// longer does (`DeviceWaiting`): shown, never acted on.
pub const SIGNAL_DEVICE_WAITING: &str = "device_waiting";
/// Update moving the change window's end (`ExtendWindow`).
pub const UPDATE_EXTEND_WINDOW: &str = "extend_window";
/// Update changing the parallelism (`SetParallelism`).
pub const UPDATE_SET_PARALLELISM: &str = "set_parallelism";
/// Query returning the suite's `SuiteStatus`.
pub const QUERY_STATUS: &str = "status";
/// The suite's query for one page of its devices (`DevicePageRequest`).
pub const QUERY_DEVICES: &str = "devices";
/// Devices a suite's status carries at most (the rest: `QUERY_DEVICES`),
/// so a status, the API's answer and the workflow's result stay far under
/// Temporal's 2 MB payload limit whatever the fleet.
pub const STATUS_DEVICES_SHOWN: usize = 200;
/// Devices one page of `QUERY_DEVICES` carries by default, and at most.
pub const DEVICE_PAGE_DEFAULT: u32 = 100;
/// See [`DEVICE_PAGE_DEFAULT`].
pub const DEVICE_PAGE_MAX: u32 = 500;
/// The fleet diff a status and the `suite.awaiting_approval` event carry
/// at most; past it, the diff ends with where the rest is.
pub const FLEET_DIFF_MAX_BYTES: usize = 256 * 1024;

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

/// Search attribute: `plan` for a plan-only run, `change` otherwise (Keyword).
pub const SA_SUITE_KIND: &str = "SuiteKind";

/// A search attribute's value a suite starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartValue {
    /// A keyword.
    Keyword(String),
    /// An integer.
    Int(i64),
}

/// The search attributes a suite starts with (name, phase, requester,
/// size, failures, kind), so it is listable before its first workflow
/// task: set by whoever starts it, or by the suite itself when a schedule
/// did. Each side turns them into its own SDK's types.
pub fn start_attributes(input: &crate::v1::SuiteInput) -> [(&'static str, StartValue); 6] {
    use StartValue::{Int, Keyword};
    [
        (SA_SUITE_NAME, Keyword(input.name.clone())),
        // The workflow's first phase; the workflow sets it on every change after.
        (SA_SUITE_STATUS, Keyword(crate::vocabulary::phase_name(crate::v1::SuitePhase::Planning).to_string())),
        (SA_REQUESTER, Keyword(input.requester.clone())),
        (SA_DEVICE_COUNT, Int(input.devices.len() as i64)),
        (SA_FAILED_COUNT, Int(0)),
        (SA_SUITE_KIND, Keyword(if input.plan_only { "plan" } else { "change" }.to_string())),
    ]
}

/// Search attribute of a device workflow: its device (Keyword).
pub const SA_DEVICE: &str = "Device";
/// Search attribute of a device workflow: how it stands or ended (Keyword),
/// e.g. `applying`, `succeeded`, `failed`, `rolled_back`.
pub const SA_DEVICE_STATUS: &str = "DeviceStatus";

/// Every custom search attribute with its server type, for registration.
pub const SEARCH_ATTRIBUTES: &[(&str, &str)] = &[
    (SA_SUITE_NAME, "Keyword"),
    (SA_SUITE_STATUS, "Keyword"),
    (SA_REQUESTER, "Keyword"),
    (SA_DEVICE_COUNT, "Int"),
    (SA_FAILED_COUNT, "Int"),
    (SA_DEVICE, "Keyword"),
    (SA_DEVICE_STATUS, "Keyword"),
    (SA_SUITE_KIND, "Keyword"),
];

/// The longest suite id: room for a device's and an event's workflow id
/// built on it.
pub const MAX_SUITE_ID: usize = 200;

/// Whether `id` may name a suite (or be the start of one: a suite's name):
/// letters, digits, `.`, `_` and `-`, starting with a letter or digit, no
/// `..`, at most [`MAX_SUITE_ID`] bytes. A suite id is a workflow id and
/// part of Web UI links and API paths, where `/`, `..`, spaces or `%` would
/// name something else.
pub fn check_suite_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > MAX_SUITE_ID {
        return Err(format!("a suite id is 1..={MAX_SUITE_ID} characters"));
    }
    if !id.starts_with(|c: char| c.is_ascii_alphanumeric()) || id.contains("..")
        || !id.chars().all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c)) {
        return Err(format!("{id:?} is not a suite id: use letters, digits, '.', '_' and '-', starting with a letter or digit (it is part of workflow ids, Web UI links and API paths)"));
    }
    Ok(())
}

/// Workflow id of a device's run within a suite.
pub fn device_workflow_id(suite_id: &str, device: &str, mode: &str) -> String {
    // No '/': ids appear in Web UI paths.
    format!("{suite_id}--{device}--{mode}")
}

/// Workflow id of the delivery of a suite's `seq`th event.
pub fn event_workflow_id(suite_id: &str, seq: usize, event_type: &str) -> String {
    format!("{suite_id}--event-{seq}--{event_type}")
}

/// Event types a suite emits, as webhooks receive them in `type`.
pub mod events {
    /// The plan is ready and awaits approvals.
    pub const AWAITING_APPROVAL: &str = "suite.awaiting_approval";
    /// Devices are being changed.
    pub const APPLYING: &str = "suite.applying";
    /// A failure paused the suite; an operator answers.
    pub const PAUSED: &str = "suite.paused";
    /// One device failed.
    pub const DEVICE_FAILED: &str = "device.failed";
    /// The suite ended: `suite.<final phase>` (succeeded, failed,
    /// rolled_back, partially_rolled_back, cancelled, expired, rejected,
    /// and a plan-only run's planned).
    pub const ENDED_PREFIX: &str = "suite.";
    /// A drift check found rows switchyard owns changed or deleted.
    pub const DRIFT_DETECTED: &str = "drift.detected";
    /// A drift check started a remediation suite (it awaits approval).
    pub const REMEDIATION_PROPOSED: &str = "remediation.proposed";
    /// The event a suite emits on entering the phase named `phase`, if it
    /// emits one: the webhook's type, which the service's event stream
    /// names too (its `suite.phase` events carry it as `type`).
    pub fn of_phase(phase: &str) -> Option<String> {
        match phase {
            "awaiting_approval" => Some(AWAITING_APPROVAL.into()),
            "applying" => Some(APPLYING.into()),
            "paused" => Some(PAUSED.into()),
            _ => crate::vocabulary::phase_from_name(phase)
                .filter(|p| crate::vocabulary::is_final(*p))
                .map(|_| format!("{ENDED_PREFIX}{phase}")),
        }
    }

    /// Every type a subscription may name.
    pub const ALL: &[&str] = &[
        AWAITING_APPROVAL, APPLYING, PAUSED, DEVICE_FAILED, DRIFT_DETECTED, REMEDIATION_PROPOSED,
        "suite.succeeded", "suite.failed", "suite.rolled_back", "suite.partially_rolled_back",
        "suite.cancelled", "suite.expired", "suite.rejected", "suite.planned",
    ];
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
    /// A drift check cannot go on (a selector that picks no device, a
    /// device history that cannot be read).
    pub const DRIFT_CHECK: &str = "DriftCheck";
    /// A re-read did not match what was written.
    pub const VERIFY: &str = "VerifyFailed";
    /// Worker configuration: unknown device, unreadable credential.
    pub const CONFIG: &str = "WorkerConfig";
    /// A redis command failed (retryable).
    pub const REDIS: &str = "RedisError";
    /// A command on the device ran and failed (e.g. `config save`).
    pub const COMMAND: &str = "CommandFailed";
    /// A webhook delivery failed (its message says whether a receiver
    /// refused it or the worker cannot sign it).
    pub const WEBHOOK: &str = "WebhookDelivery";
    /// A device write without a warrant that holds under the worker's
    /// policy: refused before anything is written (final), or not checked
    /// yet because Temporal could not be asked (retried).
    pub const WARRANT: &str = "WarrantRefused";
    /// Failure types that retrying cannot fix.
    pub const NON_RETRYABLE: &[&str] = &[AUTH, HOST_KEY, DRIFT, VERIFY, CONFIG, COMMAND];
}

/// Patch ids guarding changes to running workflows (`ctx.patched`). A
/// patch id is recorded in history: it is never renamed or reused.
pub mod patches {
    /// Device steps run as local activities in the device workflow's worker.
    pub const LOCAL_DEVICE_STEPS: &str = "local-device-steps";
    /// A device is locked for its suite before its first step.
    pub const DEVICE_LOCK: &str = "device-lock";
    /// A step whose apply outcome is unknown is compensated too.
    pub const REVERSE_UNSURE_STEPS: &str = "reverse-unsure-steps";
    /// The suite records the organisation's policy before planning, and
    /// decisions are judged against it (signed, by key).
    pub const POLICY: &str = "policy";
    /// Device workflows carry SuiteName, Device and DeviceStatus.
    pub const DEVICE_SEARCH_ATTRIBUTES: &str = "device-search-attributes";
    /// The suite's memo carries its requester, plan hash and approvers.
    pub const SUITE_MEMO: &str = "suite-memo";
    /// A run that did not succeed closes failed (a cancelled suite:
    /// cancelled), its status as the failure's details.
    pub const OUTCOME_STATUS: &str = "outcome-status";
    /// The suite asks at its start (not at its close, after its last local
    /// activity) whether it closes with its outcome, as `outcome-status`.
    pub const OUTCOME_STATUS_AT_START: &str = "outcome-status-at-start";
    /// A device that succeeded or was rolled back saves its configuration.
    pub const CONFIG_SAVE: &str = "config-save";
    /// The suite emits events to the worker's webhooks (asked at its start).
    pub const WEBHOOK_EVENTS: &str = "webhook-events";
    /// A device's run is recorded in the device's history (asked at the
    /// device workflow's start).
    pub const DEVICE_HISTORY: &str = "device-history";
    /// A device's steps are applied in one script on the device and
    /// verified in the same call (asked at the device workflow's start).
    pub const DEVICE_APPLY_BATCH: &str = "device-apply-batch";
    /// A device run reports to its history through a local activity (a
    /// signal-with-start from the worker), not by a signal of its own
    /// workflow, so it ends in one workflow task (asked at its start).
    pub const DEVICE_HISTORY_BY_ACTIVITY: &str = "device-history-by-activity";
    /// The plan hash is a Merkle root over the devices' plans (format v2)
    /// and each device run carries its warrant (asked when the plan is made).
    pub const WARRANT: &str = "warrant";
    /// Only a signed cancel (the `operator` signal's cancel) rolls a suite
    /// back; a bare Temporal cancellation once applying has begun pauses it
    /// for a signed answer (asked at the suite's start).
    pub const SIGNED_CANCEL: &str = "signed-cancel";
    /// A device's history folds only the records a worker vouched for
    /// (re-read from the device run they claim); asked at the start of
    /// each history run, so a run begun before it stays as it was until it
    /// continues as new.
    pub const VOUCHED_HISTORY: &str = "vouched-history";
    /// A device whose plan carries checks reads them before its first
    /// write and after its steps (asked at the device workflow's start,
    /// only when its plan has checks).
    pub const DEVICE_CHECKS: &str = "device-checks";
    /// A device with checks reads its health (ports up, BGP sessions
    /// established) before its first write and after its post-checks, even
    /// when it has checks of one kind only (asked at its start, with
    /// `device-checks`).
    pub const DEVICE_HEALTH: &str = "device-health";
    /// A device whose suite asks for confirmed commit arms a revert timer on
    /// the switch before its first write and confirms after its checks
    /// (asked at its start, only when the suite asks).
    pub const DEVICE_CONFIRM: &str = "device-confirm";
    /// A device with confirmed commit extends its revert timer when its
    /// post-checks would outlast it, and, when it cannot confirm, waits for
    /// the timer's deadline and reconnects to report whether the switch
    /// reverted by itself (asked at its start, with `device-confirm`).
    pub const DEVICE_CONFIRM_WATCH: &str = "device-confirm-watch";
    /// A suite whose rollout has gates reads them between waves (asked
    /// after the first wave, only when the rollout has gates).
    pub const SUITE_GATES: &str = "suite-gates";
    /// A drift check reads at most `DRIFT_PARALLELISM` devices at once
    /// (asked before its first device).
    pub const DRIFT_BOUNDED: &str = "drift-bounded";
    /// Every device patch in [`DEVICE_CURRENT_FOLDS`] holds: a device
    /// workflow started since asks this one patch (first), not each of them.
    pub const DEVICE_CURRENT: &str = "device-current-1";
    /// The device patches `DEVICE_CURRENT` stands for. Never changed: a
    /// later device patch is asked on its own (or folded into a new
    /// `device-current-2` with its own list).
    pub const DEVICE_CURRENT_FOLDS: &[&str] = &[
        LOCAL_DEVICE_STEPS,
        DEVICE_LOCK,
        REVERSE_UNSURE_STEPS,
        DEVICE_SEARCH_ATTRIBUTES,
        OUTCOME_STATUS,
        CONFIG_SAVE,
        DEVICE_HISTORY,
        DEVICE_APPLY_BATCH,
        DEVICE_HISTORY_BY_ACTIVITY,
    ];
    /// A device waiting for another suite's lock tells its suite so, and
    /// again once it holds it (the `device_waiting` signal).
    pub const DEVICE_WAITS: &str = "device-waits";
    /// Every device patch in [`DEVICE_CURRENT_2_FOLDS`] holds: a device
    /// workflow started since asks this one patch, where one started with
    /// `DEVICE_CURRENT` also asked the check and confirm patches (a marker
    /// and a search-attribute upsert each, in every device's history).
    pub const DEVICE_CURRENT_2: &str = "device-current-2";
    /// The device patches `DEVICE_CURRENT_2` stands for: all of
    /// [`DEVICE_CURRENT_FOLDS`] and those since. Never changed, as that one.
    pub const DEVICE_CURRENT_2_FOLDS: &[&str] = &[
        DEVICE_CHECKS,
        DEVICE_HEALTH,
        DEVICE_CONFIRM,
        DEVICE_CONFIRM_WATCH,
        DEVICE_WAITS,
    ];
}

/// Where switchyard keeps its state on a device: the redis databases and
/// the STATE_DB rows it writes. Lab scripts and runbooks name these too.
pub mod device_db {
    /// CONFIG_DB: the configuration, one hash per row (`TABLE|key`).
    pub const CONFIG_DB: u8 = 4;
    /// STATE_DB: home of the step journal and the device lock.
    pub const STATE_DB: u8 = 6;
    /// The device lock's key in STATE_DB: one suite changes a device at a time.
    pub const LOCK_KEY: &str = "SWITCHYARD_LOCK";
    /// Table of the step journal in STATE_DB.
    pub const JOURNAL_TABLE: &str = "SWITCHYARD_JOURNAL";

    /// Journal key of one step phase (`apply` or `reverse`) of a suite.
    pub fn journal_key(suite_id: &str, step_id: &str, phase: &str) -> String {
        format!("{JOURNAL_TABLE}|{suite_id}|{step_id}|{phase}")
    }
}

#[cfg(test)]
mod tests {
    use super::events;

    /// Every suite event a subscription may name is one a phase or a device
    /// failure emits, so the service's stream (which names a phase's event
    /// as the webhooks do) can carry each.
    #[test]
    fn every_suite_event_comes_from_a_phase_or_a_failed_device() {
        let from_phases: Vec<String> = crate::vocabulary::PHASES.iter().filter_map(|p| events::of_phase(crate::vocabulary::phase_name(*p))).collect();
        for t in events::ALL {
            let drift = [events::DRIFT_DETECTED, events::REMEDIATION_PROPOSED].contains(t);
            assert!(drift || *t == events::DEVICE_FAILED || from_phases.iter().any(|f| f == t), "{t} is emitted by no phase");
        }
        for f in &from_phases {
            assert!(events::ALL.contains(&f.as_str()), "{f} is emitted but no subscription may name it");
        }
        assert_eq!(events::of_phase("planning"), None);
    }
}
