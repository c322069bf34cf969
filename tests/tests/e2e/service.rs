//! The service: `switchyard serve` as a real HTTP server against the dev
//! server, worker and lab that `tests/run.sh` starts, driven by a real HTTP
//! client over TCP with keys made by `switchyard keys`. A whole suite goes
//! through it; keys are checked for scope, devices, revocation and expiry;
//! bad bodies are located problem documents; a retried create starts
//! nothing new; rates are limited; `/readyz` follows Temporal. Needs
//! `tests/run.sh`; fails loudly without it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use switchyard_tests::{DevServer, HttpResponse, TestEnv, http};

/// A `switchyard serve` process of the test's own; killed when dropped.
struct Service {
    child: Child,
    address: String,
    keys: PathBuf,
    env: TestEnv,
}

impl Service {
    fn start(env: &TestEnv, name: &str, extra: &[&str]) -> Self {
        Self::start_on(env, name, &env.inventory(), extra)
    }

    /// A service selecting devices from `inventory` (its own copy may tell
    /// devices apart that the worker's does not).
    fn start_on(env: &TestEnv, name: &str, inventory: &std::path::Path, extra: &[&str]) -> Self {
        let dir = std::env::temp_dir().join(format!("switchyard-service-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("service dir");
        let keys = dir.join("keys.json");
        let _ = std::fs::remove_file(&keys);
        let services = concat!(env!("CARGO_MANIFEST_DIR"), "/../lab/services.yaml");
        let mut child = Command::new(env.bin("switchyard"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .arg("--keys").arg(&keys)
            .arg("--inventory").arg(inventory)
            .args(["--services", services])
            .args(extra)
            .env("SWITCHYARD_TEMPORAL_ADDRESS", &env.temporal)
            .env("SWITCHYARD_TASK_QUEUE", &env.task_queue)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start switchyard serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read the serve line");
        let address = line.trim().strip_prefix("serving on http://").unwrap_or_else(|| panic!("unexpected first line {line:?}")).to_string();
        Self { child, address, keys, env: env.clone() }
    }

    /// Creates a key with `switchyard keys create`; returns the key text.
    fn key(&self, principal: &str, args: &[&str]) -> String {
        let out = Command::new(self.env.bin("switchyard"))
            .args(["keys", "create", "--principal", principal]).arg("--keys").arg(&self.keys).args(args)
            .output().expect("switchyard keys create");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn keys_cli(&self, args: &[&str]) -> String {
        let out = Command::new(self.env.bin("switchyard")).arg("keys").args(args).arg("--keys").arg(&self.keys).output().expect("switchyard keys");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn call(&self, method: &str, path: &str, key: Option<&str>, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        let bearer = key.map(|k| format!("Bearer {k}"));
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let Some(b) = &bearer {
            all.push(("Authorization", b.as_str()));
        }
        http(&self.address, method, path, &all, body.as_bytes()).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn suite(name: &str, devices: &[usize], vlan: u32) -> String {
    let names: Vec<String> = devices.iter().map(|i| TestEnv::device_name(*i)).collect();
    format!("name: {name}\ntargets:\n  names: [{}]\nsteps:\n  - create_vlan: {{ vlan_id: {vlan}, description: via-service }}\n", names.join(", "))
}

fn problem(r: &HttpResponse, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/problem+json"), "{:?}", r.headers);
    let p = r.json();
    assert_eq!(p["code"], code, "{p}");
    assert_eq!(p["status"], status, "{p}");
    assert!(!p["detail"].as_str().unwrap_or_default().is_empty(), "every refusal says why: {p}");
    p
}

/// Reads the suite until it ends, through the service.
fn wait_ended(service: &Service, key: &str, suite_id: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let r = service.call("GET", &format!("/v1/suites/{suite_id}"), Some(key), &[], "");
        if r.status == 200 {
            let status = r.json();
            let phase = status["phase"].as_str().unwrap_or_default().to_string();
            if ["succeeded", "failed", "rolled_back", "planned"].contains(&phase.as_str()) {
                return status;
            }
        }
        assert!(Instant::now() < deadline, "suite {suite_id} did not end: {} {}", r.status, r.body);
        // The read is the wait; a pause keeps it from spinning.
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[tokio::test]
async fn a_suite_is_created_read_and_listed_through_the_service() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let service = Service::start(&env, "drive", &[]);
    let writer = service.key("alice", &["--scopes", "write"]);

    let r = service.call("POST", "/v1/suites", Some(&writer), &[("Content-Type", "application/yaml")], &suite("svc-vlan", &[9, 10], 300));
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    let suite_id = created["suite_id"].as_str().unwrap().to_string();
    assert_eq!(r.header("location"), Some(format!("/v1/suites/{suite_id}").as_str()));
    assert_eq!(created["devices"], 2);

    let status = wait_ended(&service, &writer, &suite_id);
    assert_eq!(status["phase"], "succeeded", "{status}");
    assert_eq!(status["requester"], "alice", "the requester is the key's principal");
    for i in [9, 10] {
        assert!(env.rows(i).contains_key("VLAN|Vlan300"), "device {i}");
    }
    // The same suite as the CLI sees it.
    let out = env.cli(&["status", &suite_id]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("succeeded"), "{}", String::from_utf8_lossy(&out.stdout));

    // Listed by name (visibility catches up within moments).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = service.call("GET", "/v1/suites?name=svc-vlan&limit=5", Some(&writer), &[], "");
        assert_eq!(r.status, 200, "{}", r.body);
        if r.json()["suites"].as_array().unwrap().iter().any(|s| s["suite_id"] == suite_id.as_str()) {
            break;
        }
        assert!(Instant::now() < deadline, "not listed: {}", r.body);
        std::thread::sleep(Duration::from_millis(300));
    }
    let caps = service.call("GET", "/v1/capabilities", Some(&writer), &[], "").json();
    assert!(caps["operations"].as_array().unwrap().iter().any(|o| o["name"] == "create_vlan"), "{caps}");
    problem(&service.call("GET", "/v1/suites/no-such-suite", Some(&writer), &[], ""), 404, "not-found");

    // Its devices a page at a time, in its order, with their diffs on ask;
    // a page request out of bounds names its field.
    let first = service.call("GET", &format!("/v1/suites/{suite_id}/devices?page_size=1&with_diff=true"), Some(&writer), &[], "");
    assert_eq!(first.status, 200, "{}", first.body);
    let first = first.json();
    assert_eq!((first["total"].as_u64(), first["matching"].as_u64()), (Some(2), Some(2)), "{first}");
    assert_eq!(first["devices"][0]["device"], TestEnv::device_name(9), "{first}");
    assert!(first["diffs"][0].as_str().unwrap().contains("Vlan300"), "{first}");
    let token = first["next_page_token"].as_str().expect("a next page");
    let second = service.call("GET", &format!("/v1/suites/{suite_id}/devices?page_size=1&page_token={token}"), Some(&writer), &[], "").json();
    assert_eq!(second["devices"][0]["device"], TestEnv::device_name(10), "{second}");
    assert!(second.get("next_page_token").is_none(), "the last page: {second}");
    let failed = service.call("GET", &format!("/v1/suites/{suite_id}/devices?status=failed"), Some(&writer), &[], "").json();
    assert_eq!((failed["matching"].as_u64(), failed.get("devices")), (None, None), "none failed (proto3 JSON leaves zeros out): {failed}");
    for (query, field) in [("page_size=501", "page_size"), ("status=exploded", "status"), ("page_token=zz", "page_token")] {
        let refused = problem(&service.call("GET", &format!("/v1/suites/{suite_id}/devices?{query}"), Some(&writer), &[], ""), 400, "bad-request");
        assert_eq!(refused["field"], field, "{refused}");
    }
    let out = env.cli(&["status", &suite_id, "--devices", "--page-size", "1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains(&TestEnv::device_name(9)) && !text.contains(&TestEnv::device_name(10)), "{text}");
    assert!(text.contains(&format!("next page: switchyard status {suite_id} --devices --page-token 1 --page-size 1")), "{text}");

    // Reverted through the service, for the caller: a read key may not,
    // a write key starts `<id>-revert`, which undoes the VLAN; a second
    // revert is a conflict naming the first.
    let reader = service.key("carol", &["--scopes", "read"]);
    problem(&service.call("POST", &format!("/v1/suites/{suite_id}/revert"), Some(&reader), &[], ""), 403, "forbidden");
    let r = service.call("POST", &format!("/v1/suites/{suite_id}/revert"), Some(&writer), &[], "");
    assert_eq!(r.status, 201, "{}", r.body);
    let reverted = r.json();
    let revert_id = format!("{suite_id}-revert");
    assert_eq!((reverted["suite_id"].as_str(), reverted["reverts"].as_str(), reverted["devices"].as_u64()), (Some(revert_id.as_str()), Some(suite_id.as_str()), Some(2)), "{reverted}");
    let status = wait_ended(&service, &writer, &revert_id);
    assert_eq!(status["phase"], "succeeded", "{status}");
    assert_eq!(status["requester"], "alice", "{status}");
    for i in [9, 10] {
        assert!(!env.rows(i).contains_key("VLAN|Vlan300"), "device {i}");
    }
    let again = problem(&service.call("POST", &format!("/v1/suites/{suite_id}/revert"), Some(&writer), &[], ""), 409, "conflict");
    assert!(again["detail"].as_str().unwrap().contains(&format!("reverted already by suite {revert_id}")), "{again}");
}

#[tokio::test]
async fn keys_are_checked_for_scope_devices_revocation_and_expiry() {
    let env = TestEnv::get();
    let service = Service::start(&env, "keys", &[]);
    let body = suite("svc-keys", &[11], 301);
    problem(&service.call("POST", "/v1/suites", None, &[], &body), 401, "unauthenticated");
    problem(&service.call("POST", "/v1/suites", Some("sy_nothing_here"), &[], &body), 401, "unauthenticated");

    // A read key reads, never writes.
    let reader = service.key("bob", &["--scopes", "read"]);
    let p = problem(&service.call("POST", "/v1/suites", Some(&reader), &[], &body), 403, "forbidden");
    assert_eq!(p["required_scope"], "write");
    assert_eq!(service.call("GET", "/v1/capabilities", Some(&reader), &[], "").status, 200);

    // A key limited to some devices cannot start a suite on others.
    let limited = service.key("alice", &["--scopes", "write", "--names", "sonic-d001,sonic-d002"]);
    let p = problem(&service.call("POST", "/v1/suites", Some(&limited), &[], &body), 403, "forbidden");
    assert!(p["detail"].as_str().unwrap().contains("sonic-d011"), "{p}");

    // Revoked: refused from the next request on, without a restart.
    let id = reader.split('_').nth(1).unwrap().to_string();
    service.keys_cli(&["revoke", &id]);
    let p = problem(&service.call("GET", "/v1/capabilities", Some(&reader), &[], ""), 401, "unauthenticated");
    assert!(p["detail"].as_str().unwrap().contains("revoked"), "{p}");
    let listed = service.keys_cli(&["list"]);
    assert!(listed.contains(&format!("sy_{id}")) && listed.contains("revoked"), "{listed}");
    assert!(!listed.contains(reader.rsplit('_').next().unwrap()), "the secret is never shown again");

    // Expired: refused, saying when.
    let short = service.key("alice", &["--scopes", "read", "--expires", "1s"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let p = loop {
        let r = service.call("GET", "/v1/capabilities", Some(&short), &[], "");
        if r.status == 401 {
            break problem(&r, 401, "unauthenticated");
        }
        assert!(Instant::now() < deadline, "the key did not expire");
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(p["detail"].as_str().unwrap().contains("expired at"), "{p}");
}

#[tokio::test]
async fn bad_bodies_are_located_problems_and_nothing_starts() {
    let env = TestEnv::get();
    let service = Service::start(&env, "bodies", &["--body-limit", "2000"]);
    let writer = service.key("alice", &["--scopes", "write"]);
    let bad = "name: svc-bad\ntargets:\n  names: [sonic-d012]\nsteps:\n  - create_vlan: { vlan_id: 5000 }\n";
    let p = problem(&service.call("POST", "/v1/suites", Some(&writer), &[], bad), 400, "invalid-suite");
    assert_eq!(p["line"], 5, "{p}");
    assert_eq!(p["field"], "steps[0].create_vlan.vlan_id", "{p}");
    let p = problem(&service.call("POST", "/v1/suites", Some(&writer), &[], "name: [unclosed"), 400, "invalid-suite");
    assert!(p["line"].as_u64().unwrap() >= 1, "{p}");
    // JSON bodies take the same path.
    let json = r#"{"name": "svc-json", "targets": {"names": ["sonic-d012"]}, "steps": [{"create_vlan": {"vlan_id": 1}}]}"#;
    let p = problem(&service.call("POST", "/v1/suites", Some(&writer), &[("Content-Type", "application/json")], json), 400, "invalid-suite");
    assert!(p["detail"].as_str().unwrap().contains("default VLAN"), "{p}");
    problem(&service.call("POST", "/v1/suites", Some(&writer), &[], &"#".repeat(5000)), 413, "body-too-large");
    problem(&service.call("GET", "/v1/suites?limit=0", Some(&writer), &[], ""), 400, "bad-request");
    problem(&service.call("GET", "/v1/suites?phase=nope", Some(&writer), &[], ""), 400, "bad-request");
    problem(&service.call("POST", "/v1/suites?plan_only=maybe", Some(&writer), &[], bad), 400, "bad-request");
    problem(&service.call("GET", "/v1/nothing", Some(&writer), &[], ""), 404, "not-found");
    // None of these started a suite.
    let r = service.call("GET", "/v1/suites?name=svc-bad", Some(&writer), &[], "");
    assert_eq!(r.json()["suites"].as_array().unwrap().len(), 0, "{}", r.body);
}

#[tokio::test]
async fn a_retried_create_starts_nothing_new_and_rates_are_limited() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let service = Service::start(&env, "retry", &["--rate-limit", "6"]);
    let writer = service.key("alice", &["--scopes", "write"]);
    let watcher = service.key("bob", &["--scopes", "read"]);
    let body = suite("svc-retry", &[13], 302);
    let headers = [("Idempotency-Key", "deploy-4711")];
    let first = service.call("POST", "/v1/suites?plan_only=true", Some(&writer), &headers, &body);
    assert_eq!(first.status, 201, "{}", first.body);
    let again = service.call("POST", "/v1/suites?plan_only=true", Some(&writer), &headers, &body);
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["suite_id"], first.json()["suite_id"]);
    assert_eq!(again.json()["created"], false, "Temporal refused a second start under the same id");
    let status = wait_ended(&service, &watcher, first.json()["suite_id"].as_str().unwrap());
    assert_eq!(status["phase"], "planned", "{status}");
    assert!(!env.rows(13).contains_key("VLAN|Vlan302"), "a plan writes nothing");

    // Six requests a minute for this key: the next is refused, saying when to retry.
    let refused = loop {
        let r = service.call("GET", "/v1/capabilities", Some(&writer), &[], "");
        if r.status != 200 {
            break r;
        }
    };
    let p = problem(&refused, 429, "rate-limited");
    assert!(refused.header("retry-after").and_then(|s| s.parse::<u64>().ok()).is_some_and(|s| (1..=60).contains(&s)), "{:?}", refused.headers);
    assert_eq!(refused.header("ratelimit-policy"), Some("\"per-key\";q=6;w=60"));
    assert!(p["detail"].as_str().unwrap().contains("per-key"), "{p}");
    // Another key has its own budget.
    let other = service.key("carol", &["--scopes", "read"]);
    assert_eq!(service.call("GET", "/v1/capabilities", Some(&other), &[], "").status, 200);
}

#[tokio::test]
async fn readyz_follows_temporal() {
    let env = TestEnv::get();
    let dir = std::env::temp_dir().join(format!("switchyard-service-ready-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let _ = std::fs::remove_file(dir.join("temporal.db"));
    let mut server = DevServer::start(7246, 8246, &dir.join("temporal.db"));
    let service = Service::start(&env.on_server(&server.address()), "ready", &[]);
    assert_eq!(service.call("GET", "/livez", None, &[], "").status, 200);
    assert_eq!(service.call("GET", "/readyz", None, &[], "").status, 200, "ready with the server up");
    server.kill();
    let p = problem(&service.call("GET", "/readyz", None, &[], ""), 503, "not-ready");
    assert!(p["detail"].as_str().unwrap().contains("namespace"), "{p}");
    assert_eq!(service.call("GET", "/livez", None, &[], "").status, 200, "alive all the same");
    server.restart();
    let deadline = Instant::now() + Duration::from_secs(30);
    while service.call("GET", "/readyz", None, &[], "").status != 200 {
        assert!(Instant::now() < deadline, "/readyz did not recover");
        std::thread::sleep(Duration::from_millis(300));
    }
    let metrics = service.call("GET", "/metrics", None, &[], "");
    assert!(metrics.body.contains("switchyard_service_requests_total"), "{}", metrics.body);
}

/// One server-sent event.
#[derive(Debug, Clone, PartialEq)]
struct Sse {
    id: i64,
    event: String,
    data: serde_json::Value,
}

/// Reads a suite's event stream until `stop` says so or the stream ends.
fn read_events(service: &Service, key: &str, suite_id: &str, last: Option<i64>, stop: impl Fn(&Sse) -> bool) -> Vec<Sse> {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(&service.address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let resume = last.map(|id| format!("Last-Event-ID: {id}\r\n")).unwrap_or_default();
    write!(stream, "GET /v1/suites/{suite_id}/events HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer {key}\r\nAccept: text/event-stream\r\n{resume}\r\n").unwrap();
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.contains(" 200 "), "{status}");
    // Headers end at the first blank line.
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
    }
    let mut events = Vec::new();
    let (mut id, mut event, mut data) = (None, String::new(), String::new());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return events;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if let Some(id) = id.take() {
                let e = Sse { id, event: std::mem::take(&mut event), data: serde_json::from_str(&data).expect("event data is JSON") };
                data.clear();
                let done = stop(&e);
                events.push(e);
                if done {
                    return events;
                }
            }
            continue;
        }
        if let Some(v) = line.strip_prefix("id:") {
            id = Some(v.trim().parse().expect("numeric id"));
        } else if let Some(v) = line.strip_prefix("event:") {
            event = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim());
        }
    }
}

#[tokio::test]
async fn the_event_stream_follows_a_suite_and_resumes_without_gaps_or_repeats() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let service = Service::start(&env, "events", &[]);
    let writer = service.key("alice", &["--scopes", "write"]);
    let reader = service.key("carol", &["--scopes", "read"]);
    let body = format!("{}approval:\n  required: 1\n  reviewers: [bob]\n  timeout: 10m\n", suite("svc-events", &[14, 15], 303));
    let r = service.call("POST", "/v1/suites", Some(&writer), &[], &body);
    assert_eq!(r.status, 201, "{}", r.body);
    let suite_id = r.json()["suite_id"].as_str().unwrap().to_string();

    // Follow it until it waits for approval, then drop the connection.
    let awaiting = |e: &Sse| e.event == "suite.phase" && e.data["phase"] == "awaiting_approval";
    let first = read_events(&service, &reader, &suite_id, None, awaiting);
    assert_eq!(first[0].event, "suite.started", "{first:?}");
    assert!(first.iter().any(awaiting), "{first:?}");
    // The phase's event names the webhooks' type for it: one vocabulary.
    assert!(first.iter().any(|e| awaiting(e) && e.data["type"] == "suite.awaiting_approval"), "{first:?}");
    let out = env.cli(&["approve", &suite_id, "--reviewer", "bob"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    // Resume from the last id seen: the rest, to the end.
    let rest = read_events(&service, &reader, &suite_id, Some(first.last().unwrap().id), |_| false);
    assert!(rest.first().is_some_and(|e| e.id > first.last().unwrap().id), "{rest:?}");
    assert_eq!(rest.last().unwrap().event, "suite.ended", "{rest:?}");
    assert!(rest.iter().any(|e| e.event == "suite.phase" && e.data["phase"] == "succeeded" && e.data["type"] == "suite.succeeded"), "{rest:?}");
    assert!(rest.iter().any(|e| e.event == "decision" && e.data["signal"] == "approval"), "{rest:?}");
    for device in ["sonic-d014", "sonic-d015"] {
        assert!(rest.iter().any(|e| e.event == "device.started" && e.data["device"] == device), "{device}: {rest:?}");
        assert!(rest.iter().any(|e| e.event == "device.finished" && e.data["device"] == device && e.data["status"] == "succeeded"), "{device}: {rest:?}");
    }
    // The two reads together are the whole stream: no gap, no repeat.
    let whole = read_events(&service, &reader, &suite_id, None, |_| false);
    let joined: Vec<Sse> = first.iter().chain(&rest).cloned().collect();
    assert_eq!(joined, whole);
    assert!(whole.windows(2).all(|w| w[0].id < w[1].id));
    problem(&service.call("GET", "/v1/suites/nope/events", Some(&reader), &[], ""), 404, "not-found");
    problem(&service.call("GET", &format!("/v1/suites/{suite_id}/events"), Some(&reader), &[("Last-Event-ID", "x")], ""), 400, "bad-request");
}

#[tokio::test]
async fn an_admission_limit_refuses_a_suite_beyond_it() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let service = Service::start(&env, "admission", &["--max-running", "1"]);
    let writer = service.key("alice", &["--scopes", "write"]);
    // One change suite that stays running: it waits for an approval.
    let waiting = format!("{}approval:\n  required: 1\n  reviewers: [bob]\n  timeout: 10m\n", suite("svc-admit", &[16], 304));
    let r = service.call("POST", "/v1/suites", Some(&writer), &[], &waiting);
    assert_eq!(r.status, 201, "{}", r.body);
    let first = r.json()["suite_id"].as_str().unwrap().to_string();
    // Once visibility counts it, the next change suite is refused.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let listed = service.call("GET", "/v1/suites?phase=awaiting_approval&name=svc-admit", Some(&writer), &[], "").json();
        if listed["suites"].as_array().unwrap().iter().any(|s| s["suite_id"] == first.as_str()) {
            break;
        }
        assert!(Instant::now() < deadline, "the waiting suite is not listed: {listed}");
        std::thread::sleep(Duration::from_millis(300));
    }
    let refused = service.call("POST", "/v1/suites", Some(&writer), &[], &suite("svc-admit-2", &[17], 305));
    let p = problem(&refused, 503, "too-many-suites");
    assert_eq!(refused.header("retry-after"), Some("30"));
    assert_eq!(p["policy"], "max-running=1", "{p}");
    // A plan only is not counted.
    let plan = service.call("POST", "/v1/suites?plan_only=true", Some(&writer), &[], &suite("svc-admit-3", &[17], 305));
    assert_eq!(plan.status, 201, "{}", plan.body);
    let r = service.call("POST", &format!("/v1/suites/{first}/cancel"), Some(&writer), &[], r#"{"reason": "test done"}"#);
    assert_eq!(r.status, 202, "{}", r.body);
}

/// Through the service, decisions are signed by the service's key, which
/// the policy lists as an attester, for the principal each API key acts
/// for; the suite verifies them like a person's signature and judges them
/// by the same rules. A key limited to some devices cannot approve a suite
/// that changes others.
#[tokio::test]
async fn approvals_through_the_service_are_signed_for_the_callers_principal() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let dir = std::env::temp_dir().join(format!("switchyard-service-attest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let service_key = dir.join("service");
    let _ = std::fs::remove_file(&service_key);
    let _ = std::fs::remove_file(dir.join("service.pub"));
    let made = Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-C", "switchyard-service", "-f"]).arg(&service_key).status().unwrap();
    assert!(made.success());
    let service_pub = std::fs::read_to_string(dir.join("service.pub")).unwrap();
    let service_pub = service_pub.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    let policy = dir.join("policy.yaml");
    std::fs::write(&policy, format!(
        "principals:\n  - {{ name: alice, groups: [neteng], keys: [\"{}\"] }}\n  - {{ name: bob, groups: [reviewers], keys: [\"{}\"] }}\n  - {{ name: switchyard-service, attester: true, keys: [\"{service_pub}\"] }}\n\
         rules:\n  - name: lab\n    devices: {{ tags: [lab] }}\n    request: [neteng]\n    approvals:\n      - {{ count: 1, from: [reviewers] }}\n",
        env.person_public_key("alice"), env.person_public_key("bob"))).unwrap();
    let queue = "service-attest";
    let _worker = env.spawn_worker_under(queue, &env.inventory(), &policy, &[]);
    let on_queue = TestEnv { task_queue: queue.to_string(), ..env.clone() };
    // In the service's inventory, device 18 stands in another site.
    let inventory = std::fs::read_to_string(env.inventory()).unwrap();
    let (before, after) = inventory.split_once("  - name: sonic-d018\n").expect("device 18 in the inventory");
    let inventory = format!("{before}  - name: sonic-d018\n{}", after.replacen("site: lab1", "site: lab2", 1));
    let service_inventory = dir.join("inventory.yaml");
    std::fs::write(&service_inventory, inventory).unwrap();
    let service = Service::start_on(&on_queue, "attest", &service_inventory,
        &["--signing-key", service_key.to_str().unwrap(), "--policy", policy.to_str().unwrap()]);
    let alice = service.key("alice", &["--scopes", "write,approve"]);
    let bob = service.key("bob", &["--scopes", "approve"]);
    let bob_elsewhere = service.key("bob", &["--scopes", "approve", "--sites", "lab1"]);

    let r = service.call("POST", "/v1/suites", Some(&alice), &[], &suite("svc-attest", &[18], 306));
    assert_eq!(r.status, 201, "{}", r.body);
    let suite_id = r.json()["suite_id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let s = service.call("GET", &format!("/v1/suites/{suite_id}"), Some(&bob), &[], "").json();
        if s["phase"] == "awaiting_approval" {
            break s;
        }
        assert!(Instant::now() < deadline, "not awaiting approval: {s}");
        std::thread::sleep(Duration::from_millis(300));
    };
    // The launch was signed by the service for alice.
    let requester = &status["policy"]["requester"];
    assert_eq!((requester["principal"].as_str(), requester["attested_by"].as_str()), (Some("alice"), Some("switchyard-service")), "{status}");

    let path = format!("/v1/suites/{suite_id}/approve");
    // A key for site lab1 cannot approve a suite that changes a lab2 device.
    let p = problem(&service.call("POST", &path, Some(&bob_elsewhere), &[], ""), 403, "forbidden");
    assert!(p["detail"].as_str().unwrap().contains("sonic-d018") && p["detail"].as_str().unwrap().contains("sites=lab1"), "{p}");
    // The requester's approval is recorded and refused, as a signed one would be.
    let own = service.call("POST", &path, Some(&alice), &[], r#"{"comment": "mine"}"#);
    assert_eq!(own.status, 422, "{}", own.body);
    assert!(own.json()["reason"].as_str().unwrap().contains("requested this suite"), "{}", own.body);
    let ok = service.call("POST", &path, Some(&bob), &[], r#"{"comment": "looks right"}"#);
    assert_eq!(ok.status, 200, "{}", ok.body);
    let signer = &ok.json()["decision"]["signer"];
    assert_eq!(signer["principal"], "bob", "{}", ok.body);
    assert_eq!(signer["channel"], "service", "{}", ok.body);
    let ended = wait_ended(&service, &bob, &suite_id);
    assert_eq!(ended["phase"], "succeeded", "{ended}");
    assert!(env.rows(18).contains_key("VLAN|Vlan306"));
}

/// Runs the CLI through the service at `service` with API key `key`.
fn cli_via(service: &Service, key: &str, args: &[&str]) -> std::process::Output {
    Command::new(service.env.bin("switchyard"))
        .arg("--api").arg(format!("http://{}", service.address))
        .args(args)
        .env("SWITCHYARD_API_KEY", key)
        // Nothing of Temporal's: the service is the only way in.
        .env("SWITCHYARD_TEMPORAL_ADDRESS", "http://127.0.0.1:9")
        .env_remove("SWITCHYARD_INVENTORY")
        .output()
        .expect("run switchyard --api")
}

fn text(out: &std::process::Output) -> (Option<i32>, String, String) {
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Every command the CLI has for a suite works through the service with
/// an API key, and prints what it prints against Temporal.
#[tokio::test]
async fn the_cli_goes_through_the_service_with_the_same_output() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let service = Service::start(&env, "cli", &[]);
    let alice = service.key("alice", &["--scopes", "write"]);
    let bob = service.key("bob", &["--scopes", "approve"]);
    let reader = service.key("carol", &["--scopes", "read"]);
    let unused = service.key("dave", &["--scopes", "read"]);
    let dir = std::env::temp_dir().join(format!("switchyard-service-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("svc-cli.yaml");
    std::fs::write(&file, format!("{}approval:\n  required: 1\n  reviewers: [bob]\n  timeout: 10m\n", suite("svc-cli", &[19, 20], 307))).unwrap();
    let file = file.to_str().unwrap();
    let since = switchyard_tests::rfc3339_in(-2);

    // A plan: the fleet diff, nothing written.
    let (code, out, err) = text(&cli_via(&service, &alice, &["plan", file]));
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("Vlan307"), "the fleet diff: {out}");
    assert!(!env.rows(19).contains_key("VLAN|Vlan307"));

    // A malformed suite is refused at its place in the local file.
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "name: svc-bad\ntargets:\n  names: [sonic-d019]\nsteps:\n  - create_vlan: { vlan_id: 5000 }\n").unwrap();
    let (code, _, err) = text(&cli_via(&service, &alice, &["run", bad.to_str().unwrap()]));
    assert_eq!(code, Some(2), "a mistake in the file is a usage error");
    assert!(err.contains(&format!("{}:5:", bad.display())) && err.contains("vlan_id"), "{err}");

    // Run, wait for approval, approve, watch to the end.
    let (code, out, err) = text(&cli_via(&service, &alice, &["run", file]));
    assert_eq!(code, Some(0), "{out}\n{err}");
    let suite_id = switchyard_tests::started_suite_id(&out).unwrap();
    assert!(out.contains("started on 2 devices"), "{out}");
    let (code, out, err) = text(&cli_via(&service, &reader, &["watch", &suite_id, "--until", "awaiting_approval"]));
    assert_eq!(code, Some(0), "{out}\n{err}");
    let (code, _, err) = text(&cli_via(&service, &reader, &["approve", &suite_id]));
    assert_eq!(code, Some(1), "a read key cannot approve");
    assert!(err.contains("forbidden") && err.contains("approve"), "{err}");
    let (code, out, err) = text(&cli_via(&service, &bob, &["approve", &suite_id, "--comment", "ok"]));
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains(&format!("{suite_id}: approval counted")), "{out}");
    let (code, out, err) = text(&cli_via(&service, &reader, &["watch", &suite_id]));
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("succeeded"), "{out}");
    for i in [19, 20] {
        assert!(env.rows(i).contains_key("VLAN|Vlan307"), "device {i}");
    }

    // The same output as against Temporal.
    for args in [vec!["status", suite_id.as_str(), "--json"], vec!["status", suite_id.as_str()], vec!["audit", suite_id.as_str()], vec!["events", suite_id.as_str()]] {
        let (code, via, err) = text(&cli_via(&service, &reader, &args));
        assert_eq!(code, Some(0), "{args:?}: {err}");
        let direct = env.cli(&args);
        assert_eq!(via, String::from_utf8_lossy(&direct.stdout), "{args:?}");
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, via, _) = text(&cli_via(&service, &reader, &["list", "--name", "svc-cli", "--requester", "alice"]));
        let direct = String::from_utf8_lossy(&env.cli(&["list", "--name", "svc-cli", "--requester", "alice"]).stdout).into_owned();
        if via.contains(&suite_id) && via.contains("succeeded") && via == direct {
            break;
        }
        assert!(Instant::now() < deadline, "list through the service:\n{via}\ndirect:\n{direct}");
        std::thread::sleep(Duration::from_millis(300));
    }

    // Pages of the list, each the next.
    let first = service.call("GET", "/v1/suites?limit=1", Some(&reader), &[], "").json();
    let token = first["next_page_token"].as_str().unwrap().to_string();
    assert_eq!(first["suites"].as_array().unwrap().len(), 1, "{first}");
    assert!(!token.is_empty(), "{first}");
    let second = service.call("GET", &format!("/v1/suites?limit=1&page_token={token}"), Some(&reader), &[], "").json();
    assert_ne!(first["suites"][0]["suite_id"], second["suites"][0]["suite_id"], "{second}");
    let p = problem(&service.call("GET", "/v1/suites?page_token=zz", Some(&reader), &[], ""), 400, "bad-request");
    assert_eq!(p["field"], "page_token");

    // Statistics over the range this test ran in.
    let until = switchyard_tests::rfc3339_in(2);
    let stats = service.call("GET", &format!("/v1/statistics?since={since}&until={until}"), Some(&reader), &[], "").json();
    assert!(stats["by_phase"]["succeeded"].as_u64().unwrap_or(0) >= 1, "{stats}");
    assert!(stats["finished"].as_u64().unwrap() >= 1 && stats["duration_seconds"]["p50"].is_i64(), "{stats}");
    let rate = stats["success_rate"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&rate), "{stats}");
    let p = problem(&service.call("GET", &format!("/v1/statistics?since={until}&until={since}"), Some(&reader), &[], ""), 400, "bad-request");
    assert_eq!(p["field"], "since");
    let p = problem(&service.call("GET", "/v1/statistics?until=yesterday", Some(&reader), &[], ""), 400, "bad-request");
    assert_eq!(p["field"], "until");

    // Each key's last use, to the minute; a key never presented says so.
    let listed = service.keys_cli(&["list"]);
    let row = |key: &str| listed.lines().find(|l| l.contains(&format!("sy_{}", key.split('_').nth(1).unwrap()))).unwrap_or_default().to_string();
    let last_used = |key: &str| row(key).split_whitespace().rev().nth(1).unwrap_or_default().to_string();
    assert!(last_used(&bob).starts_with("20"), "{listed}");
    assert_eq!(last_used(&unused), "never", "{listed}");
}

/// A paused suite is answered through the service, and a running one gets
/// a later window end and a new parallelism; each is signed for the key's
/// principal (here unsigned: the service has no key) and judged by the
/// suite, which says why it refuses.
#[tokio::test]
async fn operators_answer_pauses_and_tune_suites_through_the_service() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let service = Service::start(&env, "operate", &[]);
    let oscar = service.key("oscar", &["--scopes", "write"]);
    let bob = service.key("bob", &["--scopes", "approve"]);
    let elsewhere = service.key("oscar", &["--scopes", "write", "--names", "sonic-d020"]);
    let body = format!(
        "name: svc-pause\ntargets:\n  names: [sonic-d001, sonic-d002]\nsteps:\n{}rollout:\n  parallelism: 1\n  on_failure: pause\n  pause_timeout: 10m\n\
         window:\n  start: {}\n  end: {}\napproval:\n  required: 1\n  reviewers: [bob]\n  timeout: 10m\n",
        switchyard_tests::VLAN_STEPS, switchyard_tests::rfc3339_in(-60), switchyard_tests::rfc3339_in(1800));
    let r = service.call("POST", "/v1/suites", Some(&oscar), &[], &body);
    assert_eq!(r.status, 201, "{}", r.body);
    let suite_id = r.json()["suite_id"].as_str().unwrap().to_string();
    let until = |phase: &str| {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let s = service.call("GET", &format!("/v1/suites/{suite_id}"), Some(&oscar), &[], "").json();
            if s["phase"] == phase {
                return s;
            }
            assert!(Instant::now() < deadline, "not {phase}: {s}");
            std::thread::sleep(Duration::from_millis(300));
        }
    };
    until("awaiting_approval");
    // Device 1's uplink becomes an access port of another VLAN after the
    // plan was approved: its apply fails, and the suite pauses.
    env.hset(1, "VLAN|Vlan300", &[("vlanid", "300")]);
    env.hset(1, "VLAN_MEMBER|Vlan300|Ethernet0", &[("tagging_mode", "untagged")]);
    let r = service.call("POST", &format!("/v1/suites/{suite_id}/approve"), Some(&bob), &[], "");
    assert_eq!(r.status, 200, "{}", r.body);
    until("paused");
    let path = |verb: &str| format!("/v1/suites/{suite_id}/{verb}");

    // The window: an earlier end is the suite's refusal; a later one holds.
    let p = problem(&service.call("POST", &path("window"), Some(&oscar), &[], &format!(r#"{{"end": "{}"}}"#, switchyard_tests::rfc3339_in(60))), 422, "refused");
    assert!(p["detail"].as_str().unwrap().contains("is not after the current end"), "{p}");
    let p = problem(&service.call("POST", &path("window"), Some(&oscar), &[], r#"{"end": "tomorrow"}"#), 400, "bad-request");
    assert_eq!(p["field"], "end");
    let later = switchyard_tests::rfc3339_in(3600);
    let r = service.call("POST", &path("window"), Some(&oscar), &[], &format!(r#"{{"end": "{later}", "comment": "ran late"}}"#));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["window_end"], later.as_str());

    // Parallelism: checked here for its range, by the suite for the rest.
    problem(&service.call("POST", &path("parallelism"), Some(&oscar), &[], r#"{"parallelism": 0}"#), 400, "bad-request");
    let r = service.call("POST", &path("parallelism"), Some(&oscar), &[], r#"{"parallelism": 2}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["previous"], 1);

    // A key for other devices cannot answer; the suite's own operator can.
    let p = problem(&service.call("POST", &path("resume"), Some(&elsewhere), &[], ""), 403, "forbidden");
    assert!(p["detail"].as_str().unwrap().contains("sonic-d001"), "{p}");
    let r = service.call("POST", &path("resume"), Some(&oscar), &[], r#"{"comment": "d001 is known bad"}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["applied"], true, "{}", r.body);
    assert_eq!(r.json()["event"]["operator"], "oscar", "{}", r.body);
    let ended = wait_ended(&service, &oscar, &suite_id);
    assert_eq!(ended["phase"], "failed", "one device failed, the other went on: {ended}");
    assert!(env.rows(2).contains_key("VLAN_MEMBER|Vlan100|Ethernet0"));
    // Nothing more can be asked of an ended suite.
    let p = problem(&service.call("POST", &path("rollback"), Some(&oscar), &[], ""), 409, "conflict");
    assert_eq!(p["phase"], "failed", "{p}");
    let log = ended["operator_log"].as_array().cloned().unwrap_or_default();
    assert!(log.iter().any(|e| e["operator"] == "oscar" && e["action"].as_str().unwrap_or_default().starts_with("extend window")), "{ended}");
}

/// A key limited to some devices reads only the suites within them: another
/// device's suite is a 404 for its status, events and deliveries, and is
/// left out of the list and the statistics; a suite id that cannot name a
/// suite is a 400 naming the field, not a 503.
#[tokio::test]
async fn a_key_limited_to_devices_reads_only_their_suites() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let service = Service::start(&env, "limited-reads", &[]);
    let writer = service.key("alice", &["--scopes", "write"]);
    let mine = service.key("alice", &["--scopes", "read", "--names", "sonic-d011"]);
    let ids: Vec<String> = [("svc-reads-mine", 11usize), ("svc-reads-other", 12)].iter().map(|(name, device)| {
        let r = service.call("POST", "/v1/suites?plan_only=true", Some(&writer), &[], &suite(name, &[*device], 306));
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["suite_id"].as_str().unwrap().to_string()
    }).collect();
    for id in &ids {
        wait_ended(&service, &writer, id);
    }
    let (own, other) = (&ids[0], &ids[1]);
    assert_eq!(service.call("GET", &format!("/v1/suites/{own}"), Some(&mine), &[], "").status, 200);
    for path in [format!("/v1/suites/{other}"), format!("/v1/suites/{other}/events"), format!("/v1/suites/{other}/deliveries")] {
        problem(&service.call("GET", &path, Some(&mine), &[], ""), 404, "not-found");
    }
    let listed = service.call("GET", "/v1/suites?limit=50", Some(&mine), &[], "");
    assert_eq!(listed.status, 200, "{}", listed.body);
    let names: Vec<String> = listed.json()["suites"].as_array().unwrap().iter().map(|s| s["suite_id"].as_str().unwrap().to_string()).collect();
    assert!(names.contains(own) && !names.contains(other), "{names:?}");
    let all = service.call("GET", "/v1/suites?limit=50", Some(&writer), &[], "");
    assert!(all.body.contains(other.as_str()), "an unlimited key lists both");

    let p = problem(&service.call("GET", "/v1/suites/..%2Fescape", Some(&writer), &[], ""), 400, "bad-request");
    assert_eq!(p["field"], "suite_id", "{p}");
}
