//! `trailcheck rules list` and `rules explain NAME`: the embedded catalog, as users read it.

use crate::cli::{ListFormat, RulesArgs, RulesCommand};
use crate::rules::{RuleMeta, CATALOG, REGISTRY};
use crate::Outcome;
use miette::miette;
use std::fmt::Write as _;

fn print(s: &str) -> miette::Result<()> {
    use miette::{IntoDiagnostic, WrapErr};
    crate::fsio::write_stdout(s.as_bytes())
        .into_diagnostic()
        .wrap_err("cannot write to standard output")
}

fn registered() -> impl Iterator<Item = &'static RuleMeta> {
    REGISTRY.iter().filter_map(|(name, _)| CATALOG.get(name))
}

/// The full documentation of one rule, as `rules explain` prints it.
#[must_use]
pub(crate) fn explain(r: &RuleMeta) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} ({})", r.name, r.id);
    let _ = writeln!(s, "{}\n", r.title);
    let _ = writeln!(
        s,
        "Severity: {}    Category: {}    Scope: {:?}\n",
        r.severity,
        r.category.as_str(),
        r.scope
    );
    let _ = writeln!(s, "{}", r.description.trim_end());
    if let Some(tf) = &r.remediation.terraform {
        let _ = writeln!(s, "\nFix (Terraform):\n\n{}", indent(tf));
    }
    if let Some(cfn) = &r.remediation.cloudformation {
        let _ = writeln!(s, "\nFix (CloudFormation):\n\n{}", indent(cfn));
    }
    let refs = &r.references;
    let groups: [(&str, &Vec<String>); 6] = [
        ("CIS", &refs.cis),
        ("Security Hub", &refs.security_hub),
        ("Checkov", &refs.checkov),
        ("Trivy", &refs.trivy),
        ("KICS", &refs.kics),
        ("Docs", &refs.docs),
    ];
    if groups.iter().any(|(_, v)| !v.is_empty()) {
        let _ = writeln!(s, "\nReferences:");
        for (label, v) in groups {
            for x in v {
                let _ = writeln!(s, "  {label}: {x}");
            }
        }
    }
    let _ = writeln!(s, "\nSuppress: # trailcheck:ignore {} <reason>", r.name);
    s
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn run(args: &RulesArgs) -> miette::Result<Outcome> {
    match &args.command {
        None
        | Some(RulesCommand::List {
            format: ListFormat::Human,
        }) => {
            let mut s = String::new();
            let _ = writeln!(
                s,
                "{:<7} {:<36} {:<9} {:<13} TITLE",
                "ID", "NAME", "SEVERITY", "CATEGORY"
            );
            for r in registered() {
                let _ = writeln!(
                    s,
                    "{:<7} {:<36} {:<9} {:<13} {}",
                    r.id,
                    r.name,
                    r.severity,
                    r.category.as_str(),
                    r.title
                );
            }
            let _ = writeln!(
                s,
                "\nRun `trailcheck rules explain NAME` for a rule's documentation."
            );
            print(&s)?;
        }
        Some(RulesCommand::List {
            format: ListFormat::Json,
        }) => {
            let rules: Vec<&RuleMeta> = registered().collect();
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&rules).unwrap_or_default()
            ))?;
        }
        Some(RulesCommand::Explain { rule }) => {
            let r = CATALOG.find(rule).ok_or_else(|| {
                miette!(
                    help = "run `trailcheck rules list` to see the rule names and ids",
                    "unknown rule {rule:?}"
                )
            })?;
            print(&explain(r))?;
        }
        Some(RulesCommand::Test { dirs }) => return crate::rule_tests::run(dirs),
    }
    Ok(Outcome::Clean)
}
