//! Writes a realistic, signed CloudTrail bucket mirror: gzip'd log files and chained,
//! signed hourly digests per (account, region), in the exact AWS layout and format, plus
//! the `.s3-metadata.json` sidecar (digest-format.md §7) and a public-keys JSON.
//!
//! This is the library behind `simulate --emit`; verify's tests build their scenarios
//! with it. Output is a pure function of the [`EmitSpec`] (seeded, no clock, no OS RNG).
use super::digest::{fmt_key_time, fmt_time, StreamId};
use super::inflate::sha256_hex;
use super::store::{METADATA_FILE, METADATA_FORMAT};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use flate2::write::GzEncoder;
use flate2::Compression;
use md5::Md5;
use rayon::prelude::*;
use rsa::pkcs1::{DecodeRsaPrivateKey as _, EncodeRsaPublicKey as _};
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use serde_json::{json, Map, Value};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum EmitError {
    #[error("signing key {index} is not an RSA private key in PKCS#1 or PKCS#8 PEM: {reason}")]
    Key { index: usize, reason: String },
    #[error("no signing key given")]
    NoKey,
    #[error("trail {0:?} is not a trail ARN")]
    BadArn(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("signing failed: {0}")]
    Sign(String),
    #[error("{0}")]
    Range(String),
}

/// Most hours one emit writes (ten years of hourly digests per stream).
pub const MAX_EMIT_HOURS: u32 = 87_600;

/// Checks that every time the spec implies lies in verify's range (1970 to 9999), so the
/// arithmetic below cannot overflow and `verify` can read what is written.
fn check_range(spec: &EmitSpec) -> Result<(), EmitError> {
    use super::digest::{in_time_range, plus};
    if spec.hours > MAX_EMIT_HOURS {
        return Err(EmitError::Range(format!(
            "--hours {} is more than {MAX_EMIT_HOURS} (ten years of hourly digests)",
            spec.hours
        )));
    }
    let last = plus(
        spec.start,
        Duration::hours(i64::from(spec.hours)) + Duration::days(31),
    );
    let first = super::digest::minus(spec.start, Duration::days(2));
    let keys_ok = spec.keys.iter().all(|k| {
        in_time_range(super::digest::minus(k.from, Duration::hours(1)))
            && in_time_range(plus(k.from, Duration::hours(1)))
    });
    let stops_ok = spec
        .stops
        .iter()
        .all(|(a, b)| in_time_range(*a) && in_time_range(*b));
    if !in_time_range(first) || !in_time_range(last) || !keys_ok || !stops_ok {
        return Err(EmitError::Range(format!(
            "the emitted times ({} plus {} hours, key rotations and stops) must lie between \
             1970 and 9999",
            fmt_time(spec.start),
            spec.hours
        )));
    }
    Ok(())
}

/// One event the trail captures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSpec {
    /// e.g. `s3.amazonaws.com`
    pub source: String,
    /// e.g. `GetObject`
    pub name: String,
    pub read_only: bool,
    pub management: bool,
}

impl EventSpec {
    #[must_use]
    pub fn new(source: &str, name: &str, read_only: bool, management: bool) -> Self {
        EventSpec {
            source: source.into(),
            name: name.into(),
            read_only,
            management,
        }
    }

    /// A plausible management-event mix.
    #[must_use]
    pub fn management_defaults() -> Vec<EventSpec> {
        vec![
            EventSpec::new("sts.amazonaws.com", "AssumeRole", true, true),
            EventSpec::new("ec2.amazonaws.com", "DescribeInstances", true, true),
            EventSpec::new("iam.amazonaws.com", "GetRole", true, true),
            EventSpec::new("s3.amazonaws.com", "ListBuckets", true, true),
            EventSpec::new("kms.amazonaws.com", "Decrypt", true, true),
            EventSpec::new("ec2.amazonaws.com", "RunInstances", false, true),
            EventSpec::new("iam.amazonaws.com", "CreateRole", false, true),
            EventSpec::new("signin.amazonaws.com", "ConsoleLogin", false, true),
        ]
    }
}

/// A trail to emit files for.
#[derive(Debug, Clone)]
pub struct TrailSpec {
    pub trail_arn: String,
    pub bucket: String,
    /// `S3KeyPrefix`, without leading or trailing `/`.
    pub prefix: Option<String>,
    /// Accounts whose activity is logged (member accounts for an organization trail).
    pub accounts: Vec<String>,
    /// Source regions (one for a single-region trail).
    pub regions: Vec<String>,
    /// Organization id for an organization trail.
    pub org_id: Option<String>,
    pub events: Vec<EventSpec>,
}

/// A signing key and the time from which CloudTrail signs with it.
#[derive(Debug, Clone)]
pub struct SigningKey {
    /// RSA private key, PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8 PEM.
    pub pem: String,
    /// Digests ending at or after this time are signed with this key (until the next).
    pub from: DateTime<Utc>,
}

/// What to write.
#[derive(Debug, Clone)]
pub struct EmitSpec {
    pub trails: Vec<TrailSpec>,
    /// Start of the first digest hour.
    pub start: DateTime<Utc>,
    pub hours: u32,
    /// At least one; rotation when several (sorted by `from`).
    pub keys: Vec<SigningKey>,
    /// Log files per stream and full hour.
    pub logs_per_hour: u32,
    pub records_per_log: u32,
    /// Every n-th hour has no activity (an empty digest); 0 for never.
    pub empty_hour_every: u32,
    /// Intervals in which logging was stopped (a final digest, then a new chain).
    pub stops: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    pub seed: u64,
}

impl EmitSpec {
    /// A small, realistic default: 4 logs of 20 records per hour, every 7th hour empty.
    #[must_use]
    pub fn new(trails: Vec<TrailSpec>, start: DateTime<Utc>, hours: u32, key_pem: &str) -> Self {
        EmitSpec {
            trails,
            start,
            hours,
            keys: vec![SigningKey {
                pem: key_pem.to_string(),
                from: start - Duration::days(1),
            }],
            logs_per_hour: 4,
            records_per_log: 20,
            empty_hour_every: 7,
            stops: Vec::new(),
            seed: 1,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct Emitted {
    /// One mirror root (`DIR/<bucket>`) per bucket.
    pub mirrors: Vec<PathBuf>,
    /// `DIR/public-keys.json`.
    pub public_keys: PathBuf,
    pub digests: usize,
    pub logs: usize,
    /// Inflated bytes of all log files.
    pub log_bytes: u64,
}

struct Key {
    private: RsaPrivateKey,
    fingerprint: String,
    der: Vec<u8>,
    from: DateTime<Utc>,
}

/// Writes the mirrors under `out/<bucket>/` and `out/public-keys.json`.
///
/// # Errors
/// Bad key or ARN, or a write failure.
pub fn emit(spec: &EmitSpec, out: &Path) -> Result<Emitted, EmitError> {
    check_range(spec)?;
    let mut keys = spec
        .keys
        .iter()
        .enumerate()
        .map(|(index, k)| {
            let private = RsaPrivateKey::from_pkcs1_pem(&k.pem)
                .or_else(|_| RsaPrivateKey::from_pkcs8_pem(&k.pem))
                .map_err(|e| EmitError::Key {
                    index,
                    reason: e.to_string(),
                })?;
            let bits = rsa::traits::PublicKeyParts::n(&private).bits();
            if !super::signature::RSA_BITS.contains(&bits) {
                return Err(EmitError::Key {
                    index,
                    reason: format!(
                        "a {bits}-bit key; `verify` (like CloudTrail) takes {} to {} bits",
                        super::signature::RSA_BITS.start(),
                        super::signature::RSA_BITS.end()
                    ),
                });
            }
            let der = private
                .to_public_key()
                .to_pkcs1_der()
                .map_err(|e| EmitError::Key {
                    index,
                    reason: e.to_string(),
                })?
                .as_bytes()
                .to_vec();
            Ok(Key {
                fingerprint: hex::encode(Md5::digest(&der)),
                private,
                der,
                from: k.from,
            })
        })
        .collect::<Result<Vec<_>, EmitError>>()?;
    if keys.is_empty() {
        return Err(EmitError::NoKey);
    }
    keys.sort_by_key(|k| k.from);

    // Every (trail, account, region) stream, generated in parallel, deterministically.
    let mut streams = Vec::new();
    for trail in &spec.trails {
        let arn = super::TrailArn::parse(&trail.trail_arn)
            .map_err(|_| EmitError::BadArn(trail.trail_arn.clone()))?;
        for account in &trail.accounts {
            for region in &trail.regions {
                let id = StreamId {
                    prefix: trail.prefix.clone().unwrap_or_default(),
                    org_id: trail.org_id.clone(),
                    account: account.clone(),
                    region: region.clone(),
                };
                streams.push((trail, arn.clone(), id));
            }
        }
    }
    let results: Vec<StreamOut> = streams
        .par_iter()
        .enumerate()
        .map(|(i, (trail, arn, id))| {
            emit_stream(
                spec,
                &keys,
                trail,
                arn,
                id,
                out,
                spec.seed.wrapping_add(i as u64 * 7919),
            )
        })
        .collect::<Result<_, _>>()?;

    let mut emitted = Emitted::default();
    let mut sidecars: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for ((trail, _, _), r) in streams.iter().zip(results) {
        emitted.digests += r.digests;
        emitted.logs += r.logs;
        emitted.log_bytes += r.log_bytes;
        sidecars
            .entry(&trail.bucket)
            .or_default()
            .extend(r.metadata);
    }
    for (bucket, objects) in sidecars {
        let root = out.join(bucket);
        let side = json!({"format": METADATA_FORMAT, "bucket": bucket, "objects": objects});
        write_file(&root.join(METADATA_FILE), &pretty(&side))?;
        emitted.mirrors.push(root);
    }
    let list: Vec<Value> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let from = if i == 0 {
                k.from.min(spec.start - Duration::days(1))
            } else {
                k.from - Duration::hours(1)
            };
            let to = keys.get(i + 1).map_or_else(
                || spec.start + Duration::hours(i64::from(spec.hours)) + Duration::days(30),
                |next| next.from + Duration::hours(1),
            );
            #[expect(
                clippy::cast_precision_loss,
                reason = "epoch seconds fit an f64 exactly"
            )]
            let (from, to) = (from.timestamp() as f64, to.timestamp() as f64);
            json!({
                "ValidityStartTime": from,
                "ValidityEndTime": to,
                "Value": base64::engine::general_purpose::STANDARD.encode(&k.der),
                "Fingerprint": k.fingerprint,
            })
        })
        .collect();
    emitted.public_keys = out.join("public-keys.json");
    write_file(
        &emitted.public_keys,
        &pretty(&json!({"PublicKeyList": list})),
    )?;
    Ok(emitted)
}

fn pretty(v: &Value) -> Vec<u8> {
    let mut s = serde_json::to_vec_pretty(v).unwrap_or_default();
    s.push(b'\n');
    s
}

struct StreamOut {
    metadata: Map<String, Value>,
    digests: usize,
    logs: usize,
    log_bytes: u64,
}

/// splitmix64: small, fast, deterministic; not for secrets.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }

    fn alnum(&mut self, len: usize) -> String {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| char::from(CHARS[(self.next() % CHARS.len() as u64) as usize]))
            .collect()
    }

    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789abcdef"[(self.next() % 16) as usize]))
            .collect()
    }
}

struct PrevDigest {
    key: String,
    sha256: String,
    signature: String,
}

/// The digest windows of a stream: `(start, end, starting)` with stops applied.
fn windows(spec: &EmitSpec) -> Vec<(DateTime<Utc>, DateTime<Utc>, bool)> {
    let offset = Duration::seconds(91);
    let mut out = Vec::new();
    let mut chain_start = true;
    let mut k = 0;
    let mut ws = spec.start + offset;
    while k < spec.hours {
        let we = spec.start + offset + Duration::hours(i64::from(k) + 1);
        if let Some(&(a, b)) = spec.stops.iter().find(|(a, _)| *a >= ws && *a < we) {
            // Final digest up to the stop, then nothing until the restart.
            if a > ws {
                out.push((ws, a, chain_start));
            }
            chain_start = true;
            // Next window starts at the restart and ends on the next hourly boundary.
            while spec.start + offset + Duration::hours(i64::from(k) + 1) <= b && k < spec.hours {
                k += 1;
            }
            ws = b;
            continue;
        }
        out.push((ws, we, chain_start));
        chain_start = false;
        ws = we;
        k += 1;
    }
    out
}

fn emit_stream(
    spec: &EmitSpec,
    keys: &[Key],
    trail: &TrailSpec,
    arn: &super::TrailArn,
    id: &StreamId,
    out: &Path,
    seed: u64,
) -> Result<StreamOut, EmitError> {
    let mut rng = Rng(seed);
    let root = out.join(&trail.bucket);
    let mut result = StreamOut {
        metadata: Map::new(),
        digests: 0,
        logs: 0,
        log_bytes: 0,
    };
    let mut prev: Option<PrevDigest> = None;
    let events = if trail.events.is_empty() {
        EventSpec::management_defaults()
    } else {
        trail.events.clone()
    };
    for (hour, (ws, we, starting)) in windows(spec).into_iter().enumerate() {
        if starting {
            prev = None;
        }
        let empty = spec.empty_hour_every > 0
            && u32::try_from(hour)
                .is_ok_and(|h| h % spec.empty_hour_every == spec.empty_hour_every - 1);
        let span = (we - ws).num_seconds();
        let n_logs = if empty || span < 180 {
            0
        } else {
            spec.logs_per_hour
        };
        let mut log_entries = Vec::new();
        let mut newest_all: Option<DateTime<Utc>> = None;
        let mut oldest_all: Option<DateTime<Utc>> = None;
        let mut deliveries: Vec<i64> = (0..n_logs)
            .map(|_| 60 + rng.below(u64::try_from(span - 120).unwrap_or(1)) as i64)
            .collect();
        deliveries.sort_unstable();
        for offset in deliveries {
            let delivered = ws + Duration::seconds(offset);
            let key = format!(
                "{}CloudTrail/{}/{}/{}_CloudTrail_{}_{}_{}.json.gz",
                id.base(),
                id.region,
                delivered.format("%Y/%m/%d"),
                id.account,
                id.region,
                delivered.format("%Y%m%dT%H%MZ"),
                rng.alnum(16)
            );
            let (body, oldest, newest) =
                log_body(&mut rng, spec.records_per_log, &events, arn, id, delivered);
            let compressed = gzip(&body)?;
            write_file(&root.join(&key), &compressed)?;
            result.logs += 1;
            result.log_bytes += body.len() as u64;
            newest_all = Some(newest_all.map_or(newest, |n| n.max(newest)));
            oldest_all = Some(oldest_all.map_or(oldest, |o| o.min(oldest)));
            log_entries.push(json!({
                "s3Bucket": trail.bucket,
                "s3Object": key,
                "hashValue": sha256_hex(&body),
                "hashAlgorithm": "SHA-256",
                "newestEventTime": fmt_time(newest),
                "oldestEventTime": fmt_time(oldest),
            }));
        }
        let key = id.digest_key(&arn.name, &arn.home_region, we);
        let signer = keys.iter().rev().find(|k| k.from <= we).unwrap_or(&keys[0]);
        let p = prev.as_ref();
        let digest = json!({
            "awsAccountId": id.account,
            "digestStartTime": fmt_time(ws),
            "digestEndTime": fmt_time(we),
            "digestS3Bucket": trail.bucket,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": signer.fingerprint,
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": newest_all.map(fmt_time),
            "oldestEventTime": oldest_all.map(fmt_time),
            "previousDigestS3Bucket": p.map(|_| trail.bucket.clone()),
            "previousDigestS3Object": p.map(|p| p.key.clone()),
            "previousDigestHashValue": p.map(|p| p.sha256.clone()),
            "previousDigestHashAlgorithm": p.map(|_| "SHA-256"),
            "previousDigestSignature": p.map(|p| p.signature.clone()),
            "logFiles": log_entries,
        });
        let bytes = serde_json::to_vec(&digest).unwrap_or_default();
        let sha = sha256_hex(&bytes);
        let signing = format!(
            "{}\n{}/{}\n{}\n{}",
            fmt_time(we),
            trail.bucket,
            key,
            sha,
            p.map_or("null", |p| p.signature.as_str())
        );
        let signature = signer
            .private
            .sign(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(signing.as_bytes()),
            )
            .map_err(|e| EmitError::Sign(e.to_string()))?;
        let signature = hex::encode(signature);
        write_file(&root.join(&key), &gzip(&bytes)?)?;
        result.metadata.insert(
            key.clone(),
            json!({"signature": signature, "signature-algorithm": "SHA256withRSA"}),
        );
        result.digests += 1;
        prev = Some(PrevDigest {
            key,
            sha256: sha,
            signature,
        });
    }
    Ok(result)
}

fn log_body(
    rng: &mut Rng,
    records: u32,
    events: &[EventSpec],
    arn: &super::TrailArn,
    id: &StreamId,
    delivered: DateTime<Utc>,
) -> (Vec<u8>, DateTime<Utc>, DateTime<Utc>) {
    let mut body = String::with_capacity(records as usize * 1100 + 16);
    body.push_str("{\"Records\":[");
    let mut oldest = delivered;
    let mut newest = delivered - Duration::days(1);
    for i in 0..records {
        let ev = &events[(rng.next() % events.len() as u64) as usize];
        let t = delivered - Duration::seconds(120 + rng.below(600) as i64);
        oldest = oldest.min(t);
        newest = newest.max(t);
        if i > 0 {
            body.push(',');
        }
        let role = [
            "Admin",
            "ReadOnly",
            "ci-deployer",
            "OrganizationAccountAccessRole",
        ][(rng.next() % 4) as usize];
        let ip = format!(
            "{}.{}.{}.{}",
            10 + rng.below(200),
            rng.below(256),
            rng.below(256),
            1 + rng.below(254)
        );
        let category = if ev.management { "Management" } else { "Data" };
        body.push_str(&format!(
            concat!(
                r#"{{"eventVersion":"1.09","userIdentity":{{"type":"AssumedRole","principalId":"AROA{pid}:session-{sess}","#,
                r#""arn":"arn:aws:sts::{acct}:assumed-role/{role}/session-{sess}","accountId":"{acct}","accessKeyId":"ASIA{akid}","#,
                r#""sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROA{pid}","arn":"arn:aws:iam::{acct}:role/{role}","#,
                r#""accountId":"{acct}","userName":"{role}"}},"attributes":{{"creationDate":"{created}","mfaAuthenticated":"false"}}}}}},"#,
                r#""eventTime":"{time}","eventSource":"{source}","eventName":"{name}","awsRegion":"{region}","#,
                r#""sourceIPAddress":"{ip}","userAgent":"aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64 command/{cmd}","#,
                r#""requestParameters":{{"maxResults":{max}}},"responseElements":null,"requestID":"{rid}","eventID":"{eid}","#,
                r#""readOnly":{ro},"eventType":"AwsApiCall","managementEvent":{mgmt},"recipientAccountId":"{acct}","#,
                r#""eventCategory":"{category}","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","#,
                r#""clientProvidedHostHeader":"{host}"}},"sharedEventID":"{trail}"}}"#
            ),
            pid = rng.alnum(17).to_uppercase(),
            sess = rng.below(1_000_000),
            acct = id.account,
            role = role,
            akid = rng.alnum(16).to_uppercase(),
            created = fmt_time(t - Duration::minutes(30)),
            time = fmt_time(t),
            source = ev.source,
            name = ev.name,
            region = id.region,
            ip = ip,
            cmd = ev.name.to_lowercase(),
            max = 50 + rng.below(950),
            rid = format!("{}-{}-{}-{}-{}", rng.hex(8), rng.hex(4), rng.hex(4), rng.hex(4), rng.hex(12)),
            eid = format!("{}-{}-{}-{}-{}", rng.hex(8), rng.hex(4), rng.hex(4), rng.hex(4), rng.hex(12)),
            ro = ev.read_only,
            mgmt = ev.management,
            category = category,
            host = format!("{}.{}.amazonaws.com", ev.source.split('.').next().unwrap_or("sts"), id.region),
            trail = arn.name,
        ));
    }
    body.push_str("]}");
    if records == 0 {
        newest = delivered;
    }
    (body.into_bytes(), oldest, newest)
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>, EmitError> {
    let mut e = GzEncoder::new(Vec::with_capacity(bytes.len() / 6), Compression::new(6));
    e.write_all(bytes)
        .and_then(|()| e.finish())
        .map_err(|source| EmitError::Write {
            path: "<gzip>".into(),
            source,
        })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), EmitError> {
    let err = |source| EmitError::Write {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(err)?;
    }
    std::fs::write(path, bytes).map_err(err)
}

/// The key of the digest ending at `end` in a stream (convenience for callers and tests).
#[must_use]
pub fn digest_key_for(id: &StreamId, trail: &super::TrailArn, end: DateTime<Utc>) -> String {
    id.digest_key(&trail.name, &trail.home_region, end)
}

/// Hourly digest end times of [`emit`] without stops: `start + k h + 1m31s`.
#[must_use]
pub fn digest_end(start: DateTime<Utc>, k: u32) -> DateTime<Utc> {
    start + Duration::seconds(91) + Duration::hours(i64::from(k))
}

/// `YYYYMMDDTHHMMSSZ` of a time (re-exported for tests building keys).
#[must_use]
pub fn key_time(t: DateTime<Utc>) -> String {
    fmt_key_time(t)
}
