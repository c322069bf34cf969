//! set_port: port properties (mtu, admin_status, description, speed).
//!
//! Writes:
//! ```text
//! ~ PORT|<port>  mtu <old> → <new>, admin_status .., description .., speed ..
//! ```
//! Ports come from the platform: never created or deleted. The reverse
//! restores each previous value, unless someone changed the field since.
//! A PortChannel member's MTU is the LAG's: SONiC's CLI refuses to set it
//! on the member. A speed must be one the port reports in STATE_DB
//! `PORT_TABLE|<port>` `supported_speeds` (portconfig's check); a platform
//! that reports none is not checked, as portconfig does not, and the plan
//! says so.

use switchyard_proto::v1::PortProperties;

use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, must_exist};

impl Catalogued for PortProperties {

    fn reads(&self) -> Reads {
        Reads::default().key(format!("PORT|{}", self.port)).pattern(format!("PORTCHANNEL_MEMBER|*|{}", self.port))
            .state_key(format!("PORT_TABLE|{}", self.port))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let mut fields = Vec::new();
        if self.mtu > 0 {
            fields.push(("mtu", self.mtu.to_string()));
        }
        if !self.admin_status.is_empty() {
            fields.push(("admin_status", self.admin_status.clone()));
        }
        if !self.description.is_empty() {
            fields.push(("description", self.description.clone()));
        }
        if self.speed > 0 {
            fields.push(("speed", self.speed.to_string()));
        }
        let key = format!("PORT|{}", self.port);
        must_exist(view, &key, "port", &format!("port {}", self.port))?;
        if let Some(member) = view.keys(&format!("PORTCHANNEL_MEMBER|*|{}", self.port)).first().filter(|_| self.mtu > 0) {
            let pc = member.split('|').nth(1).unwrap_or_default();
            return Err(PlanError::new("mtu", format!("{} is a member of {pc}: its MTU is the PortChannel's (set it on {pc})", self.port)));
        }
        let mut plan = PlanBuilder::new(view);
        if self.speed > 0 {
            let state = format!("PORT_TABLE|{}", self.port);
            match view.state_row(&state).and_then(|r| r.get("supported_speeds")).filter(|s| !s.is_empty()) {
                Some(speeds) if !speeds.split(',').any(|s| s.trim() == self.speed.to_string()) => {
                    return Err(PlanError::new("speed", format!(
                        "{} supports {speeds} Mb/s (STATE_DB {state} supported_speeds); {} is not among them", self.port, self.speed)));
                }
                Some(speeds) => plan.note(format!("speed {} is among {}'s supported speeds {speeds} (STATE_DB {state})", self.speed, self.port)),
                None => plan.note(format!("{} reports no supported_speeds in STATE_DB {state}: speed {} not checked against the hardware", self.port, self.speed)),
            }
        }
        plan.ensure(&key, &fields);
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    #[test]
    fn plans() {
        let p = PortProperties { port: "Ethernet8".into(), mtu: 1500, admin_status: "down".into(), description: String::new(), speed: 0 };
        check_plan(&p, rows(&[("PORT|Ethernet8", &[("mtu", "9100"), ("admin_status", "up")])]),
            "~ PORT|Ethernet8 admin_status: up → down\n~ PORT|Ethernet8 mtu: 9100 → 1500\n",
            "reused=[PORT|Ethernet8] overwritten=[PORT|Ethernet8.mtu,PORT|Ethernet8.admin_status]");
        check_refused(&p, rows(&[]), "port", "no PORT|Ethernet8 row");
        // config/main.py interface mtu: refused on a PortChannel member.
        let member = rows(&[("PORT|Ethernet8", &[("mtu", "9100")]), ("PORTCHANNEL_MEMBER|PortChannel10|Ethernet8", &[("NULL", "NULL")])]);
        check_refused(&p, member, "mtu", "its MTU is the PortChannel's");
    }

    /// portconfig: a speed the port does not list in STATE_DB
    /// PORT_TABLE supported_speeds is refused.
    #[test]
    fn a_speed_is_one_the_port_supports() {
        let p = PortProperties { port: "Ethernet8".into(), speed: 25000, ..Default::default() };
        let port = rows(&[("PORT|Ethernet8", &[("speed", "100000")])]);
        let state = |speeds: &str| rows(&[("PORT_TABLE|Ethernet8", &[("supported_speeds", speeds)])]);
        let refused = p.plan(&View::new(port.clone()).with_state(state("40000,100000"))).unwrap_err();
        assert_eq!(refused.field, "speed");
        assert!(refused.message.contains("supports 40000,100000 Mb/s (STATE_DB PORT_TABLE|Ethernet8 supported_speeds)"), "{}", refused.message);
        let planned = p.plan(&View::new(port.clone()).with_state(state("10000,25000,40000,100000"))).unwrap();
        assert_eq!(planned.notes, ["speed 25000 is among Ethernet8's supported speeds 10000,25000,40000,100000 (STATE_DB PORT_TABLE|Ethernet8)"]);
        let unchecked = p.plan(&View::new(port)).unwrap();
        assert!(unchecked.notes[0].contains("not checked"), "{:?}", unchecked.notes);
    }
}
