//! `switchyard revert`: start the suite that undoes a completed suite,
//! built from its receipts by `switchyard_starter::revert`, signed as the
//! user's launch (through Temporal), or asked of the service (`--api`),
//! which signs it for the API key's principal.

use anstream::{print, println};
use switchyard_proto::vocabulary::count;
use switchyard_starter::client;
use switchyard_starter::launch;

use super::watch::{self, Show};
use crate::cli::Global;
use crate::global::{Target, signing_key, ui_link};
use crate::render;

pub(crate) async fn run(global: &Global, suite_id: &str, requester: Option<String>, window: (String, String), follow: bool) -> anyhow::Result<i32> {
    let (window_start, window_end) = window;
    let window = switchyard_starter::revert::window(&window_start, &window_end, switchyard_starter::signing::now()).map_err(anyhow::Error::msg)?;
    let target = crate::global::target(global).await?;
    let (revert_id, devices, skipped, link) = match &target {
        Target::Temporal(client) => {
            let requester = requester.or_else(|| std::env::var("USER").ok()).map(|r| r.trim().to_string()).filter(|r| !r.is_empty())
                .unwrap_or_else(|| "unknown".into());
            let mut revert = switchyard_starter::revert::prepare(client, suite_id, &requester, window).await?;
            if let Some(key) = signing_key(global) {
                launch::sign_now(&mut revert.input, &key)?;
            }
            let (id, devices) = (revert.input.suite_id.clone(), revert.input.devices.len());
            client::start_suite(client, &global.task_queue, revert.input).await?;
            let link = ui_link(global, &id);
            (id, devices, revert.skipped, link)
        }
        Target::Service(service) => {
            let r = service.revert(suite_id, &window_start, &window_end).await?;
            (r.suite_id, r.devices, r.skipped.into_iter().map(|s| (s.device, s.reason)).collect(), r.web_ui)
        }
    };
    // Scripts and tests read the id from this line: the shape `run` prints.
    println!("suite {revert_id} started on {}", count(devices as u64, "device"));
    println!("reverts suite {suite_id}; see its plan for what stays (rows changed since, objects other suites use)");
    for (device, why) in &skipped {
        println!("  {device}: not reverted: {why}");
    }
    println!("web ui: {link}");
    if !follow {
        return Ok(0);
    }
    let status = watch::follow(&target, &revert_id, Show::Changes, None).await?;
    print!("\n{}", render::report(&status));
    println!("web ui: {link}");
    Ok(super::exit_code(&status))
}
