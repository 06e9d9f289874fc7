//! A span-keeping document tree for YAML and JSON templates, built from `saphyr-parser`
//! events (JSON is read by the same parser: it is YAML 1.2 flow syntax).
//!
//! Every node keeps its byte range in the file. Short-form intrinsic tags (`!Ref x`,
//! `!Sub …`) are rewritten into their long form (`{Ref: x}`, `{Fn::Sub: …}`) here, so the
//! evaluator sees one shape. Aliases are expanded with a node budget and the nesting depth
//! is capped, so an alias bomb or a 10k-deep file is an error in milliseconds, not a hang.
//! Duplicate keys are kept (the last one wins, as most YAML loaders do) and reported.

use crate::source::{SourceId, Span};
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::{HashMap, HashSet};

/// Nodes that alias expansions may add to one document (a "billion laughs" bomb).
pub(crate) const MAX_NODES: usize = 500_000;
/// Nodes one document may hold in all: a 20 MiB plan has about a million.
pub(crate) const MAX_TOTAL_NODES: usize = 4_000_000;
/// Nesting depth of collections.
pub(crate) const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    /// Strings and numbers, as written.
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key {
    pub(crate) name: String,
    pub(crate) span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) span: Span,
}

impl Node {
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The last entry with this key (the one a YAML loader keeps).
    pub(crate) fn entry(&self, key: &str) -> Option<(&Key, &Node)> {
        match &self.kind {
            Kind::Map(m) => m
                .iter()
                .rev()
                .find(|(k, _)| k.name == key)
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    fn count(&self) -> usize {
        1 + match &self.kind {
            Kind::Seq(l) => l.iter().map(Node::count).sum(),
            Kind::Map(m) => m.iter().map(|(_, v)| v.count()).sum(),
            _ => 0,
        }
    }

    fn height(&self) -> usize {
        match &self.kind {
            Kind::Seq(l) => 1 + l.iter().map(Node::height).max().unwrap_or(0),
            Kind::Map(m) => 1 + m.iter().map(|(_, v)| v.height()).max().unwrap_or(0),
            _ => 0,
        }
    }
}

/// A document that could not be read: where and why.
#[derive(Debug, Clone)]
pub(crate) struct ReadError {
    pub(crate) span: Span,
    pub(crate) message: String,
}

/// A parsed document and the problems that did not stop reading it (duplicate keys).
#[derive(Debug)]
pub(crate) struct Document {
    pub(crate) root: Node,
    pub(crate) warnings: Vec<ReadError>,
}

/// Maps the parser's character indexes to byte offsets.
struct Offsets {
    /// Empty for ASCII text, where both are the same.
    bytes: Vec<u32>,
    len: usize,
}

impl Offsets {
    fn new(text: &str) -> Offsets {
        if text.is_ascii() {
            return Offsets {
                bytes: Vec::new(),
                len: text.len(),
            };
        }
        let mut bytes: Vec<u32> = text
            .char_indices()
            .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX))
            .collect();
        bytes.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
        Offsets {
            bytes,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.bytes.is_empty() {
            char_index.min(self.len)
        } else {
            self.bytes.get(char_index).map_or(self.len, |&b| b as usize)
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: usize,
        anchor: usize,
        tag: Option<String>,
    },
    Map {
        entries: Vec<(Key, Node)>,
        /// Keys seen so far, so a duplicate is found without a scan (CDK templates have
        /// thousands of resources in one mapping).
        names: HashSet<String>,
        key: Option<Key>,
        start: usize,
        anchor: usize,
        tag: Option<String>,
    },
}

/// Long form of a CloudFormation short-form tag (`!Sub` → `Fn::Sub`).
fn intrinsic_name(suffix: &str) -> Option<String> {
    match suffix {
        "Ref" | "Condition" => Some(suffix.to_owned()),
        "Sub" | "GetAtt" | "Join" | "Select" | "Split" | "If" | "Equals" | "And" | "Or" | "Not"
        | "FindInMap" | "ImportValue" | "GetAZs" | "Base64" | "Cidr" | "Transform" | "Length"
        | "ToJsonString" => Some(format!("Fn::{suffix}")),
        _ => None,
    }
}

fn wrap_tag(tag: Option<String>, node: Node) -> Node {
    match tag {
        Some(name) => Node {
            span: node.span,
            kind: Kind::Map(vec![(
                Key {
                    name,
                    span: node.span,
                },
                node,
            )]),
        },
        None => node,
    }
}

fn plain_scalar(s: &str) -> Kind {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => Kind::Null,
        "true" | "True" | "TRUE" => Kind::Bool(true),
        "false" | "False" | "FALSE" => Kind::Bool(false),
        _ => Kind::Str(s.to_owned()),
    }
}

struct Builder<'a> {
    source: SourceId,
    offsets: &'a Offsets,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize, usize)>,
    nodes: usize,
    alias_nodes: usize,
    warnings: Vec<ReadError>,
    root: Option<Node>,
}

impl Builder<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        let (s, e) = (self.offsets.byte(start), self.offsets.byte(end));
        Span::new(self.source, s..e.max(s))
    }

    fn error(&self, at: usize, message: impl Into<String>) -> ReadError {
        ReadError {
            span: self.span(at, at),
            message: message.into(),
        }
    }

    fn count(&mut self, n: usize, at: usize) -> Result<(), ReadError> {
        self.nodes += n;
        if self.nodes > MAX_TOTAL_NODES {
            return Err(self.error(
                at,
                format!(
                    "the document holds more than {MAX_TOTAL_NODES} values: too large to \
                     analyse; split it"
                ),
            ));
        }
        Ok(())
    }

    /// Counts the nodes an alias adds, against the alias expansion limit.
    fn count_alias(&mut self, n: usize, at: usize) -> Result<(), ReadError> {
        self.alias_nodes += n;
        if self.alias_nodes > MAX_NODES {
            return Err(self.error(
                at,
                format!(
                    "aliases expand the document by more than {MAX_NODES} nodes (alias \
                     expansion limit)"
                ),
            ));
        }
        self.count(n, at)
    }

    /// Adds a finished node to its parent (or makes it the root).
    fn push(&mut self, node: Node, anchor: usize) -> Result<(), ReadError> {
        if anchor > 0 {
            let size = node.count();
            let height = node.height();
            self.anchors.insert(anchor, (node.clone(), size, height));
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                key,
                names,
                ..
            }) => match key.take() {
                None => {
                    let name = match &node.kind {
                        Kind::Str(s) => s.clone(),
                        Kind::Bool(b) => b.to_string(),
                        Kind::Null => String::new(),
                        // A complex key has no use in a template; keep the entry findable
                        // by nothing rather than failing the file.
                        Kind::Seq(_) | Kind::Map(_) => "\u{0}complex-key".to_owned(),
                    };
                    *key = Some(Key {
                        name,
                        span: node.span,
                    });
                }
                Some(k) => {
                    let duplicate = !names.insert(k.name.clone());
                    if let Some(i) = duplicate
                        .then(|| entries.iter().position(|(e, _)| e.name == k.name))
                        .flatten()
                    {
                        let warning = ReadError {
                            span: k.span,
                            message: format!(
                                "duplicate key {:?}: it was already set in this mapping; the last one is used",
                                k.name
                            ),
                        };
                        entries.remove(i);
                        self.warnings.push(warning);
                    }
                    entries.push((k, node));
                }
            },
        }
        Ok(())
    }

    fn event(&mut self, ev: Event<'_>, start: usize, end: usize) -> Result<(), ReadError> {
        let is_map = matches!(ev, Event::MappingStart(..));
        match ev {
            Event::Scalar(value, style, anchor, tag) => {
                self.count(1, start)?;
                let intrinsic = tag
                    .as_ref()
                    .filter(|t| t.handle == "!")
                    .and_then(|t| intrinsic_name(&t.suffix));
                let forced_str = tag
                    .as_ref()
                    .is_some_and(|t| t.handle == "!!" && t.suffix == "str");
                let kind = if style == ScalarStyle::Plain && !forced_str {
                    plain_scalar(&value)
                } else {
                    Kind::Str(value.into_owned())
                };
                let node = Node {
                    kind,
                    span: self.span(start, end),
                };
                self.push(wrap_tag(intrinsic, node), anchor)
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(
                        self.error(start, format!("nesting deeper than {MAX_DEPTH} levels"))
                    );
                }
                self.count(1, start)?;
                let tag = tag
                    .as_ref()
                    .filter(|t| t.handle == "!")
                    .and_then(|t| intrinsic_name(&t.suffix));
                self.stack.push(if is_map {
                    Frame::Map {
                        entries: Vec::new(),
                        names: HashSet::new(),
                        key: None,
                        start,
                        anchor,
                        tag,
                    }
                } else {
                    Frame::Seq {
                        items: Vec::new(),
                        start,
                        anchor,
                        tag,
                    }
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                let (kind, s, anchor, tag, last) = match frame {
                    Frame::Seq {
                        items,
                        start: s,
                        anchor,
                        tag,
                    } => {
                        let last = items.last().map(|n| n.span.end as usize);
                        (Kind::Seq(items), s, anchor, tag, last)
                    }
                    Frame::Map {
                        entries,
                        start: s,
                        anchor,
                        tag,
                        ..
                    } => {
                        let last = entries.last().map(|(_, n)| n.span.end as usize);
                        (Kind::Map(entries), s, anchor, tag, last)
                    }
                };
                let sp = self.span(s, s);
                let end_byte = if end > start {
                    self.offsets.byte(end)
                } else {
                    last.unwrap_or(sp.end as usize)
                };
                let node = Node {
                    kind,
                    span: Span::new(
                        self.source,
                        sp.start as usize..end_byte.max(sp.start as usize),
                    ),
                };
                self.push(wrap_tag(tag, node), anchor)
            }
            Event::Alias(id) => {
                let Some((size, height)) = self.anchors.get(&id).map(|(_, s, h)| (*s, *h)) else {
                    return Err(self.error(start, "alias to an unknown or unfinished anchor"));
                };
                if self.stack.len() + height > MAX_DEPTH {
                    return Err(self.error(
                        start,
                        format!("alias expansion nests deeper than {MAX_DEPTH} levels"),
                    ));
                }
                self.count_alias(size, start)?;
                let Some(mut node) = self.anchors.get(&id).map(|(n, _, _)| n.clone()) else {
                    return Ok(());
                };
                node.span = self.span(start, end);
                self.push(node, 0)
            }
            _ => Ok(()),
        }
    }
}

/// Reads the first document of `text`.
/// What a document is written in, for messages: JSON when it opens with `{` or `[`.
fn language(text: &str) -> &'static str {
    match text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next()
    {
        Some('{' | '[') => "JSON",
        _ => "YAML",
    }
}

pub(crate) fn parse(source: SourceId, text: &str) -> Result<Document, ReadError> {
    let offsets = Offsets::new(text);
    let mut b = Builder {
        source,
        offsets: &offsets,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        alias_nodes: 0,
        warnings: Vec::new(),
        root: None,
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (ev, span) = match next {
            Ok(x) => x,
            Err(e) => {
                let at = e.marker().index();
                return Err(ReadError {
                    span: b.span(at, at),
                    message: format!("invalid {}: {}", language(text), e.info()),
                });
            }
        };
        let (start, end) = (span.start.index(), span.end.index());
        match ev {
            Event::DocumentEnd | Event::StreamEnd => {
                if b.root.is_some() {
                    break;
                }
            }
            ev => b.event(ev, start, end)?,
        }
        if b.root.is_some() && b.stack.is_empty() {
            break;
        }
    }
    let root = b.root.take().unwrap_or(Node {
        kind: Kind::Null,
        span: Span::new(source, 0..0),
    });
    Ok(Document {
        root,
        warnings: b.warnings,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn doc(t: &str) -> Node {
        parse(SourceId(0), t).unwrap().root
    }

    #[test]
    fn short_form_tags_become_long_form() {
        let n = doc("a: !Ref X\nb: !GetAtt B.Arn\nc: !Sub\n  - x\n  - {}\n");
        assert_eq!(n.get("a").unwrap().get("Ref").unwrap().as_str(), Some("X"));
        assert!(n.get("b").unwrap().get("Fn::GetAtt").is_some());
        assert!(matches!(
            n.get("c").unwrap().get("Fn::Sub").unwrap().kind,
            Kind::Seq(_)
        ));
    }

    #[test]
    fn spans_are_byte_ranges_with_bom_and_crlf() {
        let t = "\u{feff}Résumé: é\r\nb: [1, true]\r\n";
        let n = doc(t);
        let (k, v) = n.entry("b").unwrap();
        assert_eq!(&t[k.span.range()], "b");
        assert_eq!(&t[v.span.range()], "[1, true]");
        let (_, v) = n.entry("Résumé").unwrap();
        assert_eq!(&t[v.span.range()], "é");
    }

    #[test]
    fn json_with_tabs_keeps_spans() {
        let t = "{\n\t\"a\": {\n\t\t\"b\": [1, true, null, \"x\"]\n\t}\n}\n";
        let n = doc(t);
        let b = n.get("a").unwrap().get("b").unwrap();
        assert_eq!(&t[b.span.range()], "[1, true, null, \"x\"]");
    }

    #[test]
    fn alias_bomb_is_an_error_quickly() {
        let mut t = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            t.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let started = std::time::Instant::now();
        let e = parse(SourceId(0), &t).unwrap_err();
        assert!(e.message.contains("alias"), "{}", e.message);
        assert!(started.elapsed().as_secs_f64() < 1.0);
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let t = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse(SourceId(0), &t).is_err());
    }

    #[test]
    fn duplicate_keys_are_reported_and_last_wins() {
        let d = parse(SourceId(0), "a: 1\na: 2\n").unwrap();
        assert_eq!(d.warnings.len(), 1);
        assert_eq!(d.root.get("a").unwrap().as_str(), Some("2"));
    }
}
