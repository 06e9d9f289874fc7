//! Command-line interface (clap derive). No logic lives here.
use clap::{Parser, Subcommand};

/// Lint, simulate and verify AWS CloudTrail as written in Terraform and CloudFormation.
#[derive(Debug, Parser)]
#[command(name = "trailcheck", version, about, long_about = None)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the rule catalog or explain one rule.
    Rules(RulesArgs),
    /// Validate log file integrity of a trail's bucket from its digest files.
    Verify(Box<crate::verify::VerifyArgs>),
}

#[derive(Debug, clap::Args)]
pub struct RulesArgs {}
