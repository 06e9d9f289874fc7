//! Typed values with provenance: every value the model holds says where it came from and
//! whether it is known, unknown (an expression trailcheck cannot resolve statically) or
//! defaulted (the attribute is absent and the provider/service default applies).

use crate::source::Span;
use serde::Serialize;
use std::borrow::Cow;

/// Characters of a value shown in a message, at most.
pub const EXCERPT_CHARS: usize = 160;

/// A value as a message shows it: unchanged when short and printable; otherwise control
/// and other unprintable characters escaped (`\n`, `\u{0}`) and the text cut to
/// [`EXCERPT_CHARS`] characters with its size. Evaluated values can come from files
/// (`region = file("x")`): a message must never carry them verbatim, nor a newline that
/// would forge lines in an annotation.
#[must_use]
pub fn excerpt(s: &str) -> Cow<'_, str> {
    let printable = |c: char| {
        c == crate::model::iam::UNKNOWN_MARK
            || !c.is_control()
                && !matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
    };
    let count = s.chars().count();
    if count <= EXCERPT_CHARS && s.chars().all(printable) {
        return Cow::Borrowed(s);
    }
    let mut out = String::new();
    for c in s.chars().take(EXCERPT_CHARS) {
        if printable(c) {
            out.push(c);
        } else {
            out.extend(c.escape_default());
        }
    }
    if count > EXCERPT_CHARS {
        out.push_str(&format!("… ({} bytes)", s.len()));
    }
    Cow::Owned(out)
}

/// An expression trailcheck could not resolve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unresolved {
    /// The source text of the expression (e.g. `aws_kms_key.trail.arn`).
    pub expr: String,
    #[serde(skip)]
    pub span: Span,
    /// For strings built from known and unknown parts (`"${var.x}-logs"`), the string with
    /// each unknown part replaced by `…`. Lets rules check a suffix such as `:*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial: Option<String>,
}

/// A value of the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", content = "value", rename_all = "lowercase")]
pub enum Value<T> {
    /// Resolved from the source; the span covers the value at fault.
    Known(T, #[serde(skip)] Span),
    /// Not resolvable statically.
    Unknown(Unresolved),
    /// Absent: the default of the provider or service applies.
    Defaulted(T),
}

impl<T> Value<T> {
    /// The value if it is known or defaulted; `None` when unknown.
    #[must_use]
    pub fn get(&self) -> Option<&T> {
        match self {
            Value::Known(v, _) | Value::Defaulted(v) => Some(v),
            Value::Unknown(_) => None,
        }
    }

    #[must_use]
    pub fn known(&self) -> Option<&T> {
        match self {
            Value::Known(v, _) => Some(v),
            _ => None,
        }
    }

    /// The span of the value, if it was written in the source.
    #[must_use]
    pub fn span(&self) -> Option<Span> {
        match self {
            Value::Known(_, s) => Some(*s),
            Value::Unknown(u) => Some(u.span),
            Value::Defaulted(_) => None,
        }
    }

    #[must_use]
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    #[must_use]
    pub fn is_defaulted(&self) -> bool {
        matches!(self, Value::Defaulted(_))
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Value<U> {
        match self {
            Value::Known(v, s) => Value::Known(f(v), s),
            Value::Unknown(u) => Value::Unknown(u),
            Value::Defaulted(v) => Value::Defaulted(f(v)),
        }
    }

    #[must_use]
    pub fn unresolved(&self) -> Option<&Unresolved> {
        match self {
            Value::Unknown(u) => Some(u),
            _ => None,
        }
    }
}

impl Value<bool> {
    /// True only when known or defaulted to true.
    #[must_use]
    pub fn is_true(&self) -> bool {
        self.get() == Some(&true)
    }

    /// True only when known or defaulted to false.
    #[must_use]
    pub fn is_false(&self) -> bool {
        self.get() == Some(&false)
    }
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn short_values_are_unchanged_and_others_cut_and_escaped() {
        assert_eq!(excerpt("us-east-1"), "us-east-1");
        assert_eq!(excerpt("a\nb\u{0}"), "a\\nb\\u{0}");
        let long = "SECRET=".to_owned() + &"x".repeat(500);
        let e = excerpt(&long);
        assert!(e.chars().count() < 200, "{e}");
        assert!(e.ends_with("(507 bytes)"), "{e}");
    }
}
