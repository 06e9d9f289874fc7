//! `cloudwatch-logs-not-integrated`: no CloudWatch Logs delivery, so no metric filters or
//! alarms on API activity.

use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        if t.cloud_watch_logs_group_arn.is_none() {
            out.push(
                Diag::new(
                    t.origin.span,
                    "`cloud_watch_logs_group_arn` is not set: events are not sent to CloudWatch Logs, so no metric filter or alarm can react to them",
                )
                .resource(&t.origin.address)
                .help("set `cloud_watch_logs_group_arn = \"${aws_cloudwatch_log_group.trail.arn}:*\"` and `cloud_watch_logs_role_arn`"),
            );
        }
    }
}
