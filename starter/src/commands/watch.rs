//! `switchyard watch`, and the following of a suite that `run --watch` and
//! `plan` share. On a terminal: a progress bar (devices done of all, the
//! wave, the phase) under the lines below. Otherwise only the lines: the
//! phase when it changes and one per device status change, worded as
//! `render::Changes` fixes them, because logs and tests read them.

use std::io::IsTerminal;
use std::time::Duration;

use anstream::print;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use switchyard_proto::v1::{SuitePhase, SuiteStatus};
use switchyard_proto::vocabulary::is_final;

use crate::global::Target;

use crate::cli::Global;
use crate::render;

/// How often the suite is asked for its status. Each query is answered by
/// a worker from workflow state; this only keeps the loop from spinning.
const POLL: Duration = Duration::from_millis(500);

pub(crate) async fn run(global: &Global, suite_id: &str, until: Option<String>, json: bool) -> anyhow::Result<i32> {
    let until = match until {
        None => None,
        Some(name) => match switchyard_proto::vocabulary::phase_typed(&name) {
            Ok(p) => Some(p),
            Err(why) => return Err(crate::exit::usage(format!("--until: {why}"))),
        },
    };
    let target = crate::global::target(global).await?;
    if json {
        // Scripts wait and read one document: the status it stopped at.
        let status = follow(&target, suite_id, Show::Nothing, until).await?;
        crate::output::print_json(&status)?;
        return Ok(if until.is_some_and(|p| status.phase() == p) { crate::exit::OK } else { super::exit_code(&status) });
    }
    println!("web ui: {}", crate::global::ui_link(global, suite_id));
    let status = follow(&target, suite_id, Show::Changes, until).await?;
    if until.is_some_and(|p| status.phase() == p) {
        return Ok(0);
    }
    print!("\n{}", render::report(&status));
    Ok(super::exit_code(&status))
}

/// What to show while following a suite.
pub(crate) enum Show {
    /// Nothing: the caller prints the outcome (`plan`).
    Nothing,
    /// Phase and device changes, and a progress bar on a terminal.
    Changes,
}

/// Follows a suite until it ends (then returns its result) or reaches
/// `until` (then returns that status).
pub(crate) async fn follow(target: &Target, suite_id: &str, show: Show, until: Option<SuitePhase>) -> anyhow::Result<SuiteStatus> {
    let show = matches!(show, Show::Changes);
    let bar = if show && std::io::stdout().is_terminal() { Some(progress_bar()?) } else { None };
    let mut changes = render::Changes::default();
    loop {
        let status = target.status(suite_id).await?;
        if show {
            let lines = changes.since_last(&status);
            match &bar {
                // Printed above the bar, through anstream so colour follows stdout and NO_COLOR.
                Some(bar) => {
                    if !lines.is_empty() {
                        bar.suspend(|| print!("{lines}"));
                    }
                    let progress = render::progress(&status);
                    bar.set_length(progress.total);
                    bar.set_position(progress.done);
                    bar.set_message(progress.message);
                }
                None => print!("{lines}"),
            }
        }
        let reached = until.is_some_and(|p| status.phase() == p);
        if reached || is_final(status.phase()) {
            if let Some(bar) = &bar {
                bar.finish_and_clear();
            }
            return if reached { Ok(status) } else { target.result(suite_id).await };
        }
        tokio::time::sleep(POLL).await;
    }
}

fn progress_bar() -> anyhow::Result<ProgressBar> {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout());
    bar.set_style(ProgressStyle::with_template("{spinner} [{bar:30}] {msg}")?.progress_chars("=> "));
    // The spinner shows the CLI is alive while nothing moves (planning, awaiting approval).
    bar.enable_steady_tick(Duration::from_millis(120));
    Ok(bar)
}
