//! `switchyard doctor`: each device's access checked end to end against
//! the lab, every link named, and each break the lab can make (the address
//! gone, a new host key, the login revoked, redis stopped) found at its
//! link with what to fix, the links after it skipped. Needs `tests/run.sh`;
//! fails loudly without it.

use std::process::{Command, Output};

use switchyard_tests::{Fault, TestEnv};

fn doctor(env: &TestEnv, args: &[&str]) -> Output {
    Command::new(env.bin("switchyard")).arg("doctor").args(args).arg("--inventory").arg(env.inventory())
        .output().expect("run switchyard doctor")
}

/// The device's findings as (check, verdict) pairs, from `--json`.
fn verdicts(env: &TestEnv, device: usize) -> (Option<i32>, Vec<(String, String)>, serde_json::Value) {
    let out = doctor(env, &[&TestEnv::device_name(device), "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
    let checks = report[0]["checks"].as_array().expect("checks").iter()
        .map(|c| (c["check"].as_str().unwrap().to_string(), c["verdict"].as_str().unwrap().to_string())).collect();
    (out.status.code(), checks, report)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[tokio::test]
async fn a_healthy_device_passes_every_check_and_says_what_it_saw() {
    let env = TestEnv::get();
    let _lab = env.read_lab();
    let name = TestEnv::device_name(3);
    let out = doctor(&env, &[&name]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    for line in ["address", "host key", "login", "redis", "config_db", "sudo", "all 6 checks passed"] {
        assert!(text.contains(line), "{line}: {text}");
    }
    assert!(text.contains(&format!("hostname {name}")), "CONFIG_DB's own record: {text}");
    assert!(text.contains("runs ") && text.contains("config"), "sudo's answer: {text}");
    // Every device at once when none is named.
    let out = doctor(&env, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout).matches("all 6 checks passed").count(), env.device_count());
    // A name the inventory does not have is refused, named.
    let out = doctor(&env, &["sonic-d999"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sonic-d999 is not a device of"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn each_broken_link_is_named_with_its_fix_and_the_rest_skipped() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let device = 5;
    {
        let _fault = Fault::inject(&env, device, "link-down");
        let (code, checks, report) = verdicts(&env, device);
        assert_eq!(code, Some(1));
        assert_eq!(checks, pairs(&[("address", "fail"), ("host key", "skipped"), ("login", "skipped"), ("redis", "skipped"), ("config_db", "skipped"), ("sudo", "skipped")]), "{report}");
        assert!(report[0]["checks"][0]["fix"].as_str().unwrap().contains("address"), "{report}");
    }
    {
        let _fault = Fault::inject(&env, device, "rekey");
        let (code, checks, report) = verdicts(&env, device);
        assert_eq!(code, Some(1));
        assert_eq!(checks[..2], pairs(&[("address", "ok"), ("host key", "fail")])[..], "{report}");
        assert!(report[0]["checks"][1]["fix"].as_str().unwrap().contains("ssh-keyscan"), "{report}");
    }
    {
        let _fault = Fault::inject(&env, device, "revoke");
        let (code, checks, report) = verdicts(&env, device);
        assert_eq!(code, Some(1));
        assert_eq!(checks[..4], pairs(&[("address", "ok"), ("host key", "ok"), ("login", "fail"), ("redis", "skipped")])[..], "{report}");
        assert!(report[0]["checks"][2]["fix"].as_str().unwrap().contains("authorized_keys"), "{report}");
    }
    {
        let _fault = Fault::inject(&env, device, "stop-redis");
        let (code, checks, report) = verdicts(&env, device);
        assert_eq!(code, Some(1));
        assert_eq!(checks, pairs(&[("address", "ok"), ("host key", "ok"), ("login", "ok"), ("redis", "fail"), ("config_db", "skipped"), ("sudo", "ok")]), "{report}");
        assert!(report[0]["checks"][3]["fix"].as_str().unwrap().contains("AllowTcpForwarding"), "{report}");
    }
    // Healed: every check passes again.
    let (code, _, report) = verdicts(&env, device);
    assert_eq!(code, Some(0), "{report}");
}
