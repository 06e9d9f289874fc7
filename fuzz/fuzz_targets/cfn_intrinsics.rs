//! CloudFormation intrinsics: the input (one line of YAML flow syntax, e.g.
//! `!Join ["", [!Ref P, !If [C, a, b]]]`) is placed in a condition, a trail's properties
//! and an output, so that `Fn::If`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`,
//! `Fn::FindInMap`, conditions and `Ref` are evaluated on it. Never a panic, a hang or an
//! out-of-memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailcheck::frontend::cloudformation::load_text;
use trailcheck::frontend::CfnOptions;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let v = text.replace(['\n', '\r'], " ");
    let template = format!(
        "AWSTemplateFormatVersion: \"2010-09-09\"\nParameters:\n  P:\n    Type: String\n    Default: a,b\nMappings:\n  M:\n    a:\n      b: {v}\nConditions:\n  C: {v}\n  D: !Equals [!Ref P, {v}]\nResources:\n  T:\n    Type: AWS::CloudTrail::Trail\n    Condition: C\n    Properties:\n      S3BucketName: {v}\n      IsLogging: {v}\n      IsMultiRegionTrail: !If [D, {v}, true]\n      TrailName: !Sub [\"${{X}}-${{AWS::Region}}\", {{X: {v}}}]\n      EventSelectors: {v}\nOutputs:\n  O:\n    Value: !Select [0, !Split [\",\", {v}]]\n"
    );
    let _ = load_text(&template, &CfnOptions::default());
});
