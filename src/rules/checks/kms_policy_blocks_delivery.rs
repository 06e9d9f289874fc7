//! `kms-policy-blocks-delivery`: the trail's KMS key (in the repo) does not let CloudTrail
//! generate data keys, so nothing can be encrypted and delivered. The decision is the
//! simulation's (`simulate::delivery`).

use crate::model::Value;
use crate::rules::{Diag, RuleContext};
use crate::simulate::delivery::{self, Verdict};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        if let Verdict::Blocked(blocks) = delivery::kms(ctx.model, t) {
            let key_span = t
                .kms_key_id
                .as_ref()
                .and_then(Value::span)
                .unwrap_or(t.origin.span);
            for b in blocks {
                out.push(
                    Diag::new(b.span, b.reason)
                        .secondary(key_span, "the trail encrypts with this key")
                        .resource(&t.origin.address)
                        .help(b.help),
                );
            }
        }
    }
}
