//! S3 and the CloudTrail API through the AWS SDK (feature `s3`).
//!
//! One multi-thread tokio runtime and one client per service are shared by every
//! worker thread, so HTTP connections are reused; workers call `block_on` on it.
use super::{GetError, Metadata, Object, ObjectStore, StoreError, MAX_LISTED_KEYS};
use crate::verify::signature::{KeySet, PublicKey};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Default base timeout: connect, time to the response, and each idle wait for body bytes.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Environment variable overriding the base timeout, in milliseconds (tests use it).
pub const TIMEOUT_ENV: &str = "TRAILCHECK_S3_TIMEOUT_MS";
/// Attempts per request (the first and two retries).
const MAX_ATTEMPTS: u32 = 3;
/// Most pages one paginated call may take (a paging loop with fresh tokens ends here).
const MAX_PAGES: usize = 20_000;
/// Most pages of `ListPublicKeys` (a region has a handful of keys).
const MAX_KEY_PAGES: usize = 1_000;

/// The base timeout: [`TIMEOUT_ENV`] when set to a number of milliseconds (1 to 600000),
/// else [`DEFAULT_TIMEOUT`].
#[must_use]
pub fn timeout_from_env() -> Duration {
    std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ms| (1..=600_000).contains(ms))
        .map_or(DEFAULT_TIMEOUT, Duration::from_millis)
}

/// How to reach the services.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Region for the S3 client; otherwise the standard chain, then us-east-1.
    pub region: Option<String>,
    /// S3-compatible endpoint; implies path-style addressing.
    pub endpoint_url: Option<String>,
    /// CloudTrail endpoint (AWS_ENDPOINT_URL_CLOUDTRAIL works too).
    pub cloudtrail_endpoint_url: Option<String>,
    /// Base timeout (see [`timeout_from_env`]); zero for the default.
    pub timeout: Duration,
}

/// A bucket in S3 plus the CloudTrail API for keys and trail lookup.
pub struct S3Store {
    rt: tokio::runtime::Runtime,
    conf: aws_config::SdkConfig,
    s3: aws_sdk_s3::Client,
    cloudtrail_endpoint_url: Option<String>,
    timeout: Duration,
    /// Set once a request timed out: the endpoint stopped answering, and later requests
    /// fail at once instead of each waiting out its timeouts.
    stalled: Arc<AtomicBool>,
}

fn is_timeout<E, R>(e: &SdkError<E, R>) -> bool {
    match e {
        SdkError::TimeoutError(_) => true,
        SdkError::DispatchFailure(d) => d.is_timeout(),
        _ => false,
    }
}

fn setup(e: impl std::fmt::Display) -> StoreError {
    StoreError::Setup(e.to_string())
}

impl S3Store {
    /// Loads credentials and region through the standard AWS chain.
    ///
    /// # Errors
    /// The async runtime could not start.
    pub fn connect(cfg: &Config) -> Result<Self, StoreError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| setup(format!("cannot start the async runtime: {e}")))?;
        let timeout = if cfg.timeout.is_zero() {
            DEFAULT_TIMEOUT
        } else {
            cfg.timeout
        };
        // Per attempt: connect, response and attempt bounded by the base timeout; the
        // whole operation (three attempts with backoff) by 2.5 times it.
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(timeout)
            .read_timeout(timeout)
            .operation_attempt_timeout(timeout)
            .operation_timeout(timeout * 5 / 2)
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(timeouts)
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
        if let Some(r) = &cfg.region {
            loader = loader.region(Region::new(r.clone()));
        }
        let mut conf = rt.block_on(loader.load());
        if conf.region().is_none() {
            conf = conf
                .into_builder()
                .region(Region::from_static("us-east-1"))
                .build();
        }
        let mut s3 = aws_sdk_s3::config::Builder::from(&conf);
        if let Some(url) = &cfg.endpoint_url {
            s3 = s3.endpoint_url(url).force_path_style(true);
        }
        Ok(S3Store {
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            rt,
            conf,
            cloudtrail_endpoint_url: cfg.cloudtrail_endpoint_url.clone(),
            timeout,
            stalled: Arc::new(AtomicBool::new(false)),
        })
    }

    fn cloudtrail(&self, region: &str) -> aws_sdk_cloudtrail::Client {
        let mut b = aws_sdk_cloudtrail::config::Builder::from(&self.conf)
            .region(Region::new(region.to_string()));
        if let Some(url) = &self.cloudtrail_endpoint_url {
            b = b.endpoint_url(url);
        }
        aws_sdk_cloudtrail::Client::from_conf(b.build())
    }

    /// `DescribeTrails` in the home region: the trail's bucket and key prefix.
    ///
    /// # Errors
    /// API failure, or the trail is not found.
    pub fn describe_trail(
        &self,
        arn: &str,
        home_region: &str,
    ) -> Result<(String, Option<String>), StoreError> {
        let client = self.cloudtrail(home_region);
        let out = self
            .rt
            .block_on(client.describe_trails().trail_name_list(arn).send())
            .map_err(|e| {
                setup(format!(
                    "DescribeTrails for {arn} failed: {}; pass --s3-bucket (and --s3-prefix) to skip the lookup",
                    DisplayErrorContext(&e)
                ))
            })?;
        let trail = out
            .trail_list()
            .iter()
            .find(|t| t.trail_arn() == Some(arn))
            .ok_or_else(|| {
                setup(format!(
                    "trail {arn} not found by DescribeTrails; pass --s3-bucket"
                ))
            })?;
        let bucket = trail
            .s3_bucket_name()
            .ok_or_else(|| setup(format!("trail {arn} has no S3 bucket")))?;
        Ok((
            bucket.to_string(),
            trail
                .s3_key_prefix()
                .map(|p| p.trim_matches('/').to_string())
                .filter(|p| !p.is_empty()),
        ))
    }

    /// `ListPublicKeys` in each region, over `[from, to]`, all pages.
    ///
    /// # Errors
    /// API failure.
    pub fn list_public_keys(
        &self,
        regions: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<KeySet, StoreError> {
        let mut keys = Vec::new();
        for region in regions {
            let client = self.cloudtrail(region);
            let mut token: Option<String> = None;
            let mut seen: HashSet<String> = HashSet::new();
            let mut pages = 0usize;
            loop {
                pages += 1;
                if pages > MAX_KEY_PAGES {
                    return Err(setup(format!(
                        "ListPublicKeys in {region} failed: more than {MAX_KEY_PAGES} pages \
                         (the endpoint keeps paging); pass --public-keys FILE instead"
                    )));
                }
                let out = self
                    .rt
                    .block_on(
                        client
                            .list_public_keys()
                            .start_time(aws_sdk_cloudtrail::primitives::DateTime::from_secs(
                                from.timestamp(),
                            ))
                            .end_time(aws_sdk_cloudtrail::primitives::DateTime::from_secs(
                                to.timestamp(),
                            ))
                            .set_next_token(token.clone())
                            .send(),
                    )
                    .map_err(|e| {
                        setup(format!(
                            "ListPublicKeys in {region} failed: {}; pass --public-keys FILE instead",
                            DisplayErrorContext(&e)
                        ))
                    })?;
                for k in out.public_key_list() {
                    let time = |t: Option<&aws_sdk_cloudtrail::primitives::DateTime>| {
                        t.and_then(|t| DateTime::from_timestamp(t.secs(), 0))
                    };
                    let (Some(valid_from), Some(valid_to), Some(fp), Some(value)) = (
                        time(k.validity_start_time()),
                        time(k.validity_end_time()),
                        k.fingerprint(),
                        k.value(),
                    ) else {
                        continue;
                    };
                    keys.push(PublicKey::from_der(
                        fp.to_ascii_lowercase(),
                        valid_from,
                        valid_to,
                        value.as_ref(),
                    ));
                }
                token = out.next_token().map(str::to_string);
                match &token {
                    None => break,
                    Some(t) if !seen.insert(t.clone()) => {
                        return Err(setup(format!(
                            "ListPublicKeys in {region} failed: paging loop (NextToken {:?} \
                             returned again); pass --public-keys FILE instead",
                            t.chars().take(64).collect::<String>()
                        )))
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(KeySet::new(keys))
    }
}

impl ObjectStore for S3Store {
    fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, StoreError> {
        let err = |reason: String| StoreError::List {
            bucket: bucket.into(),
            prefix: prefix.into(),
            reason,
        };
        let malformed = |what: &str| {
            err(format!(
                "ListObjectsV2 answered with a malformed listing ({what}); the endpoint is not \
                 S3-compatible or the response was damaged, so the bucket's contents are unknown"
            ))
        };
        self.rt.block_on(async {
            let mut keys = Vec::new();
            let mut token: Option<String> = None;
            let mut seen: HashSet<String> = HashSet::new();
            for _ in 0..MAX_PAGES {
                let page = self
                    .s3
                    .list_objects_v2()
                    .bucket(bucket)
                    .prefix(prefix)
                    .set_continuation_token(token.clone())
                    .customize()
                    .interceptor(WholeListing)
                    .send()
                    .await
                    .map_err(|e| {
                        err(format!(
                            "ListObjectsV2 failed: {}{}; check the bucket name, credentials \
                             (s3:ListBucket) and --endpoint-url",
                            DisplayErrorContext(&e),
                            if is_timeout(&e) {
                                format!(" (no answer within {} ms)", self.timeout.as_millis())
                            } else {
                                String::new()
                            }
                        ))
                    })?;
                // A listing always names its bucket and says whether it is truncated; a
                // body the SDK could not read as one gives neither.
                match page.name() {
                    Some(n) if n == bucket => {}
                    Some(n) => {
                        return Err(malformed(&format!(
                            "it lists bucket {:?}",
                            n.chars().take(64).collect::<String>()
                        )))
                    }
                    None => return Err(malformed("no <Name>")),
                }
                let contents = page.contents();
                // <KeyCount> is always sent by S3; a truncated body lacks it (the SDK's
                // reader takes whatever elements it found before the cut).
                let Some(n) = page.key_count() else {
                    return Err(malformed("no <KeyCount>"));
                };
                let got = contents.len() + page.common_prefixes().len();
                if usize::try_from(n).ok() != Some(got) {
                    return Err(malformed(&format!("<KeyCount> {n} but {got} entries")));
                }
                for o in contents {
                    let Some(k) = o.key() else {
                        return Err(malformed("a <Contents> entry without <Key>"));
                    };
                    keys.push(k.to_string());
                }
                if keys.len() > MAX_LISTED_KEYS {
                    return Err(StoreError::TooManyKeys {
                        bucket: bucket.into(),
                        prefix: prefix.into(),
                    });
                }
                // Some S3-compatible servers leave out <IsTruncated> on the last page.
                let token_given = page
                    .next_continuation_token()
                    .is_some_and(|t| !t.is_empty());
                let truncated = page.is_truncated().unwrap_or(token_given);
                match (truncated, page.next_continuation_token()) {
                    (false, _) => {
                        keys.sort_unstable();
                        return Ok(keys);
                    }
                    (true, Some(t)) if !t.is_empty() => {
                        if !seen.insert(t.to_string()) {
                            return Err(err(format!(
                                "ListObjectsV2 paging loop: NextContinuationToken {:?} was \
                                 returned twice",
                                t.chars().take(64).collect::<String>()
                            )));
                        }
                        token = Some(t.to_string());
                    }
                    (true, _) => {
                        return Err(malformed(
                            "<IsTruncated> true without a NextContinuationToken",
                        ))
                    }
                }
            }
            Err(err(format!(
                "ListObjectsV2 paging did not end after {MAX_PAGES} pages"
            )))
        })
    }

    fn get(&self, bucket: &str, key: &str) -> Result<Object, GetError> {
        if self.stalled.load(Ordering::SeqCst) {
            return Err(GetError::Unreadable(
                "not fetched: the S3 endpoint stopped answering earlier in this run (a request \
                 timed out)"
                    .into(),
            ));
        }
        let out = self
            .rt
            .block_on(async { self.s3.get_object().bucket(bucket).key(key).send().await });
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                    return Err(GetError::NotFound);
                }
                if is_timeout(&e) {
                    self.stalled.store(true, Ordering::SeqCst);
                    return Err(GetError::Unreadable(format!(
                        "no answer within {} ms ({} attempts): {}",
                        self.timeout.as_millis(),
                        MAX_ATTEMPTS,
                        DisplayErrorContext(&e)
                    )));
                }
                return Err(GetError::Unreadable(DisplayErrorContext(&e).to_string()));
            }
        };
        let metadata: Metadata = out
            .metadata()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        // Streamed: the caller's caps (64 MiB per digest, --max-log-bytes per log) apply
        // while reading, and nothing is buffered whole.
        Ok(Object {
            metadata,
            body: Box::new(Body {
                handle: self.rt.handle().clone(),
                body: out.body,
                chunk: Vec::new(),
                at: 0,
                idle: self.timeout,
                deadline: Instant::now() + self.timeout * BODY_DEADLINE_FACTOR,
                stalled: self.stalled.clone(),
            }),
        })
    }
}

/// Checks that a successful ListObjectsV2 body is one whole `<ListBucketResult>`
/// document: the SDK's XML reader takes what it finds in a truncated or garbled body,
/// which could make a damaged listing look like a short, valid one.
#[derive(Debug)]
struct WholeListing;

impl aws_sdk_s3::config::Intercept for WholeListing {
    fn name(&self) -> &'static str {
        "trailcheck::WholeListing"
    }

    fn read_after_deserialization(
        &self,
        context: &aws_sdk_s3::config::interceptors::AfterDeserializationInterceptorContextRef<'_>,
        _rc: &aws_sdk_s3::config::RuntimeComponents,
        _cfg: &mut aws_sdk_s3::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let response = context.response();
        if !response.status().is_success() {
            return Ok(());
        }
        let Some(body) = response.body().bytes() else {
            return Ok(());
        };
        let text = String::from_utf8_lossy(body);
        let mut doc = text.trim();
        if let Some(rest) = doc.strip_prefix("<?xml") {
            doc = rest.split_once("?>").map_or("", |(_, r)| r).trim_start();
        }
        if doc.starts_with("<ListBucketResult") && doc.ends_with("</ListBucketResult>") {
            Ok(())
        } else {
            Err("malformed listing: the response body is not one whole <ListBucketResult> XML document".into())
        }
    }
}

/// A whole object body may take this many base timeouts (40 s by default).
const BODY_DEADLINE_FACTOR: u32 = 4;

/// An S3 object body read chunk by chunk from the async stream, each wait bounded.
struct Body {
    handle: tokio::runtime::Handle,
    body: aws_sdk_s3::primitives::ByteStream,
    chunk: Vec<u8>,
    at: usize,
    idle: Duration,
    deadline: Instant,
    stalled: Arc<AtomicBool>,
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at >= self.chunk.len() {
            let left = self.deadline.saturating_duration_since(Instant::now());
            let wait = self.idle.min(left);
            let next = self
                .handle
                .block_on(async { tokio::time::timeout(wait, self.body.try_next()).await });
            match next {
                Ok(Ok(Some(bytes))) => {
                    self.chunk.clear();
                    self.chunk.extend_from_slice(&bytes);
                    self.at = 0;
                }
                Ok(Ok(None)) => return Ok(0),
                Ok(Err(e)) => {
                    return Err(std::io::Error::other(format!(
                        "reading the body failed: {e}"
                    )))
                }
                Err(_) => {
                    self.stalled.store(true, Ordering::SeqCst);
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!(
                            "reading the body stalled (no bytes for {} ms, or more than {} ms in all)",
                            self.idle.as_millis(),
                            (self.idle * BODY_DEADLINE_FACTOR).as_millis()
                        ),
                    ));
                }
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
