//! The service catalogue: named compositions of operations (for example an
//! L3 tenant attachment = VRF + routed port address + BGP neighbor +
//! ingress ACL), with `{{ params.x }}` placeholders filled by the suite.
//!
//! `apply_service` expands into the service's steps in order;
//! `remove_service` into their removals in reverse order, where shared
//! objects (VLAN, VRF, ACL table, PortChannel) are removed only by their
//! last user (`keep_if_used`).
//!
//! A service's steps are operations only, never other services: expansion
//! is one level deep, so a catalogue cannot hold a cycle. Steps without
//! placeholders are checked like a suite's steps, against this file.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::operation;
use crate::params::{has_template, Params, RawParams, RawStep};
use crate::SourceError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    #[serde(default)]
    description: String,
    #[serde(default)]
    params: Vec<Spanned<String>>,
    steps: Spanned<Vec<RawStep>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    services: BTreeMap<String, Spanned<RawService>>,
}

/// One service of the catalogue.
#[derive(Debug, Clone)]
pub struct Service {
    /// What it is for.
    pub description: String,
    /// Parameters the suite must give.
    pub params: Vec<String>,
    pub(crate) steps: Vec<(String, RawParams, Location)>,
}

/// A parsed service catalogue.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    /// The file it came from.
    pub file: String,
    /// Services by name.
    pub services: BTreeMap<String, Service>,
}

impl Catalogue {
    /// Parses catalogue text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, SourceError> {
        let raw: RawCatalogue = serde_saphyr::from_str(text).map_err(|e| SourceError::from_yaml(file, text, &e))?;
        let mut services = BTreeMap::new();
        // Every service and step is read, so a file's mistakes are all said
        // at once, in file order.
        let mut errors = Vec::new();
        for (name, spanned) in raw.services {
            let svc = spanned.value;
            let declared = match declared_params(file, &name, &svc.params) {
                Ok(declared) => declared,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            if svc.steps.value.is_empty() {
                errors.push(SourceError::at(file, svc.steps.referenced, format!("services.{name}.steps"), "a service needs at least one step"));
                continue;
            }
            let mut steps = Vec::new();
            for (j, step) in svc.steps.value.into_iter().enumerate() {
                match parse_step(file, &name, &declared, j, step) {
                    Ok(step) => steps.push(step),
                    Err(e) => errors.push(e),
                }
            }
            services.insert(name, Service { description: svc.description, params: declared, steps });
        }
        match SourceError::all(errors) {
            Some(e) => Err(e),
            None => Ok(Self { file: file.to_string(), services }),
        }
    }

    /// Reads and parses a catalogue file.
    pub fn load(path: &Path) -> Result<Self, SourceError> {
        let (file, text) = crate::source::read_text(path, &format!("service catalogue {}", path.display()))?;
        Self::parse(&file, &text)
    }
}

/// One step of service `service`: a known operation whose parameters it
/// takes, with placeholders naming `declared` parameters only.
fn parse_step(file: &str, service: &str, declared: &[String], j: usize, step: RawStep)
    -> Result<(String, RawParams, Location), SourceError> {
    let field = format!("services.{service}.steps[{j}]");
    if step.value.len() != 1 {
        return Err(SourceError::at(file, step.referenced, field, "a step is a map with exactly one operation"));
    }
    let Some((op, params)) = step.value.into_iter().next() else {
        return Err(SourceError::at(file, step.referenced, field, "a step is a map with exactly one operation"));
    };
    let def = operation::find(&op).ok_or_else(|| {
        let message = if op == "apply_service" || op == "remove_service" {
            format!("{op} cannot be a step of a service: services do not nest; list the other service's operations here, or use both services from the suite")
        } else {
            format!("unknown operation {op:?} in a service")
        };
        SourceError::at(file, step.referenced, field.clone(), message)
    })?;
    let params = params.unwrap_or_default();
    for (key, value) in &params {
        if !def.params.contains(&key.as_str()) {
            return Err(SourceError::at(file, value.referenced, format!("{field}.{op}.{key}"),
                format!("unknown parameter {key:?} for {op}; expected one of: {}", def.params.join(", "))));
        }
        for used in placeholders(&value.value.text()) {
            if !declared.contains(&used) {
                return Err(SourceError::at(file, value.referenced, format!("{field}.{op}.{key}"),
                    format!("{{{{ params.{used} }}}} is not a parameter of service {service} (it declares: {})", declared.join(", "))));
            }
        }
    }
    // Placeholders are checked once a suite fills them in; a step without
    // any can be refused now, at its own line in this file.
    if !has_template(&params) {
        def.build(&Params { file, prefix: &field, op: &op, params: &params, device: None, step_loc: step.referenced })?;
    }
    Ok((op, params, step.referenced))
}

/// A service's parameter names, each declared once: a suite gives each one
/// value, so a repeated name is a typo for another parameter.
fn declared_params(file: &str, service: &str, params: &[Spanned<String>]) -> Result<Vec<String>, SourceError> {
    let mut names: Vec<String> = Vec::with_capacity(params.len());
    for (i, p) in params.iter().enumerate() {
        let field = format!("services.{service}.params[{i}]");
        if p.value.trim().is_empty() {
            return Err(SourceError::at(file, p.referenced, field, "a parameter name must not be empty"));
        }
        if names.contains(&p.value) {
            return Err(SourceError::at(file, p.referenced, field, format!("duplicate parameter {:?}", p.value)));
        }
        names.push(p.value.clone());
    }
    Ok(names)
}

/// Names used as `{{ params.x }}` in a value.
fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        if let Some(name) = after[..end].trim().strip_prefix("params.") {
            out.push(name.to_string());
        }
        rest = &after[end + 2..];
    }
    out
}

/// Replaces `{{ params.x }}` with the suite's values; device templates stay.
pub(crate) fn fill(text: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = text.to_string();
    for (k, v) in values {
        for form in [format!("{{{{ params.{k} }}}}"), format!("{{{{params.{k}}}}}")] {
            out = out.replace(&form, v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_errors_are_located() {
        let bad = "services:\n  tenant:\n    params: [vrf]\n    steps:\n      - create_vrf: { name: \"{{ params.vfr }}\" }\n";
        let err = Catalogue::parse("svc.yaml", bad).unwrap_err();
        assert_eq!((err.line, err.field.as_str()), (5, "services.tenant.steps[0].create_vrf.name"), "{err}");
        assert!(err.message.contains("not a parameter of service tenant"), "{err}");
        let bad = "services:\n  tenant:\n    steps:\n      - create_vfr: { name: VrfRed }\n";
        assert!(Catalogue::parse("svc.yaml", bad).unwrap_err().message.contains("unknown operation"));
    }

    #[test]
    fn every_mistake_of_the_catalogue_is_said_at_once() {
        let bad = "services:\n  a:\n    steps:\n      - create_vfr: { name: VrfRed }\n      - create_vrf: { name: VrfBlue }\n  b:\n    steps: []\n";
        let lines: Vec<u64> = Catalogue::parse("svc.yaml", bad).unwrap_err().into_each().iter().map(|e| e.line).collect();
        assert_eq!(lines, [4, 7]);
    }
}
