//! `log-retention-short`: the trail's bucket expires CloudTrail objects, or its log group
//! keeps events, for fewer days than the configured minimum.

use crate::model::Value;
use crate::rules::helpers::or_unknown;
use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let min = ctx.settings.min_retention_days;
    for t in &ctx.model.trails {
        if let Some(bi) = t.bucket {
            let b = &ctx.model.buckets[bi];
            let key_prefix = match &t.s3_key_prefix {
                Some(v) => format!("{}/AWSLogs/", or_unknown(v)),
                None => "AWSLogs/".to_owned(),
            };
            for r in &b.lifecycle_rules {
                if r.enabled.is_false() || r.enabled.is_unknown() {
                    continue;
                }
                let Some(Value::Known(days, span)) = &r.expiration_days else {
                    continue;
                };
                let covers = match &r.prefix {
                    None => true,
                    Some(Value::Known(p, _)) => {
                        key_prefix.starts_with(p.as_str()) || p.starts_with(&key_prefix)
                    }
                    Some(_) => false,
                };
                if covers && *days < min {
                    out.push(
                        Diag::new(
                            *span,
                            format!(
                                "bucket `{}` expires the logs of trail `{}` after {days} days (minimum {min})",
                                b.origin.address, t.origin.address
                            ),
                        )
                        .resource(&b.origin.address)
                        .help(format!("expire CloudTrail objects after at least {min} days, or transition them to a cheaper storage class instead")),
                    );
                }
            }
        }
        if let Some(gi) = t.log_group {
            let g = &ctx.model.log_groups[gi];
            if let Value::Known(days, span) = &g.retention_in_days {
                if *days > 0 && *days < min {
                    out.push(
                        Diag::new(
                            *span,
                            format!(
                                "log group `{}` of trail `{}` keeps events for {days} days (minimum {min})",
                                g.origin.address, t.origin.address
                            ),
                        )
                        .resource(&g.origin.address)
                        .help(format!("set `retention_in_days` to at least {min}")),
                    );
                }
            }
        }
    }
}
