//! Queries of the simulation shared by the model rules.

use crate::model::Trail;
use crate::rules::RuleContext;
use crate::simulate::selectors::Capture;
use crate::simulate::{Sink, THIS_ACCOUNT};
use crate::source::Span;

/// The trail behind a sink, if it is a trail.
pub(crate) fn trail<'a>(ctx: &'a RuleContext<'_>, sink: &Sink) -> Option<&'a Trail> {
    sink.is_trail.then(|| &ctx.model.trails[sink.index])
}

/// Where to point for a sink.
pub(crate) fn span_of(ctx: &RuleContext<'_>, sink: &Sink) -> Span {
    if sink.is_trail {
        ctx.model.trails[sink.index].origin.span
    } else {
        ctx.model.event_data_stores[sink.index].origin.span
    }
}

/// "account 111122223333" or "the account" when none is configured.
pub(crate) fn account_label(account: &str) -> String {
    if account == THIS_ACCOUNT {
        "the account".to_owned()
    } else {
        format!("account {account}")
    }
}

/// The trails (sinks) that belong to or cover an account, in model order.
pub(crate) fn sinks_covering(ctx: &RuleContext<'_>, account: &str) -> Vec<usize> {
    ctx.sim
        .sinks
        .iter()
        .enumerate()
        .filter(|(_, s)| ctx.sim.context.covers(s, account))
        .map(|(i, _)| i)
        .collect()
}

/// Over all cells of an account with classes matching `pred`: does anyone capture, is
/// anything unknown?
pub(crate) fn any_capture(cells: &[&crate::simulate::Cell], full_only: bool) -> (bool, bool) {
    let mut captured = false;
    let mut unknown = false;
    for c in cells {
        for (_, cap) in &c.sinks {
            match cap {
                Capture::Full => captured = true,
                Capture::Partial if !full_only => captured = true,
                Capture::Unknown => unknown = true,
                _ => {}
            }
        }
    }
    (captured, unknown)
}

/// A sink's address, with its file when another sink has the same address (two root
/// modules both declaring `aws_cloudtrail.main`).
pub(crate) fn label(ctx: &RuleContext<'_>, sink: usize) -> String {
    let s = &ctx.sim.sinks[sink];
    let clash = ctx.sim.duplicate_addresses.contains(&s.address);
    if clash {
        let path = ctx
            .sources
            .get(span_of(ctx, s).source)
            .map(|f| crate::report::display_path(&f.path))
            .unwrap_or_default();
        format!("`{}` ({path})", s.address)
    } else {
        format!("`{}`", s.address)
    }
}

pub(crate) fn money(x: f64) -> String {
    format!("${:.2}", if x.abs() < 0.005 { 0.0 } else { x })
}

pub(crate) fn list(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1..=6 => items.join(", "),
        n => format!("{} and {} more", items[..5].join(", "), n - 5),
    }
}

/// Cost lines of one kind, grouped by the sink that pays (one pass over the lines).
pub(crate) fn costs_by_sink<'a>(
    ctx: &'a RuleContext<'_>,
    item: &str,
) -> std::collections::HashMap<usize, Vec<&'a crate::simulate::cost::CostLine>> {
    let mut m: std::collections::HashMap<usize, Vec<&crate::simulate::cost::CostLine>> =
        std::collections::HashMap::new();
    for l in ctx.costs.iter().filter(|l| l.item == item) {
        m.entry(l.sink).or_default().push(l);
    }
    m
}
