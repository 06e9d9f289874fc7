//! `--format human`: miette diagnostics with the source snippet, then a summary line.
//! Colour only on a terminal and never with `NO_COLOR`.

use super::Report;
use crate::rules::{Finding, Severity};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan,
};
use std::fmt;

struct FindingDiagnostic {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    url: Option<String>,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
}

impl fmt::Debug for FindingDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl fmt::Display for FindingDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for FindingDiagnostic {}

impl Diagnostic for FindingDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.url
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// Rendering options.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

impl Style {
    /// Colour on a terminal unless `NO_COLOR` is set; the terminal's width.
    #[must_use]
    pub fn detect() -> Style {
        use std::io::IsTerminal;
        let tty = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: tty && !no_color,
            width: if tty {
                terminal_width().unwrap_or(100)
            } else {
                100
            },
        }
    }
}

fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS").ok()?.parse().ok()
}

fn miette_severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Critical | Severity::High => miette::Severity::Error,
        Severity::Medium | Severity::Low => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

fn diagnostic(report: &Report<'_>, f: &Finding) -> FindingDiagnostic {
    let (name, text) =
        report
            .sources
            .get(f.primary.source)
            .map_or((String::new(), String::new()), |s| {
                (
                    super::printable(&super::display_path(&s.path)).into_owned(),
                    super::printable_source(&s.text).into_owned(),
                )
            });
    let clamp = |span: crate::source::Span| -> SourceSpan {
        let start = (span.start as usize).min(text.len());
        let end = (span.end as usize).clamp(start, text.len());
        SourceSpan::new(start.into(), end - start)
    };
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some(f.rule.title.clone()),
        clamp(f.primary),
    )];
    for (span, label) in &f.secondary {
        // miette shows one source per diagnostic: secondary labels in other files are
        // mentioned in the message instead.
        if span.source == f.primary.source {
            labels.push(LabeledSpan::new_with_span(
                Some(super::printable(label).into_owned()),
                clamp(*span),
            ));
        }
    }
    let mut message = super::printable(&f.message).into_owned();
    if let Some(r) = &f.resource {
        message = format!("{}: {message}", super::printable(r));
    }
    FindingDiagnostic {
        message,
        code: format!("{}({})", f.rule.name, f.rule.id),
        severity: miette_severity(f.severity),
        help: f.help.as_deref().map(|h| super::printable(h).into_owned()),
        url: None,
        source: NamedSource::new(name, text),
        labels,
    }
}

/// Renders every finding, then the summary line.
#[must_use]
pub fn render(report: &Report<'_>, style: Style) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false);
    let mut out = String::new();
    for f in report.findings {
        let d = diagnostic(report, f);
        let mut s = String::new();
        if handler.render_report(&mut s, &d).is_err() {
            let loc = report.location(f);
            s = format!(
                "{}:{}:{}: {} {}\n",
                super::printable(&loc.path),
                loc.start.line,
                loc.start.column,
                f.rule.name,
                super::printable(&f.message)
            );
        }
        out.push_str(&s);
        out.push('\n');
    }
    out.push_str(&report.summary_line());
    out.push('\n');
    out
}
