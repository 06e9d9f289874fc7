//! ARNs and names with unknown parts, as the policy evaluator and messages need them.

use super::iam::UNKNOWN_MARK;
use super::{Trail, Value};

#[must_use]
/// A string with unknown parts marked, for requests to the policy evaluator.
pub fn or_unknown(v: &Value<String>) -> String {
    match v {
        Value::Known(s, _) | Value::Defaulted(s) => s.clone(),
        Value::Unknown(u) => u.partial.as_ref().map_or_else(
            || UNKNOWN_MARK.to_string(),
            |p| p.replace('…', &UNKNOWN_MARK.to_string()),
        ),
    }
}

#[must_use]
/// The trail's ARN with the parts trailcheck cannot know (account, maybe region) marked.
pub fn trail_arn(t: &Trail) -> String {
    let region = t
        .region
        .get()
        .map_or_else(|| UNKNOWN_MARK.to_string(), |r| r.0.clone());
    let partition = t.region.get().map_or("aws", |r| r.partition());
    format!(
        "arn:{partition}:cloudtrail:{region}:{UNKNOWN_MARK}:trail/{}",
        or_unknown(&t.name)
    )
}

#[must_use]
pub fn partition(t: &Trail) -> &'static str {
    t.region.get().map_or("aws", |r| r.partition())
}

#[must_use]
/// Human form of a string that may contain unknown parts.
pub fn show(s: &str) -> String {
    super::excerpt(s).replace(UNKNOWN_MARK, "<unknown>")
}
