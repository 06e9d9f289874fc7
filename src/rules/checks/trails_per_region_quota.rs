//! `trails-per-region-quota`: more trails in one account and region than CloudTrail
//! allows (a multi-region trail counts in every region).

use super::model_common::{account_label, span_of};
use crate::model::catalog::CATALOG;
use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let sim = ctx.sim;
    let limit = CATALOG.trails_per_region;
    for account in &sim.context.accounts {
        let mut regions: Vec<crate::model::Region> = sim.context.regions_of(account).to_vec();
        for s in sim.sinks.iter().filter(|s| &s.account == account) {
            if let Some(r) = &s.home_region {
                if !regions.contains(r) {
                    regions.push(r.clone());
                }
            }
        }
        for region in &regions {
            let trails: Vec<usize> = sim
                .sinks
                .iter()
                .enumerate()
                .filter(|(_, s)| s.is_trail)
                .filter(|(_, s)| sim.context.covers(s, account))
                .filter(|(_, s)| s.multi_region.is_true() || s.home_region.as_ref() == Some(region))
                .map(|(i, _)| i)
                .collect();
            if trails.len() <= limit {
                continue;
            }
            let over = &sim.sinks[trails[limit]];
            out.push(
                Diag::new(
                    span_of(ctx, over),
                    format!(
                        "{}: {} trails in {region} (multi-region trails count in every region), CloudTrail allows {limit}: CreateTrail fails with MaximumNumberOfTrailsExceededException",
                        account_label(account),
                        trails.len()
                    ),
                )
                .resource(&over.address)
                .help("merge trails: one multi-region trail can carry several event selectors"),
            );
        }
    }
}
