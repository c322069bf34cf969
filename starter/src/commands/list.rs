//! `switchyard list`: suites by search attributes, as the Web UI filters
//! them, newest first. Plan-only runs are left out unless asked for; a name
//! matches by prefix, or as a glob when it has `*` or `?`.

use anstream::print;
use switchyard_starter::client::SuiteFilter;

use crate::cli::Global;
use crate::render;

/// Suites read to filter by a name pattern: the visibility store matches
/// names exactly, so a pattern is matched here among the newest ones.
const PATTERN_SCAN: usize = 1000;

pub(crate) async fn run(global: &Global, mut filter: SuiteFilter, name: Option<String>, limit: usize, json: bool) -> anyhow::Result<i32> {
    // A phase as typed (`rolledback`) is the phase's name, or refused with
    // the list: a filter nothing matches would print an empty table.
    if let Some(typed) = filter.status.take() {
        let phase = switchyard_proto::vocabulary::phase_typed(&typed).map_err(|why| crate::exit::usage(format!("--status: {why}")))?;
        filter.status = Some(switchyard_proto::vocabulary::phase_name(phase).to_string());
    }
    let target = crate::global::target(global).await?;
    let suites = match name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        None => target.list(&filter, limit).await?,
        Some(pattern) => {
            let read = target.list(&filter, PATTERN_SCAN.max(limit)).await?;
            read.into_iter().filter(|s| name_matches(pattern, &s.name, &s.suite_id)).take(limit).collect()
        }
    };
    if json {
        crate::output::print_json(&suites)?;
        return Ok(crate::exit::OK);
    }
    if suites.is_empty() {
        print!("{}", nothing_listed(&filter, name.as_deref()));
        return Ok(crate::exit::OK);
    }
    print!("{}", render::suites(&suites, switchyard_starter::signing::now()));
    Ok(crate::exit::OK)
}

/// Whether a suite is one `pattern` names: by its name (or its id) as a
/// prefix, or as a glob (`*` any run of characters, `?` one).
fn name_matches(pattern: &str, name: &str, suite_id: &str) -> bool {
    if pattern.contains(['*', '?']) {
        glob(pattern.as_bytes(), name.as_bytes()) || glob(pattern.as_bytes(), suite_id.as_bytes())
    } else {
        name.starts_with(pattern) || suite_id.starts_with(pattern)
    }
}

/// `*` and `?` globbing, iteratively (no backtracking blow-up).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == b'*')
}

/// What an empty list says: what it filtered by, and what to try.
fn nothing_listed(filter: &SuiteFilter, name: Option<&str>) -> String {
    let mut by = Vec::new();
    if let Some(s) = &filter.status {
        by.push(format!("in phase {s}"));
    }
    if let Some(n) = name {
        by.push(format!("named {n}"));
    }
    if let Some(r) = &filter.requester {
        by.push(format!("requested by {r}"));
    }
    let plans = if filter.change == Some(true) { " (plan-only runs are left out: --plans lists them)" } else { "" };
    if by.is_empty() {
        format!("no suites{plans}\n")
    } else {
        format!("no suites {}{plans}\n", by.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_by_prefix_or_glob() {
        assert!(name_matches("vlan", "vlan-storage", "vlan-storage-20261207-100000"));
        assert!(name_matches("vlan-storage-2026", "vlan-storage", "vlan-storage-20261207-100000"), "an id's prefix");
        assert!(!name_matches("storage", "vlan-storage", "vlan-storage-1"));
        assert!(name_matches("*storage*", "vlan-storage", "x"));
        assert!(name_matches("vlan-?torage", "vlan-storage", "x"));
        assert!(!name_matches("vlan-*-b", "vlan-storage", "vlan-storage-1"));
        assert!(glob(b"a*b*c", b"aXXbYYc") && !glob(b"a*b*c", b"aXXbYY") && glob(b"*", b"") && !glob(b"?", b""));
    }

    #[test]
    fn an_empty_list_says_what_it_filtered_by() {
        let filter = SuiteFilter { status: Some("applying".into()), change: Some(true), ..Default::default() };
        assert_eq!(nothing_listed(&filter, Some("vlan-*")), "no suites in phase applying, named vlan-* (plan-only runs are left out: --plans lists them)\n");
        assert_eq!(nothing_listed(&SuiteFilter::default(), None), "no suites\n");
    }
}
