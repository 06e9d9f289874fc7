//! `unresolved-value`: an attribute a rule needs is an expression trailcheck cannot
//! resolve, so that rule did not check it. Info: it says what was not checked.

use crate::model::Value;
use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
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
                out.push(
                    Diag::new(u.span, format!("`{attr} = {}` cannot be resolved statically; not checked: {rules}", u.expr))
                        .resource(&t.origin.address)
                        .help("give the variable a default or pass it with --var / --var-file to have it checked"),
                );
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
        }
    }
}
