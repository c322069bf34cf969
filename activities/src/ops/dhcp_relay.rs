//! add_dhcp_relay / remove_dhcp_relay: DHCP relay on an SVI, IPv4 and IPv6.
//!
//! Writes each server where the device's SONiC keeps it, as its CLI does
//! (`config vlan dhcp_relay add`, the dhcp_relay plugin):
//! ```text
//! ~ VLAN|Vlan<id>          dhcp_servers@   += <v4 server>   IPv4, the form every release relays from
//! ~ DHCPV4_RELAY|Vlan<id>  dhcpv4_servers@ += <v4 server>   IPv4 where DEVICE_METADATA has_sonic_dhcpv4_relay is "True"
//! ~ DHCP_RELAY|Vlan<id>    dhcpv6_servers@ += <v6 server>   IPv6 (the row is made for the first server)
//! ```
//! Each server is one element of its list: removal and the reverse take out
//! only the servers the step named or added, so tenants sharing a VLAN keep
//! theirs; a relay row whose last server goes is deleted, as the CLI does.
//! Preconditions: the VLAN exists.
//!
//! The relays read the VLAN's `dhcp_servers@` (isc-dhcp-relay, through the
//! container's supervisord configuration) and DHCP_RELAY (dhcp6relay) only
//! when they start, so a step that changes either restarts `dhcp_relay`
//! once written, as the CLI's `restart_dhcp_relay_service` does
//! (`systemctl stop`, `reset-failed`, `start`); its reverse restarts it
//! again. SONiC's own DHCPv4 relay follows DHCPV4_RELAY live: no restart.
//! Where FEATURE|dhcp_relay is disabled no relay runs: the plan warns and
//! starts nothing.

use switchyard_proto::operation::list_items;
use switchyard_proto::v1::DhcpRelay;

use super::daemons::DHCP_RELAY;
use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, must_exist};

const METADATA: &str = "DEVICE_METADATA|localhost";

/// Where one server is kept: the row and its list field.
fn place(p: &DhcpRelay, server: &str, sonic_dhcpv4_relay: bool) -> (String, &'static str) {
    match (server.contains(':'), sonic_dhcpv4_relay) {
        (true, _) => (format!("DHCP_RELAY|Vlan{}", p.vlan_id), "dhcpv6_servers@"),
        (false, true) => (format!("DHCPV4_RELAY|Vlan{}", p.vlan_id), "dhcpv4_servers@"),
        (false, false) => (vlan_key(p), "dhcp_servers@"),
    }
}

fn vlan_key(p: &DhcpRelay) -> String {
    format!("VLAN|Vlan{}", p.vlan_id)
}

/// Whether the device runs SONiC's own DHCPv4 relay (the CLI's
/// `check_sonic_dhcpv4_relay_flag`), which reads DHCPV4_RELAY.
fn sonic_dhcpv4_relay(view: &View) -> bool {
    view.row(METADATA).and_then(|r| r.get("has_sonic_dhcpv4_relay")).is_some_and(|v| v == "True")
}

/// The relay's FEATURE row.
const FEATURE: &str = "FEATURE|dhcp_relay";

/// Restarts the relay when the step changed what it reads only at start;
/// warns instead where the feature is disabled.
fn restart_if_read_at_start(plan: &mut PlanBuilder, p: &DhcpRelay) {
    let vlan = vlan_key(p);
    if !plan.changed_keys().any(|k| k == vlan || k.starts_with("DHCP_RELAY|")) {
        return;
    }
    let state = plan.row(FEATURE).and_then(|r| r.get("state")).cloned().unwrap_or_default();
    if state.ends_with("disabled") {
        plan.warn(format!("{FEATURE} is {state}: no DHCP relay runs on this device, so these servers take effect only once the feature is enabled"));
    } else {
        plan.restart(DHCP_RELAY.0, DHCP_RELAY.1.to_string());
    }
}

fn reads(p: &DhcpRelay) -> Reads {
    Reads::default()
        .key(METADATA)
        .key(FEATURE)
        .key(vlan_key(p))
        .key(format!("DHCPV4_RELAY|Vlan{}", p.vlan_id))
        .key(format!("DHCP_RELAY|Vlan{}", p.vlan_id))
}

fn form_note(p: &DhcpRelay, v4_relay: bool) -> Option<String> {
    let v4 = list_items(&p.servers).into_iter().any(|s| !s.contains(':'));
    v4.then(|| if v4_relay {
        "IPv4 relay in DHCPV4_RELAY (DEVICE_METADATA has_sonic_dhcpv4_relay=True)".to_string()
    } else {
        "IPv4 relay in the VLAN's dhcp_servers@ (no has_sonic_dhcpv4_relay in DEVICE_METADATA)".to_string()
    })
}

/// add_dhcp_relay.
pub(crate) struct Add<'a>(pub(crate) &'a DhcpRelay);
/// remove_dhcp_relay.
pub(crate) struct Remove<'a>(pub(crate) &'a DhcpRelay);

impl Catalogued for Add<'_> {

    fn reads(&self) -> Reads {
        reads(self.0)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        must_exist(view, &vlan_key(p), "vlan_id", &format!("VLAN Vlan{}", p.vlan_id))?;
        let v4_relay = sonic_dhcpv4_relay(view);
        let mut plan = PlanBuilder::new(view);
        if let Some(note) = form_note(p, v4_relay) {
            plan.note(note);
        }
        for server in list_items(&p.servers) {
            let (key, field) = place(p, server, v4_relay);
            plan.list_add(&key, field, server);
        }
        restart_if_read_at_start(&mut plan, p);
        Ok(plan.finish())
    }
}

impl Catalogued for Remove<'_> {

    fn reads(&self) -> Reads {
        reads(self.0)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let v4_relay = sonic_dhcpv4_relay(view);
        let mut plan = PlanBuilder::new(view);
        for server in list_items(&p.servers) {
            // An IPv4 server is taken from wherever it is: a switch upgraded
            // to the new relay may still hold it in the VLAN's list.
            let (key, field) = place(p, server, v4_relay);
            let (other, other_field) = place(p, server, !v4_relay);
            let held = |k: &str, f: &str| plan.row(k).and_then(|r| r.get(f)).is_some_and(|l| l.split(',').any(|s| s == server));
            if !held(&key, field) && held(&other, other_field) {
                plan.list_remove(&other, other_field, server);
            } else {
                plan.list_remove(&key, field, server);
            }
        }
        restart_if_read_at_start(&mut plan, p);
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::reverse;
    use crate::ops::tests::{check_plan, check_refused, rows};

    #[test]
    fn relays_to_each_server_in_the_vlans_list() {
        let relay = DhcpRelay { vlan_id: 100, servers: "10.0.0.9,10.0.1.9".into() };
        let vlan = ("VLAN|Vlan100", &[("vlanid", "100")][..]);
        check_plan(&Add(&relay), rows(&[vlan]),
            "~ VLAN|Vlan100 dhcp_servers@: (unset) → 10.0.0.9,10.0.1.9\n",
            "list_added=[VLAN|Vlan100.dhcp_servers@+10.0.0.9,VLAN|Vlan100.dhcp_servers@+10.0.1.9] restarted=[dhcp_relay]");
        check_refused(&Add(&relay), rows(&[]), "vlan_id", "VLAN Vlan100 does not exist");
        // Another tenant's server stays.
        let shared = rows(&[("VLAN|Vlan100", &[("vlanid", "100"), ("dhcp_servers@", "10.0.2.9,10.0.0.9,10.0.1.9")])]);
        check_plan(&Remove(&relay), shared, "~ VLAN|Vlan100 dhcp_servers@: 10.0.2.9,10.0.0.9,10.0.1.9 → 10.0.2.9\n",
            "list_removed=[VLAN|Vlan100.dhcp_servers@-10.0.0.9,VLAN|Vlan100.dhcp_servers@-10.0.1.9] restarted=[dhcp_relay]");
    }

    /// The CLI's dhcp_relay plugin: DHCPV4_RELAY where DEVICE_METADATA
    /// has_sonic_dhcpv4_relay is "True"; IPv6 always in DHCP_RELAY.
    #[test]
    fn each_family_goes_where_the_devices_sonic_keeps_it() {
        let relay = DhcpRelay { vlan_id: 100, servers: "10.0.0.9,2001:db8::9".into() };
        let vlan = ("VLAN|Vlan100", &[("vlanid", "100")][..]);
        let new_relay = ("DEVICE_METADATA|localhost", &[("has_sonic_dhcpv4_relay", "True")][..]);
        check_plan(&Add(&relay), rows(&[vlan, new_relay]),
            "+ DHCPV4_RELAY|Vlan100 dhcpv4_servers@=10.0.0.9\n+ DHCP_RELAY|Vlan100 dhcpv6_servers@=2001:db8::9\n",
            "created=[DHCPV4_RELAY|Vlan100,DHCP_RELAY|Vlan100] list_added=[DHCPV4_RELAY|Vlan100.dhcpv4_servers@+10.0.0.9,DHCP_RELAY|Vlan100.dhcpv6_servers@+2001:db8::9] restarted=[dhcp_relay]");
        let planned = Add(&relay).plan(&View::new(rows(&[vlan, new_relay]))).unwrap();
        assert_eq!(planned.notes[0], "IPv4 relay in DHCPV4_RELAY (DEVICE_METADATA has_sonic_dhcpv4_relay=True)");
        let planned = Add(&relay).plan(&View::new(rows(&[vlan]))).unwrap();
        assert_eq!(planned.notes[0], "IPv4 relay in the VLAN's dhcp_servers@ (no has_sonic_dhcpv4_relay in DEVICE_METADATA)");

        // The last server of a relay row takes the row with it; the reverse puts it back.
        let v6 = DhcpRelay { vlan_id: 100, servers: "2001:db8::9".into() };
        let before = rows(&[vlan, ("DHCP_RELAY|Vlan100", &[("dhcpv6_servers@", "2001:db8::9")])]);
        check_plan(&Remove(&v6), before.clone(), "- DHCP_RELAY|Vlan100\n",
            "deleted=[DHCP_RELAY|Vlan100] list_removed=[DHCP_RELAY|Vlan100.dhcpv6_servers@-2001:db8::9] restarted=[dhcp_relay]");
        let removed = Remove(&v6).plan(&View::new(before.clone())).unwrap();
        let mut after = View::new(before.clone());
        after.apply(&removed.changes);
        let undo = reverse::plan("d", "s", &removed.receipt, &after);
        after.apply(&undo.changes);
        assert_eq!(after, View::new(before));
    }

    /// sonic-buildimage dhcp_relay.py `restart_dhcp_relay_service` (skipped
    /// for IPv4 where has_sonic_dhcpv4_relay is True); dhcp6relay reads
    /// DHCP_RELAY only at start (config_interface.cpp).
    #[test]
    fn the_relay_restarts_when_it_reads_the_change_only_at_start() {
        let vlan = ("VLAN|Vlan100", &[("vlanid", "100")][..]);
        let new_relay = ("DEVICE_METADATA|localhost", &[("has_sonic_dhcpv4_relay", "True")][..]);
        let restarted = |p: &DhcpRelay, rows: Vec<(&'static str, &'static [(&'static str, &'static str)])>| {
            let planned = Add(p).plan(&View::new(crate::ops::tests::rows(&rows))).unwrap();
            (planned.receipt.restarted, planned.warnings)
        };
        let v4 = DhcpRelay { vlan_id: 100, servers: "10.0.0.9".into() };
        let v6 = DhcpRelay { vlan_id: 100, servers: "2001:db8::9".into() };
        assert_eq!(restarted(&v4, vec![vlan]).0, ["dhcp_relay"], "isc-dhcp-relay reads dhcp_servers at start");
        assert!(restarted(&v4, vec![vlan, new_relay]).0.is_empty(), "SONiC's DHCPv4 relay follows DHCPV4_RELAY live");
        assert_eq!(restarted(&v6, vec![vlan, new_relay]).0, ["dhcp_relay"], "dhcp6relay reads DHCP_RELAY at start");
        // Nothing changes, nothing restarts.
        assert!(restarted(&v4, vec![("VLAN|Vlan100", &[("vlanid", "100"), ("dhcp_servers@", "10.0.0.9")])]).0.is_empty());
        // A disabled feature is not started: warned.
        let (none, warnings) = restarted(&v4, vec![vlan, ("FEATURE|dhcp_relay", &[("state", "disabled")])]);
        assert!(none.is_empty() && warnings.len() == 1 && warnings[0].contains("FEATURE|dhcp_relay is disabled"), "{warnings:?}");
        // Removal restarts too; its reverse (from the same receipt) again.
        let held = rows(&[("VLAN|Vlan100", &[("vlanid", "100"), ("dhcp_servers@", "10.0.0.9")])]);
        assert_eq!(Remove(&v4).plan(&View::new(held)).unwrap().receipt.restarted, ["dhcp_relay"]);
    }

    /// Two tenants on one relay row: undoing the one who made the row keeps
    /// the other's server, and so the row.
    #[test]
    fn a_shared_relay_row_stays_while_it_has_servers() {
        let vlan = ("VLAN|Vlan100", &[("vlanid", "100")][..]);
        let first = DhcpRelay { vlan_id: 100, servers: "2001:db8::9".into() };
        let second = DhcpRelay { vlan_id: 100, servers: "2001:db8::10".into() };
        let mut view = View::new(rows(&[vlan]));
        let a = Add(&first).plan(&view).unwrap();
        view.apply(&a.changes);
        let b = Add(&second).plan(&view).unwrap();
        view.apply(&b.changes);
        let undo = reverse::plan("d", "s", &a.receipt, &view);
        view.apply(&undo.changes);
        assert_eq!(view.row("DHCP_RELAY|Vlan100").unwrap()["dhcpv6_servers@"], "2001:db8::10");
        let undo = reverse::plan("d", "s", &b.receipt, &view);
        view.apply(&undo.changes);
        assert_eq!(view, View::new(rows(&[vlan])));
    }
}
