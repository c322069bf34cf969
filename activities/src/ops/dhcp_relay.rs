//! add_dhcp_relay / remove_dhcp_relay: IPv4 DHCP relay on an SVI.
//!
//! Writes, as SONiC's CLI does (`config vlan dhcp_relay add`):
//! ```text
//! ~ VLAN|Vlan<id>  dhcp_servers@ += <server>     the form every SONiC release relays from
//! ```
//! Each server is one element of the VLAN's list: removal and the reverse
//! take out only the servers the step named or added, so tenants sharing a
//! VLAN keep theirs. Preconditions: the VLAN exists. IPv6 relay
//! (DHCP_RELAY `dhcpv6_servers@`) is refused by the static rules until its
//! shared row can be undone element by element too.

use switchyard_proto::operation::list_items;
use switchyard_proto::v1::DhcpRelay;

use super::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, must_exist};

const SERVERS: &str = "dhcp_servers@";

fn vlan_key(p: &DhcpRelay) -> String {
    format!("VLAN|Vlan{}", p.vlan_id)
}

/// add_dhcp_relay.
pub(crate) struct Add<'a>(pub(crate) &'a DhcpRelay);
/// remove_dhcp_relay.
pub(crate) struct Remove<'a>(pub(crate) &'a DhcpRelay);

impl Catalogued for Add<'_> {

    fn reads(&self) -> Reads {
        Reads::default().key(vlan_key(self.0))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let vlan = vlan_key(p);
        must_exist(view, &vlan, "vlan_id", &format!("VLAN Vlan{}", p.vlan_id))?;
        let mut plan = PlanBuilder::new(view);
        for server in list_items(&p.servers) {
            plan.list_add(&vlan, SERVERS, server);
        }
        Ok(plan.finish())
    }
}

impl Catalogued for Remove<'_> {

    fn reads(&self) -> Reads {
        Reads::default().key(vlan_key(self.0))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let mut plan = PlanBuilder::new(view);
        for server in list_items(&p.servers) {
            plan.list_remove(&vlan_key(p), SERVERS, server);
        }
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
