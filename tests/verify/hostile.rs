//! Hostile buckets and arguments (issue 16): no panic, no hang, no unbounded memory, no
//! file read outside the mirror, and never exit 0 on tampering.
use super::scenario::*;
use super::{cli, json_of, with_backfill};
use assert_cmd::Command;
use serde_json::Value;
use trailcheck::verify::chain::{Category, FileKind};
use trailcheck::verify::emit::{self, EmitSpec};

/// `trailcheck verify --local` of the scenario with its own range.
fn run(sc: &Scenario, start: &str, end: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("trailcheck")
        .unwrap()
        .args(["verify", "--trail-arn", ARN])
        .arg(format!("--start-time={start}"))
        .arg(format!("--end-time={end}"))
        .arg("--local")
        .arg(&sc.mirror)
        .arg("--public-keys")
        .arg(&sc.emitted.public_keys)
        .args(extra)
        .assert()
}

fn categories(j: &Value) -> Vec<(String, String)> {
    j["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "invalid")
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_string(),
                r["category"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn backfill_timestamps_near_date_limits_are_invalid_format_not_a_crash() {
    for ts in [
        "8210266875000",
        "-8334601228000",
        "+262142-12-31T23:59:59Z",
        "1e400",
    ] {
        let (sc, backfill, _) = with_backfill(Some(ts));
        let v = sc.verify_day();
        assert_eq!(
            category(&v, FileKind::BackfillDigest, &backfill),
            Category::InvalidFormat,
            "{ts}"
        );
        cli(&sc, &[]).code(1);
    }
}

#[test]
fn digest_times_outside_four_digit_years_are_invalid_format() {
    let sc = build(&spec());
    let key = sc.digest_key(&stream("us-east-1"), 4);
    let mut d = sc.read_digest(&key);
    d["digestEndTime"] = Value::from("+262142-12-31T23:59:59Z");
    d["digestStartTime"] = Value::from("-262143-01-01T00:00:00Z");
    sc.write_signed_digest(&d, &KEY_A, &[]);
    let v = sc.verify_day();
    assert_eq!(
        category(&v, FileKind::Digest, &key),
        Category::InvalidFormat
    );
}

#[test]
fn late_end_times_still_list_the_range_and_catch_tampering() {
    let sc = build(&spec());
    let (_, _, logs) = sc.digest_with_logs(&stream("us-east-1"), 3);
    std::fs::remove_file(sc.path(&logs[0])).unwrap();
    for end in ["9999-12-31T23:59:59Z", "9999-12-31T23:00:00Z", "9999-12-31"] {
        let out = run(&sc, "2024-03-01T00:00:00Z", end, &["--format", "json"])
            .code(1)
            .get_output()
            .stdout
            .clone();
        let j = json_of(&out);
        assert!(
            categories(&j).contains(&(logs[0].clone(), "not_found".into())),
            "{end}: {:?}",
            categories(&j)
        );
    }
}

#[test]
fn cli_times_out_of_range_are_usage_errors() {
    let sc = build(&spec());
    for (start, end) in [
        ("2024-03-01", "+262142-12-31T23:00:00"),
        ("2024-03-01", "+10000-01-01T00:00:00Z"),
        ("-262143-01-01T00:00:00", "2024-03-02"),
        ("0001-01-01T00:00:00Z", "2024-03-02"),
    ] {
        let a = run(&sc, start, end, &[]).code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(
            err.contains("out of range") || err.contains("is not a time"),
            "{start} {end}: {err}"
        );
    }
}

#[test]
fn absurd_jobs_are_refused() {
    let sc = build(&spec());
    for jobs in ["1000000", "0", "257"] {
        cli(&sc, &["--jobs", jobs]).code(2);
    }
    cli(&sc, &["--jobs", "256"]).code(0);
}

/// A forged (unsigned) digest at the key of hour `k`, listing `n` invented log files.
fn forged_digest(sc: &Scenario, k: u32, n: usize) -> String {
    let key = sc.digest_key(&stream("us-west-2"), k);
    let mut d = sc.read_digest(&key);
    let entry = |i: usize| {
        serde_json::json!({"s3Bucket": BUCKET,
            "s3Object": format!("AWSLogs/{ACCOUNT}/CloudTrail/us-west-2/2024/03/01/{ACCOUNT}_CloudTrail_us-west-2_20240301T0000Z_{i:016}.json.gz"),
            "hashValue": "00", "hashAlgorithm": "SHA-256"})
    };
    d["logFiles"] = Value::Array((0..n).map(entry).collect());
    std::fs::write(sc.path(&key), gzip(&serde_json::to_vec(&d).unwrap())).unwrap();
    let mut side = sc.sidecar();
    side["objects"].as_object_mut().unwrap().remove(&key);
    sc.write_sidecar(&side);
    key
}

#[test]
fn forged_digests_listing_huge_log_lists_are_not_expanded() {
    let sc = build(&spec());
    let forged = forged_digest(&sc, 6, 10_001);
    // A correctly signed digest listing more than any real one is too large.
    let signed_key = sc.digest_key(&stream("us-east-1"), 6);
    let mut signed = sc.read_digest(&signed_key);
    let entry = serde_json::json!({"s3Bucket": BUCKET, "s3Object": "x", "hashValue": "00"});
    signed["logFiles"] = Value::Array(vec![entry; 100_001]);
    sc.write_signed_digest(&signed, &KEY_A, &[]);
    let out = cli(&sc, &["--format", "json"])
        .code(1)
        .get_output()
        .stdout
        .clone();
    let j = json_of(&out);
    let bad = categories(&j);
    assert!(
        bad.contains(&(forged.clone(), "signature_failed".into())),
        "{bad:?}"
    );
    assert!(
        bad.contains(&(signed_key.clone(), "too_large".into())),
        "{bad:?}"
    );
    // Their invented logs are not each reported.
    assert!(j["results"].as_array().unwrap().len() < 200);
    let message = |key: &str| {
        j["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == key)
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        message(&forged).contains("more than 10000 log files"),
        "{}",
        message(&forged)
    );
    assert!(
        message(&signed_key).contains("more than 100000 log files"),
        "{}",
        message(&signed_key)
    );
}

#[test]
fn run_cap_on_log_files_is_a_too_large_problem_never_valid() {
    let sc = build(&spec());
    // The intact day has 84 logs; a cap of 50 cannot hold them.
    let out = cli(&sc, &["--format", "json", "--max-log-files", "50"])
        .code(1)
        .get_output()
        .stdout
        .clone();
    let j = json_of(&out);
    assert_eq!(j["summary"]["all_valid"], false);
    assert_eq!(
        j["problems"][0]["category"], "too_large",
        "{}",
        j["problems"]
    );
    let human = cli(&sc, &["--max-log-files", "50"]).code(1);
    let err = String::from_utf8_lossy(&human.get_output().stderr).to_string();
    assert!(err.contains("--max-log-files"), "{err}");
}

#[test]
fn nothing_of_the_trail_in_the_listing_is_exit_2_saying_what_was_listed() {
    let sc = build(&spec());
    let typo = ARN.replace("management-events", "managment-events");
    let a = Command::cargo_bin("trailcheck")
        .unwrap()
        .args(["verify", "--trail-arn", &typo, "--start-time", "2024-03-01"])
        .args(["--end-time", "2024-03-02", "--local"])
        .arg(&sc.mirror)
        .arg("--public-keys")
        .arg(&sc.emitted.public_keys)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("No digests found"), "{err}");
    assert!(err.contains(&format!("s3://{BUCKET}/")), "{err}");
    assert!(err.contains("management-events_us-east-1"), "{err}");
    assert!(err.contains("--trail-arn"), "{err}");
    // A region filter matching no stream, and a prefix that is not the trail's.
    cli(&sc, &["--region", "eu-west-9"]).code(2);
    let a = cli(&sc, &["--s3-prefix", "nope"]).code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("nope/AWSLogs/"), "{err}");
}

#[test]
fn key_sizes_2048_to_8192_sign_and_verify_and_others_are_refused() {
    for (file, ok) in [
        ("rsa4096-test-only.pem", true),
        ("rsa8192-test-only.pem", true),
        ("rsa1024-test-only.pem", false),
    ] {
        let pem = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/verify/keys")
                .join(file),
        )
        .unwrap();
        let mut s = EmitSpec::new(vec![trail(&["us-east-1"])], start(), 3, &pem);
        s.logs_per_hour = 1;
        s.records_per_log = 1;
        if ok {
            let sc = build(&s);
            let v = sc.verify(start(), start() + chrono::Duration::hours(3));
            assert!(v.all_valid(), "{file}: {:?}", invalid(&v));
            assert_eq!(count(&v, FileKind::Digest, is_valid), 3, "{file}");
        } else {
            let dir = tempfile::tempdir().unwrap();
            let e = emit::emit(&s, dir.path()).unwrap_err();
            assert!(e.to_string().contains("1024-bit"), "{e}");
        }
    }
}

#[test]
fn emit_hours_and_times_are_bounded() {
    let mut s = spec();
    s.hours = u32::MAX;
    let dir = tempfile::tempdir().unwrap();
    assert!(emit::emit(&s, dir.path()).is_err());
    let mut s = spec();
    s.start = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 9999, 12, 31, 0, 0, 0).unwrap();
    assert!(emit::emit(&s, dir.path()).is_err());
    let key = dir.path().join("k.pem");
    std::fs::write(&key, KEY_A.as_bytes()).unwrap();
    let a = Command::cargo_bin("trailcheck")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["simulate", "fixtures/examples", "--emit"])
        .arg(dir.path().join("out"))
        .arg("--signing-key")
        .arg(&key)
        .args(["--hours", "4294967295"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("--hours"), "{err}");
}

#[cfg(unix)]
mod local {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn log_symlinked_out_of_the_mirror_is_refused_not_read() {
        let sc = build(&spec());
        let (_, _, logs) = sc.digest_with_logs(&stream("us-east-1"), 3);
        let outside = tempfile::tempdir().unwrap();
        let copy = outside.path().join("log.json.gz");
        std::fs::rename(sc.path(&logs[0]), &copy).unwrap();
        symlink(&copy, sc.path(&logs[0])).unwrap();
        let v = sc.verify_day();
        assert_eq!(category(&v, FileKind::Log, &logs[0]), Category::Refused);
        cli(&sc, &[]).code(1);
    }

    #[test]
    fn log_folder_symlinked_out_of_the_mirror_is_a_refused_problem() {
        let sc = build(&spec());
        let (_, _, logs) = sc.digest_with_logs(&stream("us-east-1"), 3);
        let day = sc.path(&logs[0]).parent().unwrap().to_path_buf();
        let outside = tempfile::tempdir().unwrap();
        let moved = outside.path().join("01");
        std::fs::rename(&day, &moved).unwrap();
        symlink(&moved, &day).unwrap();
        let out = cli(&sc, &["--format", "json"])
            .code(1)
            .get_output()
            .stdout
            .clone();
        let j = json_of(&out);
        assert_eq!(j["problems"][0]["category"], "refused", "{}", j["problems"]);
        assert!(categories(&j).contains(&(logs[0].clone(), "refused".into())));
    }

    #[test]
    fn log_folder_symlinked_inside_the_mirror_is_listed_like_its_target() {
        let sc = build(&spec());
        let (_, _, logs) = sc.digest_with_logs(&stream("us-east-1"), 3);
        let day = sc.path(&logs[0]).parent().unwrap().to_path_buf();
        let moved = sc.mirror.join("elsewhere");
        std::fs::rename(&day, &moved).unwrap();
        symlink(&moved, &day).unwrap();
        let injected = logs[0].replace(
            logs[0].rsplit('_').next().unwrap(),
            "InjectedLogFile0.json.gz",
        );
        std::fs::copy(
            moved.join(logs[0].rsplit('/').next().unwrap()),
            sc.path(&injected),
        )
        .unwrap();
        let v = sc.verify_day();
        assert_eq!(
            category(&v, FileKind::Log, &injected),
            Category::Unreferenced
        );
        assert_eq!(invalid(&v).len(), 1, "{:?}", invalid(&v));
    }

    #[test]
    fn fifo_at_a_log_path_is_refused_without_blocking() {
        let sc = build(&spec());
        let (_, _, logs) = sc.digest_with_logs(&stream("us-east-1"), 3);
        std::fs::remove_file(sc.path(&logs[0])).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(sc.path(&logs[0]))
            .status()
            .unwrap();
        assert!(made.success());
        let v = sc.verify_day();
        assert_eq!(category(&v, FileKind::Log, &logs[0]), Category::Refused);
    }

    #[test]
    fn sidecar_and_key_files_that_never_end_are_refused() {
        let sc = build(&spec());
        let side = sc.mirror.join(".s3-metadata.json");
        std::fs::remove_file(&side).unwrap();
        symlink("/dev/zero", &side).unwrap();
        cli(&sc, &[]).code(2);
        std::fs::remove_file(&side).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(&side)
            .status()
            .unwrap();
        assert!(made.success());
        let a = cli(&sc, &[]).code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(err.contains("FIFO"), "{err}");

        let sc = build(&spec());
        for keys in ["/dev/zero", "/dev/null"] {
            let a = super::super::verify_day_cli(&[&sc.mirror], std::path::Path::new(keys), &[])
                .code(2);
            let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
            assert!(err.contains("not a regular file"), "{keys}: {err}");
        }
    }
}
