//! `trail-logging-disabled`: the trail exists but does not log.

use crate::model::Value;
use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        match &t.enable_logging {
            Value::Known(false, span) => out.push(
                Diag::new(*span, "`enable_logging` is false: the trail records nothing, whatever else it is configured to do")
                    .resource(&t.origin.address)
                    .help("remove `enable_logging = false` (the default is true)"),
            ),
            // Only a CloudFormation trail defaults to not logging: `IsLogging` is required
            // there, and a trail that was never started records nothing.
            Value::Defaulted(false) => out.push(
                Diag::new(t.origin.span, "`IsLogging` is not set: CloudFormation requires it, and a trail that is not started records nothing")
                    .resource(&t.origin.address)
                    .help("set `IsLogging: true`"),
            ),
            _ => {}
        }
    }
}
