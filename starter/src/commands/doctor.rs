//! `switchyard doctor`: runs the worker's doctor, which has the device code
//! and reads the credentials (this program links neither), and passes its
//! exit code on.

/// `switchyard doctor`: the worker's doctor, which has the device code and
/// reads the credentials; this program links neither.
pub(crate) fn run(devices: &[String], inventory: &std::path::Path, json: bool) -> anyhow::Result<i32> {
    let beside = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join("switchyard-worker"))).filter(|p| p.is_file());
    let program = beside.unwrap_or_else(|| std::path::PathBuf::from("switchyard-worker"));
    let mut command = std::process::Command::new(&program);
    command.arg("doctor").args(devices).arg("--inventory").arg(inventory);
    if json {
        command.arg("--json");
    }
    let status = command.status().map_err(|e| anyhow::anyhow!(
        "cannot run {} ({e}): the doctor is the worker's; install switchyard-worker beside switchyard or on the PATH", program.display()))?;
    Ok(status.code().unwrap_or(1))
}
