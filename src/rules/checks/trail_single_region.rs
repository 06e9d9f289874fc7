//! `trail-single-region`: the trail logs only its home region.

use crate::rules::helpers::{describe_bool, span_or};
use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        // Organization trails have their own, stronger rule (`org-trail-single-region`).
        if !t.is_multi_region_trail.is_false() || t.is_organization_trail.is_true() {
            continue;
        }
        let region = t
            .region
            .get()
            .map_or_else(|| "its home region".to_owned(), |r| r.to_string());
        out.push(
            Diag::new(
                span_or(&t.is_multi_region_trail, &t.origin),
                format!(
                    "{}: the trail logs only {region}; activity in every other region goes unrecorded",
                    describe_bool("is_multi_region_trail", &t.is_multi_region_trail)
                ),
            )
            .resource(&t.origin.address)
            .help("set `is_multi_region_trail = true`"),
        );
    }
}
