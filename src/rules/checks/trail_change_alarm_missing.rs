//! `trail-change-alarm-missing`: the trail's log group (in the repo) has no metric filter
//! with an alarm for CloudTrail configuration changes (CIS monitoring).

use crate::model::{LogGroup, MetricFilter, Model, Value};
use crate::rules::{Diag, RuleContext};

/// The CIS AWS Foundations monitoring filters: a name and the event names that identify
/// each filter's pattern.
const CIS_FILTERS: &[(&str, &[&str])] = &[
    (
        "unauthorized API calls",
        &["UnauthorizedOperation", "AccessDenied"],
    ),
    ("console sign-in without MFA", &["ConsoleLogin"]),
    ("root account usage", &["Root"]),
    (
        "IAM policy changes",
        &["PutRolePolicy", "DeleteRolePolicy", "AttachRolePolicy"],
    ),
    (
        "console authentication failures",
        &["Failed authentication"],
    ),
    (
        "disabling or deletion of customer-managed keys",
        &["ScheduleKeyDeletion", "DisableKey"],
    ),
    ("S3 bucket policy changes", &["PutBucketPolicy"]),
    ("AWS Config changes", &["StopConfigurationRecorder"]),
    ("security group changes", &["AuthorizeSecurityGroupIngress"]),
    ("network ACL changes", &["CreateNetworkAcl"]),
    (
        "network gateway changes",
        &["CreateCustomerGateway", "AttachInternetGateway"],
    ),
    ("route table changes", &["CreateRoute"]),
    ("VPC changes", &["CreateVpc"]),
    (
        "AWS Organizations changes",
        &["organizations.amazonaws.com"],
    ),
];

const TRAIL_EVENTS: &[&str] = &[
    "CreateTrail",
    "UpdateTrail",
    "DeleteTrail",
    "StartLogging",
    "StopLogging",
];

fn filter_on_group(f: &MetricFilter, g: &LogGroup) -> bool {
    f.origin
        .refs_of("log_group_name")
        .any(|r| r == g.origin.address || r.starts_with(&format!("{}[", g.origin.address)))
        || matches!((f.log_group_name.get(), g.name.get()), (Some(a), Some(b)) if a == b && !a.is_empty())
}

fn has_alarm(model: &Model, f: &MetricFilter) -> bool {
    f.metrics.iter().any(|(ns, name)| {
        model.alarms.iter().any(|a| {
            let eq = |x: &Value<String>, y: &Value<String>| match (x.get(), y.get()) {
                (Some(p), Some(q)) => p == q,
                _ => true, // unknown: give the benefit of the doubt
            };
            eq(&a.namespace, ns) && eq(&a.metric_name, name)
        })
    })
}

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let model = ctx.model;
    for t in &model.trails {
        let Some(gi) = t.log_group else { continue };
        let g = &model.log_groups[gi];
        let filters: Vec<&MetricFilter> = model
            .metric_filters
            .iter()
            .filter(|f| filter_on_group(f, g))
            .collect();
        if filters.iter().any(|f| f.pattern.is_unknown()) {
            continue;
        }
        let pattern_has = |needles: &[&str]| {
            filters.iter().filter(|f| has_alarm(model, f)).any(|f| {
                let p = f.pattern.get().map_or("", String::as_str);
                needles.iter().all(|n| p.contains(n))
            })
        };
        if pattern_has(TRAIL_EVENTS) {
            continue;
        }
        let missing_others: Vec<&str> = CIS_FILTERS
            .iter()
            .filter(|(_, needles)| {
                !filters.iter().filter(|f| has_alarm(model, f)).any(|f| {
                    let p = f.pattern.get().map_or("", String::as_str);
                    needles.iter().any(|n| p.contains(n))
                })
            })
            .map(|(name, _)| *name)
            .collect();
        let mut message = format!(
            "log group `{}` of trail `{}` has no metric filter and alarm for CloudTrail configuration changes ({}): a trail can be stopped or deleted unnoticed",
            g.origin.address,
            t.origin.address,
            TRAIL_EVENTS.join(", ")
        );
        if !missing_others.is_empty() {
            message.push_str(&format!(
                "; other CIS monitoring filters also missing: {}",
                missing_others.join(", ")
            ));
        }
        out.push(
            Diag::new(t.cloud_watch_logs_group_arn.as_ref().and_then(Value::span).unwrap_or(t.origin.span), message)
                .secondary(g.origin.span, "the log group")
                .resource(&t.origin.address)
                .help("add an `aws_cloudwatch_log_metric_filter` with pattern `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }` and an `aws_cloudwatch_metric_alarm` on its metric"),
        );
    }
}
