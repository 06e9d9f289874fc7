//! Adopting trailcheck in an existing repository: suppressions, the config file,
//! baselines.

use super::trailcheck;

fn json_of(out: &assert_cmd::assert::Assert) -> serde_json::Value {
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

fn rules_of(json: &serde_json::Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["rule"].as_str().unwrap(), f["resource"]))
        .collect()
}

#[test]
fn suppressions_and_config_ignores_apply_and_are_reported_when_bad() {
    let out = trailcheck()
        .args(["check", "fixtures/cli/suppressions", "--format", "json"])
        .assert()
        .code(1);
    let json = json_of(&out);
    insta::assert_debug_snapshot!("suppressions_with_config", rules_of(&json));
    // The config lowered suppression-unused to low.
    let unused = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "suppression-unused")
        .unwrap();
    assert_eq!(unused["severity"], "low");
    // Without the config, the path ignore and the disabled rules are back.
    let out = trailcheck()
        .args([
            "check",
            "fixtures/cli/suppressions",
            "--format",
            "json",
            "--no-config",
        ])
        .assert()
        .code(1);
    let rules = rules_of(&json_of(&out));
    assert!(rules
        .iter()
        .any(|r| r.contains("trail-single-region") && r.contains("legacy")));
    assert!(!rules
        .iter()
        .any(|r| r.contains("trail-single-region") && r.contains("regional")));
}

#[test]
fn an_invalid_config_is_a_usage_error_and_a_reasonless_ignore_a_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("c.yaml");
    std::fs::write(&cfg, "rules:\n  disabel: [x]\n").unwrap();
    trailcheck()
        .args(["check", "fixtures/cli/suppressions", "--config"])
        .arg(&cfg)
        .assert()
        .code(2);
    std::fs::write(&cfg, "# config\nignore:\n  - rule: CT001\n").unwrap();
    let out = trailcheck()
        .args([
            "check",
            "fixtures/cli/suppressions",
            "--format",
            "json",
            "--config",
        ])
        .arg(&cfg)
        .assert()
        .code(1);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let f = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule"] == "suppression-missing-reason"
                && f["file"].as_str().unwrap().ends_with("c.yaml")
        })
        .expect("a finding for the reasonless config ignore");
    assert_eq!(f["line"], 3);
    std::fs::write(&cfg, "rules:\n  disable: [no-such-rule]\n").unwrap();
    trailcheck()
        .args(["check", "fixtures/cli/suppressions", "--config"])
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no-such-rule"));
    // A glob that cannot compile would silently place nothing: it is an error naming it.
    std::fs::write(
        &cfg,
        "deployments:\n  - path: accounts/prod\n  - path: \"accounts/[dev\"\n    account: \"111122223333\"\n",
    )
    .unwrap();
    trailcheck()
        .args(["check", "fixtures/cli/suppressions", "--config"])
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("deployments[1].path"))
        .stderr(predicates::str::contains("accounts/[dev"));
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn baseline_accepts_known_findings_across_line_shifts_and_reports_new_ones() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(
        std::path::Path::new("fixtures/examples"),
        &tmp.path().join("repo"),
    );
    let run = |args: &[&str], code: i32| {
        let out = trailcheck()
            .current_dir(tmp.path())
            .args(args)
            .assert()
            .code(code);
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let all: serde_json::Value =
        serde_json::from_str(&run(&["check", "repo", "--format", "json"], 1)).unwrap();
    let total = all["findings"].as_array().unwrap().len();
    assert!(total > 0);
    // Writing a baseline exits 0 whatever is found.
    run(&["check", "repo", "--write-baseline", "baseline.json"], 0);
    let text = std::fs::read_to_string(tmp.path().join("baseline.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["schema"], "trailcheck/baseline/v1");
    let entries = doc["findings"].as_array().unwrap();
    assert_eq!(entries.len(), total);
    let fps: Vec<&str> = entries
        .iter()
        .map(|e| e["fingerprint"].as_str().unwrap())
        .collect();
    let mut sorted = entries.clone();
    sorted.sort_by_key(|e| e["fingerprint"].as_str().unwrap().to_owned());
    assert_eq!(&sorted, entries, "baseline entries are sorted");
    assert!(fps.iter().all(|f| f.len() == 32));

    // Unrelated edits shift every line: still nothing new.
    let main = tmp.path().join("repo/terraform/main.tf");
    let original = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        format!("# A new header comment\n# on two lines\n\n{original}"),
    )
    .unwrap();
    let out = run(&["check", "repo", "--baseline", "baseline.json"], 0);
    assert!(out.contains("0 findings"), "{out}");

    // A new problem is reported, and only it.
    std::fs::write(
        tmp.path().join("repo/terraform/new.tf"),
        "resource \"aws_cloudtrail\" \"new\" {\n  name = \"new\"\n  s3_bucket_name = \"elsewhere\"\n  is_multi_region_trail = false\n}\n",
    )
    .unwrap();
    let out = run(
        &[
            "check",
            "repo",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ],
        1,
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let resources: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["resource"].as_str().unwrap_or(""))
        .collect();
    assert!(!resources.is_empty());
    assert!(
        resources.iter().all(|r| *r == "aws_cloudtrail.new"),
        "{resources:?}"
    );

    // A broken baseline is a usage error.
    std::fs::write(
        tmp.path().join("bad.json"),
        "{\"schema\": \"nope\", \"findings\": []}",
    )
    .unwrap();
    run(&["check", "repo", "--baseline", "bad.json"], 2);
}

fn config_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string("docs/config.schema.json").unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

/// YAML → JSON through serde_json (the configs here are plain YAML).
fn yaml_to_json(text: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_saphyr::from_str(text).unwrap();
    if v.is_null() {
        serde_json::json!({})
    } else {
        v
    }
}

#[test]
fn init_writes_a_commented_config_that_loads_and_matches_the_schema() {
    let tmp = tempfile::tempdir().unwrap();
    trailcheck().arg("init").arg(tmp.path()).assert().code(0);
    let path = tmp.path().join(".trailcheck.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count()
            > 10
    );
    trailcheck::config::Config::load(&path).unwrap();
    let schema = config_schema();
    let doc = yaml_to_json(&text);
    assert!(schema.is_valid(&doc), "{doc}");
    // Refuses to overwrite without --force.
    trailcheck().arg("init").arg(tmp.path()).assert().code(2);
    trailcheck()
        .args(["init", "--force"])
        .arg(tmp.path())
        .assert()
        .code(0);
    // The checked-in configs match the schema too; a typo does not.
    let p = "fixtures/cli/suppressions/.trailcheck.yaml";
    let doc = yaml_to_json(&std::fs::read_to_string(p).unwrap());
    assert!(schema.is_valid(&doc), "{p}");
    assert!(!schema.is_valid(&serde_json::json!({"rules": {"disabel": []}})));
}
