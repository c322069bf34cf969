//! `{{ device.* }}` templates in suite parameters, resolved per device.

use crate::inventory::Device;

/// Replaces every `{{ device.<attr> }}` in `text`. Returns the unknown
/// reference as the error.
pub(crate) fn render(text: &str, device: &Device) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| format!("unclosed '{{{{' in {text:?}"))?;
        let expr = after[..end].trim();
        out.push_str(&lookup(expr, device)?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn lookup(expr: &str, device: &Device) -> Result<String, String> {
    let value = match expr {
        "device.name" => Some(device.name.clone()),
        "device.address" => Some(device.address.clone()),
        "device.role" => Some(device.role.clone()),
        "device.site" => Some(device.site.clone()),
        "device.platform" => Some(device.platform.clone()),
        "device.hwsku" => Some(device.hwsku.clone()),
        _ => match expr.strip_prefix("device.vars.") {
            Some(var) => match device.vars.get(var) {
                Some(v) => Some(v.clone()),
                None => return Err(format!("device {:?} has no vars.{var}", device.name)),
            },
            None => None,
        },
    };
    value.ok_or_else(|| {
        format!("unknown template reference {{{{ {expr} }}}}; expected device.name, device.address, device.role, device.site, device.platform, device.hwsku or device.vars.<name>")
    })
}
