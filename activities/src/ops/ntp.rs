//! set_ntp / clear_ntp: where the switch's NTP requests come from.
//!
//! Writes (sonic-ntp.yang `NTP|global`; `src_intf` is one string joined
//! with `;`, as sonic-cfggen keeps that leaf-list):
//! ```text
//! ~ NTP|global  src_intf <old> → Loopback0[;eth0]  vrf <old> → default|mgmt   set
//! ~ NTP|global  src_intf, vrf removed (the row goes when nothing else is in it)   clear
//! ```
//! Each source interface exists on the switch (a port, PortChannel,
//! loopback or the management port eth0); `vrf: mgmt` needs the management
//! VRF on (MGMT_VRF_CONFIG|vrf_global mgmtVrfEnabled, the YANG `must`).
//! hostcfgd restarts ntp-config (and ntp when the VRF changes) on its own.
//! The reverse restores the previous values.

use switchyard_proto::operation::list_items;
use switchyard_proto::v1::NtpGlobal;

use super::interfaces::{MGMT_VRF, mgmt_vrf_on};
use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View};

const KEY: &str = "NTP|global";

/// The fields this pair owns in NTP|global.
const FIELDS: [&str; 2] = ["src_intf", "vrf"];

/// The row that says an interface name exists.
fn interface_key(name: &str) -> String {
    if name == "eth0" {
        "MGMT_PORT|eth0".into()
    } else if name.starts_with("Loopback") {
        format!("LOOPBACK_INTERFACE|{name}")
    } else if name.starts_with("PortChannel") {
        format!("PORTCHANNEL|{name}")
    } else {
        format!("PORT|{name}")
    }
}

/// set_ntp.
pub(crate) struct Set<'a>(pub(crate) &'a NtpGlobal);
/// clear_ntp.
pub(crate) struct Clear;

impl Catalogued for Set<'_> {

    fn reads(&self) -> Reads {
        let mut reads = Reads::default().key(KEY).key(MGMT_VRF);
        for name in list_items(&self.0.src_intf) {
            reads = reads.key(interface_key(name));
        }
        reads
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let sources = list_items(&p.src_intf);
        if let Some(missing) = sources.iter().find(|n| view.row(&interface_key(n)).is_none()) {
            return Err(PlanError::new("src_intf", format!("{missing} does not exist on the switch (no {})", interface_key(missing))));
        }
        if p.vrf == "mgmt" && !mgmt_vrf_on(view) {
            return Err(PlanError::new("vrf", format!("the management VRF is off ({MGMT_VRF} mgmtVrfEnabled is not true); sonic-ntp.yang refuses vrf mgmt then")));
        }
        let mut fields = Vec::new();
        if !sources.is_empty() {
            fields.push(("src_intf", sources.join(";")));
        }
        if !p.vrf.is_empty() {
            fields.push(("vrf", p.vrf.clone()));
        }
        let mut plan = PlanBuilder::new(view);
        plan.ensure(KEY, &fields);
        plan.note("hostcfgd restarts ntp-config when NTP|global changes".into());
        Ok(plan.finish())
    }
}

impl Catalogued for Clear {

    fn reads(&self) -> Reads {
        Reads::default().key(KEY)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let mut plan = PlanBuilder::new(view);
        let Some(row) = view.row(KEY) else {
            plan.keep(KEY, "already absent".into());
            return Ok(plan.finish());
        };
        if row.keys().all(|f| FIELDS.contains(&f.as_str()) || f == "NULL") {
            // Nothing else in the row: it goes, as a switch that never had one.
            plan.release(KEY, false, "src_intf")?;
        } else {
            for field in FIELDS {
                plan.unset(KEY, field);
            }
        }
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    #[test]
    fn sets_the_source_and_vrf_and_clears_them() {
        let lo = ("LOOPBACK_INTERFACE|Loopback0", &[("NULL", "NULL")][..]);
        let eth0 = ("MGMT_PORT|eth0", &[("admin_status", "up")][..]);
        let op = NtpGlobal { src_intf: "Loopback0,eth0".into(), vrf: "default".into() };
        check_plan(&Set(&op), rows(&[lo, eth0]), "+ NTP|global src_intf=Loopback0;eth0 vrf=default\n", "created=[NTP|global]");
        check_refused(&Set(&op), rows(&[eth0]), "src_intf", "Loopback0 does not exist");
        let mgmt = NtpGlobal { src_intf: String::new(), vrf: "mgmt".into() };
        check_refused(&Set(&mgmt), rows(&[]), "vrf", "the management VRF is off");
        check_plan(&Set(&mgmt), rows(&[(MGMT_VRF, &[("mgmtVrfEnabled", "true")])]), "+ NTP|global vrf=mgmt\n", "created=[NTP|global]");

        let only_ours = ("NTP|global", &[("src_intf", "Loopback0"), ("vrf", "default")][..]);
        check_plan(&Clear, rows(&[only_ours]), "- NTP|global\n", "deleted=[NTP|global]");
        let with_more = ("NTP|global", &[("src_intf", "Loopback0"), ("authentication", "enabled")][..]);
        check_plan(&Clear, rows(&[with_more]), "~ NTP|global src_intf: Loopback0 → (unset)\n",
            "reused=[NTP|global] overwritten=[NTP|global.src_intf] kept=[NTP|global: vrf already unset]");
        check_plan(&Clear, rows(&[]), "", "kept=[NTP|global: already absent]");
    }
}
