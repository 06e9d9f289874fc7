//! Terraform HCL front end: parse every `.tf` file (in parallel), find the root modules,
//! evaluate each root with its variables and modules, and lower the resources into the
//! model.

mod budget;
mod eval;
mod functions;
mod lower;
pub(crate) mod modules;
pub(crate) mod plan_json;
mod suppress;
mod syntax;
mod value;

use crate::model::{self, Model};
use crate::source::{SourceMap, Span};
use modules::{Loader, Module, Sources};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

/// Terraform inputs from the command line.
#[derive(Debug, Clone, Default)]
pub struct TfOptions {
    pub vars: Vec<(String, String)>,
    pub var_files: Vec<PathBuf>,
}

/// Loads the Terraform files found by discovery into a model.
///
/// Files are read in parallel and scanned (without parsing) for local module calls to
/// find the root modules. Each root is then parsed and evaluated on its own, in parallel,
/// and its syntax trees are dropped as soon as it is done: peak memory follows the largest
/// root, not the repository.
///
/// `tree` is what was given to `check`: `file()` and `templatefile()` read only inside it
/// (and inside each module's own directory). Evaluation runs on threads with a large stack
/// and under the budgets of [`budget`].
pub(crate) fn load(
    files: &[PathBuf],
    opts: &TfOptions,
    tree: &[PathBuf],
    sources: SourceMap,
) -> (Model, SourceMap) {
    type Read = (PathBuf, String, Option<(usize, String)>, Vec<PathBuf>);
    let texts: Vec<Read> = files
        .par_iter()
        .map(|p| {
            let (t, e) = modules::read_text(p);
            let dir = modules::normalize(p.parent().unwrap_or_else(|| std::path::Path::new(".")));
            let calls = modules::scan_local_sources(&dir, &t);
            (p.clone(), t, e, calls)
        })
        .collect();
    let mut by_dir: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    let mut called = HashSet::new();
    let mut calls_of: HashMap<PathBuf, Vec<PathBuf>> = HashMap::new();
    for (p, _, _, calls) in &texts {
        let dir = modules::normalize(p.parent().unwrap_or_else(|| std::path::Path::new(".")));
        by_dir.entry(dir.clone()).or_default().push(p.clone());
        called.extend(calls.iter().cloned());
        calls_of
            .entry(dir)
            .or_default()
            .extend(calls.iter().cloned());
    }
    let dirs: Vec<PathBuf> = by_dir.keys().cloned().collect();
    let shared = Sources::new(sources, by_dir.into_iter().collect());
    // Register in discovery order so ids are stable.
    for (p, t, e, _) in texts {
        shared.insert(p, t, e);
    }
    let roots = modules::roots(&dirs, &called);
    let eval = Evaluation {
        opts,
        sandbox: budget::Sandbox::for_paths(tree),
        run: Arc::new(budget::RunBudget::default()),
        limits: budget::ROOT_LIMITS,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("trailcheck-eval-{i}"))
        .stack_size(budget::EVAL_STACK)
        .build()
        .ok();
    let in_pool = |job: &(dyn Fn() -> Vec<(Model, Vec<PathBuf>)> + Sync)| match &pool {
        Some(p) => p.install(job),
        None => job(),
    };
    let fragments: Vec<(Model, Vec<PathBuf>)> = in_pool(&|| {
        roots
            .par_iter()
            .map(|root| {
                let loader = Loader::new(&shared);
                let model = match loader.module(root) {
                    Some(m) => eval.root(&m, &loader),
                    None => Model::default(),
                };
                (model, loader.parsed_dirs())
            })
            .collect()
    });
    let mut model = Model::default();
    let mut seen_dirs = HashSet::new();
    for (f, parsed) in fragments {
        model.extend(f);
        seen_dirs.extend(parsed);
    }
    // Directories no root reached: a module whose only caller fails to load, or modules
    // that call each other in a cycle (no root at all). Evaluate them as roots too, so that
    // neither their trails nor their syntax errors are lost.
    // An orphan that another orphan reaches is evaluated once, inside it (the rest of a
    // chain cut at the depth limit, the other half of a cycle): orphans no other orphan
    // calls go first, and each skips what earlier ones reached.
    let mut orphans: Vec<&PathBuf> = dirs.iter().filter(|d| !seen_dirs.contains(*d)).collect();
    let orphan_set: HashSet<&PathBuf> = orphans.iter().copied().collect();
    let called_by_orphan: HashSet<&PathBuf> = orphan_set
        .iter()
        .flat_map(|d| calls_of.get(*d).into_iter().flatten())
        .collect();
    orphans.sort_by_key(|d| (called_by_orphan.contains(d), (*d).clone()));
    let orphan_models = in_pool(&|| {
        let mut reached = seen_dirs.clone();
        let mut out = Vec::new();
        for d in &orphans {
            if reached.contains(*d) {
                continue;
            }
            let loader = Loader::new(&shared);
            if let Some(m) = loader.module(d) {
                out.push((eval.root(&m, &loader), Vec::new()));
            }
            reached.extend(loader.parsed_dirs());
        }
        out
    });
    for (m, _) in orphan_models {
        model.extend(m);
    }
    // A module reached from several roots reports its parse errors once.
    let mut seen = HashSet::new();
    model
        .input_errors
        .retain(|e| seen.insert((e.span, e.message.clone())));
    model
        .unevaluated
        .retain(|e| seen.insert((e.span, e.message.clone())));
    // Each root reports the suppressions of the files it reached: once per file.
    model.suppressions.sort_by_key(|s| s.span);
    model.suppressions.dedup_by_key(|s| s.span);
    (model, shared.into_map())
}

/// What every root of a run is evaluated with.
struct Evaluation<'o> {
    opts: &'o TfOptions,
    sandbox: budget::Sandbox,
    run: Arc<budget::RunBudget>,
    limits: budget::Limits,
}

impl Evaluation<'_> {
    /// Evaluates one root module under a fresh budget (and the run's).
    fn root(&self, root: &Arc<Module>, loader: &Loader<'_>) -> Model {
        let ctx = Rc::new(budget::EvalCtx::new(
            self.limits,
            Arc::clone(&self.run),
            self.sandbox.clone(),
        ));
        let entered = budget::enter(Rc::clone(&ctx));
        let mut model = evaluate_root(root, loader, self.opts);
        drop(entered);
        let (notes, errors) = ctx.take_findings();
        let as_errors = |v: Vec<(Span, String)>| {
            v.into_iter()
                .map(|(span, message)| model::InputError { span, message })
                .collect::<Vec<_>>()
        };
        model.unevaluated.extend(as_errors(notes));
        model.input_errors.extend(as_errors(errors));
        model
    }
}

fn evaluate_root(root: &Arc<Module>, loader: &Loader<'_>, opts: &TfOptions) -> Model {
    let mut errors = Vec::new();
    let vars = eval::root_variables(root, loader, &opts.var_files, &opts.vars, &mut errors);
    let providers: HashMap<String, value::V> = eval::own_providers(root, loader, &vars);
    let scopes = eval::own_provider_scopes(root, loader, &vars);
    let mut inst = eval::Instance::new(
        String::new(),
        Arc::clone(root),
        root.dir.clone(),
        Vec::new(),
        0,
        vars,
        providers,
        false,
    );
    inst.scopes = scopes;
    let inst = Rc::new(inst);
    let mut resources = Vec::new();
    inst.collect(loader, &mut resources, &inst);
    let text = |span: Span| -> String { loader.sources.text(span) };
    let lower = lower::Lower { text: &text };
    let mut model = Model::default();
    for (r, _) in &resources {
        lower.resource(r, &mut model);
    }
    model.input_errors.extend(errors);
    model.input_errors.extend(loader.errors());
    // While the syntax trees are at hand: the suppression comments of every file parsed.
    model.suppressions.extend(loader.suppressions());
    model.via.extend(loader.via());
    model::link::link(&mut model);
    model.set_unit(&root.dir.to_string_lossy());
    model
}

/// Evaluates one Terraform file given as text, as a root module of its own (for fuzzing
/// and tests). The module lives in a directory that does not exist, so relative module
/// sources and `file()` calls in hostile input cannot reach the file system.
#[must_use]
pub fn load_text(text: &str, opts: &TfOptions) -> Model {
    load_text_with(text, opts, budget::ROOT_LIMITS)
}

/// [`load_text`] with the tiny evaluation budget fuzzing uses, so that hostile input
/// reaches the limits (and their handling) within a few milliseconds.
#[must_use]
pub fn load_text_tiny_budget(text: &str, opts: &TfOptions) -> Model {
    load_text_with(text, opts, budget::TINY_LIMITS)
}

fn load_text_with(text: &str, opts: &TfOptions, limits: budget::Limits) -> Model {
    // On a thread of its own: evaluation needs the large stack.
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(budget::EVAL_STACK)
            .spawn_scoped(s, || load_text_here(text, opts, limits))
            .ok()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    })
}

fn load_text_here(text: &str, opts: &TfOptions, limits: budget::Limits) -> Model {
    let dir = PathBuf::from("/nonexistent/trailcheck-input");
    let path = dir.join("main.tf");
    let shared = Sources::new(
        SourceMap::default(),
        HashMap::from([(dir.clone(), vec![path.clone()])]),
    );
    shared.insert(path, text.to_owned(), None);
    let loader = Loader::new(&shared);
    let Some(root) = loader.module(&dir) else {
        return Model::default();
    };
    Evaluation {
        opts,
        sandbox: budget::Sandbox::none(),
        run: Arc::new(budget::RunBudget::default()),
        limits,
    }
    .root(&root, &loader)
}
