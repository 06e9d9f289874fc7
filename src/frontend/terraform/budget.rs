//! The evaluation budget and the file sandbox of the Terraform evaluator.
//!
//! The parse budget (`crate::frontend::budget`) bounds how long hcl-edit may take; this
//! one bounds what evaluating the parsed files may cost. A few hundred bytes of HCL can
//! ask for a nested `for` over `range(100000)` twice, or for a template that includes
//! itself. Each root module evaluation gets an [`EvalCtx`] that counts expression steps,
//! collection elements and string bytes produced (values copied by a reference count
//! again: that is where memory goes), the evaluation depth and the `templatefile`
//! nesting; the whole run shares a larger [`RunBudget`] on top. Once a limit is reached
//! the budget is spent for good: every further expression of that root is unknown (an
//! error that `try` and `can` do not catch), one located `unresolved-value` finding says
//! why, and the rest of the run goes on.
//!
//! [`Sandbox`] is what `file`, `templatefile` and `fileexists` may read: regular files
//! inside the trees given to `check` or inside the module's own directory, resolved with
//! symlinks followed, up to [`MAX_FILE_READ`] bytes. Anything else (an absolute path
//! elsewhere, `..` out of the tree, a link leading out, `/dev/zero`, a FIFO, a directory)
//! is unknown, with a located finding naming the function and the reason.
//!
//! The context is kept in a thread-local set by [`enter`] for the duration of one root's
//! evaluation: that evaluation is single-threaded (it uses `Rc`), and this keeps the
//! budget out of every constructor of the evaluator.

use super::value::V;
use crate::source::Span;
use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What one evaluation may spend.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Expressions evaluated.
    pub(crate) steps: u64,
    /// Collection elements produced, nested ones and copies included.
    pub(crate) elements: u64,
    /// String bytes produced (map keys included), copies included.
    pub(crate) string_bytes: u64,
    /// Nested evaluations (expression nesting plus references followed).
    pub(crate) depth: usize,
    /// `templatefile` calls inside templates.
    pub(crate) template_depth: usize,
    /// Bytes read by `file`/`templatefile` in total.
    pub(crate) read_bytes: u64,
}

/// The budget of one root module (with all its module instances). Real configurations
/// use a small fraction of it.
pub(crate) const ROOT_LIMITS: Limits = Limits {
    steps: 2_000_000,
    elements: 2_000_000,
    string_bytes: 64 * 1024 * 1024,
    depth: 400,
    template_depth: 8,
    read_bytes: 64 * 1024 * 1024,
};

/// The budget of a whole run (every root together).
pub(crate) const RUN_LIMITS: Limits = Limits {
    steps: 40_000_000,
    elements: 20_000_000,
    string_bytes: 512 * 1024 * 1024,
    depth: 400,
    template_depth: 8,
    read_bytes: 512 * 1024 * 1024,
};

/// A tiny budget for fuzzing: hostile input hits the limits quickly.
pub(crate) const TINY_LIMITS: Limits = Limits {
    steps: 20_000,
    elements: 20_000,
    string_bytes: 1024 * 1024,
    depth: 64,
    template_depth: 4,
    read_bytes: 0,
};

/// The largest file `file`/`templatefile` reads.
pub(crate) const MAX_FILE_READ: u64 = 4 * 1024 * 1024;

/// The stack evaluation threads get: [`Limits::depth`] nested evaluations of the debug
/// build fit with a wide margin. Only touched pages are ever committed.
pub(crate) const EVAL_STACK: usize = 256 * 1024 * 1024;

/// The run-wide part of the budget, shared by the roots evaluated in parallel.
#[derive(Debug, Default)]
pub(crate) struct RunBudget {
    steps: AtomicU64,
    elements: AtomicU64,
    string_bytes: AtomicU64,
}

/// Files `file()` and friends may read.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sandbox {
    /// Canonical directories: the trees given to `check`.
    roots: Vec<PathBuf>,
}

impl Sandbox {
    /// The sandbox of the trees given to `check` (a file stands for its directory).
    pub(crate) fn for_paths(paths: &[PathBuf]) -> Sandbox {
        let mut roots = Vec::new();
        for p in paths {
            let Ok(c) = std::fs::canonicalize(p) else {
                continue;
            };
            let dir = if c.is_dir() {
                c
            } else {
                match c.parent() {
                    Some(d) => d.to_path_buf(),
                    None => continue,
                }
            };
            if !roots.contains(&dir) {
                roots.push(dir);
            }
        }
        Sandbox { roots }
    }

    /// A sandbox that allows nothing (text evaluated on its own, fuzzing).
    pub(crate) fn none() -> Sandbox {
        Sandbox { roots: Vec::new() }
    }

    /// Where `p` (as written, relative to `base`) may be read: its canonical path, or why
    /// not. `module_dir` is also allowed.
    pub(crate) fn resolve(
        &self,
        base: &Path,
        module_dir: &Path,
        p: &str,
    ) -> Result<PathBuf, String> {
        if p.contains('\0') {
            return Err("the path contains a NUL character".into());
        }
        let path = Path::new(p);
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            base.join(path)
        };
        let allowed: Vec<PathBuf> = self
            .roots
            .iter()
            .cloned()
            .chain(std::fs::canonicalize(module_dir).ok())
            .collect();
        if allowed.is_empty() {
            return Err("files are not read when text is checked on its own".into());
        }
        let canonical = std::fs::canonicalize(&joined)
            .map_err(|e| format!("{} cannot be read: {}", shown_path(p), io_reason(&e)))?;
        let Some(root) = allowed.iter().find(|r| canonical.starts_with(r)) else {
            return Err(format!(
                "{} is outside the checked tree (trailcheck reads only files under the \
                 paths given to `check` and the module's own directory)",
                shown_path(p)
            ));
        };
        // Hidden files and directories inside the tree (`.env`, `.npmrc`, `.git/`,
        // `.aws/`) are where a CI job keeps credentials, and their contents could reach a
        // message: they are never read.
        let hidden = canonical.strip_prefix(root).is_ok_and(|rel| {
            rel.components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
        });
        if hidden {
            return Err(format!(
                "{} is a hidden file or lies in a hidden directory (where credentials are \
                 kept): trailcheck does not read it",
                shown_path(p)
            ));
        }
        Ok(canonical)
    }

    /// Reads a regular file inside the sandbox as UTF-8 text, at most [`MAX_FILE_READ`]
    /// bytes. Devices, FIFOs and directories are refused before they are opened.
    pub(crate) fn read(&self, base: &Path, module_dir: &Path, p: &str) -> Result<String, String> {
        let path = self.resolve(base, module_dir, p)?;
        let meta = std::fs::metadata(&path)
            .map_err(|e| format!("{} cannot be read: {}", shown_path(p), io_reason(&e)))?;
        if !meta.is_file() {
            return Err(format!(
                "{} is not a regular file (a directory, device or FIFO is never read)",
                shown_path(p)
            ));
        }
        if meta.len() > MAX_FILE_READ {
            return Err(format!(
                "{} is {} bytes, over the {MAX_FILE_READ}-byte limit",
                shown_path(p),
                meta.len()
            ));
        }
        charge_read(meta.len())?;
        // Opened non-blocking and judged again on the handle: a file swapped for a FIFO
        // since the look above is refused, not waited on; one that grew is cut off.
        let bytes = crate::fsio::read_bounded(&path, MAX_FILE_READ).map_err(|e| match e {
            crate::fsio::ReadError::Io(e) => {
                format!("{} cannot be read: {}", shown_path(p), io_reason(&e))
            }
            crate::fsio::ReadError::NotRegular(_) => format!(
                "{} is not a regular file (a directory, device or FIFO is never read)",
                shown_path(p)
            ),
            crate::fsio::ReadError::TooLarge { .. } => {
                format!("{} is over the {MAX_FILE_READ}-byte limit", shown_path(p))
            }
        })?;
        String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", shown_path(p)))
    }

    /// `fileexists`: `Ok(true)` for a readable regular file, `Ok(false)` when nothing is
    /// there (inside the tree), an error when the answer would need a look outside.
    pub(crate) fn exists(&self, base: &Path, module_dir: &Path, p: &str) -> Result<bool, String> {
        match self.resolve(base, module_dir, p) {
            Ok(c) => Ok(std::fs::metadata(c).is_ok_and(|m| m.is_file())),
            Err(e) => {
                // Nothing there: only an answer when the place it would be is inside.
                let path = Path::new(p);
                let joined = if path.is_absolute() {
                    path.to_path_buf()
                } else {
                    base.join(path)
                };
                let parent_inside = joined
                    .parent()
                    .and_then(|d| self.resolve(base, module_dir, &d.to_string_lossy()).ok())
                    .is_some();
                if parent_inside && std::fs::symlink_metadata(&joined).is_err() {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.kind().to_string(),
    }
}

/// A path for a message: short and escaped.
fn shown_path(p: &str) -> String {
    format!("`{}`", crate::model::excerpt(p))
}

/// A message at a place.
pub(crate) type Located = (Span, String);

/// The budget and sandbox of one root module's evaluation.
pub(crate) struct EvalCtx {
    limits: Limits,
    run: Arc<RunBudget>,
    steps: Cell<u64>,
    elements: Cell<u64>,
    string_bytes: Cell<u64>,
    read_bytes: Cell<u64>,
    /// What was last added to the run-wide counters.
    flushed: Cell<(u64, u64, u64)>,
    depth: Cell<usize>,
    exhausted: RefCell<Option<String>>,
    spent_noted: Cell<bool>,
    /// Canonical paths of the templates being evaluated, outermost first.
    templates: RefCell<Vec<PathBuf>>,
    /// Located notes for `unresolved-value`: what was not evaluated and why.
    notes: RefCell<Vec<Located>>,
    /// Located errors Terraform itself reports (an invalid `count`).
    errors: RefCell<Vec<Located>>,
    pub(crate) sandbox: Sandbox,
}

impl EvalCtx {
    pub(crate) fn new(limits: Limits, run: Arc<RunBudget>, sandbox: Sandbox) -> EvalCtx {
        EvalCtx {
            limits,
            run,
            steps: Cell::new(0),
            elements: Cell::new(0),
            string_bytes: Cell::new(0),
            read_bytes: Cell::new(0),
            flushed: Cell::new((0, 0, 0)),
            depth: Cell::new(0),
            exhausted: RefCell::new(None),
            spent_noted: Cell::new(false),
            templates: RefCell::new(Vec::new()),
            notes: RefCell::new(Vec::new()),
            errors: RefCell::new(Vec::new()),
            sandbox,
        }
    }

    /// The notes and errors gathered, for the model.
    pub(crate) fn take_findings(&self) -> (Vec<Located>, Vec<Located>) {
        self.flush();
        (
            std::mem::take(&mut *self.notes.borrow_mut()),
            std::mem::take(&mut *self.errors.borrow_mut()),
        )
    }

    fn exhaust(&self, what: String) -> String {
        let mut e = self.exhausted.borrow_mut();
        if e.is_none() {
            *e = Some(what);
        }
        e.clone().unwrap_or_default()
    }

    fn spent(&self) -> Option<String> {
        self.exhausted.borrow().clone()
    }

    /// Adds the local counts to the run-wide ones and checks those.
    fn flush(&self) -> Option<String> {
        let (s0, e0, b0) = self.flushed.get();
        let (s, e, b) = (
            self.steps.get(),
            self.elements.get(),
            self.string_bytes.get(),
        );
        self.flushed.set((s, e, b));
        let rs = self.run.steps.fetch_add(s - s0, Ordering::Relaxed) + (s - s0);
        let re = self.run.elements.fetch_add(e - e0, Ordering::Relaxed) + (e - e0);
        let rb = self.run.string_bytes.fetch_add(b - b0, Ordering::Relaxed) + (b - b0);
        if rs > RUN_LIMITS.steps {
            return Some(format!(
                "the run's evaluation budget of {} steps is spent",
                RUN_LIMITS.steps
            ));
        }
        if re > RUN_LIMITS.elements {
            return Some(format!(
                "the run's budget of {} collection elements is spent",
                RUN_LIMITS.elements
            ));
        }
        if rb > RUN_LIMITS.string_bytes {
            return Some(format!(
                "the run's budget of {} string bytes is spent",
                RUN_LIMITS.string_bytes
            ));
        }
        None
    }

    fn step(&self) -> Result<(), String> {
        if let Some(e) = self.spent() {
            return Err(e);
        }
        let s = self.steps.get() + 1;
        self.steps.set(s);
        if s > self.limits.steps {
            return Err(self.exhaust(format!(
                "evaluation stopped after {} steps (trailcheck's budget per root module)",
                self.limits.steps
            )));
        }
        if s % 4096 == 0 {
            if let Some(e) = self.flush() {
                return Err(self.exhaust(e));
            }
        }
        Ok(())
    }

    fn charge(&self, v: &V) -> Result<(), String> {
        let room_e = self.limits.elements.saturating_sub(self.elements.get());
        let room_b = self
            .limits
            .string_bytes
            .saturating_sub(self.string_bytes.get());
        let mut w = Weight {
            elements: 0,
            bytes: 0,
            room_e,
            room_b,
        };
        w.add(v);
        self.elements.set(self.elements.get() + w.elements);
        self.string_bytes.set(self.string_bytes.get() + w.bytes);
        if w.elements > room_e {
            return Err(self.exhaust(format!(
                "evaluation stopped after producing {} collection elements (trailcheck's \
                 budget per root module)",
                self.limits.elements
            )));
        }
        if w.bytes > room_b {
            return Err(self.exhaust(format!(
                "evaluation stopped after producing {} MiB of strings (trailcheck's budget \
                 per root module)",
                self.limits.string_bytes / (1024 * 1024)
            )));
        }
        Ok(())
    }
}

/// The size of a value, counted until it exceeds the room left.
struct Weight {
    elements: u64,
    bytes: u64,
    room_e: u64,
    room_b: u64,
}

impl Weight {
    fn add(&mut self, v: &V) {
        if self.elements > self.room_e || self.bytes > self.room_b {
            return;
        }
        match v {
            V::Str(s) => self.bytes += s.len() as u64,
            V::List(l) => {
                self.elements += l.len() as u64;
                for x in l {
                    self.add(x);
                }
            }
            V::Map(m) => {
                self.elements += m.len() as u64;
                for (k, x) in m {
                    self.bytes += k.len() as u64;
                    self.add(x);
                }
            }
            _ => {}
        }
    }
}

thread_local! {
    static CTX: RefCell<Option<Rc<EvalCtx>>> = const { RefCell::new(None) };
}

/// Makes `ctx` the current evaluation context until the guard is dropped.
pub(crate) fn enter(ctx: Rc<EvalCtx>) -> Entered {
    let previous = CTX.with(|c| c.borrow_mut().replace(ctx));
    Entered { previous }
}

pub(crate) struct Entered {
    previous: Option<Rc<EvalCtx>>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CTX.with(|c| *c.borrow_mut() = previous);
    }
}

fn with<T>(f: impl FnOnce(&EvalCtx) -> T) -> Option<T> {
    CTX.with(|c| c.borrow().as_deref().map(f))
}

/// Counts one expression evaluation.
pub(crate) fn step() -> Result<(), String> {
    with(EvalCtx::step).unwrap_or(Ok(()))
}

/// Counts the size of a value produced.
pub(crate) fn charge(v: &V) -> Result<(), String> {
    with(|c| c.charge(v)).unwrap_or(Ok(()))
}

fn charge_read(n: u64) -> Result<(), String> {
    with(|c| {
        let total = c.read_bytes.get() + n;
        c.read_bytes.set(total);
        if total > c.limits.read_bytes {
            Err(format!(
                "reading it would exceed the {}-byte budget for files read per root module",
                c.limits.read_bytes
            ))
        } else {
            Ok(())
        }
    })
    .unwrap_or(Ok(()))
}

/// Whether the budget of the current evaluation is spent: errors then are not caught by
/// `try`/`can`.
pub(crate) fn is_spent() -> bool {
    with(|c| c.spent().is_some()).unwrap_or(false)
}

/// One level of evaluation nesting; released when dropped.
pub(crate) struct Depth(());

impl Depth {
    pub(crate) fn enter() -> Result<Depth, String> {
        with(|c| {
            let d = c.depth.get() + 1;
            if d > c.limits.depth {
                return Err(c.exhaust(format!(
                    "expressions or references nest more than {} levels deep",
                    c.limits.depth
                )));
            }
            c.depth.set(d);
            Ok(())
        })
        .unwrap_or(Ok(()))?;
        Ok(Depth(()))
    }
}

impl Drop for Depth {
    fn drop(&mut self) {
        with(|c| c.depth.set(c.depth.get().saturating_sub(1)));
    }
}

/// A template being evaluated; popped when dropped.
pub(crate) struct TemplateFrame(());

impl TemplateFrame {
    /// Enters the template at canonical `path`: an error for a cycle or too deep nesting.
    pub(crate) fn enter(path: &Path) -> Result<TemplateFrame, String> {
        with(|c| {
            let mut stack = c.templates.borrow_mut();
            if let Some(i) = stack.iter().position(|p| p == path) {
                let chain: Vec<String> = stack[i..]
                    .iter()
                    .chain(std::iter::once(&path.to_path_buf()))
                    .map(|p| {
                        p.file_name()
                            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
                    })
                    .collect();
                return Err(format!(
                    "the template includes itself ({}); Terraform rejects recursive \
                     templatefile calls",
                    crate::model::excerpt(&chain.join(" → "))
                ));
            }
            if stack.len() >= c.limits.template_depth {
                return Err(format!(
                    "templates include each other more than {} levels deep",
                    c.limits.template_depth
                ));
            }
            stack.push(path.to_path_buf());
            Ok(())
        })
        .unwrap_or(Ok(()))?;
        Ok(TemplateFrame(()))
    }
}

impl Drop for TemplateFrame {
    fn drop(&mut self) {
        with(|c| c.templates.borrow_mut().pop());
    }
}

/// Records a located note (shown as `unresolved-value`), once per span and message.
pub(crate) fn note(span: Span, message: String) {
    with(|c| {
        let mut n = c.notes.borrow_mut();
        if n.len() < 1000 && !n.iter().any(|(s, m)| *s == span && *m == message) {
            n.push((span, message));
        }
    });
}

/// Records a located error Terraform itself would report.
pub(crate) fn error(span: Span, message: String) {
    with(|c| {
        let mut n = c.errors.borrow_mut();
        if n.len() < 1000 && !n.iter().any(|(s, m)| *s == span && *m == message) {
            n.push((span, message));
        }
    });
}

/// The sandbox of the current evaluation.
pub(crate) fn sandbox() -> Sandbox {
    with(|c| c.sandbox.clone()).unwrap_or_else(Sandbox::none)
}

/// After an error at `span`: when the budget is spent and no note says so yet, a note
/// here (the innermost expression that was stopped).
pub(crate) fn note_if_spent(span: Span) {
    with(|c| {
        if c.spent_noted.get() {
            return;
        }
        if let Some(why) = c.spent() {
            c.spent_noted.set(true);
            c.notes.borrow_mut().push((
                span,
                format!("{why}; this expression and the rest of the module are not evaluated"),
            ));
        }
    });
}
