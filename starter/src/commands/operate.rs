//! An operator's hand on a running suite: the answer to a pause (resume,
//! rollback, abandon: a signal, logged by the suite with whether it
//! applied), cancellation, and the two validated updates (window end,
//! parallelism), which the suite refuses without a trace. Reviewers'
//! verdicts on a plan are `review`'s, not this.

use anyhow::Context;
use switchyard_proto::v1::{ExtendWindow, OperatorAction, OperatorSignal, SetParallelism};
use switchyard_workflows::SuiteWorkflow;
use temporalio_client::{WorkflowCancelOptions, WorkflowExecuteUpdateOptions, WorkflowSignalOptions};

use crate::cli::{Global, PauseAnswer};
use crate::connect;

pub(crate) async fn answer_pause(global: &Global, o: PauseAnswer, action: OperatorAction) -> anyhow::Result<i32> {
    let client = connect::client(global).await?;
    let signal = OperatorSignal { operator: o.operator.clone(), action: action as i32, comment: o.comment };
    connect::suite(&client, &o.suite_id)
        .signal(SuiteWorkflow::operator, signal, WorkflowSignalOptions::default())
        .await
        .with_context(|| format!("cannot signal suite {}", o.suite_id))?;
    // Every operator action is logged with whether it applied; show it.
    let status = super::query(&client, &o.suite_id).await?;
    match status.operator_log.iter().rev().find(|e| e.operator == o.operator) {
        Some(e) if e.applied => println!("{}: {} accepted", o.suite_id, e.action),
        Some(e) => {
            println!("{}: {} not applied: {}", o.suite_id, e.action, e.reason);
            return Ok(2);
        }
        None => println!("{}: sent", o.suite_id),
    }
    Ok(0)
}

pub(crate) async fn cancel(global: &Global, suite_id: &str, reason: String) -> anyhow::Result<i32> {
    let client = connect::client(global).await?;
    connect::suite(&client, suite_id)
        .cancel(WorkflowCancelOptions::builder().reason(reason).build())
        .await
        .with_context(|| format!("cannot cancel suite {suite_id}"))?;
    println!("{suite_id}: cancellation requested; in-flight devices finish, changed devices are rolled back");
    println!("web ui: {}", connect::ui_link(global, suite_id));
    Ok(0)
}

pub(crate) async fn extend_window(global: &Global, suite_id: &str, end: String, operator: String, comment: String) -> anyhow::Result<i32> {
    let client = connect::client(global).await?;
    let new_end = connect::suite(&client, suite_id)
        .execute_update(SuiteWorkflow::extend_window, ExtendWindow { operator, end, comment }, WorkflowExecuteUpdateOptions::default())
        .await
        .with_context(|| format!("suite {suite_id} refused the extension"))?;
    println!("{suite_id}: window now ends at {new_end}");
    Ok(0)
}

pub(crate) async fn set_parallelism(global: &Global, suite_id: &str, parallelism: u32, operator: String) -> anyhow::Result<i32> {
    let client = connect::client(global).await?;
    let old = connect::suite(&client, suite_id)
        .execute_update(SuiteWorkflow::set_parallelism, SetParallelism { operator, parallelism }, WorkflowExecuteUpdateOptions::default())
        .await
        .with_context(|| format!("suite {suite_id} refused the change"))?;
    println!("{suite_id}: parallelism {old} → {parallelism}");
    Ok(0)
}
