//! Helpers shared by several checks.

use crate::model::{Origin, Value};
use crate::source::Span;

/// Where to point for a value: the value itself, or the resource header when the
/// attribute is absent.
pub(crate) fn span_or<T>(v: &Value<T>, origin: &Origin) -> Span {
    v.span().unwrap_or(origin.span)
}

/// Where and how to say an optional attribute is absent: on the value when it is written
/// as `""` ("is set to an empty string"), else on the resource header ("is not set").
pub(crate) fn absent(origin: &Origin, attr: &str) -> (Span, String) {
    match origin.empty_value(attr) {
        Some(span) => (
            span,
            format!("`{attr}` is set to an empty string, which AWS treats as not set"),
        ),
        None => (origin.span, format!("`{attr}` is not set")),
    }
}

/// "is set to false" / "is not set (default false)".
pub(crate) fn describe_bool(attr: &str, v: &Value<bool>) -> String {
    match v {
        Value::Known(b, _) => format!("`{attr}` is {b}"),
        Value::Defaulted(b) => format!("`{attr}` is not set (defaults to {b})"),
        Value::Unknown(u) => format!("`{attr}` is `{}` (unresolved)", u.expr),
    }
}

pub(crate) use crate::model::arn::{or_unknown, show};

/// "1 day", "30 days".
pub(crate) fn days(n: i64) -> String {
    if n == 1 {
        "1 day".to_owned()
    } else {
        format!("{n} days")
    }
}
