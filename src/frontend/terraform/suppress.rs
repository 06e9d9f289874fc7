//! Suppression comments in HCL: `# trailcheck:ignore <rule> <reason>` (also `//` and
//! `/* */`).
//!
//! A comment at the end of a line covers the structure that starts on that line; a
//! comment on its own line covers the structure that starts on the next line that is not
//! itself a comment (so several suppressions can be stacked above one resource). The
//! structure is the outermost one starting there: a resource header covers the whole
//! block, an attribute or nested block covers just that attribute or block.
//!
//! Comments are found by a small lexer over the source text that knows strings,
//! template interpolations and heredocs, so `"#"` inside a string is never a comment.

use crate::model::Suppression;
use crate::source::{SourceFile, Span};
use hcl_edit::structure::{Body, Structure};
use hcl_edit::Span as _;

/// One comment: byte range of the whole comment, its text without delimiters, and
/// whether code precedes it on its line.
#[derive(Debug, PartialEq)]
struct Comment {
    start: usize,
    end: usize,
    text: String,
    trailing: bool,
}

#[derive(Debug)]
enum Ctx {
    Str,
    /// `${`/`%{` inside a string or heredoc, with the depth of `{` opened within it.
    Interp(u32),
    Heredoc(String),
}

/// Finds every comment in HCL source text.
fn comments(text: &str) -> Vec<Comment> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut stack: Vec<Ctx> = Vec::new();
    let mut i = 0;
    let mut code_on_line = false;
    let mut line_start = true;
    while i < b.len() {
        let c = b[i];
        match stack.last_mut() {
            None | Some(Ctx::Interp(_)) => {
                if c == b'#' || (c == b'/' && b.get(i + 1) == Some(&b'/')) {
                    let skip = if c == b'#' { 1 } else { 2 };
                    let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
                    out.push(Comment {
                        start: i,
                        end,
                        text: text[i + skip..end].trim_end_matches('\r').to_owned(),
                        trailing: code_on_line,
                    });
                    i = end;
                    continue;
                }
                if c == b'/' && b.get(i + 1) == Some(&b'*') {
                    let end = text[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
                    let inner_end = end.saturating_sub(2).max(i + 2);
                    out.push(Comment {
                        start: i,
                        end,
                        text: text.get(i + 2..inner_end).unwrap_or("").to_owned(),
                        trailing: code_on_line,
                    });
                    i = end;
                    continue;
                }
                match c {
                    b'\n' => {
                        code_on_line = false;
                        line_start = true;
                        i += 1;
                        continue;
                    }
                    b'"' => stack.push(Ctx::Str),
                    b'<' if b.get(i + 1) == Some(&b'<') => {
                        if let Some((marker, body_start)) = heredoc_start(text, i) {
                            stack.push(Ctx::Heredoc(marker));
                            i = body_start;
                            code_on_line = false;
                            line_start = true;
                            continue;
                        }
                    }
                    b'{' => {
                        if let Some(Ctx::Interp(d)) = stack.last_mut() {
                            *d += 1;
                        }
                    }
                    b'}' => match stack.last_mut() {
                        Some(Ctx::Interp(0)) => {
                            stack.pop();
                        }
                        Some(Ctx::Interp(d)) => *d -= 1,
                        _ => {}
                    },
                    _ => {}
                }
                if !c.is_ascii_whitespace() {
                    code_on_line = true;
                }
                line_start = false;
                i += 1;
            }
            Some(Ctx::Str) => {
                code_on_line = true;
                match c {
                    b'\\' => i += 2,
                    b'"' => {
                        stack.pop();
                        i += 1;
                    }
                    b'$' | b'%' if b.get(i + 1) == Some(&c) => i += 2,
                    b'$' | b'%' if b.get(i + 1) == Some(&b'{') => {
                        stack.push(Ctx::Interp(0));
                        i += 2;
                    }
                    // An unterminated string ends at the line (the parser reports it).
                    b'\n' => {
                        stack.pop();
                    }
                    _ => i += 1,
                }
            }
            Some(Ctx::Heredoc(marker)) => {
                if line_start {
                    let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
                    if text[i..end].trim() == marker.as_str() {
                        stack.pop();
                        i = end;
                        line_start = false;
                        code_on_line = true;
                        continue;
                    }
                }
                line_start = c == b'\n';
                match c {
                    b'$' | b'%' if b.get(i + 1) == Some(&c) => i += 2,
                    b'$' | b'%' if b.get(i + 1) == Some(&b'{') => {
                        stack.push(Ctx::Interp(0));
                        i += 2;
                    }
                    _ => i += 1,
                }
            }
        }
    }
    out
}

/// `<<EOF` or `<<-EOF` at `i`: the marker and where the heredoc body starts.
fn heredoc_start(text: &str, i: usize) -> Option<(String, usize)> {
    let rest = text.get(i + 2..)?;
    let rest_trim = rest.strip_prefix('-').unwrap_or(rest);
    let ident: String = rest_trim
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if ident.is_empty() || ident.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let after = i + 2 + (rest.len() - rest_trim.len()) + ident.len();
    let nl = text[after..].find('\n')?;
    if !text[after..after + nl].trim().is_empty() {
        return None;
    }
    Some((ident, after + nl + 1))
}

/// Structures with the line they start on, outermost first.
fn structures(file: &SourceFile, body: &Body, out: &mut Vec<(u32, Span)>) {
    for s in body.iter() {
        let Some(range) = s.span() else { continue };
        let line = file
            .line_col(u32::try_from(range.start).unwrap_or(u32::MAX))
            .line;
        out.push((line, Span::new(file.id, range)));
        if let Structure::Block(b) = s {
            structures(file, &b.body, out);
        }
    }
}

/// Every suppression comment in one file, with what it covers.
pub(super) fn collect(file: &SourceFile, body: &Body) -> Vec<Suppression> {
    // Most files have no suppression: skip the lexer for them.
    if !file.text.contains(Suppression::MARKER) {
        return Vec::new();
    }
    let found = comments(&file.text);
    if !found.iter().any(|c| c.text.contains(Suppression::MARKER)) {
        return Vec::new();
    }
    let mut targets = Vec::new();
    structures(file, body, &mut targets);
    let line_of = |off: usize| file.line_col(u32::try_from(off).unwrap_or(u32::MAX)).line;
    // Lines that hold only comments, to look past stacked suppressions.
    let comment_only: std::collections::BTreeSet<u32> = found
        .iter()
        .filter(|c| !c.trailing)
        .flat_map(|c| line_of(c.start)..=line_of(c.end))
        .collect();
    let mut out = Vec::new();
    for c in &found {
        let Some((rule, reason)) = Suppression::parse_comment(&c.text) else {
            continue;
        };
        let span = Span::new(file.id, c.start..c.end);
        let mut line = line_of(c.start);
        if !c.trailing {
            line = line_of(c.end) + 1;
            while comment_only.contains(&line) {
                line += 1;
            }
        }
        let target = targets
            .iter()
            .find(|(l, _)| *l == line)
            // Nothing starts there: an empty target covers nothing, so the suppression is
            // reported as unused.
            .map_or(Span::new(file.id, c.start..c.start), |(_, s)| *s);
        out.push(Suppression {
            rule,
            reason,
            span,
            target,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<(String, bool)> {
        comments(src)
            .into_iter()
            .map(|c| (c.text, c.trailing))
            .collect()
    }

    #[test]
    fn finds_comments_but_not_hashes_in_strings_templates_or_heredocs() {
        let src = "# a\nx = \"#no // no\" // b\ny = \"${f(\"#no\")}\" /* c */\nz = <<-EOT\n  # no\n  EOT\n# d\n";
        assert_eq!(
            texts(src),
            [
                (" a".to_owned(), false),
                (" b".to_owned(), true),
                (" c ".to_owned(), true),
                (" d".to_owned(), false),
            ]
        );
    }

    #[test]
    fn lexer_never_panics_on_hostile_or_truncated_text() {
        let mut inputs: Vec<String> = std::fs::read_dir("fixtures/garbage")
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter_map(|e| std::fs::read(e.path()).ok())
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let sample =
            "a = \"é${x[\"#\"]}\\\"\" # c\nb = <<-EOT\n ${y} # no\n  EOT\n/* é */ c = 1 // d\n";
        for end in 0..=sample.len() {
            if let Some(prefix) = sample.get(..end) {
                inputs.push(prefix.to_owned());
            }
        }
        for text in &inputs {
            for c in comments(text) {
                assert!(c.start <= c.end && c.end <= text.len());
            }
        }
    }

    #[test]
    fn suppression_targets_the_resource_or_the_attribute() {
        let src = "# trailcheck:ignore trail-single-region regional by design\n# another comment\nresource \"aws_cloudtrail\" \"t\" {\n  name = \"x\" # trailcheck:ignore CT101 tested\n  # trailcheck:ignore logs-not-kms-encrypted\n  s3_bucket_name = \"b\"\n}\n";
        let file = SourceFile::new(crate::source::SourceId(0), "a.tf".into(), src);
        let body = hcl_edit::parser::parse_body(src).unwrap();
        let s = collect(&file, &body);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].rule, "trail-single-region");
        assert_eq!(s[0].reason.as_deref(), Some("regional by design"));
        assert!(file.slice(s[0].target).starts_with("resource"));
        assert!(file.slice(s[1].target).starts_with("name"));
        assert_eq!(s[2].reason, None);
        assert!(file.slice(s[2].target).starts_with("s3_bucket_name"));
    }
}
