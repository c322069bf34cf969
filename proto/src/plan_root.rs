//! The plan hash, format v2: a Merkle root over one leaf per device, so the
//! activity that writes to one device can check that the approved hash
//! covers that device's steps from a path of about log2(fleet) hashes,
//! without the rest of the fleet's plans.
//!
//! leaf(device)  = SHA-256(0x00 ‖ len ‖ device ‖ SHA-256(step₁) ‖ … ‖ SHA-256(stepₙ) [‖ 0x02 ‖ len ‖ source ref])
//! node(a, b)    = SHA-256(0x01 ‖ a ‖ b)            (an odd last node moves up as is)
//! plan hash     = first 16 bytes, hex, of SHA-256("switchyard plan v2" ‖ root ‖ policy digest)
//!
//! Leaves are in device-name order, so the hash does not depend on the
//! order devices were planned in. A device read from a source of truth
//! adds its id there (`nautobot:<id>`) to its leaf, so an approval covers
//! that record of the device; a device of the inventory file adds nothing,
//! so its leaf, and every hash recorded before source refs existed, stays
//! what it was.
//!
//! Must never: do I/O or look at a clock: the workflow computes the root,
//! the activity re-derives it, and both must agree byte for byte.

use prost::Message as _;
use sha2::{Digest, Sha256};

use crate::trust::{hex, unhex};
use crate::v1::{DevicePlan, EffectivePolicy, StepPlan};

type Hash = [u8; 32];

const DOMAIN: &[u8] = b"switchyard plan v2";

/// SHA-256 of one planned step's encoding.
pub fn step_digest(step: &StepPlan) -> Hash {
    Sha256::digest(step.encode_to_vec()).into()
}

/// SHA-256 of the recorded policy's encoding, or of nothing when the suite
/// has none.
pub fn policy_digest(policy: Option<&EffectivePolicy>) -> Hash {
    Sha256::digest(policy.map(|p| p.encode_to_vec()).unwrap_or_default()).into()
}

/// One device's leaf from its step digests and its source ref.
pub fn leaf(device: &str, source_ref: &str, step_digests: &[Hash]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update((device.len() as u64).to_be_bytes());
    h.update(device.as_bytes());
    for d in step_digests {
        h.update(d);
    }
    if !source_ref.is_empty() {
        h.update([2u8]);
        h.update((source_ref.len() as u64).to_be_bytes());
        h.update(source_ref.as_bytes());
    }
    h.finalize().into()
}

fn node(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The hash approvals sign, from the tree's root and the policy's digest.
pub fn plan_hash(root: &Hash, policy_digest: &Hash) -> String {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(root);
    h.update(policy_digest);
    hex(&h.finalize()[..16])
}

/// The whole tree of a fleet's plans, kept by the suite so each device's
/// path costs log2(fleet) lookups.
#[derive(Debug, Clone, Default)]
pub struct PlanTree {
    /// Device names in leaf order.
    devices: Vec<String>,
    /// levels[0] are the leaves; the last level is the root alone.
    levels: Vec<Vec<Hash>>,
    policy: Hash,
}

impl PlanTree {
    /// The tree over `plans` under `policy`.
    pub fn new(plans: &[DevicePlan], policy: Option<&EffectivePolicy>) -> Self {
        let mut sorted: Vec<&DevicePlan> = plans.iter().collect();
        sorted.sort_by(|a, b| a.device.cmp(&b.device));
        let leaves: Vec<Hash> = sorted.iter()
            .map(|p| leaf(&p.device, &p.source_ref, &p.steps.iter().map(step_digest).collect::<Vec<_>>()))
            .collect();
        let mut levels = vec![leaves];
        while levels.last().is_some_and(|l| l.len() > 1) {
            let below = levels.last().unwrap();
            let above = below.chunks(2).map(|pair| match pair {
                [a, b] => node(a, b),
                [a] => *a,
                _ => unreachable!("chunks of two"),
            }).collect();
            levels.push(above);
        }
        Self { devices: sorted.iter().map(|p| p.device.clone()).collect(), levels, policy: policy_digest(policy) }
    }

    /// The root; all zeros for an empty fleet.
    fn root(&self) -> Hash {
        self.levels.last().and_then(|l| l.first()).copied().unwrap_or([0; 32])
    }

    /// The plan hash approvals sign.
    pub fn plan_hash(&self) -> String {
        plan_hash(&self.root(), &self.policy)
    }

    /// The policy digest, hex.
    pub fn policy_digest(&self) -> String {
        hex(&self.policy)
    }

    /// The path from `device`'s leaf to the root, each sibling "l:<hex>"
    /// or "r:<hex>"; none when the device is not in the plan.
    pub fn proof(&self, device: &str) -> Option<Vec<String>> {
        let mut at = self.devices.binary_search_by(|d| d.as_str().cmp(device)).ok()?;
        let mut path = Vec::new();
        for level in &self.levels[..self.levels.len().saturating_sub(1)] {
            let sibling = at ^ 1;
            if let Some(h) = level.get(sibling) {
                let side = if sibling < at { "l" } else { "r" };
                path.push(format!("{side}:{}", hex(h)));
            }
            at /= 2;
        }
        Some(path)
    }
}

/// The plan hash a device's leaf, path and policy digest lead to; an error
/// names what is malformed.
pub fn hash_from_proof(device: &str, source_ref: &str, step_digests: &[String], proof: &[String], policy_digest: &str) -> Result<String, String> {
    let digest = |text: &str, what: &str| -> Result<Hash, String> {
        unhex(text).and_then(|b| <Hash>::try_from(b).ok()).ok_or_else(|| format!("{what} {text:?} is not a SHA-256 in hex"))
    };
    let steps = step_digests.iter().map(|d| digest(d, "step digest")).collect::<Result<Vec<_>, _>>()?;
    let mut at = leaf(device, source_ref, &steps);
    for entry in proof {
        let (side, h) = entry.split_once(':').ok_or_else(|| format!("proof entry {entry:?} is not \"l:<hex>\" or \"r:<hex>\""))?;
        let sibling = digest(h, "proof entry")?;
        at = match side {
            "l" => node(&sibling, &at),
            "r" => node(&at, &sibling),
            _ => return Err(format!("proof entry {entry:?} is not \"l:<hex>\" or \"r:<hex>\"")),
        };
    }
    Ok(plan_hash(&at, &digest(policy_digest, "policy digest")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::{Step, StepPlan};

    fn plan(device: &str, steps: usize) -> DevicePlan {
        let steps = (0..steps).map(|i| StepPlan { step: Some(Step { id: format!("{i}-x"), ..Default::default() }), ..Default::default() }).collect();
        DevicePlan { device: device.into(), steps, ..Default::default() }
    }

    fn digests(p: &DevicePlan) -> Vec<String> {
        p.steps.iter().map(|s| hex(&step_digest(s))).collect()
    }

    #[test]
    fn every_device_proves_into_the_root_for_every_fleet_size() {
        for n in [1, 2, 3, 5, 8, 13, 100] {
            let plans: Vec<DevicePlan> = (0..n).rev().map(|i| plan(&format!("d{i:03}"), 1 + i % 3)).collect();
            let tree = PlanTree::new(&plans, None);
            for p in &plans {
                let proof = tree.proof(&p.device).unwrap();
                assert!(proof.len() <= 7, "{n} devices: a path of {}", proof.len());
                let got = hash_from_proof(&p.device, "", &digests(p), &proof, &tree.policy_digest()).unwrap();
                assert_eq!(got, tree.plan_hash(), "{n} devices, {}", p.device);
            }
        }
    }

    #[test]
    fn another_device_plan_or_policy_does_not_prove() {
        let plans: Vec<DevicePlan> = (0..6).map(|i| plan(&format!("d{i}"), 2)).collect();
        let tree = PlanTree::new(&plans, None);
        let proof = tree.proof("d2").unwrap();
        let policy = tree.policy_digest();
        // The path of d2 with d3's name, or with a step changed, or a step
        // dropped, or under another policy, leads elsewhere.
        assert_ne!(hash_from_proof("d3", "", &digests(&plans[2]), &proof, &policy).unwrap(), tree.plan_hash());
        let mut changed = plans[2].clone();
        changed.steps[1].step.as_mut().unwrap().id = "1-y".into();
        assert_ne!(hash_from_proof("d2", "", &digests(&changed), &proof, &policy).unwrap(), tree.plan_hash());
        assert_ne!(hash_from_proof("d2", "", &digests(&plans[2])[..1], &proof, &policy).unwrap(), tree.plan_hash());
        let other = hex(&policy_digest(Some(&EffectivePolicy { file: "x".into(), ..Default::default() })));
        assert_ne!(hash_from_proof("d2", "", &digests(&plans[2]), &proof, &other).unwrap(), tree.plan_hash());
        assert!(tree.proof("d9").is_none());
        assert!(hash_from_proof("d2", "", &["zz".into()], &proof, &policy).unwrap_err().contains("not a SHA-256"));
        assert!(hash_from_proof("d2", "", &[], &["x:00".into()], &policy).is_err());
    }

    #[test]
    fn order_of_planning_does_not_change_the_hash() {
        let a: Vec<DevicePlan> = (0..5).map(|i| plan(&format!("d{i}"), 1)).collect();
        let mut b = a.clone();
        b.reverse();
        assert_eq!(PlanTree::new(&a, None).plan_hash(), PlanTree::new(&b, None).plan_hash());
        assert_eq!(PlanTree::new(&a, None).plan_hash().len(), 32);
    }

    #[test]
    fn a_source_ref_is_covered_and_a_file_device_hashes_as_before() {
        let plans: Vec<DevicePlan> = (0..4).map(|i| plan(&format!("d{i}"), 2)).collect();
        let before = PlanTree::new(&plans, None).plan_hash();
        // The hash of these plans from before source refs existed.
        assert_eq!(leaf("d0", "", &[]), {
            let mut h = Sha256::new();
            h.update([0u8]);
            h.update(2u64.to_be_bytes());
            h.update(b"d0");
            <Hash>::from(h.finalize())
        });
        let mut sourced = plans.clone();
        sourced[1].source_ref = "nautobot:5f1c".into();
        let tree = PlanTree::new(&sourced, None);
        assert_ne!(tree.plan_hash(), before, "the source ref is covered");
        let proof = tree.proof("d1").unwrap();
        let policy = tree.policy_digest();
        assert_eq!(hash_from_proof("d1", "nautobot:5f1c", &digests(&sourced[1]), &proof, &policy).unwrap(), tree.plan_hash());
        // Another record of the device (or none) does not prove the plan.
        assert_ne!(hash_from_proof("d1", "nautobot:9e2a", &digests(&sourced[1]), &proof, &policy).unwrap(), tree.plan_hash());
        assert_ne!(hash_from_proof("d1", "", &digests(&sourced[1]), &proof, &policy).unwrap(), tree.plan_hash());
    }
}
