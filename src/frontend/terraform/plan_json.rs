//! Terraform plan JSON (`terraform show -json plan.out`): resources from `planned_values`
//! (root and child modules), values that are only known after apply from
//! `resource_changes[].change.after_unknown`, references from `configuration`, and the
//! provider region from `configuration.provider_config`.
//!
//! The plan is read with the span-keeping reader of the CloudFormation front end, so each
//! value points at its place in the plan file, and is lowered by the Terraform lowering:
//! a plan gives exactly the model its configuration gives.

use super::eval::{header_span, EvBody, ResEval, ResInstance};
use super::lower::Lower;
use super::value::V;
use crate::frontend::cloudformation::yaml::{self, Kind, Node};
use crate::model::{self, InputError, Model};
use crate::source::{SourceFile, Span};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

fn to_v(n: &Node) -> V {
    match &n.kind {
        Kind::Null => V::Null,
        Kind::Bool(b) => V::Bool(*b),
        Kind::Str(s) => V::Str(s.clone()),
        Kind::Seq(l) => V::List(l.iter().map(to_v).collect()),
        Kind::Map(m) => V::Map(
            m.iter()
                .map(|(k, v)| (k.name.clone(), to_v(v)))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

fn is_block_list(n: &Node) -> bool {
    matches!(&n.kind, Kind::Seq(l) if !l.is_empty() && l.iter().all(|i| matches!(i.kind, Kind::Map(_))))
}

/// Where a resource is written in the `.tf` files beside the plan.
#[derive(Debug, Default)]
pub(crate) struct TfResource {
    header: Span,
    attrs: HashMap<String, Span>,
    /// Nested block headers by type, in order.
    blocks: HashMap<String, Vec<Span>>,
}

/// Root-module resources of the configuration beside the plan, by `type.name`.
pub(crate) fn index_tf(files: &[Arc<SourceFile>]) -> HashMap<String, TfResource> {
    let mut out = HashMap::new();
    for f in files {
        let Ok(body) = super::modules::parse_file(f) else {
            continue;
        };
        for b in body.blocks() {
            let labels: Vec<&str> = b
                .labels
                .iter()
                .map(hcl_edit::structure::BlockLabel::as_str)
                .collect();
            let ("resource", [rtype, name]) = (b.ident.as_str(), labels.as_slice()) else {
                continue;
            };
            let mut r = TfResource {
                header: header_span(f.id, b),
                ..TfResource::default()
            };
            for a in b.body.attributes() {
                if let Some(range) = hcl_edit::Span::span(&a.value) {
                    r.attrs
                        .insert(a.key.as_str().to_owned(), Span::new(f.id, range));
                }
            }
            for nb in b.body.blocks() {
                r.blocks
                    .entry(nb.ident.as_str().to_owned())
                    .or_default()
                    .push(header_span(f.id, nb));
            }
            out.insert(format!("{rtype}.{name}"), r);
        }
    }
    out
}

/// A resource's `values` as an evaluated body: lists of objects are nested blocks, the rest
/// attributes; attributes known only after apply are unknown.
///
/// `configured` lists the attributes the configuration sets (`None`: not known). An
/// attribute the configuration leaves alone is absent for the model, as it is in the
/// configuration: the plan's value for it is the provider default (which the lowering
/// applies the same way) or a computed value ("known after apply").
///
/// `tf` relocates values to the `.tf` file when the configuration sits beside the plan.
fn body(
    values: &Node,
    unknown: Option<&Node>,
    refs: &[(String, String)],
    configured: Option<&[String]>,
    tf: Option<&TfResource>,
) -> EvBody {
    let mut b = EvBody {
        span: tf.map_or(values.span, |t| t.header),
        attrs: Vec::new(),
        blocks: Vec::new(),
        unknown_blocks: Vec::new(),
        refs: refs.to_vec(),
    };
    let set = |k: &str| configured.is_none_or(|c| c.iter().any(|x| x == k));
    let unknown_of = |k: &str| unknown.and_then(|u| u.get(k)).filter(|_| set(k));
    let at = |k: &str, span: Span| {
        tf.and_then(|t| t.attrs.get(k).copied())
            .or_else(|| tf.map(|t| t.header))
            .unwrap_or(span)
    };
    for (k, v) in values.as_map().unwrap_or_default() {
        let u = unknown_of(&k.name);
        if is_block_list(v) {
            let Kind::Seq(items) = &v.kind else { continue };
            for (i, item) in items.iter().enumerate() {
                let ui = match u.map(|u| &u.kind) {
                    Some(Kind::Seq(l)) => l.get(i),
                    _ => None,
                };
                let mut nested = body(item, ui, &[], None, None);
                if let Some(span) = tf.and_then(|t| t.blocks.get(&k.name)?.get(i).copied()) {
                    nested.span = span;
                }
                b.blocks.push((k.name.clone(), nested));
            }
        } else if !set(&k.name) {
            // Not written in the configuration: the lowering's default applies.
        } else if matches!(v.kind, Kind::Null) && u.is_some_and(|u| u.kind == Kind::Bool(true)) {
            b.attrs
                .push((k.name.clone(), V::Unknown, at(&k.name, v.span)));
        } else {
            b.attrs.push((k.name.clone(), to_v(v), at(&k.name, v.span)));
        }
    }
    // Unknown attributes are usually absent from `values` altogether.
    if let Some(m) = unknown.and_then(Node::as_map) {
        for (k, u) in m {
            if u.kind == Kind::Bool(true) && values.get(&k.name).is_none() && set(&k.name) {
                b.attrs
                    .push((k.name.clone(), V::Unknown, at(&k.name, values.span)));
            }
        }
    }
    b
}

/// The address without its instance key: `a.b[0]` → `a.b`.
fn base(addr: &str) -> &str {
    match addr
        .strip_suffix(']')
        .and_then(|a| a.rfind('[').map(|i| &addr[..i]))
    {
        Some(b) => b,
        None => addr,
    }
}

/// What the configuration says about one resource.
struct Configured {
    /// (attribute, absolute address referred to).
    refs: Vec<(String, String)>,
    /// Attributes the configuration sets.
    attrs: Vec<String>,
    /// `provider_config_key`, e.g. `aws` or `aws.east`.
    provider: String,
}

/// Collects `configuration` resources: address → (expressions, provider key), with
/// module prefixes, and references made absolute.
fn configuration(module: &Node, prefix: &str, out: &mut HashMap<String, Configured>, depth: usize) {
    if depth > 32 {
        return;
    }
    for r in module.get("resources").map_or(&[][..], |n| match &n.kind {
        Kind::Seq(l) => l.as_slice(),
        _ => &[],
    }) {
        let Some(addr) = r.get("address").and_then(Node::as_str) else {
            continue;
        };
        let mut refs = Vec::new();
        let mut attrs = Vec::new();
        for (attr, e) in r
            .get("expressions")
            .and_then(Node::as_map)
            .unwrap_or_default()
        {
            attrs.push(attr.name.clone());
            let Some(Node {
                kind: Kind::Seq(list),
                ..
            }) = e.get("references")
            else {
                continue;
            };
            for reference in list.iter().filter_map(Node::as_str) {
                refs.push((attr.name.clone(), format!("{prefix}{reference}")));
            }
        }
        let provider = r
            .get("provider_config_key")
            .and_then(Node::as_str)
            .unwrap_or("aws")
            .to_owned();
        out.insert(
            format!("{prefix}{addr}"),
            Configured {
                refs,
                attrs,
                provider,
            },
        );
    }
    for (name, call) in module
        .get("module_calls")
        .and_then(Node::as_map)
        .unwrap_or_default()
    {
        if let Some(m) = call.get("module") {
            configuration(m, &format!("{prefix}module.{}.", name.name), out, depth + 1);
        }
    }
}

fn planned<'a>(module: &'a Node, out: &mut Vec<&'a Node>, depth: usize) {
    if depth > 32 {
        return;
    }
    if let Some(Node {
        kind: Kind::Seq(l), ..
    }) = module.get("resources")
    {
        out.extend(l.iter());
    }
    if let Some(Node {
        kind: Kind::Seq(l), ..
    }) = module.get("child_modules")
    {
        for m in l {
            planned(m, out, depth + 1);
        }
    }
}

/// Loads one plan file into a linked model fragment.
///
/// `tf_files` are the `.tf` files in the plan's directory: when the configuration sits
/// beside the plan, findings point at it rather than at the plan.
pub(crate) fn load(
    f: &SourceFile,
    tf_files: &[Arc<SourceFile>],
    default_region: Option<&str>,
) -> Model {
    let tf = index_tf(tf_files);
    let root = match yaml::parse(f.id, &f.text) {
        Ok(d) => d.root,
        Err(e) => {
            return Model {
                input_errors: vec![InputError {
                    span: e.span,
                    message: e.message,
                }],
                ..Model::default()
            }
        }
    };
    let mut config = HashMap::new();
    if let Some(m) = root.get("configuration").and_then(|c| c.get("root_module")) {
        configuration(m, "", &mut config, 0);
    }
    let regions: HashMap<&str, &str> = root
        .get("configuration")
        .and_then(|c| c.get("provider_config"))
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, p)| {
            let r = p
                .get("expressions")?
                .get("region")?
                .get("constant_value")?
                .as_str()?;
            Some((k.name.as_str(), r))
        })
        .collect();
    let unknown: HashMap<&str, &Node> = match root.get("resource_changes").map(|n| &n.kind) {
        Some(Kind::Seq(l)) => l
            .iter()
            .filter_map(|c| {
                Some((
                    c.get("address")?.as_str()?,
                    c.get("change")?.get("after_unknown")?,
                ))
            })
            .collect(),
        _ => HashMap::new(),
    };
    let mut resources = Vec::new();
    if let Some(m) = root
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
    {
        planned(m, &mut resources, 0);
    }
    // The configuration sits beside the plan only if it declares every root-module
    // resource of the plan; otherwise the `.tf` files there belong to something else.
    let beside = resources.iter().all(|r| {
        let addr = r.get("address").and_then(Node::as_str).unwrap_or("");
        addr.starts_with("module.")
            || r.get("mode").and_then(Node::as_str) == Some("data")
            || tf.contains_key(base(addr))
    });
    let tf = if beside { tf } else { HashMap::new() };
    let text = |span: Span| -> String {
        if span.source == f.id {
            return f.slice(span).to_owned();
        }
        tf_files
            .iter()
            .find(|t| t.id == span.source)
            .map(|t| t.slice(span).to_owned())
            .unwrap_or_default()
    };
    let lower = Lower { text: &text };
    let mut model = Model::default();
    let mut beside_config = false;
    for r in resources {
        if r.get("mode").and_then(Node::as_str) == Some("data") {
            continue;
        }
        let (Some(addr), Some(rtype), Some(values)) = (
            r.get("address").and_then(Node::as_str),
            r.get("type").and_then(Node::as_str),
            r.get("values"),
        ) else {
            continue;
        };
        // Root-module resources only: a child module's `.tf` files are elsewhere.
        let written = if addr.starts_with("module.") {
            None
        } else {
            tf.get(base(addr))
        };
        beside_config |= written.is_some();
        let header =
            written.map_or_else(|| r.get("address").map_or(r.span, |a| a.span), |w| w.header);
        let conf = config.get(base(addr));
        let refs = conf.map_or(&[][..], |c| c.refs.as_slice());
        let provider = conf.map_or("aws", |c| c.provider.as_str());
        let region = regions
            .get(provider)
            .or_else(|| regions.get("aws"))
            .map(|r| (*r).to_owned())
            .or_else(|| default_region.map(str::to_owned))
            .map_or(V::Unknown, V::Str);
        let res = ResEval {
            rtype: rtype.to_owned(),
            header,
            instances: vec![ResInstance {
                address: addr.to_owned(),
                body: body(
                    values,
                    unknown.get(addr).copied(),
                    refs,
                    conf.map(|c| c.attrs.as_slice()),
                    written,
                ),
            }],
            conditional: false,
            region,
            scope: String::new(),
            value: V::Null,
        };
        lower.resource(&res, &mut model);
    }
    model::link::link(&mut model);
    // A plan of the root module beside it (its resources are written there) is that
    // root's deployment unit; any other plan is a unit of its own.
    let unit = match f.path.parent() {
        Some(d) if beside_config && !d.as_os_str().is_empty() => d.to_path_buf(),
        _ if beside_config => std::path::PathBuf::from("."),
        _ => f.path.clone(),
    };
    model.set_unit(&unit.to_string_lossy());
    model
}
