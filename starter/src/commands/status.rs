//! `switchyard status` (alias `report`): the suite's phase, timings, plan,
//! devices, decisions and logs, or the whole status as JSON.

use anstream::{print, println};

use crate::cli::Global;
use crate::render;

pub(crate) async fn run(global: &Global, suite_id: &str, json: bool) -> anyhow::Result<i32> {
    let target = crate::global::target(global).await?;
    let status = target.status(suite_id).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print!("{}", render::report(&status));
        // The one link a revert leaves on the suite it reverts: its id.
        if let crate::global::Target::Temporal(client) = &target {
            let revert = switchyard_proto::names::revert_suite_id(suite_id);
            if let Ok(Some(state)) = switchyard_starter::client::workflow_state(client, &revert).await {
                println!("reverted by suite {revert} ({state})");
            }
        }
        println!("web ui: {}", crate::global::ui_link(global, suite_id));
    }
    Ok(0)
}
