//! The digest reader on hostile input: gzip inflate with a cap, JSON parse, key parse.
//! Any panic or unbounded allocation is a bug; errors are the expected outcome.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trailcheck::verify::{digest, inflate};

fuzz_target!(|data: &[u8]| {
    // As a compressed digest object, with a small cap so bombs end quickly.
    if let Ok(inflated) = inflate::inflate_all(data, 1 << 20) {
        let _ = digest::parse_digest(&inflated);
    }
    // As the inflated JSON itself: header only, a small log cap, then the default cap.
    let _ = digest::parse_digest_with(data, digest::LogFiles::Skip);
    let _ = digest::parse_digest_with(data, digest::LogFiles::UpTo(3));
    if let Ok(d) = digest::parse_digest(data) {
        let _ = digest::digest_key_date(&d.key);
        let _ = digest::parse_digest_key(&d.key);
        for l in &d.log_files {
            let _ = digest::parse_log_key(&l.key);
        }
    }
    // As a key.
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = digest::parse_digest_key(s);
        let _ = digest::parse_log_key(s);
        let _ = digest::digest_key_date(s);
    }
});
