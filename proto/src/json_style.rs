//! The one JSON convention of what switchyard writes for scripts: the
//! CLI's `-o json`, the service's response bodies and event stream, and
//! webhook deliveries. snake_case keys, lower-case words for phases,
//! statuses and other enums (`rolled_back`, not `SUITE_PHASE_ROLLED_BACK`),
//! RFC 3339 times (the messages carry times as RFC 3339 strings already).
//!
//! Protobuf's canonical JSON (camelCase, `PREFIX_VALUE`) stays what
//! Temporal's payloads carry; [`normalize`] turns it into the convention at
//! the edge. The reverse needs nothing: every message reads snake_case keys
//! (pbjson takes both names) and every enum reads its word (the build adds
//! it to each enum's names).
//!
//! Must never: change a key or a string that is data rather than a field
//! name or an enum word (CONFIG_DB keys and fields pass through unchanged).

use serde_json::Value;

/// The proto enums, by their value
/// prefix (`SuitePhase` values are `SUITE_PHASE_…`).
const ENUM_PREFIXES: &[&str] = &[
    "CHANGE_ACTION_", "CHECK_DB_", "CHECK_EXPECT_", "CHECK_WHEN_", "COMPENSATION_ACTION_", "DECISION_", "DEVICE_MODE_",
    "DEVICE_STATUS_", "ON_FAILURE_", "OPERATOR_ACTION_", "STEP_OUTCOME_", "SUITE_PHASE_", "TAGGING_MODE_", "WINDOW_CLOSE_",
];

/// Rewrites protobuf's JSON (camelCase keys, `PREFIX_VALUE` enums) into
/// switchyard's convention; other JSON passes through.
pub fn normalize(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (snake_key(k), normalize(v))).collect()),
        Value::Array(items) => Value::Array(items.into_iter().map(normalize).collect()),
        Value::String(s) => Value::String(enum_word(&s).unwrap_or(s)),
        other => other,
    }
}

/// A camelCase field name in snake_case; any other key (a CONFIG_DB key
/// like `VLAN|Vlan10`, a field already in snake_case) unchanged.
fn snake_key(key: String) -> String {
    let camel = key.starts_with(|c: char| c.is_ascii_lowercase())
        && key.chars().all(|c| c.is_ascii_alphanumeric())
        && key.chars().any(|c| c.is_ascii_uppercase());
    if !camel {
        return key;
    }
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `SUITE_PHASE_ROLLED_BACK` → `rolled_back`, for the known enums only.
pub fn enum_word(text: &str) -> Option<String> {
    let rest = ENUM_PREFIXES.iter().find_map(|p| text.strip_prefix(p))?;
    let word = !rest.is_empty() && rest.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    word.then(|| rest.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use crate::v1::{DeviceResult, DeviceStatus, SuitePhase, SuiteStatus};
    use crate::vocabulary::{device_status_name, phase_name};

    use super::*;

    #[test]
    fn keys_are_snake_case_and_enums_lower_case_words() {
        let status = SuiteStatus {
            suite_id: "s".into(),
            phase: SuitePhase::RolledBack as i32,
            plan_hash: "h".into(),
            devices: vec![DeviceResult { device: "sonic-d001".into(), status: DeviceStatus::PlanFailed as i32, lock_wait: "w".into(), ..Default::default() }],
            ..Default::default()
        };
        let v = normalize(serde_json::to_value(&status).unwrap());
        assert_eq!(v["suite_id"], "s");
        assert_eq!(v["phase"], "rolled_back");
        assert_eq!(v["plan_hash"], "h");
        assert_eq!(v["devices"][0]["status"], "plan_failed");
        assert_eq!(v["devices"][0]["lock_wait"], "w");
        assert!(v.get("suiteId").is_none());
    }

    #[test]
    fn every_phase_and_device_status_reads_as_its_name_elsewhere() {
        for p in (0..=20).filter_map(|i| SuitePhase::try_from(i).ok()).filter(|p| *p != SuitePhase::Unspecified) {
            assert_eq!(enum_word(p.as_str_name()).as_deref(), Some(phase_name(p)), "{p:?}");
        }
        for s in (0..=20).filter_map(|i| DeviceStatus::try_from(i).ok()).filter(|s| *s != DeviceStatus::Unspecified) {
            assert_eq!(enum_word(s.as_str_name()).as_deref(), Some(device_status_name(s)), "{s:?}");
        }
    }

    #[test]
    fn what_the_convention_writes_reads_back() {
        let status = SuiteStatus {
            suite_id: "s".into(),
            phase: SuitePhase::PartiallyRolledBack as i32,
            devices: vec![DeviceResult { device: "sonic-d001".into(), status: DeviceStatus::RolledBack as i32, ..Default::default() }],
            devices_omitted: 3,
            ..Default::default()
        };
        let written = normalize(serde_json::to_value(&status).unwrap());
        let read: SuiteStatus = serde_json::from_value(written).unwrap();
        assert_eq!(read, status);
    }

    #[test]
    fn an_unknown_value_is_refused_naming_the_words() {
        let err = serde_json::from_str::<DeviceResult>(r#"{"status": "rolledback"}"#).unwrap_err().to_string();
        assert!(err.contains("unknown variant `rolledback`") && err.contains("`rolled_back`") && err.contains("`plan_failed`"), "{err}");
        assert!(!err.contains("DEVICE_STATUS_"), "{err}");
        // The proto name still reads.
        let read: DeviceResult = serde_json::from_str(r#"{"status": "DEVICE_STATUS_ROLLED_BACK"}"#).unwrap();
        assert_eq!(read.status(), DeviceStatus::RolledBack);
    }

    #[test]
    fn data_passes_through() {
        let rows = json!({"VLAN|Vlan10": {"vlanid": "10", "Contact": "noc"}, "owned": ["PORT|Ethernet0"], "note": "DECISION_APPROVE is a word", "x": "SUITE_PHASE_"});
        assert_eq!(normalize(rows.clone()), rows);
    }

    #[test]
    fn every_enum_of_the_protocol_has_its_prefix_here() {
        let protos = [
            include_str!("../switchyard/v1/suite.proto"),
            include_str!("../switchyard/v1/changeset.proto"),
            include_str!("../switchyard/v1/checks.proto"),
            include_str!("../switchyard/v1/operations.proto"),
        ];
        for text in protos {
            for name in text.lines().filter_map(|l| l.trim().strip_prefix("enum ")).map(|l| l.trim_end_matches(['{', ' '])) {
                let mut prefix = String::new();
                for (i, c) in name.chars().enumerate() {
                    if c.is_ascii_uppercase() && i > 0 {
                        prefix.push('_');
                    }
                    prefix.push(c.to_ascii_uppercase());
                }
                prefix.push('_');
                assert!(ENUM_PREFIXES.contains(&prefix.as_str()), "enum {name}: add {prefix} to ENUM_PREFIXES");
            }
        }
    }
}
