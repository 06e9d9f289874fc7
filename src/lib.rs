//! trailcheck: lint, simulate and verify AWS CloudTrail as written in Terraform and
//! CloudFormation.
//!
//! Data flow: `discover` → `frontend` → `model` → `rules` → `report`. `model` is the only
//! module that front ends and rules share; front ends never import `rules` or `report`.

pub mod check;
pub mod cli;
pub mod config;
pub mod discover;
pub mod frontend;
pub mod fsio;
pub mod model;
pub mod report;
pub mod rules;
pub mod simulate;
pub mod source;

mod explain;
pub mod init;
mod rule_tests;
pub mod verify;

/// What a command concluded, mapped by `main` to the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing at or above the failure threshold.
    Clean,
    /// Findings at or above `--fail-on` (for `verify`: an integrity failure).
    Findings,
    /// Usage error, unreadable input or internal error.
    Error,
}

impl Outcome {
    #[must_use]
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Findings => 1,
            Outcome::Error => 2,
        }
    }
}

/// Runs one command line.
///
/// # Errors
/// Returns an error for failures that are not findings (I/O, usage); `main` maps them to 2.
pub fn run(args: cli::Args) -> miette::Result<Outcome> {
    match args.command {
        cli::Command::Check(a) => check::run(&a),
        cli::Command::Simulate(a) => check::simulate(&a),
        cli::Command::Rules(a) => explain::run(&a),
        cli::Command::Init(a) => init::run(&a),
        cli::Command::Verify(args) => verify::run(&args),
    }
}
