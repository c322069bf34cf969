//! `switchyard events <suite> [--json]`: every event the suite sent to
//! the worker's webhooks, and each subscription's delivery (delivered on
//! which attempt, undelivered with the last failure, or still retrying).

use anstream::{print, println};
use comfy_table::Table;

use crate::cli::Global;

pub(crate) async fn run(global: &Global, suite_id: &str, json: bool) -> anyhow::Result<i32> {
    let log = crate::global::target(global).await?.event_log(suite_id).await?;
    if json {
        let entries: Vec<serde_json::Value> = log.iter().map(|e| serde_json::json!({
            "event": e.event, "deliveries": e.deliveries, "delivering": e.delivering,
        })).collect();
        crate::output::print_json(&entries)?;
        return Ok(0);
    }
    if log.is_empty() {
        println!("{suite_id}: no events (the worker has no webhook subscription that takes them)");
        return Ok(0);
    }
    let mut t = Table::new();
    t.set_header(["EVENT", "AT", "SUBSCRIPTION", "DELIVERY", "ATTEMPTS", "DETAIL"]);
    for e in &log {
        if !e.delivering.is_empty() {
            t.add_row([e.event.r#type.clone(), e.event.at.clone(), "-".into(), "retrying".into(), "-".into(), e.delivering.join("; ")]);
            continue;
        }
        if e.deliveries.is_empty() {
            t.add_row([e.event.r#type.clone(), e.event.at.clone(), "-".into(), "no subscription took it".into(), "-".into(), String::new()]);
        }
        for d in &e.deliveries {
            let detail = if d.status == "delivered" { format!("HTTP {}", d.http_status) } else { d.error.clone() };
            let attempts = if d.attempts > 0 { d.attempts.to_string() } else { "-".into() };
            t.add_row([e.event.r#type.clone(), e.event.at.clone(), d.subscription.clone(), d.status.clone(), attempts, detail]);
        }
    }
    print!("{}", crate::render::table("", t));
    Ok(0)
}
