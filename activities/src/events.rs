//! The event activities: which event types the worker's webhooks take,
//! which subscriptions take one event, and the delivery of one event to
//! one subscription, as Standard Webhooks specifies (a POST of
//! `{"type", "timestamp", "data"}` with `webhook-id`, `webhook-timestamp`
//! and `webhook-signature`). A receiver that does not answer 2xx makes the
//! delivery fail, and Temporal retries it with backoff (the event
//! workflow's policy); the `webhook-id` is the event's stable id, so a
//! receiver drops the repeats an at-least-once delivery may bring.
//!
//! A delivery is signed only for an event a suite or a drift check emitted
//! (checked first, from Temporal's record of who started the event
//! workflow); a forged one is refused and nothing is sent.
//!
//! Must never: put a secret in a result, an error or a log line (only a
//! subscription's name and its URL's host), sign an event it has not
//! checked, or follow a redirect.

// The #[activities] macro emits one marker constant per activity.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use switchyard_proto::names;
use switchyard_proto::v1::{
    DeliverEventRequest, DeliverEventResult, EventSubscriptions, MatchSubscriptionsRequest, MatchedSubscriptions,
};
use switchyard_proto::webhooks::{Format, SecretRef, Subscription, Webhooks, secret_key, signature};
use temporalio_common::error::ApplicationFailure;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::{info, warn};

use crate::warrant::Warrants;

/// How long one delivery attempt waits for the receiver.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The worker's webhooks and the inventory the device selectors read.
pub struct EventActivities {
    webhooks: Arc<Webhooks>,
    inventory: crate::LiveInventory,
    namespace: String,
    warrants: Arc<Warrants>,
}

impl EventActivities {
    /// Event activities for `webhooks` (an empty file: no subscription),
    /// for suites in `namespace` (the Web UI links name it); `warrants`
    /// vouches that an event was emitted before it is signed.
    pub fn new(webhooks: Arc<Webhooks>, inventory: impl Into<crate::LiveInventory>, namespace: String, warrants: Arc<Warrants>) -> Self {
        let inventory = inventory.into();
        Self { webhooks, inventory, namespace, warrants }
    }

    fn subscription(&self, name: &str) -> Result<&Subscription, ActivityError> {
        self.webhooks.subscriptions.iter().find(|s| s.name == name).ok_or_else(|| {
            // A subscription removed from the file since the event was
            // matched: retrying cannot bring it back.
            failure(format!("subscription {name:?} is not in this worker's webhooks file"), false)
        })
    }
}

#[activities]
impl EventActivities {
    /// The event types some subscription takes (once per suite).
    #[activity(name = names::ACTIVITY_EVENT_SUBSCRIPTIONS)]
    pub async fn event_subscriptions(self: Arc<Self>, _ctx: ActivityContext, _req: EventSubscriptions) -> Result<EventSubscriptions, ActivityError> {
        Ok(EventSubscriptions { types: self.webhooks.subscribed_types() })
    }

    /// The subscriptions that take one event, by type and devices.
    #[activity(name = names::ACTIVITY_MATCH_SUBSCRIPTIONS)]
    pub async fn match_subscriptions(self: Arc<Self>, _ctx: ActivityContext, req: MatchSubscriptionsRequest) -> Result<MatchedSubscriptions, ActivityError> {
        let event = req.event.unwrap_or_default();
        let inventory = self.inventory.current();
        let devices: Vec<_> = event.devices.iter().filter_map(|d| inventory.device(d)).collect();
        let names = self.webhooks.subscriptions.iter().filter(|s| s.takes(&event.r#type, &devices)).map(|s| s.name.clone()).collect();
        Ok(MatchedSubscriptions { names })
    }

    /// POSTs one event to one subscription, signed with its secret.
    #[activity(name = names::ACTIVITY_DELIVER_EVENT)]
    pub async fn deliver_event(self: Arc<Self>, ctx: ActivityContext, req: DeliverEventRequest) -> Result<DeliverEventResult, ActivityError> {
        let event = req.event.unwrap_or_default();
        self.warrants.check_event(&ctx, &event).await?;
        let subscription = self.subscription(&req.subscription)?;
        let key = read_secret(&subscription.secret).and_then(|s| secret_key(&s))
            .map_err(|why| failure(format!("subscription {}: {why}", subscription.name), false))?;
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        let body = match subscription.format {
            Format::Standard => body(&event, &self.webhooks.ui_address, &self.namespace)?,
            format => chat_body(format, &event, &self.webhooks.ui_address, &self.namespace),
        };
        let signed = signature(&key, &event.id, timestamp, &body);
        let attempt = ctx.info().attempt;
        let host = host_of(&subscription.url);
        match tokio::time::timeout(ATTEMPT_TIMEOUT, post(&subscription.url, &event.id, timestamp, &signed, body)).await {
            Ok(Ok(status)) if (200..300).contains(&status) => {
                info!(event = %event.id, subscription = %subscription.name, host, status, attempt, "Event delivered");
                Ok(DeliverEventResult { http_status: u32::from(status), attempt })
            }
            Ok(Ok(status)) => {
                warn!(event = %event.id, subscription = %subscription.name, host, status, attempt, "Receiver refused the event");
                Err(failure(format!("{host} answered HTTP {status}"), true))
            }
            Ok(Err(why)) => {
                warn!(event = %event.id, subscription = %subscription.name, host, error = %why, attempt, "Event not delivered");
                Err(failure(format!("{host}: {why}"), true))
            }
            Err(_) => Err(failure(format!("{host} did not answer within {}s", ATTEMPT_TIMEOUT.as_secs()), true)),
        }
    }
}

/// A delivery failure; only a receiver's answer (or its silence) is worth
/// retrying, not a subscription this worker cannot sign for.
fn failure(message: String, retryable: bool) -> ActivityError {
    ActivityError::application(ApplicationFailure::builder(message).type_name(names::failures::WEBHOOK.to_string()).non_retryable(!retryable).build())
}

/// The body Standard Webhooks describes: the type, the event's time and
/// the event itself as `data` (in switchyard's JSON convention, the same as
/// the service's API, with a Web UI link).
fn body(event: &switchyard_proto::v1::SuiteEvent, ui_address: &str, namespace: &str) -> Result<Vec<u8>, ActivityError> {
    let data = serde_json::to_value(event).map_err(|e| failure(e.to_string(), false))?;
    let mut data = switchyard_proto::json_style::normalize(data);
    if !ui_address.is_empty() {
        data["web_ui"] = serde_json::Value::String(format!("{}/namespaces/{namespace}/workflows/{}", ui_address.trim_end_matches('/'), event.suite_id));
    }
    let body = serde_json::json!({ "type": event.r#type, "timestamp": event.at, "data": data });
    Ok(body.to_string().into_bytes())
}

/// The event as a chat message a person reads at a glance: what happened
/// to which suite, what it needs (approvals, from whom), what failed, and
/// the link to it. Slack's incoming webhooks take `{"text"}` in their
/// markdown; Teams' workflows take an Adaptive Card.
fn chat_body(format: Format, event: &switchyard_proto::v1::SuiteEvent, ui_address: &str, namespace: &str) -> Vec<u8> {
    let link = (!ui_address.is_empty()).then(|| format!("{}/namespaces/{namespace}/workflows/{}", ui_address.trim_end_matches('/'), event.suite_id));
    let mut lines = vec![format!("switchyard {}: suite {} ({})", event.r#type, event.suite_id, event.suite_name)];
    if !event.summary.is_empty() {
        lines.push(event.summary.clone());
    }
    if event.approvals_needed > 0 {
        let from = if event.approvers.is_empty() { String::new() } else { format!(" from {}", event.approvers.join(", ")) };
        lines.push(format!("needs {} approval(s){from}: switchyard approve {} --plan-hash {}", event.approvals_needed, event.suite_id, event.plan_hash));
    }
    if !event.error.is_empty() {
        lines.push(format!("error: {}", event.error));
    }
    let body = match format {
        Format::Slack => {
            let mut text = lines.join("\n");
            if let Some(link) = &link {
                text.push_str(&format!("\n<{link}|Open in Temporal>"));
            }
            serde_json::json!({ "text": text })
        }
        Format::Teams | Format::Standard => {
            let blocks: Vec<serde_json::Value> = lines.iter().enumerate()
                .map(|(i, l)| serde_json::json!({ "type": "TextBlock", "text": l, "wrap": true, "weight": if i == 0 { "Bolder" } else { "Default" } }))
                .collect();
            let actions: Vec<serde_json::Value> = link.iter().map(|l| serde_json::json!({ "type": "Action.OpenUrl", "title": "Open in Temporal", "url": l })).collect();
            serde_json::json!({
                "type": "message",
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": { "type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "version": "1.4", "body": blocks, "actions": actions },
                }],
            })
        }
    };
    body.to_string().into_bytes()
}

/// A secret's text, read when it is used (a rotated file counts at once).
fn read_secret(secret: &SecretRef) -> Result<String, String> {
    match secret {
        SecretRef::Env(name) => std::env::var(name).map_err(|_| format!("the worker has no environment variable {name}")),
        SecretRef::File(path) => std::fs::read_to_string(path).map(|t| t.lines().next().unwrap_or_default().trim().to_string())
            .map_err(|e| format!("cannot read the secret file {path}: {}", e.kind())),
    }
}

/// The host of a URL, for logs and errors (never its path or query, which
/// may carry a token).
fn host_of(url: &str) -> String {
    url.parse::<switchyard_http::Uri>().ok().and_then(|u| u.authority().map(|a| a.to_string())).unwrap_or_else(|| "the receiver".into())
}

/// One signed POST; the receiver's status.
async fn post(url: &str, id: &str, timestamp: i64, signed: &str, body: Vec<u8>) -> Result<u16, String> {
    let timestamp = timestamp.to_string();
    let headers = [
        ("content-type", "application/json"),
        ("user-agent", concat!("switchyard/", env!("CARGO_PKG_VERSION"))),
        ("webhook-id", id),
        ("webhook-timestamp", timestamp.as_str()),
        ("webhook-signature", signed),
    ];
    Ok(switchyard_http::request(switchyard_http::Method::POST, url, &headers, body).await?.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_name_the_host_never_the_path() {
        assert_eq!(host_of("https://hooks.example.net/T0/B1/secret-token"), "hooks.example.net");
        assert_eq!(host_of("http://127.0.0.1:9000/hook?token=x"), "127.0.0.1:9000");
    }

    #[test]
    fn the_body_is_type_timestamp_and_data() {
        let event = switchyard_proto::v1::SuiteEvent { id: "s.1.suite.applying".into(), r#type: "suite.applying".into(), suite_id: "s".into(), at: "2026-12-01T00:00:00Z".into(), ..Default::default() };
        let body: serde_json::Value = serde_json::from_slice(&body(&event, "http://ui:8233/", "default").unwrap()).unwrap();
        assert_eq!(body["type"], "suite.applying");
        assert_eq!(body["data"]["suite_id"], "s");
        assert_eq!(body["data"]["web_ui"], "http://ui:8233/namespaces/default/workflows/s");
    }
    #[test]
    fn chat_messages_say_what_happened_and_link_to_it() {
        let event = switchyard_proto::v1::SuiteEvent {
            r#type: "suite.awaiting_approval".into(), suite_id: "vlan-a-1".into(), suite_name: "vlan-a".into(),
            summary: "awaiting approval of plan ab12".into(), plan_hash: "ab12".into(), approvals_needed: 1, approvers: vec!["group neteng".into()],
            ..Default::default()
        };
        let slack: serde_json::Value = serde_json::from_slice(&chat_body(Format::Slack, &event, "http://ui:8233", "default")).unwrap();
        let text = slack["text"].as_str().unwrap();
        assert!(text.starts_with("switchyard suite.awaiting_approval: suite vlan-a-1 (vlan-a)\nawaiting approval of plan ab12\n"), "{text}");
        assert!(text.contains("needs 1 approval(s) from group neteng: switchyard approve vlan-a-1 --plan-hash ab12"), "{text}");
        assert!(text.ends_with("<http://ui:8233/namespaces/default/workflows/vlan-a-1|Open in Temporal>"), "{text}");
        let teams: serde_json::Value = serde_json::from_slice(&chat_body(Format::Teams, &event, "http://ui:8233", "default")).unwrap();
        let card = &teams["attachments"][0];
        assert_eq!(card["contentType"], "application/vnd.microsoft.card.adaptive");
        assert_eq!(card["content"]["body"][0]["text"], "switchyard suite.awaiting_approval: suite vlan-a-1 (vlan-a)");
        assert_eq!(card["content"]["actions"][0]["url"], "http://ui:8233/namespaces/default/workflows/vlan-a-1");
    }
}
