//! Terraform evaluator: any expression (functions, `for`, templates, references, `count`)
//! evaluated under the tiny evaluation budget must give a model, never a panic, a stack
//! overflow, a hang or an out-of-memory. The input is tried as a whole file and as the
//! expression of a local that a trail, its `count` and a `for_each` use.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailcheck::frontend::terraform::load_text_tiny_budget;
use trailcheck::frontend::TfOptions;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let opts = TfOptions::default();
    let _ = load_text_tiny_budget(text, &opts);
    let wrapped = format!(
        "locals {{\n  x = {text}\n}}\nresource \"aws_cloudtrail\" \"t\" {{\n  count = length(local.x)\n  name = local.x\n  s3_bucket_name = \"${{local.x}}\"\n  is_multi_region_trail = local.x\n}}\nresource \"aws_cloudtrail\" \"e\" {{\n  for_each = local.x\n  name = each.value\n  s3_bucket_name = templatefile(local.x, {{}})\n}}\n"
    );
    let _ = load_text_tiny_budget(&wrapped, &opts);
});
