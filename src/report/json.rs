//! `--format json`: the versioned `trailcheck/v1` schema (see design.md).

use super::Report;
use serde::Serialize;

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule_id: &'a str,
    rule: &'a str,
    severity: &'a str,
    category: &'a str,
    message: &'a str,
    file: String,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    resource: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct Summary {
    findings: usize,
    files: usize,
    by_severity: std::collections::BTreeMap<&'static str, usize>,
}

#[derive(Serialize)]
struct Doc<'a> {
    schema: &'static str,
    version: &'static str,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary,
}

#[must_use]
pub fn render(report: &Report<'_>) -> String {
    let findings = report
        .findings
        .iter()
        .map(|f| {
            let loc = report.location(f);
            JsonFinding {
                rule_id: &f.rule.id,
                rule: &f.rule.name,
                severity: f.severity.as_str(),
                category: f.rule.category.as_str(),
                message: &f.message,
                file: loc.path,
                line: loc.start.line,
                column: loc.start.column,
                end_line: loc.end.line,
                end_column: loc.end.column,
                resource: f.resource.as_deref(),
                help: f.help.as_deref(),
            }
        })
        .collect();
    let mut by_severity = std::collections::BTreeMap::new();
    for f in report.findings {
        *by_severity.entry(f.severity.as_str()).or_insert(0) += 1;
    }
    let doc = Doc {
        schema: "trailcheck/v1",
        version: env!("CARGO_PKG_VERSION"),
        findings,
        summary: Summary {
            findings: report.findings.len(),
            files: report.files,
            by_severity,
        },
    };
    let mut s =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
