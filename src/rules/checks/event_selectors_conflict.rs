//! `event-selectors-conflict`: basic and advanced event selectors on one trail.

use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        let (Some(basic), Some(adv)) = (
            t.event_selectors.first(),
            t.advanced_event_selectors.first(),
        ) else {
            continue;
        };
        out.push(
            Diag::new(
                adv.span,
                "the trail has both `event_selector` and `advanced_event_selector` blocks: CloudTrail accepts only one kind, and applying one overwrites the other",
            )
            .secondary(basic.span, "basic event selector")
            .resource(&t.origin.address)
            .help("express every selector as an advanced event selector and remove the basic ones"),
        );
    }
}
