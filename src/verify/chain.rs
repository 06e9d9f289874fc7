//! The validation algorithm of digest-format.md §5, per stream, plus the stricter checks
//! of §9: appended gzip members, unreferenced logs, a missing chain head, hash links to
//! the previous digest, and `unverified` logs of invalid or missing digests.
//!
//! Input is an [`ObjectStore`] and the run's parameters; output is plain data
//! ([`StreamReport`]) that `report` renders. Nothing here prints.
use super::digest::{
    digest_key_date, fmt_time, in_time_range, key_bound, minus, parse_digest_with, parse_key_time,
    parse_log_key, plus, Digest, DigestError, LogEntry, LogFiles, StreamId,
    MAX_LOG_FILES_PER_DIGEST,
};
use super::inflate::{hash_gzip, inflate_all, sha256_hex, InflateError, MAX_DIGEST_BYTES};
use super::signature::{verify_digest, KeySet, SignatureFailure};
use super::store::{GetError, Metadata, ObjectStore};
use chrono::{DateTime, Duration, Utc};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Most log files of a digest that is not valid reported one by one as `unverified`
/// (a real digest lists far fewer; a forged one may list any number).
pub const MAX_LISTED_BY_INVALID_DIGEST: usize = 10_000;

/// Default cap on the log file results of one run (listed by digests, or found in the
/// listing and reported as unreferenced or unverified).
pub const DEFAULT_MAX_LOG_FILES: usize = 1_000_000;

/// The run's budget of log file results, shared by the parallel digest checks.
#[derive(Debug)]
pub struct LogBudget {
    cap: usize,
    left: AtomicUsize,
    exhausted: AtomicBool,
    big: std::sync::Mutex<()>,
}

impl LogBudget {
    #[must_use]
    pub fn new(cap: usize) -> Self {
        LogBudget {
            cap,
            left: AtomicUsize::new(cap),
            exhausted: AtomicBool::new(false),
            big: std::sync::Mutex::new(()),
        }
    }

    /// The cap it started with.
    #[must_use]
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Takes `n` results from the budget; `false` (and the budget marked exhausted) when
    /// fewer than `n` are left.
    pub fn take(&self, n: usize) -> bool {
        let ok = self
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(n)
            })
            .is_ok();
        if !ok {
            self.exhausted.store(true, Ordering::SeqCst);
        }
        ok
    }

    fn big(&self) -> BigGuard<'_> {
        self.big
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Results left.
    fn left(&self) -> usize {
        self.left.load(Ordering::SeqCst)
    }

    fn mark_exhausted(&self) {
        self.exhausted.store(true, Ordering::SeqCst);
    }

    /// Whether some results were dropped for want of budget.
    #[must_use]
    pub fn exhausted(&self) -> bool {
        self.exhausted.load(Ordering::SeqCst)
    }
}

/// Why a file is not valid. The first seven are the CLI's (§5.2); the rest are
/// trailcheck's stricter checks (§9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    NotFound,
    HashMismatch,
    InvalidFormat,
    SignatureFailed,
    PublicKeyNotFound,
    Moved,
    BadPublicKey,
    /// Bytes after the first gzip member of a log (the CLI ignores them).
    AppendedData,
    /// A log no valid digest lists although one covers its delivery time.
    Unreferenced,
    /// The newest digests of a stream that was still logging are gone.
    MissingChainHead,
    /// `previousDigestHashValue`/`previousDigestSignature` disagree with the object found.
    ChainLinkMismatch,
    /// Signed by a key outside that key's validity window.
    KeyNotValidAtTime,
    /// The object exists but could not be read (access denied, I/O error).
    Unreadable,
    /// Beyond a cap: inflates past it (gzip bomb), or lists or makes more files than a
    /// digest or a run may.
    TooLarge,
    /// Not read on purpose: a symlink out of the local mirror, or not a regular file.
    Refused,
}

/// What kind of file a result is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    Digest,
    BackfillDigest,
    Log,
}

/// The verdict for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Valid,
    Invalid(Category, String),
    /// Could not be checked (listed by an invalid digest, or in a missing digest's hour).
    Unverified(Arc<str>),
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileResult {
    pub kind: FileKind,
    pub bucket: String,
    pub key: String,
    pub status: Status,
}

/// A legitimate chain restart: no logs were delivered between the two times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub from: String,
    pub to: String,
}

/// Everything found for one (prefix, org, account, region) stream.
#[derive(Debug, Clone)]
pub struct StreamReport {
    pub stream: StreamId,
    pub results: Vec<FileResult>,
    pub gaps: Vec<Gap>,
    /// Earliest `digestStartTime` and latest `digestEndTime` of valid digests.
    pub valid_range: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// The run's fixed parameters.
pub struct Walk<'a> {
    pub store: &'a dyn ObjectStore,
    pub bucket: &'a str,
    pub trail_name: &'a str,
    pub home_region: &'a str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Keys already narrowed to `[start, end + 2h]`.
    pub keys: &'a KeySet,
    /// Every key from the source, for backfill digests' own windows.
    pub all_keys: &'a KeySet,
    pub max_log_bytes: u64,
    /// Log file results left for this run.
    pub budget: &'a LogBudget,
}

/// The digest keys and log keys of one stream, each sorted.
#[derive(Debug, Clone, Default)]
pub struct StreamKeys {
    pub digests: Vec<String>,
    pub backfill: Vec<String>,
    pub logs: Vec<String>,
    /// The newest regular digest key before the range, for the missing-head check when
    /// the range itself holds none.
    pub newest_before: Option<String>,
}

/// A fetched digest: inflated bytes and metadata, or why not.
type Fetched<'g> = Result<(Vec<u8>, Metadata, Option<BigGuard<'g>>), (Category, String)>;

/// Held while a large digest is read and parsed: one at a time, so parallel workers
/// cannot each hold a 64 MiB digest at once.
type BigGuard<'g> = std::sync::MutexGuard<'g, ()>;

/// Digests up to these sizes (compressed, inflated) are read in parallel; larger ones
/// one at a time.
const SMALL_DIGEST: (u64, u64) = (256 << 10, 4 << 20);

/// A digest that failed: category, message, and its content when it could be parsed.
type Bad = (Category, String, Option<Box<Digest>>);

/// The verdict of steps a–h for one digest.
type Checked = Result<GoodDigest, Bad>;

/// A digest that passed every check.
#[derive(Debug, Clone)]
struct GoodDigest {
    digest: Digest,
    sha256: String,
    signature: String,
}

/// One digest's outcome in walk order, before log checks.
struct Visited {
    kind: FileKind,
    bucket: String,
    key: String,
    outcome: Result<GoodDigest, Bad>,
}

impl<'a> Walk<'a> {
    /// Runs every stream; log files are fetched and hashed in parallel.
    #[must_use]
    pub fn run(&self, streams: &[(StreamId, StreamKeys)]) -> Vec<StreamReport> {
        // Fetch, inflate, parse and signature-check every listed digest in range in
        // parallel (RSA verification is a large share of the CPU time); the sequential
        // chain walk then reads these verdicts.
        let wanted: Vec<(&String, &str, bool)> = streams
            .iter()
            .flat_map(|(id, k)| {
                let region = id.region.as_str();
                k.digests
                    .iter()
                    .map(move |d| (d, region, false))
                    .chain(k.backfill.iter().map(move |d| (d, region, true)))
            })
            .collect();
        let mut cache: HashMap<String, Checked> = wanted
            .par_iter()
            .map(|(key, region, backfill)| {
                let fetched = self.fetch_digest(self.bucket, key);
                let checked = self.check_digest(self.bucket, key, fetched, region, *backfill);
                ((*key).clone(), checked)
            })
            .collect();

        let walked: Vec<_> = streams
            .iter()
            .map(|(id, keys)| self.walk_stream(id, keys, &mut cache))
            .collect();

        // All log checks of all streams in one parallel pass, results kept in order.
        let jobs: Vec<(usize, &LogEntry)> = walked
            .iter()
            .enumerate()
            .flat_map(|(i, w)| {
                w.visited.iter().flat_map(move |v| match &v.outcome {
                    Ok(good) => good.digest.log_files.iter().map(move |l| (i, l)).collect(),
                    Err(_) => Vec::new(),
                })
            })
            .collect();
        let checked: Vec<Status> = jobs.par_iter().map(|(_, l)| self.check_log(l)).collect();
        let mut checked = checked.into_iter();

        walked
            .into_iter()
            .zip(streams)
            .map(|(w, (id, keys))| w.finish(id, keys, &mut checked, self))
            .collect()
    }

    fn clone_with_keys<'b>(&'b self, keys: &'b KeySet) -> Walk<'b> {
        Walk {
            store: self.store,
            bucket: self.bucket,
            trail_name: self.trail_name,
            home_region: self.home_region,
            start: self.start,
            end: self.end,
            keys,
            all_keys: self.all_keys,
            max_log_bytes: self.max_log_bytes,
            budget: self.budget,
        }
    }

    fn fetch_digest(&self, bucket: &str, key: &str) -> Fetched<'a> {
        let mut object = self.store.get(bucket, key).map_err(|e| match e {
            GetError::NotFound => (Category::NotFound, "not found".to_string()),
            GetError::Unreadable(why) => (Category::Unreadable, format!("cannot be read: {why}")),
            GetError::Refused(why) => (Category::Refused, why),
        })?;
        let read_err = |e: std::io::Error| (Category::Unreadable, format!("cannot be read: {e}"));
        let mut compressed = Vec::new();
        object
            .body
            .by_ref()
            .take(SMALL_DIGEST.0 + 1)
            .read_to_end(&mut compressed)
            .map_err(read_err)?;
        let mut guard = None;
        if compressed.len() as u64 > SMALL_DIGEST.0 {
            guard = Some(self.budget.big());
            object
                .body
                .by_ref()
                .take(MAX_DIGEST_BYTES + 1 - compressed.len() as u64)
                .read_to_end(&mut compressed)
                .map_err(read_err)?;
        }
        if compressed.len() as u64 > MAX_DIGEST_BYTES {
            return Err((
                Category::TooLarge,
                format!("too large: digest object larger than {MAX_DIGEST_BYTES} bytes"),
            ));
        }
        let inflate_err = |e: InflateError| match e {
            InflateError::TooLarge(_) => (Category::TooLarge, format!("too large: {e}")),
            InflateError::Gzip(_) => (Category::InvalidFormat, format!("invalid format: {e}")),
        };
        let inflated = match (inflate_all(&compressed, SMALL_DIGEST.1), &guard) {
            (Err(InflateError::TooLarge(_)), None) => {
                guard = Some(self.budget.big());
                inflate_all(&compressed, MAX_DIGEST_BYTES)
            }
            (Err(InflateError::TooLarge(_)), Some(_)) => inflate_all(&compressed, MAX_DIGEST_BYTES),
            (other, _) => other,
        }
        .map_err(inflate_err)?;
        drop(compressed);
        Ok((inflated, object.metadata, guard))
    }

    /// Steps b–h of §5 for one fetched digest.
    fn check_digest(
        &self,
        bucket: &str,
        key: &str,
        fetched: Fetched<'_>,
        region: &str,
        backfill: bool,
    ) -> Result<GoodDigest, Bad> {
        // The guard (a large digest) is held until this check ends.
        let (bytes, meta, _guard) = fetched.map_err(|(c, m)| (c, m, None))?;
        // The header first (logFiles skipped): the signature is checked before a digest's
        // log list is expanded, so a forged digest listing many logs costs little.
        let digest = parse_digest_with(&bytes, LogFiles::Skip).map_err(|e| {
            (
                Category::InvalidFormat,
                format!("invalid format: {e}"),
                None,
            )
        })?;
        // An invalid digest keeps its log list (reported `unverified`) when it is small
        // enough and the run's budget allows.
        let fail = |c: Category, m: String| match self.log_list(&bytes, false) {
            Ok(logs) => {
                let mut d = digest.clone();
                d.log_files = logs;
                (c, m, Some(Box::new(d)))
            }
            Err((_, why)) => (
                c,
                format!("{m}; its log files are not listed: {why}"),
                Some(Box::new(digest.clone())),
            ),
        };
        let Some(signature) = meta.get("signature") else {
            return Err(fail(
                Category::SignatureFailed,
                "signature verification failed: the object has no `signature` metadata".into(),
            ));
        };
        match meta.get("signature-algorithm").map(String::as_str) {
            Some("SHA256withRSA") => {}
            Some(other) => {
                return Err(fail(
                    Category::SignatureFailed,
                    format!(
                        "signature verification failed: unsupported signature-algorithm {other:?}"
                    ),
                ))
            }
            None => return Err(fail(
                Category::SignatureFailed,
                "signature verification failed: the object has no `signature-algorithm` metadata"
                    .into(),
            )),
        }
        let backfill_keys;
        let keys = if backfill {
            let Some(raw) = meta.get("backfill-generation-timestamp") else {
                return Err(fail(
                    Category::InvalidFormat,
                    "invalid format: backfill digest without a backfill-generation-timestamp metadata entry".into(),
                ));
            };
            let Some(ts) = parse_loose_time(raw) else {
                return Err(fail(
                    Category::InvalidFormat,
                    format!(
                        "invalid format: backfill-generation-timestamp {:?} is not a time between \
                         1970 and 9999 (ISO-8601 or epoch seconds)",
                        raw.chars().take(64).collect::<String>()
                    ),
                ));
            };
            backfill_keys = self
                .all_keys
                .overlapping(minus(ts, Duration::hours(1)), plus(ts, Duration::hours(1)));
            &backfill_keys
        } else {
            self.keys
        };
        if digest.bucket != bucket || digest.key != key {
            return Err(fail(
                Category::Moved,
                format!(
                    "has been moved from its original location (it says it is s3://{}/{})",
                    digest.bucket, digest.key
                ),
            ));
        }
        let sha256 = sha256_hex(&bytes);
        match verify_digest(keys, &digest, &sha256, signature) {
            Ok(()) => {
                let log_files = self
                    .log_list(&bytes, true)
                    .map_err(|(c, m)| (c, m, Some(Box::new(digest.clone()))))?;
                Ok(GoodDigest {
                    digest: Digest {
                        log_files,
                        ..digest
                    },
                    sha256,
                    signature: signature.clone(),
                })
            }
            Err(SignatureFailure::KeyNotFound) => Err(fail(
                Category::PublicKeyNotFound,
                format!(
                    "public key not found in region {region} for fingerprint {}",
                    digest.fingerprint
                ),
            )),
            Err(SignatureFailure::BadKey(why)) => Err(fail(
                Category::BadPublicKey,
                format!(
                    "Unable to load PKCS #1 key with fingerprint {}: {why}",
                    digest.fingerprint
                ),
            )),
            Err(SignatureFailure::OutsideValidity { from, to }) => Err(fail(
                Category::KeyNotValidAtTime,
                format!(
                    "signed at {} by key {} whose validity is {from} to {to}",
                    digest.end_raw, digest.fingerprint
                ),
            )),
            Err(SignatureFailure::Mismatch) => Err(fail(
                Category::SignatureFailed,
                "signature verification failed".into(),
            )),
        }
    }

    /// The digest's `logFiles`, within the per-digest cap (smaller for a digest that is
    /// not valid, whose logs are only reported `unverified`) and the run's budget.
    fn log_list(&self, bytes: &[u8], valid: bool) -> Result<Vec<LogEntry>, (Category, String)> {
        let per_digest = if valid {
            MAX_LOG_FILES_PER_DIGEST
        } else {
            MAX_LISTED_BY_INVALID_DIGEST
        };
        let run_cap = || {
            self.budget.mark_exhausted();
            (
                Category::TooLarge,
                format!(
                    "too large: its log files exceed what is left of this run's cap of {} log \
                     file results (--max-log-files)",
                    self.budget.cap()
                ),
            )
        };
        let left = self.budget.left();
        if left == 0 {
            return Err(run_cap());
        }
        let cap = per_digest.min(left);
        let logs = match parse_digest_with(bytes, LogFiles::UpTo(cap)) {
            Ok(d) => d.log_files,
            Err(DigestError::TooManyLogFiles(_)) if cap < per_digest => return Err(run_cap()),
            Err(e @ DigestError::TooManyLogFiles(_)) => {
                return Err((Category::TooLarge, format!("too large: {e}")))
            }
            Err(e) => return Err((Category::InvalidFormat, format!("invalid format: {e}"))),
        };
        if !self.budget.take(logs.len()) {
            return Err(run_cap());
        }
        Ok(logs)
    }

    fn check_log(&self, entry: &LogEntry) -> Status {
        let object = match self.store.get(&entry.bucket, &entry.key) {
            Ok(o) => o,
            Err(GetError::NotFound) => {
                return Status::Invalid(Category::NotFound, "not found".into())
            }
            Err(GetError::Unreadable(why)) => {
                return Status::Invalid(Category::Unreadable, format!("cannot be read: {why}"))
            }
            Err(GetError::Refused(why)) => return Status::Invalid(Category::Refused, why),
        };
        match hash_gzip(object.body, self.max_log_bytes) {
            Err(e @ InflateError::TooLarge(_)) => {
                Status::Invalid(Category::TooLarge, format!("invalid format: {e}"))
            }
            Err(e) => Status::Invalid(Category::InvalidFormat, format!("invalid format: {e}")),
            Ok(h) if h.first_member_sha256 != entry.hash => {
                Status::Invalid(Category::HashMismatch, "hash value doesn't match".into())
            }
            Ok(h) if h.trailing_data => Status::Invalid(
                Category::AppendedData,
                "data after the first gzip member (an appended gzip member is tampering; \
                 validate-logs and zcat disagree on this file)"
                    .into(),
            ),
            Ok(_) => Status::Valid,
        }
    }

    fn walk_stream(
        &self,
        id: &StreamId,
        keys: &StreamKeys,
        cache: &mut HashMap<String, Checked>,
    ) -> Walked {
        let mut walked = Walked::default();
        self.walk_list(id, &keys.digests, false, cache, &mut walked);
        let head = match (walked.visited.first(), &keys.newest_before) {
            (Some(v), _) => {
                let date = digest_key_date(&v.key).and_then(parse_key_time);
                Some(match &v.outcome {
                    Ok(g) => (g.digest.end, Some(g.digest.end - g.digest.start)),
                    Err(_) => (date.unwrap_or(self.end), None),
                })
            }
            // Nothing in range: the newest older digest must be a final one, or the
            // range's digests were deleted.
            (None, Some(older)) => {
                let date = digest_key_date(older).and_then(parse_key_time);
                let fetched = self.fetch_digest(self.bucket, older);
                let unlimited = self.clone_with_keys(self.all_keys);
                match unlimited.check_digest(self.bucket, older, fetched, &id.region, false) {
                    Ok(g) => Some((g.digest.end, Some(g.digest.end - g.digest.start))),
                    Err(_) => date.map(|d| (d, None)),
                }
            }
            (None, None) => None,
        };
        // §9: the newest digests of a stream that was still logging are gone.
        if let Some((head_end, window)) = head {
            let is_final = window.is_some_and(|w| w < Duration::minutes(59));
            if !is_final && self.end.signed_duration_since(head_end) > Duration::hours(2) {
                let expected = id.digest_key(
                    self.trail_name,
                    self.home_region,
                    plus(head_end, Duration::hours(1)),
                );
                walked.missing_head = Some((
                    head_end,
                    FileResult {
                        kind: FileKind::Digest,
                        bucket: self.bucket.to_string(),
                        key: expected,
                        status: Status::Invalid(
                            Category::MissingChainHead,
                            format!(
                                "no digest after {} although the trail was still logging (the newest \
                                 digest is not a final one) and --end-time is {}: newer digests were \
                                 deleted or never delivered",
                                fmt_time(head_end),
                                fmt_time(self.end)
                            ),
                        ),
                    },
                ));
            }
        }
        self.walk_list(id, &keys.backfill, true, cache, &mut walked);
        walked
    }

    /// The newest-first walk of §5 step 5 over one sorted list.
    fn walk_list(
        &self,
        id: &StreamId,
        list: &[String],
        backfill: bool,
        cache: &mut HashMap<String, Checked>,
        walked: &mut Walked,
    ) {
        let kind = if backfill {
            FileKind::BackfillDigest
        } else {
            FileKind::Digest
        };
        let mut list: Vec<String> = list.to_vec();
        // The bucket `list` was listed from: a chain that moves to another bucket
        // (`previousDigestS3Bucket`) continues with that bucket's listing (§5 step 5).
        let mut list_bucket = self.bucket.to_string();
        let mut current = list.pop().map(|k| (self.bucket.to_string(), k));
        let mut last_start = current
            .as_ref()
            .and_then(|(_, k)| digest_key_date(k))
            .and_then(parse_key_time);
        // The newer digest whose `previousDigest*` pointer led to `current`.
        let mut newer: Option<GoodDigest> = None;
        let mut seen = HashSet::new();
        while let Some((bucket, key)) = current.take() {
            if last_start.is_some_and(|ls| ls < self.start) {
                break;
            }
            let key_date = digest_key_date(&key).unwrap_or_default().to_string();
            if !seen.insert((bucket.clone(), key.clone())) {
                walked.visited.push(Visited {
                    kind,
                    bucket,
                    key,
                    outcome: Err((
                        Category::InvalidFormat,
                        "invalid format: the digest chain loops back to this digest".into(),
                        None,
                    )),
                });
                break;
            }
            // Taken out, not copied: a digest's log list is held once.
            let cached = if bucket == self.bucket {
                cache.remove(&key)
            } else {
                None
            };
            let mut outcome = match cached {
                Some(checked) => checked,
                None => {
                    let fetched = self.fetch_digest(&bucket, &key);
                    self.check_digest(&bucket, &key, fetched, &id.region, backfill)
                }
            };
            // §9: the link the newer digest recorded must match the object found.
            if let (Some(n), Ok(good)) = (&newer, &outcome) {
                let hash_ok = n
                    .digest
                    .previous_hash
                    .as_deref()
                    .is_some_and(|h| h.eq_ignore_ascii_case(&good.sha256));
                let sig_ok = n
                    .digest
                    .previous_signature
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(&good.signature));
                if !hash_ok || !sig_ok {
                    let what = match (hash_ok, sig_ok) {
                        (false, false) => "previousDigestHashValue and previousDigestSignature",
                        (false, true) => "previousDigestHashValue",
                        _ => "previousDigestSignature",
                    };
                    outcome = Err((
                        Category::ChainLinkMismatch,
                        format!(
                            "the {what} recorded by the next digest {} do not match this object",
                            n.digest.key
                        ),
                        Some(Box::new(good.digest.clone())),
                    ));
                }
            }
            newer = None;
            match &outcome {
                Ok(good) => {
                    last_start = Some(good.digest.start);
                    match (&good.digest.previous_bucket, &good.digest.previous_key) {
                        (Some(pb), Some(pk)) if !backfill => {
                            if *pb != list_bucket {
                                if let Some(keys) = self.relist(pb, id) {
                                    list = keys;
                                    list_bucket.clone_from(pb);
                                }
                            }
                            current = Some((pb.clone(), pk.clone()));
                            newer = Some(good.clone());
                        }
                        _ => {
                            current = next_candidate(&mut list, &key_date)
                                .map(|k| (list_bucket.clone(), k));
                            if let (Some((_, older)), false) = (&current, backfill) {
                                walked.gaps.push(Gap {
                                    from: digest_key_date(older)
                                        .and_then(parse_key_time)
                                        .map_or_else(String::new, fmt_time),
                                    to: fmt_time(good.digest.start),
                                });
                            }
                        }
                    }
                }
                Err(_) => {
                    current =
                        next_candidate(&mut list, &key_date).map(|k| (list_bucket.clone(), k));
                }
            }
            walked.visited.push(Visited {
                kind,
                bucket,
                key,
                outcome,
            });
        }
    }
}

impl Walk<'_> {
    /// The regular digest keys of stream `id` in `bucket`, oldest first, or `None` when
    /// that bucket cannot be listed (the walk then goes on with the list it has).
    fn relist(&self, bucket: &str, id: &StreamId) -> Option<Vec<String>> {
        let listing = self.store.list(bucket, &id.digest_folder()).ok()?;
        let trail_part = format!("{}_{}", self.trail_name, self.home_region);
        let mut keys: Vec<String> = listing
            .into_iter()
            .filter(|k| {
                super::digest::parse_digest_key(k)
                    .is_some_and(|d| !d.backfill && d.trail_part == trail_part && d.stream == *id)
            })
            .collect();
        keys.sort_by(|a, b| digest_key_date(a).cmp(&digest_key_date(b)));
        Some(keys)
    }
}

/// Pops until an element has a key date strictly earlier than `date`.
fn next_candidate(list: &mut Vec<String>, date: &str) -> Option<String> {
    while let Some(k) = list.pop() {
        if digest_key_date(&k).is_some_and(|d| d < date) {
            return Some(k);
        }
    }
    None
}

/// ISO-8601 with or without offset, or epoch seconds.
fn parse_loose_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            s.trim()
                .parse::<i64>()
                .ok()
                .and_then(|n| DateTime::from_timestamp(n, 0))
        })
        .filter(|t| in_time_range(*t))
}

#[derive(Default)]
struct Walked {
    visited: Vec<Visited>,
    gaps: Vec<Gap>,
    missing_head: Option<(DateTime<Utc>, FileResult)>,
}

impl Walked {
    /// Joins the walk with its log verdicts and adds the §9 log checks.
    fn finish(
        self,
        id: &StreamId,
        keys: &StreamKeys,
        checked: &mut impl Iterator<Item = Status>,
        walk: &Walk<'_>,
    ) -> StreamReport {
        let mut results = Vec::new();
        let mut covered: Vec<(DateTime<Utc>, DateTime<Utc>, String)> = Vec::new();
        let mut suspect: Vec<(DateTime<Utc>, DateTime<Utc>, String)> = Vec::new();
        let mut valid_range: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
        // Log entries are moved into the results, not copied: a run's memory is mostly
        // these keys.
        for v in self.visited {
            match v.outcome {
                Ok(good) => {
                    let d = good.digest;
                    covered.push((d.start, d.end, v.key.clone()));
                    results.push(FileResult {
                        kind: v.kind,
                        bucket: v.bucket,
                        key: v.key,
                        status: Status::Valid,
                    });
                    if v.kind == FileKind::Digest {
                        valid_range = Some(match valid_range {
                            None => (d.start, d.end),
                            Some((a, b)) => (a.min(d.start), b.max(d.end)),
                        });
                    }
                    for l in d.log_files {
                        results.push(FileResult {
                            kind: FileKind::Log,
                            bucket: l.bucket,
                            key: l.key,
                            status: checked.next().unwrap_or_else(|| {
                                Status::Unverified("internal: no verdict computed".into())
                            }),
                        });
                    }
                }
                Err((cat, msg, digest)) => {
                    results.push(FileResult {
                        kind: v.kind,
                        bucket: v.bucket,
                        key: v.key.clone(),
                        status: Status::Invalid(cat, msg),
                    });
                    if let Some(d) = digest {
                        suspect.push((d.start, d.end, v.key.clone()));
                        let why: Arc<str> =
                            format!("listed by digest {} which is not valid", v.key).into();
                        for l in d.log_files {
                            results.push(FileResult {
                                kind: FileKind::Log,
                                bucket: l.bucket,
                                key: l.key,
                                status: Status::Unverified(why.clone()),
                            });
                        }
                    } else if let Some(t) = digest_key_date(&v.key).and_then(parse_key_time) {
                        suspect.push((minus(t, Duration::hours(1)), t, v.key));
                    }
                }
            }
        }
        if let Some((head_end, r)) = &self.missing_head {
            suspect.push((*head_end, plus(walk.end, Duration::hours(1)), r.key.clone()));
            results.insert(0, r.clone());
        }
        let referenced: HashSet<&str> = results
            .iter()
            .filter(|r| r.kind == FileKind::Log)
            .map(|r| r.key.as_str())
            .collect();
        // Logs in the listing that no digest of this walk lists.
        let walk_lo = covered
            .iter()
            .map(|c| c.0)
            .chain(suspect.iter().map(|s| s.0))
            .min();
        let walk_hi = covered
            .iter()
            .map(|c| c.1)
            .chain(suspect.iter().map(|s| s.1))
            .max();
        let mut extra = Vec::new();
        for key in &keys.logs {
            if referenced.contains(key.as_str()) {
                continue;
            }
            let Some(t) = parse_log_key(key).map(|k| k.time) else {
                continue;
            };
            let status = if let Some((_, _, by)) =
                covered.iter().find(|(s, e, _)| *s <= t && t <= *e)
            {
                Status::Invalid(
                    Category::Unreferenced,
                    format!(
                        "log file listed in no digest although digest {by} covers its delivery time {}",
                        fmt_time(t)
                    ),
                )
            } else if let Some((_, _, by)) = suspect.iter().find(|(s, e, _)| *s <= t && t <= *e) {
                Status::Unverified(
                    format!(
                        "delivered at {} in the hour of digest {by}, which is missing or not valid",
                        fmt_time(t)
                    )
                    .into(),
                )
            } else if walk_lo.is_some_and(|lo| lo <= t) && walk_hi.is_some_and(|hi| t <= hi) {
                Status::Unverified(
                    format!(
                        "delivered at {} while no digest chain covered it (logging or validation was off)",
                        fmt_time(t)
                    )
                    .into(),
                )
            } else {
                continue;
            };
            if !walk.budget.take(1) {
                break;
            }
            extra.push(FileResult {
                kind: FileKind::Log,
                bucket: walk.bucket.to_string(),
                key: key.clone(),
                status,
            });
        }
        drop(referenced);
        results.extend(extra);
        StreamReport {
            stream: id.clone(),
            results,
            gaps: self.gaps,
            valid_range,
        }
    }
}

/// Groups a bucket listing into the trail's streams (§7 "Streams").
#[must_use]
pub fn group_streams(
    listing: &[String],
    trail_part: &str,
    window: (DateTime<Utc>, DateTime<Utc>),
    filter: &dyn Fn(&StreamId) -> bool,
) -> Vec<(StreamId, StreamKeys)> {
    let lo = key_bound(window.0);
    let hi = key_bound(plus(window.1, Duration::hours(1)));
    let mut streams: std::collections::BTreeMap<StreamId, StreamKeys> = Default::default();
    let mut logs: Vec<(StreamId, &String)> = Vec::new();
    for key in listing {
        if let Some(d) = super::digest::parse_digest_key(key) {
            if d.trail_part != trail_part || !filter(&d.stream) {
                continue;
            }
            let entry = streams.entry(d.stream).or_default();
            let Some(date) = digest_key_date(key) else {
                continue;
            };
            if date < lo.as_str() {
                if !d.backfill
                    && entry
                        .newest_before
                        .as_deref()
                        .and_then(digest_key_date)
                        .is_none_or(|n| n < date)
                {
                    entry.newest_before = Some(key.clone());
                }
                continue;
            }
            if date > hi.as_str() {
                continue;
            }
            if d.backfill {
                entry.backfill.push(key.clone());
            } else {
                entry.digests.push(key.clone());
            }
        } else if let Some(l) = parse_log_key(key) {
            logs.push((l.stream, key));
        }
    }
    for (stream, key) in logs {
        if let Some(entry) = streams.get_mut(&stream) {
            entry.logs.push(key.clone());
        }
    }
    for keys in streams.values_mut() {
        // Listing order within a stream's folder is key order (§1.1).
        keys.digests.sort();
        keys.backfill.sort();
        keys.logs.sort();
    }
    streams.into_iter().collect()
}

/// The set of stream ids that have any digest key at all (used for messages).
#[must_use]
pub fn stream_names(streams: &[(StreamId, StreamKeys)]) -> BTreeSet<String> {
    streams.iter().map(|(s, _)| s.digest_folder()).collect()
}
