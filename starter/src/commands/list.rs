//! `switchyard list`: suites by search attributes, as the Web UI filters them.

use anstream::print;
use switchyard_starter::client::SuiteFilter;

use crate::cli::Global;
use crate::render;

pub(crate) async fn run(global: &Global, mut filter: SuiteFilter, limit: usize) -> anyhow::Result<i32> {
    // A phase as typed (`rolledback`) is the phase's name, or refused with
    // the list: a filter nothing matches would print an empty table.
    if let Some(typed) = filter.status.take() {
        let phase = switchyard_proto::vocabulary::phase_typed(&typed).map_err(|why| anyhow::anyhow!("--status: {why}"))?;
        filter.status = Some(switchyard_proto::vocabulary::phase_name(phase).to_string());
    }
    let suites = crate::global::target(global).await?.list(&filter, limit).await?;
    print!("{}", render::suites(&suites));
    Ok(0)
}
