//! Suite file + inventory → workflow input, through the launch the service
//! uses too ([`switchyard_starter::launch`]): read here, validated, signed
//! and checked against the policy there. Nothing starts if this fails.
//! Through the service, the file's text is sent as it is, and the service
//! does the same with its own inventory and policy; a refusal at a place
//! in the suite is shown at that place in the local file.

use switchyard_proto::inventory::Inventory;
use switchyard_proto::policy::Policy;
use switchyard_proto::suite_file::SuiteFile;
use switchyard_proto::v1::SuiteInput;
use switchyard_starter::launch::{self, Launch};
use switchyard_starter::remote::{Created, Service, ServiceError};

use crate::cli::{Global, SuiteArgs};

pub(crate) async fn load(global: &Global, args: &SuiteArgs, plan_only: bool) -> anyhow::Result<SuiteInput> {
    load_launch(global, args, plan_only, None).await
}

/// As [`load`]; with `scheduled_until`, the input of a schedule's runs.
pub(crate) async fn load_launch(global: &Global, args: &SuiteArgs, plan_only: bool, scheduled_until: Option<i64>) -> anyhow::Result<SuiteInput> {
    // A file with a mistake is a usage error: nothing starts, and the exit
    // code says the input is what to fix.
    let suite = SuiteFile::load(&args.suite).map_err(|e| crate::exit::usage(e.to_string()))?;
    let inventory = match (&args.inventory, suite.load_inventory()) {
        (Some(path), _) => Inventory::load(path),
        (None, Some(named)) => named,
        (None, None) => return Err(crate::exit::usage(format!("{}: no inventory: pass --inventory or set `inventory:` in the suite", args.suite.display()))),
    }
    .map_err(|e| crate::exit::usage(e.to_string()))?;
    // A source of truth is read for every launch: the suite records what
    // it said, with its ids.
    let inventory = switchyard_starter::inventory_source::resolve(inventory).await.map_err(anyhow::Error::msg)?;
    let policy = global.policy.as_ref().map(|p| Policy::load(p)).transpose().map_err(|e| crate::exit::usage(e.to_string()))?;
    let key = crate::global::signing_key(global);
    let launch = Launch {
        requester: args.requester.clone(),
        default_requester: std::env::var("USER").ok(),
        suite_id: args.suite_id.clone(),
        plan_only,
        signing_key: key.as_ref(),
        on_behalf: None,
        policy: policy.as_ref(),
        scheduled_until,
    };
    Ok(launch::prepare(&suite, &inventory, &launch)?)
}

/// Launches (or plans) the suite file through the service.
pub(crate) async fn create(service: &Service, args: &SuiteArgs, plan_only: bool) -> anyhow::Result<Created> {
    let file = args.suite.display().to_string();
    anyhow::ensure!(args.suite_id.is_none(), "--suite-id: the service names the suites it starts; leave it out with --api");
    anyhow::ensure!(args.inventory.is_none(), "--inventory: the service selects devices from its own inventory; leave it out with --api");
    if args.requester.is_some() {
        eprintln!("note: through the service, the requester is your API key's principal; --requester is not used");
    }
    let text = std::fs::read_to_string(&args.suite).map_err(|e| anyhow::anyhow!("{file}: cannot read: {e}"))?;
    match service.create(&text, plan_only).await {
        Ok(created) => Ok(created),
        Err(ServiceError::Problem { code, document, .. }) if code == "invalid-suite" || code == "policy-denied" => {
            let field = |name: &str| document.get(name).cloned().unwrap_or_default();
            let located = switchyard_proto::SourceError {
                file,
                line: field("line").as_u64().unwrap_or(0),
                column: field("column").as_u64().unwrap_or(0),
                field: field("field").as_str().unwrap_or_default().to_string(),
                message: field("message").as_str().or(field("detail").as_str()).unwrap_or_default().to_string(),
                also: Vec::new(),
            };
            if code == "policy-denied" {
                anyhow::bail!("the service's policy refuses the suite: {}", field("detail").as_str().unwrap_or_default());
            }
            // Every mistake the service found, each located in the file.
            let each: Vec<switchyard_proto::SourceError> = field("errors").as_array().map(|all| all.iter().map(|m| switchyard_proto::SourceError {
                file: located.file.clone(),
                line: m["line"].as_u64().unwrap_or(0),
                column: m["column"].as_u64().unwrap_or(0),
                field: m["field"].as_str().unwrap_or_default().to_string(),
                message: m["message"].as_str().unwrap_or_default().to_string(),
                also: Vec::new(),
            }).collect()).unwrap_or_default();
            let located = switchyard_proto::SourceError::all(each).unwrap_or(located);
            Err(crate::exit::usage(located.to_string()))
        }
        Err(e) => Err(e.into()),
    }
}
