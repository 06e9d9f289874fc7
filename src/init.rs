//! `trailcheck init`: write a commented starter `.trailcheck.yaml`.

use crate::cli::InitArgs;
use crate::Outcome;
use miette::{miette, IntoDiagnostic, WrapErr};
use std::io::Write;

/// The starter config: every key with its default, and commented examples.
pub const STARTER: &str = include_str!("starter-config.yaml");

pub(crate) fn run(args: &InitArgs) -> miette::Result<Outcome> {
    let path = args.dir.join(crate::config::FILE_NAME);
    if path.exists() && !args.force {
        return Err(miette!(
            help = "pass --force to overwrite it",
            "{} already exists",
            path.display()
        ));
    }
    // Atomic: a symlinked `.trailcheck.yaml` is replaced, never written through.
    crate::fsio::write_atomic(&path, STARTER.as_bytes())
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write {}", path.display()))?;
    let _ = writeln!(std::io::stdout().lock(), "wrote {}", path.display());
    Ok(Outcome::Clean)
}
