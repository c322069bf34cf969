//! set_snmp / clear_snmp: the switch's SNMP system location and contact.
//!
//! Writes (sonic-snmp.yang `SNMP|LOCATION`, `SNMP|CONTACT`):
//! ```text
//! ~ SNMP|LOCATION  Location <old> → <text>     set, when given
//! ~ SNMP|CONTACT   Contact <old> → <text>      set, when given
//! - SNMP|LOCATION, SNMP|CONTACT                clear
//! ```
//! The contact is written as sonic-snmp.yang models it (`Contact`);
//! `config snmp contact add` writes `{<name>: <email>}` instead, which the
//! YANG models refuse. A change restarts snmp, as the CLI does (snmpd
//! reads sysLocation and sysContact only at start); its reverse restarts
//! it again.

use switchyard_proto::v1::SnmpSystem;

use super::daemons::{SNMP, restart_if_changed};
use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View};

const LOCATION: &str = "SNMP|LOCATION";
const CONTACT: &str = "SNMP|CONTACT";


/// set_snmp.
pub(crate) struct Set<'a>(pub(crate) &'a SnmpSystem);
/// clear_snmp.
pub(crate) struct Clear;

impl Catalogued for Set<'_> {

    fn reads(&self) -> Reads {
        Reads::default().key(LOCATION).key(CONTACT)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let mut plan = PlanBuilder::new(view);
        if !self.0.location.is_empty() {
            plan.ensure(LOCATION, &[("Location", self.0.location.clone())]);
        }
        if !self.0.contact.is_empty() {
            plan.ensure(CONTACT, &[("Contact", self.0.contact.clone())]);
        }
        restart_if_changed(&mut plan, SNMP);
        Ok(plan.finish())
    }
}

impl Catalogued for Clear {

    fn reads(&self) -> Reads {
        Reads::default().key(LOCATION).key(CONTACT)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let mut plan = PlanBuilder::new(view);
        plan.release(LOCATION, false, "location")?;
        plan.release(CONTACT, false, "contact")?;
        restart_if_changed(&mut plan, SNMP);
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, rows};

    #[test]
    fn location_and_contact_set_and_cleared() {
        let op = SnmpSystem { location: "DC1 row 4".into(), contact: "noc@example.net".into() };
        check_plan(&Set(&op), rows(&[]), "+ SNMP|LOCATION Location=DC1 row 4\n+ SNMP|CONTACT Contact=noc@example.net\n",
            "created=[SNMP|LOCATION,SNMP|CONTACT] restarted=[snmp]");
        let only = SnmpSystem { location: "DC2".into(), contact: String::new() };
        check_plan(&Set(&only), rows(&[("SNMP|LOCATION", &[("Location", "DC1 row 4")])]), "~ SNMP|LOCATION Location: DC1 row 4 → DC2\n",
            "reused=[SNMP|LOCATION] overwritten=[SNMP|LOCATION.Location] restarted=[snmp]");
        check_plan(&Clear, rows(&[("SNMP|LOCATION", &[("Location", "DC2")])]), "- SNMP|LOCATION\n",
            "deleted=[SNMP|LOCATION] kept=[SNMP|CONTACT: already absent] restarted=[snmp]");
        check_plan(&Clear, rows(&[]), "", "kept=[SNMP|LOCATION: already absent,SNMP|CONTACT: already absent]");
    }
}
