//! Evaluation of template values: intrinsic functions (long and short form), pseudo
//! parameters, parameters and mappings.
//!
//! What cannot be resolved statically (another resource's attribute, an imported value, the
//! account id) is [`Ev::Unknown`], or [`UNKNOWN_MARK`] inside a string built from known and
//! unknown parts, so that the structure around it (an ARN suffix, a policy) survives.
//! Every `Ref`/`GetAtt` to a resource of the template is recorded, so the lowering can link
//! a trail to its bucket, key, log group, role and topic.

use super::conditions::Conditions;
use super::yaml::{Key, Kind, Node};
use crate::model::iam::UNKNOWN_MARK;
use crate::source::Span;
use std::collections::HashMap;

/// An evaluated value with the span of the node it came from.
#[derive(Debug, Clone)]
pub(crate) struct E {
    pub(crate) v: Ev,
    pub(crate) span: Span,
}

#[derive(Debug, Clone)]
pub(crate) enum Ev {
    Null,
    Bool(bool),
    /// Strings and numbers; may contain [`UNKNOWN_MARK`].
    Str(String),
    List(Vec<E>),
    Map(Vec<(Key, E)>),
    Unknown,
    /// `AWS::NoValue`: removes the property or list element that holds it.
    NoValue,
}

impl E {
    pub(crate) fn get(&self, key: &str) -> Option<&E> {
        match &self.v {
            Ev::Map(m) => m.iter().rev().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(crate) fn list(&self) -> &[E] {
        match &self.v {
            Ev::List(l) => l,
            _ => &[],
        }
    }

    /// String form as `Fn::Join`/`Fn::Sub` use it; an unknown value is the mark.
    pub(crate) fn to_str(&self) -> Option<String> {
        match &self.v {
            Ev::Str(s) => Some(s.clone()),
            Ev::Bool(b) => Some(b.to_string()),
            Ev::Unknown => Some(UNKNOWN_MARK.to_string()),
            _ => None,
        }
    }

    pub(crate) fn has_unknown(&self) -> bool {
        match &self.v {
            Ev::Unknown => true,
            Ev::Str(s) => s.contains(UNKNOWN_MARK),
            Ev::List(l) => l.iter().any(E::has_unknown),
            Ev::Map(m) => m.iter().any(|(_, v)| v.has_unknown()),
            _ => false,
        }
    }

    /// JSON for policy documents; unknown leaves become the mark.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.v {
            Ev::Null | Ev::NoValue => J::Null,
            Ev::Bool(b) => J::Bool(*b),
            Ev::Str(s) => J::String(s.clone()),
            Ev::Unknown => J::String(UNKNOWN_MARK.to_string()),
            Ev::List(l) => J::Array(
                l.iter()
                    .filter(|e| !matches!(e.v, Ev::NoValue))
                    .map(E::to_json)
                    .collect(),
            ),
            Ev::Map(m) => J::Object(
                m.iter()
                    .filter(|(_, e)| !matches!(e.v, Ev::NoValue))
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// A string with unknown parts, or unknown when it has no known part at all.
fn marked(s: String) -> Ev {
    if s.chars().all(|c| c == UNKNOWN_MARK) {
        Ev::Unknown
    } else {
        Ev::Str(s)
    }
}

/// A template parameter's resolved value.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Known(Ev),
    Unknown,
}

/// Everything evaluation needs about the template.
pub(crate) struct Ctx<'a> {
    pub(crate) params: HashMap<String, Param>,
    pub(crate) mappings: Option<&'a Node>,
    /// Logical id → (resource type, resource node).
    pub(crate) resources: HashMap<&'a str, (&'a str, &'a Node)>,
    /// Names of resources already derived (`None` while in progress: a cycle is unknown).
    pub(crate) names: std::cell::RefCell<HashMap<String, Option<String>>>,
    pub(crate) region: Option<String>,
    /// `AWS::AccountId`, when the deployment context gives it.
    pub(crate) account: Option<String>,
    pub(crate) conditions: Conditions<'a>,
    /// Nested evaluations in progress (values inside values, conditions inside
    /// conditions): capped so that no template can exhaust the stack.
    pub(crate) depth: std::cell::Cell<usize>,
}

/// Evaluation nesting beyond which a value is unknown. The document reader caps nesting at
/// [`super::yaml::MAX_DEPTH`]; conditions referring to conditions can chain further.
const MAX_EVAL_DEPTH: usize = 192;

impl<'a> Ctx<'a> {
    fn pseudo(&self, name: &str) -> Option<Ev> {
        let region = self.region.as_deref();
        Some(match name {
            "AWS::Region" => region.map_or(Ev::Unknown, |r| Ev::Str(r.to_owned())),
            "AWS::Partition" => region.map_or(Ev::Unknown, |r| {
                Ev::Str(crate::model::Region::new(r).partition().to_owned())
            }),
            "AWS::URLSuffix" => region.map_or(Ev::Unknown, |r| {
                Ev::Str(if r.starts_with("cn-") {
                    "amazonaws.com.cn".to_owned()
                } else {
                    "amazonaws.com".to_owned()
                })
            }),
            "AWS::NoValue" => Ev::NoValue,
            "AWS::AccountId" => self
                .account
                .as_ref()
                .map_or(Ev::Unknown, |a| Ev::Str(a.clone())),
            "AWS::StackName" | "AWS::StackId" | "AWS::NotificationARNs" => Ev::Unknown,
            _ => return None,
        })
    }

    /// `Ref name`: a parameter, a pseudo parameter or a resource.
    fn reference(&self, name: &str, refs: &mut Vec<String>) -> Ev {
        if let Some(p) = self.params.get(name) {
            return match p {
                Param::Known(v) => v.clone(),
                Param::Unknown => Ev::Unknown,
            };
        }
        if let Some(v) = self.pseudo(name) {
            return v;
        }
        let Some(&(rtype, _)) = self.resources.get(name) else {
            return Ev::Unknown;
        };
        refs.push(name.to_owned());
        // What `Ref` returns for the type (CloudFormation's "return values").
        match rtype {
            "AWS::S3::Bucket"
            | "AWS::Logs::LogGroup"
            | "AWS::IAM::Role"
            | "AWS::CloudTrail::Trail"
            | "AWS::KMS::Alias" => marked(self.name_of(name)),
            "AWS::SNS::Topic" => marked(self.arn(name, rtype)),
            "AWS::IAM::ManagedPolicy" => marked(self.arn(name, rtype)),
            _ => Ev::Unknown,
        }
    }

    fn get_att(&self, resource: &str, attr: &str, refs: &mut Vec<String>) -> Ev {
        let Some(&(rtype, _)) = self.resources.get(resource) else {
            return Ev::Unknown;
        };
        refs.push(resource.to_owned());
        match (rtype, attr) {
            ("AWS::SNS::Topic", "TopicName") => marked(self.name_of(resource)),
            ("AWS::SNS::Topic", "TopicArn")
            | ("AWS::IAM::ManagedPolicy", "PolicyArn")
            | (
                "AWS::S3::Bucket"
                | "AWS::Logs::LogGroup"
                | "AWS::IAM::Role"
                | "AWS::KMS::Key"
                | "AWS::CloudTrail::Trail",
                "Arn",
            ) => marked(self.arn(resource, rtype)),
            _ => Ev::Unknown,
        }
    }

    /// The name a resource's name property gives it; the unknown mark where it is not
    /// known (or CloudFormation generates it).
    fn name_of(&self, id: &str) -> String {
        let mark = UNKNOWN_MARK.to_string();
        if let Some(v) = self.names.borrow().get(id) {
            return v.clone().unwrap_or(mark);
        }
        let Some(&(rtype, node)) = self.resources.get(id) else {
            return mark;
        };
        let prop = match rtype {
            "AWS::S3::Bucket" => "BucketName",
            "AWS::Logs::LogGroup" => "LogGroupName",
            "AWS::IAM::Role" => "RoleName",
            "AWS::IAM::ManagedPolicy" => "ManagedPolicyName",
            "AWS::SNS::Topic" => "TopicName",
            "AWS::CloudTrail::Trail" => "TrailName",
            "AWS::KMS::Alias" => "AliasName",
            _ => return mark,
        };
        self.names.borrow_mut().insert(id.to_owned(), None);
        let name = node
            .get("Properties")
            .and_then(|p| p.get(prop))
            .and_then(|n| self.eval(n, &mut Vec::new()).to_str())
            .unwrap_or_else(|| mark.clone());
        self.names
            .borrow_mut()
            .insert(id.to_owned(), Some(name.clone()));
        name
    }

    /// The ARN of a resource of the template, with unknown parts marked.
    fn arn(&self, id: &str, rtype: &str) -> String {
        let mark = UNKNOWN_MARK.to_string();
        let region = self.region.clone().unwrap_or_else(|| mark.clone());
        let partition = self.region.as_ref().map_or_else(
            || mark.clone(),
            |r| crate::model::Region::new(r.clone()).partition().to_owned(),
        );
        let account = self.account.clone().unwrap_or_else(|| mark.clone());
        let path = || {
            self.resources
                .get(id)
                .and_then(|(_, n)| {
                    n.get("Properties")?
                        .get("Path")?
                        .as_str()
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| "/".to_owned())
        };
        let name = self.name_of(id);
        match rtype {
            "AWS::S3::Bucket" => format!("arn:{partition}:s3:::{name}"),
            // The `Arn` attribute of a log group ends with `:*`, as CloudTrail requires.
            "AWS::Logs::LogGroup" => {
                format!("arn:{partition}:logs:{region}:{account}:log-group:{name}:*")
            }
            "AWS::IAM::Role" => format!("arn:{partition}:iam::{account}:role{}{name}", path()),
            "AWS::IAM::ManagedPolicy" => {
                format!("arn:{partition}:iam::{account}:policy{}{name}", path())
            }
            "AWS::SNS::Topic" => format!("arn:{partition}:sns:{region}:{account}:{name}"),
            "AWS::CloudTrail::Trail" => {
                format!("arn:{partition}:cloudtrail:{region}:{account}:trail/{name}")
            }
            "AWS::KMS::Key" => format!("arn:{partition}:kms:{region}:{account}:key/{mark}"),
            _ => mark,
        }
    }

    /// Evaluates a node.
    pub(crate) fn eval(&self, n: &Node, refs: &mut Vec<String>) -> E {
        let depth = self.depth.get();
        if depth >= MAX_EVAL_DEPTH {
            return E {
                v: Ev::Unknown,
                span: n.span,
            };
        }
        self.depth.set(depth + 1);
        let e = self.eval_inner(n, refs);
        self.depth.set(depth);
        e
    }

    fn eval_inner(&self, n: &Node, refs: &mut Vec<String>) -> E {
        let v = match &n.kind {
            Kind::Null => Ev::Null,
            Kind::Bool(b) => Ev::Bool(*b),
            Kind::Str(s) => Ev::Str(s.clone()),
            Kind::Seq(items) => Ev::List(
                items
                    .iter()
                    .map(|i| self.eval(i, refs))
                    .filter(|e| !matches!(e.v, Ev::NoValue))
                    .collect(),
            ),
            Kind::Map(m) => {
                if let [(k, arg)] = m.as_slice() {
                    if let Some(v) = self.intrinsic(&k.name, arg, refs) {
                        return E { v, span: n.span };
                    }
                }
                Ev::Map(
                    m.iter()
                        .map(|(k, v)| (k.clone(), self.eval(v, refs)))
                        .filter(|(_, e)| !matches!(e.v, Ev::NoValue))
                        .collect(),
                )
            }
        };
        E { v, span: n.span }
    }

    /// The evaluated arguments of a list-form intrinsic.
    fn args(&self, arg: &Node, refs: &mut Vec<String>) -> Vec<E> {
        match &arg.kind {
            Kind::Seq(items) => items.iter().map(|i| self.eval(i, refs)).collect(),
            _ => vec![self.eval(arg, refs)],
        }
    }

    /// Evaluates a condition-valued node (`Fn::Equals`, `Condition`, …): `None` is unknown.
    pub(crate) fn truth(&self, n: &Node, refs: &mut Vec<String>) -> Option<bool> {
        match self.eval(n, refs).v {
            Ev::Bool(b) => Some(b),
            Ev::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Ev::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    #[expect(clippy::too_many_lines, reason = "one arm per intrinsic function")]
    fn intrinsic(&self, name: &str, arg: &Node, refs: &mut Vec<String>) -> Option<Ev> {
        Some(match name {
            "Ref" => match arg.as_str() {
                Some(r) => self.reference(r, refs),
                None => Ev::Unknown,
            },
            "Condition" => match arg.as_str() {
                Some(c) if self.conditions.has(c) => {
                    self.conditions.value(self, c).map_or(Ev::Unknown, Ev::Bool)
                }
                _ => return None,
            },
            "Fn::GetAtt" => {
                let (res, attr) = match &arg.kind {
                    Kind::Str(s) => match s.split_once('.') {
                        Some((r, a)) => (r.to_owned(), a.to_owned()),
                        None => (s.clone(), String::new()),
                    },
                    Kind::Seq(items) => {
                        let parts: Vec<Option<String>> =
                            items.iter().map(|i| self.eval(i, refs).to_str()).collect();
                        match parts.as_slice() {
                            [Some(r), Some(a)] => (r.clone(), a.clone()),
                            [Some(r), _] => (r.clone(), String::new()),
                            _ => return Some(Ev::Unknown),
                        }
                    }
                    _ => return Some(Ev::Unknown),
                };
                self.get_att(&res, &attr, refs)
            }
            "Fn::Sub" => self.sub(arg, refs),
            "Fn::Join" => {
                let args = self.args(arg, refs);
                let [delim, list] = args.as_slice() else {
                    return Some(Ev::Unknown);
                };
                let (Some(delim), Ev::List(items)) = (delim.to_str(), &list.v) else {
                    return Some(Ev::Unknown);
                };
                let parts: Option<Vec<String>> = items.iter().map(E::to_str).collect();
                parts.map_or(Ev::Unknown, |p| Ev::Str(p.join(&delim)))
            }
            "Fn::Select" => {
                let args = self.args(arg, refs);
                let [idx, list] = args.as_slice() else {
                    return Some(Ev::Unknown);
                };
                let idx = idx.to_str().and_then(|s| s.trim().parse::<usize>().ok());
                match (idx, &list.v) {
                    (Some(i), Ev::List(items)) => items.get(i).map_or(Ev::Unknown, |e| e.v.clone()),
                    _ => Ev::Unknown,
                }
            }
            "Fn::Split" => {
                let args = self.args(arg, refs);
                let [delim, s] = args.as_slice() else {
                    return Some(Ev::Unknown);
                };
                match (delim.to_str(), &s.v) {
                    (Some(d), Ev::Str(s)) if !d.is_empty() => Ev::List(
                        s.split(d.as_str())
                            .map(|p| E {
                                v: Ev::Str(p.to_owned()),
                                span: arg.span,
                            })
                            .collect(),
                    ),
                    _ => Ev::Unknown,
                }
            }
            "Fn::If" => {
                let Kind::Seq(items) = &arg.kind else {
                    return Some(Ev::Unknown);
                };
                let [cond, then, otherwise] = items.as_slice() else {
                    return Some(Ev::Unknown);
                };
                let value = cond
                    .as_str()
                    .filter(|c| self.conditions.has(c))
                    .and_then(|c| self.conditions.value(self, c));
                match value {
                    Some(true) => self.eval(then, refs).v,
                    Some(false) => self.eval(otherwise, refs).v,
                    None => {
                        // Either branch may apply: keep the references of both.
                        self.eval(then, refs);
                        self.eval(otherwise, refs);
                        Ev::Unknown
                    }
                }
            }
            "Fn::Equals" => {
                let args = self.args(arg, refs);
                let [a, b] = args.as_slice() else {
                    return Some(Ev::Unknown);
                };
                if a.has_unknown() || b.has_unknown() {
                    Ev::Unknown
                } else {
                    match (a.to_str(), b.to_str()) {
                        (Some(x), Some(y)) => Ev::Bool(x == y),
                        _ => Ev::Bool(a.to_json() == b.to_json()),
                    }
                }
            }
            "Fn::And" | "Fn::Or" => {
                let Kind::Seq(items) = &arg.kind else {
                    return Some(Ev::Unknown);
                };
                let values: Vec<Option<bool>> = items.iter().map(|i| self.truth(i, refs)).collect();
                let and = name == "Fn::And";
                if values.contains(&Some(!and)) {
                    Ev::Bool(!and)
                } else if values.iter().all(Option::is_some) {
                    Ev::Bool(and)
                } else {
                    Ev::Unknown
                }
            }
            "Fn::Not" => {
                let inner = match &arg.kind {
                    Kind::Seq(items) => items.first(),
                    _ => Some(arg),
                };
                match inner.and_then(|i| self.truth(i, refs)) {
                    Some(b) => Ev::Bool(!b),
                    None => Ev::Unknown,
                }
            }
            "Fn::FindInMap" => self.find_in_map(arg, refs),
            "Fn::ImportValue" | "Fn::GetAZs" | "Fn::Base64" | "Fn::Cidr" | "Fn::Transform"
            | "Fn::Length" | "Fn::ToJsonString" | "Fn::GetParam" => {
                // Evaluated for their references only: the value is not known statically.
                self.eval(arg, refs);
                Ev::Unknown
            }
            _ => return None,
        })
    }

    fn find_in_map(&self, arg: &Node, refs: &mut Vec<String>) -> Ev {
        let Kind::Seq(items) = &arg.kind else {
            return Ev::Unknown;
        };
        let keys: Vec<Option<String>> = items
            .iter()
            .take(3)
            .map(|i| self.eval(i, refs).to_str())
            .collect();
        let default = items
            .get(3)
            .and_then(|d| d.get("DefaultValue"))
            .map(|d| self.eval(d, refs).v);
        let [Some(m), Some(k1), Some(k2)] = keys.as_slice() else {
            return Ev::Unknown;
        };
        if [m, k1, k2].iter().any(|k| k.contains(UNKNOWN_MARK)) {
            return Ev::Unknown;
        }
        let found = self
            .mappings
            .and_then(|ms| ms.get(m))
            .and_then(|top| top.get(k1))
            .and_then(|second| second.get(k2));
        match (found, default) {
            (Some(n), _) => self.eval(n, refs).v,
            (None, Some(d)) => d,
            (None, None) => Ev::Unknown,
        }
    }

    /// `Fn::Sub`, string form or `[template, {vars}]`.
    fn sub(&self, arg: &Node, refs: &mut Vec<String>) -> Ev {
        let (template, vars) = match &arg.kind {
            Kind::Str(s) => (s.as_str(), None),
            Kind::Seq(items) => match items.as_slice() {
                [t, v] => match t.as_str() {
                    Some(t) => (t, Some(v)),
                    None => return Ev::Unknown,
                },
                [t] => match t.as_str() {
                    Some(t) => (t, None),
                    None => return Ev::Unknown,
                },
                _ => return Ev::Unknown,
            },
            _ => return Ev::Unknown,
        };
        let mut out = String::new();
        let mut rest = template;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[i..]);
                rest = "";
                break;
            };
            let name = &after[..close];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let name = name.trim();
                let var = vars.and_then(|v| v.get(name));
                let value = match var {
                    Some(v) => self.eval(v, refs).v,
                    None => match name.split_once('.') {
                        Some((r, a)) if !self.params.contains_key(name) => self.get_att(r, a, refs),
                        _ => self.reference(name, refs),
                    },
                };
                match (E {
                    v: value,
                    span: arg.span,
                })
                .to_str()
                {
                    Some(s) => out.push_str(&s),
                    None => out.push(UNKNOWN_MARK),
                }
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        if out.chars().all(|c| c == UNKNOWN_MARK) && !out.is_empty() {
            return Ev::Unknown;
        }
        Ev::Str(out)
    }
}

/// The value of `Ref` to a parameter: the override, else the default, else unknown.
pub(crate) fn parameter(decl: &Node, given: Option<&str>) -> Param {
    let ty = decl.get("Type").and_then(Node::as_str).unwrap_or("String");
    if ty.starts_with("AWS::SSM::Parameter::Value") {
        // The default names an SSM parameter; its value is only known at deploy time.
        return Param::Unknown;
    }
    let text = match given {
        Some(g) => g.to_owned(),
        None => match decl.get("Default").map(|d| &d.kind) {
            Some(Kind::Str(s)) => s.clone(),
            Some(Kind::Bool(b)) => b.to_string(),
            Some(Kind::Seq(items)) if ty.starts_with("List<") || ty == "CommaDelimitedList" => {
                items
                    .iter()
                    .filter_map(Node::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            }
            Some(Kind::Null) => String::new(),
            _ => return Param::Unknown,
        },
    };
    let span = decl.get("Default").map_or(decl.span, |d| d.span);
    if ty.starts_with("List<") || ty == "CommaDelimitedList" {
        Param::Known(Ev::List(
            text.split(',')
                .map(|p| E {
                    v: Ev::Str(p.trim().to_owned()),
                    span,
                })
                .collect(),
        ))
    } else {
        Param::Known(Ev::Str(text))
    }
}
