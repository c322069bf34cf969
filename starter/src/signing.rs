//! Signing decisions with the user's SSH key, the way git signs commits
//! with SSH keys: `ssh-keygen -Y sign -n switchyard`, given a private key
//! file, or a public key file whose private half is in ssh-agent. The
//! private key never passes through switchyard: ssh-keygen reads it (and
//! asks for its passphrase) itself.
//!
//! Must never: read a private key, or put one in an error or a log line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use switchyard_proto::trust::{self, Decision, Kind, NAMESPACE};
use switchyard_proto::v1::SignedDecision;

/// Why a decision could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// ssh-keygen could not be run.
    #[error("cannot run ssh-keygen to sign (install openssh-client): {0}")]
    Spawn(std::io::Error),
    /// ssh-keygen refused (no such key, wrong passphrase, agent without the key).
    #[error("ssh-keygen could not sign with {key}: {reason}")]
    Refused {
        /// The key file as given.
        key: String,
        /// What ssh-keygen said.
        reason: String,
    },
    /// The comment cannot be part of a decision.
    #[error("the comment {0}")]
    Comment(String),
}

/// The key that signs: a private key file, or a `.pub` file whose private
/// key is held by ssh-agent.
#[derive(Debug, Clone)]
pub struct SigningKey {
    path: PathBuf,
}

impl SigningKey {
    /// The key at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The key file as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The public half as OpenSSH writes it (`ssh-ed25519 AAAA…`), from the
    /// `.pub` beside the key (or the key itself when it is the `.pub`);
    /// none when there is no such file.
    pub fn public_key(&self) -> Option<String> {
        let public = if self.path.extension().is_some_and(|e| e == "pub") {
            self.path.clone()
        } else {
            let mut name = self.path.clone().into_os_string();
            name.push(".pub");
            PathBuf::from(name)
        };
        std::fs::read_to_string(public).ok().map(|t| t.trim().to_string())
    }

    /// Signs `decision`'s canonical text.
    pub fn sign(&self, decision: &Decision) -> Result<SignedDecision, SignError> {
        let message = decision.to_text();
        let mut child = Command::new("ssh-keygen")
            .args(["-q", "-Y", "sign", "-n", NAMESPACE, "-f"])
            .arg(&self.path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(SignError::Spawn)?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(message.as_bytes()).map_err(SignError::Spawn)?;
        }
        let out = child.wait_with_output().map_err(SignError::Spawn)?;
        let signature = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() || !signature.contains("BEGIN SSH SIGNATURE") {
            let reason = String::from_utf8_lossy(&out.stderr).trim().to_string();
            let reason = if reason.is_empty() { format!("exit status {}", out.status) } else { reason };
            return Err(SignError::Refused { key: self.path.display().to_string(), reason });
        }
        Ok(SignedDecision { message, signature })
    }
}

/// What a new decision is about; [`decision`] fills in the rest.
#[derive(Debug, Clone, Default)]
pub struct About {
    /// The suite.
    pub suite: String,
    /// Its run (empty for a launch).
    pub run: String,
    /// Its plan hash (empty for a launch).
    pub plan: String,
    /// A launch's input digest.
    pub input: String,
    /// The new window end or parallelism.
    pub value: String,
}

/// A decision of `kind` about `about`, sent over `channel`, valid for
/// `valid_for_secs` from now, with a fresh nonce.
pub fn decision(kind: Kind, about: About, channel: &str, comment: &str, valid_for_secs: i64) -> Result<Decision, SignError> {
    if comment.chars().any(char::is_control) {
        return Err(SignError::Comment("must be one line of text, without control characters".into()));
    }
    if comment.len() > trust::MAX_COMMENT {
        return Err(SignError::Comment(format!("is {} bytes; at most {}", comment.len(), trust::MAX_COMMENT)));
    }
    let now = now();
    Ok(Decision {
        kind,
        suite: about.suite,
        run: about.run,
        plan: about.plan,
        input: about.input,
        value: about.value,
        channel: channel.to_string(),
        expires: now + valid_for_secs.clamp(60, trust::MAX_VALIDITY_SECS),
        nonce: nonce(),
        comment: comment.trim().to_string(),
        on_behalf: String::new(),
    })
}

/// Unix seconds by the starter's clock (never a workflow's): what signed
/// decisions expire against, and what keys are created and checked at.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// How long a decision signed to be sent at once stays valid (a launch,
/// a CLI's or the service's decision on a running suite): it arrives
/// within seconds, so a short time keeps a leaked copy useless.
pub const SENT_VALID_SECS: i64 = 15 * 60;

/// 128 bits unique to one decision, as hex: uniqueness, not secrecy, is
/// what a nonce needs.
fn nonce() -> String {
    trust::hex(&crate::random::unique::<16>())
}
