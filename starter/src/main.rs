//! `switchyard`: the operator CLI. Parses, dispatches, maps errors to exit
//! codes. It asks Temporal; it never links device or credential code.

mod cli;
mod commands;
mod connect;
mod render;
mod suite_input;

use clap::Parser;
use switchyard_proto::v1::{Decision, OperatorAction};

use crate::cli::{Cli, Command};

/// Exit codes: 0 done and succeeded, 1 error, 2 the suite ended without
/// succeeding (failed, rolled back, rejected, expired).
#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plan { suite, json } => commands::plan::run(&cli.global, suite, json).await,
        Command::Run { suite, watch } => commands::run::run(&cli.global, suite, watch).await,
        Command::Status { suite_id, json } => commands::status::run(&cli.global, &suite_id, json).await,
        Command::Watch { suite_id, until } => commands::watch::run(&cli.global, &suite_id, until).await,
        Command::List { status, name, limit } => commands::list::run(&cli.global, status, name, limit).await,
        Command::Resume(o) => commands::operate::answer_pause(&cli.global, o, OperatorAction::Resume).await,
        Command::Rollback(o) => commands::operate::answer_pause(&cli.global, o, OperatorAction::Rollback).await,
        Command::Abandon(o) => commands::operate::answer_pause(&cli.global, o, OperatorAction::Abandon).await,
        Command::Cancel { suite_id, reason } => commands::operate::cancel(&cli.global, &suite_id, reason).await,
        Command::ExtendWindow { suite_id, end, operator, comment } => {
            commands::operate::extend_window(&cli.global, &suite_id, end, operator, comment).await
        }
        Command::SetParallelism { suite_id, parallelism, operator } => {
            commands::operate::set_parallelism(&cli.global, &suite_id, parallelism, operator).await
        }
        Command::Approve(r) => commands::review::run(&cli.global, r, Decision::Approve).await,
        Command::Reject(r) => commands::review::run(&cli.global, r, Decision::Reject).await,
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}
