//! switchyard-worker: wires the suite workflows and the device activities to
//! a Temporal task queue, and shuts down gracefully on SIGINT or SIGTERM.
//!
//! The only runtime that sees credentials: it reads the inventory and
//! resolves credential references when it dials a device. Holds no logic.

mod allocator;
mod checks;
mod config;
mod policy_reload;
mod suite_gauge;
mod telemetry;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use switchyard_activities::warrant::{Lookup, Starter};
use switchyard_activities::{
    DeviceActivities, DeviceMetrics, DriftActivities, EventActivities, HistoryActivities, IntentReader, LivePolicy, PolicyActivities, RunReporter, RunVoucher,
    SessionConfig, Sessions, SuiteRuns, Warrants,
};
use switchyard_proto::warrant::SuiteRun;
use switchyard_proto::inventory::Inventory;
use switchyard_proto::policy::Policy;
use switchyard_proto::webhooks::Webhooks;
use switchyard_workflows::{DeviceHistoryWorkflow, DeviceWorkflow, DriftWorkflow, EventWorkflow, SuiteWorkflow};
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions, GrpcCompression};
use temporalio_common::telemetry::TelemetryOptions;
use temporalio_sdk::runtime::{PollerBehavior, RuntimeOptions};
use temporalio_sdk::runtime::worker_tuner::{FixedSizeSlotSupplier, TunerHolder};
use temporalio_sdk::{Runtime, Worker, WorkerOptions};
use tokio::signal::unix::{SignalKind, signal};
use tracing::{debug, info, warn};

use crate::config::{Compression, LogFormat, WorkerConfig};

fn main() -> anyhow::Result<()> {
    let config = WorkerConfig::parse();
    config.check()?;
    // Before the runtime's threads exist: glibc fixes its arena limit the
    // first time a second thread allocates.
    allocator::limit_arenas(config.malloc_arenas);
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("tokio runtime")?.block_on(run(config))
}

async fn run(config: WorkerConfig) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::from_str(&config.log).context("--log")?;
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match config.log_format {
        // Event fields (suite_id, device, step) become top-level keys.
        LogFormat::Json => logs.json().flatten_event(true).with_current_span(false).init(),
        LogFormat::Text => logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init(),
    }

    let inventory = Arc::new(Inventory::load(&config.inventory).map_err(anyhow::Error::msg)?);
    checks::inventory_files(&inventory)?;
    info!(devices = inventory.devices.len(), inventory = %config.inventory.display(), "Loaded inventory");
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
    let telemetry = match config.metrics_address()? {
        Some(address) => Some(telemetry::start(address).await?),
        None => None,
    };
    let metrics = match &telemetry {
        Some(t) => DeviceMetrics::new(t.meter.clone()),
        None => DeviceMetrics::disabled(),
    };
    let metrics = Arc::new(metrics);
    let sessions = Arc::new(Sessions::new(inventory.clone(), SessionConfig {
        max_handshakes: config.max_handshakes,
        connect_timeout: std::time::Duration::from_secs(config.connect_timeout_secs),
        command_timeout: std::time::Duration::from_secs(config.command_timeout_secs),
    }).with_metrics(metrics.clone()));
    if config.session_idle_secs > 0 {
        let (sessions, idle) = (sessions.clone(), std::time::Duration::from_secs(config.session_idle_secs));
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

    if config.malloc_trim_secs > 0 {
        tokio::spawn(allocator::trim_every(std::time::Duration::from_secs(config.malloc_trim_secs)));
    }

    let telemetry_options = telemetry.as_ref().map(|t| TelemetryOptions::builder().metrics(t.meter.clone()).build());
    let runtime_options = RuntimeOptions::builder().maybe_telemetry_options(telemetry_options).build().map_err(anyhow::Error::msg)?;
    let runtime = Runtime::from_current_tokio(runtime_options)?;
    let url = url::Url::parse(&config.temporal_address).context("--temporal-address")?;
    // Several workers run on one host: the pid tells their tasks apart in histories.
    let identity = format!("switchyard-worker-{}@{}", std::process::id(), hostname());
    let compression = match config.grpc_compression {
        Compression::Gzip => GrpcCompression::Gzip,
        Compression::None => GrpcCompression::None,
    };
    let connection = Connection::connect(ConnectionOptions::new(url).identity(identity.clone()).grpc_compression(compression).build())
        .await
        .with_context(|| format!("cannot reach Temporal at {}", config.temporal_address))?;
    let traces = switchyard_starter::traces::install("switchyard-worker", config.otlp_endpoint.as_deref())?;
    let mut client_options = ClientOptions::new(config.namespace.clone());
    if let Some(traces) = &traces {
        // Registered on the client, the plugin also instruments the
        // worker built on it: workflows, activities and child starts.
        client_options = client_options.plugin(traces.plugin());
        info!(endpoint = config.otlp_endpoint.as_deref().unwrap_or_default(), "Exporting traces over OTLP");
    }
    let client = Client::new(connection, client_options.build())?;
    checks::cluster(&client, &config.namespace, &config.temporal_address).await?;
    info!(namespace = %config.namespace, "Namespace and search attributes present");
    if let Some(t) = &telemetry {
        suite_gauge::spawn(client.clone(), config.namespace.clone(), t.meter.clone());
    }

    let tuner = TunerHolder::builder()
        .workflow_task_slot_supplier(FixedSizeSlotSupplier::new(config.max_workflow_tasks))
        .activity_task_slot_supplier(FixedSizeSlotSupplier::new(config.max_activities))
        .local_activity_task_slot_supplier(FixedSizeSlotSupplier::new(config.max_activities))
        .nexus_task_slot_supplier(FixedSizeSlotSupplier::new(1))
        .build();
    // What every device write and every signed event is checked by.
    let warrants = Arc::new(Warrants::new(policy.clone(), inventory.clone(), Arc::new(TemporalRuns(client.clone())), metrics.clone()));
    let options = WorkerOptions::new(config.task_queue.clone())
        .register_workflow::<SuiteWorkflow>()?
        .register_workflow::<DeviceWorkflow>()?
        .register_workflow::<EventWorkflow>()?
        .register_workflow::<DeviceHistoryWorkflow>()?
        .register_workflow::<DriftWorkflow>()?
        .register_activities(DriftActivities::new(inventory.clone(), sessions.clone(), intent_reader(&client)))
        .register_activities(DeviceActivities::new(sessions, warrants.clone()))
        .register_activities(HistoryActivities::new(run_reporter(&client, &config.task_queue), run_voucher(&client), metrics))
        .register_activities(EventActivities::new(webhooks, inventory.clone(), config.namespace.clone(), warrants))
        .register_activities(PolicyActivities::new(policy, inventory))
        .tuner(tuner)
        .workflow_task_poller_behavior(PollerBehavior::SimpleMaximum(config.workflow_pollers))
        .activity_task_poller_behavior(PollerBehavior::SimpleMaximum(config.activity_pollers))
        .max_cached_workflows(config.max_cached_workflows)
        .sticky_queue_schedule_to_start_timeout(Duration::from_secs(config.sticky_timeout_secs))
        .graceful_shutdown_period(Duration::from_secs(config.shutdown_grace_secs))
        .build();
    let mut worker = Worker::new(&runtime, client, options)?;

    let shutdown = worker.shutdown_handle();
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    tokio::spawn(async move {
        tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        info!("Shutting down: finishing in-flight tasks");
        shutdown();
    });
    if let Some(t) = &telemetry {
        t.ready.store(true, std::sync::atomic::Ordering::Relaxed);
        info!(address = %t.address, "Serving /metrics, /livez and /readyz");
    }
    info!(task_queue = %config.task_queue, temporal = %config.temporal_address, namespace = %config.namespace, identity = %identity, "Worker running");
    // Worker::run is !Send (workflows run on this thread), so it is awaited
    // here rather than spawned.
    worker.run().await?;
    if let Some(Err(error)) = traces.as_ref().map(|t| t.shutdown()) {
        warn!(%error, "Traces");
    }
    info!("Worker stopped");
    Ok(())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "unknown".into())
}

/// Reports device runs to their histories through the starter's client,
/// starting a device's history on this worker's queue when it has none.
fn run_reporter(client: &Client, task_queue: &str) -> RunReporter {
    let (client, task_queue) = (client.clone(), task_queue.to_string());
    std::sync::Arc::new(move |device: String, entry| {
        let (client, task_queue) = (client.clone(), task_queue.clone());
        Box::pin(async move {
            switchyard_starter::client::record_run(&client, &task_queue, &device, entry).await.map_err(|e| {
                let chain = std::iter::successors(Some(&e as &dyn std::error::Error), |e| e.source());
                chain.map(|e| e.to_string()).collect::<Vec<_>>().join(": ")
            })
        })
    })
}

/// Vouches for device-history records by reading the device runs they
/// name through the starter's client.
fn run_voucher(client: &Client) -> RunVoucher {
    let client = client.clone();
    std::sync::Arc::new(move |device: String, entry, received_at| {
        let client = client.clone();
        Box::pin(async move { switchyard_starter::client::vouch_record(&client, &device, &entry, received_at).await })
    })
}

/// Reads a device's intent from its history workflow's journal, through
/// the starter's client (the same reading `switchyard device` shows), so a
/// drift check needs no worker on the history's own queue.
fn intent_reader(client: &Client) -> IntentReader {
    let client = client.clone();
    std::sync::Arc::new(move |device: String| {
        let client = client.clone();
        Box::pin(async move { switchyard_starter::client::device_history(&client, &device).await.map_err(|e| e.to_string()) })
    })
}

/// What Temporal records about the runs a device write serves, read
/// through the starter's client for the warrant check.
struct TemporalRuns(Client);

impl SuiteRuns for TemporalRuns {
    fn parent(&self, workflow_id: String, run_id: String) -> Lookup<Option<Starter>> {
        let client = self.0.clone();
        Box::pin(async move { switchyard_starter::client::parent_of(&client, &workflow_id, &run_id).await })
    }

    fn started(&self, workflow_id: String, run_id: String) -> Lookup<SuiteRun> {
        let client = self.0.clone();
        Box::pin(async move {
            let (input, started_at) = switchyard_starter::client::suite_started(&client, &workflow_id, &run_id).await?;
            Ok(SuiteRun { workflow_id, run_id, input, started_at })
        })
    }
}
