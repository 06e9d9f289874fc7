//! `management-events-incomplete`: some read or write management events of an account
//! and region are captured by no trail, while others are.

use super::model_common::{account_label, list, sinks_covering, span_of};
use crate::rules::{Diag, RuleContext};
use crate::simulate::selectors::Capture;

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let sim = ctx.sim;
    for account in &sim.context.accounts {
        let covering = sinks_covering(ctx, account);
        if covering.is_empty() {
            continue;
        }
        let mut missing: Vec<(String, Vec<&str>)> = Vec::new();
        for region in sim.context.regions_of(account) {
            let mut captured = false;
            let mut lost = Vec::new();
            for c in sim
                .cells_of(account, region)
                .filter(|c| sim.classes[c.class].is_regional_management())
            {
                let mut best = c.sinks.iter().fold(Capture::None, |a, (_, cap)| a.or(*cap));
                if best == Capture::None
                    && super::model_common::org_credit(ctx, account, region, c.class).is_some()
                {
                    best = Capture::Unknown;
                }
                match best {
                    Capture::Full | Capture::Partial => captured = true,
                    Capture::None => lost.push(sim.classes[c.class].label),
                    Capture::Unknown => captured = true,
                }
            }
            if captured && !lost.is_empty() {
                missing.push((region.to_string(), lost));
            }
        }
        if missing.is_empty() {
            continue;
        }
        // Point at the trail whose selectors narrow management events.
        let narrowing = covering.iter().copied().find(|&i| {
            let s = &sim.sinks[i];
            s.is_trail && {
                let t = &ctx.model.trails[s.index];
                !t.event_selectors.is_empty() || !t.advanced_event_selectors.is_empty()
            }
        });
        let sink = &sim.sinks[narrowing.unwrap_or(covering[0])];
        let span = if sink.is_trail {
            let t = &ctx.model.trails[sink.index];
            t.event_selectors
                .first()
                .map(|s| s.span)
                .or_else(|| t.advanced_event_selectors.first().map(|s| s.span))
                .unwrap_or(t.origin.span)
        } else {
            span_of(ctx, sink)
        };
        let mut lost: Vec<&str> = missing
            .iter()
            .flat_map(|(_, l)| l.iter().copied())
            .collect();
        lost.sort_unstable();
        lost.dedup();
        let mut classes = Vec::new();
        for dir in ["read", "write"] {
            if lost.contains(&format!("mgmt {dir}").as_str()) {
                classes.push(format!("{dir} management"));
            } else {
                for (label, name) in [
                    ("KMS", "KMS (kms.amazonaws.com)"),
                    ("RDS Data", "RDS Data API (rdsdata.amazonaws.com)"),
                ] {
                    if lost.contains(&format!("{label} {dir}").as_str()) {
                        classes.push(format!("{name} {dir}"));
                    }
                }
            }
        }
        let regions: Vec<String> = missing.iter().map(|(r, _)| r.clone()).collect();
        out.push(
            Diag::new(
                span,
                format!(
                    "{}: {} events are captured by no trail in {} (other management events there are)",
                    account_label(account),
                    classes.join(", "),
                    list(&regions)
                ),
            )
            .resource(&sink.address)
            .help("log read and write management events (`read_write_type = \"All\"`) and do not exclude event sources unless another trail captures them"),
        );
    }
}
