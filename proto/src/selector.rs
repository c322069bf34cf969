//! The device selector, in one place: names (globs), roles, sites and tags.
//! Suite targets, policy rules, webhook subscriptions, API keys and drift
//! checks all pick devices with it, so a device means the same to each.
//!
//! Lists combine with AND, entries of one list with OR; an empty list does
//! not restrict, so the empty selector picks every device (each caller
//! says whether it allows that).
//!
//! Must never: read a file or the inventory itself.

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::inventory::{Device, glob_match};

/// Which devices: every non-empty list must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    /// Device name globs (`*`, `?`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Sites.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<String>,
    /// Tags (a device with any of them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl Selector {
    /// The lists with their field names, in the order files write them.
    pub fn lists(&self) -> [(&'static str, &[String]); 4] {
        [("names", &self.names), ("roles", &self.roles), ("sites", &self.sites), ("tags", &self.tags)]
    }

    /// Whether it picks every device (no list given).
    pub fn is_all(&self) -> bool {
        self.lists().iter().all(|(_, list)| list.is_empty())
    }

    /// Whether it picks `device`.
    pub fn selects(&self, device: &Device) -> bool {
        self.lists().iter().all(|(kind, list)| list.is_empty() || list.iter().any(|entry| entry_matches(kind, entry, device)))
    }

    /// The selector as an operator reads it, e.g. `sites=ams1 roles=leaf`.
    pub fn describe(&self) -> String {
        if self.is_all() {
            return "all devices".into();
        }
        let given = self.lists().into_iter().filter(|(_, list)| !list.is_empty());
        given.map(|(kind, list)| format!("{kind}={}", list.join(","))).collect::<Vec<_>>().join(" ")
    }
}

/// A selector as a file writes it, each entry with its place, so a
/// refusal names the entry's line (suite targets, policy rules).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Located {
    #[serde(default)]
    names: Vec<Spanned<String>>,
    #[serde(default)]
    roles: Vec<Spanned<String>>,
    #[serde(default)]
    sites: Vec<Spanned<String>>,
    #[serde(default)]
    tags: Vec<Spanned<String>>,
}

impl Located {
    /// Each list with its field name, in the order files write them.
    pub(crate) fn lists(&self) -> [(&'static str, &[Spanned<String>]); 4] {
        [("names", &self.names), ("roles", &self.roles), ("sites", &self.sites), ("tags", &self.tags)]
    }

    /// The selector without the places.
    pub(crate) fn selector(&self) -> Selector {
        let values = |list: &[Spanned<String>]| list.iter().map(|e| e.value.clone()).collect::<Vec<_>>();
        Selector { names: values(&self.names), roles: values(&self.roles), sites: values(&self.sites), tags: values(&self.tags) }
    }
}

/// Whether one entry of the list `kind` (names, roles, sites, tags) picks
/// `device` on its own.
pub fn entry_matches(kind: &str, entry: &str, device: &Device) -> bool {
    match kind {
        "names" => glob_match(entry, &device.name),
        "roles" => device.role == entry,
        "sites" => device.site == entry,
        _ => device.tags.iter().any(|t| t == entry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn devices() -> crate::inventory::Inventory {
        crate::inventory::Inventory::parse("inv.yaml", "defaults:\n  user: admin\n  credential: { key_file: k }\n  known_hosts: kh\ndevices:\n  - { name: leaf1, address: 10.0.0.1, role: leaf, site: ams1, tags: [prod] }\n  - { name: spine1, address: 10.0.0.2, role: spine, site: ams1 }\n").unwrap()
    }

    #[test]
    fn lists_combine_with_and_entries_with_or() {
        let inventory = devices();
        let (leaf, spine) = (inventory.device("leaf1").unwrap(), inventory.device("spine1").unwrap());
        let s = Selector { names: vec!["leaf*".into(), "spine9".into()], sites: vec!["ams1".into()], ..Default::default() };
        assert!(s.selects(leaf) && !s.selects(spine));
        let tagged = Selector { tags: vec!["lab".into(), "prod".into()], ..Default::default() };
        assert!(tagged.selects(leaf) && !tagged.selects(spine));
        assert!(Selector::default().is_all() && Selector::default().selects(spine));
        assert_eq!(s.describe(), "names=leaf*,spine9 sites=ams1");
        assert_eq!(Selector::default().describe(), "all devices");
    }
}
