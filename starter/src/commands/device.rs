//! `switchyard device <name> [--json]`: what switchyard has done to one
//! device across suites (each run: when, which suite, applied or rolled
//! back, who asked and approved, what it left in place), and the rows it
//! owns there now, as the device's history workflow records them, and the
//! records it refused (sent by hand, not by a suite's run).

use anstream::{print, println};
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
    let mut runs = Table::new();
    runs.set_header(["AT", "SUITE", "MODE", "OUTCOME", "REQUESTER", "APPROVED BY", "ROWS", "LEFT IN PLACE"]);
    for e in &history.entries {
        let rows = if e.mode == "apply" { e.rows_applied.len() } else { e.rows_rolled_back.len() };
        let approvers = if e.approvers.is_empty() { "-".to_string() } else { e.approvers.join(", ") };
        runs.add_row([e.at.clone(), e.suite_id.clone(), e.mode.clone(), e.outcome.clone(), e.requester.clone(), approvers,
            rows.to_string(), e.rows_left_in_place.len().to_string()]);
    }
    print!("{}", crate::render::table("", runs));
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
