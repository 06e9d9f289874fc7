//! Tests over the shared corpus (`$TRAILCHECK_CORPUS`, default `../shared/corpus`):
//! peer conformance for the Terraform fixtures of other linters, and the real-world
//! Terraform projects. Where the corpus is absent the tests say so and pass, unless
//! `TRAILCHECK_REQUIRE_CORPUS=1` (set by `.ci/run`) makes that a failure.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on broken fixtures"
)]

use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;
use trailcheck::check::{analyze, Options};
use trailcheck::report::display_path;
use trailcheck::rules::Selection;

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(
        std::env::var("TRAILCHECK_CORPUS").unwrap_or_else(|_| "../shared/corpus".into()),
    );
    if dir.join("peers/manifest.json").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("TRAILCHECK_REQUIRE_CORPUS").as_deref() != Ok("1"),
        "corpus not found at {} but TRAILCHECK_REQUIRE_CORPUS=1",
        dir.display()
    );
    eprintln!(
        "NOTICE: corpus not found at {}; corpus tests skipped (set TRAILCHECK_CORPUS)",
        dir.display()
    );
    None
}

/// The rule that answers a peer concept (None: not a per-trail concept of this release).
fn rule_for(concept: &str) -> Option<&'static str> {
    Some(match concept {
        "log-validation" => "log-file-validation-disabled",
        "kms-encryption" | "eds-kms-encryption" => "logs-not-kms-encrypted",
        "bucket-not-public" => "log-bucket-publicly-accessible",
        "bucket-access-logging" => "log-bucket-access-logging-disabled",
        "cloudwatch-integration" => "cloudwatch-logs-not-integrated",
        "config-change-alarm" => "trail-change-alarm-missing",
        "logging-enabled" => "trail-logging-disabled",
        "multi-region" => "trail-single-region",
        "sns-notification" => "sns-notifications-missing",
        "data-events-s3" => "s3-data-events-not-logged",
        _ => return None,
    })
}

/// Cases listed in docs/peer-differences.md: `- \`peers/<path>\`: reason`.
fn documented_differences() -> BTreeSet<String> {
    let text = std::fs::read_to_string("docs/peer-differences.md").unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

/// `module.m.aws_cloudtrail.t["k"]` matches `aws_cloudtrail.t`.
fn resource_matches(finding: Option<&str>, expected: &str) -> bool {
    finding.is_some_and(|f| {
        // With several deployment units an address starts with its unit.
        let f = f.split_once(": ").map_or(f, |(_, a)| a);
        let base = if f.ends_with(']') {
            f.rfind('[').map_or(f, |i| &f[..i])
        } else {
            f
        };
        base == expected || base.ends_with(&format!(".{expected}"))
    })
}

#[test]
fn terraform_peer_fixtures_agree_with_the_manifest() {
    let Some(corpus) = corpus() else { return };
    let manifest: Vec<Json> =
        serde_json::from_str(&std::fs::read_to_string(corpus.join("peers/manifest.json")).unwrap())
            .unwrap();
    let documented = documented_differences();
    let (mut agree, mut total, mut skipped) = (0, 0, 0);
    let mut undocumented = Vec::new();
    let mut disagreements = BTreeSet::new();
    for e in &manifest {
        if e["iac"] != "terraform" {
            continue;
        }
        let path = e["path"].as_str().unwrap();
        let Some(rule) = rule_for(e["concept"].as_str().unwrap()) else {
            skipped += 1;
            continue;
        };
        total += 1;
        let file = corpus.join("peers").join(path);
        let opts = Options {
            selection: Selection {
                only: vec![rule.to_owned()],
                ..Selection::default()
            },
            exact_files: true,
            ..Options::default()
        };
        let a = analyze(std::slice::from_ref(&file), &opts).unwrap();
        // Trivy splits S3 data-event logging into a write and a read check.
        let direction = if path.contains("object-write-logging") {
            Some("write events")
        } else if path.contains("object-read-logging") {
            Some("read events")
        } else {
            None
        };
        let hits: Vec<_> = a
            .findings
            .iter()
            .filter(|f| f.rule.name == rule && direction.is_none_or(|d| f.message.contains(d)))
            .collect();
        let mut problems = Vec::new();
        let expect_fail = e["expect"] == "fail";
        if expect_fail && hits.is_empty() {
            problems.push("peer fails it, trailcheck passes".to_owned());
        }
        if !expect_fail && !hits.is_empty() {
            problems.push(format!(
                "peer passes it, trailcheck reports {}",
                hits[0].message
            ));
        }
        for ef in e["expected_findings"].as_array().into_iter().flatten() {
            let r = ef["resource"].as_str().unwrap_or_default();
            // Account-level rules point at a trail; peers that attach to a bucket are
            // compared by verdict only.
            if r.starts_with("aws_cloudtrail")
                && !hits
                    .iter()
                    .any(|f| resource_matches(f.resource.as_deref(), r))
            {
                problems.push(format!("no finding for {r}"));
            }
        }
        for ep in e["expected_passes"].as_array().into_iter().flatten() {
            let r = ep["resource"].as_str().unwrap_or_default();
            if hits
                .iter()
                .any(|f| resource_matches(f.resource.as_deref(), r))
            {
                problems.push(format!("finding for {r}, which the peer passes"));
            }
        }
        let key = format!("peers/{path}");
        if problems.is_empty() {
            agree += 1;
        } else {
            disagreements.insert(key.clone());
            if !documented.contains(&key) {
                undocumented.push(format!("{key} ({rule}): {}", problems.join("; ")));
            }
        }
    }
    let stale: Vec<&String> = documented
        .iter()
        .filter(|d| d.starts_with("peers/") && !disagreements.contains(*d))
        .filter(|d| {
            manifest.iter().any(|e| {
                e["iac"] == "terraform" && format!("peers/{}", e["path"].as_str().unwrap()) == **d
            })
        })
        .collect();
    eprintln!(
        "peer conformance (Terraform): {agree}/{total} agree ({:.1}%), {} documented differences, {skipped} entries of model concepts skipped",
        100.0 * f64::from(agree) / f64::from(total.max(1)),
        disagreements.len()
    );
    assert!(
        undocumented.is_empty(),
        "undocumented disagreements with peers:\n{}",
        undocumented.join("\n")
    );
    assert!(
        stale.is_empty(),
        "docs/peer-differences.md lists cases that now agree: {stale:?}"
    );
}

#[test]
fn realworld_terraform_checks_without_errors_and_reads_literal_values() {
    let Some(corpus) = corpus() else { return };
    let root = corpus.join("realworld");
    let manifest: Json =
        serde_json::from_str(&std::fs::read_to_string(root.join("manifest.json")).unwrap())
            .unwrap();
    let start = Instant::now();
    let a = analyze(std::slice::from_ref(&root), &Options::default()).unwrap();
    eprintln!(
        "realworld: {} files, {} trails, {} findings in {:?}",
        a.sources.len(),
        a.model.trails.len(),
        a.findings.len(),
        start.elapsed()
    );
    let parse_errors: Vec<String> = a
        .findings
        .iter()
        .filter(|f| f.rule.name == "parse-error")
        .map(|f| {
            format!(
                "{}: {}",
                a.sources
                    .get(f.primary.source)
                    .map(|s| display_path(&s.path))
                    .unwrap_or_default(),
                f.message
            )
        })
        .collect();
    assert!(
        parse_errors.is_empty(),
        "parse errors on valid real-world files: {parse_errors:?}"
    );

    // Trails that Terraform would not create in any root that uses their module.
    let not_instantiated = [(
        "schubergphilis__terraform-aws-mcaf-landing-zone",
        "aws_cloudtrail.additional_auditing_trail",
        // count = var.additional_auditing_trail != null ? 1 : 0, the default is null and
        // examples/basic (the only caller) does not set it.
    )];
    let mut checked = 0;
    let mut problems = Vec::new();
    for (project, p) in manifest["projects"].as_object().unwrap() {
        for t in p["trails"].as_array().into_iter().flatten() {
            if t["type"] != "aws_cloudtrail" || !t["file"].as_str().unwrap_or("").ends_with(".tf") {
                continue;
            }
            let file = root.join(project).join(t["file"].as_str().unwrap());
            let address = t["address"].as_str().unwrap();
            let trails: Vec<_> = a
                .model
                .trails
                .iter()
                .filter(|tr| {
                    a.sources
                        .get(tr.origin.span.source)
                        .is_some_and(|s| Path::new(&s.path) == file)
                })
                .filter(|tr| resource_matches(Some(&tr.origin.address), address))
                .collect();
            if trails.is_empty() && not_instantiated.contains(&(project.as_str(), address)) {
                continue;
            }
            if trails.is_empty() {
                problems.push(format!(
                    "{project}: trail {address} in {} not found",
                    t["file"]
                ));
                continue;
            }
            for (key, get) in [
                (
                    "multi_region",
                    (|tr: &trailcheck::model::Trail| tr.is_multi_region_trail.clone())
                        as fn(&_) -> _,
                ),
                ("log_validation", |tr| tr.enable_log_file_validation.clone()),
                ("global_events", |tr| {
                    tr.include_global_service_events.clone()
                }),
                ("logging", |tr| tr.enable_logging.clone()),
            ] {
                let Some(expected) = t[key].as_bool() else {
                    continue;
                };
                checked += 1;
                // Literal in the source: every instance must read it as known.
                if !trails.iter().all(|tr| get(tr).known() == Some(&expected)) {
                    problems.push(format!(
                        "{project}: {address}.{key} is literally {expected}, trailcheck read {:?}",
                        trails.iter().map(|tr| get(tr)).collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    eprintln!("realworld: {checked} literal attribute values compared");
    assert!(checked > 0);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn realworld_projects_simulate_without_error() {
    let Some(corpus) = corpus() else { return };
    let root = corpus.join("realworld");
    let mut projects: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    projects.sort();
    assert!(projects.len() >= 10);
    let mut simulated = 0;
    for p in &projects {
        let a = analyze(std::slice::from_ref(p), &Options::default()).unwrap();
        let text =
            trailcheck::simulate::render::human(&a.model, &a.simulation, &a.costs, &a.profile);
        assert!(text.contains("Coverage"), "{}", p.display());
        let json =
            trailcheck::simulate::render::json(&a.model, &a.simulation, &a.costs, &a.profile);
        let parsed: Json = serde_json::from_str(&json).unwrap();
        assert_eq!(
            parsed["trails"].as_array().unwrap().len(),
            a.simulation.sinks.len()
        );
        for l in &a.costs {
            assert!(l.usd.is_finite() && l.usd >= 0.0, "{}: {l:?}", p.display());
        }
        simulated += a.simulation.sinks.len();
    }
    eprintln!(
        "realworld: simulated {simulated} trails and event data stores in {} projects",
        projects.len()
    );
}
