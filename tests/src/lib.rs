//! Test harness for the end-to-end tests: the Temporal dev server, the
//! worker and the device lab, as started by `tests/run.sh`.
//!
//! The harness never starts or fakes these itself: a test that needs them
//! and finds them missing fails loudly, naming what is missing and how to
//! start it. It also gives tests a side door into each lab device's redis
//! (its unix socket) to take snapshots and to play "someone else changed the
//! device", which the product never uses.

pub mod certs;
pub mod prometheus;
pub mod receiver;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use switchyard_proto::names::device_db::CONFIG_DB;
use switchyard_proto::v1::{SuitePhase, SuiteStatus};
use switchyard_workflows::SuiteWorkflow;
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions, WorkflowQueryOptions};

/// What `tests/run.sh` started, from its environment.
#[derive(Debug, Clone)]
pub struct TestEnv {
    /// Temporal frontend, e.g. http://127.0.0.1:7244.
    pub temporal: String,
    /// Lab folder (holds inventory.yaml and each device's redis socket).
    pub lab_dir: PathBuf,
    /// Folder of the built binaries (`switchyard`, `switchyard-worker`).
    pub bin_dir: PathBuf,
    /// Task queue the test worker polls.
    pub task_queue: String,
    /// The dev server's Web UI, e.g. http://127.0.0.1:8244.
    pub ui: String,
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: the end-to-end tests need the Temporal dev server, the worker and the device lab \
                that tests/run.sh starts; run `tests/run.sh` (or export {name} to point at running ones)")
    })
}

/// The lab's devices, shared by every test in the binary: changed under
/// the write lock, read under the read lock.
static LAB: RwLock<()> = RwLock::new(());

impl TestEnv {
    /// The running environment; panics with instructions if it is missing.
    pub fn get() -> Self {
        let env = Self {
            temporal: var("SWITCHYARD_TEST_TEMPORAL"),
            lab_dir: PathBuf::from(var("SWITCHYARD_TEST_LAB_DIR")),
            bin_dir: PathBuf::from(var("SWITCHYARD_TEST_BIN_DIR")),
            task_queue: var("SWITCHYARD_TEST_TASK_QUEUE"),
            ui: var("SWITCHYARD_TEST_UI"),
        };
        assert!(env.inventory().exists(), "no lab inventory at {}: is the lab up?", env.inventory().display());
        assert!(env.bin("switchyard").exists(), "no switchyard binary in {}", env.bin_dir.display());
        env
    }

    /// Serialises tests that change lab devices, and resets every device to
    /// the lab's seed.
    pub fn lock_lab(&self) -> LabGuard {
        let guard = LAB.write().unwrap_or_else(|p| p.into_inner());
        let n = self.device_count();
        let status = Command::new(self.lab_script()).arg("reseed").args((1..=n).map(|i| i.to_string()))
            .env("LAB_DIR", &self.lab_dir).status().expect("run lab.sh reseed");
        assert!(status.success(), "lab.sh reseed failed");
        LabGuard(guard)
    }

    /// Lets a test read lab devices while no test changes them (and no
    /// reseed runs); many readers at once.
    pub fn read_lab(&self) -> LabReadGuard {
        LabReadGuard(LAB.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The lab's inventory file.
    pub fn inventory(&self) -> PathBuf {
        self.lab_dir.join("inventory.yaml")
    }

    /// Path of a built binary.
    pub fn bin(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    fn lab_script(&self) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../lab/lab.sh")
    }

    /// Number of lab devices.
    pub fn device_count(&self) -> usize {
        std::fs::read_dir(self.lab_dir.join("dev")).map(|d| d.count()).unwrap_or(0)
    }

    /// Lab device `i`'s management address, as lab/lab.sh gives it (the
    /// tests' lab is 198.19).
    pub fn device_address(i: usize) -> String {
        format!("198.19.{}.{}", 1 + (i - 1) / 250, 1 + (i - 1) % 250)
    }

    /// Lab device name of index `i` (1-based).
    pub fn device_name(i: usize) -> String {
        format!("sonic-d{i:03}")
    }

    /// A Temporal client.
    pub async fn client(&self) -> anyhow::Result<Client> {
        let connection = Connection::connect(ConnectionOptions::new(url::Url::parse(&self.temporal)?).identity("switchyard-tests".to_string()).build()).await?;
        Ok(Client::new(connection, ClientOptions::new("default").build())?)
    }

    /// What the Web UI shows as a workflow's current details: the answer
    /// to the SDK's `__temporal_workflow_metadata` query, as the UI asks it.
    pub async fn current_details(&self, workflow_id: &str) -> String {
        use temporalio_client::grpc::WorkflowService;
        use temporalio_common::protos::temporal::api::common::v1::WorkflowExecution;
        use temporalio_common::protos::temporal::api::query::v1::WorkflowQuery;
        use temporalio_common::protos::temporal::api::workflowservice::v1::QueryWorkflowRequest;
        use tonic::IntoRequest;

        let mut client = self.client().await.expect("connect to Temporal");
        let req = QueryWorkflowRequest {
            namespace: "default".into(),
            execution: Some(WorkflowExecution { workflow_id: workflow_id.into(), run_id: String::new() }),
            query: Some(WorkflowQuery { query_type: "__temporal_workflow_metadata".into(), ..Default::default() }),
            ..Default::default()
        };
        let answer = WorkflowService::query_workflow(&mut client, req.into_request()).await.expect("query the workflow's metadata").into_inner();
        let payload = answer.query_result.and_then(|r| r.payloads.into_iter().next()).expect("a metadata answer");
        let json: serde_json::Value = serde_json::from_slice(&payload.data).expect("metadata as JSON");
        json["currentDetails"].as_str().unwrap_or_default().to_string()
    }

    /// Runs the `switchyard` CLI against the test cluster.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        self.cli_on(&self.task_queue, args)
    }

    /// Runs the `switchyard` CLI for suites on another task queue.
    pub fn cli_on(&self, task_queue: &str, args: &[&str]) -> std::process::Output {
        Command::new(self.bin("switchyard"))
            .args(args)
            .env("SWITCHYARD_TEMPORAL_ADDRESS", &self.temporal)
            .env("SWITCHYARD_TASK_QUEUE", task_queue)
            .env("SWITCHYARD_INVENTORY", self.inventory())
            .output()
            .expect("run switchyard")
    }

    /// Runs the CLI against `task_queue` and fails the test unless it
    /// exits 0; its stdout.
    pub fn cli_ok(&self, task_queue: &str, args: &[&str]) -> String {
        let out = self.cli_on(task_queue, args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.status.code(), Some(0), "switchyard {args:?}\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        stdout
    }

    /// Redis of lab device `i`, through the lab's side door.
    pub fn device_redis(&self, i: usize) -> redis::Connection {
        let sock = self.lab_dir.join(format!("dev/{i}/redis.sock"));
        let client = redis::Client::open(format!("unix://{}?db={CONFIG_DB}", sock.display())).expect("redis url");
        client.get_connection().unwrap_or_else(|e| panic!("device {i} redis at {}: {e}", sock.display()))
    }

    /// Every CONFIG_DB key of device `i` with its DUMP bytes: equal maps mean
    /// byte-for-byte equal databases.
    pub fn dump_config_db(&self, i: usize) -> BTreeMap<String, Vec<u8>> {
        let mut conn = self.device_redis(i);
        let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut conn).expect("KEYS");
        keys.into_iter().map(|k| {
            let bytes: Vec<u8> = redis::cmd("DUMP").arg(&k).query(&mut conn).expect("DUMP");
            (k, bytes)
        }).collect()
    }

    /// Every CONFIG_DB hash row of device `i`.
    pub fn rows(&self, i: usize) -> BTreeMap<String, BTreeMap<String, String>> {
        let mut conn = self.device_redis(i);
        let keys: Vec<String> = redis::cmd("KEYS").arg("*|*").query(&mut conn).expect("KEYS");
        keys.into_iter().map(|k| {
            let row: BTreeMap<String, String> = redis::cmd("HGETALL").arg(&k).query(&mut conn).expect("HGETALL");
            (k, row)
        }).collect()
    }

    /// Starts a worker process of its own on `task_queue`, for tests that
    /// kill it. Returns once it polls.
    pub fn spawn_worker(&self, task_queue: &str) -> WorkerProcess {
        self.spawn_worker_with(task_queue, &self.inventory(), &[])
    }

    /// The scrape port (`/metrics`, `/livez`, `/readyz`) of a worker started
    /// by [`TestEnv::spawn_worker_with`], as its log announces it.
    pub fn scrape_address(&self, task_queue: &str) -> String {
        let log = std::fs::read_to_string(self.worker_log(task_queue)).expect("worker log");
        let line = log.lines().rev().find(|l| l.contains("Serving /metrics")).expect("the worker announces its scrape port");
        let address = line.split("address=").nth(1).expect("address= in the announcement");
        address.split_whitespace().next().unwrap_or_default().to_string()
    }

    /// The worker log file of a worker started by [`TestEnv::spawn_worker_with`].
    pub fn worker_log(&self, task_queue: &str) -> PathBuf {
        std::env::temp_dir().join(format!("switchyard-worker-{task_queue}-{}.log", std::process::id()))
    }

    /// The same environment with another Temporal frontend, e.g. a
    /// [`DevServer`] of a test's own.
    pub fn on_server(&self, temporal: &str) -> Self {
        Self { temporal: temporal.to_string(), ..self.clone() }
    }

    /// The lab's policy for tests that decide by typed name.
    pub fn unsigned_policy(&self) -> PathBuf {
        self.lab_dir.join("policy-unsigned.yaml")
    }

    /// A lab person's SSH private key (alice, bob or carol).
    pub fn person_key(&self, name: &str) -> PathBuf {
        self.lab_dir.join("people").join(name)
    }

    /// A lab person's public key line.
    pub fn person_public_key(&self, name: &str) -> String {
        let path = self.lab_dir.join("people").join(format!("{name}.pub"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}: is the lab up?", path.display()));
        text.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
    }

    /// Starts a worker on `task_queue` with its own inventory and environment.
    pub fn spawn_worker_with(&self, task_queue: &str, inventory: &Path, env: &[(&str, &str)]) -> WorkerProcess {
        self.spawn_worker_under(task_queue, inventory, &self.unsigned_policy(), env)
    }

    /// Starts a worker on `task_queue` with its own inventory, policy and environment.
    pub fn spawn_worker_under(&self, task_queue: &str, inventory: &Path, policy: &Path, env: &[(&str, &str)]) -> WorkerProcess {
        let log = self.worker_log(task_queue);
        // Workers on one queue share its log: wait for this one's start line.
        let running = || std::fs::read_to_string(&log).map_or(0, |t| t.matches("Worker running").count());
        let started_before = running();
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&log).expect("worker log");
        let child = Command::new(self.bin("switchyard-worker"))
            .args(["--temporal-address", &self.temporal, "--task-queue", task_queue, "--sticky-timeout-secs", "1"])
            .arg("--inventory").arg(inventory)
            .arg("--policy").arg(policy)
            // A free port each: tests run several workers side by side.
            .args(["--metrics-address", "127.0.0.1:0"])
            .args(["--log", "debug"])
            .envs(env.iter().copied())
            .stdout(file.try_clone().expect("log")).stderr(file)
            .spawn()
            .expect("start switchyard-worker");
        // Owned from here, so a worker that never comes up is still killed
        // and reaped when this panics.
        let worker = WorkerProcess(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if running() > started_before {
                return worker;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("worker on {task_queue} did not start; see {}", log.display());
    }

    /// Redis `INFO commandstats` calls of `command` on device `i`: every
    /// command a device's redis ran, scripts' included.
    pub fn command_calls(&self, i: usize, command: &str) -> u64 {
        let mut conn = self.device_redis(i);
        let info: String = redis::cmd("INFO").arg("commandstats").query(&mut conn).expect("INFO");
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("cmdstat_{command}:calls=")))
            .and_then(|rest| rest.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    /// HSET calls each device's redis has run so far (device 1 first): the
    /// difference across a suite counts every row and record it wrote.
    pub fn hsets(&self) -> Vec<u64> {
        (1..=self.device_count()).map(|i| self.command_calls(i, "hset")).collect()
    }

    /// Device `i`'s startup configuration (its etc/sonic/config_db.json, as
    /// `config save` wrote it) read back into CONFIG_DB rows: lists become
    /// `name@` fields again and an empty row its `NULL` placeholder, so it
    /// compares with [`TestEnv::rows`].
    pub fn saved_config(&self, i: usize) -> Rows {
        let path = self.lab_dir.join(format!("dev/{i}/etc/sonic/config_db.json"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut rows = Rows::new();
        for (table, entries) in json.as_object().expect("tables") {
            for (key, fields) in entries.as_object().expect("rows") {
                let mut row: BTreeMap<String, String> = fields.as_object().expect("fields").iter().map(|(name, value)| match value {
                    serde_json::Value::Array(items) => {
                        let items: Vec<&str> = items.iter().map(|v| v.as_str().expect("list item")).collect();
                        (format!("{name}@"), items.join(","))
                    }
                    other => (name.clone(), other.as_str().expect("field value").to_string()),
                }).collect();
                if row.is_empty() {
                    row.insert("NULL".into(), "NULL".into());
                }
                rows.insert(format!("{table}|{key}"), row);
            }
        }
        rows
    }

    /// Reboots device `i` (`lab.sh reboot`): its CONFIG_DB becomes what its
    /// saved config_db.json holds, and its transient timers are gone.
    pub fn reboot(&self, i: usize) {
        let status = Command::new(self.lab_script()).args(["reboot", &i.to_string()])
            .env("LAB_DIR", &self.lab_dir).status().expect("run lab.sh reboot");
        assert!(status.success(), "lab.sh reboot {i} failed");
    }

    /// What `systemctl` was asked about service `name` on device `i`, one
    /// verb per call in order (the lab records each: lab/systemd.py).
    pub fn service_calls(&self, i: usize, name: &str) -> Vec<String> {
        let path = self.lab_dir.join("dev").join(i.to_string()).join("run").join(format!("{name}.service.log"));
        std::fs::read_to_string(path).map(|t| t.lines().map(str::to_string).collect()).unwrap_or_default()
    }

    /// Writes one row on device `i`, as an operator would by hand.
    pub fn hset(&self, i: usize, key: &str, fields: &[(&str, &str)]) {
        let mut conn = self.device_redis(i);
        let mut cmd = redis::cmd("HSET");
        cmd.arg(key);
        for (f, v) in fields {
            cmd.arg(*f).arg(*v);
        }
        let _: i64 = cmd.query(&mut conn).expect("HSET");
    }
}

/// The lab, held by one test until dropped. It is held across awaits on
/// purpose: each test runs on its own thread with its own runtime, so the
/// lock only orders whole tests and cannot stall a runtime's other tasks.
pub struct LabGuard(#[allow(dead_code)] RwLockWriteGuard<'static, ()>);

/// Held while a test reads lab devices.
pub struct LabReadGuard(#[allow(dead_code)] RwLockReadGuard<'static, ()>);

/// Every CONFIG_DB row of a device.
pub type Rows = BTreeMap<String, BTreeMap<String, String>>;

/// What each lab device may look like when a suite has ended: its state
/// before the suite, and the after-state its plan describes.
#[derive(Debug, Clone)]
pub struct Expected {
    /// Per device (index 0 is device 1): rows before the suite.
    pub before: Vec<Rows>,
    /// Per device: rows once every planned step is applied.
    pub after: Vec<Rows>,
}

impl TestEnv {
    /// Snapshots every device now and plans suite `steps` (YAML, as in a
    /// suite's `steps:`) on it, through the side door: the result is what a
    /// suite planned now would leave on each device (a device the steps
    /// cannot be planned on keeps its before-state as its only state).
    pub async fn expect(&self, steps: &str) -> Expected {
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for i in 1..=self.device_count() {
            let rows = self.rows(i);
            let target = device::target(self, i, steps);
            let sock = self.lab_dir.join(format!("dev/{i}/redis.sock"));
            let client = redis::Client::open(format!("unix://{}?db={CONFIG_DB}", sock.display())).expect("redis url");
            let mut conn = client.get_multiplexed_async_connection().await.expect("device redis");
            // A device the steps cannot be planned on has no after-state:
            // it may only stay as it is.
            let plan = switchyard_activities::procedures::plan(&mut conn, &target).await.expect("plan through the side door");
            let mut planned = rows.clone();
            for change in plan.steps.iter().flat_map(|s| s.changes.iter().flat_map(|c| &c.changes)) {
                if change.action == switchyard_proto::v1::ChangeAction::Delete as i32 {
                    planned.remove(&change.key);
                } else {
                    planned.insert(change.key.clone(), change.after.clone());
                }
            }
            before.push(rows);
            after.push(planned);
        }
        Expected { before, after }
    }

    /// The invariant every suite keeps, whatever failed: each device is
    /// exactly in its planned after-state, or exactly in its before-state, or
    /// the compensation log says why it is neither. A device that succeeded
    /// is in its after-state; one failed or rolled back is in its
    /// before-state unless the log flags it (left in place, or unknown).
    pub fn check_invariant(&self, status: &SuiteStatus, expected: &Expected) -> Result<(), String> {
        use switchyard_proto::v1::{CompensationAction, DeviceStatus};
        let flagged = [CompensationAction::LeftInPlace as i32, CompensationAction::Unknown as i32];
        let mut broken = Vec::new();
        for d in &status.devices {
            let Some(i) = d.device.strip_prefix("sonic-d").and_then(|n| n.parse::<usize>().ok()) else {
                broken.push(format!("{}: not a lab device", d.device));
                continue;
            };
            let live = self.rows(i);
            let state = if live == expected.before[i - 1] {
                "before"
            } else if live == expected.after[i - 1] {
                "after"
            } else {
                "neither"
            };
            let why: Vec<&str> = status.compensation_log.iter()
                .filter(|e| e.device == d.device && flagged.contains(&e.action))
                .map(|e| e.reason.as_str())
                .collect();
            let device_status = DeviceStatus::try_from(d.status).unwrap_or(DeviceStatus::Unspecified);
            let ok = match (device_status, state) {
                (DeviceStatus::Succeeded, s) => s == "after",
                (DeviceStatus::Failed | DeviceStatus::RolledBack, s) => s == "before" || !why.is_empty(),
                (_, s) => s == "before",
            };
            if !ok {
                broken.push(format!("{} ({device_status:?}) is in state {state}; flagged reasons: {why:?}", d.device));
            }
        }
        if broken.is_empty() { Ok(()) } else { Err(broken.join("\n")) }
    }
}

/// A Temporal dev server of a test's own, keeping its state in a database
/// file so that it can be killed and started again; killed when dropped.
pub struct DevServer {
    child: Option<std::process::Child>,
    port: u16,
    ui_port: u16,
    db: PathBuf,
    log: PathBuf,
}

impl DevServer {
    /// Starts a dev server on 127.0.0.1:`port` with database file `db`,
    /// registering switchyard's search attributes, and waits until it serves.
    pub fn start(port: u16, ui_port: u16, db: &Path) -> Self {
        let log = db.with_extension("log");
        let mut server = Self { child: None, port, ui_port, db: db.to_path_buf(), log };
        server.restart();
        server
    }

    /// Its frontend address.
    pub fn address(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGKILL, as a crash would: no shutdown, only what the database file holds survives.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same database file (after [`DevServer::kill`]).
    pub fn restart(&mut self) {
        let cli = var("TEMPORAL_CLI");
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("server log");
        let child = Command::new(&cli)
            .args(["server", "start-dev", "--ip", "127.0.0.1", "--port", &self.port.to_string(), "--ui-port", &self.ui_port.to_string()])
            .arg("--db-filename").arg(&self.db)
            .args(["--log-level", "warn", "--ui-disable-news-fetch"])
            .args(switchyard_proto::names::SEARCH_ATTRIBUTES.iter().flat_map(|(name, kind)| ["--search-attribute".to_string(), format!("{name}={kind}")]))
            .stdout(file.try_clone().expect("log")).stderr(file)
            .spawn()
            .expect("start the Temporal dev server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let ready = Command::new(&cli)
                .args(["operator", "namespace", "describe", "default", "--address", &format!("127.0.0.1:{}", self.port)])
                .output()
                .is_ok_and(|o| o.status.success());
            if ready {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("Temporal dev server on :{} not ready within 60 s; see {}", self.port, self.log.display());
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A device's redis stopped with SIGSTOP until dropped (also when a test
/// fails half-way, so no later test finds it frozen): commands sent to it
/// wait, unanswered, as on a hung switch.
pub struct FrozenRedis(String);

impl FrozenRedis {
    /// Freezes lab device `i`'s redis.
    pub fn new(env: &TestEnv, i: usize) -> Self {
        let pid = std::fs::read_to_string(env.lab_dir.join(format!("dev/{i}/redis.pid"))).expect("redis.pid").trim().to_string();
        assert!(Command::new("kill").args(["-STOP", &pid]).status().expect("kill").success());
        Self(pid)
    }
}

impl Drop for FrozenRedis {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-CONT", &self.0]).status();
    }
}

/// A lab fault on one device (`lab.sh fault`), healed when dropped, also
/// when a test fails half-way, so no later test finds the device broken.
pub struct Fault {
    env: TestEnv,
    device: usize,
}

impl Fault {
    /// Breaks lab device `device` with `kind` (link-down, freeze-sshd,
    /// stop-redis, rekey, revoke).
    pub fn inject(env: &TestEnv, device: usize, kind: &str) -> Self {
        let status = Command::new(env.lab_script()).args(["fault", &device.to_string(), kind])
            .env("LAB_DIR", &env.lab_dir).status().expect("run lab.sh fault");
        assert!(status.success(), "lab.sh fault {device} {kind} failed");
        Self { env: env.clone(), device }
    }
}

impl Drop for Fault {
    fn drop(&mut self) {
        let _ = Command::new(self.env.lab_script()).args(["heal", &self.device.to_string()])
            .env("LAB_DIR", &self.env.lab_dir).status();
    }
}

/// A worker process started by a test; killed (SIGKILL) when dropped, so a
/// failing test leaves none behind.
pub struct WorkerProcess(std::process::Child);

impl WorkerProcess {
    /// SIGKILL, as a crash would, and reap it.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A device's history from `switchyard device NAME -o json`, read into
/// the protocol's type as any script may (enums by their words).
pub fn device_history_from_cli(json: &[u8]) -> Result<switchyard_proto::v1::DeviceHistory, String> {
    serde_json::from_slice(json).map_err(|e| e.to_string())
}

/// The suite's phase.
pub fn phase(s: &SuiteStatus) -> SuitePhase {
    SuitePhase::try_from(s.phase).unwrap_or(SuitePhase::Unspecified)
}

/// True once the suite is in a final phase.
pub fn ended(s: &SuiteStatus) -> bool {
    switchyard_proto::vocabulary::is_final(phase(s))
}

/// Queries a suite's status until `done` holds, without sleeping blindly:
/// each query is answered by the workflow's current state.
pub async fn wait_for(client: &Client, suite_id: &str, what: &str, timeout: Duration, done: impl Fn(&SuiteStatus) -> bool) -> anyhow::Result<SuiteStatus> {
    let handle = client.get_workflow_handle::<SuiteWorkflow>(suite_id.to_string());
    let deadline = Instant::now() + timeout;
    let mut last = None;
    while Instant::now() < deadline {
        match handle.query(SuiteWorkflow::status, (), WorkflowQueryOptions::default()).await {
            Ok(status) if done(&status) => return Ok(status),
            Ok(status) => last = Some(status),
            Err(e) => last.get_or_insert_with(|| SuiteStatus { error: e.to_string(), ..Default::default() }).error = e.to_string(),
        }
        // The query itself is the wait: a short pause between queries keeps
        // the poll from spinning, it does not stand in for the state.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("suite {suite_id}: not {what} within {timeout:?}; last status: {last:?}")
}

/// Reads the suite id the CLI printed ("suite <id> started ...").
pub fn started_suite_id(stdout: &str) -> anyhow::Result<String> {
    stdout.lines().find_map(|l| l.strip_prefix("suite ").and_then(|r| r.split_whitespace().next()).map(str::to_string))
        .context("the CLI did not print a suite id")
}

/// The steps of [`vlan_suite`].
pub const VLAN_STEPS: &str = "  - create_vlan: { vlan_id: 100, description: tenant-a }\n  - add_vlan_member: { vlan_id: 100, port: \"{{ device.vars.uplink }}\", tagging_mode: untagged }\n";

/// Writes a suite file for the lab: VLAN 100 with each device's uplink as
/// access member, plus `extra` top-level YAML (rollout, approval, window).
pub fn vlan_suite(name: &str, extra: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("switchyard-suites-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("suite dir");
    let path = dir.join(format!("{name}.yaml"));
    let text = format!("name: {name}\ntargets:\n  tags: [lab]\nsteps:\n{VLAN_STEPS}{extra}");
    std::fs::write(&path, text).expect("write suite");
    path
}

/// RFC 3339 time `secs` from now, by the test's clock.
pub fn rfc3339_in(secs: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    switchyard_proto::time::format_rfc3339(now + secs)
}

/// Saves a workflow's history (protobuf binary) into `tests/histories/` for
/// the replay test, when `SWITCHYARD_RECORD_HISTORIES` is set.
pub async fn record_history(env: &TestEnv, workflow_id: &str, file: &str) {
    if std::env::var("SWITCHYARD_RECORD_HISTORIES").is_err() {
        return;
    }
    let client = env.client().await.expect("client");
    let handle = client.get_workflow_handle::<SuiteWorkflow>(workflow_id.to_string());
    let events = handle.fetch_history(Default::default()).into_events().await.expect("history");
    let history = temporalio_protos::temporal::api::history::v1::History { events };
    let path = format!("{}/histories/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::write(&path, prost::Message::encode_to_vec(&history)).expect("write history");
    eprintln!("recorded {path}");
}

/// Device-level helpers: plan, apply and reverse steps through the real SSH
/// path, without a workflow, to test operations on a lab device.
pub mod device {
    use std::sync::Arc;

    use switchyard_activities::device::redis::ApplyOutcome;
    use switchyard_activities::procedures::{self, ReverseOutcome};
    use switchyard_activities::{Sessions, SessionConfig};
    use switchyard_proto::inventory::Inventory;
    use switchyard_proto::services::Catalogue;
    use switchyard_proto::suite_file::SuiteFile;
    use switchyard_proto::v1::{CompensationEntry, DevicePlan, DeviceTarget};

    use super::TestEnv;

    /// Sessions over the lab's inventory.
    pub fn sessions(env: &TestEnv) -> Sessions {
        Sessions::new(Arc::new(Inventory::load(&env.inventory()).unwrap()), SessionConfig::standard())
    }

    /// Resolves suite `steps` (YAML) for lab device `i`, with the lab's service catalogue.
    pub fn target(env: &TestEnv, i: usize, steps: &str) -> DeviceTarget {
        let catalogue = Catalogue::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../lab/services.yaml"))).unwrap();
        let text = format!("name: t\ntargets: {{ names: [{}] }}\nsteps:\n{steps}", TestEnv::device_name(i));
        let suite = SuiteFile::parse_with("test.yaml", &text, Some(catalogue)).unwrap_or_else(|e| panic!("{e}"));
        let inventory = Inventory::load(&env.inventory()).unwrap();
        suite.resolve(&inventory).unwrap_or_else(|e| panic!("{e}")).devices.remove(0)
    }

    /// Plans a target from a fresh snapshot; panics on a refusal.
    pub async fn plan(s: &Sessions, target: &DeviceTarget) -> DevicePlan {
        try_plan(s, target).await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// Plans a target as the worker does for a device it logs in to with a
    /// password (`by_password`) or a key, as user `admin`.
    pub async fn try_plan_as(s: &Sessions, target: &DeviceTarget, by_password: bool) -> Result<DevicePlan, String> {
        let mut conn = s.redis(&target.device).await.unwrap();
        let login = switchyard_activities::ops::Login { user: "admin".into(), by_password };
        let plan = procedures::plan_as(&mut conn, target, login).await.unwrap();
        if plan.error.is_empty() { Ok(plan) } else { Err(plan.error) }
    }

    /// Plans a target from a fresh snapshot, as the worker does.
    pub async fn try_plan(s: &Sessions, target: &DeviceTarget) -> Result<DevicePlan, String> {
        let mut conn = s.redis(&target.device).await.unwrap();
        let plan = procedures::plan(&mut conn, target).await.unwrap();
        if plan.error.is_empty() { Ok(plan) } else { Err(plan.error) }
    }

    /// Applies every step of a plan, as the worker does; each must apply.
    pub async fn apply(s: &Sessions, suite: &str, plan: &DevicePlan) {
        let mut conn = s.redis(&plan.device).await.unwrap();
        for step in &plan.steps {
            let out = procedures::apply_step(&mut conn, suite, step).await.unwrap();
            assert_eq!(out, ApplyOutcome::Applied, "{} step {}", plan.device, procedures::step_id(step));
        }
    }

    /// Runs the reverse of every step of a plan, last step first, as the
    /// worker does; returns the log.
    pub async fn reverse(s: &Sessions, suite: &str, plan: &DevicePlan) -> Vec<CompensationEntry> {
        let mut conn = s.redis(&plan.device).await.unwrap();
        let mut log = Vec::new();
        for step in plan.steps.iter().rev() {
            match procedures::reverse_step(&mut conn, suite, &plan.device, step, false).await.unwrap() {
                ReverseOutcome::Reversed { entries, already: false } => log.extend(entries),
                other => panic!("{} step {}: {other:?}", plan.device, procedures::step_id(step)),
            }
        }
        log
    }
}

/// One HTTP/1.0 GET (the server closes after the body, never chunks):
/// status code and body.
pub fn http_get(address: &str, path: &str) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n")?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw)?;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw.as_str(), ""));
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    Ok((status, body.to_string()))
}

/// An HTTP response: status, headers (names lower-cased) and body.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header lines, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl HttpResponse {
    /// A header's value, if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics with the body when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }
}

/// One HTTP/1.0 request over a fresh TCP connection (the server closes it
/// after the response, so the body ends there).
pub fn http(address: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> std::io::Result<HttpResponse> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: {address}\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw.as_str(), ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|c| c.parse().ok()).unwrap_or(0);
    let headers = lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_string())).collect();
    Ok(HttpResponse { status, headers, body: body.to_string() })
}

/// `text` percent-encoded for a URL query value.
pub fn url_encode(text: &str) -> String {
    text.bytes().map(|b| match b {
        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
        _ => format!("%{b:02X}"),
    }).collect()
}

/// Writes suite `name` of test area `area` for lab devices `devices`:
/// `body` follows its targets.
pub fn suite_on(area: &str, name: &str, devices: &[usize], body: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("switchyard-{area}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("suite dir");
    let names: Vec<String> = devices.iter().map(|i| TestEnv::device_name(*i)).collect();
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, format!("name: {name}\ntargets:\n  names: [{}]\n{body}", names.join(", "))).expect("write suite");
    path
}

/// Runs a suite file to its end through the CLI (three minutes at most).
pub async fn run_to_end(env: &TestEnv, path: &Path) -> SuiteStatus {
    let out = env.cli(&["run", path.to_str().unwrap(), "--requester", "alice"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stdout:\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr));
    let suite_id = started_suite_id(&stdout).unwrap();
    let client = env.client().await.unwrap();
    wait_for(&client, &suite_id, "ended", Duration::from_secs(180), ended).await.unwrap()
}

/// Lab device `i`'s result in `status`.
pub fn device_result(status: &SuiteStatus, i: usize) -> &switchyard_proto::v1::DeviceResult {
    let name = TestEnv::device_name(i);
    status.devices.iter().find(|d| d.device == name).unwrap_or_else(|| panic!("{name} not in {status:#?}"))
}
