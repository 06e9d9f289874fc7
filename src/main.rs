//! The `trailcheck` binary: parse arguments, run, map the outcome to an exit code.
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = trailcheck::cli::Args::parse();
    match trailcheck::run(args) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(err) => {
            // `run` already rendered what it could; this is the last resort report.
            eprintln!("{err:?}");
            ExitCode::from(2)
        }
    }
}
