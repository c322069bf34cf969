//! `switchyard plan`: a plan-only suite run. Devices are read, never written.

use anstream::{print, println};
use switchyard_starter::client;

use super::watch::{self, Show};
use crate::cli::{Global, SuiteArgs};
use crate::{render, suite_input};

pub(crate) async fn run(global: &Global, args: SuiteArgs, json: bool) -> anyhow::Result<i32> {
    let input = suite_input::load(global, &args, true)?;
    let client = super::connect(global).await?;
    let (suite_id, n_devices) = (input.suite_id.clone(), input.devices.len());
    client::start_suite(&client, &global.task_queue, input).await?;
    eprintln!("planning {n_devices} device{}: {}", if n_devices == 1 { "" } else { "s" }, super::ui_link(global, &suite_id));
    let status = watch::follow(&client, &suite_id, Show::Nothing, None).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print!("{}", render::plan(&status));
        if !status.error.is_empty() {
            println!("\n{}", status.error);
        }
    }
    Ok(super::exit_code(&status))
}
