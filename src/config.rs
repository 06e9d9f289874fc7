//! `.trailcheck.yaml`: rule selection and severity overrides, ignores, extra rule
//! directories, and the deployment context (organization, accounts, regions, where each
//! root module deploys, workload profile). Found upward from the checked path.
//!
//! Unknown keys are errors (`deny_unknown_fields`), so a typo never silently disables a
//! setting.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = ".trailcheck.yaml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub rules: RulesConfig,
    /// Findings to ignore by rule and path glob.
    #[serde(default)]
    pub ignore: Vec<Ignore>,
    /// Path globs (relative to the config file) of files not to check at all; each file
    /// skipped is reported as `file-not-checked`.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Directories of user rules.
    #[serde(default)]
    pub extra_rules: Vec<PathBuf>,
    #[serde(default)]
    pub organization: Option<Organization>,
    #[serde(default)]
    pub regions: Option<Regions>,
    /// Where root modules and templates deploy, matched by path glob (first match wins).
    #[serde(default)]
    pub deployments: Vec<Deployment>,
    /// Workload profile: a file path, or the profile inline.
    #[serde(default)]
    pub profile: Option<ProfileRef>,
    /// The directory the config was found in (paths in it are relative to this).
    #[serde(skip)]
    pub root: PathBuf,
    /// The config file itself.
    #[serde(skip)]
    pub path: PathBuf,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    #[serde(default)]
    pub enable: Vec<String>,
    #[serde(default)]
    pub disable: Vec<String>,
    /// Severity overrides by rule name.
    #[serde(default)]
    pub severity: BTreeMap<String, crate::rules::Severity>,
    /// `log-retention-short`: minimum days (default 365).
    #[serde(default)]
    pub min_retention_days: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ignore {
    pub rule: String,
    /// Path globs relative to the config file; empty: everywhere.
    #[serde(default)]
    pub paths: Vec<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    pub id: Option<String>,
    pub management_account: Option<String>,
    #[serde(default)]
    pub delegated_admins: Vec<String>,
    #[serde(default)]
    pub member_accounts: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regions {
    /// Enabled regions; default: the commercial regions enabled by default.
    #[serde(default)]
    pub enabled: Vec<String>,
    /// Opt-in regions that are enabled, added to `enabled`.
    #[serde(default)]
    pub opt_in: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// Path glob (relative to the config file) of root modules or templates.
    pub path: String,
    pub account: Option<String>,
    pub region: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ProfileRef {
    File(PathBuf),
    Inline(serde_json::Value),
}

/// Why a config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: crate::fsio::ReadError,
    },
    #[error("invalid {path}: {message}")]
    Parse { path: PathBuf, message: String },
}

impl Config {
    /// Reads and parses a config file.
    ///
    /// # Errors
    /// When the file cannot be read or does not match the schema.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text =
            crate::fsio::read_text_bounded(path, crate::fsio::SMALL_INPUT_LIMIT).map_err(|e| {
                ConfigError::Read {
                    path: path.to_path_buf(),
                    source: e,
                }
            })?;
        Config::parse(&text, path)
    }

    /// Parses a config's text as if read from `path` (paths in it are relative to its
    /// directory). The entry point of the config fuzz target.
    ///
    /// # Errors
    /// When the text does not match the schema or a glob does not compile.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut c: Config = if text.trim().is_empty() {
            Config::default()
        } else {
            serde_saphyr::from_str(text).map_err(|e| ConfigError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
        };
        c.root = path.parent().map(Path::to_path_buf).unwrap_or_default();
        c.path = path.to_path_buf();
        c.check_globs().map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(c)
    }

    /// Every path glob must compile: a typo would otherwise silently match nothing.
    fn check_globs(&self) -> Result<(), String> {
        let deployments = self
            .deployments
            .iter()
            .enumerate()
            .map(|(i, d)| (format!("deployments[{i}].path"), &d.path));
        let ignores = self.ignore.iter().enumerate().flat_map(|(i, ig)| {
            ig.paths
                .iter()
                .enumerate()
                .map(move |(j, p)| (format!("ignore[{i}].paths[{j}]"), p))
        });
        let excludes = self
            .exclude
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("exclude[{i}]"), p));
        for (at, glob) in deployments.chain(ignores).chain(excludes) {
            crate::model::deployment::compile_glob(glob).map_err(|e| {
                format!("{at}: {glob:?} is not a valid path glob ({e}); fix or quote it")
            })?;
        }
        Ok(())
    }

    /// The `exclude:` globs, compiled (none: `None`).
    ///
    /// # Errors
    /// A glob that does not compile (already refused by `load`).
    pub fn exclude_globs(&self) -> Result<Option<globset::GlobSet>, String> {
        if self.exclude.is_empty() {
            return Ok(None);
        }
        let mut b = globset::GlobSetBuilder::new();
        for g in &self.exclude {
            b.add(crate::model::deployment::path_glob(g).map_err(|e| e.to_string())?);
        }
        b.build().map(Some).map_err(|e| e.to_string())
    }

    /// The `deployments` entries, with globs relative to the config's directory.
    #[must_use]
    pub fn deployment_list(&self) -> Vec<crate::model::deployment::Deployment> {
        self.deployments
            .iter()
            .map(|d| crate::model::deployment::Deployment {
                glob: d.path.clone(),
                root: self.root.clone(),
                account: d.account.clone(),
                region: d.region.clone(),
            })
            .collect()
    }

    /// The nearest `.trailcheck.yaml` in `start` or one of its parent directories.
    #[must_use]
    pub fn find(start: &Path) -> Option<PathBuf> {
        let abs = std::fs::canonicalize(start).ok()?;
        let mut dir = if abs.is_dir() {
            abs.as_path()
        } else {
            abs.parent()?
        };
        loop {
            let candidate = dir.join(FILE_NAME);
            if candidate.is_file() {
                return Some(candidate);
            }
            dir = dir.parent()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_rejected() {
        let dir = std::env::temp_dir().join(format!("trailcheck-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(FILE_NAME);
        std::fs::write(&p, "rules:\n  disabel: [x]\n").unwrap();
        assert!(matches!(Config::load(&p), Err(ConfigError::Parse { .. })));
        std::fs::write(
            &p,
            "organization:\n  management_account: '111111111111'\nregions:\n  enabled: [us-east-1]\ndeployments:\n  - path: 'envs/prod/**'\n    account: '222222222222'\n    region: eu-west-1\n",
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(c.deployments[0].region.as_deref(), Some("eu-west-1"));
        assert_eq!(Config::find(&dir).as_deref(), Some(p.as_path()));
        std::fs::remove_dir_all(&dir).ok();
    }
}
