//! Sending a decision to a running suite and learning how the suite
//! recorded it: a reviewer's verdict (`approval` signal) or an operator's
//! answer (`operator` signal). The CLI and the service send through here,
//! so both answer "did it count" the same way: the suite's own record of
//! this very decision (matched by its signed message, or by its sender's
//! name when unsigned), waited for up to five seconds; `None` when the
//! suite has not recorded it by then.
//!
//! Must never: sign (the caller signs, with its own key), or judge a
//! decision itself: the suite is the one that counts it.

use std::time::Duration;

use switchyard_proto::v1::{ApprovalSignal, OperatorEvent, OperatorSignal, RecordedDecision, SuiteStatus};

use crate::client::{self, Client, ClientError};

/// How long the suite is given to record a decision, and how often asked.
const RECORDED_WITHIN: Duration = Duration::from_secs(5);
const ASK_EVERY: Duration = Duration::from_millis(100);

/// Sends a reviewer's verdict; the suite's record of it, once recorded.
pub async fn review(client: &Client, suite_id: &str, signal: ApprovalSignal) -> Result<Option<RecordedDecision>, ClientError> {
    let mine = {
        let signal = signal.clone();
        move |status: &SuiteStatus| -> Vec<RecordedDecision> {
            status.decisions.iter().filter(|d| {
                let sent = d.signal.as_ref();
                match &signal.signed {
                    Some(s) => sent.and_then(|x| x.signed.as_ref()).is_some_and(|x| x.message == s.message),
                    None => sent.is_some_and(|x| x.reviewer == signal.reviewer && x.signed.is_none()),
                }
            }).cloned().collect()
        }
    };
    let before = mine(&client::status(client, suite_id).await?).len();
    client::send_review(client, suite_id, signal).await?;
    recorded(client, suite_id, before, mine).await
}

/// Sends an operator's answer (resume, rollback, abandon, cancel); the
/// suite's operator-log entry for it, once logged.
pub async fn answer(client: &Client, suite_id: &str, signal: OperatorSignal) -> Result<Option<OperatorEvent>, ClientError> {
    let mine = {
        let signal = signal.clone();
        move |status: &SuiteStatus| -> Vec<OperatorEvent> {
            status.operator_log.iter().filter(|e| match &signal.signed {
                Some(s) => e.signed.as_ref().is_some_and(|x| x.message == s.message),
                None => e.operator == signal.operator.trim() && e.signed.is_none(),
            }).cloned().collect()
        }
    };
    let before = mine(&client::status(client, suite_id).await?).len();
    client::send_pause_answer(client, suite_id, signal).await?;
    recorded(client, suite_id, before, mine).await
}

/// The newest of `mine`'s records once there are more than `before`.
async fn recorded<T>(client: &Client, suite_id: &str, before: usize, mine: impl Fn(&SuiteStatus) -> Vec<T>) -> Result<Option<T>, ClientError> {
    let deadline = tokio::time::Instant::now() + RECORDED_WITHIN;
    loop {
        let mut found = mine(&client::status(client, suite_id).await?);
        if found.len() > before {
            return Ok(found.pop());
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(ASK_EVERY).await;
    }
}
