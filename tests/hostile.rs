//! Hostile inputs generated at test time (too big or too odd to commit): a 50 MB single
//! line, a symlink loop, a dangling symlink, a directory named `main.tf`, huge numbers,
//! exponential templates, a `for` over a huge range, a module that calls itself, an alias
//! bomb and 10,000-deep YAML. The binary must finish (a generous timeout guards against
//! hangs, it is not a performance assertion), never panic (exit 101), report each broken
//! file as a located `parse-error`, and still check the good file beside them.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use assert_cmd::Command;
use std::fmt::Write as _;
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

fn write(dir: &std::path::Path, name: &str, body: &[u8]) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

#[test]
fn hostile_tree_is_checked_without_panic_hang_or_lost_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "good/main.tf", GOOD.as_bytes());
    // 50 MB on one line: over the per-file limit, reported instead of parsed.
    let mut big = String::from("locals { x = \"");
    big.push_str(&"a".repeat(50 * 1024 * 1024));
    big.push_str("\" }\n");
    write(root, "big/main.tf", big.as_bytes());
    // Numbers beyond f64, and arithmetic on them.
    write(root, "numbers/main.tf", b"locals {\n  a = 1e400\n  b = -1e400 * 1e400\n  c = 99999999999999999999999999999999999999 % 0\n}\nresource \"aws_cloudtrail\" \"n\" {\n  name = local.a\n  s3_bucket_name = \"x\"\n}\n");
    // Templates that would double in size 64 times, and a huge range.
    let mut doubling = String::from("locals {\n  s0 = \"ab\"\n");
    for i in 1..64 {
        let _ = writeln!(
            doubling,
            "  s{i} = \"${{local.s{}}}${{local.s{}}}\"",
            i - 1,
            i - 1
        );
    }
    doubling.push_str("  r = range(100000000)\n  f = [for i in range(1000000000) : i]\n}\nresource \"aws_cloudtrail\" \"d\" {\n  name = local.s63\n  s3_bucket_name = \"x\"\n}\n");
    write(root, "doubling/main.tf", doubling.as_bytes());
    // A module that calls itself.
    write(root, "recursive/main.tf", b"module \"me\" {\n  source = \"./\"\n}\nresource \"aws_cloudtrail\" \"r\" {\n  name = \"r\"\n  s3_bucket_name = \"x\"\n}\n");
    // A directory named like a file.
    std::fs::create_dir_all(root.join("odd/main.tf")).unwrap();
    // Links: a loop, a dangling one.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root.join("loop"), root.join("loop/inner")).ok();
        std::fs::create_dir_all(root.join("loop")).unwrap();
        std::os::unix::fs::symlink(root, root.join("loop/back")).unwrap();
        std::os::unix::fs::symlink(root.join("nowhere.tf"), root.join("good/dangling.tf")).unwrap();
    }
    // YAML: an alias bomb and 10,000-deep nesting in templates.
    let mut bomb = String::from(
        "AWSTemplateFormatVersion: \"2010-09-09\"\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..20 {
        let prev = i - 1;
        let _ = writeln!(bomb, "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]");
    }
    bomb.push_str("Resources: {}\n");
    write(root, "cfn/bomb.yaml", bomb.as_bytes());
    let deep = format!(
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    write(root, "cfn/deep.yaml", deep.as_bytes());
    // Binary data named like a template.
    write(
        root,
        "cfn/binary.json",
        &[0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x00, 0x41, 0x57, 0x53],
    );

    let out = Command::cargo_bin("trailcheck")
        .unwrap()
        .args(["check", "--format", "json", "--fail-on", "critical"])
        .arg(root)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "exit {code:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let located = |file: &str, rule: &str| {
        findings.iter().any(|f| {
            f["rule"] == rule
                && f["file"].as_str().unwrap_or("").ends_with(file)
                && f["line"].as_u64().is_some()
        })
    };
    assert!(
        located("big/main.tf", "parse-error"),
        "50 MB file not reported"
    );
    assert!(
        located("odd/main.tf", "parse-error"),
        "directory named main.tf not reported"
    );
    assert!(
        located("cfn/bomb.yaml", "parse-error"),
        "alias bomb not reported"
    );
    assert!(
        located("cfn/deep.yaml", "parse-error"),
        "deep nesting not reported"
    );
    // The good trail beside them is still checked.
    assert_good_file_checked(findings);
    // The absurd ones evaluate to something (possibly unknown) without taking the run down.
    // (Each directory is a deployment unit of its own: addresses start with it.)
    assert!(findings.iter().any(|f| f["resource"]
        .as_str()
        .is_some_and(|r| r.ends_with(": aws_cloudtrail.r"))));
}

/// The fuzzer's slow input makes hcl-edit backtrack exponentially (about a second in a
/// release build, far longer in a debug one; a few more bytes would take hours). Under a
/// short parse budget it must be reported as a located `parse-error` that says why, and
/// the good file beside it must still be checked.
#[test]
fn a_parser_that_backtracks_without_end_is_stopped_by_the_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "good/main.tf", GOOD.as_bytes());
    let slow = std::fs::read("fixtures/fuzz-regressions/slow/hcl-slow-unit-81c3e8c7.tf").unwrap();
    write(root, "slow/main.tf", &slow);
    let out = Command::cargo_bin("trailcheck")
        .unwrap()
        .args(["check", "--format", "json", "--fail-on", "critical"])
        .arg(root)
        .env("TRAILCHECK_PARSE_BUDGET_MS", "50")
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let findings = findings_of(&out);
    let stopped = findings
        .iter()
        .find(|f| {
            f["rule"] == "parse-error" && f["file"].as_str().unwrap().ends_with("slow/main.tf")
        })
        .expect("the slow file is reported");
    assert_eq!(stopped["line"], 1);
    let message = stopped["message"].as_str().unwrap();
    assert!(message.contains("did not finish within 50 ms"), "{message}");
    assert!(message.contains("TRAILCHECK_PARSE_BUDGET_MS"), "{message}");
    assert_good_file_checked(&findings);
}

/// The findings of a `check --format json --fail-on critical` run that must exit 0.
fn findings_of(out: &std::process::Output) -> Vec<serde_json::Value> {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["findings"].as_array().unwrap().clone()
}

/// The trail of [`GOOD`], checked beside the hostile files, keeps its finding.
fn assert_good_file_checked(findings: &[serde_json::Value]) {
    assert!(
        findings.iter().any(|f| f["resource"]
            .as_str()
            .is_some_and(|r| r.ends_with("aws_cloudtrail.good"))
            && f["rule"] == "trail-single-region"),
        "the good file lost its findings"
    );
}

/// Unreadable files and directories are each reported where they are, and the readable
/// files are still checked. Root reads everything, so as root the binary is run as
/// `nobody` (uid 65534); where that is not allowed the test says so and passes.
#[cfg(unix)]
#[test]
fn unreadable_files_and_directories_are_reported_and_the_rest_is_checked() {
    use std::os::unix::fs::PermissionsExt as _;
    use std::os::unix::process::CommandExt as _;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "good/main.tf", GOOD.as_bytes());
    write(root, "secret/main.tf", GOOD.as_bytes());
    write(root, "locked/main.tf", GOOD.as_bytes());
    write(
        root,
        "templates/trail.yaml",
        b"Resources:\n  T:\n    Type: AWS::CloudTrail::Trail\n",
    );
    let mode = |p: &str, m: u32| {
        std::fs::set_permissions(root.join(p), std::fs::Permissions::from_mode(m)).unwrap();
    };
    for dir in ["", "good", "secret", "templates"] {
        mode(dir, 0o755);
    }
    mode("good/main.tf", 0o644);
    mode("secret/main.tf", 0o000);
    mode("templates/trail.yaml", 0o000);
    mode("locked", 0o000);

    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("trailcheck"));
    cmd.args([
        "check",
        "--format",
        "json",
        "--fail-on",
        "critical",
        "--no-config",
    ])
    .arg(root);
    // Privileged: a mode-000 file is still readable, so drop to `nobody` for the child.
    if std::fs::read(root.join("secret/main.tf")).is_ok() {
        cmd.uid(65534).gid(65534);
    }
    let out = match Command::from_std(cmd)
        .timeout(Duration::from_secs(120))
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("cannot run the check as an unprivileged user ({e}); skipped");
            return;
        }
    };
    mode("locked", 0o755);
    let findings = findings_of(&out);
    let reported = |path: &str, says: &str| {
        findings.iter().any(|f| {
            f["rule"] == "parse-error"
                && f["file"].as_str().unwrap().ends_with(path)
                && f["line"] == 1
                && f["message"].as_str().unwrap().contains(says)
        })
    };
    assert!(
        reported("secret/main.tf", "cannot read file"),
        "{findings:#?}"
    );
    assert!(
        reported("templates/trail.yaml", "cannot read file"),
        "{findings:#?}"
    );
    assert!(
        reported("locked", "cannot read this directory"),
        "{findings:#?}"
    );
    assert_good_file_checked(&findings);
}
