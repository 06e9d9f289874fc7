//! Delivery: would CloudTrail be allowed to write a trail's logs? The bucket policy and
//! KMS key policy found in the repository are evaluated with the IAM evaluator for the
//! requests CloudTrail makes (cloudtrail-model.md §6).

use crate::model::arn::{or_unknown, partition, show, trail_arn};
use crate::model::iam::{Decision, PolicyDocument, Request, UNKNOWN_MARK};
use crate::model::{Model, Trail, Value};
use crate::source::Span;
use serde::Serialize;

const SERVICE: &str = "cloudtrail.amazonaws.com";

/// Why delivery would be refused.
#[derive(Debug, Clone, Serialize)]
pub struct Block {
    #[serde(skip)]
    pub span: Span,
    pub reason: String,
    pub help: String,
}

/// The verdict for one trail and one destination.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "verdict", content = "blocks", rename_all = "snake_case")]
pub enum Verdict {
    /// The resource (bucket, key) is not declared in the repository.
    NotInRepo,
    /// Depends on values trailcheck could not resolve.
    Unknown,
    Allowed,
    Blocked(Vec<Block>),
}

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

fn sid(doc: &PolicyDocument, i: usize) -> String {
    doc.statements[i]
        .sid
        .clone()
        .map_or_else(|| format!("#{}", i + 1), |s| format!("`{s}`"))
}

/// S3: `s3:GetBucketAcl` on the bucket and `s3:PutObject` under `AWSLogs/`.
#[must_use]
pub fn s3(model: &Model, t: &Trail) -> Verdict {
    let Some(bi) = t.bucket else {
        return Verdict::NotInRepo;
    };
    let b = &model.buckets[bi];
    let bucket_name = or_unknown(&b.name);
    if b.policies.is_empty() {
        return Verdict::Blocked(vec![Block {
            span: b.origin.span,
            reason: format!(
                "bucket `{}` has no bucket policy: CloudTrail cannot deliver the logs of trail `{}` (CreateTrail fails with InsufficientS3BucketPolicyException)",
                b.origin.address, t.origin.address
            ),
            help: "add an `aws_s3_bucket_policy` allowing cloudtrail.amazonaws.com s3:GetBucketAcl on the bucket and s3:PutObject on AWSLogs/<account>/* with `s3:x-amz-acl = bucket-owner-full-control`".into(),
        }]);
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
    let Some(span) = span else {
        return Verdict::Unknown;
    };
    let arn = trail_arn(t);
    let context = [
        ("aws:SourceArn", arn.as_str()),
        ("aws:SourceAccount", "\u{E000}"),
        ("s3:x-amz-acl", "bucket-owner-full-control"),
        // CloudTrail writes over TLS.
        ("aws:SecureTransport", "true"),
    ];
    let bucket_arn = format!("arn:{}:s3:::{bucket_name}", partition(t));
    let object_arn = log_object_arn(t, &bucket_name);
    let mut blocks = Vec::new();
    let mut any_unknown = false;
    for (action, resource) in [
        ("s3:GetBucketAcl", &bucket_arn),
        ("s3:PutObject", &object_arn),
    ] {
        let req = Request {
            service: SERVICE,
            action,
            resource,
            context: &context,
            absent: &[],
        };
        let why = match doc.decide(&req) {
            Decision::Allowed => continue,
            Decision::Unknown => {
                any_unknown = true;
                continue;
            }
            Decision::NotAllowed if unknown => {
                any_unknown = true;
                continue;
            }
            Decision::NotAllowed => format!(
                "no statement allows cloudtrail.amazonaws.com `{action}` on `{}`",
                show(resource)
            ),
            Decision::Denied(i) => format!(
                "statement {} denies cloudtrail.amazonaws.com `{action}` on `{}`",
                sid(&doc, i),
                show(resource)
            ),
        };
        blocks.push(Block {
            span,
            reason: format!(
                "the policy of bucket `{}` blocks delivery for trail `{}`: {why}",
                b.origin.address, t.origin.address
            ),
            help: format!(
                "allow Principal {{\"Service\": \"cloudtrail.amazonaws.com\"}} `{action}` on `{}`",
                show(resource).replace("<unknown>/CloudTrail/<unknown>.json.gz", "*")
            ),
        });
    }
    match (blocks.is_empty(), any_unknown) {
        (false, _) => Verdict::Blocked(blocks),
        (true, true) => Verdict::Unknown,
        (true, false) => Verdict::Allowed,
    }
}

/// KMS: `kms:GenerateDataKey*` for CloudTrail on the trail's key.
#[must_use]
pub fn kms(model: &Model, t: &Trail) -> Verdict {
    let Some(ki) = t.kms_key else {
        return if t.kms_key_id.is_some() {
            Verdict::NotInRepo
        } else {
            Verdict::Allowed
        };
    };
    let k = &model.kms_keys[ki];
    let Some(policy) = &k.policy else {
        return Verdict::Blocked(vec![Block {
            span: k.origin.span,
            reason: format!(
                "KMS key `{}` has no key policy, so the default policy applies (account principals only): CloudTrail cannot use it to encrypt the logs of trail `{}`",
                k.origin.address, t.origin.address
            ),
            help: "add a key policy statement allowing cloudtrail.amazonaws.com `kms:GenerateDataKey*` (with an encryption-context condition on the trail ARN)".into(),
        }]);
    };
    let Value::Known(doc, span) = &policy.document else {
        return Verdict::Unknown;
    };
    let arn = trail_arn(t);
    let context = [
        ("kms:EncryptionContext:aws:cloudtrail:arn", arn.as_str()),
        ("aws:SourceArn", arn.as_str()),
        ("aws:SourceAccount", "\u{E000}"),
        ("aws:SecureTransport", "true"),
    ];
    let req = Request {
        service: SERVICE,
        action: "kms:GenerateDataKey",
        resource: "*",
        context: &context,
        absent: &[],
    };
    let why = match doc.decide(&req) {
        Decision::Allowed => return Verdict::Allowed,
        Decision::Unknown => return Verdict::Unknown,
        Decision::NotAllowed => {
            "no statement allows cloudtrail.amazonaws.com `kms:GenerateDataKey*`".to_owned()
        }
        Decision::Denied(i) => format!(
            "statement {} denies cloudtrail.amazonaws.com `kms:GenerateDataKey*`",
            sid(doc, i)
        ),
    };
    Verdict::Blocked(vec![Block {
        span: *span,
        reason: format!("the policy of KMS key `{}` blocks encryption for trail `{}`: {why}", k.origin.address, t.origin.address),
        help: "allow Principal {\"Service\": \"cloudtrail.amazonaws.com\"} `kms:GenerateDataKey*` on `*` with condition StringLike `kms:EncryptionContext:aws:cloudtrail:arn` = `arn:aws:cloudtrail:*:<account>:trail/*`".into(),
    }])
}

/// One line for the simulate summary.
#[must_use]
pub fn describe(model: &Model, t: &Trail) -> String {
    let part = |what: &str, v: Verdict| match v {
        Verdict::NotInRepo => format!("{what}: not in the repo, not checked"),
        Verdict::Unknown => format!("{what}: depends on unresolved values"),
        Verdict::Allowed => format!("{what}: allowed"),
        Verdict::Blocked(b) => format!(
            "{what}: REFUSED ({})",
            b.iter()
                .map(|x| x.reason.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
    };
    let mut s = part("bucket policy", s3(model, t));
    if t.kms_key_id.is_some() {
        s.push_str("; ");
        s.push_str(&part("KMS key policy", kms(model, t)));
    }
    s
}
