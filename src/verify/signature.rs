//! Public keys and digest signatures (SHA256withRSA, RSASSA-PKCS1-v1_5).
//!
//! Keys come only from the `list-public-keys` JSON or the CloudTrail API, never from the
//! bucket. Both PKCS#1 `RSAPublicKey` and SubjectPublicKeyInfo DER are accepted: the
//! `rsa` crate decodes them (and re-encodes as PKCS#1), `ring` verifies, about ten times
//! faster than `rsa`'s pure-Rust big integers.
use super::digest::{fmt_time, Digest};
use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use rsa::pkcs1::der::{Decode as _, Encode as _};
use serde_json::Value;
use std::path::Path;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum KeysError {
    #[error("cannot read public keys file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("public keys file {path} is not the JSON `aws cloudtrail list-public-keys` prints: {reason}")]
    Format { path: String, reason: String },
}

/// One published CloudTrail public key.
#[derive(Debug, Clone)]
pub struct PublicKey {
    pub fingerprint: String,
    pub valid_from: DateTime<Utc>,
    pub valid_to: DateTime<Utc>,
    /// The key as PKCS#1 `RSAPublicKey` DER, or why its `Value` could not be decoded.
    pub key: Result<Vec<u8>, String>,
}

impl PublicKey {
    /// Builds a key from its DER bytes (PKCS#1, or SPKI as an improvement on the CLI).
    #[must_use]
    pub fn from_der(
        fingerprint: String,
        valid_from: DateTime<Utc>,
        valid_to: DateTime<Utc>,
        der: &[u8],
    ) -> Self {
        let key = pkcs1_der(der);
        PublicKey {
            fingerprint,
            valid_from,
            valid_to,
            key,
        }
    }

    fn overlaps(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        self.valid_from <= to && self.valid_to >= from
    }
}

/// Smallest and largest RSA modulus accepted, in bits (CloudTrail's keys are 2048-bit;
/// `simulate --emit` signs with keys in the same range).
pub const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=8192;

/// Largest `--public-keys` file read.
pub const MAX_KEYS_FILE_BYTES: u64 = 16 << 20;

/// The PKCS#1 `RSAPublicKey` DER of a PKCS#1 or SubjectPublicKeyInfo DER key, with a
/// modulus of [`RSA_BITS`]. Parsed with the `der` types directly: the `rsa` crate's own
/// decoders refuse moduli above 4096 bits.
///
/// # Errors
/// Neither encoding, not RSA, or a modulus out of range.
pub fn pkcs1_der(der: &[u8]) -> Result<Vec<u8>, String> {
    let pkcs1 = match rsa::pkcs1::RsaPublicKey::from_der(der) {
        Ok(_) => der.to_vec(),
        Err(e1) => {
            let spki = rsa::pkcs8::spki::SubjectPublicKeyInfoRef::from_der(der).map_err(|e2| {
                format!("neither PKCS#1 ({e1}) nor SubjectPublicKeyInfo ({e2}) DER")
            })?;
            if spki.algorithm.oid != rsa::pkcs1::ALGORITHM_OID {
                return Err(format!(
                    "a SubjectPublicKeyInfo key of algorithm {}, not RSA",
                    spki.algorithm.oid
                ));
            }
            let inner = spki
                .subject_public_key
                .as_bytes()
                .ok_or("the SubjectPublicKeyInfo key bits are not whole bytes")?;
            rsa::pkcs1::RsaPublicKey::from_der(inner)
                .map_err(|e| format!("the SubjectPublicKeyInfo holds no PKCS#1 key: {e}"))?;
            inner.to_vec()
        }
    };
    let key = rsa::pkcs1::RsaPublicKey::from_der(&pkcs1).map_err(|e| e.to_string())?;
    let n = key.modulus.as_bytes();
    let n = &n[n.iter().take_while(|b| **b == 0).count()..];
    let bits = n
        .first()
        .map_or(0, |b| n.len() * 8 - b.leading_zeros() as usize);
    if !RSA_BITS.contains(&bits) {
        return Err(format!(
            "an RSA modulus of {bits} bits; {} to {} bits are accepted",
            RSA_BITS.start(),
            RSA_BITS.end()
        ));
    }
    // Re-encoded: canonical DER for the verifier.
    key.to_der()
        .map_err(|e| format!("cannot re-encode the key: {e}"))
}

/// The keys usable for one run.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: Vec<PublicKey>,
}

impl KeySet {
    #[must_use]
    pub fn new(keys: Vec<PublicKey>) -> Self {
        KeySet { keys }
    }

    /// Reads the JSON `aws cloudtrail list-public-keys` prints.
    ///
    /// # Errors
    /// Unreadable file, or JSON that is not a `PublicKeyList`.
    pub fn from_file(path: &Path) -> Result<Self, KeysError> {
        let text =
            super::store::read_regular_file(path, MAX_KEYS_FILE_BYTES).map_err(|reason| {
                KeysError::Read {
                    path: path.display().to_string(),
                    reason,
                }
            })?;
        Self::from_json(&text).map_err(|reason| KeysError::Format {
            path: path.display().to_string(),
            reason,
        })
    }

    /// Parses `{"PublicKeyList":[{ValidityStartTime, ValidityEndTime, Value, Fingerprint}]}`.
    ///
    /// # Errors
    /// A description of the first malformed part.
    pub fn from_json(text: &[u8]) -> Result<Self, String> {
        let value: Value = serde_json::from_slice(text).map_err(|e| e.to_string())?;
        let list = value
            .get("PublicKeyList")
            .and_then(Value::as_array)
            .ok_or("no `PublicKeyList` array")?;
        let mut keys = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            let field = |name: &str| {
                item.get(name)
                    .ok_or(format!("PublicKeyList[{i}] has no `{name}`"))
            };
            let fingerprint = field("Fingerprint")?
                .as_str()
                .ok_or(format!("PublicKeyList[{i}].Fingerprint is not a string"))?
                .to_ascii_lowercase();
            let from = json_time(field("ValidityStartTime")?).ok_or(format!(
                "PublicKeyList[{i}].ValidityStartTime is not a time"
            ))?;
            let to = json_time(field("ValidityEndTime")?)
                .ok_or(format!("PublicKeyList[{i}].ValidityEndTime is not a time"))?;
            let b64 = field("Value")?
                .as_str()
                .ok_or(format!("PublicKeyList[{i}].Value is not a base64 string"))?;
            let key = match base64::engine::general_purpose::STANDARD.decode(b64.trim()) {
                Ok(der) => PublicKey::from_der(fingerprint, from, to, &der),
                Err(e) => PublicKey {
                    fingerprint,
                    valid_from: from,
                    valid_to: to,
                    key: Err(format!("Value is not base64: {e}")),
                },
            };
            keys.push(key);
        }
        Ok(KeySet { keys })
    }

    /// The CLI's selection: keys whose validity overlaps `[from, to]`.
    #[must_use]
    pub fn overlapping(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> KeySet {
        KeySet {
            keys: self
                .keys
                .iter()
                .filter(|k| k.overlaps(from, to))
                .cloned()
                .collect(),
        }
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Every key with this fingerprint (a key file may hold several regions' keys).
    pub fn by_fingerprint<'a>(&'a self, fp: &'a str) -> impl Iterator<Item = &'a PublicKey> + 'a {
        self.keys
            .iter()
            .filter(move |k| k.fingerprint.eq_ignore_ascii_case(fp))
    }
}

/// Epoch seconds (number) or an ISO-8601 string.
fn json_time(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::Number(n) => {
            let secs = n.as_f64()?;
            if !secs.is_finite() {
                return None;
            }
            #[expect(
                clippy::cast_possible_truncation,
                reason = "validated finite; chrono rejects out-of-range"
            )]
            Utc.timestamp_opt(secs.floor() as i64, 0).single()
        }
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
            .or_else(|| {
                chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
                    .ok()
                    .map(|t| Utc.from_utc_datetime(&t))
            }),
        _ => None,
    }
}

/// The data-signing string of §3: four lines, no trailing newline.
#[must_use]
pub fn signing_string(digest: &Digest, inflated_sha256_hex: &str) -> String {
    format!(
        "{}\n{}/{}\n{}\n{}",
        digest.end_raw,
        digest.bucket,
        digest.key,
        inflated_sha256_hex,
        digest.previous_signature.as_deref().unwrap_or("null")
    )
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureFailure {
    /// No key with the digest's fingerprint in the selected set.
    KeyNotFound,
    /// Key(s) with the fingerprint exist but none decodes.
    BadKey(String),
    /// The digest was signed outside the key's validity window (stricter than the CLI).
    OutsideValidity { from: String, to: String },
    /// Not hex, or RSA verification failed.
    Mismatch,
}

/// Verifies a hex signature over the digest's signing string with the key its
/// fingerprint names. The key must also be valid at the digest's end time.
pub fn verify_digest(
    keys: &KeySet,
    digest: &Digest,
    inflated_sha256_hex: &str,
    signature_hex: &str,
) -> Result<(), SignatureFailure> {
    let candidates: Vec<&PublicKey> = keys.by_fingerprint(&digest.fingerprint).collect();
    if candidates.is_empty() {
        return Err(SignatureFailure::KeyNotFound);
    }
    let Ok(signature) = hex::decode(signature_hex.trim()) else {
        return Err(SignatureFailure::Mismatch);
    };
    let message = signing_string(digest, inflated_sha256_hex);
    let mut last = SignatureFailure::Mismatch;
    let mut any_decoded = false;
    for candidate in candidates {
        let key = match &candidate.key {
            Ok(key) => key,
            Err(reason) => {
                if !any_decoded {
                    last = SignatureFailure::BadKey(reason.clone());
                }
                continue;
            }
        };
        any_decoded = true;
        // RSASSA-PKCS1-v1_5 with SHA-256 (Java's SHA256withRSA), 2048- to 8192-bit keys.
        let verifier = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            key.as_slice(),
        );
        if verifier.verify(message.as_bytes(), &signature).is_err() {
            last = SignatureFailure::Mismatch;
            continue;
        }
        if digest.end < candidate.valid_from || digest.end > candidate.valid_to {
            last = SignatureFailure::OutsideValidity {
                from: fmt_time(candidate.valid_from),
                to: fmt_time(candidate.valid_to),
            };
            continue;
        }
        return Ok(());
    }
    Err(last)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "tests fail loudly on a broken invariant"
)]
mod tests {
    use super::*;

    #[test]
    fn key_list_accepts_epoch_numbers_and_iso_strings() {
        let json = br#"{"PublicKeyList":[
            {"ValidityStartTime":1707523200.0,"ValidityEndTime":"2024-03-11T00:00:00Z","Value":"AAAA","Fingerprint":"AB"}]}"#;
        let set = KeySet::from_json(json).unwrap();
        assert_eq!(set.len(), 1);
        let k = set.by_fingerprint("ab").next().unwrap();
        assert_eq!(fmt_time(k.valid_from), "2024-02-10T00:00:00Z");
        assert!(k.key.is_err(), "garbage DER must not decode");
    }

    #[test]
    fn key_list_without_list_is_an_error() {
        assert!(KeySet::from_json(b"{}").is_err());
        assert!(KeySet::from_json(b"not json").is_err());
    }
}
