//! `switchyard plan`: a plan-only suite run. Devices are read, never written.

use anstream::{print, println};

use super::watch::{self, Show};
use crate::cli::{Global, SuiteArgs};
use crate::render;

/// What a run of this plan will meet: the approvals its policy asks, and a
/// change window that has already ended (a run would be refused).
fn ahead(status: &switchyard_proto::v1::SuiteStatus, now: i64) -> String {
    let mut out = String::new();
    if status.plan_hash.is_empty() {
        return out;
    }
    let approvals = status.policy.as_ref().map(|p| p.approvals.as_slice()).unwrap_or_default();
    if approvals.is_empty() {
        out.push_str("\napprovals: none asked by the policy; a run applies once its window opens\n");
    } else {
        let needed: Vec<String> = approvals.iter().map(switchyard_workflows::approval::describe).collect();
        out.push_str(&format!("\napprovals a run will wait for: {}\n", needed.join("; ")));
    }
    if let Some(end) = switchyard_proto::time::parse_rfc3339(&status.window_end).filter(|end| *end <= now) {
        out.push_str(&format!("warning: the change window ended at {}: `switchyard run` refuses this suite until it has a later window\n",
            switchyard_proto::time::format_rfc3339(end)));
    }
    out
}

pub(crate) async fn run(global: &Global, args: SuiteArgs, json: bool) -> anyhow::Result<i32> {
    let target = crate::global::target(global).await?;
    let (suite_id, n_devices, link) = super::launch(global, &target, &args, true).await?;
    eprintln!("planning {n_devices} device{}: {link}", if n_devices == 1 { "" } else { "s" });
    let status = watch::follow(&target, &suite_id, Show::Nothing, None).await?;
    if json {
        crate::output::print_json(&status)?;
    } else {
        print!("{}", render::plan(&status));
        if !status.error.is_empty() {
            println!("\n{}", status.error);
        }
        print!("{}", ahead(&status, switchyard_starter::signing::now()));
    }
    Ok(super::exit_code(&status))
}
