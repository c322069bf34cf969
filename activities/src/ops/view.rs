//! A plain-data snapshot of the CONFIG_DB rows a plan depends on.

use std::collections::{BTreeMap, BTreeSet};

use switchyard_proto::inventory::glob_match;
use switchyard_proto::v1::{ChangeAction, ChangeSet, Guards, PatternGuard, RowGuard};

/// One row's fields.
pub type Row = BTreeMap<String, String>;

/// Keys and key patterns an operation reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reads {
    /// Exact row keys, e.g. `VLAN|Vlan100`.
    pub keys: BTreeSet<String>,
    /// Redis glob patterns, e.g. `VLAN_MEMBER|*|Ethernet0`.
    pub patterns: BTreeSet<String>,
    /// STATE_DB rows: what the hardware reports (a port's supported
    /// speeds). Facts, not configuration: never guarded, never written.
    pub state_keys: BTreeSet<String>,
}

impl Reads {
    /// Adds an exact key.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.keys.insert(key.into());
        self
    }

    /// Adds a pattern.
    pub fn pattern(mut self, pattern: impl Into<String>) -> Self {
        self.patterns.insert(pattern.into());
        self
    }

    /// Adds a STATE_DB row.
    pub fn state_key(mut self, key: impl Into<String>) -> Self {
        self.state_keys.insert(key.into());
        self
    }

    /// Union of two read sets.
    pub fn merge(&mut self, other: Reads) {
        self.keys.extend(other.keys);
        self.patterns.extend(other.patterns);
        self.state_keys.extend(other.state_keys);
    }
}

/// How switchyard logs in to the device (from the worker's inventory): what
/// a change to the switch's login methods must not take away.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Login {
    /// The SSH user.
    pub user: String,
    /// Whether it logs in with a password (which PAM, and so AAA, decides
    /// on); a key login is not PAM's to refuse.
    pub by_password: bool,
}

/// Rows of one device: everything that was read, plus the effects of
/// earlier planned steps. Absent rows are absent from the map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    rows: BTreeMap<String, Row>,
    state: BTreeMap<String, Row>,
    login: Option<Login>,
}

impl View {
    /// A view holding exactly these rows.
    pub fn new(rows: BTreeMap<String, Row>) -> Self {
        Self { rows, state: BTreeMap::new(), login: None }
    }

    /// The same view, knowing how switchyard logs in to the device.
    pub fn with_login(mut self, login: Login) -> Self {
        self.login = Some(login);
        self
    }

    /// How switchyard logs in, when the planner was told.
    pub fn login(&self) -> Option<&Login> {
        self.login.as_ref()
    }

    /// The same view, with these STATE_DB rows.
    pub fn with_state(mut self, state: BTreeMap<String, Row>) -> Self {
        self.state = state;
        self
    }

    /// A STATE_DB row, if it was read and is present.
    pub fn state_row(&self, key: &str) -> Option<&Row> {
        self.state.get(key)
    }

    /// The row at `key`, if present.
    pub fn row(&self, key: &str) -> Option<&Row> {
        self.rows.get(key)
    }

    /// Keys matching a glob pattern, sorted.
    pub fn keys(&self, pattern: &str) -> Vec<String> {
        self.rows.keys().filter(|k| glob_match(pattern, k)).cloned().collect()
    }

    /// Sets a row (planning a step's own effect). A row with no field is
    /// no row: redis keeps no empty hash.
    pub fn set_row(&mut self, key: &str, row: Row) {
        if row.is_empty() {
            self.rows.remove(key);
        } else {
            self.rows.insert(key.to_string(), row);
        }
    }

    /// Removes a row (planning a step's own effect).
    pub fn remove_row(&mut self, key: &str) {
        self.rows.remove(key);
    }

    /// Applies a ChangeSet's after-images, so later steps plan against it.
    pub fn apply(&mut self, changes: &ChangeSet) {
        for c in &changes.changes {
            if c.action == ChangeAction::Delete as i32 {
                self.rows.remove(&c.key);
            } else {
                self.set_row(&c.key, c.after.clone());
            }
        }
    }

    /// What `reads` sees in this view: the guards apply checks.
    pub fn guards(&self, reads: &Reads) -> Guards {
        Guards {
            rows: reads.keys.iter().map(|k| RowGuard {
                key: k.clone(),
                exists: self.rows.contains_key(k),
                fields: self.rows.get(k).cloned().unwrap_or_default(),
            }).collect(),
            patterns: reads.patterns.iter().map(|p| PatternGuard { pattern: p.clone(), keys: self.keys(p) }).collect(),
        }
    }
}
