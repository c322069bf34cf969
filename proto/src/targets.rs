//! A suite input's device targets: carried compact, each distinct step and
//! check once in the input's pools and every device naming its own by
//! index, and read whole.
//!
//! A fleet's devices mostly share their rendered steps: ten steps came to
//! about 1.25 KB of input per device, so a suite of 1,700 devices was past
//! the 2 MB Temporal takes in one payload. Compact, a device costs its name
//! and its indexes. The launch signature covers the input as started
//! (compact); whoever reads a device's steps or checks reads them through
//! [`SuiteInput::target`] or [`SuiteInput::expanded`].
//!
//! Must never: change what a target says, only how it is carried; trust an
//! index (an input is anyone's claim: one out of its pool is an error that
//! names the device, never a panic).

use std::collections::HashMap;

use prost::Message;

use crate::v1::{DeviceTarget, SharedTarget, SuiteInput};

/// Moves every whole target's steps, checks and check settings into the
/// input's pools, each distinct one once, in order of first use; a target
/// already compact is left as it is.
pub fn compact(input: &mut SuiteInput) {
    let mut steps = Pool::new(&input.step_pool);
    let mut checks = Pool::new(&input.check_pool);
    let mut shared = Pool::new(&input.shared);
    for target in input.devices.iter_mut().filter(|t| t.shared == 0) {
        let form = SharedTarget {
            step_refs: std::mem::take(&mut target.steps).into_iter().map(|s| steps.index(&mut input.step_pool, s)).collect(),
            check_refs: std::mem::take(&mut target.checks).into_iter().map(|c| checks.index(&mut input.check_pool, c)).collect(),
            builtin_checks: std::mem::take(&mut target.builtin_checks),
            checks_within_seconds: std::mem::take(&mut target.checks_within_seconds),
        };
        target.shared = shared.index(&mut input.shared, form) + 1;
    }
}

/// Where each message of a pool is, by its encoding (deterministic: maps
/// are ordered).
struct Pool(HashMap<Vec<u8>, u32>);

impl Pool {
    fn new<M: Message>(pool: &[M]) -> Self {
        Self(pool.iter().enumerate().map(|(i, m)| (m.encode_to_vec(), i as u32)).collect())
    }

    fn index<M: Message>(&mut self, pool: &mut Vec<M>, message: M) -> u32 {
        let next = pool.len() as u32;
        let at = *self.0.entry(message.encode_to_vec()).or_insert(next);
        if at == next {
            pool.push(message);
        }
        at
    }
}

impl SuiteInput {
    /// Device `device`'s target, whole; none when it is not a target, an
    /// error when it names what its input does not hold.
    pub fn target(&self, device: &str) -> Option<Result<DeviceTarget, String>> {
        self.devices.iter().find(|t| t.device == device).map(|t| self.whole(t))
    }

    /// The input with every target whole and no pools: what the suite
    /// plans and the policy judges. Not what was signed: the launch covers
    /// the input as started.
    pub fn expanded(&self) -> Result<SuiteInput, String> {
        let devices = self.devices.iter().map(|t| self.whole(t)).collect::<Result<_, _>>()?;
        Ok(SuiteInput { devices, step_pool: Vec::new(), check_pool: Vec::new(), shared: Vec::new(), ..self.clone() })
    }

    /// Whether every target names only what its input holds; the first
    /// that does not, as [`SuiteInput::target`] says it.
    pub fn check_targets(&self) -> Result<(), String> {
        self.devices.iter().try_for_each(|t| self.whole(t).map(drop))
    }

    /// `target` whole: its own fields, or those it shares.
    fn whole(&self, target: &DeviceTarget) -> Result<DeviceTarget, String> {
        let Some(at) = target.shared.checked_sub(1) else { return Ok(target.clone()) };
        let missing = |what: &str, at: u32, of: usize| format!("device {} names {what} {at} of {of}", target.device);
        let form = self.shared.get(at as usize).ok_or_else(|| missing("shared target", at, self.shared.len()))?;
        let steps = form.step_refs.iter()
            .map(|&i| self.step_pool.get(i as usize).cloned().ok_or_else(|| missing("step", i, self.step_pool.len())))
            .collect::<Result<_, _>>()?;
        let checks = form.check_refs.iter()
            .map(|&i| self.check_pool.get(i as usize).cloned().ok_or_else(|| missing("check", i, self.check_pool.len())))
            .collect::<Result<_, _>>()?;
        Ok(DeviceTarget {
            device: target.device.clone(),
            steps,
            checks,
            builtin_checks: form.builtin_checks,
            checks_within_seconds: form.checks_within_seconds,
            source_ref: target.source_ref.clone(),
            shared: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::{Check, CreateVlan, Operation, Step, operation::Op};

    fn step(i: usize, vlan: u32) -> Step {
        Step { id: format!("{i}-create_vlan"), operation: Some(Operation { op: Some(Op::CreateVlan(CreateVlan { vlan_id: vlan, ..Default::default() })) }) }
    }

    /// `n` devices of ten steps; every device's last step is its own.
    fn fleet(n: usize) -> SuiteInput {
        fleet_of(n, true)
    }

    /// `n` devices of ten steps, the last one each device's own or not.
    fn fleet_of(n: usize, own: bool) -> SuiteInput {
        let devices = (0..n).map(|d| DeviceTarget {
            device: format!("sonic-{d:05}"),
            steps: (0..10).map(|i| step(i, if i == 9 && own { 1000 + d as u32 } else { 100 + i as u32 })).collect(),
            checks: vec![Check { name: "vlan 100 is up".into(), ..Default::default() }],
            builtin_checks: true,
            source_ref: if d % 2 == 0 { format!("netbox:{d}") } else { String::new() },
            ..Default::default()
        }).collect();
        SuiteInput { suite_id: "s".into(), devices, ..Default::default() }
    }

    #[test]
    fn a_compact_input_reads_back_as_it_was() {
        let whole = fleet(50);
        let mut compact = whole.clone();
        super::compact(&mut compact);
        assert_eq!(compact.step_pool.len(), 9 + 50, "nine shared steps, one of each device's own");
        assert_eq!((compact.check_pool.len(), compact.shared.len()), (1, 50));
        assert!(compact.devices.iter().all(|t| t.steps.is_empty() && t.checks.is_empty() && t.shared > 0));
        assert_eq!(compact.expanded().unwrap(), whole);
        assert!(compact.check_targets().is_ok());
        assert_eq!(compact.target("sonic-00007").unwrap().unwrap(), whole.devices[7]);
        assert!(compact.target("sonic-99999").is_none());
        // Compacting again changes nothing, and a whole input reads as itself.
        let mut twice = compact.clone();
        super::compact(&mut twice);
        assert_eq!(twice, compact);
        assert_eq!(whole.expanded().unwrap(), whole);
    }

    #[test]
    fn ten_thousand_devices_fit_one_payload() {
        let json = |i: &SuiteInput| serde_json::to_vec(i).unwrap().len();
        // A step of each device's own costs about 190 bytes a device: such
        // a suite of 10,000 is near the most one input carries.
        for (own, within) in [(false, 512 << 10), (true, 2 << 20)] {
            let whole = fleet_of(10_000, own);
            let mut compact = whole.clone();
            super::compact(&mut compact);
            assert!(json(&whole) > 2 << 20, "whole, the input would not be taken: {} bytes", json(&whole));
            assert!(json(&compact) < within, "a step of each device's own: {own}; {} bytes", json(&compact));
        }
    }

    #[test]
    fn devices_with_the_same_steps_share_them_once() {
        let mut compact = fleet_of(1_000, false);
        super::compact(&mut compact);
        assert_eq!((compact.step_pool.len(), compact.check_pool.len(), compact.shared.len()), (10, 1, 1));
        assert!(compact.devices.iter().all(|t| t.shared == 1));
        assert_eq!(compact.expanded().unwrap(), fleet_of(1_000, false));
    }

    #[test]
    fn an_index_out_of_its_pool_is_refused_naming_the_device() {
        let mut input = fleet(3);
        super::compact(&mut input);
        input.shared[1].step_refs.push(4_000);
        let err = input.expanded().unwrap_err();
        assert_eq!(err, "device sonic-00001 names step 4000 of 12");
        assert_eq!(input.check_targets().unwrap_err(), err);
        assert_eq!(input.target("sonic-00001").unwrap().unwrap_err(), err);
        input.shared[2].check_refs = vec![9];
        assert_eq!(input.target("sonic-00002").unwrap().unwrap_err(), "device sonic-00002 names check 9 of 1");
        input.devices[0].shared = 7;
        assert_eq!(input.target("sonic-00000").unwrap().unwrap_err(), "device sonic-00000 names shared target 6 of 3");
    }
}
