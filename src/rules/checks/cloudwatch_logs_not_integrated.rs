//! `cloudwatch-logs-not-integrated`: no CloudWatch Logs delivery, so no metric filters or
//! alarms on API activity.

use crate::rules::helpers::absent;
use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        if t.cloud_watch_logs_group_arn.is_none() {
            let (span, what) = absent(&t.origin, "cloud_watch_logs_group_arn");
            out.push(
                Diag::new(
                    span,
                    format!("{what}: events are not sent to CloudWatch Logs, so no metric filter or alarm can react to them"),
                )
                .resource(&t.origin.address)
                .help_in(
                    "set `cloud_watch_logs_group_arn = \"${aws_cloudwatch_log_group.trail.arn}:*\"` and `cloud_watch_logs_role_arn`",
                    "set `CloudWatchLogsLogGroupArn: !GetAtt TrailLogGroup.Arn` (the `Arn` attribute of a log group already ends in `:*`) and `CloudWatchLogsRoleArn`",
                ),
            );
        }
    }
}
