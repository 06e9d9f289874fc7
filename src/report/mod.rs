//! Reporters: each renders the same findings; rendering never changes which findings
//! exist. One file per format.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;

use crate::rules::{Finding, Severity};
use crate::source::{LineCol, SourceMap};
use std::path::Path;

/// Everything a reporter needs.
pub struct Report<'a> {
    pub findings: &'a [Finding],
    pub sources: &'a SourceMap,
    /// Number of files read.
    pub files: usize,
}

/// A finding's location resolved to path, start and end.
pub struct Location {
    pub path: String,
    pub start: LineCol,
    pub end: LineCol,
}

impl Report<'_> {
    #[must_use]
    pub fn location(&self, f: &Finding) -> Location {
        match self.sources.get(f.primary.source) {
            Some(file) => Location {
                path: display_path(&file.path),
                start: file.line_col(f.primary.start),
                end: file.line_col(f.primary.end.max(f.primary.start)),
            },
            None => Location {
                path: String::new(),
                start: LineCol { line: 1, column: 1 },
                end: LineCol { line: 1, column: 1 },
            },
        }
    }

    /// The finding's baseline fingerprint (see `rules::baseline`).
    #[must_use]
    pub fn fingerprint(&self, f: &Finding) -> String {
        crate::rules::baseline::fingerprint(f, self.sources, &self.location(f).path)
    }

    /// "N findings (x high, y medium) in M files".
    #[must_use]
    pub fn summary_line(&self) -> String {
        let mut parts = Vec::new();
        for sev in [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::Info,
        ] {
            let n = self.findings.iter().filter(|f| f.severity == sev).count();
            if n > 0 {
                parts.push(format!("{n} {sev}"));
            }
        }
        let n = self.findings.len();
        let noun = if n == 1 { "finding" } else { "findings" };
        let files = if self.files == 1 { "file" } else { "files" };
        if parts.is_empty() {
            format!("{n} {noun} in {} {files}", self.files)
        } else {
            format!(
                "{n} {noun} ({}) in {} {files}",
                parts.join(", "),
                self.files
            )
        }
    }
}

/// Paths are shown relative to the working directory, with `/` separators.
#[must_use]
pub fn display_path(p: &Path) -> String {
    // The working directory does not change during a run: ask the OS once.
    static CWD: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    let cwd = CWD.get_or_init(|| std::env::current_dir().ok());
    let rel = cwd
        .as_ref()
        .and_then(|cwd| p.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| p.to_path_buf());
    let s = rel.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map_or(s.clone(), str::to_owned)
}

/// Characters that must never reach a terminal or a rendered page raw: C0 and C1 controls
/// (ESC starts terminal escape sequences), DEL, and the bidirectional overrides that make
/// text read differently from what it is ("Trojan Source").
fn unsafe_char(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t'))
        || matches!(
            c,
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}'
        )
}

/// Text from files (paths, messages quoting values) made safe to print: every unsafe
/// character is written as a visible `\u{..}` escape.
#[must_use]
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A source text made safe to show as a snippet, with every byte offset kept: each unsafe
/// character (but `\r`) becomes a visible one of the same UTF-8 length (`?`, `¿` or
/// U+FFFD), so spans still point at the same places.
#[must_use]
pub fn printable_source(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| unsafe_char(c) && c != '\r';
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| match (bad(c), c.len_utf8()) {
                (false, _) => c,
                (true, 1) => '?',
                (true, 2) => '\u{bf}',
                (true, _) => '\u{fffd}',
            })
            .collect(),
    )
}

/// Where a rule's documentation lives, pinned to this release's tag.
#[must_use]
pub fn rule_url(name: &str) -> String {
    format!(
        "{}/blob/v{}/docs/rules/{name}.md",
        env!("CARGO_PKG_REPOSITORY"),
        env!("CARGO_PKG_VERSION")
    )
}

#[cfg(test)]
mod printable_tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi_overrides() {
        assert_eq!(printable("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(printable("x\u{202e}y\u{9b}"), "x\\u{202e}y\\u{9b}");
        assert_eq!(printable("plain é\ttab"), "plain é\ttab");
        let src = "a\u{1b}b\u{9b}c\u{202e}d\r\n";
        let safe = printable_source(src);
        assert_eq!(safe.len(), src.len());
        assert_eq!(safe, "a?b\u{bf}c\u{fffd}d\r\n");
    }
}
