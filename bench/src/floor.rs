//! The orchestration floor: what a workflow per device costs on this
//! Temporal server with no device work at all. A parent workflow runs
//! `devices` devices, `parallelism` at a time, as child workflows of
//! `batch` devices each (1: a workflow per device, as switchyard runs
//! them); each device is `steps` local activities that return at once (2:
//! switchyard's apply and its history report), each carrying `payload_bytes`
//! into its start and a quarter of that back in its result (a device's plan
//! and result: what the suite's history holds per device). The worker runs in this
//! process, with the poller counts the benchmark gives switchyard's.
//!
//! It answers three questions the benchmark's figures raise: how close
//! switchyard's apply is to what the server allows a workflow-per-device
//! design, what a workflow per batch of devices would save, and whether
//! starting each child ahead of its slot (`ahead`: started while the one
//! before it runs, held until a signal lets it go) hides the child's start.

// The workflow macros emit marker constants for each method, and want
// the workflows' and activities' items public inside this binary.
#![allow(missing_docs, unreachable_pub)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::json;
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions, WorkflowGetResultOptions, WorkflowStartOptions};
use temporalio_macros::{activities, workflow, workflow_methods};
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use temporalio_sdk::runtime::{PollerBehavior, RuntimeOptions};
use temporalio_sdk::runtime::worker_tuner::{FixedSizeSlotSupplier, TunerHolder};
use temporalio_sdk::{Runtime, Worker, WorkerOptions};
use temporalio_workflow::{
    ChildWorkflowOptions, LocalActivityOptions, SignalWorkflowOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult,
};

/// What the parent runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FloorInput {
    shape: Shape,
    run: String,
}

/// What the floor measures: devices, how many at a time, how many per
/// workflow, local activities per device and the bytes each device's
/// workflow carries in and out (a device's plan and result).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Shape {
    pub devices: u32,
    pub parallelism: u32,
    pub batch: u32,
    pub steps: u32,
    pub payload_bytes: u32,
    /// Patches each child asks at its start: each is a marker and a
    /// `TemporalChangeVersion` search-attribute upsert in its history.
    pub patches: u32,
    /// Each lane starts its next child while the current one runs; the
    /// child waits for [`FloorBatch::go`] before its devices' steps, so no
    /// more than `parallelism` devices work at once.
    pub ahead: bool,
}

/// One child: `devices` devices at once, `steps` local activities each;
/// `payload` stands for their plans and comes back as their results.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BatchInput {
    devices: u32,
    steps: u32,
    payload: String,
    patches: u32,
    /// Wait for [`FloorBatch::go`] before the steps.
    held: bool,
}

/// What a child returns: its devices and their results' stand-in.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BatchResult {
    devices: u32,
    payload: String,
}

#[workflow]
pub struct FloorSuite {
    input: FloorInput,
}

#[workflow_methods]
impl FloorSuite {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: FloorInput) -> Self {
        Self { input }
    }

    /// `parallelism / batch` lanes, each starting its children one after
    /// the other: at most `parallelism` devices in flight.
    #[run(name = "switchyard-bench-floor")]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<u32> {
        let input = ctx.state(|s| s.input.clone());
        let shape = input.shape;
        let batch = shape.batch.max(1);
        let children = shape.devices.div_ceil(batch);
        let lanes = (shape.parallelism / batch).max(1);
        let child = |c: u32| {
            let devices = batch.min(shape.devices - c * batch);
            let options = ChildWorkflowOptions::builder().workflow_id(format!("{}-{c}", input.run)).build();
            let payload = "p".repeat((shape.payload_bytes * devices) as usize);
            (BatchInput { devices, steps: shape.steps, payload, patches: shape.patches, held: shape.ahead }, options)
        };
        let lane = |l: u32| {
            let ctx = &*ctx;
            let child = &child;
            async move {
                let mut done = 0;
                let mut slots = (l..children).step_by(lanes as usize);
                if !shape.ahead {
                    for c in slots {
                        let (input, options) = child(c);
                        if let Ok(started) = ctx.start_child_workflow(FloorBatch::run, input, options).await
                            && let Ok(r) = started.result().await
                        {
                            done += r.devices;
                        }
                    }
                    return done;
                }
                // Ahead: the lane's next child is started while the one
                // before it runs, and let go when that one ends.
                let start = |c: u32| {
                    let (input, options) = child(c);
                    ctx.start_child_workflow(FloorBatch::run, input, options)
                };
                let Some(first) = slots.next() else { return 0 };
                let mut next = start(first).await.ok();
                while let Some(current) = next.take() {
                    let go = current.signal(FloorBatch::go, (), SignalWorkflowOptions::default());
                    let result = current.result();
                    let following = async {
                        match slots.next() {
                            Some(c) => start(c).await.ok(),
                            None => None,
                        }
                    };
                    let (_, following, result) = futures::join!(go, following, result);
                    if let Ok(r) = result {
                        done += r.devices;
                    }
                    next = following;
                }
                done
            }
        };
        Ok(join_all((0..lanes).map(lane)).await.into_iter().sum())
    }
}

#[workflow]
pub struct FloorBatch {
    input: BatchInput,
    go: bool,
}

#[workflow_methods]
impl FloorBatch {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: BatchInput) -> Self {
        Self { input, go: false }
    }

    /// The parent's word that this child's slot is free.
    #[signal(name = "switchyard-bench-floor-go")]
    pub fn go(&mut self, _ctx: &mut SyncWorkflowContext<Self>, _body: ()) {
        self.go = true;
    }

    #[run(name = "switchyard-bench-floor-batch")]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<BatchResult> {
        let input = ctx.state(|s| s.input.clone());
        for p in 0..input.patches {
            ctx.patched(&format!("floor-patch-{p}"));
        }
        if input.held {
            ctx.wait_condition(|s| s.go).await?;
        }
        let ctx = &*ctx;
        let steps = input.steps;
        let device = |_| async move {
            for _ in 0..steps {
                let options = LocalActivityOptions::builder().start_to_close_timeout(Duration::from_secs(10)).build();
                let _ = ctx.execute_local_activity(NoopActivities::noop, 0u32, options).await;
            }
        };
        join_all((0..input.devices).map(device)).await;
        // A device's result is smaller than its plan; a quarter stands for it.
        let payload = input.payload[..input.payload.len() / 4].to_string();
        Ok(BatchResult { devices: input.devices, payload })
    }
}

/// Device steps that do nothing.
pub struct NoopActivities;

#[activities]
impl NoopActivities {
    #[activity(name = "switchyard-bench-noop")]
    pub async fn noop(self: Arc<Self>, _ctx: ActivityContext, n: u32) -> Result<u32, ActivityError> {
        Ok(n)
    }
}

/// Runs the floor `rounds` times on its own task queue and prints one JSON
/// line per round.
pub async fn run(temporal: &str, shape: Shape, rounds: u32) -> anyhow::Result<()> {
    let runtime = Runtime::from_current_tokio(RuntimeOptions::builder().build().map_err(anyhow::Error::msg)?)?;
    let connection = Connection::connect(ConnectionOptions::new(url::Url::parse(temporal)?).identity("switchyard-bench-floor".to_string()).build()).await?;
    let client = Client::new(connection, ClientOptions::new("default").build())?;
    let queue = format!("switchyard-bench-floor-{}", std::process::id());
    let tuner = TunerHolder::builder()
        .workflow_task_slot_supplier(FixedSizeSlotSupplier::new(400))
        .activity_task_slot_supplier(FixedSizeSlotSupplier::new(400))
        .local_activity_task_slot_supplier(FixedSizeSlotSupplier::new(400))
        .nexus_task_slot_supplier(FixedSizeSlotSupplier::new(1))
        .build();
    let options = WorkerOptions::new(queue.clone())
        .register_workflow::<FloorSuite>()?
        .register_workflow::<FloorBatch>()?
        .register_activities(NoopActivities)
        .tuner(tuner)
        .workflow_task_poller_behavior(PollerBehavior::SimpleMaximum(20))
        .activity_task_poller_behavior(PollerBehavior::SimpleMaximum(20))
        .build();
    let mut worker = Worker::new(&runtime, client.clone(), options)?;
    let shutdown = worker.shutdown_handle();
    let drive = async move {
        let out = drive(&client, &queue, shape, rounds).await;
        shutdown();
        out
    };
    let (ran, drove) = tokio::join!(worker.run(), drive);
    ran?;
    drove
}

async fn drive(client: &Client, queue: &str, shape: Shape, rounds: u32) -> anyhow::Result<()> {
    let Shape { devices, parallelism, batch, steps, payload_bytes, patches, ahead } = shape;
    for round in 1..=rounds {
        let run = format!("floor-{}-{round}-{batch}-{}", std::process::id(), if ahead { "ahead" } else { "asked" });
        let input = FloorInput { shape, run: run.clone() };
        let t0 = Instant::now();
        let handle = client.start_workflow(FloorSuite::run, input, WorkflowStartOptions::new(queue.to_string(), run).build()).await?;
        let done = handle.get_result(WorkflowGetResultOptions::default()).await?;
        let took = t0.elapsed().as_secs_f64();
        anyhow::ensure!(done == devices, "the floor ran {done} of {devices} devices");
        println!("{}", json!({
            "way": "floor", "round": round, "devices": devices, "parallelism": parallelism, "batch": batch,
            "steps": steps, "payload_bytes": payload_bytes, "patches": patches, "ahead": ahead, "apply_s": took, "per_device_ms": took * 1000.0 * f64::from(parallelism) / f64::from(devices),
        }));
    }
    Ok(())
}
