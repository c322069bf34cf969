//! `switchyard plan`: a plan-only suite run. Devices are read, never written.

use anstream::{print, println};

use super::watch::{self, Show};
use crate::cli::{Global, SuiteArgs};
use crate::render;

pub(crate) async fn run(global: &Global, args: SuiteArgs, json: bool) -> anyhow::Result<i32> {
    let target = crate::global::target(global).await?;
    let (suite_id, n_devices, link) = super::launch(global, &target, &args, true).await?;
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
