//! Front-end snapshots: the normalized model of each `fixtures/frontend/terraform/<case>/`
//! (variables, functions, count/for_each, dynamic blocks, modules, links), so that a model
//! regression shows here before it becomes a confusing rule diff.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on broken fixtures"
)]

use std::fmt::Write as _;
use std::path::Path;
use trailcheck::check::{analyze, Options};
use trailcheck::model::{Model, Value};

fn show<T: std::fmt::Debug>(v: &Value<T>) -> String {
    match v {
        Value::Known(x, _) => format!("{x:?}"),
        Value::Defaulted(x) => format!("{x:?} (default)"),
        Value::Unknown(u) => match &u.partial {
            Some(p) => format!("unknown `{}` ({p:?})", u.expr),
            None => format!("unknown `{}`", u.expr),
        },
    }
}

fn opt<T: std::fmt::Debug>(v: Option<&Value<T>>) -> String {
    v.map_or_else(|| "absent".to_owned(), show)
}

fn render(m: &Model) -> String {
    let mut s = String::new();
    let mut trails: Vec<_> = m.trails.iter().collect();
    trails.sort_by(|a, b| a.origin.address.cmp(&b.origin.address));
    for t in trails {
        let _ = writeln!(
            s,
            "{}{}:",
            t.origin.address,
            if t.origin.conditional {
                " (conditional)"
            } else {
                ""
            }
        );
        let _ = writeln!(s, "  region: {}", show(&t.region));
        let _ = writeln!(s, "  name: {}", show(&t.name));
        let _ = writeln!(s, "  s3_bucket_name: {}", show(&t.s3_bucket_name));
        let _ = writeln!(s, "  s3_key_prefix: {}", opt(t.s3_key_prefix.as_ref()));
        let _ = writeln!(s, "  multi_region: {}", show(&t.is_multi_region_trail));
        let _ = writeln!(
            s,
            "  log_file_validation: {}",
            show(&t.enable_log_file_validation)
        );
        let _ = writeln!(s, "  kms_key_id: {}", opt(t.kms_key_id.as_ref()));
        if !t.tags.is_empty() {
            let _ = writeln!(s, "  tags: {:?}", t.tags);
        }
        for (i, sel) in t.event_selectors.iter().enumerate() {
            let values: Vec<String> = sel.data_resources.iter().map(|d| show(&d.values)).collect();
            let _ = writeln!(
                s,
                "  event_selector[{i}]: {} data={values:?}",
                show(&sel.read_write_type)
            );
        }
        if t.selectors_unknown {
            let _ = writeln!(s, "  selectors: unknown (dynamic)");
        }
        let link = |name: &str, idx: Option<usize>, addr: &dyn Fn(usize) -> String| {
            idx.map(|i| format!("  {name} -> {}\n", addr(i)))
                .unwrap_or_default()
        };
        s.push_str(&link("bucket", t.bucket, &|i| {
            m.buckets[i].origin.address.clone()
        }));
        s.push_str(&link("kms_key", t.kms_key, &|i| {
            m.kms_keys[i].origin.address.clone()
        }));
        s.push_str(&link("log_group", t.log_group, &|i| {
            m.log_groups[i].origin.address.clone()
        }));
        s.push_str(&link("role", t.role, &|i| {
            m.roles[i].origin.address.clone()
        }));
        s.push_str(&link("topic", t.topic, &|i| {
            m.topics[i].origin.address.clone()
        }));
    }
    for b in &m.buckets {
        let _ = writeln!(
            s,
            "{}: name={} versioning={} public_access_block={} policies={}",
            b.origin.address,
            show(&b.name),
            opt(b.versioning.as_ref()),
            b.public_access_block.is_some(),
            b.policies.len()
        );
    }
    for e in &m.input_errors {
        let _ = writeln!(s, "input error: {}", e.message);
    }
    s
}

#[test]
fn terraform_front_end_models() {
    let root = Path::new("fixtures/frontend/terraform");
    let mut cases: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 7);
    for case in cases {
        let a = analyze(std::slice::from_ref(&case), &Options::default()).unwrap();
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(format!("terraform_{name}"), render(&a.model));
    }
}
