//! `suppression-missing-reason`: a suppression comment that does not say why.

use crate::model::Suppression;
use crate::rules::{Diag, RuleContext};

fn missing_reason(s: &Suppression) -> Diag {
    Diag::new(
        s.span,
        format!(
            "suppression of `{}` gives no reason: the next reader cannot tell whether it still applies",
            s.rule
        ),
    )
    .help(format!(
        "write the reason after the rule: `trailcheck:ignore {} <why this is acceptable>`",
        if s.rule.is_empty() { "<rule>" } else { &s.rule }
    ))
}

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for s in &ctx.model.suppressions {
        if s.reason.is_none() {
            out.push(missing_reason(s));
        }
    }
}
