//! Terraform built-in functions trailcheck evaluates. Any argument that is unknown makes
//! the result unknown, unless the function can answer without it (`length` of a list with
//! unknown elements, `coalesce` with a known first value).
//!
//! `try`, `can` and `templatefile` need the evaluator and live in `eval/expr.rs`.

use super::budget::Sandbox;
use super::value::{fmt_num, MAX_COLLECTION, MAX_STRING, V};
use crate::model::iam::UNKNOWN_MARK;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

pub(crate) type FnResult = Result<V, String>;

fn arg(args: &[V], i: usize) -> &V {
    args.get(i).unwrap_or(&V::Null)
}

fn string(args: &[V], i: usize, f: &str) -> Result<String, String> {
    arg(args, i).to_str().ok_or_else(|| {
        format!(
            "{f}: argument {} must be a string, got {}",
            i + 1,
            arg(args, i).type_name()
        )
    })
}

fn list(v: &V, f: &str) -> Result<Vec<V>, String> {
    match v {
        V::List(l) => Ok(l.clone()),
        V::Map(m) => Ok(m.values().cloned().collect()),
        V::Null => Err(format!("{f}: argument is null")),
        other => Err(format!("{f}: expected a list, got {}", other.type_name())),
    }
}

fn check_size(v: V) -> FnResult {
    match &v {
        V::List(l) if l.len() > MAX_COLLECTION => Err("collection too large to evaluate".into()),
        V::Str(s) if s.len() > MAX_STRING => Err("string too large to evaluate".into()),
        _ => Ok(v),
    }
}

/// Functions whose result does not depend on every argument being known.
fn partial_ok(name: &str) -> bool {
    matches!(
        name,
        "length"
            | "coalesce"
            | "merge"
            | "concat"
            | "jsonencode"
            | "tolist"
            | "toset"
            | "flatten"
            | "compact"
            | "format"
            | "join"
            | "lower"
            | "upper"
            | "replace"
            | "trimspace"
            | "tostring"
            | "lookup"
            | "element"
            | "keys"
            | "values"
            | "distinct"
            | "formatlist"
            | "trimsuffix"
            | "trimprefix"
            | "one"
            | "coalescelist"
            | "concat_strings"
            | "tomap"
            | "zipmap"
            | "list"
            | "map"
            | "setunion"
            | "reverse"
            | "slice"
    )
}

#[expect(
    clippy::too_many_lines,
    reason = "one arm per function reads best as a table"
)]
pub(crate) fn call(name: &str, args: &[V]) -> FnResult {
    if !partial_ok(name) && args.iter().any(V::has_unknown) {
        return Ok(V::Unknown);
    }
    let r = match name {
        "jsonencode" => {
            // Escapes can make the text six times the size of the strings in it.
            if weight(arg(args, 0)).saturating_mul(6) > MAX_STRING {
                return Err("jsonencode: result too large to evaluate".into());
            }
            V::Str(serde_json::to_string(&arg(args, 0).to_json()).map_err(|e| e.to_string())?)
        }
        "jsondecode" => {
            let s = string(args, 0, name)?;
            let j: serde_json::Value =
                serde_json::from_str(&s).map_err(|e| format!("jsondecode: {e}"))?;
            V::from_json(&j)
        }
        "merge" => {
            let mut out = BTreeMap::new();
            for a in args {
                match a {
                    V::Map(m) => out.extend(m.clone()),
                    V::Null => {}
                    V::Unknown => return Ok(V::Unknown),
                    other => {
                        return Err(format!(
                            "merge: arguments must be maps, got {}",
                            other.type_name()
                        ))
                    }
                }
            }
            V::Map(out)
        }
        "concat" => {
            let mut out = Vec::new();
            for a in args {
                match a {
                    V::Unknown => return Ok(V::Unknown),
                    a => out.extend(list(a, name)?),
                }
            }
            V::List(out)
        }
        "format" => format(args)?,
        "formatlist" => {
            let lists: Vec<_> = args
                .iter()
                .skip(1)
                .filter_map(|a| {
                    if let V::List(l) = a {
                        Some(l.len())
                    } else {
                        None
                    }
                })
                .collect();
            let n = lists.into_iter().max().unwrap_or(0);
            let mut out = Vec::new();
            let mut total = 0usize;
            for i in 0..n {
                let mut a = vec![arg(args, 0).clone()];
                for x in args.iter().skip(1) {
                    a.push(match x {
                        V::List(l) => l.get(i).cloned().unwrap_or(V::Null),
                        other => other.clone(),
                    });
                }
                let s = format(&a)?;
                total += s_len(&s);
                if total > MAX_STRING {
                    return Err("formatlist: result too large to evaluate".into());
                }
                out.push(s);
            }
            V::List(out)
        }
        "lookup" => match arg(args, 0) {
            V::Map(m) => {
                let k = string(args, 1, name)?;
                if k.contains(UNKNOWN_MARK) {
                    return Ok(V::Unknown);
                }
                match m.get(&k) {
                    Some(v) => v.clone(),
                    None if args.len() > 2 => arg(args, 2).clone(),
                    None => return Err(format!("lookup: no key {k:?}")),
                }
            }
            V::Unknown => V::Unknown,
            other => return Err(format!("lookup: expected a map, got {}", other.type_name())),
        },
        "coalesce" => {
            for a in args {
                if a.is_unknown() {
                    return Ok(V::Unknown);
                }
                match a {
                    V::Null => {}
                    V::Str(s) if s.is_empty() => {}
                    other => return Ok(other.clone()),
                }
            }
            return Err("coalesce: no non-null, non-empty argument".into());
        }
        "coalescelist" => {
            for a in args {
                match a {
                    V::Unknown => return Ok(V::Unknown),
                    V::List(l) if !l.is_empty() => return Ok(a.clone()),
                    _ => {}
                }
            }
            V::List(vec![])
        }
        "tostring" => match arg(args, 0) {
            V::Null => V::Null,
            v => V::Str(v.to_str().ok_or("tostring: cannot convert a collection")?),
        },
        "tobool" => match arg(args, 0) {
            V::Null => V::Null,
            v => V::Bool(v.as_bool().ok_or("tobool: not a boolean")?),
        },
        "tonumber" => match arg(args, 0) {
            V::Null => V::Null,
            v => V::Num(v.as_num().ok_or("tonumber: not a number")?),
        },
        "list" => V::List(args.to_vec()),
        "tolist" => match arg(args, 0) {
            V::Unknown => V::Unknown,
            v => V::List(list(v, name)?),
        },
        "toset" => match arg(args, 0) {
            V::Unknown => V::Unknown,
            v => {
                let items = list(v, name)?;
                if items.iter().any(V::has_unknown) {
                    return Ok(V::Unknown);
                }
                let mut out = distinct(items);
                out.sort_by_cached_key(V::to_str);
                V::List(out)
            }
        },
        "tomap" | "map" => match arg(args, 0) {
            V::Map(_) | V::Unknown => arg(args, 0).clone(),
            V::Null => V::Null,
            other => {
                return Err(format!(
                    "tomap: expected an object, got {}",
                    other.type_name()
                ))
            }
        },
        "length" => match arg(args, 0) {
            V::List(l) => V::Num(l.len() as f64),
            V::Map(m) => V::Num(m.len() as f64),
            V::Str(s) if !s.contains(UNKNOWN_MARK) => V::Num(s.chars().count() as f64),
            V::Null => return Err("length: argument is null".into()),
            _ => V::Unknown,
        },
        "contains" => {
            if arg(args, 1).has_unknown() {
                return Ok(V::Unknown);
            }
            let l = list(arg(args, 0), name)?;
            if l.iter().any(|x| x == arg(args, 1)) {
                V::Bool(true)
            } else if l.iter().any(V::has_unknown) {
                V::Unknown
            } else {
                V::Bool(false)
            }
        }
        "element" => {
            let l = match arg(args, 0) {
                V::Unknown => return Ok(V::Unknown),
                v => list(v, name)?,
            };
            let Some(i) = arg(args, 1).as_num() else {
                return Ok(V::Unknown);
            };
            if l.is_empty() {
                return Err("element: empty list".into());
            }
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "index wraps as in Terraform"
            )]
            let idx = (i.max(0.0) as usize) % l.len();
            l[idx].clone()
        }
        "one" => match arg(args, 0) {
            V::Unknown => V::Unknown,
            v => {
                let l = list(v, name)?;
                match l.len() {
                    0 => V::Null,
                    1 => l[0].clone(),
                    _ => return Err("one: more than one element".into()),
                }
            }
        },
        "join" => {
            let sep = string(args, 0, name)?;
            let mut parts = Vec::new();
            for a in &args[1.min(args.len())..] {
                match a {
                    V::Unknown => return Ok(V::Unknown),
                    a => {
                        for x in list(a, name)? {
                            parts.push(x.to_str().ok_or("join: elements must be strings")?);
                        }
                    }
                }
            }
            let total = parts.iter().map(String::len).sum::<usize>()
                + sep.len().saturating_mul(parts.len().saturating_sub(1));
            if total > MAX_STRING {
                return Err("join: result too large to evaluate".into());
            }
            V::Str(parts.join(&sep))
        }
        "split" => {
            let sep = string(args, 0, name)?;
            let s = string(args, 1, name)?;
            if sep.is_empty() {
                return Err("split: empty separator".into());
            }
            if s.matches(sep.as_str()).count() >= MAX_COLLECTION {
                return Err("split: too many parts to evaluate".into());
            }
            V::List(
                s.split(sep.as_str())
                    .map(|x| V::Str(x.to_owned()))
                    .collect(),
            )
        }
        "replace" => {
            let s = string(args, 0, name)?;
            let from = string(args, 1, name)?;
            let to = string(args, 2, name)?;
            if from.contains(UNKNOWN_MARK) || to.contains(UNKNOWN_MARK) {
                return Ok(V::Unknown);
            }
            if from.len() > 2 && from.starts_with('/') && from.ends_with('/') {
                let re = regex::Regex::new(&from[1..from.len() - 1])
                    .map_err(|e| format!("replace: {e}"))?;
                let to = to.replace("$", "$$").replace("$${", "${");
                let matches = re.find_iter(&s).count();
                if s.len() + matches.saturating_mul(to.len() + 64) > MAX_STRING {
                    return Err("replace: result too large to evaluate".into());
                }
                V::Str(re.replace_all(&s, to.as_str()).into_owned())
            } else if from.is_empty() {
                V::Str(s)
            } else {
                let matches = s.matches(from.as_str()).count();
                if s.len() + matches.saturating_mul(to.len()) > MAX_STRING {
                    return Err("replace: result too large to evaluate".into());
                }
                V::Str(s.replace(&from, &to))
            }
        }
        "lower" => V::Str(string(args, 0, name)?.to_lowercase()),
        "upper" => V::Str(string(args, 0, name)?.to_uppercase()),
        "trimspace" => V::Str(string(args, 0, name)?.trim().to_owned()),
        "trimsuffix" => {
            let s = string(args, 0, name)?;
            let suf = string(args, 1, name)?;
            V::Str(s.strip_suffix(suf.as_str()).unwrap_or(&s).to_owned())
        }
        "trimprefix" => {
            let s = string(args, 0, name)?;
            let pre = string(args, 1, name)?;
            V::Str(s.strip_prefix(pre.as_str()).unwrap_or(&s).to_owned())
        }
        "trim" => {
            let s = string(args, 0, name)?;
            let chars = string(args, 1, name)?;
            V::Str(s.trim_matches(|c| chars.contains(c)).to_owned())
        }
        "startswith" => V::Bool(string(args, 0, name)?.starts_with(&string(args, 1, name)?)),
        "endswith" => V::Bool(string(args, 0, name)?.ends_with(&string(args, 1, name)?)),
        "strcontains" => V::Bool(string(args, 0, name)?.contains(&string(args, 1, name)?)),
        "substr" => {
            let s: Vec<char> = string(args, 0, name)?.chars().collect();
            let off = arg(args, 1).as_num().ok_or("substr: offset")?;
            let len = arg(args, 2).as_num().ok_or("substr: length")?;
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "clamped"
            )]
            let start = (off.max(0.0) as usize).min(s.len());
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "clamped"
            )]
            let end = if len < 0.0 {
                s.len()
            } else {
                (start + len as usize).min(s.len())
            };
            V::Str(s[start..end].iter().collect())
        }
        "keys" => match arg(args, 0) {
            V::Map(m) => V::List(m.keys().map(|k| V::Str(k.clone())).collect()),
            V::Unknown => V::Unknown,
            other => return Err(format!("keys: expected a map, got {}", other.type_name())),
        },
        "values" => match arg(args, 0) {
            V::Map(m) => V::List(m.values().cloned().collect()),
            V::Unknown => V::Unknown,
            other => return Err(format!("values: expected a map, got {}", other.type_name())),
        },
        "flatten" => {
            fn flat(v: &V, out: &mut Vec<V>) -> bool {
                match v {
                    V::List(l) => l.iter().all(|x| flat(x, out)),
                    V::Unknown => false,
                    other => {
                        out.push(other.clone());
                        true
                    }
                }
            }
            let mut out = Vec::new();
            if !flat(arg(args, 0), &mut out) {
                return Ok(V::Unknown);
            }
            V::List(out)
        }
        "distinct" => match arg(args, 0) {
            V::Unknown => V::Unknown,
            v => V::List(distinct(list(v, name)?)),
        },
        "compact" => match arg(args, 0) {
            V::Unknown => V::Unknown,
            v => V::List(
                list(v, name)?
                    .into_iter()
                    .filter(|x| !matches!(x, V::Null) && !matches!(x, V::Str(s) if s.is_empty()))
                    .collect(),
            ),
        },
        "reverse" => match arg(args, 0) {
            V::Unknown => V::Unknown,
            v => V::List(list(v, name)?.into_iter().rev().collect()),
        },
        "sort" => {
            let mut l: Vec<String> = list(arg(args, 0), name)?
                .iter()
                .filter_map(V::to_str)
                .collect();
            l.sort();
            V::List(l.into_iter().map(V::Str).collect())
        }
        "slice" => match arg(args, 0) {
            V::Unknown => V::Unknown,
            v => {
                let l = list(v, name)?;
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "clamped"
                )]
                let a =
                    (arg(args, 1).as_num().ok_or("slice: start")?.max(0.0) as usize).min(l.len());
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "clamped"
                )]
                let b = (arg(args, 2).as_num().ok_or("slice: end")?.max(0.0) as usize).min(l.len());
                V::List(l[a..b.max(a)].to_vec())
            }
        },
        "setunion" => {
            let mut all: Vec<V> = Vec::new();
            for a in args {
                if a.is_unknown() {
                    return Ok(V::Unknown);
                }
                all.extend(list(a, name)?);
                if all.len() > MAX_COLLECTION {
                    return Err("setunion: collection too large to evaluate".into());
                }
            }
            V::List(distinct(all))
        }
        "setintersection" | "setsubtract" => {
            let first = distinct(list(arg(args, 0), name)?);
            let mut others: Vec<HashSet<String>> = Vec::new();
            for a in &args[1.min(args.len())..] {
                others.push(list(a, name)?.iter().map(set_key).collect());
            }
            V::List(
                first
                    .into_iter()
                    .filter(|x| {
                        let k = set_key(x);
                        if name == "setintersection" {
                            others.iter().all(|o| o.contains(&k))
                        } else {
                            !others.iter().any(|o| o.contains(&k))
                        }
                    })
                    .collect(),
            )
        }
        "zipmap" => {
            let k = match arg(args, 0) {
                V::Unknown => return Ok(V::Unknown),
                v => list(v, name)?,
            };
            let v = match arg(args, 1) {
                V::Unknown => return Ok(V::Unknown),
                v => list(v, name)?,
            };
            let mut m = BTreeMap::new();
            for (kk, vv) in k.iter().zip(v) {
                let key = kk.to_str().ok_or("zipmap: keys must be strings")?;
                if key.contains(UNKNOWN_MARK) {
                    return Ok(V::Unknown);
                }
                m.insert(key, vv);
            }
            V::Map(m)
        }
        "range" => {
            let nums: Vec<f64> = args
                .iter()
                .map(|a| a.as_num().ok_or("range: numbers"))
                .collect::<Result<_, _>>()?;
            let (start, end, step) = match nums.as_slice() {
                [e] => (0.0, *e, 1.0),
                [s, e] => (*s, *e, if e >= s { 1.0 } else { -1.0 }),
                [s, e, st] => (*s, *e, *st),
                _ => return Err("range: 1 to 3 arguments".into()),
            };
            if step == 0.0 {
                return Err("range: step must not be zero".into());
            }
            let n = ((end - start) / step).ceil();
            if !(0.0..=MAX_COLLECTION as f64).contains(&n) {
                return Err("range: too many elements".into());
            }
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "bounded above"
            )]
            let n = n as usize;
            V::List((0..n).map(|i| V::Num(start + step * i as f64)).collect())
        }
        "max" | "min" => {
            let nums: Vec<f64> = args
                .iter()
                .map(|a| a.as_num().ok_or("max/min: numbers"))
                .collect::<Result<_, _>>()?;
            let f = if name == "max" { f64::max } else { f64::min };
            V::Num(nums.into_iter().reduce(f).ok_or("max/min: no arguments")?)
        }
        "abs" => V::Num(arg(args, 0).as_num().ok_or("abs: number")?.abs()),
        "ceil" => V::Num(arg(args, 0).as_num().ok_or("ceil: number")?.ceil()),
        "floor" => V::Num(arg(args, 0).as_num().ok_or("floor: number")?.floor()),
        "alltrue" => V::Bool(
            list(arg(args, 0), name)?
                .iter()
                .all(|x| x.as_bool() == Some(true)),
        ),
        "anytrue" => V::Bool(
            list(arg(args, 0), name)?
                .iter()
                .any(|x| x.as_bool() == Some(true)),
        ),
        "strrev" => V::Str(string(args, 0, name)?.chars().rev().collect()),
        "indent" => {
            let n = arg(args, 0).as_num().ok_or("indent: number of spaces")?;
            let s = string(args, 1, name)?;
            if !(0.0..=1024.0).contains(&n) {
                return Err("indent: number of spaces out of range".into());
            }
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "checked range"
            )]
            let pad = " ".repeat(n as usize);
            let lines = s.matches('\n').count();
            if s.len() + lines.saturating_mul(pad.len()) > MAX_STRING {
                return Err("indent: result too large to evaluate".into());
            }
            V::Str(s.replace('\n', &format!("\n{pad}")))
        }
        "abspath" | "dirname" | "basename" | "pathexpand" => {
            let p = string(args, 0, name)?;
            let path = Path::new(&p);
            V::Str(match name {
                "dirname" => path
                    .parent()
                    .map(|x| x.display().to_string())
                    .unwrap_or_default(),
                "basename" => path
                    .file_name()
                    .map(|x| x.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                _ => p,
            })
        }
        "can" | "try" | "templatefile" => {
            return Err(format!("{name} is handled by the evaluator"))
        }
        _ if reads_files(name) => return Err(format!("{name} is handled by the evaluator")),
        _ => V::Unknown,
    };
    check_size(r)
}

/// The printf-like `format`: `%s`, `%d`, `%v`, `%q`, `%%`, width/precision flags ignored.
fn format(args: &[V]) -> FnResult {
    let f = string(args, 0, "format")?;
    let mut out = String::new();
    let mut next = 1;
    let mut chars = f.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Skip flags, width and precision.
        while let Some(&d) = chars.peek() {
            if d.is_ascii_digit() || matches!(d, '.' | '-' | '+' | ' ' | '#') {
                chars.next();
            } else {
                break;
            }
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(verb) => {
                let a = arg(args, next);
                next += 1;
                let s = match (verb, a) {
                    ('q', v) => format!("\"{}\"", v.to_str().unwrap_or_default()),
                    ('d', V::Num(n)) => format!("{}", n.trunc()),
                    (_, V::Num(n)) => fmt_num(*n),
                    (_, v) => v
                        .to_str()
                        .unwrap_or_else(|| serde_json::to_string(&v.to_json()).unwrap_or_default()),
                };
                out.push_str(&s);
            }
            None => out.push('%'),
        }
    }
    Ok(V::Str(out))
}

fn s_len(v: &V) -> usize {
    match v {
        V::Str(s) => s.len(),
        _ => 0,
    }
}

/// The size of a value: string bytes plus one per element.
fn weight(v: &V) -> usize {
    match v {
        V::Str(s) => s.len(),
        V::List(l) => l.iter().map(weight).fold(l.len(), usize::saturating_add),
        V::Map(m) => m
            .iter()
            .map(|(k, x)| k.len().saturating_add(weight(x)))
            .fold(m.len(), usize::saturating_add),
        _ => 1,
    }
}

/// A key that is equal for values Terraform's sets treat as equal (`1` and `"1"` differ).
fn set_key(v: &V) -> String {
    serde_json::to_string(&v.to_json()).unwrap_or_default()
}

/// The elements of `items` without repeats, first occurrences in order (hash-based, so a
/// set of 100,000 elements costs 100,000 look-ups, not 10^10 comparisons).
fn distinct(items: Vec<V>) -> Vec<V> {
    let mut seen = HashSet::with_capacity(items.len());
    items
        .into_iter()
        .filter(|x| seen.insert(set_key(x)))
        .collect()
}

/// What the file functions may read, and where relative paths lead.
pub(crate) struct Files {
    /// Terraform's working directory: the root module's directory.
    pub(crate) base: PathBuf,
    pub(crate) module_dir: PathBuf,
    pub(crate) sandbox: Sandbox,
}

/// Why a file function gave no value.
pub(crate) enum FileError {
    /// The file is not read (outside the tree, not a regular file, too large): unknown,
    /// with a note.
    Refused(String),
    /// The call itself is wrong (not a string): an evaluation error.
    Invalid(String),
}

/// The functions that read files (`templatefile` aside, which also needs the evaluator).
pub(crate) fn reads_files(name: &str) -> bool {
    matches!(
        name,
        "file"
            | "fileexists"
            | "filebase64"
            | "filemd5"
            | "filesha1"
            | "filesha256"
            | "filesha512"
            | "filebase64sha256"
            | "filebase64sha512"
            | "fileset"
    )
}

/// Evaluates a file function through the sandbox.
pub(crate) fn file_function(name: &str, args: &[V], files: &Files) -> Result<V, FileError> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let p = string(args, 0, name).map_err(FileError::Invalid)?;
    if p.contains(UNKNOWN_MARK) {
        return Ok(V::Unknown);
    }
    let read = || {
        files
            .sandbox
            .read(&files.base, &files.module_dir, &p)
            .map_err(FileError::Refused)
    };
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(match name {
        "file" => V::Str(read()?),
        "fileexists" => V::Bool(
            files
                .sandbox
                .exists(&files.base, &files.module_dir, &p)
                .map_err(FileError::Refused)?,
        ),
        "filebase64" => V::Str(b64(read()?.as_bytes())),
        "filemd5" => V::Str(hex::encode(md5::Md5::digest(read()?.as_bytes()))),
        "filesha256" => V::Str(hex::encode(sha2::Sha256::digest(read()?.as_bytes()))),
        "filesha512" => V::Str(hex::encode(sha2::Sha512::digest(read()?.as_bytes()))),
        "filebase64sha256" => V::Str(b64(&sha2::Sha256::digest(read()?.as_bytes()))),
        "filebase64sha512" => V::Str(b64(&sha2::Sha512::digest(read()?.as_bytes()))),
        // `fileset` (directory globbing) and `filesha1` are not modelled.
        _ => V::Unknown,
    })
}

/// `path` relative to `base`, lexically (`modules/x`, `../shared`, `.`); `None` when one
/// is absolute and the other is not, or `base` climbs out of what is known.
pub(crate) fn relative_to(path: &Path, base: &Path) -> Option<String> {
    use std::path::Component;
    if path.is_absolute() != base.is_absolute() {
        return None;
    }
    let comps = |p: &Path| -> Vec<std::ffi::OsString> {
        super::modules::normalize(p)
            .components()
            .filter(|c| !matches!(c, Component::CurDir))
            .map(|c| c.as_os_str().to_os_string())
            .collect()
    };
    let (p, b) = (comps(path), comps(base));
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if b[common..].iter().any(|c| c == "..") {
        return None;
    }
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    Some(if out.as_os_str().is_empty() {
        ".".into()
    } else {
        out.display().to_string()
    })
}
