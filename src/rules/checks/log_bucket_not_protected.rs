//! `log-bucket-not-protected`: the trail's bucket has neither versioning nor object lock,
//! so a deleted or overwritten log file is gone.

use crate::model::Value;
use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let mut seen = std::collections::HashSet::new();
    for t in &ctx.model.trails {
        let Some(bi) = t.bucket else { continue };
        let b = &ctx.model.buckets[bi];
        let versioned = match &b.versioning {
            Some(Value::Unknown(_)) => continue,
            Some(v) => v.get().is_some_and(|s| s == "Enabled"),
            None => false,
        };
        let locked = match &b.object_lock {
            Some(Value::Unknown(_)) => continue,
            Some(v) => v.is_true(),
            None => false,
        };
        if versioned || locked || !seen.insert(bi) {
            continue;
        }
        let (span, what) = match &b.versioning {
            Some(v) => (
                v.span().unwrap_or(b.origin.span),
                "versioning is not enabled",
            ),
            None => (b.origin.span, "no versioning configuration"),
        };
        out.push(
            Diag::new(
                span,
                format!(
                    "bucket `{}` holds the logs of trail `{}` with {what} and no object lock: a deleted or overwritten log file cannot be recovered",
                    b.origin.address, t.origin.address
                ),
            )
            .resource(&b.origin.address)
            .help_in(
                "add an `aws_s3_bucket_versioning` with `status = \"Enabled\"` (or object lock in compliance mode)",
                "set `VersioningConfiguration: {Status: Enabled}` (or `ObjectLockEnabled: true` with an `ObjectLockConfiguration` in compliance mode)",
            ),
        );
    }
}
