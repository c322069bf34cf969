//! `switchyard approve|reject`: a reviewer's verdict on a suite's plan, sent
//! as the same signal (with the same JSON body) as the Web UI sends. It
//! then shows whether the suite counted it. Operators' answers to a paused
//! suite are `operate`'s, not this.

use switchyard_proto::v1::{ApprovalSignal, Decision};
use switchyard_starter::client;

use crate::cli::{Global, Review};

pub(crate) async fn run(global: &Global, review: Review, verdict: Decision) -> anyhow::Result<i32> {
    let client = super::connect(global).await?;
    let suite_id = review.suite_id;
    let plan_hash = match review.plan_hash {
        Some(h) => h,
        None => {
            let status = client::status(&client, &suite_id).await?;
            eprintln!("deciding on the current plan {}", status.plan_hash);
            status.plan_hash
        }
    };
    let signal = ApprovalSignal { reviewer: review.reviewer.clone(), decision: verdict as i32, plan_hash, comment: review.comment };
    client::send_review(&client, &suite_id, signal).await?;
    // The suite records every verdict with whether it counted; show it.
    // Tests and scripts read these lines and the exit code.
    let status = client::status(&client, &suite_id).await?;
    let recorded = status.decisions.iter().rev().find(|r| r.signal.as_ref().is_some_and(|s| s.reviewer == review.reviewer));
    match recorded {
        Some(r) if r.counted => {
            println!("{suite_id}: {} counted", if verdict == Decision::Approve { "approval" } else { "rejection" });
        }
        Some(r) => {
            println!("{suite_id}: decision recorded but not counted: {}", r.reason);
            return Ok(2);
        }
        None => println!("{suite_id}: decision sent"),
    }
    Ok(0)
}
