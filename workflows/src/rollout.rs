//! Pure rollout arithmetic: wave sizes, window fitting, plan counts.

use switchyard_proto::v1::{ChangeAction, DevicePlan, Wave};

/// Splits `n` devices into waves. Each listed wave takes its count, or its
/// percentage of all devices rounded up (at least one), capped by what is
/// left; devices left after the list form one last wave.
pub fn wave_sizes(n: usize, waves: &[Wave]) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut left = n;
    for w in waves {
        if left == 0 {
            break;
        }
        let want = if w.percent > 0 { (n * w.percent as usize).div_ceil(100).max(1) } else { w.count as usize };
        let take = want.clamp(1, left);
        sizes.push(take);
        left -= take;
    }
    if left > 0 {
        sizes.push(left);
    }
    sizes
}

/// Seconds a device is expected to take: its steps, plus one for verify.
pub fn device_estimate(plan: &DevicePlan, step_estimate_seconds: u64) -> u64 {
    (plan.steps.len() as u64 + 1) * step_estimate_seconds
}

/// Rows created, updated and deleted by every plan together.
pub fn row_counts(plans: &[DevicePlan]) -> (u32, u32, u32) {
    let mut counts = (0, 0, 0);
    for change in plans.iter().flat_map(|p| &p.steps).flat_map(|s| s.changes.iter()).flat_map(|c| &c.changes) {
        match ChangeAction::try_from(change.action) {
            Ok(ChangeAction::Create) => counts.0 += 1,
            Ok(ChangeAction::Update) => counts.1 += 1,
            Ok(ChangeAction::Delete) => counts.2 += 1,
            _ => {}
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(n: u32) -> Wave {
        Wave { count: n, percent: 0 }
    }
    fn pct(p: u32) -> Wave {
        Wave { count: 0, percent: p }
    }

    #[test]
    fn waves() {
        assert_eq!(wave_sizes(20, &[]), [20]);
        assert_eq!(wave_sizes(20, &[count(1), pct(10)]), [1, 2, 17]);
        assert_eq!(wave_sizes(20, &[count(1), pct(10), pct(100)]), [1, 2, 17]);
        assert_eq!(wave_sizes(3, &[count(1), count(5), count(5)]), [1, 2]);
        assert_eq!(wave_sizes(8, &[pct(1)]), [1, 7]);
        assert_eq!(wave_sizes(0, &[count(1)]), Vec::<usize>::new());
    }
}
