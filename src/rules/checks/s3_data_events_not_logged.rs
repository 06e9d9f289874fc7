//! `s3-data-events-not-logged`: no trail logs S3 object-level write (and, separately,
//! read) events for all buckets.

use super::model_common::{
    account_label, any_capture, any_org_credit, list, sinks_covering, span_of,
};
use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let sim = ctx.sim;
    for account in &sim.context.accounts {
        let covering = sinks_covering(ctx, account);
        let Some(&first) = covering.first() else {
            continue;
        };
        for (label, what) in [("S3 data write", "write"), ("S3 data read", "read")] {
            let mut missing = Vec::new();
            for region in sim.context.regions_of(account) {
                let cells: Vec<_> = sim
                    .cells_of(account, region)
                    .filter(|c| sim.classes[c.class].label == label)
                    .collect();
                let (captured, unknown) = any_capture(&cells, true);
                if !captured && !unknown && !any_org_credit(ctx, account, &cells) {
                    missing.push(region.to_string());
                }
            }
            if missing.is_empty() {
                continue;
            }
            let sink = &sim.sinks[first];
            let where_ = if missing.len() == sim.context.regions_of(account).len() {
                "in any region".to_owned()
            } else {
                format!("in {}", list(&missing))
            };
            out.push(
                Diag::new(
                    span_of(ctx, sink),
                    format!(
                        "{}: no trail logs S3 object-level {what} events for all buckets {where_} (CIS v3.0.0 3.{}, Security Hub S3.{})",
                        account_label(account),
                        if what == "write" { 8 } else { 9 },
                        if what == "write" { 22 } else { 23 }
                    ),
                )
                .resource(&sink.address)
                .help_in(
                    "add an event selector with `data_resource { type = \"AWS::S3::Object\", values = [\"arn:aws:s3\"] }` to a multi-region trail (exclude the trail's own bucket with an advanced selector)",
                    "add an event selector with `DataResources: [{Type: AWS::S3::Object, Values: [\"arn:aws:s3\"]}]` to a multi-region trail (exclude the trail's own bucket with an advanced selector)",
                ),
            );
        }
    }
}
