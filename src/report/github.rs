//! `--format github`: GitHub Actions workflow commands, one per finding, so findings show
//! as annotations on the pull request's diff.
//!
//! Escaping follows the runner (`actions/toolkit`, `command.ts`): in the message `%`, CR
//! and LF are escaped; in property values also `:` and `,`, which would otherwise end the
//! value.

use super::Report;
use crate::rules::Severity;
use std::fmt::Write;

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "notice",
    }
}

#[must_use]
pub fn render(report: &Report<'_>) -> String {
    let mut out = String::new();
    for f in report.findings {
        let loc = report.location(f);
        let title = format!("{} ({}, {})", f.rule.name, f.rule.id, f.severity);
        let mut message = match &f.resource {
            Some(r) => format!("{r}: {}", f.message),
            None => f.message.clone(),
        };
        if let Some(help) = &f.help {
            message.push('\n');
            message.push_str(help);
        }
        let _ = writeln!(
            out,
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            command(f.severity),
            escape_property(&loc.path),
            loc.start.line,
            loc.start.column,
            loc.end.line,
            loc.end.column,
            escape_property(&title),
            escape_data(&message),
        );
    }
    out.push_str(&report.summary_line());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_the_runner_would_misread() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
