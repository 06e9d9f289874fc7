//! The Terraform evaluator: module instances, variables, locals, resources (with `count`
//! and `for_each`), module calls and outputs, evaluated lazily with memoization so that
//! references are resolved through indexes and every expression is evaluated once.
//!
//! What cannot be resolved statically becomes [`V::Unknown`] (or a string with
//! `UNKNOWN_MARK` parts); nothing is guessed.

use super::functions;
use super::modules::{is_local_source, normalize, source_literal, Loader, Loc, Module};
use super::value::{MAX_COLLECTION, MAX_STRING, V};
use crate::frontend::budget;
use crate::model::iam::UNKNOWN_MARK;
use crate::source::{SourceId, Span};
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::Span as _;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::rc::Rc;

/// Module nesting deeper than this is treated as opaque (guards against a module that
/// calls itself).
const MAX_MODULE_DEPTH: usize = 12;

type EvResult = Result<V, String>;

/// An evaluated block body: attributes with the span of their expression, nested blocks
/// (with `dynamic` blocks expanded), and the addresses each attribute refers to.
#[derive(Debug, Clone, Default)]
pub(crate) struct EvBody {
    pub(crate) span: Span,
    pub(crate) attrs: Vec<(String, V, Span)>,
    pub(crate) blocks: Vec<(String, EvBody)>,
    /// Block types produced by a `dynamic` block whose `for_each` is unknown.
    pub(crate) unknown_blocks: Vec<String>,
    pub(crate) refs: Vec<(String, String)>,
}

impl EvBody {
    pub(crate) fn attr(&self, name: &str) -> Option<(&V, Span)> {
        self.attrs
            .iter()
            .find(|(k, _, _)| k == name)
            .map(|(_, v, s)| (v, *s))
    }

    pub(crate) fn blocks<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a EvBody> + 'a {
        self.blocks
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, b)| b)
    }

    /// The body as an object value (for references): attributes, and nested blocks as lists.
    pub(crate) fn to_value(&self) -> V {
        let mut m = BTreeMap::new();
        for (k, v, _) in &self.attrs {
            m.insert(k.clone(), v.clone());
        }
        let mut blocks: BTreeMap<String, Vec<V>> = BTreeMap::new();
        for (k, b) in &self.blocks {
            blocks.entry(k.clone()).or_default().push(b.to_value());
        }
        for (k, l) in blocks {
            m.entry(k).or_insert(V::List(l));
        }
        V::Map(m)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InstKey {
    None,
    Index(usize),
    Key(String),
    /// `count`/`for_each` could not be resolved: one representative instance.
    Unknown,
}

impl InstKey {
    pub(crate) fn suffix(&self) -> String {
        match self {
            InstKey::None => String::new(),
            InstKey::Index(i) => format!("[{i}]"),
            InstKey::Key(k) => format!("[{k:?}]"),
            InstKey::Unknown => "[?]".into(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct ResInstance {
    pub(crate) address: String,
    pub(crate) body: EvBody,
}

#[derive(Debug)]
pub(crate) struct ResEval {
    pub(crate) rtype: String,
    pub(crate) header: Span,
    pub(crate) instances: Vec<ResInstance>,
    pub(crate) conditional: bool,
    pub(crate) region: V,
    pub(crate) value: V,
}

pub(crate) struct CallEval {
    pub(crate) instances: Vec<(InstKey, Rc<Instance>)>,
    pub(crate) counted: bool,
}

enum Slot<T> {
    InProgress,
    Done(T),
}

/// One instance of a module (the root, or a module call's instance).
pub(crate) struct Instance {
    pub(crate) prefix: String,
    pub(crate) module: std::sync::Arc<Module>,
    pub(crate) root_dir: PathBuf,
    /// Module call names from the root (`["audit", "bucket"]`), for `modules.json` keys.
    pub(crate) call_path: Vec<String>,
    pub(crate) depth: usize,
    pub(crate) vars: HashMap<String, V>,
    /// Provider configuration key (`aws`, `aws.east`) → region value.
    pub(crate) providers: HashMap<String, V>,
    /// Whether the instance itself exists only conditionally.
    pub(crate) conditional: bool,
    locals: RefCell<HashMap<String, Slot<V>>>,
    resources: RefCell<HashMap<String, Slot<Rc<ResEval>>>>,
    calls: RefCell<HashMap<String, Slot<Option<Rc<CallEval>>>>>,
    refs: RefCell<Vec<String>>,
}

/// Expression evaluation scope.
#[derive(Clone)]
struct Ev<'a> {
    inst: &'a Instance,
    loader: &'a Loader<'a>,
    file: SourceId,
    vars: Vec<(String, V)>,
}

fn span_of(file: SourceId, r: Option<std::ops::Range<usize>>) -> Span {
    r.map(|r| Span::new(file, r)).unwrap_or(Span {
        source: file,
        start: 0,
        end: 0,
    })
}

/// The span of a block header: identifier through the last label.
pub(crate) fn header_span(file: SourceId, b: &Block) -> Span {
    let start = b.ident.span().or_else(|| b.span()).map_or(0, |r| r.start);
    let end = b
        .labels
        .last()
        .and_then(hcl_edit::Span::span)
        .or_else(|| b.ident.span())
        .map_or(start, |r| r.end);
    Span::new(file, start..end.max(start))
}

fn num_to_index(n: f64) -> Option<usize> {
    if n >= 0.0 && n.fract() == 0.0 && n <= MAX_COLLECTION as f64 {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "checked range"
        )]
        Some(n as usize)
    } else {
        None
    }
}

impl Instance {
    #[expect(
        clippy::too_many_arguments,
        reason = "an instance is its whole context; built in three places"
    )]
    pub(crate) fn new(
        prefix: String,
        module: std::sync::Arc<Module>,
        root_dir: PathBuf,
        call_path: Vec<String>,
        depth: usize,
        vars: HashMap<String, V>,
        providers: HashMap<String, V>,
        conditional: bool,
    ) -> Instance {
        Instance {
            prefix,
            module,
            root_dir,
            call_path,
            depth,
            vars,
            providers,
            conditional,
            locals: RefCell::new(HashMap::new()),
            resources: RefCell::new(HashMap::new()),
            calls: RefCell::new(HashMap::new()),
            refs: RefCell::new(Vec::new()),
        }
    }

    fn ev<'a>(&'a self, loader: &'a Loader<'a>, file: SourceId) -> Ev<'a> {
        Ev {
            inst: self,
            loader,
            file,
            vars: Vec::new(),
        }
    }

    fn file_id(&self, loc: Loc) -> SourceId {
        self.module.file(loc).map_or(SourceId(0), |f| f.id)
    }

    /// Evaluates a local value (memoized; a cycle is unknown).
    fn local(&self, loader: &Loader<'_>, name: &str) -> EvResult {
        match self.locals.borrow().get(name) {
            Some(Slot::Done(v)) => return Ok(v.clone()),
            Some(Slot::InProgress) => return Ok(V::Unknown),
            None => {}
        }
        let Some(&loc) = self.module.index.locals.get(name) else {
            return Err(format!("reference to undeclared local value local.{name}"));
        };
        self.locals
            .borrow_mut()
            .insert(name.to_owned(), Slot::InProgress);
        let module = std::sync::Arc::clone(&self.module);
        let v = match module.block(loc).and_then(|b| b.body.get_attribute(name)) {
            Some(a) => self
                .ev(loader, self.file_id(loc))
                .eval(&a.value)
                .unwrap_or(V::Unknown),
            None => V::Unknown,
        };
        self.locals
            .borrow_mut()
            .insert(name.to_owned(), Slot::Done(v.clone()));
        Ok(v)
    }

    fn output(&self, loader: &Loader<'_>, name: &str) -> EvResult {
        let key = format!("\0output.{name}");
        match self.locals.borrow().get(&key) {
            Some(Slot::Done(v)) => return Ok(v.clone()),
            Some(Slot::InProgress) => return Ok(V::Unknown),
            None => {}
        }
        let Some(&loc) = self.module.index.outputs.get(name) else {
            return Err(format!("module has no output {name:?}"));
        };
        self.locals
            .borrow_mut()
            .insert(key.clone(), Slot::InProgress);
        let module = std::sync::Arc::clone(&self.module);
        let v = match module
            .block(loc)
            .and_then(|b| b.body.get_attribute("value"))
        {
            Some(a) => self
                .ev(loader, self.file_id(loc))
                .eval(&a.value)
                .unwrap_or(V::Unknown),
            None => V::Unknown,
        };
        self.locals.borrow_mut().insert(key, Slot::Done(v.clone()));
        Ok(v)
    }

    fn all_outputs(&self, loader: &Loader) -> V {
        let names: Vec<String> = self.module.index.outputs.keys().cloned().collect();
        V::Map(
            names
                .into_iter()
                .map(|n| {
                    let v = self.output(loader, &n).unwrap_or(V::Unknown);
                    (n, v)
                })
                .collect(),
        )
    }

    /// Evaluates a resource or data source (`type.name` / `data.type.name`), memoized.
    pub(crate) fn resource(&self, loader: &Loader<'_>, key: &str) -> Option<Rc<ResEval>> {
        match self.resources.borrow().get(key) {
            Some(Slot::Done(r)) => return Some(Rc::clone(r)),
            Some(Slot::InProgress) => return None,
            None => {}
        }
        let loc = *self.module.index.resource_map.get(key)?;
        self.resources
            .borrow_mut()
            .insert(key.to_owned(), Slot::InProgress);
        let r = Rc::new(self.eval_resource(loader, key, loc));
        self.resources
            .borrow_mut()
            .insert(key.to_owned(), Slot::Done(Rc::clone(&r)));
        Some(r)
    }

    fn eval_resource(&self, loader: &Loader<'_>, key: &str, loc: Loc) -> ResEval {
        let module = std::sync::Arc::clone(&self.module);
        let file = self.file_id(loc);
        let Some(block) = module.block(loc) else {
            return ResEval {
                rtype: String::new(),
                header: Span::default(),
                instances: Vec::new(),
                conditional: false,
                region: V::Unknown,
                value: V::Unknown,
            };
        };
        let label = block
            .labels
            .first()
            .map(|l| l.as_str().to_owned())
            .unwrap_or_default();
        let rtype = if key.starts_with("data.") {
            format!("data.{label}")
        } else {
            label
        };
        let header = header_span(file, block);
        let ev = self.ev(loader, file);
        let region = self.provider_region(block, &rtype);
        let (keys, counted, conditional) = ev.instance_keys(&block.body);
        let mut instances = Vec::new();
        let mut objects: Vec<(InstKey, V)> = Vec::new();
        for (k, bind) in keys {
            let mut ev = ev.clone();
            ev.vars.extend(bind);
            let mut body = ev.eval_body(&block.body, header);
            body.span = header;
            objects.push((k.clone(), self.computed(&rtype, key, &body, &region)));
            instances.push(ResInstance {
                address: format!("{}{key}{}", self.prefix, k.suffix()),
                body,
            });
        }
        let value = match counted {
            Counted::Single => objects.into_iter().next().map_or(V::Unknown, |(_, v)| v),
            Counted::Count => V::List(objects.into_iter().map(|(_, v)| v).collect()),
            Counted::ForEach => V::Map(
                objects
                    .into_iter()
                    .filter_map(|(k, v)| {
                        if let InstKey::Key(k) = k {
                            Some((k, v))
                        } else {
                            None
                        }
                    })
                    .collect(),
            ),
            Counted::Unknown => V::Unknown,
        };
        ResEval {
            rtype,
            header,
            instances,
            conditional: conditional || self.conditional,
            region,
            value,
        }
    }

    /// The region of the provider configuration a resource uses.
    fn provider_region(&self, block: &Block, rtype: &str) -> V {
        let name = rtype
            .trim_start_matches("data.")
            .split('_')
            .next()
            .unwrap_or("aws");
        let key = match block.body.get_attribute("provider") {
            Some(a) => expr_text(&a.value),
            None => name.to_owned(),
        };
        self.providers.get(&key).cloned().unwrap_or(V::Unknown)
    }

    /// A resource's object value: its attributes plus the computed attributes trailcheck
    /// knows how to derive (ids and ARNs built from known names).
    fn computed(&self, rtype: &str, key: &str, body: &EvBody, region: &V) -> V {
        let mut v = body.to_value();
        let V::Map(m) = &mut v else { return v };
        let unknown = UNKNOWN_MARK.to_string();
        let region_s = match region {
            V::Str(s) => s.clone(),
            _ => unknown.clone(),
        };
        let partition = match region {
            V::Str(s) => crate::model::Region::new(s.clone()).partition().to_owned(),
            _ => unknown.clone(),
        };
        let get = |m: &BTreeMap<String, V>, k: &str| m.get(k).and_then(V::to_str);
        let name = get(m, "name");
        let set = |m: &mut BTreeMap<String, V>, k: &str, val: Option<String>| {
            m.entry(k.to_owned())
                .or_insert(val.map_or(V::Unknown, V::Str));
        };
        match rtype {
            "aws_s3_bucket" => {
                let b = get(m, "bucket")
                    .or_else(|| get(m, "bucket_prefix").map(|p| format!("{p}{unknown}")));
                set(m, "id", b.clone());
                set(m, "bucket", b.clone());
                set(m, "arn", b.map(|b| format!("arn:{partition}:s3:::{b}")));
            }
            "aws_cloudwatch_log_group" => {
                set(m, "id", name.clone());
                set(
                    m,
                    "arn",
                    name.map(|n| {
                        format!("arn:{partition}:logs:{region_s}:{unknown}:log-group:{n}")
                    }),
                );
            }
            "aws_iam_role" | "aws_iam_policy" => {
                let kind = if rtype == "aws_iam_role" {
                    "role"
                } else {
                    "policy"
                };
                let path = get(m, "path").unwrap_or_else(|| "/".into());
                set(m, "id", name.clone());
                set(
                    m,
                    "arn",
                    name.map(|n| format!("arn:{partition}:iam::{unknown}:{kind}{path}{n}")),
                );
            }
            "aws_kms_key" => {
                set(m, "key_id", Some(unknown.clone()));
                set(m, "id", Some(unknown.clone()));
                set(
                    m,
                    "arn",
                    Some(format!(
                        "arn:{partition}:kms:{region_s}:{unknown}:key/{unknown}"
                    )),
                );
            }
            "aws_kms_alias" => {
                set(m, "id", name.clone());
                set(
                    m,
                    "arn",
                    name.map(|n| format!("arn:{partition}:kms:{region_s}:{unknown}:{n}")),
                );
            }
            "aws_sns_topic" => {
                let arn = name.map(|n| format!("arn:{partition}:sns:{region_s}:{unknown}:{n}"));
                set(m, "id", arn.clone());
                set(m, "arn", arn);
            }
            "aws_cloudtrail" => {
                set(m, "id", name.clone());
                set(
                    m,
                    "arn",
                    name.map(|n| {
                        format!("arn:{partition}:cloudtrail:{region_s}:{unknown}:trail/{n}")
                    }),
                );
                set(m, "home_region", Some(region_s));
            }
            "data.aws_iam_policy_document" => {
                m.insert("json".into(), policy_document_json(body));
            }
            "data.aws_region" => {
                m.insert("name".into(), region.clone());
                m.insert("id".into(), region.clone());
            }
            "data.aws_partition" => {
                m.insert(
                    "partition".into(),
                    if partition == unknown {
                        V::Unknown
                    } else {
                        V::Str(partition)
                    },
                );
            }
            _ => {}
        }
        let _ = key;
        v
    }

    /// Evaluates a module call (memoized). `None` when the call does not exist.
    fn call(&self, loader: &Loader<'_>, name: &str) -> Option<Rc<CallEval>> {
        match self.calls.borrow().get(name) {
            Some(Slot::Done(c)) => return c.clone(),
            Some(Slot::InProgress) => return None,
            None => {}
        }
        let &(_, loc) = self
            .module
            .index
            .module_calls
            .iter()
            .find(|(n, _)| n == name)?;
        self.calls
            .borrow_mut()
            .insert(name.to_owned(), Slot::InProgress);
        let c = self.eval_call(loader, name, loc).map(Rc::new);
        self.calls
            .borrow_mut()
            .insert(name.to_owned(), Slot::Done(c.clone()));
        c
    }

    /// The directory a module call's source resolves to, if it is available locally.
    fn call_dir(&self, block: &Block, name: &str) -> Option<PathBuf> {
        let src = source_literal(block)?;
        if is_local_source(&src) {
            return Some(normalize(&self.module.dir.join(src)));
        }
        // Installed by `terraform init`: .terraform/modules/modules.json maps call keys to
        // directories.
        let manifest = self.root_dir.join(".terraform/modules/modules.json");
        let text = std::fs::read_to_string(manifest).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        let mut key = self.call_path.clone();
        key.push(name.to_owned());
        let key = key.join(".");
        let dir = json
            .get("Modules")?
            .as_array()?
            .iter()
            .find(|m| m.get("Key").and_then(|k| k.as_str()) == Some(key.as_str()))?
            .get("Dir")?
            .as_str()?
            .to_owned();
        Some(normalize(&self.root_dir.join(dir)))
    }

    fn eval_call(&self, loader: &Loader<'_>, name: &str, loc: Loc) -> Option<CallEval> {
        let module = std::sync::Arc::clone(&self.module);
        let block = module.block(loc)?;
        if self.depth >= MAX_MODULE_DEPTH {
            return None;
        }
        let dir = self.call_dir(block, name)?;
        let child_module = loader.module(&dir)?;
        let file = self.file_id(loc);
        let ev = self.ev(loader, file);
        let (keys, counted, conditional) = ev.instance_keys(&block.body);
        // Provider mapping: `providers = { aws = aws.east }`.
        let mut providers: HashMap<String, V> = self
            .providers
            .iter()
            .filter(|(k, _)| !k.contains('.'))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(Expression::Object(o)) = block.body.get_attribute("providers").map(|a| &a.value)
        {
            for (k, v) in o.iter() {
                let child_key = match k {
                    ObjectKey::Ident(i) => i.as_str().to_owned(),
                    ObjectKey::Expression(e) => expr_text(e).trim_matches('"').to_owned(),
                };
                let parent_key = expr_text(v.expr());
                providers.insert(
                    child_key,
                    self.providers
                        .get(&parent_key)
                        .cloned()
                        .unwrap_or(V::Unknown),
                );
            }
        }
        let mut instances = Vec::new();
        for (k, bind) in keys {
            let mut ev = ev.clone();
            ev.vars.extend(bind);
            let mut vars = HashMap::new();
            for (vname, &vloc) in &child_module.index.variables {
                let decl = child_module.block(vloc);
                let input = block
                    .body
                    .get_attribute(vname)
                    .map(|a| ev.eval(&a.value).unwrap_or(V::Unknown));
                let value = match input {
                    Some(v) => v,
                    None => {
                        decl.and_then(|d| d.body.get_attribute("default"))
                            .map_or(V::Unknown, |a| {
                                let f = child_module.file(vloc).map_or(SourceId(0), |f| f.id);
                                Ev {
                                    inst: self,
                                    loader,
                                    file: f,
                                    vars: Vec::new(),
                                }
                                .eval_const(&a.value)
                            })
                    }
                };
                vars.insert(vname.clone(), convert_to_declared(value, decl));
            }
            let mut child_providers = providers.clone();
            child_providers.extend(own_providers(&child_module, loader, &vars));
            let mut call_path = self.call_path.clone();
            call_path.push(name.to_owned());
            let inst = Instance::new(
                format!("{}module.{name}{}.", self.prefix, k.suffix()),
                std::sync::Arc::clone(&child_module),
                self.root_dir.clone(),
                call_path,
                self.depth + 1,
                vars,
                child_providers,
                conditional || self.conditional,
            );
            instances.push((k, Rc::new(inst)));
        }
        Some(CallEval {
            instances,
            counted: !matches!(counted, Counted::Single),
        })
    }

    /// Every resource of this instance and of the module instances below it.
    pub(crate) fn collect(
        &self,
        loader: &Loader<'_>,
        out: &mut Vec<(Rc<ResEval>, Rc<Instance>)>,
        me: &Rc<Instance>,
    ) {
        let keys: Vec<String> = self
            .module
            .index
            .resources
            .iter()
            .map(|(k, _)| k.clone())
            .collect();
        for k in keys {
            if let Some(r) = self.resource(loader, &k) {
                out.push((r, Rc::clone(me)));
            }
        }
        let calls: Vec<String> = self
            .module
            .index
            .module_calls
            .iter()
            .map(|(n, _)| n.clone())
            .collect();
        for c in calls {
            if let Some(call) = self.call(loader, &c) {
                for (_, child) in &call.instances {
                    child.collect(loader, out, child);
                }
            }
        }
    }
}

/// The provider blocks a module declares itself (root modules, legacy child modules).
pub(crate) fn own_providers(
    module: &Module,
    loader: &Loader<'_>,
    vars: &HashMap<String, V>,
) -> HashMap<String, V> {
    let tmp = Instance::new(
        String::new(),
        std::sync::Arc::new(Module::new(module.dir.clone(), Vec::new(), Vec::new())),
        module.dir.clone(),
        Vec::new(),
        MAX_MODULE_DEPTH,
        vars.clone(),
        HashMap::new(),
        false,
    );
    let mut out = HashMap::new();
    for &loc in &module.index.providers {
        let Some(b) = module.block(loc) else { continue };
        let Some(name) = b
            .labels
            .first()
            .map(hcl_edit::structure::BlockLabel::as_str)
        else {
            continue;
        };
        let file = module.file(loc).map_or(SourceId(0), |f| f.id);
        let ev = Ev {
            inst: &tmp,
            loader,
            file,
            vars: Vec::new(),
        };
        let region = b
            .body
            .get_attribute("region")
            .map_or(V::Unknown, |a| ev.eval(&a.value).unwrap_or(V::Unknown));
        let key = match b.body.get_attribute("alias").map(|a| ev.eval(&a.value)) {
            Some(Ok(V::Str(alias))) => format!("{name}.{alias}"),
            _ => name.to_owned(),
        };
        out.insert(key, region);
    }
    out
}

/// Converts a value to a variable's declared primitive type (`"false"` → `false`).
pub(crate) fn convert_to_declared(v: V, decl: Option<&Block>) -> V {
    let Some(t) = decl
        .and_then(|d| d.body.get_attribute("type"))
        .map(|a| expr_text(&a.value))
    else {
        return v;
    };
    match (t.as_str(), &v) {
        ("bool", V::Str(_)) => v.as_bool().map_or(v, V::Bool),
        ("number", V::Str(_)) => v.as_num().map_or(v, V::Num),
        ("string", V::Num(_) | V::Bool(_)) => v.to_str().map_or(v, V::Str),
        _ => v,
    }
}

/// The source text of an expression without decoration (used for traversals such as
/// `aws.east` in `provider = aws.east`).
pub(crate) fn expr_text(e: &Expression) -> String {
    let mut e = e.clone();
    hcl_edit::Decorate::decor_mut(&mut e).clear();
    e.to_string().trim().to_owned()
}

enum Counted {
    Single,
    Count,
    ForEach,
    Unknown,
}

type Bindings = Vec<(String, V)>;

impl Ev<'_> {
    /// Instances from `count`/`for_each`: keys with the `count`/`each` bindings.
    fn instance_keys(&self, body: &Body) -> (Vec<(InstKey, Bindings)>, Counted, bool) {
        if let Some(a) = body.get_attribute("count") {
            return match self.eval(&a.value).ok().and_then(|v| v.as_num()) {
                Some(n) => {
                    let n = num_to_index(n.max(0.0)).unwrap_or(0).min(1000);
                    let keys = (0..n)
                        .map(|i| {
                            let count =
                                V::Map(BTreeMap::from([("index".into(), V::Num(i as f64))]));
                            (InstKey::Index(i), vec![("count".into(), count)])
                        })
                        .collect();
                    (keys, Counted::Count, false)
                }
                None => {
                    let count = V::Map(BTreeMap::from([("index".into(), V::Unknown)]));
                    (
                        vec![(InstKey::Unknown, vec![("count".into(), count)])],
                        Counted::Unknown,
                        true,
                    )
                }
            };
        }
        if let Some(a) = body.get_attribute("for_each") {
            let items: Option<Vec<(String, V)>> = match self.eval(&a.value) {
                Ok(V::Map(m)) => Some(m.into_iter().collect()),
                Ok(V::List(l)) if !l.iter().any(V::has_unknown) => Some(
                    l.into_iter()
                        .filter_map(|v| v.to_str().map(|s| (s.clone(), V::Str(s))))
                        .collect(),
                ),
                _ => None,
            };
            return match items {
                Some(items) => {
                    let keys = items
                        .into_iter()
                        .take(1000)
                        .map(|(k, v)| {
                            let each = V::Map(BTreeMap::from([
                                ("key".into(), V::Str(k.clone())),
                                ("value".into(), v),
                            ]));
                            (InstKey::Key(k), vec![("each".into(), each)])
                        })
                        .collect();
                    (keys, Counted::ForEach, false)
                }
                None => {
                    let each = V::Map(BTreeMap::from([
                        ("key".into(), V::Unknown),
                        ("value".into(), V::Unknown),
                    ]));
                    (
                        vec![(InstKey::Unknown, vec![("each".into(), each)])],
                        Counted::Unknown,
                        true,
                    )
                }
            };
        }
        (vec![(InstKey::None, Vec::new())], Counted::Single, false)
    }

    /// Evaluates a block body. Meta-arguments are skipped; `dynamic` blocks are expanded.
    fn eval_body(&self, body: &Body, span: Span) -> EvBody {
        let mut out = EvBody {
            span,
            ..EvBody::default()
        };
        for s in body.iter() {
            match s {
                Structure::Attribute(a) => {
                    let key = a.key.as_str();
                    if matches!(
                        key,
                        "count" | "for_each" | "provider" | "depends_on" | "providers"
                    ) {
                        continue;
                    }
                    let saved = std::mem::take(&mut *self.inst.refs.borrow_mut());
                    let v = self.eval(&a.value).unwrap_or(V::Unknown);
                    let refs = std::mem::replace(&mut *self.inst.refs.borrow_mut(), saved);
                    for r in refs {
                        out.refs.push((key.to_owned(), r));
                    }
                    out.attrs
                        .push((key.to_owned(), v, span_of(self.file, a.value.span())));
                }
                Structure::Block(b) => {
                    let ident = b.ident.as_str();
                    if matches!(ident, "lifecycle" | "provisioner" | "connection") {
                        continue;
                    }
                    if ident == "dynamic" {
                        self.expand_dynamic(b, &mut out);
                        continue;
                    }
                    let inner = self.eval_body(&b.body, header_span(self.file, b));
                    out.refs.extend(
                        inner
                            .refs
                            .iter()
                            .map(|(_, r)| (ident.to_owned(), r.clone())),
                    );
                    out.blocks.push((ident.to_owned(), inner));
                }
            }
        }
        out
    }

    fn expand_dynamic(&self, b: &Block, out: &mut EvBody) {
        let Some(label) = b.labels.first().map(|l| l.as_str().to_owned()) else {
            return;
        };
        let iterator = b
            .body
            .get_attribute("iterator")
            .map_or_else(|| label.clone(), |a| expr_text(&a.value));
        let content = b.body.get_blocks("content").next();
        let items = b
            .body
            .get_attribute("for_each")
            .map(|a| self.eval(&a.value).unwrap_or(V::Unknown));
        let pairs: Vec<(V, V)> = match items {
            Some(V::List(l)) => l
                .into_iter()
                .enumerate()
                .map(|(i, v)| (V::Num(i as f64), v))
                .collect(),
            Some(V::Map(m)) => m.into_iter().map(|(k, v)| (V::Str(k), v)).collect(),
            Some(V::Null) => Vec::new(),
            _ => {
                out.unknown_blocks.push(label);
                return;
            }
        };
        let Some(content) = content else { return };
        for (k, v) in pairs.into_iter().take(MAX_COLLECTION) {
            let mut ev = self.clone();
            ev.vars.push((
                iterator.clone(),
                V::Map(BTreeMap::from([("key".into(), k), ("value".into(), v)])),
            ));
            let inner = ev.eval_body(&content.body, header_span(self.file, b));
            out.refs
                .extend(inner.refs.iter().map(|(_, r)| (label.clone(), r.clone())));
            out.blocks.push((label.clone(), inner));
        }
    }

    /// Evaluates a variable default: a constant expression without references.
    fn eval_const(&self, e: &Expression) -> V {
        self.eval(e).unwrap_or(V::Unknown)
    }

    fn lookup_var(&self, name: &str) -> Option<&V> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    pub(crate) fn eval(&self, e: &Expression) -> EvResult {
        let v = match e {
            Expression::Null(_) => V::Null,
            Expression::Bool(b) => V::Bool(*b.value()),
            Expression::Number(n) => V::Num(n.value().as_f64().unwrap_or(0.0)),
            Expression::String(s) => V::Str(s.value().clone()),
            Expression::Array(a) => {
                let mut out = Vec::new();
                for x in a.iter() {
                    out.push(self.eval(x)?);
                }
                V::List(out)
            }
            Expression::Object(o) => {
                let mut m = BTreeMap::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_owned(),
                        ObjectKey::Expression(Expression::Variable(i)) => i.as_str().to_owned(),
                        ObjectKey::Expression(e) => match self.eval(e)?.to_str() {
                            Some(s) if !s.contains(UNKNOWN_MARK) => s,
                            Some(_) => return Ok(V::Unknown),
                            None => return Err("object key must be a string".into()),
                        },
                    };
                    m.insert(key, self.eval(v.expr())?);
                }
                V::Map(m)
            }
            Expression::StringTemplate(t) => V::Str(self.template(t)?),
            Expression::HeredocTemplate(h) => {
                let mut h = (**h).clone();
                if h.indent().is_some() {
                    h.dedent();
                }
                V::Str(self.template(&h.template)?)
            }
            Expression::Parenthesis(p) => self.eval(p.inner())?,
            Expression::Variable(v) => self.variable(v.as_str(), &[])?,
            Expression::Conditional(c) => match self.eval(&c.cond_expr)? {
                V::Bool(true) => self.eval(&c.true_expr)?,
                V::Bool(false) => self.eval(&c.false_expr)?,
                cond if cond.as_bool().is_some() => {
                    if cond.as_bool() == Some(true) {
                        self.eval(&c.true_expr)?
                    } else {
                        self.eval(&c.false_expr)?
                    }
                }
                _ => {
                    // Unknown condition: known only if both branches agree.
                    let t = self.eval(&c.true_expr).unwrap_or(V::Unknown);
                    let f = self.eval(&c.false_expr).unwrap_or(V::Unknown);
                    if t.tf_eq(&f) == Some(true) {
                        t
                    } else {
                        V::Unknown
                    }
                }
            },
            Expression::FuncCall(f) => self.func(f)?,
            Expression::Traversal(t) => self.traversal(&t.expr, &t.operators)?,
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr)?;
                if v.is_unknown() {
                    return Ok(V::Unknown);
                }
                match u.operator.value() {
                    UnaryOperator::Not => V::Bool(!v.as_bool().ok_or("! needs a bool")?),
                    UnaryOperator::Neg => V::Num(-v.as_num().ok_or("- needs a number")?),
                }
            }
            Expression::BinaryOp(b) => self.binary(b)?,
            Expression::ForExpr(f) => self.for_expr(f)?,
        };
        if let V::Str(s) = &v {
            if s.len() > MAX_STRING {
                return Err("string too large to evaluate".into());
            }
        }
        Ok(v)
    }

    fn binary(&self, b: &hcl_edit::expr::BinaryOp) -> EvResult {
        let op = *b.operator.value();
        let l = self.eval(&b.lhs_expr)?;
        // Short-circuit with unknowns: false && x = false, true || x = true.
        match (op, l.as_bool()) {
            (BinaryOperator::And, Some(false)) => return Ok(V::Bool(false)),
            (BinaryOperator::Or, Some(true)) => return Ok(V::Bool(true)),
            _ => {}
        }
        let r = self.eval(&b.rhs_expr)?;
        Ok(match op {
            BinaryOperator::Eq => l.tf_eq(&r).map_or(V::Unknown, V::Bool),
            BinaryOperator::NotEq => l.tf_eq(&r).map_or(V::Unknown, |x| V::Bool(!x)),
            BinaryOperator::And | BinaryOperator::Or => match (l.as_bool(), r.as_bool()) {
                (Some(a), Some(c)) => V::Bool(if op == BinaryOperator::And {
                    a && c
                } else {
                    a || c
                }),
                (_, Some(false)) if op == BinaryOperator::And => V::Bool(false),
                (_, Some(true)) if op == BinaryOperator::Or => V::Bool(true),
                _ => V::Unknown,
            },
            _ => {
                let (Some(a), Some(c)) = (l.as_num(), r.as_num()) else {
                    if l.is_unknown() || r.is_unknown() {
                        return Ok(V::Unknown);
                    }
                    return Err(format!(
                        "arithmetic on {} and {}",
                        l.type_name(),
                        r.type_name()
                    ));
                };
                match op {
                    BinaryOperator::Plus => V::Num(a + c),
                    BinaryOperator::Minus => V::Num(a - c),
                    BinaryOperator::Mul => V::Num(a * c),
                    BinaryOperator::Div => V::Num(a / c),
                    BinaryOperator::Mod => V::Num(a % c),
                    BinaryOperator::Less => V::Bool(a < c),
                    BinaryOperator::LessEq => V::Bool(a <= c),
                    BinaryOperator::Greater => V::Bool(a > c),
                    BinaryOperator::GreaterEq => V::Bool(a >= c),
                    _ => V::Unknown,
                }
            }
        })
    }

    fn for_expr(&self, f: &hcl_edit::expr::ForExpr) -> EvResult {
        let coll = self.eval(&f.intro.collection_expr)?;
        let pairs: Vec<(V, V)> = match coll {
            V::List(l) => l
                .into_iter()
                .enumerate()
                .map(|(i, v)| (V::Num(i as f64), v))
                .collect(),
            V::Map(m) => m.into_iter().map(|(k, v)| (V::Str(k), v)).collect(),
            V::Unknown | V::Str(_) if coll.is_unknown() => return Ok(V::Unknown),
            V::Null => return Err("for expression over null".into()),
            other => return Err(format!("cannot iterate over {}", other.type_name())),
        };
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str().to_owned());
        let val_var = f.intro.value_var.as_str().to_owned();
        let mut list = Vec::new();
        let mut map: BTreeMap<String, V> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<V>> = BTreeMap::new();
        for (k, v) in pairs {
            let mut ev = self.clone();
            if let Some(kv) = &key_var {
                ev.vars.push((kv.clone(), k));
            }
            ev.vars.push((val_var.clone(), v));
            if let Some(c) = &f.cond {
                match ev.eval(&c.expr)?.as_bool() {
                    Some(true) => {}
                    Some(false) => continue,
                    None => return Ok(V::Unknown),
                }
            }
            let value = ev.eval(&f.value_expr)?;
            match &f.key_expr {
                Some(ke) => {
                    let key = ev.eval(ke)?;
                    let Some(key) = key.to_str().filter(|s| !s.contains(UNKNOWN_MARK)) else {
                        return Ok(V::Unknown);
                    };
                    if f.grouping {
                        groups.entry(key).or_default().push(value);
                    } else {
                        map.insert(key, value);
                    }
                }
                None => list.push(value),
            }
            if list.len() + map.len() + groups.len() > MAX_COLLECTION {
                return Err("for expression produces too many elements".into());
            }
        }
        Ok(if f.key_expr.is_some() {
            if f.grouping {
                V::Map(groups.into_iter().map(|(k, v)| (k, V::List(v))).collect())
            } else {
                V::Map(map)
            }
        } else {
            V::List(list)
        })
    }

    fn template(&self, t: &Template) -> Result<String, String> {
        let mut out = String::new();
        for el in t.iter() {
            match el {
                Element::Literal(l) => out.push_str(l.value()),
                Element::Interpolation(i) => {
                    let v = self.eval(&i.expr)?;
                    match v.to_str() {
                        Some(s) => out.push_str(&s),
                        None if matches!(v, V::Null) => return Err("interpolation of null".into()),
                        None => return Err(format!("cannot interpolate a {}", v.type_name())),
                    }
                }
                Element::Directive(d) => match &**d {
                    Directive::If(i) => match self.eval(&i.if_expr.cond_expr)?.as_bool() {
                        Some(true) => out.push_str(&self.template(&i.if_expr.template)?),
                        Some(false) => {
                            if let Some(e) = &i.else_expr {
                                out.push_str(&self.template(&e.template)?);
                            }
                        }
                        None => out.push(UNKNOWN_MARK),
                    },
                    Directive::For(f) => {
                        let coll = self.eval(&f.for_expr.collection_expr)?;
                        let pairs: Vec<(V, V)> = match coll {
                            V::List(l) => l
                                .into_iter()
                                .enumerate()
                                .map(|(i, v)| (V::Num(i as f64), v))
                                .collect(),
                            V::Map(m) => m.into_iter().map(|(k, v)| (V::Str(k), v)).collect(),
                            _ => {
                                out.push(UNKNOWN_MARK);
                                continue;
                            }
                        };
                        for (k, v) in pairs {
                            let mut ev = self.clone();
                            if let Some(kv) = &f.for_expr.key_var {
                                ev.vars.push((kv.as_str().to_owned(), k));
                            }
                            ev.vars.push((f.for_expr.value_var.as_str().to_owned(), v));
                            out.push_str(&ev.template(&f.for_expr.template)?);
                            if out.len() > MAX_STRING {
                                return Err("template too large".into());
                            }
                        }
                    }
                },
            }
            if out.len() > MAX_STRING {
                return Err("template too large".into());
            }
        }
        Ok(out)
    }

    fn func(&self, f: &hcl_edit::expr::FuncCall) -> EvResult {
        let name = f.name.name.as_str();
        let args: Vec<&Expression> = f.args.iter().collect();
        match name {
            "try" => {
                for a in &args {
                    if let Ok(v) = self.eval(a) {
                        return Ok(v);
                    }
                }
                return Err("try: no argument succeeded".into());
            }
            "can" => {
                return Ok(match args.first().map(|a| self.eval(a)) {
                    Some(Ok(v)) if v.is_unknown() => V::Unknown,
                    Some(Ok(_)) => V::Bool(true),
                    _ => V::Bool(false),
                });
            }
            "templatefile" => {
                let path = self.eval(args.first().ok_or("templatefile: path")?)?;
                let vars = match args.get(1) {
                    Some(a) => self.eval(a)?,
                    None => V::Map(BTreeMap::new()),
                };
                let Some(path) = path.to_str().filter(|p| !p.contains(UNKNOWN_MARK)) else {
                    return Ok(V::Unknown);
                };
                let text = functions::read_file(&self.inst.module.dir, &path)?;
                let tpl = budget::run(budget::parse_budget(), move || {
                    hcl_edit::parser::parse_template(&text).map_err(|e| e.message().to_string())
                })
                .map_err(|overrun| overrun.describe("template"))
                .and_then(|parsed| parsed)
                .map_err(|e| format!("templatefile: {e}"))?;
                let mut ev = self.clone();
                ev.vars = match vars {
                    V::Map(m) => m.into_iter().collect(),
                    _ => Vec::new(),
                };
                return Ok(V::Str(
                    ev.template(&tpl)
                        .unwrap_or_else(|_| UNKNOWN_MARK.to_string()),
                ));
            }
            _ => {}
        }
        let mut vals = Vec::with_capacity(args.len());
        for a in &args {
            vals.push(self.eval(a)?);
        }
        if f.args.expand_final() {
            if let Some(V::List(l)) = vals.pop() {
                vals.extend(l);
            } else {
                return Ok(V::Unknown);
            }
        }
        functions::call(name, &vals, &self.inst.module.dir)
    }

    /// Resolves a root identifier followed by traversal operators.
    fn traversal(
        &self,
        root: &Expression,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
    ) -> EvResult {
        let ops: Vec<&TraversalOperator> = ops.iter().map(|o| o.value()).collect();
        match root {
            Expression::Variable(v) => self.variable(v.as_str(), &ops),
            other => {
                let base = self.eval(other)?;
                self.apply(base, &ops)
            }
        }
    }

    fn attr_name<'o>(op: Option<&&'o TraversalOperator>) -> Option<&'o str> {
        match op {
            Some(TraversalOperator::GetAttr(i)) => Some(i.as_str()),
            _ => None,
        }
    }

    fn variable(&self, name: &str, ops: &[&TraversalOperator]) -> EvResult {
        if let Some(v) = self.lookup_var(name) {
            return self.apply(v.clone(), ops);
        }
        let inst = self.inst;
        match name {
            "var" => {
                let n = Self::attr_name(ops.first()).ok_or("var needs an attribute")?;
                let v = inst
                    .vars
                    .get(n)
                    .cloned()
                    .ok_or_else(|| format!("reference to undeclared input variable var.{n}"))?;
                self.apply(v, &ops[1..])
            }
            "local" => {
                let n = Self::attr_name(ops.first()).ok_or("local needs an attribute")?;
                let v = inst.local(self.loader, n)?;
                self.apply(v, &ops[1..])
            }
            "path" => {
                let v = match Self::attr_name(ops.first()) {
                    Some("module") => V::Str(inst.module.dir.display().to_string()),
                    Some("root") => V::Str(inst.root_dir.display().to_string()),
                    Some("cwd") => V::Str(".".into()),
                    _ => V::Unknown,
                };
                self.apply(v, ops.get(1..).unwrap_or(&[]))
            }
            "terraform" => Ok(match Self::attr_name(ops.first()) {
                Some("workspace") => V::Str("default".into()),
                _ => V::Unknown,
            }),
            "count" | "each" | "self" => Ok(V::Unknown),
            "module" => {
                let n = Self::attr_name(ops.first()).ok_or("module needs a name")?;
                let Some(call) = inst.call(self.loader, n) else {
                    // Not installed or not local: opaque, outputs unknown.
                    return Ok(V::Unknown);
                };
                let mut rest = &ops[1..];
                let child = if call.counted {
                    let key = match rest.first() {
                        Some(TraversalOperator::Index(e)) => self.eval(e)?,
                        Some(TraversalOperator::LegacyIndex(i)) => V::Num(*i.value() as f64),
                        _ => {
                            // The whole collection of instances.
                            let all: Vec<V> = call
                                .instances
                                .iter()
                                .map(|(_, c)| c.all_outputs(self.loader))
                                .collect();
                            return self.apply(V::List(all), rest);
                        }
                    };
                    rest = &rest[1..];
                    call.instances
                        .iter()
                        .find(|(k, _)| match (k, &key) {
                            (InstKey::Index(i), V::Num(n)) => num_to_index(*n) == Some(*i),
                            (InstKey::Key(s), V::Str(t)) => s == t,
                            _ => false,
                        })
                        .map(|(_, c)| Rc::clone(c))
                } else {
                    call.instances.first().map(|(_, c)| Rc::clone(c))
                };
                let Some(child) = child else {
                    return Ok(V::Unknown);
                };
                match Self::attr_name(rest.first()) {
                    Some(out) => {
                        let v = child.output(self.loader, out).unwrap_or(V::Unknown);
                        self.apply(v, &rest[1..])
                    }
                    None => self.apply(child.all_outputs(self.loader), rest),
                }
            }
            "data" => {
                let t = Self::attr_name(ops.first()).ok_or("data needs a type")?;
                let n = Self::attr_name(ops.get(1)).ok_or("data needs a name")?;
                self.resource_ref(&format!("data.{t}.{n}"), &ops[2..])
            }
            rtype => {
                let Some(n) = Self::attr_name(ops.first()) else {
                    return Err(format!("unknown identifier {rtype}"));
                };
                self.resource_ref(&format!("{rtype}.{n}"), &ops[1..])
            }
        }
    }

    fn resource_ref(&self, key: &str, ops: &[&TraversalOperator]) -> EvResult {
        if !self.inst.module.index.resource_map.contains_key(key) {
            return Err(format!("reference to undeclared resource {key}"));
        }
        self.inst
            .refs
            .borrow_mut()
            .push(format!("{}{key}", self.inst.prefix));
        let Some(r) = self.inst.resource(self.loader, key) else {
            return Ok(V::Unknown);
        };
        // Attributes trailcheck does not model (computed ones such as `account_id`) are
        // unknown, not errors: the first attribute access after the instance index is
        // lenient.
        let split = ops
            .iter()
            .position(|o| matches!(o, TraversalOperator::GetAttr(_)))
            .unwrap_or(ops.len());
        let v = self.apply(r.value.clone(), &ops[..split])?;
        match (ops.get(split), v) {
            (Some(TraversalOperator::GetAttr(name)), V::Map(mut m)) => {
                let attr = m.remove(name.as_str()).unwrap_or(V::Unknown);
                self.apply(attr, &ops[split + 1..])
            }
            (_, v) => self.apply(v, &ops[split..]),
        }
    }

    /// Applies traversal operators to a value.
    fn apply(&self, mut v: V, ops: &[&TraversalOperator]) -> EvResult {
        let mut i = 0;
        while i < ops.len() {
            if matches!(v, V::Unknown) {
                return Ok(V::Unknown);
            }
            match ops[i] {
                TraversalOperator::GetAttr(name) => {
                    v = match v {
                        V::Map(mut m) => match m.remove(name.as_str()) {
                            Some(x) => x,
                            None => {
                                return Err(format!("object has no attribute {:?}", name.as_str()))
                            }
                        },
                        V::Null => return Err(format!("attribute {:?} of null", name.as_str())),
                        other => {
                            return Err(format!("cannot get attribute of a {}", other.type_name()))
                        }
                    };
                }
                TraversalOperator::Index(e) => {
                    let k = self.eval(e)?;
                    v = self.index(v, &k)?;
                }
                TraversalOperator::LegacyIndex(n) => {
                    v = self.index(v, &V::Num(*n.value() as f64))?;
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let items = match v {
                        V::List(l) => l,
                        V::Map(m) if matches!(ops[i], TraversalOperator::FullSplat(_)) => {
                            m.into_values().collect()
                        }
                        V::Null => Vec::new(),
                        other => vec![other],
                    };
                    let rest = &ops[i + 1..];
                    let mut out = Vec::new();
                    for item in items {
                        out.push(self.apply(item, rest)?);
                    }
                    return Ok(V::List(out));
                }
            }
            i += 1;
        }
        Ok(v)
    }

    fn index(&self, v: V, k: &V) -> EvResult {
        if k.is_unknown() {
            return Ok(V::Unknown);
        }
        match v {
            V::List(mut l) => {
                let n = k
                    .as_num()
                    .and_then(num_to_index)
                    .ok_or("list index must be a whole number")?;
                if n < l.len() {
                    Ok(l.swap_remove(n))
                } else {
                    Err(format!("index {n} out of range for a list of {}", l.len()))
                }
            }
            V::Map(mut m) => {
                let key = k.to_str().ok_or("map key must be a string")?;
                m.remove(&key).ok_or_else(|| format!("no key {key:?}"))
            }
            V::Unknown => Ok(V::Unknown),
            other => Err(format!("cannot index a {}", other.type_name())),
        }
    }
}

/// The JSON of a `data "aws_iam_policy_document"`, from its `statement` blocks (and
/// `source_policy_documents`/`override_policy_documents` when they are known).
fn policy_document_json(body: &EvBody) -> V {
    let mut statements = Vec::new();
    for src in ["source_policy_documents", "source_json"] {
        if let Some((v, _)) = body.attr(src) {
            let docs = match v {
                V::List(l) => l.clone(),
                other => vec![other.clone()],
            };
            for d in docs {
                match d.to_str().filter(|s| !s.contains(UNKNOWN_MARK)) {
                    Some(s) => {
                        if let Ok(j) = serde_json::from_str::<serde_json::Value>(&s) {
                            if let Some(serde_json::Value::Array(a)) = j.get("Statement") {
                                statements.extend(a.iter().map(V::from_json));
                            }
                        }
                    }
                    None => return V::Unknown,
                }
            }
        }
    }
    for s in body.blocks("statement") {
        let mut st = BTreeMap::new();
        let attr = |k: &str| s.attr(k).map(|(v, _)| v.clone());
        if let Some(v) = attr("sid") {
            st.insert("Sid".into(), v);
        }
        st.insert(
            "Effect".into(),
            attr("effect").unwrap_or(V::Str("Allow".into())),
        );
        for (tf, json) in [
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ] {
            if let Some(v) = attr(tf) {
                st.insert(json.into(), v);
            }
        }
        for (block, json) in [
            ("principals", "Principal"),
            ("not_principals", "NotPrincipal"),
        ] {
            let mut p: BTreeMap<String, V> = BTreeMap::new();
            let mut any = false;
            for pb in s.blocks(block) {
                let t = pb
                    .attr("type")
                    .and_then(|(v, _)| v.to_str())
                    .unwrap_or_default();
                let ids = pb
                    .attr("identifiers")
                    .map_or(V::Unknown, |(v, _)| v.clone());
                if t == "*" {
                    st.insert(json.into(), V::Str("*".into()));
                    any = true;
                    continue;
                }
                match p.get_mut(&t) {
                    Some(V::List(l)) => {
                        if let V::List(more) = ids {
                            l.extend(more);
                        }
                    }
                    _ => {
                        p.insert(t, ids);
                    }
                }
            }
            if !p.is_empty() && !any {
                st.insert(json.into(), V::Map(p));
            }
        }
        let mut cond: BTreeMap<String, V> = BTreeMap::new();
        for c in s.blocks("condition") {
            let test = c
                .attr("test")
                .and_then(|(v, _)| v.to_str())
                .unwrap_or_default();
            let var = c
                .attr("variable")
                .and_then(|(v, _)| v.to_str())
                .unwrap_or_default();
            let vals = c.attr("values").map_or(V::Unknown, |(v, _)| v.clone());
            if let V::Map(m) = cond.entry(test).or_insert_with(|| V::Map(BTreeMap::new())) {
                m.insert(var, vals);
            }
        }
        if !cond.is_empty() {
            st.insert("Condition".into(), V::Map(cond));
        }
        statements.push(V::Map(st));
    }
    if body.unknown_blocks.iter().any(|b| b == "statement") {
        statements.push(V::Unknown);
    }
    let doc = V::Map(BTreeMap::from([
        ("Version".into(), V::Str("2012-10-17".into())),
        ("Statement".into(), V::List(statements)),
    ]));
    serde_json::to_string(&doc.to_json()).map_or(V::Unknown, V::Str)
}

/// Root module variables: defaults, then `terraform.tfvars`, `*.auto.tfvars` (in lexical
/// order), `--var-file`s and `--var`s, later ones winning, as Terraform does.
pub(crate) fn root_variables(
    module: &Module,
    loader: &Loader<'_>,
    var_files: &[PathBuf],
    vars: &[(String, String)],
    errors: &mut Vec<crate::model::InputError>,
) -> HashMap<String, V> {
    let dummy = Instance::new(
        String::new(),
        std::sync::Arc::new(Module::new(module.dir.clone(), Vec::new(), Vec::new())),
        module.dir.clone(),
        Vec::new(),
        MAX_MODULE_DEPTH,
        HashMap::new(),
        HashMap::new(),
        false,
    );
    let mut values: HashMap<String, V> = HashMap::new();
    for (name, &loc) in &module.index.variables {
        let file = module.file(loc).map_or(SourceId(0), |f| f.id);
        let ev = Ev {
            inst: &dummy,
            loader,
            file,
            vars: Vec::new(),
        };
        let v = module
            .block(loc)
            .and_then(|b| b.body.get_attribute("default"))
            .map_or(V::Unknown, |a| ev.eval_const(&a.value));
        values.insert(name.clone(), v);
    }
    let mut files: Vec<PathBuf> = Vec::new();
    let tfvars = module.dir.join("terraform.tfvars");
    if tfvars.is_file() {
        files.push(tfvars);
    }
    let mut auto: Vec<PathBuf> = std::fs::read_dir(&module.dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().ends_with(".auto.tfvars") && p.is_file())
                .collect()
        })
        .unwrap_or_default();
    auto.sort();
    files.extend(auto);
    files.extend(var_files.iter().cloned());
    for f in files {
        let (source, err) = loader.read(&f);
        if let Some(e) = err {
            errors.push(e);
            continue;
        }
        match super::modules::parse_file(&source) {
            Ok(body) => {
                let ev = Ev {
                    inst: &dummy,
                    loader,
                    file: source.id,
                    vars: Vec::new(),
                };
                for a in body.attributes() {
                    values.insert(a.key.as_str().to_owned(), ev.eval_const(&a.value));
                }
            }
            Err(e) => errors.push(e),
        }
    }
    for (k, v) in vars {
        // `-var` values are strings unless they parse as an HCL collection.
        let parsed = if v.starts_with('[') || v.starts_with('{') {
            hcl_edit::parser::parse_expr(v).ok().map(|e| {
                Ev {
                    inst: &dummy,
                    loader,
                    file: SourceId(0),
                    vars: Vec::new(),
                }
                .eval_const(&e)
            })
        } else {
            None
        };
        values.insert(k.clone(), parsed.unwrap_or_else(|| V::Str(v.clone())));
    }
    for (name, &loc) in &module.index.variables {
        if let Some(v) = values.remove(name) {
            values.insert(name.clone(), convert_to_declared(v, module.block(loc)));
        }
    }
    values
}
