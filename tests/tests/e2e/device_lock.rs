//! Two suites on one device never interleave: the first holds the device's
//! lock until it ends; a second one waits for it (and says whose lock it
//! waited for), or, with `if_locked: fail`, fails that device at once with
//! "locked by <suite> since <time>", writing nothing.
//! Needs `tests/run.sh`; fails loudly without it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use switchyard_proto::v1::{CompensationAction, DeviceStatus, SuitePhase};
use switchyard_tests::{TestEnv, ended, phase, started_suite_id, wait_for};

const TIMEOUT: Duration = Duration::from_secs(120);

fn suite(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("switchyard-lock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, format!("name: {name}\n{text}")).unwrap();
    path
}

fn start(env: &TestEnv, path: &Path) -> String {
    let out = env.cli(&["run", path.to_str().unwrap(), "--requester", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap()
}

fn lock_holder(env: &TestEnv, i: usize) -> Option<String> {
    let mut conn = env.device_redis(i);
    let _: () = redis::cmd("SELECT").arg(6).query(&mut conn).unwrap();
    redis::cmd("HGET").arg("SWITCHYARD_LOCK").arg("suite").query(&mut conn).unwrap()
}

#[tokio::test]
async fn a_locked_device_makes_the_second_suite_wait_or_fail() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let client = env.client().await.unwrap();

    // A changes device 1, then soaks before device 2: it holds device 1's
    // lock all that time, until it ends.
    let a = start(&env, &suite("lock-a", "targets: { names: [sonic-d001, sonic-d002] }\nsteps:\n  - create_vlan: { vlan_id: 100 }\nrollout:\n  parallelism: 1\n  waves: [1]\n  soak: 12s\n"));
    wait_for(&client, &a, "device 1 changed", TIMEOUT, |s| s.devices[0].status == DeviceStatus::Succeeded as i32).await.unwrap();
    assert_eq!(lock_holder(&env, 1).as_deref(), Some(a.as_str()));

    // B waits for the lock; C is told to fail instead.
    let b = start(&env, &suite("lock-b", "targets: { names: [sonic-d001] }\nsteps:\n  - create_vlan: { vlan_id: 200 }\n"));
    let c = start(&env, &suite("lock-c", "targets: { names: [sonic-d001] }\nsteps:\n  - create_vlan: { vlan_id: 300 }\nrollout:\n  if_locked: fail\n"));
    let sc = wait_for(&client, &c, "ended", TIMEOUT, ended).await.unwrap();
    assert_eq!(phase(&sc), SuitePhase::RolledBack, "{sc:#?}");
    let d = &sc.devices[0];
    assert_eq!(d.status, DeviceStatus::Failed as i32, "{d:?}");
    assert!(d.error.contains(&format!("locked by {a} since 20")), "{}", d.error);
    assert!(sc.compensation_log.iter().any(|e| e.device == "sonic-d001" && e.action == CompensationAction::NotApplied as i32),
        "{:?}", sc.compensation_log);

    // While A runs, B has written nothing on device 1, and says why it
    // waits, whose lock and until when, while it waits: in `status --json`,
    // in the report and in the Web UI's details of the suite.
    let sb = wait_for(&client, &b, "waiting for the lock", TIMEOUT, |s| !s.waiting.is_empty()).await.unwrap();
    assert!(!ended(&sb));
    assert_eq!(sb.devices[0].status, DeviceStatus::Applying as i32, "{sb:#?}");
    let out = env.cli(&["status", &b, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let held = format!("the device lock, held by suite {a} since 20");
    let suite_waits = json["waiting"].as_str().unwrap_or_default();
    assert!(suite_waits.starts_with(&format!("sonic-d001 waits for {held}")), "{json:#}");
    let device_waits = json["devices"][0]["waiting"].as_str().unwrap_or_default();
    assert!(device_waits.starts_with(&held) && device_waits.contains("(waits until 20"), "{device_waits}");
    let text = env.cli(&["status", &b]);
    assert!(String::from_utf8_lossy(&text.stdout).contains(&format!("waiting: sonic-d001 waits for {held}")), "{}", String::from_utf8_lossy(&text.stdout));
    let details = env.current_details(&b).await;
    assert!(details.contains(&format!("waiting: sonic-d001 waits for {held}")), "{details}");
    let sa = wait_for(&client, &a, "ended", TIMEOUT, ended).await.unwrap();
    assert_eq!(phase(&sa), SuitePhase::Succeeded, "{sa:#?}");
    let rows = env.rows(1);
    assert!(!rows.contains_key("VLAN|Vlan200") && !rows.contains_key("VLAN|Vlan300"), "written while A held the lock: {rows:?}");

    // A released its locks; B takes device 1's and applies.
    let sb = wait_for(&client, &b, "ended", TIMEOUT, ended).await.unwrap();
    assert_eq!(phase(&sb), SuitePhase::Succeeded, "{sb:#?}");
    assert!(sb.devices[0].lock_wait.contains(&format!("for the lock held by {a}")), "{:?}", sb.devices[0].lock_wait);
    assert!(sb.waiting.is_empty() && sb.devices[0].waiting.is_empty(), "an ended suite waits for nothing: {sb:#?}");
    let rows = env.rows(1);
    assert!(rows.contains_key("VLAN|Vlan100") && rows.contains_key("VLAN|Vlan200") && !rows.contains_key("VLAN|Vlan300"), "{rows:?}");
    for i in [1, 2] {
        assert_eq!(lock_holder(&env, i), None, "device {i} still locked");
    }
}
