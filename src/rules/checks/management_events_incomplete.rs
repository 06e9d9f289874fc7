//! `management-events-incomplete`: some read or write management events of an account
//! and region are captured by no trail, while others are.

use super::model_common::{account_label, list, sinks_covering, span_of};
use crate::model::{Trail, Value};
use crate::rules::{Diag, RuleContext};
use crate::simulate::selectors::Capture;
use crate::source::Span;

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
        let mut lost: Vec<&str> = missing
            .iter()
            .flat_map(|(_, l)| l.iter().copied())
            .collect();
        lost.sort_unstable();
        lost.dedup();
        let span = if sink.is_trail {
            let t = &ctx.model.trails[sink.index];
            let sources_lost = lost
                .iter()
                .any(|l| l.starts_with("KMS") || l.starts_with("RDS"));
            narrowing_value(t, sources_lost)
                .or_else(|| t.event_selectors.first().map(|s| s.span))
                .or_else(|| t.advanced_event_selectors.first().map(|s| s.span))
                .unwrap_or(t.origin.span)
        } else {
            span_of(ctx, sink)
        };
        // "read management", "KMS (kms.amazonaws.com) read and write", …
        let mut classes = Vec::new();
        let whole: Vec<&str> = ["read", "write"]
            .into_iter()
            .filter(|dir| lost.contains(&format!("mgmt {dir}").as_str()))
            .collect();
        if !whole.is_empty() {
            classes.push(format!("{} management", whole.join(" and ")));
        }
        for (label, name) in [
            ("KMS", "KMS (kms.amazonaws.com)"),
            ("RDS Data", "RDS Data API (rdsdata.amazonaws.com)"),
        ] {
            let dirs: Vec<&str> = ["read", "write"]
                .into_iter()
                .filter(|dir| !whole.contains(dir))
                .filter(|dir| lost.contains(&format!("{label} {dir}").as_str()))
                .collect();
            if !dirs.is_empty() {
                classes.push(format!("{name} {}", dirs.join(" and ")));
            }
        }
        let regions: Vec<String> = missing.iter().map(|(r, _)| r.clone()).collect();
        out.push(
            Diag::new(
                span,
                format!(
                    "{}: {} events are captured by no trail in {}, while other management events there are",
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

/// The value that narrows management events: an event-source exclusion (preferred when
/// event sources are what is lost) or a read/write restriction, in basic or advanced
/// selectors.
fn narrowing_value(t: &Trail, sources_lost: bool) -> Option<Span> {
    let mut exclusion = None;
    let mut read_write = None;
    for s in &t.event_selectors {
        if s.include_management_events.is_false() {
            continue;
        }
        if let Value::Known(l, span) = &s.exclude_management_event_sources {
            if !l.is_empty() {
                exclusion = exclusion.or(Some(*span));
            }
        }
        if let Value::Known(rw, span) = &s.read_write_type {
            if rw != "All" {
                read_write = read_write.or(Some(*span));
            }
        }
    }
    for a in &t.advanced_event_selectors {
        for f in &a.field_selectors {
            match f.field.get().map(String::as_str) {
                Some("eventSource") => {
                    let narrowing = [&f.not_equals, &f.not_starts_with, &f.not_ends_with]
                        .into_iter()
                        .find(|v| v.get().is_some_and(|l| !l.is_empty()));
                    if let Some(v) = narrowing {
                        exclusion = exclusion.or(Some(v.span().unwrap_or(f.span)));
                    }
                }
                Some("readOnly") => {
                    read_write = read_write.or(Some(f.span));
                }
                _ => {}
            }
        }
    }
    if sources_lost {
        exclusion.or(read_write)
    } else {
        read_write.or(exclusion)
    }
}
