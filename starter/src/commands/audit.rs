//! `switchyard audit <suite> [--json]` and `switchyard audit verify FILE`:
//! who decided what on a suite, and an offline re-check of an export.

use std::path::Path;

use anstream::println;
use comfy_table::Table;
use switchyard_proto::policy::Policy;
use switchyard_starter::audit::{self, Audit};

use crate::cli::Global;

pub(crate) async fn show(global: &Global, suite_id: &str, json: bool) -> anyhow::Result<i32> {
    let target = crate::global::target(global).await?;
    let status = target.status(suite_id).await?;
    let audit = audit::from_status(&status);
    if json {
        crate::output::print_json(&audit)?;
        return Ok(0);
    }
    println!("suite {} run {}", audit.suite_id, audit.run_id);
    println!("policy {} sha256:{}{}", audit.policy_file, audit.policy_hash, if audit.allow_unsigned { " (unsigned decisions allowed)" } else { "" });
    println!("plan {}", audit.plan_hash);
    if !audit.reverts.is_empty() {
        println!("reverts suite {}", audit.reverts);
    }
    if let crate::global::Target::Temporal(client) = &target {
        let revert = switchyard_proto::names::revert_suite_id(suite_id);
        if let Ok(Some(state)) = switchyard_starter::client::workflow_state(client, &revert).await {
            println!("reverted by suite {revert} ({state})");
        }
    }
    let mut t = Table::new();
    t.load_style(comfy_table::presets::NOTHING);
    t.set_header(["AT", "DECISION", "PRINCIPAL", "KEY", "CHANNEL", "VERDICT"]);
    for e in &audit.entries {
        let verdict = if e.counted { "counted".to_string() } else { format!("not counted: {}", e.reason) };
        let principal = if e.principal.is_empty() { "-" } else { e.principal.as_str() };
        let key = if e.fingerprint.is_empty() { "unsigned" } else { e.fingerprint.as_str() };
        t.add_row([e.at.as_str(), e.kind.as_str(), principal, key, e.channel.as_str(), verdict.as_str()]);
    }
    println!("{t}");
    Ok(0)
}

pub(crate) fn verify(global: &Global, file: &Path) -> anyhow::Result<i32> {
    let text = std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", file.display()))?;
    let audit: Audit = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: not an audit export: {e}", file.display()))?;
    // The organisation's file is the authority on keys; the export's own
    // copy only shows the signatures are consistent with it.
    let (principals, allow_unsigned, source) = match &global.policy {
        Some(path) => {
            let policy = Policy::load(path).map_err(anyhow::Error::msg)?;
            anyhow::ensure!(policy.hash == audit.policy_hash,
                "{}: the suite ran under policy sha256:{}, but {} is sha256:{}", file.display(), audit.policy_hash, policy.file, policy.hash);
            (policy.principals, policy.allow_unsigned, format!("keys and rules from {}", policy.file))
        }
        None => (audit::principals(&audit), audit.allow_unsigned,
            "keys from the export itself (pass --policy to check them against the organisation's file)".to_string()),
    };
    let problems = audit::verify(&audit, &principals, allow_unsigned);
    let signed = audit.entries.iter().filter(|e| e.signature.is_some()).count();
    if problems.is_empty() {
        println!("{}: {} decision(s), {signed} signed, all hold; {source} (an entry removed from the file cannot be detected)",
            file.display(), audit.entries.len());
        return Ok(0);
    }
    for p in &problems {
        println!("{}: {p}", file.display());
    }
    println!("{}: {} problem(s); {source}", file.display(), problems.len());
    Ok(crate::exit::REFUSED)
}
