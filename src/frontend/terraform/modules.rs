//! Terraform modules as directories of parsed `.tf` files, the loader that caches them, and
//! root-module detection.

use crate::frontend::budget;
use crate::model::InputError;
use crate::source::{SourceFile, SourceMap, Span};
use hcl_edit::structure::{Block, Body, Structure};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Files larger than this are not parsed (a `parse-error` says so).
pub(crate) const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

pub(crate) struct ParsedFile {
    pub(crate) source: Arc<SourceFile>,
    pub(crate) body: Body,
}

/// Where a top-level block sits: (file index, structure index).
pub(crate) type Loc = (usize, usize);

#[derive(Default)]
pub(crate) struct ModuleIndex {
    pub(crate) variables: BTreeMap<String, Loc>,
    /// Local name → (file, block, attribute key).
    pub(crate) locals: HashMap<String, Loc>,
    /// `type.name` and `data.type.name` → location, in source order.
    pub(crate) resources: Vec<(String, Loc)>,
    pub(crate) resource_map: HashMap<String, Loc>,
    pub(crate) module_calls: Vec<(String, Loc)>,
    pub(crate) outputs: HashMap<String, Loc>,
    pub(crate) providers: Vec<Loc>,
    /// Resource and data blocks of override files (`override.tf`, `*_override.tf`) by
    /// key, in the order Terraform applies them (file name order).
    pub(crate) overrides: HashMap<String, Vec<Loc>>,
}

/// Terraform's override files: merged into the blocks they name, after all other files.
pub(crate) fn is_override_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == "override.tf" || n.ends_with("_override.tf"))
}

/// One directory of `.tf` files.
pub(crate) struct Module {
    pub(crate) dir: PathBuf,
    pub(crate) files: Vec<ParsedFile>,
    pub(crate) errors: Vec<InputError>,
    pub(crate) index: ModuleIndex,
    /// Suppression comments of the module's files, found once when it is parsed.
    pub(crate) suppressions: Vec<crate::model::Suppression>,
}

impl Module {
    pub(crate) fn block(&self, loc: Loc) -> Option<&Block> {
        self.files.get(loc.0)?.body.get(loc.1)?.as_block()
    }

    pub(crate) fn file(&self, loc: Loc) -> Option<&Arc<SourceFile>> {
        self.files.get(loc.0).map(|f| &f.source)
    }

    pub(crate) fn new(dir: PathBuf, files: Vec<ParsedFile>, errors: Vec<InputError>) -> Module {
        let mut index = ModuleIndex::default();
        // Normal files first, then override files by name, so that locals and variables
        // set in an override file win, as in Terraform.
        let mut order: Vec<usize> = (0..files.len()).collect();
        order.sort_by_key(|&i| {
            let path = &files[i].source.path;
            (
                is_override_file(path),
                is_override_file(path).then(|| path.file_name().map(std::ffi::OsStr::to_os_string)),
            )
        });
        for fi in order {
            let f = &files[fi];
            let overriding = is_override_file(&f.source.path);
            for (si, s) in f.body.iter().enumerate() {
                let Structure::Block(b) = s else { continue };
                let labels: Vec<&str> = b
                    .labels
                    .iter()
                    .map(hcl_edit::structure::BlockLabel::as_str)
                    .collect();
                match (b.ident.as_str(), labels.as_slice()) {
                    ("variable", [name]) => {
                        index.variables.insert((*name).to_owned(), (fi, si));
                    }
                    ("locals", []) => {
                        for a in b.body.attributes() {
                            index.locals.insert(a.key.as_str().to_owned(), (fi, si));
                        }
                    }
                    ("resource" | "data", [t, n]) => {
                        let key = if b.ident.as_str() == "data" {
                            format!("data.{t}.{n}")
                        } else {
                            format!("{t}.{n}")
                        };
                        if overriding {
                            index.overrides.entry(key).or_default().push((fi, si));
                        } else {
                            index.resource_map.insert(key.clone(), (fi, si));
                            index.resources.push((key, (fi, si)));
                        }
                    }
                    // A module call in an override file is not a second call (its
                    // arguments are not merged yet: a documented limit).
                    ("module", [_]) if overriding => {}
                    ("module", [n]) => index.module_calls.push(((*n).to_owned(), (fi, si))),
                    ("output", [n]) => {
                        index.outputs.insert((*n).to_owned(), (fi, si));
                    }
                    ("provider", [_]) => index.providers.push((fi, si)),
                    _ => {}
                }
            }
        }
        let suppressions = files
            .iter()
            .flat_map(|f| super::suppress::collect(&f.source, &f.body))
            .collect();
        Module {
            dir,
            files,
            errors,
            index,
            suppressions,
        }
    }
}

pub(crate) fn source_literal(b: &Block) -> Option<String> {
    let a = b.body.get_attribute("source")?;
    match &a.value {
        hcl_edit::expr::Expression::String(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

pub(crate) fn is_local_source(src: &str) -> bool {
    src.starts_with("./") || src.starts_with("../") || src == "." || src == ".."
}

/// Lexical normalization (no filesystem access, so symlink loops cannot hang it).
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                // `../..` stays `../..`: popping a `..` would turn it into the start.
                match out.components().next_back() {
                    None | Some(Component::ParentDir) => out.push(".."),
                    Some(Component::RootDir | Component::Prefix(_)) => {}
                    Some(_) => {
                        out.pop();
                    }
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// Text prepared for the parser: a UTF-8 BOM is blanked (offsets stay valid).
pub(crate) fn prepare_text(bytes: Vec<u8>) -> Result<String, (usize, String)> {
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{feff}') {
                s.replace_range(0..3, "   ");
            }
            Ok(s)
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            Err((
                at,
                format!("file is not valid UTF-8 (invalid byte at offset {at})"),
            ))
        }
    }
}

/// Parses one file's text into a body or an input error with its location.
pub(crate) fn parse_file(source: &Arc<SourceFile>) -> Result<Body, InputError> {
    if source.text.contains('\0') {
        let at = source.text.find('\0').unwrap_or(0);
        return Err(InputError {
            span: Span::new(source.id, at..at),
            message: "file contains NUL bytes: it looks binary, not Terraform".into(),
        });
    }
    let text = Arc::clone(&source.text);
    let parsed = budget::run(budget::parse_budget_for(source.text.len()), move || {
        super::syntax::parse_body(&text)
    })
    .map_err(|overrun| InputError {
        span: Span::new(source.id, 0..0),
        message: overrun.describe("HCL"),
    })?;
    parsed.map_err(|e| {
        // The parser's offset can fall inside a multi-byte character (found by fuzzing).
        let mut off = e.offset.min(source.text.len());
        while off > 0 && !source.text.is_char_boundary(off) {
            off -= 1;
        }
        let end = source.text[off..]
            .find('\n')
            .map_or(source.text.len(), |n| off + n)
            .max(off);
        InputError {
            span: Span::new(source.id, off..end.min(off + 80)),
            message: format!("invalid HCL: {}", e.message),
        }
    })
}

/// The files of a run, shared by every root's loader: each file is read once and keeps
/// one [`SourceId`](crate::source::SourceId), whichever root reaches it first.
pub(crate) struct Sources {
    inner: Mutex<SourcesInner>,
}

struct SourcesInner {
    map: SourceMap,
    by_path: HashMap<PathBuf, (Arc<SourceFile>, Option<InputError>)>,
    /// `.tf` files of discovered directories (so discovery's `.gitignore` rules hold).
    discovered: HashMap<PathBuf, Vec<PathBuf>>,
}

impl Sources {
    pub(crate) fn new(map: SourceMap, discovered: HashMap<PathBuf, Vec<PathBuf>>) -> Sources {
        Sources {
            inner: Mutex::new(SourcesInner {
                map,
                by_path: HashMap::new(),
                discovered,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SourcesInner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn into_map(self) -> SourceMap {
        self.inner
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .map
    }

    /// Registers a file read elsewhere (discovery reads in parallel).
    pub(crate) fn insert(
        &self,
        path: PathBuf,
        text: String,
        err: Option<(usize, String)>,
    ) -> Arc<SourceFile> {
        let mut g = self.lock();
        if let Some((f, _)) = g.by_path.get(&path) {
            return Arc::clone(f);
        }
        let f = g.map.add(path.clone(), text);
        let err = err.map(|(at, message)| InputError {
            span: Span::new(f.id, at..at),
            message,
        });
        g.by_path.insert(path, (Arc::clone(&f), err));
        f
    }

    /// The file at `path`, read from disk the first time.
    pub(crate) fn read(&self, path: &Path) -> (Arc<SourceFile>, Option<InputError>) {
        if let Some((f, e)) = self.lock().by_path.get(path) {
            return (Arc::clone(f), e.clone());
        }
        let (text, err) = read_text(path);
        let f = self.insert(path.to_path_buf(), text, err);
        let e = self.lock().by_path.get(path).and_then(|(_, e)| e.clone());
        (f, e)
    }

    /// The `.tf` files of a directory: as discovered, else listed from disk (installed or
    /// out-of-tree modules).
    fn tf_files(&self, dir: &Path) -> Option<Vec<PathBuf>> {
        if let Some(v) = self.lock().discovered.get(dir) {
            return Some(v.clone());
        }
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "tf") && p.is_file())
            .collect();
        paths.sort();
        Some(paths)
    }

    pub(crate) fn text(&self, span: Span) -> String {
        self.lock()
            .map
            .get(span.source)
            .map(|f| f.slice(span).to_owned())
            .unwrap_or_default()
    }
}

/// Parses module directories for one root, caching each directory once. Dropped when the
/// root is done, so parsed syntax trees never outlive their root.
pub(crate) struct Loader<'s> {
    pub(crate) sources: &'s Sources,
    cache: Mutex<HashMap<PathBuf, Arc<Module>>>,
    /// Problems found while evaluating (a module that contains itself, nesting too deep).
    notes: Mutex<Vec<InputError>>,
    /// Values passed into modules: (argument at the call, use in the module, label).
    via: Mutex<Vec<(Span, Span, String)>>,
}

impl<'s> Loader<'s> {
    pub(crate) fn new(sources: &'s Sources) -> Loader<'s> {
        Loader {
            sources,
            cache: Mutex::new(HashMap::new()),
            notes: Mutex::new(Vec::new()),
            via: Mutex::new(Vec::new()),
        }
    }

    /// Records a located problem of the evaluation.
    pub(crate) fn note_error(&self, span: Span, message: String) {
        if let Ok(mut n) = self.notes.lock() {
            n.push(InputError { span, message });
        }
    }

    /// Records that the value at `caller` is used at `used` inside a module.
    pub(crate) fn note_via(&self, caller: Span, used: Span, label: String) {
        if let Ok(mut v) = self.via.lock() {
            if !v.iter().any(|(c, u, _)| *c == caller && *u == used) {
                v.push((caller, used, label));
            }
        }
    }

    /// What [`Loader::note_via`] recorded.
    pub(crate) fn via(&self) -> Vec<(Span, Span, String)> {
        self.via.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// The module in `dir`, parsed on first use.
    pub(crate) fn module(&self, dir: &Path) -> Option<Arc<Module>> {
        let dir = normalize(dir);
        if let Some(m) = self.cache.lock().ok()?.get(&dir) {
            return Some(Arc::clone(m));
        }
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for p in self.sources.tf_files(&dir)? {
            let (file, err) = self.sources.read(&p);
            match err {
                Some(e) => errors.push(e),
                None => match parse_file(&file) {
                    Ok(body) => files.push(ParsedFile { source: file, body }),
                    Err(e) => errors.push(e),
                },
            }
        }
        let m = Arc::new(Module::new(dir.clone(), files, errors));
        if let Ok(mut c) = self.cache.lock() {
            c.insert(dir, Arc::clone(&m));
        }
        Some(m)
    }

    pub(crate) fn read(&self, path: &Path) -> (Arc<SourceFile>, Option<InputError>) {
        self.sources.read(path)
    }

    /// The suppression comments of every file of every module read so far.
    pub(crate) fn suppressions(&self) -> Vec<crate::model::Suppression> {
        let mut modules: Vec<Arc<Module>> = self
            .cache
            .lock()
            .map(|c| c.values().cloned().collect())
            .unwrap_or_default();
        modules.sort_by(|a, b| a.dir.cmp(&b.dir));
        modules
            .iter()
            .flat_map(|m| m.suppressions.iter().cloned())
            .collect()
    }

    /// Directories this loader parsed.
    pub(crate) fn parsed_dirs(&self) -> Vec<PathBuf> {
        self.cache
            .lock()
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Parse errors of every module this loader parsed.
    pub(crate) fn errors(&self) -> Vec<InputError> {
        let mut out: Vec<InputError> = self
            .cache
            .lock()
            .map(|c| c.values().flat_map(|m| m.errors.iter().cloned()).collect())
            .unwrap_or_default();
        out.extend(self.notes.lock().map(|n| n.clone()).unwrap_or_default());
        out
    }
}

/// Reads a file as text: (text, error at offset).
pub(crate) fn read_text(path: &Path) -> (String, Option<(usize, String)>) {
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            return (
                String::new(),
                Some((
                    0,
                    format!(
                        "file is {} bytes, over the {MAX_FILE_BYTES}-byte limit: not parsed",
                        m.len()
                    ),
                )),
            )
        }
        Ok(m) if m.is_dir() => {
            return (
                String::new(),
                Some((0, "is a directory, not a file".into())),
            )
        }
        Err(e) => {
            return (
                String::new(),
                Some((
                    0,
                    format!(
                    "cannot read file: {e}; make it readable, or list it in .gitignore to skip it"
                ),
                )),
            )
        }
        Ok(_) => {}
    }
    match crate::fsio::read_bounded(path, MAX_FILE_BYTES) {
        Ok(bytes) => {
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            match prepare_text(bytes) {
                Ok(t) => (t, None),
                // Keep the lossy text so the location of the bad byte can be shown.
                Err((at, msg)) => (lossy, Some((at, msg))),
            }
        }
        Err(e) => (
            String::new(),
            Some((
                0,
                format!(
                    "cannot read file: {e}; make it readable, or list it in .gitignore to skip it"
                ),
            )),
        ),
    }
}

/// Local module sources a file's text names (`source = "./x"`), found by a line scan so
/// that root detection needs no parse. Over-approximating is harmless: a path that is not
/// a module directory is simply not one.
pub(crate) fn scan_local_sources(dir: &Path, text: &str) -> Vec<PathBuf> {
    static RE: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?m)^\s*source\s*=\s*"(\.\.?(?:/[^"]*)?)""#).ok()
    });
    let Some(re) = RE.as_ref() else {
        return Vec::new();
    };
    re.captures_iter(text)
        .filter_map(|c| c.get(1))
        .map(|m| normalize(&dir.join(m.as_str())))
        .collect()
}

/// Directories that are root modules: they hold `.tf` files and no other discovered
/// directory calls them as a local module.
pub(crate) fn roots(dirs: &[PathBuf], called: &HashSet<PathBuf>) -> Vec<PathBuf> {
    dirs.iter()
        .filter(|d| !called.contains(*d))
        .filter(|d| !d.components().any(|c| c.as_os_str() == ".terraform"))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::normalize;
    use std::path::{Path, PathBuf};

    #[test]
    fn normalize_keeps_every_parent_step() {
        assert_eq!(normalize(Path::new("./../../")), PathBuf::from("../.."));
        assert_eq!(normalize(Path::new("a/../../b")), PathBuf::from("../b"));
        assert_eq!(normalize(Path::new("a/b/../c")), PathBuf::from("a/c"));
        assert_eq!(normalize(Path::new("a/..")), PathBuf::from("."));
        assert_eq!(normalize(Path::new("/x/../..")), PathBuf::from("/"));
    }
}
