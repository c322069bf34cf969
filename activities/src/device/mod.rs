//! Device access: one long-lived SSH connection per device, redis over a
//! direct-tcpip channel to the device's own 127.0.0.1:6379.
//!
//! Must never: put a credential value in an error, a log line or a result.

pub mod redis;
pub mod session;

pub use session::{SessionConfig, Sessions};
