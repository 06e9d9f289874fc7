//! Terraform HCL front end: parse every `.tf` file (in parallel), find the root modules,
//! evaluate each root with its variables and modules, and lower the resources into the
//! model.

mod eval;
mod functions;
mod lower;
pub(crate) mod modules;
mod suppress;
mod value;

use crate::model::{self, InputError, Model};
use crate::source::{SourceMap, Span};
use modules::{Loader, Module, ParsedFile};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
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
pub(crate) fn load(files: &[PathBuf], opts: &TfOptions, sources: SourceMap) -> (Model, SourceMap) {
    // Read in parallel, register sequentially (ids are assigned in a stable order), then
    // parse in parallel.
    type Read = (PathBuf, String, Option<(usize, String)>);
    let texts: Vec<Read> = files
        .par_iter()
        .map(|p| {
            let (t, e) = modules::read_text(p);
            (p.clone(), t, e)
        })
        .collect();
    let mut sources = sources;
    let registered: Vec<_> = texts
        .into_iter()
        .map(|(p, t, e)| {
            let f = sources.add(p, t);
            let err = e.map(|(at, message)| InputError {
                span: Span::new(f.id, at..at),
                message,
            });
            (f, err)
        })
        .collect();
    let parsed: Vec<(
        Arc<crate::source::SourceFile>,
        Result<hcl_edit::structure::Body, InputError>,
    )> = registered
        .into_par_iter()
        .map(|(f, err)| {
            let r = match err {
                Some(e) => Err(e),
                None => modules::parse_file(&f),
            };
            (f, r)
        })
        .collect();
    let mut by_dir: BTreeMap<PathBuf, (Vec<ParsedFile>, Vec<InputError>)> = BTreeMap::new();
    for (f, r) in parsed {
        let dir = modules::normalize(f.path.parent().unwrap_or_else(|| std::path::Path::new(".")));
        let entry = by_dir.entry(dir).or_default();
        match r {
            Ok(body) => entry.0.push(ParsedFile { source: f, body }),
            Err(e) => entry.1.push(e),
        }
    }
    let loader = Loader::new(sources);
    let modules: Vec<Arc<Module>> = by_dir
        .into_iter()
        .map(|(dir, (files, errors))| loader.insert(Module::new(dir, files, errors)))
        .collect();
    let roots = modules::roots(&modules);
    let fragments: Vec<Model> = roots
        .par_iter()
        .map(|root| evaluate_root(root, &loader, opts))
        .collect();
    let mut model = Model::default();
    for f in fragments {
        model.extend(f);
    }
    // Parse errors are reported once per file, whichever roots reached the module.
    for m in &modules {
        model.input_errors.extend(m.errors.iter().cloned());
    }
    // Each root reports the suppressions of the files it reached: once per file.
    model.suppressions.sort_by_key(|s| s.span);
    model.suppressions.dedup_by_key(|s| s.span);
    (model, loader.into_sources())
}

fn evaluate_root(root: &Arc<Module>, loader: &Loader, opts: &TfOptions) -> Model {
    let mut errors = Vec::new();
    let vars = eval::root_variables(root, loader, &opts.var_files, &opts.vars, &mut errors);
    let providers: HashMap<String, value::V> = eval::own_providers(root, loader, &vars);
    let inst = Rc::new(eval::Instance::new(
        String::new(),
        Arc::clone(root),
        root.dir.clone(),
        Vec::new(),
        0,
        vars,
        providers,
        false,
    ));
    let mut resources = Vec::new();
    inst.collect(loader, &mut resources, &inst);
    let text = |span: Span| -> String {
        loader
            .sources
            .lock()
            .ok()
            .and_then(|s| s.get(span.source).map(|f| f.slice(span).to_owned()))
            .unwrap_or_default()
    };
    let lower = lower::Lower { text: &text };
    let mut model = Model::default();
    for (r, _) in &resources {
        lower.resource(r, &mut model);
    }
    model.input_errors.extend(errors);
    // While the syntax trees are at hand: the suppression comments of every file parsed.
    model.suppressions.extend(loader.suppressions());
    model::link::link(&mut model);
    model
}
