//! The devices of an inventory whose `source:` is a source of truth,
//! Nautobot or NetBox, read through its REST API with the token the file
//! names (read from the environment here, never written anywhere): the
//! devices its filter selects, with the management address from the
//! primary IP, the role, location or site, tags, the SONiC facts from the
//! custom fields `sonic_platform`, `sonic_hwsku`, `sonic_version` (the
//! device type's model standing in for the hwsku), template values from
//! the config context's `switchyard.vars`, and the source's own id.
//!
//! The CLI reads it for every plan and launch, the service for every suite
//! it creates, the worker when it starts: each launch records the source's
//! ids of its devices in the suite's input (`DeviceTarget.source_ref`).
//! Whatever the source answers that cannot be used (unreachable, the token
//! refused, a filter value it does not know, a device without a primary
//! IP) is refused before anything starts, naming the field or the device.
//!
//! Must never: put the token in an error, a log line or a URL, or send it
//! to another host than the source's (a `next` page elsewhere is refused).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use switchyard_proto::SourceError;
use switchyard_proto::inventory::{FetchedDevice, Inventory, InventorySource, SourceKind};

/// Devices read per page (both sources cap a page at 1,000).
const PAGE: usize = 1000;
/// Pages read at most: a million devices, far past any fleet.
const MAX_PAGES: usize = 1000;
/// One page's answer, at most: a source that holds the connection open
/// must not hold a launch, the service or the worker's reload with it.
const PAGE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// One page's body, at most (a thousand devices with config context are
/// a few MB).
const MAX_PAGE_BYTES: usize = 64 << 20;

/// The inventory file at `path`, with its source's devices when it names one.
pub async fn load(path: &Path) -> Result<Inventory, SourceError> {
    resolve(Inventory::load(path)?).await
}

/// `inventory` with its source's devices added (as it is without a source).
pub async fn resolve(mut inventory: Inventory) -> Result<Inventory, SourceError> {
    let Some(source) = inventory.source.clone() else { return Ok(inventory) };
    let fetched = fetch(&inventory.file, &source, &std::env::var(&source.token_env).unwrap_or_default()).await?;
    inventory.add_fetched(fetched)?;
    Ok(inventory)
}

/// Every device `source` selects, read with `token`.
pub async fn fetch(file: &str, source: &InventorySource, token: &str) -> Result<Vec<FetchedDevice>, SourceError> {
    let kind = source.kind.name();
    let refuse = |field: String, message: String| SourceError { file: file.to_string(), line: source.line, column: 0, field, message, also: Vec::new() };
    if token.trim().is_empty() {
        return Err(refuse(format!("source.{kind}.token_env"), format!("{} is not set: it holds the {kind} API token", source.token_env)));
    }
    let authorization = match source.kind {
        // NetBox's v2 tokens are bearer tokens; its v1 tokens and
        // Nautobot's are `Token`.
        SourceKind::Netbox if token.starts_with("nbt_") => format!("Bearer {}", token.trim()),
        _ => format!("Token {}", token.trim()),
    };
    let headers = [("authorization", authorization.as_str()), ("accept", "application/json")];
    let http = switchyard_http::Client::system();
    let mut url = first_page(source);
    let mut devices = Vec::new();
    for _ in 0..MAX_PAGES {
        let response = tokio::time::timeout(PAGE_TIMEOUT, http.request(switchyard_http::Method::GET, &url, &headers, Vec::new())).await
            .map_err(|_| refuse(format!("source.{kind}.url"), format!("cannot read devices from {}: no answer within {PAGE_TIMEOUT:?}", source.url)))?
            .map_err(|why| refuse(format!("source.{kind}.url"), format!("cannot read devices from {}: {why}", source.url)))?;
        if response.body.len() > MAX_PAGE_BYTES {
            return Err(refuse(format!("source.{kind}.url"), format!("{kind} at {} answered a page of {} bytes, more than {MAX_PAGE_BYTES}", source.url, response.body.len())));
        }
        let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        match response.status {
            200 => {}
            401 | 403 => return Err(refuse(format!("source.{kind}.token_env"),
                format!("{kind} at {} refused the token in {} ({}: {})", source.url, source.token_env, response.status, detail(&body)))),
            400 => return Err(filter_refused(file, source, &body)),
            status => return Err(refuse(format!("source.{kind}.url"), format!("{kind} at {} answered {status} to the device list: {}", source.url, detail(&body)))),
        }
        let results = body["results"].as_array().ok_or_else(|| refuse(format!("source.{kind}.url"),
            format!("{} did not answer with a device list (no `results`): is it {kind}'s URL?", source.url)))?;
        for device in results {
            devices.push(device_of(file, source, device)?);
        }
        match body["next"].as_str() {
            None => return Ok(devices),
            Some(next) if next.starts_with(&format!("{}/", source.url)) => url = next.to_string(),
            // The token goes only to the source itself.
            Some(next) => return Err(refuse(format!("source.{kind}.url"),
                format!("{kind}'s next page is at {next}, not under {}: set url to the address {kind} calls itself", source.url))),
        }
    }
    Err(refuse(format!("source.{kind}.filter"), format!("more than {} devices: narrow the filter", PAGE * MAX_PAGES)))
}

/// The device list's first page, filtered, with what each device needs.
fn first_page(source: &InventorySource) -> String {
    let mut query: Vec<String> = Vec::new();
    for (name, values) in &source.filter {
        for value in values {
            query.push(format!("{}={}", query_name(source.kind, name), switchyard_http::encode_component(value)));
        }
    }
    match source.kind {
        // depth=1 nests the related objects' names; the config context
        // is only sent when asked for.
        SourceKind::Nautobot => query.extend(["include=config_context".to_string(), "depth=1".to_string()]),
        SourceKind::Netbox => {}
    }
    query.push(format!("limit={PAGE}"));
    format!("{}/api/dcim/devices/?{}", source.url, query.join("&"))
}

/// The source's query parameter for a filter of the file.
fn query_name(kind: SourceKind, filter: &str) -> &str {
    match (kind, filter) {
        (SourceKind::Nautobot, "tag") => "tags",
        _ => filter,
    }
}

/// A 400 answer (`{"location": ["Select a valid choice. …"]}`) as the
/// refusal of the file's filter it names.
fn filter_refused(file: &str, source: &InventorySource, body: &Value) -> SourceError {
    let kind = source.kind.name();
    // The first key that is one of the file's filters names it; any other
    // answer (`detail`, `non_field_errors`) is about the query as a whole.
    let named = body.as_object().and_then(|o| o.iter().find_map(|(param, said)| {
        source.filter.keys().find(|f| query_name(source.kind, f) == param).map(|f| (f.clone(), said))
    }));
    let (field, message) = match named {
        Some((filter, said)) => (format!("source.{kind}.filter.{filter}"), format!("{kind} refused the filter: {}", detail(said))),
        None => (format!("source.{kind}.filter"), format!("{kind} refused the query: {}", detail(body))),
    };
    SourceError { file: file.to_string(), line: source.line, column: 0, field, message, also: Vec::new() }
}

/// What an error body says, in one line.
fn detail(body: &Value) -> String {
    match body {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(detail).collect::<Vec<_>>().join("; "),
        Value::Object(o) => match o.get("detail") {
            Some(d) => detail(d),
            None => o.iter().map(|(k, v)| format!("{k}: {}", detail(v))).collect::<Vec<_>>().join("; "),
        },
        Value::Null => "(no body)".into(),
        other => other.to_string(),
    }
}

/// One device of the list, or why it cannot be used, naming it.
fn device_of(file: &str, source: &InventorySource, d: &Value) -> Result<FetchedDevice, SourceError> {
    let kind = source.kind.name();
    let id = match &d["id"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let name = d["name"].as_str().unwrap_or_default().to_string();
    let refuse = |field: &str, message: String| SourceError {
        file: file.to_string(), line: source.line, column: 0,
        field: format!("source.{kind} device {} (id {id}).{field}", if name.is_empty() { "(unnamed)" } else { &name }), message,
        also: Vec::new(),
    };
    if name.is_empty() {
        return Err(refuse("name", format!("the device has no name in {kind}; switchyard names devices by it")));
    }
    let address = ["primary_ip4", "primary_ip6"].iter()
        .find_map(|f| d[*f]["address"].as_str())
        .map(|a| a.split('/').next().unwrap_or(a).to_string())
        .ok_or_else(|| refuse("primary_ip4", format!("{name} has no primary IP address in {kind}: its management address comes from it")))?;
    // NetBox filters by slugs, so its devices carry slugs (what a suite's
    // selector then names); Nautobot 2.x has names only.
    let label = |v: &Value| -> String {
        match source.kind {
            SourceKind::Netbox => v["slug"].as_str().or_else(|| v["name"].as_str()),
            SourceKind::Nautobot => v["name"].as_str(),
        }.unwrap_or_default().to_string()
    };
    let site = match source.kind {
        SourceKind::Nautobot => label(&d["location"]),
        SourceKind::Netbox => label(&d["site"]),
    };
    let text = |f: &str| d["custom_fields"][f].as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let mut vars = BTreeMap::new();
    if let Some(given) = d["config_context"]["switchyard"]["vars"].as_object() {
        for (key, value) in given {
            let value = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(refuse(&format!("config_context.switchyard.vars.{key}"), "a template value is a string, number or boolean".into())),
            };
            vars.insert(key.clone(), value);
        }
    }
    Ok(FetchedDevice {
        address,
        role: label(&d["role"]),
        site,
        platform: text("sonic_platform"),
        hwsku: text("sonic_hwsku").or_else(|| d["device_type"]["model"].as_str().map(str::to_string)),
        sonic_version: text("sonic_version"),
        tags: d["tags"].as_array().map(|tags| tags.iter().map(&label).filter(|t| !t.is_empty()).collect()).unwrap_or_default(),
        vars,
        name,
        id,
    })
}
