//! The delivery of one suite event: which of the worker's subscriptions
//! take it, then one delivery activity per subscription, each retried with
//! backoff for hours (a receiver that is down loses nothing), its outcome
//! recorded as delivered (with the attempt that made it) or undelivered
//! (with the last failure). The workflow's result is the delivery log
//! `switchyard events <suite>` shows; its history is the journal.
//!
//! Must never: see a secret or a URL (subscriptions are named only), or
//! fail: an event nobody could take is recorded, not lost.

// The workflow macros emit marker constants for each method.
#![allow(missing_docs)]

use futures::future::join_all;
use switchyard_proto::names;
use switchyard_proto::v1::{DeliverEventRequest, Delivery, EmittedEvent, EventDeliveries, MatchSubscriptionsRequest, SuiteEvent};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::{ChildWorkflowOptions, ParentClosePolicy, WorkflowCancellationToken, WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::activity_defs::{DeliverEvent, MatchSubscriptions};
use crate::failure::describe;
use crate::options;

/// One event on its way to the subscriptions that take it.
#[workflow]
pub struct EventWorkflow {
    event: SuiteEvent,
}

#[workflow_methods]
impl EventWorkflow {
    /// Keeps the event for the run.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, event: SuiteEvent) -> Self {
        Self { event }
    }

    /// Delivers the event to every subscription that takes it.
    #[run(name = switchyard_proto::names::EVENT_WORKFLOW)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<EventDeliveries> {
        let event = ctx.state(|s| s.event.clone());
        let matched = ctx.execute_activity(MatchSubscriptions, MatchSubscriptionsRequest { event: Some(event.clone()) }, options::event_match()).await;
        let names = match matched {
            Ok(m) => m.names,
            Err(e) => {
                let error = format!("cannot match subscriptions: {}", describe(&e));
                return Ok(EventDeliveries { event: Some(event), deliveries: vec![Delivery { status: "undelivered".into(), error, ..Default::default() }] });
            }
        };
        let ctx = &*ctx;
        let deliveries = join_all(names.iter().map(|name| deliver(ctx, &event, name))).await;
        Ok(EventDeliveries { event: Some(event), deliveries })
    }
}

/// Starts the delivery of the `seq`th event of the workflow `owner`: a
/// child abandoned by its parent, so it outlives it (and its
/// cancellation). None when the start failed (an id taken): the caller
/// goes on either way.
pub(crate) async fn start<W>(ctx: &WorkflowContext<W>, owner: &str, seq: usize, event: SuiteEvent) -> Option<EmittedEvent> {
    let workflow_id = names::event_workflow_id(owner, seq, &event.r#type);
    let options = ChildWorkflowOptions::builder()
        .workflow_id(workflow_id.clone())
        .static_summary(format!("deliver {} of {owner}", event.r#type))
        .parent_close_policy(ParentClosePolicy::Abandon)
        .cancellation_token(WorkflowCancellationToken::new())
        .build();
    let emitted = EmittedEvent { id: event.id.clone(), r#type: event.r#type.clone(), at: event.at.clone(), workflow_id };
    ctx.start_child_workflow(EventWorkflow::run, event, options).await.ok().map(|_| emitted)
}

async fn deliver(ctx: &WorkflowContext<EventWorkflow>, event: &SuiteEvent, subscription: &str) -> Delivery {
    let req = DeliverEventRequest { event: Some(event.clone()), subscription: subscription.to_string() };
    let result = ctx.execute_activity(DeliverEvent, req, options::event_delivery(format!("deliver {} to {subscription}", event.r#type))).await;
    let at = switchyard_proto::time::format_rfc3339(crate::unix_secs(ctx.workflow_time()));
    match result {
        Ok(r) => Delivery { subscription: subscription.to_string(), status: "delivered".into(), attempts: r.attempt, http_status: r.http_status, at, ..Default::default() },
        Err(e) => Delivery { subscription: subscription.to_string(), status: "undelivered".into(), error: describe(&e), at, ..Default::default() },
    }
}
