//! The field path at a place in a YAML document, e.g.
//! `steps[1].create_vlan.vlan_id`, for refusals that the YAML layer reports
//! with a line and column only (a wrong type, an unknown key).
//!
//! The document is read again as plain nodes with their places; at each
//! level the path follows the last entry that starts at or before the place.
//! A block mapping starts where its first key does, so the same place can
//! mean the mapping (a wrong type) or its first key (an unknown key): the
//! caller says which. Text that is not YAML at all has no path.
//!
//! Only the first levels are kept as nodes: the file formats nest six
//! levels at most, and each kept level costs stack (a spanned node is many
//! frames), so a deeply nested document must not overflow it here.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// The path of the field at `line`:`column` of `text`, if the text is YAML.
/// `about_key` is true when the error is about a mapping key rather than a value.
pub(super) fn field_at(text: &str, line: u64, column: u64, about_key: bool) -> Option<String> {
    let root: Spanned<Node> = serde_saphyr::from_str(text).ok()?;
    let mut path = String::new();
    walk(&root, (line, column), about_key, &mut path);
    (!path.is_empty()).then_some(path)
}

/// Levels kept as nodes; deeper content is skipped as one opaque node.
const MAX_DEPTH: usize = 12;

thread_local! {
    /// Nodes being read on this thread, outermost first: `Spanned` needs
    /// `Deserialize`, which cannot carry the depth as a seed would.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// A YAML node without types: enough to walk to a place.
enum Node {
    Map(Vec<(Spanned<Key>, Spanned<Node>)>),
    Seq(Vec<Spanned<Node>>),
    /// A scalar, or content nested deeper than [`MAX_DEPTH`].
    Scalar,
}

/// A mapping key as text. A key that is itself a list or a map is not in
/// the file formats; the walk gives up on such a document.
struct Key(String);

fn place<T>(s: &Spanned<T>) -> (u64, u64) {
    (s.referenced.line(), s.referenced.column())
}

fn walk(node: &Spanned<Node>, at: (u64, u64), about_key: bool, path: &mut String) {
    match &node.value {
        // A value error at a mapping's own place is about the whole mapping.
        Node::Map(_) if !about_key && place(node) == at => {}
        Node::Map(entries) => {
            let Some((key, value)) = entries.iter().rev().find(|(k, _)| place(k) <= at) else { return };
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&key.value.0);
            // A place on the key itself (an unknown key) ends the path there.
            if place(value) <= at {
                walk(value, at, about_key, path);
            }
        }
        Node::Seq(items) => {
            let Some((i, item)) = items.iter().enumerate().rev().find(|(_, v)| place(v) <= at) else { return };
            path.push_str(&format!("[{i}]"));
            walk(item, at, about_key, path);
        }
        Node::Scalar => {}
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let depth = DEPTH.get();
        if depth >= MAX_DEPTH {
            IgnoredAny::deserialize(d)?;
            return Ok(Node::Scalar);
        }
        DEPTH.set(depth + 1);
        let node = d.deserialize_any(NodeVisitor);
        DEPTH.set(depth);
        node
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Key, E> {
        Ok(Key("~".to_string()))
    }

}

#[cfg(test)]
mod tests {
    use super::field_at;

    const DOC: &str = "name: a\nsteps:\n  - create_vlan: { vlan_id: [1] }\n  - add_vlan_member:\n      vlan_id: 100\n      port: x\nrollout:\n  parallelism: many\n";

    #[test]
    fn names_the_field_at_a_place() {
        assert_eq!(field_at(DOC, 3, 29, false).as_deref(), Some("steps[0].create_vlan.vlan_id"));
        assert_eq!(field_at(DOC, 6, 13, false).as_deref(), Some("steps[1].add_vlan_member.port"));
        assert_eq!(field_at(DOC, 8, 16, false).as_deref(), Some("rollout.parallelism"));
        // The first key of a block mapping shares the mapping's place.
        assert_eq!(field_at(DOC, 8, 3, true).as_deref(), Some("rollout.parallelism"));
        assert_eq!(field_at(DOC, 8, 3, false).as_deref(), Some("rollout"));
        assert_eq!(field_at("name: [a\n", 1, 7, false), None, "not YAML: no path");
    }

    #[test]
    fn deep_nesting_is_cut_short() {
        let text = format!("name: {}1{}\n", "{a: ".repeat(60), "}".repeat(60));
        let path = field_at(&text, 1, 200, false).expect("a path");
        assert!(path.starts_with("name.a.a."), "{path}");
        assert!(path.matches('.').count() < super::MAX_DEPTH, "{path}");
    }
}
