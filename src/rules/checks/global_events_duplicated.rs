//! `global-events-duplicated`: more than one trail of an account delivers global service
//! events: duplicate records and paid copies.

use super::model_common::{account_label, money, span_of, trail};
use crate::rules::{Diag, RuleContext};
use crate::simulate::cost::PAID_MANAGEMENT_COPY;
use crate::simulate::selectors::Capture;

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let sim = ctx.sim;
    let Some(class) = sim.classes.iter().position(|c| c.global && !c.read_only) else {
        return;
    };
    for account in &sim.context.accounts {
        let Some(cell) = sim
            .cells_of_account(account)
            .iter()
            .find(|c| c.class == class)
        else {
            continue;
        };
        let mut receivers: Vec<usize> = cell
            .sinks
            .iter()
            .filter(|(s, cap)| *cap == Capture::Full && sim.sinks[*s].is_trail)
            .map(|(s, _)| *s)
            .collect();
        if receivers.len() < 2 {
            continue;
        }
        receivers.sort_by_key(|&s| {
            (
                !sim.sinks[s].organization,
                !sim.sinks[s].multi_region.is_true(),
                s,
            )
        });
        let first = super::model_common::label(ctx, receivers[0]);
        let volume = (ctx.profile.global_read + ctx.profile.global_write)
            * crate::simulate::classes::GLOBAL_SOURCES.len() as f64;
        for &extra in &receivers[1..] {
            let sink = &sim.sinks[extra];
            let span = trail(ctx, sink)
                .and_then(|t| t.include_global_service_events.span())
                .unwrap_or_else(|| span_of(ctx, sink));
            out.push(
                Diag::new(
                    span,
                    format!(
                        "{}: global service events are delivered by both {first} and {}: duplicate records, about {} per month for this copy ({volume:.0} events under the workload profile)",
                        account_label(account),
                        super::model_common::label(ctx, extra),
                        money(volume / 100_000.0 * PAID_MANAGEMENT_COPY)
                    ),
                )
                .resource(&sink.address)
                .help("set `include_global_service_events = false` on all but one trail"),
            );
        }
    }
}
