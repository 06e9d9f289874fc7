//! `unbounded-data-events`: data events for all resources of a type: every bucket, every
//! function, every table. Info, with the estimated monthly cost.

use super::model_common::{money, span_of};
use crate::rules::{Diag, RuleContext};
use crate::simulate::classes::Category;
use crate::simulate::selectors::Capture;

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let sim = ctx.sim;
    let data = super::model_common::costs_by_sink(ctx, "data events");
    // Resource types each sink captures fully, in one pass over the cells.
    let mut full: std::collections::HashMap<usize, Vec<&str>> = std::collections::HashMap::new();
    for c in sim
        .cells
        .iter()
        .filter(|c| sim.classes[c.class].category == Category::Data)
    {
        for (x, cap) in &c.sinks {
            if *cap == Capture::Full {
                full.entry(*x)
                    .or_default()
                    .push(sim.classes[c.class].resource_type);
            }
        }
    }
    for (si, s) in sim.sinks.iter().enumerate() {
        let mut types: Vec<&str> = full.get(&si).cloned().unwrap_or_default();
        // Advanced selectors on types the simulation has no class for (SNS topics, Bedrock
        // agents…): a data selector with a type and no ARN condition selects them all.
        if s.is_trail {
            let t = &ctx.model.trails[s.index];
            for sel in &t.advanced_event_selectors {
                let field = |name: &str| {
                    sel.field_selectors
                        .iter()
                        .find(|f| f.field.get().is_some_and(|x| x == name))
                };
                let is_data = field("eventCategory")
                    .and_then(|f| f.equals.get())
                    .is_some_and(|v| v.iter().any(|x| x == "Data"));
                let narrowing =
                    |v: &crate::model::Value<Vec<String>>| v.get().is_none_or(|l| !l.is_empty());
                let has_arn = field("resources.ARN").is_some_and(|f| {
                    narrowing(&f.equals) || narrowing(&f.starts_with) || narrowing(&f.ends_with)
                });
                if let (true, false, Some(ty)) = (
                    is_data,
                    has_arn,
                    field("resources.type").and_then(|f| f.equals.get()),
                ) {
                    types.extend(ty.iter().map(String::as_str));
                }
            }
        }
        types.sort_unstable();
        types.dedup();
        if types.is_empty() {
            continue;
        }
        let usd: f64 = data.get(&si).map_or(0.0, |v| v.iter().map(|l| l.usd).sum());
        let events: f64 = data
            .get(&si)
            .map_or(0.0, |v| v.iter().map(|l| l.events).sum());
        let priced = [
            "AWS::S3::Object",
            "AWS::Lambda::Function",
            "AWS::DynamoDB::Table",
        ];
        let unpriced: Vec<&str> = types
            .iter()
            .copied()
            .filter(|t| !priced.contains(t))
            .collect();
        let mut cost = if events > 0.0 {
            format!(
                "about {}/month ({:.0} events under the workload profile, $0.10 per 100,000)",
                money(usd),
                events
            )
        } else {
            String::new()
        };
        if !unpriced.is_empty() {
            if !cost.is_empty() {
                cost.push_str("; ");
            }
            cost.push_str(&format!(
                "{} not priced (no volume for it in the workload profile)",
                unpriced.join(", ")
            ));
        }
        out.push(
            Diag::new(
                span_of(ctx, s),
                format!("`{}` logs data events for all resources of {}: {cost}", s.address, types.join(", ")),
            )
            .resource(&s.address)
            .help("scope data events to the buckets, functions or tables that need them, or accept the cost knowingly"),
        );
    }
}
