//! set_switchport_mode / clear_switchport_mode: a port's or PortChannel's
//! mode.
//!
//! Writes:
//! ```text
//! ~ PORT|<port>  mode <old> → routed|access|trunk            a port
//! ~ PORTCHANNEL|<pc>  mode <old> → routed|access|trunk       a PortChannel
//! ~ PORT|<port>  mode <old> → (unset)                        clear_switchport_mode
//! ```
//! The field exists from SONiC 202405 (sonic-port.yang, sonic-portchannel.yang;
//! `config switchport mode` came with it): on an older release the step is
//! refused, naming the release the device reports (`VERSIONS|DATABASE`).
//! Preconditions, as SONiC's CLI (`config switchport mode`) has them: the
//! port exists, is no mirror session's destination, and is not a
//! PortChannel member (set the PortChannel); to
//! routed only without VLAN memberships; to access or trunk only without
//! addresses of its own; to access only without tagged memberships. The
//! reverse restores the previous mode, unless someone changed it since.
//! Clearing removes the field, as on a port SONiC's CLI never set: the
//! switch then treats the port as it did before modes existed.

use switchyard_proto::v1::SwitchportMode;

use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, must_exist};
use super::keys::port_key;
use super::interfaces::{MIRROR_SESSIONS, mirror_destination_of, table};
use super::sonic_release;

/// The release whose YANG models first have PORT / PORTCHANNEL `mode`.
const MODE_SINCE: u32 = 202405;

/// The interface table's base row of a port.
fn routed_key(port: &str) -> String {
    format!("{}|{port}", table(port))
}

impl Catalogued for SwitchportMode {

    fn reads(&self) -> Reads {
        let port = &self.port;
        Reads::default()
            .key(port_key(port))
            .key(routed_key(port))
            .pattern(format!("VLAN_MEMBER|*|{port}"))
            .pattern(format!("PORTCHANNEL_MEMBER|*|{port}"))
            .pattern(MIRROR_SESSIONS)
            .key(sonic_release::KEY)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let port = &self.port;
        let key = port_key(port);
        must_exist(view, &key, "port", &format!("port {port}"))?;
        let release = sonic_release::has(view, "the switchport mode field", MODE_SINCE).map_err(|why| PlanError::new("mode", why))?;
        if let Some(session) = mirror_destination_of(view, port) {
            return Err(PlanError::new("port", format!("{port} is configured as mirror destination port ({session})")));
        }
        if let Some(member) = view.keys(&format!("PORTCHANNEL_MEMBER|*|{port}")).first() {
            let pc = member.split('|').nth(1).unwrap_or_default();
            return Err(PlanError::new("port", format!("{port} is a member of {pc}: a LAG member takes its PortChannel's mode (set it on {pc})")));
        }
        let memberships = view.keys(&format!("VLAN_MEMBER|*|{port}"));
        match self.mode.as_str() {
            "routed" => {
                if let Some(m) = memberships.first() {
                    return Err(PlanError::new("mode", format!("{port} is a VLAN member ({m}); remove its memberships before making it routed")));
                }
            }
            _ => {
                if view.row(&routed_key(port)).is_some() {
                    return Err(PlanError::new("mode", format!("{port} has IP configuration ({}); remove it before making it {}", routed_key(port), self.mode)));
                }
                if self.mode == "access"
                    && let Some(m) = memberships.iter().find(|m| view.row(m).and_then(|r| r.get("tagging_mode")).is_some_and(|t| t == "tagged"))
                {
                    return Err(PlanError::new("mode", format!("{port} is a tagged member ({m}); an access port is an untagged member of one VLAN")));
                }
            }
        }
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&key, &[("mode", self.mode.clone())]);
        plan.note(release);
        Ok(plan.finish())
    }
}

/// clear_switchport_mode: the `mode` field goes.
pub(crate) struct Clear<'a>(pub(crate) &'a SwitchportMode);

impl Catalogued for Clear<'_> {

    fn reads(&self) -> Reads {
        Reads::default().key(port_key(&self.0.port)).pattern(format!("PORTCHANNEL_MEMBER|*|{}", self.0.port))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let port = &self.0.port;
        let key = port_key(port);
        must_exist(view, &key, "port", &format!("port {port}"))?;
        if let Some(member) = view.keys(&format!("PORTCHANNEL_MEMBER|*|{port}")).first() {
            let pc = member.split('|').nth(1).unwrap_or_default();
            return Err(PlanError::new("port", format!("{port} is a member of {pc}: a LAG member takes its PortChannel's mode (clear it on {pc})")));
        }
        let mut plan = PlanBuilder::new(view);
        plan.unset(&key, "mode");
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    fn mode(port: &str, mode: &str) -> SwitchportMode {
        SwitchportMode { port: port.into(), mode: mode.into() }
    }

    #[test]
    fn sets_the_mode_as_the_cli_allows() {
        let port = ("PORT|Ethernet8", &[("mtu", "9100")][..]);
        check_plan(&mode("Ethernet8", "trunk"), rows(&[port]), "~ PORT|Ethernet8 mode: (unset) → trunk\n",
            "reused=[PORT|Ethernet8] overwritten=[PORT|Ethernet8.mode]");
        check_plan(&mode("PortChannel10", "access"), rows(&[("PORTCHANNEL|PortChannel10", &[("mtu", "9100")])]),
            "~ PORTCHANNEL|PortChannel10 mode: (unset) → access\n", "reused=[PORTCHANNEL|PortChannel10] overwritten=[PORTCHANNEL|PortChannel10.mode]");
        let tagged = ("VLAN_MEMBER|Vlan100|Ethernet8", &[("tagging_mode", "tagged")][..]);
        check_refused(&mode("Ethernet8", "routed"), rows(&[port, tagged]), "mode", "remove its memberships");
        check_refused(&mode("Ethernet8", "access"), rows(&[port, tagged]), "mode", "an access port is an untagged member");
        check_refused(&mode("Ethernet8", "trunk"), rows(&[port, ("INTERFACE|Ethernet8", &[("NULL", "NULL")])]), "mode", "has IP configuration");
        check_refused(&mode("Ethernet8", "trunk"), rows(&[port, ("PORTCHANNEL_MEMBER|PortChannel10|Ethernet8", &[("NULL", "NULL")])]), "port", "set it on PortChannel10");
        // utilities_common/cli.py is_port_mirror_dst_port, as `config switchport mode` checks it.
        let span = ("MIRROR_SESSION|SPAN1", &[("type", "SPAN"), ("dst_port", "Ethernet8")][..]);
        check_refused(&mode("Ethernet8", "trunk"), rows(&[port, span]), "port", "configured as mirror destination port (MIRROR_SESSION|SPAN1)");
    }

    #[test]
    fn the_mode_field_exists_from_202405() {
        // sonic-buildimage #13580 added `mode` to sonic-port.yang; 202405 is
        // the first branch with it, and with `config switchport mode`.
        let port = ("PORT|Ethernet8", &[("mtu", "9100")][..]);
        let on = |version: &'static str| rows(&[port, ("VERSIONS|DATABASE", &[("VERSION", version)])]);
        check_refused(&mode("Ethernet8", "trunk"), on("version_202305_01"), "mode", "exists from SONiC 202405; this device runs 202305");
        check_refused(&mode("Ethernet8", "trunk"), on("version_4_0_3"), "mode", "this device runs 202305 or older");
        let planned = mode("Ethernet8", "trunk").plan(&View::new(on("version_202411_02"))).unwrap();
        assert_eq!(planned.notes, ["SONiC 202411 (VERSIONS|DATABASE VERSION=version_202411_02): the switchport mode field exists from 202405"]);
    }

    #[test]
    fn clears_the_mode_and_its_reverse_puts_it_back() {
        let trunk = ("PORT|Ethernet8", &[("mtu", "9100"), ("mode", "trunk")][..]);
        let op = mode("Ethernet8", "");
        check_plan(&Clear(&op), rows(&[trunk]), "~ PORT|Ethernet8 mode: trunk → (unset)\n",
            "reused=[PORT|Ethernet8] overwritten=[PORT|Ethernet8.mode]");
        check_plan(&Clear(&op), rows(&[("PORT|Ethernet8", &[("mtu", "9100")])]), "", "kept=[PORT|Ethernet8: mode already unset]");
        check_refused(&Clear(&op), rows(&[trunk, ("PORTCHANNEL_MEMBER|PortChannel10|Ethernet8", &[("NULL", "NULL")])]), "port", "clear it on PortChannel10");

        // The reverse restores the mode while the field is still absent, and
        // leaves a mode someone set since.
        let planned = Clear(&op).plan(&View::new(rows(&[trunk]))).unwrap();
        let cleared = rows(&[("PORT|Ethernet8", &[("mtu", "9100")])]);
        let back = crate::ops::reverse::plan("d1", "1", &planned.receipt, &View::new(cleared));
        assert_eq!(back.changes.changes[0].after.get("mode").map(String::as_str), Some("trunk"), "{back:?}");
        let access = rows(&[("PORT|Ethernet8", &[("mtu", "9100"), ("mode", "access")])]);
        let back = crate::ops::reverse::plan("d1", "1", &planned.receipt, &View::new(access));
        assert!(back.changes.changes.is_empty(), "{back:?}");
        assert!(back.entries[0].reason.contains("changed since the suite removed it"), "{:?}", back.entries);
    }
}
