//! The S3 code path against a real S3-compatible server (s3s-fs) on 127.0.0.1, started
//! by the test itself, and a local CloudTrail endpoint answering ListPublicKeys and
//! DescribeTrails for the real SDK client. Nothing here is skipped when absent: the
//! server is a dev-dependency, so `cargo test` always runs it.
use super::scenario::*;
use assert_cmd::Command;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

// Short names: s3s-fs 0.11 stores per-object files named after base64(bucket)+base64(key),
// which exceed NAME_MAX (255) for digest keys of long trail and bucket names.
const S3_ARN: &str = "arn:aws:cloudtrail:us-east-1:111122223333:trail/ct";
const S3_BUCKET: &str = "acme-ct";
const AK: &str = "AKIDTRAILCHECKTEST";
const SK: &str = "trailcheck-test-secret-key";

/// Starts s3s-fs over `root` on an ephemeral port; returns the endpoint URL.
fn start_s3(rt: &tokio::runtime::Runtime, root: &Path) -> String {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use s3s::auth::SimpleAuth;
    use s3s::service::S3ServiceBuilder;
    let fs = s3s_fs::FileSystem::new(root).unwrap();
    let mut b = S3ServiceBuilder::new(fs);
    b.set_auth(SimpleAuth::from_single(AK, SK));
    let service = b.build().into_shared();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                break;
            };
            let svc = service.clone();
            tokio::spawn(async move {
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), svc)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

/// A tiny CloudTrail JSON-1.1 endpoint; records each `X-Amz-Target` and the
/// `Authorization` scope (which carries the region the client asked).
fn start_cloudtrail(keys_json: Value, describe: Value) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut target, mut scope, mut len) = (String::new(), String::new(), 0usize);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("x-amz-target:") {
                    target = v.trim().to_string();
                } else if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                } else if lower.starts_with("authorization:") {
                    scope = lower
                        .split("credential=")
                        .nth(1)
                        .and_then(|c| c.split('/').nth(2))
                        .unwrap_or("")
                        .to_string();
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let answer = if target.ends_with("listpublickeys") {
                &keys_json
            } else {
                &describe
            };
            log.lock().unwrap().push(format!("{target} {scope}"));
            let payload = answer.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
                payload.len()
            );
        }
    });
    (format!("http://{addr}"), seen)
}

fn client(rt: &tokio::runtime::Runtime, endpoint: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .credentials_provider(Credentials::new(AK, SK, None, None, "test"))
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        // s3s-fs 0.11 does not take the SDK's default streaming CRC trailers.
        .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
        .build();
    let _guard = rt.enter();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Uploads the mirror with each object's user metadata from the sidecar.
fn upload(rt: &tokio::runtime::Runtime, c: &aws_sdk_s3::Client, sc: &Scenario) {
    let side = sc.sidecar();
    rt.block_on(c.create_bucket().bucket(S3_BUCKET).send())
        .unwrap();
    let mut stack = vec![sc.mirror.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let key = path
                .strip_prefix(&sc.mirror)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if key == ".s3-metadata.json" {
                continue;
            }
            let mut put = c
                .put_object()
                .bucket(S3_BUCKET)
                .key(&key)
                .body(ByteStream::from(std::fs::read(&path).unwrap()));
            if let Some(meta) = side["objects"][&key].as_object() {
                for (k, v) in meta {
                    put = put.metadata(k, v.as_str().unwrap());
                }
            }
            rt.block_on(put.send()).unwrap();
        }
    }
}

fn run_cli(s3: &str, ct: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    cli_cmd(s3, ct).args(extra).assert()
}

/// The verify command line against `s3` and `ct`, before extra arguments.
fn cli_cmd(s3: &str, ct: &str) -> Command {
    let mut cmd = Command::cargo_bin("trailcheck").unwrap();
    cmd.env_clear()
        .env("AWS_ACCESS_KEY_ID", AK)
        .env("AWS_SECRET_ACCESS_KEY", SK)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/trailcheck-test")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/trailcheck-test",
        )
        .args([
            "verify",
            "--trail-arn",
            S3_ARN,
            "--start-time",
            "2024-03-01T00:00:00Z",
            "--end-time",
            "2024-03-02T00:00:00Z",
            "--endpoint-url",
            s3,
            "--cloudtrail-endpoint-url",
            ct,
            "--format",
            "json",
        ]);
    cmd
}

#[test]
fn s3_bucket_with_metadata_and_api_keys_verifies_through_the_sdk() {
    let mut s = spec();
    s.trails[0].trail_arn = S3_ARN.into();
    s.trails[0].bucket = S3_BUCKET.into();
    let sc = build(&s);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let root = tempfile::tempdir().unwrap();
    let s3 = start_s3(&rt, root.path());
    let c = client(&rt, &s3);
    upload(&rt, &c, &sc);

    let keys: Value =
        serde_json::from_slice(&std::fs::read(&sc.emitted.public_keys).unwrap()).unwrap();
    let describe = serde_json::json!({"trailList": [{
        "Name": "ct", "S3BucketName": S3_BUCKET, "TrailARN": S3_ARN,
        "HomeRegion": "us-east-1", "IsMultiRegionTrail": true, "IsOrganizationTrail": false}]});
    let (ct, seen) = start_cloudtrail(keys, describe);

    // Bucket from DescribeTrails, keys from ListPublicKeys in each source region.
    let out = run_cli(&s3, &ct, &[]).code(0).get_output().stdout.clone();
    let j: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(j["summary"]["digests"]["valid"], 48);
    assert_eq!(j["summary"]["logs"]["valid"], 84);
    let calls = seen.lock().unwrap().clone();
    assert!(
        calls.iter().any(|c| c.contains("describetrails")),
        "{calls:?}"
    );
    assert!(
        calls
            .iter()
            .any(|c| c.contains("listpublickeys") && c.ends_with("us-east-1")),
        "{calls:?}"
    );
    assert!(
        calls
            .iter()
            .any(|c| c.contains("listpublickeys") && c.ends_with("us-west-2")),
        "{calls:?}"
    );

    // Tamper through S3: delete a log; re-upload a digest with another digest's signature.
    let (_, digest, logs) = sc.digest_with_logs(&stream("us-west-2"), 3);
    rt.block_on(c.delete_object().bucket(S3_BUCKET).key(&logs[0]).send())
        .unwrap();
    let other = sc.digest_key(&stream("us-east-1"), 9);
    let donor = sc.digest_key(&stream("us-east-1"), 10);
    let body = std::fs::read(sc.path(&other)).unwrap();
    let side = sc.sidecar();
    rt.block_on(
        c.put_object()
            .bucket(S3_BUCKET)
            .key(&other)
            .body(ByteStream::from(body))
            .metadata(
                "signature",
                side["objects"][&donor]["signature"].as_str().unwrap(),
            )
            .metadata("signature-algorithm", "SHA256withRSA")
            .send(),
    )
    .unwrap();
    let out = run_cli(&s3, &ct, &["--s3-bucket", S3_BUCKET])
        .code(1)
        .get_output()
        .stdout
        .clone();
    let j: Value = serde_json::from_slice(&out).unwrap();
    let bad: Vec<(String, String)> = j["results"]
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
        .collect();
    assert!(
        bad.contains(&(logs[0].clone(), "not_found".into())),
        "{bad:?} {digest}"
    );
    assert!(
        bad.contains(&(other.clone(), "signature_failed".into())),
        "{bad:?}"
    );
    assert_eq!(bad.len(), 2, "{bad:?}");

    // A wrong bucket is an access error, exit 2.
    run_cli(&s3, &ct, &["--s3-bucket", "no-such-bucket"]).code(2);
}

/// What a fault-injecting endpoint does with one request.
#[derive(Clone, Copy)]
enum Reply {
    /// Accept, read the request, never answer.
    Hang,
    /// Send a status line and headers promising a body, then nothing.
    HeadersThenHang,
    /// Answer 200 with this body.
    Ok(&'static str, &'static str),
}

/// A raw HTTP endpoint on 127.0.0.1 answering each request by `route(method, target)`.
fn start_faulty(route: fn(&str, &str) -> Reply) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                let _ = reader.read_line(&mut first);
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; len];
                let _ = reader.read_exact(&mut body);
                let mut parts = first.split_whitespace();
                let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                match route(method, target) {
                    Reply::Hang => std::thread::sleep(std::time::Duration::from_secs(3600)),
                    Reply::HeadersThenHang => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n\x1f"
                        );
                        let _ = stream.flush();
                        std::thread::sleep(std::time::Duration::from_secs(3600));
                    }
                    Reply::Ok(content_type, payload) => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
                            payload.len()
                        );
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

const DIGEST_KEY: &str = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/111122223333_CloudTrail-Digest_us-east-1_ct_us-east-1_20240301T050131Z.json.gz";

const LISTING: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#,
    "<Name>acme-ct</Name><Prefix>AWSLogs/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>",
    "<IsTruncated>false</IsTruncated><Contents><Key>AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/111122223333_CloudTrail-Digest_us-east-1_ct_us-east-1_20240301T050131Z.json.gz</Key>",
    "<Size>10</Size></Contents></ListBucketResult>"
);

const XML: &str = "application/xml";

/// verify against a faulty S3 endpoint with short timeouts; keys from a file.
fn faulty_run(s3: &str, ct: &str, keys: &Path) -> assert_cmd::assert::Assert {
    cli_cmd(s3, ct)
        .env("TRAILCHECK_S3_TIMEOUT_MS", "300")
        .args(["--s3-bucket", S3_BUCKET, "--public-keys"])
        .arg(keys)
        .timeout(std::time::Duration::from_secs(50))
        .assert()
}

fn keys_file() -> (tempfile::TempDir, std::path::PathBuf) {
    let sc = build(&spec());
    let path = sc.dir.path().join("keys-copy.json");
    std::fs::copy(&sc.emitted.public_keys, &path).unwrap();
    (sc.dir, path)
}

fn stderr_of(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).to_string()
}

#[test]
fn listing_that_never_answers_is_an_error_not_a_hang() {
    let (_d, keys) = keys_file();
    let s3 = start_faulty(|_, _| Reply::Hang);
    let a = faulty_run(&s3, "http://127.0.0.1:9", &keys).code(2);
    assert!(stderr_of(&a).contains("ListObjectsV2"), "{}", stderr_of(&a));
}

#[test]
fn malformed_listings_are_errors_not_an_empty_bucket() {
    let (_d, keys) = keys_file();
    for route in [
        (|_: &str, _: &str| {
            Reply::Ok(
                XML,
                "<ListBucketResult><Name>acme-ct</Name><Contents><Key>AWS",
            )
        }) as fn(&str, &str) -> Reply,
        |_, _| Reply::Ok(XML, "this is not XML at all"),
        |_, _| Reply::Ok(XML, ""),
        |_, _| {
            Reply::Ok(XML, "<ListBucketResult><Name>acme-ct</Name><KeyCount>3</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>")
        },
        |_, _| {
            Reply::Ok(XML, "<ListBucketResult><Name>acme-ct</Name><KeyCount>1</KeyCount><Contents><Key>AWSLogs/x</Key></Contents>")
        },
    ] {
        let s3 = start_faulty(route);
        let a = faulty_run(&s3, "http://127.0.0.1:9", &keys).code(2);
        assert!(stderr_of(&a).contains("cannot list"), "{}", stderr_of(&a));
    }
}

#[test]
fn repeated_continuation_token_is_a_paging_loop_error() {
    let (_d, keys) = keys_file();
    let s3 = start_faulty(|_, _| {
        Reply::Ok(
            XML,
            "<ListBucketResult><Name>acme-ct</Name><KeyCount>0</KeyCount><IsTruncated>true</IsTruncated><NextContinuationToken>again</NextContinuationToken></ListBucketResult>",
        )
    });
    let a = faulty_run(&s3, "http://127.0.0.1:9", &keys).code(2);
    let err = stderr_of(&a);
    assert!(err.contains("ListObjectsV2 paging loop"), "{err}");
}

#[test]
fn objects_that_never_arrive_are_unreadable_not_a_hang() {
    let (_d, keys) = keys_file();
    for route in [
        (|m: &str, t: &str| {
            if m == "GET" && t.contains("list-type=2") {
                Reply::Ok(XML, LISTING)
            } else {
                Reply::Hang
            }
        }) as fn(&str, &str) -> Reply,
        |m, t| {
            if m == "GET" && t.contains("list-type=2") {
                Reply::Ok(XML, LISTING)
            } else {
                Reply::HeadersThenHang
            }
        },
    ] {
        let s3 = start_faulty(route);
        let out = faulty_run(&s3, "http://127.0.0.1:9", &keys)
            .code(1)
            .get_output()
            .stdout
            .clone();
        let j: Value = serde_json::from_slice(&out).unwrap();
        let digest = j["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == DIGEST_KEY)
            .unwrap()
            .clone();
        assert_eq!(digest["category"], "unreadable", "{digest}");
    }
}

#[test]
fn list_public_keys_repeating_its_token_is_a_paging_loop_error() {
    let s3 = start_faulty(|m, t| {
        if m == "GET" && t.contains("list-type=2") {
            Reply::Ok(XML, LISTING)
        } else {
            Reply::Hang
        }
    });
    let (ct, _) = start_cloudtrail(
        serde_json::json!({"PublicKeyList": [], "NextToken": "same"}),
        serde_json::json!({}),
    );
    let a = cli_cmd(&s3, &ct)
        .env("TRAILCHECK_S3_TIMEOUT_MS", "300")
        .args(["--s3-bucket", S3_BUCKET])
        .timeout(std::time::Duration::from_secs(50))
        .assert()
        .code(2);
    let err = stderr_of(&a);
    assert!(
        err.contains("ListPublicKeys") && err.contains("paging loop"),
        "{err}"
    );
}
