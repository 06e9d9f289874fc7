//! IAM policy documents and a small evaluator for the questions CloudTrail setups raise:
//! "does this policy let service X do action Y on resource Z?".
//!
//! Strings may contain [`UNKNOWN_MARK`] where the front end could not resolve a part (an
//! account id interpolation, say). Matching treats such a part as "could be anything" and
//! answers [`Tri::Maybe`], so an unresolvable policy never produces a finding as if it were
//! known.

use serde::Serialize;

/// Stands for an unresolved part of a string (a private-use character no policy contains).
pub const UNKNOWN_MARK: char = '\u{E000}';

/// Three-valued answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Tri {
    Yes,
    No,
    Maybe,
}

impl Tri {
    #[must_use]
    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Yes, Tri::Yes) => Tri::Yes,
            _ => Tri::Maybe,
        }
    }
    #[must_use]
    pub fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
            (Tri::No, Tri::No) => Tri::No,
            _ => Tri::Maybe,
        }
    }
    #[must_use]
    pub fn negate(self) -> Tri {
        match self {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            Tri::Maybe => Tri::Maybe,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Principal` / `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Principals {
    /// `"*"` or `{"AWS": "*"}`.
    Any,
    /// Typed principals: (`Service`|`AWS`|`Federated`|`CanonicalUser`, value).
    List(Vec<(String, String)>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<Principals>,
    pub not_principal: Option<Principals>,
    pub actions: Vec<String>,
    pub not_actions: Vec<String>,
    pub resources: Vec<String>,
    pub not_resources: Vec<String>,
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct PolicyDocument {
    pub statements: Vec<Statement>,
}

/// Why a policy document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("policy is not valid JSON: {0}")]
    Json(String),
    #[error("policy has no Statement")]
    NoStatement,
    #[error("statement {0} has no valid Effect")]
    Effect(usize),
}

fn strings(v: Option<&serde_json::Value>) -> Vec<String> {
    match v {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                serde_json::Value::Bool(b) => Some(b.to_string()),
                _ => None,
            })
            .collect(),
        Some(serde_json::Value::Number(n)) => vec![n.to_string()],
        Some(serde_json::Value::Bool(b)) => vec![b.to_string()],
        _ => Vec::new(),
    }
}

fn principals(v: Option<&serde_json::Value>) -> Option<Principals> {
    match v? {
        serde_json::Value::String(s) if s == "*" => Some(Principals::Any),
        serde_json::Value::Object(map) => {
            let mut list = Vec::new();
            for (kind, vals) in map {
                for val in strings(Some(vals)) {
                    if kind == "AWS" && val == "*" {
                        return Some(Principals::Any);
                    }
                    list.push((kind.clone(), val));
                }
            }
            Some(Principals::List(list))
        }
        _ => Some(Principals::List(Vec::new())),
    }
}

/// Case-insensitive lookup of a key in a JSON object (IAM element names are
/// case-sensitive in AWS, but hand-written policies vary and being lenient here only
/// ever makes a finding less likely).
fn get<'a>(
    obj: &'a serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Option<&'a serde_json::Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

impl PolicyDocument {
    /// Parses a policy document from JSON text.
    ///
    /// # Errors
    /// When the text is not JSON or has no statements.
    pub fn parse(text: &str) -> Result<PolicyDocument, PolicyError> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| PolicyError::Json(e.to_string()))?;
        PolicyDocument::from_json(&v)
    }

    /// Reads a policy document from a JSON value.
    ///
    /// # Errors
    /// When there are no statements or an effect is invalid.
    pub fn from_json(v: &serde_json::Value) -> Result<PolicyDocument, PolicyError> {
        let obj = v.as_object().ok_or(PolicyError::NoStatement)?;
        let stmts = match get(obj, "Statement") {
            Some(serde_json::Value::Array(a)) => a.clone(),
            Some(s @ serde_json::Value::Object(_)) => vec![s.clone()],
            _ => return Err(PolicyError::NoStatement),
        };
        let mut statements = Vec::new();
        for (i, s) in stmts.iter().enumerate() {
            let Some(o) = s.as_object() else {
                return Err(PolicyError::Effect(i));
            };
            let effect = match get(o, "Effect").and_then(|e| e.as_str()) {
                Some("Allow") => Effect::Allow,
                Some("Deny") => Effect::Deny,
                _ => return Err(PolicyError::Effect(i)),
            };
            let mut conditions = Vec::new();
            if let Some(serde_json::Value::Object(ops)) = get(o, "Condition") {
                for (op, keys) in ops {
                    if let serde_json::Value::Object(keys) = keys {
                        for (key, vals) in keys {
                            conditions.push(Condition {
                                operator: op.clone(),
                                key: key.clone(),
                                values: strings(Some(vals)),
                            });
                        }
                    }
                }
            }
            statements.push(Statement {
                sid: get(o, "Sid").and_then(|x| x.as_str()).map(str::to_owned),
                effect,
                principal: principals(get(o, "Principal")),
                not_principal: principals(get(o, "NotPrincipal")),
                actions: strings(get(o, "Action")),
                not_actions: strings(get(o, "NotAction")),
                resources: strings(get(o, "Resource")),
                not_resources: strings(get(o, "NotResource")),
                conditions,
            });
        }
        Ok(PolicyDocument { statements })
    }
}

/// Glob match of an IAM pattern (`*`, `?`) against a concrete value, where the pattern and
/// the value may contain [`UNKNOWN_MARK`] (matched as "anything", giving `Maybe`).
#[must_use]
pub fn glob(pattern: &str, value: &str, case_insensitive: bool) -> Tri {
    let fold = |s: &str| {
        if case_insensitive {
            s.to_ascii_lowercase()
        } else {
            s.to_owned()
        }
    };
    let (p, v) = (fold(pattern), fold(value));
    let unknown = p.contains(UNKNOWN_MARK) || v.contains(UNKNOWN_MARK);
    // Unknown parts in the value are treated like wildcards in the pattern and vice versa.
    let p2: String = p
        .chars()
        .map(|c| if c == UNKNOWN_MARK { '*' } else { c })
        .collect();
    let v2: String = v.chars().filter(|&c| c != UNKNOWN_MARK).collect();
    let strict = wildcard(&p2, &v2);
    if !unknown {
        return if strict { Tri::Yes } else { Tri::No };
    }
    // Unknown parts in the same places on both sides stand for the same unknown (the
    // deploying account in `AWSLogs/${data.aws_caller_identity.current.account_id}/*`
    // and in the trail's own ARN): matching them literally counts as a match. This can
    // only remove findings, never add one.
    if wildcard(&p, &v) {
        return Tri::Yes;
    }
    // A pattern without unknown parts that matches the value with each unknown part
    // replaced by a character no literal matches, matches it through wildcards alone:
    // whatever the unknown parts are (`AWSLogs/*` against `AWSLogs/<account>/…`).
    if !p.contains(UNKNOWN_MARK) && wildcard(&p, &v.replace(UNKNOWN_MARK, "\u{E001}")) {
        return Tri::Yes;
    }
    // With unknown parts, a match is only possible, never certain; but if even the loosest
    // reading fails, the answer is No.
    let loose = if v.contains(UNKNOWN_MARK) {
        // value parts unknown: compare the known fragments in order.
        let frags: Vec<&str> = v.split(UNKNOWN_MARK).collect();
        let value_pattern = frags.join("*");
        wildcard(&p2, &v2)
            || wildcard(&value_pattern, &p2.replace('*', ""))
            || overlap(&p2, &value_pattern)
    } else {
        strict
    };
    if loose {
        Tri::Maybe
    } else {
        Tri::No
    }
}

/// Whether two wildcard patterns can match a common string. An approximation that never
/// says `false` when a common string exists: any common string starts with both fixed
/// prefixes (the text before the first `*`) and ends with both fixed suffixes (after the
/// last `*`), so each pair must agree where it overlaps (`?` agrees with anything). The
/// suffix test matters for ARNs that differ only at the end, such as a key policy
/// pinning `…:trail/other` against `…:<unknown account>:trail/main`.
fn overlap(a: &str, b: &str) -> bool {
    fn agree(x: impl Iterator<Item = char>, y: impl Iterator<Item = char>) -> bool {
        x.zip(y).all(|(c, d)| c == d || c == '?' || d == '?')
    }
    let prefix = |s: &str| s.split('*').next().unwrap_or("").to_owned();
    let suffix = |s: &str| s.rsplit('*').next().unwrap_or("").to_owned();
    let (pa, pb) = (prefix(a), prefix(b));
    let (sa, sb) = (suffix(a), suffix(b));
    agree(pa.chars(), pb.chars()) && agree(sa.chars().rev(), sb.chars().rev())
}

/// Iterative `*`/`?` wildcard matching (linear in practice, no recursion).
#[must_use]
pub fn wildcard(pattern: &str, value: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    let (mut pi, mut vi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, vi));
            pi += 1;
        } else if let Some((sp, sv)) = star {
            pi = sp + 1;
            vi = sv + 1;
            star = Some((sp, sv + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// A request to evaluate: a service principal performing an action on a resource, with the
/// request context keys CloudTrail sends.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub service: &'a str,
    pub action: &'a str,
    pub resource: &'a str,
    /// Context keys and values, e.g. (`s3:x-amz-acl`, `bucket-owner-full-control`).
    /// A key not listed is "unknown to us": conditions on it answer Maybe.
    pub context: &'a [(&'a str, &'a str)],
    /// Context keys known to be absent from the request.
    pub absent: &'a [&'a str],
}

fn principal_matches(p: &Principals, service: &str) -> Tri {
    match p {
        Principals::Any => Tri::Yes,
        Principals::List(list) => {
            let mut out = Tri::No;
            for (kind, val) in list {
                // Requests here come from AWS service principals: an account, role or
                // user principal never matches them, whatever its unknown parts.
                if kind == "Service" {
                    out = out.or(glob(val, service, true));
                }
            }
            out
        }
    }
}

fn any_glob(patterns: &[String], value: &str, ci: bool) -> Tri {
    patterns
        .iter()
        .fold(Tri::No, |acc, p| acc.or(glob(p, value, ci)))
}

fn condition_holds(c: &Condition, req: &Request<'_>) -> Tri {
    let op = c.operator.as_str();
    let (base, if_exists) = match op.strip_suffix("IfExists") {
        Some(b) => (b, true),
        None => (op, false),
    };
    let base = base
        .strip_prefix("ForAnyValue:")
        .or_else(|| base.strip_prefix("ForAllValues:"))
        .unwrap_or(base);
    let key_l = c.key.to_ascii_lowercase();
    let actual = req
        .context
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&key_l))
        .map(|(_, v)| *v);
    let Some(actual) = actual else {
        if req.absent.iter().any(|k| k.eq_ignore_ascii_case(&key_l)) {
            return if if_exists || base == "Null" {
                Tri::Yes
            } else {
                Tri::No
            };
        }
        return Tri::Maybe;
    };
    let vals = &c.values;
    match base {
        "StringEquals" | "ArnEquals" => vals.iter().fold(Tri::No, |a, v| {
            a.or(
                if v.contains(UNKNOWN_MARK) || actual.contains(UNKNOWN_MARK) {
                    glob(v, actual, false)
                } else if v == actual {
                    Tri::Yes
                } else {
                    Tri::No
                },
            )
        }),
        "StringEqualsIgnoreCase" => any_glob(
            &vals
                .iter()
                .map(|v| v.replace(['*', '?'], ""))
                .collect::<Vec<_>>(),
            actual,
            true,
        ),
        "StringLike" | "ArnLike" => any_glob(vals, actual, false),
        "StringNotEquals" | "ArnNotEquals" => vals.iter().fold(Tri::Yes, |a, v| {
            a.and(if v == actual {
                Tri::No
            } else if v.contains(UNKNOWN_MARK) {
                Tri::Maybe
            } else {
                Tri::Yes
            })
        }),
        "StringNotLike" | "ArnNotLike" => any_glob(vals, actual, false).negate(),
        "Bool" => any_glob(vals, actual, true),
        "Null" => Tri::Maybe,
        _ => Tri::Maybe,
    }
}

impl Statement {
    /// Whether this statement applies to the request (principal, action, resource and
    /// conditions all match).
    #[must_use]
    pub fn applies(&self, req: &Request<'_>) -> Tri {
        let principal = match (&self.principal, &self.not_principal) {
            (Some(p), _) => principal_matches(p, req.service),
            (None, Some(np)) => principal_matches(np, req.service).negate(),
            // Identity policies have no principal: they apply to whoever holds them.
            (None, None) => Tri::Yes,
        };
        let action = if self.actions.is_empty() {
            any_glob(&self.not_actions, req.action, true).negate()
        } else {
            any_glob(&self.actions, req.action, true)
        };
        let resource = if self.resources.is_empty() {
            if self.not_resources.is_empty() {
                Tri::Yes
            } else {
                any_glob(&self.not_resources, req.resource, false).negate()
            }
        } else {
            any_glob(&self.resources, req.resource, false)
        };
        let conditions = self
            .conditions
            .iter()
            .fold(Tri::Yes, |a, c| a.and(condition_holds(c, req)));
        principal.and(action).and(resource).and(conditions)
    }
}

/// The decision of a policy for a request: explicit deny beats allow; no allow is an
/// implicit deny.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Decision {
    Allowed,
    /// Denied explicitly by the statement at this index.
    Denied(usize),
    /// No statement allows it.
    NotAllowed,
    /// The answer depends on values trailcheck could not resolve.
    Unknown,
}

impl PolicyDocument {
    #[must_use]
    pub fn decide(&self, req: &Request<'_>) -> Decision {
        let mut allow = Tri::No;
        let mut deny_maybe = false;
        for (i, s) in self.statements.iter().enumerate() {
            let a = s.applies(req);
            match (s.effect, a) {
                (Effect::Deny, Tri::Yes) => return Decision::Denied(i),
                (Effect::Deny, Tri::Maybe) => deny_maybe = true,
                (Effect::Allow, t) => allow = allow.or(t),
                (Effect::Deny, Tri::No) => {}
            }
        }
        match allow {
            Tri::Yes if !deny_maybe => Decision::Allowed,
            Tri::No => Decision::NotAllowed,
            _ => Decision::Unknown,
        }
    }

    /// Whether the document grants anything to everyone (`Principal: "*"`) without a
    /// condition that narrows it.
    #[must_use]
    pub fn public_statement(&self) -> Option<usize> {
        self.statements.iter().position(|s| {
            s.effect == Effect::Allow
                && matches!(s.principal, Some(Principals::Any))
                && s.conditions.is_empty()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_matches_like_iam() {
        assert!(wildcard("s3:*", "s3:PutObject"));
        assert!(wildcard(
            "arn:aws:s3:::b/AWSLogs/*",
            "arn:aws:s3:::b/AWSLogs/1/x"
        ));
        assert!(!wildcard(
            "arn:aws:s3:::b/AWSLogs/*",
            "arn:aws:s3:::b/other"
        ));
        assert!(wildcard("kms:GenerateDataKey*", "kms:GenerateDataKey"));
        assert!(wildcard("a?c", "abc"));
    }

    #[test]
    fn unknown_parts_give_maybe() {
        let p = format!("arn:aws:s3:::b/AWSLogs/{UNKNOWN_MARK}/*");
        assert_eq!(glob(&p, "arn:aws:s3:::b/AWSLogs/123/x", false), Tri::Maybe);
        assert_eq!(glob(&p, "arn:aws:s3:::c/AWSLogs/123/x", false), Tri::No);
    }

    #[test]
    fn unknown_parts_cannot_hide_a_different_suffix() {
        // A key policy pinning another trail: the account is unknown on both sides, but
        // the trail names differ, so no account makes them equal.
        let pinned = format!("arn:aws:cloudtrail:{UNKNOWN_MARK}:{UNKNOWN_MARK}:trail/legacy");
        let actual = format!("arn:aws:cloudtrail:us-west-2:{UNKNOWN_MARK}:trail/main");
        assert_eq!(glob(&pinned, &actual, false), Tri::No);
        let literal = "arn:aws:cloudtrail:us-west-2:111111111111:trail/legacy";
        assert_eq!(glob(literal, &actual, false), Tri::No);
        // Same name: still only possible (the account is unknown).
        let same = "arn:aws:cloudtrail:us-west-2:111111111111:trail/main";
        assert_eq!(glob(same, &actual, false), Tri::Maybe);
        assert!(overlap("a?c*x", "abc*?"));
        assert!(!overlap("a*x", "a*y"));
    }

    #[test]
    fn deny_beats_allow() {
        let doc = PolicyDocument::parse(
            r#"{"Statement":[
              {"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"*"},
              {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}"#,
        )
        .unwrap_or_default();
        let req = Request {
            service: "cloudtrail.amazonaws.com",
            action: "s3:PutObject",
            resource: "arn:aws:s3:::b/AWSLogs/1/x",
            context: &[],
            absent: &[],
        };
        assert_eq!(doc.decide(&req), Decision::Denied(1));
    }

    #[test]
    fn conditions_on_unknown_context_are_maybe() {
        let doc = PolicyDocument::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"*",
               "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceArn":"arn:aws:cloudtrail:us-east-1:1:trail/t"}}}}"#,
        )
        .unwrap_or_default();
        let ctx = [("s3:x-amz-acl", "bucket-owner-full-control")];
        let req = Request {
            service: "cloudtrail.amazonaws.com",
            action: "s3:PutObject",
            resource: "arn:aws:s3:::b/AWSLogs/1/x",
            context: &ctx,
            absent: &[],
        };
        assert_eq!(doc.decide(&req), Decision::Unknown);
    }
}
