//! Every Temporal call an operator makes on a suite: connect, start (with
//! the search attributes the Web UI and `list` filter on), query, wait for
//! the result, signal a reviewer's or an operator's decision, the two
//! validated updates, cancel, list, and the Web UI link.
//!
//! It speaks only the contracts in `switchyard_proto` and the suite
//! workflow's typed handle; it never prints, never reads suite files, and
//! never links device or credential code.

use std::collections::BTreeMap;

use switchyard_proto::names;
use switchyard_proto::v1::{DevicePage, DevicePageRequest, ApprovalSignal, Delivery, DeviceHistory, DeviceHistoryEntry, DriftInput, DriftReport, EmittedEvent, ExtendWindow, OperatorSignal,
    SetParallelism, SuiteInput, SuiteStatus,
};
use switchyard_proto::vocabulary::{is_final, phase_from_name};
use switchyard_workflows::{outcome, DeviceHistoryWorkflow, DriftWorkflow, EventWorkflow, SuiteWorkflow};
use crate::connection::Resolved;
use crate::traces::Traces;
use temporalio_client::errors::{
    ClientConnectError, ClientNewError, WorkflowGetResultError, WorkflowInteractionError, WorkflowQueryError,
    WorkflowStartError, WorkflowUpdateError,
};
use temporalio_client::{
    ClientOptions, Connection, ConnectionOptions, WorkflowExecuteUpdateOptions,
    WorkflowGetResultOptions, WorkflowHandle, WorkflowQueryOptions, WorkflowSignalOptions,
    WorkflowExecutionStatus, WorkflowIdReusePolicy, WorkflowStartOptions,
};
use temporalio_common::search_attributes::{SearchAttributeKey, SearchAttributes};

/// The Temporal client the functions below take, re-exported so callers
/// need no Temporal crate of their own.
pub use temporalio_client::Client;

/// What went wrong talking to Temporal. Each variant names the suite it was
/// about; the SDK's error is the source, so the whole chain can be shown.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The connection settings cannot be used (a file, the address).
    #[error(transparent)]
    Settings(#[from] crate::connection::SettingsError),
    /// The frontend did not answer, or refused the connection.
    #[error("cannot reach Temporal at {address}{why}")]
    Connect {
        /// The address dialled.
        address: String,
        /// Why, in an operator's words, naming the setting to look at
        /// (`: …`), when more is known than the SDK's reason says.
        why: String,
        /// The SDK's reason.
        #[source]
        source: ClientConnectError,
    },
    /// The client could not be built on the connection.
    #[error("cannot open namespace {namespace}")]
    Namespace {
        /// The namespace asked for.
        namespace: String,
        /// The SDK's reason.
        #[source]
        source: ClientNewError,
    },
    /// Temporal refused to start the suite workflow.
    #[error("cannot start suite {suite_id}")]
    Start {
        /// The suite (workflow) id.
        suite_id: String,
        /// The SDK's reason.
        #[source]
        source: WorkflowStartError,
    },
    /// The status query failed; `why` says what is known of the cause.
    #[error("cannot query suite {suite_id}: {why}")]
    Query {
        /// The suite id.
        suite_id: String,
        /// The cause in an operator's words.
        why: String,
        /// The SDK's reason.
        #[source]
        source: WorkflowQueryError,
    },
    /// The suite's result could not be read.
    #[error("cannot read the result of suite {suite_id}")]
    Result {
        /// The suite id.
        suite_id: String,
        /// The SDK's reason.
        #[source]
        source: WorkflowGetResultError,
    },
    /// A signal (approval or operator decision) was not delivered.
    #[error("cannot signal suite {suite_id}")]
    Signal {
        /// The suite id.
        suite_id: String,
        /// The SDK's reason.
        #[source]
        source: WorkflowInteractionError,
    },
    /// The suite's validator refused a new window end (or the update failed).
    #[error("suite {suite_id} refused the extension")]
    ExtendWindow {
        /// The suite id.
        suite_id: String,
        /// The SDK's reason, carrying the validator's message.
        #[source]
        source: WorkflowUpdateError,
    },
    /// The suite's validator refused a new parallelism (or the update failed).
    #[error("suite {suite_id} refused the change")]
    SetParallelism {
        /// The suite id.
        suite_id: String,
        /// The SDK's reason, carrying the validator's message.
        #[source]
        source: WorkflowUpdateError,
    },
    /// A device history's journal could not be read.
    #[error("cannot read the history workflow {workflow_id}")]
    History {
        /// The history's workflow id.
        workflow_id: String,
        /// The SDK's reason.
        #[source]
        source: WorkflowInteractionError,
    },
    /// The device runs a device history's records name could not be read.
    #[error("cannot vouch for the records in the history of {device}: {why}")]
    Vouch {
        /// The device.
        device: String,
        /// What Temporal said.
        why: String,
    },
    /// An event workflow could not be described.
    #[error("cannot read the events of suite {suite_id}")]
    Events {
        /// The suite id.
        suite_id: String,
        /// The SDK's reason.
        #[source]
        source: WorkflowInteractionError,
    },
    /// An event workflow's result could not be read.
    #[error("cannot read an event delivery of suite {suite_id}")]
    EventResult {
        /// The suite id.
        suite_id: String,
        /// The SDK's reason.
        #[source]
        source: WorkflowGetResultError,
    },
    /// Temporal took neither the signal nor the start of a device's history.
    #[error("cannot report to the history of {device}")]
    RecordRun {
        /// The device.
        device: String,
        /// The SDK's reason.
        #[source]
        source: WorkflowStartError,
    },
    /// Temporal refused to start the drift check.
    #[error("cannot start drift check {check_id}")]
    StartDrift {
        /// The check's workflow id.
        check_id: String,
        /// The SDK's reason.
        #[source]
        source: WorkflowStartError,
    },
    /// The drift check's report could not be read.
    #[error("cannot read the report of drift check {check_id}")]
    DriftResult {
        /// The check's workflow id.
        check_id: String,
        /// The SDK's reason.
        #[source]
        source: WorkflowGetResultError,
    },
    /// The visibility store refused or failed a list.
    #[error("cannot list suites ({query}): {why}")]
    Visibility {
        /// The visibility query sent.
        query: String,
        /// The server's reason.
        why: String,
    },
    /// A page token that no list returned.
    #[error("page token {token:?} is not one a list returned")]
    PageToken {
        /// The token as given.
        token: String,
    },
    /// What a revert needs of the suite it reverts could not be read.
    #[error("cannot revert suite {suite_id}: {why}")]
    Revert {
        /// The suite to revert.
        suite_id: String,
        /// What could not be read, and why.
        why: String,
    },
    /// The visibility query failed.
    #[error("cannot list suites ({query})")]
    List {
        /// The visibility query sent.
        query: String,
        /// The SDK's reason.
        #[source]
        source: temporalio_client::errors::ClientError,
    },
}

/// Checks that `namespace` exists on the cluster and carries every search
/// attribute switchyard sets; otherwise says what is missing and the
/// command that fixes it. The worker runs it before it polls, the service
/// on every `/readyz`.
pub async fn check_cluster(client: &Client, namespace: &str, address: &str) -> Result<(), String> {
    use temporalio_client::grpc::{OperatorService, WorkflowService};
    use temporalio_common::protos::temporal::api::enums::v1::IndexedValueType;
    use temporalio_common::protos::temporal::api::operatorservice::v1::ListSearchAttributesRequest;
    use temporalio_common::protos::temporal::api::workflowservice::v1::DescribeNamespaceRequest;
    use tonic::IntoRequest;

    let mut c = client.clone();
    let described = WorkflowService::describe_namespace(&mut c, DescribeNamespaceRequest { namespace: namespace.to_string(), ..Default::default() }.into_request()).await;
    match described {
        Ok(_) => {}
        Err(status) if status.code() == tonic::Code::NotFound => {
            return Err(format!("namespace {namespace:?} does not exist on Temporal at {address}; create it: temporal operator namespace create --namespace {namespace}"));
        }
        Err(status) => return Err(format!("cannot describe namespace {namespace:?} on Temporal at {address}: {}", status.message())),
    }
    let listed = OperatorService::list_search_attributes(&mut c, ListSearchAttributesRequest { namespace: namespace.to_string() }.into_request())
        .await
        .map_err(|status| format!("cannot list the search attributes of namespace {namespace:?}: {}", status.message()))?
        .into_inner();
    let missing: Vec<&(&str, &str)> = names::SEARCH_ATTRIBUTES.iter().filter(|(name, kind)| {
        let registered = listed.custom_attributes.get(*name).and_then(|t| IndexedValueType::try_from(*t).ok());
        registered.is_none_or(|t| !t.as_str_name().eq_ignore_ascii_case(&format!("INDEXED_VALUE_TYPE_{kind}")))
    }).collect();
    if !missing.is_empty() {
        let listed: Vec<String> = missing.iter().map(|(n, k)| format!("{n} ({k})")).collect();
        let commands: Vec<String> = missing.iter().map(|(n, k)| format!("temporal operator search-attribute create --namespace {namespace} --name {n} --type {k}")).collect();
        return Err(format!("namespace {namespace:?} lacks the search attributes switchyard sets: {}; register them:\n  {}", listed.join(", "), commands.join("\n  ")));
    }
    Ok(())
}

/// The SDK's connection options for `settings`: address, TLS, API key and
/// the profile's headers. `identity` is recorded on every event the client
/// causes, so histories say which tool sent a signal.
pub fn connection_options(settings: &Resolved, identity: &str) -> ConnectionOptions {
    ConnectionOptions::new(settings.target.clone())
        .identity(identity.to_string())
        .maybe_tls_options(settings.tls.clone())
        .maybe_api_key(settings.api_key.clone())
        .maybe_headers(settings.headers.clone())
        .build()
}

/// Connects with `options` (from [`connection_options`]); a refusal says
/// why in an operator's words, naming the setting to look at.
pub async fn open(settings: &Resolved, options: ConnectionOptions) -> Result<Connection, ClientError> {
    Connection::connect(options).await.map_err(|source| {
        let mut chain = source.to_string();
        let mut cause = std::error::Error::source(&source);
        while let Some(c) = cause {
            chain.push_str(": ");
            chain.push_str(&c.to_string());
            cause = c.source();
        }
        let why = settings.explain(&chain).map(|hint| format!(": {hint}")).unwrap_or_default();
        ClientError::Connect { address: settings.target.to_string(), why, source }
    })
}

/// Connects to Temporal as `settings` say, in their namespace. With
/// `traces`, every call is traced and carries its trace context into the
/// workflows.
pub async fn connect(settings: &Resolved, identity: &str, traces: Option<&Traces>) -> Result<Client, ClientError> {
    let connection = open(settings, connection_options(settings, identity)).await?;
    let mut options = ClientOptions::new(settings.namespace.clone());
    if let Some(traces) = traces {
        options = options.plugin(traces.plugin());
    }
    Client::new(connection, options.build())
        .map_err(|source| ClientError::Namespace { namespace: settings.namespace.clone(), source })
}

/// Starts the suite workflow on `task_queue`, its workflow id the suite id.
/// The search attributes are set at start, so the suite is findable by
/// name, requester and size before its first workflow task runs; the
/// workflow updates status and failure count from then on.
pub async fn start_suite(client: &Client, task_queue: &str, input: SuiteInput) -> Result<(), ClientError> {
    let suite_id = input.suite_id.clone();
    let options = WorkflowStartOptions::new(task_queue.to_string(), suite_id.clone())
        .search_attributes(start_attributes(&input))
        .static_summary(summary_of(&input))
        .static_details(details_of(&input))
        // A suite id names one execution, ever: a signed launch cannot be
        // started again under it once the first run has closed.
        .id_reuse_policy(WorkflowIdReusePolicy::RejectDuplicate)
        .build();
    client.start_workflow(SuiteWorkflow::run, input, options).await
        .map_err(|source| ClientError::Start { suite_id, source })?;
    Ok(())
}

/// The suite's one line in the Web UI's "Summary": what it is, on how
/// many devices, for whom.
pub fn summary_of(input: &SuiteInput) -> String {
    let kind = if input.plan_only { "plan of " } else if input.reverts.is_empty() { "" } else { "revert of " };
    format!("{kind}{} on {} for {}", input.name, switchyard_proto::vocabulary::count(input.devices.len() as u64, "device"), input.requester)
}

/// The suite's "Details" in the Web UI: what it was launched to do, and
/// where its outcome is said in words (the current details while it runs,
/// the result once it ends).
pub fn details_of(input: &SuiteInput) -> String {
    let devices: Vec<&str> = input.devices.iter().take(10).map(|d| d.device.as_str()).collect();
    let more = input.devices.len().saturating_sub(devices.len());
    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
    let first = input.devices.first().and_then(|d| input.target(&d.device)?.ok());
    let steps: Vec<&str> = first.as_ref().map(|d| d.steps.iter().map(|s| s.id.as_str()).collect()).unwrap_or_default();
    let signed = if input.launch.is_some() { "signed launch" } else { "unsigned launch" };
    format!(
        "Suite {} ({signed}, requested by {}).\nDevices: {}{more}.\nSteps on the first device: {}.\n\
         Its phase and what it waits for: the current details below and `switchyard status {}`; its outcome in words: the result.",
        input.suite_id, input.requester, devices.join(", "), if steps.is_empty() { "none".to_string() } else { steps.join(", ") }, input.suite_id,
    )
}

// `names::start_attributes` in the client's search-attribute types (a
// scheduled run sets the same on itself, in the workflow crate's).
fn start_attributes(input: &SuiteInput) -> SearchAttributes {
    SearchAttributes::new(names::start_attributes(input).into_iter().map(|(name, value)| match value {
        names::StartValue::Keyword(v) => SearchAttributeKey::keyword(name).value_set(v),
        names::StartValue::Int(v) => SearchAttributeKey::int(name).value_set(v),
    }))
}

fn suite(client: &Client, suite_id: &str) -> WorkflowHandle<Client, SuiteWorkflow> {
    client.get_workflow_handle::<SuiteWorkflow>(suite_id.to_string())
}

/// The suite's current status, answered by a worker from workflow state.
pub async fn status(client: &Client, suite_id: &str) -> Result<SuiteStatus, ClientError> {
    suite(client, suite_id).query(SuiteWorkflow::status, (), WorkflowQueryOptions::default()).await
        .map_err(|source| ClientError::Query { suite_id: suite_id.to_string(), why: query_failure(&source), source })
}

/// One page of the suite's devices, in its order (`names::QUERY_DEVICES`).
/// A page request it cannot serve (a size above the most, a token it did
/// not give) is refused with the field named.
pub async fn devices_page(client: &Client, suite_id: &str, req: DevicePageRequest) -> Result<DevicePage, ClientError> {
    suite(client, suite_id).query(SuiteWorkflow::devices, req, WorkflowQueryOptions::default()).await
        .map_err(|source| ClientError::Query { suite_id: suite_id.to_string(), why: query_failure(&source), source })
}

/// `status` with every device in `devices`: a status carries at most
/// `names::STATUS_DEVICES_SHOWN` of them, so the rest are read a page at a
/// time. For what must see them all (a revert, a key's device scope).
pub async fn with_every_device(client: &Client, mut status: SuiteStatus) -> Result<SuiteStatus, ClientError> {
    if status.devices_omitted == 0 {
        return Ok(status);
    }
    let mut devices = Vec::new();
    let mut req = DevicePageRequest { page_size: names::DEVICE_PAGE_MAX, ..Default::default() };
    loop {
        let page = devices_page(client, &status.suite_id, req.clone()).await?;
        devices.extend(page.devices);
        if page.next_page_token.is_empty() {
            break;
        }
        req.page_token = page.next_page_token;
    }
    status.devices = devices;
    status.devices_omitted = 0;
    Ok(status)
}

/// The suite's result, waiting until it ends. This is the final word: a
/// query sent just before the close may lag it.
/// A suite that did not succeed closes its run failed (or cancelled) with
/// its status attached; that status is the result all the same.
pub async fn result(client: &Client, suite_id: &str) -> Result<SuiteStatus, ClientError> {
    let error = match suite(client, suite_id).get_result(WorkflowGetResultOptions::default()).await {
        Ok(status) => return Ok(status),
        Err(error) => error,
    };
    let carried = match &error {
        WorkflowGetResultError::Failed(failure) => outcome::suite_from_failure(failure),
        WorkflowGetResultError::Cancelled { details } => details.deserialize::<SuiteStatus>().ok(),
        _ => None,
    };
    carried.ok_or(ClientError::Result { suite_id: suite_id.to_string(), source: error })
}

/// Starts a drift check as workflow `check_id` on `task_queue`.
pub async fn start_drift_check(client: &Client, task_queue: &str, check_id: &str, input: DriftInput) -> Result<(), ClientError> {
    let options = WorkflowStartOptions::new(task_queue.to_string(), check_id.to_string())
        .id_reuse_policy(WorkflowIdReusePolicy::RejectDuplicate)
        .build();
    client.start_workflow(DriftWorkflow::run, input, options).await
        .map_err(|source| ClientError::StartDrift { check_id: check_id.to_string(), source })?;
    Ok(())
}

/// Reports a device run to the device's history: a signal to its history
/// workflow, started on `task_queue` first when the device has none yet, in
/// one call (signal-with-start). The history drops a run it already holds,
/// so a retried report is counted once.
pub async fn record_run(client: &Client, task_queue: &str, device: &str, entry: DeviceHistoryEntry) -> Result<(), ClientError> {
    let id = names::device_history_workflow_id(device);
    let first = DeviceHistory { device: device.to_string(), ..Default::default() };
    let options = WorkflowStartOptions::new(task_queue.to_string(), id).build();
    client.signal_with_start_workflow(DeviceHistoryWorkflow::run, first, DeviceHistoryWorkflow::record_run, entry.into(), options).await
        .map_err(|source| ClientError::RecordRun { device: device.to_string(), source })?;
    Ok(())
}

/// Waits for a drift check's report.
pub async fn drift_report(client: &Client, check_id: &str) -> Result<DriftReport, ClientError> {
    client.get_workflow_handle::<DriftWorkflow>(check_id.to_string()).get_result(WorkflowGetResultOptions::default()).await
        .map_err(|source| ClientError::DriftResult { check_id: check_id.to_string(), source })
}

/// Sends a reviewer's verdict on the plan: the same signal, with the same
/// body, as the Web UI sends. The suite records whether it counted.
pub async fn send_review(client: &Client, suite_id: &str, review: ApprovalSignal) -> Result<(), ClientError> {
    suite(client, suite_id).signal(SuiteWorkflow::approval, review.into(), WorkflowSignalOptions::default()).await
        .map_err(|source| ClientError::Signal { suite_id: suite_id.to_string(), source })
}

/// Sends an operator's answer to a paused suite (resume, rollback,
/// abandon). The suite logs whether it applied.
pub async fn send_pause_answer(client: &Client, suite_id: &str, answer: OperatorSignal) -> Result<(), ClientError> {
    suite(client, suite_id).signal(SuiteWorkflow::operator, answer.into(), WorkflowSignalOptions::default()).await
        .map_err(|source| ClientError::Signal { suite_id: suite_id.to_string(), source })
}

/// Moves the change window's end; returns the end now in force. A refused
/// extension leaves no trace in the suite's history.
pub async fn extend_window(client: &Client, suite_id: &str, request: ExtendWindow) -> Result<String, ClientError> {
    suite(client, suite_id)
        .execute_update(SuiteWorkflow::extend_window, request.into(), WorkflowExecuteUpdateOptions::default())
        .await
        .map_err(|source| ClientError::ExtendWindow { suite_id: suite_id.to_string(), source })
}

/// Changes how many devices the suite changes at once; returns the old value.
pub async fn set_parallelism(client: &Client, suite_id: &str, request: SetParallelism) -> Result<u32, ClientError> {
    suite(client, suite_id)
        .execute_update(SuiteWorkflow::set_parallelism, request.into(), WorkflowExecuteUpdateOptions::default())
        .await
        .map_err(|source| ClientError::SetParallelism { suite_id: suite_id.to_string(), source })
}

/// One event a suite emitted, and where its delivery stands.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EventLog {
    /// The event as the suite recorded it.
    pub event: EmittedEvent,
    /// Each subscription's delivery, once the event workflow has ended.
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
    /// While it is still being delivered: each attempt in flight or
    /// waiting to retry, with its number and last failure.
    #[serde(default)]
    pub delivering: Vec<String>,
}

/// Every event of a suite with its deliveries: the suite's list, each
/// event workflow's result, or its pending deliveries while it runs.
pub async fn event_log(client: &Client, suite_id: &str) -> Result<Vec<EventLog>, ClientError> {
    let status = status(client, suite_id).await?;
    let mut log = Vec::new();
    for event in status.events {
        let handle = client.get_workflow_handle::<EventWorkflow>(event.workflow_id.clone());
        let described = handle.describe(Default::default()).await
            .map_err(|source| ClientError::Events { suite_id: suite_id.to_string(), source })?;
        let raw = described.raw();
        let running = raw.workflow_execution_info.as_ref()
            .is_some_and(|i| i.status == temporalio_common::protos::temporal::api::enums::v1::WorkflowExecutionStatus::Running as i32);
        if running {
            let delivering = raw.pending_activities.iter().map(|a| {
                let summary = a.activity_type.as_ref().map_or("", |t| t.name.as_str());
                let last = a.last_failure.as_ref().map(|f| format!(", last failure: {}", f.message)).unwrap_or_default();
                format!("{summary} attempt {}{last}", a.attempt)
            }).collect();
            log.push(EventLog { event, deliveries: Vec::new(), delivering });
            continue;
        }
        let result = handle.get_result(WorkflowGetResultOptions::default()).await
            .map_err(|source| ClientError::EventResult { suite_id: suite_id.to_string(), source })?;
        log.push(EventLog { event, deliveries: result.deliveries, delivering: Vec::new() });
    }
    Ok(log)
}

/// A device's history across suites; none when switchyard never changed
/// the device. Read from the history workflow's own journal (its current
/// run's carried state, then every record it received, folded as the
/// workflow folds them), so it needs no worker: a history whose queue has
/// none polling still answers.
///
/// A record counts only when vouched for: by the worker's verdict in the
/// journal (activity `vouch_runs`), or, for one not yet judged, by reading
/// the device run it names here (see [`vouch_record`]). Refused records
/// change nothing and are listed as refused.
pub async fn device_history(client: &Client, device: &str) -> Result<Option<DeviceHistory>, ClientError> {
    use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
    use switchyard_proto::record;
    use switchyard_proto::v1::{VouchRunsRequest, VouchRunsResult};
    use switchyard_workflows::lenient::Lenient;
    use prost::Message;

    let id = names::device_history_workflow_id(device);
    let handle = client.get_workflow_handle::<DeviceHistoryWorkflow>(id.clone());
    let events = match handle.fetch_history(Default::default()).into_events().await {
        Ok(events) => events,
        Err(WorkflowInteractionError::NotFound(_)) => return Ok(None),
        Err(source) => return Err(ClientError::History { workflow_id: id, source }),
    };
    let mut history = DeviceHistory { device: device.to_string(), ..Default::default() };
    // Records received (with when), and the worker's verdicts on them.
    let mut received: Vec<(DeviceHistoryEntry, i64)> = Vec::new();
    let mut asked: BTreeMap<i64, Vec<DeviceHistoryEntry>> = BTreeMap::new();
    let mut verdicts: Vec<(DeviceHistoryEntry, String)> = Vec::new();
    let types = WorkflowTypes::default();
    for event in events {
        let at = event.event_time.as_ref().map_or(0, |t| t.seconds);
        match event.attributes {
            Some(Attributes::WorkflowExecutionStartedEventAttributes(a)) => {
                let continued = !a.continued_execution_run_id.is_empty();
                let payloads = a.input.map(|p| p.payloads).unwrap_or_default();
                if let Lenient::Understood(carried) = Lenient::<DeviceHistory>::decode(&payloads) {
                    history = switchyard_workflows::history::trusted_start(carried, continued);
                    history.device = device.to_string();
                }
            }
            Some(Attributes::WorkflowExecutionSignaledEventAttributes(a)) if a.signal_name == names::SIGNAL_RECORD_RUN => {
                let payloads = a.input.map(|p| p.payloads).unwrap_or_default();
                match Lenient::<DeviceHistoryEntry>::decode(&payloads) {
                    Lenient::Understood(entry) if entry.encoded_len() > record::MAX_BYTES => {
                        let reason = format!("a record of {} bytes, over the {} a history checks", entry.encoded_len(), record::MAX_BYTES);
                        record::refuse(&mut history, record::refusal(&entry, &entry.encode_to_vec(), reason));
                    }
                    Lenient::Understood(entry) => received.push((entry, at)),
                    Lenient::Refused(why) => record::refuse(&mut history, record::refusal(&DeviceHistoryEntry::default(), why.as_bytes(), why.clone())),
                }
            }
            Some(Attributes::ActivityTaskScheduledEventAttributes(a)) if a.activity_type.as_ref().is_some_and(|t| t.name == names::ACTIVITY_VOUCH_RUNS) => {
                let payloads = a.input.map(|p| p.payloads).unwrap_or_default();
                if let Lenient::Understood(req) = Lenient::<VouchRunsRequest>::decode(&payloads) {
                    asked.insert(event.event_id, req.entries);
                }
            }
            Some(Attributes::ActivityTaskCompletedEventAttributes(a)) => {
                let Some(entries) = asked.remove(&a.scheduled_event_id) else { continue };
                let payloads = a.result.map(|p| p.payloads).unwrap_or_default();
                if let Lenient::Understood(VouchRunsResult { refused }) = Lenient::decode(&payloads) {
                    verdicts.extend(entries.into_iter().zip(refused));
                }
            }
            _ => {}
        }
    }
    for (entry, at) in received {
        let verdict = match verdicts.iter().find(|(judged, _)| *judged == entry) {
            Some((_, refused)) if refused.is_empty() => record::Verdict::Vouched,
            Some((_, refused)) => record::Verdict::Refused(refused.clone()),
            None => vouch_record(client, &types, device, &entry, at).await.map_err(|why| ClientError::Vouch { device: device.to_string(), why })?,
        };
        match verdict {
            record::Verdict::Vouched => switchyard_workflows::history::fold(&mut history, entry),
            record::Verdict::Refused(why) => record::refuse(&mut history, record::refusal(&entry, &entry.encode_to_vec(), why)),
            // Its run has not closed yet: the next reading counts it.
            record::Verdict::NotYet(_) => {}
        }
    }
    Ok(Some(history))
}

/// Which suites `list_suites` returns.
#[derive(Debug, Clone, Default)]
pub struct SuiteFilter {
    /// Only suites whose `SuiteStatus` search attribute is this phase name.
    pub status: Option<String>,
    /// Only suites with this name.
    pub name: Option<String>,
    /// Only suites requested by this principal.
    pub requester: Option<String>,
    /// Only suites started at or after this time (Unix seconds).
    pub since: Option<i64>,
    /// Only suites started before this time (Unix seconds).
    pub until: Option<i64>,
    /// Only change suites (true) or only plan-only runs (false).
    pub change: Option<bool>,
}

/// One suite as the visibility store knows it (its search attributes).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListedSuite {
    /// Suite (workflow) id.
    pub suite_id: String,
    /// The suite's name.
    #[serde(default)]
    pub name: String,
    /// Phase name, as in the `SuiteStatus` search attribute.
    #[serde(rename = "phase")]
    pub status: String,
    /// Who requested it.
    pub requester: String,
    /// Devices targeted.
    pub devices: i64,
    /// Devices failed so far.
    pub failed: i64,
    /// When it started (Unix seconds; written as RFC 3339).
    #[serde(default, with = "switchyard_proto::time::rfc3339_seconds")]
    pub started_at: i64,
    /// When it closed (Unix seconds; written as RFC 3339); none while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "switchyard_proto::time::rfc3339_seconds::option")]
    pub closed_at: Option<i64>,
}

/// One page of suites and the token of the next, if there is one (hex of
/// the visibility store's own opaque token).
#[derive(Debug, Clone, Default)]
pub struct SuitePage {
    /// The suites, newest first.
    pub suites: Vec<ListedSuite>,
    /// Pass back to get the next page; empty on the last.
    pub next_page_token: String,
}

/// Suites matching `filter`, newest first, at most `limit`.
pub async fn list_suites(client: &Client, filter: &SuiteFilter, limit: usize) -> Result<Vec<ListedSuite>, ClientError> {
    let mut suites = Vec::new();
    let mut token = String::new();
    loop {
        let page = list_page(client, filter, (limit - suites.len()).min(1000), &token).await?;
        suites.extend(page.suites);
        if page.next_page_token.is_empty() || suites.len() >= limit {
            suites.truncate(limit);
            return Ok(suites);
        }
        token = page.next_page_token;
    }
}

/// One page of at most `page_size` suites matching `filter`, from
/// `page_token` (empty: the first page). The service pages with it; the
/// token is the visibility store's, so paging is as consistent as it is.
pub async fn list_page(client: &Client, filter: &SuiteFilter, page_size: usize, page_token: &str) -> Result<SuitePage, ClientError> {
    use temporalio_client::NamespacedClient;
    use temporalio_client::grpc::WorkflowService;
    use temporalio_common::protos::temporal::api::workflowservice::v1::ListWorkflowExecutionsRequest;
    use tonic::IntoRequest;

    let query = list_query(filter);
    let token = switchyard_proto::trust::unhex(page_token).ok_or_else(|| ClientError::PageToken { token: page_token.to_string() })?;
    let request = ListWorkflowExecutionsRequest {
        namespace: client.namespace(),
        page_size: page_size.clamp(1, 1000) as i32,
        next_page_token: token,
        query: query.clone(),
    };
    let mut c = client.clone();
    let response = WorkflowService::list_workflow_executions(&mut c, request.into_request()).await
        .map_err(|status| ClientError::Visibility { query: query.clone(), why: status.message().to_string() })?
        .into_inner();
    let suites = response.executions.iter().map(listed).collect();
    Ok(SuitePage { suites, next_page_token: switchyard_proto::trust::hex(&response.next_page_token) })
}

/// A visibility record as `list` shows it. Search attribute payloads are
/// JSON (the default converter's `json/plain`): a keyword is a string, an
/// int a number.
fn listed(info: &temporalio_common::protos::temporal::api::workflow::v1::WorkflowExecutionInfo) -> ListedSuite {
    let fields = info.search_attributes.as_ref().map(|s| &s.indexed_fields);
    let keyword = |name: &str| fields.and_then(|f| f.get(name)).and_then(|p| serde_json::from_slice::<String>(&p.data).ok()).unwrap_or_default();
    let int = |name: &str| fields.and_then(|f| f.get(name)).and_then(|p| serde_json::from_slice::<i64>(&p.data).ok()).unwrap_or_default();
    let execution = temporalio_common::protos::temporal::api::enums::v1::WorkflowExecutionStatus::try_from(info.status)
        .map_or(WorkflowExecutionStatus::Unspecified, WorkflowExecutionStatus::from);
    ListedSuite {
        suite_id: info.execution.as_ref().map(|e| e.workflow_id.clone()).unwrap_or_default(),
        name: keyword(names::SA_SUITE_NAME),
        status: listed_status(execution, keyword(names::SA_SUITE_STATUS)),
        requester: keyword(names::SA_REQUESTER),
        devices: int(names::SA_DEVICE_COUNT),
        failed: int(names::SA_FAILED_COUNT),
        started_at: info.start_time.as_ref().map_or(0, |t| t.seconds),
        closed_at: info.close_time.as_ref().map(|t| t.seconds),
    }
}

/// Why a status query failed, in an operator's words. Only a query the
/// server gave up on points at the worker: that is what no worker polling
/// the task queue looks like.
fn query_failure(e: &WorkflowQueryError) -> String {
    match e {
        WorkflowQueryError::NotFound(_) => "no suite with this id in the namespace".into(),
        WorkflowQueryError::Rpc(status) if status.code() == tonic::Code::DeadlineExceeded => {
            "no worker answered in time (is a worker polling the suite's task queue?)".into()
        }
        WorkflowQueryError::Rejected { status } => format!("the server refused the query (workflow {status:?})"),
        other => other.to_string(),
    }
}

/// How many change suites (not plan-only runs) are running now, as the
/// visibility store counts them (it lags by moments).
pub async fn running_changes(client: &Client) -> Result<u64, ClientError> {
    let query = format!("WorkflowType = '{}' AND ExecutionStatus = 'Running' AND {} = 'change'", names::SUITE_WORKFLOW, names::SA_SUITE_KIND);
    let counted = client.count_workflows(query.clone(), temporalio_client::WorkflowCountOptions::default()).await
        .map_err(|source| ClientError::List { query, source })?;
    Ok(counted.count() as u64)
}

/// What `list` shows for a suite: its phase, unless the workflow ended
/// without reaching a final one (terminated, timed out, or failed as a
/// workflow), when the phase it was left in would mislead.
pub fn listed_status(execution: WorkflowExecutionStatus, phase: String) -> String {
    let final_phase = phase_from_name(&phase).is_some_and(is_final);
    match execution {
        WorkflowExecutionStatus::Terminated if !final_phase => format!("terminated (in {phase})"),
        WorkflowExecutionStatus::TimedOut if !final_phase => format!("timed_out (in {phase})"),
        WorkflowExecutionStatus::Failed if !final_phase => format!("workflow_failed (in {phase})"),
        WorkflowExecutionStatus::Canceled if !final_phase => format!("cancelled (in {phase})"),
        _ => phase,
    }
}

/// The visibility query for `filter`, as the Web UI's filter box takes it.
/// A phase a suite is still in (awaiting_approval, applying, …) matches
/// running suites only: one terminated in that phase never gets further.
pub fn list_query(filter: &SuiteFilter) -> String {
    // Values are phase and suite names; a quote could only end the string
    // early, so it is dropped rather than escaped.
    let quote = |v: &str| v.replace('\'', "");
    let mut query = format!("WorkflowType = '{}'", names::SUITE_WORKFLOW);
    if let Some(s) = &filter.status {
        query.push_str(&format!(" AND {} = '{}'", names::SA_SUITE_STATUS, quote(s)));
        if phase_from_name(s).is_some_and(|p| !is_final(p)) {
            query.push_str(" AND ExecutionStatus = 'Running'");
        }
    }
    if let Some(n) = &filter.name {
        query.push_str(&format!(" AND {} = '{}'", names::SA_SUITE_NAME, quote(n)));
    }
    if let Some(r) = &filter.requester {
        query.push_str(&format!(" AND {} = '{}'", names::SA_REQUESTER, quote(r)));
    }
    if let Some(change) = filter.change {
        query.push_str(&format!(" AND {} = '{}'", names::SA_SUITE_KIND, if change { "change" } else { "plan" }));
    }
    if let Some(t) = filter.since {
        query.push_str(&format!(" AND StartTime >= '{}'", switchyard_proto::time::format_rfc3339(t)));
    }
    if let Some(t) = filter.until {
        query.push_str(&format!(" AND StartTime < '{}'", switchyard_proto::time::format_rfc3339(t)));
    }
    query
}

/// The Web UI page of a workflow (a suite, or one of its device workflows).
pub fn ui_link(ui_address: &str, namespace: &str, workflow_id: &str) -> String {
    format!("{}/namespaces/{namespace}/workflows/{workflow_id}", ui_address.trim_end_matches('/'))
}

/// The workflow run that started run `run_id` of `workflow_id` as its
/// child, as Temporal recorded it (its workflow id and run id); `None` when
/// nothing did (a hand start). The worker asks it of every device run's
/// first write and of every event it signs. One describe: what the parent
/// is, the caller reads from the parent's own record.
pub async fn parent_of(client: &Client, workflow_id: &str, run_id: &str) -> Result<Option<(String, String)>, String> {
    use temporalio_client::grpc::WorkflowService;
    use temporalio_common::protos::temporal::api::common::v1::WorkflowExecution;
    use temporalio_common::protos::temporal::api::workflowservice::v1::DescribeWorkflowExecutionRequest;
    use tonic::IntoRequest;

    let mut c = client.clone();
    let req = DescribeWorkflowExecutionRequest {
        namespace: temporalio_client::NamespacedClient::namespace(client),
        execution: Some(WorkflowExecution { workflow_id: workflow_id.to_string(), run_id: run_id.to_string() }),
    };
    let described = WorkflowService::describe_workflow_execution(&mut c, req.into_request()).await
        .map_err(|status| format!("cannot describe workflow {workflow_id}: {}", status.message()))?
        .into_inner();
    Ok(described.workflow_execution_info.and_then(|i| i.parent_execution).map(|p| (p.workflow_id, p.run_id)))
}

/// Workflow types already read, by run: a run's type never changes, so a
/// reader of many device runs asks once per suite, not once per run.
#[derive(Debug, Default)]
pub struct WorkflowTypes(std::sync::Mutex<BTreeMap<(String, String), String>>);

/// Runs whose type [`WorkflowTypes`] keeps: more than the suites a worker
/// serves at once.
const KNOWN_TYPES: usize = 1024;

impl WorkflowTypes {
    /// The type of run `run_id` of `workflow_id`: kept, or read once.
    pub async fn of(&self, client: &Client, workflow_id: &str, run_id: &str) -> Result<String, String> {
        let key = (workflow_id.to_string(), run_id.to_string());
        if let Some(kind) = self.0.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(kind.clone());
        }
        let kind = workflow_type(client, workflow_id, run_id).await?;
        let mut known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if known.len() >= KNOWN_TYPES {
            known.clear();
        }
        known.insert(key, kind.clone());
        Ok(kind)
    }
}

/// The workflow type of run `run_id` of `workflow_id`, as Temporal
/// recorded it.
pub async fn workflow_type(client: &Client, workflow_id: &str, run_id: &str) -> Result<String, String> {
    use temporalio_client::grpc::WorkflowService;
    use temporalio_common::protos::temporal::api::common::v1::WorkflowExecution;
    use temporalio_common::protos::temporal::api::workflowservice::v1::DescribeWorkflowExecutionRequest;
    use tonic::IntoRequest;

    let mut c = client.clone();
    let req = DescribeWorkflowExecutionRequest {
        namespace: temporalio_client::NamespacedClient::namespace(client),
        execution: Some(WorkflowExecution { workflow_id: workflow_id.to_string(), run_id: run_id.to_string() }),
    };
    let described = WorkflowService::describe_workflow_execution(&mut c, req.into_request()).await
        .map_err(|status| format!("cannot describe workflow {workflow_id}: {}", status.message()))?
        .into_inner();
    Ok(described.workflow_execution_info.and_then(|i| i.r#type).map(|t| t.name).unwrap_or_default())
}

/// A suite run as it started: its input and its start time (Unix seconds),
/// read from the first event of its history. Anything else there is not a
/// suite's start and is refused.
pub async fn suite_started(client: &Client, workflow_id: &str, run_id: &str) -> Result<(SuiteInput, i64), String> {
    suite_start(client, workflow_id, run_id).await?.ok_or_else(|| format!("workflow {workflow_id} is not a suite"))
}

/// [`suite_started`], with `None` when the run is another workflow's.
pub async fn suite_start(client: &Client, workflow_id: &str, run_id: &str) -> Result<Option<(SuiteInput, i64)>, String> {
    use temporalio_client::grpc::WorkflowService;
    use temporalio_common::protos::temporal::api::common::v1::WorkflowExecution;
    use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
    use temporalio_common::protos::temporal::api::workflowservice::v1::GetWorkflowExecutionHistoryRequest;
    use switchyard_workflows::lenient::Lenient;
    use tonic::IntoRequest;

    let mut c = client.clone();
    let req = GetWorkflowExecutionHistoryRequest {
        namespace: temporalio_client::NamespacedClient::namespace(client),
        execution: Some(WorkflowExecution { workflow_id: workflow_id.to_string(), run_id: run_id.to_string() }),
        maximum_page_size: 1,
        ..Default::default()
    };
    let history = WorkflowService::get_workflow_execution_history(&mut c, req.into_request()).await
        .map_err(|status| format!("cannot read the history of suite {workflow_id}: {}", status.message()))?
        .into_inner();
    let first = history.history.and_then(|h| h.events.into_iter().next())
        .ok_or_else(|| format!("suite {workflow_id} run {run_id} has no history"))?;
    let started_at = first.event_time.as_ref().map_or(0, |t| t.seconds);
    match first.attributes {
        Some(Attributes::WorkflowExecutionStartedEventAttributes(a)) => {
            if a.workflow_type.as_ref().map(|t| t.name.as_str()) != Some(names::SUITE_WORKFLOW) {
                return Ok(None);
            }
            let payloads = a.input.map(|p| p.payloads).unwrap_or_default();
            match Lenient::<SuiteInput>::decode(&payloads) {
                Lenient::Understood(input) => Ok(Some((input, started_at))),
                _ => Err(format!("the input of suite {workflow_id} cannot be read")),
            }
        }
        _ => Err(format!("the history of suite {workflow_id} does not begin with its start")),
    }
}

/// The plan a device run was started with (its steps with their receipts
/// and what they wrote), as Temporal records it: what `switchyard revert`
/// undoes. `None` when Temporal has no such run.
pub async fn device_plan(client: &Client, workflow_id: &str) -> Result<Option<switchyard_proto::v1::DevicePlan>, String> {
    use temporalio_client::grpc::WorkflowService;
    use temporalio_common::protos::temporal::api::common::v1::WorkflowExecution;
    use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
    use temporalio_common::protos::temporal::api::workflowservice::v1::GetWorkflowExecutionHistoryRequest;
    use switchyard_proto::v1::DeviceRunInput;
    use switchyard_workflows::lenient::Lenient;
    use tonic::IntoRequest;

    let mut c = client.clone();
    let req = GetWorkflowExecutionHistoryRequest {
        namespace: temporalio_client::NamespacedClient::namespace(client),
        execution: Some(WorkflowExecution { workflow_id: workflow_id.to_string(), run_id: String::new() }),
        maximum_page_size: 1,
        ..Default::default()
    };
    let history = match WorkflowService::get_workflow_execution_history(&mut c, req.into_request()).await {
        Ok(r) => r.into_inner(),
        Err(status) if status.code() == tonic::Code::NotFound => return Ok(None),
        Err(status) => return Err(format!("cannot read the history of {workflow_id}: {}", status.message())),
    };
    match history.history.and_then(|h| h.events.into_iter().next()).and_then(|e| e.attributes) {
        Some(Attributes::WorkflowExecutionStartedEventAttributes(a)) => {
            if a.workflow_type.as_ref().map(|t| t.name.as_str()) != Some(names::DEVICE_WORKFLOW) {
                return Err(format!("workflow {workflow_id} is not a device run"));
            }
            match Lenient::<DeviceRunInput>::decode(&a.input.map(|p| p.payloads).unwrap_or_default()) {
                Lenient::Understood(input) => Ok(input.plan),
                _ => Err(format!("the input of device run {workflow_id} cannot be read")),
            }
        }
        _ => Err(format!("the history of {workflow_id} does not begin with its start")),
    }
}

/// Whether a workflow with this id exists, and its status when it does
/// (e.g. whether a suite was already reverted).
pub async fn workflow_state(client: &Client, workflow_id: &str) -> Result<Option<String>, ClientError> {
    use temporalio_client::grpc::WorkflowService;
    use temporalio_common::protos::temporal::api::common::v1::WorkflowExecution;
    use temporalio_common::protos::temporal::api::workflowservice::v1::DescribeWorkflowExecutionRequest;
    use tonic::IntoRequest;

    let mut c = client.clone();
    let req = DescribeWorkflowExecutionRequest {
        namespace: temporalio_client::NamespacedClient::namespace(client),
        execution: Some(WorkflowExecution { workflow_id: workflow_id.to_string(), run_id: String::new() }),
    };
    match WorkflowService::describe_workflow_execution(&mut c, req.into_request()).await {
        Ok(r) => {
            let info = r.into_inner().workflow_execution_info.unwrap_or_default();
            let status = temporalio_common::protos::temporal::api::enums::v1::WorkflowExecutionStatus::try_from(info.status)
                .map_or("unknown".to_string(), |s| s.as_str_name().trim_start_matches("WORKFLOW_EXECUTION_STATUS_").to_lowercase());
            Ok(Some(status))
        }
        Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
        Err(status) => Err(ClientError::Revert { suite_id: workflow_id.to_string(), why: format!("cannot describe workflow {workflow_id}: {}", status.message()) }),
    }
}

/// What Temporal records about the device run `workflow_id` / `run_id`:
/// its type, who started it, for which device and suite, and what its
/// reports recorded (the facts a device-history record is vouched for by,
/// see [`switchyard_proto::record`]). `None` when Temporal has no such run.
pub async fn device_run(client: &Client, types: &WorkflowTypes, workflow_id: &str, run_id: &str) -> Result<Option<switchyard_proto::record::DeviceRun>, String> {
    use temporalio_client::grpc::WorkflowService;
    use temporalio_common::protos::temporal::api::common::v1::WorkflowExecution;
    use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
    use temporalio_common::protos::temporal::api::workflowservice::v1::GetWorkflowExecutionHistoryRequest;
    use switchyard_proto::v1::{DeviceRunInput, RecordRunResult};
    use switchyard_workflows::lenient::Lenient;
    use tonic::IntoRequest;

    let namespace = temporalio_client::NamespacedClient::namespace(client);
    let mut c = client.clone();
    let mut run = switchyard_proto::record::DeviceRun::default();
    let mut parent = None;
    let mut page = Vec::new();
    loop {
        let req = GetWorkflowExecutionHistoryRequest {
            namespace: namespace.clone(),
            execution: Some(WorkflowExecution { workflow_id: workflow_id.to_string(), run_id: run_id.to_string() }),
            next_page_token: page,
            ..Default::default()
        };
        let response = match WorkflowService::get_workflow_execution_history(&mut c, req.into_request()).await {
            Ok(r) => r.into_inner(),
            Err(status) if matches!(status.code(), tonic::Code::NotFound | tonic::Code::InvalidArgument) => return Ok(None),
            Err(status) => return Err(format!("cannot read the history of {workflow_id}: {}", status.message())),
        };
        for event in response.history.map(|h| h.events).unwrap_or_default() {
            let at = event.event_time.as_ref().map_or(0, |t| t.seconds);
            match event.attributes {
                Some(Attributes::WorkflowExecutionStartedEventAttributes(a)) => {
                    run.workflow_type = a.workflow_type.map(|t| t.name).unwrap_or_default();
                    parent = a.parent_workflow_execution;
                    if let Lenient::Understood(input) = Lenient::<DeviceRunInput>::decode(&a.input.map(|p| p.payloads).unwrap_or_default()) {
                        run.device = input.plan.map(|p| p.device).unwrap_or_default();
                        run.suite_id = input.suite_id;
                    }
                }
                Some(Attributes::WorkflowExecutionCompletedEventAttributes(_) | Attributes::WorkflowExecutionFailedEventAttributes(_)
                    | Attributes::WorkflowExecutionTimedOutEventAttributes(_) | Attributes::WorkflowExecutionCanceledEventAttributes(_)
                    | Attributes::WorkflowExecutionTerminatedEventAttributes(_) | Attributes::WorkflowExecutionContinuedAsNewEventAttributes(_)) => run.closed = true,
                Some(Attributes::MarkerRecordedEventAttributes(a)) => {
                    // A local activity's marker: its result, if a report's.
                    for payloads in a.details.into_values() {
                        if let Lenient::Understood(RecordRunResult { recorded: Some(entry), .. }) = Lenient::decode(&payloads.payloads) {
                            run.reported.push((entry, at));
                        }
                    }
                }
                _ => {}
            }
        }
        if response.next_page_token.is_empty() {
            break;
        }
        page = response.next_page_token;
    }
    if let Some(parent) = parent {
        let kind = types.of(client, &parent.workflow_id, &parent.run_id).await?;
        run.parent = Some((parent.workflow_id, kind));
    }
    Ok(Some(run))
}

/// Whether `entry`, received by `device`'s history at `received_at` (Unix
/// seconds), is the record of a suite's device run; `Err` when Temporal
/// could not be asked.
pub async fn vouch_record(client: &Client, types: &WorkflowTypes, device: &str, entry: &DeviceHistoryEntry, received_at: i64) -> Result<switchyard_proto::record::Verdict, String> {
    use switchyard_proto::record::{self, Verdict};
    if let Some(why) = record::unreadable(entry) {
        return Ok(Verdict::Refused(why));
    }
    Ok(match device_run(client, types, &entry.workflow_id, &entry.run_id).await? {
        None => Verdict::Refused(format!("Temporal has no device run {} {}", entry.workflow_id, entry.run_id)),
        Some(run) => record::vouch(device, entry, &run, received_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_query_filters_by_status_and_name() {
        let all = list_query(&SuiteFilter::default());
        assert_eq!(all, format!("WorkflowType = '{}'", names::SUITE_WORKFLOW));
        let filter = SuiteFilter { status: Some("rolled_back".into()), name: Some("it's".into()), ..Default::default() };
        assert_eq!(list_query(&filter), format!("{all} AND SuiteStatus = 'rolled_back' AND SuiteName = 'its'"));
        // A phase suites pass through matches running suites only.
        let waiting = SuiteFilter { status: Some("awaiting_approval".into()), ..Default::default() };
        assert_eq!(list_query(&waiting), format!("{all} AND SuiteStatus = 'awaiting_approval' AND ExecutionStatus = 'Running'"));
        let window = SuiteFilter { requester: Some("ci".into()), since: Some(0), until: Some(60), change: Some(true), ..Default::default() };
        assert_eq!(list_query(&window), format!("{all} AND Requester = 'ci' AND SuiteKind = 'change' AND StartTime >= '1970-01-01T00:00:00Z' AND StartTime < '1970-01-01T00:01:00Z'"));
    }

    #[test]
    fn a_suite_ended_outside_its_phases_says_so() {
        use WorkflowExecutionStatus as E;
        assert_eq!(listed_status(E::Terminated, "awaiting_approval".into()), "terminated (in awaiting_approval)");
        assert_eq!(listed_status(E::TimedOut, "applying".into()), "timed_out (in applying)");
        assert_eq!(listed_status(E::Running, "applying".into()), "applying");
        assert_eq!(listed_status(E::Completed, "rolled_back".into()), "rolled_back");
        // Terminated after it ended (a stale lock release, say): its phase stands.
        assert_eq!(listed_status(E::Terminated, "succeeded".into()), "succeeded");
    }

    #[test]
    fn a_suite_starts_with_every_search_attribute() {
        let input = SuiteInput { name: "vlan-tenant".into(), requester: "alice".into(), devices: vec![Default::default(); 3], ..Default::default() };
        let sa = start_attributes(&input);
        // Every attribute but the two only device workflows carry.
        let suite_attributes = names::SEARCH_ATTRIBUTES.iter().filter(|(n, _)| ![names::SA_DEVICE, names::SA_DEVICE_STATUS].contains(n)).count();
        assert_eq!(sa.len(), suite_attributes, "{:?}", sa.keys().collect::<Vec<_>>());
        assert_eq!(sa.get(&SearchAttributeKey::keyword(names::SA_SUITE_KIND)).as_deref(), Some("change"));
        assert_eq!(sa.get(&SearchAttributeKey::keyword(names::SA_SUITE_NAME)).as_deref(), Some("vlan-tenant"));
        assert_eq!(sa.get(&SearchAttributeKey::keyword(names::SA_SUITE_STATUS)).as_deref(), Some("planning"));
        assert_eq!(sa.get(&SearchAttributeKey::keyword(names::SA_REQUESTER)).as_deref(), Some("alice"));
        assert_eq!(sa.get(&SearchAttributeKey::int(names::SA_DEVICE_COUNT)), Some(3));
        assert_eq!(sa.get(&SearchAttributeKey::int(names::SA_FAILED_COUNT)), Some(0));
    }

    #[test]
    fn ui_link_has_one_slash_between_parts() {
        assert_eq!(ui_link("http://ui:8233/", "default", "s-1"), "http://ui:8233/namespaces/default/workflows/s-1");
    }
}

