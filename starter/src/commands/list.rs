//! `switchyard list`: suites by search attributes, as the Web UI filters them.

use futures_util::StreamExt;
use switchyard_proto::names;
use temporalio_client::WorkflowListOptions;
use temporalio_common::search_attributes::SearchAttributeKey;

use crate::cli::Global;
use crate::connect;

pub(crate) async fn run(global: &Global, status: Option<String>, name: Option<String>, limit: usize) -> anyhow::Result<i32> {
    let mut query = format!("WorkflowType = '{}'", names::SUITE_WORKFLOW);
    let quote = |v: &str| v.replace('\'', "");
    if let Some(s) = status {
        query.push_str(&format!(" AND {} = '{}'", names::SA_SUITE_STATUS, quote(&s)));
    }
    if let Some(n) = name {
        query.push_str(&format!(" AND {} = '{}'", names::SA_SUITE_NAME, quote(&n)));
    }
    let client = connect::client(global).await?;
    let mut stream = client.list_workflows(query, WorkflowListOptions::builder().limit(limit).build());
    println!("{:<44} {:<22} {:<10} {:>7} {:>6}", "SUITE", "STATUS", "REQUESTER", "DEVICES", "FAILED");
    let (status_key, requester_key) = (SearchAttributeKey::keyword(names::SA_SUITE_STATUS), SearchAttributeKey::keyword(names::SA_REQUESTER));
    let (devices_key, failed_key) = (SearchAttributeKey::int(names::SA_DEVICE_COUNT), SearchAttributeKey::int(names::SA_FAILED_COUNT));
    while let Some(item) = stream.next().await {
        let wf = item?;
        let sa = wf.search_attributes();
        println!("{:<44} {:<22} {:<10} {:>7} {:>6}", wf.id(), sa.get(&status_key).unwrap_or_default(),
            sa.get(&requester_key).unwrap_or_default(), sa.get(&devices_key).unwrap_or_default(), sa.get(&failed_key).unwrap_or_default());
    }
    Ok(0)
}
