//! Discovery: walk the given paths (respecting `.gitignore`, skipping hidden directories
//! such as `.terraform/` — installed modules are read on demand through `modules.json`),
//! never following symlinks (so loops cannot hang the walk), and classify files.

use std::path::{Path, PathBuf};

/// What a file is, decided by name and, where the name is ambiguous, by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Terraform,
    /// `.tfvars` and `.tfvars.json`: read by the root module it belongs to.
    TerraformVars,
    /// A JSON/YAML file that may be CloudFormation or a plan (not yet analysed).
    Other,
}

#[derive(Debug, Default)]
pub struct Discovered {
    pub terraform: Vec<PathBuf>,
    /// JSON/YAML files that may be CloudFormation templates or Terraform plans (decided by
    /// content when read).
    pub other: Vec<PathBuf>,
    /// Paths that could not be read (with the reason), reported as errors.
    pub errors: Vec<(PathBuf, String)>,
}

#[must_use]
pub fn classify(path: &Path) -> Option<SourceKind> {
    let name = path.file_name()?.to_string_lossy();
    if name.ends_with(".tf") {
        Some(SourceKind::Terraform)
    } else if name.ends_with(".tfvars") || name.ends_with(".tfvars.json") {
        Some(SourceKind::TerraformVars)
    } else if [".json", ".yaml", ".yml", ".template"]
        .iter()
        .any(|e| name.ends_with(e))
    {
        Some(SourceKind::Other)
    } else {
        None
    }
}

/// Walks `paths`. A file given explicitly brings in the other `.tf` files of its directory,
/// so that a module is always seen whole (pre-commit passes single file names).
#[must_use]
pub fn discover(paths: &[PathBuf]) -> Discovered {
    let mut out = Discovered::default();
    let mut dirs: Vec<PathBuf> = Vec::new();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_file() => {
                let parent = p
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                match classify(p) {
                    Some(SourceKind::Terraform | SourceKind::TerraformVars) => {
                        walk(parent, Some(1), &mut out)
                    }
                    Some(SourceKind::Other) => out.other.push(clean(p)),
                    _ => {}
                }
            }
            Ok(_) => dirs.push(p.clone()),
            Err(e) => out.errors.push((p.clone(), e.to_string())),
        }
    }
    for d in dirs {
        walk(&d, None, &mut out);
    }
    out.terraform.sort();
    out.terraform.dedup();
    out.other.sort();
    out.other.dedup();
    out
}

fn walk(dir: &Path, depth: Option<usize>, out: &mut Discovered) {
    let mut builder = ignore::WalkBuilder::new(dir);
    builder
        .follow_links(false)
        .hidden(true)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .max_depth(depth);
    for entry in builder.build() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                // Say which entry failed, so one unreadable directory does not read as a
                // failure of the whole walk: the rest of the tree is still checked.
                let path = error_path(&e).map_or_else(|| dir.to_path_buf(), clean);
                let why = match e.io_error().map(std::io::Error::kind) {
                    Some(kind) if kind != std::io::ErrorKind::Other => kind.to_string(),
                    _ => e.to_string(),
                };
                out.errors.push((
                    path,
                    format!(
                        "cannot read this directory ({why}): the files in it were not \
                         checked; make it readable, or list it in .gitignore to skip it"
                    ),
                ));
                continue;
            }
        };
        let is_file = entry.file_type().is_some_and(|t| t.is_file());
        let path = entry.path();
        match classify(path) {
            Some(SourceKind::Terraform) if is_file => out.terraform.push(clean(path)),
            // A module directory walked for one `.tf` file brings in Terraform only.
            Some(SourceKind::Other) if is_file && depth.is_none() => out.other.push(clean(path)),
            Some(SourceKind::Terraform) if entry.file_type().is_some_and(|t| t.is_dir()) => {
                // A directory named `main.tf`: say so rather than ignoring it silently.
                out.errors
                    .push((clean(path), "is a directory, not a Terraform file".into()));
            }
            _ => {}
        }
    }
}

/// The path an `ignore` error is about, looking through its wrappers.
fn error_path(e: &ignore::Error) -> Option<&Path> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        ignore::Error::Partial(errs) => errs.iter().find_map(error_path),
        _ => None,
    }
}

fn clean(p: &Path) -> PathBuf {
    p.strip_prefix("./").unwrap_or(p).to_path_buf()
}
