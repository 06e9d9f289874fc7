//! `global-events-not-captured`: no trail of an account delivers global service events
//! (IAM, STS, CloudFront, console sign-in: recorded in us-east-1).

use super::model_common::{
    account_label, any_capture, any_org_credit, sinks_covering, span_of, trail,
};
use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let sim = ctx.sim;
    for account in &sim.context.accounts {
        let covering = sinks_covering(ctx, account);
        if covering.is_empty() {
            continue;
        }
        let cells: Vec<_> = sim
            .cells_of_account(account)
            .iter()
            .filter(|c| sim.classes[c.class].global)
            .collect();
        let (captured, unknown) = any_capture(&cells, false);
        if captured || unknown || any_org_credit(ctx, account, &cells) {
            continue;
        }
        // Point at a trail that claims the events but cannot receive them (the common
        // post-2021 trap), else at the first trail.
        let claimant = covering.iter().copied().find(|&i| {
            let s = &sim.sinks[i];
            trail(ctx, s).is_some_and(|t| {
                t.include_global_service_events.is_true() && t.is_multi_region_trail.is_false()
            }) && s
                .home_region
                .as_ref()
                .is_some_and(|r| r.as_str() != "us-east-1")
        });
        let (sink_i, why) = match claimant {
            Some(i) => (
                i,
                format!(
                    "`{}` includes global service events ({}) but is a single-region trail in {}: since 2021-11-22 they are delivered only to multi-region trails or trails homed in us-east-1",
                    sim.sinks[i].address,
                    trail(ctx, &sim.sinks[i]).map_or(String::new(), |t| crate::rules::helpers::describe_bool("include_global_service_events", &t.include_global_service_events)),
                    sim.sinks[i].home_region.as_ref().map_or("?", |r| r.as_str())
                ),
            ),
            None => (covering[0], "every trail excludes them (`include_global_service_events = false`), is not logging, or captures no management events".to_owned()),
        };
        let sink = &sim.sinks[sink_i];
        let span = trail(ctx, sink)
            .and_then(|t| t.include_global_service_events.span())
            .unwrap_or_else(|| span_of(ctx, sink));
        out.push(
            Diag::new(
                span,
                format!(
                    "{}: no trail captures global service events (IAM, STS, CloudFront, console sign-in, recorded in us-east-1): {why}",
                    account_label(account)
                ),
            )
            .resource(&sink.address)
            .help("make one trail multi-region with `include_global_service_events = true`"),
        );
    }
}
