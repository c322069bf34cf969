//! The suite's bookkeeping on its status: per-device results, counts, and
//! the bounded compensation log. Pure updates of workflow state.
//!
//! Must never: wait, call an activity or decide the course (see `course`).

use switchyard_proto::v1::{CompensationAction, CompensationEntry, DeviceResult, DeviceRunInput, DeviceStatus, SuiteCounts, SuitePhase};
use switchyard_proto::trust::Binding;
use switchyard_proto::vocabulary;
use switchyard_proto::v1::EffectivePolicy;

use crate::decisions::legacy_policy;

use super::SuiteWorkflow;

/// Entries the suite-level compensation log holds before it keeps only the
/// left-in-place ones: the status is a payload (query result, workflow
/// result), and Temporal refuses payloads over 2 MB. At about 250 bytes an
/// entry this stays near 1 MB; 1,000 devices rolled back write ~20,000.
const COMPENSATION_LOG_FULL: usize = 4_000;

impl SuiteWorkflow {
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
