//! `selector-quota-exceeded`: more selectors or selector values than CloudTrail accepts.

use crate::model::catalog::CATALOG;
use crate::rules::{Diag, RuleContext};

/// Values that select every resource of a type do not count toward the 250.
fn is_all_of_type(v: &str) -> bool {
    matches!(
        v,
        "arn:aws:s3" | "arn:aws:s3:::" | "arn:aws:lambda" | "arn:aws:dynamodb"
    )
}

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        let addr = &t.origin.address;
        if t.event_selectors.len() > CATALOG.selectors_per_trail {
            let extra = &t.event_selectors[CATALOG.selectors_per_trail];
            out.push(
                Diag::new(
                    extra.span,
                    format!(
                        "{} event selectors: CloudTrail accepts at most {} per trail",
                        t.event_selectors.len(),
                        CATALOG.selectors_per_trail
                    ),
                )
                .resource(addr),
            );
        }
        let mut values = 0usize;
        let mut first = None;
        for s in &t.event_selectors {
            for d in &s.data_resources {
                if let Some(v) = d.values.get() {
                    values += v.iter().filter(|x| !is_all_of_type(x)).count();
                    first.get_or_insert(d.values.span().unwrap_or(d.span));
                }
            }
        }
        if values > CATALOG.data_resource_values_per_trail {
            out.push(
                Diag::new(
                    first.unwrap_or(t.origin.span),
                    format!(
                        "{values} data resource values: CloudTrail accepts at most {} per trail (PutEventSelectors fails)",
                        CATALOG.data_resource_values_per_trail
                    ),
                )
                .resource(addr)
                .help("select whole resource types, or move to advanced event selectors with StartsWith conditions"),
            );
        }
        let mut adv = 0usize;
        for s in &t.advanced_event_selectors {
            for f in &s.field_selectors {
                for (_, op) in f.operators() {
                    adv += op.get().map_or(0, Vec::len);
                }
            }
        }
        if adv > CATALOG.advanced_values_per_trail {
            out.push(
                Diag::new(
                    t.advanced_event_selectors.first().map_or(t.origin.span, |s| s.span),
                    format!(
                        "{adv} values across the advanced event selectors: CloudTrail accepts at most {} per trail",
                        CATALOG.advanced_values_per_trail
                    ),
                )
                .resource(addr),
            );
        }
    }
}
