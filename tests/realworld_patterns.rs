//! Real-world patterns: each `fixtures/realworld/<pattern>/` reproduces, in a few lines
//! written for this suite, how a public repository sets up its trail (see
//! docs/realworld.md). Every fixture is checked as a checkout (every rule, no
//! configuration), its findings are snapshotted one line each, and the expectations at
//! the top of each file are asserted:
//!
//! - `# expect: <rule>`: at least one finding of the rule points into this file;
//! - `# expect-not: <rule>`: none does;
//! - `# known-wrong: <rule>: <why>`: the expectation for `<rule>` in this file is
//!   trailcheck's current behaviour, and it is wrong (a false positive kept as `expect`,
//!   or a miss kept as `expect-not`). The suite stays green and the gap stays visible;
//!   fixing the gap fails this test until the expectation is turned around.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on broken fixtures"
)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use trailcheck::check::{analyze, Analysis, Options};
use trailcheck::report::Report;

const ROOT: &str = "fixtures/realworld";

fn options() -> Options {
    Options {
        no_config_search: true,
        ..Options::default()
    }
}

/// The expectations written at the top of one fixture file.
#[derive(Default)]
struct Expectations {
    expect: BTreeSet<String>,
    expect_not: BTreeSet<String>,
    known_wrong: BTreeSet<String>,
}

fn expectations(text: &str) -> Expectations {
    let mut e = Expectations::default();
    for line in text.lines() {
        let Some(comment) = line.trim_start().strip_prefix('#') else {
            // Expectations live in the leading comment block only.
            break;
        };
        let comment = comment.trim();
        if let Some(rule) = comment.strip_prefix("expect:") {
            e.expect.insert(rule.trim().to_owned());
        } else if let Some(rule) = comment.strip_prefix("expect-not:") {
            e.expect_not.insert(rule.trim().to_owned());
        } else if let Some(rest) = comment.strip_prefix("known-wrong:") {
            let rule = rest.split(':').next().unwrap_or_default().trim();
            e.known_wrong.insert(rule.to_owned());
        }
    }
    e
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if matches!(
            p.extension().and_then(|x| x.to_str()),
            Some("tf" | "yaml" | "yml")
        ) {
            out.push(p);
        }
    }
}

fn render(a: &Analysis) -> String {
    let report = Report {
        findings: &a.findings,
        sources: &a.sources,
        files: a.sources.len(),
    };
    let mut s = String::new();
    for f in &a.findings {
        let loc = report.location(f);
        let _ = writeln!(
            s,
            "{} {}:{}:{} {}",
            f.rule.name, loc.path, loc.start.line, loc.start.column, f.message
        );
    }
    s
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(ROOT)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

#[test]
fn realworld_patterns_meet_their_expectations() {
    let cases = cases();
    assert!(cases.len() >= 10, "expected 10+ fixture dirs in {ROOT}");
    let mut problems = Vec::new();
    let mut known_wrong = Vec::new();
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let a = analyze(std::slice::from_ref(&case), &options()).unwrap();
        insta::assert_snapshot!(format!("realworld_{name}"), render(&a));
        let report = Report {
            findings: &a.findings,
            sources: &a.sources,
            files: a.sources.len(),
        };
        let mut paths = Vec::new();
        files(&case, &mut paths);
        let mut any = false;
        for path in paths {
            let shown = trailcheck::report::display_path(&path);
            let e = expectations(&std::fs::read_to_string(&path).unwrap());
            any |= !e.expect.is_empty() || !e.expect_not.is_empty();
            let here: BTreeSet<&str> = a
                .findings
                .iter()
                .filter(|f| report.location(f).path == shown)
                .map(|f| f.rule.name.as_str())
                .collect();
            for rule in &e.expect {
                if !here.contains(rule.as_str()) {
                    problems.push(format!("{shown}: expected `{rule}`, not reported"));
                }
            }
            for rule in &e.expect_not {
                if here.contains(rule.as_str()) {
                    problems.push(format!("{shown}: `{rule}` reported, expected not"));
                }
            }
            for rule in &e.known_wrong {
                if !e.expect.contains(rule) && !e.expect_not.contains(rule) {
                    problems.push(format!(
                        "{shown}: known-wrong `{rule}` has no expect/expect-not line"
                    ));
                }
                known_wrong.push(format!("{shown}: {rule}"));
            }
        }
        if !any {
            problems.push(format!("{name}: no `# expect:` or `# expect-not:` line"));
        }
    }
    eprintln!(
        "real-world patterns: {} known-wrong expectations: {known_wrong:#?}",
        known_wrong.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn expectation_comments_parse() {
    let e = expectations(
        "# a pattern\n# expect: a\n# expect-not: b\n# known-wrong: b: why: more\nresource {}\n# expect: c\n",
    );
    assert_eq!(e.expect, BTreeSet::from(["a".to_owned()]));
    assert_eq!(e.expect_not, BTreeSet::from(["b".to_owned()]));
    assert_eq!(e.known_wrong, BTreeSet::from(["b".to_owned()]));
}
