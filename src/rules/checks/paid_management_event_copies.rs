//! `paid-management-event-copies`: an account and region receive more than one copy of
//! management events; every copy after the first is billed.

use super::model_common::{account_label, list, money, span_of};
use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let sim = ctx.sim;
    let by_sink = super::model_common::costs_by_sink(ctx, "paid management copy");
    for (si, s) in sim.sinks.iter().enumerate() {
        let Some(lines) = by_sink.get(&si) else {
            continue;
        };
        let others: Vec<String> = lines
            .iter()
            .filter_map(|l| l.free_copy)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|x| super::model_common::label(ctx, x))
            .collect();
        let usd: f64 = lines.iter().map(|l| l.usd).sum();
        let events: f64 = lines.iter().map(|l| l.events).sum();
        let regions: Vec<String> = lines
            .iter()
            .map(|l| l.region.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        out.push(
            Diag::new(
                span_of(ctx, s),
                format!(
                    "{}: `{}` is a second copy of management events also delivered by {} in {}: about {}/month ({events:.0} paid events under the workload profile, $2.00 per 100,000)",
                    account_label(&s.account),
                    s.address,
                    list(&others),
                    list(&regions),
                    money(usd)
                ),
            )
            .resource(&s.address)
            .help("keep one trail for management events; give others `include_management_events = false` if they exist for data events"),
        );
    }
}
