//! `switchyard status` (alias `report`): the suite's phase, timings, plan,
//! devices, decisions and logs, or the whole status as JSON; with
//! `--devices`, the suite's devices a page at a time.

use anstream::{print, println};

use crate::cli::Global;
use crate::render;

pub(crate) async fn run(global: &Global, suite_id: &str, json: bool) -> anyhow::Result<i32> {
    let target = crate::global::target(global).await?;
    let status = target.status(suite_id).await?;
    if json {
        crate::output::print_json(&status)?;
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
    // As `watch` of the same suite exits: a suite that ended without
    // succeeding is not a success to a script either.
    Ok(super::exit_code(&status))
}

/// `switchyard status <id> --devices`: one page of the suite's devices (a
/// table, or the page as JSON), and the command for the next page.
pub(crate) async fn devices(
    global: &Global, suite_id: &str, json: bool, status: Option<&str>, diff: bool, page_size: u32, page_token: String,
) -> anyhow::Result<i32> {
    let max = switchyard_proto::names::DEVICE_PAGE_MAX;
    if !(1..=max).contains(&page_size) {
        return Err(crate::exit::usage(format!("--page-size {page_size} is out of range 1..={max}")));
    }
    let status = match status {
        Some(name) => switchyard_proto::vocabulary::device_status_typed(name).map_err(|why| crate::exit::usage(format!("--device-status: {why}")))?,
        None => switchyard_proto::v1::DeviceStatus::Unspecified,
    };
    let target = crate::global::target(global).await?;
    let req = switchyard_proto::v1::DevicePageRequest { page_token, page_size, status: status as i32, with_diff: diff };
    let page = target.devices_page(suite_id, req.clone()).await?;
    if json {
        crate::output::print_json(&page)?;
        return Ok(0);
    }
    print!("{}", render::device_page(&page));
    if !page.next_page_token.is_empty() {
        let mut next = format!("switchyard status {suite_id} --devices --page-token {} --page-size {page_size}", page.next_page_token);
        if status != switchyard_proto::v1::DeviceStatus::Unspecified {
            next.push_str(&format!(" --device-status {}", switchyard_proto::vocabulary::device_status_name(status)));
        }
        if diff {
            next.push_str(" --diff");
        }
        println!("next page: {next}");
    }
    Ok(0)
}
