//! Criterion benchmarks of the lint pipeline: HCL parse + evaluation, CloudFormation
//! parsing, selector evaluation, the simulation, and `check` end to end on the real-world
//! corpus (when `../shared/corpus` or `$TRAILCHECK_CORPUS` is there).
//!
//! Run: `cargo bench --bench pipeline`. Results and the corpus benchmark are in
//! docs/performance.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmarks fail loudly"
)]

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::path::PathBuf;
use trailcheck::check::{analyze, Options};
use trailcheck::frontend::{CfnOptions, TfOptions};
use trailcheck::simulate::{self, classes, selectors};

fn hcl(c: &mut Criterion) {
    let text =
        std::fs::read_to_string("fixtures/examples/terraform/modules/audit-trail/main.tf").unwrap();
    c.bench_function("hcl/parse+evaluate audit-trail module", |b| {
        b.iter(|| {
            trailcheck::frontend::terraform::load_text(black_box(&text), &TfOptions::default())
        });
    });
}

fn cloudformation(c: &mut Criterion) {
    let text = std::fs::read_to_string("fixtures/frontend/cloudformation/intrinsics.yaml").unwrap();
    c.bench_function("cloudformation/parse+evaluate intrinsics.yaml", |b| {
        b.iter(|| {
            trailcheck::frontend::cloudformation::load_text(
                black_box(&text),
                &CfnOptions::default(),
            )
        });
    });
}

fn selectors_and_simulation(c: &mut Criterion) {
    let a = analyze(
        &[PathBuf::from("fixtures/rules/s3-data-events-not-logged")],
        &Options::default(),
    )
    .unwrap();
    let all = classes::all();
    c.bench_function("selectors/every trail x every class", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for t in &a.model.trails {
                for class in &all {
                    if selectors::basic(&t.event_selectors, class).any()
                        || selectors::advanced(&t.advanced_event_selectors, class).any()
                    {
                        n += 1;
                    }
                }
            }
            black_box(n)
        });
    });
    c.bench_function("simulation/run + cost on examples", |b| {
        let ex = analyze(&[PathBuf::from("fixtures/examples")], &Options::default()).unwrap();
        b.iter(|| {
            let sim = simulate::run(
                &ex.model,
                &ex.sources,
                simulate::Context::new(None, &ex.model),
            );
            black_box(simulate::cost::compute(&sim, &ex.model, &ex.profile))
        });
    });
}

fn check_realworld(c: &mut Criterion) {
    let corpus = PathBuf::from(
        std::env::var("TRAILCHECK_CORPUS").unwrap_or_else(|_| "../shared/corpus".into()),
    )
    .join("realworld");
    if !corpus.is_dir() {
        eprintln!(
            "corpus not found at {}: skipping the end-to-end benchmark",
            corpus.display()
        );
        return;
    }
    let mut g = c.benchmark_group("check");
    g.sample_size(20);
    g.bench_function("realworld corpus (246 .tf + 55 templates)", |b| {
        b.iter(|| {
            black_box(
                analyze(std::slice::from_ref(&corpus), &Options::default())
                    .unwrap()
                    .findings
                    .len(),
            )
        });
    });
    g.finish();
}

criterion_group!(
    benches,
    hcl,
    cloudformation,
    selectors_and_simulation,
    check_realworld
);
criterion_main!(benches);
