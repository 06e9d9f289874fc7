//! Discovery: walk the given paths and classify files, following what gets deployed.
//!
//! Terraform loads every `.tf` file of a module directory whatever `.gitignore` says, so
//! ignore files never hide a `.tf` file unless `--respect-ignore` asks for it; templates
//! and plans (JSON/YAML) still honour `.gitignore`/`.ignore` (they are built or vendored
//! files as often as not). The config's `exclude:` globs skip any file. A file named on the
//! command line is never skipped. Every `.tf` file that is skipped, and every skipped
//! JSON/YAML file that mentions CloudTrail, is reported (`file-not-checked`, info).
//!
//! Symlinks are followed, as Terraform follows them (findings carry the link's path), with
//! loop detection; links into `/proc`, `/sys` and `/dev` are not walked, and the walk stops
//! after [`MAX_ENTRIES`] entries. Hidden directories such as `.terraform/` are skipped:
//! installed modules are read on demand through `modules.json`.

use std::collections::HashSet;
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

/// How to walk.
#[derive(Debug, Clone, Default)]
pub struct DiscoverOptions {
    /// Let `.gitignore`/`.ignore` hide `.tf` files too (`--respect-ignore`).
    pub respect_ignore: bool,
    /// The config's `exclude:` globs and the directory they are relative to.
    pub exclude: Option<(globset::GlobSet, PathBuf)>,
}

#[derive(Debug, Default)]
pub struct Discovered {
    pub terraform: Vec<PathBuf>,
    /// JSON/YAML files that may be CloudFormation templates or Terraform plans (decided by
    /// content when read).
    pub other: Vec<PathBuf>,
    /// Paths that could not be read (with the reason), reported as errors.
    pub errors: Vec<(PathBuf, String)>,
    /// Files that were found but not checked, with the reason (reported as info).
    pub skipped: Vec<(PathBuf, String)>,
}

/// The walk stops after this many directory entries (a symlink to `/`, a vendored
/// monorepo): the rest is reported as not checked.
pub const MAX_ENTRIES: usize = 1_000_000;

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

/// Walks `paths` with the default options.
#[must_use]
pub fn discover(paths: &[PathBuf]) -> Discovered {
    discover_with(paths, &DiscoverOptions::default())
}

/// Walks `paths`. A file given explicitly brings in the other `.tf` files of its directory,
/// so that a module is always seen whole (pre-commit passes single file names).
#[must_use]
pub fn discover_with(paths: &[PathBuf], opts: &DiscoverOptions) -> Discovered {
    let mut out = Discovered::default();
    let mut walk = Walk {
        opts,
        out: &mut out,
        entries: 0,
        explicit: HashSet::new(),
    };
    let mut dirs: Vec<PathBuf> = Vec::new();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_file() => {
                let parent = p
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                walk.explicit.insert(clean(p));
                match classify(p) {
                    Some(SourceKind::Terraform | SourceKind::TerraformVars) => {
                        if classify(p) == Some(SourceKind::Terraform) {
                            walk.out.terraform.push(clean(p));
                        }
                        walk.walk(parent, Some(1));
                    }
                    Some(SourceKind::Other) => walk.out.other.push(clean(p)),
                    None => {}
                }
            }
            Ok(m) if m.is_dir() => dirs.push(p.clone()),
            Ok(m) => walk.out.errors.push((
                p.clone(),
                format!(
                    "{}, not a file or directory: not read",
                    crate::fsio::kind_of(m.file_type())
                ),
            )),
            Err(e) => walk.out.errors.push((p.clone(), e.to_string())),
        }
    }
    for d in dirs {
        walk.walk(&d, None);
    }
    for v in [&mut out.terraform, &mut out.other] {
        v.sort();
        v.dedup();
    }
    out.skipped.sort();
    out.skipped.dedup();
    // A file skipped in one walk but checked through another (an explicit name, an
    // overlapping directory) was checked.
    let checked: HashSet<&PathBuf> = out.terraform.iter().chain(&out.other).collect();
    out.skipped.retain(|(p, _)| !checked.contains(p));
    out
}

struct Walk<'a> {
    opts: &'a DiscoverOptions,
    out: &'a mut Discovered,
    entries: usize,
    explicit: HashSet<PathBuf>,
}

/// Directories a symlink must never lead the walk into: endless or special files.
fn special_dir(p: &Path) -> bool {
    ["/proc", "/sys", "/dev"].iter().any(|d| p.starts_with(d))
}

impl Walk<'_> {
    fn builder(dir: &Path, depth: Option<usize>, ignore_files: bool) -> ignore::WalkBuilder {
        let mut b = ignore::WalkBuilder::new(dir);
        b.follow_links(true)
            .hidden(true)
            .git_ignore(ignore_files)
            .ignore(ignore_files)
            .parents(ignore_files)
            .git_global(false)
            .git_exclude(ignore_files)
            .require_git(false)
            .max_depth(depth)
            .filter_entry(|e| {
                // A symlinked directory into /proc, /sys or /dev is not walked.
                !(e.path_is_symlink()
                    && e.file_type().is_some_and(|t| t.is_dir())
                    && std::fs::canonicalize(e.path()).is_ok_and(|t| special_dir(&t)))
            });
        b
    }

    fn excluded(&self, path: &Path) -> bool {
        let Some((globs, root)) = &self.opts.exclude else {
            return false;
        };
        let abs = crate::source::absolute(path);
        // A glob that names a directory (`vendor`, `examples/*`) excludes what is in it.
        abs.strip_prefix(root).is_ok_and(|rel| {
            rel.ancestors()
                .any(|a| !a.as_os_str().is_empty() && globs.is_match(a))
        })
    }

    fn walk(&mut self, dir: &Path, depth: Option<usize>) {
        // The files `.gitignore`/`.ignore` leave visible; everything else was hidden by them.
        let visible: HashSet<PathBuf> = Self::builder(dir, depth, true)
            .build()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_some_and(|t| !t.is_dir()))
            .map(|e| clean(e.path()))
            .collect();
        for entry in Self::builder(dir, depth, false).build() {
            self.entries += 1;
            if self.entries > MAX_ENTRIES {
                self.out.errors.push((
                    dir.to_path_buf(),
                    format!(
                        "more than {MAX_ENTRIES} files and directories under this path: the \
                         walk stopped here and the rest was not checked; check a smaller \
                         path or add `exclude:` globs to .trailcheck.yaml"
                    ),
                ));
                return;
            }
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.walk_error(dir, &e);
                    continue;
                }
            };
            let path = clean(entry.path());
            let Some(kind) = classify(&path) else {
                continue;
            };
            let Some(ft) = entry.file_type() else {
                continue;
            };
            if ft.is_dir() {
                if kind == SourceKind::Terraform {
                    // A directory named `main.tf`: say so rather than ignoring it silently.
                    self.out
                        .errors
                        .push((path, "is a directory, not a Terraform file".into()));
                }
                continue;
            }
            // A module directory walked for one `.tf` file brings in Terraform only.
            if kind == SourceKind::TerraformVars || (kind == SourceKind::Other && depth.is_some()) {
                continue;
            }
            let explicit = self.explicit.contains(&path);
            if !ft.is_file() {
                if kind == SourceKind::Terraform || explicit {
                    self.out.skipped.push((
                        path,
                        format!(
                            "is {}, not a regular file: not read",
                            crate::fsio::kind_of(ft)
                        ),
                    ));
                }
                continue;
            }
            if !explicit && self.excluded(&path) {
                self.skip(
                    kind,
                    path,
                    "matches an `exclude:` glob of .trailcheck.yaml: not checked",
                );
                continue;
            }
            let hidden_by_ignore = !visible.contains(&path);
            match kind {
                SourceKind::Terraform
                    if hidden_by_ignore && self.opts.respect_ignore && !explicit =>
                {
                    self.skip(
                        kind,
                        path,
                        "is listed in a .gitignore or .ignore file and --respect-ignore is \
                         set: not checked, although Terraform would load it",
                    );
                }
                SourceKind::Terraform => self.out.terraform.push(path),
                SourceKind::Other if hidden_by_ignore && !explicit => self.skip(
                    kind,
                    path,
                    "is listed in a .gitignore or .ignore file: not checked; name it on the \
                     command line to check it",
                ),
                _ => self.out.other.push(path),
            }
        }
    }

    /// Records a skipped file: always for Terraform, for JSON/YAML only when it mentions
    /// CloudTrail (a `node_modules` of package files is not news).
    fn skip(&mut self, kind: SourceKind, path: PathBuf, why: &str) {
        if kind == SourceKind::Terraform || mentions_cloudtrail(&path) {
            self.out.skipped.push((path, why.to_owned()));
        }
    }

    fn walk_error(&mut self, dir: &Path, e: &ignore::Error) {
        let path = error_path(e).map_or_else(|| dir.to_path_buf(), clean);
        if let Some((child, ancestor)) = loop_of(e) {
            self.out.skipped.push((
                clean(child),
                format!(
                    "is a symbolic link back to {} (a loop): not walked again",
                    ancestor.display()
                ),
            ));
            return;
        }
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink())
            && std::fs::metadata(&path).is_err()
        {
            if classify(&path) == Some(SourceKind::Terraform) {
                self.out.errors.push((
                    path,
                    "is a symbolic link to nothing (broken link): Terraform would fail to \
                     read it; fix or remove the link"
                        .into(),
                ));
            }
            return;
        }
        // Say which entry failed, so one unreadable directory does not read as a failure
        // of the whole walk: the rest of the tree is still checked.
        let why = match e.io_error().map(std::io::Error::kind) {
            Some(kind) if kind != std::io::ErrorKind::Other => kind.to_string(),
            _ => e.to_string(),
        };
        self.out.errors.push((
            path,
            format!(
                "cannot read this directory ({why}): the files in it were not checked; make \
                 it readable, or add it to `exclude:` in .trailcheck.yaml to skip it"
            ),
        ));
    }
}

/// Whether the head of a file names CloudTrail (for reporting skipped templates).
fn mentions_cloudtrail(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::new();
    let ok = std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut head))
        .is_ok();
    ok && {
        let text = String::from_utf8_lossy(&head);
        text.contains("AWS::CloudTrail") || text.contains("aws_cloudtrail")
    }
}

/// The link and the ancestor of a loop error, looking through its wrappers.
fn loop_of(e: &ignore::Error) -> Option<(&Path, &Path)> {
    match e {
        ignore::Error::Loop { ancestor, child } => Some((child, ancestor)),
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => loop_of(err),
        ignore::Error::Partial(errs) => errs.iter().find_map(loop_of),
        _ => None,
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
