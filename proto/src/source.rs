//! Errors that point into an operator's file: file, line, column and field.

use std::fmt;

mod yaml_path;

/// A refusal of operator input, located in the file it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
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
    /// The file's other mistakes found in the same reading, in file order
    /// after this one (at most [`MAX_MISTAKES`] in all): a file is fixed in
    /// one pass, not one run per mistake.
    pub also: Vec<SourceError>,
}

/// Most mistakes of one file reported at once.
pub const MAX_MISTAKES: usize = 20;

impl SourceError {
    /// The first of `errors` in file order, carrying the rest (bounded);
    /// none when there are none.
    pub fn all(mut errors: Vec<SourceError>) -> Option<SourceError> {
        errors.sort_by_key(|e| (e.line == 0, e.line, e.column));
        errors.dedup_by(|a, b| a.line == b.line && a.column == b.column && a.message == b.message);
        let mut rest = errors.into_iter();
        let mut first = rest.next()?;
        first.also = rest.take(MAX_MISTAKES - 1).collect();
        Some(first)
    }

    /// This mistake and those it carries, each on its own.
    pub fn into_each(mut self) -> Vec<SourceError> {
        let also = std::mem::take(&mut self.also);
        std::iter::once(self).chain(also).collect()
    }
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
        write!(f, ": {}", self.message)?;
        // Each further mistake on its own line, located the same way.
        for also in &self.also {
            write!(f, "\n{also}")?;
        }
        Ok(())
    }
}

impl SourceError {
    pub(crate) fn at(file: &str, loc: serde_saphyr::Location, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { file: file.to_string(), line: loc.line(), column: loc.column(), field: field.into(), message: message.into(), also: Vec::new() }
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
        Self { file: file.to_string(), line, column, field, message, also: Vec::new() }
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
    let bare = |message: String| SourceError { file: file.clone(), line: 0, column: 0, field: String::new(), message, also: Vec::new() };
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
                also: Vec::new(),
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
    if let Some(plain) = structure(first) {
        return plain.to_string();
    }
    if let Some(near) = unknown_with_near(first) {
        return near;
    }
    first.to_string()
}

/// A YAML structure error in the words of someone writing the file: what
/// the indentation or the shape should have been.
fn structure(message: &str) -> Option<&'static str> {
    if message.contains("did not find expected key") {
        return Some("the indentation is wrong here: a key must line up, space for space, with the keys of its map above it");
    }
    if message.contains("mapping values are not allowed in this context") {
        return Some("a `key: value` here is indented under a value: line it up with the keys above it (or quote the value if its `:` is text)");
    }
    if message.contains("expected mapping start") {
        return Some("expected a map here: `key: value` lines indented further than the line above, or `{ key: value }` on one line");
    }
    if message.contains("expected sequence start") {
        return Some("expected a list here: lines that start with `- `, indented further than the line above, or `[a, b]` on one line");
    }
    if message.contains("did not find expected '-' indicator") || message.contains("did not find expected - indicator") {
        return Some("a list item is indented wrong: each `- ` of a list must line up with the one above it");
    }
    if message.contains("found character that cannot start any token") {
        return Some("a character YAML cannot start a value with (a tab, `@` or a backquote): indent with spaces, and quote such a value");
    }
    None
}

/// serde's "unknown field `x`, expected one of `a`, `b`" (or "unknown
/// variant"), with the nearest names offered first.
fn unknown_with_near(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field ").or_else(|| message.strip_prefix("unknown variant "))?;
    let (typed, expected) = rest.split_once(", expected one of ").or_else(|| rest.split_once(", expected "))?;
    let typed = typed.trim_matches('`');
    let names: Vec<&str> = expected.split(", ").map(|n| n.trim_matches(|c| c == '`' || c == ' ')).collect();
    let near = crate::vocabulary::did_you_mean(typed, names.iter().copied());
    if near.is_empty() {
        return None;
    }
    let (kind, _) = message.split_once(' ').and_then(|(_, r)| r.split_once(' ')).map_or(("field", ""), |(k, _)| (k, ""));
    Some(format!("unknown {kind} `{typed}`{near}; expected one of {expected}"))
}
