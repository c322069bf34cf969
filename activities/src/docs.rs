//! The operation catalogue document, generated from the code so that it
//! cannot drift: names, parameters and summaries from the registry, and the
//! rows each operation writes from each operation file's own header.
//!
//! `SWITCHYARD_UPDATE_DOCS=1 cargo test -p switchyard-activities` rewrites
//! `activities/OPERATIONS.md`; plain `cargo test` fails if it is stale.

use std::fmt::Write;

use switchyard_proto::operation::OPERATIONS;

/// Files of `src/ops/` that are no operation: what the operations share.
const SHARED: [&str; 11] = ["mod.rs", "daemons.rs", "login.rs", "plan.rs", "view.rs", "reverse.rs", "references.rs", "bgp_daemon.rs", "interfaces.rs", "keys.rs", "sonic_release.rs"];

/// Renders the catalogue from the registry and the files' headers.
/// `files` are (file name, text) of `src/ops/*.rs`.
pub fn render(files: &[(String, String)]) -> String {
    let mut out = String::new();
    out.push_str("# Operation catalogue\n\n");
    out.push_str("Generated from `activities/src/ops/` by `SWITCHYARD_UPDATE_DOCS=1 cargo test -p switchyard-activities`; do not edit by hand.\n\n");
    out.push_str("Every operation plans from a snapshot of the rows it reads, applies atomically (refusing if those rows changed), and has a domain-level reverse built from its receipt (see `ops/reverse.rs` and `ops/references.rs`).\n\n");
    out.push_str("| operation | parameters | what it does |\n|---|---|---|\n");
    for def in OPERATIONS {
        let _ = writeln!(out, "| `{}` | {} | {} |", def.name, def.params.join(", "), def.summary);
    }
    out.push_str("| `apply_service` | service, and the service's params | Expands a service of the catalogue file into its operations. |\n");
    out.push_str("| `remove_service` | service, and the service's params | Expands into the removals of the service's operations, in reverse order; shared objects are removed only by their last user. |\n");
    let mut files: Vec<&(String, String)> = files.iter().filter(|(name, _)| !SHARED.contains(&name.as_str())).collect();
    files.sort();
    for (name, text) in files {
        let doc: Vec<&str> = text.lines().take_while(|l| l.starts_with("//!")).map(|l| l.trim_start_matches("//!").strip_prefix(' ').unwrap_or(l.trim_start_matches("//!"))).collect();
        let Some((title, body)) = doc.split_first() else { continue };
        let _ = writeln!(out, "\n## {}\n\n_Source: `activities/src/ops/{name}`_\n", title.trim_end_matches('.'));
        for line in body.iter().skip_while(|l| l.is_empty()) {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_md_is_up_to_date() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ops");
        let files: Vec<(String, String)> = std::fs::read_dir(dir).unwrap().map(|e| {
            let path = e.unwrap().path();
            (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&path).unwrap())
        }).collect();
        let rendered = render(&files);
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/OPERATIONS.md");
        if std::env::var("SWITCHYARD_UPDATE_DOCS").is_ok() {
            std::fs::write(path, &rendered).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(committed == rendered, "activities/OPERATIONS.md is stale: run SWITCHYARD_UPDATE_DOCS=1 cargo test -p switchyard-activities");
    }
}
