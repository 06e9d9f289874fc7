//! Peer conformance for CloudFormation: every `iac: cloudformation` entry of
//! `<corpus>/peers/manifest.json` runs through the real pipeline with the rule of its
//! concept, and the verdict (and, for failing cases, the flagged resources) is compared
//! with the peer's. Disagreements on purpose are listed, with the reason, in the
//! CloudFormation section of `docs/peer-differences.md`; any other disagreement, or a
//! listed case that now agrees, fails the test.
//!
//! The corpus lives outside the repo (`TRAILCHECK_CORPUS`, default `../shared/corpus`):
//! when it is absent the test says so and passes, unless `TRAILCHECK_REQUIRE_CORPUS=1`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test code: a failure is the report"
)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use trailcheck::check::{analyze, Options};
use trailcheck::rules::{Selection, CATALOG};

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("TRAILCHECK_CORPUS")
        .map_or_else(|| PathBuf::from("../shared/corpus"), PathBuf::from);
    if dir.join("peers/manifest.json").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("TRAILCHECK_REQUIRE_CORPUS").as_deref() != Ok("1"),
        "TRAILCHECK_REQUIRE_CORPUS=1 but no corpus at {}",
        dir.display()
    );
    eprintln!(
        "NOTICE: peer corpus not found at {} (set TRAILCHECK_CORPUS); CloudFormation conformance not checked",
        dir.display()
    );
    None
}

fn rule_of(concept: &str) -> Option<&'static str> {
    Some(match concept {
        "log-validation" => "log-file-validation-disabled",
        "kms-encryption" => "logs-not-kms-encrypted",
        "bucket-not-public" => "log-bucket-publicly-accessible",
        "bucket-access-logging" => "log-bucket-access-logging-disabled",
        "cloudwatch-integration" => "cloudwatch-logs-not-integrated",
        "config-change-alarm" => "trail-change-alarm-missing",
        "logging-enabled" => "trail-logging-disabled",
        "multi-region" => "trail-single-region",
        "sns-notification" => "sns-notifications-missing",
        // A model rule: checked once it is in the catalog.
        "data-events-s3" => "s3-data-events-not-logged",
        _ => return None,
    })
}

/// Paths listed in the CloudFormation section, as `- \`peers/<path>\`: reason`.
fn allowed_differences() -> BTreeSet<String> {
    let text = std::fs::read_to_string("docs/peer-differences.md").unwrap_or_default();
    let mut in_section = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            in_section = h.trim().eq_ignore_ascii_case("CloudFormation");
            continue;
        }
        if !in_section {
            continue;
        }
        // `- \`peers/<path>\`: reason`
        if let Some(rest) = line.trim_start().strip_prefix("- `peers/") {
            if let Some((path, _)) = rest.split_once('`') {
                out.insert(path.to_owned());
            }
        }
    }
    out
}

#[test]
fn cloudformation_verdicts_agree_with_peers() {
    let Some(dir) = corpus() else { return };
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("peers/manifest.json")).expect("manifest readable"),
    )
    .expect("manifest is JSON");
    let allowed = allowed_differences();
    let (mut agree, mut total, mut skipped) = (0usize, 0usize, 0usize);
    let mut unexpected = Vec::new();
    let mut listed_seen = BTreeSet::new();
    let mut skipped_paths = BTreeSet::new();
    for e in manifest.as_array().expect("manifest is a list") {
        if e["iac"] != "cloudformation" {
            continue;
        }
        let path = e["path"].as_str().unwrap_or_default().to_owned();
        let Some(rule) =
            rule_of(e["concept"].as_str().unwrap_or_default()).filter(|r| CATALOG.get(r).is_some())
        else {
            skipped += 1;
            skipped_paths.insert(path);
            continue;
        };
        total += 1;
        let file = dir.join("peers").join(&path);
        let opts = Options {
            selection: Selection {
                only: vec![rule.to_owned()],
                ..Selection::default()
            },
            exact_files: true,
            ..Options::default()
        };
        let analysis = analyze(std::slice::from_ref(&file), &opts).expect("peer fixture readable");
        let errors: Vec<&str> = analysis
            .model
            .input_errors
            .iter()
            .map(|e| e.message.as_str())
            .collect();
        let flagged: BTreeSet<String> = analysis
            .findings
            .iter()
            .filter(|f| f.rule.name == rule)
            .filter_map(|f| f.resource.clone())
            .collect();
        let expected: BTreeSet<String> = e["expected_findings"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|f| f["resource"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let ok = match e["expect"].as_str() {
            Some("pass") => flagged.is_empty(),
            _ => !flagged.is_empty() && (expected.is_empty() || expected == flagged),
        };
        if ok {
            agree += 1;
            if allowed.contains(&path) {
                unexpected.push(format!("{path}: listed as a difference but now agrees"));
            }
        } else if allowed.contains(&path) {
            listed_seen.insert(path.clone());
        } else {
            unexpected.push(format!(
                "{path}: peer says {} {:?}, trailcheck flags {:?} with {rule} (input errors: {errors:?})",
                e["expect"], expected, flagged
            ));
        }
    }
    for a in &allowed {
        if !listed_seen.contains(a)
            && !skipped_paths.contains(a)
            && !unexpected.iter().any(|u| u.starts_with(a.as_str()))
        {
            unexpected.push(format!("{a}: listed in docs/peer-differences.md but not a CloudFormation case that disagrees"));
        }
    }
    #[expect(clippy::cast_precision_loss, reason = "small counts")]
    let pct = if total == 0 {
        100.0
    } else {
        agree as f64 * 100.0 / total as f64
    };
    eprintln!(
        "CloudFormation peer agreement: {agree}/{total} ({pct:.1}%), {} listed differences, {skipped} skipped (no rule yet)",
        listed_seen.len()
    );
    assert!(
        unexpected.is_empty(),
        "{} unexpected disagreements:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
}
