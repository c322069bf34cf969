//! Traces reach a real OTLP receiver: the CLI starts the trace, and the
//! worker continues it through the suite's phases, each device workflow
//! and each device step, with the suite id and device on the spans.
//!
//! The receiver is an OTLP/gRPC trace service of the test's own (the
//! protocol's generated server), on a free port. Needs `tests/run.sh`;
//! fails loudly without it.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use switchyard_proto::names;
use switchyard_tests::{TestEnv, started_suite_id};

const QUEUE: &str = "traces-test";

/// One received span, flattened.
#[derive(Debug, Clone)]
struct Received {
    service: String,
    name: String,
    trace: Vec<u8>,
    id: Vec<u8>,
    parent: Vec<u8>,
    attributes: BTreeMap<String, String>,
    /// The span's events, each with its attributes.
    events: Vec<(String, BTreeMap<String, String>)>,
}

#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<Received>>>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(&self, request: tonic::Request<ExportTraceServiceRequest>) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.0.lock().unwrap();
        for resource in request.into_inner().resource_spans {
            let service = resource.resource.iter().flat_map(|r| &r.attributes)
                .find(|kv| kv.key == "service.name").map(|kv| text(kv.value.as_ref().and_then(|v| v.value.as_ref())))
                .unwrap_or_default();
            for span in resource.scope_spans.into_iter().flat_map(|s| s.spans) {
                let flat = |kvs: &[opentelemetry_proto::tonic::common::v1::KeyValue]| -> BTreeMap<String, String> {
                    kvs.iter().map(|kv| (kv.key.clone(), text(kv.value.as_ref().and_then(|v| v.value.as_ref())))).collect()
                };
                let attributes = flat(&span.attributes);
                let events = span.events.iter().map(|e| (e.name.clone(), flat(&e.attributes))).collect();
                spans.push(Received { service: service.clone(), name: span.name, trace: span.trace_id, id: span.span_id, parent: span.parent_span_id, attributes, events });
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

fn text(value: Option<&Value>) -> String {
    match value {
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

/// Serves the receiver on a free port from a runtime of its own; returns
/// the endpoint and what it has received so far.
fn start_receiver() -> (String, Receiver) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let receiver = Receiver::default();
    let service = TraceServiceServer::new(receiver.clone());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let incoming = tonic::transport::server::TcpIncoming::from(listener);
            tonic::transport::Server::builder().serve_with_incoming(service, incoming).await.unwrap();
        });
    });
    (format!("http://{address}"), receiver)
}

#[test]
fn a_suite_is_one_trace_from_the_cli_to_each_device_step() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let (endpoint, receiver) = start_receiver();
    // Batches every 200 ms, so the test does not wait out the 5 s default.
    let otel = [("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()), ("OTEL_BSP_SCHEDULE_DELAY", "200")];
    let _worker = env.spawn_worker_with(QUEUE, &env.inventory(), &otel);

    let dir = std::env::temp_dir().join(format!("switchyard-traces-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let suite = dir.join("traces.yaml");
    std::fs::write(&suite, "name: traces\ntargets:\n  names: [sonic-d001, sonic-d002]\nsteps:\n  - create_vlan:\n      vlan_id: 330\n").unwrap();
    let out = Command::new(env.bin("switchyard"))
        .args(["run", suite.to_str().unwrap(), "--requester", "alice", "--watch"])
        .env("SWITCHYARD_TEMPORAL_ADDRESS", &env.temporal)
        .env("SWITCHYARD_TASK_QUEUE", QUEUE)
        .env("SWITCHYARD_INVENTORY", env.inventory())
        .envs(otel)
        .output()
        .expect("run switchyard");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{text}");
    let suite_id = started_suite_id(&text).unwrap();

    // Everything the suite should have produced, once it has all arrived.
    let wanted = |spans: &[Received]| {
        let steps = spans.iter().filter(|s| s.name == format!("RunActivity:{}", names::ACTIVITY_APPLY_DEVICE)
            && s.attributes.get("switchyard.suite_id") == Some(&suite_id)).count();
        let conclude = spans.iter().any(|s| s.name == "suite conclude" && s.attributes.get("switchyard.suite_id") == Some(&suite_id));
        steps >= 2 && conclude
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let spans = loop {
        let spans = receiver.0.lock().unwrap().clone();
        if wanted(&spans) {
            break spans;
        }
        assert!(Instant::now() < deadline, "the receiver never got the suite's spans; got: {:#?}", spans.iter().map(|s| (&s.service, &s.name)).collect::<Vec<_>>());
        std::thread::sleep(Duration::from_millis(200));
    };

    let one = |service: &str, name: &str, pick: &dyn Fn(&Received) -> bool| -> Received {
        let found: Vec<&Received> = spans.iter().filter(|s| s.service == service && s.name == name && pick(s)).collect();
        assert_eq!(found.len(), 1, "want exactly one {name} from {service}, got {found:#?}");
        found[0].clone()
    };
    let of_suite = |s: &Received| s.attributes.get("switchyard.suite_id") == Some(&suite_id)
        || s.attributes.get("temporalWorkflowID") == Some(&suite_id);

    // The CLI's start is the root; the suite's workflow continues its trace.
    let start = one("switchyard", &format!("StartWorkflow:{}", names::SUITE_WORKFLOW), &of_suite);
    let run = one("switchyard-worker", &format!("RunWorkflow:{}", names::SUITE_WORKFLOW), &of_suite);
    assert_eq!(run.trace, start.trace, "the worker's suite span is in the CLI's trace");
    assert_eq!(run.parent, start.id, "the suite's workflow span is a child of the CLI's start");

    // One span per stretch of the suite, children of the suite's span,
    // each exactly once (a replay exports nothing again).
    for stretch in ["plan", "approval", "window", "apply", "conclude"] {
        let span = one("switchyard-worker", &format!("suite {stretch}"), &of_suite);
        assert_eq!(span.trace, start.trace, "suite {stretch}");
        assert_eq!(span.parent, run.id, "suite {stretch} is a child of the suite's workflow span");
    }
    let conclude = one("switchyard-worker", "suite conclude", &of_suite);
    assert_eq!(conclude.attributes.get("switchyard.phase").map(String::as_str), Some("succeeded"));

    // Each device step, in the same trace, names its suite, device, step,
    // operation, outcome and attempt.
    for device in ["sonic-d001", "sonic-d002"] {
        let step = one("switchyard-worker", &format!("RunActivity:{}", names::ACTIVITY_APPLY_DEVICE),
            &|s| s.attributes.get("switchyard.device").map(String::as_str) == Some(device) && of_suite(s));
        assert_eq!(step.trace, start.trace, "{device}'s step is in the suite's trace");
        // The device's steps run in one activity: the span is the device's
        // apply, and each step is an event on it.
        assert_eq!(step.attributes.get("switchyard.outcome").map(String::as_str), Some("applied"), "{step:#?}");
        assert_eq!(step.attributes.get("switchyard.step_kind").map(String::as_str), Some("apply"), "{step:#?}");
        assert_eq!(step.attributes.get("switchyard.attempt").map(String::as_str), Some("1"), "{step:#?}");
        let events: Vec<_> = step.events.iter().filter(|(name, _)| name == "step").map(|(_, a)| a).collect();
        assert_eq!(events.len(), 1, "one step, one event: {step:#?}");
        assert_eq!(events[0].get("switchyard.operation").map(String::as_str), Some("create_vlan"), "{step:#?}");
        assert_eq!(events[0].get("switchyard.outcome").map(String::as_str), Some("applied"), "{step:#?}");
        assert!(!events[0].get("switchyard.step").unwrap().is_empty(), "{step:#?}");
        let plan = one("switchyard-worker", &format!("RunActivity:{}", names::ACTIVITY_PLAN_DEVICE),
            &|s| s.attributes.get("switchyard.device").map(String::as_str) == Some(device) && of_suite(s));
        assert_eq!(plan.trace, start.trace, "{device}'s plan is in the suite's trace");
    }
    let devices = spans.iter().filter(|s| s.name == format!("RunWorkflow:{}", names::DEVICE_WORKFLOW) && s.trace == start.trace).count();
    assert!(devices >= 2, "each device workflow runs in the suite's trace; got {devices}");
}
