//! Signal and update bodies as whatever bytes arrived: either the message
//! they encode, or why they could not be understood.
//!
//! A body the SDK cannot decode fails the workflow task, on every retry:
//! queries stop answering and timers fire unheard. Decoding here instead
//! turns any body (a JSON string, an unknown enum value, an extra or
//! mis-cased field, another encoding, no payload at all) into a refusal the
//! suite records, and the suite carries on. Must never: fail, or guess.

use serde::Serialize;
use serde::de::DeserializeOwned;
use temporalio_protos::temporal::api::common::v1::Payload;
use temporalio_workflow::common::data_converters::{
    PayloadConversionError, SerializationContext, TemporalDeserializable, TemporalSerializable,
};

/// A body, decoded or refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Lenient<T> {
    /// The body is a well-formed message.
    Understood(T),
    /// The body could not be understood; why, in words for the operator.
    Refused(String),
}

impl<T> From<T> for Lenient<T> {
    fn from(message: T) -> Self {
        Lenient::Understood(message)
    }
}

/// At most this much of a decoder's complaint is kept: a refusal is
/// recorded in the suite's status, which must stay small.
const REASON_LIMIT: usize = 300;

const ENCODING: &str = "encoding";
const JSON: &[u8] = b"json/plain";

impl<T: DeserializeOwned> Lenient<T> {
    /// Decodes the payloads a signal or update carried.
    pub fn decode(payloads: &[Payload]) -> Self {
        let [payload] = payloads else {
            return Lenient::Refused(format!("expected one JSON body, got {} payloads", payloads.len()));
        };
        match payload.metadata.get(ENCODING).map(Vec::as_slice) {
            Some(JSON) => {}
            Some(other) => return Lenient::Refused(format!("the body is {:?}, not json/plain", String::from_utf8_lossy(other))),
            None => return Lenient::Refused("the body names no encoding; expected json/plain".into()),
        }
        match serde_json::from_slice::<T>(&payload.data) {
            Ok(message) => Lenient::Understood(message),
            Err(e) => {
                let mut reason = format!("cannot decode the body: {e}");
                if reason.len() > REASON_LIMIT {
                    let cut = (0..=REASON_LIMIT).rev().find(|i| reason.is_char_boundary(*i)).unwrap_or(0);
                    reason.truncate(cut);
                    reason.push('…');
                }
                Lenient::Refused(reason)
            }
        }
    }
}

impl<T: DeserializeOwned> TemporalDeserializable for Lenient<T> {
    fn from_payloads(_: &SerializationContext<'_>, payloads: Vec<Payload>) -> Result<Self, PayloadConversionError> {
        Ok(Self::decode(&payloads))
    }
}

impl<T: Serialize> TemporalSerializable for Lenient<T> {
    fn to_payload(&self, _: &SerializationContext<'_>) -> Result<Payload, PayloadConversionError> {
        let Lenient::Understood(message) = self else { return Err(PayloadConversionError::WrongEncoding) };
        let data = serde_json::to_vec(message).map_err(|e| PayloadConversionError::EncodingError(e.into()))?;
        Ok(Payload { metadata: [(ENCODING.to_string(), JSON.to_vec())].into(), data, ..Default::default() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_proto::v1::{ApprovalSignal, Decision};

    fn json(text: &str) -> Vec<Payload> {
        vec![Payload { metadata: [(ENCODING.to_string(), JSON.to_vec())].into(), data: text.as_bytes().to_vec(), ..Default::default() }]
    }

    fn refused(payloads: Vec<Payload>) -> String {
        match Lenient::<ApprovalSignal>::decode(&payloads) {
            Lenient::Refused(why) => why,
            Lenient::Understood(s) => panic!("understood {s:?}"),
        }
    }

    #[test]
    fn well_formed_bodies_are_understood() {
        let body = r#"{"reviewer": "bob", "decision": "DECISION_APPROVE", "planHash": "abc", "comment": ""}"#;
        let Lenient::Understood(s) = Lenient::<ApprovalSignal>::decode(&json(body)) else { panic!() };
        assert_eq!((s.reviewer.as_str(), s.decision, s.plan_hash.as_str()), ("bob", Decision::Approve as i32, "abc"));
        // The proto field names are accepted as well as the JSON ones.
        assert!(matches!(Lenient::<ApprovalSignal>::decode(&json(r#"{"plan_hash": "abc"}"#)), Lenient::Understood(_)));
    }

    #[test]
    fn every_malformed_shape_is_refused_with_why() {
        assert!(refused(json(r#""approve""#)).contains("cannot decode the body"));
        assert!(refused(json(r#"{"decision": "DECISION_MAYBE"}"#)).contains("DECISION_MAYBE"));
        assert!(refused(json(r#"{"reviewer": "bob", "extra": 1}"#)).contains("extra"));
        assert!(refused(json(r#"{"Reviewer": "bob"}"#)).contains("Reviewer"));
        assert!(refused(json("{not json")).contains("cannot decode"));
        assert!(refused(vec![]).contains("got 0 payloads"));
        let binary = Payload { metadata: [(ENCODING.to_string(), b"binary/plain".to_vec())].into(), data: vec![1, 2], ..Default::default() };
        assert!(refused(vec![binary]).contains("binary/plain"));
        let huge = format!(r#"{{"reviewer": {}}}"#, "[".repeat(10_000));
        assert!(refused(json(&huge)).chars().count() <= REASON_LIMIT + 1);
    }
}
