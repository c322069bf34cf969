//! add_vlan_member / remove_vlan_member: a port (or PortChannel) in a VLAN.
//!
//! Writes:
//! ```text
//! + VLAN_MEMBER|Vlan<id>|<port>  tagging_mode=<mode>    add, when absent
//! ~ VLAN_MEMBER|Vlan<id>|<port>  tagging_mode <old> → <mode>
//! - VLAN_MEMBER|Vlan<id>|<port>                         remove
//! ```
//! Preconditions: the VLAN and the port exist, the port is not a PortChannel
//! member, not a routed port, not a mirror session's destination
//! (config/vlan.py), and an untagged member of no other VLAN.
//! Built-in check (`checks.builtin`): the member is oper up in APPL_DB
//! `PORT_TABLE:<port>` (`LAG_TABLE:<PortChannel>`).

use switchyard_proto::v1::{AddVlanMember, Check, CheckDb, TaggingMode};

use super::keys::vlan_key;
use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, Release, View, expect_equal, must_exist};
use super::keys::port_key;

fn mode(p: &AddVlanMember) -> &'static str {
    if p.tagging_mode == TaggingMode::Tagged as i32 { "tagged" } else { "untagged" }
}

fn member_key(p: &AddVlanMember) -> String {
    format!("VLAN_MEMBER|Vlan{}|{}", p.vlan_id, p.port)
}

impl Catalogued for AddVlanMember {

    /// The member's port is up, as `show interfaces status` reads it
    /// (APPL_DB, where SONiC's port and LAG managers report oper status).
    fn checks(&self) -> Vec<Check> {
        let port = &self.port;
        let key = if port.starts_with("PortChannel") { format!("LAG_TABLE:{port}") } else { format!("PORT_TABLE:{port}") };
        vec![expect_equal(format!("VLAN {} member {port} up", self.vlan_id), CheckDb::Appl, key, "oper_status", "up")]
    }

    fn reads(&self) -> Reads {
        let port = &self.port;
        Reads::default()
            .key(vlan_key(self.vlan_id))
            .key(port_key(port))
            .key(format!("INTERFACE|{port}"))
            .pattern(format!("VLAN_MEMBER|*|{port}"))
            .pattern(format!("PORTCHANNEL_MEMBER|*|{port}"))
            .pattern(super::interfaces::MIRROR_SESSIONS)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let port = &self.port;
        let vlan = vlan_key(self.vlan_id);
        if view.row(&vlan).is_none() {
            return Err(PlanError::new("vlan_id", format!("{vlan} does not exist; create it first (create_vlan)")));
        }
        must_exist(view, &port_key(port), "port", &format!("port {port}"))?;
        if let Some(lag) = view.keys(&format!("PORTCHANNEL_MEMBER|*|{port}")).first() {
            return Err(PlanError::new("port", format!("{port} is a PortChannel member ({lag}); add the PortChannel instead")));
        }
        if view.row(&format!("INTERFACE|{port}")).is_some() {
            return Err(PlanError::new("port", format!("{port} is a routed port (INTERFACE|{port}); it cannot join a VLAN")));
        }
        if let Some(session) = super::interfaces::mirror_destination_of(view, port) {
            return Err(PlanError::new("port", format!("{port} is configured as mirror destination port ({session}); it cannot join a VLAN")));
        }
        let key = member_key(self);
        let wanted = mode(self);
        // sonic-port.yang `mode`, as config/vlan.py checks it.
        match super::interfaces::mode_of(view, port) {
            Some("routed") => return Err(PlanError::new("port", format!("{port} is in routed mode; it cannot join a VLAN (set_switchport_mode first)"))),
            Some("access") if wanted == "tagged" => return Err(PlanError::new("tagging_mode", format!("{port} is in access mode: an untagged member of one VLAN only"))),
            _ => {}
        }
        if wanted == "untagged" {
            for other in view.keys(&format!("VLAN_MEMBER|*|{port}")) {
                let untagged = view.row(&other).and_then(|r| r.get("tagging_mode")).is_none_or(|m| m == "untagged");
                if other != key && untagged {
                    return Err(PlanError::new("port", format!("{port} is already an untagged member of another VLAN ({other})")));
                }
            }
        }
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&key, &[("tagging_mode", wanted.to_string())]);
        Ok(plan.finish())
    }
}


/// remove_vlan_member.
pub(crate) fn remove(p: &AddVlanMember) -> Release {
    Release::leaf(member_key(p), "port")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    const PORT: (&str, &[(&str, &str)]) = ("PORT|Ethernet4", &[("mtu", "9100")]);
    const VLAN: (&str, &[(&str, &str)]) = ("VLAN|Vlan100", &[("vlanid", "100")]);

    fn op(mode: TaggingMode) -> AddVlanMember {
        AddVlanMember { vlan_id: 100, port: "Ethernet4".into(), tagging_mode: mode as i32 }
    }

    #[test]
    fn plans() {
        check_plan(&op(TaggingMode::Untagged), rows(&[PORT, VLAN]),
            "+ VLAN_MEMBER|Vlan100|Ethernet4 tagging_mode=untagged\n", "created=[VLAN_MEMBER|Vlan100|Ethernet4]");
        check_plan(&op(TaggingMode::Tagged), rows(&[PORT, VLAN, ("VLAN_MEMBER|Vlan100|Ethernet4", &[("tagging_mode", "untagged")])]),
            "~ VLAN_MEMBER|Vlan100|Ethernet4 tagging_mode: untagged → tagged\n",
            "reused=[VLAN_MEMBER|Vlan100|Ethernet4] overwritten=[VLAN_MEMBER|Vlan100|Ethernet4.tagging_mode]");
        // A tagged member may sit in several VLANs.
        check_plan(&op(TaggingMode::Tagged), rows(&[PORT, VLAN, ("VLAN_MEMBER|Vlan200|Ethernet4", &[("tagging_mode", "tagged")])]),
            "+ VLAN_MEMBER|Vlan100|Ethernet4 tagging_mode=tagged\n", "created=[VLAN_MEMBER|Vlan100|Ethernet4]");
        check_plan(&remove(&op(TaggingMode::Tagged)), rows(&[("VLAN_MEMBER|Vlan100|Ethernet4", &[("tagging_mode", "tagged")])]),
            "- VLAN_MEMBER|Vlan100|Ethernet4\n", "deleted=[VLAN_MEMBER|Vlan100|Ethernet4]");
    }

    #[test]
    fn the_ports_switchport_mode_decides_membership() {
        // config/vlan.py: no VLAN membership on a routed-mode port; an
        // access port is an untagged member only.
        let routed = ("PORT|Ethernet4", &[("mode", "routed")][..]);
        check_refused(&op(TaggingMode::Untagged), rows(&[routed, VLAN]), "port", "routed mode");
        let access = ("PORT|Ethernet4", &[("mode", "access")][..]);
        check_refused(&op(TaggingMode::Tagged), rows(&[access, VLAN]), "tagging_mode", "access mode");
        assert!(op(TaggingMode::Untagged).plan(&View::new(rows(&[access, VLAN]))).is_ok());
    }

    #[test]
    fn refusals() {
        let untagged = op(TaggingMode::Untagged);
        check_refused(&untagged, rows(&[PORT]), "vlan_id", "VLAN|Vlan100 does not exist");
        check_refused(&untagged, rows(&[VLAN]), "port", "no PORT|Ethernet4 row");
        check_refused(&untagged, rows(&[PORT, VLAN, ("VLAN_MEMBER|Vlan200|Ethernet4", &[("tagging_mode", "untagged")])]),
            "port", "already an untagged member of another VLAN (VLAN_MEMBER|Vlan200|Ethernet4)");
        check_refused(&untagged, rows(&[PORT, VLAN, ("PORTCHANNEL_MEMBER|PortChannel1|Ethernet4", &[("NULL", "NULL")])]),
            "port", "PortChannel member");
        check_refused(&untagged, rows(&[PORT, VLAN, ("INTERFACE|Ethernet4", &[("NULL", "NULL")])]), "port", "routed port");
    }
}
