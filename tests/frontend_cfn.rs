//! CloudFormation front end: what templates lower to (intrinsics, parameters, conditions,
//! mappings), which files are recognized (CDK output, SAM, unrelated YAML/JSON), the
//! safety limits, and suppressions.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test code: a failure is the report"
)]

use std::path::{Path, PathBuf};
use std::time::Instant;
use trailcheck::check::{analyze, Analysis, Options};
use trailcheck::frontend::{CfnOptions, Deployment};
use trailcheck::model::{Model, Value};
use trailcheck::rules::Selection;

const DIR: &str = "fixtures/frontend/cloudformation";

fn run(paths: &[PathBuf], cfn: CfnOptions, exact: bool) -> Analysis {
    analyze(
        paths,
        &Options {
            cloudformation: cfn,
            exact_files: exact,
            ..Options::default()
        },
    )
    .expect("fixture readable")
}

fn file(name: &str) -> PathBuf {
    Path::new(DIR).join(name)
}

fn known<T: Clone + std::fmt::Debug>(v: &Value<T>) -> T {
    match v {
        Value::Known(x, _) => x.clone(),
        other => panic!("expected a known value, got {other:?}"),
    }
}

fn partial<T: std::fmt::Debug>(v: &Value<T>) -> Option<String> {
    match v {
        Value::Unknown(u) => u.partial.clone(),
        other => panic!("expected an unknown value, got {other:?}"),
    }
}

fn trail<'a>(m: &'a Model, id: &str) -> &'a trailcheck::model::Trail {
    m.trails
        .iter()
        .find(|t| t.origin.address == id)
        .unwrap_or_else(|| panic!("no trail {id}"))
}

#[test]
fn intrinsics_parameters_conditions_and_mappings_lower_to_the_model() {
    let a = run(&[file("intrinsics.yaml")], CfnOptions::default(), true);
    let m = &a.model;
    assert!(m.input_errors.is_empty(), "{:?}", m.input_errors);
    // Condition IsDev is false: DevOnlyBucket does not exist; DevOrKeyX is unknown.
    let buckets: Vec<&str> = m
        .buckets
        .iter()
        .map(|b| b.origin.address.as_str())
        .collect();
    assert_eq!(buckets, ["Bucket", "MaybeBucket"]);
    assert!(m.buckets[1].origin.conditional);
    assert!(
        m.buckets[1].name.is_unknown(),
        "an SSM parameter is unknown"
    );
    assert_eq!(known(&m.buckets[0].name), "audit-prod-logs"); // Join, Select, Split
    assert_eq!(known(&m.log_groups[0].name), "/aws/cloudtrail/prod"); // Sub
    assert_eq!(known(&m.log_groups[0].retention_in_days), 400); // FindInMap
    let t = trail(m, "Trail");
    assert_eq!(known(&t.name), "prod-trail"); // Sub with a variable map
    assert_eq!(
        known(&t.s3_bucket_name),
        "audit-prod-logs",
        "Ref to a bucket is its name, derived from BucketName"
    );
    assert_eq!(t.bucket, Some(0), "Ref links the trail to its bucket");
    assert_eq!(t.log_group, Some(0), "GetAtt links the log group");
    assert_eq!(t.role, Some(0), "GetAtt list form links the role");
    assert_eq!(
        partial(t.s3_key_prefix.as_ref().unwrap()).as_deref(),
        Some("…/…/${Literal}"),
        "account id and region (no --region) are unknown; ${{!x}} is a literal"
    );
    assert!(known(&t.enable_logging)); // If on a true condition
    assert!(known(&t.is_multi_region_trail)); // And of Condition and Equals(Select)
    assert!(known(&t.enable_log_file_validation)); // FindInMap "true"
    assert!(
        t.kms_key_id.as_ref().unwrap().is_unknown(),
        "If on an unknown condition"
    );
    assert_eq!(
        partial(t.cloud_watch_logs_group_arn.as_ref().unwrap()).as_deref(),
        Some("arn:…:logs:…:…:log-group:/aws/cloudtrail/prod:*"),
        "a log group's Arn: partition, region and account unknown, name known, ends with :*"
    );
    assert!(t.sns_topic_name.as_ref().unwrap().is_unknown()); // ImportValue
    assert!(t.include_global_service_events.is_unknown()); // Equals over Base64
    assert!(
        t.is_organization_trail.is_defaulted(),
        "AWS::NoValue removes the property"
    );
    let sel = &t.event_selectors[0];
    assert_eq!(known(&sel.read_write_type), "WriteOnly");
    assert!(sel.include_management_events.is_unknown()); // Cidr is unknown
    assert!(sel.data_resources[0].values.is_unknown());
    assert_eq!(
        known(&t.insight_selectors[0].insight_type),
        "ApiCallRateInsight"
    );
    assert_eq!(t.tags, [("env".to_owned(), "prod".to_owned())]);
}

#[test]
fn parameter_overrides_and_region_change_the_evaluation() {
    let cfn = CfnOptions {
        parameters: vec![("Env".into(), "dev".into()), ("KeyArn".into(), "x".into())],
        region: Some("cn-north-1".into()),
        ..CfnOptions::default()
    };
    let a = run(&[file("intrinsics.yaml")], cfn, true);
    let m = &a.model;
    let buckets: Vec<&str> = m
        .buckets
        .iter()
        .map(|b| b.origin.address.as_str())
        .collect();
    assert_eq!(buckets, ["Bucket", "DevOnlyBucket", "MaybeBucket"]);
    assert!(!m.buckets[2].origin.conditional);
    assert_eq!(known(&m.log_groups[0].retention_in_days), 7);
    let t = trail(m, "Trail");
    assert!(!known(&t.enable_logging));
    assert!(known(&t.is_organization_trail));
    assert_eq!(known(t.kms_key_id.as_ref().unwrap()), "x");
    assert_eq!(known(&t.region).as_str(), "cn-north-1");
    assert_eq!(
        partial(t.s3_key_prefix.as_ref().unwrap()).as_deref(),
        Some("…/cn-north-1/${Literal}")
    );
}

#[test]
fn suppressions_drop_their_rule_on_their_resource_only() {
    let a = analyze(
        &[file("suppressed.yaml")],
        &Options {
            selection: Selection {
                only: vec![
                    "trail-single-region".into(),
                    "log-file-validation-disabled".into(),
                ],
                ..Selection::default()
            },
            exact_files: true,
            ..Options::default()
        },
    )
    .unwrap();
    let hits = |rule: &str| -> Vec<String> {
        a.findings
            .iter()
            .filter(|f| f.rule.name == rule)
            .filter_map(|f| f.resource.clone())
            .collect()
    };
    assert_eq!(hits("trail-single-region"), ["NotSuppressed"]);
    assert_eq!(hits("log-file-validation-disabled").len(), 4);
    let s = &a.model.suppressions;
    assert_eq!(s.len(), 3);
    assert_eq!(
        s[0].reason.as_deref(),
        Some("regional trail for a sandbox account")
    );
    assert_eq!(
        s[1].reason.as_deref(),
        Some("the organization trail covers every region")
    );
    assert_eq!(
        (s[2].rule.as_str(), s[2].reason.as_deref()),
        ("CT001", None)
    );
}

#[test]
fn cdk_output_sam_and_unrelated_files_are_told_apart_by_content() {
    let a = run(
        &[PathBuf::from(DIR).join("cdk")],
        CfnOptions::default(),
        false,
    );
    assert!(
        a.model.input_errors.is_empty(),
        "{:?}",
        a.model.input_errors
    );
    assert_eq!(
        a.model.trails.len(),
        1,
        "only the CDK template holds a trail"
    );
    assert_eq!(a.model.trails[0].bucket, Some(0));
    assert_eq!(
        a.sources.len(),
        1,
        "manifest.json and tree.json are not templates"
    );

    let a = run(
        &[PathBuf::from(DIR).join("sam")],
        CfnOptions::default(),
        false,
    );
    assert_eq!(a.model.trails.len(), 1);

    // A workflow, a binary .json and a Latin-1 YAML that are not templates are skipped
    // without error; the `.template` next to them is checked.
    let a = run(
        &[PathBuf::from(DIR).join("mixed")],
        CfnOptions::default(),
        false,
    );
    assert!(
        a.model.input_errors.is_empty(),
        "{:?}",
        a.model.input_errors
    );
    assert_eq!(a.model.trails.len(), 1);
}

#[test]
fn hostile_templates_are_parse_errors_quickly_and_other_files_still_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut bomb = String::from("AWSTemplateFormatVersion: \"2010-09-09\"\nMetadata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!("  a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
    }
    bomb.push_str("Resources: {}\n");
    std::fs::write(dir.path().join("bomb.yaml"), bomb).unwrap();
    let deep = format!(
        "{{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    std::fs::write(dir.path().join("deep.json"), deep).unwrap();
    std::fs::copy(file("sam/template.yaml"), dir.path().join("ok.yaml")).unwrap();
    let started = Instant::now();
    let a = run(&[dir.path().to_path_buf()], CfnOptions::default(), false);
    let elapsed = started.elapsed();
    assert!(elapsed.as_secs_f64() < 1.0, "took {elapsed:?}");
    assert_eq!(a.model.input_errors.len(), 2, "{:?}", a.model.input_errors);
    assert_eq!(
        a.model.trails.len(),
        1,
        "the valid template is still checked"
    );
}

#[test]
fn long_condition_chains_cannot_exhaust_a_worker_stack() {
    // 200 conditions, each 60 `Fn::Not` deep around the next one.
    let mut t = String::from("AWSTemplateFormatVersion: \"2010-09-09\"\nConditions:\n");
    for i in 0..200 {
        let mut expr = if i + 1 < 200 {
            format!("!Condition C{}", i + 1)
        } else {
            "!Equals [a, a]".to_owned()
        };
        for _ in 0..60 {
            expr = format!("!Not [{expr}]");
        }
        t.push_str(&format!("  C{i}: {expr}\n"));
    }
    t.push_str("Resources:\n  T:\n    Type: AWS::CloudTrail::Trail\n    Condition: C0\n    Properties:\n      S3BucketName: b\n      IsLogging: true\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.yaml");
    std::fs::write(&path, t).unwrap();
    // rayon's worker threads have 2 MiB stacks; leave room for the rest of the pipeline.
    let a = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || run(&[path], CfnOptions::default(), true))
        .unwrap()
        .join()
        .expect("no stack overflow");
    assert_eq!(a.model.trails.len(), 1);
    assert!(
        a.model.trails[0].origin.conditional,
        "too deep to evaluate: unknown"
    );
}

/// A small deterministic stand-in for the fuzz targets (`fuzz/`, run with cargo-fuzz):
/// every prefix of the fixtures, and byte-level mutations of them, must not panic.
#[test]
fn truncated_and_mutated_templates_never_panic() {
    use trailcheck::frontend::cloudformation::load_text;
    let inputs = [
        std::fs::read_to_string(file("intrinsics.yaml")).unwrap(),
        std::fs::read_to_string("fixtures/equivalence/hardened/template.json").unwrap(),
        std::fs::read_to_string("fixtures/frontend/plan/modules/plan.json").unwrap(),
    ];
    let opts = CfnOptions::default();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for text in &inputs {
        for end in (0..text.len())
            .filter(|&i| text.is_char_boundary(i))
            .step_by(11)
        {
            let _ = load_text(&text[..end], &opts);
        }
        let specials = [
            b'{', b'}', b'[', b']', b':', b'-', b'!', b'&', b'*', b'"', b'\n', b' ', b'\t', b'#',
            b'$',
        ];
        for _ in 0..300 {
            let mut bytes = text.clone().into_bytes();
            for _ in 0..4 {
                #[expect(clippy::cast_possible_truncation, reason = "index into a small file")]
                let i = (next() % bytes.len() as u64) as usize;
                #[expect(clippy::cast_possible_truncation, reason = "index into a small table")]
                let b = specials[(next() % specials.len() as u64) as usize];
                bytes[i] = b;
            }
            if let Ok(mutated) = String::from_utf8(bytes) {
                let _ = load_text(&mutated, &opts);
            }
        }
    }
}

#[test]
fn deployment_context_gives_region_and_account() {
    let cfn = CfnOptions {
        deployments: vec![
            Deployment {
                glob: "fixtures/frontend/cloudformation/other/**".into(),
                account: Some("999999999999".into()),
                region: Some("us-west-2".into()),
                ..Deployment::default()
            },
            Deployment {
                glob: "fixtures/frontend/cloudformation/*.yaml".into(),
                account: Some("111122223333".into()),
                region: Some("eu-central-1".into()),
                ..Deployment::default()
            },
        ],
        ..CfnOptions::default()
    };
    let a = run(&[file("intrinsics.yaml")], cfn.clone(), true);
    let t = trail(&a.model, "Trail");
    assert_eq!(known(&t.region).as_str(), "eu-central-1");
    assert_eq!(
        known(t.s3_key_prefix.as_ref().unwrap()),
        "111122223333/eu-central-1/${Literal}"
    );
    // --region wins over the deployment's region.
    let a = run(
        &[file("intrinsics.yaml")],
        CfnOptions {
            region: Some("ap-south-1".into()),
            ..cfn
        },
        true,
    );
    assert_eq!(
        known(&trail(&a.model, "Trail").region).as_str(),
        "ap-south-1"
    );
}

#[test]
fn names_that_refer_to_each_other_are_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cycle.yaml");
    std::fs::write(
        &path,
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Join [\"-\", [!Ref B, !Ref B, x]]\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub \"${A}-${A}\"\n  T:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      S3BucketName: !Ref A\n      IsLogging: true\n",
    )
    .unwrap();
    let a = run(&[path], CfnOptions::default(), true);
    let t = &a.model.trails[0];
    assert_eq!(t.bucket, Some(0), "still linked by reference");
    assert!(
        partial(&t.s3_bucket_name).is_some_and(|p| p.ends_with("-x")),
        "{:?}",
        t.s3_bucket_name
    );
}

#[test]
fn aggregation_configurations_are_read() {
    let text = r#"
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: logs
      AggregationConfigurations:
        - EventCategory: Data
          Templates: [API_ACTIVITY, USER_ACTIONS]
"#;
    let m = trailcheck::frontend::cloudformation::load_text(text, &CfnOptions::default());
    let t = trail(&m, "Trail");
    assert_eq!(t.aggregation_configurations.len(), 1);
    assert_eq!(
        known(&t.aggregation_configurations[0].event_category),
        "Data"
    );
    assert_eq!(
        known(&t.aggregation_configurations[0].templates),
        vec!["API_ACTIVITY".to_owned(), "USER_ACTIONS".to_owned()]
    );
}
