//! `kms-policy-blocks-delivery`: the trail's KMS key (in the repo) does not let CloudTrail
//! generate data keys, so nothing can be encrypted and delivered.

use crate::model::iam::{Decision, Request};
use crate::model::Value;
use crate::rules::helpers::trail_arn;
use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        let Some(ki) = t.kms_key else { continue };
        let k = &ctx.model.kms_keys[ki];
        let key_span = t
            .kms_key_id
            .as_ref()
            .and_then(Value::span)
            .unwrap_or(t.origin.span);
        let Some(policy) = &k.policy else {
            out.push(
                Diag::new(
                    k.origin.span,
                    format!(
                        "KMS key `{}` has no key policy, so the default policy applies (account principals only): CloudTrail cannot use it to encrypt the logs of trail `{}`",
                        k.origin.address, t.origin.address
                    ),
                )
                .secondary(key_span, "the trail encrypts with this key")
                .resource(&t.origin.address)
                .help("add a key policy statement allowing cloudtrail.amazonaws.com `kms:GenerateDataKey*` (with an encryption-context condition on the trail ARN)"),
            );
            continue;
        };
        let Value::Known(doc, span) = &policy.document else {
            continue;
        };
        let arn = trail_arn(t);
        let context = [
            ("kms:EncryptionContext:aws:cloudtrail:arn", arn.as_str()),
            ("aws:SourceArn", arn.as_str()),
            ("aws:SourceAccount", "\u{E000}"),
        ];
        let req = Request {
            service: "cloudtrail.amazonaws.com",
            action: "kms:GenerateDataKey",
            resource: "*",
            context: &context,
            absent: &[],
        };
        let why = match doc.decide(&req) {
            Decision::Allowed | Decision::Unknown => continue,
            Decision::NotAllowed => {
                "no statement allows cloudtrail.amazonaws.com `kms:GenerateDataKey*`".to_owned()
            }
            Decision::Denied(i) => format!(
                "statement #{} denies cloudtrail.amazonaws.com `kms:GenerateDataKey*`",
                i + 1
            ),
        };
        out.push(
            Diag::new(
                *span,
                format!("the policy of KMS key `{}` blocks encryption for trail `{}`: {why}", k.origin.address, t.origin.address),
            )
            .secondary(key_span, "the trail encrypts with this key")
            .resource(&t.origin.address)
            .help("allow Principal {\"Service\": \"cloudtrail.amazonaws.com\"} `kms:GenerateDataKey*` on `*` with condition StringLike `kms:EncryptionContext:aws:cloudtrail:arn` = `arn:aws:cloudtrail:*:<account>:trail/*`"),
        );
    }
}
