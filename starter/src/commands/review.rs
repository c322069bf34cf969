//! `switchyard approve|reject`: a reviewer's verdict on a suite's plan, sent
//! as the same signal (with the same JSON body) as the Web UI sends, signed
//! with the reviewer's key when one is configured. It then shows whether
//! the suite counted it. Operators' answers to a paused suite are
//! `operate`'s, not this.

use switchyard_proto::trust::Kind;
use switchyard_proto::v1::{ApprovalSignal, Decision, RecordedDecision};
use switchyard_starter::{client, decide};

use crate::global::Target;
use crate::cli::{Global, Review};

pub(crate) async fn run(global: &Global, review: Review, verdict: Decision) -> anyhow::Result<i32> {
    let client = match crate::global::target(global).await? {
        Target::Temporal(client) => client,
        Target::Service(service) => {
            let plan = review.plan_hash.clone().unwrap_or_default();
            let reviewed = service.review(&review.suite_id, verdict == Decision::Approve, &plan, &review.comment).await?;
            return Ok(show(&review.suite_id, verdict, reviewed.as_ref()));
        }
    };
    let suite_id = review.suite_id;
    let kind = Kind::of_verdict(verdict).unwrap_or(Kind::Reject);
    let signed = super::sign_for(global, &client, kind, &suite_id, String::new(), &review.comment, review.plan_hash.as_deref()).await?;
    anyhow::ensure!(signed.is_some() || !review.reviewer.trim().is_empty(),
        "no signing key (--signing-key or SWITCHYARD_SIGNING_KEY) and no --reviewer: nobody to decide as");
    let plan_hash = match review.plan_hash {
        Some(h) => h,
        None => {
            let status = client::status(&client, &suite_id).await?;
            eprintln!("deciding on the current plan {}", status.plan_hash);
            status.plan_hash
        }
    };
    let signal = ApprovalSignal { reviewer: review.reviewer.clone(), decision: verdict as i32, plan_hash, comment: review.comment, signed };
    // The suite records every verdict with whether it counted; show it.
    // Tests and scripts read these lines and the exit code.
    let recorded = decide::review(&client, &suite_id, signal).await?;
    Ok(show(&suite_id, verdict, recorded.as_ref()))
}

/// Whether the suite counted the verdict, as scripts read it; exits
/// refused when it did not.
fn show(suite_id: &str, verdict: Decision, recorded: Option<&RecordedDecision>) -> i32 {
    match recorded {
        Some(r) if r.counted => {
            let by = r.signer.as_ref().map(|s| format!(" ({} {})", s.principal, s.fingerprint)).unwrap_or_default();
            println!("{suite_id}: {} counted{by}", if verdict == Decision::Approve { "approval" } else { "rejection" });
        }
        Some(r) => {
            println!("{suite_id}: decision recorded but not counted: {}", r.reason);
            return crate::exit::REFUSED;
        }
        None => println!("{suite_id}: decision sent"),
    }
    0
}
