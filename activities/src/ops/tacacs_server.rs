//! add_tacacs_server / remove_tacacs_server: a TACACS+ server.
//!
//! Writes, as `config tacacs add` does (sonic-utilities config/aaa.py;
//! sonic-system-tacacs.yang), always with `priority` and `tcp_port`
//! (hostcfgd has no default for either and fails on a row without them):
//! ```text
//! + TACPLUS_SERVER|<address>  priority=.. tcp_port=.. [timeout=..] [auth_type=..] [vrf=..]   add
//! - TACPLUS_SERVER|<address>                                                          remove
//! ```
//! At most eight servers (`max-elements 8`); `vrf: mgmt` needs the
//! management VRF on. No shared secret is written (a plan travels through
//! the workflow's history): servers use `TACPLUS|global passkey`, set on
//! the switch, and the plan warns when there is none. Refused where the
//! server would let TACACS+ refuse switchyard's own password login (see
//! `login.rs`) unless the step says `allow_lockout: true`. hostcfgd
//! rewrites PAM on the change; nothing is restarted.

use switchyard_proto::v1::TacacsServer;

use super::interfaces::{MGMT_VRF, service_vrf_exists};
use super::login::{self, TACACS_SERVERS};
use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, Release, View};

/// sonic-system-tacacs.yang TACPLUS_SERVER `max-elements`.
const MAX_SERVERS: usize = 8;

fn key(address: &str) -> String {
    format!("TACPLUS_SERVER|{address}")
}

/// add_tacacs_server.
pub(crate) struct Add<'a>(pub(crate) &'a TacacsServer);

impl Catalogued for Add<'_> {

    fn reads(&self) -> Reads {
        login::reads().key(key(&self.0.address)).key(MGMT_VRF)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let own = key(&p.address);
        let servers = view.keys(TACACS_SERVERS);
        if view.row(&own).is_none() && servers.len() >= MAX_SERVERS {
            return Err(PlanError::new("address", format!("the switch has {} TACACS+ servers already, the most SONiC takes (max-elements {MAX_SERVERS})", servers.len())));
        }
        service_vrf_exists(view, &p.vrf)?;
        let priority = if p.priority == 0 { 1 } else { p.priority };
        let port = if p.tcp_port == 0 { 49 } else { p.tcp_port };
        let mut fields = vec![("priority", priority.to_string()), ("tcp_port", port.to_string())];
        if p.timeout > 0 {
            fields.push(("timeout", p.timeout.to_string()));
        }
        for (field, value) in [("auth_type", &p.auth_type), ("vrf", &p.vrf)] {
            if !value.is_empty() {
                fields.push((field, value.clone()));
            }
        }
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&own, &fields);
        if let Some(why) = login::lockout(plan.view()) {
            if !p.allow_lockout {
                return Err(PlanError::new("address", why));
            }
            plan.warn(format!("allowed by allow_lockout: {why}"));
        }
        if let Some(why) = no_global_key(plan.view()) {
            plan.warn(why);
        }
        Ok(plan.finish())
    }
}

/// The warning for a server that will have no shared secret.
fn no_global_key(view: &View) -> Option<String> {
    let has = view.row(login::TACACS_GLOBAL).and_then(|r| r.get("passkey")).is_some_and(|k| !k.is_empty());
    (!has).then(|| format!("{} has no passkey, so this server gets no shared secret; set it on the switch (`config tacacs passkey`: switchyard writes no secrets)", login::TACACS_GLOBAL))
}

/// remove_tacacs_server.
pub(crate) fn remove(p: &TacacsServer) -> Release {
    Release::leaf(key(&p.address), "address")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};
    use crate::ops::Login;

    const KEYED: (&str, &[(&str, &str)]) = ("TACPLUS|global", &[("passkey", "s3cret")]);

    #[test]
    fn a_server_as_the_cli_writes_it() {
        let op = TacacsServer { address: "10.0.0.60".into(), timeout: 5, ..Default::default() };
        check_plan(&Add(&op), rows(&[KEYED]), "+ TACPLUS_SERVER|10.0.0.60 priority=1 tcp_port=49 timeout=5\n", "created=[TACPLUS_SERVER|10.0.0.60]");
        let planned = Add(&op).plan(&View::new(rows(&[]))).unwrap();
        assert!(planned.warnings.len() == 1 && planned.warnings[0].contains("no shared secret"), "{:?}", planned.warnings);
        check_plan(&remove(&op), rows(&[("TACPLUS_SERVER|10.0.0.60", &[("priority", "1")])]), "- TACPLUS_SERVER|10.0.0.60\n", "deleted=[TACPLUS_SERVER|10.0.0.60]");
    }

    #[test]
    fn the_first_server_behind_tacacs_login_is_refused_for_a_password_login() {
        let op = TacacsServer { address: "10.0.0.60".into(), ..Default::default() };
        let tacacs = ("AAA|authentication", &[("login", "tacacs+,local")][..]);
        let view = |by_password| View::new(rows(&[tacacs, KEYED])).with_login(Login { user: "admin".into(), by_password });
        let refused = Add(&op).plan(&view(true)).unwrap_err();
        assert_eq!(refused.field, "address");
        assert!(refused.message.contains("as admin with a password"), "{}", refused.message);
        assert!(Add(&op).plan(&view(false)).is_ok());
        let allowed = TacacsServer { allow_lockout: true, ..op.clone() };
        let planned = Add(&allowed).plan(&view(true)).unwrap();
        assert!(planned.warnings[0].starts_with("allowed by allow_lockout"), "{:?}", planned.warnings);
        check_refused(&Add(&TacacsServer { vrf: "mgmt".into(), ..op }), rows(&[KEYED]), "vrf", "management VRF is off");
    }
}
