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

use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use switchyard_proto::names;
use switchyard_proto::policy::Policy;
use switchyard_proto::v1::{EffectivePolicy, PolicyRequest};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::info;

/// The worker's policy as it is now: loaded at start, replaced whole when
/// the worker reloads the file (SIGHUP, or a change it notices), so a key
/// removed from the file stops counting at once for every suite.
#[derive(Clone)]
pub struct LivePolicy(Arc<RwLock<Arc<Policy>>>);

impl LivePolicy {
    /// Starts with `policy`.
    pub fn new(policy: Policy) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(policy))))
    }

    /// The policy in force.
    pub fn current(&self) -> Arc<Policy> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Puts `policy` in force.
    pub fn replace(&self, policy: Policy) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(policy);
    }
}

/// The worker's policy and inventory.
pub struct PolicyActivities {
    policy: LivePolicy,
    inventory: crate::LiveInventory,
}

impl PolicyActivities {
    /// Activities judging suites by `policy`, with device facts from `inventory`.
    pub fn new(policy: LivePolicy, inventory: impl Into<crate::LiveInventory>) -> Self {
        let inventory = inventory.into();
        Self { policy, inventory }
    }
}

#[activities]
impl PolicyActivities {
    /// The effective policy of one suite, with every reason it may not run.
    #[activity(name = names::ACTIVITY_RESOLVE_POLICY)]
    pub async fn resolve_policy(self: Arc<Self>, _ctx: ActivityContext, req: PolicyRequest) -> Result<EffectivePolicy, ActivityError> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        let policy = self.policy.current();
        let (effective, refusals) = policy.effective(&self.inventory.current(), &req, now);
        let requester = effective.requester.as_ref().map(|s| s.principal.as_str()).unwrap_or("");
        info!(suite_id = %req.suite_id, policy = %policy.file, requester, refusals = refusals.len(), "Resolved policy");
        Ok(effective)
    }
}
