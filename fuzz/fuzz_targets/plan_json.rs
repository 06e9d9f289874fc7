//! Plan JSON reader: any text must give a model or a parse error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailcheck::frontend::cloudformation::load_text;
use trailcheck::frontend::CfnOptions;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let text = format!("{{\"format_version\": \"1.2\", \"terraform_version\": \"1.9.5\", \"planned_values\": {text}");
        let _ = load_text(&text, &CfnOptions::default());
    }
});
