//! The `trailcheck` binary: parse arguments, run, map the outcome to an exit code.
use clap::Parser;
use std::process::ExitCode;

// The evaluator allocates many small short-lived values; mimalloc is markedly faster than
// the system allocator for that pattern.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
