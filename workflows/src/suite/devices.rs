//! What of a suite's devices its status carries, the pages of the rest,
//! and the counts per wave.
//!
//! A status (the `status` query, the service's answer, the workflow's
//! result) carries every device up to `names::STATUS_DEVICES_SHOWN`. Past
//! that it carries those that need a look first (failed or refused at
//! planning, then applying, rolled back, skipped), then the rest in the
//! suite's order, and says how many it left out; the `devices` query pages
//! through all of them. So every answer stays far under Temporal's 2 MB
//! payload limit, whatever the fleet.
//!
//! Pure: no workflow context. Must never: change the suite's state.

use std::collections::BTreeMap;

use switchyard_proto::names;
use switchyard_proto::v1::{DevicePage, DevicePageRequest, DevicePlan, DeviceResult, DeviceStatus, SuiteStatus, WaveCounts};

/// `status` as a status answer carries it: each wave's counts, and at most
/// `names::STATUS_DEVICES_SHOWN` devices, those needing a look first.
pub(crate) fn shown(status: &SuiteStatus) -> SuiteStatus {
    let mut out = status.clone();
    bound(&mut out);
    out
}

/// [`shown`], in place.
pub(crate) fn bound(status: &mut SuiteStatus) {
    status.wave_counts = wave_counts(&status.devices, status.waves);
    let limit = names::STATUS_DEVICES_SHOWN;
    if status.devices.len() <= limit {
        return;
    }
    let all = std::mem::take(&mut status.devices);
    let total = all.len();
    let mut ranked: Vec<(u8, usize)> = all.iter().enumerate().map(|(i, d)| (attention(d.status()), i)).collect();
    ranked.sort_unstable();
    let mut keep: Vec<usize> = ranked.into_iter().take(limit).map(|(_, i)| i).collect();
    // Shown in the suite's order, as the full list is.
    keep.sort_unstable();
    let mut all: Vec<Option<DeviceResult>> = all.into_iter().map(Some).collect();
    status.devices = keep.into_iter().filter_map(|i| all[i].take()).collect();
    status.devices_omitted = (total - limit) as u32;
}

/// Lower first: how much a device in `status` needs an operator's look.
fn attention(status: DeviceStatus) -> u8 {
    match status {
        DeviceStatus::Failed | DeviceStatus::PlanFailed => 0,
        DeviceStatus::Applying => 1,
        DeviceStatus::RolledBack => 2,
        DeviceStatus::Skipped => 3,
        _ => 4,
    }
}

/// One page of the suite's devices, in its order.
pub(crate) fn page(status: &SuiteStatus, plans: &BTreeMap<String, DevicePlan>, req: &DevicePageRequest) -> Result<DevicePage, String> {
    let size = match req.page_size {
        0 => names::DEVICE_PAGE_DEFAULT,
        n if n <= names::DEVICE_PAGE_MAX => n,
        n => return Err(format!("page_size {n} is above the most a page holds, {}", names::DEVICE_PAGE_MAX)),
    } as usize;
    let start = if req.page_token.is_empty() {
        0
    } else {
        req.page_token.parse::<usize>().ok().filter(|at| *at <= status.devices.len())
            .ok_or_else(|| format!("page_token {:?} is not one this suite gave (pass the previous page's next_page_token, or none)", clip(&req.page_token)))?
    };
    let wanted = DeviceStatus::try_from(req.status).unwrap_or(DeviceStatus::Unspecified);
    let selects = |d: &DeviceResult| wanted == DeviceStatus::Unspecified || d.status == wanted as i32;
    let mut devices = Vec::new();
    let mut next = None;
    for (i, d) in status.devices.iter().enumerate().skip(start) {
        if !selects(d) {
            continue;
        }
        if devices.len() == size {
            next = Some(i);
            break;
        }
        devices.push(d.clone());
    }
    let diffs = if req.with_diff {
        devices.iter().map(|d| plans.get(&d.device).map(|p| p.diff.clone()).unwrap_or_default()).collect()
    } else {
        Vec::new()
    };
    Ok(DevicePage {
        devices,
        next_page_token: next.map(|i| i.to_string()).unwrap_or_default(),
        total: status.devices.len() as u32,
        matching: status.devices.iter().filter(|d| selects(d)).count() as u32,
        diffs,
    })
}

/// Each wave's counts, waves numbered from 1 (`DeviceResult.wave`).
pub(crate) fn wave_counts(devices: &[DeviceResult], waves: u32) -> Vec<WaveCounts> {
    let mut out: Vec<WaveCounts> = (1..=waves).map(|wave| WaveCounts { wave, ..Default::default() }).collect();
    for d in devices {
        let Some(w) = (d.wave as usize).checked_sub(1).and_then(|i| out.get_mut(i)) else { continue };
        w.devices += 1;
        match d.status() {
            DeviceStatus::Succeeded => w.succeeded += 1,
            DeviceStatus::Failed | DeviceStatus::PlanFailed => w.failed += 1,
            DeviceStatus::Applying => w.running += 1,
            DeviceStatus::RolledBack => w.rolled_back += 1,
            DeviceStatus::Skipped => w.skipped += 1,
            _ => w.waiting += 1,
        }
    }
    out
}

/// A token quoted back in an error, cut short.
fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use prost::Message;
    use switchyard_proto::v1::{CheckReading, CompensationEntry};

    use super::*;

    fn fleet(n: usize) -> SuiteStatus {
        let devices = (0..n).map(|i| DeviceResult {
            device: format!("sonic-{i:05}"),
            status: if i % 997 == 5 { DeviceStatus::Failed } else { DeviceStatus::Succeeded } as i32,
            wave: if i == 0 { 1 } else if i < n / 10 { 2 } else { 3 },
            // What a device of the benchmark's suite reports: twelve steps.
            steps_applied: (1..=12).map(|s| format!("{s}-create_vlan_member")).collect(),
            steps_compensated: Vec::new(),
            checks: vec![CheckReading { name: "vlan Vlan10 is up".into(), passed: true, ..Default::default() }],
            started_at: "2026-12-07T09:00:00Z".into(),
            finished_at: "2026-12-07T09:00:01Z".into(),
            compensation: vec![CompensationEntry::default()],
            ..Default::default()
        }).collect();
        SuiteStatus { suite_id: "big".into(), devices, ..Default::default() }
    }

    #[test]
    fn a_status_of_ten_thousand_devices_stays_far_under_temporal_payload_limit() {
        let status = fleet(10_000);
        assert!(status.encoded_len() > 2 << 20, "the whole list would not fit: {} bytes", status.encoded_len());
        let shown = shown(&status);
        assert_eq!(shown.devices.len(), names::STATUS_DEVICES_SHOWN);
        assert_eq!(shown.devices_omitted, 10_000 - names::STATUS_DEVICES_SHOWN as u32);
        assert!(shown.encoded_len() < 256 << 10, "{} bytes", shown.encoded_len());
        // Every failed device is shown, and in the suite's order.
        let failed = status.devices.iter().filter(|d| d.status() == DeviceStatus::Failed).count();
        assert_eq!(shown.devices.iter().filter(|d| d.status() == DeviceStatus::Failed).count(), failed);
        assert!(shown.devices.windows(2).all(|w| w[0].device < w[1].device));
    }

    #[test]
    fn a_small_suite_shows_every_device() {
        let status = fleet(names::STATUS_DEVICES_SHOWN);
        assert_eq!(shown(&status), status);
    }

    #[test]
    fn pages_walk_every_device_once_and_filter_by_status() {
        let status = fleet(1_234);
        let plans = BTreeMap::from([("sonic-00001".to_string(), DevicePlan { diff: "+ VLAN|Vlan10".into(), ..Default::default() })]);
        let mut seen = Vec::new();
        let mut req = DevicePageRequest { page_size: 500, ..Default::default() };
        loop {
            let page = page(&status, &plans, &req).unwrap();
            assert_eq!(page.total, 1_234);
            seen.extend(page.devices.iter().map(|d| d.device.clone()));
            if page.next_page_token.is_empty() {
                break;
            }
            req.page_token = page.next_page_token;
        }
        assert_eq!(seen, status.devices.iter().map(|d| d.device.clone()).collect::<Vec<_>>());

        let failed = page(&status, &plans, &DevicePageRequest { status: DeviceStatus::Failed as i32, ..Default::default() }).unwrap();
        assert_eq!(failed.matching, 2);
        assert_eq!(failed.devices.iter().map(|d| d.device.as_str()).collect::<Vec<_>>(), ["sonic-00005", "sonic-01002"]);
        assert!(failed.next_page_token.is_empty());

        let with = page(&status, &plans, &DevicePageRequest { page_size: 2, with_diff: true, ..Default::default() }).unwrap();
        assert_eq!(with.diffs, ["", "+ VLAN|Vlan10"]);
        assert_eq!(with.next_page_token, "2");
    }

    #[test]
    fn a_page_request_out_of_bounds_says_which_field() {
        let status = fleet(10);
        let plans = BTreeMap::new();
        let big = page(&status, &plans, &DevicePageRequest { page_size: 501, ..Default::default() }).unwrap_err();
        assert!(big.contains("page_size 501"), "{big}");
        let token = page(&status, &plans, &DevicePageRequest { page_token: "abc".into(), ..Default::default() }).unwrap_err();
        assert!(token.contains("page_token \"abc\""), "{token}");
        assert!(page(&status, &plans, &DevicePageRequest { page_token: "11".into(), ..Default::default() }).is_err());
    }

    #[test]
    fn waves_are_counted_by_where_their_devices_are() {
        let status = fleet(1_000);
        let counts = wave_counts(&status.devices, 3);
        assert_eq!(counts.iter().map(|w| w.devices).collect::<Vec<_>>(), [1, 99, 900]);
        assert_eq!((counts[1].failed, counts[1].succeeded), (1, 98), "sonic-00005 failed in wave 2");
        assert_eq!(counts[2].succeeded, 900);
    }
}
