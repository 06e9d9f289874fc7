//! Capture semantics: does a trail's (or event data store's) selector configuration
//! capture an event class, exactly as CloudTrail evaluates basic and advanced event
//! selectors (cloudtrail-model.md §4.3–4.4)?
//!
//! An event class fixes some event fields (category, event source, readOnly, resource
//! type) and leaves others open (event name, resource ARN). A condition on an open field
//! captures only part of the class: [`Capture::Partial`].

use super::classes::{Category, EventClass};
use crate::model::{AdvancedEventSelector, EventSelector, ReadWriteType, Value};
use serde::Serialize;

/// How much of an event class a sink captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Capture {
    None,
    /// Some events of the class (specific buckets, some event names).
    Partial,
    Full,
    /// Depends on values trailcheck could not resolve.
    Unknown,
}

impl Capture {
    /// OR across selectors.
    #[must_use]
    pub fn or(self, other: Capture) -> Capture {
        use Capture::{Full, None, Partial, Unknown};
        match (self, other) {
            (Full, _) | (_, Full) => Full,
            (Unknown, _) | (_, Unknown) => Unknown,
            (Partial, _) | (_, Partial) => Partial,
            (None, None) => None,
        }
    }

    /// AND across field selectors.
    #[must_use]
    pub fn and(self, other: Capture) -> Capture {
        use Capture::{Full, None, Partial, Unknown};
        match (self, other) {
            (None, _) | (_, None) => None,
            (Unknown, _) | (_, Unknown) => Unknown,
            (Partial, _) | (_, Partial) => Partial,
            (Full, Full) => Full,
        }
    }

    #[must_use]
    pub fn any(self) -> bool {
        matches!(self, Capture::Full | Capture::Partial)
    }
}

fn rw_ok(rw: ReadWriteType, read_only: bool) -> bool {
    match rw {
        ReadWriteType::All => true,
        ReadWriteType::ReadOnly => read_only,
        ReadWriteType::WriteOnly => !read_only,
    }
}

/// Values that select every resource of a type.
pub(crate) fn is_all_of_type(resource_type: &str, v: &str) -> bool {
    let service = match resource_type {
        "AWS::S3::Object" => "s3",
        "AWS::Lambda::Function" => "lambda",
        "AWS::DynamoDB::Table" => "dynamodb",
        _ => return false,
    };
    let mut parts = v.split(':');
    let ok = parts.next() == Some("arn")
        && parts.next().is_some_and(|p| p.starts_with("aws"))
        && parts.next() == Some(service);
    let rest: Vec<&str> = parts.collect();
    ok && rest.iter().all(|p| p.is_empty())
}

/// One basic event selector against a class.
fn basic_one(s: &EventSelector, class: &EventClass) -> Capture {
    let Some(rw) = s.read_write() else {
        return if s.read_write_type.is_unknown() {
            Capture::Unknown
        } else {
            Capture::None
        };
    };
    if !rw_ok(rw, class.read_only) {
        return Capture::None;
    }
    match class.category {
        Category::Management => {
            let include = match &s.include_management_events {
                Value::Unknown(_) => return Capture::Unknown,
                v => v.is_true(),
            };
            if !include {
                return Capture::None;
            }
            match &s.exclude_management_event_sources {
                Value::Unknown(_) => Capture::Unknown,
                v => {
                    if v.get()
                        .is_some_and(|ex| ex.iter().any(|x| x == class.event_source))
                    {
                        Capture::None
                    } else {
                        Capture::Full
                    }
                }
            }
        }
        Category::Data => {
            let mut out = Capture::None;
            for d in &s.data_resources {
                let Some(ty) = d.resource_type.get() else {
                    out = out.or(Capture::Unknown);
                    continue;
                };
                if ty != class.resource_type {
                    continue;
                }
                match &d.values {
                    Value::Unknown(_) => out = out.or(Capture::Unknown),
                    v => {
                        let vals = v.get().cloned().unwrap_or_default();
                        if vals.iter().any(|x| is_all_of_type(ty, x)) {
                            out = out.or(Capture::Full);
                        } else if let Some(arn) = &class.arn {
                            // S3 values are prefixes of object ARNs; others are exact.
                            let hit = vals.iter().any(|x| {
                                if ty == "AWS::S3::Object" {
                                    arn.starts_with(x.as_str())
                                } else {
                                    arn == x
                                }
                            });
                            if hit {
                                out = out.or(Capture::Full);
                            }
                        } else if !vals.is_empty() {
                            out = out.or(Capture::Partial);
                        }
                    }
                }
            }
            out
        }
        // Basic selectors cannot express network activity events.
        Category::NetworkActivity => Capture::None,
    }
}

/// The values of a string list operator; `Err` when unknown.
fn vals(v: &Value<Vec<String>>) -> Result<Vec<String>, ()> {
    match v {
        Value::Unknown(_) => Err(()),
        v => Ok(v.get().cloned().unwrap_or_default()),
    }
}

/// One field selector against a class.
fn field_one(f: &crate::model::FieldSelector, class: &EventClass) -> Capture {
    let Some(field) = f.field.get() else {
        return Capture::Unknown;
    };
    let (Ok(eq), Ok(ne), Ok(sw), Ok(nsw), Ok(ew), Ok(new)) = (
        vals(&f.equals),
        vals(&f.not_equals),
        vals(&f.starts_with),
        vals(&f.not_starts_with),
        vals(&f.ends_with),
        vals(&f.not_ends_with),
    ) else {
        return Capture::Unknown;
    };
    let fixed: Option<String> = match field.as_str() {
        "eventCategory" => Some(class.category.as_str().to_owned()),
        "eventSource" if !class.event_source.is_empty() => Some(class.event_source.to_owned()),
        // Network activity records carry no readOnly (cloudtrail-model.md §4.1).
        "readOnly" if class.category != Category::NetworkActivity => {
            Some(class.read_only.to_string())
        }
        "resources.type" => {
            (class.category == Category::Data).then(|| class.resource_type.to_owned())
        }
        "resources.ARN" => class.arn.clone(),
        _ => None,
    };
    match fixed {
        Some(x) => {
            let pos_empty = eq.is_empty() && sw.is_empty() && ew.is_empty();
            let pos = pos_empty
                || eq.contains(&x)
                || sw.iter().any(|v| x.starts_with(v.as_str()))
                || ew.iter().any(|v| x.ends_with(v.as_str()));
            let neg = ne.contains(&x)
                || nsw.iter().any(|v| x.starts_with(v.as_str()))
                || new.iter().any(|v| x.ends_with(v.as_str()));
            if pos && !neg {
                Capture::Full
            } else {
                Capture::None
            }
        }
        None => {
            // An open field (eventName, resources.ARN, userIdentity.arn, …): any condition
            // narrows the class. `StartsWith` the partition's whole ARN space of the
            // resource type keeps it whole.
            let widening = field == "resources.ARN"
                && sw.iter().any(|v| is_all_of_type(class.resource_type, v))
                && ne.is_empty()
                && nsw.is_empty()
                && new.is_empty()
                && eq.is_empty()
                && ew.is_empty();
            let any = [&eq, &ne, &sw, &nsw, &ew, &new]
                .iter()
                .any(|l| !l.is_empty());
            // Excluding a few resources (a log bucket, say) from a whole type still logs the
            // type: the class-level answer is Full; a question about one excluded ARN is
            // answered exactly through `class.arn`.
            let exclusions_only =
                field == "resources.ARN" && eq.is_empty() && sw.is_empty() && ew.is_empty();
            if widening || !any || exclusions_only {
                Capture::Full
            } else {
                Capture::Partial
            }
        }
    }
}

/// One advanced selector against a class (AND across its field selectors).
fn advanced_one(s: &AdvancedEventSelector, class: &EventClass) -> Capture {
    if s.field_selectors.is_empty() {
        return Capture::None;
    }
    // A data selector must name its resource type; a management selector has none.
    let has_type = s
        .field_selectors
        .iter()
        .any(|f| f.field.get().is_some_and(|x| x == "resources.type"));
    if class.category == Category::Data && !has_type {
        return Capture::None;
    }
    s.field_selectors
        .iter()
        .fold(Capture::Full, |acc, f| acc.and(field_one(f, class)))
}

/// Basic selectors (with the implicit default when there are none).
#[must_use]
pub fn basic(selectors: &[EventSelector], class: &EventClass) -> Capture {
    if selectors.is_empty() {
        // Default: all management events, read and write, no data events.
        return if class.category == Category::Management {
            Capture::Full
        } else {
            Capture::None
        };
    }
    selectors
        .iter()
        .fold(Capture::None, |acc, s| acc.or(basic_one(s, class)))
}

/// Advanced selectors (OR across selectors).
#[must_use]
pub fn advanced(selectors: &[AdvancedEventSelector], class: &EventClass) -> Capture {
    selectors
        .iter()
        .fold(Capture::None, |acc, s| acc.or(advanced_one(s, class)))
}

#[cfg(test)]
mod tests;
