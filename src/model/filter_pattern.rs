//! CloudWatch Logs filter patterns: a parser for the pattern language of metric filters and
//! an evaluator that asks whether a pattern matches one (representative) CloudTrail event.
//!
//! The rules use it to decide what a metric filter *means*: a pattern broader than the CIS
//! one (`{ $.eventSource = cloudtrail.amazonaws.com }`, or `""`, which matches everything)
//! catches the events, a pattern with a typo (`StopLoging`) does not.
//!
//! Supported: JSON patterns (`{ … }`) with `=`, `!=`, `<`, `<=`, `>`, `>=`, `*` wildcards
//! in string values, `IS NULL`, `NOT EXISTS`, `IS TRUE`, `IS FALSE`, `&&`, `||` and
//! parentheses; term patterns (`ERROR`, `"exact phrase"`, `?either ?or`, `-excluded`); the
//! empty pattern. A `%regex%` value and space-delimited patterns (`[ip, user, …]`) parse
//! as [`Pattern::Opaque`] and evaluate to [`Truth::Unknown`]: trailcheck says it cannot tell,
//! it never guesses. Input is hostile: length and nesting are bounded.

use std::collections::BTreeMap;

/// Longest pattern read (CloudWatch Logs accepts 1,024 characters).
pub const MAX_LEN: usize = 4096;
/// Deepest nesting of parentheses read.
pub const MAX_DEPTH: usize = 32;

/// A parsed filter pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    /// The empty pattern (or `""`): every event.
    All,
    /// A JSON pattern `{ … }`.
    Json(Expr),
    /// Unstructured terms: every `all` term, at least one `any` term (when there are
    /// some), no `none` term.
    Terms {
        all: Vec<String>,
        any: Vec<String>,
        none: Vec<String>,
    },
    /// Valid-looking syntax whose meaning trailcheck does not evaluate; the reason.
    Opaque(String),
}

/// A JSON pattern expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// `$.a.b <op> value`.
    Cmp {
        path: Path,
        op: Op,
        value: Literal,
    },
    /// `$.a NOT EXISTS`.
    NotExists(Path),
    /// `$.a IS NULL`.
    IsNull(Path),
    /// `$.a IS TRUE` / `IS FALSE`.
    IsBool(Path, bool),
}

/// A selector such as `$.userIdentity.type` or `$.resources[0].ARN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path(pub Vec<Seg>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
    AnyIndex,
}

impl Path {
    /// The dotted form (`userIdentity.type`), or `None` when it has array indexes.
    #[must_use]
    pub fn dotted(&self) -> Option<String> {
        let mut parts = Vec::with_capacity(self.0.len());
        for s in &self.0 {
            match s {
                Seg::Key(k) => parts.push(k.as_str()),
                Seg::Index(_) | Seg::AnyIndex => return None,
            }
        }
        Some(parts.join("."))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A string, possibly with `*` wildcards; `quoted` when written in double quotes.
    Str { text: String, quoted: bool },
    /// A `%regex%`: not evaluated.
    Regex(String),
}

/// Why a pattern does not parse: the reason and the byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub reason: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at character {}", self.reason, self.offset + 1)
    }
}

/// Three-valued truth: a pattern may refer to a field trailcheck does not model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    Yes,
    No,
    Unknown,
}

impl Truth {
    fn and(self, o: Truth) -> Truth {
        match (self, o) {
            (Truth::No, _) | (_, Truth::No) => Truth::No,
            (Truth::Yes, Truth::Yes) => Truth::Yes,
            _ => Truth::Unknown,
        }
    }
    fn or(self, o: Truth) -> Truth {
        match (self, o) {
            (Truth::Yes, _) | (_, Truth::Yes) => Truth::Yes,
            (Truth::No, Truth::No) => Truth::No,
            _ => Truth::Unknown,
        }
    }
    fn from(b: bool) -> Truth {
        if b {
            Truth::Yes
        } else {
            Truth::No
        }
    }
}

/// A field value of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Str(String),
    Bool(bool),
    Null,
}

/// One event as the evaluator sees it: the fields it has, and which fields are known to
/// be complete (a field of a complete prefix that is not listed is absent; any other
/// field not listed is unknown).
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub fields: BTreeMap<String, Field>,
    /// Dotted paths whose absence from `fields` means the event does not have them.
    pub complete: Vec<String>,
}

impl Event {
    /// `Some(Some(field))` present, `Some(None)` absent, `None` unknown.
    fn lookup(&self, path: &str) -> Option<Option<&Field>> {
        if let Some(f) = self.fields.get(path) {
            return Some(Some(f));
        }
        // A parent that is a scalar has no children.
        let mut prefix = path;
        while let Some((p, _)) = prefix.rsplit_once('.') {
            if matches!(self.fields.get(p), Some(Field::Str(_) | Field::Bool(_))) {
                return Some(None);
            }
            prefix = p;
        }
        self.complete.iter().any(|c| c == path).then_some(None)
    }

    /// The event as JSON text, for term patterns.
    #[must_use]
    pub fn text(&self) -> String {
        fn insert(
            node: &mut serde_json::Map<String, serde_json::Value>,
            parts: &[&str],
            v: serde_json::Value,
        ) {
            match parts {
                [] => {}
                [last] => {
                    node.insert((*last).to_owned(), v);
                }
                [first, rest @ ..] => {
                    let entry = node
                        .entry((*first).to_owned())
                        .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
                    if let serde_json::Value::Object(m) = entry {
                        insert(m, rest, v);
                    }
                }
            }
        }
        let mut root = serde_json::Map::new();
        for (path, f) in &self.fields {
            let v = match f {
                Field::Str(s) => serde_json::Value::String(s.clone()),
                Field::Bool(b) => serde_json::Value::Bool(*b),
                Field::Null => serde_json::Value::Null,
            };
            let parts: Vec<&str> = path.split('.').collect();
            insert(&mut root, &parts, v);
        }
        serde_json::Value::Object(root).to_string()
    }
}

/// Parses a filter pattern.
///
/// # Errors
/// Where and why the text is not a filter pattern trailcheck can read.
pub fn parse(text: &str) -> Result<Pattern, ParseError> {
    if text.len() > MAX_LEN {
        return Err(ParseError {
            offset: MAX_LEN,
            reason: format!("pattern longer than {MAX_LEN} characters"),
        });
    }
    let trimmed = text.trim();
    let start = text.len() - text.trim_start().len();
    if trimmed.is_empty() || trimmed == "\"\"" {
        return Ok(Pattern::All);
    }
    if trimmed.starts_with('{') {
        let mut p = Parser {
            s: trimmed.as_bytes(),
            i: 1,
            base: start,
            depth: 0,
        };
        let e = p.or()?;
        p.ws();
        if p.peek() != Some(b'}') {
            return Err(p.err("expected `&&`, `||` or `}`"));
        }
        p.i += 1;
        p.ws();
        if p.i != p.s.len() {
            return Err(p.err("text after the closing `}`"));
        }
        return Ok(Pattern::Json(e));
    }
    if trimmed.starts_with('[') {
        return Ok(Pattern::Opaque("a space-delimited pattern".into()));
    }
    terms(trimmed, start)
}

fn terms(text: &str, base: usize) -> Result<Pattern, ParseError> {
    let (mut all, mut any, mut none) = (Vec::new(), Vec::new(), Vec::new());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let kind = match b[i] {
            b'?' => {
                i += 1;
                1
            }
            b'-' => {
                i += 1;
                2
            }
            _ => 0,
        };
        let term = if b.get(i) == Some(&b'"') {
            let (s, next) = quoted(b, i).ok_or(ParseError {
                offset: base + i,
                reason: "unterminated quoted term".into(),
            })?;
            i = next;
            s
        } else {
            let st = i;
            while i < b.len() && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            String::from_utf8_lossy(&b[st..i]).into_owned()
        };
        if term.starts_with('%') {
            return Ok(Pattern::Opaque("a regular expression".into()));
        }
        if term.is_empty() {
            continue;
        }
        match kind {
            1 => any.push(term),
            2 => none.push(term),
            _ => all.push(term),
        }
    }
    if all.is_empty() && any.is_empty() && none.is_empty() {
        return Ok(Pattern::All);
    }
    Ok(Pattern::Terms { all, any, none })
}

/// A double-quoted string at `b[i]`: its text and the index after the closing quote.
fn quoted(b: &[u8], i: usize) -> Option<(String, usize)> {
    let mut out = Vec::new();
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' if j + 1 < b.len() => {
                out.push(b[j + 1]);
                j += 2;
            }
            b'"' => return Some((String::from_utf8_lossy(&out).into_owned(), j + 1)),
            c => {
                out.push(c);
                j += 1;
            }
        }
    }
    None
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    base: usize,
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, reason: &str) -> ParseError {
        ParseError {
            offset: self.base + self.i,
            reason: reason.to_owned(),
        }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }
    fn eat(&mut self, tok: &str) -> bool {
        self.ws();
        if self.s[self.i..].starts_with(tok.as_bytes()) {
            self.i += tok.len();
            true
        } else {
            false
        }
    }
    /// A keyword (case-insensitive) followed by a non-identifier character.
    fn keyword(&mut self, kw: &str) -> bool {
        self.ws();
        let end = self.i + kw.len();
        if end <= self.s.len()
            && self.s[self.i..end].eq_ignore_ascii_case(kw.as_bytes())
            && self
                .s
                .get(end)
                .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b'_')
        {
            self.i = end;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut e = self.and()?;
        while self.eat("||") {
            let r = self.and()?;
            e = Expr::Or(Box::new(e), Box::new(r));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut e = self.unary()?;
        while self.eat("&&") {
            let r = self.unary()?;
            e = Expr::And(Box::new(e), Box::new(r));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.eat("(") {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.err("parentheses nested too deeply"));
            }
            let e = self.or()?;
            if !self.eat(")") {
                return Err(self.err("expected `)`"));
            }
            self.depth -= 1;
            return Ok(e);
        }
        self.condition()
    }

    fn path(&mut self) -> Result<Path, ParseError> {
        self.ws();
        if self.peek() != Some(b'$') {
            return Err(self.err("expected a selector such as `$.eventName`"));
        }
        self.i += 1;
        let mut segs = Vec::new();
        loop {
            match self.peek() {
                Some(b'.') => {
                    self.i += 1;
                    let st = self.i;
                    while self
                        .peek()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || b"_-@:".contains(&c))
                    {
                        self.i += 1;
                    }
                    if st == self.i {
                        return Err(self.err("expected a field name after `.`"));
                    }
                    segs.push(Seg::Key(
                        String::from_utf8_lossy(&self.s[st..self.i]).into_owned(),
                    ));
                }
                Some(b'[') => {
                    self.i += 1;
                    let st = self.i;
                    while self.peek().is_some_and(|c| c != b']') {
                        self.i += 1;
                    }
                    let inner = String::from_utf8_lossy(&self.s[st..self.i]).into_owned();
                    if self.peek() != Some(b']') {
                        return Err(self.err("expected `]`"));
                    }
                    self.i += 1;
                    let inner = inner.trim();
                    if inner == "*" {
                        segs.push(Seg::AnyIndex);
                    } else {
                        let n = inner
                            .parse()
                            .map_err(|_| self.err("expected an array index"))?;
                        segs.push(Seg::Index(n));
                    }
                }
                _ => break,
            }
        }
        if segs.is_empty() {
            return Err(self.err("expected a field after `$`"));
        }
        Ok(Path(segs))
    }

    fn condition(&mut self) -> Result<Expr, ParseError> {
        let path = self.path()?;
        if self.keyword("IS") {
            if self.keyword("NULL") {
                return Ok(Expr::IsNull(path));
            }
            if self.keyword("TRUE") {
                return Ok(Expr::IsBool(path, true));
            }
            if self.keyword("FALSE") {
                return Ok(Expr::IsBool(path, false));
            }
            return Err(self.err("expected NULL, TRUE or FALSE after IS"));
        }
        if self.keyword("NOT") {
            if self.keyword("EXISTS") {
                return Ok(Expr::NotExists(path));
            }
            return Err(self.err("expected EXISTS after NOT"));
        }
        let op = if self.eat("!=") {
            Op::Ne
        } else if self.eat("<=") {
            Op::Le
        } else if self.eat(">=") {
            Op::Ge
        } else if self.eat("=") {
            Op::Eq
        } else if self.eat("<") {
            Op::Lt
        } else if self.eat(">") {
            Op::Gt
        } else {
            return Err(self.err("expected a comparison (`=`, `!=`, `<`, `>`), IS or NOT EXISTS"));
        };
        let value = self.literal()?;
        Ok(Expr::Cmp { path, op, value })
    }

    fn literal(&mut self) -> Result<Literal, ParseError> {
        self.ws();
        match self.peek() {
            Some(b'"') => {
                let (text, next) =
                    quoted(self.s, self.i).ok_or_else(|| self.err("unterminated string"))?;
                self.i = next;
                Ok(Literal::Str { text, quoted: true })
            }
            Some(b'%') => {
                let st = self.i + 1;
                let end = self.s[st..]
                    .iter()
                    .position(|&c| c == b'%')
                    .ok_or_else(|| self.err("unterminated regular expression"))?;
                self.i = st + end + 1;
                Ok(Literal::Regex(
                    String::from_utf8_lossy(&self.s[st..st + end]).into_owned(),
                ))
            }
            _ => {
                let st = self.i;
                while let Some(c) = self.peek() {
                    if c.is_ascii_whitespace()
                        || c == b')'
                        || c == b'}'
                        || self.s[self.i..].starts_with(b"&&")
                        || self.s[self.i..].starts_with(b"||")
                    {
                        break;
                    }
                    self.i += 1;
                }
                if st == self.i {
                    return Err(self.err("expected a value"));
                }
                Ok(Literal::Str {
                    text: String::from_utf8_lossy(&self.s[st..self.i]).into_owned(),
                    quoted: false,
                })
            }
        }
    }
}

/// `*` matches any run of characters; everything else literally.
fn wildcard(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == s;
    }
    let (first, rest) = parts.split_first().unwrap_or((&"", &[]));
    let Some(mut remaining) = s.strip_prefix(first) else {
        return false;
    };
    let (last, middle) = rest.split_last().unwrap_or((&"", &[]));
    for m in middle {
        match remaining.find(m) {
            Some(i) => remaining = &remaining[i + m.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

impl Expr {
    /// Whether the expression matches the event.
    #[must_use]
    pub fn eval(&self, ev: &Event) -> Truth {
        match self {
            Expr::And(a, b) => a.eval(ev).and(b.eval(ev)),
            Expr::Or(a, b) => a.eval(ev).or(b.eval(ev)),
            Expr::Cmp { path, op, value } => {
                let Some(p) = path.dotted() else {
                    return Truth::Unknown;
                };
                let Some(field) = ev.lookup(&p) else {
                    return Truth::Unknown;
                };
                let text = match value {
                    Literal::Regex(_) => return Truth::Unknown,
                    Literal::Str { text, .. } => text,
                };
                match (field, op) {
                    // Whether `!=` matches an absent field is not documented: unknown.
                    (None, Op::Ne) => Truth::Unknown,
                    (None, _) => Truth::No,
                    (Some(Field::Str(s)), Op::Eq) => Truth::from(str_eq(text, s)),
                    (Some(Field::Str(s)), Op::Ne) => Truth::from(!str_eq(text, s)),
                    (Some(Field::Str(s)), _) => match (text.parse::<f64>(), s.parse::<f64>()) {
                        (Ok(a), Ok(b)) => Truth::from(match op {
                            Op::Lt => b < a,
                            Op::Le => b <= a,
                            Op::Gt => b > a,
                            _ => b >= a,
                        }),
                        _ => Truth::No,
                    },
                    (Some(Field::Bool(_) | Field::Null), _) => Truth::Unknown,
                }
            }
            Expr::NotExists(path) => match path.dotted().and_then(|p| ev.lookup(&p)) {
                Some(f) => Truth::from(f.is_none()),
                None => Truth::Unknown,
            },
            Expr::IsNull(path) => match path.dotted().and_then(|p| ev.lookup(&p)) {
                Some(f) => Truth::from(f == Some(&Field::Null)),
                None => Truth::Unknown,
            },
            Expr::IsBool(path, want) => match path.dotted().and_then(|p| ev.lookup(&p)) {
                Some(Some(Field::Bool(b))) => Truth::from(b == want),
                Some(_) => Truth::No,
                None => Truth::Unknown,
            },
        }
    }
}

fn str_eq(pattern: &str, s: &str) -> bool {
    if pattern.contains('*') {
        wildcard(pattern, s)
    } else if let (Ok(a), Ok(b)) = (pattern.parse::<f64>(), s.parse::<f64>()) {
        a == b
    } else {
        pattern == s
    }
}

impl Pattern {
    /// Whether the pattern matches the event.
    #[must_use]
    pub fn eval(&self, ev: &Event) -> Truth {
        match self {
            Pattern::All => Truth::Yes,
            Pattern::Json(e) => e.eval(ev),
            Pattern::Terms { all, any, none } => {
                let text = ev.text();
                let has = |t: &String| text.contains(t.as_str());
                Truth::from(
                    all.iter().all(has)
                        && (any.is_empty() || any.iter().any(has))
                        && !none.iter().any(has),
                )
            }
            Pattern::Opaque(_) => Truth::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(pairs: &[(&str, &str)]) -> Event {
        Event {
            fields: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Field::Str((*v).to_owned())))
                .collect(),
            complete: vec!["errorCode".into(), "userIdentity.invokedBy".into()],
        }
    }

    fn eval(p: &str, ev: &Event) -> Truth {
        parse(p).unwrap().eval(ev)
    }

    #[test]
    fn json_patterns_compare_fields_with_wildcards() {
        let ev = event(&[
            ("eventName", "StopLogging"),
            ("eventSource", "cloudtrail.amazonaws.com"),
        ]);
        assert_eq!(
            eval(
                "{ ($.eventName = CreateTrail) || ($.eventName = StopLogging) }",
                &ev
            ),
            Truth::Yes
        );
        assert_eq!(eval("{$.eventName=StopLoging}", &ev), Truth::No);
        assert_eq!(
            eval("{ $.eventSource = \"cloudtrail.*\" }", &ev),
            Truth::Yes
        );
        assert_eq!(
            eval(
                "{ $.eventSource = *.amazonaws.com && $.eventName != StartLogging }",
                &ev
            ),
            Truth::Yes
        );
        assert_eq!(eval("{ $.eventName = \"*Log*\" }", &ev), Truth::Yes);
        assert_eq!(eval("{ $.eventName = Stop*x }", &ev), Truth::No);
    }

    #[test]
    fn absent_and_unmodelled_fields() {
        let ev = event(&[("eventName", "ConsoleLogin"), ("userIdentity.type", "Root")]);
        assert_eq!(
            eval("{ $.userIdentity.invokedBy NOT EXISTS }", &ev),
            Truth::Yes
        );
        assert_eq!(eval("{ $.errorCode = \"AccessDenied*\" }", &ev), Truth::No);
        assert_eq!(eval("{ $.errorCode IS NULL }", &ev), Truth::No);
        // Not modelled: unknown, and unknown || yes is yes.
        assert_eq!(eval("{ $.requestParameters.x = 1 }", &ev), Truth::Unknown);
        assert_eq!(
            eval(
                "{ $.requestParameters.x = 1 || $.eventName = ConsoleLogin }",
                &ev
            ),
            Truth::Yes
        );
        assert_eq!(
            eval("{ $.requestParameters.x = 1 && $.eventName = Other }", &ev),
            Truth::No
        );
        assert_eq!(eval("{ $.eventName = %Console.*% }", &ev), Truth::Unknown);
        assert_eq!(eval("{ $.userIdentity.type.x = 1 }", &ev), Truth::No);
    }

    #[test]
    fn empty_terms_and_opaque_patterns() {
        let ev = event(&[("eventName", "DeleteTrail")]);
        assert_eq!(parse("").unwrap(), Pattern::All);
        assert_eq!(parse("  \"\" ").unwrap(), Pattern::All);
        assert_eq!(eval("DeleteTrail", &ev), Truth::Yes);
        assert_eq!(eval("?CreateTrail ?DeleteTrail", &ev), Truth::Yes);
        assert_eq!(eval("DeleteTrail -DeleteTrail", &ev), Truth::No);
        assert_eq!(eval("\"Failed authentication\"", &ev), Truth::No);
        assert_eq!(eval("[ip, user]", &ev), Truth::Unknown);
        assert_eq!(eval("%Delete.*%", &ev), Truth::Unknown);
    }

    #[test]
    fn numbers_and_booleans() {
        let mut ev = event(&[("latency", "75")]);
        ev.fields.insert("readOnly".into(), Field::Bool(false));
        assert_eq!(eval("{ $.latency > 50 }", &ev), Truth::Yes);
        assert_eq!(eval("{ $.latency <= 7.5e1 }", &ev), Truth::Yes);
        assert_eq!(eval("{ $.latency = 75.0 }", &ev), Truth::Yes);
        assert_eq!(eval("{ $.readOnly IS FALSE }", &ev), Truth::Yes);
        assert_eq!(eval("{ $.readOnly is true }", &ev), Truth::No);
    }

    /// A deterministic stand-in for the fuzz target: every prefix of some patterns, and
    /// each byte replaced by a few troublesome ones, parses or errs without panicking.
    #[test]
    fn prefixes_and_mutations_never_panic() {
        let ev = event(&[("eventName", "StopLogging")]);
        let seeds = [
            "{ ($.eventName = \"Create*\") || ($.a[0].b != 1) && $.c NOT EXISTS && $.d IS NULL }",
            "?ERROR -\"x y\" %re%",
            "{ $.x = %a|b% || $.y >= 1e3 }",
        ];
        for seed in seeds {
            for end in 0..=seed.len() {
                if let Some(prefix) = seed.get(..end) {
                    if let Ok(p) = parse(prefix) {
                        let _ = p.eval(&ev);
                    }
                }
            }
            for i in 0..seed.len() {
                for c in ["(", ")", "\"", "%", "$", "[", "]", "\\", "é", "{", "}", " "] {
                    let (Some(a), Some(b)) = (seed.get(..i), seed.get(i + 1..)) else {
                        continue;
                    };
                    if let Ok(p) = parse(&format!("{a}{c}{b}")) {
                        let _ = p.eval(&ev);
                    }
                }
            }
        }
    }

    #[test]
    fn bad_patterns_are_errors_with_a_place() {
        for bad in [
            "{ $.eventName = }",
            "{ $.eventName = X",
            "{ eventName = X }",
            "{ ($.a = 1 }",
            "{ $.a == 1 } x",
            "{ $.a IS MAYBE }",
            "{ $. = 1 }",
            "{ $.a[x] = 1 }",
            "\"unterminated",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let deep = format!("{{ {}$.a = 1{} }}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).unwrap_err().reason.contains("deeply"));
        assert!(parse(&"x".repeat(MAX_LEN + 1)).is_err());
    }
}
