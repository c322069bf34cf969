//! create_vlan / delete_vlan: the VLAN object.
//!
//! Writes:
//! ```text
//! + VLAN|Vlan<id>  vlanid=<id> [description=<text>]     create_vlan, when absent
//! ~ VLAN|Vlan<id>  description <old> → <text>           create_vlan, when present
//! - VLAN|Vlan<id>                                      delete_vlan, when unused
//! ```
//! Used by VLAN_MEMBER|Vlan<id>|*, VLAN_INTERFACE|Vlan<id>[|*], its own
//! dhcp_servers@, DHCPV4_RELAY / DHCP_RELAY / DHCP_SERVER_IPV4 / STP_VLAN /
//! MCLAG_UNIQUE_IP|Vlan<id>, and VXLAN_TUNNEL_MAP rows mapping it.

use switchyard_proto::v1::{CreateVlan, DeleteVlan};

use super::keys::vlan_key;
use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, Release, View};

impl Catalogued for CreateVlan {

    fn reads(&self) -> Reads {
        Reads::default().key(vlan_key(self.vlan_id))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let key = vlan_key(self.vlan_id);
        if let Some(existing) = view.row(&key)
            && let Some(id) = existing.get("vlanid").filter(|v| **v != self.vlan_id.to_string())
        {
            return Err(PlanError::new("vlan_id", format!("{key} exists with vlanid={id}")));
        }
        let mut plan = PlanBuilder::new(view);
        let mut fields = vec![("vlanid", self.vlan_id.to_string())];
        if !self.description.is_empty() {
            fields.push(("description", self.description.clone()));
        }
        if view.row(&key).is_some() {
            // An existing VLAN keeps its vlanid; only the description is ours to set.
            fields.remove(0);
        }
        plan.ensure(&key, &fields);
        Ok(plan.finish())
    }
}

/// delete_vlan: the VLAN's row, unless something still uses it.
pub(crate) fn delete(p: &DeleteVlan) -> Release {
    Release::object(vlan_key(p.vlan_id), p.keep_if_used, "vlan_id")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    #[test]
    fn create() {
        let op = CreateVlan { vlan_id: 100, description: "tenant-a".into() };
        check_plan(&op, rows(&[]), "+ VLAN|Vlan100 description=tenant-a vlanid=100\n", "created=[VLAN|Vlan100]");
        check_plan(&op, rows(&[("VLAN|Vlan100", &[("vlanid", "100")])]),
            "~ VLAN|Vlan100 description: (unset) → tenant-a\n", "reused=[VLAN|Vlan100] overwritten=[VLAN|Vlan100.description]");
        check_plan(&op, rows(&[("VLAN|Vlan100", &[("vlanid", "100"), ("description", "tenant-a")])]), "", "reused=[VLAN|Vlan100]");
    }

    #[test]
    fn delete_vlan() {
        let vlan = ("VLAN|Vlan100", &[("vlanid", "100")][..]);
        check_plan(&delete(&DeleteVlan { vlan_id: 100, keep_if_used: false }), rows(&[vlan]), "- VLAN|Vlan100\n", "deleted=[VLAN|Vlan100]");
        let member = ("VLAN_MEMBER|Vlan100|Ethernet0", &[("tagging_mode", "untagged")][..]);
        check_refused(&delete(&DeleteVlan { vlan_id: 100, keep_if_used: false }), rows(&[vlan, member]), "vlan_id",
            "still used by VLAN_MEMBER|Vlan100|Ethernet0");
        check_plan(&delete(&DeleteVlan { vlan_id: 100, keep_if_used: true }), rows(&[vlan, member]), "",
            "kept=[VLAN|Vlan100: still used by VLAN_MEMBER|Vlan100|Ethernet0]");
        check_plan(&delete(&DeleteVlan { vlan_id: 100, keep_if_used: false }), rows(&[]), "", "kept=[VLAN|Vlan100: already absent]");
    }
}
