//! set_aaa_login / clear_aaa_login: how users log in to the switch.
//!
//! Writes, as `config aaa authentication login` and `… failthrough` do
//! (sonic-utilities config/aaa.py; sonic-system-aaa.yang):
//! ```text
//! ~ AAA|authentication  login <old> → tacacs+,local  [failthrough <old> → True|False]   set
//! ~ AAA|authentication  login, failthrough removed (the row goes when nothing else is in it)   clear
//! ```
//! Refused where the new methods would let a server refuse switchyard's
//! own password login (see `login.rs`) unless the step says
//! `allow_lockout: true`; refused from SONiC 202411 (warned before) when
//! TACACS+ is used and `TACPLUS|global` has no passkey, as that release's
//! YANG requires. hostcfgd rewrites PAM on the change: new logins follow
//! it, open sessions are kept. The reverse restores what was there.

use switchyard_proto::v1::AaaLogin;

use super::login::{self, AAA};
use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View};

/// The fields this pair owns in AAA|authentication.
const FIELDS: [&str; 2] = ["login", "failthrough"];

/// set_aaa_login.
pub(crate) struct Set<'a>(pub(crate) &'a AaaLogin);
/// clear_aaa_login.
pub(crate) struct Clear;

impl Catalogued for Set<'_> {

    fn reads(&self) -> Reads {
        login::reads()
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let mut fields = vec![("login", p.login.clone())];
        match p.failthrough.as_str() {
            // The CLI writes Python's str(True) / str(False).
            "true" => fields.push(("failthrough", "True".into())),
            "false" => fields.push(("failthrough", "False".into())),
            _ => {}
        }
        let mut plan = PlanBuilder::new(view);
        plan.ensure(AAA, &fields);
        if let Some(why) = login::lockout(plan.view()) {
            if !p.allow_lockout {
                return Err(PlanError::new("login", why));
            }
            plan.warn(format!("allowed by allow_lockout: {why}"));
        }
        match login::passkey(plan.view()) {
            Err(why) => return Err(PlanError::new("login", why)),
            Ok(Some(why)) => plan.warn(why),
            Ok(None) => {}
        }
        plan.note("hostcfgd rewrites the switch's PAM configuration when AAA changes: new logins follow it".into());
        Ok(plan.finish())
    }
}

impl Catalogued for Clear {

    fn reads(&self) -> Reads {
        Reads::default().key(AAA)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let mut plan = PlanBuilder::new(view);
        let Some(row) = view.row(AAA) else {
            plan.keep(AAA, "already absent".into());
            return Ok(plan.finish());
        };
        if row.keys().all(|f| FIELDS.contains(&f.as_str()) || f == "NULL") {
            plan.release(AAA, false, "login")?;
        } else {
            for field in FIELDS {
                plan.unset(AAA, field);
            }
        }
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};
    use crate::ops::Login;

    const KEYED: (&str, &[(&str, &str)]) = ("TACPLUS|global", &[("passkey", "s3cret")]);
    const SERVER: (&str, &[(&str, &str)]) = ("TACPLUS_SERVER|10.0.0.60", &[("priority", "1"), ("tcp_port", "49")]);
    const NEW: (&str, &[(&str, &str)]) = ("VERSIONS|DATABASE", &[("VERSION", "version_202411_02")]);

    fn op(login: &str, failthrough: &str) -> AaaLogin {
        AaaLogin { login: login.into(), failthrough: failthrough.into(), allow_lockout: false }
    }

    #[test]
    fn login_methods_as_the_cli_writes_them() {
        check_plan(&Set(&op("tacacs+,local", "true")), rows(&[KEYED, SERVER]), "+ AAA|authentication failthrough=True login=tacacs+,local\n",
            "created=[AAA|authentication]");
        // SONiC 202411's YANG: tacacs+ login needs the global passkey.
        check_refused(&Set(&op("tacacs+,local", "true")), rows(&[NEW]), "login", "TACPLUS|global has no passkey");
        check_plan(&Clear, rows(&[("AAA|authentication", &[("login", "tacacs+,local"), ("failthrough", "True")])]), "- AAA|authentication\n",
            "deleted=[AAA|authentication]");
        check_plan(&Clear, rows(&[("AAA|authentication", &[("login", "tacacs+"), ("debug", "True")])]), "~ AAA|authentication login: tacacs+ → (unset)\n",
            "reused=[AAA|authentication] overwritten=[AAA|authentication.login] kept=[AAA|authentication: failthrough already unset]");
    }

    #[test]
    fn switchyards_own_password_login_is_not_locked_out_unless_asked() {
        let view = View::new(rows(&[KEYED, SERVER])).with_login(Login { user: "admin".into(), by_password: true });
        let refused = Set(&op("tacacs+,local", "")).plan(&view).unwrap_err();
        assert_eq!(refused.field, "login");
        assert!(refused.message.contains("allow_lockout: true"), "{}", refused.message);
        assert!(Set(&op("tacacs+,local", "true")).plan(&view).is_ok(), "failthrough lets local answer");
        assert!(Set(&op("local,tacacs+", "")).plan(&view).is_ok(), "local first");
        let allowed = AaaLogin { allow_lockout: true, ..op("tacacs+", "") };
        assert!(Set(&allowed).plan(&view).unwrap().warnings[0].starts_with("allowed by allow_lockout"));
    }
}
