//! The operation catalogue: pure planning and domain-level reverse.
//!
//! Every operation plans from a [`View`] of the rows it reads and returns a
//! ChangeSet plus a receipt of what it creates, reuses, overwrites and
//! deletes. The reverse ([`reverse`]) works from the receipt and the
//! device's state at reverse time: it removes only rows the step created
//! that nothing uses ([`references`]), restores only fields that still hold
//! the value the step wrote, and puts back only rows nobody re-created.
//!
//! One file per operation pair. Must never: open a session, touch the
//! network or a clock. Everything here is a function of its inputs, so it
//! is tested with fixture snapshots.

mod aaa_login;
mod acl_binding;
mod acl_rule;
mod acl_table;
mod bgp_daemon;
mod bgp_globals;
mod dhcp_relay;
mod bgp_neighbor;
mod bgp_peer_group;
mod daemons;
mod interface_address;
mod interfaces;
mod keys;
mod login;
mod loopback;
mod ntp;
mod ntp_server;
mod plan;
mod port;
mod portchannel;
mod portchannel_member;
mod prefix_list;
pub mod references;
mod restore_row;
mod route_map;
mod snmp;
mod snmp_agent_address;
mod snmp_community;
mod sonic_release;
mod undo_step;
pub mod reverse;
mod static_route;
mod switchport;
mod syslog_server;
mod tacacs_server;
pub mod view;
mod vlan;
mod vlan_interface;
mod vlan_member;
mod vrf;
mod vxlan;

use switchyard_proto::operation;
use switchyard_proto::v1::{operation::Op, Check, Operation};

pub use plan::{Catalogued, PlanError, Planned};
pub use view::{Login, Reads, Row, View};

/// The closed registry: every operation variant to its implementation. A
/// variant added to `operations.proto` without an arm here does not compile.
fn with_op<R>(op: &Op, f: impl FnOnce(&dyn Catalogued) -> R) -> R {
    match op {
        Op::CreateVlan(p) => f(p),
        Op::DeleteVlan(p) => f(&vlan::delete(p)),
        Op::AddVlanMember(p) => f(p),
        Op::RemoveVlanMember(p) => f(&vlan_member::remove(p)),
        Op::AddVlanInterface(p) => f(&vlan_interface::Add(p)),
        Op::RemoveVlanInterface(p) => f(&vlan_interface::Remove(p)),
        Op::CreateVrf(p) => f(&vrf::Create(p)),
        Op::DeleteVrf(p) => f(&vrf::delete(p)),
        Op::AddInterfaceAddress(p) => f(&interface_address::Add(p)),
        Op::RemoveInterfaceAddress(p) => f(&interface_address::Remove(p)),
        Op::AddBgpNeighbor(p) => f(&bgp_neighbor::Add(p)),
        Op::RemoveBgpNeighbor(p) => f(&bgp_neighbor::Remove(p)),
        Op::AddStaticRoute(p) => f(&static_route::Add(p)),
        Op::RemoveStaticRoute(p) => f(&static_route::Remove(p)),
        Op::CreateAclTable(p) => f(&acl_table::Create(p)),
        Op::DeleteAclTable(p) => f(&acl_table::delete(p)),
        Op::AddAclRule(p) => f(&acl_rule::Add(p)),
        Op::RemoveAclRule(p) => f(&acl_rule::remove(p)),
        Op::BindAclTable(p) => f(&acl_binding::Bind(p)),
        Op::UnbindAclTable(p) => f(&acl_binding::Unbind(p)),
        Op::CreatePortchannel(p) => f(&portchannel::Create(p)),
        Op::DeletePortchannel(p) => f(&portchannel::delete(p)),
        Op::AddPortchannelMember(p) => f(&portchannel_member::Add(p)),
        Op::RemovePortchannelMember(p) => f(&portchannel_member::remove(p)),
        Op::SetPort(p) => f(p),
        Op::SetSwitchportMode(p) => f(p),
        Op::ClearSwitchportMode(p) => f(&switchport::Clear(p)),
        Op::AddNtpServer(p) => f(&ntp_server::Add(p)),
        Op::RemoveNtpServer(p) => f(&ntp_server::remove(p)),
        Op::SetNtp(p) => f(&ntp::Set(p)),
        Op::ClearNtp(_) => f(&ntp::Clear),
        Op::AddSyslogServer(p) => f(&syslog_server::Add(p)),
        Op::RemoveSyslogServer(p) => f(&syslog_server::remove(p)),
        Op::AddSnmpCommunity(p) => f(&snmp_community::Add(p)),
        Op::RemoveSnmpCommunity(p) => f(&snmp_community::Remove(p)),
        Op::AddSnmpAgentAddress(p) => f(&snmp_agent_address::Add(p)),
        Op::RemoveSnmpAgentAddress(p) => f(&snmp_agent_address::Remove(p)),
        Op::SetSnmp(p) => f(&snmp::Set(p)),
        Op::ClearSnmp(_) => f(&snmp::Clear),
        Op::AddTacacsServer(p) => f(&tacacs_server::Add(p)),
        Op::RemoveTacacsServer(p) => f(&tacacs_server::remove(p)),
        Op::SetAaaLogin(p) => f(&aaa_login::Set(p)),
        Op::ClearAaaLogin(_) => f(&aaa_login::Clear),
        Op::AddPrefixList(p) => f(&prefix_list::Add(p)),
        Op::RemovePrefixList(p) => f(&prefix_list::Remove(p)),
        Op::AddRouteMap(p) => f(&route_map::Add(p)),
        Op::RemoveRouteMap(p) => f(&route_map::Remove(p)),
        Op::CreateLoopback(p) => f(&loopback::Create(p)),
        Op::DeleteLoopback(p) => f(&loopback::delete(p)),
        Op::CreateVtep(p) => f(&vxlan::CreateVtep(p)),
        Op::DeleteVtep(p) => f(&vxlan::DeleteVtep(p)),
        Op::MapVni(p) => f(&vxlan::Map(p)),
        Op::UnmapVni(p) => f(&vxlan::Unmap(p)),
        Op::AddDhcpRelay(p) => f(&dhcp_relay::Add(p)),
        Op::RemoveDhcpRelay(p) => f(&dhcp_relay::Remove(p)),
        Op::CreateBgpGlobals(p) => f(&bgp_globals::Create(p)),
        Op::DeleteBgpGlobals(p) => f(&bgp_globals::Delete(p)),
        Op::CreateBgpPeerGroup(p) => f(&bgp_peer_group::Create(p)),
        Op::DeleteBgpPeerGroup(p) => f(&bgp_peer_group::Delete(p)),
        Op::RestoreRow(p) => f(p),
        Op::UndoStep(p) => f(p),
    }
}

/// The operation a step carries; a step without one (`operation: {}` from
/// a client other than the CLI) is refused, never assumed.
pub fn operation_of(op: &Operation) -> Result<&Op, PlanError> {
    op.op.as_ref().ok_or_else(|| PlanError::new("operation", "no operation given"))
}

/// Rows an operation reads.
pub fn reads(op: &Op) -> Reads {
    with_op(op, |d| d.reads())
}

/// The catalogue's post-checks for what an operation creates.
pub fn checks(op: &Op) -> Vec<Check> {
    with_op(op, |d| d.checks())
}

/// Plans an operation: its static rules first (a workflow input need not
/// come from a suite file), then against the device's rows.
pub fn plan(op: &Op, view: &View) -> Result<Planned, PlanError> {
    operation::check(op).map_err(|e| PlanError::new(e.field, e.message))?;
    with_op(op, |d| d.plan(view))
}

#[cfg(test)]
pub(crate) mod tests {
    //! Fixture helpers shared by the operations' data-driven tests.
    use super::*;
    use std::collections::BTreeMap;
    use switchyard_proto::v1::Receipt;

    use crate::changeset::render_diff;

    pub(crate) fn rows(rows: &[(&str, &[(&str, &str)])]) -> BTreeMap<String, Row> {
        rows.iter().map(|(k, f)| (k.to_string(), f.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect())).collect()
    }

    fn receipt_line(r: &Receipt) -> String {
        let mut parts = Vec::new();
        if !r.created.is_empty() { parts.push(format!("created=[{}]", r.created.join(","))); }
        if !r.reused.is_empty() { parts.push(format!("reused=[{}]", r.reused.join(","))); }
        if !r.overwritten.is_empty() {
            let o: Vec<String> = r.overwritten.iter().map(|o| format!("{}.{}", o.key, o.field)).collect();
            parts.push(format!("overwritten=[{}]", o.join(",")));
        }
        if !r.deleted.is_empty() {
            let d: Vec<&str> = r.deleted.iter().map(|d| d.key.as_str()).collect();
            parts.push(format!("deleted=[{}]", d.join(",")));
        }
        if !r.list_added.is_empty() {
            let l: Vec<String> = r.list_added.iter().map(|l| format!("{}.{}+{}", l.key, l.field, l.element)).collect();
            parts.push(format!("list_added=[{}]", l.join(",")));
        }
        if !r.list_removed.is_empty() {
            let l: Vec<String> = r.list_removed.iter().map(|l| format!("{}.{}-{}", l.key, l.field, l.element)).collect();
            parts.push(format!("list_removed=[{}]", l.join(",")));
        }
        if !r.kept.is_empty() {
            let k: Vec<String> = r.kept.iter().map(|k| format!("{}: {}", k.key, k.reason)).collect();
            parts.push(format!("kept=[{}]", k.join(",")));
        }
        if !r.restarted.is_empty() { parts.push(format!("restarted=[{}]", r.restarted.join(","))); }
        parts.join(" ")
    }

    /// Plans `op` against `rows` and compares the rendered diff and receipt.
    pub(crate) fn check_plan(op: &dyn Catalogued, rows: BTreeMap<String, Row>, diff: &str, receipt: &str) {
        let planned = op.plan(&View::new(rows)).expect("plan");
        assert_eq!(render_diff(&planned.changes), diff);
        assert_eq!(receipt_line(&planned.receipt), receipt);
    }

    /// Plans `op` against `rows` and expects a refusal on `field`.
    pub(crate) fn check_refused(op: &dyn Catalogued, rows: BTreeMap<String, Row>, field: &str, message: &str) {
        let err = op.plan(&View::new(rows)).expect_err("refusal");
        assert_eq!(err.field, field, "{}", err.message);
        assert!(err.message.contains(message), "{}", err.message);
    }
}
