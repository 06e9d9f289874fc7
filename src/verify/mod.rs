//! `trailcheck verify`: CloudTrail log file integrity validation (digest-format.md).
//!
//! `digest` reads keys and digest JSON, `signature` holds public keys and RSA checks,
//! `inflate` streams gunzip + SHA-256, `store` abstracts the bucket (local mirror or S3),
//! `chain` runs the algorithm, `report` renders it and `emit` writes signed buckets.
//! Nothing here depends on the lint path (`frontend`, `rules`, `report`).
pub mod chain;
pub mod digest;
pub mod emit;
pub mod inflate;
pub mod report;
pub mod signature;
pub mod store;

use crate::Outcome;
use chain::{group_streams, LogBudget, Walk};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use digest::{fmt_time, in_time_range, plus, StreamId};
use signature::KeySet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::LazyLock;
use store::{LocalMirrors, ObjectStore};
use thiserror::Error;

/// Command-line arguments of `trailcheck verify` (design.md).
#[derive(Debug, Clone, clap::Args)]
pub struct VerifyArgs {
    /// ARN of the trail whose digests to validate.
    #[arg(long, value_name = "ARN")]
    pub trail_arn: String,
    /// Start of the range (ISO-8601; an offset is honoured, none means UTC).
    #[arg(long, value_name = "TIME")]
    pub start_time: String,
    /// End of the range (default: now).
    #[arg(long, value_name = "TIME")]
    pub end_time: Option<String>,
    /// Bucket holding the trail's files (required with S3 unless the trail can be described).
    #[arg(long, value_name = "BUCKET")]
    pub s3_bucket: Option<String>,
    /// Only the streams under this key prefix (the trail's S3KeyPrefix).
    #[arg(long, value_name = "PREFIX")]
    pub s3_prefix: Option<String>,
    /// Only these accounts (repeatable).
    #[arg(long, value_name = "ID")]
    pub account_id: Vec<String>,
    /// Only these source regions (repeatable); the first is also the API region.
    #[arg(long, value_name = "REGION")]
    pub region: Vec<String>,
    /// Read a local mirror of the bucket root (with `.s3-metadata.json`) instead of S3.
    /// Repeat it for the buckets a digest chain moved from (`previousDigestS3Bucket`); the
    /// trail's own bucket is the first mirror, or the one --s3-bucket names.
    #[arg(long, value_name = "DIR", conflicts_with = "endpoint_url")]
    pub local: Vec<PathBuf>,
    /// S3-compatible endpoint (e.g. http://127.0.0.1:9000); path-style addressing.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// CloudTrail API endpoint for ListPublicKeys/DescribeTrails (also
    /// AWS_ENDPOINT_URL_CLOUDTRAIL).
    #[arg(long, value_name = "URL")]
    pub cloudtrail_endpoint_url: Option<String>,
    /// Public keys as `aws cloudtrail list-public-keys` prints them (otherwise the API).
    #[arg(long, value_name = "FILE")]
    pub public_keys: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// List every file, not only failures.
    #[arg(long)]
    pub verbose: bool,
    /// Parallel fetches, 1 to 256 (default: number of CPUs locally, 32 for S3).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=i64::from(MAX_JOBS)))]
    pub jobs: Option<u16>,
    /// Cap on one inflated log file, in bytes; larger is reported as a gzip bomb.
    #[arg(long, value_name = "BYTES", default_value_t = inflate::DEFAULT_MAX_LOG_BYTES)]
    pub max_log_bytes: u64,
    /// Cap on the log file results of the run (listed by digests, or unreferenced or
    /// unverified in the listing); beyond it the run is `too_large` (exit 1).
    #[arg(long, value_name = "N", default_value_t = chain::DEFAULT_MAX_LOG_FILES)]
    pub max_log_files: usize,
}

/// Most parallel workers `--jobs` accepts.
pub const MAX_JOBS: u16 = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// Failures that stop a run (exit 2).
#[derive(Debug, Error)]
pub enum VerifyError {
    #[error(
        "--trail-arn {0:?} is not a trail ARN (arn:PARTITION:cloudtrail:REGION:ACCOUNT:trail/NAME)"
    )]
    BadArn(String),
    #[error("{flag} {value:?} is not a time; use ISO-8601 such as 2024-03-01T00:00:00Z")]
    BadTime { flag: &'static str, value: String },
    #[error("{flag} {value:?} is out of range: times must lie between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z")]
    TimeOutOfRange { flag: &'static str, value: String },
    /// No digest of the trail at all in the listing (a typo'd ARN, bucket or prefix).
    #[error("{0}")]
    NothingFound(String),
    #[error("--start-time {start} is after --end-time {end}")]
    StartAfterEnd { start: String, end: String },
    #[error(
        "--s3-bucket {given} is not the bucket of any --local mirror ({mirror}, from their .s3-metadata.json)"
    )]
    BucketMismatch { given: String, mirror: String },
    #[error("No public keys found between {from} and {to}; pass --public-keys with the output of `aws cloudtrail list-public-keys` covering that range")]
    NoKeys { from: String, to: String },
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Keys(#[from] signature::KeysError),
    #[error("{0}")]
    Setup(String),
}

/// A parsed trail ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailArn {
    pub arn: String,
    pub home_region: String,
    pub account: String,
    pub name: String,
}

static ARN_RE: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
    regex::Regex::new(r"^arn:[^:]+:cloudtrail:([a-z0-9-]+):(\d{12}):trail/(.+)$").ok()
});

impl TrailArn {
    /// # Errors
    /// Not of the form `arn:PARTITION:cloudtrail:REGION:ACCOUNT:trail/NAME`.
    pub fn parse(arn: &str) -> Result<Self, VerifyError> {
        let c = ARN_RE
            .as_ref()
            .and_then(|re| re.captures(arn))
            .ok_or_else(|| VerifyError::BadArn(arn.to_string()))?;
        let path = c.get(3).map_or("", |m| m.as_str());
        let name = path.rsplit('/').next().unwrap_or(path);
        if name.is_empty() {
            return Err(VerifyError::BadArn(arn.to_string()));
        }
        Ok(TrailArn {
            arn: arn.to_string(),
            home_region: c.get(1).map_or("", |m| m.as_str()).to_string(),
            account: c.get(2).map_or("", |m| m.as_str()).to_string(),
            name: name.to_string(),
        })
    }
}

/// Parses a time argument: RFC 3339 with its offset honoured, or a naive time / date as UTC.
///
/// # Errors
/// Anything else.
pub fn parse_time_arg(flag: &'static str, s: &str) -> Result<DateTime<Utc>, VerifyError> {
    let t = s.trim();
    let checked = |dt: DateTime<Utc>| {
        if in_time_range(dt) {
            Ok(dt)
        } else {
            Err(VerifyError::TimeOutOfRange {
                flag,
                value: s.to_string(),
            })
        }
    };
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return checked(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y%m%dT%H%M%SZ",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
            return checked(Utc.from_utc_datetime(&n));
        }
    }
    if let Some(n) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return checked(Utc.from_utc_datetime(&n));
    }
    Err(VerifyError::BadTime {
        flag,
        value: s.to_string(),
    })
}

/// What to validate, independent of where objects come from.
#[derive(Debug, Clone)]
pub struct Request {
    pub trail: TrailArn,
    pub bucket: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The trail's key prefix without slashes; `Some("")` for none, `None` for any.
    pub prefix: Option<String>,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub max_log_bytes: u64,
    /// Cap on the run's log file results.
    pub max_log_files: usize,
}

/// Validates every stream of the trail found in `store`.
///
/// # Errors
/// Listing failures, or no usable public keys while there are digests to check.
pub fn verify(
    req: &Request,
    store: &dyn ObjectStore,
    keys_for: &dyn Fn(&[String]) -> Result<KeySet, VerifyError>,
) -> Result<report::Verdict, VerifyError> {
    // Some("") is a known empty prefix (keys start with AWSLogs/); None is any prefix.
    let list_prefix = match req.prefix.as_deref() {
        None => String::new(),
        Some("") => "AWSLogs/".to_string(),
        Some(p) => format!("{p}/AWSLogs/"),
    };
    let listing = store.list(&req.bucket, &list_prefix)?;
    let trail_part = format!("{}_{}", req.trail.name, req.trail.home_region);
    let filter = |s: &StreamId| {
        req.prefix.as_ref().is_none_or(|p| &s.prefix == p)
            && (req.accounts.is_empty() || req.accounts.contains(&s.account))
            && (req.regions.is_empty() || req.regions.contains(&s.region))
    };
    let streams = group_streams(&listing, &trail_part, (req.start, req.end), &filter);
    if streams.is_empty() {
        return Err(nothing_found(req, &list_prefix, &listing, &trail_part));
    }
    let key_to = plus(req.end, Duration::hours(2));
    let in_range = |k: &chain::StreamKeys| !k.digests.is_empty() || !k.backfill.is_empty();
    let has_digests = streams.iter().any(|(_, k)| in_range(k));
    // Keys also for streams with only older digests: the missing-head check reads one.
    let mut regions: Vec<String> = streams
        .iter()
        .filter(|(_, k)| in_range(k) || k.newest_before.is_some())
        .map(|(s, _)| s.region.clone())
        .collect();
    regions.sort();
    regions.dedup();
    let all_keys = if regions.is_empty() {
        KeySet::default()
    } else {
        keys_for(&regions)?
    };
    let keys = all_keys.overlapping(req.start, key_to);
    if has_digests && keys.is_empty() {
        return Err(VerifyError::NoKeys {
            from: fmt_time(req.start),
            to: fmt_time(key_to),
        });
    }
    let budget = LogBudget::new(req.max_log_files);
    let walk = Walk {
        store,
        bucket: &req.bucket,
        trail_name: &req.trail.name,
        home_region: &req.trail.home_region,
        start: req.start,
        end: req.end,
        keys: &keys,
        all_keys: &all_keys,
        max_log_bytes: req.max_log_bytes,
        budget: &budget,
    };
    let streams = walk.run(&streams);
    drop(listing);
    let mut problems: Vec<report::Problem> = store
        .refused()
        .into_iter()
        .map(|r| report::Problem {
            category: chain::Category::Refused,
            bucket: r.bucket,
            key: r.key,
            message: r.reason,
        })
        .collect();
    problems.sort_by(|a, b| (&a.bucket, &a.key).cmp(&(&b.bucket, &b.key)));
    problems.dedup();
    if budget.exhausted() {
        problems.push(report::Problem {
            category: chain::Category::TooLarge,
            bucket: req.bucket.clone(),
            key: list_prefix.clone(),
            message: format!(
                "too large: the run reached its cap of {} log file results (--max-log-files); \
                 the log files past it are not reported (a bucket or digests planted to \
                 exhaust memory, or a range too wide: narrow the range or raise the cap)",
                budget.cap()
            ),
        });
    }
    Ok(report::Verdict {
        trail_arn: req.trail.arn.clone(),
        start: req.start,
        end: req.end,
        streams,
        problems,
    })
}

/// The error for a listing that holds no digest of the trail at all.
fn nothing_found(req: &Request, prefix: &str, listing: &[String], trail_part: &str) -> VerifyError {
    let mut filters = String::new();
    if let Some(p) = &req.prefix {
        filters.push_str(&format!(" under prefix {p:?}"));
    }
    if !req.accounts.is_empty() {
        filters.push_str(&format!(" for account(s) {}", req.accounts.join(", ")));
    }
    if !req.regions.is_empty() {
        filters.push_str(&format!(" in region(s) {}", req.regions.join(", ")));
    }
    filters.push_str(&format!(
        " (range {} to {})",
        fmt_time(req.start),
        fmt_time(req.end)
    ));
    let mut trails: Vec<String> = listing
        .iter()
        .filter_map(|k| digest::parse_digest_key(k))
        .map(|d| d.trail_part)
        .collect();
    trails.sort();
    trails.dedup();
    let others = if trails.is_empty() {
        String::new()
    } else {
        let shown: Vec<&str> = trails.iter().take(5).map(String::as_str).collect();
        format!(
            ", with digests of other trails (TRAILNAME_HOMEREGION): {}{}",
            shown.join(", "),
            if trails.len() > 5 { ", …" } else { "" }
        )
    };
    VerifyError::NothingFound(format!(
        "No digests found: listed s3://{}/{prefix} and found no digest of trail {} (digest \
         keys containing `_{trail_part}_`){filters}; {} key(s) listed{others}. Check \
         --trail-arn (name and home region), --s3-bucket, --s3-prefix, --account-id and \
         --region",
        req.bucket,
        req.trail.arn,
        listing.len()
    ))
}

/// Runs `trailcheck verify` from its command line.
///
/// # Errors
/// Usage, setup and access errors (exit 2).
pub fn run(args: &VerifyArgs) -> miette::Result<Outcome> {
    match run_inner(args) {
        Ok(outcome) => Ok(outcome),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            Ok(Outcome::Error)
        }
    }
}

fn run_inner(args: &VerifyArgs) -> Result<Outcome, VerifyError> {
    let trail = TrailArn::parse(&args.trail_arn)?;
    let start = parse_time_arg("--start-time", &args.start_time)?;
    let end = match &args.end_time {
        Some(t) => parse_time_arg("--end-time", t)?,
        None => Utc::now(),
    };
    if start > end {
        return Err(VerifyError::StartAfterEnd {
            start: fmt_time(start),
            end: fmt_time(end),
        });
    }
    let jobs = args.jobs.map_or_else(
        || {
            if args.local.is_empty() {
                32
            } else {
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
            }
        },
        usize::from,
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.clamp(1, usize::from(MAX_JOBS)))
        .build()
        .map_err(|e| VerifyError::Setup(format!("cannot start worker threads: {e}")))?;
    let prefix = args
        .s3_prefix
        .as_ref()
        .map(|p| p.trim_matches('/').to_string())
        .filter(|p| !p.is_empty());
    let mut req = Request {
        trail,
        bucket: String::new(),
        start,
        end,
        prefix,
        accounts: args.account_id.clone(),
        regions: args.region.clone(),
        max_log_bytes: args.max_log_bytes,
        max_log_files: args.max_log_files,
    };
    let verdict = if args.local.is_empty() {
        remote(args, &mut req, &pool)?
    } else {
        let store = LocalMirrors::open(&args.local)?;
        req.bucket = match &args.s3_bucket {
            Some(given) if store.buckets().any(|b| b == given) => given.clone(),
            Some(given) => {
                return Err(VerifyError::BucketMismatch {
                    given: given.clone(),
                    mirror: store.buckets().collect::<Vec<_>>().join(", "),
                })
            }
            None => store.buckets().next().unwrap_or_default().to_string(),
        };
        let Some(keys_file) = &args.public_keys else {
            return Err(VerifyError::Setup(
                "--local needs --public-keys FILE (the output of `aws cloudtrail list-public-keys`): \
                 keys found in a bucket or mirror are never trusted"
                    .into(),
            ));
        };
        let keys = KeySet::from_file(keys_file)?;
        pool.install(|| verify(&req, &store, &|_| Ok(keys.clone())))?
    };
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let written = match args.format {
        Format::Human => report::human(&verdict, args.verbose, &mut stdout, &mut stderr),
        Format::Json => report::write_json(&verdict, &mut stdout),
    };
    written.map_err(|e| VerifyError::Setup(format!("cannot write the report: {e}")))?;
    Ok(if verdict.all_valid() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

#[cfg(feature = "s3")]
fn remote(
    args: &VerifyArgs,
    req: &mut Request,
    pool: &rayon::ThreadPool,
) -> Result<report::Verdict, VerifyError> {
    let s3 = store::s3::S3Store::connect(&store::s3::Config {
        region: args.region.first().cloned(),
        endpoint_url: args.endpoint_url.clone(),
        cloudtrail_endpoint_url: args.cloudtrail_endpoint_url.clone(),
        timeout: store::s3::timeout_from_env(),
    })?;
    match &args.s3_bucket {
        Some(b) => req.bucket = b.clone(),
        None => {
            let (bucket, prefix) = s3.describe_trail(&req.trail.arn, &req.trail.home_region)?;
            req.bucket = bucket;
            if req.prefix.is_none() {
                // The trail's own prefix, or none: list only what it writes.
                req.prefix = Some(prefix.unwrap_or_default());
            }
        }
    }
    let file_keys = match &args.public_keys {
        Some(f) => Some(KeySet::from_file(f)?),
        None => None,
    };
    let (start, key_to) = (req.start, plus(req.end, Duration::hours(2)));
    // Keys are per region: ask every source region that has digests to check.
    let keys_for = |regions: &[String]| match &file_keys {
        Some(k) => Ok(k.clone()),
        None => Ok(s3.list_public_keys(regions, start, key_to)?),
    };
    pool.install(|| verify(req, &s3, &keys_for))
}

#[cfg(not(feature = "s3"))]
fn remote(
    _args: &VerifyArgs,
    _req: &mut Request,
    _pool: &rayon::ThreadPool,
) -> Result<report::Verdict, VerifyError> {
    Err(VerifyError::Setup(
        "this trailcheck was built without the `s3` feature: use --local DIR with --public-keys FILE"
            .into(),
    ))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "tests fail loudly on a broken invariant"
)]
mod tests {
    use super::*;

    #[test]
    fn arn_gives_home_region_account_and_name() {
        let a =
            TrailArn::parse("arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events")
                .unwrap();
        assert_eq!(a.home_region, "us-east-1");
        assert_eq!(a.account, "111122223333");
        assert_eq!(a.name, "management-events");
        assert!(TrailArn::parse("arn:aws:s3:::bucket").is_err());
    }

    #[test]
    fn time_offsets_are_honoured_not_replaced() {
        let t = parse_time_arg("--start-time", "2024-03-01T02:00:00+02:00").unwrap();
        assert_eq!(fmt_time(t), "2024-03-01T00:00:00Z");
        let n = parse_time_arg("--start-time", "2024-03-01T02:00:00").unwrap();
        assert_eq!(fmt_time(n), "2024-03-01T02:00:00Z");
        assert!(parse_time_arg("--start-time", "yesterday").is_err());
    }
}
