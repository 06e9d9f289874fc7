//! Terraform plan JSON front end: modules, references, values known only after apply,
//! the provider region, and where findings point (the `.tf` beside the plan, else the
//! plan itself).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test code: a failure is the report"
)]

use std::path::{Path, PathBuf};
use trailcheck::check::{analyze, Analysis, Options};
use trailcheck::report::Report;

fn run(path: &str) -> Analysis {
    analyze(
        &[PathBuf::from(path)],
        &Options {
            exact_files: true,
            ..Options::default()
        },
    )
    .unwrap()
}

/// (rule, file name, line, message) of every finding.
fn located(a: &Analysis) -> Vec<(String, String, u32, String)> {
    let report = Report {
        findings: &a.findings,
        sources: &a.sources,
        files: a.sources.len(),
    };
    let mut out: Vec<_> = a
        .findings
        .iter()
        .map(|f| {
            let loc = report.location(f);
            let name = Path::new(&loc.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (f.rule.name.clone(), name, loc.start.line, f.message.clone())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn child_modules_references_and_unknowns() {
    let a = run("fixtures/frontend/plan/modules/plan.json");
    let m = &a.model;
    assert!(m.input_errors.is_empty(), "{:?}", m.input_errors);
    assert_eq!(m.trails.len(), 1);
    let t = &m.trails[0];
    assert_eq!(t.origin.address, "module.audit.aws_cloudtrail.this[0]");
    assert_eq!(t.region.get().map(|r| r.as_str()), Some("us-east-1"));
    let b = t
        .bucket
        .expect("linked through the module's configuration references");
    assert_eq!(
        m.buckets[b].origin.address,
        "module.audit.aws_s3_bucket.logs"
    );
    assert!(
        t.kms_key_id.as_ref().is_some_and(|k| k.is_unknown()),
        "a key known only after apply is unknown, not absent"
    );
    assert!(t.enable_log_file_validation.is_true());
    assert_eq!(t.event_selectors[0].data_resources.len(), 1);
    assert_eq!(t.tags, [("team".to_owned(), "security".to_owned())]);
    let rules: Vec<&str> = a.findings.iter().map(|f| f.rule.name.as_str()).collect();
    assert!(!rules.contains(&"logs-not-kms-encrypted"), "{rules:?}");
    assert!(
        !rules.contains(&"log-file-validation-disabled"),
        "{rules:?}"
    );
    assert!(rules.contains(&"trail-single-region"), "{rules:?}");
}

#[test]
fn findings_point_at_the_tf_beside_the_plan_else_at_the_plan() {
    // Beside its configuration, a plan gives exactly the findings of the configuration.
    let tf = located(&run("fixtures/equivalence/baseline/main.tf"));
    let plan = located(&run("fixtures/equivalence/baseline/plan.json"));
    assert!(!tf.is_empty());
    assert_eq!(plan, tf);
    // Alone, it points into itself.
    let alone = located(&run("fixtures/frontend/plan/standalone/plan.json"));
    assert_eq!(alone.len(), tf.len());
    assert!(
        alone.iter().all(|(_, file, _, _)| file == "plan.json"),
        "{alone:?}"
    );
}
