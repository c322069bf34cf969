//! `switchyard plan`: a plan-only suite run. Devices are read, never written.

use crate::cli::{Global, SuiteArgs};
use crate::{connect, render, suite_input};

pub(crate) async fn run(global: &Global, args: SuiteArgs, json: bool) -> anyhow::Result<i32> {
    let mut input = suite_input::load(&args, true)?;
    input.suite_id = format!("{}-plan", input.suite_id);
    let client = connect::client(global).await?;
    let link = super::start(global, &client, input.clone()).await?;
    eprintln!("planning {} device(s): {link}", input.devices.len());
    let status = super::watch(&client, &input.suite_id, true).await?;
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
