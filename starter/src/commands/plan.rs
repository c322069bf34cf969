//! `switchyard plan`: a plan-only suite run. Devices are read, never written.

use anstream::{print, println};
use switchyard_starter::client;

use super::Target;
use super::watch::{self, Show};
use crate::cli::{Global, SuiteArgs};
use crate::{render, suite_input};

pub(crate) async fn run(global: &Global, args: SuiteArgs, json: bool) -> anyhow::Result<i32> {
    let target = super::target(global).await?;
    let (suite_id, n_devices, link) = match &target {
        Target::Temporal(client) => {
            let input = suite_input::load(global, &args, true)?;
            let (suite_id, n_devices) = (input.suite_id.clone(), input.devices.len());
            client::start_suite(client, &global.task_queue, input).await?;
            let link = super::ui_link(global, &suite_id);
            (suite_id, n_devices, link)
        }
        Target::Service(service) => {
            let created = suite_input::create(service, &args, true).await?;
            (created.suite_id, created.devices, created.web_ui)
        }
    };
    eprintln!("planning {n_devices} device{}: {link}", if n_devices == 1 { "" } else { "s" });
    let status = watch::follow(&target, &suite_id, Show::Nothing, None).await?;
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
