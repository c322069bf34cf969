//! The malformed corpus: every file under `tests/malformed/suite/`,
//! `inventory/` and `services/` is loaded the way the CLI loads it and must
//! be refused with an error that names the file, the line of the mistake,
//! the field and what is wrong.
//!
//! Each corpus file says what to expect on its first line:
//! `# expect: line <N> | <field, or - for none> | <part of the message>`.
//! A field of `-` is for text that is not YAML at all, which has no field.
//! Suites name `../fixtures/inventory.yaml` (and `../fixtures/services.yaml`)
//! as the CLI would find them; the fixtures themselves must load cleanly, or
//! every refusal could be for the wrong reason.

use std::path::{Path, PathBuf};

use switchyard_proto::inventory::Inventory;
use switchyard_proto::services::Catalogue;
use switchyard_proto::suite_file::SuiteFile;
use switchyard_proto::SourceError;

/// Fewer files than this means the corpus lost files, not that all is well.
const MIN_FILES: usize = 30;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed")
}

fn fixture(name: &str) -> PathBuf {
    corpus().join("fixtures").join(name)
}

/// What a corpus file's header says its error must be.
struct Expect {
    line: u64,
    field: Option<String>,
    message: String,
}

fn expectation(path: &Path, text: &str) -> Result<Expect, String> {
    let header = text.lines().next().and_then(|l| l.strip_prefix("# expect:"))
        .ok_or_else(|| format!("{}: the first line must be `# expect: line N | field | message`", path.display()))?;
    let parts: Vec<&str> = header.splitn(3, '|').map(str::trim).collect();
    let [line, field, message] = parts[..] else {
        return Err(format!("{}: header {header:?} needs three parts separated by |", path.display()));
    };
    let line = line.strip_prefix("line ").and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("{}: header {header:?}: first part must be `line N`", path.display()))?;
    if message.is_empty() {
        return Err(format!("{}: header {header:?} names no message", path.display()));
    }
    let field = (field != "-").then(|| field.to_string());
    Ok(Expect { line, field, message: message.to_string() })
}

/// Loads a suite as `switchyard run` does: the suite (and the catalogue it
/// names), then the inventory it names, then resolves one against the other.
fn load_suite(path: &Path) -> Result<(), SourceError> {
    let suite = SuiteFile::load(path)?;
    let inventory = suite.load_inventory().unwrap_or_else(|| Inventory::load(&fixture("inventory.yaml")))?;
    suite.resolve(&inventory).map(|_| ())
}

fn load(kind: &str, path: &Path) -> Result<(), SourceError> {
    match kind {
        "suite" => load_suite(path),
        "inventory" => Inventory::load(path).map(|_| ()),
        "services" => Catalogue::load(path).map(|_| ()),
        other => unreachable!("corpus kind {other}"),
    }
}

/// Why `path` was not refused as its header says, if it was not.
fn mismatch(kind: &str, path: &Path) -> Option<String> {
    // Bytes, not text: some corpus files are deliberately not UTF-8.
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = String::from_utf8_lossy(&bytes);
    let expect = match expectation(path, &text) {
        Ok(e) => e,
        Err(problem) => return Some(problem),
    };
    let err = match load(kind, path) {
        Ok(()) => return Some(format!("{}: accepted, but must be refused", path.display())),
        Err(err) => err,
    };
    let shown = err.to_string();
    let file = path.to_string_lossy();
    let mut wrong = Vec::new();
    if err.file != file || !shown.starts_with(&format!("{file}:{}:", expect.line)) {
        wrong.push(format!("want {file}:{}:", expect.line));
    }
    match &expect.field {
        Some(field) if err.field != *field || !shown.contains(&format!(": {field}: ")) => wrong.push(format!("want field {field}")),
        None if !err.field.is_empty() => wrong.push("want no field".to_string()),
        _ => {}
    }
    if !err.message.contains(&expect.message) {
        wrong.push(format!("want a message containing {:?}", expect.message));
    }
    (!wrong.is_empty()).then(|| format!("{}: {}\n    got: {shown}", path.display(), wrong.join("; ")))
}

#[test]
fn fixtures_load_cleanly() {
    load_suite(&fixture("suite.yaml")).unwrap_or_else(|e| panic!("fixture suite refused: {e}"));
    Catalogue::load(&fixture("services.yaml")).unwrap_or_else(|e| panic!("fixture catalogue refused: {e}"));
}

#[test]
fn every_malformed_file_is_refused_at_its_mistake() {
    let mut count = 0;
    let mut failures = Vec::new();
    for kind in ["suite", "inventory", "services"] {
        let dir = corpus().join(kind);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.sort();
        assert!(files.len() >= 5, "{}: only {} files; each kind needs several", dir.display(), files.len());
        count += files.len();
        failures.extend(files.iter().filter_map(|path| mismatch(kind, path)));
    }
    assert!(count >= MIN_FILES, "the corpus has {count} files; it must have at least {MIN_FILES}");
    assert!(failures.is_empty(), "{} of {count} corpus files were not refused as expected:\n{}", failures.len(), failures.join("\n"));
}
