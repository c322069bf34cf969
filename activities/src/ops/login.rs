//! Whether the switch's login methods would let a server refuse
//! switchyard's own login, for the operations that change them (AAA login
//! methods, TACACS+ servers).
//!
//! hostcfgd renders AAA|authentication into PAM (common-auth-sonic): with
//! `tacacs+` (or `radius`, `ldap`) first and failthrough off, a reachable
//! server that rejects the user ends a password login; `tacacs+,local`
//! renders the same as `tacacs+` alone, and local is tried only when every
//! server is unreachable. A key login is not PAM's to refuse, and with no
//! server configured the method has nothing to ask. So switchyard's own
//! login is at risk only when it logs in with a password.
//!
//! Must never: plan a change.

use super::plan::{list, Reads, View};
use super::sonic_release;

/// The login methods' row.
pub(crate) const AAA: &str = "AAA|authentication";
/// TACACS+'s global settings (its shared secret).
pub(crate) const TACACS_GLOBAL: &str = "TACPLUS|global";
/// The TACACS+ servers.
pub(crate) const TACACS_SERVERS: &str = "TACPLUS_SERVER|*";
const RADIUS_SERVERS: &str = "RADIUS_SERVER|*";

/// What [`lockout`] and [`passkey`] read. TACPLUS|global holds the shared
/// secret, so it is read through a pattern: a plan guards a pattern by its
/// keys only, while a key read's guard carries the row's fields into the
/// plan, and so into the workflow's history.
pub(crate) fn reads() -> Reads {
    Reads::default().key(AAA).pattern(TACACS_GLOBAL_PATTERN).pattern(TACACS_SERVERS).pattern(RADIUS_SERVERS).key(sonic_release::KEY)
}

/// TACPLUS|global, as a pattern (see [`reads`]).
const TACACS_GLOBAL_PATTERN: &str = "TACPLUS|global*";

/// The login methods in force (SONiC's default: local).
fn methods(view: &View) -> Vec<String> {
    let m = list(view.row(AAA).and_then(|r| r.get("login")));
    if m.is_empty() { vec!["local".to_string()] } else { m }
}

/// Why the switch as `view` leaves it could refuse switchyard's own login,
/// if it could.
pub(crate) fn lockout(view: &View) -> Option<String> {
    let login = view.login().filter(|l| l.by_password)?;
    let methods = methods(view);
    let first = methods.first()?.as_str();
    let failthrough = view.row(AAA).and_then(|r| r.get("failthrough")).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let servers = match first {
        "tacacs+" => view.keys(TACACS_SERVERS).len(),
        "radius" => view.keys(RADIUS_SERVERS).len(),
        "ldap" => 1,
        _ => 0,
    };
    (!failthrough && servers > 0).then(|| format!(
        "switchyard logs in to this switch as {} with a password; with login {} and failthrough off, a {first} server that rejects {} ends \
         the login (hostcfgd's PAM configuration), and switchyard could not reach the switch to undo it: put local first, set failthrough \
         \"true\", give switchyard a key, or say allow_lockout: true",
        login.user, methods.join(","), login.user))
}

/// Why TACACS+ logins would have no shared secret, if they would: the
/// global passkey is what servers without their own use (switchyard writes
/// no secret: a plan travels through the workflow's history). Err on a
/// release whose YANG requires it (202411: AAA login with tacacs+ needs
/// `TACPLUS|global passkey`), Ok(Some) as a warning before that.
pub(crate) fn passkey(view: &View) -> Result<Option<String>, String> {
    let uses_tacacs = methods(view).iter().any(|m| m == "tacacs+");
    let has_key = view.row(TACACS_GLOBAL).and_then(|r| r.get("passkey")).is_some_and(|k| !k.is_empty());
    if !uses_tacacs || has_key {
        return Ok(None);
    }
    let why = format!("login uses tacacs+ and {TACACS_GLOBAL} has no passkey; set it on the switch first (`config tacacs passkey`: switchyard writes no secrets)");
    match sonic_release::of(view) {
        Some(r) if r.at_most >= 202411 => Err(format!("{why}; sonic-system-aaa.yang of SONiC {} requires it", r.name())),
        _ => Ok(Some(why)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::rows;
    use crate::ops::Login;

    fn view(extra: &[(&'static str, &'static [(&'static str, &'static str)])], by_password: bool) -> View {
        View::new(rows(extra)).with_login(Login { user: "admin".into(), by_password })
    }

    const SERVER: (&str, &[(&str, &str)]) = ("TACPLUS_SERVER|10.0.0.60", &[("priority", "1"), ("tcp_port", "49")]);

    #[test]
    fn a_password_login_is_at_risk_only_behind_a_server_without_failthrough() {
        let tacacs = (AAA, &[("login", "tacacs+,local")][..]);
        let why = lockout(&view(&[tacacs, SERVER], true)).unwrap();
        assert!(why.contains("as admin with a password; with login tacacs+,local and failthrough off"), "{why}");
        assert_eq!(lockout(&view(&[tacacs, SERVER], false)), None, "a key login is not PAM's");
        assert_eq!(lockout(&view(&[tacacs], true)), None, "no server to ask");
        assert_eq!(lockout(&view(&[(AAA, &[("login", "local,tacacs+")]), SERVER], true)), None, "local first");
        assert_eq!(lockout(&view(&[(AAA, &[("login", "tacacs+"), ("failthrough", "True")]), SERVER], true)), None, "failthrough");
        assert_eq!(lockout(&view(&[SERVER], true)), None, "the default is local");
        assert_eq!(lockout(&View::new(rows(&[tacacs, SERVER]))), None, "a planner not told how switchyard logs in");
    }

    #[test]
    fn tacacs_logins_need_the_global_passkey_from_202411() {
        let tacacs = (AAA, &[("login", "tacacs+,local")][..]);
        let new = (sonic_release::KEY, &[("VERSION", "version_202411_02")][..]);
        let old = (sonic_release::KEY, &[("VERSION", "version_202305_01")][..]);
        assert!(passkey(&view(&[tacacs, new], false)).unwrap_err().contains("requires it"));
        assert!(passkey(&view(&[tacacs, old], false)).unwrap().unwrap().contains("has no passkey"));
        assert_eq!(passkey(&view(&[tacacs, new, (TACACS_GLOBAL, &[("passkey", "s3cret")])], false)), Ok(None));
        assert_eq!(passkey(&view(&[new], false)), Ok(None), "login is local");
    }
}
