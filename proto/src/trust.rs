//! Signed decisions: the canonical message a person signs, and how a
//! signature over it is checked against the keys of a recorded policy.
//!
//! The message is plain text with a fixed set of lines in a fixed order, so
//! the signer can read what they sign and two programs always produce the
//! same bytes. The signature is SSHSIG (`ssh-keygen -Y sign -n switchyard`),
//! so anyone can re-check it with stock OpenSSH.
//!
//! Must never: read a key file, talk to an agent or look at a clock. The
//! caller passes the time (workflow time in a workflow), which keeps every
//! check here deterministic and replay-safe.

use std::fmt::Write;

use prost::Message as _;
use sha2::{Digest, Sha256};
use ssh_key::{HashAlg, PublicKey, SshSig};

use crate::time::{format_rfc3339, parse_rfc3339};
use crate::v1::{EffectivePolicy, OperatorAction, PolicyPrincipal, SignedDecision, Signer, SuiteInput};

/// The SSHSIG namespace of every switchyard signature: a signature made
/// for git, or for any other purpose, never verifies as a decision.
pub const NAMESPACE: &str = "switchyard";

/// First line of every decision message; a new format gets a new line.
const HEADER: &str = "switchyard decision v1";

/// The longest a signed decision may stay valid: a signature found in a
/// log a week later is not a decision anyone made that day.
pub const MAX_VALIDITY_SECS: i64 = 7 * 24 * 3600;

/// The longest comment a decision carries.
pub const MAX_COMMENT: usize = 1024;

/// What a decision decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Start this suite (the requester's signature).
    Launch,
    /// Approve the plan.
    Approve,
    /// Reject the plan.
    Reject,
    /// Resume a paused suite.
    Resume,
    /// Roll a paused suite back.
    Rollback,
    /// Stop a paused suite and leave its devices as they are.
    Abandon,
    /// Move the change window's end (value: the new end).
    ExtendWindow,
    /// Change the parallelism (value: the new number).
    SetParallelism,
    /// Cancel the suite: changed devices are rolled back.
    Cancel,
}

const KINDS: [(Kind, &str); 9] = [
    (Kind::Launch, "launch"),
    (Kind::Approve, "approve"),
    (Kind::Reject, "reject"),
    (Kind::Resume, "resume"),
    (Kind::Rollback, "rollback"),
    (Kind::Abandon, "abandon"),
    (Kind::ExtendWindow, "extend-window"),
    (Kind::SetParallelism, "set-parallelism"),
    (Kind::Cancel, "cancel"),
];

impl Kind {
    /// The word the message uses.
    pub fn name(self) -> &'static str {
        KINDS.iter().find(|(k, _)| *k == self).map(|(_, n)| *n).unwrap_or("unknown")
    }

    /// The kind a word names.
    pub fn from_name(name: &str) -> Option<Self> {
        KINDS.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
    }

    /// The operator signal's action this decision asks for; none for a
    /// decision that is not an operator's (a launch, a review, an update).
    pub fn operator_action(self) -> Option<OperatorAction> {
        OPERATOR_KINDS.iter().find(|(k, _)| *k == self).map(|(_, a)| *a)
    }

    /// The decision an operator signal's action is.
    pub fn of_operator_action(action: OperatorAction) -> Option<Self> {
        OPERATOR_KINDS.iter().find(|(_, a)| *a == action).map(|(k, _)| *k)
    }

    /// The reviewer's verdict (on the `approval` signal) this decision is,
    /// if it is one.
    pub fn verdict(self) -> Option<crate::v1::Decision> {
        match self {
            Kind::Approve => Some(crate::v1::Decision::Approve),
            Kind::Reject => Some(crate::v1::Decision::Reject),
            _ => None,
        }
    }

    /// The decision a reviewer's verdict is.
    pub fn of_verdict(verdict: crate::v1::Decision) -> Option<Self> {
        [Kind::Approve, Kind::Reject].into_iter().find(|k| k.verdict() == Some(verdict))
    }
}

/// The decisions the `operator` signal carries, and their actions.
const OPERATOR_KINDS: [(Kind, OperatorAction); 4] = [
    (Kind::Resume, OperatorAction::Resume),
    (Kind::Rollback, OperatorAction::Rollback),
    (Kind::Abandon, OperatorAction::Abandon),
    (Kind::Cancel, OperatorAction::Cancel),
];

/// One decision, as its maker signs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// What is decided.
    pub kind: Kind,
    /// The suite (its workflow id).
    pub suite: String,
    /// The suite's run; empty for a launch (no run exists yet).
    pub run: String,
    /// The plan hash decided on; empty for a launch.
    pub plan: String,
    /// A launch's input digest ([`input_digest`]); empty otherwise.
    pub input: String,
    /// The new window end or parallelism; empty for other kinds.
    pub value: String,
    /// How it is sent: cli, web-ui or service.
    pub channel: String,
    /// Unix seconds after which it no longer counts.
    pub expires: i64,
    /// Random, so one signed decision can be used once.
    pub nonce: String,
    /// The maker's words, one line.
    pub comment: String,
    /// The principal an attester (the service) signs for, having
    /// authenticated them; empty when the signer decides for themselves.
    /// Written as a last `for:` line only when set, so messages without it
    /// read exactly as before.
    pub on_behalf: String,
}

const FIELDS: [&str; 10] = ["decision", "suite", "run", "plan", "input", "value", "channel", "expires", "nonce", "comment"];

/// The extra line of an attester's message.
const ON_BEHALF: &str = "for";

impl Decision {
    /// The canonical text: what is signed, byte for byte.
    pub fn to_text(&self) -> String {
        let values = [
            self.kind.name().to_string(), self.suite.clone(), self.run.clone(), self.plan.clone(), self.input.clone(),
            self.value.clone(), self.channel.clone(), format_rfc3339(self.expires), self.nonce.clone(), self.comment.clone(),
        ];
        let mut text = format!("{HEADER}\n");
        for (field, value) in FIELDS.iter().zip(values) {
            if value.is_empty() {
                let _ = writeln!(text, "{field}:");
            } else {
                let _ = writeln!(text, "{field}: {value}");
            }
        }
        if !self.on_behalf.is_empty() {
            let _ = writeln!(text, "{ON_BEHALF}: {}", self.on_behalf);
        }
        text
    }

    /// Reads a canonical text back; anything else is refused, naming the
    /// line, so a message cannot mean one thing to a person and another here.
    pub fn parse(text: &str) -> Result<Self, String> {
        let body = text.strip_suffix('\n').ok_or("the message must end with a newline")?;
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.first() != Some(&HEADER) {
            return Err(format!("line 1 must be {HEADER:?}"));
        }
        // An attester's message has one more line, naming whom it signs for.
        let (lines, on_behalf) = match lines.len() {
            n if n == FIELDS.len() + 1 => (&lines[..], String::new()),
            n if n == FIELDS.len() + 2 => {
                let last = lines[n - 1];
                let who = last.strip_prefix(ON_BEHALF).and_then(|r| r.strip_prefix(": "))
                    .ok_or_else(|| format!("line {n} must be \"{ON_BEHALF}: <principal>\""))?;
                if who.trim() != who || who.is_empty() || who.chars().any(char::is_control) || who.len() > MAX_COMMENT {
                    return Err(format!("line {n}: {ON_BEHALF} must name one principal"));
                }
                (&lines[..n - 1], who.to_string())
            }
            n => return Err(format!("a decision has {} lines ({} when an attester signs for someone), this message {n}", FIELDS.len() + 1, FIELDS.len() + 2)),
        };
        let mut values = Vec::with_capacity(FIELDS.len());
        for (i, (line, field)) in lines[1..].iter().zip(FIELDS).enumerate() {
            let rest = line.strip_prefix(field).and_then(|r| r.strip_prefix(':'))
                .ok_or_else(|| format!("line {} must be \"{field}: ...\"", i + 2))?;
            let value = if rest.is_empty() { "" } else { rest.strip_prefix(' ').ok_or_else(|| format!("line {}: a space follows \"{field}:\"", i + 2))? };
            if value.trim() != value {
                return Err(format!("line {}: {field} has surrounding space", i + 2));
            }
            if value.chars().any(char::is_control) {
                return Err(format!("line {}: {field} holds a control character", i + 2));
            }
            if value.len() > MAX_COMMENT {
                return Err(format!("line {}: {field} is longer than {MAX_COMMENT} bytes", i + 2));
            }
            values.push(value.to_string());
        }
        let kind = Kind::from_name(&values[0]).ok_or_else(|| format!("line 2: unknown decision {:?}", values[0]))?;
        let expires = parse_rfc3339(&values[7]).ok_or_else(|| format!("line 9: expires {:?} is not an RFC 3339 time", values[7]))?;
        let decision = Self {
            kind, suite: values[1].clone(), run: values[2].clone(), plan: values[3].clone(), input: values[4].clone(),
            value: values[5].clone(), channel: values[6].clone(), expires, nonce: values[8].clone(), comment: values[9].clone(),
            on_behalf,
        };
        // Only the canonical spelling is accepted (one time format, say).
        if decision.to_text() != text {
            return Err("the message is not in canonical form (re-create it with `switchyard sign`)".into());
        }
        Ok(decision)
    }
}

/// What a decision must be bound to, to count for this suite now.
#[derive(Debug, Clone)]
pub struct Binding<'a> {
    /// The suite's id.
    pub suite: &'a str,
    /// Its run id (empty for a launch).
    pub run: &'a str,
    /// Its plan hash (empty for a launch).
    pub plan: &'a str,
    /// The launch's input digest (empty for other decisions).
    pub input: &'a str,
    /// Unix seconds now (workflow time in a workflow).
    pub now: i64,
}

/// A decision that passed every check, with who made it.
#[derive(Debug, Clone)]
pub struct Established {
    /// The decision as signed.
    pub decision: Decision,
    /// Who made it.
    pub signer: Signer,
}

/// Checks a signed decision: the signature is SSHSIG in switchyard's
/// namespace, by a key of a principal of `principals`, over exactly this
/// message; the message is bound to this suite, run, plan (or input) and
/// has not expired. Every refusal says which of these failed.
pub fn establish(signed: &SignedDecision, principals: &[PolicyPrincipal], binding: &Binding<'_>) -> Result<Established, String> {
    let decision = Decision::parse(&signed.message).map_err(|e| format!("the signed message is not a switchyard decision: {e}"))?;
    let sig = SshSig::from_pem(signed.signature.trim().as_bytes()).map_err(|e| format!("the signature is not an SSH signature block: {e}"))?;
    if sig.namespace() != NAMESPACE {
        return Err(format!("signed for namespace {:?}, not {NAMESPACE:?}", sig.namespace()));
    }
    let key = PublicKey::from(sig.public_key().clone());
    let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
    let owner = principals.iter().find(|p| p.keys.iter().any(|k| same_key(k, &key)))
        .ok_or_else(|| format!("signed by key {fingerprint}, which no principal of the policy holds"))?;
    key.verify(NAMESPACE, signed.message.as_bytes(), &sig)
        .map_err(|_| format!("the signature by {} ({fingerprint}) does not match the message: altered or forged", owner.name))?;
    check_binding(&decision, binding)?;
    // An attester (the service) speaks for the principal it authenticated
    // and names in the message; nobody else speaks for anyone.
    let principal = match (owner.attester, decision.on_behalf.as_str()) {
        (false, "") => owner.name.clone(),
        (false, other) => return Err(format!("signed by {}'s key for {other}: only an attester of the policy signs for someone else", owner.name)),
        (true, "") => return Err(format!("signed by attester {} without naming whom it signs for", owner.name)),
        (true, who) => match principals.iter().find(|p| p.name == who) {
            Some(p) if p.attester => return Err(format!("attester {} signs for {who}, another attester, not a person", owner.name)),
            Some(p) => p.name.clone(),
            None => return Err(format!("attester {} signs for {who}, who is not a principal of the policy", owner.name)),
        },
    };
    let attested_by = if owner.attester { owner.name.clone() } else { String::new() };
    let signer = Signer { principal, fingerprint, channel: decision.channel.clone(), attested_by };
    Ok(Established { decision, signer })
}

/// Whether a policy's key line and a signature's key are one key: their
/// identities (below) are equal, so no second spelling of a key is a
/// second key.
fn same_key(line: &str, key: &PublicKey) -> bool {
    !non_canonical(key.key_data()) && PublicKey::from_openssh(line).is_ok_and(|k| key_identity(k.key_data()) == key_identity(key.key_data()))
}

/// What a key is, whatever its spelling: its curve and point. The text
/// (comment, line) is not the key, and a security key's wrapping (its
/// `sk-` type and application string) is not either: one private key can
/// sign in both forms.
pub fn key_identity(key: &ssh_key::public::KeyData) -> Vec<u8> {
    use ssh_key::public::KeyData;
    let tagged = |curve: &str, point: &[u8]| [curve.as_bytes(), b":", point].concat();
    match key {
        KeyData::Ed25519(k) => tagged("ed25519", &k.0),
        KeyData::SkEd25519(k) => tagged("ed25519", &k.public_key().0),
        KeyData::Ecdsa(k) => tagged(k.curve().as_str(), k.as_sec1_bytes()),
        KeyData::SkEcdsaSha2NistP256(k) => tagged("nistp256", k.ec_point().as_bytes()),
        other => tagged(other.algorithm().as_str(), ssh_key::Fingerprint::new(HashAlg::Sha256, other).as_bytes()),
    }
}

/// Whether a key is written in a second spelling of its point: an ECDSA
/// point in compressed form. OpenSSH writes points uncompressed; refusing
/// the other form leaves each key one point, so comparing identities
/// compares keys.
pub fn non_canonical(key: &ssh_key::public::KeyData) -> bool {
    let point = match key {
        ssh_key::public::KeyData::Ecdsa(k) => k.as_sec1_bytes(),
        ssh_key::public::KeyData::SkEcdsaSha2NistP256(k) => k.ec_point().as_bytes(),
        _ => return false,
    };
    point.first().is_some_and(|tag| *tag == 2 || *tag == 3)
}

/// The suite, run, plan (or input) and expiry checks of [`establish`].
fn check_binding(d: &Decision, b: &Binding<'_>) -> Result<(), String> {
    if d.suite != b.suite {
        return Err(format!("signed for suite {:?}, not this suite ({})", d.suite, b.suite));
    }
    if d.run != b.run {
        return Err(format!("signed for run {:?}, not this run ({})", d.run, b.run));
    }
    if d.plan != b.plan {
        return Err(format!("signed for plan {:?}, but the plan is {:?}", d.plan, b.plan));
    }
    if d.input != b.input {
        return Err(format!("signed for suite input {:?}, but this input is {:?}", d.input, b.input));
    }
    if d.expires <= b.now {
        return Err(format!("expired at {}", format_rfc3339(d.expires)));
    }
    if d.expires - b.now > MAX_VALIDITY_SECS {
        return Err(format!("valid until {}, more than {} days ahead", format_rfc3339(d.expires), MAX_VALIDITY_SECS / 86400));
    }
    Ok(())
}

/// The name an unsigned decision gives, as the rules compare names:
/// surrounding space and case never make a second person.
pub fn person(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Who made a decision that carries no signature, when the policy lets
/// unsigned decisions count (a lab); refused otherwise.
pub fn unsigned(policy: &EffectivePolicy, name: &str) -> Result<Signer, String> {
    if !policy.allow_unsigned {
        return Err("unsigned: this policy counts only signed decisions (sign with --signing-key or `switchyard sign`)".into());
    }
    let principal = person(name);
    if principal.is_empty() {
        return Err("unsigned and no name given".into());
    }
    Ok(Signer { principal, fingerprint: String::new(), channel: "unsigned".into(), attested_by: String::new() })
}

/// SHA-256 of a suite input with its launch signature cleared: what the
/// requester's launch signature binds. prost writes fields in number order
/// and maps in key order (BTreeMap), so the bytes are stable.
pub fn input_digest(input: &SuiteInput) -> String {
    let mut bare = input.clone();
    bare.launch = None;
    hex(&Sha256::digest(bare.encode_to_vec()))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    ::hex::encode(bytes)
}

/// The bytes of lower-case or upper-case hex `text`; none when it is not
/// hex of whole bytes.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    ::hex::decode(text).ok()
}

#[cfg(test)]
mod tests;
