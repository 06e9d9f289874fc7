//! Equivalence of the front ends: each `fixtures/equivalence/<case>/` holds the same
//! configuration as Terraform (`main.tf`), CloudFormation YAML (`template.yaml`) and JSON
//! (`template.json`), and a Terraform plan (`plan.json`). All four must give the same
//! findings apart from locations and wording: the same rule names, as many times each.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test code: a failure is the report"
)]

use std::path::{Path, PathBuf};
use trailcheck::check::{analyze, Options};
use trailcheck::frontend::{CfnOptions, TfOptions};

const FORMS: [&str; 4] = ["main.tf", "template.yaml", "template.json", "plan.json"];

fn rules_of(file: &Path) -> Vec<String> {
    rules_with(file, None, 1)
}

/// Rule names of a file's findings; `env` sets the Terraform variable and the
/// CloudFormation parameter of the `inputs` case.
fn rules_with(file: &Path, env: Option<&str>, trails: usize) -> Vec<String> {
    let opts = Options {
        terraform: TfOptions {
            vars: env
                .map(|e| ("env".to_owned(), e.to_owned()))
                .into_iter()
                .collect(),
            ..TfOptions::default()
        },
        cloudformation: CfnOptions {
            // The region of the Terraform provider and of the plan's provider_config.
            region: Some("eu-west-1".into()),
            parameters: env
                .map(|e| ("Env".to_owned(), e.to_owned()))
                .into_iter()
                .collect(),
            ..CfnOptions::default()
        },
        exact_files: true,
        ..Options::default()
    };
    let a =
        analyze(&[file.to_path_buf()], &opts).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    assert!(
        a.model.input_errors.is_empty(),
        "{}: {:?}",
        file.display(),
        a.model.input_errors
    );
    assert_eq!(a.model.trails.len(), trails, "{}: trails", file.display());
    let mut rules: Vec<String> = a.findings.iter().map(|f| f.rule.name.clone()).collect();
    rules.sort();
    rules
}

#[test]
fn every_front_end_gives_the_same_findings() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir("fixtures/equivalence")
        .expect("fixtures/equivalence exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for case in &cases {
        let reference = rules_of(&case.join(FORMS[0]));
        assert!(
            !reference.is_empty() || case.ends_with("hardened"),
            "{}: no finding at all",
            case.display()
        );
        for form in &FORMS[1..] {
            let got = rules_of(&case.join(form));
            if got != reference {
                failures.push(format!(
                    "{}/{form}:\n  main.tf: {reference:?}\n  {form}: {got:?}",
                    case.display()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "front ends disagree:\n{}",
        failures.join("\n")
    );
}

#[test]
fn variables_and_parameters_given_on_the_command_line_agree() {
    let dir = Path::new("fixtures/equivalence/inputs");
    // In dev, the extra trail exists and the main one is single-region, validated, encrypted.
    let tf = rules_with(&dir.join("main.tf"), Some("dev"), 2);
    for form in ["template.yaml", "template.json"] {
        assert_eq!(rules_with(&dir.join(form), Some("dev"), 2), tf, "{form}");
    }
    assert!(tf.contains(&"trail-single-region".to_owned()), "{tf:?}");
}
