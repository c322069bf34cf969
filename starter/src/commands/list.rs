//! `switchyard list`: suites by search attributes, as the Web UI filters them.

use switchyard_starter::client::{self, SuiteFilter};

use crate::cli::Global;

pub(crate) async fn run(global: &Global, filter: SuiteFilter, limit: usize) -> anyhow::Result<i32> {
    let client = super::connect(global).await?;
    let suites = client::list_suites(&client, &filter, limit).await?;
    println!("{:<44} {:<22} {:<10} {:>7} {:>6}", "SUITE", "STATUS", "REQUESTER", "DEVICES", "FAILED");
    for s in suites {
        println!("{:<44} {:<22} {:<10} {:>7} {:>6}", s.suite_id, s.status, s.requester, s.devices, s.failed);
    }
    Ok(0)
}
