//! `trailcheck check`: discover → front ends → rules → report.

use crate::cli::{CheckArgs, FailOn, Format};
use crate::config::Config;
use crate::frontend::TfOptions;
use crate::model::{InputError, Model};
use crate::report::{github, human, json, junit, markdown, sarif, Report};
use crate::rules::baseline::{self, Baseline};
use crate::rules::{self, Finding, Selection, Settings, Severity, CATALOG};
use crate::simulate::cost::{CostLine, Profile};
use crate::simulate::{Context, Simulation};
use crate::source::{SourceMap, Span};
use crate::Outcome;
use miette::{miette, IntoDiagnostic, WrapErr};
use std::io::Write;
use std::path::{Path, PathBuf};

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
    /// Config-file ignores (`ignore:` in `.trailcheck.yaml`).
    pub ignores: Vec<Ignore>,
    /// Let `.gitignore`/`.ignore` hide `.tf` files too (`--respect-ignore`).
    pub respect_ignore: bool,
}

/// One config-file ignore: a rule (by name) and path globs relative to the config file's
/// directory (no globs: everywhere).
#[derive(Debug, Clone)]
pub struct Ignore {
    pub rule: String,
    pub globs: Option<globset::GlobSet>,
    pub root: PathBuf,
}

impl Ignore {
    fn covers(&self, f: &Finding, sources: &SourceMap) -> bool {
        if f.rule.name != self.rule {
            return false;
        }
        let Some(globs) = &self.globs else {
            return true;
        };
        let Some(file) = sources.get(f.primary.source) else {
            return false;
        };
        let abs = absolute(&file.path);
        abs.strip_prefix(&self.root)
            .is_ok_and(|rel| globs.is_match(rel))
    }
}

use crate::source::absolute;

/// Discovers, loads and checks `paths`.
///
/// # Errors
/// When a path given cannot be read at all.
pub fn analyze(paths: &[PathBuf], opts: &Options) -> Result<Analysis, String> {
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
    let discover_opts = crate::discover::DiscoverOptions {
        respect_ignore: opts.respect_ignore,
        exclude: match config {
            Some(c) => c.exclude_globs()?.map(|g| (g, absolute(&c.root))),
            None => None,
        },
    };
    let found = if opts.exact_files {
        let (terraform, other) = paths.iter().cloned().partition(|p| {
            crate::discover::classify(p) != Some(crate::discover::SourceKind::Other)
        });
        crate::discover::Discovered {
            terraform,
            other,
            ..crate::discover::Discovered::default()
        }
    } else {
        crate::discover::discover_with(paths, &discover_opts)
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
    let mut skipped = Vec::new();
    for (p, why) in &found.skipped {
        let f = sources.add(p.clone(), "");
        skipped.push(InputError {
            span: Span::new(f.id, 0..0),
            message: why.clone(),
        });
    }
    let mut cfn_opts = opts.cloudformation.clone();
    if cfn_opts.deployments.is_empty() {
        if let Some(c) = config {
            cfn_opts.deployments = c.deployment_list();
        }
    }
    let (mut model, sources) =
        crate::frontend::terraform::load(&found.terraform, &opts.terraform, paths, sources);
    let (cfn, sources) = crate::frontend::cloudformation::load(&found.other, &cfn_opts, sources);
    model.extend(cfn);
    model.input_errors.extend(walk_errors);
    model.skipped_files.extend(skipped);
    label_units(&mut model, paths);
    crate::model::link::link_buckets_across_units(&mut model);
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
        suppressions: &[],
    };
    let mut findings = rules::run(&ctx, &opts.selection);
    findings.retain(|f| !opts.ignores.iter().any(|i| i.covers(f, &sources)));
    Ok(Analysis {
        model,
        sources,
        findings,
        simulation,
        costs,
        profile,
    })
}

/// Deployment units are labelled by their path relative to the checked directory (`.` for
/// the directory itself); when the run has more than one, every address carries its unit,
/// so that `aws_cloudtrail.this` of two roots stays two resources.
fn label_units(model: &mut Model, paths: &[PathBuf]) {
    let base: Option<PathBuf> = match paths {
        [one] if one.is_dir() => Some(crate::frontend::terraform::modules::normalize(one)),
        [one] => one
            .parent()
            .map(crate::frontend::terraform::modules::normalize),
        _ => None,
    };
    model.relabel_units(|unit| {
        let p = crate::frontend::terraform::modules::normalize(Path::new(unit));
        let rel = match &base {
            Some(b) if b.as_os_str() == "." && p.is_relative() => Some(p.clone()),
            Some(b) => p.strip_prefix(b).ok().map(Path::to_path_buf),
            None => None,
        };
        let shown = rel.unwrap_or(p);
        if shown.as_os_str().is_empty() {
            ".".to_owned()
        } else {
            shown.to_string_lossy().replace('\\', "/")
        }
    });
    if model.units().len() > 1 {
        model.qualify_addresses();
    }
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

/// Resolves rule names or ids (built-in or user rules); an unknown one is a usage error
/// that lists the catalog.
fn resolve_rules(
    names: &[String],
    user: &[std::sync::Arc<rules::user::UserRule>],
) -> miette::Result<Vec<String>> {
    names
        .iter()
        .map(|n| {
            let n = n.trim();
            CATALOG
                .find(n)
                .or_else(|| {
                    user.iter()
                        .map(|u| u.meta)
                        .find(|m| m.name == n || m.id.eq_ignore_ascii_case(n))
                })
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
    let config = find_config(args, &paths)?;
    let mut rule_dirs = args.rule_dirs.clone();
    if let Some(c) = &config {
        rule_dirs.extend(c.extra_rules.iter().map(|d| c.root.join(d)));
    }
    let user_rules = load_user_rules(&rule_dirs)?;
    let mut opts = Options {
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
            only: resolve_rules(&args.select, &user_rules)?,
            enable: resolve_rules(&args.enable, &user_rules)?,
            disable: resolve_rules(&args.disable, &user_rules)?,
        },
        settings: Settings {
            user_rules,
            ..Settings::default()
        },
        exact_files: false,
        config: config.clone(),
        // The config was found (or refused with --no-config) above.
        no_config_search: true,
        profile: load_profile(args.profile.as_deref())?,
        ignores: Vec::new(),
        respect_ignore: args.respect_ignore,
    };
    if let Some(config) = &config {
        apply_config(config, &mut opts)?;
    }
    let analysis = analyze(&paths, &opts)
        .map_err(|e| miette!(help = "check that the path exists and is readable", "{e}"))?;
    if args.dump_model {
        let mut text = serde_json::to_string_pretty(&analysis.model).into_diagnostic()?;
        text.push('\n');
        write_output(None, &text)?;
        return Ok(Outcome::Clean);
    }
    let mut findings = analysis.findings;
    let mut sources = analysis.sources;
    if let Some(c) = &config {
        findings.extend(config_ignores_without_reason(c, &mut sources, &opts));
    }
    if let Some(path) = &args.write_baseline {
        write_baseline(path, &findings, &sources)?;
    }
    if let Some(path) = &args.baseline {
        findings = filter_baseline(path, findings, &sources)?;
    }
    let report = Report {
        findings: &findings,
        sources: &sources,
        files: sources.len(),
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
    write_output(args.output.as_deref(), &text)?;
    let threshold = severity_threshold(args.fail_on);
    Ok(
        if args.write_baseline.is_none() && findings.iter().any(|f| f.severity >= threshold) {
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

/// Writes a report to `--output` (atomically: a failed write leaves the previous file) or
/// to standard output. Any write error is an error (exit 2), so a truncated report never
/// passes; only a closed pipe (`| head`) is not.
pub(crate) fn write_output(path: Option<&std::path::Path>, text: &str) -> miette::Result<()> {
    match path {
        Some(path) => crate::fsio::write_atomic(path, text.as_bytes())
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot write the report to {}", path.display())),
        None => crate::fsio::write_stdout(text.as_bytes())
            .into_diagnostic()
            .wrap_err("cannot write the report to standard output"),
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
        respect_ignore: args.respect_ignore,
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
    if let (Some(dir), Some(key)) = (&args.emit, &args.signing_key) {
        let pem = crate::fsio::read_text_bounded(key, crate::fsio::SMALL_INPUT_LIMIT)
            .into_diagnostic()
            .wrap_err_with(|| {
                format!(
                    "cannot read the signing key {} (an RSA private key in PEM)",
                    key.display()
                )
            })?;
        let start = match &args.emit_start {
            Some(t) => chrono::DateTime::parse_from_rfc3339(t)
                .map(|d| d.with_timezone(&chrono::Utc))
                .map_err(|e| {
                    miette!(
                        help = "write it like 2026-11-01T00:00:00Z",
                        "invalid --emit-start {t:?}: {e}"
                    )
                })?,
            None => {
                let now = chrono::Utc::now() - chrono::Duration::hours(i64::from(args.hours));
                chrono::DurationRound::duration_trunc(now, chrono::Duration::hours(1))
                    .unwrap_or(now)
            }
        };
        let spec = crate::simulate::emit::spec(&a.model, &a.simulation, start, args.hours, &pem);
        if spec.trails.is_empty() {
            return Err(miette!(
                help = "check that the paths hold trails that log",
                "no logging trail to emit files for"
            ));
        }
        let written = crate::verify::emit::emit(&spec, dir).map_err(|e| {
            miette!(
                help = "check the key and that DIR is writable",
                "cannot emit the bucket mirror: {e}"
            )
        })?;
        let _ = writeln!(
            std::io::stderr().lock(),
            "emitted {} digest files and {} log files ({} bytes inflated) for {} trail(s) into {}; public keys: {}",
            written.digests,
            written.logs,
            written.log_bytes,
            spec.trails.len(),
            dir.display(),
            written.public_keys.display()
        );
    }
    write_output(args.output.as_deref(), &text)?;
    Ok(Outcome::Clean)
}

/// The config named by `--config`, or the `.trailcheck.yaml` found upward from the first
/// path (none with `--no-config`).
fn find_config(args: &CheckArgs, paths: &[PathBuf]) -> miette::Result<Option<Config>> {
    if args.no_config {
        return Ok(None);
    }
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => paths.first().and_then(|p| Config::find(p)),
    };
    path.map(|p| {
        Config::load(&p).map_err(|e| {
            miette!(
                help = "see docs/config.schema.json for the keys and values a config may hold",
                "{e}"
            )
        })
    })
    .transpose()
}

/// Merges a config into the options: rule selection and severities, tunables, ignores.
/// Command-line `--enable`/`--disable` win over the config.
fn apply_config(config: &Config, opts: &mut Options) -> miette::Result<()> {
    let in_config = |what: &str| format!("in {} ({what})", crate::config::FILE_NAME);
    let user = opts.settings.user_rules.clone();
    let resolve_rules = |names: &[String]| resolve_rules(names, &user);
    let enabled =
        resolve_rules(&config.rules.enable).wrap_err_with(|| in_config("rules.enable"))?;
    let disabled =
        resolve_rules(&config.rules.disable).wrap_err_with(|| in_config("rules.disable"))?;
    // `--enable` on the command line wins over a `disable` in the config.
    for name in disabled {
        if !opts.selection.enable.contains(&name) && !opts.selection.disable.contains(&name) {
            opts.selection.disable.push(name);
        }
    }
    opts.selection.enable.extend(enabled);
    for (rule, severity) in &config.rules.severity {
        let name = resolve_rules(std::slice::from_ref(rule))
            .wrap_err_with(|| in_config("rules.severity"))?;
        for n in name {
            opts.settings.severity.insert(n, *severity);
        }
    }
    if let Some(days) = config.rules.min_retention_days {
        opts.settings.min_retention_days = days;
    }
    let root = absolute(&config.root);
    for ignore in &config.ignore {
        let rule = resolve_rules(std::slice::from_ref(&ignore.rule))
            .wrap_err_with(|| in_config("ignore"))?
            .pop()
            .unwrap_or_default();
        let globs = if ignore.paths.is_empty() {
            None
        } else {
            let mut b = globset::GlobSetBuilder::new();
            for p in &ignore.paths {
                let glob = crate::model::deployment::path_glob(p).map_err(|e| {
                    miette!("{}: invalid path glob {p:?}: {e}", in_config("ignore"))
                })?;
                b.add(glob);
            }
            Some(b.build().into_diagnostic()?)
        };
        opts.ignores.push(Ignore {
            rule,
            globs,
            root: root.clone(),
        });
    }
    Ok(())
}

fn fingerprinted(findings: Vec<Finding>, sources: &SourceMap) -> Vec<(Finding, String)> {
    let fps: Vec<String> = {
        let report = Report {
            findings: &findings,
            sources,
            files: sources.len(),
        };
        findings.iter().map(|f| report.fingerprint(f)).collect()
    };
    findings.into_iter().zip(fps).collect()
}

fn write_baseline(path: &Path, findings: &[Finding], sources: &SourceMap) -> miette::Result<()> {
    let report = Report {
        findings,
        sources,
        files: sources.len(),
    };
    let entries = findings
        .iter()
        .map(|f| baseline::Entry {
            fingerprint: report.fingerprint(f),
            rule: f.rule.name.clone(),
            file: report.location(f).path,
            resource: f.resource.clone(),
            message: f.message.clone(),
        })
        .collect();
    crate::fsio::write_atomic(path, Baseline::new(entries).to_json().as_bytes())
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write the baseline to {}", path.display()))?;
    let _ = writeln!(
        std::io::stderr().lock(),
        "wrote {} finding(s) to the baseline {}",
        findings.len(),
        path.display()
    );
    Ok(())
}

fn filter_baseline(
    path: &Path,
    findings: Vec<Finding>,
    sources: &SourceMap,
) -> miette::Result<Vec<Finding>> {
    let text = crate::fsio::read_text_bounded(path, crate::fsio::SMALL_INPUT_LIMIT)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read the baseline {}", path.display()))?;
    let baseline = Baseline::parse(&text).map_err(|e| {
        miette!(
            help = "write a new one with --write-baseline",
            "invalid baseline {}: {e}",
            path.display()
        )
    })?;
    let before = findings.len();
    let kept = baseline.filter(fingerprinted(findings, sources));
    let known = before - kept.len();
    if known > 0 {
        let _ = writeln!(
            std::io::stderr().lock(),
            "{known} known finding(s) accepted by the baseline {}",
            path.display()
        );
    }
    Ok(kept)
}

/// Loads user rules from directories; a broken rule file is a usage error.
///
/// # Errors
/// An unreadable directory or a rule file that does not parse.
pub fn load_user_rules(
    dirs: &[PathBuf],
) -> miette::Result<Vec<std::sync::Arc<rules::user::UserRule>>> {
    let mut out: Vec<std::sync::Arc<rules::user::UserRule>> = Vec::new();
    for d in dirs {
        for r in rules::user::load_dir(d).map_err(|e| {
            miette!(
                help = "see docs/user-rules.md for the rule file format",
                "invalid user rule: {e}"
            )
        })? {
            if let Some(builtin) = CATALOG
                .find(&r.meta.name)
                .or_else(|| CATALOG.find(&r.meta.id))
            {
                return Err(miette!(
                    help = "give the user rule its own name and an id outside CT0xx-CT9xx, \
                            e.g. ORG001",
                    "user rule {:?} ({}) takes the name or id of the built-in rule {} ({}) in {}",
                    r.meta.name,
                    r.meta.id,
                    builtin.name,
                    builtin.id,
                    r.path.display()
                ));
            }
            if out
                .iter()
                .any(|o| o.meta.name == r.meta.name || o.meta.id.eq_ignore_ascii_case(&r.meta.id))
            {
                return Err(miette!(
                    "user rule {:?} is defined twice ({})",
                    r.meta.name,
                    r.path.display()
                ));
            }
            out.push(std::sync::Arc::new(r));
        }
    }
    Ok(out)
}

/// `suppression-missing-reason` for `ignore:` entries of the config that give no reason,
/// located at the entry in the config file.
fn config_ignores_without_reason(
    config: &Config,
    sources: &mut SourceMap,
    opts: &Options,
) -> Vec<Finding> {
    let name = "suppression-missing-reason";
    let Some(meta) = CATALOG.get(name) else {
        return Vec::new();
    };
    if !opts.selection.is_enabled(name) {
        return Vec::new();
    }
    let missing: Vec<&crate::config::Ignore> = config
        .ignore
        .iter()
        .filter(|i| i.reason.as_deref().is_none_or(|r| r.trim().is_empty()))
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    let text = crate::fsio::read_text_bounded(&config.path, crate::fsio::SMALL_INPUT_LIMIT)
        .unwrap_or_default();
    let file = sources.add(config.path.clone(), text.clone());
    let mut from = 0;
    missing
        .into_iter()
        .map(|i| {
            // The `rule:` line of this entry (entries are found in order).
            let at = text[from..]
                .find(&format!("rule: {}", i.rule))
                .or_else(|| text[from..].find(i.rule.as_str()))
                .map_or(0, |p| from + p);
            from = (at + 1).min(text.len());
            let end = text[at..].find('\n').map_or(text.len(), |n| at + n);
            Finding {
                rule: meta,
                severity: opts.settings.severity.get(name).copied().unwrap_or(meta.severity),
                message: format!("the config ignores `{}` without a reason: say why, so the next reader can judge it", i.rule),
                primary: Span::new(file.id, at..end),
                secondary: Vec::new(),
                resource: None,
                help: Some("add `reason: <why this is accepted>` to the entry".into()),
            }
        })
        .collect()
}
