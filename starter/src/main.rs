//! `switchyard`: the operator CLI. Parses, dispatches, maps errors to exit
//! codes. It asks Temporal only through `switchyard_starter::client`; it
//! never links device or credential code.

mod cli;
mod commands;
mod exit;
mod global;
mod output;
mod render;
mod serve;
mod suite_input;

use clap::Parser;
use switchyard_proto::v1::{Decision, OperatorAction};
use switchyard_starter::client::SuiteFilter;

use crate::cli::{Cli, Command};
use crate::commands::{audit, device, doctor, drift, events, keys, list, manual, operate, plan, review, revert, run, schedule, sign, status, watch};

/// Exit codes: see [`exit`] (0 done, 1 error, 2 usage, 3 refused, 4 the
/// suite did not succeed, 5 drift found).
#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let global = &cli.global;
    match switchyard_starter::traces::install("switchyard", global.otlp_endpoint.as_deref()) {
        Ok(Some(traces)) => {
            let _ = global::TRACES.set(traces);
        }
        Ok(None) => {}
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
    let result = match cli.command {
        Command::Plan { suite, output } => plan::run(global, suite, output.json()).await,
        Command::Run { suite, watch, output } => run::run(global, suite, watch, output.json()).await,
        Command::Revert { suite_id, requester, window_start, window_end, watch } => {
            revert::run(global, &suite_id, requester, (window_start.unwrap_or_default(), window_end.unwrap_or_default()), watch).await
        }
        Command::Status { suite_id, output, devices: false, .. } => status::run(global, &suite_id, output.json()).await,
        Command::Status { suite_id, output, devices: true, device_status, diff, page_size, page_token } => {
            status::devices(global, &suite_id, output.json(), device_status.as_deref(), diff, page_size, page_token).await
        }
        Command::Watch { suite_id, until, output } => watch::run(global, &suite_id, until, output.json()).await,
        Command::List { status, name, requester, limit, plans, output } => {
            let change = (!plans).then_some(true);
            list::run(global, SuiteFilter { status, requester, change, ..Default::default() }, name, limit, output.json()).await
        }
        Command::Approve(r) => review::run(global, r, Decision::Approve).await,
        Command::Reject(r) => review::run(global, r, Decision::Reject).await,
        Command::Resume(a) => operate::answer_pause(global, a, OperatorAction::Resume).await,
        Command::Rollback(a) => operate::answer_pause(global, a, OperatorAction::Rollback).await,
        Command::Abandon(a) => operate::answer_pause(global, a, OperatorAction::Abandon).await,
        Command::Cancel { suite_id, reason, operator } => operate::cancel(global, &suite_id, &reason, operator).await,
        Command::ExtendWindow { suite_id, end, operator, comment } => operate::extend_window(global, &suite_id, end, operator, comment).await,
        Command::SetParallelism { suite_id, parallelism, operator } => operate::set_parallelism(global, &suite_id, parallelism, operator).await,
        Command::Sign { decision, suite_id, value, comment, valid_for } => sign::run(global, &decision, &suite_id, value, &comment, &valid_for).await,
        Command::Device { name, inventory, output } => device::run(global, &name, inventory.as_deref(), output.json()).await,
        Command::Events { suite_id, output } => events::run(global, &suite_id, output.json()).await,
        Command::Drift { action } => drift::run(global, action).await,
        Command::Schedule { action } => schedule::run(global, action).await,
        Command::Serve(args) => serve::run(global, args).await,
        Command::Doctor { devices, inventory, output } => doctor::run(&devices, &inventory, output.json()),
        Command::Completions { shell } => manual::completions(shell),
        Command::Man { dir } => manual::man_pages(&dir),
        Command::Keys { action } => keys::run(global, action),
        Command::Audit { target, file, output } => match (target.as_str(), file) {
            ("verify", Some(file)) => audit::verify(global, &file),
            ("verify", None) => Err(anyhow::anyhow!("audit verify needs the exported file: switchyard audit verify FILE")),
            (suite_id, None) => audit::show(global, suite_id, output.json()).await,
            (_, Some(_)) => Err(anyhow::anyhow!("audit takes a suite id, or `verify FILE`")),
        },
    };
    // Spans still batched would die with the process.
    if let Some(Err(e)) = global::TRACES.get().map(|t| t.shutdown()) {
        eprintln!("warning: {e}");
    }
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {}", exit::describe(&e));
            std::process::exit(exit::of_error(&e));
        }
    }
}

