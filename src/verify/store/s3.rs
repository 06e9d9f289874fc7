//! S3 and the CloudTrail API through the AWS SDK (feature `s3`).
//!
//! One multi-thread tokio runtime and one client per service are shared by every
//! worker thread, so HTTP connections are reused; workers call `block_on` on it.
use super::{GetError, Metadata, Object, ObjectStore, StoreError};
use crate::verify::signature::{KeySet, PublicKey};
use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::error::DisplayErrorContext;
use chrono::{DateTime, Utc};
use std::io::Cursor;

/// Largest compressed object read into memory (CloudTrail files are far smaller).
const MAX_OBJECT_BYTES: usize = 1 << 30;

/// How to reach the services.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Region for the S3 client; otherwise the standard chain, then us-east-1.
    pub region: Option<String>,
    /// S3-compatible endpoint; implies path-style addressing.
    pub endpoint_url: Option<String>,
    /// CloudTrail endpoint (AWS_ENDPOINT_URL_CLOUDTRAIL works too).
    pub cloudtrail_endpoint_url: Option<String>,
}

/// A bucket in S3 plus the CloudTrail API for keys and trail lookup.
pub struct S3Store {
    rt: tokio::runtime::Runtime,
    conf: aws_config::SdkConfig,
    s3: aws_sdk_s3::Client,
    cloudtrail_endpoint_url: Option<String>,
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
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
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
            loop {
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
                if token.is_none() {
                    break;
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
        self.rt.block_on(async {
            let mut keys = Vec::new();
            let mut pages = self
                .s3
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| {
                    err(format!(
                        "{}; check the bucket name, credentials (s3:ListBucket) and --endpoint-url",
                        DisplayErrorContext(&e)
                    ))
                })?;
                keys.extend(
                    page.contents()
                        .iter()
                        .filter_map(|o| o.key().map(str::to_string)),
                );
            }
            keys.sort_unstable();
            Ok(keys)
        })
    }

    fn get(&self, bucket: &str, key: &str) -> Result<Object, GetError> {
        self.rt.block_on(async {
            let out = match self.s3.get_object().bucket(bucket).key(key).send().await {
                Ok(o) => o,
                Err(e) => {
                    if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                        return Err(GetError::NotFound);
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
            let mut body = out.body;
            let mut buf = Vec::new();
            while let Some(chunk) = body
                .try_next()
                .await
                .map_err(|e| GetError::Unreadable(format!("reading the body failed: {e}")))?
            {
                if buf.len() + chunk.len() > MAX_OBJECT_BYTES {
                    return Err(GetError::Unreadable(format!(
                        "object larger than {MAX_OBJECT_BYTES} bytes"
                    )));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(Object {
                metadata,
                body: Box::new(Cursor::new(buf)),
            })
        })
    }
}
