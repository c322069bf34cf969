//! A fleet of three SONiC releases, and changes that persist.
//!
//! The lab's odd devices run SONiC 202305 with bgpcfgd (one-part
//! default-VRF BGP keys, IPv4 DHCP relay in the VLAN's list); its even
//! devices run frrcfgd (two-part keys with their address family rows) on
//! 202411 (the IPv4 relay still in the VLAN's list) or 202511 (SONiC's own
//! DHCPv4 relay in DHCPV4_RELAY). Each carries its release's schema version,
//! FEATURE table and platform lanes. One suite across them writes each
//! device's own form and the plan says which it chose; a field a release
//! lacks is refused there, naming the release the device reports. A device that
//! succeeded, or was rolled back, saves its running configuration as
//! `config save -y` does, and the saved file equals CONFIG_DB; a save that
//! fails is reported for that device. A reboot (`lab.sh reboot`: CONFIG_DB
//! loaded from the saved file) keeps a suite's change and a rollback's undo,
//! and loses what was not saved. Needs `tests/run.sh`; fails loudly without
//! it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use switchyard_proto::v1::{DeviceResult, DeviceStatus, SuitePhase, SuiteStatus};
use switchyard_tests::{Fault, TestEnv};


fn row(fields: &[(&str, &str)]) -> BTreeMap<String, String> {
    fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn suite(name: &str, devices: &[usize], body: &str) -> PathBuf {
    switchyard_tests::suite_on("profiles", name, devices, body)
}

async fn run(env: &TestEnv, path: &Path) -> SuiteStatus {
    switchyard_tests::run_to_end(env, path).await
}

fn device(status: &SuiteStatus, i: usize) -> &DeviceResult {
    switchyard_tests::device_result(status, i)
}

const TENANT: &str = "steps:
  - create_vlan: { vlan_id: 200, description: profiles }
  - add_dhcp_relay: { vlan_id: 200, servers: \"10.9.0.9,2001:db8::9\" }
  - add_bgp_neighbor: { neighbor: 10.0.0.9, remote_asn: 65100 }
";

#[tokio::test]
async fn one_suite_writes_each_profiles_own_form_and_saves_it() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    // Device 3 runs 202305 with bgpcfgd, device 6 202411 and device 4 202511
    // with frrcfgd (and BGP_GLOBALS|default).
    let (old, mid, new) = (3, 6, 4);
    let metadata = |i: usize| env.rows(i)["DEVICE_METADATA|localhost"].clone();
    let version = |i: usize| env.rows(i)["VERSIONS|DATABASE"]["VERSION"].clone();
    assert_eq!(metadata(old).get("frr_mgmt_framework_config"), None);
    assert_eq!(metadata(mid)["frr_mgmt_framework_config"], "true");
    assert_eq!(metadata(new)["frr_mgmt_framework_config"], "true");
    // Each release as its db_migrator leaves it; 202411's YANG has no
    // has_sonic_dhcpv4_relay (it first appears in 202511).
    assert_eq!([version(old), version(mid), version(new)], ["version_202305_01", "version_202411_02", "version_202511_01"]);
    assert_eq!((metadata(mid).get("has_sonic_dhcpv4_relay"), metadata(new).get("has_sonic_dhcpv4_relay")), (None, Some(&"True".to_string())));
    // The release's FEATURE table (telemetry until 202305, gnmi since) and the platform's lanes.
    let features = |i: usize| env.rows(i).keys().filter(|k| k.starts_with("FEATURE|")).count();
    assert!(features(old) >= 15 && features(new) >= 15, "{} / {}", features(old), features(new));
    assert!(env.rows(old).contains_key("FEATURE|telemetry") && env.rows(new).contains_key("FEATURE|gnmi"));
    assert_eq!(env.rows(old)["PORT|Ethernet0"]["lanes"], "25,26,27,28", "the S6000's port_config.ini");
    assert_eq!(env.rows(new)["PORT|Ethernet4"]["lanes"], "4,5,6,7", "the SN2700's platform.json");
    let before = [env.rows(old), env.rows(mid), env.rows(new)];
    let restarts = |i: usize| env.service_calls(i, "dhcp_relay");
    let restarted_before = [restarts(old), restarts(mid), restarts(new)];

    let status = run(&env, &suite("profiles", &[old, mid, new], TENANT)).await;
    assert_eq!(status.phase, SuitePhase::Succeeded as i32, "{status:#?}");

    // The fleet diff keeps the forms apart and says which each chose.
    let diff = &status.fleet_diff;
    assert!(diff.contains("1 device: sonic-d003"), "{diff}");
    assert!(diff.contains("1 device: sonic-d004"), "{diff}");
    assert!(diff.contains("1 device: sonic-d006"), "{diff}");
    assert!(diff.contains("# 3-add_bgp_neighbor: bgpcfgd runs here (DEVICE_METADATA has no frr_mgmt_framework_config=true): BGP_NEIGHBOR|10.0.0.9"), "{diff}");
    assert!(diff.contains("# 3-add_bgp_neighbor: frrcfgd runs here (DEVICE_METADATA frr_mgmt_framework_config=true)"), "{diff}");
    assert!(diff.contains("# 2-add_dhcp_relay: IPv4 relay in DHCPV4_RELAY (DEVICE_METADATA has_sonic_dhcpv4_relay=True)"), "{diff}");

    // The oracle, written here: each profile's own rows.
    let mut want_old = before[0].clone();
    want_old.insert("VLAN|Vlan200".into(), row(&[("vlanid", "200"), ("description", "profiles"), ("dhcp_servers@", "10.9.0.9")]));
    want_old.insert("DHCP_RELAY|Vlan200".into(), row(&[("dhcpv6_servers@", "2001:db8::9")]));
    want_old.insert("BGP_NEIGHBOR|10.0.0.9".into(), row(&[("asn", "65100"), ("admin_status", "up"), ("name", "10.0.0.9")]));
    assert_eq!(env.rows(old), want_old, "bgpcfgd device");
    let mut want_mid = before[1].clone();
    want_mid.insert("VLAN|Vlan200".into(), row(&[("vlanid", "200"), ("description", "profiles"), ("dhcp_servers@", "10.9.0.9")]));
    want_mid.insert("DHCP_RELAY|Vlan200".into(), row(&[("dhcpv6_servers@", "2001:db8::9")]));
    want_mid.insert("BGP_NEIGHBOR|default|10.0.0.9".into(), row(&[("asn", "65100"), ("admin_status", "true")]));
    want_mid.insert("BGP_NEIGHBOR_AF|default|10.0.0.9|ipv4_unicast".into(), row(&[("admin_status", "true")]));
    assert_eq!(env.rows(mid), want_mid, "202411 device");
    let mut want_new = before[2].clone();
    want_new.insert("VLAN|Vlan200".into(), row(&[("vlanid", "200"), ("description", "profiles")]));
    want_new.insert("DHCPV4_RELAY|Vlan200".into(), row(&[("dhcpv4_servers@", "10.9.0.9")]));
    want_new.insert("DHCP_RELAY|Vlan200".into(), row(&[("dhcpv6_servers@", "2001:db8::9")]));
    want_new.insert("BGP_NEIGHBOR|default|10.0.0.9".into(), row(&[("asn", "65100"), ("admin_status", "true")]));
    want_new.insert("BGP_NEIGHBOR_AF|default|10.0.0.9|ipv4_unicast".into(), row(&[("admin_status", "true")]));
    assert_eq!(env.rows(new), want_new, "frrcfgd device");

    // The relay reads dhcp_servers and DHCP_RELAY only at start: each device
    // restarted it once, as SONiC's CLI does (stop, reset-failed, start),
    // and the plan says so.
    for (i, was) in [old, mid, new].into_iter().zip(&restarted_before) {
        assert_eq!(restarts(i)[was.len()..], ["stop", "reset-failed", "start"], "device {i}");
    }
    assert!(diff.contains("# 2-add_dhcp_relay: restarts dhcp_relay once written, as SONiC's CLI does") && diff.contains("! restart dhcp_relay"), "{diff}");

    // Each device saved what it runs, as `config save -y` writes it.
    for i in [old, mid, new] {
        let d = device(&status, i);
        assert!(d.saved, "{d:#?}");
        assert_eq!(env.saved_config(i), env.rows(i), "device {i}'s config_db.json is its CONFIG_DB");
    }
    // The change survives a reboot.
    for i in [old, mid, new] {
        env.reboot(i);
    }
    assert_eq!(env.rows(old), want_old, "bgpcfgd device after a reboot");
    assert_eq!(env.rows(mid), want_mid, "202411 device after a reboot");
    assert_eq!(env.rows(new), want_new, "frrcfgd device after a reboot");

    // SONiC's own DHCPv4 relay (202511) follows DHCPV4_RELAY live: an IPv4
    // server alone restarts nothing there, and restarts the relay on 202305.
    let (was_old, was_new) = (restarts(old).len(), restarts(new).len());
    let status = run(&env, &suite("profiles-relay-v4", &[old, new], "steps:\n  - add_dhcp_relay: { vlan_id: 200, servers: 10.9.0.10 }\n")).await;
    assert_eq!(status.phase, SuitePhase::Succeeded as i32, "{status:#?}");
    assert_eq!(restarts(new).len(), was_new, "no restart for DHCPV4_RELAY");
    assert_eq!(restarts(old)[was_old..], ["stop", "reset-failed", "start"]);

    // A field the release lacks: PORT mode exists from 202405 (sonic-port.yang).
    let status = run(&env, &suite("profiles-mode", &[old, mid], "steps:\n  - set_switchport_mode: { port: Ethernet8, mode: trunk }\n")).await;
    assert_eq!(status.phase, SuitePhase::Failed as i32, "{status:#?}");
    assert!(status.error.contains("sonic-d003") && status.error.contains("exists from SONiC 202405; this device runs 202305 (VERSIONS|DATABASE VERSION=version_202305_01)"), "{}", status.error);
    assert!(!env.rows(mid).get("PORT|Ethernet8").is_some_and(|r| r.contains_key("mode")), "nothing written when a device refuses at plan time");
    let status = run(&env, &suite("profiles-mode-new", &[mid], "steps:\n  - set_switchport_mode: { port: Ethernet8, mode: trunk }\n")).await;
    assert_eq!(status.phase, SuitePhase::Succeeded as i32, "{status:#?}");
    assert!(status.fleet_diff.contains("SONiC 202411 (VERSIONS|DATABASE VERSION=version_202411_02): the switchport mode field exists from 202405"), "{}", status.fleet_diff);
}

#[tokio::test]
async fn a_rolled_back_device_saves_its_configuration_as_it_was() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let (canary, broken) = (5, 6);
    let before = env.rows(canary);
    let restarted = env.service_calls(canary, "dhcp_relay").len();
    // The second device refuses every write: it fails, and the failure
    // budget of 0 rolls the canary back.
    let _refuses = Fault::inject(&env, broken, "refuse-writes");
    let body = format!("{}rollout:\n  parallelism: 1\n  waves: [1]\n  on_failure: rollback\n", TENANT);
    let status = run(&env, &suite("profiles-rollback", &[canary, broken], &body)).await;
    assert_eq!(status.phase, SuitePhase::RolledBack as i32, "{status:#?}");
    let d = device(&status, canary);
    assert_eq!(d.status, DeviceStatus::RolledBack as i32, "{d:#?}");
    assert_eq!(env.rows(canary), before, "the canary is as it was");
    // Restarted after the relay step, and again after its undo.
    assert_eq!(env.service_calls(canary, "dhcp_relay")[restarted..], ["stop", "reset-failed", "start", "stop", "reset-failed", "start"]);
    assert!(d.saved, "the rolled-back canary saved its configuration: {d:#?}");
    assert_eq!(env.saved_config(canary), before, "its startup configuration is the one it started with");
    // The undo survives a reboot: the canary boots as it was before the suite.
    env.reboot(canary);
    assert_eq!(env.rows(canary), before, "the canary after a reboot");
    // The device that wrote nothing has nothing to save.
    let failed = device(&status, broken);
    assert!(!failed.saved && failed.save_error.is_empty(), "{failed:#?}");
}

#[tokio::test]
async fn a_save_that_fails_is_reported_for_its_device_and_saving_can_be_turned_off() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let (fine, unwritable) = (7, 8);
    let saved_before = env.saved_config(unwritable);
    let status = {
        let _no_save = Fault::inject(&env, unwritable, "no-save");
        run(&env, &suite("profiles-no-save", &[fine, unwritable], "steps:\n  - create_vlan: { vlan_id: 210 }\n")).await
    };
    // The change stands everywhere; the device that could not save says so.
    assert_eq!(status.phase, SuitePhase::Succeeded as i32, "{status:#?}");
    assert!(device(&status, fine).saved);
    let d = device(&status, unwritable);
    assert_eq!(d.status, DeviceStatus::Succeeded as i32);
    assert!(!d.saved, "{d:#?}");
    assert!(d.save_error.contains("sudo config save -y") && d.save_error.contains("Permission denied"), "{}", d.save_error);
    let report = env.cli(&["status", &status.suite_id]);
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(report.contains("SAVED") && report.contains("Permission denied"), "the report shows it:\n{report}");
    assert!(env.rows(unwritable).contains_key("VLAN|Vlan210"));
    assert_eq!(env.saved_config(unwritable), saved_before, "the startup configuration is untouched");

    // `save_config: false` leaves every startup configuration alone.
    let saved_before = env.saved_config(fine);
    let status = run(&env, &suite("profiles-unsaved", &[fine], "steps:\n  - create_vlan: { vlan_id: 220 }\nrollout:\n  save_config: false\n")).await;
    assert_eq!(status.phase, SuitePhase::Succeeded as i32, "{status:#?}");
    let d = device(&status, fine);
    assert!(!d.saved && d.save_error.is_empty(), "{d:#?}");
    assert!(env.rows(fine).contains_key("VLAN|Vlan220"));
    assert_eq!(env.saved_config(fine), saved_before);
    // A reboot loads the startup configuration: the unsaved change is gone.
    env.reboot(fine);
    assert!(!env.rows(fine).contains_key("VLAN|Vlan220"), "an unsaved change does not survive a reboot");
    assert!(env.rows(fine).contains_key("VLAN|Vlan210"), "the saved one does");
}

/// What a daemon would ignore is warned about in the plan, per device: on
/// the bgpcfgd device a VRF's BGP instance is inert (sonic-bgpcfgd reads no
/// BGP_GLOBALS table and runs on DEVICE_METADATA bgp_asn), on the frrcfgd
/// device it is not. Under a policy rule with `warnings: block` the same
/// suite is refused at plan time, naming the device, step and rule, and
/// nothing is written.
#[tokio::test]
async fn daemon_warnings_are_shown_and_a_policy_can_block_them() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let (old, new) = (9, 12);
    let body = "steps:\n  - create_vrf: { name: VrfWarn }\n  - create_bgp_globals: { vrf: VrfWarn, local_asn: 65500, address_families: ipv4_unicast, redistribute: connected }\n";
    let status = run(&env, &suite("profiles-warn", &[old, new], &format!("{body}rollout:\n  on_failure: rollback\n"))).await;
    assert_eq!(status.phase, SuitePhase::Succeeded as i32, "warnings do not stop a suite by default: {status:#?}");
    let diff = &status.fleet_diff;
    assert!(diff.contains("# 2-create_bgp_globals: warning: bgpcfgd runs here"), "{diff}");
    assert!(diff.contains("warning: bgpcfgd runs every BGP instance on DEVICE_METADATA bgp_asn 65009, not local_asn 65500"), "{diff}");
    assert!(diff.contains("1 device: sonic-d012"), "{diff}");
    assert_eq!(diff.matches("warning:").count(), 2, "both on the bgpcfgd device, none on the frrcfgd one:\n{diff}");

    // The same change under a rule that blocks warnings: refused, nothing written.
    let policy = std::env::temp_dir().join(format!("switchyard-profiles-{}-block.yaml", std::process::id()));
    std::fs::write(&policy, "unsigned: allow\nrules:\n  - name: strict\n    devices: { names: [\"*\"] }\n    request: [\"*\"]\n    operate: [\"*\"]\n    confirm: optional\n    warnings: block\n").unwrap();
    let queue = "profiles-strict";
    let _worker = env.spawn_worker_under(queue, &env.inventory(), &policy, &[]);
    let before = env.rows(old);
    let path = suite("profiles-warn-blocked", &[old], &body.replace("VrfWarn", "VrfStrict"));
    let out = env.cli_ok(queue, &["run", path.to_str().unwrap(), "--requester", "alice"]);
    let id = switchyard_tests::started_suite_id(&out).unwrap();
    let client = env.client().await.unwrap();
    let ended = switchyard_tests::wait_for(&client, &id, "ended", std::time::Duration::from_secs(120), switchyard_tests::ended).await.unwrap();
    assert_eq!(ended.phase, SuitePhase::Failed as i32, "{ended:#?}");
    assert!(ended.error.contains("plan warnings refused by policy") && ended.error.contains("sonic-d009: step 2-create_bgp_globals: bgpcfgd runs here")
        && ended.error.contains("(rule strict of"), "{}", ended.error);
    assert_eq!(env.rows(old), before, "nothing written");
}

/// A site's management baseline (lab/services.yaml `mgmt-baseline`: NTP,
/// syslog, SNMP) on three releases in one suite: each gets its release's
/// rows, snmp is restarted once on each (nothing watches its tables; the
/// NTP and syslog tables are hostcfgd's to act on), the result is no
/// drift, and `remove_service` takes it all off again, restarting snmp.
#[tokio::test]
async fn a_management_baseline_reaches_three_releases_in_one_suite() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let devices = [13, 14, 16];
    let services = concat!(env!("CARGO_MANIFEST_DIR"), "/../lab/services.yaml");
    let params = "service: mgmt-baseline, ntp1: 10.0.0.123, ntp2: 10.0.0.124, ntp_source: Loopback0, syslog: 10.0.0.50, \
        source: \"{{ device.address }}\", community: noc-readonly, location: \"lab row 1\", contact: noc@example.net";
    let before: Vec<_> = devices.iter().map(|i| env.rows(*i)).collect();
    let snmp = |i: usize| env.service_calls(i, "snmp").len();
    let restarted: Vec<usize> = devices.iter().map(|i| snmp(*i)).collect();
    let body = format!("services: {services}\nsteps:\n  - apply_service: {{ {params} }}\n");
    let status = run(&env, &suite("profiles-baseline", &devices, &body)).await;
    assert_eq!(status.phase, SuitePhase::Succeeded as i32, "{status:#?}");
    for (n, i) in devices.iter().enumerate() {
        let rows = env.rows(*i);
        let address = TestEnv::device_address(*i);
        assert!(rows.contains_key("NTP_SERVER|10.0.0.124") && rows["NTP|global"]["src_intf"] == "Loopback0", "device {i}");
        assert_eq!(rows["SYSLOG_SERVER|10.0.0.50"]["source"], address);
        assert!(rows.contains_key(&format!("SNMP_AGENT_ADDRESS_CONFIG|{address}||")), "device {i}: {rows:#?}");
        assert_eq!(env.service_calls(*i, "snmp")[restarted[n]..], ["reset-failed", "restart"], "device {i}: snmp restarted once, as the CLI does");
    }
    assert_eq!(env.rows(13)["NTP_SERVER|10.0.0.123"].get("resolve_as"), None, "202305 writes the bare row");
    assert_eq!(env.rows(14)["NTP_SERVER|10.0.0.123"]["resolve_as"], "10.0.0.123");
    assert!(status.fleet_diff.contains("! restart snmp") && status.fleet_diff.contains("hostcfgd restarts ntp-config"), "{}", status.fleet_diff);
    let names: Vec<String> = devices.iter().map(|i| TestEnv::device_name(*i)).collect();
    let drift = env.cli(&["drift", "check", &names.join(",")]);
    let out = String::from_utf8_lossy(&drift.stdout);
    assert!(!out.contains("NTP") && !out.contains("SNMP") && !out.contains("SYSLOG"), "the baseline is no drift:\n{out}");

    let removal = format!("services: {services}\nsteps:\n  - remove_service: {{ {params} }}\n");
    let status = run(&env, &suite("profiles-baseline-rm", &devices, &removal)).await;
    assert_eq!(status.phase, SuitePhase::Succeeded as i32, "{status:#?}");
    for (n, i) in devices.iter().enumerate() {
        assert_eq!(env.rows(*i), before[n], "device {i}: the baseline's removal leaves it as it was");
        assert_eq!(snmp(*i), restarted[n] + 4, "device {i}: snmp restarted once more for the removal");
    }
}
