//! Errors that point into an operator's file: file, line, column and field.

use std::fmt;

mod yaml_path;

/// A refusal of operator input, located in the file it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SourceError {
    /// The file as the operator named it.
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: u64,
    /// 1-based column, 0 when unknown.
    pub column: u64,
    /// Path of the field, e.g. `steps[1].add_vlan_member.vlan_id`.
    pub field: String,
    /// What was wrong and what was expected.
    pub message: String,
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl SourceError {
    pub(crate) fn at(file: &str, loc: serde_saphyr::Location, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { file: file.to_string(), line: loc.line(), column: loc.column(), field: field.into(), message: message.into() }
    }

    /// Turns a YAML syntax or type error into a located error. `text` is the
    /// document it came from: a wrong type or an unknown key is named by its
    /// field path, found again from the error's place in the text.
    pub(crate) fn from_yaml(file: &str, text: &str, err: &serde_saphyr::Error) -> Self {
        let (line, column) = err.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
        let message = bare_message(&err.to_string());
        // A missing key has no place of its own (the library reports where
        // the map ended), so only the message names it.
        let field = if line == 0 || message.starts_with("missing field") {
            String::new()
        } else {
            let about_key = message.starts_with("unknown field");
            yaml_path::field_at(text, line, column, about_key).unwrap_or_default()
        };
        Self { file: file.to_string(), line, column, field, message }
    }
}

/// The library's message without what `Display` adds again: its first
/// line, less the `error: line N column M: ` prefix; its two messages that
/// name Rust types rather than the file's terms are replaced.
fn bare_message(text: &str) -> String {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid YAML").trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let first = match first.strip_prefix("line ").and_then(|rest| rest.split_once(": ")) {
        Some((place, rest)) if place.contains(" column ") => rest,
        _ => first,
    };
    if first.contains("untagged enum Scalar") {
        return "expected a single value (a number, text or true/false), not a list or a map".to_string();
    }
    if first.contains("end of mapping after enum variant") {
        return "only one key is allowed here: it chooses one kind (a credential is key_file or password_env, not both)".to_string();
    }
    first.to_string()
}
