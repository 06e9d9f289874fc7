//! `trailcheck check`: discover → front ends → rules → report.

use crate::cli::{CheckArgs, FailOn, Format};
use crate::config::Config;
use crate::frontend::TfOptions;
use crate::model::{InputError, Model};
use crate::report::{human, json, Report};
use crate::rules::{self, Finding, Selection, Settings, Severity, CATALOG};
use crate::simulate::cost::{CostLine, Profile};
use crate::simulate::{Context, Simulation};
use crate::source::{SourceMap, Span};
use crate::Outcome;
use miette::{miette, IntoDiagnostic, WrapErr};
use std::io::Write;
use std::path::PathBuf;

/// The result of analysing some paths: the model, the sources it came from, the findings.
pub struct Analysis {
    pub model: Model,
    pub sources: SourceMap,
    pub findings: Vec<Finding>,
    pub simulation: Simulation,
    pub costs: Vec<CostLine>,
    pub profile: Profile,
}

/// Options of one analysis (the library entry point used by tests and the CLI).
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub terraform: TfOptions,
    pub cloudformation: crate::frontend::CfnOptions,
    pub selection: Selection,
    pub settings: Settings,
    /// Check exactly the files given (no module expansion); used by fixture tests where
    /// several single-file cases share a directory.
    pub exact_files: bool,
    /// The configuration; when `None`, `.trailcheck.yaml` is searched upward from the
    /// first path (unless `no_config_search`).
    pub config: Option<Config>,
    pub no_config_search: bool,
    /// Workload profile for cost estimates (default: the documented defaults).
    pub profile: Option<Profile>,
}

/// Discovers, loads and checks `paths`.
///
/// # Errors
/// When a path given cannot be read at all.
pub fn analyze(paths: &[PathBuf], opts: &Options) -> Result<Analysis, String> {
    let found = if opts.exact_files {
        let (terraform, other) = paths.iter().cloned().partition(|p| {
            crate::discover::classify(p) != Some(crate::discover::SourceKind::Other)
        });
        crate::discover::Discovered {
            terraform,
            other,
            errors: Vec::new(),
        }
    } else {
        crate::discover::discover(paths)
    };
    if let Some((p, e)) = found.errors.iter().find(|(p, _)| paths.contains(p)) {
        return Err(format!("cannot read {}: {e}", p.display()));
    }
    let mut sources = SourceMap::default();
    let mut walk_errors = Vec::new();
    for (p, e) in &found.errors {
        let f = sources.add(p.clone(), "");
        walk_errors.push(InputError {
            span: Span::new(f.id, 0..0),
            message: e.clone(),
        });
    }
    let found_config;
    let config = match (&opts.config, opts.no_config_search) {
        (Some(c), _) => Some(c),
        (None, true) => None,
        (None, false) => {
            found_config = match paths.first().and_then(|p| Config::find(p)) {
                Some(p) => Some(Config::load(&p).map_err(|e| e.to_string())?),
                None => None,
            };
            found_config.as_ref()
        }
    };
    let mut cfn_opts = opts.cloudformation.clone();
    if cfn_opts.deployments.is_empty() {
        if let Some(c) = config {
            cfn_opts.deployments = c
                .deployments
                .iter()
                .map(|d| crate::frontend::cloudformation::Deployment {
                    glob: d.path.clone(),
                    root: c.root.clone(),
                    account: d.account.clone(),
                    region: d.region.clone(),
                })
                .collect();
        }
    }
    let (mut model, sources) =
        crate::frontend::terraform::load(&found.terraform, &opts.terraform, sources);
    let (cfn, sources) = crate::frontend::cloudformation::load(&found.other, &cfn_opts, sources);
    model.extend(cfn);
    model.input_errors.extend(walk_errors);
    let profile = match &opts.profile {
        Some(p) => p.clone(),
        None => crate::simulate::cost::profile_from_config(config)?,
    };
    let mut settings = opts.settings.clone();
    if let Some(days) = config.and_then(|c| c.rules.min_retention_days) {
        settings.min_retention_days = days;
    }
    let simulation = crate::simulate::run(&model, &sources, Context::new(config, &model));
    let costs = crate::simulate::cost::compute(&simulation, &model, &profile);
    let ctx = rules::RuleContext {
        model: &model,
        settings: &settings,
        sim: &simulation,
        costs: &costs,
        profile: &profile,
        sources: &sources,
    };
    let findings = rules::run(&ctx, &opts.selection);
    Ok(Analysis {
        model,
        sources,
        findings,
        simulation,
        costs,
        profile,
    })
}

fn severity_threshold(f: FailOn) -> Severity {
    match f {
        FailOn::Info => Severity::Info,
        FailOn::Low => Severity::Low,
        FailOn::Medium => Severity::Medium,
        FailOn::High => Severity::High,
        FailOn::Critical => Severity::Critical,
    }
}

/// Resolves rule names or ids; an unknown one is a usage error that lists the catalog.
fn resolve_rules(names: &[String]) -> miette::Result<Vec<String>> {
    names
        .iter()
        .map(|n| {
            CATALOG
                .find(n.trim())
                .map(|r| r.name.clone())
                .ok_or_else(|| {
                    miette!(
                        help = "run `trailcheck rules list` to see the rule names and ids",
                        "unknown rule {n:?}"
                    )
                })
        })
        .collect()
}

fn parse_vars(vars: &[String]) -> miette::Result<Vec<(String, String)>> {
    vars.iter()
        .map(|v| {
            v.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                .ok_or_else(|| {
                    miette!(
                        help = "write it as --var NAME=VALUE",
                        "invalid --var {v:?}: no `=`"
                    )
                })
        })
        .collect()
}

pub(crate) fn run(args: &CheckArgs) -> miette::Result<Outcome> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    for f in &args.var_files {
        if !f.is_file() {
            return Err(miette!(
                help = "check the path given to --var-file",
                "cannot read var file {}",
                f.display()
            ));
        }
    }
    let opts = Options {
        terraform: TfOptions {
            vars: parse_vars(&args.vars)?,
            var_files: args.var_files.clone(),
        },
        cloudformation: crate::frontend::CfnOptions {
            parameters: parse_vars(&args.parameters)?,
            region: args.region.clone(),
            ..crate::frontend::CfnOptions::default()
        },
        selection: Selection {
            only: resolve_rules(&args.select)?,
            enable: resolve_rules(&args.enable)?,
            disable: resolve_rules(&args.disable)?,
        },
        settings: Settings::default(),
        exact_files: false,
        config: load_config(args.config.as_deref())?,
        no_config_search: false,
        profile: load_profile(args.profile.as_deref())?,
    };
    let analysis = analyze(&paths, &opts)
        .map_err(|e| miette!(help = "check that the path exists and is readable", "{e}"))?;
    if args.dump_model {
        let text = serde_json::to_string_pretty(&analysis.model).into_diagnostic()?;
        let _ = writeln!(std::io::stdout().lock(), "{text}");
        return Ok(Outcome::Clean);
    }
    let report = Report {
        findings: &analysis.findings,
        sources: &analysis.sources,
        files: analysis.sources.len(),
    };
    let text = match args.format {
        Format::Human => {
            let mut style = human::Style::detect();
            if args.output.is_some() {
                style.color = false;
            }
            human::render(&report, style)
        }
        Format::Json => json::render(&report),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot write the report to {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = out.write_all(text.as_bytes());
        }
    }
    let threshold = severity_threshold(args.fail_on);
    Ok(
        if analysis.findings.iter().any(|f| f.severity >= threshold) {
            Outcome::Findings
        } else {
            Outcome::Clean
        },
    )
}

fn load_config(path: Option<&std::path::Path>) -> miette::Result<Option<Config>> {
    path.map(|p| {
        Config::load(p).map_err(|e| miette!(help = "fix the file or pass another --config", "{e}"))
    })
    .transpose()
}

fn load_profile(path: Option<&std::path::Path>) -> miette::Result<Option<Profile>> {
    path.map(|p| {
        crate::simulate::cost::load_profile(p)
            .map_err(|e| miette!(help = "see docs/model.md for the profile fields", "{e}"))
    })
    .transpose()
}

fn write_output(path: Option<&std::path::Path>, text: &str) -> miette::Result<()> {
    match path {
        Some(path) => std::fs::write(path, text)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot write to {}", path.display())),
        None => {
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            Ok(())
        }
    }
}

/// `trailcheck simulate`.
pub(crate) fn simulate(args: &crate::cli::SimulateArgs) -> miette::Result<Outcome> {
    use crate::cli::SimulateFormat;
    use crate::simulate::render;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let opts = Options {
        terraform: TfOptions {
            vars: parse_vars(&args.vars)?,
            var_files: args.var_files.clone(),
        },
        cloudformation: crate::frontend::CfnOptions {
            parameters: parse_vars(&args.parameters)?,
            region: args.region.clone(),
            ..crate::frontend::CfnOptions::default()
        },
        selection: Selection {
            only: vec!["parse-error".into()],
            ..Selection::default()
        },
        config: load_config(args.config.as_deref())?,
        profile: load_profile(args.profile.as_deref())?,
        ..Options::default()
    };
    let a = analyze(&paths, &opts)
        .map_err(|e| miette!(help = "check that the path exists and is readable", "{e}"))?;
    let text = match args.format {
        SimulateFormat::Human => {
            let mut t = render::human(&a.model, &a.simulation, &a.costs, &a.profile);
            for f in &a.findings {
                let report = Report {
                    findings: &a.findings,
                    sources: &a.sources,
                    files: a.sources.len(),
                };
                let loc = report.location(f);
                t.push_str(&format!(
                    "\nwarning: {}:{}:{}: {}",
                    loc.path, loc.start.line, loc.start.column, f.message
                ));
            }
            t
        }
        SimulateFormat::Json => render::json(&a.model, &a.simulation, &a.costs, &a.profile),
        SimulateFormat::Markdown => render::markdown(&a.model, &a.simulation, &a.costs),
    };
    write_output(args.output.as_deref(), &text)?;
    Ok(Outcome::Clean)
}
