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

/// Where a rule's documentation lives, pinned to this release's tag.
#[must_use]
pub fn rule_url(name: &str) -> String {
    format!(
        "{}/blob/v{}/docs/rules/{name}.md",
        env!("CARGO_PKG_REPOSITORY"),
        env!("CARGO_PKG_VERSION")
    )
}
