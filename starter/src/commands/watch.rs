//! `switchyard watch`, and the following of a suite that `run --watch` and
//! `plan` share. On a terminal, a refreshing per-device table; otherwise one
//! line per change: the phase when it changes and one per device status
//! change, because logs and tests read them.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Duration;

use anyhow::bail;
use switchyard_proto::v1::{SuitePhase, SuiteStatus};
use switchyard_proto::vocabulary::{is_final, phase_from_name, phase_name};
use switchyard_starter::client::{self, Client};

use crate::cli::Global;
use crate::render;

/// How often the suite is asked for its status. Each query is answered by
/// a worker from workflow state; this only keeps the loop from spinning.
const POLL: Duration = Duration::from_millis(500);

pub(crate) async fn run(global: &Global, suite_id: &str, until: Option<String>) -> anyhow::Result<i32> {
    let until = match until {
        None => None,
        Some(name) => match phase_from_name(&name) {
            Some(p) => Some(p),
            None => bail!("--until {name:?} is not a phase; expected e.g. awaiting_approval, applying, succeeded"),
        },
    };
    let client = super::connect(global).await?;
    println!("web ui: {}", super::ui_link(global, suite_id));
    let status = follow(&client, suite_id, Show::Changes, until).await?;
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
    /// Phase and device changes, or a refreshing table on a terminal.
    Changes,
}

/// Follows a suite until it ends (then returns its result) or reaches
/// `until` (then returns that status).
pub(crate) async fn follow(client: &Client, suite_id: &str, show: Show, until: Option<SuitePhase>) -> anyhow::Result<SuiteStatus> {
    let show = matches!(show, Show::Changes);
    let table = show && std::io::stdout().is_terminal();
    let mut last_phase = SuitePhase::Unspecified;
    let mut last_devices: BTreeMap<String, i32> = BTreeMap::new();
    loop {
        let status = client::status(client, suite_id).await?;
        if table {
            // Clear the screen and redraw: a table that refreshes in place.
            print!("\x1b[H\x1b[2J{}", render::progress(&status));
        } else if show {
            if status.phase() != last_phase {
                last_phase = status.phase();
                println!("phase: {}", phase_name(last_phase));
                if last_phase == SuitePhase::AwaitingApproval {
                    println!("{}", render::plan(&status).trim_end());
                    println!("approve with: switchyard approve {suite_id} --reviewer <name> --plan-hash {}", status.plan_hash);
                }
                if last_phase == SuitePhase::Paused {
                    println!("paused: {}", status.devices.iter().filter(|d| !d.error.is_empty()).map(|d| d.error.as_str()).collect::<Vec<_>>().join("; "));
                    println!("decide with: switchyard resume|rollback|abandon {suite_id} --operator <name>");
                }
            }
            for d in &status.devices {
                if last_devices.get(&d.device) != Some(&d.status) {
                    last_devices.insert(d.device.clone(), d.status);
                    println!("  {:<14} {}", d.device, render::device_status(d.status));
                }
            }
        }
        let reached = until.is_some_and(|p| status.phase() == p);
        if reached {
            return Ok(status);
        }
        if is_final(status.phase()) {
            return Ok(client::result(client, suite_id).await?);
        }
        tokio::time::sleep(POLL).await;
    }
}
