//! The crate graph, checked from `cargo metadata`: decisions never reach
//! devices, the operator CLI never links device or credential code, and the
//! contracts stay free of I/O. Also: every module says what it owns.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn host_triple() -> String {
    let out = Command::new("rustc").arg("-vV").output().expect("rustc -vV");
    String::from_utf8_lossy(&out.stdout).lines().find_map(|l| l.strip_prefix("host: ")).expect("host triple").to_string()
}

fn metadata() -> Value {
    // Only this platform's graph: the rules are about what we link here, and
    // other platforms' crates may not even be downloaded.
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--filter-platform", &host_triple()])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("cargo metadata");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Package name → names of its normal (non-dev, non-build) dependencies,
/// over the resolved graph.
fn graph(meta: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let names: BTreeMap<&str, &str> = meta["packages"].as_array().unwrap().iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap())).collect();
    meta["resolve"]["nodes"].as_array().unwrap().iter().map(|n| {
        let deps = n["deps"].as_array().unwrap().iter()
            .filter(|d| d["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null()))
            .map(|d| names[d["pkg"].as_str().unwrap()].to_string())
            .collect();
        (names[n["id"].as_str().unwrap()].to_string(), deps)
    }).collect()
}

/// Every package `from` links on this platform, with the features it
/// actually enables. `cargo tree -p` resolves features for that package
/// alone; `cargo metadata` unifies them across the workspace, which would
/// blame a crate for features another crate turned on.
fn reachable(from: &str) -> BTreeSet<String> {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--locked", "-p", from, "-e", "normal", "--prefix", "none", "--format", "{p}", "--target", &host_triple()])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("cargo tree");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

fn assert_never(from: &str, forbidden: &[&str]) {
    let reach = reachable(from);
    for f in forbidden {
        assert!(!reach.contains(*f), "{from} must never depend on {f}, but it does (directly or through another crate)");
    }
}

#[test]
fn dependency_rules_hold() {
    let g = graph(&metadata());
    // The checks below would pass vacuously on an empty graph.
    assert!(reachable("switchyard-activities").contains("russh"));
    assert!(g["switchyard-worker"].contains("switchyard-activities"));
    let workspace = ["switchyard-proto", "switchyard-http", "switchyard-workflows", "switchyard-activities", "switchyard-worker", "switchyard-starter", "switchyard-tests"];
    // proto: no workspace crate, no runtime or I/O crate.
    assert_never("switchyard-proto", &workspace);
    assert_never("switchyard-proto", &["tokio", "russh", "redis", "temporalio-sdk", "temporalio-client", "mio"]);
    // workflows: decisions only; never devices or sockets (mio is tokio's
    // socket layer), never the worker runtime or the client.
    assert_never("switchyard-workflows", &["switchyard-activities", "russh", "redis", "mio", "temporalio-sdk", "temporalio-client", "temporalio-sdk-core"]);
    // Its direct dependencies are an allow-list. (The SDK's authoring crate
    // itself pulls tokio in through its generated gRPC types, without the
    // net feature; that edge is upstream and carries no socket.)
    // opentelemetry is the tracing API only (no SDK, no exporter): a span is
    // a side effect outside workflow state, its ids come from workflow
    // randomness, and spans begun in replay are never exported.
    let allowed = ["switchyard-proto", "temporalio-macros", "temporalio-workflow", "temporalio-protos", "futures", "futures-util", "prost", "serde", "serde_json", "sha2", "opentelemetry"];
    for dep in &g["switchyard-workflows"] {
        assert!(allowed.contains(&dep.as_str()), "switchyard-workflows gained a direct dependency on {dep}: decide whether it is deterministic and add it to the allow-list");
    }
    // activities never know the workflows.
    assert_never("switchyard-activities", &["switchyard-workflows"]);
    // the CLI never links device or credential code.
    assert_never("switchyard-starter", &["switchyard-activities", "russh", "redis"]);
    // Only worker (and tests) depend on both workflows and activities.
    for (pkg, deps) in &g {
        if deps.contains("switchyard-workflows") && deps.contains("switchyard-activities") {
            assert!(["switchyard-worker", "switchyard-tests", "switchyard-bench"].contains(&pkg.as_str()), "{pkg} depends on both workflows and activities");
        }
    }
}

#[test]
fn temporal_crates_are_pinned_exactly() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml")).unwrap();
    let pins: Vec<&str> = manifest.lines().filter(|l| l.trim_start().starts_with("temporalio-")).collect();
    assert!(pins.len() >= 5, "{pins:?}");
    for line in pins {
        assert!(line.contains("\"="), "not an exact pin: {line}");
    }
}

#[test]
fn every_module_says_what_it_owns() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let dirs = ["proto/src", "http/src", "workflows/src", "activities/src", "worker/src", "starter/src", "tests/src", "bench/src"];
    let sources = rust_sources(root, &dirs);
    assert!(sources.len() > 50, "found only {} modules: is the walk broken?", sources.len());
    let missing: Vec<String> = sources.into_iter()
        .filter(|(_, text)| !text.trim_start().starts_with("//!"))
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(missing.is_empty(), "modules without a leading //! doc: {missing:#?}");
}

#[test]
fn docker_compose_parses_and_registers_every_search_attribute() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docker-compose.yml")).unwrap();
    let compose: serde_json::Value = serde_saphyr::from_str(&text).expect("docker-compose.yml is valid YAML");
    let services = compose["services"].as_object().expect("services");
    for name in ["postgresql", "temporal-schema", "temporal", "temporal-ui", "search-attributes", "worker", "service", "prometheus", "grafana"] {
        assert!(services.contains_key(name), "service {name} missing");
    }
    // Temporal's current images: the server with an explicit schema step
    // (auto-setup is deprecated).
    for (name, service) in services {
        let image = service["image"].as_str().unwrap_or_default();
        assert!(!image.contains("auto-setup"), "{name} uses the deprecated {image}");
    }
    assert!(services["temporal"]["image"].as_str().unwrap().starts_with("temporalio/server:"));
    assert!(services["temporal-schema"]["image"].as_str().unwrap().starts_with("temporalio/admin-tools:"));
    let steps = services["temporal-schema"]["command"].to_string();
    for step in ["temporal-sql-tool", "setup-schema", "update-schema", "temporal_visibility"] {
        assert!(steps.contains(step), "the schema step runs {step}");
    }
    assert_eq!(services["temporal"]["depends_on"]["temporal-schema"]["condition"], "service_completed_successfully");
    // The example policy the service runs under (the deploy e2e test).
    assert!(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/policy.example.yaml")).is_file());
    // What Prometheus and Grafana are provisioned with is in the tree.
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    for service in ["prometheus", "grafana"] {
        for volume in services[service]["volumes"].as_array().expect("volumes") {
            let source = volume.as_str().unwrap().split(':').next().unwrap();
            assert!(root.join(source).is_dir(), "{service} mounts {source}, which is not a folder of the repository");
        }
    }
    let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(root.join("deploy/grafana/dashboards/switchyard.json")).unwrap())
        .expect("the dashboard is JSON");
    assert!(dashboard["panels"].as_array().is_some_and(|p| p.len() >= 6), "the dashboard has its panels");
    // Imported into any Grafana: its Prometheus is a variable, never a uid
    // of ours.
    assert!(dashboard["templating"]["list"].as_array().is_some_and(|l| l.iter().any(|v| v["type"] == "datasource" && v["name"] == "datasource")),
        "the dashboard has a datasource variable");
    let text = dashboard.to_string();
    assert!(!text.contains(r#""uid":"prometheus""#), "a panel names a fixed datasource uid");
    let register = services["search-attributes"]["command"].to_string();
    for (name, kind) in switchyard_proto::names::SEARCH_ATTRIBUTES {
        assert!(register.contains(&format!("{name}={kind}")), "docker-compose.yml does not register {name}={kind}");
    }
    let dev = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../lab/stack.sh")).unwrap();
    for (name, kind) in switchyard_proto::names::SEARCH_ATTRIBUTES {
        assert!(dev.contains(&format!("--search-attribute {name}={kind}")), "lab/stack.sh does not register {name}={kind}");
    }
}

/// ARCHITECTURE.md's "Adding an operation" recipe names every place an
/// operation lives. Those places exist and hold what the recipe says, and
/// each operation of `operations.proto` is declared exactly once: its wire
/// name appears in `proto/src/operation.rs` and in no other source file.
#[test]
fn adding_an_operation_recipe_matches_the_code() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let arch = read("ARCHITECTURE.md");
    let start = arch.find("## Adding an operation").expect("ARCHITECTURE.md has an \"Adding an operation\" section");
    let recipe = &arch[start..];
    let recipe = &recipe[..recipe[3..].find("\n## ").map_or(recipe.len(), |i| i + 3)];
    let places: Vec<&str> = recipe.split('`').skip(1).step_by(2).filter(|t| t.contains('/') && !t.contains(' ')).collect();
    assert!(places.len() >= 4, "the recipe names too few places: {places:?}");
    for place in &places {
        let path = match place.split_once("<op>") {
            Some((dir, _)) => root.join(dir),
            None => root.join(place),
        };
        assert!(path.exists(), "the recipe names {place}, which does not exist");
    }
    for (file, symbol) in [("proto/src/operation.rs", "operations! {"), ("activities/src/ops/mod.rs", "fn with_op"),
        ("activities/src/ops/references.rs", "pub fn users"), ("proto/switchyard/v1/operations.proto", "oneof op {")] {
        assert!(places.contains(&file), "the recipe does not name {file}");
        assert!(read(file).contains(symbol), "{file} no longer holds {symbol:?}");
    }

    // The operations, from the oneof of operations.proto.
    let proto = read("proto/switchyard/v1/operations.proto");
    let oneof = &proto[proto.find("oneof op {").unwrap()..];
    let oneof = &oneof[..oneof.find('}').unwrap()];
    let ops: Vec<&str> = oneof.lines().skip(1).filter_map(|l| l.split_whitespace().nth(1)).collect();
    assert!(ops.len() >= 25, "{ops:?}");
    let declarations = read("proto/src/operation.rs");
    let mut elsewhere = Vec::new();
    let sources = rust_sources(root, &["proto/src", "activities/src", "workflows/src", "worker/src", "starter/src"]);
    for op in &ops {
        assert_eq!(declarations.matches(&format!("\"{op}\" {{")).count(), 1, "{op} must be declared once in proto/src/operation.rs");
        for (path, text) in &sources {
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            if !path.ends_with("proto/src/operation.rs") && code.contains(&format!("\"{op}\"")) {
                elsewhere.push(format!("{op} in {}", path.display()));
            }
        }
    }
    assert!(elsewhere.is_empty(), "operation names written outside proto/src/operation.rs: {elsewhere:#?}");
}

/// Every `.rs` file under `dirs`, with its text.
fn rust_sources(root: &Path, dirs: &[&str]) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack: Vec<std::path::PathBuf> = dirs.iter().map(|d| root.join(d)).collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }
    out
}

/// lab/tools.txt as (group, program) pairs.
fn listed_tools(root: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root.join("lab/tools.txt")).expect("lab/tools.txt");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut words = l.split_whitespace();
            let group = words.next().unwrap().to_string();
            let program = words.next().unwrap_or_else(|| panic!("lab/tools.txt: `{l}` names no program")).to_string();
            assert!(words.next().is_some(), "lab/tools.txt: `{l}` says no source");
            (group, program)
        })
        .collect()
}

/// Every program the tests start by name (`Command::new` with a string
/// literal), and the Temporal CLI through `temporal_cli()` / `TEMPORAL_CLI`.
fn programs_the_tests_start(root: &Path) -> BTreeMap<String, String> {
    let mut started = BTreeMap::new();
    for (path, text) in rust_sources(root, &["tests/src", "tests/tests"]) {
        let file = path.strip_prefix(root).unwrap().display().to_string();
        for (at, _) in text.match_indices("Command::new(\"") {
            let name = text[at + "Command::new(\"".len()..].split('"').next().unwrap().to_string();
            started.entry(name).or_insert_with(|| file.clone());
        }
        if text.contains("temporal_cli()") || text.contains("\"TEMPORAL_CLI\"") {
            started.entry("temporal".to_string()).or_insert_with(|| file.clone());
        }
    }
    started
}

/// The README's test command installs every program a test starts: each
/// one is listed in lab/tools.txt (which `lab/lab.sh install tests`, run by
/// tests/run.sh, installs), no listed test program is stale, and under
/// tests/run.sh each is really there after its install.
#[test]
fn the_test_command_installs_every_program_the_tests_start() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let listed = listed_tools(root);
    let known: BTreeSet<&str> = listed.iter()
        .filter(|(group, _)| matches!(group.as_str(), "lab" | "tests" | "given"))
        .map(|(_, program)| program.rsplit('/').next().unwrap())
        .collect();
    let started = programs_the_tests_start(root);
    assert!(started.contains_key("prometheus") && started.contains_key("temporal"), "the scan found too little: {started:?}");
    let unlisted: Vec<String> = started.iter()
        .filter(|(name, _)| !known.contains(name.as_str()))
        .map(|(name, file)| format!("{name} (started in {file})"))
        .collect();
    assert!(unlisted.is_empty(), "tests start programs lab/tools.txt does not list, so tests/run.sh does not install them: {unlisted:?}");
    let stale: Vec<&str> = listed.iter()
        .filter(|(group, program)| group == "tests" && !started.contains_key(program.as_str()))
        .map(|(_, program)| program.as_str())
        .collect();
    assert!(stale.is_empty(), "lab/tools.txt lists programs for the tests that no test starts: {stale:?}");
    let run = std::fs::read_to_string(root.join("tests/run.sh")).unwrap();
    assert!(run.lines().any(|l| l.trim_start().starts_with("lab/lab.sh install tests")), "tests/run.sh must run `lab/lab.sh install tests`");
    if listed.iter().any(|(group, _)| group == "nautobot") {
        assert!(run.lines().any(|l| l.trim_start().starts_with("lab/nautobot.sh install")), "tests/run.sh must run `lab/nautobot.sh install`");
    }
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert_eq!(ci.lines().map(str::trim).rfind(|l| !l.is_empty() && !l.starts_with('#')), Some("exec tests/run.sh"),
        ".ci/run must end by running exactly the README's test command");

    // Under tests/run.sh the install has run: everything it lists is here.
    if std::env::var_os("SWITCHYARD_TEST_BIN_DIR").is_some() {
        let missing: Vec<&str> = listed.iter()
            .map(|(_, program)| program.as_str())
            .filter(|program| match *program {
                "temporal" => std::env::var_os("TEMPORAL_CLI").is_none_or(|p| !Path::new(&p).exists()),
                "cargo" => false,
                p if p.starts_with('/') => !Path::new(p).exists(),
                p => !std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(p).exists())),
            })
            .collect();
        assert!(missing.is_empty(), "tests/run.sh installed lab/tools.txt, yet these are missing: {missing:?}");
    }
}

/// The module a source file is, as a path from its crate's root (`a::b`
/// for `src/a/b.rs` or `src/a/b/mod.rs`; empty for `lib.rs` or `main.rs`).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !["mod", "lib", "main"].contains(&stem) {
        parts.push(stem.to_string());
    }
    parts
}

/// The modules `text` (the file of module `me`) takes names from: every
/// `crate::`, `super::` or `self::` path, each resolved to the longest
/// module of `modules` it names, not counting `me` or a module inside it.
fn imports(text: &str, me: &[String], modules: &BTreeSet<Vec<String>>) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    let code: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let words: Vec<&str> = code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).filter(|w| w.contains("::")).collect();
    for word in words {
        let segments: Vec<&str> = word.split("::").filter(|s| !s.is_empty()).collect();
        let Some((head, rest)) = segments.split_first() else { continue };
        let mut path: Vec<String> = match *head {
            "crate" => Vec::new(),
            "self" => me.to_vec(),
            "super" => {
                let mut up = me.to_vec();
                up.pop();
                up
            }
            _ => continue,
        };
        let mut rest = rest.iter().peekable();
        while rest.peek() == Some(&&"super") {
            path.pop();
            rest.next();
        }
        let mut target = path.clone();
        for segment in rest {
            let mut longer = target.clone();
            longer.push(segment.to_string());
            if !modules.contains(&longer) {
                break;
            }
            target = longer;
        }
        if !target.starts_with(me) {
            found.insert(target);
        }
    }
    found
}

/// The import cycles among the modules of the crate rooted at `src` (a
/// binary's modules and its library's are one tree here: their paths do
/// not meet).
fn module_cycles(src: &Path) -> Vec<Vec<String>> {
    let files = rust_sources(src.parent().unwrap(), &[src.file_name().unwrap().to_str().unwrap()]);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(f, _)| module_of(src, f)).collect();
    let edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = files.iter()
        .map(|(f, text)| { let me = module_of(src, f); let to = imports(text, &me, &modules); (me, to) })
        .fold(BTreeMap::new(), |mut all, (me, to)| { all.entry(me).or_insert_with(BTreeSet::new).extend(to); all });
    let name = |m: &Vec<String>| if m.is_empty() { "crate".to_string() } else { m.join("::") };
    // A module is in a cycle when it reaches itself; report each cycle once
    // by its members.
    let mut cycles: BTreeSet<Vec<String>> = BTreeSet::new();
    for start in edges.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<Vec<String>> = edges[start].iter().cloned().collect();
        while let Some(m) = stack.pop() {
            if !seen.insert(m.clone()) {
                continue;
            }
            stack.extend(edges.get(&m).into_iter().flatten().cloned());
        }
        if seen.contains(start) {
            let members: Vec<String> = edges.keys().filter(|other| {
                seen.contains(*other) && {
                    let mut back = BTreeSet::new();
                    let mut stack: Vec<Vec<String>> = edges[*other].iter().cloned().collect();
                    while let Some(m) = stack.pop() {
                        if back.insert(m.clone()) {
                            stack.extend(edges.get(&m).into_iter().flatten().cloned());
                        }
                    }
                    back.contains(start)
                }
            }).map(name).collect();
            cycles.insert(members);
        }
    }
    cycles.into_iter().collect()
}

#[test]
fn no_module_imports_itself_through_others() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let mut all = Vec::new();
    for krate in ["proto", "http", "activities", "workflows", "starter", "worker", "bench", "tests"] {
        for cycle in module_cycles(&root.join(krate).join("src")) {
            all.push(format!("{krate}: {}", cycle.join(" → ")));
        }
    }
    assert!(all.is_empty(), "modules that import each other in a loop:\n{}", all.join("\n"));
}

#[test]
fn the_loop_finder_finds_loops_through_crate_super_and_self() {
    let dir = std::env::temp_dir().join(format!("switchyard-loops-{}", std::process::id()));
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("ops")).unwrap();
    let files = [
        ("lib.rs", "mod cli;\nmod serve;\nmod ops;\n"),
        ("cli.rs", "use crate::serve::ServeArgs;\n"),
        ("serve.rs", "fn f() { crate::cli::parse(); }\n"),
        ("ops/mod.rs", "mod a;\nmod b;\npub struct Builder;\n"),
        ("ops/a.rs", "use super::b::key;\nuse super::Builder;\n"),
        ("ops/b.rs", "// use super::a::nothing (a comment is no import)\nfn g() { super::super::ops::a::frr(); }\n"),
    ];
    for (name, text) in files {
        std::fs::write(src.join(name), text).unwrap();
    }
    let cycles = module_cycles(&src);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(cycles, vec![vec!["cli".to_string(), "serve".to_string()], vec!["ops::a".to_string(), "ops::b".to_string()]]);
}

/// No operation file of `activities/src/ops/` names another operation's
/// file: what two operations share lives in a shared module beside them
/// (the files `activities/src/docs.rs` lists as `SHARED`).
#[test]
fn no_operation_imports_another() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let docs = std::fs::read_to_string(root.join("activities/src/docs.rs")).unwrap();
    let line = docs.lines().find(|l| l.starts_with("const SHARED")).expect("docs.rs lists the shared files");
    let shared: Vec<&str> = line.split('"').skip(1).step_by(2).map(|f| f.trim_end_matches(".rs")).collect();
    assert!(shared.contains(&"mod") && shared.contains(&"keys"), "{shared:?}");
    let files = rust_sources(root, &["activities/src/ops"]);
    let operations: Vec<String> = files.iter()
        .map(|(p, _)| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|stem| !shared.contains(&stem.as_str()))
        .collect();
    assert!(operations.len() >= 20, "{operations:?}");
    let mut crossings = Vec::new();
    for (path, text) in &files {
        let me = path.file_stem().unwrap().to_string_lossy().into_owned();
        if me == "mod" {
            continue;
        }
        for other in operations.iter().filter(|o| **o != me) {
            for form in [format!("super::{other}::"), format!("ops::{other}::"), format!("use super::{other};")] {
                if text.contains(&form) {
                    crossings.push(format!("{me} names {form}"));
                }
            }
        }
    }
    assert!(crossings.is_empty(), "operation files that import another operation's: {crossings:#?}");
}
