//! `selector-matches-nothing`: an event selector that can match no event: no management
//! events and no data resources, an unknown resource type or event category, a data
//! resource with no values or values of another service, contradictory conditions.

use crate::model::catalog::CATALOG;
use crate::model::{AdvancedEventSelector, Value};
use crate::rules::{Diag, RuleContext};
use crate::source::Span;

/// The ARN service a basic data resource type's values must name.
fn arn_service(resource_type: &str) -> Option<&'static str> {
    match resource_type {
        "AWS::S3::Object" => Some("s3"),
        "AWS::Lambda::Function" => Some("lambda"),
        "AWS::DynamoDB::Table" => Some("dynamodb"),
        _ => None,
    }
}

fn advanced_problem(s: &AdvancedEventSelector) -> Option<(Span, String)> {
    let mut category: Option<(&Value<Vec<String>>, Span)> = None;
    let mut has_type = false;
    for f in &s.field_selectors {
        let field = f.field.get()?;
        // Equals X together with NotEquals X on one field matches nothing.
        if let (Some(eq), Some(ne)) = (f.equals.get(), f.not_equals.get()) {
            if !eq.is_empty() && eq.iter().all(|v| ne.contains(v)) {
                return Some((f.span, format!("field `{field}` both equals and not-equals {eq:?}: the selector matches nothing")));
            }
        }
        match field.as_str() {
            "eventCategory" => {
                if let Some(vals) = f.equals.get() {
                    if let Some(bad) = vals.iter().find(|v| !CATALOG.event_categories.contains(*v))
                    {
                        return Some((f.equals.span().unwrap_or(f.span), format!("`eventCategory` value {bad:?} is not an event category CloudTrail records")));
                    }
                }
                category = Some((&f.equals, f.span));
            }
            "resources.type" => {
                has_type = true;
                if let Some(vals) = f.equals.get() {
                    if let Some(bad) = vals
                        .iter()
                        .find(|v| !CATALOG.data_resource_types.contains(*v))
                    {
                        return Some((f.equals.span().unwrap_or(f.span), format!("`resources.type` value {bad:?} is not a data event resource type CloudTrail knows")));
                    }
                }
            }
            _ => {}
        }
    }
    match category {
        None => Some((s.span, "the advanced event selector has no `eventCategory` field: CloudTrail requires it, and the selector matches nothing".into())),
        Some((Value::Known(cats, _), span)) if cats.iter().any(|c| c == "Data") && !has_type => {
            Some((span, "a data event selector without a `resources.type` field matches nothing (CloudTrail rejects it)".into()))
        }
        Some((Value::Defaulted(_), span)) => Some((span, "`eventCategory` has no `equals` values: the selector matches nothing".into())),
        _ => None,
    }
}

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        let addr = &t.origin.address;
        for s in &t.event_selectors {
            if s.include_management_events.is_false() && s.data_resources.is_empty() {
                out.push(
                    Diag::new(
                        s.include_management_events.span().unwrap_or(s.span),
                        "this event selector excludes management events and selects no data resources: it matches nothing",
                    )
                    .resource(addr)
                    .help_in(
                        "add a `data_resource` block or include management events",
                        "add `DataResources` or include management events",
                    ),
                );
            }
            for d in &s.data_resources {
                let Some(ty) = d.resource_type.get() else {
                    continue;
                };
                let ty_span = d.resource_type.span().unwrap_or(d.span);
                let Some(service) = arn_service(ty) else {
                    let why = if CATALOG.data_resource_types.contains(ty) {
                        "basic event selectors accept only AWS::S3::Object, AWS::Lambda::Function and AWS::DynamoDB::Table; use an advanced event selector"
                    } else {
                        "it is not a data event resource type CloudTrail knows"
                    };
                    out.push(
                        Diag::new(
                            ty_span,
                            format!("data resource type {ty:?} matches nothing: {why}"),
                        )
                        .resource(addr),
                    );
                    continue;
                };
                match &d.values {
                    Value::Known(vals, span) if vals.is_empty() => out.push(
                        Diag::new(
                            *span,
                            format!("data resource {ty} has no values: it matches nothing"),
                        )
                        .resource(addr),
                    ),
                    Value::Defaulted(_) => out.push(
                        Diag::new(
                            d.span,
                            format!("data resource {ty} has no `values`: it matches nothing"),
                        )
                        .resource(addr),
                    ),
                    Value::Known(vals, span) => {
                        if let Some(bad) = vals.iter().find(|v| {
                            let mut parts = v.splitn(4, ':');
                            let (arn, _partition, svc) = (parts.next(), parts.next(), parts.next());
                            arn != Some("arn") || svc.is_some_and(|s| s != service)
                        }) {
                            out.push(
                                Diag::new(*span, format!("value {bad:?} is not an ARN of the {service} service, so data resource {ty} never matches it"))
                                    .resource(addr),
                            );
                        }
                    }
                    Value::Unknown(_) => {}
                }
            }
        }
        for s in &t.advanced_event_selectors {
            if let Some((span, why)) = advanced_problem(s) {
                out.push(Diag::new(span, why).resource(addr));
            }
        }
    }
    for e in &ctx.model.event_data_stores {
        for s in &e.advanced_event_selectors {
            if let Some((span, why)) = advanced_problem(s) {
                out.push(Diag::new(span, why).resource(&e.origin.address));
            }
        }
    }
}
