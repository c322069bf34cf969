//! How CONFIG_DB keys the objects more than one operation names: a port
//! or PortChannel, a VRF, a VLAN, an ACL table, a VRF's BGP instance, a
//! BGP peer group. An operation names another's rows only through here.
//!
//! Must never: read a device or plan a change.

/// Table of a port's row: PORT for EthernetN, PORTCHANNEL for PortChannelN.
pub(crate) fn port_key(port: &str) -> String {
    if port.starts_with("PortChannel") { format!("PORTCHANNEL|{port}") } else { format!("PORT|{port}") }
}

/// The VRF as SONiC keys it: "default" for the default VRF.
pub(crate) fn vrf_or_default(vrf: &str) -> &str {
    if vrf.is_empty() { "default" } else { vrf }
}

/// A VLAN's own row.
pub(crate) fn vlan_key(vlan_id: u32) -> String {
    format!("VLAN|Vlan{vlan_id}")
}

/// An ACL table's own row.
pub(crate) fn acl_table_key(name: &str) -> String {
    format!("ACL_TABLE|{name}")
}

/// A VRF's BGP instance's own row.
pub(crate) fn bgp_globals_key(vrf: &str) -> String {
    format!("BGP_GLOBALS|{}", vrf_or_default(vrf))
}

/// A BGP peer group's own row: the group's key, which its neighbors name.
pub(crate) fn peer_group_key(vrf: &str, name: &str) -> String {
    format!("BGP_PEER_GROUP|{}|{name}", vrf_or_default(vrf))
}
