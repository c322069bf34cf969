//! What an activity's failure says, read from the failure chain Temporal
//! records: its type (the wire name an activity gave it, e.g. "Drift") and
//! its innermost message (the activity's own words, not the SDK's wrapper).
//!
//! Pure: reads the error it is handed; never retries or decides.

use temporalio_protos::temporal::api::failure::v1::failure::FailureInfo;
use temporalio_protos::temporal::api::failure::v1::Failure;
use temporalio_workflow::common::error::ActivityExecutionError;

/// The innermost failure: the activity's own error.
fn root(e: &ActivityExecutionError) -> Option<&Failure> {
    let mut f = e.failure()?;
    while let Some(cause) = f.cause.as_deref() {
        f = cause;
    }
    Some(f)
}

/// The failure type of the activity's own error ("Drift",
/// "DeviceUnreachable"), or empty for a timeout or cancellation.
pub(crate) fn failure_type(e: &ActivityExecutionError) -> String {
    match root(e).and_then(|f| f.failure_info.as_ref()) {
        Some(FailureInfo::ApplicationFailureInfo(info)) => info.r#type.clone(),
        _ => String::new(),
    }
}

/// The innermost failure message; the error's own text when it has none.
pub(crate) fn describe(e: &ActivityExecutionError) -> String {
    match root(e) {
        Some(f) if !f.message.is_empty() => f.message.clone(),
        _ => e.to_string(),
    }
}
