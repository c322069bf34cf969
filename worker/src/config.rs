//! Worker configuration: command-line options, each also an environment
//! variable, so a container sets them without a wrapper script.

use std::path::PathBuf;

use clap::Parser;

/// switchyard worker: runs suite workflows and device activities.
#[derive(Debug, Parser)]
#[command(name = "switchyard-worker", version)]
pub(crate) struct WorkerConfig {
    #[command(flatten)]
    pub(crate) temporal: switchyard_starter::connection::TemporalArgs,
    /// Task queue to poll.
    #[arg(long, env = "SWITCHYARD_TASK_QUEUE", default_value = switchyard_proto::names::TASK_QUEUE)]
    pub(crate) task_queue: String,
    /// Inventory file: how to reach devices and which credentials to use.
    /// Read again on SIGHUP and when it changes.
    #[arg(long, env = "SWITCHYARD_INVENTORY")]
    pub(crate) inventory: PathBuf,
    /// Seconds between reads of the inventory's source of truth (Nautobot,
    /// NetBox), so devices added there become reachable; 0: only at start,
    /// on SIGHUP and when the file changes.
    #[arg(long, env = "SWITCHYARD_INVENTORY_REFRESH_SECS", default_value_t = 300)]
    pub(crate) inventory_refresh_secs: u64,
    /// The organisation's policy file: principals and their keys, and rules
    /// saying who may change which devices and who must approve. Required:
    /// a device no rule covers is never changed.
    #[arg(long, env = "SWITCHYARD_POLICY")]
    pub(crate) policy: PathBuf,
    /// Webhook subscriptions: where suite events go, for which types and
    /// devices, signed with which secret (named, read when signing). No
    /// events without it.
    #[arg(long, env = "SWITCHYARD_WEBHOOKS")]
    pub(crate) webhooks: Option<PathBuf>,
    /// Prometheus endpoints the suites' gates may query, as NAME=URL
    /// (repeat, or comma-separate in the variable); a bare URL is named
    /// `default`. A suite names an endpoint, never a URL.
    #[arg(long = "prometheus", env = "SWITCHYARD_PROMETHEUS", value_delimiter = ',')]
    pub(crate) prometheus: Vec<String>,
    /// Concurrent workflow-task polls (the SDK default of 5 caps throughput).
    #[arg(long, env = "SWITCHYARD_WORKFLOW_POLLERS", default_value_t = 20)]
    pub(crate) workflow_pollers: usize,
    /// Concurrent activity-task polls.
    #[arg(long, env = "SWITCHYARD_ACTIVITY_POLLERS", default_value_t = 20)]
    pub(crate) activity_pollers: usize,
    /// Workflow tasks processed at once.
    #[arg(long, env = "SWITCHYARD_MAX_WORKFLOW_TASKS", default_value_t = 200)]
    pub(crate) max_workflow_tasks: usize,
    /// Activities run at once (each acts on one device).
    #[arg(long, env = "SWITCHYARD_MAX_ACTIVITIES", default_value_t = 200)]
    pub(crate) max_activities: usize,
    /// SSH handshakes in flight at once, across all devices.
    #[arg(long, env = "SWITCHYARD_MAX_HANDSHAKES", default_value_t = 16)]
    pub(crate) max_handshakes: usize,
    /// Seconds a device's SSH session may go unused before the worker
    /// closes it (the next use dials again); 0 keeps sessions open. At
    /// least 90: a redis connection opened at a session's last use lives on
    /// for the rest of its activity (at most 60 s).
    #[arg(long, env = "SWITCHYARD_SESSION_IDLE_SECS", default_value_t = 300)]
    pub(crate) session_idle_secs: u64,
    /// Device SSH sessions kept open at once: one more first closes the
    /// least recently used idle one (a handshake again at its next use).
    /// Sessions in use are never closed for room, so in-flight work may
    /// briefly hold more.
    #[arg(long, env = "SWITCHYARD_MAX_SESSIONS", default_value_t = switchyard_activities::device::session::DEFAULT_MAX_SESSIONS)]
    pub(crate) max_sessions: usize,
    /// Seconds for TCP connect, SSH handshake and authentication to a device.
    #[arg(long, env = "SWITCHYARD_CONNECT_TIMEOUT_SECS", default_value_t = 15)]
    pub(crate) connect_timeout_secs: u64,
    /// Seconds one redis command or script on a device may take; a frozen
    /// device fails the attempt after this long instead of hanging it.
    #[arg(long, env = "SWITCHYARD_COMMAND_TIMEOUT_SECS", default_value_t = 20)]
    pub(crate) command_timeout_secs: u64,
    /// Workflows kept in memory between their tasks (least recently used
    /// evicted first). A cached workflow's next task applies only the new
    /// events; an evicted one is replayed from its history. Each device's
    /// long-lived history workflow is touched once per suite, so a cache
    /// the size of the fleet keeps one per device for nothing. It must hold
    /// what runs at once: every suite on this worker and its devices in
    /// flight (the sum of their parallelism), or workflows are replayed
    /// while they run.
    #[arg(long, env = "SWITCHYARD_MAX_CACHED_WORKFLOWS", default_value_t = 100)]
    pub(crate) max_cached_workflows: usize,
    /// Arenas glibc's allocator may keep (0: glibc's own limit, eight per
    /// core). Each arena holds freed memory of its own, so fewer arenas
    /// keep the worker's RSS nearer what it holds; two are enough for a
    /// worker whose threads mostly wait on the network.
    #[arg(long, env = "SWITCHYARD_MALLOC_ARENAS", default_value_t = 2)]
    pub(crate) malloc_arenas: u32,
    /// Seconds between handing the allocator's free pages back to the
    /// kernel (0: never; glibc then keeps most of what was freed).
    #[arg(long, env = "SWITCHYARD_MALLOC_TRIM_SECS", default_value_t = 10)]
    pub(crate) malloc_trim_secs: u64,
    /// Seconds a cached workflow's next task may wait on this worker before
    /// the server hands it to another one (after a crash, say).
    #[arg(long, env = "SWITCHYARD_STICKY_TIMEOUT_SECS", default_value_t = 3)]
    pub(crate) sticky_timeout_secs: u64,
    /// Seconds in-flight activities get to finish on SIGINT/SIGTERM.
    #[arg(long, env = "SWITCHYARD_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub(crate) shutdown_grace_secs: u64,
    /// Compression of the worker's requests to Temporal and of the
    /// server's answers: gzip (the SDK's default) saves bandwidth on a
    /// slow or metered link; none saves CPU on both ends on a fast one.
    #[arg(long, env = "SWITCHYARD_GRPC_COMPRESSION", value_enum, default_value_t = Compression::Gzip)]
    pub(crate) grpc_compression: Compression,
    /// Address of the scrape port: /metrics (Prometheus), /livez, /readyz;
    /// `off` for none.
    #[arg(long, env = "SWITCHYARD_METRICS_ADDRESS", default_value = "127.0.0.1:9464")]
    pub(crate) metrics_address: String,
    /// OTLP/gRPC receiver for traces (e.g. http://127.0.0.1:4317): spans for
    /// the suite's phases, each device workflow and each device step,
    /// continuing the trace the CLI started. Off when unset.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub(crate) otlp_endpoint: Option<String>,
    /// Log filter (tracing EnvFilter syntax).
    #[arg(long, env = "SWITCHYARD_LOG", default_value = "info")]
    pub(crate) log: String,
    /// Log lines as text, or as one JSON object per line (suite_id, device
    /// and step as fields) for a log pipeline.
    #[arg(long, env = "SWITCHYARD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
}

/// Compression on the connection to Temporal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Compression {
    /// gzip requests and answers.
    Gzip,
    /// Send and accept uncompressed messages.
    None,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl WorkerConfig {
    /// The Prometheus endpoints by name, each URL http(s).
    pub(crate) fn prometheus_endpoints(&self) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
        let mut out = std::collections::BTreeMap::new();
        for given in &self.prometheus {
            let (name, url) = match given.split_once('=') {
                Some((name, url)) => (name.trim(), url.trim()),
                None => ("default", given.trim()),
            };
            anyhow::ensure!(switchyard_proto::names::is_endpoint_name(name),
                "--prometheus {given:?}: {name:?} is not an endpoint name (letters, digits, '-', '_')");
            anyhow::ensure!(url.starts_with("http://") || url.starts_with("https://"),
                "--prometheus {given:?}: the URL must start with http:// or https://");
            anyhow::ensure!(out.insert(name.to_string(), url.to_string()).is_none(), "--prometheus names {name:?} twice");
        }
        Ok(out)
    }

    /// The scrape port's address, or `None` when it is off.
    pub(crate) fn metrics_address(&self) -> anyhow::Result<Option<std::net::SocketAddr>> {
        if self.metrics_address == "off" {
            return Ok(None);
        }
        self.metrics_address.parse().map(Some)
            .map_err(|_| anyhow::anyhow!("--metrics-address {:?} is not an address like 0.0.0.0:9464 (or off)", self.metrics_address))
    }

    pub(crate) fn check(&self) -> anyhow::Result<()> {
        self.metrics_address()?;
        self.prometheus_endpoints()?;
        anyhow::ensure!(self.workflow_pollers >= 2, "--workflow-pollers must be at least 2 (one sticky, one normal)");
        anyhow::ensure!(self.activity_pollers >= 1, "--activity-pollers must be at least 1");
        anyhow::ensure!(self.max_workflow_tasks >= 2, "--max-workflow-tasks must be at least 2");
        anyhow::ensure!(self.max_activities >= 1, "--max-activities must be at least 1");
        anyhow::ensure!(self.max_cached_workflows >= 1, "--max-cached-workflows must be at least 1");
        anyhow::ensure!(self.max_handshakes >= 1, "--max-handshakes must be at least 1");
        anyhow::ensure!(self.max_sessions >= 1, "--max-sessions must be at least 1");
        anyhow::ensure!(
            self.session_idle_secs == 0 || self.session_idle_secs >= 90,
            "--session-idle-secs must be 0 (never close) or at least 90: an activity may use a session for up to 60 s after asking for it"
        );
        // An attempt runs at most 60 s (the activities' start-to-close): a
        // connect plus a command must fit in it, or every attempt times out.
        anyhow::ensure!((1..=30).contains(&self.connect_timeout_secs), "--connect-timeout-secs must be 1..=30");
        anyhow::ensure!((1..=25).contains(&self.command_timeout_secs), "--command-timeout-secs must be 1..=25");
        Ok(())
    }
}
