//! CloudFormation reader: any text (made to look like a template) must give a model or a
//! parse error, never a panic, a hang or an out-of-memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailcheck::frontend::cloudformation::load_text;
use trailcheck::frontend::CfnOptions;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = load_text(text, &CfnOptions::default());
        // The marker makes the text a template candidate whatever the fuzzer produced.
        let marked = format!("AWSTemplateFormatVersion: \"2010-09-09\"\n{text}");
        let _ = load_text(&marked, &CfnOptions::default());
    }
});
