//! Terraform HCL front end: parse every `.tf` file (in parallel), find the root modules,
//! evaluate each root with its variables and modules, and lower the resources into the
//! model.

mod eval;
mod functions;
mod lower;
pub(crate) mod modules;
pub(crate) mod plan_json;
mod suppress;
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
pub(crate) fn load(files: &[PathBuf], opts: &TfOptions, sources: SourceMap) -> (Model, SourceMap) {
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
    let fragments: Vec<(Model, Vec<PathBuf>)> = roots
        .par_iter()
        .map(|root| {
            let loader = Loader::new(&shared);
            let model = match loader.module(root) {
                Some(m) => evaluate_root(&m, &loader, opts),
                None => Model::default(),
            };
            (model, loader.parsed_dirs())
        })
        .collect();
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
    for d in orphans {
        if seen_dirs.contains(d) {
            continue;
        }
        let loader = Loader::new(&shared);
        if let Some(m) = loader.module(d) {
            model.extend(evaluate_root(&m, &loader, opts));
        }
        seen_dirs.extend(loader.parsed_dirs());
    }
    // A module reached from several roots reports its parse errors once.
    let mut seen = HashSet::new();
    model
        .input_errors
        .retain(|e| seen.insert((e.span, e.message.clone())));
    // Each root reports the suppressions of the files it reached: once per file.
    model.suppressions.sort_by_key(|s| s.span);
    model.suppressions.dedup_by_key(|s| s.span);
    (model, shared.into_map())
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
    evaluate_root(&root, &loader, opts)
}
