//! add_ntp_server / remove_ntp_server: an NTP server the switch syncs with.
//!
//! Writes, as `config ntp add` writes it on the device's release
//! (sonic-utilities config/main.py; sonic-ntp.yang):
//! ```text
//! + NTP_SERVER|<server>  resolve_as=<server> association_type=server|pool   SONiC 202411 and later
//! + NTP_SERVER|<server>  NULL                                              before 202411 (no fields)
//! - NTP_SERVER|<server>                                                    remove
//! ```
//! At most ten servers (sonic-ntp.yang `max-elements 10`); `pool` needs
//! 202411's fields. hostcfgd restarts ntp-config when NTP_SERVER changes
//! (sonic-host-services hostcfgd `NtpCfg`), so the step restarts nothing
//! itself. A server that is there already is reused; its removal takes the
//! row out whoever made it.

use switchyard_proto::v1::NtpServer;

use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, Release, View};
use super::sonic_release;

/// The release whose sonic-ntp.yang first has the server fields.
const FIELDS_SINCE: u32 = 202411;

/// sonic-ntp.yang NTP_SERVER `max-elements`.
const MAX_SERVERS: usize = 10;

fn key(server: &str) -> String {
    format!("NTP_SERVER|{server}")
}

/// add_ntp_server.
pub(crate) struct Add<'a>(pub(crate) &'a NtpServer);

impl Catalogued for Add<'_> {

    fn reads(&self) -> Reads {
        Reads::default().key(key(&self.0.server)).pattern("NTP_SERVER|*").key(sonic_release::KEY)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let own = key(&p.server);
        let servers = view.keys("NTP_SERVER|*");
        if view.row(&own).is_none() && servers.len() >= MAX_SERVERS {
            return Err(PlanError::new("server", format!(
                "the switch has {} NTP servers already, the most SONiC takes (sonic-ntp.yang max-elements {MAX_SERVERS}); remove one first", servers.len())));
        }
        let kind = if p.association_type.is_empty() { "server" } else { p.association_type.as_str() };
        let mut plan = PlanBuilder::new(view);
        match sonic_release::has(view, "NTP_SERVER's resolve_as and association_type", FIELDS_SINCE) {
            Ok(note) => {
                plan.ensure(&own, &[("resolve_as", p.server.clone()), ("association_type", kind.to_string())]);
                plan.note(note);
            }
            Err(_) if kind == "pool" => {
                let why = sonic_release::has(view, "association_type pool", FIELDS_SINCE).unwrap_err();
                return Err(PlanError::new("association_type", why));
            }
            Err(why) => {
                // The release's CLI writes the bare row.
                plan.ensure(&own, &[]);
                plan.note(format!("a bare row, as this release's `config ntp add` writes it: {why}"));
            }
        }
        plan.note("hostcfgd restarts ntp-config when NTP_SERVER changes".into());
        Ok(plan.finish())
    }
}

/// remove_ntp_server.
pub(crate) fn remove(p: &NtpServer) -> Release {
    Release::leaf(key(&p.server), "server")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    const NEW: (&str, &[(&str, &str)]) = ("VERSIONS|DATABASE", &[("VERSION", "version_202411_02")]);
    const OLD: (&str, &[(&str, &str)]) = ("VERSIONS|DATABASE", &[("VERSION", "version_202305_01")]);

    #[test]
    fn written_as_the_releases_cli_writes_it() {
        let op = NtpServer { server: "10.0.0.123".into(), association_type: String::new() };
        check_plan(&Add(&op), rows(&[NEW]),
            "+ NTP_SERVER|10.0.0.123 association_type=server resolve_as=10.0.0.123\n", "created=[NTP_SERVER|10.0.0.123]");
        check_plan(&Add(&op), rows(&[OLD]), "+ NTP_SERVER|10.0.0.123 NULL=NULL\n", "created=[NTP_SERVER|10.0.0.123]");
        let pool = NtpServer { association_type: "pool".into(), ..op.clone() };
        check_refused(&Add(&pool), rows(&[OLD]), "association_type", "exists from SONiC 202411; this device runs 202305");
        check_plan(&remove(&op), rows(&[("NTP_SERVER|10.0.0.123", &[("NULL", "NULL")])]), "- NTP_SERVER|10.0.0.123\n", "deleted=[NTP_SERVER|10.0.0.123]");
    }

    #[test]
    fn at_most_ten_servers() {
        let names: Vec<String> = (1..=10).map(|i| format!("NTP_SERVER|10.0.0.{i}")).collect();
        let mut full: Vec<(&str, &[(&str, &str)])> = names.iter().map(|k| (k.as_str(), &[("NULL", "NULL")][..])).collect();
        full.push(OLD);
        let op = NtpServer { server: "10.0.0.123".into(), association_type: String::new() };
        check_refused(&Add(&op), rows(&full), "server", "max-elements 10");
        // One of the ten again is no eleventh.
        let again = NtpServer { server: "10.0.0.1".into(), association_type: String::new() };
        check_plan(&Add(&again), rows(&full), "", "reused=[NTP_SERVER|10.0.0.1]");
    }
}
