//! `switchyard list`: suites by search attributes, as the Web UI filters them.

use anstream::print;
use switchyard_starter::client::SuiteFilter;

use crate::cli::Global;
use crate::render;

pub(crate) async fn run(global: &Global, filter: SuiteFilter, limit: usize) -> anyhow::Result<i32> {
    let suites = crate::global::target(global).await?.list(&filter, limit).await?;
    print!("{}", render::suites(&suites));
    Ok(0)
}
