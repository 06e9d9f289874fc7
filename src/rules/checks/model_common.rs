//! Queries of the simulation shared by the model rules.

use crate::model::Trail;
use crate::rules::RuleContext;
use crate::simulate::selectors::Capture;
use crate::simulate::{is_unknown_account, unit_of_account, Sink, THIS_ACCOUNT};
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

/// "account 111122223333", or for an account the configuration does not name, which
/// one it is and why its trails are taken to share it (the assumption the finding rests
/// on): one deployment unit, one set of provider credentials.
pub(crate) fn account_label(account: &str) -> String {
    if account == THIS_ACCOUNT {
        return "the account".to_owned();
    }
    match unit_of_account(account) {
        Some((unit, scope)) => {
            if unit.ends_with(".json") {
                // A CloudFormation template or a Terraform plan: one deployment either way.
                format!("the account of `{unit}` (one deployment)")
            } else if is_template(unit) {
                format!("the account of template `{unit}` (one stack)")
            } else if scope.is_empty() {
                format!(
                    "the account of root module `{unit}` (one state, default provider credentials)"
                )
            } else {
                format!("the account of root module `{unit}` with provider credentials `{scope}`")
            }
        }
        None => format!("account {account}"),
    }
}

fn is_template(unit: &str) -> bool {
    [".yaml", ".yml", ".template"]
        .iter()
        .any(|e| unit.ends_with(e))
}

/// A trail of another account of the checkout that may fill a gap of `account`: an
/// absence can only be claimed when nothing in the checkout could fill it. Without an
/// organization in the configuration, an organization trail may cover every account, and
/// a trail of another unknown account (another unit) may be in the same account. Only
/// coverage claims use this; duplicates, paid copies and quotas never do.
pub(crate) fn org_credit(
    ctx: &RuleContext<'_>,
    account: &str,
    region: &crate::model::Region,
    class: usize,
) -> Option<usize> {
    let sim = ctx.sim;
    if !sim.context.org_accounts.is_empty() || !is_unknown_account(account) {
        return None;
    }
    let c = sim.classes.get(class)?;
    sim.sinks.iter().enumerate().find_map(|(i, s)| {
        (s.account != account
            && (s.organization || is_unknown_account(&s.account))
            && crate::simulate::captures_as_member(ctx.model, &sim.context, s, account, region, c)
                != Capture::None)
            .then_some(i)
    })
}

/// Whether some organization trail of another unit is credited for any of `cells`.
pub(crate) fn any_org_credit(
    ctx: &RuleContext<'_>,
    account: &str,
    cells: &[&crate::simulate::Cell],
) -> bool {
    cells
        .iter()
        .any(|c| org_credit(ctx, account, &c.region, c.class).is_some())
}

/// The trails (sinks) that belong to or cover an account, in model order.
pub(crate) fn sinks_covering(ctx: &RuleContext<'_>, account: &str) -> Vec<usize> {
    ctx.sim.sinks_covering(account)
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
