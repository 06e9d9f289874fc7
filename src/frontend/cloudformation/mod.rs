//! CloudFormation front end: YAML and JSON templates (hand-written, CDK output, SAM),
//! recognized by content, evaluated (parameters, conditions, mappings, intrinsics) and
//! lowered into the same model as Terraform.
//!
//! Each template is its own fragment: it is linked on its own, then merged. Templates are
//! read, parsed and evaluated in parallel; source ids are assigned in path order so the
//! output is the same on every run.

mod conditions;
mod intrinsics;
mod lower;
pub(crate) mod yaml;

use crate::model::{self, InputError, Model, Suppression};
use crate::source::{SourceFile, SourceMap, Span};
use intrinsics::{Ctx, Param};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use yaml::{Kind, Node};

/// Templates larger than this are refused (as a `parse-error`), not read.
pub(crate) const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// CloudFormation inputs from the command line.
#[derive(Debug, Clone, Default)]
pub struct CfnOptions {
    /// `--parameter NAME=VALUE` overrides.
    pub parameters: Vec<(String, String)>,
    /// `--region`: the region the stacks are deployed to (CloudFormation has no provider
    /// block). Unknown when not given.
    pub region: Option<String>,
    /// Where templates deploy (the config file's `deployments`), first match wins: gives
    /// the region when `--region` is not set, and the account (`AWS::AccountId`).
    pub deployments: Vec<Deployment>,
}

pub use crate::model::deployment::Deployment;
use crate::model::deployment::Deployments;

/// The (account, region) a template deploys to, as far as the options say: `--region`
/// wins over the deployment's region.
fn context_of(
    path: &Path,
    opts: &CfnOptions,
    deployments: &Deployments,
) -> (Option<String>, Option<String>) {
    let placed = deployments.place(path);
    let region = opts
        .region
        .clone()
        .or_else(|| placed.region.map(str::to_owned));
    (placed.account.map(str::to_owned), region)
}

/// What a JSON/YAML file turned out to be.
pub(crate) enum Sniffed {
    CloudFormation,
    Plan,
    Other,
}

/// A cheap look at the text, before any parsing.
pub(crate) fn sniff(text: &str) -> Sniffed {
    let head = text.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with('{')
        && (text.contains("\"planned_values\"")
            || (text.contains("\"format_version\"") && text.contains("\"terraform_version\"")))
    {
        return Sniffed::Plan;
    }
    if text.contains("AWSTemplateFormatVersion")
        || (text.contains("Resources") && text.contains("AWS::"))
    {
        return Sniffed::CloudFormation;
    }
    Sniffed::Other
}

/// How much of a file too large to read is looked at to decide what it is.
const SNIFF_BYTES: u64 = 64 * 1024;

/// Resource types kept (as conditional) when their condition is false.
const MONITORING_TYPES: &[&str] = &["AWS::Logs::MetricFilter", "AWS::CloudWatch::Alarm"];

/// A JSON/YAML file as read from disk.
enum Read {
    Text(String),
    /// Cannot be checked: the text kept for locating the error (possibly empty), the byte
    /// offset of the problem, the reason, and whether the file looks like a template or a
    /// plan at all (an unrelated binary `.json` is skipped, not reported).
    Unreadable {
        text: String,
        at: usize,
        message: String,
        relevant: bool,
    },
}

fn relevant(text: &str) -> bool {
    !matches!(sniff(text), Sniffed::Other)
}

/// Reads a file as text, or says why it cannot be checked.
fn read_text(path: &std::path::Path) -> Read {
    use std::io::Read as _;
    let unreadable = |message: String| Read::Unreadable {
        text: String::new(),
        at: 0,
        message,
        relevant: true,
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            return unreadable(format!(
                "cannot read file: {e}; make it readable, or list it in .gitignore to skip it"
            ))
        }
    };
    if meta.len() > MAX_FILE_BYTES {
        let mut head = Vec::new();
        let looks = std::fs::File::open(path)
            .and_then(|f| f.take(SNIFF_BYTES).read_to_end(&mut head))
            .is_ok()
            && relevant(&String::from_utf8_lossy(&head));
        return Read::Unreadable {
            text: String::new(),
            at: 0,
            message: format!(
                "file is {} bytes, over the {MAX_FILE_BYTES}-byte limit for templates and plans",
                meta.len()
            ),
            relevant: looks,
        };
    }
    let bytes = match crate::fsio::read_bounded(path, MAX_FILE_BYTES) {
        Ok(b) => b,
        Err(e) => {
            return unreadable(format!(
                "cannot read file: {e}; make it readable, or list it in .gitignore to skip it"
            ))
        }
    };
    if let Some(i) = bytes.iter().position(|&b| b == 0) {
        return Read::Unreadable {
            text: String::new(),
            at: 0,
            message: format!("binary file (NUL byte at offset {i})"),
            relevant: relevant(&String::from_utf8_lossy(&bytes)),
        };
    }
    match String::from_utf8(bytes) {
        Ok(t) => Read::Text(t),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            Read::Unreadable {
                relevant: relevant(&text),
                // The lossy text is the same as the file up to the first bad byte.
                text,
                at,
                message: format!("not valid UTF-8 (at byte {at})"),
            }
        }
    }
}

enum Input {
    Cfn(Arc<SourceFile>),
    /// A plan and the `.tf` files beside it.
    Plan(Arc<SourceFile>, Vec<Arc<SourceFile>>),
    Error(InputError),
}

/// Loads the JSON/YAML files found by discovery: CloudFormation templates and Terraform
/// plans; other files are skipped.
pub(crate) fn load(files: &[PathBuf], opts: &CfnOptions, sources: SourceMap) -> (Model, SourceMap) {
    let texts: Vec<(PathBuf, Read)> = files
        .par_iter()
        .map(|p| (p.clone(), read_text(p)))
        .collect();
    let mut sources = sources;
    let mut inputs = Vec::new();
    for (path, text) in texts {
        match text {
            Read::Text(t) => match sniff(&t) {
                Sniffed::CloudFormation => inputs.push(Input::Cfn(sources.add(path, t))),
                Sniffed::Plan => {
                    let tf = beside(&path, &mut sources);
                    inputs.push(Input::Plan(sources.add(path, t), tf));
                }
                Sniffed::Other => {}
            },
            Read::Unreadable {
                text,
                at,
                message,
                relevant: true,
            } => {
                let f = sources.add(path, text);
                inputs.push(Input::Error(InputError {
                    span: Span::new(f.id, at..at),
                    message,
                }));
            }
            Read::Unreadable { .. } => {}
        }
    }
    // The config's globs were checked when it was loaded; options built in code with a bad
    // glob place nothing.
    let deployments = Deployments::new(&opts.deployments).unwrap_or_default();
    let fragments: Vec<Model> = inputs
        .into_par_iter()
        .map(|i| match i {
            Input::Cfn(f) => template(&f, opts, &deployments),
            Input::Plan(f, tf) => {
                crate::frontend::terraform::plan_json::load(&f, &tf, opts.region.as_deref())
            }
            Input::Error(e) => Model {
                input_errors: vec![e],
                ..Model::default()
            },
        })
        .collect();
    let mut model = Model::default();
    for f in fragments {
        model.extend(f);
    }
    (model, sources)
}

/// The `.tf` files in a plan's directory (registered once: the Terraform front end may
/// have read them already).
fn beside(plan: &std::path::Path, sources: &mut SourceMap) -> Vec<Arc<SourceFile>> {
    let dir = match plan.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tf") && p.is_file())
        .map(|p| {
            p.strip_prefix("./")
                .map(std::path::Path::to_path_buf)
                .unwrap_or(p)
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| {
            if let Some(f) = sources.find(&p) {
                return Some(Arc::clone(f));
            }
            let text = crate::fsio::read_text_bounded(&p, MAX_FILE_BYTES).ok()?;
            Some(sources.add(p, text))
        })
        .collect()
}

/// Checks one in-memory JSON/YAML text as the front end checks a file (template, plan, or
/// neither), without touching the disk. The entry point of the fuzz targets.
#[doc(hidden)]
#[must_use]
pub fn load_text(text: &str, opts: &CfnOptions) -> Model {
    let mut sources = SourceMap::default();
    let f = sources.add(PathBuf::from("input"), text);
    match sniff(text) {
        Sniffed::CloudFormation => template(&f, opts, &Deployments::default()),
        Sniffed::Plan => {
            crate::frontend::terraform::plan_json::load(&f, &[], opts.region.as_deref())
        }
        Sniffed::Other => Model::default(),
    }
}

fn error_model(span: Span, message: String) -> Model {
    Model {
        input_errors: vec![InputError { span, message }],
        ..Model::default()
    }
}

/// True when the document is a CloudFormation template by structure.
fn is_template(root: &Node) -> bool {
    if root.get("AWSTemplateFormatVersion").is_some() {
        return true;
    }
    root.get("Resources")
        .and_then(Node::as_map)
        .is_some_and(|m| {
            m.iter().any(|(_, r)| {
                r.get("Type")
                    .and_then(Node::as_str)
                    .is_some_and(|t| t.contains("::"))
            })
        })
}

/// Checks one template.
fn template(f: &SourceFile, opts: &CfnOptions, deployments: &Deployments) -> Model {
    let doc = match yaml::parse(f.id, &f.text) {
        Ok(d) => d,
        Err(e) => {
            // A YAML file that merely mentions `AWS::` is not worth a parse error.
            let looks_like = f.text.contains("AWSTemplateFormatVersion")
                || f.text.contains("Type: AWS::")
                || f.text.contains("\"Type\": \"AWS::")
                || f.text.contains("Type: 'AWS::")
                || f.text.contains("Type: \"AWS::");
            return if looks_like {
                error_model(e.span, e.message)
            } else {
                Model::default()
            };
        }
    };
    let root = &doc.root;
    if !is_template(root) {
        return Model::default();
    }
    let mut model = Model::default();
    for w in &doc.warnings {
        model.input_errors.push(InputError {
            span: w.span,
            message: w.message.clone(),
        });
    }
    let given: HashMap<&str, &str> = opts
        .parameters
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let params = root
        .get("Parameters")
        .and_then(Node::as_map)
        .map(|m| {
            m.iter()
                .map(|(k, decl)| {
                    (
                        k.name.clone(),
                        intrinsics::parameter(decl, given.get(k.name.as_str()).copied()),
                    )
                })
                .collect::<HashMap<String, Param>>()
        })
        .unwrap_or_default();
    let resources: &[(yaml::Key, Node)] = root
        .get("Resources")
        .and_then(Node::as_map)
        .unwrap_or_default();
    let (account, region) = context_of(&f.path, opts, deployments);
    let ctx = Ctx {
        params,
        mappings: root.get("Mappings"),
        resources: resources
            .iter()
            .map(|(k, r)| {
                (
                    k.name.as_str(),
                    (r.get("Type").and_then(Node::as_str).unwrap_or(""), r),
                )
            })
            .collect(),
        names: std::cell::RefCell::new(HashMap::new()),
        region: region.clone(),
        account,
        conditions: conditions::Conditions::new(root.get("Conditions")),
        depth: std::cell::Cell::new(0),
    };
    let text = |span: Span| -> String { f.slice(span).to_owned() };
    let lower = lower::Lower {
        text: &text,
        region: region.as_deref(),
    };
    for (key, node) in resources {
        let Some(rtype) = node.get("Type").and_then(Node::as_str) else {
            continue;
        };
        let conditional = match node.get("Condition").and_then(Node::as_str) {
            Some(c) => match ctx.conditions.value(&ctx, c) {
                // Monitoring is often switched on by a parameter (an alert topic) that
                // defaults to off: keep the filter and its alarm as conditional, so the
                // alarm rule says it cannot tell rather than that there is none.
                Some(false) if MONITORING_TYPES.contains(&rtype) => true,
                Some(false) => continue,
                Some(true) => false,
                None => true,
            },
            None => false,
        };
        let target = Span::new(f.id, key.span.start as usize..node.span.end as usize);
        suppressions(f, key, node, target, &mut model.suppressions);
        let mut refs = Vec::new();
        let props = match node.get("Properties") {
            Some(
                p @ Node {
                    kind: Kind::Map(m), ..
                },
            ) => {
                let mut entries = Vec::new();
                for (k, v) in m {
                    let mut r = Vec::new();
                    let e = ctx.eval(v, &mut r);
                    if matches!(e.v, intrinsics::Ev::NoValue) {
                        continue;
                    }
                    refs.extend(r.into_iter().map(|id| (k.name.clone(), id)));
                    entries.push((k.clone(), e));
                }
                intrinsics::E {
                    v: intrinsics::Ev::Map(entries),
                    span: p.span,
                }
            }
            Some(p) => ctx.eval(p, &mut Vec::new()),
            None => intrinsics::E {
                v: intrinsics::Ev::Null,
                span: key.span,
            },
        };
        lower.resource(
            &lower::Res {
                id: &key.name,
                rtype,
                header: key.span,
                props,
                refs,
                conditional,
            },
            &mut model,
        );
    }
    model::link::link(&mut model);
    model.set_unit(&f.path.to_string_lossy());
    model
}

/// `Metadata: {trailcheck: {ignore: [{rule, reason}]}}` on a resource, and
/// `# trailcheck:ignore <rule> <reason>` comments on or above its logical id.
fn suppressions(
    f: &SourceFile,
    key: &yaml::Key,
    node: &Node,
    target: Span,
    out: &mut Vec<Suppression>,
) {
    let entries = node
        .get("Metadata")
        .and_then(|m| m.get("trailcheck"))
        .and_then(|t| t.get("ignore"));
    if let Some(Node {
        kind: Kind::Seq(items),
        ..
    }) = entries
    {
        for item in items {
            let rule = item
                .get("rule")
                .or_else(|| item.get("id"))
                .and_then(Node::as_str);
            let Some(rule) = rule else { continue };
            out.push(Suppression {
                rule: rule.to_owned(),
                reason: item
                    .get("reason")
                    .and_then(Node::as_str)
                    .filter(|r| !r.trim().is_empty())
                    .map(str::to_owned),
                span: item.span,
                target,
            });
        }
    }
    // Comments: the logical id's own line, then the comment lines right above it.
    let text: &str = &f.text;
    let start = (key.span.start as usize).min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let mut lines = vec![(line_start, &text[line_start..line_end])];
    let mut cursor = line_start;
    while cursor > 0 {
        let prev_end = cursor - 1;
        let prev_start = text[..prev_end].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[prev_start..prev_end];
        if !line.trim_start().starts_with('#') {
            break;
        }
        lines.push((prev_start, line));
        cursor = prev_start;
    }
    for (at, line) in lines {
        let Some(i) = line.find("# trailcheck:ignore") else {
            continue;
        };
        let rest = line[i + "# trailcheck:ignore".len()..].trim();
        let (rule, reason) = match rest.split_once(char::is_whitespace) {
            Some((r, why)) => (r, Some(why.trim().to_owned()).filter(|w| !w.is_empty())),
            None => (rest, None),
        };
        if rule.is_empty() {
            continue;
        }
        out.push(Suppression {
            rule: rule.to_owned(),
            reason,
            span: Span::new(f.id, at + i..at + line.trim_end().len()),
            target,
        });
    }
}
