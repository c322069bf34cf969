//! `switchyard run`: launch a suite; with --watch, follow it to the end.

use crate::cli::{Global, SuiteArgs};
use crate::{connect, render, suite_input};

pub(crate) async fn run(global: &Global, args: SuiteArgs, watch: bool) -> anyhow::Result<i32> {
    let input = suite_input::load(&args, false)?;
    let client = connect::client(global).await?;
    let link = super::start(global, &client, input.clone()).await?;
    println!("suite {} started on {} device(s)", input.suite_id, input.devices.len());
    println!("web ui: {link}");
    if !watch {
        return Ok(0);
    }
    let status = super::watch(&client, &input.suite_id, false).await?;
    print!("\n{}", render::report(&status));
    println!("web ui: {link}");
    Ok(super::exit_code(&status))
}
