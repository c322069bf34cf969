//! The fleet plan: one diff for all devices, the hash approvals bind to, and
//! the warnings a policy refuses.

use std::collections::BTreeMap;
use std::fmt::Write;

use prost::Message;
use sha2::{Digest, Sha256};
use switchyard_proto::v1::{DevicePlan, EffectivePolicy};

/// Hash of every device's planned steps: changes, receipts and the
/// planned-from rows. An approval for this hash approves exactly these
/// changes on exactly these starting states.
pub fn plan_hash(plans: &[DevicePlan]) -> String {
    hash(plans, None)
}

/// [`plan_hash`] that also covers the effective policy: an approval is for
/// these changes, on these starting states, under this policy.
pub fn plan_hash_under(plans: &[DevicePlan], policy: &EffectivePolicy) -> String {
    hash(plans, Some(policy))
}

fn hash(plans: &[DevicePlan], policy: Option<&EffectivePolicy>) -> String {
    let mut sorted: Vec<&DevicePlan> = plans.iter().collect();
    sorted.sort_by(|a, b| a.device.cmp(&b.device));
    let mut hasher = Sha256::new();
    for plan in sorted {
        hasher.update((plan.device.len() as u64).to_be_bytes());
        hasher.update(plan.device.as_bytes());
        for step in &plan.steps {
            // prost encodes maps as BTreeMaps in key order: deterministic.
            let bytes = step.encode_to_vec();
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(&bytes);
        }
    }
    if let Some(policy) = policy {
        let bytes = policy.encode_to_vec();
        hasher.update(b"policy");
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(&bytes);
    }
    let digest = hasher.finalize();
    digest.iter().take(16).fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The plan warnings on devices whose covering rule blocks warnings
/// (`warnings: block`), one line each: device, step, rule, warning.
pub fn blocked_warnings(plans: &[DevicePlan], policy: &EffectivePolicy) -> Vec<String> {
    let blocking: Vec<_> = policy.rules.iter().filter(|r| r.block_warnings).collect();
    let mut out = Vec::new();
    for plan in plans {
        let Some(rule) = blocking.iter().find(|r| r.devices.contains(&plan.device)) else { continue };
        for step in &plan.steps {
            let id = step.step.as_ref().map_or("", |s| s.id.as_str());
            for warning in &step.warnings {
                out.push(format!("{}: step {id}: {warning} (rule {} of {} blocks warnings)", plan.device, rule.name, policy.file));
            }
        }
    }
    out
}

/// One unified diff: devices with identical changes are grouped.
pub fn fleet_diff(plans: &[DevicePlan]) -> String {
    grouped(plans.iter().map(|p| (p.device.as_str(), p.diff.as_str())), "(no changes)")
}

/// [`fleet_diff`] cut at a group's end once it would pass `max_bytes`,
/// ending with how much was left out and `rest`, where it can be read.
/// Identical changes share a group, so only a fleet of many different
/// plans reaches the cap.
pub fn fleet_diff_within(plans: &[DevicePlan], max_bytes: usize, rest: &str) -> String {
    let blocks = blocks(plans.iter().map(|p| (p.device.as_str(), p.diff.as_str())), "(no changes)");
    let mut out = String::new();
    for (shown, (_, block)) in blocks.iter().enumerate() {
        if out.len() + block.len() > max_bytes {
            let left: usize = blocks[shown..].iter().map(|(n, _)| n).sum();
            let _ = writeln!(out, "… {} more group(s) of {left} device(s) not shown (the diff stops at {} KB): {rest}", blocks.len() - shown, max_bytes / 1024);
            return out;
        }
        out.push_str(block);
    }
    out
}

/// Devices with the same text share one block, `none` standing for an
/// empty one: the fleet diff's layout, which the drift report shares.
pub fn grouped<'a>(diffs: impl Iterator<Item = (&'a str, &'a str)>, none: &str) -> String {
    blocks(diffs, none).into_iter().map(|(_, block)| block).collect()
}

/// The grouped layout's blocks, largest group first, each with its number
/// of devices.
fn blocks<'a>(diffs: impl Iterator<Item = (&'a str, &'a str)>, none: &str) -> Vec<(usize, String)> {
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (device, diff) in diffs {
        groups.entry(diff).or_default().push(device);
    }
    let mut groups: Vec<(&str, Vec<&str>)> = groups.into_iter().collect();
    // Largest group first, then by first device, so the common change leads.
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.1.cmp(&b.1)));
    groups.into_iter().map(|(diff, devices)| {
        let mut out = String::new();
        let noun = if devices.len() == 1 { "device" } else { "devices" };
        let _ = writeln!(out, "{} {noun}: {}", devices.len(), abbreviate(&devices));
        if diff.is_empty() {
            let _ = writeln!(out, "  {none}");
        }
        for line in diff.lines() {
            let _ = writeln!(out, "  {line}");
        }
        (devices.len(), out)
    }).collect()
}

fn abbreviate(devices: &[&str]) -> String {
    const SHOWN: usize = 6;
    if devices.len() <= SHOWN {
        devices.join(", ")
    } else {
        format!("{}, … and {} more", devices[..SHOWN].join(", "), devices.len() - SHOWN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(device: &str, diff: &str) -> DevicePlan {
        DevicePlan { device: device.into(), diff: diff.into(), ..Default::default() }
    }

    #[test]
    fn only_a_blocking_rule_refuses_warnings_and_each_is_named() {
        use switchyard_proto::v1::{CoveringRule, Step, StepPlan};
        let warned = |device: &str| DevicePlan {
            device: device.into(),
            steps: vec![StepPlan { step: Some(Step { id: "2-create_bgp_globals".into(), ..Default::default() }), warnings: vec!["inert".into()], ..Default::default() }],
            ..Default::default()
        };
        let rule = |name: &str, devices: &[&str], block: bool| CoveringRule {
            name: name.into(), devices: devices.iter().map(|d| d.to_string()).collect(), block_warnings: block, ..Default::default()
        };
        let policy = EffectivePolicy { file: "p.yaml".into(), rules: vec![rule("loose", &["a"], false), rule("strict", &["b"], true)], ..Default::default() };
        assert_eq!(blocked_warnings(&[warned("a"), warned("b"), plan("c", "")], &policy),
            ["b: step 2-create_bgp_globals: inert (rule strict of p.yaml blocks warnings)"]);
    }

    #[test]
    fn groups_identical_diffs() {
        let plans = [plan("a", "+ VLAN|Vlan1 vlanid=1\n"), plan("b", "+ VLAN|Vlan1 vlanid=1\n"), plan("c", "")];
        assert_eq!(fleet_diff(&plans), "2 devices: a, b\n  + VLAN|Vlan1 vlanid=1\n1 device: c\n  (no changes)\n");
    }

    #[test]
    fn a_fleet_of_different_plans_is_cut_at_a_group_and_says_where_the_rest_is() {
        let plans: Vec<DevicePlan> = (0..10_000).map(|i| plan(&format!("d{i:05}"), &format!("+ VLAN|Vlan{i} vlanid={i}\n"))).collect();
        let diff = fleet_diff_within(&plans, 64 * 1024, "switchyard status s --devices --diff");
        assert!(diff.len() < 65 * 1024, "{} bytes", diff.len());
        let last = diff.lines().last().unwrap();
        assert!(last.starts_with("… ") && last.ends_with("switchyard status s --devices --diff"), "{last}");
        let shown = diff.lines().filter(|l| l.starts_with("1 device:")).count();
        assert!(last.contains(&format!("{} more group(s) of {} device(s)", 10_000 - shown, 10_000 - shown)), "{last}");
        // Under the cap, it is the whole diff.
        assert_eq!(fleet_diff_within(&plans[..3], 64 * 1024, "x"), fleet_diff(&plans[..3]));
    }

    #[test]
    fn hash_ignores_order_but_not_content() {
        let a = [plan("a", "x"), plan("b", "y")];
        let b = [plan("b", "y"), plan("a", "x")];
        assert_eq!(plan_hash(&a), plan_hash(&b));
        assert_eq!(plan_hash(&a).len(), 32);
        let mut c = a.clone();
        c[0].steps.push(Default::default());
        assert_ne!(plan_hash(&a), plan_hash(&c));
    }
}
