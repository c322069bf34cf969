//! `switchyard device <name> [--json]`: what switchyard has done to one
//! device across suites (each run: when, which suite, applied or rolled
//! back, who asked and approved, what it left in place), and the rows it
//! owns there now, as the device's history workflow records them, and the
//! records it refused (sent by hand, not by a suite's run).

use std::fmt::Write;

use anstream::{print, println};
use switchyard_proto::v1::DeviceHistoryEntry;
use switchyard_proto::vocabulary::count;
use comfy_table::Table;

use crate::cli::Global;

pub(crate) async fn run(global: &Global, device: &str, inventory: Option<&std::path::Path>, json: bool) -> anyhow::Result<i32> {
    let Some(history) = crate::global::target(global).await?.device_history(device).await? else {
        // A name no inventory has is a typo, not a device left alone.
        if let Some(path) = inventory {
            let inventory = switchyard_starter::inventory_source::load(path).await.map_err(|e| crate::exit::usage(e.to_string()))?;
            if inventory.device(device).is_none() {
                let names = inventory.devices.iter().map(|d| d.name.as_str());
                return Err(crate::exit::usage(format!("{device} is not a device of {}{}", inventory.file,
                    switchyard_proto::vocabulary::did_you_mean(device, names))));
            }
        }
        println!("{device}: switchyard has not changed this device");
        return Ok(0);
    };
    if json {
        crate::output::print_json(&history)?;
        return Ok(0);
    }
    let kept = history.entries.len() as u64;
    let older = if history.recorded > kept { format!(" (the latest {kept} shown)") } else { String::new() };
    println!("{device}: {} run(s) of switchyard suites{older}", history.recorded);
    for e in &history.entries {
        print!("{}", run_block(e));
    }
    println!("\nrows switchyard owns on {device}: {}", history.owned.len());
    let mut owned = Table::new();
    owned.set_header(["ROW", "SUITE", "SINCE", "FIELDS"]);
    for row in history.owned.values() {
        let fields: Vec<String> = row.fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let suite = if row.left_in_place { format!("{} (left in place)", row.suite_id) } else { row.suite_id.clone() };
        owned.add_row([row.key.clone(), suite, row.at.clone(), fields.join(" ")]);
    }
    if !history.owned.is_empty() {
        print!("{}", crate::render::table("", owned));
    }
    if history.refused_total > 0 {
        // Records no device run of a suite made: they changed nothing.
        println!("\nrecords refused: {} (not made by a suite's run on {device}; they changed nothing)", history.refused_total);
        for r in &history.refused {
            let claimed = if r.suite_id.is_empty() { String::new() } else { format!("claiming suite {}: ", r.suite_id) };
            println!("  {claimed}{} (sha256 {}, {} bytes)", r.reason, &r.digest[..r.digest.len().min(12)], r.size);
        }
    }
    Ok(0)
}

/// One run on the device, as a block: when, which suite, how it ended, who
/// asked and approved, the steps it applied and undid with their rows, and
/// its error and checks: what `-o json` has, in lines a person reads.
fn run_block(e: &DeviceHistoryEntry) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n{}  {} {}  suite {}", e.at, e.mode, e.outcome, e.suite_id);
    let approvers = if e.approvers.is_empty() { String::new() } else { format!(", approved by {}", e.approvers.join(", ")) };
    let _ = writeln!(out, "  requested by {}{approvers}", e.requester);
    if !e.steps_applied.is_empty() {
        let _ = writeln!(out, "  applied {}: {} ({})", count(e.steps_applied.len() as u64, "step"), e.steps_applied.join(", "), count(e.rows_applied.len() as u64, "row"));
    }
    if !e.steps_compensated.is_empty() {
        let _ = writeln!(out, "  undid {}: {} ({} rolled back)", count(e.steps_compensated.len() as u64, "step"), e.steps_compensated.join(", "),
            count(e.rows_rolled_back.len() as u64, "row"));
    }
    if !e.rows_left_in_place.is_empty() {
        let _ = writeln!(out, "  left in place: {}", e.rows_left_in_place.join(", "));
    }
    if !e.checks.is_empty() {
        let passed = e.checks.iter().filter(|c| c.passed).count();
        let _ = writeln!(out, "  checks: {passed}/{} passed", e.checks.len());
    }
    if !e.error.is_empty() {
        let _ = writeln!(out, "  error: {}", e.error);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_shows_its_steps_its_undo_and_its_error() {
        let e = DeviceHistoryEntry {
            suite_id: "vlan-a-1".into(), mode: "apply".into(), outcome: "failed".into(), at: "2026-12-07T10:00:00Z".into(),
            requester: "alice".into(), approvers: vec!["bob".into()],
            steps_applied: vec!["1-create_vlan".into()], rows_applied: vec!["VLAN|Vlan10".into()],
            steps_compensated: vec!["1-create_vlan".into()], rows_rolled_back: vec!["VLAN|Vlan10".into()],
            error: "step 2-add_vlan_member: port is a mirror destination".into(),
            ..Default::default()
        };
        assert_eq!(run_block(&e), "\n2026-12-07T10:00:00Z  apply failed  suite vlan-a-1\n  requested by alice, approved by bob\n  \
            applied 1 step: 1-create_vlan (1 row)\n  undid 1 step: 1-create_vlan (1 row rolled back)\n  \
            error: step 2-add_vlan_member: port is a mirror destination\n");
    }
}
