//! The links between rule metadata, registered checks and fixtures: every `rules/*.yaml`
//! parses and is named after its file, every registered check has metadata and vice
//! versa, every rule has pass and fail fixtures, and ids are unique.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on broken fixtures"
)]

use std::collections::BTreeSet;
use trailcheck::rules::catalog::{parse_rule, RULE_FILES};
use trailcheck::rules::{CATALOG, REGISTRY};

fn names_in(dir: &str, ext: Option<&str>) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| ext.map_or(p.is_dir(), |x| p.extension().is_some_and(|e| e == x)))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_rule_file_parses_and_is_named_after_its_file() {
    assert!(CATALOG.errors.is_empty(), "{:?}", CATALOG.errors);
    for name in names_in("rules", Some("yaml")) {
        let text = std::fs::read_to_string(format!("rules/{name}.yaml")).unwrap();
        let meta = parse_rule(&text).unwrap_or_else(|e| panic!("rules/{name}.yaml: {e}"));
        assert_eq!(
            meta.name, name,
            "rules/{name}.yaml names itself {:?}",
            meta.name
        );
        assert!(
            !meta.title.is_empty() && !meta.description.trim().is_empty(),
            "{name}: title and description"
        );
        assert!(
            meta.remediation.terraform.is_some(),
            "{name}: no Terraform remediation"
        );
    }
}

#[test]
fn registry_metadata_and_embedded_files_agree() {
    let on_disk = names_in("rules", Some("yaml"));
    let embedded: BTreeSet<String> = RULE_FILES.iter().map(|(n, _)| (*n).to_owned()).collect();
    let registered: BTreeSet<String> = REGISTRY.iter().map(|(n, _)| (*n).to_owned()).collect();
    assert_eq!(on_disk, embedded, "rules/*.yaml and RULE_FILES differ");
    assert_eq!(embedded, registered, "RULE_FILES and REGISTRY differ");
    let ids: Vec<&str> = CATALOG.iter().map(|r| r.id.as_str()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "duplicate rule ids: {ids:?}");
}

#[test]
fn every_rule_has_pass_and_fail_fixtures() {
    let fixtures = names_in("fixtures/rules", None);
    for (name, _) in REGISTRY {
        assert!(
            fixtures.contains(*name),
            "fixtures/rules/{name}/ is missing"
        );
        let entries: Vec<String> = std::fs::read_dir(format!("fixtures/rules/{name}"))
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            entries.iter().any(|e| e.starts_with("pass")),
            "{name}: no pass fixture"
        );
        assert!(
            entries.iter().any(|e| e.starts_with("fail")),
            "{name}: no fail fixture"
        );
        assert!(
            entries.iter().any(|e| e == "findings.snap"),
            "{name}: no findings.snap"
        );
    }
}

/// Compares a generated file with its committed copy; `UPDATE_GENERATED=1` rewrites it.
fn check_generated(path: &str, expected: &str, stale: &mut Vec<String>) {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    if current != expected {
        if std::env::var_os("UPDATE_GENERATED").is_some() {
            if let Some(dir) = std::path::Path::new(path).parent() {
                std::fs::create_dir_all(dir).unwrap();
            }
            std::fs::write(path, expected).unwrap();
        } else {
            stale.push(path.to_owned());
        }
    }
}

#[test]
fn generated_docs_readme_table_and_sarif_rules_are_fresh() {
    use trailcheck::rules::docs;
    let mut stale = Vec::new();
    for r in docs::rules_by_id() {
        check_generated(
            &format!("docs/rules/{}.md", r.name),
            &docs::rule_page(r),
            &mut stale,
        );
    }
    // No page for a rule that no longer exists.
    for name in names_in("docs/rules", Some("md")) {
        assert!(
            CATALOG.get(&name).is_some(),
            "docs/rules/{name}.md has no rule; delete it"
        );
    }
    let readme = std::fs::read_to_string("README.md").unwrap();
    let spliced = docs::splice_readme(&readme)
        .expect("README.md has <!-- rules:begin --> and <!-- rules:end --> markers");
    check_generated("README.md", &spliced, &mut stale);
    let mut sarif =
        serde_json::to_string_pretty(&trailcheck::report::sarif::rules_table()).unwrap();
    sarif.push('\n');
    let sarif = sarif.replace(env!("CARGO_PKG_VERSION"), "<version>");
    check_generated("docs/sarif-rules.json", &sarif, &mut stale);
    assert!(
        stale.is_empty(),
        "stale generated files (run `UPDATE_GENERATED=1 cargo test --test catalog`): {stale:?}"
    );
}

#[test]
fn action_inputs_used_are_declared() {
    let text = std::fs::read_to_string("action.yml").unwrap();
    let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(doc["runs"]["using"], "composite");
    let inputs = doc["inputs"].as_object().unwrap();
    let re = regex::Regex::new(r"inputs\.([a-z-]+)").unwrap();
    for c in re.captures_iter(&text) {
        assert!(
            inputs.contains_key(&c[1]),
            "action.yml uses undeclared input {}",
            &c[1]
        );
    }
    for (name, input) in inputs {
        assert!(
            input["description"].is_string(),
            "input {name} has no description"
        );
    }
    let hooks = std::fs::read_to_string(".pre-commit-hooks.yaml").unwrap();
    let hooks: serde_json::Value = serde_saphyr::from_str(&hooks).unwrap();
    assert_eq!(hooks[0]["id"], "trailcheck");
    let files = regex::Regex::new(hooks[0]["files"].as_str().unwrap()).unwrap();
    for f in [
        "main.tf",
        "prod.tfvars",
        "t.yaml",
        "t.yml",
        "t.json",
        "t.template",
    ] {
        assert!(files.is_match(f), "hook does not run on {f}");
    }
}
