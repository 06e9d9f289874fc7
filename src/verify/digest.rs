//! Digest files: the key layout of digests and logs, and the digest JSON reader.
//!
//! Pure functions over bytes and strings; no I/O, no crypto. The reader keeps the
//! raw fields the signature needs (`digestEndTime` verbatim) and reports every
//! malformed input as a [`DigestError`], never a panic: it is the fuzz target.
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value};
use thiserror::Error;

/// Why a digest's JSON could not be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DigestError {
    #[error("not UTF-8 JSON: {0}")]
    Json(String),
    #[error("the top level is not a JSON object")]
    NotObject,
    #[error("required field `{0}` is missing")]
    Missing(&'static str),
    #[error("field `{field}` has the wrong type (expected {expected})")]
    WrongType {
        field: String,
        expected: &'static str,
    },
    #[error("field `{field}` is not a time of the form YYYY-MM-DDTHH:MM:SSZ between 1970 and 9999: {value:?}")]
    BadTime { field: &'static str, value: String },
    #[error("`logFiles` lists more than {0} log files (no CloudTrail digest does)")]
    TooManyLogFiles(usize),
}

/// One `logFiles[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub bucket: String,
    pub key: String,
    /// Lowercase hex SHA-256 of the inflated log, as written in the digest.
    pub hash: String,
}

/// The fields of a digest file that validation uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub account_id: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// `digestEndTime` exactly as written: line 1 of the data-signing string.
    pub end_raw: String,
    pub bucket: String,
    pub key: String,
    pub fingerprint: String,
    pub previous_bucket: Option<String>,
    pub previous_key: Option<String>,
    pub previous_hash: Option<String>,
    pub previous_signature: Option<String>,
    pub log_files: Vec<LogEntry>,
}

impl Digest {
    /// A starting digest: no link to a previous one (logging or validation (re)started).
    #[must_use]
    pub fn is_starting(&self) -> bool {
        self.previous_bucket.is_none() || self.previous_key.is_none()
    }
}

/// Most `logFiles` entries one digest may list (a CloudTrail digest lists the log files
/// of one hour of one account and region: thousands at the very most).
pub const MAX_LOG_FILES_PER_DIGEST: usize = 100_000;

/// How much of `logFiles` to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFiles {
    /// Check that `logFiles` is an array, keep none of its entries (a header-only read).
    Skip,
    /// Keep up to this many entries; more is [`DigestError::TooManyLogFiles`].
    UpTo(usize),
}

/// Parses the inflated bytes of a digest file, with at most
/// [`MAX_LOG_FILES_PER_DIGEST`] log files.
///
/// # Errors
/// Any JSON, type or time-format problem, with the field at fault.
pub fn parse_digest(bytes: &[u8]) -> Result<Digest, DigestError> {
    parse_digest_with(bytes, LogFiles::UpTo(MAX_LOG_FILES_PER_DIGEST))
}

/// Parses a digest, reading `logFiles` as `logs` says. The JSON is streamed: no document
/// tree is built, and memory stays proportional to the entries kept.
///
/// # Errors
/// Any JSON, type or time-format problem, with the field at fault, or too many log files.
pub fn parse_digest_with(bytes: &[u8], logs: LogFiles) -> Result<Digest, DigestError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first != Some(b'{') {
        return match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Ok(_) => Err(DigestError::NotObject),
            Err(e) => Err(DigestError::Json(e.to_string())),
        };
    }
    let mut failure = None;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let raw = serde::de::DeserializeSeed::deserialize(
        TopSeed {
            logs,
            failure: &mut failure,
        },
        &mut de,
    )
    .and_then(|raw| de.end().map(|()| raw));
    let mut raw = match raw {
        Ok(raw) => raw,
        Err(e) => return Err(failure.unwrap_or_else(|| DigestError::Json(e.to_string()))),
    };
    let obj = &raw.fields;
    // The fields the CLI requires to be present (null counts as present for it; a null
    // where a string is needed is a format error here, which is stricter).
    let start_raw = req_str(obj, "digestStartTime")?;
    let end_raw = req_str(obj, "digestEndTime")?;
    let start = parse_time("digestStartTime", &start_raw)?;
    let end = parse_time("digestEndTime", &end_raw)?;
    let bucket = req_str(obj, "digestS3Bucket")?;
    let key = req_str(obj, "digestS3Object")?;
    let fingerprint = req_str(obj, "digestPublicKeyFingerprint")?;
    if !obj.contains_key("previousDigestSignature") {
        return Err(DigestError::Missing("previousDigestSignature"));
    }
    let previous_signature = opt_str(obj, "previousDigestSignature")?;
    let log_files = match raw.log_files.take() {
        None => return Err(DigestError::Missing("logFiles")),
        Some(Some(list)) => list,
        Some(None) => {
            return Err(DigestError::WrongType {
                field: "logFiles".into(),
                expected: "array",
            })
        }
    };
    Ok(Digest {
        account_id: opt_str(obj, "awsAccountId")?,
        start,
        end,
        end_raw,
        bucket,
        key,
        fingerprint,
        previous_bucket: opt_str(obj, "previousDigestS3Bucket")?,
        previous_key: opt_str(obj, "previousDigestS3Object")?,
        previous_hash: opt_str(obj, "previousDigestHashValue")?,
        previous_signature,
        log_files,
    })
}

/// The top-level fields read; every other member is skipped unread.
const FIELDS: [&str; 10] = [
    "awsAccountId",
    "digestStartTime",
    "digestEndTime",
    "digestS3Bucket",
    "digestS3Object",
    "digestPublicKeyFingerprint",
    "previousDigestSignature",
    "previousDigestS3Bucket",
    "previousDigestS3Object",
    "previousDigestHashValue",
];

/// What the streaming pass keeps: the scalar fields, and `logFiles` (`Some(None)` when
/// it is not an array).
#[derive(Default)]
struct RawDigest {
    fields: Map<String, Value>,
    log_files: Option<Option<Vec<LogEntry>>>,
}

struct TopSeed<'a> {
    logs: LogFiles,
    failure: &'a mut Option<DigestError>,
}

impl<'de> serde::de::DeserializeSeed<'de> for TopSeed<'_> {
    type Value = RawDigest;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<RawDigest, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for TopSeed<'_> {
    type Value = RawDigest;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a digest object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawDigest, A::Error> {
        let mut raw = RawDigest::default();
        while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if name == "logFiles" {
                raw.log_files = Some(map.next_value_seed(LogSeed {
                    logs: self.logs,
                    failure: &mut *self.failure,
                })?);
            } else if let Some(field) = FIELDS.iter().find(|f| **f == name) {
                let v: Value = map.next_value()?;
                raw.fields.insert((*field).to_string(), v);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(raw)
    }
}

struct LogSeed<'a> {
    logs: LogFiles,
    failure: &'a mut Option<DigestError>,
}

impl<'de> serde::de::DeserializeSeed<'de> for LogSeed<'_> {
    type Value = Option<Vec<LogEntry>>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for LogSeed<'_> {
    type Value = Option<Vec<LogEntry>>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the logFiles array")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        let cap = match self.logs {
            LogFiles::Skip => {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                return Ok(Some(out));
            }
            LogFiles::UpTo(cap) => cap,
        };
        let mut i = 0;
        while let Some(item) = seq.next_element::<EntryFields>()? {
            if i >= cap {
                *self.failure = Some(DigestError::TooManyLogFiles(cap));
                return Err(serde::de::Error::custom("too many log files"));
            }
            match item.into_entry(i) {
                Ok(entry) => out.push(entry),
                Err(e) => {
                    *self.failure = Some(e);
                    return Err(serde::de::Error::custom("bad log file entry"));
                }
            }
            i += 1;
        }
        Ok(Some(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(None)
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// One `logFiles[]` element as read: the three fields used (any JSON type), or not an
/// object. Other members are skipped unread.
#[expect(
    clippy::large_enum_variant,
    reason = "a transient value per entry, never stored"
)]
enum EntryFields {
    NotObject,
    Object([Option<Value>; 3]),
}

const ENTRY_FIELDS: [&str; 3] = ["s3Bucket", "s3Object", "hashValue"];

impl EntryFields {
    fn into_entry(self, i: usize) -> Result<LogEntry, DigestError> {
        let EntryFields::Object(fields) = self else {
            return Err(DigestError::WrongType {
                field: format!("logFiles[{i}]"),
                expected: "object",
            });
        };
        let [bucket, key, hash] = fields.map(|v| match v {
            Some(Value::String(s)) => Some(s),
            _ => None,
        });
        let missing = |n: usize| DigestError::WrongType {
            field: format!("logFiles[{i}].{}", ENTRY_FIELDS[n]),
            expected: "string",
        };
        Ok(LogEntry {
            bucket: bucket.ok_or_else(|| missing(0))?,
            key: key.ok_or_else(|| missing(1))?,
            hash: hash.ok_or_else(|| missing(2))?,
        })
    }
}

impl<'de> serde::Deserialize<'de> for EntryFields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> serde::de::Visitor<'de> for EntryVisitor {
    type Value = EntryFields;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a logFiles entry")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<EntryFields, A::Error> {
        let mut fields: [Option<Value>; 3] = [None, None, None];
        while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match ENTRY_FIELDS.iter().position(|f| *f == name) {
                Some(n) => fields[n] = Some(map.next_value()?),
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(EntryFields::Object(fields))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<EntryFields, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(EntryFields::NotObject)
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<EntryFields, E> {
        Ok(EntryFields::NotObject)
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<EntryFields, E> {
        Ok(EntryFields::NotObject)
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<EntryFields, E> {
        Ok(EntryFields::NotObject)
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<EntryFields, E> {
        Ok(EntryFields::NotObject)
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<EntryFields, E> {
        Ok(EntryFields::NotObject)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<EntryFields, E> {
        Ok(EntryFields::NotObject)
    }
}

fn req_str(obj: &Map<String, Value>, field: &'static str) -> Result<String, DigestError> {
    match obj.get(field) {
        None => Err(DigestError::Missing(field)),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(DigestError::WrongType {
            field: field.into(),
            expected: "string",
        }),
    }
}

fn opt_str(obj: &Map<String, Value>, field: &'static str) -> Result<Option<String>, DigestError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(DigestError::WrongType {
            field: field.into(),
            expected: "string or null",
        }),
    }
}

fn parse_time(field: &'static str, value: &str) -> Result<DateTime<Utc>, DigestError> {
    // Exactly `YYYY-MM-DDTHH:MM:SSZ`: chrono's `%Y` alone would take signed and 5+ digit
    // years, which are no CloudTrail time and end near chrono's limits.
    let shape = value.len() == 20
        && value.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            19 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
    shape
        .then(|| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%SZ").ok())
        .flatten()
        .map(|t| Utc.from_utc_datetime(&t))
        .filter(|t| in_time_range(*t))
        .ok_or_else(|| DigestError::BadTime {
            field,
            value: value.chars().take(64).collect(),
        })
}

/// The earliest time `verify` works with anywhere: 1970-01-01T00:00:00Z.
#[must_use]
pub fn min_time() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// The latest time `verify` works with anywhere: 9999-12-31T23:59:59Z (key dates have
/// four-digit years).
#[must_use]
pub fn max_time() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map_or(DateTime::<Utc>::MAX_UTC, |t| Utc.from_utc_datetime(&t))
}

/// Whether `t` lies in `[min_time(), max_time()]`.
#[must_use]
pub fn in_time_range(t: DateTime<Utc>) -> bool {
    (min_time()..=max_time()).contains(&t)
}

/// `t + d`, saturating at chrono's limits (for range bounds; never panics).
#[must_use]
pub fn plus(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(if d < Duration::zero() {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// `t - d`, saturating at chrono's limits.
#[must_use]
pub fn minus(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_sub_signed(d).unwrap_or(if d < Duration::zero() {
        DateTime::<Utc>::MAX_UTC
    } else {
        DateTime::<Utc>::MIN_UTC
    })
}

/// A key date bound for comparing with key dates as strings: `t` as `YYYYMMDDTHHMMSSZ`,
/// clamped to four-digit years (chrono writes `+10000…` or `-0001…`, which sort wrongly).
#[must_use]
pub fn key_bound(t: DateTime<Utc>) -> String {
    use chrono::Datelike as _;
    match t.year() {
        y if y > 9999 => "99991231T235959Z".to_string(),
        y if y < 0 => "00000101T000000Z".to_string(),
        _ => fmt_key_time(t),
    }
}

/// Formats a time as CloudTrail writes it: `YYYY-MM-DDTHH:MM:SSZ`.
#[must_use]
pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Formats a time as a digest key date: `YYYYMMDDTHHMMSSZ`.
#[must_use]
pub fn fmt_key_time(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The date of a digest key as the CLI reads it: the 16 characters before
/// `.json.gz` (or `_backfill.json.gz`), whatever they are.
#[must_use]
pub fn digest_key_date(key: &str) -> Option<&str> {
    let stem = key.strip_suffix(".json.gz")?;
    let stem = stem.strip_suffix("_backfill").unwrap_or(stem);
    let start = stem.len().checked_sub(16)?;
    stem.get(start..)
}

/// Parses a `YYYYMMDDTHHMMSSZ` key date.
#[must_use]
pub fn parse_key_time(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| Utc.from_utc_datetime(&t))
}

/// Which (prefix, org, account, source region) a key belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    /// The trail's S3 key prefix, without the trailing `/`; empty for none.
    pub prefix: String,
    pub org_id: Option<String>,
    pub account: String,
    pub region: String,
}

impl StreamId {
    /// `[PREFIX/]AWSLogs/[ORG/]ACCOUNT/`
    #[must_use]
    pub fn base(&self) -> String {
        let mut s = String::new();
        if !self.prefix.is_empty() {
            s.push_str(&self.prefix);
            s.push('/');
        }
        s.push_str("AWSLogs/");
        if let Some(org) = &self.org_id {
            s.push_str(org);
            s.push('/');
        }
        s.push_str(&self.account);
        s.push('/');
        s
    }

    /// The folder holding this stream's digests.
    #[must_use]
    pub fn digest_folder(&self) -> String {
        format!("{}CloudTrail-Digest/{}/", self.base(), self.region)
    }

    /// The key a regular digest ending at `end` has in this stream.
    #[must_use]
    pub fn digest_key(&self, trail_name: &str, home_region: &str, end: DateTime<Utc>) -> String {
        format!(
            "{}{}/{}_CloudTrail-Digest_{}_{}_{}_{}.json.gz",
            self.digest_folder(),
            end.format("%Y/%m/%d"),
            self.account,
            self.region,
            trail_name,
            home_region,
            fmt_key_time(end)
        )
    }
}

/// A digest key of the trail, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestKey {
    pub stream: StreamId,
    /// `TRAILNAME_HOMEREGION`.
    pub trail_part: String,
    pub time: DateTime<Utc>,
    pub backfill: bool,
}

/// A log key, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogKey {
    pub stream: StreamId,
    /// Delivery time, to the minute.
    pub time: DateTime<Utc>,
}

/// Splits `[PREFIX/]AWSLogs/[ORG/]ACCOUNT/<kind>/REGION/YYYY/MM/DD/FILE` (§1.1).
///
/// Hand-written rather than a regex with captures: it runs on every key of a bucket
/// listing, and capture groups around `.+` cost microseconds per key.
fn split_layout<'k>(key: &'k str, kind: &str) -> Option<(StreamId, &'k str)> {
    let at = if key.starts_with("AWSLogs/") {
        0
    } else {
        key.find("/AWSLogs/")? + 1
    };
    let prefix = if at == 0 { "" } else { key.get(..at - 1)? };
    let rest = key.get(at + "AWSLogs/".len()..)?;
    let parts: Vec<&str> = rest.split('/').collect();
    let (org, parts) = match parts.split_first() {
        Some((first, tail)) if first.starts_with("o-") => (Some(*first), tail),
        _ => (None, &parts[..]),
    };
    let [account, k, region, y, m, d, file] = parts else {
        return None;
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let org_ok = org.is_none_or(|o| {
        let id = &o[2..];
        (10..=32).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if *k != kind
        || !org_ok
        || !digits(account, 12)
        || !region_ok
        || !digits(y, 4)
        || !digits(m, 2)
        || !digits(d, 2)
        || prefix.is_empty() != (at == 0)
    {
        return None;
    }
    Some((
        StreamId {
            prefix: prefix.to_string(),
            org_id: org.map(str::to_string),
            account: (*account).to_string(),
            region: (*region).to_string(),
        },
        file,
    ))
}

/// Splits a digest key (§1.1); `None` when the key is not a digest key.
#[must_use]
pub fn parse_digest_key(key: &str) -> Option<DigestKey> {
    let (stream, file) = split_layout(key, "CloudTrail-Digest")?;
    let head = format!("{}_CloudTrail-Digest_{}_", stream.account, stream.region);
    let stem = file.strip_prefix(&head)?.strip_suffix(".json.gz")?;
    let (stem, backfill) = match stem.strip_suffix("_backfill") {
        Some(s) => (s, true),
        None => (stem, false),
    };
    let (trail_part, ts) = stem.rsplit_once('_')?;
    if trail_part.is_empty() || ts.len() != 16 {
        return None;
    }
    Some(DigestKey {
        stream,
        trail_part: trail_part.to_string(),
        time: parse_key_time(ts)?,
        backfill,
    })
}

/// Splits a log key (§1.1); `None` when the key is not a log key.
#[must_use]
pub fn parse_log_key(key: &str) -> Option<LogKey> {
    let (stream, file) = split_layout(key, "CloudTrail")?;
    let head = format!("{}_CloudTrail_{}_", stream.account, stream.region);
    let stem = file.strip_prefix(&head)?.strip_suffix(".json.gz")?;
    let (ts, unique) = stem.split_once('_')?;
    if ts.len() != 14 || unique.is_empty() || !unique.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let t = NaiveDateTime::parse_from_str(&format!("{ts}00"), "%Y%m%dT%H%MZ%S").ok()?;
    Some(LogKey {
        stream,
        time: Utc.from_utc_datetime(&t),
    })
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "tests fail loudly on a broken invariant"
)]
mod tests {
    use super::*;

    const KEY: &str = "audit/ct/AWSLogs/o-abcdefghij/111122223333/CloudTrail-Digest/us-west-2/2024/03/01/111122223333_CloudTrail-Digest_us-west-2_my_trail_us-east-1_20240301T030131Z.json.gz";

    #[test]
    fn digest_key_splits_prefix_org_account_region_and_trail() {
        let k = parse_digest_key(KEY).unwrap();
        assert_eq!(k.stream.prefix, "audit/ct");
        assert_eq!(k.stream.org_id.as_deref(), Some("o-abcdefghij"));
        assert_eq!(k.stream.account, "111122223333");
        assert_eq!(k.stream.region, "us-west-2");
        assert_eq!(k.trail_part, "my_trail_us-east-1");
        assert_eq!(fmt_key_time(k.time), "20240301T030131Z");
        assert!(!k.backfill);
        assert_eq!(digest_key_date(KEY), Some("20240301T030131Z"));
    }

    #[test]
    fn stream_rebuilds_the_digest_key() {
        let k = parse_digest_key(KEY).unwrap();
        assert_eq!(k.stream.digest_key("my_trail", "us-east-1", k.time), KEY);
    }

    #[test]
    fn backfill_key_date_skips_the_suffix() {
        let key = KEY.replace(".json.gz", "_backfill.json.gz");
        assert!(parse_digest_key(&key).unwrap().backfill);
        assert_eq!(digest_key_date(&key), Some("20240301T030131Z"));
    }

    #[test]
    fn log_key_gives_minute_delivery_time() {
        let k = parse_log_key("AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/111122223333_CloudTrail_us-east-1_20240301T0248Z_dqleSGQFe7BYchGr.json.gz").unwrap();
        assert_eq!(fmt_time(k.time), "2024-03-01T02:48:00Z");
        assert_eq!(k.stream.prefix, "");
    }

    #[test]
    fn mismatched_account_in_file_name_is_not_a_key() {
        let bad = KEY.replace("/111122223333_", "/999922223333_");
        assert!(parse_digest_key(&bad).is_none());
    }

    #[test]
    fn malformed_layouts_are_not_keys() {
        for bad in [
            KEY.replace("o-abcdefghij", "o-short"),
            KEY.replace("/2024/03/01/", "/2024/3/01/"),
            KEY.replace("_20240301T030131Z", "_20240301T0301Z"),
            KEY.replace("CloudTrail-Digest/", "CloudTrail-Digests/"),
        ] {
            assert!(parse_digest_key(&bad).is_none(), "{bad}");
        }
        assert!(parse_log_key(KEY).is_none());
        assert!(parse_digest_key("AWSLogs/").is_none());
    }

    #[test]
    fn digest_with_missing_field_names_it() {
        let err = parse_digest(br#"{"digestStartTime":"2024-03-01T02:01:31Z"}"#).unwrap_err();
        assert_eq!(err, DigestError::Missing("digestEndTime"));
    }

    const HEAD: &str = r#""digestStartTime":"2024-03-01T02:01:31Z","digestEndTime":"2024-03-01T03:01:31Z","digestS3Bucket":"b","digestS3Object":"k","digestPublicKeyFingerprint":"f","previousDigestSignature":null"#;

    fn with_logs(logs: &str) -> Vec<u8> {
        format!("{{{HEAD},\"ignored\":{{\"deep\":[1,2,3]}},\"logFiles\":{logs}}}").into_bytes()
    }

    #[test]
    fn log_lists_are_capped_skipped_or_typed_by_entry() {
        let e = r#"{"s3Bucket":"b","s3Object":"o","hashValue":"h","extra":[{}]}"#;
        let three = with_logs(&format!("[{e},{e},{e}]"));
        assert_eq!(parse_digest(&three).unwrap().log_files.len(), 3);
        assert_eq!(
            parse_digest_with(&three, LogFiles::UpTo(2)),
            Err(DigestError::TooManyLogFiles(2))
        );
        let skipped = parse_digest_with(&three, LogFiles::Skip).unwrap();
        assert!(skipped.log_files.is_empty());
        assert_eq!(skipped.end_raw, "2024-03-01T03:01:31Z");
        let bad = with_logs(&format!(
            r#"[{e},{{"s3Bucket":"b","s3Object":7,"hashValue":"h"}}]"#
        ));
        assert_eq!(
            parse_digest(&bad),
            Err(DigestError::WrongType {
                field: "logFiles[1].s3Object".into(),
                expected: "string"
            })
        );
        assert!(matches!(
            parse_digest(&with_logs("[1]")),
            Err(DigestError::WrongType { .. })
        ));
        assert!(matches!(
            parse_digest(&with_logs("{}")),
            Err(DigestError::WrongType { .. })
        ));
        // Trailing garbage after the object is a JSON error.
        let mut trailing = three.clone();
        trailing.extend_from_slice(b" x");
        assert!(matches!(parse_digest(&trailing), Err(DigestError::Json(_))));
    }

    #[test]
    fn digest_times_must_have_four_digit_years() {
        for t in [
            "+262142-12-31T23:59:59Z",
            "-0001-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
        ] {
            let d = with_logs("[]");
            let text = String::from_utf8(d)
                .unwrap()
                .replace("2024-03-01T03:01:31Z", t);
            assert!(
                matches!(
                    parse_digest(text.as_bytes()),
                    Err(DigestError::BadTime { .. })
                ),
                "{t}"
            );
        }
    }

    #[test]
    fn key_bounds_stay_four_digit_and_arithmetic_saturates() {
        assert_eq!(key_bound(DateTime::<Utc>::MAX_UTC), "99991231T235959Z");
        assert_eq!(key_bound(DateTime::<Utc>::MIN_UTC), "00000101T000000Z");
        assert_eq!(
            plus(DateTime::<Utc>::MAX_UTC, Duration::hours(1)),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(
            minus(DateTime::<Utc>::MIN_UTC, Duration::hours(1)),
            DateTime::<Utc>::MIN_UTC
        );
        assert!(key_bound(plus(max_time(), Duration::hours(1))).as_str() > "20240301T000000Z");
    }

    #[test]
    fn garbage_is_a_json_error() {
        assert!(matches!(
            parse_digest(b"\xff\x00{"),
            Err(DigestError::Json(_))
        ));
        assert_eq!(parse_digest(b"[1]"), Err(DigestError::NotObject));
    }
}
