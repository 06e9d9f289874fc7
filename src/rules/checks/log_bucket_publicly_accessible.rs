//! `log-bucket-publicly-accessible`: the trail's bucket is public by ACL or policy (high),
//! or is not public but lacks a public access block (low) or turns part of it off
//! (medium).

use crate::model::{Bucket, Value};
use crate::rules::{Diag, RuleContext, Severity};
use crate::source::Span;

/// Why the bucket is (or may become) public, and how bad that is; `None` when it is
/// protected or unknown.
fn problem(b: &Bucket) -> Option<(Span, String, Severity)> {
    if let Some(Value::Known(acl, span)) = &b.acl {
        if matches!(
            acl.as_str(),
            "public-read" | "public-read-write" | "authenticated-read"
        ) {
            let who = if acl == "authenticated-read" {
                "any AWS user"
            } else {
                "anyone"
            };
            return Some((
                *span,
                format!("the bucket ACL is `{acl}`: {who} can read the audit logs"),
                Severity::High,
            ));
        }
    }
    if let Some(span) = b.acl_grants_public {
        return Some((
            span,
            "an ACL grant gives access to all users".into(),
            Severity::High,
        ));
    }
    for p in &b.policies {
        if let Value::Known(doc, span) = &p.document {
            if let Some(i) = doc.public_statement() {
                let sid = doc.statements[i]
                    .sid
                    .clone()
                    .map_or_else(|| format!("#{}", i + 1), |s| format!("`{s}`"));
                return Some((
                    *span,
                    format!("bucket policy statement {sid} allows `Principal: \"*\"` without a condition"),
                    Severity::High,
                ));
            }
        }
    }
    // Not public now: what is left is a missing or partial guard against a later change.
    match &b.public_access_block {
        None => Some((
            b.origin.span,
            "it is not public, but no `aws_s3_bucket_public_access_block` is declared for it: S3 blocks public access on new buckets by default, yet nothing in this configuration keeps a later ACL or policy change from exposing the audit logs".into(),
            Severity::Low,
        )),
        Some(pab) => {
            let flags = [
                ("block_public_acls", &pab.block_public_acls),
                ("block_public_policy", &pab.block_public_policy),
                ("ignore_public_acls", &pab.ignore_public_acls),
                ("restrict_public_buckets", &pab.restrict_public_buckets),
            ];
            let off: Vec<&str> = flags.iter().filter(|(_, v)| v.is_false()).map(|(n, _)| *n).collect();
            if off.is_empty() {
                return None;
            }
            let span = flags
                .iter()
                .find(|(_, v)| v.is_false())
                .and_then(|(_, v)| v.span())
                .unwrap_or(pab.span);
            Some((
                span,
                format!(
                    "it is not public, but its public access block turns off {}: a public ACL or policy added later would take effect",
                    off.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                ),
                Severity::Medium,
            ))
        }
    }
}

/// All four settings known to be true.
fn full(pab: &crate::model::PublicAccessBlock) -> bool {
    [
        &pab.block_public_acls,
        &pab.block_public_policy,
        &pab.ignore_public_acls,
        &pab.restrict_public_buckets,
    ]
    .iter()
    .all(|v| v.is_true())
}

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let mut seen = std::collections::HashSet::new();
    for t in &ctx.model.trails {
        let Some(bi) = t.bucket else { continue };
        if !seen.insert(bi) {
            continue;
        }
        let b = &ctx.model.buckets[bi];
        // An account-level block with all four settings overrides every bucket's ACLs and
        // policies: nothing in that account can be public. It is the account of the unit
        // that declares it; another unit of the checkout may be another account.
        if ctx
            .model
            .account_public_access_blocks
            .iter()
            .any(|(unit, pab)| *unit == b.origin.unit && full(pab))
        {
            continue;
        }
        if let Some((span, why, severity)) = problem(b) {
            out.push(
                Diag::new(span, format!("bucket `{}` holds the logs of trail `{}`: {why}", b.origin.address, t.origin.address))
                    .resource(&b.origin.address)
                    .severity(severity)
                    .help_in(
                        "add an `aws_s3_bucket_public_access_block` with all four settings true, and keep the ACL private",
                        "add a `PublicAccessBlockConfiguration` with `BlockPublicAcls`, `BlockPublicPolicy`, `IgnorePublicAcls` and `RestrictPublicBuckets` true, and keep `AccessControl` private",
                    ),
            );
        }
    }
}
