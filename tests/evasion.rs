//! Evasions and faults around files, through the real binary: ignore files and symlinks
//! must not hide what Terraform deploys, special files must not hang a run, user-named
//! inputs are bounded, writes are atomic and every write error is exit 2, and raw control
//! characters from file names never reach a terminal.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
#![cfg(unix)]

use assert_cmd::Command;
use std::path::Path;
use std::time::Duration;

const TRAIL: &str = r#"resource "aws_cloudtrail" "NAME" {
  name           = "NAME"
  s3_bucket_name = "logs"
}
"#;

fn trail(name: &str) -> String {
    TRAIL.replace("NAME", name)
}

fn write(dir: &Path, name: &str, body: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

fn mkfifo(p: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .unwrap();
    assert!(status.success());
}

fn bin() -> Command {
    let mut c = Command::cargo_bin("trailcheck").unwrap();
    // Generous: a hang is what is tested, not speed.
    c.timeout(Duration::from_secs(60));
    c
}

/// Runs `check` in `dir` with JSON output; returns (exit code, findings).
fn check(dir: &Path, args: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let out = bin()
        .current_dir(dir)
        .args(["check", "--format", "json", "--no-config"])
        .args(args)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    assert_ne!(code, 101, "panic: {}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        code,
        json["findings"].as_array().cloned().unwrap_or_default(),
    )
}

fn of<'a>(findings: &'a [serde_json::Value], rule: &str) -> Vec<&'a serde_json::Value> {
    findings.iter().filter(|f| f["rule"] == rule).collect()
}

fn files(findings: &[&serde_json::Value]) -> Vec<String> {
    let mut v: Vec<String> = findings
        .iter()
        .map(|f| f["file"].as_str().unwrap_or_default().to_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn ignore_files_do_not_hide_tf_files_unless_asked_and_then_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "main.tf", &trail("main"));
    write(root, "evil.tf", &trail("evil"));
    write(root, "nested/x.tf", &trail("nested"));
    write(root, ".gitignore", "evil.tf\n");
    write(root, "nested/.ignore", "*.tf\n");
    let sel = ["--select", "trail-single-region,file-not-checked"];
    let (code, f) = check(root, &sel);
    assert_eq!(code, 1);
    assert_eq!(
        files(&of(&f, "trail-single-region")),
        ["evil.tf", "main.tf", "nested/x.tf"]
    );
    assert!(of(&f, "file-not-checked").is_empty());

    // With --respect-ignore the hidden files are skipped, and each is named.
    let (_, f) = check(root, &["--respect-ignore", sel[0], sel[1]]);
    assert_eq!(files(&of(&f, "trail-single-region")), ["main.tf"]);
    assert_eq!(
        files(&of(&f, "file-not-checked")),
        ["evil.tf", "nested/x.tf"]
    );

    // A file named on the command line is never skipped (the pre-commit case).
    let (_, f) = check(root, &["--respect-ignore", sel[0], sel[1], "evil.tf"]);
    assert!(files(&of(&f, "trail-single-region")).contains(&"evil.tf".to_owned()));
}

#[test]
fn symlinked_files_and_directories_are_read_with_the_links_path() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(outside.path(), "real/trail.tf", &trail("linked_dir"));
    write(outside.path(), "file.tf", &trail("linked_file"));
    write(root, "main.tf", &trail("main"));
    std::os::unix::fs::symlink(outside.path().join("file.tf"), root.join("link.tf")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("real"), root.join("mods")).unwrap();
    // A loop back to the root is walked once and named.
    std::os::unix::fs::symlink("..", root.join("mods_loop")).unwrap_or(());
    std::fs::create_dir_all(root.join("deep")).unwrap();
    std::os::unix::fs::symlink("..", root.join("deep/up")).unwrap();
    // Links into /proc and /dev are not walked.
    std::os::unix::fs::symlink("/proc", root.join("proc")).unwrap();
    let (code, f) = check(root, &["--select", "trail-single-region,file-not-checked"]);
    assert_eq!(code, 1);
    assert_eq!(
        files(&of(&f, "trail-single-region")),
        ["link.tf", "main.tf", "mods/trail.tf"]
    );
    // Given explicitly, a symlinked file is read too.
    let (_, f) = check(root, &["--select", "trail-single-region", "link.tf"]);
    assert!(files(&of(&f, "trail-single-region")).contains(&"link.tf".to_owned()));
}

#[test]
fn special_files_never_hang_a_run() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "main.tf", &trail("main"));
    mkfifo(&root.join("pipe.tf"));
    mkfifo(&root.join("pipe.yaml"));
    std::os::unix::fs::symlink("/dev/zero", root.join("zero.tf")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", root.join("zero.yaml")).unwrap();
    let (code, f) = check(root, &["--select", "trail-single-region,file-not-checked"]);
    assert_eq!(code, 1);
    assert_eq!(files(&of(&f, "trail-single-region")), ["main.tf"]);
    assert_eq!(
        files(&of(&f, "file-not-checked")),
        ["pipe.tf", "zero.tf"],
        "{f:#?}"
    );
    // Named on the command line, a FIFO is a usage error, not a hang.
    let out = bin()
        .current_dir(root)
        .args(["check", "pipe.tf"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn user_named_inputs_are_bounded_and_never_block() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "main.tf", &trail("main"));
    mkfifo(&root.join("fifo"));
    for (flag, target) in [
        ("--config", "/dev/zero"),
        ("--config", "fifo"),
        ("--profile", "/dev/zero"),
        ("--profile", "fifo"),
        ("--baseline", "/dev/zero"),
        ("--baseline", "fifo"),
        ("--var-file", "fifo"),
    ] {
        let out = bin()
            .current_dir(root)
            .args(["check", ".", flag, target])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{flag} {target}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = bin()
        .current_dir(root)
        .args(["simulate", ".", "--config", "fifo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn write_errors_are_exit_2_and_never_leave_a_truncated_file() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "main.tf", &trail("main"));
    // stdout on a full device.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    for cmd in [
        &["check", "."][..],
        &["simulate", "."][..],
        &["rules", "list"][..],
    ] {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("trailcheck"))
            .current_dir(root)
            .args(cmd)
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("cannot write"),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // --output into a missing directory: exit 2 naming the path.
    let out = bin()
        .current_dir(root)
        .args(["check", ".", "--output", "no/such/dir/report.sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/dir/report.sarif"));
    // A baseline written over a symlink replaces the link, never the file it points at.
    write(root, "precious", "keep me");
    std::os::unix::fs::symlink(root.join("precious"), root.join("base.json")).unwrap();
    bin()
        .current_dir(root)
        .args(["check", ".", "--write-baseline", "base.json"])
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(root.join("precious")).unwrap(),
        "keep me"
    );
    let written = std::fs::read_to_string(root.join("base.json")).unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&written).is_ok());
    // init --force through a symlinked .trailcheck.yaml, likewise.
    std::os::unix::fs::symlink(root.join("precious"), root.join(".trailcheck.yaml")).unwrap();
    bin()
        .current_dir(root)
        .args(["init", ".", "--force"])
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(root.join("precious")).unwrap(),
        "keep me"
    );
}

#[test]
fn control_characters_in_file_names_are_escaped_in_human_and_markdown_output() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "evil\u{1b}]0;owned\u{7}\u{1b}[2J.tf", &trail("evil"));
    for format in ["human", "markdown"] {
        let out = bin()
            .current_dir(root)
            .env("NO_COLOR", "1")
            .args(["check", ".", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains('\u{1b}'), "{format}: raw ESC in {text}");
        assert!(!text.contains('\u{7}'), "{format}: raw BEL in {text}");
        assert!(text.contains("\\u{1b}"), "{format}: {text}");
    }
}

#[test]
fn a_user_rule_cannot_take_a_builtin_id_or_name() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "main.tf", &trail("main"));
    for (id, name) in [("CT001", "my-rule"), ("ORG1", "trail-single-region")] {
        write(
            root,
            "rules/r.yaml",
            &format!(
                "name: {name}\nid: {id}\nseverity: low\ncategory: organization\ntitle: t\n\
                 description: d\nmessage: m\ncondition:\n  resource: aws_cloudtrail\n  \
                 assert:\n    path: name\n    exists: true\n"
            ),
        );
        let out = bin()
            .current_dir(root)
            .args(["check", ".", "--rules", "rules"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{id} {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("built-in"));
    }
}

#[test]
fn thousands_of_organization_members_finish() {
    // Quadratic in members before (1,000 accounts took 31 s, 5,000 over 120 s): the
    // timeout is a hang guard, far above the linear time, not a speed assertion.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(
        root,
        "main.tf",
        "provider \"aws\" {\n  region = \"us-east-1\"\n}\n\
         resource \"aws_cloudtrail\" \"org\" {\n  name = \"org\"\n  s3_bucket_name = \"logs\"\n  \
         is_multi_region_trail = true\n  is_organization_trail = true\n}\n\
         resource \"aws_cloudtrail\" \"local\" {\n  name = \"local\"\n  s3_bucket_name = \"logs\"\n}\n",
    );
    let mut config = String::from(
        "organization:\n  id: o-abc123\n  management_account: '111111111111'\n  member_accounts:\n",
    );
    for i in 0..2000 {
        config.push_str(&format!("    - '{}'\n", 200_000_000_000_u64 + i));
    }
    write(root, "org.yaml", &config);
    for cmd in ["check", "simulate"] {
        let out = bin()
            .current_dir(root)
            .args([cmd, ".", "--config", "org.yaml", "--format", "json"])
            .output()
            .unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)), "{cmd}: {out:?}");
        assert!(serde_json::from_slice::<serde_json::Value>(&out.stdout).is_ok());
    }
}
