//! `trailcheck rules test [DIR...]`: run the `tests:` cases of user rules through the real
//! pipeline (front end, model, condition) and compare each outcome with `expect`.

use crate::check::{analyze, load_user_rules, Options};
use crate::rules::condition::{ModelView, Outcome as CondOutcome};
use crate::rules::user::Expect;
use crate::rules::{Selection, Settings};
use crate::Outcome;
use miette::{miette, IntoDiagnostic};
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

fn scratch_dir(n: usize) -> PathBuf {
    std::env::temp_dir().join(format!("trailcheck-rules-test-{}-{n}", std::process::id()))
}

pub(crate) fn run(dirs: &[PathBuf]) -> miette::Result<Outcome> {
    let dirs: Vec<PathBuf> = if dirs.is_empty() {
        let config = crate::config::Config::find(std::path::Path::new("."))
            .map(|p| crate::config::Config::load(&p))
            .transpose()
            .map_err(|e| miette!("{e}"))?;
        config
            .map(|c| c.extra_rules.iter().map(|d| c.root.join(d)).collect())
            .unwrap_or_default()
    } else {
        dirs.to_vec()
    };
    if dirs.is_empty() {
        return Err(miette!(
            help = "give a directory: `trailcheck rules test DIR`, or set `extra_rules` in .trailcheck.yaml",
            "no user rule directories"
        ));
    }
    let rules = load_user_rules(&dirs)?;
    let mut report = String::new();
    let (mut passed, mut failed, mut n) = (0usize, 0usize, 0usize);
    for rule in &rules {
        if rule.tests.is_empty() {
            let _ = writeln!(report, "warning {}: no tests", rule.meta.name);
        }
        for (i, case) in rule.tests.iter().enumerate() {
            n += 1;
            let dir = scratch_dir(n);
            std::fs::create_dir_all(&dir).into_diagnostic()?;
            let file = dir.join(&case.file);
            std::fs::write(&file, &case.input).into_diagnostic()?;
            let opts = Options {
                selection: Selection {
                    only: vec![rule.meta.name.clone()],
                    ..Selection::default()
                },
                settings: Settings {
                    user_rules: vec![std::sync::Arc::clone(rule)],
                    ..Settings::default()
                },
                exact_files: true,
                ..Options::default()
            };
            let result = analyze(std::slice::from_ref(&file), &opts);
            let _ = std::fs::remove_dir_all(&dir);
            let analysis = result.map_err(|e| miette!("{e}"))?;
            let got = rule.outcome(&ModelView::new(&analysis.model));
            let want = match case.expect {
                Expect::Pass => CondOutcome::Pass,
                Expect::Fail => CondOutcome::Fail,
                Expect::Unknown => CondOutcome::Unknown,
            };
            let label = case
                .name
                .clone()
                .unwrap_or_else(|| format!("case {}", i + 1));
            let parse_errors = analysis.model.input_errors.len();
            if got == want && parse_errors == 0 {
                passed += 1;
                let _ = writeln!(report, "ok     {} / {label}", rule.meta.name);
            } else {
                failed += 1;
                let _ = writeln!(
                    report,
                    "FAILED {} / {label}: expected {want:?}, got {got:?}{}",
                    rule.meta.name,
                    if parse_errors > 0 {
                        format!(" ({parse_errors} parse error(s) in the input)")
                    } else {
                        String::new()
                    }
                );
            }
        }
    }
    let _ = writeln!(
        report,
        "\n{passed} passed, {failed} failed ({} rules)",
        rules.len()
    );
    let _ = std::io::stdout().lock().write_all(report.as_bytes());
    Ok(if failed > 0 {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
