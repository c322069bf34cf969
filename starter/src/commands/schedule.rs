//! `switchyard schedule create suite.yaml --every/--cron`: a suite run on
//! a Temporal Schedule, each run a suite of its own; `schedule list`,
//! `pause`, `unpause`, `delete` for every switchyard schedule (suites and
//! drift checks).

use std::time::Duration;

use anstream::{print, println};
use comfy_table::Table;
use switchyard_proto::time::{format_rfc3339, parse_duration};
use switchyard_starter::schedules::{self, Every};

use crate::cli::{Global, ScheduleAction, ScheduleManage, When};

pub(crate) async fn run(global: &Global, action: ScheduleAction) -> anyhow::Result<i32> {
    anyhow::ensure!(global.api.is_none(), "schedules go to Temporal directly: leave out --api (and SWITCHYARD_API)");
    match action {
        ScheduleAction::Create { mut suite, when, valid_for } => {
            let every = every(&when)?;
            let secs = parse_duration(&valid_for).filter(|s| *s > 0 && *s < 10 * 365 * 86_400)
                .ok_or_else(|| anyhow::anyhow!("--valid-for {valid_for:?} is not a duration like 30d or 12h"))?;
            // Each run's launch is the schedule's one signature: the schedule
            // cannot outlive it.
            let most = switchyard_proto::trust::MAX_VALIDITY_SECS;
            anyhow::ensure!(global.signing_key.is_none() || secs as i64 <= most,
                "--valid-for {valid_for} is longer than a launch signature may last ({} days): each run is launched by the schedule's signature, \
                 so a signed schedule ends within {} days; create a new one then", most / 86_400, most / 86_400);
            let until = switchyard_starter::signing::now() + secs as i64;
            if suite.suite_id.is_none() {
                // The schedule's id is the suite's name unless given.
                let parsed = switchyard_proto::suite_file::SuiteFile::load(&suite.suite).map_err(anyhow::Error::msg)?;
                suite.suite_id = Some(parsed.name().to_string());
            }
            let input = crate::suite_input::load_launch(global, &suite, false, Some(until)).await?;
            let (id, devices) = (input.suite_id.clone(), input.devices.len());
            let client = crate::global::connect(global).await?;
            schedules::create_suite(&client, &global.task_queue, &every, Some(until), input).await?;
            println!("schedule {id} created: suite on {} device(s), {} until {}; runs are {id}-<time>", devices, schedules::describe(&every), format_rfc3339(until));
            Ok(0)
        }
        ScheduleAction::Manage(m) => manage(global, m, None).await,
    }
}

/// When a schedule fires, from `--every` or `--cron`.
pub(crate) fn every(when: &When) -> anyhow::Result<Every> {
    match (&when.every, &when.cron) {
        (Some(e), None) => {
            let secs = parse_duration(e).filter(|s| *s >= 1 && *s <= 366 * 86_400)
                .ok_or_else(|| anyhow::anyhow!("--every {e:?} is not an interval like 1h, 15m or 30s"))?;
            Ok(Every::Interval(Duration::from_secs(secs)))
        }
        (None, Some(c)) => {
            anyhow::ensure!(c.split_whitespace().count() == 5, "--cron {c:?}: give five fields (minute hour day-of-month month day-of-week)");
            Ok(Every::Cron(c.trim().to_string()))
        }
        _ => anyhow::bail!("say when it runs: --every INTERVAL or --cron EXPRESSION"),
    }
}

/// List, pause, unpause or delete; `kind` limits a list to one kind.
pub(crate) async fn manage(global: &Global, action: ScheduleManage, kind: Option<&str>) -> anyhow::Result<i32> {
    let client = crate::global::connect(global).await?;
    match action {
        ScheduleManage::List { output } => {
            let listed: Vec<_> = schedules::list(&client).await?.into_iter().filter(|s| kind.is_none_or(|k| s.kind == k)).collect();
            if output.json() {
                crate::output::print_json(&listed)?;
                return Ok(0);
            }
            if listed.is_empty() {
                println!("no schedules");
                return Ok(0);
            }
            let mut table = Table::new();
            table.set_header(["SCHEDULE", "KIND", "WHEN", "STATE", "LAST RUN", "NEXT RUN"]);
            for s in &listed {
                let state = if s.paused { format!("paused: {}", s.note) } else { "active".into() };
                let last = s.recent.last().cloned().unwrap_or_else(|| "-".into());
                table.add_row([s.schedule_id.clone(), s.kind.clone(), s.every.clone(), state, last, s.next.map_or("-".into(), format_rfc3339)]);
            }
            print!("{}", crate::render::table("", table));
        }
        ScheduleManage::Pause { id, note } => {
            schedules::pause(&client, &id, &note).await?;
            println!("schedule {id} paused");
        }
        ScheduleManage::Unpause { id, note } => {
            schedules::unpause(&client, &id, &note).await?;
            println!("schedule {id} unpaused");
        }
        ScheduleManage::Delete { id } => {
            schedules::delete(&client, &id).await?;
            println!("schedule {id} deleted");
        }
    }
    Ok(0)
}
