//! `parse-error`: a file that cannot be parsed (reported with its location; the other
//! files are still checked).

use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for e in &ctx.model.input_errors {
        out.push(
            Diag::new(e.span, e.message.clone())
                .help("fix the file at this location; trailcheck checked the other files"),
        );
    }
}
