//! Every `--format` on the examples and on a fixture full of characters to escape; SARIF
//! validated against the vendored 2.1.0 schema.

use super::trailcheck;

const EXAMPLES: &str = "fixtures/examples";
const ESCAPING: &str = "fixtures/cli/escaping";

fn stdout_of(args: &[&str], code: i32) -> String {
    let out = trailcheck().args(args).assert().code(code);
    let s = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    s.replace(env!("CARGO_PKG_VERSION"), "<version>")
}

fn sarif_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string("tests/schemas/sarif-schema-2.1.0.json").unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

pub(crate) fn assert_valid_sarif(text: &str) {
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    let validator = sarif_schema();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema violations:\n{}",
        errors.join("\n")
    );
}

#[test]
fn sarif_matches_the_2_1_0_schema_and_github_expectations() {
    // The schema really constrains: a result without a message is rejected.
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
        "results": [{"ruleId": "r"}]}]});
    assert!(!sarif_schema().is_valid(&bad));
    for (dir, select) in [(EXAMPLES, None), (ESCAPING, Some("trail-single-region"))] {
        let mut args = vec!["check", dir, "--format", "sarif"];
        if let Some(s) = select {
            args.extend(["--select", s]);
        }
        let text = stdout_of(&args, 1);
        assert_valid_sarif(&text);
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let run = &doc["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert!(rules.len() >= 20);
        for r in rules {
            for key in ["shortDescription", "fullDescription", "helpUri"] {
                assert!(!r[key].is_null(), "rule without {key}: {r}");
            }
            assert!(r["properties"]["security-severity"].is_string());
            assert!(r["properties"]["tags"].is_array());
        }
        for res in run["results"].as_array().unwrap() {
            let loc = &res["locations"][0]["physicalLocation"];
            assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
            assert!(!loc["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with('/'));
            assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
            assert!(res["partialFingerprints"]["trailcheck/v1"].is_string());
            let idx = res["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[idx]["id"], res["ruleId"]);
        }
    }
}

#[test]
fn sarif_snapshot_of_the_examples() {
    let text = stdout_of(&["check", EXAMPLES, "--format", "sarif"], 1);
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    // The rules table is the catalog, snapshotted by the generated-docs test; keep the
    // results here.
    doc["runs"][0]["tool"]["driver"]["rules"] = serde_json::json!("<catalog>");
    insta::assert_json_snapshot!("sarif_examples", doc);
}

#[test]
fn github_annotations_for_the_examples_and_escaping() {
    insta::assert_snapshot!(
        "github_examples",
        stdout_of(&["check", EXAMPLES, "--format", "github"], 1)
    );
    let escaped = stdout_of(
        &[
            "check",
            ESCAPING,
            "--select",
            "trail-single-region",
            "--format",
            "github",
        ],
        1,
    );
    assert!(escaped.contains("file=fixtures/cli/escaping/odd dir%2C100%25/main.tf,line=8,"));
    insta::assert_snapshot!("github_escaping", escaped);
}

#[test]
fn junit_for_the_examples_and_escaping() {
    insta::assert_snapshot!(
        "junit_examples",
        stdout_of(&["check", EXAMPLES, "--format", "junit"], 1)
    );
    insta::assert_snapshot!(
        "junit_escaping",
        stdout_of(
            &[
                "check",
                ESCAPING,
                "--select",
                "trail-single-region",
                "--format",
                "junit"
            ],
            1
        )
    );
}

#[test]
fn markdown_for_the_examples_and_escaping() {
    insta::assert_snapshot!(
        "markdown_examples",
        stdout_of(&["check", EXAMPLES, "--format", "markdown"], 1)
    );
    insta::assert_snapshot!(
        "markdown_escaping",
        stdout_of(
            &[
                "check",
                ESCAPING,
                "--select",
                "trail-single-region",
                "--format",
                "markdown"
            ],
            1
        )
    );
}

#[test]
fn human_for_the_examples() {
    insta::assert_snapshot!(
        "human_examples",
        stdout_of(&["check", EXAMPLES, "--format", "human"], 1)
    );
}

#[test]
fn json_for_the_escaping_fixture() {
    insta::assert_snapshot!(
        "json_escaping",
        stdout_of(
            &[
                "check",
                ESCAPING,
                "--select",
                "trail-single-region",
                "--format",
                "json"
            ],
            1
        )
    );
}

#[test]
fn colour_never_reaches_a_pipe_or_no_color() {
    let out = stdout_of(&["check", EXAMPLES], 1);
    assert!(!out.contains('\u{1b}'), "ANSI escape in piped output");
    let out = trailcheck()
        .env("NO_COLOR", "1")
        .env("CLICOLOR_FORCE", "1")
        .args(["check", EXAMPLES])
        .assert()
        .code(1);
    assert!(!String::from_utf8_lossy(&out.get_output().stdout).contains('\u{1b}'));
}
