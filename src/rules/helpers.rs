//! Helpers shared by several checks.

use crate::model::iam::UNKNOWN_MARK;
use crate::model::{Origin, Trail, Value};
use crate::source::Span;

/// Where to point for a value: the value itself, or the resource header when the
/// attribute is absent.
pub(crate) fn span_or<T>(v: &Value<T>, origin: &Origin) -> Span {
    v.span().unwrap_or(origin.span)
}

/// "is set to false" / "is not set (default false)".
pub(crate) fn describe_bool(attr: &str, v: &Value<bool>) -> String {
    match v {
        Value::Known(b, _) => format!("`{attr}` is {b}"),
        Value::Defaulted(b) => format!("`{attr}` is not set (defaults to {b})"),
        Value::Unknown(u) => format!("`{attr}` is `{}` (unresolved)", u.expr),
    }
}

/// A string with unknown parts marked, for requests to the policy evaluator.
pub(crate) fn or_unknown(v: &Value<String>) -> String {
    match v {
        Value::Known(s, _) | Value::Defaulted(s) => s.clone(),
        Value::Unknown(u) => u.partial.as_ref().map_or_else(
            || UNKNOWN_MARK.to_string(),
            |p| p.replace('…', &UNKNOWN_MARK.to_string()),
        ),
    }
}

/// The trail's ARN with the parts trailcheck cannot know (account, maybe region) marked.
pub(crate) fn trail_arn(t: &Trail) -> String {
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

pub(crate) fn partition(t: &Trail) -> &'static str {
    t.region.get().map_or("aws", |r| r.partition())
}

/// Human form of a string that may contain unknown parts.
pub(crate) fn show(s: &str) -> String {
    s.replace(UNKNOWN_MARK, "<unknown>")
}
