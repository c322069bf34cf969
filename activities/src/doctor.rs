//! `doctor`: one device's access checked end to end, from where the worker
//! runs and with its credentials, each link of the chain named: the
//! address answers, the host key is the one known_hosts has, the login is
//! accepted, redis is reached through SSH forwarding, CONFIG_DB is
//! readable and is the device the inventory says, and sudo runs the
//! commands switchyard needs without a password.
//!
//! Must never: write to the device (every command here only reads or asks
//! sudo what it would allow), or show a secret (a key's or password's
//! content) in a finding.

use std::time::Duration;

use switchyard_proto::inventory::{CredentialRef, Device};

use crate::device::session::Sessions;
use crate::error::DeviceError;

/// The commands switchyard runs with sudo on a device: `config save` after
/// a change, and the checkpoint, rollback and transient timer of a
/// confirmed commit.
pub const SUDO_COMMANDS: &[&str] = &["config", "systemctl", "systemd-run"];

/// Where SONiC installs them, for the sudoers line a fix suggests.
const SONIC_PATHS: &str = "/usr/local/bin/config, /usr/bin/systemctl, /usr/bin/systemd-run";

/// How long the doctor waits for the address to answer.
const TCP_TIMEOUT: Duration = Duration::from_secs(5);

/// One check's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It works.
    Ok,
    /// It works, with something to look at (e.g. the device says it is
    /// another hwsku than the inventory).
    Warn,
    /// It does not work; `fix` says what to do.
    Fail,
    /// Not tried: an earlier link failed.
    Skipped,
}

/// One link of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Which link: `address`, `host key`, `login`, `redis`, `config_db`, `sudo`.
    pub check: &'static str,
    /// Its verdict.
    pub verdict: Verdict,
    /// What was seen.
    pub detail: String,
    /// What to change on the switch or in the inventory, when it failed.
    pub fix: Option<String>,
}

impl Finding {
    fn ok(check: &'static str, detail: impl Into<String>) -> Self {
        Self { check, verdict: Verdict::Ok, detail: detail.into(), fix: None }
    }
    fn fail(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { check, verdict: Verdict::Fail, detail: detail.into(), fix: Some(fix.into()) }
    }
}

/// Every check on `device`, in the order access depends on them; after a
/// failed link the ones that need it are `Skipped`.
pub async fn examine(sessions: &Sessions, device: &Device) -> Vec<Finding> {
    let mut findings = Vec::new();
    let later = |from: usize| -> Vec<Finding> {
        ["address", "host key", "login", "redis", "config_db", "sudo"][from..].iter()
            .map(|check| Finding { check, verdict: Verdict::Skipped, detail: "not tried: an earlier check failed".into(), fix: None }).collect()
    };
    let target = format!("{}:{}", device.address, device.ssh_port);
    match tokio::time::timeout(TCP_TIMEOUT, tokio::net::TcpStream::connect((device.address.as_str(), device.ssh_port))).await {
        Ok(Ok(_)) => findings.push(Finding::ok("address", format!("{target} accepts TCP connections"))),
        Ok(Err(e)) => {
            findings.push(Finding::fail("address", format!("{target}: {e}"), "check the inventory's address and ssh_port, the route from the worker to the management network, and that sshd runs on the switch"));
            findings.extend(later(1));
            return findings;
        }
        Err(_) => {
            findings.push(Finding::fail("address", format!("{target}: no answer within {TCP_TIMEOUT:?}"), "check the inventory's address, the route from the worker to the management network and any firewall in between"));
            findings.extend(later(1));
            return findings;
        }
    }
    // Opening the session is the host key check and the login at once;
    // the error says which failed.
    match sessions.run(&device.name, "true", Duration::from_secs(20)).await {
        Ok(_) => {
            findings.push(Finding::ok("host key", format!("matches {}", device.known_hosts)));
            findings.push(Finding::ok("login", format!("{} with {}", device.user, credential(&device.credential))));
        }
        Err(e) => {
            findings.extend(session_failure(device, &e));
            let done = findings.len();
            findings.extend(later(done));
            return findings;
        }
    }
    let mut conn = match sessions.redis(&device.name).await {
        Ok(conn) => {
            findings.push(Finding::ok("redis", "127.0.0.1:6379 reached through SSH forwarding"));
            conn
        }
        Err(e) => {
            findings.push(Finding::fail("redis", e.to_string(),
                "allow TCP forwarding for this user in the switch's sshd_config (AllowTcpForwarding yes, or local, in a Match User block) and check that redis listens on 127.0.0.1:6379"));
            // sudo does not need redis: still worth knowing.
            findings.push(later(4).swap_remove(0));
            findings.push(sudo(sessions, device).await);
            return findings;
        }
    };
    findings.push(config_db(&mut conn, device).await);
    findings.push(sudo(sessions, device).await);
    findings
}

/// The credential as the inventory names it (never its content).
fn credential(credential: &CredentialRef) -> String {
    match credential {
        CredentialRef::KeyFile(path) => format!("key file {path}"),
        CredentialRef::PasswordEnv(var) => format!("the password in ${var}"),
    }
}

/// The host key and login findings for a session that did not open.
fn session_failure(device: &Device, e: &DeviceError) -> Vec<Finding> {
    match e {
        DeviceError::HostKey { reason, .. } => vec![Finding::fail("host key", reason.clone(),
            format!("if the switch was reinstalled, check its new key out of band and replace its line in {} (ssh-keyscan -p {} {} prints it)", device.known_hosts, device.ssh_port, device.address))],
        DeviceError::AuthRefused { user, .. } => vec![
            Finding::ok("host key", format!("matches {}", device.known_hosts)),
            Finding::fail("login", format!("the switch refused user {user:?} with {}", credential(&device.credential)),
                format!("add the public key to ~{user}/.ssh/authorized_keys on the switch (or set the password the inventory's variable holds), and check the inventory's user")),
        ],
        DeviceError::Config { reason, .. } => vec![
            Finding::ok("host key", format!("matches {}", device.known_hosts)),
            Finding::fail("login", reason.clone(), "fix the credential the inventory names, where the worker runs"),
        ],
        other => vec![Finding::fail("host key", other.to_string(), "the SSH handshake did not complete: check that the port is the switch's sshd")],
    }
}

/// CONFIG_DB answers, and its DEVICE_METADATA is the device the inventory
/// describes (hwsku and platform).
async fn config_db(conn: &mut redis::aio::MultiplexedConnection, device: &Device) -> Finding {
    let meta: Result<std::collections::BTreeMap<String, String>, _> = redis::cmd("HGETALL").arg("DEVICE_METADATA|localhost").query_async(conn).await;
    let meta = match meta {
        Ok(meta) if !meta.is_empty() => meta,
        Ok(_) => return Finding::fail("config_db", "DEVICE_METADATA|localhost is missing from CONFIG_DB (db 4)", "this does not look like a SONiC CONFIG_DB: check the switch runs SONiC and redis db 4 is CONFIG_DB"),
        Err(e) => return Finding::fail("config_db", format!("reading DEVICE_METADATA|localhost: {e}"), "check redis allows this user to read db 4 (an ACL user without read rights?)"),
    };
    let field = |name: &str| meta.get(name).cloned().unwrap_or_default();
    let detail = format!("hostname {}, hwsku {}, platform {}", field("hostname"), field("hwsku"), field("platform"));
    let mut differs = Vec::new();
    for (name, inventory) in [("hwsku", &device.hwsku), ("platform", &device.platform)] {
        if !inventory.is_empty() && field(name) != *inventory {
            differs.push(format!("{name} is {:?} on the switch, {inventory:?} in the inventory", field(name)));
        }
    }
    if differs.is_empty() {
        return Finding::ok("config_db", detail);
    }
    Finding { check: "config_db", verdict: Verdict::Warn, detail: format!("{detail}; {}", differs.join("; ")), fix: Some("correct the inventory: plans use its facts".into()) }
}

/// sudo runs each of [`SUDO_COMMANDS`] without asking for a password.
async fn sudo(sessions: &Sessions, device: &Device) -> Finding {
    let mut allowed = Vec::new();
    for command in SUDO_COMMANDS {
        // `sudo -n -l CMD` prints CMD's path when the user may run it and
        // fails, without prompting, when not or when a password is needed.
        match sessions.run(&device.name, &format!("sudo -n -l {command}"), Duration::from_secs(20)).await {
            Ok(path) => allowed.push(path.lines().next().unwrap_or(command).to_string()),
            Err(e) => return Finding::fail("sudo", sudo_refusal(command, &e.to_string()),
                format!("let {} run {} with sudo and no password (sudoers, with the paths `command -v` gives on the switch: {} ALL=(ALL) NOPASSWD: {SONIC_PATHS})", device.user, SUDO_COMMANDS.join(", "), device.user)),
        }
    }
    Finding::ok("sudo", format!("runs {} without a password", allowed.join(", ")))
}

/// Why sudo refused `command`, in words.
fn sudo_refusal(command: &str, said: &str) -> String {
    if said.contains("password is required") {
        format!("sudo asks for a password to run {command}; switchyard runs it unattended")
    } else if said.contains("not found") || said.contains("No such file") {
        format!("{command} is not on the switch's PATH: {said}")
    } else {
        format!("sudo will not run {command}: {said}")
    }
}

/// True when no check failed (warnings pass).
pub fn passed(findings: &[Finding]) -> bool {
    findings.iter().all(|f| f.verdict != Verdict::Fail && f.verdict != Verdict::Skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sudo_refusals_say_what_to_do() {
        assert!(sudo_refusal("config", "exit status 1: sudo: a password is required").contains("asks for a password"));
        assert!(sudo_refusal("systemd-run", "exit status 1: sudo: systemd-run: command not found").contains("not on the switch's PATH"));
        assert!(sudo_refusal("config", "exit status 1: Sorry, user admin may not run sudo").contains("will not run config"));
    }

    #[test]
    fn a_skipped_or_failed_check_fails_the_device_and_a_warning_does_not() {
        let ok = Finding::ok("address", "x");
        let warn = Finding { verdict: Verdict::Warn, ..ok.clone() };
        assert!(passed(&[ok.clone(), warn]));
        assert!(!passed(&[ok.clone(), Finding::fail("login", "x", "y")]));
        assert!(!passed(&[ok, Finding { verdict: Verdict::Skipped, ..Finding::ok("sudo", "") }]));
    }
}
