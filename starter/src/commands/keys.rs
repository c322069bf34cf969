//! `switchyard keys create|list|revoke`: the service's API keys, in the
//! keys file `switchyard serve --keys` reads. A new key is printed once;
//! the file keeps only its hash.

use std::path::Path;

use anstream::println;
use comfy_table::Table;
use switchyard_proto::time::{format_rfc3339, parse_duration};
use switchyard_proto::selector::Selector;
use switchyard_starter::keys::{KeyFile, Scope, load_usage, usage_path};
use switchyard_starter::signing::now;

use crate::cli::KeysAction;

pub(crate) fn run(global: &crate::cli::Global, action: KeysAction) -> anyhow::Result<i32> {
    match action {
        KeysAction::Create { keys, principal, scopes, names, sites, roles, tags, expires } => {
            if let Some(path) = &global.policy {
                let policy = switchyard_proto::policy::Policy::load(path).map_err(|e| crate::exit::usage(e.to_string()))?;
                known_principal(&policy, &principal)?;
            }
            if let Some(e) = &expires {
                expires_with_unit(e)?;
            }
            let scopes = scopes.split(',').filter(|s| !s.trim().is_empty()).map(Scope::parse).collect::<Result<Vec<_>, _>>()?;
            let split = |v: Option<String>| v.map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()).unwrap_or_default();
            let devices = Selector { names: split(names), sites: split(sites), roles: split(roles), tags: split(tags) };
            let now = now();
            let expires_at = expires.map(|e| parse_duration(&e).filter(|s| *s > 0)
                .map(|s| now + s as i64)
                .ok_or_else(|| crate::exit::usage(format!("--expires {e:?} is not a duration like 30d or 12h")))).transpose()?;
            let mut file = KeyFile::load(&keys)?;
            let token = file.create(&principal, scopes, devices, now, expires_at)?;
            file.save(&keys)?;
            let key = file.keys.last().expect("just created");
            eprintln!("created key {} for {} in {} (shown once: store it now)", key.id, key.principal, keys.display());
            println!("{token}");
            Ok(0)
        }
        KeysAction::List { keys, usage, output } => {
            let usage = usage.unwrap_or_else(|| usage_path(&keys));
            if output.json() {
                crate::output::print_json(&listed(&keys, &usage)?)?;
            } else {
                print!("{}", list(&keys, &usage)?);
            }
            Ok(0)
        }
        KeysAction::Revoke { keys, id } => {
            let mut file = KeyFile::load(&keys)?;
            let key = file.revoke(&id, now())?.clone();
            file.save(&keys)?;
            println!("revoked key {} of {}", key.id, key.principal);
            Ok(0)
        }
    }
}

/// A key acts for a principal the policy has: one it does not is a typo,
/// or a key nobody's rules cover.
fn known_principal(policy: &switchyard_proto::policy::Policy, principal: &str) -> anyhow::Result<()> {
    if policy.principals.iter().any(|p| p.name == principal) {
        return Ok(());
    }
    let names = policy.principals.iter().map(|p| p.name.as_str());
    Err(crate::exit::usage(format!("--principal {principal:?} is not a principal of {}{}", policy.file,
        switchyard_proto::vocabulary::did_you_mean(principal, names))))
}

/// `--expires 1` would be a key that dies in a second: a bare number is
/// refused, a unit is required.
fn expires_with_unit(text: &str) -> anyhow::Result<()> {
    if text.trim().chars().all(|c| c.is_ascii_digit()) {
        return Err(crate::exit::usage(format!("--expires {text:?} has no unit: say how long, e.g. {}d, {}h or 90m", text.trim(), text.trim())));
    }
    Ok(())
}

/// One key as `keys list -o json` shows it (never its hash).
#[derive(serde::Serialize)]
struct ListedKey {
    key: String,
    principal: String,
    scopes: Vec<&'static str>,
    devices: String,
    created_at: String,
    expires_at: Option<String>,
    last_used_at: Option<String>,
    state: String,
}

fn listed(path: &Path, usage: &Path) -> anyhow::Result<Vec<ListedKey>> {
    let file = KeyFile::load(path)?;
    let now = now();
    let usage = load_usage(usage);
    Ok(file.keys.iter().map(|k| ListedKey {
        key: format!("sy_{}", k.id),
        principal: k.principal.clone(),
        scopes: k.scopes.iter().map(|s| s.name()).collect(),
        devices: k.devices.describe(),
        created_at: format_rfc3339(k.created_at),
        expires_at: k.expires_at.map(format_rfc3339),
        last_used_at: usage.get(&k.id).map(|at| format_rfc3339(*at)),
        state: state(k, now),
    }).collect())
}

/// A key's state in one word (or why it is unusable).
fn state(k: &switchyard_starter::keys::ApiKey, now: i64) -> String {
    k.unusable(now).map_or("active".to_string(), |why| if k.revoked_at.is_some() { "revoked".into() } else if why.contains("expired") { "expired".into() } else { why })
}

fn list(path: &Path, usage: &Path) -> anyhow::Result<String> {
    let file = KeyFile::load(path)?;
    let mut t = Table::new();
    t.set_header(["KEY", "PRINCIPAL", "SCOPES", "DEVICES", "CREATED", "EXPIRES", "LAST USED", "STATE"]);
    let now = now();
    let usage = load_usage(usage);
    for k in &file.keys {
        let scopes: Vec<&str> = k.scopes.iter().map(|s| s.name()).collect();
        let state = state(k, now);
        t.add_row([format!("sy_{}", k.id), k.principal.clone(), scopes.join(","), k.devices.describe(), format_rfc3339(k.created_at),
            k.expires_at.map_or("never".into(), format_rfc3339), usage.get(&k.id).map_or("never".into(), |at| format_rfc3339(*at)), state]);
    }
    Ok(crate::render::table("", t))
}

#[cfg(test)]
mod checks {
    use super::*;

    #[test]
    fn an_expiry_needs_a_unit() {
        let e = expires_with_unit("1").unwrap_err();
        assert_eq!(crate::exit::of_error(&e), crate::exit::USAGE);
        assert!(e.to_string().contains("has no unit: say how long, e.g. 1d, 1h or 90m"), "{e}");
        assert!(expires_with_unit("30d").is_ok());
    }

    #[test]
    fn a_principal_the_policy_lacks_is_refused_with_the_nearest() {
        let policy = switchyard_proto::policy::Policy {
            file: "policy.yaml".into(),
            hash: String::new(),
            allow_unsigned: false,
            principals: vec![switchyard_proto::v1::PolicyPrincipal { name: "alice".into(), ..Default::default() }],
            rules: Vec::new(),
        };
        assert!(known_principal(&policy, "alice").is_ok());
        let e = known_principal(&policy, "alcie").unwrap_err();
        assert_eq!(e.to_string(), "--principal \"alcie\" is not a principal of policy.yaml (did you mean alice?)");
    }
}
