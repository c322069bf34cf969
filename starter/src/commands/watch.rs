//! `switchyard watch`: live per-device progress until the suite ends.

use anyhow::bail;
use switchyard_proto::vocabulary::phase_from_name;

use crate::cli::Global;
use crate::{connect, render};

pub(crate) async fn run(global: &Global, suite_id: &str, until: Option<String>) -> anyhow::Result<i32> {
    let until = match until {
        None => None,
        Some(name) => match phase_from_name(&name) {
            Some(p) => Some(p),
            None => bail!("--until {name:?} is not a phase; expected e.g. awaiting_approval, applying, succeeded"),
        },
    };
    let client = connect::client(global).await?;
    println!("web ui: {}", connect::ui_link(global, suite_id));
    let status = super::watch_until(&client, suite_id, false, until).await?;
    if until.is_some_and(|p| render::phase(&status) == p) {
        return Ok(0);
    }
    print!("\n{}", render::report(&status));
    Ok(super::exit_code(&status))
}
