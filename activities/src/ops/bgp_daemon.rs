//! Which BGP daemon a device runs, and so how its BGP rows are keyed:
//! frrcfgd when DEVICE_METADATA|localhost `frr_mgmt_framework_config` is
//! "true" (two-part keys, peer groups read from CONFIG_DB), bgpcfgd
//! otherwise. Shared by the BGP operations.
//!
//! Must never: plan a change.

use super::plan::{PlanError, View};

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

/// The `admin_status` frrcfgd acts on: it reads "true"/"false" on BGP
/// neighbors, peer groups and their address families (frrcfgd.py's key
/// maps: `neighbor X activate` only for "true"; any other value is logged
/// as "neither true or false" and ignored, and frrcfgd runs `no bgp default
/// ipv4-unicast`, so an address family written "up" is never activated).
/// SONiC's management framework writes "true"; the YANG models type the
/// field up|down, which bgpcfgd reads.
pub(crate) fn admin_up(view: &View) -> &'static str {
    if frrcfgd(view) { "true" } else { "up" }
}

/// Why the plan writes `admin_status=true`, for its note.
pub(crate) const ADMIN_TRUE_WHY: &str = "admin_status=true, as frrcfgd activates a neighbor or address family only for \"true\" \
(sonic-bgp-neighbor.yang types it up|down, which frrcfgd ignores)";

/// The refusal for a switch whose BGP daemon reads no route policy
/// (prefix lists, route maps) from CONFIG_DB.
pub(crate) fn frrcfgd_only(view: &View, field: &str) -> Result<(), PlanError> {
    if frrcfgd(view) {
        return Ok(());
    }
    Err(PlanError::new(field, format!("this device runs bgpcfgd (DEVICE_METADATA has no {DAEMON_FIELD}=true), which reads no route policy from CONFIG_DB")))
}

/// Whether the device runs frrcfgd (and so takes the two-part keys).
pub(crate) fn frrcfgd(view: &View) -> bool {
    view.row(METADATA).and_then(|r| r.get(DAEMON_FIELD)).is_some_and(|m| m == "true")
}

