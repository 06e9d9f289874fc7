//! User rules: YAML files with the same metadata as `rules/*.yaml` plus a declarative
//! [`condition`](super::condition) and `tests:` cases, loaded from `--rules DIR` or the
//! config's `extra_rules`.

use super::catalog::{References, Remediation, RuleMeta, Scope};
use super::condition::{Condition, ConditionSpec, ModelView, Outcome};
use super::{Category, Diag, Severity, CATALOG};
use crate::model::{Model, Origin};
use crate::source::Span;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// What a test case expects of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    Pass,
    Fail,
    Unknown,
}

/// One `tests:` case: an input file and the expected outcome.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCase {
    #[serde(default)]
    pub name: Option<String>,
    /// File name the input is written to (its extension picks the front end).
    #[serde(default = "default_file")]
    pub file: String,
    pub input: String,
    pub expect: Expect,
}

fn default_file() -> String {
    "main.tf".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    name: String,
    #[serde(default)]
    id: Option<String>,
    severity: Severity,
    category: Category,
    title: String,
    #[serde(default)]
    description: String,
    /// Finding message; `{address}` and `{path}` are replaced.
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    remediation: Remediation,
    #[serde(default)]
    references: References,
    condition: ConditionSpec,
    #[serde(default)]
    tests: Vec<TestCase>,
}

/// A loaded user rule.
#[derive(Debug)]
pub struct UserRule {
    /// Leaked once per process: findings refer to rules as `&'static RuleMeta`, and a
    /// run loads each user rule once.
    pub meta: &'static RuleMeta,
    pub condition: Condition,
    pub message: Option<String>,
    pub tests: Vec<TestCase>,
    pub path: PathBuf,
}

fn kebab(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// Parses one user rule file.
///
/// # Errors
/// Schema errors, a bad name, a name taken by a built-in rule, a bad condition.
pub fn parse(path: &Path, text: &str) -> Result<UserRule, String> {
    let at = path.display();
    let f: RuleFile = serde_saphyr::from_str(text).map_err(|e| format!("{at}: {e}"))?;
    if !kebab(&f.name) {
        return Err(format!("{at}: name {:?} is not kebab-case", f.name));
    }
    if CATALOG.find(&f.name).is_some() {
        return Err(format!("{at}: {:?} is a built-in rule", f.name));
    }
    let condition = Condition::compile(&f.condition).map_err(|e| format!("{at}: {e}"))?;
    let meta = RuleMeta {
        id: f.id.unwrap_or_else(|| f.name.clone()),
        name: f.name,
        severity: f.severity,
        category: f.category,
        scope: Scope::Model,
        title: f.title,
        description: f.description,
        remediation: f.remediation,
        references: f.references,
        since: "user".to_owned(),
    };
    Ok(UserRule {
        meta: Box::leak(Box::new(meta)),
        condition,
        message: f.message,
        tests: f.tests,
        path: path.to_path_buf(),
    })
}

/// Loads every `*.yaml`/`*.yml` in `dir` (not recursive), sorted by file name.
///
/// # Errors
/// An unreadable directory or file, or a rule that does not parse.
pub fn load_dir(dir: &Path) -> Result<Vec<UserRule>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = crate::fsio::read_text_bounded(p, crate::fsio::SMALL_INPUT_LIMIT)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            parse(p, &text)
        })
        .collect()
}

fn origin<'m>(model: &'m Model, collection: &str, i: usize) -> Option<&'m Origin> {
    match collection {
        "trails" => model.trails.get(i).map(|r| &r.origin),
        "event_data_stores" => model.event_data_stores.get(i).map(|r| &r.origin),
        "buckets" => model.buckets.get(i).map(|r| &r.origin),
        "kms_keys" => model.kms_keys.get(i).map(|r| &r.origin),
        "log_groups" => model.log_groups.get(i).map(|r| &r.origin),
        "roles" => model.roles.get(i).map(|r| &r.origin),
        "topics" => model.topics.get(i).map(|r| &r.origin),
        _ => None,
    }
}

/// The span of a trail's top-level attribute, when it is written in the source.
fn trail_attr_span(model: &Model, i: usize, attr: &str) -> Option<Span> {
    let t = model.trails.get(i)?;
    let opt =
        |v: &Option<crate::model::Value<String>>| v.as_ref().and_then(crate::model::Value::span);
    match attr {
        "name" => t.name.span(),
        "s3_bucket_name" => t.s3_bucket_name.span(),
        "include_global_service_events" => t.include_global_service_events.span(),
        "is_multi_region_trail" => t.is_multi_region_trail.span(),
        "is_organization_trail" => t.is_organization_trail.span(),
        "enable_logging" => t.enable_logging.span(),
        "enable_log_file_validation" => t.enable_log_file_validation.span(),
        "s3_key_prefix" => opt(&t.s3_key_prefix),
        "sns_topic_name" => opt(&t.sns_topic_name),
        "kms_key_id" => opt(&t.kms_key_id),
        "cloud_watch_logs_group_arn" => opt(&t.cloud_watch_logs_group_arn),
        "cloud_watch_logs_role_arn" => opt(&t.cloud_watch_logs_role_arn),
        _ => None,
    }
}

impl UserRule {
    /// Evaluates the rule: one diagnostic per resource whose assertion fails (never for
    /// unknown).
    #[must_use]
    pub fn check(&self, model: &Model, view: &ModelView) -> Vec<Diag> {
        let mut out = Vec::new();
        for (i, outcome) in self.condition.evaluate(view) {
            if outcome != Outcome::Fail {
                continue;
            }
            let Some(o) = origin(model, self.condition.collection, i) else {
                continue;
            };
            let blamed = self.condition.blamed_path(i, view);
            let path = blamed.as_ref().map(|p| p.join(".")).unwrap_or_default();
            let span = match blamed.as_deref() {
                Some([attr]) if self.condition.collection == "trails" => {
                    trail_attr_span(model, i, attr).unwrap_or(o.span)
                }
                _ => o.span,
            };
            let template = self.message.as_deref().unwrap_or(&self.meta.title);
            let message = template
                .replace("{address}", &o.address)
                .replace("{path}", &path);
            let mut d = Diag::new(span, message).resource(&o.address);
            // A one-line remediation reads as help; a snippet belongs in the rule's docs.
            if let Some(tf) = &self.meta.remediation.terraform {
                if !tf.trim().contains('\n') {
                    d = d.help(tf.trim().to_owned());
                }
            }
            out.push(d);
        }
        out
    }

    /// The outcome over a whole model: fail if any resource fails, else unknown if any is
    /// unknown, else pass (also when nothing is selected).
    #[must_use]
    pub fn outcome(&self, view: &ModelView) -> Outcome {
        let all = self.condition.evaluate(view);
        if all.iter().any(|(_, o)| *o == Outcome::Fail) {
            Outcome::Fail
        } else if all.iter().any(|(_, o)| *o == Outcome::Unknown) {
            Outcome::Unknown
        } else {
            Outcome::Pass
        }
    }
}
