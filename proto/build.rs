//! Generates the contract types from `switchyard/v1/*.proto`.
//!
//! protox compiles the .proto files in pure Rust, so no `protoc` is needed;
//! pbjson adds canonical proto3 JSON serde impls, so every payload in
//! Temporal history reads as JSON with field and enum names in the Web UI.

use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "switchyard/v1/operations.proto",
        "switchyard/v1/changeset.proto",
        "switchyard/v1/trust.proto",
        "switchyard/v1/checks.proto",
        "switchyard/v1/suite.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["."])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let descriptor_bytes = prost::Message::encode_to_vec(&descriptors);

    prost_build::Config::new()
        // BTreeMap keeps field order stable, so a ChangeSet serialises the
        // same way every time: plan hashes and replays depend on it.
        .btree_map(["."])
        .compile_fds(descriptors)?;

    pbjson_build::Builder::new()
        .register_descriptors(&descriptor_bytes)?
        .btree_map(["."])
        // Canonical proto3 JSON: fields left at their defaults are left
        // out, so results and histories carry only what says something.
        .out_dir(&out_dir)
        .build(&[".switchyard"])?;
    accept_enum_words(&out_dir.join("switchyard.v1.serde.rs"))?;
    Ok(())
}

/// Lets every enum read its lower-case word as well as its proto name
/// (`"rolled_back"` as `SUITE_PHASE_ROLLED_BACK`): the CLI's and the API's
/// JSON write the word, and the service's client and the API's request
/// bodies read it back. Rewrites each arm of pbjson's enum visitors,
/// `"SUITE_PHASE_ROLLED_BACK" => Ok(SuitePhase::RolledBack),`, into one that
/// takes both, and each enum's list of values a refusal names into its
/// words (`expected one of: ["unspecified", "planning", ...]`); fails the
/// build if pbjson's output no longer has that shape.
fn accept_enum_words(path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path)?;
    let mut out = String::with_capacity(text.len() + 4096);
    let (mut arms, mut listed) = (0, 0);
    // The enum whose `Deserialize` is being read, and whether its list of
    // values (`const FIELDS`) is.
    let mut deserializing: Option<&str> = None;
    let mut in_list = false;
    for line in text.lines() {
        let body = line.trim();
        if let Some(name) = body.strip_prefix("impl<'de> serde::Deserialize<'de> for ").and_then(|r| r.strip_suffix(" {")) {
            deserializing = Some(name);
        } else if body == "const FIELDS: &[&str] = &[" {
            in_list = true;
        } else if body == "];" {
            in_list = false;
        }
        let listed_word = deserializing.filter(|_| in_list).and_then(|name| {
            let value = body.strip_prefix('"')?.strip_suffix("\",")?;
            word_of(name, value)
        });
        if let Some(word) = listed_word {
            let indent = &line[..line.len() - line.trim_start().len()];
            out.push_str(&format!("{indent}\"{word}\",\n"));
            listed += 1;
            continue;
        }
        match enum_arm(line) {
            Some((indent, name, word, rest)) => {
                out.push_str(&format!("{indent}\"{name}\" | \"{word}\" => {rest}\n"));
                arms += 1;
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    if arms < 60 || listed < 60 {
        return Err(format!("{}: only {arms} enum values found to accept as words and {listed} to list; pbjson's output changed shape", path.display()).into());
    }
    std::fs::write(path, out)?;
    Ok(())
}

/// One arm `"PREFIX_VALUE" => Ok(Enum::Variant),` as (indent, name, word,
/// the rest), its word the name without the enum's prefix, lower case.
fn enum_arm(line: &str) -> Option<(&str, &str, String, &str)> {
    let body = line.trim_start();
    let indent = &line[..line.len() - body.len()];
    let name = body.strip_prefix('"')?.split('"').next()?;
    let rest = body[name.len() + 2..].strip_prefix(" => ")?;
    let variant = rest.strip_prefix("Ok(")?.strip_suffix("),")?;
    let (enum_name, _) = variant.split_once("::")?;
    if enum_name == "GeneratedField" {
        return None;
    }
    let word = word_of(enum_name, name)?;
    Some((indent, name, word, rest))
}

/// The word of enum `enum_name`'s value `name` (`SuitePhase`,
/// `SUITE_PHASE_ROLLED_BACK`: `rolled_back`); none when `name` is not one
/// of its values' proto names (a message's field, say).
fn word_of(enum_name: &str, name: &str) -> Option<String> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') {
        return None;
    }
    let mut prefix = String::new();
    for (i, c) in enum_name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            prefix.push('_');
        }
        prefix.push(c.to_ascii_uppercase());
    }
    prefix.push('_');
    Some(name.strip_prefix(&prefix)?.to_ascii_lowercase())
}
