//! `org-trail-single-region`: an organization trail that is not multi-region.

use crate::rules::helpers::{describe_bool, span_or};
use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        if !(t.is_organization_trail.is_true() && t.is_multi_region_trail.is_false()) {
            continue;
        }
        out.push(
            Diag::new(
                span_or(&t.is_multi_region_trail, &t.origin),
                format!(
                    "organization trail with {}: every member account is logged in one region only",
                    describe_bool("is_multi_region_trail", &t.is_multi_region_trail)
                ),
            )
            .resource(&t.origin.address)
            .help("set `is_multi_region_trail = true` on the organization trail"),
        );
    }
}
