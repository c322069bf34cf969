//! Confirmed commit on one device: before its first write, a checkpoint of
//! its configuration and a timer on the switch that restores it (GCU's
//! `config checkpoint` / `config rollback`, a transient systemd timer);
//! after its checks, the timer stopped and the checkpoint dropped over a
//! fresh connection. A switch that its own change cut off restores itself
//! when the timer fires, with no call from switchyard.
//!
//! Each command is one shell line whose last word says what happened, and
//! each is idempotent: arming an armed device changes nothing (it must not
//! checkpoint a device already changed), confirming twice confirms once.
//!
//! Must never: checkpoint after the device's first write, or confirm over
//! the connection the change went through (it may be the only path left).

use std::time::Duration;

use crate::device::Sessions;
use crate::error::DeviceError;

/// One command's time on the switch (a checkpoint dumps CONFIG_DB).
const TIMEOUT: Duration = Duration::from_secs(60);

/// The shell line that arms `name` for `timeout_seconds`: nothing when its
/// timer already runs (a retried arm), else a checkpoint and the timer.
fn arm_command(name: &str, timeout_seconds: u32) -> String {
    format!(
        "if sudo systemctl is-active {name}.timer >/dev/null 2>&1; then echo armed; \
         else sudo config checkpoint {name} >/dev/null && sudo systemd-run --on-active={timeout_seconds} --unit={name} config rollback {name} >/dev/null && echo armed; fi"
    )
}

/// The shell line that restarts `name`'s running timer for
/// `timeout_seconds` from now, keeping its checkpoint: `armed`, or `fired`
/// when the timer had already run (nothing to extend: the switch reverted).
fn extend_command(name: &str, timeout_seconds: u32) -> String {
    format!(
        "if sudo systemctl is-active {name}.timer >/dev/null 2>&1; then sudo systemctl stop {name}.timer && sudo systemd-run --on-active={timeout_seconds} --unit={name} config rollback {name} >/dev/null && echo armed; \
         else echo fired; fi"
    )
}

/// The shell line that confirms `name`: `confirmed` when its timer was
/// stopped (or already gone with its checkpoint), `reverted` when the timer
/// fired (its checkpoint is still there, and is dropped now).
fn confirm_command(name: &str) -> String {
    format!(
        "if sudo systemctl is-active {name}.timer >/dev/null 2>&1; then sudo systemctl stop {name}.timer && sudo config delete-checkpoint {name} >/dev/null && echo confirmed; \
         elif sudo config list-checkpoints | grep -q '\"{name}\"'; then sudo config delete-checkpoint {name} >/dev/null; echo reverted; \
         else echo confirmed; fi"
    )
}

/// Whether the device's revert timer runs now: a forward write of a suite
/// launched with confirmed commit is refused without it (a hand-scheduled
/// apply that skipped the arm, or a timer that already fired).
pub async fn is_armed(sessions: &Sessions, device: &str, name: &str) -> Result<bool, DeviceError> {
    let said = sessions.run(device, &format!("sudo systemctl is-active {name}.timer >/dev/null 2>&1 && echo armed || echo idle"), TIMEOUT).await?;
    Ok(said.lines().last() == Some("armed"))
}

/// Arms the device's revert timer.
pub async fn arm(sessions: &Sessions, device: &str, name: &str, timeout_seconds: u32) -> Result<(), DeviceError> {
    let said = sessions.run(device, &arm_command(name, timeout_seconds), TIMEOUT).await?;
    match said.lines().last() {
        Some("armed") => Ok(()),
        _ => Err(DeviceError::Command { device: device.into(), command: "arm".into(), reason: format!("the switch did not arm its revert: {said:?}") }),
    }
}

/// Restarts the device's running revert timer for `timeout_seconds` from
/// now: whether the timer had already fired (the switch reverted).
pub async fn extend(sessions: &Sessions, device: &str, name: &str, timeout_seconds: u32) -> Result<bool, DeviceError> {
    let said = sessions.run(device, &extend_command(name, timeout_seconds), TIMEOUT).await?;
    match said.lines().last() {
        Some("armed") => Ok(false),
        Some("fired") => Ok(true),
        _ => Err(DeviceError::Command { device: device.into(), command: "extend".into(), reason: format!("the switch did not extend its revert: {said:?}") }),
    }
}

/// Confirms the device's change over a fresh connection: whether the switch
/// had already reverted it by itself.
pub async fn confirm(sessions: &Sessions, device: &str, name: &str) -> Result<bool, DeviceError> {
    sessions.reset(device).await;
    let said = sessions.run(device, &confirm_command(name), TIMEOUT).await?;
    match said.lines().last() {
        Some("confirmed") => Ok(false),
        Some("reverted") => Ok(true),
        _ => Err(DeviceError::Command { device: device.into(), command: "confirm".into(), reason: format!("unexpected answer {said:?}") }),
    }
}
