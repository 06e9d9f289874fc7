//! `trail-change-alarm-missing`: the trail's log group (in the repo) has no metric filter
//! with an alarm that catches CloudTrail configuration changes (CIS monitoring).
//!
//! A filter is judged by what it means, not by its text: each CIS control is a set of
//! representative CloudTrail events, and the filter's pattern is evaluated against each
//! ([`crate::model::filter_pattern`]). A broader pattern counts, a pattern with a typo does
//! not, and a pattern trailcheck cannot read or evaluate leaves the question open (reported
//! by `unresolved-value`, never as a pass or a miss).

use crate::model::filter_pattern::{self, Event, Field, Pattern, Truth};
use crate::model::{MetricAlarm, MetricFilter, Model, Trail, Value};
use crate::rules::{Diag, RuleContext};
use crate::source::Span;

/// One CIS AWS Foundations monitoring control (v1.4/v3.0 4.x, v1.2 3.x).
pub(crate) struct Control {
    pub(crate) name: &'static str,
    events: fn() -> Vec<(String, Event)>,
}

/// Fields every modelled event has, and the fields whose absence is known.
fn base(source: &str, name: &str) -> Event {
    let mut ev = Event::default();
    let mut set = |k: &str, v: &str| {
        ev.fields.insert(k.to_owned(), Field::Str(v.to_owned()));
    };
    set("eventVersion", "1.09");
    set("eventSource", source);
    set("eventName", name);
    set("eventType", "AwsApiCall");
    set("eventCategory", "Management");
    set("awsRegion", "us-east-1");
    set("sourceIPAddress", "203.0.113.10");
    set("userAgent", "aws-cli/2.15.0");
    set("recipientAccountId", "111122223333");
    set("userIdentity.type", "IAMUser");
    set("userIdentity.arn", "arn:aws:iam::111122223333:user/alice");
    set("userIdentity.accountId", "111122223333");
    set("userIdentity.userName", "alice");
    ev.fields.insert("readOnly".into(), Field::Bool(false));
    ev.fields
        .insert("managementEvent".into(), Field::Bool(true));
    ev.complete = [
        "errorCode",
        "errorMessage",
        "userIdentity.invokedBy",
        "userIdentity.sessionContext",
    ]
    .map(str::to_owned)
    .to_vec();
    ev
}

fn set(ev: &mut Event, k: &str, v: &str) {
    ev.fields.insert(k.to_owned(), Field::Str(v.to_owned()));
}

fn calls(source: &'static str, names: &[&'static str]) -> Vec<(String, Event)> {
    names
        .iter()
        .map(|n| ((*n).to_owned(), base(source, n)))
        .collect()
}

fn console_login(success: bool, mfa: &str, user_type: &str) -> Event {
    let mut ev = base("signin.amazonaws.com", "ConsoleLogin");
    set(&mut ev, "eventType", "AwsConsoleSignIn");
    set(&mut ev, "userIdentity.type", user_type);
    set(&mut ev, "additionalEventData.MFAUsed", mfa);
    set(
        &mut ev,
        "responseElements.ConsoleLogin",
        if success { "Success" } else { "Failure" },
    );
    if !success {
        set(&mut ev, "errorMessage", "Failed authentication");
    }
    ev
}

fn trail_events() -> Vec<(String, Event)> {
    calls("cloudtrail.amazonaws.com", TRAIL_EVENTS)
}

/// CIS 4.5 (3.5): the events of the control this rule is named after.
const TRAIL_EVENTS: &[&str] = &[
    "CreateTrail",
    "UpdateTrail",
    "DeleteTrail",
    "StartLogging",
    "StopLogging",
];

pub(crate) const TRAIL_CHANGES: Control = Control {
    name: "CloudTrail configuration changes",
    events: trail_events,
};

/// The other CIS monitoring controls, listed when the log group lacks them too.
pub(crate) const OTHER_CONTROLS: &[Control] = &[
    Control {
        name: "unauthorized API calls",
        events: || {
            let mut ec2 = base("ec2.amazonaws.com", "RunInstances");
            set(&mut ec2, "errorCode", "Client.UnauthorizedOperation");
            set(
                &mut ec2,
                "errorMessage",
                "You are not authorized to perform this operation.",
            );
            let mut iam = base("iam.amazonaws.com", "ListUsers");
            set(&mut iam, "errorCode", "AccessDenied");
            set(
                &mut iam,
                "errorMessage",
                "User is not authorized to perform iam:ListUsers",
            );
            vec![
                ("UnauthorizedOperation".into(), ec2),
                ("AccessDenied".into(), iam),
            ]
        },
    },
    Control {
        name: "console sign-in without MFA",
        events: || {
            vec![(
                "ConsoleLogin without MFA".into(),
                console_login(true, "No", "IAMUser"),
            )]
        },
    },
    Control {
        name: "root account usage",
        events: || {
            let mut api = base("iam.amazonaws.com", "CreateAccessKey");
            set(&mut api, "userIdentity.type", "Root");
            set(
                &mut api,
                "userIdentity.arn",
                "arn:aws:iam::111122223333:root",
            );
            let mut login = console_login(true, "Yes", "Root");
            set(
                &mut login,
                "userIdentity.arn",
                "arn:aws:iam::111122223333:root",
            );
            vec![
                ("an API call by root".into(), api),
                ("a console sign-in by root".into(), login),
            ]
        },
    },
    Control {
        name: "IAM policy changes",
        events: || {
            calls(
                "iam.amazonaws.com",
                &[
                    "DeleteGroupPolicy",
                    "DeleteRolePolicy",
                    "DeleteUserPolicy",
                    "PutGroupPolicy",
                    "PutRolePolicy",
                    "PutUserPolicy",
                    "CreatePolicy",
                    "DeletePolicy",
                    "CreatePolicyVersion",
                    "DeletePolicyVersion",
                    "AttachRolePolicy",
                    "DetachRolePolicy",
                    "AttachUserPolicy",
                    "DetachUserPolicy",
                    "AttachGroupPolicy",
                    "DetachGroupPolicy",
                ],
            )
        },
    },
    Control {
        name: "console authentication failures",
        events: || {
            vec![(
                "a failed ConsoleLogin".into(),
                console_login(false, "No", "IAMUser"),
            )]
        },
    },
    Control {
        name: "disabling or deletion of customer-managed keys",
        events: || calls("kms.amazonaws.com", &["DisableKey", "ScheduleKeyDeletion"]),
    },
    Control {
        name: "S3 bucket policy changes",
        events: || {
            calls(
                "s3.amazonaws.com",
                &[
                    "PutBucketAcl",
                    "PutBucketPolicy",
                    "PutBucketCors",
                    "PutBucketLifecycle",
                    "PutBucketReplication",
                    "DeleteBucketPolicy",
                    "DeleteBucketCors",
                    "DeleteBucketLifecycle",
                    "DeleteBucketReplication",
                ],
            )
        },
    },
    Control {
        name: "AWS Config changes",
        events: || {
            calls(
                "config.amazonaws.com",
                &[
                    "StopConfigurationRecorder",
                    "DeleteDeliveryChannel",
                    "PutDeliveryChannel",
                    "PutConfigurationRecorder",
                ],
            )
        },
    },
    Control {
        name: "security group changes",
        events: || {
            calls(
                "ec2.amazonaws.com",
                &[
                    "AuthorizeSecurityGroupIngress",
                    "AuthorizeSecurityGroupEgress",
                    "RevokeSecurityGroupIngress",
                    "RevokeSecurityGroupEgress",
                    "CreateSecurityGroup",
                    "DeleteSecurityGroup",
                ],
            )
        },
    },
    Control {
        name: "network ACL changes",
        events: || {
            calls(
                "ec2.amazonaws.com",
                &[
                    "CreateNetworkAcl",
                    "CreateNetworkAclEntry",
                    "DeleteNetworkAcl",
                    "DeleteNetworkAclEntry",
                    "ReplaceNetworkAclEntry",
                    "ReplaceNetworkAclAssociation",
                ],
            )
        },
    },
    Control {
        name: "network gateway changes",
        events: || {
            calls(
                "ec2.amazonaws.com",
                &[
                    "CreateCustomerGateway",
                    "DeleteCustomerGateway",
                    "AttachInternetGateway",
                    "CreateInternetGateway",
                    "DeleteInternetGateway",
                    "DetachInternetGateway",
                ],
            )
        },
    },
    Control {
        name: "route table changes",
        events: || {
            calls(
                "ec2.amazonaws.com",
                &[
                    "CreateRoute",
                    "CreateRouteTable",
                    "ReplaceRoute",
                    "ReplaceRouteTableAssociation",
                    "DeleteRouteTable",
                    "DeleteRoute",
                    "DisassociateRouteTable",
                ],
            )
        },
    },
    Control {
        name: "VPC changes",
        events: || {
            calls(
                "ec2.amazonaws.com",
                &[
                    "CreateVpc",
                    "DeleteVpc",
                    "ModifyVpcAttribute",
                    "AcceptVpcPeeringConnection",
                    "CreateVpcPeeringConnection",
                    "DeleteVpcPeeringConnection",
                    "RejectVpcPeeringConnection",
                    "AttachClassicLinkVpc",
                    "DetachClassicLinkVpc",
                    "DisableVpcClassicLink",
                    "EnableVpcClassicLink",
                ],
            )
        },
    },
    Control {
        name: "AWS Organizations changes",
        events: || {
            calls(
                "organizations.amazonaws.com",
                &[
                    "AcceptHandshake",
                    "AttachPolicy",
                    "CreateAccount",
                    "CreateOrganizationalUnit",
                    "CreatePolicy",
                    "DeclineHandshake",
                    "DeleteOrganization",
                    "DeleteOrganizationalUnit",
                    "DeletePolicy",
                    "DetachPolicy",
                    "DisablePolicyType",
                    "EnablePolicyType",
                    "InviteAccountToOrganization",
                    "LeaveOrganization",
                    "MoveAccount",
                    "RemoveAccountFromOrganization",
                    "UpdatePolicy",
                    "UpdateOrganizationalUnit",
                ],
            )
        },
    },
];

/// How surely a filter sits on the trail's log group.
#[derive(Clone, Copy, PartialEq, Eq)]
enum On {
    /// Linked by reference or by a known name.
    Surely,
    /// Its log group cannot be resolved: it may be this one (a module input, an import).
    Maybe,
}

/// A metric filter that may matter for a trail, with its pattern read once.
pub(crate) struct Candidate<'a> {
    pub(crate) filter: &'a MetricFilter,
    on: On,
    /// The parsed pattern, or why it cannot be evaluated.
    pattern: Result<Pattern, String>,
    /// An alarm watches the filter's metric (or may: unknown names get the benefit of the
    /// doubt).
    alarmed: bool,
}

fn read_pattern(f: &MetricFilter) -> Result<Pattern, String> {
    match &f.pattern {
        Value::Known(p, _) | Value::Defaulted(p) => filter_pattern::parse(p)
            .map_err(|e| format!("cannot be parsed as a filter pattern ({e})")),
        Value::Unknown(u) => Err(format!(
            "is `{}`, which cannot be resolved statically",
            u.expr
        )),
    }
}

fn same(x: &Value<String>, y: &Value<String>) -> bool {
    match (x, y) {
        (Value::Known(p, _), Value::Known(q, _)) => p == q,
        // An alarm without `metric_name` uses metric queries, which are not modelled.
        _ => true,
    }
}

fn alarm_watches(a: &MetricAlarm, f: &MetricFilter) -> bool {
    if a.origin
        .refs_of("metric_name")
        .any(|r| r == f.origin.address || f.origin.address.starts_with(&format!("{r}[")))
    {
        return true;
    }
    f.metrics
        .iter()
        .any(|(ns, name)| same(&a.namespace, ns) && same(&a.metric_name, name))
}

/// The metric filters that may be on trail `t`'s log group.
pub(crate) fn candidates<'a>(model: &'a Model, t: &Trail) -> Vec<Candidate<'a>> {
    let Some(gi) = t.log_group else {
        return Vec::new();
    };
    let g = &model.log_groups[gi];
    model
        .metric_filters
        .iter()
        .filter_map(|f| {
            let on = match f.log_group {
                // A filter that may not be deployed (unresolved `count`, a condition).
                Some(i) if i == gi && f.origin.conditional => On::Maybe,
                Some(i) if i == gi => On::Surely,
                Some(_) => return None,
                None => match (f.log_group_name.known(), g.name.known()) {
                    // Another root module or template naming the same group.
                    (Some(a), Some(b)) if a == b && !a.is_empty() => On::Surely,
                    (Some(_), Some(_)) => return None,
                    _ if f.log_group_name.is_defaulted() => return None,
                    // A group that cannot be resolved may be this trail's only within the
                    // same deployment unit: another unit's unresolved filter says nothing
                    // about this one.
                    _ if f.origin.unit != t.origin.unit => return None,
                    _ => On::Maybe,
                },
            };
            Some(Candidate {
                filter: f,
                on,
                pattern: read_pattern(f),
                alarmed: model.alarms.iter().any(|a| alarm_watches(a, f)),
            })
        })
        .collect()
}

/// How a set of filters covers a control.
pub(crate) struct Coverage {
    /// Events no filter (with an alarm) catches.
    pub(crate) missed: Vec<String>,
    /// Events whose capture cannot be decided.
    pub(crate) undecided: Vec<String>,
    pub(crate) total: usize,
}

pub(crate) fn coverage(cands: &[Candidate<'_>], control: &Control, need_alarm: bool) -> Coverage {
    let events = (control.events)();
    let mut out = Coverage {
        missed: Vec::new(),
        undecided: Vec::new(),
        total: events.len(),
    };
    for (label, ev) in &events {
        let mut best = Truth::No;
        for c in cands.iter().filter(|c| c.alarmed || !need_alarm) {
            let t = match &c.pattern {
                Ok(p) => p.eval(ev),
                Err(_) => Truth::Unknown,
            };
            let t = match (c.on, t) {
                (On::Maybe, Truth::Yes) => Truth::Unknown,
                (_, t) => t,
            };
            best = match (best, t) {
                (Truth::Yes, _) | (_, Truth::Yes) => Truth::Yes,
                (Truth::Unknown, _) | (_, Truth::Unknown) => Truth::Unknown,
                _ => Truth::No,
            };
        }
        match best {
            Truth::Yes => {}
            Truth::No => out.missed.push(label.clone()),
            Truth::Unknown => out.undecided.push(label.clone()),
        }
    }
    out
}

/// Why the question is open for a trail: the filters that leave it open, with the reason.
pub(crate) fn undecided(model: &Model, t: &Trail) -> Vec<(Span, String, &'static str)> {
    let cands = candidates(model, t);
    let cov = coverage(&cands, &TRAIL_CHANGES, true);
    // Events surely missed are reported by the rule itself.
    if cov.undecided.is_empty() || !cov.missed.is_empty() {
        return Vec::new();
    }
    let ev = (TRAIL_CHANGES.events)();
    cands
        .iter()
        .filter(|c| c.alarmed)
        .filter_map(|c| {
            let f = c.filter;
            let span = f.pattern.span().unwrap_or(f.origin.span);
            let why = match &c.pattern {
                Err(e) => (
                    format!("the pattern of metric filter `{}` {e}", f.origin.address),
                    if f.pattern.is_unknown() { HELP_VALUE } else { HELP_PATTERN },
                ),
                Ok(p) => {
                    let truths: Vec<Truth> = ev.iter().map(|(_, e)| p.eval(e)).collect();
                    let verb = if truths.iter().all(|x| *x == Truth::Yes) {
                        "catches"
                    } else {
                        "may catch"
                    };
                    if c.on == On::Maybe && f.log_group.is_some() && truths.iter().any(|x| *x != Truth::No) {
                        (format!(
                            "metric filter `{}` {verb} them, but it exists only under a condition or `count` that is not known to hold",
                            f.origin.address
                        ), HELP_CONDITION)
                    } else if c.on == On::Maybe && truths.iter().any(|x| *x != Truth::No) {
                        (format!(
                            "metric filter `{}` {verb} them, but its log group `{}` cannot be resolved",
                            f.origin.address,
                            show(&f.log_group_name)
                        ), HELP_GROUP)
                    } else if truths.contains(&Truth::Unknown) {
                        (format!(
                            "the pattern of metric filter `{}` tests fields or regular expressions trailcheck does not evaluate",
                            f.origin.address
                        ), HELP_PATTERN)
                    } else {
                        return None;
                    }
                }
            };
            Some((span, why.0, why.1))
        })
        .collect()
}

const HELP_VALUE: &str =
    "give the variable a default or pass it with --var / --var-file to have it checked";
const HELP_PATTERN: &str = "to have it checked, write the pattern as a JSON pattern trailcheck evaluates (`=`, `!=`, `*` wildcards, `&&`, `||`, `IS NULL`, `NOT EXISTS`) instead of regular expressions or array selectors";
const HELP_CONDITION: &str = "pass the parameter or variable that enables the alarms (`--parameter` / `--var`) to have it checked";
const HELP_GROUP: &str = "name the log group explicitly, or pass the module input with --var / --var-file, to have it checked";

fn show(v: &Value<String>) -> String {
    match v {
        Value::Known(s, _) | Value::Defaulted(s) => s.clone(),
        Value::Unknown(u) => u.expr.clone(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let model = ctx.model;
    for t in &model.trails {
        let Some(gi) = t.log_group else { continue };
        let g = &model.log_groups[gi];
        let cands = candidates(model, t);
        let cov = coverage(&cands, &TRAIL_CHANGES, true);
        if cov.missed.is_empty() {
            // Caught, or open (then `unresolved-value` says why).
            continue;
        }
        let trail_span = t
            .cloud_watch_logs_group_arn
            .as_ref()
            .and_then(Value::span)
            .unwrap_or(t.origin.span);
        // A filter that catches the events but has no alarm on its metric.
        let unwatched = cands.iter().find(|c| {
            !c.alarmed
                && c.on == On::Surely
                && coverage(std::slice::from_ref(*c), &TRAIL_CHANGES, false)
                    .missed
                    .is_empty()
        });
        // The filter that comes closest (catches some of the events).
        let partial = cands
            .iter()
            .filter(|c| c.alarmed && c.on == On::Surely)
            .map(|c| {
                (
                    c,
                    coverage(std::slice::from_ref(c), &TRAIL_CHANGES, true)
                        .missed
                        .len(),
                )
            })
            .filter(|(_, m)| *m < TRAIL_EVENTS.len())
            .min_by_key(|(_, m)| *m)
            .map(|(c, _)| c);
        let (span, resource, mut message) = if let Some(c) = unwatched {
            let f = c.filter;
            let metrics: Vec<String> = f
                .metrics
                .iter()
                .map(|(ns, n)| format!("`{}/{}`", show(ns), show(n)))
                .collect();
            // Alarms that come close: the same metric name or the same namespace.
            let near: Vec<String> = model
                .alarms
                .iter()
                .filter(|a| {
                    f.metrics.iter().any(|(ns, n)| {
                        a.metric_name.known() == n.known() || a.namespace.known() == ns.known()
                    })
                })
                .take(3)
                .map(|a| {
                    format!(
                        "alarm `{}` watches `{}/{}`",
                        a.origin.address,
                        show(&a.namespace),
                        show(&a.metric_name)
                    )
                })
                .collect();
            let near = if near.is_empty() {
                String::new()
            } else {
                format!(" ({})", near.join("; "))
            };
            (
                f.pattern.span().unwrap_or(f.origin.span),
                &f.origin.address,
                format!(
                    "metric filter `{}` on log group `{}` of trail `{}` catches CloudTrail configuration changes, but no alarm watches its metric {}{near}: a trail can be stopped or deleted unnoticed",
                    f.origin.address,
                    g.origin.address,
                    t.origin.address,
                    if metrics.is_empty() { "(it has no metric transformation)".to_owned() } else { metrics.join(", ") }
                ),
            )
        } else if let Some(c) = partial {
            let f = c.filter;
            (
                f.pattern.span().unwrap_or(f.origin.span),
                &f.origin.address,
                format!(
                    "the metric filters with alarms on log group `{}` of trail `{}` miss {} of the {} CloudTrail configuration changes ({}): a trail can be changed or stopped unnoticed",
                    g.origin.address,
                    t.origin.address,
                    cov.missed.len(),
                    cov.total,
                    cov.missed.join(", ")
                ),
            )
        } else {
            (
                trail_span,
                &t.origin.address,
                format!(
                    "log group `{}` of trail `{}` has no metric filter with an alarm for CloudTrail configuration changes ({}): a trail can be stopped or deleted unnoticed",
                    g.origin.address,
                    t.origin.address,
                    TRAIL_EVENTS.join(", ")
                ),
            )
        };
        let mut absent = Vec::new();
        let mut incomplete = Vec::new();
        for c in OTHER_CONTROLS {
            let cv = coverage(&cands, c, true);
            if !cv.undecided.is_empty() || cv.missed.is_empty() {
                continue;
            }
            if cv.missed.len() == cv.total {
                absent.push(c.name);
            } else {
                incomplete.push(format!(
                    "{} ({} of {} not caught)",
                    c.name,
                    cv.missed.len(),
                    plural(cv.total, "event", "events")
                ));
            }
        }
        if absent.len() == OTHER_CONTROLS.len() {
            message.push_str(&format!(
                "; none of the other {} CIS monitoring filters ({}, …) is there either",
                OTHER_CONTROLS.len(),
                absent[..3].join(", ")
            ));
        } else if !absent.is_empty() {
            message.push_str(&format!(
                "; other CIS monitoring filters missing on this log group: {}",
                absent.join(", ")
            ));
        }
        if !incomplete.is_empty() {
            message.push_str(&format!("; incomplete: {}", incomplete.join(", ")));
        }
        let mut d = Diag::new(span, message).resource(resource);
        if span != trail_span {
            d = d.secondary(trail_span, "the trail sends its events here");
        }
        d = d.secondary(g.origin.span, "the log group");
        out.push(d.help(
            "add a metric filter on the trail's log group with pattern `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }` (or a broader one, such as `{ $.eventSource = cloudtrail.amazonaws.com }`) and an alarm on its metric",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caught(pattern: &str, control: &Control) -> (usize, usize) {
        let p = filter_pattern::parse(pattern).unwrap();
        let evs = (control.events)();
        let yes = evs.iter().filter(|(_, e)| p.eval(e) == Truth::Yes).count();
        (yes, evs.len())
    }

    #[test]
    fn the_cis_patterns_catch_their_controls() {
        let cis = [
            ("{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }", &TRAIL_CHANGES),
            ("{($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\")}", &OTHER_CONTROLS[0]),
            ("{ ($.eventName = \"ConsoleLogin\") && ($.additionalEventData.MFAUsed != \"Yes\") && ($.userIdentity.type = \"IAMUser\") && ($.responseElements.ConsoleLogin = \"Success\") }", &OTHER_CONTROLS[1]),
            ("{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }", &OTHER_CONTROLS[2]),
            ("{ ($.eventName = ConsoleLogin) && ($.errorMessage = \"Failed authentication\") }", &OTHER_CONTROLS[4]),
            ("{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }", &OTHER_CONTROLS[5]),
        ];
        for (p, c) in cis {
            let (yes, all) = caught(p, c);
            assert_eq!(yes, all, "{p}");
        }
        // The event-name lists of the other controls, as the benchmark writes them.
        let lists: [(&str, &[&str]); 9] = [
            (
                "iam",
                &[
                    "DeleteGroupPolicy",
                    "DeleteRolePolicy",
                    "DeleteUserPolicy",
                    "PutGroupPolicy",
                    "PutRolePolicy",
                    "PutUserPolicy",
                    "CreatePolicy",
                    "DeletePolicy",
                    "CreatePolicyVersion",
                    "DeletePolicyVersion",
                    "AttachRolePolicy",
                    "DetachRolePolicy",
                    "AttachUserPolicy",
                    "DetachUserPolicy",
                    "AttachGroupPolicy",
                    "DetachGroupPolicy",
                ],
            ),
            (
                "s3",
                &[
                    "PutBucketAcl",
                    "PutBucketPolicy",
                    "PutBucketCors",
                    "PutBucketLifecycle",
                    "PutBucketReplication",
                    "DeleteBucketPolicy",
                    "DeleteBucketCors",
                    "DeleteBucketLifecycle",
                    "DeleteBucketReplication",
                ],
            ),
            (
                "config",
                &[
                    "StopConfigurationRecorder",
                    "DeleteDeliveryChannel",
                    "PutDeliveryChannel",
                    "PutConfigurationRecorder",
                ],
            ),
            (
                "ec2",
                &[
                    "AuthorizeSecurityGroupIngress",
                    "AuthorizeSecurityGroupEgress",
                    "RevokeSecurityGroupIngress",
                    "RevokeSecurityGroupEgress",
                    "CreateSecurityGroup",
                    "DeleteSecurityGroup",
                ],
            ),
            (
                "ec2",
                &[
                    "CreateNetworkAcl",
                    "CreateNetworkAclEntry",
                    "DeleteNetworkAcl",
                    "DeleteNetworkAclEntry",
                    "ReplaceNetworkAclEntry",
                    "ReplaceNetworkAclAssociation",
                ],
            ),
            (
                "ec2",
                &[
                    "CreateCustomerGateway",
                    "DeleteCustomerGateway",
                    "AttachInternetGateway",
                    "CreateInternetGateway",
                    "DeleteInternetGateway",
                    "DetachInternetGateway",
                ],
            ),
            (
                "ec2",
                &[
                    "CreateRoute",
                    "CreateRouteTable",
                    "ReplaceRoute",
                    "ReplaceRouteTableAssociation",
                    "DeleteRouteTable",
                    "DeleteRoute",
                    "DisassociateRouteTable",
                ],
            ),
            (
                "ec2",
                &[
                    "CreateVpc",
                    "DeleteVpc",
                    "ModifyVpcAttribute",
                    "AcceptVpcPeeringConnection",
                    "CreateVpcPeeringConnection",
                    "DeleteVpcPeeringConnection",
                    "RejectVpcPeeringConnection",
                    "AttachClassicLinkVpc",
                    "DetachClassicLinkVpc",
                    "DisableVpcClassicLink",
                    "EnableVpcClassicLink",
                ],
            ),
            (
                "organizations",
                &[
                    "AcceptHandshake",
                    "AttachPolicy",
                    "CreateAccount",
                    "CreateOrganizationalUnit",
                    "CreatePolicy",
                    "DeclineHandshake",
                    "DeleteOrganization",
                    "DeleteOrganizationalUnit",
                    "DeletePolicy",
                    "DetachPolicy",
                    "DisablePolicyType",
                    "EnablePolicyType",
                    "InviteAccountToOrganization",
                    "LeaveOrganization",
                    "MoveAccount",
                    "RemoveAccountFromOrganization",
                    "UpdatePolicy",
                    "UpdateOrganizationalUnit",
                ],
            ),
        ];
        let controls = [3, 6, 7, 8, 9, 10, 11, 12, 13];
        for ((source, names), ci) in lists.iter().zip(controls) {
            let ors: Vec<String> = names
                .iter()
                .map(|n| format!("($.eventName = \"{n}\")"))
                .collect();
            let p = format!(
                "{{ ($.eventSource = {source}.amazonaws.com) && ({}) }}",
                ors.join(" || ")
            );
            let (yes, all) = caught(&p, &OTHER_CONTROLS[ci]);
            assert_eq!(
                (yes, all),
                (names.len(), names.len()),
                "{}",
                OTHER_CONTROLS[ci].name
            );
        }
    }

    #[test]
    fn broader_patterns_count_and_typos_do_not() {
        assert_eq!(
            caught(
                "{ $.eventSource = cloudtrail.amazonaws.com }",
                &TRAIL_CHANGES
            ),
            (5, 5)
        );
        assert_eq!(caught("{ $.readOnly IS FALSE }", &TRAIL_CHANGES), (5, 5));
        assert_eq!(caught("", &TRAIL_CHANGES), (5, 5));
        assert_eq!(
            caught("{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLoging) }", &TRAIL_CHANGES),
            (4, 5)
        );
        assert_eq!(caught("{ $.eventName = *Trail }", &TRAIL_CHANGES), (3, 5));
    }
}
