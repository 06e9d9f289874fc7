//! The rule catalog: `rules/*.yaml` embedded in the binary and parsed once.

use super::{Category, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Remediation snippets.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remediation {
    #[serde(default)]
    pub terraform: Option<String>,
    #[serde(default)]
    pub cloudformation: Option<String>,
}

/// References to benchmarks and equivalent checks of other tools.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct References {
    #[serde(default)]
    pub cis: Vec<String>,
    #[serde(default)]
    pub security_hub: Vec<String>,
    #[serde(default)]
    pub checkov: Vec<String>,
    #[serde(default)]
    pub trivy: Vec<String>,
    #[serde(default)]
    pub kics: Vec<String>,
    #[serde(default)]
    pub docs: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Trail,
    Model,
    File,
}

/// Everything a person reads about a rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    pub name: String,
    pub id: String,
    pub severity: Severity,
    pub category: Category,
    pub scope: Scope,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub remediation: Remediation,
    #[serde(default)]
    pub references: References,
    pub since: String,
}

/// The embedded rule files, by name. Adding a rule adds a line here and one in
/// `REGISTRY`; `tests/catalog.rs` checks that both lists and `rules/` agree.
pub const RULE_FILES: &[(&str, &str)] = &[
    (
        "trail-single-region",
        include_str!("../../rules/trail-single-region.yaml"),
    ),
    (
        "log-file-validation-disabled",
        include_str!("../../rules/log-file-validation-disabled.yaml"),
    ),
    (
        "logs-not-kms-encrypted",
        include_str!("../../rules/logs-not-kms-encrypted.yaml"),
    ),
    (
        "trail-logging-disabled",
        include_str!("../../rules/trail-logging-disabled.yaml"),
    ),
    (
        "log-bucket-publicly-accessible",
        include_str!("../../rules/log-bucket-publicly-accessible.yaml"),
    ),
    (
        "log-bucket-access-logging-disabled",
        include_str!("../../rules/log-bucket-access-logging-disabled.yaml"),
    ),
    (
        "log-bucket-not-protected",
        include_str!("../../rules/log-bucket-not-protected.yaml"),
    ),
    (
        "cloudwatch-logs-not-integrated",
        include_str!("../../rules/cloudwatch-logs-not-integrated.yaml"),
    ),
    (
        "cloudwatch-logs-misconfigured",
        include_str!("../../rules/cloudwatch-logs-misconfigured.yaml"),
    ),
    (
        "bucket-policy-blocks-delivery",
        include_str!("../../rules/bucket-policy-blocks-delivery.yaml"),
    ),
    (
        "kms-policy-blocks-delivery",
        include_str!("../../rules/kms-policy-blocks-delivery.yaml"),
    ),
    (
        "sns-notifications-missing",
        include_str!("../../rules/sns-notifications-missing.yaml"),
    ),
    (
        "trail-change-alarm-missing",
        include_str!("../../rules/trail-change-alarm-missing.yaml"),
    ),
    (
        "log-retention-short",
        include_str!("../../rules/log-retention-short.yaml"),
    ),
    (
        "org-trail-single-region",
        include_str!("../../rules/org-trail-single-region.yaml"),
    ),
    (
        "insights-prerequisite-missing",
        include_str!("../../rules/insights-prerequisite-missing.yaml"),
    ),
    (
        "event-selectors-conflict",
        include_str!("../../rules/event-selectors-conflict.yaml"),
    ),
    (
        "selector-matches-nothing",
        include_str!("../../rules/selector-matches-nothing.yaml"),
    ),
    (
        "selector-quota-exceeded",
        include_str!("../../rules/selector-quota-exceeded.yaml"),
    ),
    (
        "region-not-covered",
        include_str!("../../rules/region-not-covered.yaml"),
    ),
    (
        "global-events-not-captured",
        include_str!("../../rules/global-events-not-captured.yaml"),
    ),
    (
        "global-events-duplicated",
        include_str!("../../rules/global-events-duplicated.yaml"),
    ),
    (
        "management-events-incomplete",
        include_str!("../../rules/management-events-incomplete.yaml"),
    ),
    (
        "s3-data-events-not-logged",
        include_str!("../../rules/s3-data-events-not-logged.yaml"),
    ),
    (
        "org-trail-outside-management-account",
        include_str!("../../rules/org-trail-outside-management-account.yaml"),
    ),
    (
        "member-trail-duplicates-org-trail",
        include_str!("../../rules/member-trail-duplicates-org-trail.yaml"),
    ),
    (
        "paid-management-event-copies",
        include_str!("../../rules/paid-management-event-copies.yaml"),
    ),
    (
        "data-events-log-own-bucket",
        include_str!("../../rules/data-events-log-own-bucket.yaml"),
    ),
    (
        "unbounded-data-events",
        include_str!("../../rules/unbounded-data-events.yaml"),
    ),
    (
        "trails-per-region-quota",
        include_str!("../../rules/trails-per-region-quota.yaml"),
    ),
    ("parse-error", include_str!("../../rules/parse-error.yaml")),
    (
        "unresolved-value",
        include_str!("../../rules/unresolved-value.yaml"),
    ),
    (
        "file-not-checked",
        include_str!("../../rules/file-not-checked.yaml"),
    ),
    (
        "suppression-missing-reason",
        include_str!("../../rules/suppression-missing-reason.yaml"),
    ),
    (
        "suppression-unused",
        include_str!("../../rules/suppression-unused.yaml"),
    ),
];

/// Parsed catalog. A malformed embedded file is a build-time bug caught by
/// `tests/catalog.rs`; at run time the rule is left out rather than panicking.
pub struct Catalog {
    rules: BTreeMap<String, RuleMeta>,
    pub errors: Vec<String>,
}

impl Catalog {
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&RuleMeta> {
        self.rules.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &RuleMeta> {
        self.rules.values()
    }

    /// Looks a rule up by name or short id (case-insensitive id).
    #[must_use]
    pub fn find(&self, key: &str) -> Option<&RuleMeta> {
        self.get(key)
            .or_else(|| self.rules.values().find(|r| r.id.eq_ignore_ascii_case(key)))
    }
}

/// Parses one rule file.
///
/// # Errors
/// When the YAML does not match the schema.
pub fn parse_rule(text: &str) -> Result<RuleMeta, String> {
    serde_saphyr::from_str(text).map_err(|e| e.to_string())
}

pub static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let mut rules = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, text) in RULE_FILES {
        match parse_rule(text) {
            Ok(meta) if meta.name == *name => {
                rules.insert(meta.name.clone(), meta);
            }
            Ok(meta) => errors.push(format!(
                "rules/{name}.yaml: name is {:?}, expected {name:?}",
                meta.name
            )),
            Err(e) => errors.push(format!("rules/{name}.yaml: {e}")),
        }
    }
    Catalog { rules, errors }
});
