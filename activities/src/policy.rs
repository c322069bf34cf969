//! The policy activity: the worker's policy file applied to one suite.
//!
//! The suite records what this returns, so the policy it runs under, the
//! requester its launch signature proves and every refusal stay in its
//! history, even after the file changes.
//!
//! Must never: touch a device, or take a device fact from the request
//! (roles, sites and tags come from the worker's own inventory).

// The #[activities] macro emits one marker constant per activity.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use switchyard_proto::inventory::Inventory;
use switchyard_proto::names;
use switchyard_proto::policy::Policy;
use switchyard_proto::v1::{EffectivePolicy, PolicyRequest};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::info;

/// The worker's policy and inventory, read once at start.
pub struct PolicyActivities {
    policy: Arc<Policy>,
    inventory: Arc<Inventory>,
}

impl PolicyActivities {
    /// Activities judging suites by `policy`, with device facts from `inventory`.
    pub fn new(policy: Arc<Policy>, inventory: Arc<Inventory>) -> Self {
        Self { policy, inventory }
    }
}

#[activities]
impl PolicyActivities {
    /// The effective policy of one suite, with every reason it may not run.
    #[activity(name = names::ACTIVITY_RESOLVE_POLICY)]
    pub async fn resolve_policy(self: Arc<Self>, _ctx: ActivityContext, req: PolicyRequest) -> Result<EffectivePolicy, ActivityError> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        let (effective, refusals) = self.policy.effective(&self.inventory, &req, now);
        let requester = effective.requester.as_ref().map(|s| s.principal.as_str()).unwrap_or("");
        info!(suite_id = %req.suite_id, policy = %self.policy.file, requester, refusals = refusals.len(), "Resolved policy");
        Ok(effective)
    }
}
