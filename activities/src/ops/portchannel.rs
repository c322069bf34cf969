//! create_portchannel / delete_portchannel: a LAG.
//!
//! Writes:
//! ```text
//! + PORTCHANNEL|<name>  admin_status=.. mtu=.. lacp_key=auto fast_rate=.. [min_links=..]    create, when absent
//! - PORTCHANNEL|<name>                                          delete, when unused
//! ```
//! Used by PORTCHANNEL_MEMBER|<name>|*, PORTCHANNEL_INTERFACE|<name>[|*],
//! VLAN_MEMBER|*|<name>.

use switchyard_proto::v1::PortChannel;

use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, Release, View};

fn key(p: &PortChannel) -> String {
    format!("PORTCHANNEL|{}", p.name)
}

/// create_portchannel.
pub(crate) struct Create<'a>(pub(crate) &'a PortChannel);

impl Catalogued for Create<'_> {

    fn reads(&self) -> Reads {
        Reads::default().key(key(self.0))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let admin = if p.admin_status.is_empty() { "up" } else { p.admin_status.as_str() };
        let mtu = if p.mtu == 0 { 9100 } else { p.mtu };
        // As `config portchannel add` writes it: lacp_key auto, fast_rate
        // spelled out (teamd reads both).
        let mut fields = vec![
            ("admin_status", admin.to_string()),
            ("mtu", mtu.to_string()),
            ("lacp_key", "auto".to_string()),
            ("fast_rate", p.fast_rate.to_string()),
        ];
        if p.min_links > 0 {
            fields.push(("min_links", p.min_links.to_string()));
        }
        let mut plan = PlanBuilder::new(view);
        if view.row(&key(p)).is_some() {
            // Reused as it is: its settings belong to whoever made it.
            plan.ensure(&key(p), &[]);
        } else {
            plan.ensure(&key(p), &fields);
        }
        Ok(plan.finish())
    }
}

/// delete_portchannel.
pub(crate) fn delete(p: &PortChannel) -> Release {
    Release::object(key(p), p.keep_if_used, "name")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    #[test]
    fn plans() {
        let pc = PortChannel { name: "PortChannel10".into(), mtu: 0, min_links: 1, admin_status: String::new(), keep_if_used: false, fast_rate: false };
        // config/main.py portchannel add: lacp_key=auto and fast_rate.
        check_plan(&Create(&pc), rows(&[]), "+ PORTCHANNEL|PortChannel10 admin_status=up fast_rate=false lacp_key=auto min_links=1 mtu=9100\n", "created=[PORTCHANNEL|PortChannel10]");
        check_refused(&delete(&pc), rows(&[("PORTCHANNEL|PortChannel10", &[("mtu", "9100")]), ("PORTCHANNEL_MEMBER|PortChannel10|Ethernet16", &[("NULL", "NULL")])]),
            "name", "still used by PORTCHANNEL_MEMBER|PortChannel10|Ethernet16");
    }
}
