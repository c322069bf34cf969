//! switchyard-bench: the benchmark driver. One standard change, three ways:
//! switchyard (a suite through Temporal), the direct baseline (the same SSH +
//! redis sessions writing the same rows with the same parallelism, no
//! orchestration: the floor this lab allows), and the rows Ansible needs.
//! `bench/run.sh` runs the ways in turn and writes the figures; this binary
//! measures one way at a time and prints JSON.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use serde_json::json;
use switchyard_activities::changeset::{RedisWrite, writes};
use switchyard_activities::{SessionConfig, Sessions, procedures};
use switchyard_proto::inventory::Inventory;
use switchyard_proto::names;
use switchyard_proto::names::device_db::CONFIG_DB;
use switchyard_proto::suite_file::SuiteFile;
use switchyard_proto::v1::{ApprovalSignal, Decision, DevicePlan, SuiteInput, SuitePhase, Wave};
use switchyard_workflows::SuiteWorkflow;

mod floor;
mod phases;
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions, WorkflowDescribeOptions, WorkflowHandle,
    WorkflowSignalOptions};
use temporalio_common::protos::temporal::api::enums::v1::{EventType, WorkflowExecutionStatus};
use temporalio_common::protos::temporal::api::history::v1::HistoryEvent;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Common {
    /// Suite file of the standard change.
    #[arg(long)]
    suite: PathBuf,
    /// Lab inventory.
    #[arg(long)]
    inventory: PathBuf,
    /// Devices changed at once.
    #[arg(long)]
    parallelism: u32,
}

#[derive(Subcommand)]
enum Command {
    /// Run the change as a switchyard suite: plan, approve, apply (or roll back).
    Switchyard {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value = "http://127.0.0.1:7255")]
        temporal: String,
        #[arg(long, default_value = "switchyard-bench")]
        task_queue: String,
        /// Make the last device drift after approval, so every other device rolls back.
        #[arg(long)]
        rollback_via_last: Option<PathBuf>,
    },
    /// The service: create suites through `switchyard serve` (each awaits
    /// approval, so they stay running), then read their status under load.
    Service {
        /// The service's base URL.
        #[arg(long)]
        api: String,
        /// An API key with the write scope (read from the environment
        /// SWITCHYARD_API_KEY when not given).
        #[arg(long, env = "SWITCHYARD_API_KEY", hide_env_values = true)]
        key: String,
        /// Suites to create (and keep running).
        #[arg(long, default_value_t = 100)]
        suites: usize,
        /// Devices in the lab; suite i targets device i mod devices.
        #[arg(long)]
        devices: usize,
        /// Status reads to make once every suite awaits approval.
        #[arg(long, default_value_t = 5000)]
        reads: usize,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// The orchestration floor: devices as workflows with no device work.
    Floor {
        #[arg(long, default_value = "http://127.0.0.1:7255")]
        temporal: String,
        #[arg(long, default_value_t = 200)]
        devices: u32,
        #[arg(long, default_value_t = 16)]
        parallelism: u32,
        /// Devices per child workflow (1: one workflow per device).
        #[arg(long, default_value_t = 1)]
        batch: u32,
        /// Local activities per device.
        #[arg(long, default_value_t = 2)]
        steps: u32,
        /// Bytes each device carries into its workflow's start and back in
        /// its result, as a device's plan and result do (0: none).
        #[arg(long, default_value_t = 0)]
        payload_bytes: u32,
        /// Patches each device's workflow asks at its start (0: none).
        #[arg(long, default_value_t = 0)]
        patches: u32,
        /// Start each lane's next child while the one before it runs, held
        /// by the child until a signal lets it go.
        #[arg(long)]
        ahead: bool,
        #[arg(long, default_value_t = 3)]
        rounds: u32,
    },
    /// The direct baseline: connect, read, write the same rows atomically.
    Baseline {
        #[command(flatten)]
        common: Common,
        /// Open every device's session first and time only the read and
        /// write, as switchyard's apply runs on sessions opened by its plan.
        #[arg(long)]
        warm: bool,
    },
    /// Print the redis commands of the change for one device (for Ansible).
    Rows {
        #[command(flatten)]
        common: Common,
    },
    /// Dump every lab device's CONFIG_DB (through its unix socket) as JSON.
    Snapshot {
        /// Lab folder.
        #[arg(long)]
        lab_dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Switchyard { common, temporal, task_queue, rollback_via_last } => switchyard(common, &temporal, &task_queue, rollback_via_last).await,
        Command::Service { api, key, suites, devices, reads, concurrency } => service(&api, &key, suites, devices, reads, concurrency).await,
        Command::Floor { temporal, devices, parallelism, batch, steps, payload_bytes, patches, ahead, rounds } => {
            floor::run(&temporal, floor::Shape { devices, parallelism, batch, steps, payload_bytes, patches, ahead }, rounds).await
        }
        Command::Baseline { common, warm } => baseline(common, warm).await,
        Command::Rows { common } => rows(common).await,
        Command::Snapshot { lab_dir, out } => snapshot(&lab_dir, &out),
    }
}

fn load(common: &Common) -> anyhow::Result<(SuiteInput, Inventory)> {
    let suite = SuiteFile::load(&common.suite).map_err(anyhow::Error::msg)?;
    let inventory = Inventory::load(&common.inventory).map_err(anyhow::Error::msg)?;
    let resolved = suite.resolve(&inventory).map_err(anyhow::Error::msg)?;
    let mut rollout = resolved.rollout;
    rollout.parallelism = common.parallelism;
    let input = SuiteInput {
        suite_id: format!("bench-{}-{}", resolved.devices.len(), std::process::id()),
        name: resolved.name,
        requester: "bench".into(),
        source_file: common.suite.display().to_string(),
        rollout: Some(rollout),
        approval: Some(resolved.approval),
        devices: resolved.devices,
        plan_only: false,
        window: None,
        launch: None,
        scheduled: false,
        reverts: String::new(),
        ..Default::default()
    };
    Ok((input, inventory))
}

/// Waits until the suite is in `phase`, polling every 20 ms. It reads the
/// suite's `SuiteStatus` search attribute through DescribeWorkflowExecution,
/// which the server answers from the workflow's own record; a status query
/// would go to the worker and carry every device's status back each time,
/// a cost that grows with the fleet and that no operator's client pays at
/// this rate (the CLI polls every 500 ms), so it would inflate the very
/// figures measured. A suite that closes first is an error, with its result.
async fn wait_for_phase(handle: &WorkflowHandle<Client, SuiteWorkflow>, phase: SuitePhase) -> anyhow::Result<()> {
    let want = format!("\"{}\"", switchyard_proto::vocabulary::phase_name(phase));
    loop {
        let described = handle.describe(WorkflowDescribeOptions::default()).await?;
        let info = described.raw_description.workflow_execution_info.unwrap_or_default();
        let status = info.search_attributes.as_ref().and_then(|sa| sa.indexed_fields.get(names::SA_SUITE_STATUS));
        if status.is_some_and(|p| p.data == want.as_bytes()) {
            return Ok(());
        }
        if info.status != WorkflowExecutionStatus::Running as i32 {
            let s = switchyard_starter::client::result(handle.client(), handle.info().workflow_id.as_str()).await?;
            bail!("suite ended {:?} before {phase:?}: {}", SuitePhase::try_from(s.phase), s.error);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The plan hash, from the suite's memo: a describe stays small whatever
/// the fleet, where the status query's answer carries up to 200 devices
/// (more than a payload may hold under lowered limits, `BENCH_LIMITS`).
async fn planned_hash(handle: &WorkflowHandle<Client, SuiteWorkflow>) -> anyhow::Result<String> {
    let described = handle.describe(WorkflowDescribeOptions::default()).await?;
    let memo = described.raw_description.workflow_execution_info.unwrap_or_default().memo.unwrap_or_default();
    let payload = memo.fields.get("plan_hash").context("the suite's memo has no plan_hash")?;
    Ok(serde_json::from_slice(&payload.data)?)
}

async fn switchyard(common: Common, temporal: &str, task_queue: &str, rollback_via_last: Option<PathBuf>) -> anyhow::Result<()> {
    let (mut input, _) = load(&common)?;
    // Started as the CLI starts a suite: each distinct step once.
    switchyard_proto::targets::compact(&mut input);
    let n = input.devices.len();
    if rollback_via_last.is_some() {
        input.suite_id.push_str("-rb");
        // The last device alone in the last wave: when it fails, all others roll back.
        if let Some(r) = input.rollout.as_mut() {
            r.waves = vec![Wave { count: n as u32 - 1, percent: 0 }];
        }
    }
    let connection = Connection::connect(ConnectionOptions::new(url::Url::parse(temporal)?).identity("switchyard-bench".to_string()).build()).await?;
    let client = Client::new(connection, ClientOptions::new("default").build())?;
    let suite_id = input.suite_id.clone();
    // Every device's workflow is counted: the suite's result lists only
    // the devices that need a look once there are more than 200.
    let devices: Vec<String> = input.devices.iter().map(|d| d.device.clone()).collect();
    let t0 = Instant::now();
    switchyard_starter::client::start_suite(&client, task_queue, input).await?;
    let handle = client.get_workflow_handle::<SuiteWorkflow>(suite_id.clone());
    wait_for_phase(&handle, SuitePhase::AwaitingApproval).await?;
    let plan_s = t0.elapsed().as_secs_f64();
    let plan_hash = planned_hash(&handle).await?;
    if let Some(lab_dir) = &rollback_via_last {
        let sock = lab_dir.join(format!("dev/{n}/redis.sock"));
        let mut conn = redis::Client::open(format!("unix://{}?db={CONFIG_DB}", sock.display()))?.get_connection()?;
        let _: () = redis::cmd("HSET").arg("VLAN_MEMBER|Vlan999|Ethernet8").arg("tagging_mode").arg("untagged").query(&mut conn)?;
    }
    let t1 = Instant::now();
    let signal = ApprovalSignal { reviewer: "reviewer".into(), decision: Decision::Approve as i32, plan_hash, ..Default::default() };
    handle.signal(SuiteWorkflow::approval, signal.into(), WorkflowSignalOptions::default()).await?;
    let mut rollback_started = None;
    if rollback_via_last.is_some() {
        wait_for_phase(&handle, SuitePhase::RollingBack).await?;
        rollback_started = Some(Instant::now());
    }
    let result = switchyard_starter::client::result(&client, &suite_id).await?;
    let apply_s = t1.elapsed().as_secs_f64();
    let rollback_s = rollback_started.map(|t| t.elapsed().as_secs_f64());
    let expected = if rollback_via_last.is_some() { SuitePhase::RolledBack } else { SuitePhase::Succeeded };
    if result.phase != expected as i32 {
        bail!("suite ended {:?}, expected {expected:?}: {}", SuitePhase::try_from(result.phase), result.error);
    }

    // Temporal's cost per device: events in the suite's and the children's histories.
    let suite_history = handle.fetch_history(Default::default()).into_events().await?;
    let suite_events = suite_history.len();
    // What Temporal's size limits count: the history's encoded bytes.
    let bytes = |events: &[HistoryEvent]| events.iter().map(prost::Message::encoded_len).sum::<usize>();
    let suite_bytes = bytes(&suite_history);
    // Where the suite's bytes are: per event type, largest first.
    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    for e in &suite_history {
        let name = EventType::try_from(e.event_type).map_or("unknown", |t| t.as_str_name()).trim_start_matches("EVENT_TYPE_").to_lowercase();
        *by_type.entry(name).or_default() += prost::Message::encoded_len(e);
    }
    let mut child_events = 0;
    let mut max_child = 0;
    let mut max_child_bytes = 0;
    let mut applies = BTreeMap::new();
    let modes: &[&str] = if rollback_via_last.is_some() { &["apply", "rollback"] } else { &["apply"] };
    for device in &devices {
        for mode in modes {
            let id = names::device_workflow_id(&suite_id, device, mode);
            if let Ok(events) = client.get_workflow_handle::<SuiteWorkflow>(id.clone()).fetch_history(Default::default()).into_events().await {
                child_events += events.len();
                max_child = max_child.max(events.len());
                max_child_bytes = max_child_bytes.max(bytes(&events));
                if *mode == "apply" {
                    applies.insert(id, events);
                }
            }
        }
    }
    let phases = phases::of_apply(&suite_history, &applies);
    let steps = result.devices.first().map_or(0, |d| d.steps_applied.len());
    println!("{}", json!({
        "way": "switchyard", "devices": n, "parallelism": common.parallelism,
        "plan_s": plan_s, "apply_s": apply_s, "rollback_s": rollback_s,
        "suite_history_events": suite_events, "suite_history_bytes": suite_bytes, "suite_history_bytes_by_event": by_type,
        "child_history_events": child_events, "max_child_history_events": max_child, "max_child_history_bytes": max_child_bytes,
        "history_events_per_device": (suite_events + child_events) as f64 / n as f64,
        "workflows": 1 + n * modes.len(), "steps_per_device": steps,
        "phases": phases,
    }));
    Ok(())
}

/// Plans one device from its snapshot, as the worker would.
async fn plan_one(sessions: &Sessions, target: &switchyard_proto::v1::DeviceTarget) -> anyhow::Result<(DevicePlan, redis::aio::MultiplexedConnection)> {
    let mut conn = sessions.redis(&target.device).await?;
    let plan = procedures::plan(&mut conn, target).await?;
    if !plan.error.is_empty() {
        bail!("{}", plan.error);
    }
    Ok((plan, conn))
}

async fn baseline(common: Common, warm: bool) -> anyhow::Result<()> {
    let (input, inventory) = load(&common)?;
    let n = input.devices.len();
    let sessions = Arc::new(Sessions::new(Arc::new(inventory), SessionConfig::standard()));
    let limit = Arc::new(tokio::sync::Semaphore::new(common.parallelism as usize));
    if warm {
        // SSH handshakes and the redis channel, outside the timing.
        let mut opening = Vec::new();
        for target in &input.devices {
            let (sessions, limit, device) = (sessions.clone(), limit.clone(), target.device.clone());
            opening.push(tokio::spawn(async move {
                let _slot = limit.acquire().await?;
                sessions.redis(&device).await?;
                anyhow::Ok(())
            }));
        }
        for t in opening {
            t.await??;
        }
    }
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for target in input.devices {
        let (sessions, limit) = (sessions.clone(), limit.clone());
        tasks.push(tokio::spawn(async move {
            let _slot = limit.acquire().await?;
            let (plan, mut conn) = plan_one(&sessions, &target).await?;
            // Every row of the change in one MULTI/EXEC round trip.
            let mut pipe = redis::pipe();
            pipe.atomic();
            for step in &plan.steps {
                for w in writes(step.changes.as_ref().context("changes")?) {
                    match w {
                        RedisWrite::Hset(k, pairs) => { pipe.hset_multiple(k, &pairs).ignore(); }
                        RedisWrite::Hdel(k, fields) => { pipe.hdel(k, fields).ignore(); }
                        RedisWrite::Del(k) => { pipe.del(k).ignore(); }
                    }
                }
            }
            let () = pipe.query_async(&mut conn).await?;
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let way = if warm { "baseline_warm" } else { "baseline" };
    println!("{}", json!({ "way": way, "devices": n, "parallelism": common.parallelism, "apply_s": t0.elapsed().as_secs_f64() }));
    Ok(())
}

async fn rows(common: Common) -> anyhow::Result<()> {
    let (input, inventory) = load(&common)?;
    let sessions = Sessions::new(Arc::new(inventory), SessionConfig::standard());
    let (plan, _) = plan_one(&sessions, &input.devices[0]).await?;
    println!("MULTI");
    for step in &plan.steps {
        for w in writes(step.changes.as_ref().context("changes")?) {
            match w {
                RedisWrite::Hset(k, pairs) => {
                    let fields: Vec<String> = pairs.iter().map(|(f, v)| format!("{} {}", quote(f), quote(v))).collect();
                    println!("HSET {} {}", quote(&k), fields.join(" "));
                }
                RedisWrite::Hdel(k, fields) => println!("HDEL {} {}", quote(&k), fields.iter().map(|f| quote(f)).collect::<Vec<_>>().join(" ")),
                RedisWrite::Del(k) => println!("DEL {}", quote(&k)),
            }
        }
    }
    println!("EXEC");
    Ok(())
}

/// Quoted for redis-cli's command line.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn snapshot(lab_dir: &Path, out: &Path) -> anyhow::Result<()> {
    let mut all: BTreeMap<String, BTreeMap<String, serde_json::Value>> = BTreeMap::new();
    let mut devices: Vec<PathBuf> = std::fs::read_dir(lab_dir.join("dev"))?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    devices.sort();
    for dir in devices {
        let mut conn = redis::Client::open(format!("unix://{}?db={CONFIG_DB}", dir.join("redis.sock").display()))?.get_connection()?;
        let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut conn)?;
        let mut rows = BTreeMap::new();
        for k in keys {
            let kind: String = redis::cmd("TYPE").arg(&k).query(&mut conn)?;
            let value = if kind == "hash" {
                let h: BTreeMap<String, String> = redis::cmd("HGETALL").arg(&k).query(&mut conn)?;
                json!(h)
            } else {
                let v: String = redis::cmd("GET").arg(&k).query(&mut conn)?;
                json!(v)
            };
            rows.insert(k, value);
        }
        all.insert(dir.file_name().unwrap_or_default().to_string_lossy().into_owned(), rows);
    }
    std::fs::write(out, serde_json::to_vec_pretty(&all)?)?;
    Ok(())
}

/// Creations per second and status reads per second (with p50/p99) through
/// the service, with `suites` suites running.
async fn service(api: &str, key: &str, suites: usize, devices: usize, reads: usize, concurrency: usize) -> anyhow::Result<()> {
    use switchyard_starter::remote::Service;
    let service = Arc::new(Service::new(api, key)?);
    let gate = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let run = std::process::id();

    // Creations: each suite needs an approval nobody gives, so it plans and waits.
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..suites {
        let (service, gate) = (service.clone(), gate.clone());
        let text = format!(
            "name: svc-bench-{run}-{i}\ntargets:\n  names: [sonic-d{:03}]\nsteps:\n  - create_vlan: {{ vlan_id: {}, description: bench }}\napproval:\n  required: 1\n  timeout: 1h\n",
            i % devices + 1, 2000 + i % 1000);
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let t = Instant::now();
            let created = service.create(&text, false).await?;
            anyhow::Ok((created.suite_id, t.elapsed()))
        }));
    }
    let mut ids = Vec::new();
    let mut create_latency = Vec::new();
    for t in tasks {
        let (id, latency) = t.await??;
        ids.push(id);
        create_latency.push(latency);
    }
    let create_s = t0.elapsed().as_secs_f64();

    // Every suite planned and waiting: they are all running now.
    let deadline = Instant::now() + Duration::from_secs(600);
    for id in &ids {
        loop {
            let s = service.status(id).await?;
            if s.phase == SuitePhase::AwaitingApproval as i32 {
                break;
            }
            if !s.error.is_empty() {
                bail!("suite {id} failed: {}", s.error);
            }
            if Instant::now() > deadline {
                bail!("suite {id} did not reach awaiting approval");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // Status reads across the running suites.
    let ids = Arc::new(ids);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..reads {
        let (service, gate, ids) = (service.clone(), gate.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let t = Instant::now();
            service.status(&ids[i % ids.len()]).await?;
            anyhow::Ok(t.elapsed())
        }));
    }
    let mut read_latency = Vec::new();
    for t in tasks {
        read_latency.push(t.await??);
    }
    let read_s = t0.elapsed().as_secs_f64();

    // Leave nothing running.
    for id in ids.iter() {
        service.answer(id, switchyard_proto::v1::OperatorAction::Cancel, "benchmark done").await?;
    }
    let ms = |mut v: Vec<Duration>, p: usize| {
        v.sort();
        let rank = (p * v.len()).div_ceil(100).max(1);
        v.get(rank - 1).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!("{}", json!({
        "way": "service", "suites": suites, "concurrency": concurrency,
        "creations_per_s": suites as f64 / create_s, "create_p50_ms": ms(create_latency.clone(), 50), "create_p99_ms": ms(create_latency, 99),
        "reads": reads, "reads_per_s": reads as f64 / read_s, "read_p50_ms": ms(read_latency.clone(), 50), "read_p99_ms": ms(read_latency, 99),
    }));
    Ok(())
}
