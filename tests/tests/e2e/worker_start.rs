//! The worker checks its world before it polls: a missing namespace, a
//! namespace without switchyard's search attributes, an invalid policy file
//! and a known_hosts file it cannot read each stop it at start with an
//! error naming what is wrong and how to fix it. Needs `tests/run.sh`; fails loudly without it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use switchyard_tests::TestEnv;

/// Runs a worker that should refuse to start; returns its exit code and log.
fn refused(env: &TestEnv, namespace: &str, policy: &Path) -> (Option<i32>, String) {
    refused_with(env, namespace, policy, &env.inventory())
}

/// As [`refused`], with another inventory.
fn refused_with(env: &TestEnv, namespace: &str, policy: &Path, inventory: &Path) -> (Option<i32>, String) {
    let mut child = Command::new(env.bin("switchyard-worker"))
        .args(["--temporal-address", &env.temporal, "--namespace", namespace, "--task-queue", "worker-start-check"])
        .arg("--inventory").arg(inventory)
        .arg("--policy").arg(policy)
        .args(["--metrics-address", "off"])
        .stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped())
        .spawn().expect("start switchyard-worker");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if child.try_wait().expect("wait").is_some() {
            let out = child.wait_with_output().expect("output");
            return (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the worker kept running in namespace {namespace:?}; it should have refused to start");
}

#[test]
fn a_missing_namespace_is_named() {
    let env = TestEnv::get();
    let (code, log) = refused(&env, "no-such-namespace", &env.unsigned_policy());
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("namespace \"no-such-namespace\" does not exist") && log.contains("temporal operator namespace create"), "{log}");
}

#[test]
fn missing_search_attributes_are_named_with_the_commands_that_register_them() {
    let env = TestEnv::get();
    let namespace = format!("switchyard-bare-{}", std::process::id());
    let cli = std::env::var("TEMPORAL_CLI").expect("TEMPORAL_CLI is set by tests/run.sh");
    let address = env.temporal.trim_start_matches("http://").to_string();
    let made = Command::new(&cli).args(["operator", "namespace", "create", "--namespace", &namespace, "--address", &address]).output().expect("temporal");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    // A new namespace takes a moment to be served.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (code, log) = loop {
        let (code, log) = refused(&env, &namespace, &env.unsigned_policy());
        if !log.contains("does not exist") || Instant::now() > deadline {
            break (code, log);
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("lacks the search attributes switchyard sets: SuiteName (Keyword)"), "{log}");
    assert!(log.contains(&format!("temporal operator search-attribute create --namespace {namespace} --name SuiteName --type Keyword")), "{log}");
}

#[test]
fn an_invalid_policy_file_is_refused_at_its_line() {
    let env = TestEnv::get();
    let path = std::env::temp_dir().join(format!("switchyard-bad-policy-{}.yaml", std::process::id()));
    std::fs::write(&path, "rules:\n  - name: all\n    devices: { names: [\"*\"] }\n    request: [\"*\"]\n    window: sometimes\n").unwrap();
    let (code, log) = refused(&env, "default", &path);
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains(&format!("{}:5:", path.display())) && log.contains("rules[0].window: window must be required or optional"), "{log}");
}

#[test]
fn a_known_hosts_file_it_cannot_read_is_named() {
    let env = TestEnv::get();
    let lab = std::fs::read_to_string(env.inventory()).unwrap();
    let dir = std::env::temp_dir().join(format!("switchyard-known-hosts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A directory where the file should be: it exists, opens, and cannot be read.
    let not_a_file = dir.join("known_hosts.d");
    std::fs::create_dir_all(&not_a_file).unwrap();
    let mut replaced = 0;
    let text: String = lab.lines().map(|line| {
        if line.trim_start().starts_with("known_hosts:") {
            replaced += 1;
            format!("{}known_hosts: {}\n", &line[..line.len() - line.trim_start().len()], not_a_file.display())
        } else {
            format!("{line}\n")
        }
    }).collect();
    assert!(replaced > 0, "the lab inventory names no known_hosts: {lab}");
    let inventory = dir.join("inventory.yaml");
    std::fs::write(&inventory, text).unwrap();
    let (code, log) = refused_with(&env, "default", &env.unsigned_policy(), &inventory);
    assert_eq!(code, Some(1), "{log}");
    // Named with the inventory's line and field, before anything polls.
    assert!(log.contains(&format!("{}:", inventory.display())) && log.contains("known_hosts: known_hosts file")
        && log.contains(&format!("{} is not a regular file", not_a_file.display())), "{log}");
}
