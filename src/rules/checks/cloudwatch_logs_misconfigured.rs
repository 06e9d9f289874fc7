//! `cloudwatch-logs-misconfigured`: CloudWatch Logs delivery that CloudTrail would reject
//! or that cannot work: group without role (or the reverse), a group ARN without `:*`, a
//! role CloudTrail cannot assume or that cannot write log events.

use crate::model::iam::{Decision, PolicyDocument, Request, UNKNOWN_MARK};
use crate::model::Value;
use crate::rules::helpers::show;
use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        let addr = &t.origin.address;
        match (&t.cloud_watch_logs_group_arn, &t.cloud_watch_logs_role_arn) {
            (Some(g), None) => out.push(
                Diag::new(
                    g.span().unwrap_or(t.origin.span),
                    "`cloud_watch_logs_group_arn` is set without `cloud_watch_logs_role_arn`: CloudTrail rejects it (InvalidCloudWatchLogsRoleArnException)",
                )
                .resource(addr)
                .help("set `cloud_watch_logs_role_arn` to a role CloudTrail can assume"),
            ),
            (None, Some(r)) => out.push(
                Diag::new(
                    r.span().unwrap_or(t.origin.span),
                    "`cloud_watch_logs_role_arn` is set without `cloud_watch_logs_group_arn`: CloudTrail rejects it",
                )
                .resource(addr)
                .help("set `cloud_watch_logs_group_arn` or remove the role"),
            ),
            _ => {}
        }
        if let Some(g) = &t.cloud_watch_logs_group_arn {
            let text = match g {
                Value::Known(s, _) => Some(s.clone()),
                Value::Unknown(u) => u.partial.clone().filter(|p| p.trim_matches('…').len() > 1),
                Value::Defaulted(_) => None,
            };
            if let Some(text) = text {
                if !text.ends_with(":*") && !text.ends_with('…') {
                    out.push(
                        Diag::new(
                            g.span().unwrap_or(t.origin.span),
                            format!("the log group ARN `{text}` does not end with `:*`: CloudTrail rejects it (InvalidCloudWatchLogsLogGroupArnException)"),
                        )
                        .resource(addr)
                        .help_in(
                            "append `:*`, e.g. `\"${aws_cloudwatch_log_group.trail.arn}:*\"`",
                            "use `!GetAtt TrailLogGroup.Arn` (it already ends in `:*`), or append `:*` to the ARN",
                        ),
                    );
                }
            }
        }
        let Some(ri) = t.role else { continue };
        let role = &ctx.model.roles[ri];
        let role_span = t
            .cloud_watch_logs_role_arn
            .as_ref()
            .and_then(Value::span)
            .unwrap_or(t.origin.span);
        if let Some(Value::Known(trust, span)) = &role.assume_role_policy {
            let req = Request {
                service: "cloudtrail.amazonaws.com",
                action: "sts:AssumeRole",
                resource: "*",
                context: &[],
                absent: &[],
            };
            if matches!(
                trust.decide(&req),
                Decision::NotAllowed | Decision::Denied(_)
            ) {
                out.push(
                    Diag::new(
                        *span,
                        format!(
                            "role `{}` (the CloudWatch Logs role of trail `{addr}`) cannot be assumed by cloudtrail.amazonaws.com",
                            role.origin.address
                        ),
                    )
                    .secondary(role_span, "the trail uses this role")
                    .resource(addr)
                    .help("trust Principal {\"Service\": \"cloudtrail.amazonaws.com\"} with `sts:AssumeRole`"),
                );
            }
        }
        // Permissions: only decidable when every policy of the role is in the repo.
        if !role.external_policy_arns.is_empty()
            || role
                .policies
                .iter()
                .any(|p| !matches!(p.document, Value::Known(..)))
        {
            continue;
        }
        let mut doc = PolicyDocument::default();
        for p in &role.policies {
            if let Value::Known(d, _) = &p.document {
                doc.statements.extend(d.statements.iter().cloned());
            }
        }
        let group_arn = t
            .cloud_watch_logs_group_arn
            .as_ref()
            .map(|g| match g {
                Value::Known(s, _) => s.trim_end_matches(":*").to_owned(),
                _ => UNKNOWN_MARK.to_string(),
            })
            .unwrap_or_else(|| UNKNOWN_MARK.to_string());
        let stream = format!("{group_arn}:log-stream:{UNKNOWN_MARK}_CloudTrail_{UNKNOWN_MARK}");
        let missing: Vec<&str> = ["logs:CreateLogStream", "logs:PutLogEvents"]
            .into_iter()
            .filter(|action| {
                let req = Request {
                    service: "cloudtrail.amazonaws.com",
                    action,
                    resource: &stream,
                    context: &[],
                    absent: &[],
                };
                matches!(doc.decide(&req), Decision::NotAllowed | Decision::Denied(_))
            })
            .collect();
        if !missing.is_empty() {
            let span = role.policies.first().map_or(role.origin.span, |p| p.span);
            out.push(
                Diag::new(
                    span,
                    format!(
                        "role `{}` does not allow {} on the trail's log streams (`{}`): CloudTrail cannot deliver to CloudWatch Logs",
                        role.origin.address,
                        missing.join(" and "),
                        show(&stream)
                    ),
                )
                .secondary(role_span, "the trail uses this role")
                .resource(addr)
                .help("allow `logs:CreateLogStream` and `logs:PutLogEvents` on `<log group ARN>:log-stream:*`"),
            );
        }
    }
}
