//! Terraform front end: any text must give a model or a parse error, never a panic, a
//! hang or an out-of-memory (parse, evaluate, lower, link).
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailcheck::frontend::terraform::load_text;
use trailcheck::frontend::TfOptions;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = load_text(text, &TfOptions::default());
    }
});
