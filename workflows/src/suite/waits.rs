//! What a suite and its devices wait for, in words: the suite's own wait
//! (approvals, the window, a soak, a wave's gates, an operator), the
//! devices that wait for another suite's lock (each device's run says so),
//! and the devices of the running wave that wait for a slot.
//!
//! Pure: the queries and the Web UI's details read it from the suite's
//! state. Must never: change the suite's course (a device's wait is a claim
//! anyone with namespace access could send; it is shown, never acted on).

use switchyard_proto::v1::{DeviceResult, DeviceStatus, SuitePhase, SuiteStatus};
use switchyard_proto::vocabulary::count;

/// Most devices a suite's `waiting` names before it counts the rest.
const NAMED: usize = 3;

/// Longest wait a device's run may report, in bytes; the rest is cut.
pub(crate) const DEVICE_WAIT_MAX: usize = 240;

/// What the suite waits for now: its own wait when it has one, else the
/// devices that wait for a lock, else the devices of the running wave that
/// wait for a slot. Empty when nothing holds it up.
pub(crate) fn suite_waiting(own: &str, status: &SuiteStatus, inflight: u32) -> String {
    if !own.is_empty() {
        return own.to_string();
    }
    let locked: Vec<&DeviceResult> = status.devices.iter().filter(|d| !d.waiting.is_empty()).collect();
    if !locked.is_empty() {
        let mut named: Vec<String> = locked.iter().take(NAMED).map(|d| format!("{} waits for {}", d.device, d.waiting)).collect();
        if locked.len() > NAMED {
            named.push(format!("and {} more", locked.len() - NAMED));
        }
        return named.join("; ");
    }
    let queued = slot_queue(status);
    if queued > 0 && inflight >= status.parallelism.max(1) {
        return format!(
            "a slot for {} of wave {}: {} at a time, all running",
            count(queued as u64, "device"), status.wave, status.parallelism.max(1)
        );
    }
    String::new()
}

/// What one device waits for: the lock wait its run reported, or, while
/// the suite applies, its wave or a slot; while the suite itself waits, the
/// suite's wait. Empty for a device that runs or has ended.
pub(crate) fn device_waiting(own: &str, status: &SuiteStatus, device: &DeviceResult) -> String {
    if !device.waiting.is_empty() {
        return device.waiting.clone();
    }
    if device.status() != DeviceStatus::Planned {
        return String::new();
    }
    let phase = status.phase();
    if !own.is_empty() && matches!(phase, SuitePhase::AwaitingApproval | SuitePhase::WaitingWindow | SuitePhase::Applying | SuitePhase::Paused) {
        return own.to_string();
    }
    if phase != SuitePhase::Applying || device.wave == 0 {
        return String::new();
    }
    if device.wave > status.wave {
        return format!("wave {} (wave {} runs now)", device.wave, status.wave);
    }
    format!("a slot: {} at a time", count(u64::from(status.parallelism.max(1)), "device"))
}

/// Fills in `waiting` on the suite and on each device it carries.
pub(crate) fn annotate(own: &str, status: &mut SuiteStatus, inflight: u32) {
    status.waiting = suite_waiting(own, status, inflight);
    let waits: Vec<String> = status.devices.iter().map(|d| device_waiting(own, status, d)).collect();
    for (d, w) in status.devices.iter_mut().zip(waits) {
        d.waiting = w;
    }
}

/// A device's reported wait as kept: trimmed and cut to
/// [`DEVICE_WAIT_MAX`] bytes on a character boundary.
pub(crate) fn kept(waiting: &str) -> String {
    let text = waiting.trim();
    if text.len() <= DEVICE_WAIT_MAX {
        return text.to_string();
    }
    let mut end = DEVICE_WAIT_MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Devices of the running wave not yet started.
fn slot_queue(status: &SuiteStatus) -> usize {
    status.devices.iter().filter(|d| d.wave == status.wave && d.status() == DeviceStatus::Planned).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(name: &str, status: DeviceStatus, wave: u32) -> DeviceResult {
        DeviceResult { device: name.into(), status: status as i32, wave, ..Default::default() }
    }

    fn applying(devices: Vec<DeviceResult>) -> SuiteStatus {
        SuiteStatus { phase: SuitePhase::Applying as i32, wave: 1, parallelism: 2, devices, ..Default::default() }
    }

    #[test]
    fn a_lock_wait_names_the_device_and_the_holder() {
        let mut waiting = device("sonic-d1", DeviceStatus::Applying, 1);
        waiting.waiting = "the device lock, held by suite vlan-storage since 2026-12-07T10:00:00Z".into();
        let mut status = applying(vec![waiting, device("sonic-d2", DeviceStatus::Applying, 1)]);
        annotate("", &mut status, 2);
        assert_eq!(status.waiting, "sonic-d1 waits for the device lock, held by suite vlan-storage since 2026-12-07T10:00:00Z");
        assert!(status.devices[0].waiting.contains("vlan-storage"));
        assert_eq!(status.devices[1].waiting, "");
    }

    #[test]
    fn many_lock_waits_are_named_then_counted() {
        let devices = (0..5).map(|i| {
            let mut d = device(&format!("sonic-d{i}"), DeviceStatus::Applying, 1);
            d.waiting = "the device lock, held by suite a".into();
            d
        }).collect();
        let status = applying(devices);
        let text = suite_waiting("", &status, 5);
        assert!(text.ends_with("; and 2 more"), "{text}");
        assert_eq!(text.matches("waits for").count(), NAMED);
    }

    #[test]
    fn devices_of_the_running_wave_wait_for_a_slot_and_later_waves_for_theirs() {
        let before = applying(vec![
            device("a", DeviceStatus::Applying, 1),
            device("b", DeviceStatus::Applying, 1),
            device("c", DeviceStatus::Planned, 1),
            device("d", DeviceStatus::Planned, 2),
        ]);
        // A free slot is not a wait.
        assert_eq!(suite_waiting("", &before, 1), "");
        let mut status = before.clone();
        annotate("", &mut status, 2);
        assert_eq!(status.waiting, "a slot for 1 device of wave 1: 2 at a time, all running");
        assert_eq!(status.devices[2].waiting, "a slot: 2 devices at a time");
        assert_eq!(status.devices[3].waiting, "wave 2 (wave 1 runs now)");
    }

    #[test]
    fn the_suites_own_wait_comes_first_and_reaches_its_waiting_devices() {
        let mut status = applying(vec![device("a", DeviceStatus::Planned, 2), device("b", DeviceStatus::Succeeded, 1)]);
        annotate("wave 2: soaking until 2026-12-07T10:05:00Z", &mut status, 0);
        assert_eq!(status.waiting, "wave 2: soaking until 2026-12-07T10:05:00Z");
        assert_eq!(status.devices[0].waiting, status.waiting);
        assert_eq!(status.devices[1].waiting, "", "an ended device waits for nothing");
    }

    #[test]
    fn a_reported_wait_is_trimmed_and_bounded() {
        assert_eq!(kept("  the lock "), "the lock");
        let long = "é".repeat(400);
        let cut = kept(&long);
        assert!(cut.len() <= DEVICE_WAIT_MAX + '…'.len_utf8(), "{}", cut.len());
        assert!(cut.ends_with('…'));
    }
}
