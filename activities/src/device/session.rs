//! Per-device SSH sessions, shared by every activity that touches the device.
//!
//! One connection per device, opened on first use and reused; a lost
//! connection is reopened on the next use. Handshakes are bounded because
//! they are the CPU cost on both ends and sshd refuses more than about ten
//! unauthenticated connections at once. Host keys are checked strictly
//! against the inventory's known_hosts. A connection nobody has used for a
//! while is closed by [`Sessions::close_idle`], which the worker calls
//! periodically: a suite waiting hours for approval does not hold a
//! session to every device of the fleet (switches allow few at once).
//! And a worker holds at most `max_sessions` at once: opening one more
//! first closes the least recently used session nobody is using, so memory
//! and descriptors follow the devices in flight, not the fleet (a session
//! is in use while a redis connection over it or a command in it lives).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use russh::client;
use russh::keys::{PrivateKeyWithHashAlg, PublicKeyOrCertificate, check_known_hosts_path, load_secret_key};
use switchyard_proto::inventory::{CredentialRef, Device, Inventory};
use tokio::sync::{Mutex, Semaphore};

use crate::metrics::DeviceMetrics;

use crate::error::DeviceError;

/// Limits and timeouts of device access.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// SSH handshakes in flight at once, across all devices.
    pub max_handshakes: usize,
    /// TCP connect plus SSH handshake plus authentication.
    pub connect_timeout: Duration,
    /// One redis command or script.
    pub command_timeout: Duration,
    /// Sessions kept open at once. A cap, not a queue: when every open
    /// session is in use, one more opens anyway (work in flight is never
    /// cut off), and the next one to open closes idle ones until the count
    /// is back under it.
    pub max_sessions: usize,
}

impl SessionConfig {
    /// Defaults suited to switch CPUs, which are slower than servers.
    pub fn standard() -> Self {
        Self { max_handshakes: 16, connect_timeout: Duration::from_secs(15), command_timeout: Duration::from_secs(20), max_sessions: DEFAULT_MAX_SESSIONS }
    }
}

/// Sessions a worker keeps by default: several times the devices one
/// suite changes at once by default, far below a fleet.
pub const DEFAULT_MAX_SESSIONS: usize = 256;

type Handle = client::Handle<HostKeyCheck>;

/// All device sessions of one worker.
pub struct Sessions {
    inventory: crate::LiveInventory,
    config: SessionConfig,
    handshakes: Semaphore,
    // One slot per device; the slot's mutex serialises (re)connecting to
    // that device so concurrent activities share one connection.
    slots: std::sync::Mutex<HashMap<String, Slot>>,
    metrics: Arc<DeviceMetrics>,
}

/// One device's connection, if open; its lock is held while (re)connecting.
type Slot = Arc<Mutex<Option<Open>>>;

/// An open connection, when a call last asked for it, and its leases:
/// one clone per redis connection or command living on it.
struct Open {
    handle: Arc<Handle>,
    used: Instant,
    leases: Arc<()>,
}

impl Open {
    /// Whether a redis connection or a command still lives on it: closing
    /// it would cut that work off.
    fn in_use(&self) -> bool {
        Arc::strong_count(&self.leases) > 1 || Arc::strong_count(&self.handle) > 1
    }
}

impl Sessions {
    /// Sessions for the devices of `inventory`.
    pub fn new(inventory: impl Into<crate::LiveInventory>, config: SessionConfig) -> Self {
        let inventory = inventory.into();
        let handshakes = Semaphore::new(config.max_handshakes.max(1));
        Self { inventory, config, handshakes, slots: Default::default(), metrics: Arc::new(DeviceMetrics::disabled()) }
    }

    /// The same sessions, reporting to `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<DeviceMetrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Where device work is counted.
    pub fn metrics(&self) -> &DeviceMetrics {
        &self.metrics
    }

    /// Reports how many devices have a session open (a slot being dialled
    /// counts as open: it is about to be).
    fn report_sessions(&self) {
        self.metrics.sessions(self.open_sessions() as u64);
    }

    /// How many devices have a session open (or being dialled).
    pub fn open_sessions(&self) -> usize {
        self.slots.lock().expect("slots lock").values().filter(|s| s.try_lock().map_or(true, |g| g.is_some())).count()
    }

    /// Closes every connection no call has asked for in `idle`, and returns
    /// how many it closed. A slot in use (being dialled) is skipped. `idle`
    /// must exceed an activity's longest run, since a redis connection
    /// opened at the last call lives on for the rest of its activity.
    pub async fn close_idle(&self, idle: Duration) -> usize {
        let slots: Vec<Slot> = self.slots.lock().expect("slots lock").values().cloned().collect();
        let mut closed = Vec::new();
        for slot in slots {
            let Ok(mut guard) = slot.try_lock() else { continue };
            if guard.as_ref().is_some_and(|open| open.used.elapsed() >= idle && !open.in_use()) {
                closed.extend(guard.take().map(|open| open.handle));
            }
        }
        let count = closed.len();
        goodbye(closed, "idle").await;
        if count > 0 {
            self.report_sessions();
        }
        count
    }

    /// Closes least recently used sessions nobody is using until fewer than
    /// `max_sessions` are open, so one more may open. Slots being dialled
    /// or in use are left alone (the count may stay over the cap while
    /// they are); `keep` is the device about to dial, whose slot the
    /// caller holds.
    async fn make_room(&self, keep: &str) {
        let cap = self.config.max_sessions.max(1);
        let slots: Vec<(String, Slot)> = self.slots.lock().expect("slots lock").iter().map(|(n, s)| (n.clone(), s.clone())).collect();
        // The caller's own slot is locked, so it counts: it is about to open.
        let mut open = 0;
        let mut idle: Vec<(Instant, Slot)> = Vec::new();
        for (name, slot) in slots {
            let Ok(guard) = slot.try_lock() else {
                open += 1;
                continue;
            };
            let Some(session) = guard.as_ref() else { continue };
            open += 1;
            if name != keep && !session.in_use() {
                idle.push((session.used, slot.clone()));
            }
        }
        if open <= cap {
            return;
        }
        idle.sort_by_key(|(used, _)| *used);
        let mut closed = Vec::new();
        for (_, slot) in idle.into_iter().take(open - cap) {
            // Checked again under the lock: it may have been taken since.
            let Ok(mut guard) = slot.try_lock() else { continue };
            if guard.as_ref().is_some_and(|s| !s.in_use()) {
                closed.extend(guard.take().map(|s| s.handle));
            }
        }
        self.metrics.evicted(closed.len() as u64);
        if !closed.is_empty() {
            goodbye(closed, "too many sessions").await;
            self.report_sessions();
        }
    }

    /// The worker's inventory in force now.
    pub fn inventory(&self) -> Arc<Inventory> {
        self.inventory.current()
    }

    /// Timeout of one redis command.
    pub fn command_timeout(&self) -> Duration {
        self.config.command_timeout
    }

    /// The device as the inventory in force has it (its address may have
    /// changed since a session to it opened: that session stays until it
    /// is closed or lost).
    fn device(&self, name: &str) -> Result<Device, DeviceError> {
        let inventory = self.inventory.current();
        inventory.device(name).cloned().ok_or_else(|| DeviceError::Config {
            device: name.to_string(),
            reason: format!("not in the worker's inventory {}", inventory.file),
        })
    }

    /// A fresh redis connection (db 4, CONFIG_DB) over a new channel of the
    /// device's shared SSH connection. Reconnects once if the connection died.
    pub async fn redis(&self, name: &str) -> Result<MultiplexedConnection, DeviceError> {
        let device = &self.device(name)?;
        let (handle, lease) = self.handle(device).await?;
        match self.open_redis(device, &handle, lease).await {
            Ok(conn) => Ok(conn),
            Err(_) if handle.is_closed() => {
                self.forget(name, &handle).await;
                let (handle, lease) = self.handle(device).await?;
                self.open_redis(device, &handle, lease).await
            }
            Err(e) => {
                // An open connection that does not answer (a frozen sshd, a
                // dead link) is dropped, so the next attempt dials afresh
                // instead of waiting on it again.
                if matches!(e, DeviceError::Unreachable { .. }) {
                    self.forget(name, &handle).await;
                }
                Err(e)
            }
        }
    }

    /// Runs `command` on the device in a session channel of its shared SSH
    /// connection and waits, at most `timeout`, for it to exit. Returns what
    /// it printed when it exits 0; otherwise the exit status and stderr.
    pub async fn run(&self, name: &str, command: &str, timeout: Duration) -> Result<String, DeviceError> {
        let device = &self.device(name)?;
        // The lease lives until the command ends.
        let (handle, _lease) = self.handle(device).await?;
        let outcome = tokio::time::timeout(timeout, exec(&handle, command)).await;
        let failed = |reason: String| DeviceError::Command { device: name.to_string(), command: command.to_string(), reason };
        match outcome {
            Err(_) => Err(failed(format!("no exit within {timeout:?}"))),
            Ok(Err(e)) => {
                // The channel itself failed: a transport problem, retried on a fresh connection.
                self.forget(name, &handle).await;
                Err(unreachable(device, format!("running `{command}`: {e}")))
            }
            Ok(Ok((Some(0), stdout, _))) => Ok(stdout.trim().to_string()),
            Ok(Ok((status, stdout, stderr))) => {
                let said = if stderr.trim().is_empty() { stdout } else { stderr };
                let status = status.map_or("no exit status".to_string(), |s| format!("exit status {s}"));
                Err(failed(format!("{status}: {}", tail(said.trim()))))
            }
        }
    }

    /// Drops the shared connection of a device, e.g. after a transport error,
    /// so the next use reconnects.
    pub async fn reset(&self, name: &str) {
        let slot = self.slot(name);
        let mut guard = slot.lock().await;
        *guard = None;
        drop(guard);
        self.report_sessions();
    }

    fn slot(&self, name: &str) -> Slot {
        let mut slots = self.slots.lock().expect("slots lock");
        slots.entry(name.to_string()).or_default().clone()
    }

    async fn forget(&self, name: &str, dead: &Arc<Handle>) {
        let slot = self.slot(name);
        let mut guard = slot.lock().await;
        if guard.as_ref().is_some_and(|open| Arc::ptr_eq(&open.handle, dead)) {
            *guard = None;
        }
        drop(guard);
        self.report_sessions();
    }

    /// The device's open connection (dialled if there is none) and a lease
    /// that keeps it from being closed for room while the caller's work on
    /// it lives.
    async fn handle(&self, device: &Device) -> Result<(Arc<Handle>, Arc<()>), DeviceError> {
        let slot = self.slot(&device.name);
        let mut guard = slot.lock().await;
        if let Some(open) = guard.as_mut().filter(|open| !open.handle.is_closed()) {
            open.used = Instant::now();
            return Ok((open.handle.clone(), open.leases.clone()));
        }
        self.make_room(&device.name).await;
        let _permit = self.handshakes.acquire().await.expect("semaphore never closed");
        let handle = tokio::time::timeout(self.config.connect_timeout, connect(device))
            .await
            .map_err(|_| unreachable(device, format!("no SSH session within {:?}", self.config.connect_timeout)))
            .and_then(|r| r);
        self.metrics.handshake(handle.is_ok());
        let handle = Arc::new(handle?);
        let leases = Arc::new(());
        *guard = Some(Open { handle: handle.clone(), used: Instant::now(), leases: leases.clone() });
        drop(guard);
        self.report_sessions();
        Ok((handle, leases))
    }

    async fn open_redis(&self, device: &Device, handle: &Handle, lease: Arc<()>) -> Result<MultiplexedConnection, DeviceError> {
        let channel = tokio::time::timeout(self.config.command_timeout, handle.channel_open_direct_tcpip("127.0.0.1", 6379, "127.0.0.1", 0))
            .await
            .map_err(|_| unreachable(device, "timed out opening a channel to 127.0.0.1:6379".into()))?
            // sshd answered but could not reach redis: the device is up and
            // its redis is not (stopped, restarting).
            .map_err(|e| DeviceError::Redis { device: device.name.clone(), reason: format!("no redis at 127.0.0.1:6379 (channel refused: {e})") })?;
        let info = redis::RedisConnectionInfo::default().set_db(i64::from(crate::device::redis::CONFIG_DB));
        let config = redis::AsyncConnectionConfig::new()
            .set_response_timeout(Some(self.config.command_timeout))
            .set_connection_timeout(Some(self.config.command_timeout));
        let (conn, driver) = MultiplexedConnection::new_with_config(&info, channel.into_stream(), config)
            .await
            .map_err(|e| DeviceError::Redis { device: device.name.clone(), reason: e.to_string() })?;
        // The driver runs until every clone of the connection is dropped (or
        // the channel closes): holding the lease there marks the session in
        // use for exactly as long as the connection lives.
        tokio::spawn(async move {
            let _lease = lease;
            driver.await;
        });
        Ok(conn)
    }
}

/// Closes connections with a clean goodbye: the device's sshd hears one
/// instead of a dropped TCP connection; a device that does not answer is
/// dropped anyway.
async fn goodbye(handles: Vec<Arc<Handle>>, why: &str) {
    for handle in handles {
        let _ = tokio::time::timeout(Duration::from_secs(2), handle.disconnect(russh::Disconnect::ByApplication, why, "en")).await;
    }
}

/// Runs one command in a new session channel: its exit status (if it sent
/// one), stdout and stderr.
async fn exec(handle: &Handle, command: &str) -> Result<(Option<u32>, String, String), russh::Error> {
    let mut channel = handle.channel_open_session().await?;
    channel.exec(true, command).await?;
    let (mut status, mut stdout, mut stderr) = (None, Vec::new(), Vec::new());
    while let Some(msg) = channel.wait().await {
        match msg {
            russh::ChannelMsg::Data { data } => stdout.extend_from_slice(&data),
            russh::ChannelMsg::ExtendedData { data, ext: 1 } => stderr.extend_from_slice(&data),
            russh::ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
            russh::ChannelMsg::Close => break,
            _ => {}
        }
    }
    Ok((status, String::from_utf8_lossy(&stdout).into_owned(), String::from_utf8_lossy(&stderr).into_owned()))
}

/// The last few hundred characters of a command's output: enough to say
/// why, never a whole dump.
fn tail(text: &str) -> &str {
    const KEEP: usize = 400;
    let start = text.len().saturating_sub(KEEP);
    let start = (start..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
    &text[start..]
}

fn unreachable(device: &Device, reason: String) -> DeviceError {
    DeviceError::Unreachable { device: device.name.clone(), address: format!("{}:{}", device.address, device.ssh_port), reason }
}

/// The client handler: strict host-key checking against known_hosts.
struct HostKeyCheck {
    host: String,
    port: u16,
    known_hosts: String,
    verdict: Arc<std::sync::Mutex<Option<String>>>,
}

impl client::Handler for HostKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = key else {
            *self.verdict.lock().expect("verdict") = Some("host certificates are not supported".into());
            return Ok(false);
        };
        let verdict = match check_known_hosts_path(&self.host, self.port, key, &self.known_hosts) {
            Ok(true) => return Ok(true),
            Ok(false) => format!("host {} is not in {}", self.host, self.known_hosts),
            Err(russh::keys::Error::KeyChanged { line }) => {
                format!("host key does not match {} line {line}: possible man-in-the-middle, or the device was reinstalled", self.known_hosts)
            }
            Err(e) => format!("cannot check {}: {e}", self.known_hosts),
        };
        *self.verdict.lock().expect("verdict") = Some(verdict);
        Ok(false)
    }
}

async fn connect(device: &Device) -> Result<Handle, DeviceError> {
    let config = Arc::new(client::Config {
        inactivity_timeout: None,
        keepalive_interval: Some(Duration::from_secs(10)),
        keepalive_max: 3,
        nodelay: true,
        ..Default::default()
    });
    let verdict = Arc::new(std::sync::Mutex::new(None));
    let handler = HostKeyCheck {
        host: device.address.clone(),
        port: device.ssh_port,
        known_hosts: device.known_hosts.clone(),
        verdict: verdict.clone(),
    };
    let mut handle = match client::connect(config, (device.address.as_str(), device.ssh_port), handler).await {
        Ok(h) => h,
        Err(e) => {
            if let Some(reason) = verdict.lock().expect("verdict").take() {
                return Err(DeviceError::HostKey { device: device.name.clone(), reason });
            }
            return Err(unreachable(device, e.to_string()));
        }
    };
    let auth = match &device.credential {
        CredentialRef::KeyFile(path) => {
            // The path is configuration, not a secret; the key's content
            // never reaches an error message.
            let key = load_secret_key(path, None).map_err(|e| DeviceError::Config {
                device: device.name.clone(),
                reason: format!("cannot load key file {path}: {}", key_error_kind(&e)),
            })?;
            let hash = handle.best_supported_rsa_hash().await.ok().flatten().flatten();
            handle.authenticate_publickey(&device.user, PrivateKeyWithHashAlg::new(Arc::new(key), hash)).await
        }
        CredentialRef::PasswordEnv(var) => {
            let password = std::env::var(var).map_err(|_| DeviceError::Config {
                device: device.name.clone(),
                reason: format!("password variable {var} is not set in the worker's environment"),
            })?;
            handle.authenticate_password(&device.user, password).await
        }
    }
    .map_err(|e| unreachable(device, format!("authentication did not complete: {e}")))?;
    if !auth.success() {
        return Err(DeviceError::AuthRefused { device: device.name.clone(), user: device.user.clone() });
    }
    Ok(handle)
}

fn key_error_kind(e: &russh::keys::Error) -> String {
    match e {
        russh::keys::Error::IO(io) => io.kind().to_string(),
        russh::keys::Error::KeyIsEncrypted => "the key is encrypted".into(),
        _ => "not a readable private key".into(),
    }
}
