//! Helpers shared by several checks.

use crate::model::{Origin, Value};
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

pub(crate) use crate::model::arn::{or_unknown, show};
