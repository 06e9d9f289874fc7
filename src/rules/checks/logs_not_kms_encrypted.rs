//! `logs-not-kms-encrypted`: logs encrypted only with S3-managed keys.

use crate::rules::helpers::absent;
use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        if t.kms_key_id.is_none() {
            let (span, what) = absent(&t.origin, "kms_key_id");
            out.push(
                Diag::new(
                    span,
                    format!("{what}: log files are encrypted with S3-managed keys only, so anyone who can read the bucket can read the logs"),
                )
                .resource(&t.origin.address)
                .help("set `kms_key_id` to the ARN of a customer-managed KMS key whose policy lets CloudTrail use it"),
            );
        }
    }
    for e in &ctx.model.event_data_stores {
        if e.kms_key_id.is_none() {
            let (span, what) = absent(&e.origin, "kms_key_id");
            out.push(
                Diag::new(
                    span,
                    format!("{what}: the event data store is encrypted with an AWS owned key, not a key you control"),
                )
                .resource(&e.origin.address)
                .help("set `kms_key_id` to a customer-managed KMS key (it cannot be changed after creation)"),
            );
        }
    }
}
