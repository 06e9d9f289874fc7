//! Generated documentation: `docs/rules/<name>.md` per rule, the README's rule table and
//! the SARIF rules table, all rendered from the embedded catalog. `tests/catalog.rs`
//! compares them with the committed copies (`UPDATE_GENERATED=1` rewrites them), so the
//! terminal (`rules explain`), the docs and SARIF cannot disagree.

use super::{RuleMeta, CATALOG};
use std::fmt::Write;

/// Rules in id order (the order people read the catalog in).
#[must_use]
pub fn rules_by_id() -> Vec<&'static RuleMeta> {
    let mut v: Vec<&RuleMeta> = CATALOG.iter().collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

/// The page `docs/rules/<name>.md`.
#[must_use]
pub fn rule_page(r: &RuleMeta) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<!-- Generated from rules/{}.yaml by tests/catalog.rs; edit the YAML, then run\n     UPDATE_GENERATED=1 cargo test --test catalog -->\n",
        r.name
    );
    let _ = writeln!(s, "# {} ({})\n", r.name, r.id);
    let _ = writeln!(s, "**{}**\n", r.title);
    let _ = writeln!(
        s,
        "| Severity | Category | Scope | Since |\n|---|---|---|---|\n| {} | {} | {} | {} |\n",
        r.severity,
        r.category.as_str(),
        match r.scope {
            super::catalog::Scope::Trail => "trail",
            super::catalog::Scope::Model => "model",
            super::catalog::Scope::File => "file",
        },
        r.since
    );
    let _ = writeln!(s, "## Why\n\n{}\n", r.description.trim_end());
    if r.remediation.terraform.is_some() || r.remediation.cloudformation.is_some() {
        s.push_str("## How to fix\n\n");
        if let Some(tf) = &r.remediation.terraform {
            let _ = writeln!(s, "Terraform:\n\n```hcl\n{}\n```\n", tf.trim_end());
        }
        if let Some(cfn) = &r.remediation.cloudformation {
            let _ = writeln!(s, "CloudFormation:\n\n```yaml\n{}\n```\n", cfn.trim_end());
        }
    }
    let refs = &r.references;
    let groups: [(&str, &Vec<String>); 6] = [
        ("CIS AWS Foundations Benchmark", &refs.cis),
        ("AWS Security Hub", &refs.security_hub),
        ("Checkov", &refs.checkov),
        ("Trivy", &refs.trivy),
        ("KICS", &refs.kics),
        ("Documentation", &refs.docs),
    ];
    if groups.iter().any(|(_, v)| !v.is_empty()) {
        s.push_str("## References\n\n");
        for (label, v) in groups {
            for x in v {
                let _ = writeln!(s, "- {label}: {x}");
            }
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "## Suppressing\n\nOn or directly above the resource or attribute:\n\n```hcl\n# trailcheck:ignore {} <reason>\n```\n\nor for a path, in `.trailcheck.yaml`:\n\n```yaml\nignore:\n  - rule: {}\n    paths: [\"envs/sandbox/**\"]\n    reason: <reason>\n```",
        r.name, r.name
    );
    s
}

/// The README's rule table (between `<!-- rules:begin -->` and `<!-- rules:end -->`).
#[must_use]
pub fn readme_table() -> String {
    let mut s = String::from("| id | name | severity | title |\n|---|---|---|---|\n");
    for r in rules_by_id() {
        let _ = writeln!(
            s,
            "| {} | [{}](docs/rules/{}.md) | {} | {} |",
            r.id, r.name, r.name, r.severity, r.title
        );
    }
    s
}

/// Replaces the text between the README's rule-table markers.
#[must_use]
pub fn splice_readme(readme: &str) -> Option<String> {
    const BEGIN: &str = "<!-- rules:begin -->\n";
    const END: &str = "<!-- rules:end -->";
    let b = readme.find(BEGIN)? + BEGIN.len();
    let e = readme[b..].find(END)? + b;
    Some(format!(
        "{}{}{}",
        &readme[..b],
        readme_table(),
        &readme[e..]
    ))
}
