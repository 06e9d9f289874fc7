//! `file-not-checked`: a file found under a checked path but not read (excluded, ignored,
//! not a regular file, a symlink loop), so a clean report never hides it.

use crate::rules::{Diag, RuleContext};

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for e in &ctx.model.skipped_files {
        out.push(Diag::new(e.span, format!("this file {}", e.message)).help(
            "to check it, name it on the command line or remove what skips it; if it is \
             skipped on purpose, `--disable file-not-checked` silences these notes",
        ));
    }
}
