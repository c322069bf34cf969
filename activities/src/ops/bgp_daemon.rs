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

/// Why a bgpcfgd device's FRR ignores a VRF's BGP instance rows, for the
/// plan's warning (sonic-bgpcfgd bgpcfgd/main.py: its managers read
/// DEVICE_METADATA, the interface and neighbor tables, STATIC_ROUTE and
/// prefix lists; none reads BGP_GLOBALS, BGP_GLOBALS_AF, ROUTE_REDISTRIBUTE
/// or a VRF's VNI).
pub(crate) const BGPCFGD_IGNORES: &str = "bgpcfgd runs here (DEVICE_METADATA has no frr_mgmt_framework_config=true) and reads none of BGP_GLOBALS, \
BGP_GLOBALS_AF, ROUTE_REDISTRIBUTE (sonic-bgpcfgd bgpcfgd/main.py)";

/// Whether the device runs frrcfgd (and so takes the two-part keys).
pub(crate) fn frrcfgd(view: &View) -> bool {
    view.row(METADATA).and_then(|r| r.get(DAEMON_FIELD)).is_some_and(|m| m == "true")
}

