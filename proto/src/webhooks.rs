//! The worker's webhook subscriptions (`--webhooks FILE`): where suite
//! events go, for which event types and devices, and the name of the
//! secret each is signed with; and the Standard Webhooks signature.
//!
//! ```yaml
//! ui_address: https://temporal.example.net     # links in events (optional)
//! subscriptions:
//!   - name: reviewers
//!     url: https://chat.example.net/hooks/switchyard
//!     secret_env: SWITCHYARD_WEBHOOK_SECRET      # or secret_file: /etc/switchyard/reviewers.secret
//!     events: [suite.awaiting_approval, suite.failed]   # default: every event
//!     devices: { sites: [ams1] }                          # default: every device
//!     format: slack                                       # or teams; default: standard
//! ```
//!
//! A secret is `whsec_` and base64, as Standard Webhooks gives them out.
//! Subscriptions are the worker's configuration, never workflow input:
//! nothing here reaches a history but a subscription's name.
//!
//! Must never: read or hold a secret's value (the delivering activity reads
//! it when it signs), or do I/O beyond reading the file.

use std::path::Path;

use base64::Engine;
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};
use sha2::Sha256;

use crate::inventory::Device;
use crate::selector::Selector;
use crate::names::events;
use crate::source::SourceError;

/// The webhooks file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Webhooks {
    /// The Temporal Web UI, for each event's `web_ui` link; empty: no link.
    pub ui_address: String,
    /// Every subscription, in the file's order.
    pub subscriptions: Vec<Subscription>,
}

/// One receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// Unique within the file; recorded in each delivery's log.
    pub name: String,
    /// Where events are POSTed (http or https).
    pub url: String,
    /// Where its secret is.
    pub secret: SecretRef,
    /// Event types it takes; empty: all.
    pub events: Vec<String>,
    /// Devices it takes events about: lists combine with AND, entries of a
    /// list with OR; all empty: every device.
    pub devices: Selector,
    /// The body's shape: Standard Webhooks' JSON, or a chat message.
    pub format: Format,
}

/// The body a subscription receives; every one is signed the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `{type, timestamp, data}`: the event itself, for a pipeline.
    #[default]
    Standard,
    /// A Slack (or Mattermost, Rocket.Chat) incoming-webhook message:
    /// `{"text": …}` in their markdown.
    Slack,
    /// A Microsoft Teams workflow message: an Adaptive Card.
    Teams,
}

impl Format {
    /// Every format by the name a webhooks file gives it.
    pub const NAMES: &[(&str, Format)] = &[("standard", Format::Standard), ("slack", Format::Slack), ("teams", Format::Teams)];
}

/// Where a subscription's secret is read from, when an event is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// An environment variable of the worker.
    Env(String),
    /// A file (its first line).
    File(String),
}

impl Subscription {
    /// Whether the subscription takes an event of `event_type` about
    /// `devices` (the inventory's entries for the event's device names).
    pub fn takes(&self, event_type: &str, devices: &[&Device]) -> bool {
        let wants_type = self.events.is_empty() || self.events.iter().any(|t| t == event_type);
        wants_type && (self.devices.is_all() || devices.iter().any(|d| self.devices.selects(d)))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhooks {
    #[serde(default)]
    ui_address: Option<Spanned<String>>,
    subscriptions: Vec<Spanned<RawSubscription>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubscription {
    name: Spanned<String>,
    url: Spanned<String>,
    secret_env: Option<Spanned<String>>,
    secret_file: Option<Spanned<String>>,
    #[serde(default)]
    events: Vec<Spanned<String>>,
    #[serde(default)]
    devices: Selector,
    format: Option<Spanned<String>>,
}

impl Webhooks {
    /// Parses the webhooks file's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, SourceError> {
        let raw: RawWebhooks = serde_saphyr::from_str(text).map_err(|e| SourceError::from_yaml(file, text, &e))?;
        let err = |loc: Location, field: String, message: String| SourceError::at(file, loc, field, message);
        let ui_address = raw.ui_address.map(|u| u.value).unwrap_or_default();
        let mut subscriptions: Vec<Subscription> = Vec::new();
        for (i, s) in raw.subscriptions.into_iter().enumerate() {
            let at = s.referenced;
            let s = s.value;
            let name = s.name.value.trim().to_string();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
                return Err(err(s.name.referenced, format!("subscriptions[{i}].name"), format!("{name:?} is not a name (letters, digits, - _ .)")));
            }
            if subscriptions.iter().any(|o| o.name == name) {
                return Err(err(s.name.referenced, format!("subscriptions[{i}].name"), format!("subscription {name:?} is listed twice")));
            }
            let url = s.url.value.trim().to_string();
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < "http://x".len() {
                return Err(err(s.url.referenced, format!("subscriptions[{i}].url"), format!("{url:?} is not an http:// or https:// URL")));
            }
            let secret = match (s.secret_env, s.secret_file) {
                (Some(e), None) if !e.value.trim().is_empty() => SecretRef::Env(e.value.trim().to_string()),
                (None, Some(f)) if !f.value.trim().is_empty() => SecretRef::File(f.value.trim().to_string()),
                (Some(e), Some(_)) => return Err(err(e.referenced, format!("subscriptions[{i}]"), "give secret_env or secret_file, not both".into())),
                _ => return Err(err(at, format!("subscriptions[{i}]"),
                    "a subscription needs its secret's place: secret_env (a variable of the worker) or secret_file (never the secret itself)".into())),
            };
            let mut types = Vec::new();
            for (j, t) in s.events.iter().enumerate() {
                if !events::ALL.contains(&t.value.as_str()) {
                    return Err(err(t.referenced, format!("subscriptions[{i}].events[{j}]"),
                        format!("{:?} is not an event type; expected one of {}", t.value, events::ALL.join(", "))));
                }
                types.push(t.value.clone());
            }
            let format = match &s.format {
                None => Format::Standard,
                Some(f) => Format::NAMES.iter().find(|(n, _)| *n == f.value.trim()).map(|(_, f)| *f).ok_or_else(|| {
                    let names = Format::NAMES.iter().map(|(n, _)| *n);
                    err(f.referenced, format!("subscriptions[{i}].format"), format!("{:?} is not a format{}; expected standard, slack or teams",
                        f.value, crate::vocabulary::did_you_mean(&f.value, names)))
                })?,
            };
            subscriptions.push(Subscription { name, url, secret, events: types, devices: s.devices, format });
        }
        Ok(Self { ui_address, subscriptions })
    }

    /// Reads and parses a webhooks file.
    pub fn load(path: &Path) -> Result<Self, SourceError> {
        let (file, text) = crate::source::read_text(path, "webhooks file")?;
        Self::parse(&file, &text)
    }

    /// The event types at least one subscription takes (for some device).
    pub fn subscribed_types(&self) -> Vec<String> {
        events::ALL.iter().filter(|t| self.subscriptions.iter().any(|s| s.events.is_empty() || s.events.iter().any(|e| e == *t)))
            .map(|t| t.to_string()).collect()
    }
}

/// The key of a `whsec_<base64>` secret; why not, naming no part of it.
pub fn secret_key(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret.trim().strip_prefix("whsec_").unwrap_or(secret.trim());
    let key = base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|_| "the secret is not whsec_ followed by base64".to_string())?;
    if key.len() < 16 {
        return Err(format!("the secret's key is {} bytes; at least 16 (Standard Webhooks uses 24 to 64)", key.len()));
    }
    Ok(key)
}

/// The `webhook-signature` header of a delivery: `v1,` and the base64
/// HMAC-SHA256 of `<id>.<timestamp>.<body>` under `key`.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut message = format!("{id}.{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(hmac_sha256(key, &message)))
}

/// HMAC-SHA256 (RFC 2104), checked against RFC 4231's vectors below.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    use hmac::{KeyInit, Mac};
    // HMAC takes a key of any length.
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::hex;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2.
        assert_eq!(hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        // Test case 6: a key longer than the block.
        assert_eq!(hex(&hmac_sha256(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    }

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification.
        let key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(secret_key("whsec_!!").unwrap_err().contains("base64"));
        assert!(secret_key("whsec_AAAA").unwrap_err().contains("at least 16"));
    }

    #[test]
    fn a_subscription_names_its_secret_never_holds_it() {
        let text = "subscriptions:\n  - name: reviewers\n    url: http://127.0.0.1:9/hook\n    secret_env: HOOK_SECRET\n    events: [suite.awaiting_approval]\n    devices: { sites: [ams1] }\n";
        let w = Webhooks::parse("hooks.yaml", text).unwrap();
        assert_eq!(w.subscriptions[0].secret, SecretRef::Env("HOOK_SECRET".into()));
        assert_eq!(w.subscribed_types(), ["suite.awaiting_approval"]);
        let cases = [
            ("subscriptions:\n  - name: a\n    url: http://x/h\n", "subscriptions[0]", "secret_env"),
            ("subscriptions:\n  - name: a\n    url: ftp://x/h\n    secret_env: S\n", "subscriptions[0].url", "not an http"),
            ("subscriptions:\n  - name: a\n    url: http://x/h\n    secret_env: S\n    events: [suite.done]\n", "subscriptions[0].events[0]", "not an event type"),
            ("subscriptions:\n  - name: a\n    url: http://x/h\n    secret_env: S\n  - name: a\n    url: http://x/h\n    secret_env: S\n", "subscriptions[1].name", "twice"),
            ("subscriptions:\n  - name: a\n    url: http://x/h\n    secret: whsec_abc\n", "subscriptions[0].secret", "unknown field"),
            ("subscriptions:\n  - name: a\n    url: http://x/h\n    secret_env: S\n    format: slak\n", "subscriptions[0].format", "\"slak\" is not a format (did you mean slack?)"),
        ];
        assert_eq!(w.subscriptions[0].format, Format::Standard);
        let chat = Webhooks::parse("hooks.yaml", "subscriptions:\n  - name: a\n    url: http://x/h\n    secret_env: S\n    format: teams\n").unwrap();
        assert_eq!(chat.subscriptions[0].format, Format::Teams);
        for (text, field, message) in cases {
            let e = Webhooks::parse("hooks.yaml", text).unwrap_err();
            assert_eq!(e.field, field, "{e}");
            assert!(e.message.contains(message) && e.line > 0, "{e}");
        }
    }
}
