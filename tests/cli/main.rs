//! End-to-end tests of the real binary: exit codes, formats, flags, errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on broken fixtures"
)]

use assert_cmd::Command;
use predicates::prelude::*;

mod adoption;
mod formats;
mod user_rules;

fn trailcheck() -> Command {
    let mut c = Command::cargo_bin("trailcheck").unwrap();
    c.env("NO_COLOR", "1").env_remove("COLUMNS");
    c
}

#[test]
fn findings_exit_1_and_render_human_with_summary() {
    let out = trailcheck()
        .args(["check", "fixtures/cli/mixed"])
        .assert()
        .code(1);
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    insta::assert_snapshot!("human_mixed", stdout);
}

#[test]
fn json_format_is_the_v1_schema_and_parse_errors_do_not_hide_findings() {
    let out = trailcheck()
        .args(["check", "fixtures/cli/mixed", "--format", "json"])
        .assert()
        .code(1);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["schema"], "trailcheck/v1");
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"parse-error"));
    assert!(rules.contains(&"trail-single-region"));
    for f in json["findings"].as_array().unwrap() {
        for key in [
            "rule_id",
            "rule",
            "severity",
            "category",
            "message",
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
        ] {
            assert!(!f[key].is_null(), "finding without {key}: {f}");
        }
    }
    let mut redacted = json.clone();
    redacted["version"] = "<version>".into();
    insta::assert_json_snapshot!("json_mixed", redacted);
}

#[test]
fn fail_on_raises_the_threshold() {
    // The only high finding is the parse error: with it gone, nothing is critical.
    trailcheck()
        .args(["check", "fixtures/cli/mixed", "--fail-on", "critical"])
        .assert()
        .code(0);
    trailcheck()
        .args(["check", "fixtures/cli/mixed", "--fail-on", "high"])
        .assert()
        .code(1);
}

#[test]
fn select_and_disable_choose_rules_by_name_or_id() {
    let out = trailcheck()
        .args([
            "check",
            "fixtures/cli/mixed",
            "--format",
            "json",
            "--select",
            "CT001,sns-notifications-missing",
        ])
        .assert()
        .code(1);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let mut rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    rules.sort_unstable();
    assert_eq!(rules, ["sns-notifications-missing", "trail-single-region"]);
    trailcheck()
        .args([
            "check",
            "fixtures/rules/trail-single-region/fail.tf",
            "--select",
            "trail-single-region",
            "--disable",
            "CT001",
        ])
        .assert()
        .code(0);
}

#[test]
fn clean_input_exits_0() {
    trailcheck()
        .args([
            "check",
            "fixtures/rules/trail-single-region/pass_tfvars",
            "--select",
            "trail-single-region",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 findings"));
}

#[test]
fn usage_errors_exit_2_and_say_what_to_do() {
    trailcheck()
        .args(["check", "fixtures/cli/mixed", "--select", "no-such-rule"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("unknown rule")
                .and(predicate::str::contains("trailcheck rules list")),
        );
    trailcheck()
        .args(["check", "does/not/exist"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does/not/exist"));
    trailcheck()
        .args(["check", "--format", "yaml"])
        .assert()
        .code(2);
    trailcheck()
        .args(["check", "fixtures/cli/mixed", "--var", "novalue"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("NAME=VALUE"));
}

#[test]
fn vars_on_the_command_line_override_tfvars() {
    let dir = "fixtures/rules/trail-single-region/fail_tfvars";
    trailcheck()
        .args(["check", dir, "--select", "trail-single-region"])
        .assert()
        .code(1);
    trailcheck()
        .args([
            "check",
            dir,
            "--select",
            "trail-single-region",
            "--var",
            "multi_region=true",
        ])
        .assert()
        .code(0);
    let tmp = tempfile::tempdir().unwrap();
    let vf = tmp.path().join("prod.tfvars");
    std::fs::write(&vf, "multi_region = true\n").unwrap();
    trailcheck()
        .args([
            "check",
            dir,
            "--select",
            "trail-single-region",
            "--var-file",
        ])
        .arg(&vf)
        .assert()
        .code(0);
}

#[test]
fn output_file_receives_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("report.json");
    trailcheck()
        .args([
            "check",
            "fixtures/cli/mixed",
            "--format",
            "json",
            "--output",
        ])
        .arg(&path)
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["schema"], "trailcheck/v1");
}

#[test]
fn rules_list_and_explain_read_the_catalog() {
    trailcheck()
        .args(["rules", "list"])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("CT001").and(predicate::str::contains("trail-single-region")),
        );
    let out = trailcheck()
        .args(["rules", "explain", "trail-single-region"])
        .assert()
        .code(0);
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    insta::assert_snapshot!("explain_trail_single_region", stdout);
    trailcheck()
        .args(["rules", "explain", "ct101"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("log-file-validation-disabled"));
    trailcheck()
        .args(["rules", "explain", "nope"])
        .assert()
        .code(2);
}

#[test]
fn help_documents_every_check_flag() {
    let out = trailcheck().args(["check", "--help"]).assert().code(0);
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for flag in [
        "--format",
        "--output",
        "--fail-on",
        "--select",
        "--enable",
        "--disable",
        "--var",
        "--var-file",
        "--config",
        "--no-config",
        "--baseline",
        "--write-baseline",
    ] {
        assert!(stdout.contains(flag), "--help lacks {flag}");
    }
}

#[test]
fn examples_run_end_to_end() {
    let out = trailcheck()
        .args(["check", "fixtures/examples", "--format", "json"])
        .assert()
        .code(1);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let resources: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["resource"].as_str())
        .collect();
    // The weak legacy trail is reported; the audit module's trail is clean.
    assert!(resources.iter().any(|r| r.contains("legacy")));
    assert!(
        !resources.iter().any(|r| r.starts_with("module.audit")),
        "{resources:?}"
    );
}

#[test]
fn simulate_renders_coverage_trails_and_cost_in_three_formats() {
    for (format, name) in [
        ("human", "simulate_examples_human"),
        ("markdown", "simulate_examples_markdown"),
    ] {
        let out = trailcheck()
            .args(["simulate", "fixtures/examples", "--format", format])
            .assert()
            .code(0);
        let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        insta::assert_snapshot!(name, stdout);
    }
    let out = trailcheck()
        .args(["simulate", "fixtures/examples", "--format", "json"])
        .assert()
        .code(0);
    let mut json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["schema"], "trailcheck-simulate/v1");
    assert!(json["total_monthly_usd"].as_f64().unwrap() > 0.0);
    json["version"] = "<version>".into();
    insta::assert_json_snapshot!("simulate_examples_json", json);
}

#[test]
fn simulate_uses_the_config_and_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("profile.yaml");
    std::fs::write(&profile, "management_read: 0\nmanagement_write: 100000\nkms_read: 0\nkms_write: 0\nrdsdata_read: 0\nrdsdata_write: 0\n").unwrap();
    let config = tmp.path().join("config.yaml");
    std::fs::write(
        &config,
        "regions:\n  enabled: [us-east-1, us-west-2, eu-central-1, eu-west-1]\n",
    )
    .unwrap();
    let out = trailcheck()
        .args([
            "simulate",
            "fixtures/examples",
            "--format",
            "json",
            "--profile",
        ])
        .arg(&profile)
        .arg("--config")
        .arg(&config)
        .assert()
        .code(0);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["context"]["regions"].as_array().unwrap().len(), 4);
    // One paid copy of 100,000 write events in us-west-2 at $2.00 per 100,000, plus the
    // legacy trail's Insights on those writes.
    let paid: f64 = json["cost"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["item"] == "paid management copy")
        .map(|l| l["usd"].as_f64().unwrap())
        .sum();
    assert!((paid - 2.0).abs() < 1e-9, "paid copies cost {paid}");
    trailcheck()
        .args([
            "simulate",
            "fixtures/examples",
            "--profile",
            "does-not-exist.yaml",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does-not-exist.yaml"));
}

/// Every argument of every subcommand has help text, so `--help` explains every flag.
#[test]
fn every_flag_of_every_command_is_explained() {
    use clap::CommandFactory;
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            if help.trim().is_empty() {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_about().is_none() && sub.get_name() != "help" {
                missing.push(format!("{path} {} (no about)", sub.get_name()));
            }
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(
        &trailcheck::cli::Args::command(),
        "trailcheck",
        &mut missing,
    );
    assert!(missing.is_empty(), "arguments without help: {missing:?}");
}

/// `simulate --emit` writes a mirror that `verify` accepts, and a tampered copy that it
/// rejects: the generator and the validator agree on the AWS format.
#[test]
fn simulate_emit_round_trips_through_verify() {
    use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
    let tmp = tempfile::tempdir().unwrap();
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap();
    let pem = tmp.path().join("test-signing-key.pem");
    std::fs::write(&pem, key.to_pkcs1_pem(LineEnding::LF).unwrap().as_bytes()).unwrap();
    let out = tmp.path().join("bucket");
    trailcheck()
        .args([
            "simulate",
            "fixtures/examples",
            "--format",
            "json",
            "--hours",
            "6",
            "--emit-start",
            "2026-01-05T00:00:00Z",
            "--emit",
        ])
        .arg(&out)
        .arg("--signing-key")
        .arg(&pem)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("emitted"));
    let keys = out.join("public-keys.json");
    // The audit module's trail: multi-region, home eu-central-1, bucket acme-audit-cloudtrail-logs.
    let mirror = out.join("acme-audit-cloudtrail-logs");
    assert!(mirror.is_dir(), "no mirror for the audit trail's bucket");
    let verify = |dir: &std::path::Path| {
        trailcheck()
            .args([
                "verify",
                "--trail-arn",
                "arn:aws:cloudtrail:eu-central-1:123456789012:trail/acme-account-audit",
                "--start-time",
                "2026-01-05T00:00:00Z",
                "--end-time",
                "2026-01-05T06:00:00Z",
                "--local",
            ])
            .arg(dir)
            .arg("--public-keys")
            .arg(&keys)
            .assert()
    };
    verify(&mirror).code(0);
    // Change one byte of one log file: verify must fail.
    let log = walk(&mirror)
        .into_iter()
        .find(|p| {
            p.to_string_lossy().ends_with(".json.gz")
                && p.to_string_lossy().contains("/CloudTrail/")
        })
        .unwrap();
    let mut bytes = std::fs::read(&log).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(&log, bytes).unwrap();
    verify(&mirror).code(1);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}
