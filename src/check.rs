//! `trailcheck check`: discover → front ends → rules → report.

use crate::cli::{CheckArgs, FailOn, Format};
use crate::frontend::TfOptions;
use crate::model::{InputError, Model};
use crate::report::{github, human, json, junit, markdown, sarif, Report};
use crate::rules::{self, Finding, Selection, Settings, Severity, CATALOG};
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
}

/// Options of one analysis (the library entry point used by tests and the CLI).
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub terraform: TfOptions,
    pub selection: Selection,
    pub settings: Settings,
    /// Check exactly the files given (no module expansion); used by fixture tests where
    /// several single-file cases share a directory.
    pub exact_files: bool,
}

/// Discovers, loads and checks `paths`.
///
/// # Errors
/// When a path given cannot be read at all.
pub fn analyze(paths: &[PathBuf], opts: &Options) -> Result<Analysis, String> {
    let found = if opts.exact_files {
        crate::discover::Discovered {
            terraform: paths.to_vec(),
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
    let (mut model, sources) =
        crate::frontend::terraform::load(&found.terraform, &opts.terraform, sources);
    model.input_errors.extend(walk_errors);
    let findings = rules::run(&model, &opts.settings, &opts.selection);
    Ok(Analysis {
        model,
        sources,
        findings,
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
        selection: Selection {
            only: resolve_rules(&args.select)?,
            enable: resolve_rules(&args.enable)?,
            disable: resolve_rules(&args.disable)?,
        },
        settings: Settings::default(),
        exact_files: false,
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
        Format::Sarif => sarif::render(&report),
        Format::Github => github::render(&report),
        Format::Junit => junit::render(&report),
        Format::Markdown => markdown::render(&report),
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
