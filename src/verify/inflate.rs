//! Streaming gunzip + SHA-256 with a cap on the inflated size.
//!
//! Memory stays bounded by one buffer per call, whatever the input: a gzip bomb ends
//! in [`InflateError::TooLarge`], never in an allocation of its inflated size.
use flate2::bufread::GzDecoder;
use sha2::{Digest as _, Sha256};
use std::io::{BufRead, BufReader, Read};
use thiserror::Error;

/// Largest inflated digest kept in memory (real digests are a few hundred KiB at most).
pub const MAX_DIGEST_BYTES: u64 = 64 << 20;
/// Default cap on one inflated log file (CloudTrail log files are far smaller).
pub const DEFAULT_MAX_LOG_BYTES: u64 = 2 << 30;

#[derive(Debug, Error)]
pub enum InflateError {
    #[error("not a gzip stream or corrupt/truncated gzip data: {0}")]
    Gzip(String),
    #[error("inflates to more than {0} bytes (gzip bomb or not a CloudTrail file)")]
    TooLarge(u64),
}

/// What hashing one gzip object found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inflated {
    /// Lowercase hex SHA-256 of the first gzip member's inflated bytes (what the CLI hashes).
    pub first_member_sha256: String,
    /// Bytes inflated from the first member.
    pub first_member_len: u64,
    /// Whether more bytes follow the first gzip member (an appended member or garbage).
    pub trailing_data: bool,
}

const BUF: usize = 64 << 10;

/// Inflates the first gzip member of `input`, hashing as it goes, then reports whether
/// anything follows it.
///
/// # Errors
/// Corrupt or truncated gzip, or more than `cap` inflated bytes.
pub fn hash_gzip<R: Read>(input: R, cap: u64) -> Result<Inflated, InflateError> {
    let mut reader = BufReader::with_capacity(BUF, input);
    let mut hasher = Sha256::new();
    let mut len: u64 = 0;
    {
        let mut decoder = GzDecoder::new(&mut reader);
        let mut buf = vec![0u8; BUF];
        loop {
            let n = match decoder.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(gzip_error(&e)),
            };
            len += n as u64;
            if len > cap {
                return Err(InflateError::TooLarge(cap));
            }
            hasher.update(&buf[..n]);
        }
    }
    let trailing_data = !reader
        .fill_buf()
        .map_err(|e| InflateError::Gzip(e.to_string()))?
        .is_empty();
    Ok(Inflated {
        first_member_sha256: hex::encode(hasher.finalize()),
        first_member_len: len,
        trailing_data,
    })
}

/// Inflates a whole (single-member) gzip object into memory, up to `cap` bytes.
/// Data after the first member is an error: CloudTrail never writes it.
///
/// # Errors
/// Corrupt, truncated or multi-member gzip, or more than `cap` inflated bytes.
pub fn inflate_all(compressed: &[u8], cap: u64) -> Result<Vec<u8>, InflateError> {
    let mut reader = compressed;
    let mut out = Vec::new();
    {
        let decoder = GzDecoder::new(&mut reader);
        let read = decoder
            .take(cap.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| gzip_error(&e))?;
        if read as u64 > cap {
            return Err(InflateError::TooLarge(cap));
        }
    }
    if !reader.is_empty() {
        return Err(InflateError::Gzip(
            "unexpected data after the first gzip member".into(),
        ));
    }
    Ok(out)
}

fn gzip_error(e: &std::io::Error) -> InflateError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        InflateError::Gzip("truncated gzip stream (unexpected end of data)".into())
    } else {
        InflateError::Gzip(e.to_string())
    }
}

/// Lowercase hex SHA-256 of `bytes`.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "tests fail loudly on a broken invariant"
)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn hash_is_of_the_inflated_bytes() {
        let got = hash_gzip(&gz(b"hello")[..], 100).unwrap();
        assert_eq!(got.first_member_sha256, sha256_hex(b"hello"));
        assert!(!got.trailing_data);
    }

    #[test]
    fn appended_member_is_reported_as_trailing_data() {
        let mut two = gz(b"hello");
        two.extend(gz(b"forged"));
        let got = hash_gzip(&two[..], 100).unwrap();
        assert_eq!(got.first_member_sha256, sha256_hex(b"hello"));
        assert!(got.trailing_data);
        assert!(inflate_all(&two, 100).is_err());
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let data = gz(&[7u8; 10_000]);
        let cut = &data[..data.len() / 2];
        assert!(matches!(
            hash_gzip(cut, 1 << 20),
            Err(InflateError::Gzip(_))
        ));
        assert!(matches!(
            inflate_all(cut, 1 << 20),
            Err(InflateError::Gzip(_))
        ));
    }

    #[test]
    fn bomb_stops_at_the_cap() {
        let bomb = gz(&vec![0u8; 4 << 20]);
        assert!(matches!(
            hash_gzip(&bomb[..], 1 << 20),
            Err(InflateError::TooLarge(_))
        ));
        assert!(matches!(
            inflate_all(&bomb, 1 << 20),
            Err(InflateError::TooLarge(_))
        ));
    }

    #[test]
    fn not_gzip_is_an_error() {
        assert!(hash_gzip(&b"{\"Records\":[]}"[..], 100).is_err());
    }
}
