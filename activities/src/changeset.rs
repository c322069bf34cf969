//! ChangeSets as operators read them, and as redis writes them.

use std::fmt::Write as _;

use switchyard_proto::v1::{ChangeAction, ChangeSet};

/// Renders `+ TABLE|key f=v`, `~ TABLE|key f: old → new`, `- TABLE|key`.
pub fn render_diff(changes: &ChangeSet) -> String {
    let mut out = String::new();
    for c in &changes.changes {
        match ChangeAction::try_from(c.action).unwrap_or(ChangeAction::Unspecified) {
            ChangeAction::Create => {
                let fields: Vec<String> = c.after.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let _ = writeln!(out, "+ {} {}", c.key, fields.join(" "));
            }
            ChangeAction::Delete => {
                let _ = writeln!(out, "- {}", c.key);
            }
            ChangeAction::Update | ChangeAction::Unspecified => {
                let mut names: Vec<&String> = c.before.keys().chain(c.after.keys()).collect();
                names.sort();
                names.dedup();
                for f in names {
                    let (old, new) = (c.before.get(f), c.after.get(f));
                    if old != new {
                        let show = |v: Option<&String>| v.cloned().unwrap_or_else(|| "(unset)".into());
                        let _ = writeln!(out, "~ {} {f}: {} → {}", c.key, show(old), show(new));
                    }
                }
            }
        }
    }
    out
}

/// One redis write derived from a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisWrite {
    /// HSET key f v ... (one command, so daemons see the row once).
    Hset(String, Vec<(String, String)>),
    /// HDEL key f ...
    Hdel(String, Vec<String>),
    /// DEL key
    Del(String),
}

/// The minimal writes that turn every `before` into its `after`.
pub fn writes(changes: &ChangeSet) -> Vec<RedisWrite> {
    let mut out = Vec::new();
    for c in &changes.changes {
        if c.action == ChangeAction::Delete as i32 {
            out.push(RedisWrite::Del(c.key.clone()));
            continue;
        }
        let set: Vec<(String, String)> = c.after.iter()
            .filter(|(k, v)| c.before.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let removed: Vec<String> = c.before.keys().filter(|k| !c.after.contains_key(*k)).cloned().collect();
        if !set.is_empty() {
            out.push(RedisWrite::Hset(c.key.clone(), set));
        }
        if !removed.is_empty() {
            out.push(RedisWrite::Hdel(c.key.clone(), removed));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_proto::v1::Change;

    #[test]
    fn update_writes_only_the_difference() {
        let change = Change {
            table: "VLAN".into(),
            key: "VLAN|Vlan1".into(),
            action: ChangeAction::Update as i32,
            before: [("a".to_string(), "1".to_string()), ("b".into(), "2".into())].into(),
            after: [("a".to_string(), "1".to_string()), ("c".into(), "3".into())].into(),
        };
        let cs = ChangeSet { changes: vec![change] };
        assert_eq!(writes(&cs), [
            RedisWrite::Hset("VLAN|Vlan1".into(), vec![("c".into(), "3".into())]),
            RedisWrite::Hdel("VLAN|Vlan1".into(), vec!["b".into()]),
        ]);
        assert_eq!(render_diff(&cs), "~ VLAN|Vlan1 b: 2 → (unset)\n~ VLAN|Vlan1 c: (unset) → 3\n");
    }
}
