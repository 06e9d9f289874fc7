//! HCL parsing for the Terraform front end, on top of hcl-edit: nesting depth bounded,
//! duplicate object keys accepted as Terraform accepts them.
//!
//! - **Depth.** hcl-edit parses recursively, and everything that walks its trees (our
//!   evaluator, even dropping them) recurses as deep. Parsing runs on the parse-budget
//!   helper thread, whose stack is large; there, right after the parse, the tree is
//!   measured and a file nesting deeper than [`MAX_NESTING`] (100,000 `(`, a 10,000-level
//!   block, a chain of 10,000 function calls) is refused with a located error and dropped
//!   on that thread. Trees that reach the evaluator are at most that deep.
//! - **Duplicate object keys.** `{ a = 1, a = 2 }` is valid Terraform (the last one wins)
//!   but hcl-edit refuses it. When that is the error, the repeated key is renamed to a
//!   same-length name that appears nowhere in the file (so no offset moves), the text is
//!   parsed again, and the renamed keys are restored in the tree, where the later value
//!   replaces the earlier one. Repeated *attributes* in a body stay an error: Terraform
//!   rejects those too.

use crate::frontend::budget;
use hcl_edit::expr::{Expression, Object, ObjectKey};
use hcl_edit::structure::{Block, Body};
use hcl_edit::template::Template;
use hcl_edit::visit::{self, Visit};
use hcl_edit::visit_mut::{self, VisitMut};
use hcl_edit::{Decorated, Ident};

/// The deepest nesting of expressions and blocks accepted.
pub(crate) const MAX_NESTING: usize = 200;

/// Repeated object keys repaired per file, at most (each costs a parse).
const MAX_REPAIRS: usize = 32;

/// Why a text was not parsed: an offset in it and a message.
#[derive(Debug, Clone)]
pub(crate) struct SyntaxError {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

/// Parses a `.tf` file's text (call it on the parse-budget helper).
pub(crate) fn parse_body(text: &str) -> Result<Body, SyntaxError> {
    let mut repaired: Option<String> = None;
    let mut aliases: Vec<(String, String)> = Vec::new();
    loop {
        let current = repaired.as_deref().unwrap_or(text);
        match hcl_edit::parser::parse_body(current) {
            Ok(mut body) => {
                if let Some(offset) = too_deep(|d| d.visit_body(&body)) {
                    return Err(deep_error(offset));
                }
                if !aliases.is_empty() {
                    Restore { aliases: &aliases }.visit_body_mut(&mut body);
                }
                return Ok(body);
            }
            Err(e) => {
                let offset = e.location().offset();
                let redefined = e.message().contains("redefined object key");
                let renamed = (redefined && aliases.len() < MAX_REPAIRS)
                    .then(|| rename_key(current, offset))
                    .flatten();
                match renamed {
                    Some((next, alias, original)) => {
                        aliases.push((alias, original));
                        repaired = Some(next);
                    }
                    None => {
                        return Err(SyntaxError {
                            offset,
                            message: e.message().to_string(),
                        })
                    }
                }
            }
        }
    }
}

/// Parses a template for `templatefile` under the parse budget, with its depth bounded.
pub(crate) fn parse_template(text: String) -> Result<Template, String> {
    budget::run(budget::parse_budget_for(text.len()), move || {
        let tpl = hcl_edit::parser::parse_template(&text).map_err(|e| e.message().to_string())?;
        if too_deep(|d| d.visit_template(&tpl)).is_some() {
            // Dropped here, on the helper's large stack.
            return Err(format!(
                "the template nests more than {MAX_NESTING} levels deep"
            ));
        }
        Ok(tpl)
    })
    .map_err(|overrun| overrun.describe("template"))
    .and_then(|parsed| parsed)
}

fn deep_error(offset: usize) -> SyntaxError {
    SyntaxError {
        offset,
        message: format!(
            "expressions or blocks nest more than {MAX_NESTING} levels deep here; \
             trailcheck does not analyse files nested this deep"
        ),
    }
}

/// The offset of the first node nested deeper than [`MAX_NESTING`], if any.
fn too_deep(walk: impl FnOnce(&mut DepthCheck)) -> Option<usize> {
    let mut d = DepthCheck { depth: 0, at: None };
    walk(&mut d);
    d.at
}

struct DepthCheck {
    depth: usize,
    at: Option<usize>,
}

impl DepthCheck {
    fn enter(&mut self, span: Option<std::ops::Range<usize>>) -> bool {
        if self.at.is_some() {
            return false;
        }
        if self.depth >= MAX_NESTING {
            self.at = Some(span.map_or(0, |r| r.start));
            return false;
        }
        self.depth += 1;
        true
    }
}

impl Visit for DepthCheck {
    fn visit_expr(&mut self, node: &Expression) {
        if self.enter(hcl_edit::Span::span(node)) {
            visit::visit_expr(self, node);
            self.depth -= 1;
        }
    }

    fn visit_block(&mut self, node: &Block) {
        if self.enter(hcl_edit::Span::span(node)) {
            visit::visit_block(self, node);
            self.depth -= 1;
        }
    }
}

/// Restores renamed object keys; a later value replaces an earlier one.
struct Restore<'a> {
    aliases: &'a [(String, String)],
}

impl Restore<'_> {
    fn original(&self, name: &str) -> Option<&str> {
        self.aliases
            .iter()
            .find(|(a, _)| a == name)
            .map(|(_, o)| o.as_str())
    }
}

impl VisitMut for Restore<'_> {
    fn visit_object_mut(&mut self, node: &mut Object) {
        visit_mut::visit_object_mut(self, node);
        let renamed = |k: &ObjectKey| match k {
            ObjectKey::Ident(i) => self.original(i.as_str()).is_some(),
            ObjectKey::Expression(Expression::String(s)) => self.original(s.as_str()).is_some(),
            ObjectKey::Expression(_) => false,
        };
        if !node.iter().any(|(k, _)| renamed(k)) {
            return;
        }
        let items: Vec<_> = node.clone().into_iter().collect();
        node.clear();
        for (k, v) in items {
            let k = match k {
                ObjectKey::Ident(i) => match self.original(i.as_str()) {
                    Some(o) => ObjectKey::Ident(Decorated::new(Ident::new_unchecked(o))),
                    None => ObjectKey::Ident(i),
                },
                ObjectKey::Expression(Expression::String(s)) => match self.original(s.as_str()) {
                    Some(o) => {
                        ObjectKey::Expression(Expression::String(Decorated::new(o.to_owned())))
                    }
                    None => ObjectKey::Expression(Expression::String(s)),
                },
                other => other,
            };
            // `insert` on an existing key keeps its place and takes the new value.
            node.insert(k, v);
        }
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// Renames the object key at `offset` (an identifier or a plain quoted string) to a name
/// of the same byte length found nowhere in `text`: (new text, new name, old name).
fn rename_key(text: &str, offset: usize) -> Option<(String, String, String)> {
    let rest = text.get(offset..)?;
    let (start, len) = if let Some(quoted) = rest.strip_prefix('"') {
        let end = quoted.find('"')?;
        let inner = &quoted[..end];
        if inner.is_empty() || inner.contains('\\') || inner.contains("${") || inner.contains("%{")
        {
            return None;
        }
        (offset + 1, end)
    } else {
        let len = rest
            .char_indices()
            .find(|(_, c)| !is_ident_char(*c))
            .map_or(rest.len(), |(i, _)| i);
        if len == 0 {
            return None;
        }
        (offset, len)
    };
    let original = text.get(start..start + len)?.to_owned();
    let alias = unused_name(text, len)?;
    let mut next = String::with_capacity(text.len());
    next.push_str(&text[..start]);
    next.push_str(&alias);
    next.push_str(&text[start + len..]);
    Some((next, alias, original))
}

/// An ASCII identifier of `len` bytes that occurs in `text` as no word.
fn unused_name(text: &str, len: usize) -> Option<String> {
    const FIRST: &[u8] = b"zqxjZQXJkvwyKVWY_";
    const REST: &[u8] = b"0123456789zqxjkvwy";
    for (n, &f) in FIRST
        .iter()
        .enumerate()
        .take(if len == 1 { FIRST.len() } else { 4 })
    {
        let mut tries = if len == 1 { 1 } else { 64 };
        let mut seed = n;
        while tries > 0 {
            tries -= 1;
            let mut name = String::with_capacity(len);
            name.push(f as char);
            let mut x = seed;
            for _ in 1..len {
                name.push(REST[x % REST.len()] as char);
                x = x / REST.len() + 7;
            }
            seed += 1;
            if !occurs_as_word(text, &name) {
                return Some(name);
            }
        }
    }
    None
}

fn occurs_as_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_ident_char) && !after.is_some_and(is_ident_char)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_object_keys_parse_and_the_last_wins() {
        let body = parse_body("locals {\n  x = { a = 1, b = 2, a = 3, \"c\" = 4, \"c\" = 5 }\n}\n")
            .expect("parses");
        let text = body.to_string();
        assert!(text.contains("a = 3"), "{text}");
        assert!(!text.contains("a = 1"), "{text}");
        assert!(
            text.contains("\"c\" = 5") || text.contains("c = 5"),
            "{text}"
        );
    }

    #[test]
    fn repeated_attributes_stay_an_error() {
        let e = parse_body("a = 1\na = 2\n").expect_err("Terraform rejects this too");
        assert!(e.message.contains("redefined"), "{}", e.message);
    }

    /// On the parse helper, as in production: hcl-edit needs its stack.
    fn parse_on_helper(text: String) -> Result<Body, SyntaxError> {
        budget::run(std::time::Duration::from_secs(60), move || {
            parse_body(&text)
        })
        .expect("the parse finishes")
    }

    #[test]
    fn deep_nesting_is_refused_with_an_offset() {
        for (open, close) in [("(", ")"), ("[", "]"), ("f(", ")"), ("{a=", "}")] {
            let text = format!("x = {}1{}\n", open.repeat(2000), close.repeat(2000));
            let e = parse_on_helper(text).expect_err("too deep");
            assert!(e.message.contains("nest"), "{}", e.message);
            assert!(e.offset > 0);
        }
        let text = format!("{}{}", "b {\n".repeat(1000), "}\n".repeat(1000));
        assert!(parse_on_helper(text).is_err());
        let ok = format!("x = {}1{}\n", "(".repeat(50), ")".repeat(50));
        assert!(parse_on_helper(ok).is_ok());
    }
}
