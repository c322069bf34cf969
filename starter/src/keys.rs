//! The service's API keys: random, prefixed, shown once, kept only as
//! hashes in a keys file that `switchyard keys` writes and the service
//! re-reads when it changes (no restart to add or revoke a key).
//!
//! A key is `sy_<id>_<secret>`: the id finds its entry (and is safe to log),
//! the secret is 256 random bits, stored as its SHA-256. A slow password
//! hash would buy nothing against 256 random bits and would make every
//! request a CPU lever; a plain digest of a random secret is what token
//! stores use. Each key acts for one principal of the policy, with scopes
//! (read, write, approve, admin) and optionally only on the devices its
//! selector matches; it may expire and may be revoked.
//!
//! Must never: keep or print a secret after `create` returns it, or accept
//! a key the file does not hold unrevoked and unexpired.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
pub use switchyard_proto::selector::Selector;
use switchyard_proto::trust::hex;

/// The visible prefix of every key (so a leaked one is recognisable).
pub const PREFIX: &str = "sy_";

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Read suites, their status, events and statistics.
    Read,
    /// Create, plan and cancel suites, answer pauses, extend windows (and read).
    Write,
    /// Approve or reject plans (and read).
    Approve,
    /// Everything.
    Admin,
}

impl Scope {
    /// Parses `read`, `write`, `approve` or `admin`.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        match text.trim() {
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            "approve" => Ok(Self::Approve),
            "admin" => Ok(Self::Admin),
            other => Err(KeyError::Invalid(format!("unknown scope {other:?}; expected read, write, approve or admin"))),
        }
    }

    /// The scope's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Approve => "approve",
            Self::Admin => "admin",
        }
    }
}

/// One key as the keys file keeps it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    /// The key's id, the part after the prefix.
    pub id: String,
    /// The principal it acts for (a name in the policy).
    pub principal: String,
    /// Hex SHA-256 of the secret.
    pub hash: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// Which devices it may act on.
    #[serde(default, skip_serializing_if = "Selector::is_all")]
    pub devices: Selector,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; none: does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Unix seconds, once revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
}

impl ApiKey {
    /// Whether the key grants `scope` (admin grants all; write and approve
    /// also read).
    pub fn grants(&self, scope: Scope) -> bool {
        self.scopes.iter().any(|s| *s == scope || *s == Scope::Admin || (scope == Scope::Read && *s != Scope::Read))
    }

    /// Why the key is not usable at `now`, if it is not.
    pub fn unusable(&self, now: i64) -> Option<String> {
        if let Some(at) = self.revoked_at {
            return Some(format!("key {} was revoked at {}", self.id, switchyard_proto::time::format_rfc3339(at)));
        }
        match self.expires_at {
            Some(at) if at <= now => Some(format!("key {} expired at {}", self.id, switchyard_proto::time::format_rfc3339(at))),
            _ => None,
        }
    }
}

/// What can go wrong with keys and the keys file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The keys file cannot be read or written.
    #[error("keys file {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What failed.
        reason: String,
    },
    /// A key or a request about keys is not valid.
    #[error("{0}")]
    Invalid(String),
}

/// The keys file: its entries, read whole and written whole (atomically).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    /// Every key ever created, revoked ones included (for the record).
    pub keys: Vec<ApiKey>,
}

impl KeyFile {
    /// Reads the keys file; a file that does not exist holds no key.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let err = |reason: String| KeyError::File { path: path.display().to_string(), reason };
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| err(format!("line {}, column {}: {e}", e.line(), e.column()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(err(e.to_string())),
        }
    }

    /// Writes the file (mode 0600: it is not secret, but it is who may act).
    pub fn save(&self, path: &Path) -> Result<(), KeyError> {
        let err = |reason: String| KeyError::File { path: path.display().to_string(), reason };
        let text = serde_json::to_string_pretty(self).map_err(|e| err(e.to_string()))? + "\n";
        let temporary = PathBuf::from(format!("{}.tmp", path.display()));
        write_private(&temporary, &text).map_err(|e| err(e.to_string()))?;
        std::fs::rename(&temporary, path).map_err(|e| err(e.to_string()))
    }

    /// Makes a new key: returns the key text (shown once) and keeps only its hash.
    pub fn create(&mut self, principal: &str, scopes: Vec<Scope>, devices: Selector, now: i64, expires_at: Option<i64>) -> Result<String, KeyError> {
        if principal.trim().is_empty() {
            return Err(KeyError::Invalid("a key acts for a principal: give --principal".into()));
        }
        if scopes.is_empty() {
            return Err(KeyError::Invalid("a key needs at least one scope (read, write, approve, admin)".into()));
        }
        let id = hex(&random::<8>()?);
        let secret = hex(&random::<32>()?);
        self.keys.push(ApiKey {
            id: id.clone(),
            principal: principal.trim().to_string(),
            hash: digest(&secret),
            scopes,
            devices,
            created_at: now,
            expires_at,
            revoked_at: None,
        });
        Ok(format!("{PREFIX}{id}_{secret}"))
    }

    /// Revokes the key with `id` (it stays in the file, revoked).
    pub fn revoke(&mut self, id: &str, now: i64) -> Result<&ApiKey, KeyError> {
        let id = id.strip_prefix(PREFIX).unwrap_or(id);
        let key = self.keys.iter_mut().find(|k| k.id == id).ok_or_else(|| KeyError::Invalid(format!("no key {id} in the keys file")))?;
        key.revoked_at.get_or_insert(now);
        Ok(key)
    }

    /// The key a request presents, if the file holds it unrevoked and
    /// unexpired; otherwise why not (never echoing the secret).
    pub fn authenticate(&self, presented: &str, now: i64) -> Result<&ApiKey, String> {
        let rest = presented.strip_prefix(PREFIX).ok_or("not a switchyard API key (they start with sy_)")?;
        let (id, secret) = rest.split_once('_').ok_or("malformed API key")?;
        let key = self.keys.iter().find(|k| k.id == id).ok_or_else(|| format!("unknown API key {id}"))?;
        if key.hash != digest(secret) {
            return Err(format!("wrong secret for API key {id}"));
        }
        match key.unusable(now) {
            Some(why) => Err(why),
            None => Ok(key),
        }
    }
}

/// Where the service keeps when each key was last used, unless told
/// otherwise: beside the keys file (`<keys file>.used`, key id → Unix
/// seconds, to the minute), so the keys file stays the operator's alone to
/// edit and `keys list` can show it. Replicas sharing the file merge by
/// taking the later time.
pub fn usage_path(keys: &Path) -> PathBuf {
    PathBuf::from(format!("{}.used", keys.display()))
}

/// The last-used times in the usage file `usage` (none yet: empty).
pub fn load_usage(usage: &Path) -> std::collections::BTreeMap<String, i64> {
    std::fs::read_to_string(usage).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default()
}

/// Records `seen` (key id → time) in the usage file `usage`, keeping any
/// later time already there.
pub fn record_usage(usage: &Path, seen: &std::collections::BTreeMap<String, i64>) -> Result<(), KeyError> {
    let path = usage.to_path_buf();
    let err = |reason: String| KeyError::File { path: path.display().to_string(), reason };
    let mut merged = load_usage(usage);
    for (id, at) in seen {
        let entry = merged.entry(id.clone()).or_insert(*at);
        *entry = (*entry).max(*at);
    }
    let text = serde_json::to_string_pretty(&merged).map_err(|e| err(e.to_string()))? + "\n";
    let temporary = PathBuf::from(format!("{}.tmp", path.display()));
    write_private(&temporary, &text).map_err(|e| err(e.to_string()))?;
    std::fs::rename(&temporary, &path).map_err(|e| err(e.to_string()))
}

fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn random<const N: usize>() -> Result<[u8; N], KeyError> {
    crate::random::secret().map_err(|e| KeyError::Invalid(format!("no randomness from the system: {e}")))
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_proto::inventory::Device;

    #[test]
    fn a_key_is_shown_once_and_kept_as_a_hash() {
        let mut file = KeyFile::default();
        let token = file.create("alice", vec![Scope::Read], Selector::default(), 100, None).unwrap();
        assert!(token.starts_with("sy_"));
        let stored = serde_json::to_string(&file).unwrap();
        let secret = token.rsplit('_').next().unwrap();
        assert!(!stored.contains(secret), "the secret is never stored");
        assert_eq!(file.authenticate(&token, 200).unwrap().principal, "alice");
        // Change the last character to one it is not, so the secret is always wrong.
        let last = if token.ends_with('0') { '1' } else { '0' };
        let wrong = format!("{}{last}", &token[..token.len() - 1]);
        assert!(file.authenticate(&wrong, 200).unwrap_err().contains("wrong secret"));
        assert!(file.authenticate("Bearer nonsense", 200).unwrap_err().contains("start with sy_"));
    }

    #[test]
    fn expired_and_revoked_keys_are_refused_with_when() {
        let mut file = KeyFile::default();
        let token = file.create("ci", vec![Scope::Write], Selector::default(), 100, Some(1_000)).unwrap();
        assert!(file.authenticate(&token, 999).is_ok());
        assert!(file.authenticate(&token, 1_000).unwrap_err().contains("expired at 1970-01-01T00:16:40Z"));
        let id = file.keys[0].id.clone();
        file.revoke(&id, 500).unwrap();
        assert!(file.authenticate(&token, 600).unwrap_err().contains("was revoked"));
    }

    #[test]
    fn scopes_and_device_selectors() {
        let key = |scopes: Vec<Scope>| ApiKey { id: "x".into(), principal: "p".into(), hash: String::new(), scopes, devices: Selector::default(), created_at: 0, expires_at: None, revoked_at: None };
        assert!(key(vec![Scope::Write]).grants(Scope::Read));
        assert!(!key(vec![Scope::Read]).grants(Scope::Write));
        assert!(!key(vec![Scope::Write]).grants(Scope::Approve));
        assert!(key(vec![Scope::Admin]).grants(Scope::Approve));
        let lab1 = Selector { sites: vec!["lab1".into()], ..Default::default() };
        let device = |site: &str| Device { name: "d".into(), site: site.into(), ..test_device() };
        assert!(lab1.selects(&device("lab1")) && !lab1.selects(&device("lab2")));
        assert_eq!(lab1.describe(), "sites=lab1");
    }

    #[test]
    fn last_use_is_kept_beside_the_keys_file_and_only_moves_forward() {
        let dir = std::env::temp_dir().join(format!("switchyard-usage-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let keys = usage_path(&dir.join("keys.json"));
        assert!(keys.ends_with("keys.json.used"));
        assert!(load_usage(&keys).is_empty());
        record_usage(&keys, &[("a".to_string(), 200)].into()).unwrap();
        record_usage(&keys, &[("a".to_string(), 100), ("b".to_string(), 50)].into()).unwrap();
        let usage = load_usage(&keys);
        assert_eq!((usage["a"], usage["b"]), (200, 50));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn test_device() -> Device {
        Device {
            name: String::new(), address: String::new(), ssh_port: 22, user: String::new(),
            credential: switchyard_proto::inventory::CredentialRef::KeyFile(String::new()), known_hosts: String::new(),
            platform: String::new(), hwsku: String::new(), sonic_version: String::new(), role: String::new(), site: String::new(),
            tags: vec![], vars: Default::default(), source_ref: String::new(),
        }
    }
}
