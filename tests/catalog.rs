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
