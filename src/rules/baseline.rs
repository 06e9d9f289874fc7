//! Fingerprints and baselines: accept the findings a repository already has and report
//! only new ones.
//!
//! A fingerprint must survive unrelated edits (a comment added above a resource shifts
//! every line below it), so it is built from what the finding *is*, never from where it
//! is: the rule, the resource address, the file path, the message with line numbers
//! removed, and the source text of the primary span with whitespace collapsed.

use super::Finding;
use crate::source::SourceMap;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The baseline file's schema tag.
pub const SCHEMA: &str = "trailcheck/baseline/v1";

/// Line and column references in messages (`line 12`, `main.tf:12:3`).
static LINE_REFS: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\blines? \d+(?::\d+)?|(\.[a-z]+):\d+(?::\d+)?").ok());

fn normalize_message(message: &str) -> String {
    match LINE_REFS.as_ref() {
        Some(re) => re
            .replace_all(message, |c: &regex::Captures<'_>| {
                c.get(1)
                    .map_or_else(|| "line".to_owned(), |ext| ext.as_str().to_owned())
            })
            .into_owned(),
        None => message.to_owned(),
    }
}

/// 64-bit FNV-1a: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a(seed: u64, parts: &[&str]) -> u64 {
    let mut h = seed;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0u8)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// The fingerprint of a finding: 32 hex digits. `path` is the finding's file as shown in
/// reports (relative to the working directory, `/` separators).
#[must_use]
pub fn fingerprint(f: &Finding, sources: &SourceMap, path: &str) -> String {
    let snippet = sources
        .get(f.primary.source)
        .map(|s| {
            s.slice(f.primary)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let message = normalize_message(&f.message);
    let parts = [
        f.rule.name.as_str(),
        f.resource.as_deref().unwrap_or(""),
        path,
        message.as_str(),
        snippet.as_str(),
    ];
    let a = fnv1a(0xcbf2_9ce4_8422_2325, &parts);
    let b = fnv1a(0x6c62_272e_07bb_0142, &parts);
    format!("{a:016x}{b:016x}")
}

/// One accepted finding. Everything but `fingerprint` is for the reader of the file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: String,
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub message: String,
}

/// A baseline file: versioned, entries sorted, so it diffs cleanly in review.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub schema: String,
    pub findings: Vec<Entry>,
}

impl Baseline {
    #[must_use]
    pub fn new(mut findings: Vec<Entry>) -> Baseline {
        findings.sort();
        Baseline {
            schema: SCHEMA.to_owned(),
            findings,
        }
    }

    /// Parses a baseline file.
    ///
    /// # Errors
    /// When the text is not a `trailcheck/baseline/v1` document.
    pub fn parse(text: &str) -> Result<Baseline, String> {
        let b: Baseline = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if b.schema != SCHEMA {
            return Err(format!(
                "unsupported schema {:?} (expected {SCHEMA:?})",
                b.schema
            ));
        }
        Ok(b)
    }

    #[must_use]
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Keeps the findings that the baseline does not account for. Each entry accepts one
    /// finding, so a second copy of a known problem is still new.
    #[must_use]
    pub fn filter(&self, findings: Vec<(Finding, String)>) -> Vec<Finding> {
        let mut budget: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &self.findings {
            *budget.entry(e.fingerprint.as_str()).or_default() += 1;
        }
        findings
            .into_iter()
            .filter_map(|(f, fp)| match budget.get_mut(fp.as_str()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    None
                }
                _ => Some(f),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_lose_line_numbers_only() {
        assert_eq!(
            normalize_message("conflicts with the selector on line 12 of main.tf:12:3"),
            "conflicts with the selector on line of main.tf"
        );
        assert_eq!(normalize_message("retention 90 days"), "retention 90 days");
    }
}
