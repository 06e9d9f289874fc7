//! Hostile Terraform for the evaluator, through the binary: templates that include
//! themselves, nesting that would overflow the stack, a few bytes that ask for billions of
//! values, `file()` of secrets, devices and FIFOs, invalid `count`, `path.module` from
//! another working directory, repeated object keys. The binary must finish (the timeout
//! guards against hangs; it is not a performance assertion), never crash, report each
//! problem as a located finding, and still check the good trail beside it.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use assert_cmd::Command;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::time::Duration;

const GOOD: &str = r#"
provider "aws" {
  region = "us-east-1"
}
resource "aws_cloudtrail" "good" {
  name           = "good"
  s3_bucket_name = "logs"
}
"#;

fn write(dir: &Path, name: &str, body: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

struct Run {
    findings: Vec<Json>,
    stdout: String,
}

impl Run {
    fn located(&self, file: &str, rule: &str, needle: &str) -> bool {
        self.findings.iter().any(|f| {
            f["rule"] == rule
                && f["file"].as_str().unwrap_or("").ends_with(file)
                && f["line"].as_u64().is_some()
                && f["message"].as_str().unwrap_or("").contains(needle)
        })
    }

    fn has(&self, file: &str, rule: &str) -> bool {
        self.located(file, rule, "")
    }
}

fn check_in(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::cargo_bin("trailcheck").unwrap();
    cmd.current_dir(cwd)
        .args(["check", "--format", "json", "--fail-on", "critical"])
        .args(args)
        .timeout(Duration::from_secs(120));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "exit {code:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let json: Json = serde_json::from_str(&stdout).unwrap();
    Run {
        findings: json["findings"].as_array().unwrap().clone(),
        stdout,
    }
}

fn check(root: &Path) -> Run {
    check_in(root, &["."], &[])
}

fn trail(name: &str, attrs: &str) -> String {
    format!(
        "resource \"aws_cloudtrail\" \"{name}\" {{\n  name = \"{name}\"\n  s3_bucket_name = \"logs\"\n{attrs}\n}}\n"
    )
}

#[test]
fn templates_that_include_themselves_are_located_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "good/main.tf", GOOD);
    for (dir, first) in [("self", "t"), ("mutual", "a"), ("chain", "c0")] {
        write(
            root,
            &format!("{dir}/main.tf"),
            &trail(
                "t",
                &format!("  cloud_watch_logs_role_arn = templatefile(\"{first}.tftpl\", {{}})"),
            ),
        );
    }
    write(root, "self/t.tftpl", "x${templatefile(\"t.tftpl\", {})}");
    write(root, "mutual/a.tftpl", "${templatefile(\"b.tftpl\", {})}");
    write(root, "mutual/b.tftpl", "${templatefile(\"a.tftpl\", {})}");
    // A chain longer than the inclusion limit, without a cycle; relative paths resolve
    // against the root module, also inside templates.
    for i in 0..50 {
        write(
            root,
            &format!("chain/c{i}.tftpl"),
            &format!("${{templatefile(\"c{}.tftpl\", {{}})}}", i + 1),
        );
    }
    write(root, "chain/c50.tftpl", "end");
    let run = check(root);
    assert!(
        run.has("good/main.tf", "trail-single-region"),
        "good trail lost"
    );
    assert!(run.located("self/main.tf", "unresolved-value", "includes itself"));
    assert!(run.located("mutual/main.tf", "unresolved-value", "includes itself"));
    assert!(run.located("chain/main.tf", "unresolved-value", "levels deep"));
}

#[test]
fn deep_nesting_never_overflows_the_stack() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "good/main.tf", GOOD);
    let n = 100_000;
    let cases = [
        ("parens", format!("{}1{}", "(".repeat(n), ")".repeat(n))),
        ("brackets", format!("{}1{}", "[".repeat(n), "]".repeat(n))),
        ("objects", format!("{}1{}", "{a=".repeat(n), "}".repeat(n))),
        ("calls", format!("{}1{}", "abs(".repeat(n), ")".repeat(n))),
        ("unary", format!("{}1", "-".repeat(n))),
        ("sum", vec!["1"; n].join("+")),
        ("attrs", format!("local.x{}", ".a".repeat(n))),
        (
            "template",
            format!("\"{}{}\"", "${\"".repeat(n / 4), "\"}".repeat(n / 4)),
        ),
        (
            "cond",
            format!("{}1{}", "true ? ".repeat(n / 4), " : 0".repeat(n / 4)),
        ),
    ];
    for (name, expr) in &cases {
        write(
            root,
            &format!("{name}/main.tf"),
            &format!("locals {{\n  x = {expr}\n}}\n{}", trail("t", "")),
        );
    }
    // Blocks in blocks.
    let blocks = format!("{}{}", "b {\n".repeat(20_000), "}\n".repeat(20_000));
    write(root, "blocks/main.tf", &blocks);
    // References that chain through 20,000 locals.
    let mut chain = String::from("locals {\n  l0 = 1\n");
    for i in 1..20_000 {
        chain.push_str(&format!("  l{i} = local.l{} + 1\n", i - 1));
    }
    chain.push_str("}\n");
    chain.push_str(&trail("t", "  cloud_watch_logs_role_arn = local.l19999"));
    write(root, "locals/main.tf", &chain);
    let run = check(root);
    assert!(
        run.has("good/main.tf", "trail-single-region"),
        "good trail lost"
    );
    for (name, _) in &cases {
        let file = format!("{name}/main.tf");
        assert!(
            run.has(&file, "parse-error")
                || run.has(&file, "unresolved-value")
                || run.has(&file, "trail-single-region"),
            "{name}: nothing reported"
        );
    }
    assert!(run.has("blocks/main.tf", "parse-error"));
    assert!(run.located("locals/main.tf", "unresolved-value", "levels deep"));
}

#[test]
fn small_files_cannot_ask_for_unbounded_work() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "good/main.tf", GOOD);
    let cases = [
        ("nested_for", "[for i in range(100000) : [for j in range(100000) : j]]"),
        ("nested_map", "{for i in range(100000) : i => [for j in range(100000) : \"${i}-${j}\"]}"),
        ("grouping", "{for i in range(100000) : i % 7 => [for j in range(100000) : j]...}"),
        ("toset", "length(toset(range(100000)))"),
        ("distinct", "length(distinct(concat(range(100000), range(100000))))"),
        ("setunion", "length(setunion(range(100000), range(50000, 150000)))"),
        ("join", "join(join(\"\", [for i in range(1000) : \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"]), range(100000))"),
        ("replace", "replace(join(\"\", [for i in range(100000) : \"a\"]), \"a\", join(\"\", [for i in range(100000) : \"b\"]))"),
        ("formatlist", "formatlist(join(\"\", [for i in range(10000) : \"%s\"]), range(100000))"),
        ("splat", "[for i in range(100000) : {a = range(100)}][*].a"),
        ("copies", "[for i in range(100000) : local.big]"),
        ("jsonencode", "jsonencode([for i in range(100000) : local.big])"),
        ("flatten", "flatten([for i in range(1000) : [for j in range(1000) : [j, j]]])"),
        ("zipmap", "zipmap([for i in range(100000) : tostring(i)], [for i in range(100000) : local.big])"),
        ("merge", "merge([for i in range(10000) : {for j in range(1000) : \"${i}-${j}\" => j}]...)"),
    ];
    for (name, expr) in cases {
        write(
            root,
            &format!("{name}/main.tf"),
            &format!(
                "locals {{\n  big = range(100000)\n  x = {expr}\n}}\n{}",
                trail("t", "  cloud_watch_logs_role_arn = local.x")
            ),
        );
    }
    let run = check(root);
    assert!(
        run.has("good/main.tf", "trail-single-region"),
        "good trail lost"
    );
    for (name, _) in cases {
        // Either evaluated within budget or stopped with a located finding; the trail of
        // each file is still checked.
        assert!(
            run.has(&format!("{name}/main.tf"), "trail-single-region"),
            "{name}: trail lost"
        );
    }
    assert!(run.located("nested_for/main.tf", "unresolved-value", "budget"));
}

#[cfg(unix)]
#[test]
fn file_functions_read_only_regular_files_inside_the_checked_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    let root = tmp.path().join("tree");
    write(&outside, "secret.txt", "TOPSECRET-outside-value");
    write(&root, "good/main.tf", GOOD);
    std::os::unix::fs::symlink(outside.join("secret.txt"), root.join("link.txt")).unwrap();
    std::os::unix::net::UnixListener::bind(root.join("sock")).ok();
    let fifo = root.join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let calls = [
        (
            "environ",
            "replace(file(\"/proc/self/environ\"), \"\\u0000\", \" \")",
        ),
        ("zero", "file(\"/dev/zero\")"),
        ("dotdot", "file(\"../../outside/secret.txt\")"),
        (
            "absolute",
            &format!("file(\"{}\")", outside.join("secret.txt").display()),
        ),
        ("symlink", "file(\"../link.txt\")"),
        ("fifo", "file(\"../pipe\")"),
        ("dir", "file(\"..\")"),
        ("tpl", "templatefile(\"/proc/self/environ\", {})"),
        ("b64", "filebase64(\"/proc/self/environ\")"),
        ("exists", "tostring(fileexists(\"/proc/self/environ\"))"),
        // Inside the tree, but hidden: where CI keeps tokens (.npmrc, .git/config).
        ("hidden", "file(\"../.npmrc\")"),
        ("hidden_dir", "templatefile(\"../.git/config\", {})"),
    ];
    write(
        &root,
        ".npmrc",
        "//registry/:_authToken=TOPSECRET-npm-token",
    );
    write(
        &root,
        ".git/config",
        "[remote]\n\turl = https://TOPSECRET-git@host/x\n",
    );
    for (name, call) in &calls {
        write(
            &root,
            &format!("{name}/main.tf"),
            &format!(
                "provider \"aws\" {{\n  region = {call}\n}}\n{}",
                trail("t", "")
            ),
        );
    }
    // A file inside the tree with a long, control-character-laden value.
    write(
        &root,
        "inside/value.txt",
        &format!("line1\nline2\u{1b}[31m{}", "v".repeat(5000)),
    );
    write(
        &root,
        "inside/main.tf",
        &format!(
            "provider \"aws\" {{\n  region = file(\"value.txt\")\n}}\n{}",
            trail("t", "")
        ),
    );
    let run = check_in(
        &root,
        &["."],
        &[("TRAILCHECK_TEST_SECRET", "TOPSECRET-env-value")],
    );
    assert!(
        run.has("good/main.tf", "trail-single-region"),
        "good trail lost"
    );
    assert!(
        !run.stdout.contains("TOPSECRET"),
        "a secret reached the report"
    );
    for (name, _) in &calls {
        if *name == "fifo" && !made {
            continue;
        }
        assert!(
            run.located(
                &format!("{name}/main.tf"),
                "unresolved-value",
                "not evaluated"
            ),
            "{name}: no located finding"
        );
    }
    assert!(run.located("fifo/main.tf", "unresolved-value", "regular file") || !made);
    assert!(run.located(
        "environ/main.tf",
        "unresolved-value",
        "outside the checked tree"
    ));
    // The value read inside the tree is shown only as a short, escaped excerpt.
    assert!(
        !run.stdout.contains(&"v".repeat(500)),
        "a long value reached a message"
    );
    assert!(
        !run.stdout.contains('\u{1b}'),
        "a control character reached a message"
    );
    // The GitHub format is what printed the environment before.
    let out = Command::cargo_bin("trailcheck")
        .unwrap()
        .current_dir(&root)
        .env("TRAILCHECK_TEST_SECRET", "TOPSECRET-env-value")
        .args(["check", "--format", "github", "."])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("TOPSECRET"));
}

#[test]
fn invalid_or_huge_count_is_reported_not_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(
        root,
        "huge/main.tf",
        &format!(
            "provider \"aws\" {{\n  region = \"us-east-1\"\n}}\n{}",
            trail("t", "  count = 100001")
        ),
    );
    for (name, count) in [
        ("negative", "-1"),
        ("fraction", "2.5"),
        ("text", "\"many\""),
        ("null", "null"),
        ("list", "[1]"),
    ] {
        write(
            root,
            &format!("{name}/main.tf"),
            &trail("t", &format!("  count = {count}")),
        );
    }
    write(root, "foreach/main.tf", &trail("t", "  for_each = 3"));
    write(
        root,
        "foreach_huge/main.tf",
        &trail(
            "t",
            "  for_each = toset([for i in range(5000) : tostring(i)])",
        ),
    );
    let run = check(root);
    assert!(
        run.has("huge/main.tf", "trails-per-region-quota"),
        "quota lost"
    );
    assert!(run.located("huge/main.tf", "unresolved-value", "100001"));
    for name in ["negative", "fraction", "text", "null", "list", "foreach"] {
        assert!(
            run.has(&format!("{name}/main.tf"), "parse-error"),
            "{name}: not reported"
        );
        // The block is still checked, as one instance of unknown count.
        assert!(
            run.has(&format!("{name}/main.tf"), "trail-single-region"),
            "{name}: resource dropped"
        );
    }
    assert!(run.located("negative/main.tf", "parse-error", "negative"));
    assert!(run.located("foreach_huge/main.tf", "unresolved-value", "5000"));
}

#[test]
fn path_module_gives_the_same_results_from_any_working_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    write(
        &root,
        "live/main.tf",
        "module \"m\" {\n  source = \"../modules/m\"\n}\n",
    );
    write(&root, "modules/m/flag.json", "{\"multi\": true}");
    write(
        &root,
        "modules/m/main.tf",
        &trail(
            "t",
            "  is_multi_region_trail = jsondecode(file(\"${path.module}/flag.json\")).multi\n  enable_log_file_validation = fileexists(\"${path.root}/../modules/m/flag.json\")",
        ),
    );
    let from: [(PathBuf, &str); 3] = [
        (root.clone(), "live"),
        (root.join("live"), "."),
        (tmp.path().to_path_buf(), "repo/live"),
    ];
    for (cwd, arg) in &from {
        let run = check_in(cwd, &[arg], &[]);
        assert!(
            !run.has("main.tf", "trail-single-region"),
            "from {}: path.module not resolved",
            cwd.display()
        );
        assert!(!run.has("main.tf", "log-file-validation-disabled"));
        // (The log bucket is not declared in this fixture: that note is expected.)
        assert!(
            !run.findings.iter().any(|f| f["rule"] == "unresolved-value"
                && !f["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("is not declared")),
            "{:?}",
            run.findings
        );
    }
}

#[test]
fn repeated_object_keys_are_valid_and_the_last_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(
        root,
        "main.tf",
        &format!(
            "locals {{\n  o = {{ a = false, b = 1, a = true }}\n  q = {{ \"k\" = false, \"k\" = true }}\n}}\n{}",
            trail(
                "t",
                "  is_multi_region_trail = local.o.a\n  enable_log_file_validation = local.q.k"
            )
        ),
    );
    let run = check(root);
    assert!(!run.has("main.tf", "parse-error"), "{:?}", run.findings);
    assert!(!run.has("main.tf", "trail-single-region"));
    assert!(!run.has("main.tf", "log-file-validation-disabled"));
}

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(
        std::env::var("TRAILCHECK_CORPUS").unwrap_or_else(|_| "../shared/corpus".into()),
    );
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("TRAILCHECK_REQUIRE_CORPUS").as_deref() != Ok("1"),
        "corpus not found at {} but TRAILCHECK_REQUIRE_CORPUS=1",
        dir.display()
    );
    eprintln!(
        "NOTICE: corpus not found at {}; corpus parse test skipped (set TRAILCHECK_CORPUS)",
        dir.display()
    );
    None
}

#[test]
fn every_corpus_tf_file_parses_without_a_parse_error() {
    let Some(dir) = corpus() else { return };
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "tf") {
                files.push(p);
            }
        }
    }
    assert!(!files.is_empty(), "no .tf file in the corpus");
    let mut failures = Vec::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let model = trailcheck::frontend::terraform::load_text(
            &text,
            &trailcheck::frontend::TfOptions::default(),
        );
        for e in model.input_errors {
            failures.push(format!("{}: {}", f.display(), e.message));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A stable stand-in for the `tf_eval` fuzz target: the same wrapping, a few hostile
/// seeds, the tiny budget.
#[test]
fn tiny_budget_evaluation_survives_hostile_expressions() {
    let seeds = [
        "[for i in range(100000) : [for j in range(100000) : j]]",
        "templatefile(\"/proc/self/environ\", {})",
        "file(\"/dev/zero\")",
        "{ a = 1, a = 2, a = local.x }",
        "local.x",
        "try(local.x, can(local.x))",
        "formatlist(\"%s%s%s\", range(100000), range(100000), range(100000))",
        "-1",
        "2.5",
        "toset(range(100000))",
    ];
    for s in seeds {
        let wrapped = format!(
            "locals {{\n  x = {s}\n}}\nresource \"aws_cloudtrail\" \"t\" {{\n  count = length(local.x)\n  name = local.x\n  s3_bucket_name = \"${{local.x}}\"\n}}\nresource \"aws_cloudtrail\" \"e\" {{\n  for_each = local.x\n  name = each.value\n  s3_bucket_name = templatefile(local.x, {{}})\n}}\n"
        );
        let _ = trailcheck::frontend::terraform::load_text_tiny_budget(
            &wrapped,
            &trailcheck::frontend::TfOptions::default(),
        );
    }
}
