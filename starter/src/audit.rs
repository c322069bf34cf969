//! The audit of a suite: every decision with who made it (principal and key
//! fingerprint), how it arrived, when, and whether it counted, under which
//! policy. Exported as JSON with the signed messages and the policy's keys,
//! so [`verify`] re-checks it offline, without Temporal.
//!
//! Must never: trust a principal written in an export; only a signature
//! checked against a key says who decided.

use serde::{Deserialize, Serialize};
use switchyard_proto::time::parse_rfc3339;
use switchyard_proto::trust::{self, Binding, Decision};
use switchyard_proto::v1::{PolicyPrincipal, SignedDecision, Signer, SuiteStatus};

/// A suite's decisions, as exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audit {
    /// The suite's id.
    pub suite_id: String,
    /// Its run.
    pub run_id: String,
    /// The plan approvals were for.
    pub plan_hash: String,
    /// The policy file it ran under, and the SHA-256 of its bytes.
    pub policy_file: String,
    /// SHA-256 of the policy file.
    pub policy_hash: String,
    /// Whether the policy let unsigned decisions count.
    pub allow_unsigned: bool,
    /// The policy's principals and keys as the suite recorded them.
    pub principals: Vec<Principal>,
    /// Every decision, in the order the suite recorded them.
    pub entries: Vec<Entry>,
    /// The suite this one reverts (`switchyard revert`), when it does.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reverts: String,
}

/// A principal and their public keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principal {
    /// Name.
    pub name: String,
    /// Groups.
    pub groups: Vec<String>,
    /// OpenSSH public keys.
    pub keys: Vec<String>,
}

/// One decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// RFC 3339 workflow time it arrived.
    pub at: String,
    /// launch, approve, reject, resume, rollback, abandon, extend window, ...
    pub kind: String,
    /// Who, as the suite established it; empty when no one could be.
    pub principal: String,
    /// SHA256 fingerprint of the signing key; empty when unsigned.
    pub fingerprint: String,
    /// cli, web-ui, service, or unsigned.
    pub channel: String,
    /// counted / applied, or not.
    pub counted: bool,
    /// Why it did not count (or the comment).
    pub reason: String,
    /// The signed message, when signed.
    pub message: Option<String>,
    /// The SSH signature, when signed.
    pub signature: Option<String>,
}

impl Entry {
    fn new(at: &str, kind: &str, signer: Option<&Signer>, counted: bool, reason: &str, signed: Option<&SignedDecision>) -> Self {
        Self {
            at: at.to_string(),
            kind: kind.to_string(),
            principal: signer.map(|s| s.principal.clone()).unwrap_or_default(),
            fingerprint: signer.map(|s| s.fingerprint.clone()).unwrap_or_default(),
            channel: signer.map(|s| s.channel.clone()).unwrap_or_default(),
            counted,
            reason: reason.to_string(),
            message: signed.map(|s| s.message.clone()),
            signature: signed.map(|s| s.signature.clone()),
        }
    }
}

/// The audit of a suite, from its status.
pub fn from_status(status: &SuiteStatus) -> Audit {
    let policy = status.policy.clone().unwrap_or_default();
    let mut entries = Vec::new();
    let launched = policy.requester.is_some();
    let why = if launched { "requested".to_string() } else { policy.refusals.first().cloned().unwrap_or_default() };
    entries.push(Entry::new(&status.started_at, "launch", policy.requester.as_ref(), launched, &why, status.launch.as_ref()));
    for d in &status.decisions {
        let signed = d.signal.as_ref().and_then(|s| s.signed.as_ref());
        // What a signed body asked for, even when it was refused.
        let kind = match (signed.and_then(|s| Decision::parse(&s.message).ok()), d.signal.as_ref().map(|s| s.decision())) {
            (Some(m), _) => m.kind.name(),
            (None, Some(switchyard_proto::v1::Decision::Approve)) => "approve",
            (None, Some(switchyard_proto::v1::Decision::Reject)) => "reject",
            _ => "unreadable",
        };
        entries.push(Entry::new(&d.at, kind, d.signer.as_ref(), d.counted, &d.reason, signed));
    }
    for e in &status.operator_log {
        let mut entry = Entry::new(&e.at, &e.action, e.signer.as_ref(), e.applied, &e.reason, e.signed.as_ref());
        // The suite's own act: a pause timeout applying its default.
        if e.signer.is_none() && e.signed.is_none() && e.operator == SYSTEM {
            entry.principal = SYSTEM.into();
            entry.channel = SYSTEM_CHANNEL.into();
            entry.kind = format!("{} {TIMEOUT}", e.action);
        }
        entries.push(entry);
    }
    entries.sort_by(|a, b| a.at.cmp(&b.at));
    Audit {
        suite_id: status.suite_id.clone(),
        run_id: status.run_id.clone(),
        plan_hash: status.plan_hash.clone(),
        policy_file: policy.file.clone(),
        policy_hash: policy.hash.clone(),
        allow_unsigned: policy.allow_unsigned,
        principals: policy.principals.iter().map(|p| Principal { name: p.name.clone(), groups: p.groups.clone(), keys: p.keys.clone() }).collect(),
        entries,
        reverts: status.reverts.clone(),
    }
}

/// Who the suite's own acts are recorded as.
const SYSTEM: &str = "switchyard";
const SYSTEM_CHANNEL: &str = "system";
const TIMEOUT: &str = "(pause timeout)";

/// Re-checks an audit: every signed entry's signature against `principals`
/// (the organisation's policy file, or the export's own keys), its binding
/// to the suite, run and plan, that it was valid when it arrived, that the
/// principal and fingerprint it names are the key's and its kind the signed
/// one; that no counted approval is the requester's, no principal counts
/// twice and no signed message counts twice. A counted entry without a
/// signature is a problem unless `allow_unsigned` (take it from the
/// organisation's policy file when there is one) or it is the suite's own
/// pause timeout. Entries removed from an export cannot be detected.
/// Returns one line per problem; none means the audit holds.
pub fn verify(audit: &Audit, principals: &[PolicyPrincipal], allow_unsigned: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let requester = audit.entries.iter().find(|e| e.kind == "launch" && e.counted).map(|e| e.principal.clone());
    let mut approvers: Vec<&str> = Vec::new();
    let mut messages: Vec<&str> = Vec::new();
    for (i, e) in audit.entries.iter().enumerate() {
        let place = format!("entries[{i}] ({} by {:?} at {})", e.kind, e.principal, e.at);
        let review = e.kind == "approve" || e.kind == "reject";
        if e.counted && review {
            if requester.as_deref() == Some(e.principal.as_str()) {
                problems.push(format!("{place}: counted, but {} requested the suite", e.principal));
            }
            if approvers.contains(&e.principal.as_str()) {
                problems.push(format!("{place}: counted, but {} had already decided", e.principal));
            }
            approvers.push(&e.principal);
        }
        let (Some(message), Some(signature)) = (&e.message, &e.signature) else {
            let own_timeout = e.channel == SYSTEM_CHANNEL && e.principal == SYSTEM && e.kind.ends_with(TIMEOUT) && !review;
            if e.counted && !allow_unsigned && !own_timeout {
                problems.push(format!("{place}: counted without a signature, under a policy that requires one"));
            }
            continue;
        };
        if e.counted {
            if messages.contains(&message.as_str()) {
                problems.push(format!("{place}: counted, but its signed message was already counted"));
            }
            messages.push(message);
        }
        let signed = SignedDecision { message: message.clone(), signature: signature.clone() };
        let Ok(decision) = Decision::parse(message) else {
            problems.push(format!("{place}: the message is not a switchyard decision"));
            continue;
        };
        let signed_kind = decision.kind.name();
        let kind_matches = e.kind == signed_kind || e.kind.starts_with(&format!("{} ", signed_kind.replace('-', " ")))
            || (decision.kind == switchyard_proto::trust::Kind::SetParallelism && e.kind.starts_with("set parallelism"))
            || (decision.kind == switchyard_proto::trust::Kind::ExtendWindow && e.kind.starts_with("extend window"));
        if !kind_matches {
            problems.push(format!("{place}: recorded as {:?}, but the signed decision is {signed_kind}", e.kind));
        }
        // Checked as of when it arrived: a decision is not undone by expiring later.
        let now = parse_rfc3339(&e.at).unwrap_or(0);
        let launch = e.kind == "launch";
        let binding = Binding {
            suite: &audit.suite_id,
            run: if launch { "" } else { &audit.run_id },
            plan: if launch { "" } else { &audit.plan_hash },
            input: if launch { &decision.input } else { "" },
            now,
        };
        match trust::establish(&signed, principals, &binding) {
            Err(why) if e.counted => problems.push(format!("{place}: counted, but {why}")),
            // A refused entry whose signature does not hold is as recorded.
            Err(_) => {}
            // Who a counted decision names is what the audit vouches for.
            Ok(ok) if e.counted => {
                if e.principal != ok.signer.principal || e.fingerprint != ok.signer.fingerprint {
                    problems.push(format!("{place}: names {:?} ({}), but the key is {}'s ({})",
                        e.principal, e.fingerprint, ok.signer.principal, ok.signer.fingerprint));
                }
            }
            Ok(_) => {}
        }
    }
    problems
}

/// The export's own principals, as the verifier takes them.
pub fn principals(audit: &Audit) -> Vec<PolicyPrincipal> {
    audit.principals.iter().map(|p| PolicyPrincipal { name: p.name.clone(), groups: p.groups.clone(), keys: p.keys.clone(), attester: false }).collect()
}
