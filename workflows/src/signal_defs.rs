//! Typed markers of the signals one workflow sends another, by wire name.
//!
//! A device's run signals its suite through these markers rather than the
//! suite's own methods, so the device workflow never names the suite that
//! starts it (the suite names the device, not the other way round). The
//! names come from `proto::names`, the constants the receivers are
//! registered under.

use switchyard_proto::names;
use switchyard_proto::v1::{DeviceWaiting, SuiteInput, SuiteStatus};
use temporalio_workflow::common::{SignalDefinition, WorkflowDefinition};

use crate::lenient::Lenient;

/// The suite workflow as a signal's receiver: its type name, input and
/// result, the same as `SuiteWorkflow` registers.
#[derive(Debug, Clone, Copy)]
pub struct Suite;

impl WorkflowDefinition for Suite {
    type Input = SuiteInput;
    type Output = SuiteStatus;
    fn name(&self) -> &str {
        names::SUITE_WORKFLOW
    }
}

/// A device's run telling its suite what it waits for (empty: nothing).
#[derive(Debug, Clone, Copy)]
pub struct DeviceWaitingSignal;

impl SignalDefinition for DeviceWaitingSignal {
    type Workflow = Suite;
    type Input = Lenient<DeviceWaiting>;
    fn name(&self) -> &str {
        names::SIGNAL_DEVICE_WAITING
    }
}
