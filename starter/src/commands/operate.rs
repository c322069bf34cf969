//! An operator's hand on a running suite: the answer to a pause (resume,
//! rollback, abandon: a signal, logged by the suite with whether it
//! applied), cancellation, and the two validated updates (window end,
//! parallelism), which the suite refuses without a trace. Reviewers'
//! verdicts on a plan are `review`'s, not this.

use switchyard_proto::v1::{ExtendWindow, OperatorAction, OperatorSignal, SetParallelism};
use switchyard_starter::client;

use crate::cli::{Global, PauseAnswer};

pub(crate) async fn answer_pause(global: &Global, answer: PauseAnswer, action: OperatorAction) -> anyhow::Result<i32> {
    let client = super::connect(global).await?;
    let suite_id = answer.suite_id;
    let signal = OperatorSignal { operator: answer.operator.clone(), action: action as i32, comment: answer.comment };
    client::send_pause_answer(&client, &suite_id, signal).await?;
    // Every operator action is logged with whether it applied; show it.
    let status = client::status(&client, &suite_id).await?;
    match status.operator_log.iter().rev().find(|e| e.operator == answer.operator) {
        Some(e) if e.applied => println!("{suite_id}: {} accepted", e.action),
        Some(e) => {
            println!("{suite_id}: {} not applied: {}", e.action, e.reason);
            return Ok(2);
        }
        None => println!("{suite_id}: sent"),
    }
    Ok(0)
}

pub(crate) async fn cancel(global: &Global, suite_id: &str, reason: &str) -> anyhow::Result<i32> {
    let client = super::connect(global).await?;
    client::cancel(&client, suite_id, reason).await?;
    println!("{suite_id}: cancellation requested; in-flight devices finish, changed devices are rolled back");
    println!("web ui: {}", super::ui_link(global, suite_id));
    Ok(0)
}

pub(crate) async fn extend_window(global: &Global, suite_id: &str, end: String, operator: String, comment: String) -> anyhow::Result<i32> {
    let client = super::connect(global).await?;
    let new_end = client::extend_window(&client, suite_id, ExtendWindow { operator, end, comment }).await?;
    println!("{suite_id}: window now ends at {new_end}");
    Ok(0)
}

pub(crate) async fn set_parallelism(global: &Global, suite_id: &str, parallelism: u32, operator: String) -> anyhow::Result<i32> {
    let client = super::connect(global).await?;
    let old = client::set_parallelism(&client, suite_id, SetParallelism { operator, parallelism }).await?;
    println!("{suite_id}: parallelism {old} → {parallelism}");
    Ok(0)
}
