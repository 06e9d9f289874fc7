//! Command-line interface (clap derive). No logic lives here.
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Lint, simulate and verify AWS CloudTrail as written in Terraform and CloudFormation.
///
/// Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error, unreadable input
/// or internal error.
#[derive(Debug, Parser)]
#[command(name = "trailcheck", version, about, long_about = None, propagate_version = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check Terraform for CloudTrail problems (the rule catalog: `trailcheck rules list`).
    Check(Box<CheckArgs>),
    /// Run the declared trails through a simulated CloudTrail: what they capture in
    /// every account and region, where they deliver, and what they cost per month.
    Simulate(Box<SimulateArgs>),
    /// List the rule catalog or explain one rule.
    Rules(RulesArgs),
    /// Write a commented starter `.trailcheck.yaml` into a directory.
    Init(InitArgs),
    /// Validate log file integrity of a trail's bucket from its digest files.
    Verify(Box<crate::verify::VerifyArgs>),
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Directory to write `.trailcheck.yaml` into.
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Overwrite an existing `.trailcheck.yaml`.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimulateFormat {
    /// Coverage matrix, per-trail summary and cost as text.
    Human,
    /// The `trailcheck-simulate/v1` JSON document.
    Json,
    /// Markdown tables (for `$GITHUB_STEP_SUMMARY` or a pull-request comment).
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Files or directories to simulate. [default: .]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = SimulateFormat::Human)]
    pub format: SimulateFormat,

    /// Write the output to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Workload profile (YAML or JSON): events per month per account and region by
    /// category, overriding the documented defaults.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,

    /// Configuration file with the deployment context (organization, accounts, regions,
    /// deployments). [default: .trailcheck.yaml found upward from the first path]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Let `.gitignore`/`.ignore` files hide `.tf` files too. By default they do not, as
    /// Terraform loads every `.tf` file of a module whatever they say; skipped files are
    /// reported as `file-not-checked`.
    #[arg(long)]
    pub respect_ignore: bool,

    /// Set a Terraform root-module variable (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,

    /// Read Terraform variables from a .tfvars or .tfvars.json file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,

    /// Override a CloudFormation template parameter (repeatable).
    #[arg(long = "parameter", value_name = "NAME=VALUE")]
    pub parameters: Vec<String>,

    /// The region CloudFormation templates are deployed to; unknown when not given.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Write a realistic bucket mirror for the declared trails into DIR: gzip'd log files
    /// and signed, chained digest files per account and region (the layout `trailcheck
    /// verify --local` reads), plus DIR/public-keys.json.
    #[arg(long, value_name = "DIR", requires = "signing_key")]
    pub emit: Option<PathBuf>,

    /// Hours of logs and digests to write with --emit (1 to 87600).
    #[arg(long, value_name = "N", default_value_t = 24, requires = "emit",
          value_parser = clap::value_parser!(u32).range(1..=i64::from(crate::verify::emit::MAX_EMIT_HOURS)))]
    pub hours: u32,

    /// RSA private key (PKCS#1 or PKCS#8 PEM) that signs the digests written by --emit;
    /// its public half goes into DIR/public-keys.json.
    #[arg(long, value_name = "KEY.pem", requires = "emit")]
    pub signing_key: Option<PathBuf>,

    /// First hour written by --emit (ISO-8601). [default: the current hour minus --hours]
    #[arg(long, value_name = "TIME", requires = "emit")]
    pub emit_start: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Diagnostics with source snippets and a summary line.
    Human,
    /// The versioned `trailcheck/v1` JSON document.
    Json,
    /// SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`).
    Sarif,
    /// GitHub Actions workflow commands: annotations on the pull request.
    Github,
    /// JUnit XML: one failed test case per rule and resource, for CI dashboards.
    Junit,
    /// A Markdown summary for `$GITHUB_STEP_SUMMARY` and pull-request comments.
    Markdown,
}

/// Formats of `trailcheck rules list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// One line per rule.
    Human,
    /// The catalog as a JSON array.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or directories to check. A file brings in the rest of its module. [default: .]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit with 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Low, value_name = "SEVERITY")]
    pub fail_on: FailOn,

    /// Run only these rules (names like `trail-single-region` or ids like `CT001`;
    /// comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub select: Vec<String>,

    /// Turn on rules that are off by default or in the config (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub enable: Vec<String>,

    /// Turn off these rules (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub disable: Vec<String>,

    /// Set a Terraform root-module variable, as `terraform plan -var` does (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,

    /// Configuration file (rules, ignores, deployment context).
    /// [default: .trailcheck.yaml found upward from the first path]
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Workload profile (YAML or JSON) for the cost estimates in findings.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,

    /// Print the normalized model as JSON instead of findings (for debugging front ends).
    #[arg(long, hide = true)]
    pub dump_model: bool,

    /// Read Terraform variables from a .tfvars or .tfvars.json file, after
    /// terraform.tfvars(.json) and *.auto.tfvars(.json) (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,

    /// Override a CloudFormation template parameter (repeatable).
    #[arg(long = "parameter", value_name = "NAME=VALUE")]
    pub parameters: Vec<String>,

    /// The region CloudFormation templates are deployed to (a template names none);
    /// unknown when not given.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Ignore any `.trailcheck.yaml`.
    #[arg(long)]
    pub no_config: bool,

    /// Let `.gitignore`/`.ignore` files hide `.tf` files too. By default they do not, as
    /// Terraform loads every `.tf` file of a module whatever they say; skipped files are
    /// reported as `file-not-checked`.
    #[arg(long)]
    pub respect_ignore: bool,

    /// Report only findings that are not in this baseline file (written by
    /// --write-baseline); known findings are counted on standard error.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Write every current finding to this baseline file and exit 0, so that later runs
    /// with --baseline report only new findings.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Load user rules (declarative YAML, see docs/user-rules.md) from this directory, in
    /// addition to the config's `extra_rules` (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rule_dirs: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: Option<RulesCommand>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule: id, name, severity, category and title.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Print a rule's documentation: why it matters, how to fix it, references.
    Explain {
        /// Rule name (`trail-single-region`) or id (`CT001`).
        rule: String,
    },
    /// Run the `tests:` cases of user rules; exit 1 if any case does not give its
    /// expected outcome.
    Test {
        /// Directories of user rules [default: the config's `extra_rules`].
        dirs: Vec<PathBuf>,
    },
}
