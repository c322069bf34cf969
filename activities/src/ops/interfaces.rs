//! An interface's routed rows, as the operations that give interfaces
//! addresses and modes share them: which table holds a name's addresses,
//! the mode a port is in, and the planning of adding or removing one
//! address (routed ports, PortChannels, Loopbacks and VLAN interfaces
//! alike); which interface holds an address of the switch, and in which
//! VRF, for the services that take a source address (syslog, SNMP).
//!
//! Must never: decide which operation a step is, or read the device.

use super::plan::{PlanBuilder, PlanError, Planned, Reads, View, must_exist};
use super::references;
use super::keys::port_key;

/// The interface table of an interface name.
pub(crate) fn table(interface: &str) -> &'static str {
    if interface.starts_with("PortChannel") {
        "PORTCHANNEL_INTERFACE"
    } else if interface.starts_with("Loopback") {
        "LOOPBACK_INTERFACE"
    } else if interface.starts_with("Vlan") {
        "VLAN_INTERFACE"
    } else {
        "INTERFACE"
    }
}

/// Reads of an address step on `table|name`.
pub(crate) fn address_reads(table: &str, name: &str, address: &str, vrf: &str) -> Reads {
    let base = format!("{table}|{name}");
    let addr = format!("{base}|{address}");
    let mut reads = Reads::default().key(&base).key(&addr).pattern(format!("{base}|*"));
    if !vrf.is_empty() {
        reads = reads.key(format!("VRF|{vrf}"));
    }
    reads.merge(references::reads(&addr));
    reads
}

/// Adds `address` on `table|name` (base row first, bound to `vrf`).
pub(crate) fn plan_add(view: &View, table: &str, name: &str, address: &str, vrf: &str) -> Result<Planned, PlanError> {
    let vrf = if vrf == "default" { "" } else { vrf };
    if !vrf.is_empty() {
        must_exist(view, &format!("VRF|{vrf}"), "vrf", &format!("VRF {vrf}"))?;
    }
    let base = format!("{table}|{name}");
    if let Some(row) = view.row(&base) {
        let bound = row.get("vrf_name").map(String::as_str).unwrap_or("");
        if bound != vrf {
            let show = |v: &str| if v.is_empty() { "the default VRF".to_string() } else { v.to_string() };
            return Err(PlanError::new("vrf", format!("{name} is bound to {} ({base}); it cannot take an address in {}", show(bound), show(vrf))));
        }
    }
    let mut plan = PlanBuilder::new(view);
    let base_fields: Vec<(&str, String)> = if vrf.is_empty() { vec![] } else { vec![("vrf_name", vrf.to_string())] };
    plan.ensure(&base, &base_fields);
    // No address: the interface is only bound to its VRF (an L3VNI VLAN).
    if !address.is_empty() {
        plan.ensure(&format!("{base}|{address}"), &[]);
    }
    Ok(plan.finish())
}

/// Removes one address; the base row goes with the last address unless it
/// binds a VRF that `vrf` does not name. SONiC's CLI keeps a VRF-bound
/// interface's base row when its last address goes (unbinding is its own
/// command), so a removal that does not ask for the VRF keeps the binding.
pub(crate) fn plan_remove(view: &View, table: &str, name: &str, address: &str, vrf: &str) -> Result<Planned, PlanError> {
    let base = format!("{table}|{name}");
    let bound = view.row(&base).and_then(|r| r.get("vrf_name")).filter(|v| !v.is_empty()).cloned();
    if let Some(bound) = &bound
        && !vrf.is_empty() && vrf != bound
    {
        return Err(PlanError::new("vrf", format!("{name} is bound to VRF {bound}, not {vrf}")));
    }
    let mut plan = PlanBuilder::new(view);
    if !address.is_empty() {
        plan.release(&format!("{base}|{address}"), false, "address")?;
    }
    if plan.row(&base).is_some() && references::users(plan.view(), &base).is_empty() {
        match &bound {
            Some(bound) if vrf.is_empty() => plan.keep(&base, format!("its binding to VRF {bound} stays (give vrf: {bound} to remove it with the last address)")),
            _ => plan.release(&base, true, "interface")?,
        }
    }
    Ok(plan.finish())
}

/// The management VRF's switch (sonic-mgmt_vrf.yang).
pub(crate) const MGMT_VRF: &str = "MGMT_VRF_CONFIG|vrf_global";

/// Whether the management VRF is on (what YANG's `must` on `vrf: mgmt` asks).
pub(crate) fn mgmt_vrf_on(view: &View) -> bool {
    view.row(MGMT_VRF).and_then(|r| r.get("mgmtVrfEnabled")).is_some_and(|v| v == "true")
}

/// Refuses a VRF a management service (syslog, SNMP agent, TACACS+) names
/// that the switch lacks: a VRF row for a named one, the management VRF on
/// for `mgmt`; empty and `default` are the default VRF. Reads `VRF|<vrf>`
/// and [`MGMT_VRF`].
pub(crate) fn service_vrf_exists(view: &View, vrf: &str) -> Result<(), PlanError> {
    match vrf {
        "" | "default" => Ok(()),
        "mgmt" if mgmt_vrf_on(view) => Ok(()),
        "mgmt" => Err(PlanError::new("vrf", format!("the management VRF is off ({MGMT_VRF} mgmtVrfEnabled is not true)"))),
        named => must_exist(view, &format!("VRF|{named}"), "vrf", &format!("VRF {named}")).map(drop),
    }
}

/// The address rows holding `ip` (any prefix length) in every interface
/// table: INTERFACE, LOOPBACK_INTERFACE, VLAN_INTERFACE,
/// PORTCHANNEL_INTERFACE and MGMT_INTERFACE.
pub(crate) fn address_pattern(ip: &str) -> String {
    format!("*INTERFACE|*|{ip}/*")
}

/// Every interface row (base rows tell an interface's VRF).
pub(crate) const INTERFACE_ROWS: &str = "*INTERFACE|*";

/// The address row holding `ip` on this switch and the VRF its interface is
/// in: "" for the default VRF, the base row's vrf_name, or "mgmt" for the
/// management interface while the management VRF is on. Reads
/// [`address_pattern`] and [`INTERFACE_ROWS`] (and [`MGMT_VRF`]).
pub(crate) fn holder_of(view: &View, ip: &str) -> Option<(String, String)> {
    let holder = view.keys(&address_pattern(ip)).into_iter().next()?;
    let mut parts = holder.splitn(3, '|');
    let (table, name) = (parts.next()?, parts.next()?);
    let vrf = if table == "MGMT_INTERFACE" {
        if mgmt_vrf_on(view) { "mgmt".to_string() } else { String::new() }
    } else {
        view.row(&format!("{table}|{name}")).and_then(|r| r.get("vrf_name")).cloned().unwrap_or_default()
    };
    Some((holder, vrf))
}

/// Rows a mirror-destination check reads.
pub(crate) const MIRROR_SESSIONS: &str = "MIRROR_SESSION|*";

/// The mirror session whose destination is `port`, if any: SONiC's CLI
/// keeps such a port out of VLANs, LAGs and switchport modes
/// (sonic-utilities utilities_common/cli.py `is_port_mirror_dst_port`).
pub(crate) fn mirror_destination_of(view: &View, port: &str) -> Option<String> {
    view.keys(MIRROR_SESSIONS).into_iter().find(|s| view.row(s).and_then(|r| r.get("dst_port")).is_some_and(|d| d == port))
}

/// The mode a port or PortChannel is in, if it says (sonic-port.yang).
pub(crate) fn mode_of<'v>(view: &'v View, port: &str) -> Option<&'v str> {
    view.row(&port_key(port)).and_then(|r| r.get("mode")).map(String::as_str)
}
