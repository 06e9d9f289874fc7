//! `unresolved-value`: a value a rule needs is an expression trailcheck cannot resolve, or
//! names a resource that is not in the checked files, so that rule did not check it. Info:
//! it says what was not checked, so that silence never reads as a pass.

use crate::model::{Trail, Unresolved, Value};
use crate::rules::{Diag, RuleContext};
use crate::source::Span;

const BUCKET_RULES: &str = "log-bucket-publicly-accessible, log-bucket-access-logging-disabled, \
     log-bucket-not-protected, bucket-policy-blocks-delivery, log-retention-short";
const KMS_RULES: &str = "kms-policy-blocks-delivery";
const LOG_GROUP_RULES: &str =
    "cloudwatch-logs-misconfigured, log-retention-short, trail-change-alarm-missing";
const ROLE_RULES: &str = "cloudwatch-logs-misconfigured";
const TOPIC_RULES: &str = "sns-notifications-missing";
const DATA_RULES: &str =
    "s3-data-events-not-logged, data-events-log-own-bucket, unbounded-data-events, selector rules";
const HELP_UNKNOWN: &str = "give the variable or parameter a value (a default, a .tfvars file, \
     --var or --parameter), or check the module together with its caller, to have it checked";

/// The expression or value as written, shortened and escaped for a one-line message.
fn short(expr: &str) -> String {
    let one_line = expr.split_whitespace().collect::<Vec<_>>().join(" ");
    let one_line = crate::model::value::excerpt(&one_line).into_owned();
    if one_line.chars().count() > 80 {
        let cut: String = one_line.chars().take(77).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}

fn unknown(out: &mut Vec<Diag>, t: &Trail, attr: &str, u: &Unresolved, rules: &str) {
    out.push(
        Diag::new(
            u.span,
            format!(
                "`{attr} = {}` cannot be resolved statically; not checked: {rules}",
                short(&u.expr)
            ),
        )
        .resource(&t.origin.address)
        .help(HELP_UNKNOWN),
    );
}

/// A sink attribute (bucket, key, log group, role, topic) that links to nothing: unknown,
/// or a known name of a resource declared outside the checked files.
fn sink(
    out: &mut Vec<Diag>,
    t: &Trail,
    attr: &str,
    value: Option<&Value<String>>,
    linked: bool,
    what: &str,
    rules: &str,
) {
    if linked {
        return;
    }
    match value {
        Some(Value::Unknown(u)) => unknown(out, t, attr, u, rules),
        Some(Value::Known(name, span)) if !name.is_empty() => out.push(
            Diag::new(
                *span,
                format!(
                    "{what} `{}` is not declared in the checked files; not checked: {rules}",
                    short(name)
                ),
            )
            .resource(&t.origin.address)
            .help(
                "check the configuration that declares it together with this one (name both \
                 paths) to have it checked",
            ),
        ),
        _ => {}
    }
}

fn list_unknown(v: &Value<Vec<String>>) -> Option<&Unresolved> {
    match v {
        Value::Unknown(u) => Some(u),
        _ => None,
    }
}

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for n in &ctx.model.unevaluated {
        out.push(
            Diag::new(n.span, n.message.clone()).help(
                "trailcheck treats this value as unknown; rules that need it did not check it",
            ),
        );
    }
    let mut found = Vec::new();
    for t in &ctx.model.trails {
        trail(ctx, t, &mut found);
    }
    // Instances of one block (`count`, `for_each`, a module called twice) share the
    // expression: it is said once, where it is written.
    let mut said = std::collections::HashSet::new();
    out.extend(
        found
            .into_iter()
            .filter(|d| said.insert((d.primary, d.message.clone()))),
    );
}

fn trail(ctx: &RuleContext<'_>, t: &Trail, out: &mut Vec<Diag>) {
    {
        let bools: [(&str, &Value<bool>, &str); 5] = [
            (
                "is_multi_region_trail",
                &t.is_multi_region_trail,
                "trail-single-region, org-trail-single-region",
            ),
            (
                "enable_log_file_validation",
                &t.enable_log_file_validation,
                "log-file-validation-disabled",
            ),
            (
                "enable_logging",
                &t.enable_logging,
                "trail-logging-disabled",
            ),
            (
                "is_organization_trail",
                &t.is_organization_trail,
                "org-trail-single-region",
            ),
            (
                "include_global_service_events",
                &t.include_global_service_events,
                "global service event coverage",
            ),
        ];
        for (attr, v, rules) in bools {
            if let Value::Unknown(u) = v {
                unknown(out, t, attr, u, rules);
            }
        }
        // A trail that does not log delivers nothing: its sinks are not worth a note.
        if t.enable_logging.is_false() {
            return;
        }
        sink(
            out,
            t,
            "s3_bucket_name",
            Some(&t.s3_bucket_name),
            t.bucket.is_some(),
            "the log bucket",
            BUCKET_RULES,
        );
        sink(
            out,
            t,
            "kms_key_id",
            t.kms_key_id.as_ref(),
            t.kms_key.is_some(),
            "the KMS key",
            KMS_RULES,
        );
        sink(
            out,
            t,
            "cloud_watch_logs_group_arn",
            t.cloud_watch_logs_group_arn.as_ref(),
            t.log_group.is_some(),
            "the log group",
            LOG_GROUP_RULES,
        );
        sink(
            out,
            t,
            "cloud_watch_logs_role_arn",
            t.cloud_watch_logs_role_arn.as_ref(),
            t.role.is_some(),
            "the CloudWatch Logs role",
            ROLE_RULES,
        );
        if let Some(Value::Unknown(u)) = &t.sns_topic_name {
            if t.topic.is_none() {
                unknown(out, t, "sns_topic_name", u, TOPIC_RULES);
            }
        }
        if t.log_group.is_some() {
            for (span, why, help) in super::trail_change_alarm_missing::undecided(ctx.model, t) {
                out.push(
                    Diag::new(span, format!("whether trail `{}` has an alarm on CloudTrail configuration changes cannot be decided: {why}; not checked: trail-change-alarm-missing", t.origin.address))
                        .resource(&t.origin.address)
                        .help(help),
                );
            }
        }
        if t.selectors_unknown {
            out.push(
                Diag::new(t.origin.span, "the event or insight selectors come from a `dynamic` block whose `for_each` cannot be resolved; selector rules did not check them")
                    .resource(&t.origin.address),
            );
            return;
        }
        // Selector values: an unknown one is never taken as "all resources".
        let mut seen: Vec<Span> = Vec::new();
        let mut once = |out: &mut Vec<Diag>, attr: &str, u: &Unresolved| {
            if !seen.contains(&u.span) {
                seen.push(u.span);
                unknown(out, t, attr, u, DATA_RULES);
            }
        };
        for s in &t.event_selectors {
            for d in &s.data_resources {
                if let Value::Unknown(u) = &d.resource_type {
                    once(out, "data_resource.type", u);
                }
                if let Some(u) = list_unknown(&d.values) {
                    once(out, "data_resource.values", u);
                }
            }
        }
        for a in &t.advanced_event_selectors {
            for f in &a.field_selectors {
                if let Value::Unknown(u) = &f.field {
                    once(out, "field_selector.field", u);
                }
                for (op, v) in [
                    ("equals", &f.equals),
                    ("not_equals", &f.not_equals),
                    ("starts_with", &f.starts_with),
                    ("not_starts_with", &f.not_starts_with),
                    ("ends_with", &f.ends_with),
                    ("not_ends_with", &f.not_ends_with),
                ] {
                    if let Some(u) = list_unknown(v) {
                        once(out, &format!("field_selector.{op}"), u);
                    }
                }
            }
        }
    }
}
