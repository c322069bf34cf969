//! The drift activities: which devices a drift check's selector picks,
//! and one device compared with the rows switchyard owns there (its
//! intent, from the device's history workflow). Comparing is a pure
//! function ([`compare`]); reading is one pipelined `HGETALL` per owned
//! row on the device's usual session.
//!
//! What drift is: a row switchyard owns whose fields no longer hold what
//! switchyard wrote (`changed`), or that is gone (`deleted`). A field
//! someone added beside switchyard's is not drift: switchyard never
//! claimed it, and a remediation would leave it.
//!
//! Must never: write to a device, or read intent from anywhere but the
//! device's history (the worker hands in the reader).

// The #[activities] macro emits one marker constant per activity.
#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use switchyard_proto::inventory::Inventory;
use switchyard_proto::selector::Selector;
use switchyard_proto::names;
use switchyard_proto::v1::{CheckDriftRequest, DeviceDrift, DeviceHistory, DriftInput, DriftTargets, DriftedRow, OwnedRow};
use temporalio_common::error::ApplicationFailure;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::info;

use crate::device::Sessions;
use crate::device::redis as rdb;
use crate::error::DeviceError;
use crate::ops::Row;

/// Reads a device's history (its owned rows); `None` when switchyard never
/// changed the device. The worker builds it over its Temporal client.
pub type IntentReader = Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<Option<DeviceHistory>, String>> + Send>> + Send + Sync>;

/// The worker's inventory, device sessions and intent reader.
pub struct DriftActivities {
    inventory: crate::LiveInventory,
    sessions: Arc<Sessions>,
    intent: IntentReader,
}

impl DriftActivities {
    /// Drift activities over the worker's inventory and sessions.
    pub fn new(inventory: impl Into<crate::LiveInventory>, sessions: Arc<Sessions>, intent: IntentReader) -> Self {
        let inventory = inventory.into();
        Self { inventory, sessions, intent }
    }
}

/// The devices of `inventory` that `input`'s selector picks, in inventory
/// order: every list given must match (names are globs), as suite targets
/// select.
pub fn select(inventory: &Inventory, input: &DriftInput) -> Vec<String> {
    let selector = Selector { names: input.names.clone(), roles: input.roles.clone(), sites: input.sites.clone(), tags: input.tags.clone() };
    inventory.devices.iter()
        .filter(|d| selector.selects(d))
        .map(|d| d.name.clone())
        .collect()
}

/// The owned rows the device no longer holds as switchyard wrote them.
pub fn compare(owned: &BTreeMap<String, OwnedRow>, live: &BTreeMap<String, Row>) -> Vec<DriftedRow> {
    let mut drifted = Vec::new();
    for (key, row) in owned {
        let expected: BTreeMap<String, String> = row.fields.clone();
        match live.get(key) {
            None => drifted.push(DriftedRow { key: key.clone(), kind: "deleted".into(), suite_id: row.suite_id.clone(), expected, actual: BTreeMap::new() }),
            Some(actual) if expected.iter().any(|(f, v)| actual.get(f) != Some(v)) => drifted.push(DriftedRow {
                key: key.clone(),
                kind: "changed".into(),
                suite_id: row.suite_id.clone(),
                expected,
                actual: actual.clone(),
            }),
            Some(_) => {}
        }
    }
    drifted
}

fn failure(message: String, retryable: bool) -> ActivityError {
    ActivityError::application(ApplicationFailure::builder(message).type_name(names::failures::DRIFT_CHECK.to_string()).non_retryable(!retryable).build())
}

#[activities]
impl DriftActivities {
    /// The devices a drift check covers; refuses a selector that picks none.
    #[activity(name = names::ACTIVITY_DRIFT_TARGETS)]
    pub async fn drift_targets(self: Arc<Self>, _ctx: ActivityContext, input: DriftInput) -> Result<DriftTargets, ActivityError> {
        let devices = select(&self.inventory.current(), &input);
        if devices.is_empty() {
            return Err(failure("the selector matches no device of the worker's inventory".into(), false));
        }
        Ok(DriftTargets { devices })
    }

    /// Reads the device's owned rows from its history and the same rows
    /// from the device, and reports what differs.
    #[activity(name = names::ACTIVITY_CHECK_DRIFT)]
    pub async fn check_drift(self: Arc<Self>, _ctx: ActivityContext, req: CheckDriftRequest) -> Result<DeviceDrift, ActivityError> {
        let device = req.device;
        let history = (self.intent)(device.clone()).await.map_err(|why| failure(format!("cannot read the history of {device}: {why}"), true))?;
        let owned = history.map(|h| h.owned).unwrap_or_default();
        let keys: Vec<String> = owned.keys().cloned().collect();
        let live = if keys.is_empty() {
            BTreeMap::new()
        } else {
            let mut conn = self.sessions.redis(&device).await.map_err(DeviceError::into_activity_error)?;
            match rdb::rows(&mut conn, &keys).await {
                Ok(rows) => rows,
                Err(e) => {
                    self.sessions.reset(&device).await;
                    return Err(DeviceError::Redis { device: device.clone(), reason: e.to_string() }.into_activity_error());
                }
            }
        };
        let rows = compare(&owned, &live);
        info!(check = %req.check_id, device = %device, owned = owned.len(), drifted = rows.len(), "Checked drift");
        Ok(DeviceDrift { device, owned: owned.len() as u32, rows, error: String::new() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(f: &[(&str, &str)]) -> BTreeMap<String, String> {
        f.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn drift_is_a_changed_or_deleted_owned_field_never_an_added_one() {
        let owned: BTreeMap<String, OwnedRow> = [
            ("VLAN|Vlan300", &[("vlanid", "300"), ("description", "tenant-a")][..]),
            ("VLAN_MEMBER|Vlan300|Ethernet0", &[("tagging_mode", "tagged")][..]),
            ("VLAN|Vlan301", &[("vlanid", "301")][..]),
        ].into_iter().map(|(k, f)| (k.to_string(), OwnedRow { key: k.into(), suite_id: "s1".into(), fields: fields(f), ..Default::default() })).collect();
        let live: BTreeMap<String, Row> = [
            ("VLAN|Vlan300", fields(&[("vlanid", "300"), ("description", "by-hand")])),
            // Someone added mtu: not switchyard's field.
            ("VLAN|Vlan301", fields(&[("vlanid", "301"), ("mtu", "9100")])),
        ].into_iter().map(|(k, f)| (k.to_string(), f)).collect();
        let drifted = compare(&owned, &live);
        let got: Vec<(&str, &str)> = drifted.iter().map(|d| (d.key.as_str(), d.kind.as_str())).collect();
        assert_eq!(got, [("VLAN_MEMBER|Vlan300|Ethernet0", "deleted"), ("VLAN|Vlan300", "changed")]);
        assert_eq!(drifted[1].actual["description"], "by-hand");
        assert_eq!(drifted[1].suite_id, "s1");
    }
}
