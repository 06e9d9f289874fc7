//! `member-trail-duplicates-org-trail`: a member-account trail logs management events the
//! organization trail already delivers: the member pays for a second copy.

use super::model_common::{list, money, span_of};
use crate::rules::{Diag, RuleContext};
use crate::simulate::selectors::Capture;

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let sim = ctx.sim;
    if sim.context.org_accounts.is_empty() {
        return;
    }
    let paid = super::model_common::costs_by_sink(ctx, "paid management copy");
    for (si, s) in sim.sinks.iter().enumerate() {
        if s.organization
            || !s.is_trail
            || Some(&s.account) == sim.context.management_account.as_ref()
        {
            continue;
        }
        let mut regions = Vec::new();
        let mut org = None;
        for c in sim.cells_of_account(&s.account).iter().filter(|c| {
            sim.classes[c.class].category == crate::simulate::classes::Category::Management
        }) {
            let mine = c
                .sinks
                .iter()
                .any(|(x, cap)| *x == si && *cap == Capture::Full);
            let by_org = c
                .sinks
                .iter()
                .find(|(x, cap)| sim.sinks[*x].organization && *cap == Capture::Full);
            if let (true, Some((o, _))) = (mine, by_org) {
                org = Some(*o);
                let r = c.region.to_string();
                if !regions.contains(&r) {
                    regions.push(r);
                }
            }
        }
        let Some(o) = org else { continue };
        let usd: f64 = paid.get(&si).map_or(0.0, |v| v.iter().map(|l| l.usd).sum());
        out.push(
            Diag::new(
                span_of(ctx, s),
                format!(
                    "`{}` in member account {} logs management events that the organization trail `{}` already delivers ({}): a paid second copy, about {}/month under the workload profile",
                    s.address,
                    s.account,
                    sim.sinks[o].address,
                    list(&regions),
                    money(usd)
                ),
            )
            .resource(&s.address)
            .help("remove the member trail, or limit it to data events (`include_management_events = false`)"),
        );
    }
}
