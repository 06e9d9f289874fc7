//! Benchmark of `trailcheck verify` (run: `scripts/bench-verify` or
//! `cargo bench --bench verify -- [--hours N] [--logs-per-hour N] [--records N] [--validate-logs]`).
//!
//! 1. Generates (once, cached in `$BENCH_VERIFY_DIR`, default `target/bench-verify`) a
//!    signed bucket with `verify::emit`: 2 regions x `--hours` hourly digests.
//! 2. Baseline: single-thread in-process gunzip + SHA-256 of every log file.
//! 3. `trailcheck verify --local` (the release binary), best of 3.
//! 4. With `--validate-logs`: serves the bucket from s3s-fs on 127.0.0.1 with a local
//!    CloudTrail ListPublicKeys endpoint, then times `aws cloudtrail validate-logs` (one run
//!    per region, as the CLI needs) against `trailcheck verify` through the same S3 server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "benchmark driver"
)]

use chrono::{Duration, TimeZone, Utc};
use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use trailcheck::verify::emit::{self, EmitSpec, TrailSpec};

const ARN: &str = "arn:aws:cloudtrail:us-east-1:111122223333:trail/ct";
const BUCKET: &str = "acme-ct";
const START: &str = "2024-03-01T00:00:00Z";

struct Opts {
    hours: u32,
    logs_per_hour: u32,
    records: u32,
    validate_logs: bool,
}

fn opts() -> Opts {
    let mut o = Opts {
        hours: 720,
        logs_per_hour: 5,
        records: 100,
        validate_logs: false,
    };
    let args: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < args.len() {
        let next = |i: usize| args.get(i + 1).and_then(|v| v.parse().ok());
        match args[i].as_str() {
            "--hours" => o.hours = next(i).expect("--hours N"),
            "--logs-per-hour" => o.logs_per_hour = next(i).expect("--logs-per-hour N"),
            "--records" => o.records = next(i).expect("--records N"),
            "--validate-logs" => {
                o.validate_logs = true;
                i -= 1;
            }
            _ => {
                i -= 1;
            }
        }
        i += 2;
    }
    o
}

fn end_time(o: &Opts) -> String {
    let start = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
    trailcheck::verify::digest::fmt_time(start + Duration::hours(i64::from(o.hours)))
}

fn generate(dir: &Path, o: &Opts) {
    let marker = dir.join(format!(
        "done-{}-{}-{}",
        o.hours, o.logs_per_hour, o.records
    ));
    if marker.exists() {
        println!("using the bucket generated earlier in {}", dir.display());
        return;
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap();
    let pem = key.to_pkcs1_pem(LineEnding::LF).unwrap().to_string();
    let trail = TrailSpec {
        trail_arn: ARN.into(),
        bucket: BUCKET.into(),
        prefix: None,
        accounts: vec!["111122223333".into()],
        regions: vec!["us-east-1".into(), "us-west-2".into()],
        org_id: None,
        events: Vec::new(),
    };
    let start = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
    let mut spec = EmitSpec::new(vec![trail], start, o.hours, &pem);
    spec.logs_per_hour = o.logs_per_hour;
    spec.records_per_log = o.records;
    spec.empty_hour_every = 0;
    let t = Instant::now();
    let e = emit::emit(&spec, dir).unwrap();
    println!(
        "generated {} digests, {} log files, {:.1} MB inflated in {:.1}s",
        e.digests,
        e.logs,
        mb(e.log_bytes),
        t.elapsed().as_secs_f64()
    );
    std::fs::write(marker, "").unwrap();
}

fn mb(b: u64) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "display only")]
    let b = b as f64;
    b / 1e6
}

fn log_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().contains("/CloudTrail/") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Runs the release binary; a non-zero exit is printed (the bucket may be tampered on
/// purpose to compare verdicts with validate-logs).
fn trailcheck(args: &[&str]) -> f64 {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_trailcheck"))
        .args(args)
        .output()
        .unwrap();
    let secs = t.elapsed().as_secs_f64();
    if out.status.code() != Some(0) {
        println!(
            "trailcheck exit {:?}:\n{}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    secs
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this binary without
    // it, and must not generate a gigabyte there.
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "benches/verify.rs: run it with `cargo bench --bench verify` or scripts/bench-verify"
        );
        return;
    }
    let o = opts();
    let dir = std::env::var_os("BENCH_VERIFY_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-verify"),
        PathBuf::from,
    );
    generate(&dir, &o);
    let mirror = dir.join(BUCKET);
    let keys = dir.join("public-keys.json");
    let logs = log_files(&mirror);
    let compressed: u64 = logs
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();

    // Baseline: one thread, gunzip + SHA-256 of every log, in process.
    let t = Instant::now();
    let mut inflated = 0u64;
    for p in &logs {
        let f = std::fs::File::open(p).unwrap();
        inflated +=
            trailcheck::verify::inflate::hash_gzip(f, u64::MAX).map_or(0, |h| h.first_member_len);
    }
    let base = t.elapsed().as_secs_f64();
    println!(
        "{} log files, {:.1} MB gzip, {:.1} MB inflated",
        logs.len(),
        mb(compressed),
        mb(inflated)
    );
    println!(
        "baseline  single-thread gunzip+sha256 in process: {base:.2}s  {:.0} MB/s",
        mb(inflated) / base
    );

    let end = end_time(&o);
    let local: Vec<&str> = vec![
        "verify",
        "--trail-arn",
        ARN,
        "--start-time",
        START,
        "--end-time",
        &end,
        "--local",
        mirror.to_str().unwrap(),
        "--public-keys",
        keys.to_str().unwrap(),
    ];
    let best = (0..3).map(|_| trailcheck(&local)).fold(f64::MAX, f64::min);
    println!(
        "trailcheck verify --local (best of 3): {best:.2}s  {:.0} MB/s  ({:.2}x the single-thread baseline)",
        mb(inflated) / best,
        base / best
    );

    if o.validate_logs {
        serve_and_compare(&dir, &o, &end, mb(inflated));
    }
}

#[cfg(not(feature = "s3"))]
fn serve_and_compare(_: &Path, _: &Opts, _: &str, _: f64) {
    println!("--validate-logs needs the s3 feature");
}

#[cfg(feature = "s3")]
fn serve_and_compare(dir: &Path, o: &Opts, end: &str, inflated_mb: f64) {
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use s3s::auth::SimpleAuth;
    use s3s::service::S3ServiceBuilder;
    use std::io::{BufRead, BufReader, Read, Write};

    const AK: &str = "AKIDTRAILCHECKBENCH";
    const SK: &str = "trailcheck-bench-secret";
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let root = dir.join("s3s-root");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let mut b = S3ServiceBuilder::new(s3s_fs::FileSystem::new(&root).unwrap());
    b.set_auth(SimpleAuth::from_single(AK, SK));
    let service = b.build().into_shared();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let s3 = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let svc = service.clone();
            tokio::spawn(async move {
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), svc)
                    .await;
            });
        }
    });

    // Upload the mirror with its metadata.
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .credentials_provider(Credentials::new(AK, SK, None, None, "bench"))
        .region(Region::new("us-east-1"))
        .endpoint_url(&s3)
        .force_path_style(true)
        .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
        .build();
    let client = {
        let _g = rt.enter();
        aws_sdk_s3::Client::from_conf(conf)
    };
    let mirror = dir.join(BUCKET);
    let side: serde_json::Value =
        serde_json::from_slice(&std::fs::read(mirror.join(".s3-metadata.json")).unwrap()).unwrap();
    rt.block_on(client.create_bucket().bucket(BUCKET).send())
        .unwrap();
    let t = Instant::now();
    let files: Vec<PathBuf> = {
        let mut v = Vec::new();
        let mut stack = vec![mirror.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if !p.ends_with(".s3-metadata.json") {
                    v.push(p);
                }
            }
        }
        v
    };
    rt.block_on(async {
        let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
        let mut tasks = Vec::new();
        for p in files {
            let key = p
                .strip_prefix(&mirror)
                .unwrap()
                .to_string_lossy()
                .to_string();
            let mut put = client
                .put_object()
                .bucket(BUCKET)
                .key(&key)
                .body(std::fs::read(&p).unwrap().into());
            if let Some(m) = side["objects"][&key].as_object() {
                for (k, v) in m {
                    put = put.metadata(k, v.as_str().unwrap());
                }
            }
            let permit = sem.clone().acquire_owned().await.unwrap();
            tasks.push(tokio::spawn(async move {
                put.send().await.unwrap();
                drop(permit);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    println!("uploaded to s3s-fs in {:.1}s", t.elapsed().as_secs_f64());

    // CloudTrail endpoint: ListPublicKeys answers with the generated keys.
    let keys_json = std::fs::read_to_string(dir.join("public-keys.json")).unwrap();
    let ct_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ct = format!("http://{}", ct_listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in ct_listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
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
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{keys_json}",
                keys_json.len()
            );
        }
    });

    let env = |c: &mut Command| {
        c.env("AWS_ACCESS_KEY_ID", AK)
            .env("AWS_SECRET_ACCESS_KEY", SK)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL_S3", &s3)
            .env("AWS_ENDPOINT_URL_CLOUDTRAIL", &ct)
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    };
    let t = Instant::now();
    for region in ["us-east-1", "us-west-2"] {
        let mut c = Command::new("aws");
        env(&mut c);
        let out = c
            .args([
                "cloudtrail",
                "validate-logs",
                "--trail-arn",
                ARN,
                "--start-time",
                START,
                "--end-time",
                end,
                "--s3-bucket",
                BUCKET,
                "--region",
                region,
            ])
            .output();
        match out {
            Ok(out) => {
                let text = String::from_utf8_lossy(&out.stdout);
                println!(
                    "validate-logs --region {region}: exit {:?}\n{}\n{}",
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr).trim(),
                    text.lines().rev().take(4).collect::<Vec<_>>().join(" | ")
                );
            }
            Err(e) => {
                println!("aws cloudtrail validate-logs could not be run: {e}");
                return;
            }
        }
    }
    let cli = t.elapsed().as_secs_f64();
    println!(
        "aws cloudtrail validate-logs (2 runs, one per region) via S3 on 127.0.0.1: {cli:.1}s  {:.1} MB/s",
        inflated_mb / cli
    );
    let t = Instant::now();
    let mut c = Command::new(env!("CARGO_BIN_EXE_trailcheck"));
    env(&mut c);
    let out = c
        .args([
            "verify",
            "--trail-arn",
            ARN,
            "--start-time",
            START,
            "--end-time",
            end,
            "--s3-bucket",
            BUCKET,
            "--endpoint-url",
            &s3,
            "--cloudtrail-endpoint-url",
            &ct,
            "--region",
            "us-east-1",
            "--region",
            "us-west-2",
        ])
        .output()
        .unwrap();
    let ours = t.elapsed().as_secs_f64();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "trailcheck verify via the same S3 server: {ours:.1}s  {:.0} MB/s  ({:.0}x faster than validate-logs)",
        inflated_mb / ours,
        cli / ours
    );
    let _ = o;
}
