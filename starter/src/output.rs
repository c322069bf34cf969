//! How a command prints what it read: a text report for people, or JSON
//! for scripts in switchyard's one convention (`proto::json_style`), the
//! same as the service's API.
//! `-o json` on every command that prints data; `--json` is kept as its
//! alias.
//!
//! Must never: decide what a command prints (the command does), or change
//! a key or a string that is data rather than a field name or an enum word
//! (CONFIG_DB keys and fields pass through unchanged).

use anstream::println;
use clap::{Args, ValueEnum};
use serde::Serialize;
use switchyard_proto::json_style::normalize;

/// The formats a command prints in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum Format {
    /// A report for people (coloured on a terminal).
    #[default]
    Text,
    /// JSON for scripts: snake_case keys, lower-case enum words, RFC 3339 times.
    Json,
}

/// `-o FORMAT` (and its older spelling `--json`), flattened into every
/// command that prints data.
#[derive(Debug, Clone, Copy, Default, Args)]
pub(crate) struct Output {
    /// How to print: text for people, json for scripts.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The same as `-o json`.
    #[arg(long, hide = true)]
    json: bool,
}

impl Output {
    /// Whether the command prints JSON.
    pub(crate) fn json(self) -> bool {
        self.json || self.format == Format::Json
    }
}

/// Prints `value` as the CLI's JSON.
pub(crate) fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", to_json(value)?);
    Ok(())
}

/// `value` as the CLI's JSON, pretty.
pub(crate) fn to_json<T: Serialize>(value: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&normalize(serde_json::to_value(value)?))?)
}
