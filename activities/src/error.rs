//! Device errors, and the one place that decides which of them retry.

use temporalio_common::error::ApplicationFailure;
use temporalio_sdk::activities::ActivityError;

use switchyard_proto::names::failures as kinds;

/// What can go wrong while acting on one device.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// TCP connect, handshake or channel failure, or a lost connection.
    #[error("{device}: unreachable at {address}: {reason}")]
    Unreachable {
        /// Device name.
        device: String,
        /// address:port dialled.
        address: String,
        /// What failed.
        reason: String,
    },
    /// The server refused authentication.
    #[error("{device}: authentication refused for user {user:?}")]
    AuthRefused {
        /// Device name.
        device: String,
        /// SSH user.
        user: String,
    },
    /// Host key not matching known_hosts, or not listed there.
    #[error("{device}: host key check failed: {reason}")]
    HostKey {
        /// Device name.
        device: String,
        /// Mismatch (with the known_hosts line) or unknown host.
        reason: String,
    },
    /// Planned-from rows changed.
    #[error("{device}: step {step}: drift: {rows}; re-plan the suite")]
    Drift {
        /// Device name.
        device: String,
        /// Step id.
        step: String,
        /// The rows that differ.
        rows: String,
    },
    /// The worker cannot act on this device as configured.
    #[error("{device}: {reason}")]
    Config {
        /// Device name.
        device: String,
        /// What is wrong (never a secret value).
        reason: String,
    },
    /// A command on the device ran and failed.
    #[error("{device}: `{command}` failed: {reason}")]
    Command {
        /// Device name.
        device: String,
        /// The command run.
        command: String,
        /// Its exit status and what it printed.
        reason: String,
    },
    /// A redis command failed.
    #[error("{device}: redis: {reason}")]
    Redis {
        /// Device name.
        device: String,
        /// The redis error.
        reason: String,
    },
}

impl DeviceError {
    /// The failure type recorded in history.
    pub fn kind(&self) -> &'static str {
        match self {
            DeviceError::Unreachable { .. } => kinds::UNREACHABLE,
            DeviceError::AuthRefused { .. } => kinds::AUTH,
            DeviceError::HostKey { .. } => kinds::HOST_KEY,
            DeviceError::Drift { .. } => kinds::DRIFT,
            DeviceError::Config { .. } => kinds::CONFIG,
            DeviceError::Redis { .. } => kinds::REDIS,
            DeviceError::Command { .. } => kinds::COMMAND,
        }
    }
}

impl DeviceError {
    /// The activity failure for this error: its type names the kind, and
    /// only transport failures are retryable. The SDK's blanket conversion
    /// would make every error a retryable untyped failure, so activities
    /// convert through here explicitly.
    pub fn into_activity_error(self) -> ActivityError {
        let e = self;
        let kind = e.kind();
        let non_retryable = kinds::NON_RETRYABLE.contains(&kind);
        ActivityError::application(
            ApplicationFailure::builder(e.to_string()).type_name(kind.to_string()).non_retryable(non_retryable).build(),
        )
    }
}
