//! `--format markdown`: a summary for `$GITHUB_STEP_SUMMARY` and pull-request comments.

use super::{rule_url, Report};
use std::fmt::Write;

/// Escapes text for a table cell: pipes, HTML, and newlines (a cell is one line).
fn cell(s: &str) -> String {
    super::printable(s)
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace("\r\n", "<br>")
        .replace(['\n', '\r'], "<br>")
}

/// Text inside a code span: backslashes and entities are literal there, so only the
/// table's pipe (GFM allows `\|` in code spans in tables), backticks and newlines change.
fn code_cell(s: &str) -> String {
    super::printable(s)
        .replace('|', "\\|")
        .replace('`', "'")
        .replace(['\n', '\r'], " ")
}

#[must_use]
pub fn render(report: &Report<'_>) -> String {
    let mut out = String::from("## trailcheck\n\n");
    if report.findings.is_empty() {
        let _ = writeln!(out, "No findings: {}.", report.summary_line());
        return out;
    }
    let _ = writeln!(out, "**{}**\n", report.summary_line());
    out.push_str("| Severity | Rule | Location | Resource | Message |\n");
    out.push_str("|---|---|---|---|---|\n");
    for f in report.findings {
        let loc = report.location(f);
        let _ = writeln!(
            out,
            "| {} | [{}]({}) `{}` | `{}:{}` | {} | {} |",
            f.severity,
            f.rule.name,
            rule_url(&f.rule.name),
            f.rule.id,
            code_cell(&loc.path),
            loc.start.line,
            f.resource
                .as_deref()
                .map(|r| format!("`{}`", code_cell(r)))
                .unwrap_or_default(),
            cell(&f.message),
        );
    }
    out
}
