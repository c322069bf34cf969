//! Webhooks: a real HTTP receiver started here takes the events a real
//! worker delivers for suites on the dev server and lab. Signatures verify
//! (checked by Python's own HMAC, not switchyard's); a receiver that
//! answers 500 twice gets the same event again with the same id, and it is
//! counted once; a worker killed (SIGKILL) during a delivery loses no
//! event; a suite that awaits approval tells its reviewers with the plan;
//! `switchyard events` shows each delivery. Needs `tests/run.sh`; fails
//! loudly without it.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use switchyard_tests::receiver::{Received, Receiver};
use switchyard_tests::{TestEnv, started_suite_id};

/// A 32-byte key, as Standard Webhooks secrets are given out.
const SECRET: &str = "whsec_c3dpdGNoeWFyZC10ZXN0LXdlYmhvb2stc2VjcmV0LTMy";

/// Checks a request's Standard Webhooks signature with Python's hmac.
fn verify(r: &Received) {
    let (id, timestamp, signature) = (r.id(), &r.headers["webhook-timestamp"], &r.headers["webhook-signature"]);
    let script = "import base64,hashlib,hmac,sys\nkey=base64.b64decode(sys.argv[1].removeprefix('whsec_'))\n\
        msg=(sys.argv[2]+'.'+sys.argv[3]+'.').encode()+sys.stdin.buffer.read()\n\
        print('v1,'+base64.b64encode(hmac.new(key,msg,hashlib.sha256).digest()).decode())";
    let mut child = std::process::Command::new("python3").args(["-c", script, SECRET, &id, timestamp])
        .stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn().expect("python3");
    child.stdin.take().unwrap().write_all(r.body.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), signature, "signature of {id}");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let at: i64 = timestamp.parse().unwrap();
    assert!((now - at).abs() < 300, "a fresh timestamp: {at} vs {now}");
    assert_eq!(r.json()["data"]["id"], id.as_str(), "the id is the event's own");
}

fn webhooks_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("switchyard-webhooks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn suite_file(name: &str, devices: &[usize], vlan: u32, extra: &str) -> std::path::PathBuf {
    let names: Vec<String> = devices.iter().map(|i| TestEnv::device_name(*i)).collect();
    webhooks_file(name, &format!("name: {name}\ntargets:\n  names: [{}]\nsteps:\n  - create_vlan: {{ vlan_id: {vlan}, description: hooks }}\n{extra}", names.join(", ")))
}


#[tokio::test]
async fn events_reach_receivers_signed_retried_and_counted_once() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    // The first two deliveries of the approval request fail with 500.
    let receiver = Receiver::start(Box::new(|r: &Received, before: usize| {
        let flaky = r.path == "/hook" && r.event_type() == "suite.awaiting_approval" && before < 2;
        (if flaky { 500 } else { 200 }, Duration::ZERO)
    }));
    let hooks = webhooks_file("signed", &format!(
        "ui_address: http://ui.example:8233\nsubscriptions:\n  - name: pipeline\n    url: http://{0}/hook\n    secret_env: SY_TEST_HOOK_SECRET\n    devices: {{ names: [sonic-d003] }}\n\
         \x20 - name: reviewers\n    url: http://{0}/reviewers\n    secret_env: SY_TEST_HOOK_SECRET\n    events: [suite.awaiting_approval]\n\
         \x20 - name: elsewhere\n    url: http://{0}/elsewhere\n    secret_env: SY_TEST_HOOK_SECRET\n    devices: {{ names: [sonic-d019] }}\n", receiver.address));
    let queue = "webhooks-signed";
    let _worker = env.spawn_worker_under(queue, &env.inventory(), &env.unsigned_policy(),
        &[("SWITCHYARD_WEBHOOKS", hooks.to_str().unwrap()), ("SY_TEST_HOOK_SECRET", SECRET)]);
    let suite = suite_file("hooks-signed", &[3, 4], 320, "approval:\n  required: 1\n  reviewers: [bob]\n  timeout: 10m\n");
    let suite_id = started_suite_id(&env.cli_ok(queue, &["run", suite.to_str().unwrap(), "--requester", "alice"])).unwrap();

    // Reviewers are told, with the plan and what it needs.
    let told = receiver.wait_delivered("/reviewers", "suite.awaiting_approval");
    verify(&told);
    let data = &told.json()["data"];
    assert_eq!(data["suite_id"], suite_id.as_str());
    assert_eq!(data["approvals_needed"], 1, "{data}");
    assert!(data["fleet_diff"].as_str().unwrap().contains("VLAN|Vlan320"), "{data}");
    assert_eq!(data["web_ui"], format!("http://ui.example:8233/namespaces/default/workflows/{suite_id}").as_str());
    // The pipeline got it on the third try, the same id each time.
    let third = receiver.wait_delivered("/hook", "suite.awaiting_approval");
    let tries: Vec<Received> = receiver.got().into_iter().filter(|r| r.id() == third.id() && r.path == "/hook").collect();
    assert_eq!(tries.iter().map(|r| r.answered).collect::<Vec<_>>(), [500, 500, 200], "{tries:#?}");
    assert!(tries.iter().all(|r| r.body == third.body), "a retry sends the same event");

    env.cli_ok(queue, &["approve", &suite_id, "--reviewer", "bob"]);
    receiver.wait_delivered("/hook", "suite.succeeded");
    let got = receiver.got();
    for r in got.iter().filter(|r| r.answered == 200) {
        verify(r);
    }
    // Counted once by id: every event, each exactly once.
    let mut unique: BTreeMap<String, String> = BTreeMap::new();
    for r in got.iter().filter(|r| r.path == "/hook" && r.answered == 200) {
        assert!(unique.insert(r.id(), r.event_type()).is_none(), "{} delivered twice after a 200", r.id());
    }
    let types: Vec<&str> = unique.values().map(String::as_str).collect();
    assert_eq!(types.len(), 3, "{types:?}");
    for t in ["suite.awaiting_approval", "suite.applying", "suite.succeeded"] {
        assert!(types.contains(&t), "{t} missing: {types:?}");
    }
    assert!(got.iter().all(|r| r.path != "/elsewhere"), "a subscription for other devices hears nothing");
    assert!(got.iter().filter(|r| r.path == "/reviewers").all(|r| r.event_type() == "suite.awaiting_approval"));

    // The delivery log: each subscription, with its attempts.
    let log = env.cli_ok(queue, &["events", &suite_id]);
    let row = |event: &str, subscription: &str| log.lines().find(|l| l.contains(event) && l.contains(subscription)).unwrap_or_default().to_string();
    let pipeline = row("suite.awaiting_approval", "pipeline");
    assert!(pipeline.contains("delivered") && pipeline.contains(" 3 "), "{log}");
    assert!(row("suite.awaiting_approval", "reviewers").contains("delivered"), "{log}");
    assert!(row("suite.succeeded", "pipeline").contains("delivered"), "{log}");
    assert!(!log.contains("elsewhere"), "{log}");
    assert!(!log.contains(SECRET) && !log.contains("/hook"), "no secret or URL path in the log: {log}");
}

#[tokio::test]
async fn a_worker_killed_during_a_delivery_loses_no_event() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    // The first delivery is held until after its worker is gone.
    let receiver = Receiver::start(Box::new(|r: &Received, before: usize| {
        let hold = r.event_type() == "suite.applying" && before == 0;
        (200, if hold { Duration::from_secs(30) } else { Duration::ZERO })
    }));
    let hooks = webhooks_file("crash", &format!(
        "subscriptions:\n  - name: pipeline\n    url: http://{}/hook\n    secret_file: {}\n", receiver.address,
        webhooks_file("crash-secret", &format!("{SECRET}\n")).display()));
    let queue = "webhooks-crash";
    let env_vars = [("SWITCHYARD_WEBHOOKS", hooks.to_str().unwrap())];
    let mut worker = env.spawn_worker_under(queue, &env.inventory(), &env.unsigned_policy(), &env_vars);
    let suite = suite_file("hooks-crash", &[5], 321, "");
    let suite_id = started_suite_id(&env.cli_ok(queue, &["run", suite.to_str().unwrap(), "--requester", "alice"])).unwrap();

    // The receiver holds the first delivery: kill its worker meanwhile.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !receiver.arrived("suite.applying") {
        assert!(Instant::now() < deadline, "no delivery started");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    worker.kill();
    let _worker = env.spawn_worker_under(queue, &env.inventory(), &env.unsigned_policy(), &env_vars);

    let applying = receiver.wait_delivered("/hook", "suite.applying");
    verify(&applying);
    let ended = receiver.wait_delivered("/hook", "suite.succeeded");
    verify(&ended);
    assert!(env.rows(5).contains_key("VLAN|Vlan321"));
    let out = env.cli_ok(queue, &["events", &suite_id]);
    assert_eq!(out.matches("delivered").count(), 2, "{out}");
}

/// A device that fails its post-check is a `device.failed` event that
/// carries the readings that did not hold: what was expected, what the
/// device showed, and when, so a pipeline or a chat room sees why without
/// asking the suite.
#[tokio::test]
async fn a_failed_check_reaches_the_webhook_with_its_reading() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let receiver = Receiver::start(Box::new(|_: &Received, _| (200, Duration::ZERO)));
    let hooks = webhooks_file("checks", &format!(
        "subscriptions:\n  - name: pipeline\n    url: http://{}/hook\n    secret_env: SY_TEST_HOOK_SECRET\n    events: [device.failed]\n", receiver.address));
    let queue = "webhooks-checks";
    let _worker = env.spawn_worker_under(queue, &env.inventory(), &env.unsigned_policy(),
        &[("SWITCHYARD_WEBHOOKS", hooks.to_str().unwrap()), ("SY_TEST_HOOK_SECRET", SECRET)]);
    let suite = suite_file("hooks-checks", &[8], 321,
        "checks:\n  post:\n    - { name: no such session, state_db: \"NEIGH_STATE_TABLE|10.99.0.1\", field: state, equals: Established, within: 2s }\n");
    env.cli_ok(queue, &["run", suite.to_str().unwrap(), "--requester", "alice"]);
    let failed = receiver.wait_delivered("/hook", "device.failed");
    verify(&failed);
    let data = &failed.json()["data"];
    assert_eq!(data["devices"][0], "sonic-d008", "{data}");
    let reading = &data["checks"][0];
    assert_eq!((reading["name"].as_str(), reading["passed"].as_bool()), (Some("no such session"), None), "a failed reading (false is left out): {data}");
    assert_eq!(reading["expected"], "state = Established", "{data}");
    assert_eq!(reading["observed"], "no such key", "{data}");
    assert!(reading["at"].as_str().is_some_and(|t| switchyard_proto::time::parse_rfc3339(t).is_some()), "{data}");
}
