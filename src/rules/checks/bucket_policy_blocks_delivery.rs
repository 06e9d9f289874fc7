//! `bucket-policy-blocks-delivery`: the trail's bucket policy (in the repo) does not let
//! CloudTrail check the bucket ACL and write under `AWSLogs/`, or denies it. The decision
//! is the simulation's (`simulate::delivery`).

use crate::rules::{Diag, RuleContext};
use crate::simulate::delivery::{self, Verdict};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        if let Verdict::Blocked(blocks) = delivery::s3(ctx.model, t) {
            for b in blocks {
                out.push(
                    Diag::new(b.span, b.reason)
                        .secondary(
                            t.s3_bucket_name.span().unwrap_or(t.origin.span),
                            "the trail delivers here",
                        )
                        .resource(&t.origin.address)
                        .help(b.help),
                );
            }
        }
    }
}
