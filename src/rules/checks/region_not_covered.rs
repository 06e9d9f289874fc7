//! `region-not-covered`: an enabled region of an account where no logging trail captures
//! management events.

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
        let mut blind = Vec::new();
        for region in sim.context.regions_of(account) {
            let cells: Vec<_> = sim
                .cells_of(account, region)
                .filter(|c| sim.classes[c.class].is_regional_management())
                .collect();
            let (captured, unknown) = any_capture(&cells, false);
            if !captured && !unknown && !any_org_credit(ctx, account, &cells) {
                blind.push(region.to_string());
            }
        }
        if blind.is_empty() {
            continue;
        }
        let sink = &sim.sinks[first];
        out.push(
            Diag::new(
                span_of(ctx, sink),
                format!(
                    "{}: no logging trail captures management events in {} of its {} enabled regions ({}); the trails here are {}",
                    account_label(account),
                    blind.len(),
                    sim.context.regions_of(account).len(),
                    list(&blind),
                    list(&covering.iter().map(|&i| super::model_common::label(ctx, i)).collect::<Vec<_>>())
                ),
            )
            .resource(&sink.address)
            .help("make one trail multi-region (`is_multi_region_trail = true`), or add an organization trail"),
        );
    }
}
