//! `switchyard status` (alias `report`): the suite's phase, timings, plan,
//! devices, decisions and logs, or the whole status as JSON.

use anstream::{print, println};

use crate::cli::Global;
use crate::render;

pub(crate) async fn run(global: &Global, suite_id: &str, json: bool) -> anyhow::Result<i32> {
    let status = crate::global::target(global).await?.status(suite_id).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print!("{}", render::report(&status));
        println!("web ui: {}", crate::global::ui_link(global, suite_id));
    }
    Ok(0)
}
