//! `--format junit`: JUnit XML for CI dashboards. One test suite per file, one failed test
//! case per rule × resource (several findings of a rule on one resource are one case).

use super::Report;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Escapes XML text and attribute values; drops characters XML 1.0 cannot carry.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push('\t'),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[must_use]
pub fn render(report: &Report<'_>) -> String {
    // file → (rule, resource) → lines of failure text
    type Cases<'a> = BTreeMap<(&'a str, &'a str, String), Vec<String>>;
    let mut files: BTreeMap<String, Cases<'_>> = BTreeMap::new();
    for f in report.findings {
        let loc = report.location(f);
        let resource = f.resource.clone().unwrap_or_default();
        files
            .entry(loc.path.clone())
            .or_default()
            .entry((f.rule.name.as_str(), f.rule.id.as_str(), resource))
            .or_default()
            .push(format!(
                "{}:{}:{}: [{}] {}",
                loc.path, loc.start.line, loc.start.column, f.severity, f.message
            ));
    }
    let total: usize = files.values().map(BTreeMap::len).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"trailcheck\" tests=\"{}\" failures=\"{total}\" errors=\"0\">",
        total.max(1)
    );
    if files.is_empty() {
        out.push_str("  <testsuite name=\"trailcheck\" tests=\"1\" failures=\"0\" errors=\"0\">\n");
        let _ = writeln!(
            out,
            "    <testcase name=\"no findings\" classname=\"trailcheck\"><system-out>{}</system-out></testcase>",
            xml(&report.summary_line())
        );
        out.push_str("  </testsuite>\n");
    }
    for (file, cases) in &files {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{n}\" failures=\"{n}\" errors=\"0\">",
            xml(file),
            n = cases.len()
        );
        for ((rule, id, resource), lines) in cases {
            let name = if resource.is_empty() {
                (*rule).to_owned()
            } else {
                format!("{rule} {resource}")
            };
            let first = lines.first().map_or("", String::as_str);
            let _ = writeln!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                xml(&name),
                xml(file),
                xml(first),
                xml(id),
                xml(&lines.join("\n")),
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
