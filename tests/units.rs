//! Deployment units: each `fixtures/units/<case>/` is checked as a checkout (every rule,
//! no configuration) and snapshotted as one line per finding (with its secondary labels)
//! and the account each trail was placed in. See docs/model.md "Deployment units".

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on broken fixtures"
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use trailcheck::check::{analyze, Analysis, Options};
use trailcheck::report::Report;

fn options() -> Options {
    Options {
        no_config_search: true,
        ..Options::default()
    }
}

fn render(a: &Analysis) -> String {
    let report = Report {
        findings: &a.findings,
        sources: &a.sources,
        files: a.sources.len(),
    };
    let mut s = String::new();
    for sink in &a.simulation.sinks {
        let _ = writeln!(s, "sink {} in {}", sink.address, sink.account);
    }
    for f in &a.findings {
        let loc = report.location(f);
        let _ = writeln!(
            s,
            "{} {}:{}:{} {}",
            f.rule.name, loc.path, loc.start.line, loc.start.column, f.message
        );
        for (span, label) in &f.secondary {
            let file = a
                .sources
                .get(span.source)
                .map(|f| trailcheck::report::display_path(&f.path))
                .unwrap_or_default();
            let line = a
                .sources
                .get(span.source)
                .map_or(0, |f| f.line_col(span.start).line);
            let _ = writeln!(s, "  = {file}:{line} {label}");
        }
    }
    s
}

fn check(path: &Path) -> Analysis {
    analyze(&[path.to_path_buf()], &options()).unwrap()
}

fn rules_of(a: &Analysis) -> Vec<&str> {
    a.findings.iter().map(|f| f.rule.name.as_str()).collect()
}

#[test]
fn unit_snapshots() {
    let root = PathBuf::from("fixtures/units");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let a = check(&case);
        insta::assert_snapshot!(format!("units_{name}"), render(&a));
    }
}

#[test]
fn examples_of_a_module_repository_are_separate_accounts() {
    let a = check(Path::new("fixtures/units/module_repo"));
    let rules = rules_of(&a);
    for cross in [
        "paid-management-event-copies",
        "global-events-duplicated",
        "trails-per-region-quota",
    ] {
        // examples/complete declares two trails itself: those share an account.
        let n = rules.iter().filter(|r| **r == cross).count();
        assert!(n <= 1, "{cross} across examples: {rules:?}");
    }
    // Three instances from two roots: three sinks, none merged.
    assert_eq!(a.simulation.sinks.len(), 3);
    let addrs: Vec<&str> = a
        .simulation
        .sinks
        .iter()
        .map(|s| s.address.as_str())
        .collect();
    assert!(addrs.contains(&"examples/minimum: module.trail.aws_cloudtrail.this"));
    assert!(addrs.contains(&"examples/complete: module.trail.aws_cloudtrail.this"));
}

#[test]
fn same_module_address_in_two_roots_is_two_trails_in_two_accounts() {
    let a = check(Path::new("fixtures/units/same_address"));
    assert_eq!(a.simulation.sinks.len(), 6);
    assert!(!rules_of(&a).contains(&"trails-per-region-quota"));
    // The copies inside one root are real; none names a trail of the other root.
    for f in a
        .findings
        .iter()
        .filter(|f| f.rule.name == "paid-management-event-copies")
    {
        let mixes = f.message.contains("`a: ") && f.message.contains("`b: ");
        assert!(!mixes, "{}", f.message);
    }
}

#[test]
fn providers_with_other_credentials_are_other_accounts() {
    let a = check(Path::new("fixtures/units/three_providers"));
    let accounts: std::collections::BTreeSet<&str> = a
        .simulation
        .sinks
        .iter()
        .map(|s| s.account.as_str())
        .collect();
    assert_eq!(accounts.len(), 3, "{accounts:?}");
    assert!(!rules_of(&a).contains(&"paid-management-event-copies"));
    assert!(!rules_of(&a).contains(&"global-events-duplicated"));
    // Same credentials, other region: one account, the copy is real.
    let b = check(Path::new("fixtures/units/same_credentials"));
    assert!(rules_of(&b).contains(&"paid-management-event-copies"));
    assert!(b
        .findings
        .iter()
        .any(|f| f.message.contains("root module `.`")));
}

#[test]
fn a_template_next_to_a_root_is_another_account() {
    let a = check(Path::new("fixtures/units/cfn_and_tf"));
    assert_eq!(a.simulation.sinks.len(), 2);
    assert_ne!(a.simulation.sinks[0].account, a.simulation.sinks[1].account);
    assert!(!rules_of(&a).contains(&"global-events-duplicated"));
}

#[test]
fn an_organization_trail_of_another_unit_is_credited_for_coverage_only() {
    let a = check(Path::new("fixtures/units/org_and_member"));
    let rules = rules_of(&a);
    assert!(!rules.contains(&"global-events-not-captured"), "{rules:?}");
    assert!(!rules.contains(&"member-trail-duplicates-org-trail"));
    assert!(!rules.contains(&"paid-management-event-copies"));
    assert!(a
        .simulation
        .context
        .assumptions
        .iter()
        .any(|x| x.contains("credit the trails of the other units")));
}

#[test]
fn a_module_that_contains_itself_is_a_located_finding() {
    for case in ["self_call", "cycle"] {
        let a = check(&Path::new("fixtures/units").join(case));
        let cycles: Vec<_> = a
            .findings
            .iter()
            .filter(|f| f.rule.name == "parse-error" && f.message.contains("cannot contain itself"))
            .collect();
        assert!(!cycles.is_empty(), "{case}: {}", render(&a));
        // No unrolled chain of copies.
        assert!(a.simulation.sinks.len() <= 2, "{case}: {}", render(&a));
        assert!(!rules_of(&a).contains(&"trails-per-region-quota"));
    }
}

#[test]
fn modules_nested_beyond_the_limit_are_a_located_finding() {
    let a = check(Path::new("fixtures/units/deep_chain"));
    let deep: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.rule.name == "parse-error" && f.message.contains("beyond trailcheck's limit"))
        .collect();
    assert_eq!(deep.len(), 1, "{}", render(&a));
    let file = a.sources.get(deep[0].primary.source).unwrap();
    assert!(
        file.path.ends_with("m12/main.tf"),
        "{}",
        file.path.display()
    );
}

#[test]
fn findings_from_module_inputs_point_at_the_caller() {
    let a = check(Path::new("fixtures/units/passthrough"));
    let f = a
        .findings
        .iter()
        .find(|f| f.rule.name == "log-file-validation-disabled")
        .expect("finding");
    let file = a.sources.get(f.primary.source).unwrap();
    assert!(
        file.path.ends_with("live/main.tf"),
        "{}",
        file.path.display()
    );
    assert_eq!(file.slice(f.primary), "false");
    assert!(f.secondary.iter().any(|(s, _)| a
        .sources
        .get(s.source)
        .unwrap()
        .path
        .ends_with("inner/main.tf")));
}

/// `check examples/x` from the repository root and `check .` inside examples/x find the
/// same things, at the same places (the module at `../../` is read either way).
#[test]
fn checking_an_example_from_inside_or_from_the_root_is_the_same() {
    let run = |dir: &Path, arg: &str| -> Vec<(String, String, u64, String)> {
        let out = assert_cmd::Command::cargo_bin("trailcheck")
            .unwrap()
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .args(["check", arg, "--no-config", "--format", "json"])
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut v: Vec<_> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let file = dir.join(f["file"].as_str().unwrap());
                let file = std::fs::canonicalize(&file).unwrap_or(file);
                (
                    f["rule"].as_str().unwrap().to_owned(),
                    file.display().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let repo = std::fs::canonicalize("fixtures/units/module_repo").unwrap();
    for example in ["examples/complete", "examples/minimum"] {
        let inside = run(&repo.join(example), ".");
        let outside = run(&repo, example);
        assert!(!inside.is_empty(), "{example}: no findings from inside");
        assert_eq!(inside, outside, "{example}");
    }
}
