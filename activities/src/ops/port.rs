//! set_port: port properties (mtu, admin_status, description, speed).
//!
//! Writes:
//! ```text
//! ~ PORT|<port>  mtu <old> → <new>, admin_status .., description .., speed ..
//! ```
//! Ports come from the platform: never created or deleted. The reverse
//! restores each previous value, unless someone changed the field since.
//! A PortChannel member's MTU is the LAG's: SONiC's CLI refuses to set it
//! on the member.

use switchyard_proto::v1::PortProperties;

use super::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, must_exist};

impl Catalogued for PortProperties {

    fn reads(&self) -> Reads {
        Reads::default().key(format!("PORT|{}", self.port)).pattern(format!("PORTCHANNEL_MEMBER|*|{}", self.port))
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
}
