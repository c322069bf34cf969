//! switchyard-worker: wires the suite workflows and the device activities to
//! a Temporal task queue, and shuts down gracefully on SIGINT or SIGTERM.
//!
//! The only runtime that sees credentials: it reads the inventory and
//! resolves credential references when it dials a device. Holds no logic.

mod allocator;
mod checks;
mod config;
mod doctor;
mod inventory_reload;
mod policy_reload;
mod suite_gauge;
mod telemetry;
mod temporal;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use switchyard_activities::{
    DeviceActivities, DeviceMetrics, DriftActivities, EventActivities, GateActivities, HistoryActivities, LiveInventory, LivePolicy, PolicyActivities, SessionConfig, Sessions, Warrants,
};
use switchyard_proto::policy::Policy;
use switchyard_proto::webhooks::Webhooks;
use switchyard_workflows::{DeviceHistoryWorkflow, DeviceWorkflow, DriftWorkflow, EventWorkflow, SuiteWorkflow};
use temporalio_client::{Client, ClientOptions, GrpcCompression};
use temporalio_common::telemetry::TelemetryOptions;
use temporalio_sdk::runtime::{PollerBehavior, RuntimeOptions};
use temporalio_sdk::runtime::worker_tuner::{FixedSizeSlotSupplier, TunerHolder};
use temporalio_sdk::{Runtime, Worker, WorkerOptions};
use tokio::signal::unix::{SignalKind, signal};
use tracing::{debug, info, warn};

use crate::config::{Compression, LogFormat, WorkerConfig};

fn main() -> anyhow::Result<()> {
    // `switchyard-worker man DIR` writes its manual pages (for packages).
    if std::env::args().nth(1).as_deref() == Some("man") {
        let dir = std::env::args().nth(2).context("switchyard-worker man DIR: the folder to write the pages into")?;
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {dir}"))?;
        clap_mangen::Man::new(<WorkerConfig as clap::CommandFactory>::command()).generate_to(&dir)?;
        clap_mangen::Man::new(<doctor::DoctorArgs as clap::CommandFactory>::command().name("switchyard-worker-doctor")).generate_to(&dir)?;
        return Ok(());
    }
    // `switchyard-worker doctor …` checks devices' access instead of working.
    if std::env::args().nth(1).as_deref() == Some("doctor") {
        let args = doctor::DoctorArgs::parse_from(std::env::args().skip(1));
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("tokio runtime")?;
        let code = runtime.block_on(doctor::run(args))?;
        std::process::exit(code);
    }
    let config = WorkerConfig::parse();
    config.check()?;
    // Before the runtime's threads exist: glibc fixes its arena limit the
    // first time a second thread allocates.
    allocator::limit_arenas(config.malloc_arenas);
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("tokio runtime")?.block_on(run(config))
}

async fn run(config: WorkerConfig) -> anyhow::Result<()> {
    init_logs(&config)?;
    // Every certificate and key file is checked before anything else starts.
    let settings = config.temporal.resolve()?;
    let namespace = settings.namespace.clone();
    let (inventory, policy, webhooks) = load_files(&config).await?;
    let telemetry = match config.metrics_address()? {
        Some(address) => Some(telemetry::start(address).await?),
        None => None,
    };
    let metrics = Arc::new(match &telemetry {
        Some(t) => DeviceMetrics::new(t.meter.clone()),
        None => DeviceMetrics::disabled(),
    });
    let sessions = device_sessions(&config, &inventory, &metrics);
    if config.malloc_trim_secs > 0 {
        tokio::spawn(allocator::trim_every(Duration::from_secs(config.malloc_trim_secs)));
    }

    let telemetry_options = telemetry.as_ref().map(|t| TelemetryOptions::builder().metrics(t.meter.clone()).build());
    let runtime_options = RuntimeOptions::builder().maybe_telemetry_options(telemetry_options).build().map_err(anyhow::Error::msg)?;
    let runtime = Runtime::from_current_tokio(runtime_options)?;
    let traces = switchyard_starter::traces::install("switchyard-worker", config.otlp_endpoint.as_deref())?;
    let (client, identity) = connect(&config, &settings, traces.as_ref()).await?;
    if let Some(t) = &telemetry {
        suite_gauge::spawn(client.clone(), namespace.clone(), t.meter.clone());
    }

    // What every device write and every signed event is checked by.
    let warrants = Arc::new(Warrants::new(policy.clone(), inventory.clone(), Arc::new(temporal::TemporalRuns(client.clone())), metrics.clone()));
    let options = WorkerOptions::new(config.task_queue.clone())
        .register_workflow::<SuiteWorkflow>()?
        .register_workflow::<DeviceWorkflow>()?
        .register_workflow::<EventWorkflow>()?
        .register_workflow::<DeviceHistoryWorkflow>()?
        .register_workflow::<DriftWorkflow>()?
        .register_activities(DriftActivities::new(inventory.clone(), sessions.clone(), temporal::intent_reader(&client)))
        .register_activities(DeviceActivities::new(sessions, warrants.clone()))
        .register_activities(HistoryActivities::new(temporal::run_reporter(&client, &config.task_queue), temporal::run_voucher(&client), metrics))
        .register_activities(EventActivities::new(webhooks, inventory.clone(), namespace.clone(), warrants))
        .register_activities(PolicyActivities::new(policy, inventory))
        .register_activities(GateActivities::new(config.prometheus_endpoints()?))
        .tuner(tuner(&config))
        .workflow_task_poller_behavior(PollerBehavior::SimpleMaximum(config.workflow_pollers))
        .activity_task_poller_behavior(PollerBehavior::SimpleMaximum(config.activity_pollers))
        .max_cached_workflows(config.max_cached_workflows)
        .sticky_queue_schedule_to_start_timeout(Duration::from_secs(config.sticky_timeout_secs))
        .graceful_shutdown_period(Duration::from_secs(config.shutdown_grace_secs))
        .build();
    let mut worker = Worker::new(&runtime, client, options)?;
    stop_on_signals(worker.shutdown_handle())?;
    if let Some(t) = &telemetry {
        t.ready.store(true, std::sync::atomic::Ordering::Relaxed);
        info!(address = %t.address, "Serving /metrics, /livez and /readyz");
    }
    info!(task_queue = %config.task_queue, temporal = %settings.target, namespace = %namespace, identity = %identity, "Worker running");
    // Worker::run is !Send (workflows run on this thread), so it is awaited
    // here rather than spawned.
    worker.run().await?;
    if let Some(Err(error)) = traces.as_ref().map(|t| t.shutdown()) {
        warn!(%error, "Traces");
    }
    info!("Worker stopped");
    Ok(())
}

/// Logs to stderr, as text or one JSON object a line.
fn init_logs(config: &WorkerConfig) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::from_str(&config.log).context("--log")?;
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match config.log_format {
        // Event fields (suite_id, device, step) become top-level keys.
        LogFormat::Json => logs.json().flatten_event(true).with_current_span(false).init(),
        LogFormat::Text => logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init(),
    }
    Ok(())
}

/// The worker's own files: the inventory (its key and known-hosts files
/// checked), the policy (reloaded on change or SIGHUP) and the webhooks.
async fn load_files(config: &WorkerConfig) -> anyhow::Result<(LiveInventory, LivePolicy, Arc<Webhooks>)> {
    // The worker reaches devices by the addresses it read itself (its file,
    // its source of truth), never by what a workflow says.
    let inventory = switchyard_starter::inventory_source::load(&config.inventory).await.map_err(anyhow::Error::msg)?;
    checks::inventory_files(&inventory)?;
    info!(devices = inventory.devices.len(), inventory = %config.inventory.display(), source = inventory.source.as_ref().map_or("", |s| s.kind.name()), "Loaded inventory");
    let inventory = LiveInventory::new(inventory);
    let refresh = (config.inventory_refresh_secs > 0).then(|| Duration::from_secs(config.inventory_refresh_secs));
    inventory_reload::spawn(config.inventory.clone(), inventory.clone(), refresh)?;
    let policy = Policy::load(&config.policy).map_err(anyhow::Error::msg)?;
    info!(policy = %policy.file, hash = %policy.hash, rules = policy.rules.len(), principals = policy.principals.len(),
        unsigned = if policy.allow_unsigned { "allowed" } else { "refused" }, "Loaded policy");
    let policy = LivePolicy::new(policy);
    policy_reload::spawn(config.policy.clone(), policy.clone())?;
    let webhooks = Arc::new(match &config.webhooks {
        Some(path) => Webhooks::load(path).map_err(anyhow::Error::msg)?,
        None => Webhooks::default(),
    });
    if !webhooks.subscriptions.is_empty() {
        let names: Vec<&str> = webhooks.subscriptions.iter().map(|s| s.name.as_str()).collect();
        info!(subscriptions = %names.join(", "), "Loaded webhooks");
    }
    Ok((inventory, policy, webhooks))
}

/// The device sessions, with idle ones closed in the background.
fn device_sessions(config: &WorkerConfig, inventory: &LiveInventory, metrics: &Arc<DeviceMetrics>) -> Arc<Sessions> {
    let sessions = Arc::new(Sessions::new(inventory.clone(), SessionConfig {
        max_handshakes: config.max_handshakes,
        connect_timeout: Duration::from_secs(config.connect_timeout_secs),
        command_timeout: Duration::from_secs(config.command_timeout_secs),
        max_sessions: config.max_sessions,
    }).with_metrics(metrics.clone()));
    if config.session_idle_secs > 0 {
        let (sessions, idle) = (sessions.clone(), Duration::from_secs(config.session_idle_secs));
        tokio::spawn(async move {
            // Checked a few times per idle period, so a session lives at most
            // a quarter longer than asked.
            let mut every = tokio::time::interval(idle / 4);
            loop {
                every.tick().await;
                let closed = sessions.close_idle(idle).await;
                if closed > 0 {
                    debug!(closed, "Closed idle device sessions");
                }
            }
        });
    }
    sessions
}

/// The worker's Temporal client (traced when traces are exported), once
/// the namespace and its search attributes are found; and its identity.
async fn connect(
    config: &WorkerConfig, settings: &switchyard_starter::connection::Resolved, traces: Option<&switchyard_starter::traces::Traces>,
) -> anyhow::Result<(Client, String)> {
    // Several workers run on one host: the pid tells their tasks apart in histories.
    let identity = format!("switchyard-worker-{}@{}", std::process::id(), hostname());
    let compression = match config.grpc_compression {
        Compression::Gzip => GrpcCompression::Gzip,
        Compression::None => GrpcCompression::None,
    };
    let mut options = switchyard_starter::client::connection_options(settings, &identity);
    options.grpc_compression = compression;
    let connection = switchyard_starter::client::open(settings, options).await?;
    let mut client_options = ClientOptions::new(settings.namespace.clone());
    if let Some(traces) = traces {
        // Registered on the client, the plugin also instruments the
        // worker built on it: workflows, activities and child starts.
        client_options = client_options.plugin(traces.plugin());
        info!(endpoint = config.otlp_endpoint.as_deref().unwrap_or_default(), "Exporting traces over OTLP");
    }
    let client = Client::new(connection, client_options.build())?;
    checks::cluster(&client, &settings.namespace, settings.target.as_str()).await?;
    info!(namespace = %settings.namespace, "Namespace and search attributes present");
    Ok((client, identity))
}

/// The task and activity slots the configuration allows.
fn tuner(config: &WorkerConfig) -> TunerHolder {
    TunerHolder::builder()
        .workflow_task_slot_supplier(FixedSizeSlotSupplier::new(config.max_workflow_tasks))
        .activity_task_slot_supplier(FixedSizeSlotSupplier::new(config.max_activities))
        .local_activity_task_slot_supplier(FixedSizeSlotSupplier::new(config.max_activities))
        .nexus_task_slot_supplier(FixedSizeSlotSupplier::new(1))
        .build()
}

/// Finishes in-flight tasks and stops on SIGTERM or SIGINT.
fn stop_on_signals(shutdown: impl FnOnce() + Send + 'static) -> anyhow::Result<()> {
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    tokio::spawn(async move {
        tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        info!("Shutting down: finishing in-flight tasks");
        shutdown();
    });
    Ok(())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "unknown".into())
}

