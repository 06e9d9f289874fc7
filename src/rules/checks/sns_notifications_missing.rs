//! `sns-notifications-missing`: no SNS notification when a log file is delivered.

use crate::rules::helpers::absent;
use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        if t.sns_topic_name.is_none() {
            let (span, what) = absent(&t.origin, "sns_topic_name");
            out.push(
                Diag::new(span, format!("{what}: nothing is notified when log files are delivered"))
                    .resource(&t.origin.address)
                    .help("set `sns_topic_name` to a topic whose policy allows cloudtrail.amazonaws.com to SNS:Publish"),
            );
        }
    }
}
