//! add_portchannel_member / remove_portchannel_member: a port in a LAG.
//!
//! Writes:
//! ```text
//! + PORTCHANNEL_MEMBER|<pc>|<port>  NULL
//! - PORTCHANNEL_MEMBER|<pc>|<port>
//! ```
//! Preconditions: the PortChannel and the port exist; the port is in no
//! other PortChannel, no VLAN, and carries no address of its own.

use switchyard_proto::v1::PortChannelMember;

use super::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, must_exist, plan_release};

fn key(p: &PortChannelMember) -> String {
    format!("PORTCHANNEL_MEMBER|{}|{}", p.portchannel, p.port)
}

/// add_portchannel_member.
pub(crate) struct Add<'a>(pub(crate) &'a PortChannelMember);
/// remove_portchannel_member.
pub(crate) struct Remove<'a>(pub(crate) &'a PortChannelMember);

impl Catalogued for Add<'_> {

    fn reads(&self) -> Reads {
        let (pc, port) = (&self.0.portchannel, &self.0.port);
        Reads::default()
            .key(format!("PORTCHANNEL|{pc}"))
            .key(format!("PORT|{port}"))
            .key(format!("INTERFACE|{port}"))
            .pattern(format!("PORTCHANNEL_MEMBER|*|{port}"))
            .pattern(format!("VLAN_MEMBER|*|{port}"))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let (pc, port) = (&self.0.portchannel, &self.0.port);
        must_exist(view, &format!("PORTCHANNEL|{pc}"), "portchannel", &format!("PortChannel {pc}"))?;
        must_exist(view, &format!("PORT|{port}"), "port", &format!("port {port}"))?;
        let own = key(self.0);
        if let Some(other) = view.keys(&format!("PORTCHANNEL_MEMBER|*|{port}")).into_iter().find(|k| *k != own) {
            return Err(PlanError::new("port", format!("{port} is already in another PortChannel ({other})")));
        }
        if let Some(m) = view.keys(&format!("VLAN_MEMBER|*|{port}")).first() {
            return Err(PlanError::new("port", format!("{port} is a VLAN member ({m}); a PortChannel member cannot be")));
        }
        if view.row(&format!("INTERFACE|{port}")).is_some() {
            return Err(PlanError::new("port", format!("{port} has its own IP configuration (INTERFACE|{port})")));
        }
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&own, &[]);
        Ok(plan.finish())
    }
}

impl Catalogued for Remove<'_> {

    fn reads(&self) -> Reads {
        Reads::default().key(key(self.0))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        plan_release(view, &key(self.0), false, "port")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    #[test]
    fn plans() {
        let m = PortChannelMember { portchannel: "PortChannel10".into(), port: "Ethernet16".into() };
        let pc = ("PORTCHANNEL|PortChannel10", &[("mtu", "9100")][..]);
        let port = ("PORT|Ethernet16", &[("mtu", "9100")][..]);
        check_plan(&Add(&m), rows(&[pc, port]), "+ PORTCHANNEL_MEMBER|PortChannel10|Ethernet16 NULL=NULL\n",
            "created=[PORTCHANNEL_MEMBER|PortChannel10|Ethernet16]");
        check_refused(&Add(&m), rows(&[pc, port, ("PORTCHANNEL_MEMBER|PortChannel20|Ethernet16", &[("NULL", "NULL")])]), "port", "another PortChannel");
        check_refused(&Add(&m), rows(&[pc, port, ("VLAN_MEMBER|Vlan100|Ethernet16", &[("tagging_mode", "tagged")])]), "port", "VLAN member");
    }
}
