//! An inventory read from a real Nautobot: `lab/nautobot.sh` starts
//! Nautobot (from PyPI, with its own PostgreSQL and redis) and seeds it
//! through its REST API with the lab's devices; `switchyard plan` then
//! selects the lab's leaves by location and role from it, reaches them at
//! the primary IPs Nautobot holds, and the suite's input records each
//! device's Nautobot id. A refused token, an unknown location, a device
//! with no primary IP and an unreachable Nautobot are each refused before
//! anything starts, named. A worker reading its devices from Nautobot
//! reaches them at Nautobot's addresses, and a device that enters its
//! filter in Nautobot is reachable after its next read, without a restart.
//! Needs `tests/run.sh` (it installs Nautobot with
//! `lab/nautobot.sh install`); fails loudly without it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use switchyard_tests::TestEnv;

const TOKEN_VAR: &str = "SY_TEST_NAUTOBOT_TOKEN";

/// A Nautobot of the test's own, stopped when dropped.
struct Nautobot {
    dir: PathBuf,
    url: String,
    token: String,
}

impl Nautobot {
    fn start(env: &TestEnv) -> Self {
        // A short path: PostgreSQL's socket path must fit in 107 bytes.
        let dir = PathBuf::from(format!("/tmp/sy-nb-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let port = free_port_pair();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../lab/nautobot.sh");
        let run = |args: &[&str]| {
            let out = Command::new(&script).args(args).output().expect("lab/nautobot.sh");
            assert!(out.status.success(), "lab/nautobot.sh {args:?} (tests/run.sh installs Nautobot with `lab/nautobot.sh install`):\n{}\n{}",
                String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        };
        let dir_text = dir.display().to_string();
        // Made before `up`, so a failing start is still stopped on drop.
        let mut nautobot = Self { dir: dir.clone(), url: String::new(), token: String::new() };
        run(&["up", &dir_text, &port.to_string()]);
        run(&["seed", &dir_text, env.inventory().to_str().unwrap(), "--with-broken"]);
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap().trim().to_string();
        nautobot.url = read("url");
        nautobot.token = read("token");
        nautobot
    }
}

impl Drop for Nautobot {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../lab/nautobot.sh");
        let _ = Command::new(script).arg("down").arg(&self.dir).output();
    }
}

/// A port whose next one is free too (Nautobot's redis takes PORT+1).
fn free_port_pair() -> u16 {
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        if port < 65000 && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

/// An inventory file reading `filter` from Nautobot at `url`, with the lab
/// inventory's defaults (user, key, known_hosts).
fn inventory(env: &TestEnv, dir: &Path, name: &str, url: &str, filter: &str) -> PathBuf {
    let lab = std::fs::read_to_string(env.inventory()).unwrap();
    let defaults: String = lab.lines().skip_while(|l| !l.starts_with("defaults:")).take_while(|l| !l.starts_with("devices:"))
        .map(|l| format!("{l}\n")).collect();
    let path = dir.join(name);
    std::fs::write(&path, format!("source:\n  nautobot:\n    url: {url}\n    token_env: {TOKEN_VAR}\n    filter: {{ {filter} }}\n{defaults}")).unwrap();
    path
}

fn plan(env: &TestEnv, suite: &Path, inventory: &Path, token: &str) -> Output {
    Command::new(env.bin("switchyard"))
        .args(["plan", suite.to_str().unwrap(), "--json"]).arg("--inventory").arg(inventory)
        .env("SWITCHYARD_TEMPORAL_ADDRESS", &env.temporal)
        .env("SWITCHYARD_TASK_QUEUE", &env.task_queue)
        .env(TOKEN_VAR, token)
        .output().expect("switchyard plan")
}

#[tokio::test]
async fn a_plan_selects_devices_from_nautobot_and_records_their_ids() {
    let env = TestEnv::get();
    let _lab = env.read_lab();
    let nautobot = Nautobot::start(&env);
    let dir = nautobot.dir.clone();
    let suite = dir.join("nb-plan.yaml");
    std::fs::write(&suite, "name: nb-plan\ntargets:\n  roles: [leaf]\nsteps:\n  - create_vlan: { vlan_id: 342, description: from-nautobot }\n").unwrap();

    // The leaves of lab1, as Nautobot has them.
    let leaves = inventory(&env, &dir, "leaves.yaml", &nautobot.url, "location: [lab1], role: [leaf], tag: [lab]");
    let out = plan(&env, &suite, &leaves, &nautobot.token);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("plan --json");
    let mut planned: Vec<String> = status["devices"].as_array().expect("devices").iter().map(|d| d["device"].as_str().unwrap().to_string()).collect();
    planned.sort();
    let expected: Vec<String> = (1..=env.device_count()).filter(|i| i % 4 != 0).map(TestEnv::device_name).collect();
    assert_eq!(planned, expected, "the lab's leaves: {status}");
    // Planned on the devices themselves: Nautobot's primary IPs are the lab's addresses.
    assert!(status["devices"].as_array().unwrap().iter().all(|d| d["status"] == "planned"), "{status}");

    // The suite's input records each device's Nautobot id.
    let client = env.client().await.expect("Temporal client");
    let (input, _) = switchyard_starter::client::suite_started(&client, status["suite_id"].as_str().unwrap(), "").await.expect("the suite's input");
    assert_eq!(input.devices.len(), expected.len());
    for target in &input.devices {
        let id = target.source_ref.strip_prefix("nautobot:").unwrap_or_else(|| panic!("{}: source_ref {:?}", target.device, target.source_ref));
        assert_eq!(id.len(), 36, "a Nautobot UUID: {id}");
    }

    // A wrong token: refused, naming the variable, never showing the token.
    let out = plan(&env, &suite, &leaves, "0000000000000000000000000000000000000000");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("source.nautobot.token_env") && err.contains(&format!("refused the token in {TOKEN_VAR}")) && err.contains("403"), "{err}");
    assert!(!err.contains("0000000000000000000000000000000000000000"), "{err}");
    // A location Nautobot does not have: the filter is named.
    let nowhere = inventory(&env, &dir, "nowhere.yaml", &nautobot.url, "location: [atlantis]");
    let out = plan(&env, &suite, &nowhere, &nautobot.token);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("source.nautobot.filter.location") && err.contains("atlantis"), "{err}");
    // A device without a primary IP: named, with the field.
    let broken = inventory(&env, &dir, "broken.yaml", &nautobot.url, "tag: [no-ip]");
    let out = plan(&env, &suite, &broken, &nautobot.token);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("device no-ip-1") && err.contains("primary_ip4") && err.contains("no primary IP address"), "{err}");
    // Nautobot unreachable: the URL is named.
    let gone = inventory(&env, &dir, "gone.yaml", "http://127.0.0.1:9", "location: [lab1]");
    let out = plan(&env, &suite, &gone, &nautobot.token);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("source.nautobot.url") && err.contains("cannot read devices from http://127.0.0.1:9"), "{err}");

    // A worker whose devices are Nautobot's spines, read again every 2 s.
    let spines = inventory(&env, &dir, "spines.yaml", &nautobot.url, "location: [lab1], role: [spine], tag: [lab]");
    let queue = "switchyard-nautobot";
    let _worker = env.spawn_worker_with(queue, &spines, &[(TOKEN_VAR, nautobot.token.as_str()), ("SWITCHYARD_INVENTORY_REFRESH_SECS", "2")]);
    let one = dir.join("one.yaml");
    std::fs::write(&one, format!("name: nb-one\ntargets:\n  names: [{}]\nsteps:\n  - create_vlan: {{ vlan_id: 342 }}\n", TestEnv::device_name(1))).unwrap();
    let plan_one = || {
        let out = env.cli_on(queue, &["plan", one.to_str().unwrap(), "--json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    };
    // sonic-d001 is a leaf: not the worker's, whatever the CLI's inventory says.
    let status = plan_one();
    assert_eq!(status["phase"], "failed", "{status}");
    assert!(status["error"].as_str().unwrap().contains("sonic-d001: not in the worker's inventory"), "{status}");
    // In Nautobot it becomes a spine; the worker reads that within seconds.
    let api = |method: &str, path: &str, body: &str| -> serde_json::Value {
        let out = Command::new("curl").args(["-sS", "-X", method, "-H", &format!("Authorization: Token {}", nautobot.token), "-H", "Content-Type: application/json",
            "-H", "Accept: application/json", "--data", body, &format!("{}{path}", nautobot.url)]).output().expect("curl");
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{method} {path}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
    };
    let device = api("GET", &format!("/api/dcim/devices/?name={}", TestEnv::device_name(1)), "")["results"][0]["id"].as_str().unwrap().to_string();
    let spine = api("GET", "/api/extras/roles/?name=spine", "")["results"][0]["id"].as_str().unwrap().to_string();
    let changed = api("PATCH", &format!("/api/dcim/devices/{device}/"), &format!("{{\"role\": \"{spine}\"}}"));
    assert_eq!(changed["role"]["id"], spine.as_str(), "{changed}");
    let log = env.worker_log(queue);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !std::fs::read_to_string(&log).unwrap_or_default().contains("added=1") {
        assert!(std::time::Instant::now() < deadline, "the worker did not read Nautobot again: {}", std::fs::read_to_string(&log).unwrap_or_default());
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let status = plan_one();
    assert_eq!(status["devices"][0]["status"], "planned", "{status}");
}
