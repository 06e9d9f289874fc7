//! The Terraform evaluator: module instances, variables, locals, resources (with `count`
//! and `for_each`), module calls and outputs, evaluated lazily with memoization so that
//! references are resolved through indexes and every expression is evaluated once.
//!
//! What cannot be resolved statically becomes [`V::Unknown`] (or a string with
//! `UNKNOWN_MARK` parts); nothing is guessed.

mod computed;
mod expr;
mod inputs;

pub(crate) use inputs::root_variables;

use super::budget as limits;
use super::functions;
use super::modules::{is_local_source, normalize, source_literal, Loader, Loc, Module};
use super::value::{fmt_num, MAX_COLLECTION, MAX_STRING, V};
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

/// Instances of one `count`/`for_each` block that are expanded (more are reported).
const MAX_INSTANCES: usize = 1000;

type EvResult = Result<V, String>;

/// How a block is repeated: once, by `count`, by `for_each`, or not knowably.
enum Counted {
    Single,
    Count,
    ForEach,
    Unknown,
}

/// The `count`/`each` bindings of one instance.
type Bindings = Vec<(String, V)>;

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

    /// Merges an override file's block into this one, as Terraform does: each argument it
    /// sets replaces the original's, and each nested block type it has replaces every
    /// nested block of that type. Spans keep pointing at the file each value came from.
    pub(crate) fn apply_override(&mut self, over: EvBody) {
        let replaced_blocks: Vec<&str> = over
            .blocks
            .iter()
            .map(|(k, _)| k.as_str())
            .chain(over.unknown_blocks.iter().map(String::as_str))
            .collect();
        let replaced = |k: &String| {
            over.attrs.iter().any(|(a, _, _)| a == k) || replaced_blocks.contains(&k.as_str())
        };
        self.refs.retain(|(k, _)| !replaced(k));
        self.blocks
            .retain(|(k, _)| !replaced_blocks.contains(&k.as_str()));
        self.unknown_blocks
            .retain(|k| !replaced_blocks.contains(&k.as_str()));
        for (k, v, span) in over.attrs {
            match self.attrs.iter_mut().find(|(a, _, _)| *a == k) {
                Some(slot) => *slot = (k, v, span),
                None => self.attrs.push((k, v, span)),
            }
        }
        self.blocks.extend(over.blocks);
        self.unknown_blocks.extend(over.unknown_blocks);
        self.refs.extend(over.refs);
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
    /// The credentials of the provider configuration used (see `Origin::account_scope`).
    pub(crate) scope: String,
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
    /// Provider configuration key → its credentials as written (empty: the default).
    pub(crate) scopes: HashMap<String, String>,
    /// Module directories from the root to this instance (a module never contains itself).
    pub(crate) dirs: Vec<PathBuf>,
    /// Variable → the argument of the outermost call it comes from (a user changes the
    /// value there), with the module address of this instance's call.
    pub(crate) inputs: HashMap<String, Span>,
    locals: RefCell<HashMap<String, Slot<V>>>,
    resources: RefCell<HashMap<String, Slot<Rc<ResEval>>>>,
    calls: RefCell<HashMap<String, Slot<Option<Rc<CallEval>>>>>,
    refs: RefCell<Vec<String>>,
    /// The resources each output's value refers to (`value = aws_s3_bucket.logs.id`), so
    /// that a caller using `module.x.bucket_id` is linked to that bucket even when its
    /// name is unknown (a random suffix).
    output_refs: RefCell<HashMap<String, Vec<String>>>,
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
        let dirs = vec![module.dir.clone()];
        Instance {
            prefix,
            module,
            root_dir,
            call_path,
            depth,
            vars,
            providers,
            conditional,
            scopes: HashMap::new(),
            dirs,
            inputs: HashMap::new(),
            locals: RefCell::new(HashMap::new()),
            resources: RefCell::new(HashMap::new()),
            calls: RefCell::new(HashMap::new()),
            refs: RefCell::new(Vec::new()),
            output_refs: RefCell::new(HashMap::new()),
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
        let saved = std::mem::take(&mut *self.refs.borrow_mut());
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
        let refs = std::mem::replace(&mut *self.refs.borrow_mut(), saved);
        self.output_refs.borrow_mut().insert(name.to_owned(), refs);
        self.locals.borrow_mut().insert(key, Slot::Done(v.clone()));
        Ok(v)
    }

    /// The resources an output refers to (after [`Instance::output`] evaluated it).
    pub(crate) fn refs_of_output(&self, name: &str) -> Vec<String> {
        self.output_refs
            .borrow()
            .get(name)
            .cloned()
            .unwrap_or_default()
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
                scope: String::new(),
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
        let scope = self.provider_scope(block, &rtype);
        let (keys, counted, conditional) = ev.instance_keys(&block.body);
        let mut instances = Vec::new();
        let mut objects: Vec<(InstKey, V)> = Vec::new();
        let overrides: Vec<(SourceId, &Block)> = module
            .index
            .overrides
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|&l| Some((self.file_id(l), module.block(l)?)))
            .collect();
        for (k, bind) in keys {
            let mut ev = ev.clone();
            ev.vars.extend(bind.iter().cloned());
            let mut body = ev.eval_body(&block.body, header);
            for &(ofile, oblock) in &overrides {
                let mut oev = self.ev(loader, ofile);
                oev.vars.extend(bind.iter().cloned());
                body.apply_override(oev.eval_body(&oblock.body, header_span(ofile, oblock)));
            }
            body.span = header;
            self.point_at_callers(loader, &block.body, &mut body);
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
            scope,
            value,
        }
    }

    /// Attributes written as just `var.NAME` whose value the caller passed: the value is
    /// located at the caller's argument (where a user changes it), and the module's use is
    /// remembered for a secondary label.
    fn point_at_callers(&self, loader: &Loader<'_>, syntax: &Body, body: &mut EvBody) {
        if self.inputs.is_empty() {
            return;
        }
        for (k, _, span) in &mut body.attrs {
            let Some(a) = syntax.get_attribute(k) else {
                continue;
            };
            // The value must come from this block, not from an override file.
            let here = a
                .value
                .span()
                .is_some_and(|r| r.start == span.start as usize && r.end == span.end as usize);
            let Some(var) = var_ref(&a.value).filter(|_| here) else {
                continue;
            };
            if let Some(&caller) = self.inputs.get(var) {
                let label = format!(
                    "passed to `var.{var}` of `{}`, used here",
                    self.prefix.trim_end_matches('.')
                );
                loader.note_via(caller, *span, label);
                *span = caller;
            }
        }
    }

    /// The credentials of the provider configuration a resource uses.
    fn provider_scope(&self, block: &Block, rtype: &str) -> String {
        let name = rtype
            .trim_start_matches("data.")
            .split('_')
            .next()
            .unwrap_or("aws");
        let key = match block.body.get_attribute("provider") {
            Some(a) => expr_text(&a.value),
            None => name.to_owned(),
        };
        self.scopes.get(&key).cloned().unwrap_or_default()
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
        let text =
            crate::fsio::read_text_bounded(&manifest, crate::fsio::SMALL_INPUT_LIMIT).ok()?;
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
        let file = self.file_id(loc);
        let at = block.body.get_attribute("source").map_or_else(
            || header_span(file, block),
            |a| span_of(file, a.value.span()),
        );
        let Some(dir) = self.call_dir(block, name) else {
            // A registry or remote module that `terraform init` has not installed here:
            // whatever it declares (a trail, a bucket) cannot be seen. Say so.
            if let Some(src) = source_literal(block) {
                if !is_local_source(&src) {
                    crate::frontend::terraform::budget::note(
                        at,
                        format!(
                            "module `{name}` (source `{}`) is not installed, so the resources \
                             it declares (trails, buckets, keys) and its outputs were not \
                             checked; run `terraform init` before trailcheck to have them \
                             checked",
                            crate::model::value::excerpt(&src)
                        ),
                    );
                }
            }
            return None;
        };
        if self.dirs.contains(&dir) {
            loader.note_error(
                at,
                format!(
                    "module `{}module.{name}` calls {}, which contains this call: a module cannot contain itself (Terraform rejects the cycle), so the call is not followed",
                    self.prefix,
                    if dir == self.module.dir { "its own directory".to_owned() } else { format!("`{}`", dir.display()) }
                ),
            );
            return None;
        }
        if self.depth >= MAX_MODULE_DEPTH {
            loader.note_error(
                at,
                format!(
                    "module `{}module.{name}` is nested {} modules deep, beyond trailcheck's limit of {MAX_MODULE_DEPTH}: the call is not followed, and the module directory is checked without its inputs",
                    self.prefix,
                    self.depth + 1
                ),
            );
            return None;
        }
        let child_module = loader.module(&dir)?;
        let ev = self.ev(loader, file);
        let (keys, counted, conditional) = ev.instance_keys(&block.body);
        // Provider mapping: `providers = { aws = aws.east }`.
        let mut providers: HashMap<String, V> = self
            .providers
            .iter()
            .filter(|(k, _)| !k.contains('.'))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut scopes: HashMap<String, String> = self
            .scopes
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
                scopes.insert(
                    child_key.clone(),
                    self.scopes.get(&parent_key).cloned().unwrap_or_default(),
                );
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
            let mut inputs = HashMap::new();
            for (vname, &vloc) in &child_module.index.variables {
                let decl = child_module.block(vloc);
                let arg = block.body.get_attribute(vname);
                if let Some(a) = arg {
                    // `x = var.x` passes the caller's own input on: point at its caller.
                    let passed = var_ref(&a.value).and_then(|v| self.inputs.get(v).copied());
                    inputs.insert(
                        vname.clone(),
                        passed.unwrap_or_else(|| span_of(file, a.value.span())),
                    );
                }
                let input = arg.map(|a| ev.eval(&a.value).unwrap_or(V::Unknown));
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
            let mut child_scopes = scopes.clone();
            child_scopes.extend(own_provider_scopes(&child_module, loader, &vars));
            let mut call_path = self.call_path.clone();
            call_path.push(name.to_owned());
            let mut inst = Instance::new(
                format!("{}module.{name}{}.", self.prefix, k.suffix()),
                std::sync::Arc::clone(&child_module),
                self.root_dir.clone(),
                call_path,
                self.depth + 1,
                vars,
                child_providers,
                conditional || self.conditional,
            );
            inst.scopes = child_scopes;
            inst.inputs = inputs;
            inst.dirs = self.dirs.clone();
            inst.dirs.push(dir.clone());
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

/// Calls `f` with the key (`aws` or `aws.ALIAS`), block and an evaluator of each provider
/// block a module declares itself, evaluated with `vars` only.
fn each_provider(
    module: &Module,
    loader: &Loader<'_>,
    vars: &HashMap<String, V>,
    mut f: impl FnMut(String, &Block, &Ev<'_>),
) {
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
        let key = match b.body.get_attribute("alias").map(|a| ev.eval(&a.value)) {
            Some(Ok(V::Str(alias))) => format!("{name}.{alias}"),
            _ => name.to_owned(),
        };
        f(key, b, &ev);
    }
}

/// The provider blocks a module declares itself (root modules, legacy child modules).
pub(crate) fn own_providers(
    module: &Module,
    loader: &Loader<'_>,
    vars: &HashMap<String, V>,
) -> HashMap<String, V> {
    let mut out = HashMap::new();
    each_provider(module, loader, vars, |key, b, ev| {
        let region = b
            .body
            .get_attribute("region")
            .map_or(V::Unknown, |a| ev.eval(&a.value).unwrap_or(V::Unknown));
        out.insert(key, region);
    });
    out
}

/// The credentials each provider block a module declares is written with: `profile`,
/// `assume_role` / `assume_role_with_web_identity` role ARNs, `allowed_account_ids`,
/// evaluated where they can be, else as written. Configurations with the same text use the
/// same credentials; different text may be different accounts.
pub(crate) fn own_provider_scopes(
    module: &Module,
    loader: &Loader<'_>,
    vars: &HashMap<String, V>,
) -> HashMap<String, String> {
    let mut out = HashMap::new();
    each_provider(module, loader, vars, |key, b, ev| {
        let text = |e: &Expression| match ev.eval(e) {
            Ok(V::Str(s)) if !s.contains(UNKNOWN_MARK) => format!("{s:?}"),
            _ => expr_text(e),
        };
        let mut parts = Vec::new();
        for attr in ["profile", "allowed_account_ids"] {
            if let Some(a) = b.body.get_attribute(attr) {
                parts.push(format!("{attr} = {}", text(&a.value)));
            }
        }
        // A credential is told apart from another, never shown: the scope text reaches
        // messages.
        if let Some(a) = b.body.get_attribute("access_key") {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            text(&a.value).hash(&mut h);
            parts.push(format!("access_key #{:08x}", h.finish() & 0xffff_ffff));
        }
        for blk in ["assume_role", "assume_role_with_web_identity"] {
            for inner in b.body.get_blocks(blk) {
                let arn = inner
                    .body
                    .get_attribute("role_arn")
                    .map_or_else(|| "?".to_owned(), |a| text(&a.value));
                parts.push(format!("{blk}.role_arn = {arn}"));
            }
        }
        out.insert(key, parts.join(", "));
    });
    out
}

/// Converts a value to a variable's declared primitive type (`"false"` → `false`).
pub(crate) fn convert_to_declared(v: V, decl: Option<&Block>) -> V {
    match decl.and_then(|d| d.body.get_attribute("type")) {
        Some(t) => convert_to_type(v, &t.value, 0),
        None => v,
    }
}

/// Converts a value to a type constraint as Terraform does: primitives from strings and
/// back, and `optional(T, default)` attributes of objects filled in where the value lacks
/// them (in lists, sets, maps and nested objects too). Defaults are constants.
fn convert_to_type(v: V, ty: &Expression, depth: usize) -> V {
    // Type expressions nest a few levels in practice; hostile ones are cut off.
    if depth > 32 || matches!(v, V::Unknown) {
        return v;
    }
    match ty {
        Expression::Variable(name) => match (name.as_str(), &v) {
            ("bool", V::Str(_)) => v.as_bool().map_or(v, V::Bool),
            ("number", V::Str(_)) => v.as_num().map_or(v, V::Num),
            ("string", V::Num(_) | V::Bool(_)) => v.to_str().map_or(v, V::Str),
            _ => v,
        },
        Expression::FuncCall(call) => {
            let args: Vec<&Expression> = call.args.iter().collect();
            match (call.name.name.as_str(), args.as_slice(), v) {
                ("list" | "set", [inner], V::List(items)) => V::List(
                    items
                        .into_iter()
                        .map(|x| convert_to_type(x, inner, depth + 1))
                        .collect(),
                ),
                ("map", [inner], V::Map(m)) => V::Map(
                    m.into_iter()
                        .map(|(k, x)| (k, convert_to_type(x, inner, depth + 1)))
                        .collect(),
                ),
                ("optional", [inner, ..], v) => convert_to_type(v, inner, depth + 1),
                ("object", [Expression::Object(attrs)], V::Map(mut m)) => {
                    for (key, value) in attrs.iter() {
                        let Some(name) = literal_key(key) else {
                            continue;
                        };
                        let aty = value.expr();
                        match m.remove(&name) {
                            Some(x) if !matches!(x, V::Null) => {
                                m.insert(name, convert_to_type(x, aty, depth + 1));
                            }
                            // Absent or null: an `optional(T, default)` attribute takes its
                            // default (null without one).
                            missing => match aty {
                                Expression::FuncCall(f) if f.name.name.as_str() == "optional" => {
                                    let fargs: Vec<&Expression> = f.args.iter().collect();
                                    let d = match fargs.as_slice() {
                                        [inner, default] => convert_to_type(
                                            const_value(default, 0),
                                            inner,
                                            depth + 1,
                                        ),
                                        _ => V::Null,
                                    };
                                    m.insert(name, d);
                                }
                                _ => {
                                    if let Some(x) = missing {
                                        m.insert(name, x);
                                    }
                                }
                            },
                        }
                    }
                    V::Map(m)
                }
                (_, _, v) => v,
            }
        }
        _ => v,
    }
}

/// An object key written as a name or a string literal.
fn literal_key(k: &ObjectKey) -> Option<String> {
    match k {
        ObjectKey::Ident(i) => Some(i.as_str().to_owned()),
        ObjectKey::Expression(Expression::String(s)) => Some(s.as_str().to_owned()),
        ObjectKey::Expression(_) => None,
    }
}

/// A constant expression (an `optional()` default): literals, lists and objects of them.
fn const_value(e: &Expression, depth: usize) -> V {
    if depth > 32 {
        return V::Unknown;
    }
    match e {
        Expression::Null(_) => V::Null,
        Expression::Bool(b) => V::Bool(*b.value()),
        Expression::Number(n) => n.value().as_f64().map_or(V::Unknown, V::Num),
        Expression::String(s) => V::Str(s.as_str().to_owned()),
        Expression::Array(a) => V::List(a.iter().map(|x| const_value(x, depth + 1)).collect()),
        Expression::Object(o) => V::Map(
            o.iter()
                .filter_map(|(k, v)| Some((literal_key(k)?, const_value(v.expr(), depth + 1))))
                .collect(),
        ),
        Expression::Parenthesis(p) => const_value(p.inner(), depth + 1),
        _ => V::Unknown,
    }
}

/// `NAME` when an expression is exactly `var.NAME`.
fn var_ref(e: &Expression) -> Option<&str> {
    let Expression::Traversal(t) = e else {
        return None;
    };
    let Expression::Variable(root) = &t.expr else {
        return None;
    };
    match t.operators.as_slice() {
        [op] if root.as_str() == "var" => match op.value() {
            TraversalOperator::GetAttr(name) => Some(name.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// The source text of an expression without decoration (used for traversals such as
/// `aws.east` in `provider = aws.east`).
pub(crate) fn expr_text(e: &Expression) -> String {
    let mut e = e.clone();
    hcl_edit::Decorate::decor_mut(&mut e).clear();
    e.to_string().trim().to_owned()
}
