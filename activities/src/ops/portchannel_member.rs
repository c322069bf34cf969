//! add_portchannel_member / remove_portchannel_member: a port in a LAG.
//!
//! Writes:
//! ```text
//! + PORTCHANNEL_MEMBER|<pc>|<port>  NULL
//! - PORTCHANNEL_MEMBER|<pc>|<port>
//! ```
//! Preconditions: the PortChannel and the port exist; the port is in no
//! other PortChannel, no VLAN, carries no address and no ACL binding of its
//! own, and matches the LAG as SONiC's CLI requires (`add_portchannel_member`):
//! the PortChannel's MTU, and the speed of the members already in it; the
//! default TPID (0x8100); not a mirror session's destination; no
//! sub-interfaces.

use switchyard_proto::v1::PortChannelMember;

use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, Release, View, must_exist};

fn key(p: &PortChannelMember) -> String {
    format!("PORTCHANNEL_MEMBER|{}|{}", p.portchannel, p.port)
}

/// add_portchannel_member.
pub(crate) struct Add<'a>(pub(crate) &'a PortChannelMember);

impl Catalogued for Add<'_> {

    fn reads(&self) -> Reads {
        let (pc, port) = (&self.0.portchannel, &self.0.port);
        Reads::default()
            .key(format!("PORTCHANNEL|{pc}"))
            .key(format!("PORT|{port}"))
            .key(format!("INTERFACE|{port}"))
            .pattern(format!("PORTCHANNEL_MEMBER|*|{port}"))
            .pattern(format!("PORTCHANNEL_MEMBER|{pc}|*"))
            .pattern(format!("VLAN_MEMBER|*|{port}"))
            .pattern("ACL_TABLE|*")
            .pattern("PORT|*")
            .pattern(super::interfaces::MIRROR_SESSIONS)
            .pattern(format!("VLAN_SUB_INTERFACE|{port}.*"))
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
        // config/main.py add_portchannel_member: not with ACL bindings, not
        // with another MTU than the LAG's or another speed than its members'.
        if let Some(table) = view.keys("ACL_TABLE|*").into_iter()
            .find(|t| view.row(t).and_then(|r| r.get("ports@")).is_some_and(|l| l.split(',').any(|p| p == port)))
        {
            return Err(PlanError::new("port", format!("{port} is bound to {table}; unbind it first (a LAG member carries no ACL of its own)")));
        }
        let field = |key: &str, name: &str| view.row(key).and_then(|r| r.get(name)).cloned();
        let port_row = format!("PORT|{port}");
        if let (Some(lag), Some(own)) = (field(&format!("PORTCHANNEL|{pc}"), "mtu"), field(&port_row, "mtu"))
            && lag != own
        {
            return Err(PlanError::new("port", format!("{port} has MTU {own}, PortChannel {pc} has {lag}; SONiC's CLI adds only a port of the LAG's MTU")));
        }
        if let Some(speed) = field(&port_row, "speed") {
            let prefix = format!("PORTCHANNEL_MEMBER|{pc}|");
            for member in view.keys(&format!("{prefix}*")) {
                let other = member.strip_prefix(&prefix).unwrap_or_default();
                if let Some(theirs) = field(&format!("PORT|{other}"), "speed").filter(|s| *s != speed) {
                    return Err(PlanError::new("port", format!("{port} runs at {speed}, {pc}'s member {other} at {theirs}; a LAG's members run at one speed")));
                }
            }
        }
        // config/main.py add_portchannel_member: the default TPID only, no
        // mirror destination, no sub-interface.
        if let Some(tpid) = field(&port_row, "tpid").filter(|t| !t.eq_ignore_ascii_case("0x8100")) {
            return Err(PlanError::new("port", format!("{port} has TPID {tpid}; SONiC's CLI adds only a port with the default TPID 0x8100 to a LAG")));
        }
        if let Some(session) = super::interfaces::mirror_destination_of(view, port) {
            return Err(PlanError::new("port", format!("{port} is configured as mirror destination port ({session}); a mirror destination cannot join a LAG")));
        }
        if let Some(sub) = view.keys(&format!("VLAN_SUB_INTERFACE|{port}.*")).first() {
            return Err(PlanError::new("port", format!("{port} has a sub-interface ({sub}); remove it before the port joins a LAG")));
        }
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&own, &[]);
        Ok(plan.finish())
    }
}

/// remove_portchannel_member.
pub(crate) fn remove(p: &PortChannelMember) -> Release {
    Release::leaf(key(p), "port")
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

    #[test]
    fn a_member_matches_its_lag_as_the_cli_requires() {
        let m = PortChannelMember { portchannel: "PortChannel10".into(), port: "Ethernet8".into() };
        let lag = ("PORTCHANNEL|PortChannel10", &[("mtu", "9100")][..]);
        let port = ("PORT|Ethernet8", &[("mtu", "9100"), ("speed", "40000")][..]);
        let bound = ("ACL_TABLE|EDGE", &[("ports@", "Ethernet4,Ethernet8")][..]);
        check_refused(&Add(&m), rows(&[lag, port, bound]), "port", "is bound to ACL_TABLE|EDGE");
        let small = ("PORT|Ethernet8", &[("mtu", "1500"), ("speed", "40000")][..]);
        check_refused(&Add(&m), rows(&[lag, small]), "port", "has MTU 1500, PortChannel PortChannel10 has 9100");
        let member = ("PORTCHANNEL_MEMBER|PortChannel10|Ethernet4", &[("NULL", "NULL")][..]);
        let fast = ("PORT|Ethernet4", &[("mtu", "9100"), ("speed", "100000")][..]);
        check_refused(&Add(&m), rows(&[lag, port, member, fast]), "port", "a LAG's members run at one speed");
        let same = ("PORT|Ethernet4", &[("mtu", "9100"), ("speed", "40000")][..]);
        assert!(Add(&m).plan(&View::new(rows(&[lag, port, member, same]))).is_ok());
        // config/main.py add_portchannel_member: default TPID, no mirror
        // destination, no sub-interface.
        let tagged = ("PORT|Ethernet8", &[("mtu", "9100"), ("tpid", "0x88A8")][..]);
        check_refused(&Add(&m), rows(&[lag, tagged]), "port", "has TPID 0x88A8");
        let mirror = ("MIRROR_SESSION|SPAN1", &[("type", "SPAN"), ("dst_port", "Ethernet8")][..]);
        check_refused(&Add(&m), rows(&[lag, port, mirror]), "port", "mirror destination port (MIRROR_SESSION|SPAN1)");
        let sub = ("VLAN_SUB_INTERFACE|Ethernet8.10", &[("admin_status", "up")][..]);
        check_refused(&Add(&m), rows(&[lag, port, sub]), "port", "has a sub-interface");
    }
}
