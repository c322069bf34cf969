//! A real Prometheus scrapes a real worker: the Temporal SDK's own metrics
//! and switchyard's device metrics come from one scrape port, with
//! Prometheus names and labels, and `/livez` and `/readyz` answer on it.
//! Needs `tests/run.sh`, which installs the `prometheus` binary; fails
//! loudly without it.

use std::process::Command;

use switchyard_tests::prometheus::Prometheus;
use switchyard_tests::{TestEnv, http_get, started_suite_id, url_encode};

const QUEUE: &str = "metrics-test";

#[test]
fn prometheus_scrapes_sdk_and_device_metrics_from_one_port() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let _worker = env.spawn_worker(QUEUE);
    let scrape = env.scrape_address(QUEUE);
    assert_eq!(http_get(&scrape, "/livez").unwrap(), (200, "ok\n".to_string()));
    assert_eq!(http_get(&scrape, "/readyz").unwrap().0, 200);
    assert_eq!(http_get(&scrape, "/elsewhere").unwrap().0, 404);
    let prom = Prometheus::start("metrics", &[&scrape]);

    let dir = std::env::temp_dir().join(format!("switchyard-metrics-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let suite = dir.join("metrics.yaml");
    std::fs::write(&suite, "name: metrics\ntargets:\n  names: [sonic-d001, sonic-d002]\nsteps:\n  - create_vlan:\n      vlan_id: 320\n\
        checks:\n  post:\n    - { state_db: \"PORT_TABLE|Ethernet0\", field: state, equals: ok }\n").unwrap();
    let out = env.cli_on(QUEUE, &["run", suite.to_str().unwrap(), "--requester", "alice", "--watch"]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{text}");
    started_suite_id(&text).unwrap();

    // switchyard's own, by kind, operation and outcome.
    assert_eq!(prom.wait_for_value(r#"sum(switchyard_device_steps_total{kind="apply",operation="create_vlan",outcome="applied"})"#, 2.0), 2.0);
    prom.wait_for_value(r#"sum(switchyard_device_steps_total{kind="plan",outcome="planned"})"#, 2.0);
    prom.wait_for_value(r#"sum(switchyard_device_steps_total{kind="verify",outcome="ok"})"#, 2.0);
    prom.wait_for_value(r#"sum(switchyard_device_step_duration_seconds_count{kind="apply"})"#, 2.0);
    prom.wait_for_value(r#"sum(switchyard_ssh_handshakes_total{outcome="ok"})"#, 2.0);
    // Each check reading, by when and outcome.
    prom.wait_for_value(r#"sum(switchyard_device_checks_total{when="post",outcome="passed"})"#, 2.0);
    prom.wait_for_value("switchyard_ssh_sessions", 2.0);
    // The SDK's, from the same port.
    prom.wait_for_value(r#"sum(temporal_workflow_completed_total{workflow_type="SuiteWorkflow"})"#, 1.0);
    prom.wait_for_value("sum(temporal_num_pollers)", 1.0);
    // Its histograms name their unit, as ours do.
    prom.wait_for_value("sum(temporal_activity_execution_latency_seconds_count)", 2.0);
    // Suites by phase, from Temporal visibility (counted every 30 s).
    prom.wait_for_value(r#"max(switchyard_suites{phase="succeeded"})"#, 1.0);
    // Device workflows by DeviceStatus, the same way: this suite's two.
    prom.wait_for_value(r#"max(switchyard_devices{status="succeeded"})"#, 2.0);

    // deploy/: the alert rules are valid, and every dashboard and alert
    // expression evaluates on this Prometheus against these metrics.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let rules = root.join("deploy/prometheus/alerts.yml");
    let checked = Command::new("promtool").args(["check", "rules"]).arg(&rules).output().expect("promtool (from the prometheus package)");
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stdout));
    let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(root.join("deploy/grafana/dashboards/switchyard.json")).unwrap()).unwrap();
    let mut exprs: Vec<String> = dashboard["panels"].as_array().unwrap().iter()
        .flat_map(|p| p["targets"].as_array().unwrap().iter().map(|t| t["expr"].as_str().unwrap().to_string()))
        .collect();
    let alerts: serde_json::Value = serde_saphyr::from_str(&std::fs::read_to_string(&rules).unwrap()).unwrap();
    exprs.extend(alerts["groups"][0]["rules"].as_array().unwrap().iter().map(|r| r["expr"].as_str().unwrap().to_string()));
    // A rate needs two scrapes of the new counters.
    prom.wait_for_value("count(sum by (kind, outcome) (rate(switchyard_device_steps_total[5m])))", 1.0);
    for expr in &exprs {
        let (code, body) = http_get(&prom.address, &format!("/api/v1/query?query={}", url_encode(expr))).unwrap();
        assert_eq!(code, 200, "{expr}: {body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["status"], "success", "{expr}: {body}");
        // The dashboard's panels on device steps show this suite's steps.
        if expr.starts_with("sum by (kind, outcome) (rate(switchyard_device_steps_total") {
            assert!(!json["data"]["result"].as_array().unwrap().is_empty(), "{expr} has no series: {body}");
        }
    }
}
