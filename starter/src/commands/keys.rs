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

pub(crate) fn run(action: KeysAction) -> anyhow::Result<i32> {
    match action {
        KeysAction::Create { keys, principal, scopes, names, sites, roles, tags, expires } => {
            let scopes = scopes.split(',').filter(|s| !s.trim().is_empty()).map(Scope::parse).collect::<Result<Vec<_>, _>>()?;
            let split = |v: Option<String>| v.map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()).unwrap_or_default();
            let devices = Selector { names: split(names), sites: split(sites), roles: split(roles), tags: split(tags) };
            let now = now();
            let expires_at = expires.map(|e| parse_duration(&e).filter(|s| *s > 0)
                .map(|s| now + s as i64)
                .ok_or_else(|| anyhow::anyhow!("--expires {e:?} is not a duration like 30d or 12h"))).transpose()?;
            let mut file = KeyFile::load(&keys)?;
            let token = file.create(&principal, scopes, devices, now, expires_at)?;
            file.save(&keys)?;
            let key = file.keys.last().expect("just created");
            eprintln!("created key {} for {} in {} (shown once: store it now)", key.id, key.principal, keys.display());
            println!("{token}");
            Ok(0)
        }
        KeysAction::List { keys, usage } => {
            let usage = usage.unwrap_or_else(|| usage_path(&keys));
            print!("{}", list(&keys, &usage)?);
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

fn list(path: &Path, usage: &Path) -> anyhow::Result<String> {
    let file = KeyFile::load(path)?;
    let mut t = Table::new();
    t.set_header(["KEY", "PRINCIPAL", "SCOPES", "DEVICES", "CREATED", "EXPIRES", "LAST USED", "STATE"]);
    let now = now();
    let usage = load_usage(usage);
    for k in &file.keys {
        let scopes: Vec<&str> = k.scopes.iter().map(|s| s.name()).collect();
        let state = k.unusable(now).map_or("active".to_string(), |why| if k.revoked_at.is_some() { "revoked".into() } else if why.contains("expired") { "expired".into() } else { why });
        t.add_row([format!("sy_{}", k.id), k.principal.clone(), scopes.join(","), k.devices.describe(), format_rfc3339(k.created_at),
            k.expires_at.map_or("never".into(), format_rfc3339), usage.get(&k.id).map_or("never".into(), |at| format_rfc3339(*at)), state]);
    }
    Ok(crate::render::table("", t))
}
