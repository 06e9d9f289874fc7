//! `log-file-validation-disabled`: no digest files, so tampering cannot be proven.

use crate::rules::helpers::{describe_bool, span_or};
use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        if !t.enable_log_file_validation.is_false() {
            continue;
        }
        out.push(
            Diag::new(
                span_or(&t.enable_log_file_validation, &t.origin),
                format!(
                    "{}: CloudTrail writes no signed digest files, so a modified or deleted log file cannot be detected",
                    describe_bool("enable_log_file_validation", &t.enable_log_file_validation)
                ),
            )
            .resource(&t.origin.address)
            .help("set `enable_log_file_validation = true`"),
        );
    }
}
