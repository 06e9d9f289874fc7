//! `log-retention-short`: every copy of the trail's logs is deleted sooner than the
//! configured minimum. Retention is judged on the copy kept longest: the S3 log files
//! (lifecycle expiration) or the CloudWatch Logs copy (`retention_in_days`). A short
//! CloudWatch copy beside an S3 copy kept long enough is a cost choice, not a finding; a
//! copy whose retention is unknown (a bucket outside the configuration) may be the long
//! one, so nothing is reported then.

use crate::model::{Trail, Value};
use crate::rules::helpers::{days, or_unknown};
use crate::rules::{Diag, RuleContext};
use crate::source::Span;

/// How long one copy is kept.
enum Kept {
    Forever,
    Days(i64, Span),
    Unknown,
}

/// The S3 copy: the shortest expiration of an enabled lifecycle rule covering the trail's
/// prefix.
fn s3_copy(ctx: &RuleContext<'_>, t: &Trail) -> Kept {
    let Some(bi) = t.bucket else {
        return Kept::Unknown;
    };
    let b = &ctx.model.buckets[bi];
    if b.lifecycle_unknown {
        return Kept::Unknown;
    }
    let key_prefix = match &t.s3_key_prefix {
        Some(v) => format!("{}/AWSLogs/", or_unknown(v)),
        None => "AWSLogs/".to_owned(),
    };
    let mut kept = Kept::Forever;
    for r in &b.lifecycle_rules {
        if r.enabled.is_false() || r.enabled.is_unknown() {
            continue;
        }
        let Some(Value::Known(d, span)) = &r.expiration_days else {
            continue;
        };
        let covers = match &r.prefix {
            None => true,
            Some(Value::Known(p, _)) => {
                key_prefix.starts_with(p.as_str()) || p.starts_with(&key_prefix)
            }
            Some(_) => false,
        };
        if covers && !matches!(kept, Kept::Days(k, _) if k <= *d) {
            kept = Kept::Days(*d, *span);
        }
    }
    kept
}

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let min = ctx.settings.min_retention_days;
    for t in &ctx.model.trails {
        let s3 = s3_copy(ctx, t);
        let group = t.log_group.map(|gi| {
            let g = &ctx.model.log_groups[gi];
            let kept = match &g.retention_in_days {
                Value::Known(d, span) if *d > 0 => Kept::Days(*d, *span),
                Value::Unknown(_) => Kept::Unknown,
                _ => Kept::Forever,
            };
            (g, kept)
        });
        let Kept::Days(s3_days, s3_span) = s3 else {
            continue;
        };
        if s3_days >= min {
            continue;
        }
        let Some(bi) = t.bucket else { continue };
        let b = &ctx.model.buckets[bi];
        let (span, resource, message, help) = match &group {
            None => (
                s3_span,
                &b.origin.address,
                format!(
                    "bucket `{}` expires the logs of trail `{}` after {}, under the minimum of {}, and no other copy is kept",
                    b.origin.address,
                    t.origin.address,
                    days(s3_days),
                    days(min)
                ),
                format!("expire CloudTrail objects after at least {}, or transition them to a cheaper storage class instead", days(min)),
            ),
            Some((_, Kept::Forever | Kept::Unknown)) => continue,
            Some((g, Kept::Days(g_days, g_span))) => {
                if s3_days.max(*g_days) >= min {
                    continue;
                }
                let copies = format!(
                    "bucket `{}` expires the logs of trail `{}` after {} and log group `{}` keeps its CloudWatch copy {}: every copy is gone before the minimum of {}",
                    b.origin.address,
                    t.origin.address,
                    days(s3_days),
                    g.origin.address,
                    days(*g_days),
                    days(min)
                );
                // Point at the copy kept longer: extending it is the smaller change.
                if *g_days > s3_days {
                    (*g_span, &g.origin.address, copies, format!("set `retention_in_days` to at least {min}, or keep the S3 log files longer"))
                } else {
                    (s3_span, &b.origin.address, copies, format!("expire CloudTrail objects after at least {}, or transition them to a cheaper storage class instead", days(min)))
                }
            }
        };
        out.push(Diag::new(span, message).resource(resource).help(help));
    }
}
