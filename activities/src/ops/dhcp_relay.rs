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

use switchyard_proto::operation::list_items;
use switchyard_proto::v1::DhcpRelay;

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

fn reads(p: &DhcpRelay) -> Reads {
    Reads::default()
        .key(METADATA)
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
            "list_added=[VLAN|Vlan100.dhcp_servers@+10.0.0.9,VLAN|Vlan100.dhcp_servers@+10.0.1.9]");
        check_refused(&Add(&relay), rows(&[]), "vlan_id", "VLAN Vlan100 does not exist");
        // Another tenant's server stays.
        let shared = rows(&[("VLAN|Vlan100", &[("vlanid", "100"), ("dhcp_servers@", "10.0.2.9,10.0.0.9,10.0.1.9")])]);
        check_plan(&Remove(&relay), shared, "~ VLAN|Vlan100 dhcp_servers@: 10.0.2.9,10.0.0.9,10.0.1.9 → 10.0.2.9\n",
            "list_removed=[VLAN|Vlan100.dhcp_servers@-10.0.0.9,VLAN|Vlan100.dhcp_servers@-10.0.1.9]");
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
            "created=[DHCPV4_RELAY|Vlan100,DHCP_RELAY|Vlan100] list_added=[DHCPV4_RELAY|Vlan100.dhcpv4_servers@+10.0.0.9,DHCP_RELAY|Vlan100.dhcpv6_servers@+2001:db8::9]");
        let planned = Add(&relay).plan(&View::new(rows(&[vlan, new_relay]))).unwrap();
        assert_eq!(planned.notes, ["IPv4 relay in DHCPV4_RELAY (DEVICE_METADATA has_sonic_dhcpv4_relay=True)"]);
        let planned = Add(&relay).plan(&View::new(rows(&[vlan]))).unwrap();
        assert_eq!(planned.notes, ["IPv4 relay in the VLAN's dhcp_servers@ (no has_sonic_dhcpv4_relay in DEVICE_METADATA)"]);

        // The last server of a relay row takes the row with it; the reverse puts it back.
        let v6 = DhcpRelay { vlan_id: 100, servers: "2001:db8::9".into() };
        let before = rows(&[vlan, ("DHCP_RELAY|Vlan100", &[("dhcpv6_servers@", "2001:db8::9")])]);
        check_plan(&Remove(&v6), before.clone(), "- DHCP_RELAY|Vlan100\n",
            "deleted=[DHCP_RELAY|Vlan100] list_removed=[DHCP_RELAY|Vlan100.dhcpv6_servers@-2001:db8::9]");
        let removed = Remove(&v6).plan(&View::new(before.clone())).unwrap();
        let mut after = View::new(before.clone());
        after.apply(&removed.changes);
        let undo = reverse::plan("d", "s", &removed.receipt, &after);
        after.apply(&undo.changes);
        assert_eq!(after, View::new(before));
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
