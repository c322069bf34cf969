//! Templates in suite parameters (`{{ device.vars.uplink }}`,
//! `{{ device.name | upper }}`), in Jinja's syntax as operators know it from
//! Ansible, rendered per device by minijinja.
//!
//! A template sees one thing, `device`: the device's name, address, role,
//! site, platform, hwsku, tags and vars. Must never: render an undefined
//! reference as empty text (a missing var is an error naming it), or run
//! without a bound on its work (fuel), since suites come from API callers.

use std::sync::OnceLock;

use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value};

use crate::inventory::Device;

/// Instructions one parameter's template may run: a filter chain takes a
/// few dozen; a loop over thousands of items is refused.
const FUEL: u64 = 10_000;

const ATTRIBUTES: &str = "device.name, device.address, device.role, device.site, device.platform, device.hwsku, device.tags or device.vars.<name>";

/// Whether `text` holds a template (an expression, statement or comment).
pub(crate) fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}

/// Parses `text` without rendering it: a syntax error is found before any
/// device is known.
pub(crate) fn check(text: &str) -> Result<(), String> {
    environment().template_from_str(text).map(drop).map_err(|e| explain(&e, text, None))
}

/// `text` rendered for `device`.
pub(crate) fn render(text: &str, device: &Device) -> Result<String, String> {
    let context = Value::from_pairs([("device", device_value(device))]);
    environment().render_str(text, context).map_err(|e| explain(&e, text, Some(device)))
}

fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        env
    })
}

fn device_value(device: &Device) -> Value {
    let text = |s: &String| Value::from(s.as_str());
    let vars = Value::from_pairs(device.vars.iter().map(|(k, v)| (k.as_str(), text(v))));
    let tags: Value = device.tags.iter().map(text).collect();
    Value::from_pairs([
        ("name", text(&device.name)),
        ("address", text(&device.address)),
        ("role", text(&device.role)),
        ("site", text(&device.site)),
        ("platform", text(&device.platform)),
        ("hwsku", text(&device.hwsku)),
        ("tags", tags),
        ("vars", vars),
    ])
}

/// The engine's error as an operator reads it: a missing var named with its
/// device, an unknown reference with what a template may use.
fn explain(error: &minijinja::Error, text: &str, device: Option<&Device>) -> String {
    let detail = error.detail().map(|d| format!(": {d}")).unwrap_or_default();
    match error.kind() {
        ErrorKind::UndefinedError => match device.and_then(|d| missing_var(text, d).map(|v| (d, v))) {
            Some((d, var)) => format!("device {:?} has no vars.{var}", d.name),
            None => format!("unknown template reference in {text:?}; a template may use {ATTRIBUTES}"),
        },
        ErrorKind::OutOfFuel => format!("template {text:?} does more work than a parameter may ({FUEL} instructions)"),
        ErrorKind::SyntaxError => format!("template syntax error in {text:?}{detail}"),
        kind => format!("template {text:?}: {kind}{detail}"),
    }
}

/// The first `device.vars.<name>` the template reads that the device lacks.
fn missing_var(text: &str, device: &Device) -> Option<String> {
    text.match_indices("device.vars.").find_map(|(at, prefix)| {
        let name: String = text[at + prefix.len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        (!name.is_empty() && !device.vars.contains_key(&name)).then_some(name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> Device {
        let text = String::new;
        Device {
            name: "leaf-1".into(), address: "192.0.2.1".into(), ssh_port: 22, user: "admin".into(),
            credential: crate::inventory::CredentialRef::PasswordEnv("PW".into()), known_hosts: text(),
            platform: text(), hwsku: text(), sonic_version: text(), role: "leaf".into(), site: text(),
            tags: vec!["pod-a".into()], vars: [("uplink".to_string(), "Ethernet0".to_string())].into(), source_ref: String::new(),
        }
    }

    #[test]
    fn renders_attributes_vars_and_filters() {
        let d = device();
        assert_eq!(render("{{ device.vars.uplink }}", &d).unwrap(), "Ethernet0");
        assert_eq!(render("{{device.name|upper}}-{{ device.role }}", &d).unwrap(), "LEAF-1-leaf");
        assert_eq!(render("{{ device.vars.mtu | default('9100') }}", &d).unwrap(), "9100");
        assert_eq!(render("{{ device.tags | join(',') }}", &d).unwrap(), "pod-a");
        assert_eq!(render("{% if 'pod-a' in device.tags %}a{% else %}b{% endif %}", &d).unwrap(), "a");
        assert_eq!(render("no template", &d).unwrap(), "no template");
    }

    #[test]
    fn a_missing_var_or_unknown_reference_is_named() {
        let d = device();
        assert_eq!(render("{{ device.vars.downlink }}", &d).unwrap_err(), "device \"leaf-1\" has no vars.downlink");
        let e = render("{{ device.serial }}", &d).unwrap_err();
        assert!(e.contains("unknown template reference") && e.contains("device.vars.<name>"), "{e}");
        let e = render("{{ vlan }}", &d).unwrap_err();
        assert!(e.contains("unknown template reference"), "{e}");
    }

    #[test]
    fn syntax_errors_are_found_before_any_device() {
        let e = check("{{ device.name ").unwrap_err();
        assert!(e.starts_with("template syntax error in \"{{ device.name \""), "{e}");
        check("{{ device.vars.x | lower }}").unwrap();
    }

    #[test]
    fn a_template_that_works_too_hard_is_refused() {
        let e = render("{% for i in range(100000) %}{{ i }}{% endfor %}", &device()).unwrap_err();
        assert!(e.contains("more work than a parameter may"), "{e}");
    }
}
