//! `switchyard approve|reject`: a reviewer's verdict on a suite's plan, sent
//! as the same signal (with the same JSON body) as the Web UI sends. It
//! then shows whether the suite counted it. Operators' answers to a paused
//! suite are `operate`'s, not this.

use anyhow::Context;
use switchyard_proto::v1::{ApprovalSignal, Decision};
use switchyard_workflows::SuiteWorkflow;
use temporalio_client::WorkflowSignalOptions;

use crate::cli::{Global, Review};
use crate::connect;

pub(crate) async fn run(global: &Global, d: Review, verdict: Decision) -> anyhow::Result<i32> {
    let client = connect::client(global).await?;
    let plan_hash = match d.plan_hash {
        Some(h) => h,
        None => {
            let status = super::query(&client, &d.suite_id).await?;
            eprintln!("deciding on the current plan {}", status.plan_hash);
            status.plan_hash
        }
    };
    let signal = ApprovalSignal { reviewer: d.reviewer.clone(), decision: verdict as i32, plan_hash, comment: d.comment };
    connect::suite(&client, &d.suite_id)
        .signal(SuiteWorkflow::approval, signal, WorkflowSignalOptions::default())
        .await
        .with_context(|| format!("cannot signal suite {}", d.suite_id))?;
    // The suite records every verdict with whether it counted; show it.
    // Tests and scripts read these lines and the exit code.
    let status = super::query(&client, &d.suite_id).await?;
    match status.decisions.iter().rev().find(|r| r.signal.as_ref().is_some_and(|s| s.reviewer == d.reviewer)) {
        Some(r) if r.counted => println!("{}: {} counted", d.suite_id, if verdict == Decision::Approve { "approval" } else { "rejection" }),
        Some(r) => {
            println!("{}: decision recorded but not counted: {}", d.suite_id, r.reason);
            return Ok(2);
        }
        None => println!("{}: decision sent", d.suite_id),
    }
    Ok(0)
}
