//! Times and durations as suite files, workflows and the CLI write them.
//!
//! Times are RFC 3339: formatted in UTC with whole seconds
//! (`2026-11-22T22:00:00Z`), parsed with any offset. Durations are a bare
//! number of seconds or jiff's friendly spans (`90s`, `15m`, `4h`, `2d`,
//! `1h30m`), days counting 24 hours. Backed by jiff without a time-zone
//! database: pure arithmetic, so workflows may format their deterministic
//! time with it. Must never: read a clock.

use jiff::{Span, SpanTotal, Timestamp, Unit};

/// Seconds since the Unix epoch → `YYYY-MM-DDTHH:MM:SSZ`; empty outside
/// the years -9999..=9999, which no suite, workflow or device reaches.
pub fn format_rfc3339(unix: i64) -> String {
    Timestamp::from_second(unix).map(|t| t.to_string()).unwrap_or_default()
}

/// An RFC 3339 time (offset required) → seconds since the Unix epoch,
/// fractions dropped.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    text.trim().parse::<Timestamp>().ok().map(|t| t.as_second())
}

/// `90`, `90s`, `15m`, `4h`, `2d`, `1h30m` → whole seconds. A calendar
/// unit (months, years) or a negative or fractional span is not a duration.
pub fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(seconds);
    }
    let Ok(span) = text.parse::<Span>() else {
        // A count of one unit too large for any span is still a duration,
        // only longer than anything a caller accepts.
        let count = text.trim_end_matches(['s', 'm', 'h', 'd']);
        let one_unit = count.len() + 1 == text.len() && !count.is_empty() && count.bytes().all(|b| b.is_ascii_digit());
        return one_unit.then_some(u64::MAX);
    };
    let seconds = span.total(SpanTotal::from(Unit::Second).days_are_24_hours()).ok()?;
    (seconds >= 0.0 && seconds.fract() == 0.0 && seconds < u64::MAX as f64).then_some(seconds as u64)
}

/// Serde for a time kept as Unix seconds and written as RFC 3339, the way
/// every time in switchyard's JSON reads (`#[serde(with = "rfc3339_seconds")]`).
/// Reads RFC 3339, or the Unix seconds an older writer sent.
pub mod rfc3339_seconds {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `unix` as RFC 3339.
    pub fn serialize<S: Serializer>(unix: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_rfc3339(*unix))
    }

    /// Reads RFC 3339, or Unix seconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        match Either::deserialize(d)? {
            Either::Seconds(n) => Ok(n),
            Either::Text(t) => super::parse_rfc3339(&t).ok_or_else(|| serde::de::Error::custom(format!("{t:?} is not an RFC 3339 time"))),
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Seconds(i64),
        Text(String),
    }

    /// The same for an optional time (absent stays absent).
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};

        /// Writes the time as RFC 3339, or null.
        pub fn serialize<S: Serializer>(unix: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
            match unix {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }

        /// Reads RFC 3339, Unix seconds or null.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
            #[derive(Deserialize)]
            struct Wrapped(#[serde(with = "super")] i64);
            Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for t in [0, 951_782_400, 1_795_305_600, 4_107_542_399, -62_135_596_800, 253_402_207_200] {
            assert_eq!(parse_rfc3339(&format_rfc3339(t)), Some(t));
        }
        assert_eq!(format_rfc3339(1_795_305_600), "2026-11-22T00:00:00Z");
        assert_eq!(format_rfc3339(-62_135_596_800), "0001-01-01T00:00:00Z");
        assert_eq!(parse_rfc3339("2026-11-22T01:30:00+01:30"), Some(1_795_305_600));
        assert_eq!(parse_rfc3339("2026-11-22T00:00:00.250Z"), Some(1_795_305_600));
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Listed {
        #[serde(with = "rfc3339_seconds")]
        at: i64,
        #[serde(default, with = "rfc3339_seconds::option")]
        until: Option<i64>,
    }

    #[test]
    fn json_times_are_rfc3339_and_older_seconds_still_read() {
        let listed = Listed { at: 1_795_305_600, until: None };
        assert_eq!(serde_json::to_string(&listed).unwrap(), r#"{"at":"2026-11-22T00:00:00Z","until":null}"#);
        assert_eq!(serde_json::from_str::<Listed>(r#"{"at":"2026-11-22T00:00:00Z","until":"2026-11-22T00:00:01Z"}"#).unwrap(),
            Listed { at: 1_795_305_600, until: Some(1_795_305_601) });
        assert_eq!(serde_json::from_str::<Listed>(r#"{"at":1795305600}"#).unwrap(), listed);
        assert!(serde_json::from_str::<Listed>(r#"{"at":"yesterday"}"#).unwrap_err().to_string().contains("\"yesterday\" is not an RFC 3339 time"));
    }

    #[test]
    fn refuses_nonsense() {
        for bad in ["2026-11-22", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T00:00:00", "tomorrow"] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Some(90));
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("15m"), Some(900));
        assert_eq!(parse_duration("4h"), Some(14_400));
        assert_eq!(parse_duration("2d"), Some(172_800));
        assert_eq!(parse_duration("1h30m"), Some(5_400));
        assert_eq!(parse_duration("9223372036854775807s"), Some(u64::MAX));
        for bad in ["soon", "a while", "-5m", "1mo", "1.5s", ""] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
