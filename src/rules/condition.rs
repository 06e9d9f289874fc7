//! The declarative `condition` of user rules: a closed vocabulary, not a language.
//!
//! A condition selects resources by type and asserts a predicate over each one:
//!
//! ```yaml
//! condition:
//!   resource: trail            # trail | event_data_store | bucket | kms_key | log_group
//!                              # | role | topic (or aws_cloudtrail, AWS::CloudTrail::Trail, …)
//!   assert:                    # what a compliant resource satisfies
//!     all:
//!       - path: enable_log_file_validation
//!         equals: true
//!       - path: bucket.versioning          # follows the link to the trail's bucket
//!         in: [Enabled]
//!       - not: { path: name, matches: "^tmp-" }
//!       - path: tags.Owner
//!         exists: true
//! ```
//!
//! A `path` walks the model as `trailcheck check --dump-model` prints it (dots between
//! keys, numbers index lists; `tags` is a map; `bucket`, `kms_key`, `log_group`, `role`
//! and `topic` of a trail follow the link to that resource). Each test evaluates to
//! pass, fail or unknown: an expression that cannot be resolved statically is unknown,
//! `all`/`any`/`not` combine the three values as Kleene logic does, and a resource whose
//! assertion is unknown is never reported as failing.

use crate::model::Model;
use regex::Regex;
use serde::Deserialize;
use serde_json::Value as J;

/// The outcome of a condition on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    Unknown,
}

/// A condition as written in YAML; every node holds exactly one form.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    #[serde(default)]
    pub all: Option<Vec<Spec>>,
    #[serde(default)]
    pub any: Option<Vec<Spec>>,
    #[serde(default)]
    pub not: Option<Box<Spec>>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub equals: Option<J>,
    #[serde(default, rename = "in")]
    pub one_of: Option<Vec<J>>,
    #[serde(default)]
    pub exists: Option<bool>,
    #[serde(default)]
    pub matches: Option<String>,
}

/// `condition:` of a rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionSpec {
    pub resource: String,
    pub assert: Spec,
}

#[derive(Debug, Clone)]
enum Test {
    Equals(J),
    In(Vec<J>),
    Exists(bool),
    Matches(Regex),
}

#[derive(Debug, Clone)]
enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    Test(Vec<String>, Test),
}

/// Resource kinds a condition can select, as named in the model.
const KINDS: &[(&str, &[&str])] = &[
    (
        "trails",
        &["trail", "aws_cloudtrail", "AWS::CloudTrail::Trail"],
    ),
    (
        "event_data_stores",
        &[
            "event_data_store",
            "aws_cloudtrail_event_data_store",
            "AWS::CloudTrail::EventDataStore",
        ],
    ),
    ("buckets", &["bucket", "aws_s3_bucket", "AWS::S3::Bucket"]),
    ("kms_keys", &["kms_key", "aws_kms_key", "AWS::KMS::Key"]),
    (
        "log_groups",
        &[
            "log_group",
            "aws_cloudwatch_log_group",
            "AWS::Logs::LogGroup",
        ],
    ),
    ("roles", &["role", "aws_iam_role", "AWS::IAM::Role"]),
    ("topics", &["topic", "aws_sns_topic", "AWS::SNS::Topic"]),
];

/// Links from one resource to another, by key in the model: the collection they index.
const LINKS: &[(&str, &str)] = &[
    ("bucket", "buckets"),
    ("kms_key", "kms_keys"),
    ("log_group", "log_groups"),
    ("role", "roles"),
    ("topic", "topics"),
];

/// A compiled condition.
#[derive(Debug, Clone)]
pub struct Condition {
    /// The model collection selected (`trails`, `buckets`, …).
    pub collection: &'static str,
    root: Cond,
}

fn compile(s: &Spec, at: &str) -> Result<Cond, String> {
    let forms = [
        s.all.is_some(),
        s.any.is_some(),
        s.not.is_some(),
        s.path.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if forms != 1 {
        return Err(format!(
            "{at}: write exactly one of `all`, `any`, `not` or `path` (with one test)"
        ));
    }
    if let Some(v) = &s.all {
        return v
            .iter()
            .enumerate()
            .map(|(i, c)| compile(c, &format!("{at}.all[{i}]")))
            .collect::<Result<_, _>>()
            .map(Cond::All);
    }
    if let Some(v) = &s.any {
        return v
            .iter()
            .enumerate()
            .map(|(i, c)| compile(c, &format!("{at}.any[{i}]")))
            .collect::<Result<_, _>>()
            .map(Cond::Any);
    }
    if let Some(c) = &s.not {
        return Ok(Cond::Not(Box::new(compile(c, &format!("{at}.not"))?)));
    }
    let path = s.path.clone().unwrap_or_default();
    let tests = [
        s.equals.as_ref().map(|v| Ok(Test::Equals(v.clone()))),
        s.one_of.as_ref().map(|v| Ok(Test::In(v.clone()))),
        s.exists.map(|b| Ok(Test::Exists(b))),
        s.matches.as_ref().map(|m| {
            Regex::new(m)
                .map(Test::Matches)
                .map_err(|e| format!("{at}: invalid `matches` regex: {e}"))
        }),
    ];
    let mut found = tests.into_iter().flatten();
    let test = found.next().ok_or_else(|| {
        format!("{at}: `path: {path}` needs one of `equals`, `in`, `exists`, `matches`")
    })??;
    if found.next().is_some() {
        return Err(format!("{at}: `path: {path}` has more than one test"));
    }
    if path.is_empty() {
        return Err(format!("{at}: empty `path`"));
    }
    Ok(Cond::Test(
        path.split('.').map(str::to_owned).collect(),
        test,
    ))
}

impl Condition {
    /// Compiles a condition; errors name the place in the rule file.
    ///
    /// # Errors
    /// An unknown resource type, a node with zero or several forms, a bad regex.
    pub fn compile(spec: &ConditionSpec) -> Result<Condition, String> {
        let collection = KINDS
            .iter()
            .find(|(_, names)| names.contains(&spec.resource.as_str()))
            .map(|(c, _)| *c)
            .ok_or_else(|| {
                let all: Vec<&str> = KINDS.iter().map(|(_, n)| n[0]).collect();
                format!(
                    "condition.resource: unknown resource type {:?} (one of {})",
                    spec.resource,
                    all.join(", ")
                )
            })?;
        Ok(Condition {
            collection,
            root: compile(&spec.assert, "condition.assert")?,
        })
    }

    /// Evaluates the condition on every selected resource of the model view.
    #[must_use]
    pub fn evaluate(&self, view: &ModelView) -> Vec<(usize, Outcome)> {
        let items = view.0[self.collection]
            .as_array()
            .cloned()
            .unwrap_or_default();
        items
            .iter()
            .enumerate()
            .map(|(i, r)| (i, eval(&self.root, r, view)))
            .collect()
    }
}

/// The model as JSON (what `--dump-model` prints), with `tags` as maps.
pub struct ModelView(J);

impl ModelView {
    #[must_use]
    pub fn new(model: &Model) -> ModelView {
        let mut v = serde_json::to_value(model).unwrap_or(J::Null);
        if let Some(obj) = v.as_object_mut() {
            for (_, coll) in obj.iter_mut() {
                for r in coll.as_array_mut().into_iter().flatten() {
                    if let Some(tags) = r.get_mut("tags") {
                        if let Some(pairs) = tags.as_array() {
                            let map: serde_json::Map<String, J> = pairs
                                .iter()
                                .filter_map(|p| {
                                    Some((p.get(0)?.as_str()?.to_owned(), p.get(1)?.clone()))
                                })
                                .collect();
                            *tags = J::Object(map);
                        }
                    }
                }
            }
        }
        ModelView(v)
    }
}

/// A value found at a path.
enum Found {
    Absent,
    Unknown,
    Defaulted(J),
    Known(J),
}

/// Unwraps a model `Value<T>` (`{"state": …, "value": …}`).
fn unwrap_value(v: &J) -> Found {
    match v {
        J::Null => Found::Absent,
        J::Object(o) if o.get("state").is_some_and(J::is_string) && o.len() <= 2 => {
            match o.get("state").and_then(J::as_str) {
                Some("known") => Found::Known(
                    // Known(T, Span) serializes as a one-element array (the span is skipped).
                    o.get("value")
                        .and_then(|x| x.as_array().and_then(|a| a.first()).or(Some(x)))
                        .cloned()
                        .unwrap_or(J::Null),
                ),
                Some("defaulted") => Found::Defaulted(o.get("value").cloned().unwrap_or(J::Null)),
                _ => Found::Unknown,
            }
        }
        other => Found::Known(other.clone()),
    }
}

fn resolve(resource: &J, path: &[String], view: &ModelView) -> Found {
    let mut cur = Found::Known(resource.clone());
    for (i, seg) in path.iter().enumerate() {
        let (node, defaulted) = match cur {
            Found::Known(v) => (v, false),
            Found::Defaulted(v) => (v, true),
            other => return other,
        };
        let next = match &node {
            J::Object(o) => {
                let link = LINKS.iter().find(|(k, _)| k == seg);
                match (o.get(seg.as_str()), link) {
                    // Following a link is only meaningful with more path after it.
                    (Some(J::Number(n)), Some((_, coll))) if i + 1 < path.len() => n
                        .as_u64()
                        .and_then(|n| view.0[*coll].get(usize::try_from(n).ok()?))
                        .cloned()
                        .unwrap_or(J::Null),
                    (Some(v), _) => v.clone(),
                    (None, _) => J::Null,
                }
            }
            J::Array(a) => seg
                .parse::<usize>()
                .ok()
                .and_then(|n| a.get(n))
                .cloned()
                .unwrap_or(J::Null),
            _ => J::Null,
        };
        cur = match unwrap_value(&next) {
            Found::Known(v) if defaulted => Found::Defaulted(v),
            f => f,
        };
    }
    cur
}

fn same(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
        // YAML authors write `equals: "true"` as often as `equals: true`.
        (J::String(s), J::Bool(b)) | (J::Bool(b), J::String(s)) => s == &b.to_string(),
        _ => a == b,
    }
}

fn eval(c: &Cond, r: &J, view: &ModelView) -> Outcome {
    use Outcome::{Fail, Pass, Unknown};
    match c {
        Cond::All(v) => v.iter().fold(Pass, |acc, c| match (acc, eval(c, r, view)) {
            (Fail, _) | (_, Fail) => Fail,
            (Unknown, _) | (_, Unknown) => Unknown,
            _ => Pass,
        }),
        Cond::Any(v) => v.iter().fold(Fail, |acc, c| match (acc, eval(c, r, view)) {
            (Pass, _) | (_, Pass) => Pass,
            (Unknown, _) | (_, Unknown) => Unknown,
            _ => Fail,
        }),
        Cond::Not(c) => match eval(c, r, view) {
            Pass => Fail,
            Fail => Pass,
            Unknown => Unknown,
        },
        Cond::Test(path, test) => {
            let found = resolve(r, path, view);
            let value = match (&found, test) {
                (Found::Unknown, Test::Exists(want)) => return if *want { Pass } else { Fail },
                (Found::Unknown, _) => return Unknown,
                (Found::Absent | Found::Defaulted(_), Test::Exists(want)) => {
                    return if *want { Fail } else { Pass }
                }
                (Found::Known(_), Test::Exists(want)) => return if *want { Pass } else { Fail },
                (Found::Absent, _) => J::Null,
                (Found::Known(v) | Found::Defaulted(v), _) => v.clone(),
            };
            let ok = match test {
                Test::Equals(want) => same(&value, want),
                Test::In(options) => options.iter().any(|o| same(&value, o)),
                Test::Matches(re) => value.as_str().is_some_and(|s| re.is_match(s)),
                Test::Exists(_) => false,
            };
            if ok {
                Pass
            } else {
                Fail
            }
        }
    }
}

impl Condition {
    /// The path of the test that made a resource fail, when one test is to blame (so the
    /// finding can point at that attribute rather than the resource header).
    #[must_use]
    pub fn blamed_path(&self, index: usize, view: &ModelView) -> Option<Vec<String>> {
        let r = view.0[self.collection].get(index)?;
        blame(&self.root, r, view)
    }
}

fn blame(c: &Cond, r: &J, view: &ModelView) -> Option<Vec<String>> {
    match c {
        Cond::All(v) => v
            .iter()
            .find(|c| eval(c, r, view) == Outcome::Fail)
            .and_then(|c| blame(c, r, view)),
        Cond::Test(path, _) if eval(c, r, view) == Outcome::Fail => Some(path.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(yaml: &str) -> Result<Condition, String> {
        let spec: ConditionSpec = serde_saphyr::from_str(yaml).map_err(|e| e.to_string())?;
        Condition::compile(&spec)
    }

    #[test]
    fn unknown_is_neither_pass_nor_fail_and_combines_like_kleene_logic() {
        let view = ModelView(serde_json::json!({"trails": [
            {"name": {"state": "known", "value": ["org-a"]},
             "kms_key_id": {"state": "unknown", "value": {"expr": "var.k"}},
             "enable_logging": {"state": "defaulted", "value": true},
             "tags": {"Owner": "sec"}, "bucket": null}
        ]}));
        let run = |y: &str| cond(y).unwrap().evaluate(&view)[0].1;
        assert_eq!(
            run("resource: trail\nassert: {path: name, matches: '^org-'}"),
            Outcome::Pass
        );
        assert_eq!(
            run("resource: trail\nassert: {path: kms_key_id, equals: x}"),
            Outcome::Unknown
        );
        assert_eq!(
            run("resource: trail\nassert: {path: kms_key_id, exists: true}"),
            Outcome::Pass
        );
        assert_eq!(
            run("resource: trail\nassert: {path: enable_logging, exists: true}"),
            Outcome::Fail
        );
        assert_eq!(
            run("resource: trail\nassert: {path: enable_logging, equals: true}"),
            Outcome::Pass
        );
        assert_eq!(
            run("resource: trail\nassert: {not: {path: kms_key_id, in: [a, b]}}"),
            Outcome::Unknown
        );
        assert_eq!(
            run("resource: trail\nassert: {any: [{path: kms_key_id, equals: x}, {path: tags.Owner, equals: sec}]}"),
            Outcome::Pass
        );
        assert_eq!(
            run("resource: trail\nassert: {all: [{path: kms_key_id, equals: x}, {path: tags.Team, exists: true}]}"),
            Outcome::Fail
        );
        assert_eq!(
            run("resource: trail\nassert: {path: bucket.versioning, equals: Enabled}"),
            Outcome::Fail
        );
    }

    #[test]
    fn malformed_conditions_say_where() {
        assert!(cond("resource: nope\nassert: {path: a, exists: true}")
            .unwrap_err()
            .contains("nope"));
        assert!(cond("resource: trail\nassert: {path: a}")
            .unwrap_err()
            .contains("needs one of"));
        assert!(
            cond("resource: trail\nassert: {path: a, exists: true, equals: 1}")
                .unwrap_err()
                .contains("more than one")
        );
        assert!(cond("resource: trail\nassert: {all: [], path: a}")
            .unwrap_err()
            .contains("exactly one"));
        assert!(cond("resource: trail\nassert: {path: a, matches: '('}")
            .unwrap_err()
            .contains("regex"));
        assert!(cond("resource: trail\nassert: {path: a, equal: 1}").is_err());
    }
}
