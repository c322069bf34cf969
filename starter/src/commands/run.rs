//! `switchyard run`: launch a suite; with --watch, follow it to the end.

use anstream::{print, println};
use switchyard_proto::vocabulary::count;

use super::watch::{self, Show};
use crate::cli::{Global, SuiteArgs};
use crate::render;

pub(crate) async fn run(global: &Global, args: SuiteArgs, follow: bool, json: bool) -> anyhow::Result<i32> {
    let target = crate::global::target(global).await?;
    let (suite_id, n_devices, link) = super::launch(global, &target, &args, false).await?;
    if json {
        if !follow {
            crate::output::print_json(&serde_json::json!({ "suite_id": suite_id, "devices": n_devices, "web_ui": link }))?;
            return Ok(crate::exit::OK);
        }
        let status = watch::follow(&target, &suite_id, Show::Nothing, None).await?;
        crate::output::print_json(&status)?;
        return Ok(super::exit_code(&status));
    }
    // Scripts and tests read the id from this line: keep its shape.
    println!("suite {suite_id} started on {}", count(n_devices as u64, "device"));
    println!("web ui: {link}");
    if !follow {
        return Ok(0);
    }
    let status = watch::follow(&target, &suite_id, Show::Changes, None).await?;
    print!("\n{}", render::report(&status));
    println!("web ui: {link}");
    Ok(super::exit_code(&status))
}
