//! `trailcheck verify` end to end: signed buckets from `verify::emit`, tampered one way
//! per test, verified through the library and the binary; plus the S3 code path against
//! an S3 server started inside the test (`verify/s3.rs`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on a broken invariant"
)]

#[path = "verify/hostile.rs"]
mod hostile;
#[cfg(feature = "s3")]
#[path = "verify/s3.rs"]
mod s3;
#[path = "verify/scenario.rs"]
mod scenario;

use assert_cmd::Command;
use chrono::Duration;
use scenario::*;
use serde_json::Value;
use trailcheck::verify::chain::{Category, FileKind, Status};
use trailcheck::verify::emit::{EmitSpec, SigningKey};
use trailcheck::verify::store::{LocalDir, ObjectStore as _};

pub(crate) fn cli(sc: &Scenario, extra: &[&str]) -> assert_cmd::assert::Assert {
    verify_day_cli(&[&sc.mirror], &sc.emitted.public_keys, extra)
}

/// `trailcheck verify` of the emitted day over local mirrors (one `--local` each).
pub(crate) fn verify_day_cli(
    mirrors: &[&std::path::Path],
    public_keys: &std::path::Path,
    extra: &[&str],
) -> assert_cmd::assert::Assert {
    let mut cmd = Command::cargo_bin("trailcheck").unwrap();
    cmd.args([
        "verify",
        "--trail-arn",
        ARN,
        "--start-time",
        "2024-03-01T00:00:00Z",
        "--end-time",
        "2024-03-02T00:00:00Z",
    ]);
    for m in mirrors {
        cmd.arg("--local").arg(m);
    }
    cmd.arg("--public-keys").arg(public_keys).args(extra);
    cmd.assert()
}

pub(crate) fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap()
}

#[test]
fn intact_two_region_bucket_is_valid_with_cli_counts() {
    let sc = build(&spec());
    let v = sc.verify_day();
    assert!(invalid(&v).is_empty(), "{:?}", invalid(&v));
    // 24 hourly digests per region, all inside [start, end + 1h].
    assert_eq!(count(&v, FileKind::Digest, is_valid), 48);
    // Hours 7, 14 and 21 are empty: 21 hours x 2 logs x 2 regions.
    assert_eq!(count(&v, FileKind::Log, is_valid), 84);
    assert_eq!(sc.emitted.logs, 84);
    assert!(v.all_valid());

    let out = cli(&sc, &["--format", "json"])
        .code(0)
        .get_output()
        .stdout
        .clone();
    let j = json_of(&out);
    assert_eq!(j["summary"]["digests"]["valid"], 48);
    assert_eq!(j["summary"]["logs"]["valid"], 84);
    assert_eq!(j["results"].as_array().unwrap().len(), 48 + 84);
}

#[test]
fn human_output_has_the_validate_logs_summary() {
    let sc = build(&spec());
    let out = cli(&sc, &[]).code(0).get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with(&format!(
        "Validating log files for trail {ARN} between 2024-03-01T00:00:00Z and 2024-03-02T00:00:00Z\n\n"
    )));
    assert!(text.contains("Results found for 2024-03-01T00:01:31Z to 2024-03-02T00:00:00Z:"));
    assert!(text.contains("48/48 digest files valid\n"));
    assert!(text.contains("84/84 log files valid\n"));
    let verbose = cli(&sc, &["--verbose"]).code(0).get_output().stdout.clone();
    let verbose = String::from_utf8(verbose).unwrap();
    assert_eq!(verbose.matches("\tvalid\n").count(), 48 + 84);
}

#[test]
fn modified_log_is_a_hash_mismatch() {
    let sc = build(&spec());
    let (_, _, logs) = sc.digest_with_logs(&stream("us-east-1"), 3);
    sc.rewrite_gz(&logs[0], |mut d| {
        d.extend_from_slice(b" ");
        d
    });
    let v = sc.verify_day();
    assert_eq!(invalid(&v), vec![(logs[0].clone(), Category::HashMismatch)]);
    let a = cli(&sc, &[]).code(1);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains(&format!(
        "Log file\ts3://{BUCKET}/{}\tINVALID: hash value doesn't match",
        logs[0]
    )));
    let out = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    assert!(out.contains("83/84 log files valid, 1/84 log files INVALID"));
}

#[test]
fn deleted_log_is_not_found() {
    let sc = build(&spec());
    let (_, _, logs) = sc.digest_with_logs(&stream("us-west-2"), 10);
    std::fs::remove_file(sc.path(&logs[1])).unwrap();
    let v = sc.verify_day();
    assert_eq!(invalid(&v), vec![(logs[1].clone(), Category::NotFound)]);
}

#[test]
fn deleted_digest_mid_chain_is_not_found_and_its_logs_unverified() {
    let sc = build(&spec());
    let (k, key, logs) = sc.digest_with_logs(&stream("us-east-1"), 9);
    std::fs::remove_file(sc.path(&key)).unwrap();
    let v = sc.verify_day();
    assert_eq!(invalid(&v), vec![(key.clone(), Category::NotFound)]);
    for l in &logs {
        assert!(is_unverified(status(&v, FileKind::Log, l)), "{l}");
    }
    // The walk resumed at the next older digest, which is valid.
    let older = sc.digest_key(&stream("us-east-1"), k - 1);
    assert_eq!(status(&v, FileKind::Digest, &older), &Status::Valid);
    assert_eq!(count(&v, FileKind::Digest, is_valid), 47);
    assert!(!v.all_valid());
}

#[test]
fn modified_digest_fails_its_signature_and_leaves_its_logs_unverified() {
    let sc = build(&spec());
    let (_, key, logs) = sc.digest_with_logs(&stream("us-west-2"), 4);
    // Drop the first log from the listing, keep the signature metadata.
    sc.rewrite_gz(&key, |d| {
        let mut j: Value = serde_json::from_slice(&d).unwrap();
        j["logFiles"].as_array_mut().unwrap().remove(0);
        serde_json::to_vec(&j).unwrap()
    });
    let v = sc.verify_day();
    assert_eq!(
        category(&v, FileKind::Digest, &key),
        Category::SignatureFailed
    );
    assert!(is_unverified(status(&v, FileKind::Log, &logs[1])));
    // The dropped log is in that digest's hour: it cannot be verified either.
    assert!(is_unverified(status(&v, FileKind::Log, &logs[0])));
}

#[test]
fn digest_signed_by_an_unknown_key_is_public_key_not_found() {
    let sc = build(&spec());
    let mut forged_spec = spec();
    forged_spec.keys = vec![SigningKey {
        pem: KEY_B.clone(),
        from: start() - Duration::days(1),
    }];
    let forged = build(&forged_spec);
    let key = sc.digest_key(&stream("us-east-1"), 5);
    std::fs::copy(forged.path(&key), sc.path(&key)).unwrap();
    let mut side = sc.sidecar();
    side["objects"][&key] = forged.sidecar()["objects"][&key].clone();
    sc.write_sidecar(&side);

    let v = sc.verify_day();
    assert_eq!(
        invalid(&v),
        vec![(key.clone(), Category::PublicKeyNotFound)]
    );
    let a = cli(&sc, &[]).code(1);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("INVALID: public key not found in region us-east-1 for fingerprint"));
}

#[test]
fn digest_without_signature_metadata_fails_signature() {
    let sc = build(&spec());
    let key = sc.digest_key(&stream("us-east-1"), 12);
    let mut side = sc.sidecar();
    side["objects"].as_object_mut().unwrap().remove(&key);
    sc.write_sidecar(&side);
    let v = sc.verify_day();
    assert_eq!(
        category(&v, FileKind::Digest, &key),
        Category::SignatureFailed
    );
}

#[test]
fn genuine_digest_copied_over_another_is_moved() {
    let sc = build(&spec());
    let a = sc.digest_key(&stream("us-east-1"), 10);
    let b = sc.digest_key(&stream("us-east-1"), 11);
    std::fs::copy(sc.path(&a), sc.path(&b)).unwrap();
    let mut side = sc.sidecar();
    side["objects"][&b] = side["objects"][&a].clone();
    sc.write_sidecar(&side);
    let v = sc.verify_day();
    assert_eq!(category(&v, FileKind::Digest, &b), Category::Moved);
}

#[test]
fn malformed_digest_json_is_invalid_format_with_reason() {
    let sc = build(&spec());
    let key = sc.digest_key(&stream("us-west-2"), 2);
    std::fs::write(sc.path(&key), gzip(b"{\"awsAccountId\": tru")).unwrap();
    let v = sc.verify_day();
    match status(&v, FileKind::Digest, &key) {
        Status::Invalid(Category::InvalidFormat, msg) => assert!(msg.contains("JSON"), "{msg}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn truncated_gzip_log_is_invalid_format() {
    let sc = build(&spec());
    let (_, _, logs) = sc.digest_with_logs(&stream("us-east-1"), 15);
    let data = std::fs::read(sc.path(&logs[0])).unwrap();
    std::fs::write(sc.path(&logs[0]), &data[..data.len() - 20]).unwrap();
    let v = sc.verify_day();
    match status(&v, FileKind::Log, &logs[0]) {
        Status::Invalid(Category::InvalidFormat, msg) => assert!(
            msg.contains("truncated") || msg.contains("corrupt"),
            "{msg}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn appended_gzip_member_is_tampering_although_the_first_member_matches() {
    let sc = build(&spec());
    let (_, _, logs) = sc.digest_with_logs(&stream("us-east-1"), 2);
    let mut data = std::fs::read(sc.path(&logs[0])).unwrap();
    data.extend(gzip(b"{\"Records\":[{\"eventName\":\"Forged\"}]}"));
    std::fs::write(sc.path(&logs[0]), data).unwrap();
    let v = sc.verify_day();
    assert_eq!(invalid(&v), vec![(logs[0].clone(), Category::AppendedData)]);
}

#[test]
fn gzip_bomb_log_is_an_error_not_an_allocation() {
    let sc = build(&spec());
    let (_, _, logs) = sc.digest_with_logs(&stream("us-west-2"), 5);
    // 8 MiB of zeros against the scenario's 1 MiB cap.
    std::fs::write(sc.path(&logs[0]), gzip(&vec![0u8; 8 << 20])).unwrap();
    let v = sc.verify_day();
    assert_eq!(category(&v, FileKind::Log, &logs[0]), Category::TooLarge);
}

#[test]
fn injected_log_in_a_covered_hour_is_unreferenced() {
    let sc = build(&spec());
    let (_, _, logs) = sc.digest_with_logs(&stream("us-east-1"), 6);
    // Same folder and minute, another 16-character unique id.
    let injected = format!("{}InjectedLogFile1.json.gz", &logs[0][..logs[0].len() - 24]);
    std::fs::write(sc.path(&injected), gzip(b"{\"Records\":[]}")).unwrap();
    let v = sc.verify_day();
    assert_eq!(invalid(&v), vec![(injected, Category::Unreferenced)]);
}

#[test]
fn legitimate_restart_is_a_gap_not_a_failure() {
    let mut s = spec();
    s.stops = vec![(
        start() + Duration::hours(10) + Duration::minutes(20),
        start() + Duration::hours(12) + Duration::minutes(40),
    )];
    let sc = build(&s);
    let v = sc.verify_day();
    assert!(v.all_valid(), "{:?}", invalid(&v));
    let gaps: usize = v.streams.iter().map(|s| s.gaps.len()).sum();
    assert_eq!(gaps, 2, "one restart per region");
    let a = cli(&sc, &[]).code(0);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("No log files were delivered by CloudTrail between 2024-03-01T10:20:00Z and 2024-03-01T12:40:00Z"), "{err}");
}

#[test]
fn chain_break_by_deletion_fails_where_a_restart_passes() {
    let sc = build(&spec());
    let key = sc.digest_key(&stream("us-west-2"), 7);
    std::fs::remove_file(sc.path(&key)).unwrap();
    cli(&sc, &[]).code(1);
    let v = sc.verify_day();
    assert_eq!(invalid(&v), vec![(key, Category::NotFound)]);
    assert_eq!(v.streams.iter().map(|s| s.gaps.len()).sum::<usize>(), 0);
}

#[test]
fn replaced_previous_digest_breaks_the_hash_link() {
    // Another genuine chain for the same stream (same key, other content): its digest
    // verifies alone but is not the one the next digest recorded.
    let sc = build(&spec());
    let mut other_spec = spec();
    other_spec.seed = 99;
    let other = build(&other_spec);
    let key = sc.digest_key(&stream("us-east-1"), 8);
    std::fs::copy(other.path(&key), sc.path(&key)).unwrap();
    let mut side = sc.sidecar();
    side["objects"][&key] = other.sidecar()["objects"][&key].clone();
    sc.write_sidecar(&side);
    let v = sc.verify_day();
    assert_eq!(
        category(&v, FileKind::Digest, &key),
        Category::ChainLinkMismatch
    );
}

#[test]
fn tampering_outside_the_time_range_is_not_examined() {
    let sc = build(&spec());
    let (_, _, late_logs) = sc.digest_with_logs(&stream("us-east-1"), 20);
    std::fs::remove_file(sc.path(&late_logs[0])).unwrap();
    let v = sc.verify(start() + Duration::hours(5), start() + Duration::hours(10));
    assert!(v.all_valid(), "{:?}", invalid(&v));
    // CLI semantics: digests ending 05:01:31 .. 10:01:31 per region (the first straddles start).
    assert_eq!(count(&v, FileKind::Digest, is_valid), 12);
    let first = sc.digest_key(&stream("us-east-1"), 5);
    assert_eq!(status(&v, FileKind::Digest, &first), &Status::Valid);
}

#[test]
fn deleted_newest_digests_are_a_missing_chain_head() {
    let sc = build(&spec());
    for k in 22..=24 {
        std::fs::remove_file(sc.path(&sc.digest_key(&stream("us-west-2"), k))).unwrap();
    }
    let v = sc.verify_day();
    let bad = invalid(&v);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].1, Category::MissingChainHead);
    assert!(bad[0].0.contains("us-west-2"));
    // Logs of those hours are still in the bucket but cannot be verified.
    assert!(count(&v, FileKind::Log, is_unverified) > 0);
}

#[test]
fn organization_trail_with_prefix_validates_every_member_account() {
    let mut t = trail(&["eu-west-1"]);
    t.prefix = Some("audit/cloudtrail".into());
    t.org_id = Some("o-exampleorg1".into());
    t.accounts = vec!["444455556666".into(), "777788889999".into()];
    let mut s = EmitSpec::new(vec![t], start(), 24, &KEY_A);
    s.logs_per_hour = 1;
    let sc = build(&s);
    let v = sc.verify_day();
    assert!(v.all_valid());
    assert_eq!(v.streams.len(), 2);
    assert_eq!(count(&v, FileKind::Digest, is_valid), 48);
    let member = trailcheck::verify::digest::StreamId {
        prefix: "audit/cloudtrail".into(),
        org_id: Some("o-exampleorg1".into()),
        account: "777788889999".into(),
        region: "eu-west-1".into(),
    };
    let (_, _, logs) = sc.digest_with_logs(&member, 3);
    assert!(logs[0]
        .starts_with("audit/cloudtrail/AWSLogs/o-exampleorg1/777788889999/CloudTrail/eu-west-1/"));
    std::fs::remove_file(sc.path(&logs[0])).unwrap();
    let v = sc.verify_day();
    assert_eq!(invalid(&v), vec![(logs[0].clone(), Category::NotFound)]);
    // Filters narrow to one member account.
    cli(
        &sc,
        &[
            "--account-id",
            "444455556666",
            "--s3-prefix",
            "audit/cloudtrail",
        ],
    )
    .code(0);
    cli(&sc, &["--account-id", "777788889999"]).code(1);
}

#[test]
fn key_rotation_mid_range_validates_both_sides() {
    let mut s = spec();
    s.keys = vec![
        SigningKey {
            pem: KEY_A.clone(),
            from: start() - Duration::days(1),
        },
        SigningKey {
            pem: KEY_C.clone(),
            from: start() + Duration::hours(12),
        },
    ];
    let sc = build(&s);
    let v = sc.verify_day();
    assert!(v.all_valid(), "{:?}", invalid(&v));
    let early = sc.read_digest(&sc.digest_key(&stream("us-east-1"), 3));
    let late = sc.read_digest(&sc.digest_key(&stream("us-east-1"), 20));
    assert_ne!(
        early["digestPublicKeyFingerprint"],
        late["digestPublicKeyFingerprint"]
    );
    // Without the new key published, the digests after the rotation fail.
    let keys_json: Value =
        serde_json::from_slice(&std::fs::read(&sc.emitted.public_keys).unwrap()).unwrap();
    let only_old = serde_json::json!({"PublicKeyList": [keys_json["PublicKeyList"][0].clone()]});
    let only_old =
        trailcheck::verify::signature::KeySet::from_json(only_old.to_string().as_bytes()).unwrap();
    let v = sc.verify_with(start(), start() + Duration::hours(24), &only_old);
    let bad = invalid(&v);
    assert!(!bad.is_empty());
    assert!(
        bad.iter().all(|(_, c)| *c == Category::PublicKeyNotFound),
        "{bad:?}"
    );
}

#[test]
fn range_before_the_first_digest_has_no_digests_and_is_clean() {
    let sc = build(&spec());
    let a = Command::cargo_bin("trailcheck")
        .unwrap()
        .args([
            "verify",
            "--trail-arn",
            ARN,
            "--start-time",
            "2023-01-01T00:00:00Z",
            "--end-time",
            "2023-01-02T00:00:00Z",
            "--local",
        ])
        .arg(&sc.mirror)
        .arg("--public-keys")
        .arg(&sc.emitted.public_keys)
        .assert()
        .code(0);
    assert!(String::from_utf8_lossy(&a.get_output().stdout).contains("No digests found"));
}

#[test]
fn setup_errors_exit_2_with_what_to_do() {
    let sc = build(&spec());
    // No keys file: keys in the bucket are never trusted.
    let a = Command::cargo_bin("trailcheck")
        .unwrap()
        .args([
            "verify",
            "--trail-arn",
            ARN,
            "--start-time",
            "2024-03-01T00:00:00Z",
            "--local",
        ])
        .arg(&sc.mirror)
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("--public-keys"));
    // Missing sidecar.
    std::fs::remove_file(sc.mirror.join(".s3-metadata.json")).unwrap();
    let a = cli(&sc, &[]).code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains(".s3-metadata.json"));
    // Bad ARN, start after end.
    cli(&sc, &["--trail-arn", "not-an-arn"]).code(2);
    Command::cargo_bin("trailcheck")
        .unwrap()
        .args([
            "verify",
            "--trail-arn",
            ARN,
            "--start-time",
            "2024-03-03T00:00:00Z",
            "--end-time",
            "2024-03-01T00:00:00Z",
            "--local",
            "x",
            "--public-keys",
            "y",
        ])
        .assert()
        .code(2);
}

#[test]
fn keys_outside_the_range_are_an_error_when_digests_exist() {
    let sc = build(&spec());
    let empty = sc.dir.path().join("no-keys.json");
    std::fs::write(&empty, r#"{"PublicKeyList":[]}"#).unwrap();
    let a = Command::cargo_bin("trailcheck")
        .unwrap()
        .args([
            "verify",
            "--trail-arn",
            ARN,
            "--start-time",
            "2024-03-01T00:00:00Z",
            "--end-time",
            "2024-03-02T00:00:00Z",
            "--local",
        ])
        .arg(&sc.mirror)
        .arg("--public-keys")
        .arg(&empty)
        .assert()
        .code(2);
    assert!(
        String::from_utf8_lossy(&a.get_output().stderr).contains("No public keys found between")
    );
}

#[test]
fn all_digests_of_the_range_deleted_is_a_missing_chain_head_not_no_digests() {
    let sc = build(&spec());
    for k in 12..=24 {
        std::fs::remove_file(sc.path(&sc.digest_key(&stream("us-east-1"), k))).unwrap();
    }
    let v = sc.verify(start() + Duration::hours(14), start() + Duration::hours(24));
    let bad = invalid(&v);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].1, Category::MissingChainHead);
}

#[test]
fn range_after_a_final_digest_has_no_digests_and_is_clean() {
    // Logging stopped at 10:20 and never restarted: a final digest, then nothing.
    let mut s = spec();
    s.stops = vec![(
        start() + Duration::hours(10) + Duration::minutes(20),
        start() + Duration::hours(48),
    )];
    let sc = build(&s);
    let v = sc.verify(start() + Duration::hours(14), start() + Duration::hours(24));
    assert!(v.all_valid(), "{:?}", invalid(&v));
    assert!(v.streams.iter().all(|s| s.results.is_empty()));
}

/// A late log delivered after its hour's digest, covered by a backfill digest.
pub(crate) fn with_backfill(timestamp: Option<&str>) -> (Scenario, String, String) {
    let sc = build(&spec());
    let regular = sc.digest_key(&stream("us-east-1"), 5);
    let mut d = sc.read_digest(&regular);
    let late = format!(
        "AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/03/01/{ACCOUNT}_CloudTrail_us-east-1_20240301T0430Z_LateDeliveredLog.json.gz"
    );
    let body = b"{\"Records\":[]}";
    std::fs::write(sc.path(&late), gzip(body)).unwrap();
    let backfill = regular.replace(".json.gz", "_backfill.json.gz");
    d["digestS3Object"] = Value::from(backfill.clone());
    for f in [
        "previousDigestS3Bucket",
        "previousDigestS3Object",
        "previousDigestHashValue",
        "previousDigestHashAlgorithm",
        "previousDigestSignature",
    ] {
        d[f] = Value::Null;
    }
    d["logFiles"] = serde_json::json!([{
        "s3Bucket": BUCKET, "s3Object": late,
        "hashValue": trailcheck::verify::inflate::sha256_hex(body), "hashAlgorithm": "SHA-256",
        "newestEventTime": null, "oldestEventTime": null}]);
    let extra: Vec<(&str, &str)> = timestamp
        .map(|t| ("backfill-generation-timestamp", t))
        .into_iter()
        .collect();
    sc.write_signed_digest(&d, &KEY_A, &extra);
    (sc, backfill, late)
}

#[test]
fn backfill_digest_validates_and_covers_a_late_log() {
    let (sc, backfill, late) = with_backfill(Some("2024-03-01T09:00:00Z"));
    let v = sc.verify_day();
    assert!(v.all_valid(), "{:?}", invalid(&v));
    assert_eq!(
        status(&v, FileKind::BackfillDigest, &backfill),
        &Status::Valid
    );
    assert_eq!(status(&v, FileKind::Log, &late), &Status::Valid);
    let out = cli(&sc, &[]).code(0).get_output().stdout.clone();
    assert!(String::from_utf8(out)
        .unwrap()
        .contains("1/1 backfill digest files valid"));
}

#[test]
fn backfill_digest_without_generation_timestamp_is_invalid_format() {
    let (sc, backfill, late) = with_backfill(None);
    let v = sc.verify_day();
    assert_eq!(
        category(&v, FileKind::BackfillDigest, &backfill),
        Category::InvalidFormat
    );
    assert!(is_unverified(status(&v, FileKind::Log, &late)));
}

#[test]
fn hostile_digest_bytes_never_panic_the_reader() {
    // A poor man's fuzz run on stable (the cargo-fuzz target `digest` is the real one):
    // deterministic byte flips, truncations and splices of a genuine digest, compressed
    // and inflated, through the same reader the chain walk uses.
    use trailcheck::verify::{digest, inflate};
    let sc = build(&spec());
    let key = sc.digest_key(&stream("us-east-1"), 3);
    let gz = std::fs::read(sc.path(&key)).unwrap();
    let json = gunzip(&gz);
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut parsed_ok = 0;
    for round in 0..3000 {
        let base = if round % 2 == 0 { &gz } else { &json };
        let mut b = base.clone();
        match next() % 3 {
            0 => {
                for _ in 0..1 + next() % 4 {
                    let i = (next() as usize) % b.len();
                    b[i] ^= 1 << (next() % 8);
                }
            }
            1 => b.truncate((next() as usize) % b.len()),
            _ => {
                let i = (next() as usize) % b.len();
                let j = (next() as usize) % b.len();
                let chunk = b[i.min(j)..i.max(j)].to_vec();
                b.splice(i..i, chunk);
            }
        }
        let inflated = if round % 2 == 0 {
            inflate::inflate_all(&b, 1 << 20).ok()
        } else {
            Some(b)
        };
        if let Some(bytes) = inflated {
            if let Ok(d) = digest::parse_digest(&bytes) {
                parsed_ok += 1;
                let _ = digest::parse_digest_key(&d.key);
                let _ = digest::digest_key_date(&d.key);
            }
        }
    }
    // Some mutations leave the JSON valid (e.g. a flipped bit inside a hash string).
    assert!(parsed_ok > 0);
}

/// The trail logged to `old-bucket` until noon and to [`BUCKET`] after (a bucket change):
/// the first digest in the new bucket points back into the old one. Logging also stopped
/// from 04:30 to 07:00, so the old part of the chain has a restart: the digests before it
/// are only found by listing the old bucket, as `validate-logs` does.
fn moved_bucket() -> (Scenario, tempfile::TempDir, std::path::PathBuf) {
    let mut s = spec();
    s.trails[0].bucket = "old-bucket".into();
    s.stops = vec![(
        start() + Duration::hours(4) + Duration::minutes(30),
        start() + Duration::hours(7),
    )];
    let old = build(&s);
    let new_dir = tempfile::tempdir().unwrap();
    let new_mirror = new_dir.path().join(BUCKET);
    std::fs::create_dir_all(&new_mirror).unwrap();
    std::fs::write(
        new_mirror.join(".s3-metadata.json"),
        serde_json::to_vec(&serde_json::json!({
            "format": "trailcheck-s3-mirror-metadata/1", "bucket": BUCKET, "objects": {}
        }))
        .unwrap(),
    )
    .unwrap();
    let noon = "2024-03-01T12:00:00Z";
    for region in ["us-east-1", "us-west-2"] {
        let keys = LocalDir::open(&old.mirror)
            .unwrap()
            .list("old-bucket", &stream(region).digest_folder())
            .unwrap();
        // Re-deliver the afternoon's digests into the new bucket, re-chained and re-signed.
        let mut prev: Option<(String, String)> = None;
        for key in keys {
            let mut d = old.read_digest(&key);
            if d["digestStartTime"].as_str().unwrap() < noon {
                continue;
            }
            d["digestS3Bucket"] = Value::from(BUCKET);
            if let Some((sig, hash)) = &prev {
                d["previousDigestS3Bucket"] = Value::from(BUCKET);
                d["previousDigestHashValue"] = Value::from(hash.clone());
                d["previousDigestSignature"] = Value::from(sig.clone());
            } else {
                assert_eq!(d["previousDigestS3Bucket"], "old-bucket");
            }
            prev = Some(write_signed_digest_in(&new_mirror, &d, &KEY_A, &[]));
            std::fs::remove_file(old.path(&key)).unwrap();
        }
        assert!(prev.is_some(), "digests were moved");
    }
    (old, new_dir, new_mirror)
}

#[test]
fn a_chain_that_moved_buckets_is_followed_and_the_old_bucket_listed() {
    use trailcheck::verify::store::LocalMirrors;
    let (old, _new_dir, new_mirror) = moved_bucket();
    let store = LocalMirrors::open(&[new_mirror.clone(), old.mirror.clone()]).unwrap();
    let req = trailcheck::verify::Request {
        trail: old.trail.clone(),
        bucket: BUCKET.into(),
        start: start(),
        end: start() + Duration::hours(24),
        prefix: None,
        accounts: Vec::new(),
        regions: Vec::new(),
        max_log_bytes: 1 << 20,
        max_log_files: trailcheck::verify::chain::DEFAULT_MAX_LOG_FILES,
    };
    let keys = old.keys();
    let v = trailcheck::verify::verify(&req, &store, &|_| Ok(keys.clone())).unwrap();
    assert!(v.all_valid(), "{:?}", invalid(&v));
    for region in ["us-east-1", "us-west-2"] {
        // Before the restart, in the old bucket: reached only through its listing.
        let early = old.digest_key(&stream(region), 2);
        let r = v
            .streams
            .iter()
            .flat_map(|s| &s.results)
            .find(|r| r.kind == FileKind::Digest && r.key == early)
            .unwrap_or_else(|| panic!("{early} was never reached"));
        assert_eq!(r.status, Status::Valid);
        assert_eq!(r.bucket, "old-bucket");
    }
    // Both buckets' digests and every log they list are valid; the restart is a gap.
    assert_eq!(v.streams.iter().map(|s| s.gaps.len()).sum::<usize>(), 2);
    assert!(count(&v, FileKind::Log, is_valid) > 0);

    // The binary takes one --local per bucket; the first is the trail's.
    verify_day_cli(&[&new_mirror, &old.mirror], &old.emitted.public_keys, &[]).code(0);
    // Without the old bucket's mirror, the link into it cannot be read: never clean.
    verify_day_cli(&[&new_mirror], &old.emitted.public_keys, &[])
        .code(1)
        .stderr(predicates::str::contains(
            "no --local mirror holds bucket old-bucket",
        ));
}
