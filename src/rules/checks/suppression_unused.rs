//! `suppression-unused`: a suppression that suppressed nothing in this run, or names a
//! rule that does not exist. A suppression of a rule that did not run is not judged.

use crate::model::Suppression;
use crate::rules::suppress::Use;
use crate::rules::{Diag, RuleContext};

fn unused(s: &Suppression) -> Diag {
    Diag::new(
        s.span,
        format!(
            "suppression of `{}` matches no finding on the resource or attribute it covers",
            s.rule
        ),
    )
    .help("remove the comment, or move it onto or directly above the resource or attribute")
}

fn unknown_rule(s: &Suppression) -> Diag {
    Diag::new(
        s.span,
        format!("suppression names `{}`, which is not a trailcheck rule", s.rule),
    )
    .help("use a rule name like `trail-single-region` or an id like `CT001` (`trailcheck rules list`)")
}

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for (s, u) in ctx.model.suppressions.iter().zip(ctx.suppressions) {
        match u {
            Use::Unused => out.push(unused(s)),
            Use::UnknownRule => out.push(unknown_rule(s)),
            Use::Used | Use::RuleNotRun => {}
        }
    }
}
