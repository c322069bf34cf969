//! An operator's hand on a running suite: the answer to a pause (resume,
//! rollback, abandon) and cancellation (signals, each a signed decision,
//! logged by the suite with whether it applied), and the two validated
//! updates (window end, parallelism), which the suite refuses without a
//! trace. Reviewers' verdicts on a plan are `review`'s, not this.

use switchyard_proto::trust::Kind;
use switchyard_proto::v1::{ExtendWindow, OperatorAction, OperatorEvent, OperatorSignal, SetParallelism, SignedDecision};
use switchyard_starter::{client, decide};

use crate::global::Target;
use crate::cli::{Global, PauseAnswer};

pub(crate) async fn answer_pause(global: &Global, answer: PauseAnswer, action: OperatorAction) -> anyhow::Result<i32> {
    let client = match crate::global::target(global).await? {
        Target::Temporal(client) => client,
        Target::Service(service) => {
            let event = service.answer(&answer.suite_id, action, &answer.comment).await?;
            return Ok(show_answer(&answer.suite_id, event.as_ref()));
        }
    };
    let suite_id = answer.suite_id;
    let kind = Kind::of_operator_action(action).unwrap_or(Kind::Abandon);
    let signed = super::sign_for(global, &client, kind, &suite_id, String::new(), &answer.comment, None).await?;
    need_someone(signed.as_ref(), &answer.operator)?;
    let signal = OperatorSignal { operator: answer.operator, action: action as i32, comment: answer.comment, signed };
    // Every operator action is logged with whether it applied; show it.
    let logged = decide::answer(&client, &suite_id, signal).await?;
    Ok(show_answer(&suite_id, logged.as_ref()))
}

/// The operator log's entry for an answer, as scripts read it; exits
/// refused when the suite did not apply it.
fn show_answer(suite_id: &str, event: Option<&OperatorEvent>) -> i32 {
    match event {
        Some(e) if e.applied => println!("{suite_id}: {} accepted", e.action),
        Some(e) => {
            println!("{suite_id}: {} not applied: {}", e.action, e.reason);
            return crate::exit::REFUSED;
        }
        None => println!("{suite_id}: sent"),
    }
    0
}

/// Cancels a suite with a signed decision (the suite rolls back changed
/// devices only for one); a bare Temporal cancellation would only pause it.
pub(crate) async fn cancel(global: &Global, suite_id: &str, reason: &str, operator: String) -> anyhow::Result<i32> {
    let answer = PauseAnswer { suite_id: suite_id.to_string(), operator, comment: reason.to_string() };
    let code = answer_pause(global, answer, OperatorAction::Cancel).await?;
    if code == 0 {
        println!("{suite_id}: cancellation requested; in-flight devices finish, changed devices are rolled back");
    }
    println!("web ui: {}", crate::global::ui_link(global, suite_id));
    Ok(code)
}

pub(crate) async fn extend_window(global: &Global, suite_id: &str, end: String, operator: String, comment: String) -> anyhow::Result<i32> {
    let client = match crate::global::target(global).await? {
        Target::Temporal(client) => client,
        Target::Service(service) => {
            let new_end = service.extend_window(suite_id, &end, &comment).await?;
            println!("{suite_id}: window now ends at {new_end}");
            return Ok(0);
        }
    };
    let signed = super::sign_for(global, &client, Kind::ExtendWindow, suite_id, end.clone(), &comment, None).await?;
    need_someone(signed.as_ref(), &operator)?;
    let new_end = client::extend_window(&client, suite_id, ExtendWindow { operator, end, comment, signed }).await.map_err(crate::exit::update_refused)?;
    println!("{suite_id}: window now ends at {new_end}");
    Ok(0)
}

pub(crate) async fn set_parallelism(global: &Global, suite_id: &str, parallelism: u32, operator: String) -> anyhow::Result<i32> {
    let client = match crate::global::target(global).await? {
        Target::Temporal(client) => client,
        Target::Service(service) => {
            let old = service.set_parallelism(suite_id, parallelism).await?;
            println!("{suite_id}: parallelism {old} → {parallelism}");
            return Ok(0);
        }
    };
    let signed = super::sign_for(global, &client, Kind::SetParallelism, suite_id, parallelism.to_string(), "", None).await?;
    need_someone(signed.as_ref(), &operator)?;
    let old = client::set_parallelism(&client, suite_id, SetParallelism { operator, parallelism, signed }).await.map_err(crate::exit::update_refused)?;
    println!("{suite_id}: parallelism {old} → {parallelism}");
    Ok(0)
}

/// An unsigned request must at least say who sends it.
fn need_someone(signed: Option<&SignedDecision>, operator: &str) -> anyhow::Result<()> {
    anyhow::ensure!(signed.is_some() || !operator.trim().is_empty(),
        "no signing key (--signing-key or SWITCHYARD_SIGNING_KEY) and no --operator: nobody to act as");
    Ok(())
}
