//! Rule fixtures: every `fixtures/rules/<rule>/{pass,fail}*` case runs through the real
//! pipeline with only that rule selected. `pass*` must give no finding of the rule,
//! `fail*` at least one. All mismatches are collected before failing. Then one snapshot
//! per rule (`fixtures/rules/<rule>/findings.snap`) of every `fail` case rendered by the
//! human reporter (no colour, width 80) and one line per finding.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on broken fixtures"
)]

use std::path::{Path, PathBuf};
use trailcheck::check::{analyze, Options};
use trailcheck::report::{human, Report};
use trailcheck::rules::{Selection, CATALOG};

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    out.retain(|p| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (name.starts_with("pass") || name.starts_with("fail"))
            && (p.is_dir()
                || [".tf", ".yaml", ".yml", ".json"]
                    .iter()
                    .any(|e| name.ends_with(e)))
    });
    out.sort();
    out
}

fn run_case(rule: &str, case: &Path) -> (trailcheck::check::Analysis, String) {
    // Rules about suppressions judge what the other rules found, so they run with all
    // rules; only their own findings are counted and rendered.
    let about_suppressions = rule.starts_with("suppression-");
    let opts = Options {
        selection: Selection {
            only: if about_suppressions {
                Vec::new()
            } else {
                vec![rule.to_owned()]
            },
            ..Selection::default()
        },
        exact_files: case.is_file(),
        ..Options::default()
    };
    let mut analysis =
        analyze(&[case.to_path_buf()], &opts).unwrap_or_else(|e| panic!("{}: {e}", case.display()));
    if about_suppressions {
        analysis.findings.retain(|f| f.rule.name == rule);
    }
    let report = Report {
        findings: &analysis.findings,
        sources: &analysis.sources,
        files: analysis.sources.len(),
    };
    let mut text = human::render(
        &report,
        human::Style {
            color: false,
            width: 80,
        },
    );
    for f in &analysis.findings {
        let loc = report.location(f);
        text.push_str(&format!(
            "{} {}:{}:{} {}\n",
            f.rule.name, loc.path, loc.start.line, loc.start.column, f.message
        ));
    }
    (analysis, text)
}

#[test]
fn rule_fixtures_pass_and_fail_as_labelled() {
    let root = Path::new("fixtures/rules");
    let mut failures = Vec::new();
    let mut rules: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("fixtures/rules exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    rules.sort();
    assert!(!rules.is_empty());
    for dir in rules {
        let rule = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            CATALOG.get(&rule).is_some(),
            "fixtures/rules/{rule} has no rules/{rule}.yaml"
        );
        let mut snapshot = String::new();
        let cases = cases(&dir);
        assert!(
            cases
                .iter()
                .any(|c| c.file_name().unwrap().to_string_lossy().starts_with("pass")),
            "{rule}: no pass case"
        );
        assert!(
            cases
                .iter()
                .any(|c| c.file_name().unwrap().to_string_lossy().starts_with("fail")),
            "{rule}: no fail case"
        );
        for case in cases {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            let (analysis, text) = run_case(&rule, &case);
            let hits = analysis
                .findings
                .iter()
                .filter(|f| f.rule.name == rule)
                .count();
            let other: Vec<String> = analysis
                .model
                .input_errors
                .iter()
                .map(|e| e.message.clone())
                .collect();
            if name.starts_with("pass") && hits > 0 {
                failures.push(format!(
                    "{rule}/{name}: expected no finding, got {hits}:\n{text}"
                ));
            }
            if name.starts_with("fail") {
                if hits == 0 {
                    failures.push(format!(
                        "{rule}/{name}: expected a finding, got none (input errors: {other:?})"
                    ));
                }
                snapshot.push_str(&format!("── {name} ──\n{text}\n"));
            }
        }
        insta::with_settings!({
            snapshot_path => std::fs::canonicalize(&dir).unwrap(),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!("findings", snapshot);
        });
    }
    assert!(
        failures.is_empty(),
        "{} fixture mismatches:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Terraform syntax that must not appear in what a CloudFormation user is told.
fn hcl_in(text: &str) -> Option<&'static str> {
    let checks: [(&str, &str); 5] = [
        (
            r"\$\{(aws_|var\.|local\.|module\.|data\.)",
            "`${…}` Terraform interpolation",
        ),
        (r"`[a-z_]+ = ", "an HCL `attribute = value`"),
        (
            r"\b(resource|data) \x22|\b[a-z_]+ \{ [a-z_]+ =",
            "an HCL block",
        ),
        (r"\baws_[a-z0-9_]+\b", "a Terraform resource type"),
        (r"`[a-z0-9]+(_[a-z0-9]+)+`", "a Terraform attribute name"),
    ];
    checks.iter().find_map(|(re, why)| {
        regex::Regex::new(re)
            .unwrap()
            .is_match(text)
            .then_some(*why)
    })
}

/// CloudFormation syntax that must not appear in what a Terraform user is told.
fn cfn_in(text: &str) -> Option<&'static str> {
    let props = trailcheck::rules::naming::cloudformation_names().join("|");
    let checks = [
        (
            r"!(Ref|GetAtt|Sub|If|Join)\b|Fn::".to_owned(),
            "a CloudFormation intrinsic",
        ),
        (
            format!("`({props})\\b"),
            "a CloudFormation property or type",
        ),
    ];
    checks.iter().find_map(|(re, why)| {
        regex::Regex::new(re)
            .unwrap()
            .is_match(text)
            .then_some(*why)
    })
}

/// Grammar that has gone wrong before: articles before code, plurals after 1, a
/// placeholder shown as if it were a region.
fn grammar_in(text: &str) -> Option<&'static str> {
    let checks = [
        (
            r"\ban `[b-df-hj-np-tv-zBCDGJKPQTVWZ]",
            "`an` before a consonant",
        ),
        (r"\ba `[aeioAEIO]", "`a` before a vowel"),
        (
            r"\b1 (days|events|trails|regions|buckets|statements|selectors)\b",
            "a plural after 1",
        ),
        (r"in \(unresolved region\)", "a placeholder for a region"),
    ];
    checks.iter().find_map(|(re, why)| {
        regex::Regex::new(re)
            .unwrap()
            .is_match(text)
            .then_some(*why)
    })
}

/// Every finding of every rule fixture speaks the language of its file: the message and
/// the help of a finding on a template carry no HCL, those on Terraform no CloudFormation.
/// The rules' remediation examples are checked the same way, per language.
#[test]
fn messages_and_help_are_in_the_language_of_the_file() {
    let root = Path::new("fixtures/rules");
    let mut bad = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let rule = dir.file_name().unwrap().to_string_lossy().into_owned();
        for case in cases(&dir) {
            let (analysis, _) = run_case(&rule, &case);
            for f in analysis.findings.iter().filter(|f| f.rule.name == rule) {
                let cfn = trailcheck::rules::naming::is_cloudformation(f.resource.as_deref());
                for (what, text) in [("message", Some(&f.message)), ("help", f.help.as_ref())] {
                    let Some(text) = text else { continue };
                    let wrong =
                        if cfn { hcl_in(text) } else { cfn_in(text) }.or_else(|| grammar_in(text));
                    if let Some(why) = wrong {
                        bad.push(format!("{}: {what} has {why}: {text}", case.display()));
                    }
                }
            }
        }
    }
    for meta in CATALOG.iter() {
        if let Some(tf) = &meta.remediation.terraform {
            if let Some(why) = cfn_in(tf) {
                bad.push(format!(
                    "rules/{}.yaml: terraform remediation has {why}",
                    meta.name
                ));
            }
        }
        if let Some(cfn) = &meta.remediation.cloudformation {
            // YAML comments may name the Terraform equivalent; the template itself may not.
            let body: String = cfn
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n");
            if let Some(why) = hcl_in(&body) {
                bad.push(format!(
                    "rules/{}.yaml: cloudformation remediation has {why}",
                    meta.name
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} findings in the wrong language:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
