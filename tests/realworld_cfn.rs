//! Real-world CloudFormation (and plan JSON) under `<corpus>/realworld/`: every template
//! checks without a panic and, the templates being valid, without a `parse-error`. The
//! time is printed, never asserted.
//!
//! The corpus lives outside the repo (`TRAILCHECK_CORPUS`, default `../shared/corpus`):
//! when it is absent the test says so and passes, unless `TRAILCHECK_REQUIRE_CORPUS=1`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test code: a failure is the report"
)]

use std::path::{Path, PathBuf};
use std::time::Instant;
use trailcheck::check::{analyze, Options};

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("TRAILCHECK_CORPUS")
        .map_or_else(|| PathBuf::from("../shared/corpus"), PathBuf::from);
    if dir.join("realworld").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("TRAILCHECK_REQUIRE_CORPUS").as_deref() != Ok("1"),
        "TRAILCHECK_REQUIRE_CORPUS=1 but no corpus at {}",
        dir.display()
    );
    eprintln!(
        "NOTICE: real-world corpus not found at {} (set TRAILCHECK_CORPUS); not checked",
        dir.display()
    );
    None
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.file_name().is_some_and(|n| n != "manifest.json")
            && p.extension().is_some_and(|x| {
                ["yaml", "yml", "json", "template"].contains(&x.to_str().unwrap_or(""))
            })
        {
            out.push(p);
        }
    }
}

#[test]
fn realworld_templates_check_without_parse_errors() {
    let Some(dir) = corpus() else { return };
    let mut files = Vec::new();
    collect(&dir.join("realworld"), &mut files);
    files.sort();
    let started = Instant::now();
    let analysis = analyze(
        &files,
        &Options {
            exact_files: true,
            ..Options::default()
        },
    )
    .expect("corpus readable");
    let elapsed = started.elapsed();
    let errors: Vec<String> = analysis
        .model
        .input_errors
        .iter()
        .map(|e| {
            let path = analysis
                .sources
                .get(e.span.source)
                .map(|f| f.path.display().to_string())
                .unwrap_or_default();
            format!("{path}: {}", e.message)
        })
        .collect();
    eprintln!(
        "real-world CloudFormation/plan corpus: {} JSON/YAML files, {} templates or plans read, {} trails, {} findings, checked in {:.3} s",
        files.len(),
        analysis.sources.len(),
        analysis.model.trails.len(),
        analysis.findings.len(),
        elapsed.as_secs_f64()
    );
    assert!(
        errors.is_empty(),
        "parse errors on valid files:\n{}",
        errors.join("\n")
    );
    assert!(
        !analysis.model.trails.is_empty(),
        "no trail found in the corpus"
    );
}
