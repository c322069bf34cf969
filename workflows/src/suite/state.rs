//! The suite's bookkeeping on its status: per-device results, counts, and
//! the bounded compensation log. Pure updates of workflow state.
//!
//! Must never: wait, call an activity or decide the course (see `course`).

use prost::Message as _;
use sha2::{Digest, Sha256};
use switchyard_proto::v1::{
    ApprovalSignal, CompensationAction, CompensationEntry, DeviceResult, DeviceRunInput, DeviceStatus, OperatorEvent, RecordedDecision, SuiteCounts, SuitePhase,
};
use switchyard_proto::plan_root;
use switchyard_proto::trust::{Binding, hex};
use switchyard_proto::vocabulary;
use switchyard_proto::v1::{Decision, EffectivePolicy, Warrant};

use crate::decisions::legacy_policy;

use super::SuiteWorkflow;

/// Entries the suite-level compensation log holds before it keeps only the
/// left-in-place ones: the status is a payload (query result, workflow
/// result), and Temporal refuses payloads over 2 MB. At about 250 bytes an
/// entry this stays near 1 MB; 1,000 devices rolled back write ~20,000.
const COMPENSATION_LOG_FULL: usize = 4_000;

/// Refused decisions, and refused operator-log entries, the status keeps;
/// more are counted in `refused_omitted`. Anyone can signal a suite, so
/// what refusals leave behind must not grow without end.
const REFUSED_KEPT: usize = 50;

/// The largest refused body kept as sent. A larger one is kept by its size
/// and SHA-256: two bodies of 1.5 MB would otherwise make the status too
/// large to query or to end with.
const BODY_KEPT: usize = 4096;

/// A refused body, in a form that fits: as sent when small, otherwise its
/// size and digest.
fn summary(len: usize, bytes: &[u8]) -> String {
    format!("(a body of {len} bytes, SHA-256 {}, not kept)", hex(&Sha256::digest(bytes)))
}

impl SuiteWorkflow {
    /// Records a reviewer's decision; a refused one is bounded (see
    /// [`REFUSED_KEPT`], [`BODY_KEPT`]).
    pub(super) fn record_decision(&mut self, mut decision: RecordedDecision) {
        if !decision.counted {
            if self.status.decisions.iter().filter(|d| !d.counted).count() >= REFUSED_KEPT {
                self.status.refused_omitted += 1;
                return;
            }
            if let Some(signal) = decision.signal.as_ref().filter(|s| s.encoded_len() > BODY_KEPT) {
                let bytes = signal.encode_to_vec();
                decision.signal = Some(ApprovalSignal {
                    reviewer: clip(&signal.reviewer),
                    decision: signal.decision,
                    plan_hash: clip(&signal.plan_hash),
                    comment: summary(bytes.len(), &bytes),
                    signed: None,
                });
            }
            decision.reason = clip_long(&decision.reason);
        }
        self.status.decisions.push(decision);
    }

    /// Records an operator's line; a refused one is bounded as a refused
    /// decision is.
    pub(super) fn record_operator(&mut self, mut event: OperatorEvent) {
        if !event.applied {
            if self.status.operator_log.iter().filter(|e| !e.applied).count() >= REFUSED_KEPT {
                self.status.refused_omitted += 1;
                return;
            }
            if event.encoded_len() > BODY_KEPT {
                let bytes = event.signed.as_ref().map(|s| s.encode_to_vec()).unwrap_or_default();
                event.operator = clip(&event.operator);
                event.action = clip(&event.action);
                event.reason = format!("{} {}", clip_long(&event.reason), summary(bytes.len(), &bytes));
                event.signed = None;
            }
        }
        self.status.operator_log.push(event);
    }

    pub(super) fn phase(&self) -> SuitePhase {
        self.status.phase()
    }

    /// What a device's run tells the device's history about the suite:
    /// its name, who asked, and who approved (the counted decisions' signers).
    pub(super) fn for_history(&self) -> DeviceRunInput {
        DeviceRunInput {
            suite_name: self.status.name.clone(),
            requester: self.status.requester.clone(),
            approvers: self.status.decisions.iter().filter(|d| d.counted).filter_map(|d| d.signer.as_ref().map(|s| s.principal.clone())).collect(),
            ..Default::default()
        }
    }

    /// What a device's run shows the activities that write to it: the
    /// counted approvals and the path from the device's plan to the
    /// approved hash. None before plan format v2 (the device's writes are
    /// then refused: the worker cannot tell they were approved).
    pub(super) fn warrant(&self, device: &str) -> Option<Warrant> {
        let tree = self.plan_tree.as_ref()?;
        let plan = self.plans.get(device)?;
        let counted = self.status.decisions.iter()
            .filter(|d| d.counted && d.signal.as_ref().is_some_and(|s| s.decision == Decision::Approve as i32));
        let mut warrant = Warrant {
            plan_hash: tree.plan_hash(),
            policy_digest: tree.policy_digest(),
            step_digests: plan.steps.iter().map(|s| hex(&plan_root::step_digest(s))).collect(),
            proof: tree.proof(device)?,
            window_extensions: self.window_extensions.clone(),
            unsigned_window_end: self.unsigned_window_end.clone(),
            ..Default::default()
        };
        for d in counted {
            match d.signal.as_ref().and_then(|s| s.signed.clone()) {
                Some(signed) => warrant.approvals.push(signed),
                None => warrant.unsigned_approvers.extend(d.signer.as_ref().map(|s| s.principal.clone())),
            }
        }
        Some(warrant)
    }

    /// The policy decisions are judged by: the one recorded at plan time,
    /// or, for a suite started before policies, its own approval section.
    pub(super) fn policy(&self) -> EffectivePolicy {
        match &self.status.policy {
            Some(policy) => policy.clone(),
            None => legacy_policy(&self.input.approval.clone().unwrap_or_default(), &self.input.requester),
        }
    }

    /// Why no decision may be made yet: while the suite plans, the policy
    /// that says who may decide is not recorded yet (and a suite started
    /// before policies has nothing to decide before its plan either).
    pub(super) fn not_yet(&self) -> Option<String> {
        (self.status.policy.is_none() && self.phase() == SuitePhase::Planning)
            .then(|| "the suite is still planning: its policy and plan are not recorded yet".to_string())
    }

    /// What a decision must be bound to now.
    pub(super) fn binding(&self, now: i64) -> Binding<'_> {
        Binding { suite: &self.status.suite_id, run: &self.status.run_id, plan: &self.status.plan_hash, input: "", now }
    }

    pub(super) fn is_final(&self) -> bool {
        vocabulary::is_final(self.phase())
    }

    pub(super) fn device_mut(&mut self, device: &str, f: impl FnOnce(&mut DeviceResult)) {
        if let Some(d) = self.status.devices.iter_mut().find(|d| d.device == device) {
            f(d);
        }
    }

    pub(super) fn count_of(&self, status: DeviceStatus) -> u32 {
        self.status.devices.iter().filter(|d| d.status == status as i32).count() as u32
    }

    /// Devices that failed applying, including those rolled back after
    /// failing (their `error` is kept).
    pub(super) fn failed_total(&self) -> u32 {
        self.count_of(DeviceStatus::Failed)
    }

    /// Records a device's compensation entries: counts on the device, every
    /// entry an operator must see (left in place, unknown, not applied) in
    /// the suite log, the others while it has room.
    pub(super) fn log_compensation(&mut self, device: &str, entries: &[CompensationEntry]) {
        let removed_or_restored = [CompensationAction::Removed as i32, CompensationAction::Restored as i32];
        let count = |a: CompensationAction| entries.iter().filter(|e| e.action == a as i32).count() as u32;
        let (removed, restored, kept) = (count(CompensationAction::Removed), count(CompensationAction::Restored), count(CompensationAction::LeftInPlace));
        self.device_mut(device, |d| {
            d.removed += removed;
            d.restored += restored;
            d.left_in_place += kept;
            d.compensation.extend(entries.iter().filter(|e| !removed_or_restored.contains(&e.action)).cloned());
        });
        for e in entries {
            if !removed_or_restored.contains(&e.action) || self.status.compensation_log.len() < COMPENSATION_LOG_FULL {
                self.status.compensation_log.push(e.clone());
            } else {
                self.status.compensation_log_omitted += 1;
            }
        }
    }

    /// Recomputes the suite's counts from the devices.
    pub(super) fn count(&mut self) {
        self.status.counts = Some(SuiteCounts {
            devices: self.status.devices.len() as u32,
            succeeded: self.count_of(DeviceStatus::Succeeded),
            failed: self.count_of(DeviceStatus::Failed) + self.count_of(DeviceStatus::PlanFailed),
            rolled_back: self.count_of(DeviceStatus::RolledBack),
            skipped: self.count_of(DeviceStatus::Skipped),
        });
    }
}

/// A short field of a refused body, cut to 64 bytes.
fn clip(text: &str) -> String {
    cut(text, 64)
}

/// A refusal's reason, cut to 1,024 bytes.
fn clip_long(text: &str) -> String {
    cut(text, 1024)
}

fn cut(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let at = (0..=limit).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
    format!("{}…", &text[..at])
}
