//! Command-line surface of `switchyard`. Each variant's doc comment is its
//! `--help` text.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// switchyard: safe, durable changes to a fleet of SONiC switches.
#[derive(Debug, Parser)]
#[command(name = "switchyard", version)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Where the Temporal cluster is.
#[derive(Debug, Args)]
pub(crate) struct Global {
    #[command(flatten)]
    pub(crate) temporal: switchyard_starter::connection::TemporalArgs,
    /// Task queue the workers poll.
    #[arg(long, global = true, env = "SWITCHYARD_TASK_QUEUE", default_value = switchyard_proto::names::TASK_QUEUE)]
    pub(crate) task_queue: String,
    /// Base address of the Temporal Web UI, for links.
    #[arg(long, global = true, env = "SWITCHYARD_UI_ADDRESS", default_value = "http://127.0.0.1:8233")]
    pub(crate) ui_address: String,
    /// SSH key that signs your decisions and launches: a private key file,
    /// or a .pub file whose private key is in ssh-agent (as git's
    /// user.signingkey). Without one, decisions go unsigned, and count only
    /// where the policy allows that.
    #[arg(long, global = true, env = "SWITCHYARD_SIGNING_KEY")]
    pub(crate) signing_key: Option<PathBuf>,
    /// The organisation's policy file, to refuse a suite before it starts
    /// (the worker enforces its own copy either way).
    #[arg(long, global = true, env = "SWITCHYARD_POLICY")]
    pub(crate) policy: Option<PathBuf>,
    /// Go through a switchyard service at this URL (e.g.
    /// https://switchyard.example.net) instead of Temporal; the API key is
    /// read from SWITCHYARD_API_KEY, and is who you are.
    #[arg(long, global = true, env = "SWITCHYARD_API")]
    pub(crate) api: Option<String>,
    /// CA certificate (PEM) that signed the service's certificate, trusted
    /// besides the system's roots for `--api https://…`.
    #[arg(long, global = true, env = "SWITCHYARD_API_CA_CERT")]
    pub(crate) api_ca_cert: Option<PathBuf>,
    /// Client certificate (PEM) for a service that asks for one.
    #[arg(long, global = true, env = "SWITCHYARD_API_CLIENT_CERT", requires = "api_client_key")]
    pub(crate) api_client_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, global = true, env = "SWITCHYARD_API_CLIENT_KEY", requires = "api_client_cert")]
    pub(crate) api_client_key: Option<PathBuf>,
    /// OTLP/gRPC receiver for traces (e.g. http://127.0.0.1:4317): the
    /// CLI's calls start the trace a suite's workflows continue. Off when unset.
    #[arg(long, global = true, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub(crate) otlp_endpoint: Option<String>,
}

/// A suite file and the inventory it selects from.
#[derive(Debug, Args)]
pub(crate) struct SuiteArgs {
    /// The suite file (YAML).
    pub(crate) suite: PathBuf,
    /// Inventory file; defaults to the suite's `inventory:` entry.
    #[arg(long, env = "SWITCHYARD_INVENTORY")]
    pub(crate) inventory: Option<PathBuf>,
    /// Who requests the change, for an unsigned launch (a signed launch's
    /// requester is the key's principal).
    #[arg(long, env = "SWITCHYARD_REQUESTER")]
    pub(crate) requester: Option<String>,
    /// Suite id; defaults to `<name>-<UTC time>`.
    #[arg(long)]
    pub(crate) suite_id: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Plan every target device and print the fleet diff; write nothing.
    Plan {
        #[command(flatten)]
        suite: SuiteArgs,
        #[command(flatten)]
        output: crate::output::Output,
    },
    /// Launch a suite; print its id and Web UI link.
    Run {
        #[command(flatten)]
        suite: SuiteArgs,
        /// Wait until the suite ends, showing progress, and print the result.
        #[arg(long, alias = "wait")]
        watch: bool,
        /// With json: the started suite (id, devices, Web UI link), and with
        /// --watch its final status.
        #[command(flatten)]
        output: crate::output::Output,
    },
    /// Undo a completed suite: start the suite `<id>-revert`, planned from
    /// its receipts against today's rows (rows changed since, and objects a
    /// later suite uses, stay); it waits for approval like any suite.
    Revert {
        /// Suite id of the suite to undo.
        suite_id: String,
        /// Who requests the revert, for an unsigned launch (a signed one's
        /// requester is the key's principal).
        #[arg(long, env = "SWITCHYARD_REQUESTER")]
        requester: Option<String>,
        /// The revert's change window: its start (RFC 3339), with --window-end.
        #[arg(long, requires = "window_end")]
        window_start: Option<String>,
        /// The revert's change window: its end (RFC 3339).
        #[arg(long, requires = "window_start")]
        window_end: Option<String>,
        /// Wait until the revert ends, showing progress, and print the result.
        #[arg(long, alias = "wait")]
        watch: bool,
    },
    /// Show a suite's phase, timings, plan, devices, decisions and logs.
    #[command(visible_alias = "report")]
    Status {
        /// Suite id.
        suite_id: String,
        #[command(flatten)]
        output: crate::output::Output,
        /// List the suite's devices a page at a time instead (a status
        /// shows at most 200, those that need a look first).
        #[arg(long)]
        devices: bool,
        /// With --devices: only those in this status (e.g. failed, rolled_back).
        #[arg(long, requires = "devices", value_name = "STATUS")]
        device_status: Option<String>,
        /// With --devices: each device's planned diff too.
        #[arg(long, requires = "devices")]
        diff: bool,
        /// With --devices: devices per page (1..=500).
        #[arg(long, requires = "devices", default_value_t = 100)]
        page_size: u32,
        /// With --devices: the page the previous one's last line names.
        #[arg(long, requires = "devices", default_value = "")]
        page_token: String,
    },
    /// Follow a suite's progress until it ends (or reaches --until), then
    /// print its report.
    Watch {
        /// Suite id.
        suite_id: String,
        /// Stop waiting once the suite is in this phase, e.g. awaiting_approval.
        #[arg(long)]
        until: Option<String>,
        /// With json: no progress, only the status it stopped at.
        #[command(flatten)]
        output: crate::output::Output,
    },
    /// List suites, newest first, with when each started; plan-only runs
    /// only with --plans.
    List {
        /// Only suites in this phase (e.g. applying, rolled_back).
        #[arg(long)]
        status: Option<String>,
        /// Only suites whose name starts with this, or matches it as a glob
        /// (`vlan-*`, `*storage*`).
        #[arg(long)]
        name: Option<String>,
        /// Only suites requested by this principal.
        #[arg(long)]
        requester: Option<String>,
        /// Plan-only runs too (`switchyard plan`).
        #[arg(long)]
        plans: bool,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[command(flatten)]
        output: crate::output::Output,
    },
    /// Resume a paused suite.
    Resume(PauseAnswer),
    /// Roll back every device a paused suite changed.
    Rollback(PauseAnswer),
    /// Stop a paused suite and leave changed devices as they are.
    Abandon(PauseAnswer),
    /// Cancel a suite: in-flight devices finish, changed devices are rolled
    /// back. A decision, signed like a pause answer.
    Cancel {
        /// Suite id.
        suite_id: String,
        /// Why (recorded with the decision).
        #[arg(long, default_value = "cancelled from the CLI")]
        reason: String,
        /// Operator name, for an unsigned cancel (a signed one is the key's).
        #[arg(long, env = "SWITCHYARD_OPERATOR", default_value = "")]
        operator: String,
    },
    /// Move a running suite's change window end later.
    ExtendWindow {
        /// Suite id.
        suite_id: String,
        /// New end, RFC 3339 (e.g. 2026-11-23T03:00:00Z).
        #[arg(long)]
        end: String,
        /// Operator name, for an unsigned request.
        #[arg(long, env = "SWITCHYARD_OPERATOR", default_value = "")]
        operator: String,
        /// Comment recorded with the change.
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Change how many devices a running suite changes at once.
    SetParallelism {
        /// Suite id.
        suite_id: String,
        /// New parallelism (1..=1000).
        parallelism: u32,
        /// Operator name, for an unsigned request.
        #[arg(long, env = "SWITCHYARD_OPERATOR", default_value = "")]
        operator: String,
    },
    /// Approve a suite's plan as a reviewer.
    Approve(Review),
    /// Reject a suite's plan as a reviewer; nothing will be applied.
    Reject(Review),
    /// Print a signed signal or update body to paste into the Web UI
    /// (Signal: `approval` or `operator`; Update: `extend_window`,
    /// `set_parallelism`).
    Sign {
        /// approve, reject, resume, rollback, abandon, extend-window or set-parallelism.
        decision: String,
        /// Suite id.
        suite_id: String,
        /// The new window end (extend-window) or parallelism (set-parallelism).
        #[arg(long, default_value = "")]
        value: String,
        /// Comment signed with the decision.
        #[arg(long, default_value = "")]
        comment: String,
        /// How long the signed body stays valid (e.g. 30m, 4h; at most 7 days).
        #[arg(long, default_value = "1h")]
        valid_for: String,
    },
    /// Run the HTTP service (API keys, JSON under /v1, problem documents).
    Serve(ServeArgs),
    /// Check devices' access end to end from this machine, as the worker
    /// reaches them: address, host key, login, redis through SSH
    /// forwarding, CONFIG_DB, sudo for the commands switchyard runs. Runs
    /// `switchyard-worker doctor` (the device code and the credentials are
    /// the worker's), installed beside this program or on the PATH.
    Doctor {
        /// Devices to check (inventory names); every device when none.
        devices: Vec<String>,
        /// Inventory file with the devices and their credentials.
        #[arg(long, env = "SWITCHYARD_INVENTORY")]
        inventory: PathBuf,
        #[command(flatten)]
        output: crate::output::Output,
    },
    /// Print a shell completion script: `switchyard completions bash >
    /// /etc/bash_completion.d/switchyard` (also zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (switchyard.1 and a page per command) into a folder.
    Man {
        /// The folder (created when missing).
        dir: PathBuf,
    },
    /// Manage the service's API keys.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// What switchyard has done to one device across suites, and the rows
    /// it owns there now.
    Device {
        /// Device name (as in the inventory).
        name: String,
        /// Inventory the name is checked against when switchyard has no
        /// history of it (a typo is refused, not reported as unchanged).
        #[arg(long, env = "SWITCHYARD_INVENTORY")]
        inventory: Option<PathBuf>,
        #[command(flatten)]
        output: crate::output::Output,
    },
    /// Every event a suite sent to the worker's webhooks, and each
    /// subscription's delivery: delivered (on which attempt), retrying, or
    /// undelivered with the last failure.
    Events {
        /// Suite id.
        suite_id: String,
        #[command(flatten)]
        output: crate::output::Output,
    },
    /// Compare devices with the rows switchyard owns there (`check`), or
    /// run that check on a Temporal Schedule (`schedule`).
    Drift {
        #[command(subcommand)]
        action: DriftAction,
    },
    /// Temporal Schedules: run a suite periodically (`create`), and list,
    /// pause, unpause or delete schedules (of suites and drift checks).
    Schedule {
        #[command(subcommand)]
        action: ScheduleAction,
    },
    /// Every decision of a suite with principal, key fingerprint, channel,
    /// time and verdict; `audit verify FILE` re-checks an exported audit
    /// offline.
    Audit {
        /// Suite id, or `verify`.
        target: String,
        /// With `verify`: the exported audit (from `audit <suite> --json`).
        file: Option<PathBuf>,
        #[command(flatten)]
        output: crate::output::Output,
    },
}

/// A reviewer's verdict on a suite's plan (approve or reject).
#[derive(Debug, Args)]
pub(crate) struct Review {
    /// Suite id.
    pub(crate) suite_id: String,
    /// Reviewer name, for an unsigned decision (a signed one is the key's).
    #[arg(long, env = "SWITCHYARD_REVIEWER", default_value = "")]
    pub(crate) reviewer: String,
    /// The plan hash reviewed (shown by `status`); defaults to the current one.
    #[arg(long)]
    pub(crate) plan_hash: Option<String>,
    /// Comment recorded with the verdict.
    #[arg(long, default_value = "")]
    pub(crate) comment: String,
}

/// An operator's answer to a paused suite (resume, rollback or abandon).
#[derive(Debug, Args)]
pub(crate) struct PauseAnswer {
    /// Suite id.
    pub(crate) suite_id: String,
    /// Operator name, for an unsigned answer (a signed one is the key's).
    #[arg(long, env = "SWITCHYARD_OPERATOR", default_value = "")]
    pub(crate) operator: String,
    /// Comment recorded with the answer.
    #[arg(long, default_value = "")]
    pub(crate) comment: String,
}

/// What to do with the service's API keys.
#[derive(Debug, Subcommand)]
pub(crate) enum KeysAction {
    /// Create a key; it is printed once, the keys file keeps only its hash.
    Create {
        /// The keys file.
        #[arg(long, env = "SWITCHYARD_KEYS")]
        keys: PathBuf,
        /// The principal (a name in the policy) the key acts for; checked
        /// against the policy when one is given (--policy or SWITCHYARD_POLICY).
        #[arg(long)]
        principal: String,
        /// Comma-separated: read, write, approve, admin.
        #[arg(long, default_value = "read")]
        scopes: String,
        /// Only devices whose name matches one of these globs (comma-separated).
        #[arg(long)]
        names: Option<String>,
        /// Only devices of these sites (comma-separated).
        #[arg(long)]
        sites: Option<String>,
        /// Only devices of these roles (comma-separated).
        #[arg(long)]
        roles: Option<String>,
        /// Only devices with one of these tags (comma-separated).
        #[arg(long)]
        tags: Option<String>,
        /// Expires after this long, with its unit (30d, 12h, 90m); never when unset.
        #[arg(long)]
        expires: Option<String>,
    },
    /// List every key: principal, scopes, devices, created, expires, last
    /// used, state.
    List {
        /// The keys file.
        #[arg(long, env = "SWITCHYARD_KEYS")]
        keys: PathBuf,
        /// The service's usage file (`serve --keys-usage`); `<keys>.used` when unset.
        #[arg(long, env = "SWITCHYARD_KEYS_USAGE")]
        usage: Option<PathBuf>,
        #[command(flatten)]
        output: crate::output::Output,
    },
    /// Revoke a key (it stays in the file, refused from now on).
    Revoke {
        /// The keys file.
        #[arg(long, env = "SWITCHYARD_KEYS")]
        keys: PathBuf,
        /// The key's id (`sy_<id>` as `list` shows it).
        id: String,
    },
}

/// The devices a drift check covers: every list given must match.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct DriftSelect {
    /// Device names (globs, comma-separated); every device of the worker's
    /// inventory when no selector is given.
    pub(crate) names: Option<String>,
    /// Only devices of these roles (comma-separated).
    #[arg(long)]
    pub(crate) roles: Option<String>,
    /// Only devices of these sites (comma-separated).
    #[arg(long)]
    pub(crate) sites: Option<String>,
    /// Only devices with one of these tags (comma-separated).
    #[arg(long)]
    pub(crate) tags: Option<String>,
}

/// What a drift check does when it finds drift.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct DriftRemedy {
    /// Start a remediation suite that puts the drifted rows back; it plans,
    /// passes the policy and waits for approval like any suite.
    #[arg(long)]
    pub(crate) remediate: bool,
    /// Approvals the remediation suite needs (at least 1).
    #[arg(long, default_value_t = 1)]
    pub(crate) approvals: u32,
    /// Who asks (the remediation suite's requester).
    #[arg(long, env = "SWITCHYARD_REQUESTER")]
    pub(crate) requester: Option<String>,
}

/// Drift checks.
#[derive(Debug, Subcommand)]
pub(crate) enum DriftAction {
    /// Read the devices and report, grouped like the fleet diff, the rows
    /// switchyard owns that were changed or deleted since it wrote them.
    /// Exits 0 without drift, 5 with, 1 when a device could not be read.
    Check {
        #[command(flatten)]
        select: DriftSelect,
        #[command(flatten)]
        remedy: DriftRemedy,
        #[command(flatten)]
        output: crate::output::Output,
    },
    /// Run the drift check on a Temporal Schedule (`--every 1h` or
    /// `--cron`); or `list`, `pause`, `unpause`, `delete` drift schedules.
    Schedule(DriftSchedule),
}

/// `drift schedule`: create one, or manage them.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct DriftSchedule {
    #[command(subcommand)]
    pub(crate) manage: Option<ScheduleManage>,
    #[command(flatten)]
    pub(crate) when: When,
    /// Schedule id; runs are `<id>-<time>`. Defaults to `drift-<selector>`.
    #[arg(long)]
    pub(crate) id: Option<String>,
    #[command(flatten)]
    pub(crate) select: DriftSelect,
    #[command(flatten)]
    pub(crate) remedy: DriftRemedy,
}

/// When a schedule fires: one of the two.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct When {
    /// Interval, e.g. 1h, 15m, 30s.
    #[arg(long, conflicts_with = "cron")]
    pub(crate) every: Option<String>,
    /// Cron expression in UTC, e.g. "0 2 * * *".
    #[arg(long)]
    pub(crate) cron: Option<String>,
}

/// Schedules.
#[derive(Debug, Subcommand)]
pub(crate) enum ScheduleAction {
    /// Run a suite on a schedule: each run is its own suite (plan, policy,
    /// approval); a run still going when the next is due skips that one.
    Create {
        #[command(flatten)]
        suite: SuiteArgs,
        #[command(flatten)]
        when: When,
        /// Stop after this long (e.g. 3d); also how long the launch
        /// signature lasts, so at most 7d when signed.
        #[arg(long, default_value = "7d")]
        valid_for: String,
    },
    #[command(flatten)]
    Manage(ScheduleManage),
}

/// Managing schedules by id.
#[derive(Debug, Subcommand)]
pub(crate) enum ScheduleManage {
    /// List schedules: id, kind, when, paused, recent runs, next run.
    List {
        #[command(flatten)]
        output: crate::output::Output,
    },
    /// Pause a schedule (its runs so far go on).
    Pause {
        /// Schedule id.
        id: String,
        /// Why, recorded on the schedule.
        #[arg(long, default_value = "paused with switchyard")]
        note: String,
    },
    /// Let a paused schedule fire again.
    Unpause {
        /// Schedule id.
        id: String,
        /// Why, recorded on the schedule.
        #[arg(long, default_value = "unpaused with switchyard")]
        note: String,
    },
    /// Delete a schedule (its runs so far go on).
    Delete {
        /// Schedule id.
        id: String,
    },
}

/// The service's own settings (Temporal's come from the global options).
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// How the service logs: text (coloured only on a terminal) or json
    /// (one object per line: an access line per request, and the rest).
    #[arg(long, env = "SWITCHYARD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
    /// Address to listen on.
    #[arg(long, env = "SWITCHYARD_LISTEN", default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,
    /// The keys file (`switchyard keys create` writes it); re-read when it changes.
    #[arg(long, env = "SWITCHYARD_KEYS")]
    pub(crate) keys: PathBuf,
    /// Where each key's last use is written (to the minute); beside the
    /// keys file (`<keys>.used`) when unset. The service's only write.
    #[arg(long, env = "SWITCHYARD_KEYS_USAGE")]
    pub(crate) keys_usage: Option<PathBuf>,
    /// Inventory the suites select their devices from.
    #[arg(long, env = "SWITCHYARD_INVENTORY")]
    pub(crate) inventory: PathBuf,
    /// Service catalogue for suites that apply services.
    #[arg(long, env = "SWITCHYARD_SERVICES")]
    pub(crate) services: Option<PathBuf>,
    /// Requests per API key per minute.
    #[arg(long, default_value_t = 600)]
    pub(crate) rate_limit: u32,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    pub(crate) body_limit: usize,
    /// Change suites running at once (across every caller) before a new
    /// one is refused with 503; plan-only runs are not counted.
    #[arg(long, default_value_t = 100)]
    pub(crate) max_running: u64,
    /// Serve HTTPS with this certificate (PEM, the chain after the leaf);
    /// re-read, with the key, when either file changes.
    #[arg(long, env = "SWITCHYARD_TLS_CERT", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, env = "SWITCHYARD_TLS_KEY", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Require every client to present a certificate signed by a CA of this
    /// PEM file (mutual TLS), before and besides its API key.
    #[arg(long, env = "SWITCHYARD_TLS_CLIENT_CA", requires = "tls_cert")]
    pub(crate) tls_client_ca: Option<PathBuf>,
}

/// The service's log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// For people: `time level target: message key=value`.
    Text,
    /// One JSON object per line, for a log pipeline.
    Json,
}
