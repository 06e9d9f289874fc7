//! Builds signed bucket mirrors with `verify::emit` and tampers with them.
//! Keys are generated at test time; no private key is stored in the repository.
use chrono::{DateTime, Duration, TimeZone, Utc};
use flate2::{write::GzEncoder, Compression};
use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
use serde_json::Value;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::LazyLock;
use tempfile::TempDir;
use trailcheck::verify::chain::{Category, FileKind, Status};
use trailcheck::verify::digest::StreamId;
use trailcheck::verify::emit::{self, EmitSpec, Emitted, TrailSpec};
use trailcheck::verify::report::Verdict;
use trailcheck::verify::signature::KeySet;
use trailcheck::verify::store::LocalDir;
use trailcheck::verify::{Request, TrailArn};

pub(crate) const ARN: &str = "arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events";
pub(crate) const BUCKET: &str = "acme-cloudtrail-logs";
pub(crate) const ACCOUNT: &str = "111122223333";

fn gen_key() -> String {
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap();
    key.to_pkcs1_pem(LineEnding::LF).unwrap().to_string()
}

/// The "CloudTrail" key every scenario signs with.
pub(crate) static KEY_A: LazyLock<String> = LazyLock::new(gen_key);
/// A key that is never published (a forger's key).
pub(crate) static KEY_B: LazyLock<String> = LazyLock::new(gen_key);
/// The key rotated to in the rotation scenario.
pub(crate) static KEY_C: LazyLock<String> = LazyLock::new(gen_key);

pub(crate) fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap()
}

pub(crate) fn trail(regions: &[&str]) -> TrailSpec {
    TrailSpec {
        trail_arn: ARN.into(),
        bucket: BUCKET.into(),
        prefix: None,
        accounts: vec![ACCOUNT.into()],
        regions: regions.iter().map(|r| (*r).to_string()).collect(),
        org_id: None,
        events: Vec::new(),
    }
}

/// 24 hours, two regions, 2 logs of 5 records per hour, every 7th hour empty.
pub(crate) fn spec() -> EmitSpec {
    let mut s = EmitSpec::new(
        vec![trail(&["us-east-1", "us-west-2"])],
        start(),
        24,
        &KEY_A,
    );
    s.logs_per_hour = 2;
    s.records_per_log = 5;
    s
}

pub(crate) struct Scenario {
    pub(crate) dir: TempDir,
    pub(crate) emitted: Emitted,
    pub(crate) mirror: PathBuf,
    pub(crate) trail: TrailArn,
    pub(crate) bucket: String,
}

pub(crate) fn build(spec: &EmitSpec) -> Scenario {
    let dir = tempfile::tempdir().unwrap();
    let emitted = emit::emit(spec, dir.path()).unwrap();
    let bucket = spec.trails[0].bucket.clone();
    let mirror = dir.path().join(&bucket);
    Scenario {
        dir,
        emitted,
        mirror,
        trail: TrailArn::parse(&spec.trails[0].trail_arn).unwrap(),
        bucket,
    }
}

pub(crate) fn stream(region: &str) -> StreamId {
    StreamId {
        prefix: String::new(),
        org_id: None,
        account: ACCOUNT.into(),
        region: region.into(),
    }
}

impl Scenario {
    pub(crate) fn keys(&self) -> KeySet {
        KeySet::from_file(&self.emitted.public_keys).unwrap()
    }

    pub(crate) fn verify(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Verdict {
        self.verify_with(from, to, &self.keys())
    }

    pub(crate) fn verify_with(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        keys: &KeySet,
    ) -> Verdict {
        let store = LocalDir::open(&self.mirror).unwrap();
        let req = Request {
            trail: self.trail.clone(),
            bucket: self.bucket.clone(),
            start: from,
            end: to,
            prefix: None,
            accounts: Vec::new(),
            regions: Vec::new(),
            max_log_bytes: 1 << 20,
            max_log_files: trailcheck::verify::chain::DEFAULT_MAX_LOG_FILES,
        };
        trailcheck::verify::verify(&req, &store, &|_| Ok(keys.clone())).unwrap()
    }

    /// The whole emitted day.
    pub(crate) fn verify_day(&self) -> Verdict {
        self.verify(start(), start() + Duration::hours(24))
    }

    /// Key of the k-th digest (1-based) of a stream.
    pub(crate) fn digest_key(&self, id: &StreamId, k: u32) -> String {
        emit::digest_key_for(id, &self.trail, emit::digest_end(start(), k))
    }

    pub(crate) fn path(&self, key: &str) -> PathBuf {
        self.mirror.join(key)
    }

    pub(crate) fn read_digest(&self, key: &str) -> Value {
        serde_json::from_slice(&gunzip(&std::fs::read(self.path(key)).unwrap())).unwrap()
    }

    pub(crate) fn logs_of(&self, digest_key: &str) -> Vec<String> {
        self.read_digest(digest_key)["logFiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["s3Object"].as_str().unwrap().to_string())
            .collect()
    }

    /// First digest (1-based index) of a stream that lists at least one log.
    pub(crate) fn digest_with_logs(&self, id: &StreamId, from: u32) -> (u32, String, Vec<String>) {
        (from..=24)
            .map(|k| {
                let key = self.digest_key(id, k);
                let logs = self.logs_of(&key);
                (k, key, logs)
            })
            .find(|(_, _, logs)| !logs.is_empty())
            .unwrap()
    }

    pub(crate) fn sidecar(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.mirror.join(".s3-metadata.json")).unwrap())
            .unwrap()
    }

    pub(crate) fn write_sidecar(&self, v: &Value) {
        std::fs::write(
            self.mirror.join(".s3-metadata.json"),
            serde_json::to_vec_pretty(v).unwrap(),
        )
        .unwrap();
    }

    pub(crate) fn rewrite_gz(&self, key: &str, edit: impl FnOnce(Vec<u8>) -> Vec<u8>) {
        let data = gunzip(&std::fs::read(self.path(key)).unwrap());
        std::fs::write(self.path(key), gzip(&edit(data))).unwrap();
    }
}

impl Scenario {
    /// Writes `digest` (compact JSON) at its own `digestS3Object`, signed with `pem` as
    /// CloudTrail would, with `extra` metadata entries.
    pub(crate) fn write_signed_digest(&self, digest: &Value, pem: &str, extra: &[(&str, &str)]) {
        write_signed_digest_in(&self.mirror, digest, pem, extra);
    }
}

/// Writes `digest` (compact JSON) into the mirror at `mirror`, signed with `pem`; returns
/// its signature and the SHA-256 of its bytes (what the next digest's `previousDigest*`
/// fields record), both in hex.
pub(crate) fn write_signed_digest_in(
    mirror: &std::path::Path,
    digest: &Value,
    pem: &str,
    extra: &[(&str, &str)],
) -> (String, String) {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use sha2::{Digest, Sha256};
    let key = digest["digestS3Object"].as_str().unwrap().to_string();
    let bytes = serde_json::to_vec(digest).unwrap();
    let hash = hex::encode(Sha256::digest(&bytes));
    let signing = format!(
        "{}\n{}/{}\n{}\n{}",
        digest["digestEndTime"].as_str().unwrap(),
        digest["digestS3Bucket"].as_str().unwrap(),
        key,
        hash,
        digest["previousDigestSignature"].as_str().unwrap_or("null")
    );
    let private = rsa::RsaPrivateKey::from_pkcs1_pem(pem).unwrap();
    let sig = private
        .sign(
            rsa::Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(signing.as_bytes()),
        )
        .unwrap();
    let path = mirror.join(&key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, gzip(&bytes)).unwrap();
    let side_path = mirror.join(".s3-metadata.json");
    let mut side: Value = serde_json::from_slice(&std::fs::read(&side_path).unwrap()).unwrap();
    let mut meta =
        serde_json::json!({"signature": hex::encode(&sig), "signature-algorithm": "SHA256withRSA"});
    for (k, v) in extra {
        meta[*k] = Value::from(*v);
    }
    side["objects"][&key] = meta;
    std::fs::write(&side_path, serde_json::to_vec_pretty(&side).unwrap()).unwrap();
    (hex::encode(sig), hash)
}

pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub(crate) fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// The status of one result, found by kind and key; panics if absent.
pub(crate) fn status<'a>(v: &'a Verdict, kind: FileKind, key: &str) -> &'a Status {
    v.streams
        .iter()
        .flat_map(|s| &s.results)
        .find(|r| r.kind == kind && r.key == key)
        .map(|r| &r.status)
        .unwrap_or_else(|| panic!("no {kind:?} result for {key}"))
}

pub(crate) fn category(v: &Verdict, kind: FileKind, key: &str) -> Category {
    match status(v, kind, key) {
        Status::Invalid(c, _) => *c,
        other => panic!("{key} is {other:?}, expected invalid"),
    }
}

/// Every invalid result as (key, category).
pub(crate) fn invalid(v: &Verdict) -> Vec<(String, Category)> {
    v.streams
        .iter()
        .flat_map(|s| &s.results)
        .filter_map(|r| match &r.status {
            Status::Invalid(c, _) => Some((r.key.clone(), *c)),
            _ => None,
        })
        .collect()
}

pub(crate) fn count(v: &Verdict, kind: FileKind, want: fn(&Status) -> bool) -> usize {
    v.streams
        .iter()
        .flat_map(|s| &s.results)
        .filter(|r| r.kind == kind && want(&r.status))
        .count()
}

pub(crate) fn is_valid(s: &Status) -> bool {
    *s == Status::Valid
}

pub(crate) fn is_unverified(s: &Status) -> bool {
    matches!(s, Status::Unverified(_))
}
