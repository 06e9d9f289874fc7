//! Hostile inputs (`fixtures/garbage/`, expectations in its README): every file gives
//! exactly one `parse-error` with a location, or parses cleanly, and never panics; a run
//! over all of them together still checks the valid ones.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on broken fixtures"
)]

use std::path::{Path, PathBuf};
use trailcheck::check::{analyze, Options};
use trailcheck::frontend::TfOptions;

/// (file, expects parse-error, expected trails) from the README table.
fn expectations() -> Vec<(String, bool, Option<usize>)> {
    let readme = std::fs::read_to_string("fixtures/garbage/README.md").unwrap();
    readme
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cols: Vec<&str> = l.split('|').map(str::trim).collect();
            let file = cols[1].trim_matches('`').to_owned();
            let expected = cols[3];
            let trails = if expected.contains("one trail") {
                Some(1)
            } else if expected.contains("no resources") {
                Some(0)
            } else {
                None
            };
            (file, expected.starts_with("parse-error"), trails)
        })
        .collect()
}

#[test]
fn each_hostile_file_gives_one_located_parse_error_or_parses() {
    let dir = Path::new("fixtures/garbage");
    let cases = expectations();
    assert!(cases.len() >= 25, "README table has {} rows", cases.len());
    let mut problems = Vec::new();
    for (file, want_error, trails) in &cases {
        let path = dir.join(file);
        let opts = if file.ends_with(".tfvars") {
            Options {
                terraform: TfOptions {
                    var_files: vec![path.clone()],
                    ..TfOptions::default()
                },
                exact_files: true,
                ..Options::default()
            }
        } else {
            Options {
                exact_files: true,
                ..Options::default()
            }
        };
        let inputs: Vec<PathBuf> = if file.ends_with(".tfvars") {
            vec![dir.join("empty.tf")]
        } else {
            vec![path.clone()]
        };
        let a = analyze(&inputs, &opts).unwrap();
        let errors: Vec<_> = a
            .findings
            .iter()
            .filter(|f| f.rule.name == "parse-error")
            .collect();
        match (want_error, errors.len()) {
            (true, 1) => {
                let f = errors[0];
                let src = a.sources.get(f.primary.source).unwrap();
                if src.path != path {
                    problems.push(format!(
                        "{file}: parse-error points at {}",
                        src.path.display()
                    ));
                }
                if f.message.is_empty() {
                    problems.push(format!("{file}: parse-error without a reason"));
                }
            }
            (false, 0) => {}
            (_, n) => problems.push(format!(
                "{file}: expected {} parse-error, got {n}",
                u8::from(*want_error)
            )),
        }
        if let Some(n) = trails {
            if a.model.trails.len() != *n {
                problems.push(format!(
                    "{file}: expected {n} trails, got {}",
                    a.model.trails.len()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_broken_file_does_not_hide_the_others() {
    let dir = Path::new("fixtures/garbage");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .collect();
    files.sort();
    let a = analyze(
        &files,
        &Options {
            exact_files: true,
            ..Options::default()
        },
    )
    .unwrap();
    let valid_trails = expectations()
        .iter()
        .filter(|(_, _, t)| *t == Some(1))
        .count();
    assert!(
        a.model.trails.len() >= valid_trails,
        "only {} trails survived",
        a.model.trails.len()
    );
    assert!(
        a.findings
            .iter()
            .filter(|f| f.rule.name == "parse-error")
            .count()
            >= 18
    );
}

/// A deterministic stand-in for the `hcl` fuzz target that runs on stable in every
/// `cargo test`: every prefix of real fixtures, and random byte mutations of them, must
/// evaluate without panicking.
#[test]
fn truncated_and_mutated_terraform_never_panics() {
    use trailcheck::frontend::terraform::load_text;
    use trailcheck::frontend::TfOptions;
    let inputs = [
        std::fs::read_to_string("fixtures/frontend/terraform/functions/main.tf").unwrap(),
        std::fs::read_to_string("fixtures/frontend/terraform/dynamic_blocks/main.tf").unwrap(),
        std::fs::read_to_string("fixtures/examples/terraform/modules/audit-trail/main.tf").unwrap(),
    ];
    let opts = TfOptions::default();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let specials = b"{}[]()=\"$%~<>!?:,.*\n\t #/\\";
    for text in &inputs {
        for end in (0..text.len())
            .filter(|&i| text.is_char_boundary(i))
            .step_by(17)
        {
            let _ = load_text(&text[..end], &opts);
        }
        for _ in 0..120 {
            let mut bytes = text.as_bytes().to_vec();
            for _ in 0..4 {
                let at = usize::try_from(next() % bytes.len() as u64).unwrap();
                let c = specials[usize::try_from(next() % specials.len() as u64).unwrap()];
                bytes[at] = c;
            }
            if let Ok(s) = String::from_utf8(bytes) {
                let _ = load_text(&s, &opts);
            }
        }
    }
}

/// Inputs the fuzz targets once crashed on (fixtures/fuzz-regressions/<target>/).
#[test]
fn fuzz_regressions_stay_fixed() {
    use trailcheck::frontend::{CfnOptions, TfOptions};
    let root = Path::new("fixtures/fuzz-regressions");
    let mut n = 0;
    for target in std::fs::read_dir(root)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
    {
        for input in std::fs::read_dir(target.path())
            .unwrap()
            .filter_map(Result::ok)
        {
            let bytes = std::fs::read(input.path()).unwrap();
            let Ok(text) = std::str::from_utf8(&bytes) else {
                continue;
            };
            match target.file_name().to_string_lossy().as_ref() {
                "hcl" => {
                    let _ = trailcheck::frontend::terraform::load_text(text, &TfOptions::default());
                }
                "cfn_template" | "plan_json" => {
                    let _ = trailcheck::frontend::cloudformation::load_text(
                        text,
                        &CfnOptions::default(),
                    );
                }
                // Slow, not crashing: run by the binary under a short parse budget in
                // tests/hostile.rs (in-process it would wait out the full budget).
                "slow" => {}
                other => panic!("no entry point for fuzz target {other}"),
            }
            n += 1;
        }
    }
    assert!(n >= 1);
}
