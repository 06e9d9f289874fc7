//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning ingests it.
//!
//! - `tool.driver.rules` is the whole catalog (`shortDescription`, `fullDescription`,
//!   `help`, `helpUri` pinned to the release tag, `properties.security-severity` and
//!   `tags`), so a rule that fires later already has its documentation in the upload.
//! - Result URIs are relative to `%SRCROOT%` (the working directory, which in CI is the
//!   checkout); `originalUriBaseIds` is left out so the file is the same on every machine.
//! - `partialFingerprints` carries the same fingerprint as `--baseline`, which survives
//!   line shifts; code scanning uses it to track an alert across commits.
//! - Columns count Unicode code points (`columnKind`), as every trailcheck report does.

use super::{rule_url, Report};
use crate::rules::{RuleMeta, Severity, CATALOG};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "note",
    }
}

/// GitHub's bands: critical > 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.5",
    }
}

/// `trail-single-region` → `TrailSingleRegion` (SARIF's conventional friendly name).
fn pascal(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Ends a sentence with a period (SARIF2001); messages are written without one.
fn sentence(s: &str) -> String {
    let t = s.trim_end();
    if t.ends_with(['.', '!', '?']) {
        t.to_owned()
    } else {
        format!("{t}.")
    }
}

/// Percent-encodes a relative path for a URI reference (RFC 3986 `pchar` plus `/`).
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn artifact_location(path: &str) -> Value {
    if path.starts_with('/') {
        json!({ "uri": format!("file://{}", uri_path(path)) })
    } else {
        json!({ "uri": uri_path(path), "uriBaseId": SRCROOT })
    }
}

fn rule_descriptor(r: &RuleMeta) -> Value {
    let first_paragraph = r
        .description
        .split("\n\n")
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // User rules may have no description: the title stands in.
    let (first_paragraph, description) = if first_paragraph.is_empty() {
        (r.title.clone(), r.title.as_str())
    } else {
        (first_paragraph, r.description.trim_end())
    };
    let mut markdown = format!("{description}\n");
    if let Some(tf) = &r.remediation.terraform {
        markdown.push_str(&format!(
            "\n**Terraform**\n\n```hcl\n{}\n```\n",
            tf.trim_end()
        ));
    }
    if let Some(cfn) = &r.remediation.cloudformation {
        markdown.push_str(&format!(
            "\n**CloudFormation**\n\n```yaml\n{}\n```\n",
            cfn.trim_end()
        ));
    }
    let mut tags = vec![
        "security".to_owned(),
        "cloudtrail".to_owned(),
        r.category.as_str().to_owned(),
        r.id.clone(),
    ];
    tags.extend(r.references.checkov.iter().cloned());
    tags.extend(r.references.trivy.iter().cloned());
    let mut d = json!({
        "id": r.name,
        "name": pascal(&r.name),
        "shortDescription": { "text": sentence(&r.title) },
        "fullDescription": { "text": sentence(&first_paragraph) },
        "help": { "text": description, "markdown": markdown },
        "defaultConfiguration": { "level": level(r.severity) },
        "properties": {
            "security-severity": security_severity(r.severity),
            "precision": "high",
            "problem.severity": match r.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium | Severity::Low => "warning",
                Severity::Info => "recommendation",
            },
            "tags": tags,
        },
    });
    // User rules have no page in trailcheck's docs.
    if r.since != "user" {
        d["helpUri"] = json!(rule_url(&r.name));
    }
    d
}

/// `tool.driver.rules`: the whole catalog (committed as `docs/sarif-rules.json`).
#[must_use]
pub fn rules_table() -> Value {
    Value::Array(CATALOG.iter().map(rule_descriptor).collect())
}

#[must_use]
pub fn render(report: &Report<'_>) -> String {
    let mut rules: Vec<&RuleMeta> = CATALOG.iter().collect();
    // User rules that fired follow the catalog, so every result has its rule.
    for f in report.findings {
        if !rules.iter().any(|r| r.name == f.rule.name) {
            rules.push(f.rule);
        }
    }
    let index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.as_str(), i))
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let loc = report.location(f);
            let mut text = sentence(&f.message);
            if let Some(r) = &f.resource {
                text = format!("{r}: {text}");
            }
            let related: Vec<Value> = f
                .secondary
                .iter()
                .enumerate()
                .filter_map(|(i, (span, label))| {
                    let file = report.sources.get(span.source)?;
                    let start = file.line_col(span.start);
                    let end = file.line_col(span.end.max(span.start));
                    Some(json!({
                        "id": i,
                        "message": { "text": sentence(label) },
                        "physicalLocation": {
                            "artifactLocation": artifact_location(&super::display_path(&file.path)),
                            "region": {
                                "startLine": start.line,
                                "startColumn": start.column,
                                "endLine": end.line,
                                "endColumn": end.column,
                            },
                        },
                    }))
                })
                .collect();
            let mut result = json!({
                "ruleId": f.rule.name,
                "level": level(f.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact_location(&loc.path),
                        "region": {
                            "startLine": loc.start.line,
                            "startColumn": loc.start.column,
                            "endLine": loc.end.line,
                            "endColumn": loc.end.column,
                        },
                    },
                }],
                "partialFingerprints": { "trailcheck/v1": report.fingerprint(f) },
                "properties": {
                    "severity": f.severity.as_str(),
                    "ruleShortId": f.rule.id,
                },
            });
            if let Some(i) = index.get(f.rule.name.as_str()) {
                result["ruleIndex"] = json!(i);
            }
            if let Some(r) = &f.resource {
                result["locations"][0]["logicalLocations"] =
                    json!([{ "fullyQualifiedName": r, "kind": "resource" }]);
            }
            if !related.is_empty() {
                result["relatedLocations"] = Value::Array(related);
            }
            result
        })
        .collect();
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "trailcheck",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": rules.iter().map(|r| rule_descriptor(r)).collect::<Vec<_>>(),
                },
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded_uri_references() {
        assert_eq!(uri_path("env s/100%/a#b.tf"), "env%20s/100%25/a%23b.tf");
        assert_eq!(pascal("trail-single-region"), "TrailSingleRegion");
        assert_eq!(sentence("no key"), "no key.");
    }
}
