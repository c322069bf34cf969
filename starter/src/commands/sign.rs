//! `switchyard sign`: a signed signal or update body for the Web UI's
//! dialogs, so a decision made there is as attributable as one from the
//! CLI. Prints the JSON body on stdout and where to send it on stderr.

use switchyard_proto::names;
use switchyard_proto::time::parse_duration;
use switchyard_proto::trust::Kind;
use switchyard_proto::v1::{ApprovalSignal, Decision, ExtendWindow, OperatorAction, OperatorSignal, SetParallelism};
use switchyard_starter::client;
use switchyard_starter::signing::{self, About};

use crate::cli::Global;

pub(crate) async fn run(global: &Global, decision: &str, suite_id: &str, value: String, comment: &str, valid_for: &str) -> anyhow::Result<i32> {
    let kind = Kind::from_name(decision).filter(|k| *k != Kind::Launch).ok_or_else(|| anyhow::anyhow!(
        "unknown decision {decision:?}: approve, reject, resume, rollback, abandon, cancel, extend-window or set-parallelism"))?;
    let valid_secs = parse_duration(valid_for).filter(|s| *s > 0)
        .ok_or_else(|| anyhow::anyhow!("--valid-for {valid_for:?} is not a duration like 30m or 4h"))?;
    let needs_value = matches!(kind, Kind::ExtendWindow | Kind::SetParallelism);
    anyhow::ensure!(needs_value != value.is_empty(), "{}", if needs_value {
        format!("{decision} needs --value (the new window end, or the parallelism)")
    } else {
        format!("{decision} takes no --value")
    });
    let key = crate::global::signing_key(global).ok_or_else(|| anyhow::anyhow!("no signing key: pass --signing-key or set SWITCHYARD_SIGNING_KEY"))?;
    let client = crate::global::connect(global).await?;
    let status = client::status(&client, suite_id).await?;
    let about = About { suite: suite_id.to_string(), run: status.run_id.clone(), plan: status.plan_hash.clone(), input: String::new(), value: value.clone() };
    let signed = Some(key.sign(&signing::decision(kind, about, "web-ui", comment, i64::try_from(valid_secs).unwrap_or(i64::MAX))?)?);
    // The fields beside the signature repeat what it says, so the body
    // reads right in the Web UI; the suite goes by the signed message.
    let comment = comment.to_string();
    let (what, body) = match kind {
        Kind::Approve | Kind::Reject => {
            let decision = kind.verdict().unwrap_or(Decision::Reject);
            (format!("signal {:?}", names::SIGNAL_APPROVAL),
             serde_json::to_string_pretty(&ApprovalSignal { decision: decision as i32, plan_hash: status.plan_hash, comment, signed, ..Default::default() })?)
        }
        Kind::Resume | Kind::Rollback | Kind::Abandon | Kind::Cancel => {
            let action = kind.operator_action().unwrap_or(OperatorAction::Abandon);
            (format!("signal {:?}", names::SIGNAL_OPERATOR),
             serde_json::to_string_pretty(&OperatorSignal { action: action as i32, comment, signed, ..Default::default() })?)
        }
        Kind::ExtendWindow => (format!("update {:?}", names::UPDATE_EXTEND_WINDOW),
            serde_json::to_string_pretty(&ExtendWindow { end: value, comment, signed, ..Default::default() })?),
        _ => {
            let parallelism = value.parse().map_err(|_| anyhow::anyhow!("--value {value:?} is not a parallelism"))?;
            (format!("update {:?}", names::UPDATE_SET_PARALLELISM),
             serde_json::to_string_pretty(&SetParallelism { parallelism, signed, ..Default::default() })?)
        }
    };
    eprintln!("send as {what} to workflow {suite_id} (Web UI: {}), valid for {valid_for}", crate::global::ui_link(global, suite_id));
    println!("{body}");
    Ok(0)
}
