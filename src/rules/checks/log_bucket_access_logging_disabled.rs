//! `log-bucket-access-logging-disabled`: the trail's bucket (in the repo) has no server
//! access logging, so reads of the audit logs leave no trace.

use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let mut seen = std::collections::HashSet::new();
    for t in &ctx.model.trails {
        let Some(bi) = t.bucket else { continue };
        let b = &ctx.model.buckets[bi];
        if b.access_logging.is_some() || !seen.insert(bi) {
            continue;
        }
        out.push(
            Diag::new(
                b.origin.span,
                format!(
                    "bucket `{}` receives the logs of trail `{}` but has no server access logging: who read or deleted audit logs cannot be traced",
                    b.origin.address, t.origin.address
                ),
            )
            .secondary(t.s3_bucket_name.span().unwrap_or(t.origin.span), "the trail delivers here")
            .resource(&b.origin.address)
            .help_in(
                "add an `aws_s3_bucket_logging` resource that sends access logs to another bucket",
                "set `LoggingConfiguration` with a `DestinationBucketName` of another bucket",
            ),
        );
    }
}
