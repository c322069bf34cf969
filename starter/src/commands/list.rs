//! `switchyard list`: suites by search attributes, as the Web UI filters them.

use anstream::print;
use switchyard_starter::client::{self, SuiteFilter};

use crate::cli::Global;
use crate::render;

pub(crate) async fn run(global: &Global, filter: SuiteFilter, limit: usize) -> anyhow::Result<i32> {
    let client = super::connect(global).await?;
    let suites = client::list_suites(&client, &filter, limit).await?;
    print!("{}", render::suites(&suites));
    Ok(0)
}
