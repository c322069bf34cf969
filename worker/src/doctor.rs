//! `switchyard-worker doctor DEVICE…`: checks each device's access end to
//! end from this machine with the inventory's credentials, as the worker
//! would reach it, and prints every link's verdict and what to fix. Only
//! wiring and printing: the checks are `switchyard_activities::doctor`.
//! Exits 0 when every device passes, 1 otherwise.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use switchyard_activities::doctor::{self, Finding, Verdict};
use switchyard_activities::{SessionConfig, Sessions};

/// Checks devices' access: address, host key, login, redis through SSH
/// forwarding, CONFIG_DB, sudo for the commands switchyard runs.
#[derive(Debug, Parser)]
#[command(name = "switchyard-worker doctor", version)]
pub(crate) struct DoctorArgs {
    /// Devices to check (inventory names); every device of the inventory
    /// when none is given.
    pub(crate) devices: Vec<String>,
    /// Inventory file: how to reach devices and which credentials to use.
    #[arg(long, env = "SWITCHYARD_INVENTORY")]
    pub(crate) inventory: PathBuf,
    /// Print the findings as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Runs the doctor; the process's exit code.
pub(crate) async fn run(args: DoctorArgs) -> anyhow::Result<i32> {
    let inventory = Arc::new(switchyard_starter::inventory_source::load(&args.inventory).await.map_err(anyhow::Error::msg)?);
    let names: Vec<String> = if args.devices.is_empty() { inventory.devices.iter().map(|d| d.name.clone()).collect() } else { args.devices.clone() };
    let mut devices = Vec::new();
    for name in &names {
        let Some(device) = inventory.devices.iter().find(|d| &d.name == name) else {
            let near: Vec<&str> = inventory.devices.iter().map(|d| d.name.as_str()).filter(|d| d.starts_with(name.get(..name.len().min(4)).unwrap_or(""))).take(5).collect();
            anyhow::bail!("{name} is not a device of {} ({})", inventory.file,
                if near.is_empty() { format!("it has {} devices", inventory.devices.len()) } else { format!("did you mean {}?", near.join(", ")) });
        };
        devices.push(device.clone());
    }
    let sessions = Sessions::new(inventory.clone(), SessionConfig::standard());
    let mut all_passed = true;
    let mut reports = Vec::new();
    for device in &devices {
        let findings = doctor::examine(&sessions, device).await;
        all_passed &= doctor::passed(&findings);
        if args.json {
            reports.push(serde_json::json!({
                "device": device.name, "address": device.address, "ssh_port": device.ssh_port, "user": device.user,
                "passed": doctor::passed(&findings),
                "checks": findings.iter().map(|f| serde_json::json!({"check": f.check, "verdict": verdict(f), "detail": f.detail, "fix": f.fix})).collect::<Vec<_>>(),
            }));
        } else {
            print_device(device, &findings);
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(if all_passed { 0 } else { 1 })
}

fn verdict(f: &Finding) -> &'static str {
    match f.verdict {
        Verdict::Ok => "ok",
        Verdict::Warn => "warn",
        Verdict::Fail => "fail",
        Verdict::Skipped => "skipped",
    }
}

fn print_device(device: &switchyard_proto::inventory::Device, findings: &[Finding]) {
    println!("{} ({}:{}, user {})", device.name, device.address, device.ssh_port, device.user);
    for f in findings {
        println!("  {:<7} {:<9} {}", verdict(f), f.check, f.detail);
        if let Some(fix) = &f.fix {
            println!("  {:<7} {:<9} fix: {fix}", "", "");
        }
    }
    let failed = findings.iter().filter(|f| f.verdict == Verdict::Fail).count();
    if failed == 0 && doctor::passed(findings) {
        println!("  all {} checks passed", findings.len());
    } else {
        println!("  {failed} of {} checks failed", findings.len());
    }
}
