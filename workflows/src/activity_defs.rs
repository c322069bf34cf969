//! Typed markers of the device activities, by wire name.
//!
//! The workflows call activities through these markers, never through the
//! crate that implements them; the names come from `proto::names`, the same
//! constants the implementations register under.

use switchyard_proto::names;
use switchyard_proto::v1::{
    ApplyDeviceRequest, ApplyDeviceResult, ApplyStepRequest, ApplyStepResult, DevicePlan, EffectivePolicy, LockRequest, LockResult, PlanDeviceRequest, PolicyRequest,
    ReverseStepRequest, ReverseStepResult, SaveConfigRequest, SaveConfigResult, VerifyRequest, VerifyResult,
    DeliverEventRequest, DeliverEventResult, EventSubscriptions, MatchSubscriptionsRequest, MatchedSubscriptions,
    CheckDriftRequest, CheckDeviceRequest, CheckDeviceResult, CheckGateRequest, CheckGateResult, ConfirmRequest, ConfirmResult, DeviceDrift, DriftInput, DriftTargets, RecordRunRequest, RecordRunResult, VouchRunsRequest, VouchRunsResult,
};
use temporalio_workflow::common::ActivityDefinition;

macro_rules! activity {
    ($(#[$doc:meta])* $marker:ident, $name:expr, $input:ty, $output:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $marker;
        impl ActivityDefinition for $marker {
            type Input = $input;
            type Output = $output;
            fn name(&self) -> &str {
                $name
            }
        }
    };
}

activity!(
    /// Plan every step of one device.
    PlanDevice, names::ACTIVITY_PLAN_DEVICE, PlanDeviceRequest, DevicePlan);
activity!(
    /// Apply one planned step atomically.
    ApplyStep, names::ACTIVITY_APPLY_STEP, ApplyStepRequest, ApplyStepResult);
activity!(
    /// Apply every planned step of one device in one script, then re-read.
    ApplyDevice, names::ACTIVITY_APPLY_DEVICE, ApplyDeviceRequest, ApplyDeviceResult);
activity!(
    /// Report a device run to the device's history.
    RecordRun, names::ACTIVITY_RECORD_RUN, RecordRunRequest, RecordRunResult);
activity!(
    /// Check a device history's records against the device runs they name.
    VouchRuns, names::ACTIVITY_VOUCH_RUNS, VouchRunsRequest, VouchRunsResult);
activity!(
    /// Re-read a device and compare with the plan.
    VerifyDevice, names::ACTIVITY_VERIFY_DEVICE, VerifyRequest, VerifyResult);
activity!(
    /// Take a device's lock for a suite.
    LockDevice, names::ACTIVITY_LOCK_DEVICE, LockRequest, LockResult);
activity!(
    /// Give a device's lock back.
    UnlockDevice, names::ACTIVITY_UNLOCK_DEVICE, LockRequest, LockResult);
activity!(
    /// Run one step's domain-level reverse.
    ReverseStep, names::ACTIVITY_REVERSE_STEP, ReverseStepRequest, ReverseStepResult);
activity!(
    /// Save a device's running configuration as its startup configuration.
    SaveConfig, names::ACTIVITY_SAVE_CONFIG, SaveConfigRequest, SaveConfigResult);
activity!(
    /// Read one device's checks until each holds or its settle time passes.
    CheckDevice, names::ACTIVITY_CHECK_DEVICE, CheckDeviceRequest, CheckDeviceResult);
activity!(
    /// Arm a device's confirmed commit: a checkpoint and a revert timer on the switch.
    ArmDevice, names::ACTIVITY_ARM_DEVICE, ConfirmRequest, ConfirmResult);
activity!(
    /// Confirm a device's change over a fresh connection, or find it reverted.
    ConfirmDevice, names::ACTIVITY_CONFIRM_DEVICE, ConfirmRequest, ConfirmResult);
activity!(
    /// Read one gate between waves until it has held or fails.
    CheckGate, names::ACTIVITY_CHECK_GATE, CheckGateRequest, CheckGateResult);
activity!(
    /// Apply the worker's policy file to one suite.
    ResolvePolicy, names::ACTIVITY_RESOLVE_POLICY, PolicyRequest, EffectivePolicy);

activity!(
    /// The event types the worker's webhooks take.
    EventSubscriptionTypes, names::ACTIVITY_EVENT_SUBSCRIPTIONS, EventSubscriptions, EventSubscriptions);
activity!(
    /// The worker's subscriptions that take one event.
    MatchSubscriptions, names::ACTIVITY_MATCH_SUBSCRIPTIONS, MatchSubscriptionsRequest, MatchedSubscriptions);
activity!(
    /// Deliver one event to one subscription.
    DeliverEvent, names::ACTIVITY_DELIVER_EVENT, DeliverEventRequest, DeliverEventResult);

activity!(
    /// The devices a drift check's selector picks.
    SelectDriftTargets, names::ACTIVITY_DRIFT_TARGETS, DriftInput, DriftTargets);
activity!(
    /// Compare one device with the rows switchyard owns there.
    CheckDrift, names::ACTIVITY_CHECK_DRIFT, CheckDriftRequest, DeviceDrift);
