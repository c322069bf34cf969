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

/// The largest operator file switchyard reads: far above any real suite,
/// inventory or catalogue, so a larger one is a mistake (a log, a binary).
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// Reads an operator's file as UTF-8 text; `what` names it in errors
/// ("suite", "inventory"). A file that is not UTF-8 is refused at the
/// first byte that is not, with its offset, line and column.
pub(crate) fn read_text(path: &std::path::Path, what: &str) -> Result<(String, String), SourceError> {
    let file = path.to_string_lossy().into_owned();
    let bare = |message: String| SourceError { file: file.clone(), line: 0, column: 0, field: String::new(), message };
    let bytes = std::fs::read(path).map_err(|e| bare(format!("cannot read {what}: {e}")))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(bare(format!("the {what} is {} bytes; at most {MAX_FILE_BYTES} are read", bytes.len())));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok((file, text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let before = &e.as_bytes()[..at];
            let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
            let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            Err(SourceError {
                file: file.clone(),
                line,
                column: (at - line_start) as u64 + 1,
                field: String::new(),
                message: format!("not UTF-8 text: byte {at} (line {line}) is not valid UTF-8; save the {what} as UTF-8"),
            })
        }
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
    if first.contains("untagged enum Scalar") || first.contains("expected string scalar") {
        return "expected a single value (a number, text or true/false), not a list or a map".to_string();
    }
    if let Some((dup, _)) = first.split_once(", set DuplicateKeyPolicy") {
        return format!("{dup}; a key may appear only once in a map");
    }
    if first.contains("cannot deserialize null into string") {
        return "expected a value here, found none (null)".to_string();
    }
    if first.contains("end of mapping after enum variant") {
        return "only one key is allowed here: it chooses one kind (a credential is key_file or password_env, not both)".to_string();
    }
    first.to_string()
}
