//! `trail-logging-disabled`: the trail exists but does not log.

use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        if let Some(span) = t
            .enable_logging
            .known()
            .filter(|&&b| !b)
            .and(t.enable_logging.span())
        {
            out.push(
                Diag::new(span, "`enable_logging` is false: the trail records nothing, whatever else it is configured to do")
                    .resource(&t.origin.address)
                    .help("remove `enable_logging = false` (the default is true)"),
            );
        }
    }
}
