//! Where files deploy: the config's `deployments`, matched the same way by every part of
//! trailcheck (CloudFormation's `AWS::AccountId` and region, the simulation's accounts, the
//! rules that compare accounts).
//!
//! A glob is relative to the directory of the config file. `*` does not cross `/`, `**`
//! does. A file matches when its own path or one of its directories matches, so
//! `accounts/prod` places every file below that directory and `templates/*.yaml` places
//! single templates. The first matching entry wins.

use globset::{GlobBuilder, GlobMatcher};
use std::path::{Path, PathBuf};

/// One `deployments` entry.
#[derive(Debug, Clone, Default)]
pub struct Deployment {
    /// Glob over paths relative to `root`.
    pub glob: String,
    /// The directory the glob is relative to (where the config file is); empty: the
    /// working directory.
    pub root: PathBuf,
    pub account: Option<String>,
    pub region: Option<String>,
}

/// Where one file deploys, as far as the configuration says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Placement<'a> {
    pub account: Option<&'a str>,
    pub region: Option<&'a str>,
}

/// Compiled [`Deployment`]s.
#[derive(Debug, Clone, Default)]
pub struct Deployments {
    entries: Vec<Compiled>,
}

#[derive(Debug, Clone)]
struct Compiled {
    matcher: GlobMatcher,
    /// Canonical form of the entry's root.
    root: PathBuf,
    account: Option<String>,
    region: Option<String>,
}

/// Compiles one path glob the way every config glob is read: `*` stays within one path
/// component.
///
/// # Errors
/// The glob's syntax error, as text.
pub fn compile_glob(glob: &str) -> Result<GlobMatcher, String> {
    path_glob(glob)
        .map(|g| g.compile_matcher())
        .map_err(|e| e.kind().to_string())
}

/// A config path glob as every part of trailcheck reads it (`*` within one component).
///
/// # Errors
/// The glob's syntax error.
pub fn path_glob(glob: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(glob).literal_separator(true).build()
}

fn canonical(p: &Path) -> PathBuf {
    let base = if p.as_os_str().is_empty() {
        Path::new(".")
    } else {
        p
    };
    std::fs::canonicalize(base).unwrap_or_else(|_| base.to_path_buf())
}

impl Deployments {
    /// Compiles the entries, in order.
    ///
    /// # Errors
    /// The first glob that does not compile, with the reason.
    pub fn new(list: &[Deployment]) -> Result<Deployments, String> {
        let entries = list
            .iter()
            .map(|d| {
                Ok(Compiled {
                    matcher: compile_glob(&d.glob)
                        .map_err(|e| format!("invalid path glob {:?}: {e}", d.glob))?,
                    root: canonical(&d.root),
                    account: d.account.clone(),
                    region: d.region.clone(),
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(Deployments { entries })
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Where `path` deploys: the first entry whose glob matches the path, relative to the
    /// entry's root, or one of its directories.
    #[must_use]
    pub fn place(&self, path: &Path) -> Placement<'_> {
        if self.entries.is_empty() {
            return Placement::default();
        }
        let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.entries
            .iter()
            .find(|e| {
                let rel = abs.strip_prefix(&e.root).unwrap_or(&abs);
                rel.ancestors()
                    .filter(|a| !a.as_os_str().is_empty())
                    .any(|a| e.matcher.is_match(a))
            })
            .map(|e| Placement {
                account: e.account.as_deref(),
                region: e.region.as_deref(),
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployments(globs: &[(&str, &str)]) -> Deployments {
        let list: Vec<Deployment> = globs
            .iter()
            .map(|(g, a)| Deployment {
                glob: (*g).into(),
                root: PathBuf::from("/repo"),
                account: Some((*a).into()),
                region: None,
            })
            .collect();
        Deployments::new(&list).unwrap()
    }

    #[test]
    fn a_directory_glob_places_everything_below_it() {
        let d = deployments(&[("accounts/prod", "111111111111")]);
        let p = d.place(Path::new("/repo/accounts/prod/trail/main.tf"));
        assert_eq!(p.account, Some("111111111111"));
        assert_eq!(
            d.place(Path::new("/repo/accounts/dev/main.tf")).account,
            None
        );
    }

    #[test]
    fn star_stays_in_one_component_and_the_first_match_wins() {
        let d = deployments(&[
            ("templates/*.yaml", "111111111111"),
            ("templates/**", "222222222222"),
        ]);
        let top = d.place(Path::new("/repo/templates/trail.yaml"));
        assert_eq!(top.account, Some("111111111111"));
        let nested = d.place(Path::new("/repo/templates/org/trail.yaml"));
        assert_eq!(nested.account, Some("222222222222"));
    }

    #[test]
    fn a_bad_glob_is_an_error_that_names_it() {
        let err = Deployments::new(&[Deployment {
            glob: "a/[b".into(),
            ..Deployment::default()
        }])
        .unwrap_err();
        assert!(err.contains("\"a/[b\""), "{err}");
    }
}
