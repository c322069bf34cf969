//! One step's parameters as an operator wrote them: scalars with the place
//! each came from, and typed access that reports a mistake at that place.
//!
//! Owns only the reading of values (is it an integer, true or false, text;
//! `{{ device.* }}` templates rendered for one device). What a value must
//! be for its operation (a VLAN id in range, a CIDR) is the operation's
//! static rule in [`crate::operation`], so each rule exists once.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::inventory::Device;
use crate::template;
use crate::SourceError;

/// A single value in a step, exactly as written: `0x10`, `010`, `16.0`
/// and `yes` stay text, so nothing YAML reads as another number or a
/// boolean is taken silently; each operation reads the text it expects.
#[derive(Debug, Clone)]
pub(crate) struct Scalar(pub(crate) String);

impl Scalar {
    pub(crate) fn text(&self) -> String {
        self.0.clone()
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Asking for a string gets a plain scalar's source text.
        String::deserialize(deserializer).map(Scalar)
    }
}

/// A step's parameters by name, each with its place in the file.
pub(crate) type RawParams = BTreeMap<String, Spanned<Scalar>>;
/// A step as written: one operation name mapped to its parameters.
pub(crate) type RawStep = Spanned<BTreeMap<String, Option<RawParams>>>;

/// Whether a value still holds a template to render per device.
pub(crate) fn has_template(params: &RawParams) -> bool {
    params.values().any(|v| template::is_template(&v.value.text()))
}

/// Characters in one parameter value: names, addresses and descriptions
/// are short; SONiC's own description fields take 255.
const MAX_VALUE: usize = 1_024;

/// Typed access to one step's parameters, with located errors.
pub(crate) struct Params<'a> {
    pub(crate) file: &'a str,
    /// Field path of the step, e.g. `steps[2]`.
    pub(crate) prefix: &'a str,
    pub(crate) op: &'a str,
    pub(crate) params: &'a RawParams,
    /// The device templates render for; `None` for the static check.
    pub(crate) device: Option<&'a Device>,
    pub(crate) step_loc: Location,
}

impl Params<'_> {
    /// Field path of one parameter, e.g. `steps[2].create_vlan.vlan_id`.
    pub(crate) fn field(&self, key: &str) -> String {
        format!("{}.{}.{key}", self.prefix, self.op)
    }

    /// A refusal of parameter `key`, at its place (or the step's when absent).
    pub(crate) fn bad(&self, key: &str, message: impl Into<String>) -> SourceError {
        let loc = self.params.get(key).map(|v| v.referenced).unwrap_or(self.step_loc);
        let message = match self.device {
            Some(d) => format!("{} (for device {})", message.into(), d.name),
            None => message.into(),
        };
        SourceError::at(self.file, loc, self.field(key), message)
    }

    fn value(&self, key: &str) -> Result<Option<String>, SourceError> {
        let Some(v) = self.params.get(key) else { return Ok(None) };
        let raw = v.value.text();
        if raw.chars().count() > MAX_VALUE {
            return Err(self.bad(key, format!("{} characters; a parameter takes at most {MAX_VALUE}", raw.chars().count())));
        }
        match self.device {
            Some(d) => {
                let rendered = template::render(&raw, d).map_err(|e| self.bad(key, e))?;
                if rendered.chars().count() > MAX_VALUE {
                    return Err(self.bad(key, format!("renders to {} characters; a parameter takes at most {MAX_VALUE}", rendered.chars().count())));
                }
                Ok(Some(rendered))
            }
            None => Ok(Some(raw)),
        }
    }

    /// Refuses a template that does not parse, at its parameter's place,
    /// before any device is known.
    pub(crate) fn check_templates(&self) -> Result<(), SourceError> {
        for (key, value) in self.params {
            let text = value.value.text();
            if template::is_template(&text) {
                template::check(&text).map_err(|e| self.bad(key, e))?;
            }
        }
        Ok(())
    }

    /// A required text parameter.
    pub(crate) fn text(&self, key: &str) -> Result<String, SourceError> {
        self.value(key)?.ok_or_else(|| {
            SourceError::at(self.file, self.step_loc, self.field(key), format!("missing required parameter {key:?}"))
        })
    }

    /// An optional text parameter; empty when absent.
    pub(crate) fn text_opt(&self, key: &str) -> Result<String, SourceError> {
        Ok(self.value(key)?.unwrap_or_default())
    }

    /// A required non-negative decimal integer.
    pub(crate) fn int(&self, key: &str) -> Result<u32, SourceError> {
        let text = self.text(key)?;
        let digits = text.trim();
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            if digits.len() > 1 && digits.starts_with('0') {
                return Err(self.bad(key, format!("{text:?} has a leading zero, which some YAML tools read as octal; write it without")));
            }
            return digits.parse::<u32>().map_err(|_| self.bad(key, format!("{text:?} is too large for an integer here")));
        }
        Err(self.bad(key, format!("{text:?} is not an integer")))
    }

    /// An optional non-negative integer; 0 when absent.
    pub(crate) fn int_opt(&self, key: &str) -> Result<u32, SourceError> {
        if self.params.contains_key(key) { self.int(key) } else { Ok(0) }
    }

    /// A boolean; false when absent.
    pub(crate) fn flag(&self, key: &str) -> Result<bool, SourceError> {
        match self.value(key)?.as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(self.bad(key, format!("{other:?} is not true or false"))),
        }
    }
}
