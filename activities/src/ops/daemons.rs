//! The SONiC services steps restart, and why: daemons that read their
//! tables only when they start, so a change takes effect only once they
//! restart (as SONiC's CLI restarts them after the same change). The
//! restart is recorded in the step's receipt and run by the worker after
//! the write (`activities/src/restarts.rs`).
//!
//! Must never: restart a service whose tables the step did not change.

use super::plan::PlanBuilder;

/// isc-dhcp-relay and dhcp6relay: the VLAN's dhcp_servers and DHCP_RELAY
/// (sonic-buildimage dhcp_relay.py `restart_dhcp_relay_service`).
pub(crate) const DHCP_RELAY: (&str, &str) = ("dhcp_relay", "restarts dhcp_relay once written, as SONiC's CLI does: the relay reads dhcp_servers and DHCP_RELAY only at start");

/// snmpd: communities, agent addresses, location and contact
/// (sonic-utilities config/main.py restarts snmp after each; hostcfgd has
/// no SNMP handler).
pub(crate) const SNMP: (&str, &str) = ("snmp", "restarts snmp once written, as SONiC's CLI does: snmpd reads its configuration only at start");

/// Restarts `service` when the step changed any row so far.
pub(crate) fn restart_if_changed(plan: &mut PlanBuilder, (service, why): (&str, &str)) {
    if plan.changed_keys().next().is_some() {
        plan.restart(service, why.to_string());
    }
}
