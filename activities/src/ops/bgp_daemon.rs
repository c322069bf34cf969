//! Which BGP daemon a device runs, and so how its BGP rows are keyed:
//! frrcfgd when DEVICE_METADATA|localhost `frr_mgmt_framework_config` is
//! "true" (two-part keys, peer groups read from CONFIG_DB), bgpcfgd
//! otherwise. Shared by the BGP operations.
//!
//! Must never: plan a change.

use super::plan::View;

/// The row that names the daemon (and the default VRF's ASN on bgpcfgd).
pub(crate) const METADATA: &str = "DEVICE_METADATA|localhost";

/// The DEVICE_METADATA field that starts frrcfgd instead of bgpcfgd.
pub(crate) const DAEMON_FIELD: &str = "frr_mgmt_framework_config";

/// Whether the device runs frrcfgd (and so takes the two-part keys).
pub(crate) fn frrcfgd(view: &View) -> bool {
    view.row(METADATA).and_then(|r| r.get(DAEMON_FIELD)).is_some_and(|m| m == "true")
}

