//! add_syslog_server / remove_syslog_server: where the switch sends its logs.
//!
//! Writes, as `config syslog add` does (sonic-utilities config/syslog.py;
//! sonic-syslog.yang):
//! ```text
//! + SYSLOG_SERVER|<server>  [source=..] [port=..] [vrf=..] [severity=..] [protocol=..]   (NULL when none)
//! - SYSLOG_SERVER|<server>                                                           remove
//! ```
//! The source is an address the switch has, in the VRF the step names
//! (the default VRF's interfaces carry no vrf_name; `mgmt` is eth0's), as
//! the CLI's `source_to_vrf_validator` checks; a named VRF exists; `mgmt`
//! needs the management VRF on. hostcfgd restarts rsyslog-config when the
//! table changes (`RSyslogCfg`). A server there already has its fields
//! set to the step's (the reverse restores them).

use switchyard_proto::v1::SyslogServer;

use super::interfaces::{INTERFACE_ROWS, MGMT_VRF, address_pattern, holder_of, service_vrf_exists};
use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, Release, View};

fn key(server: &str) -> String {
    format!("SYSLOG_SERVER|{server}")
}

/// add_syslog_server.
pub(crate) struct Add<'a>(pub(crate) &'a SyslogServer);

impl Catalogued for Add<'_> {

    fn reads(&self) -> Reads {
        let p = self.0;
        let mut reads = Reads::default().key(key(&p.server)).key(MGMT_VRF);
        if !p.source.is_empty() {
            reads = reads.pattern(address_pattern(&p.source)).pattern(INTERFACE_ROWS);
        }
        if !p.vrf.is_empty() && p.vrf != "default" && p.vrf != "mgmt" {
            reads = reads.key(format!("VRF|{}", p.vrf));
        }
        reads
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let vrf = if p.vrf == "default" { "" } else { p.vrf.as_str() };
        service_vrf_exists(view, vrf)?;
        if !p.source.is_empty() {
            let Some((holder, bound)) = holder_of(view, &p.source) else {
                return Err(PlanError::new("source", format!("{} is not an address of this switch (no interface row holds it); SONiC's CLI refuses it", p.source)));
            };
            let expected = if vrf.is_empty() { "the default VRF" } else { vrf };
            if bound != vrf {
                let shown = if bound.is_empty() { "the default VRF" } else { bound.as_str() };
                return Err(PlanError::new("source", format!("{} ({holder}) is in {shown}, not {expected}; name the VRF it is in", p.source)));
            }
        }
        let mut fields: Vec<(&str, String)> = Vec::new();
        for (field, value) in [("source", &p.source), ("vrf", &p.vrf), ("severity", &p.severity), ("protocol", &p.protocol)] {
            if !value.is_empty() {
                fields.push((field, value.clone()));
            }
        }
        if p.port > 0 {
            fields.push(("port", p.port.to_string()));
        }
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&key(&p.server), &fields);
        plan.note("hostcfgd restarts rsyslog-config when SYSLOG_SERVER changes".into());
        Ok(plan.finish())
    }
}

/// remove_syslog_server.
pub(crate) fn remove(p: &SyslogServer) -> Release {
    Release::leaf(key(&p.server), "server")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    const LO: (&str, &[(&str, &str)]) = ("LOOPBACK_INTERFACE|Loopback0|10.1.0.5/32", &[("NULL", "NULL")]);
    const LO_BASE: (&str, &[(&str, &str)]) = ("LOOPBACK_INTERFACE|Loopback0", &[("NULL", "NULL")]);

    #[test]
    fn a_server_with_a_source_the_switch_has() {
        let op = SyslogServer { server: "10.0.0.50".into(), source: "10.1.0.5".into(), port: 514, ..Default::default() };
        check_plan(&Add(&op), rows(&[LO_BASE, LO]), "+ SYSLOG_SERVER|10.0.0.50 port=514 source=10.1.0.5\n", "created=[SYSLOG_SERVER|10.0.0.50]");
        check_refused(&Add(&op), rows(&[]), "source", "not an address of this switch");
        // A source in a VRF needs the step to name it (config/syslog.py source_to_vrf_validator).
        let red = [("VRF|VrfRed", &[("NULL", "NULL")][..]), ("LOOPBACK_INTERFACE|Loopback0", &[("vrf_name", "VrfRed")][..]), LO];
        check_refused(&Add(&op), rows(&red), "source", "is in VrfRed, not the default VRF");
        let in_red = SyslogServer { vrf: "VrfRed".into(), ..op.clone() };
        check_plan(&Add(&in_red), rows(&red), "+ SYSLOG_SERVER|10.0.0.50 port=514 source=10.1.0.5 vrf=VrfRed\n", "created=[SYSLOG_SERVER|10.0.0.50]");
        let nowhere = SyslogServer { vrf: "VrfBlue".into(), source: String::new(), ..op.clone() };
        check_refused(&Add(&nowhere), rows(&[]), "vrf", "VRF VrfBlue does not exist");
        let bare = SyslogServer { server: "10.0.0.51".into(), ..Default::default() };
        check_plan(&Add(&bare), rows(&[]), "+ SYSLOG_SERVER|10.0.0.51 NULL=NULL\n", "created=[SYSLOG_SERVER|10.0.0.51]");
        check_plan(&remove(&bare), rows(&[("SYSLOG_SERVER|10.0.0.51", &[("NULL", "NULL")])]), "- SYSLOG_SERVER|10.0.0.51\n", "deleted=[SYSLOG_SERVER|10.0.0.51]");
    }
}
