//! User rules: `--rules DIR`, `rules test`, the example in docs/.

use super::trailcheck;
use predicates::prelude::*;

#[test]
fn rules_test_runs_the_example_rule_cases() {
    let out = trailcheck()
        .args(["rules", "test", "docs/examples/rules"])
        .assert()
        .code(0);
    insta::assert_snapshot!(
        "rules_test_example",
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    );
}

#[test]
fn rules_test_fails_on_a_wrong_expectation_and_rejects_bad_rules() {
    trailcheck()
        .args(["rules", "test", "fixtures/cli/user-rules/wrong-expectation"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "FAILED trail-kms-required / without a key (wrongly expected to pass): expected Pass, got Fail",
        ));
    trailcheck()
        .args(["rules", "test", "fixtures/cli/user-rules/invalid"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("condition.assert")
                .and(predicate::str::contains("exactly one")),
        );
    trailcheck()
        .args([
            "check",
            "fixtures/examples",
            "--rules",
            "fixtures/cli/user-rules/invalid",
        ])
        .assert()
        .code(2);
}

#[test]
fn user_rules_report_like_built_in_rules_and_can_be_suppressed() {
    let out = trailcheck()
        .args([
            "check",
            "fixtures/examples",
            "--rules",
            "docs/examples/rules",
            "--format",
            "json",
        ])
        .assert()
        .code(1);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let mine: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "trail-naming-convention-violated")
        .map(|f| {
            format!(
                "{} {}:{} {}",
                f["rule_id"], f["file"], f["line"], f["resource"]
            )
        })
        .collect();
    insta::assert_debug_snapshot!("user_rule_findings", mine);

    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("main.tf"),
        "# trailcheck:ignore ORG001 imported from the acquisition, renamed next quarter\nresource \"aws_cloudtrail\" \"t\" {\n  name = \"legacy\"\n  s3_bucket_name = \"b\"\n}\n",
    )
    .unwrap();
    let out = trailcheck()
        .arg("check")
        .arg(tmp.path())
        .args(["--rules", "docs/examples/rules", "--format", "json"])
        .assert()
        .code(1);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        !rules.contains(&"trail-naming-convention-violated"),
        "{rules:?}"
    );
    assert!(!rules.contains(&"suppression-unused"), "{rules:?}");
}

#[test]
fn sarif_lists_user_rules_that_fired() {
    let out = trailcheck()
        .args([
            "check",
            "fixtures/examples",
            "--rules",
            "docs/examples/rules",
            "--format",
            "sarif",
        ])
        .assert()
        .code(1);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    super::formats::assert_valid_sarif(&text);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for res in doc["runs"][0]["results"].as_array().unwrap() {
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], res["ruleId"]);
    }
    assert!(rules
        .iter()
        .any(|r| r["id"] == "trail-naming-convention-violated"));
}

#[test]
fn user_rules_can_be_selected_and_disabled_by_name_or_id() {
    trailcheck()
        .args([
            "check",
            "fixtures/examples",
            "--rules",
            "docs/examples/rules",
            "--select",
            "ORG001",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("2 findings (2 low)"));
    trailcheck()
        .args([
            "check",
            "fixtures/examples",
            "--rules",
            "docs/examples/rules",
            "--select",
            "trail-naming-convention-violated",
            "--disable",
            "ORG001",
        ])
        .assert()
        .code(0);
}
