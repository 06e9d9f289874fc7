//! What a bucket listing and a mirror hand to `verify` besides digests: object keys
//! (grouped into streams against a range, including ranges at the limits of time), the
//! `.s3-metadata.json` sidecar, the `list-public-keys` JSON and public key DER. Any panic
//! or unbounded allocation is a bug; errors are the expected outcome.
#![no_main]
use chrono::{DateTime, Duration, Utc};
use libfuzzer_sys::fuzz_target;
use trailcheck::verify::{chain, digest, signature, store};

fuzz_target!(|data: &[u8]| {
    let (head, rest) = data.split_at(data.len().min(2));
    // As a listing: one key per line, over a range picked by the first bytes (some at
    // or beyond the accepted limits).
    if let Ok(text) = std::str::from_utf8(rest) {
        let keys: Vec<String> = text.lines().map(str::to_string).collect();
        let pick = |b: u8| match b % 4 {
            0 => digest::min_time(),
            1 => digest::max_time(),
            2 => DateTime::<Utc>::MAX_UTC,
            _ => DateTime::<Utc>::UNIX_EPOCH + Duration::days(i64::from(b) * 200),
        };
        let lo = pick(head.first().copied().unwrap_or(0));
        let hi = pick(head.get(1).copied().unwrap_or(1));
        let streams = chain::group_streams(&keys, "ct_us-east-1", (lo.min(hi), hi.max(lo)), &|_| true);
        let _ = chain::stream_names(&streams);
        let _ = digest::key_bound(digest::plus(hi, Duration::hours(1)));
    }
    let _ = store::parse_sidecar(rest);
    let _ = signature::KeySet::from_json(rest);
    let _ = signature::pkcs1_der(rest);
});
