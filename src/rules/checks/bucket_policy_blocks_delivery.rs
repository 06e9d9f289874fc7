//! `bucket-policy-blocks-delivery`: the trail's bucket policy (in the repo) does not let
//! CloudTrail check the bucket ACL and write under `AWSLogs/`, or denies it.

use crate::model::iam::{Decision, PolicyDocument, Request, UNKNOWN_MARK};
use crate::model::{Trail, Value};
use crate::rules::helpers::{or_unknown, partition, show, trail_arn};
use crate::rules::{Diag, RuleContext};

const SERVICE: &str = "cloudtrail.amazonaws.com";

/// The object key CloudTrail writes for this trail (account unknown).
fn log_object_arn(t: &Trail, bucket: &str) -> String {
    let prefix = match &t.s3_key_prefix {
        Some(v) => match or_unknown(v) {
            p if p.is_empty() => String::new(),
            p => format!("{p}/"),
        },
        None => String::new(),
    };
    format!(
        "arn:{}:s3:::{bucket}/{prefix}AWSLogs/{UNKNOWN_MARK}/CloudTrail/{UNKNOWN_MARK}.json.gz",
        partition(t)
    )
}

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        let Some(bi) = t.bucket else { continue };
        let b = &ctx.model.buckets[bi];
        let bucket_name = or_unknown(&b.name);
        if b.policies.is_empty() {
            out.push(
                Diag::new(
                    b.origin.span,
                    format!(
                        "bucket `{}` has no bucket policy: CloudTrail cannot deliver the logs of trail `{}` (CreateTrail fails with InsufficientS3BucketPolicyException)",
                        b.origin.address, t.origin.address
                    ),
                )
                .secondary(t.s3_bucket_name.span().unwrap_or(t.origin.span), "the trail delivers here")
                .resource(&t.origin.address)
                .help("add an `aws_s3_bucket_policy` allowing cloudtrail.amazonaws.com s3:GetBucketAcl on the bucket and s3:PutObject on AWSLogs/<account>/* with `s3:x-amz-acl = bucket-owner-full-control`"),
            );
            continue;
        }
        let mut doc = PolicyDocument::default();
        let mut span = None;
        let mut unknown = false;
        for p in &b.policies {
            match &p.document {
                Value::Known(d, s) => {
                    doc.statements.extend(d.statements.iter().cloned());
                    span = Some(*s);
                }
                _ => unknown = true,
            }
        }
        let Some(span) = span else { continue };
        let arn = trail_arn(t);
        let ctx_keys = [
            ("aws:SourceArn", arn.as_str()),
            ("aws:SourceAccount", "\u{E000}"),
            ("s3:x-amz-acl", "bucket-owner-full-control"),
        ];
        let bucket_arn = format!("arn:{}:s3:::{bucket_name}", partition(t));
        let object_arn = log_object_arn(t, &bucket_name);
        for (action, resource) in [
            ("s3:GetBucketAcl", &bucket_arn),
            ("s3:PutObject", &object_arn),
        ] {
            let req = Request {
                service: SERVICE,
                action,
                resource,
                context: &ctx_keys,
                absent: &[],
            };
            let why = match doc.decide(&req) {
                Decision::Allowed | Decision::Unknown => continue,
                Decision::NotAllowed if unknown => continue,
                Decision::NotAllowed => format!(
                    "no statement allows cloudtrail.amazonaws.com `{action}` on `{}`",
                    show(resource)
                ),
                Decision::Denied(i) => {
                    let sid = doc.statements[i]
                        .sid
                        .clone()
                        .map_or_else(|| format!("#{}", i + 1), |s| format!("`{s}`"));
                    format!(
                        "statement {sid} denies cloudtrail.amazonaws.com `{action}` on `{}`",
                        show(resource)
                    )
                }
            };
            out.push(
                Diag::new(
                    span,
                    format!("the policy of bucket `{}` blocks delivery for trail `{}`: {why}", b.origin.address, t.origin.address),
                )
                .secondary(t.s3_bucket_name.span().unwrap_or(t.origin.span), "the trail delivers here")
                .resource(&t.origin.address)
                .help(format!(
                    "allow Principal {{\"Service\": \"cloudtrail.amazonaws.com\"}} `{action}` on `{}`",
                    show(resource).replace("<unknown>/CloudTrail/<unknown>.json.gz", "*")
                )),
            );
        }
    }
}
