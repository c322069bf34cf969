//! Errors that point into an operator's file: file, line, column and field.

use std::fmt;

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

    /// Turns a YAML syntax or type error into a located error.
    pub(crate) fn from_yaml(file: &str, err: &serde_saphyr::Error) -> Self {
        let (line, column) = err.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
        // The library's Display repeats the location and may add a snippet;
        // keep its first line, which carries the message.
        let text = err.to_string();
        let message = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid YAML").trim().to_string();
        Self { file: file.to_string(), line, column, field: String::new(), message }
    }
}
