//! The dynamic value of the Terraform evaluator.
//!
//! Strings may contain [`UNKNOWN_MARK`] for unresolved interpolations (`"${var.x}-logs"`
//! becomes `"\u{E000}-logs"`), so that structure around unknowns (a policy document, an ARN
//! suffix) survives. Any comparison involving such a string is unknown.

use crate::model::iam::UNKNOWN_MARK;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum V {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<V>),
    Map(BTreeMap<String, V>),
    Unknown,
}

/// Caps that keep hostile input (`range(1e9)`, exponential templates) from exhausting memory.
pub(crate) const MAX_COLLECTION: usize = 100_000;
pub(crate) const MAX_STRING: usize = 16 * 1024 * 1024;

impl V {
    pub(crate) fn is_unknown(&self) -> bool {
        match self {
            V::Unknown => true,
            V::Str(s) => s.contains(UNKNOWN_MARK),
            _ => false,
        }
    }

    /// Deeply contains an unknown part anywhere.
    pub(crate) fn has_unknown(&self) -> bool {
        match self {
            V::Unknown => true,
            V::Str(s) => s.contains(UNKNOWN_MARK),
            V::List(l) => l.iter().any(V::has_unknown),
            V::Map(m) => m.values().any(V::has_unknown),
            _ => false,
        }
    }

    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            V::Null => "null",
            V::Bool(_) => "bool",
            V::Num(_) => "number",
            V::Str(_) => "string",
            V::List(_) => "list",
            V::Map(_) => "object",
            V::Unknown => "unknown",
        }
    }

    /// String conversion as Terraform does for interpolation (`tostring`).
    pub(crate) fn to_str(&self) -> Option<String> {
        match self {
            V::Str(s) => Some(s.clone()),
            V::Num(n) => Some(fmt_num(*n)),
            V::Bool(b) => Some(b.to_string()),
            V::Unknown => Some(UNKNOWN_MARK.to_string()),
            _ => None,
        }
    }

    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            V::Bool(b) => Some(*b),
            V::Str(s) if s == "true" => Some(true),
            V::Str(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    pub(crate) fn as_num(&self) -> Option<f64> {
        match self {
            V::Num(n) => Some(*n),
            V::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self {
            V::Null => serde_json::Value::Null,
            V::Bool(b) => serde_json::Value::Bool(*b),
            V::Num(n) => {
                if n.fract() == 0.0 && n.abs() < 9.0e15 {
                    #[expect(
                        clippy::cast_possible_truncation,
                        reason = "checked whole and in range"
                    )]
                    serde_json::Value::from(*n as i64)
                } else {
                    serde_json::Number::from_f64(*n)
                        .map_or(serde_json::Value::Null, serde_json::Value::Number)
                }
            }
            V::Str(s) => serde_json::Value::String(s.clone()),
            V::List(l) => serde_json::Value::Array(l.iter().map(V::to_json).collect()),
            V::Map(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            V::Unknown => serde_json::Value::String(UNKNOWN_MARK.to_string()),
        }
    }

    pub(crate) fn from_json(j: &serde_json::Value) -> V {
        match j {
            serde_json::Value::Null => V::Null,
            serde_json::Value::Bool(b) => V::Bool(*b),
            serde_json::Value::Number(n) => V::Num(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => V::Str(s.clone()),
            serde_json::Value::Array(a) => V::List(a.iter().map(V::from_json).collect()),
            serde_json::Value::Object(o) => V::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), V::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Equality as Terraform's `==`: `None` when unknown.
    pub(crate) fn tf_eq(&self, other: &V) -> Option<bool> {
        if self.has_unknown() || other.has_unknown() {
            return None;
        }
        Some(match (self, other) {
            (V::Num(a), V::Num(b)) => (a - b).abs() < f64::EPSILON,
            (a, b) => a == b,
        })
    }
}

pub(crate) fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e17 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}
