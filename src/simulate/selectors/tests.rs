use super::*;
use crate::model::{DataResource, FieldSelector};
use crate::simulate::classes::{self, EventClass};
use crate::source::Span;
use proptest::prelude::*;

fn known<T>(v: T) -> Value<T> {
    Value::Known(v, Span::default())
}

fn basic_sel(rw: &str, mgmt: bool, exclude: &[&str], data: &[(&str, &[&str])]) -> EventSelector {
    EventSelector {
        read_write_type: known(rw.to_owned()),
        include_management_events: known(mgmt),
        exclude_management_event_sources: known(exclude.iter().map(|s| (*s).to_owned()).collect()),
        data_resources: data
            .iter()
            .map(|(t, vals)| DataResource {
                resource_type: known((*t).to_owned()),
                values: known(vals.iter().map(|s| (*s).to_owned()).collect()),
                span: Span::default(),
            })
            .collect(),
        span: Span::default(),
    }
}

fn field(name: &str, op: &str, values: &[String]) -> FieldSelector {
    let empty = || Value::Defaulted(Vec::new());
    let mut f = FieldSelector {
        field: known(name.to_owned()),
        equals: empty(),
        not_equals: empty(),
        starts_with: empty(),
        not_starts_with: empty(),
        ends_with: empty(),
        not_ends_with: empty(),
        span: Span::default(),
    };
    let v = known(values.to_vec());
    match op {
        "equals" => f.equals = v,
        "not_equals" => f.not_equals = v,
        "starts_with" => f.starts_with = v,
        _ => unreachable!(),
    }
    f
}

/// The advanced-selector translation of a basic selector, as AWS documents it
/// (cloudtrail-model.md §4.4).
fn translate(s: &EventSelector) -> Vec<AdvancedEventSelector> {
    let rw = s.read_write().unwrap_or(ReadWriteType::All);
    let read_only = |fields: &mut Vec<FieldSelector>| match rw {
        ReadWriteType::All => {}
        ReadWriteType::ReadOnly => fields.push(field("readOnly", "equals", &["true".into()])),
        ReadWriteType::WriteOnly => fields.push(field("readOnly", "equals", &["false".into()])),
    };
    let mut out = Vec::new();
    if s.include_management_events.is_true() {
        let mut fields = vec![field("eventCategory", "equals", &["Management".into()])];
        read_only(&mut fields);
        let ex = s
            .exclude_management_event_sources
            .get()
            .cloned()
            .unwrap_or_default();
        if !ex.is_empty() {
            fields.push(field("eventSource", "not_equals", &ex));
        }
        out.push(AdvancedEventSelector {
            name: None,
            field_selectors: fields,
            span: Span::default(),
        });
    }
    for d in &s.data_resources {
        let ty = d.resource_type.get().cloned().unwrap_or_default();
        let vals = d.values.get().cloned().unwrap_or_default();
        let mut fields = vec![
            field("eventCategory", "equals", &["Data".into()]),
            field("resources.type", "equals", std::slice::from_ref(&ty)),
        ];
        read_only(&mut fields);
        if !vals.iter().any(|v| is_all_of_type(&ty, v)) {
            let op = if ty == "AWS::S3::Object" {
                "starts_with"
            } else {
                "equals"
            };
            fields.push(field("resources.ARN", op, &vals));
        }
        out.push(AdvancedEventSelector {
            name: None,
            field_selectors: fields,
            span: Span::default(),
        });
    }
    out
}

fn class(label: &str) -> EventClass {
    classes::all()
        .into_iter()
        .find(|c| c.label == label)
        .unwrap()
}

#[test]
fn no_selectors_means_all_management_events() {
    assert_eq!(basic(&[], &class("mgmt write")), Capture::Full);
    assert_eq!(basic(&[], &class("S3 data write")), Capture::None);
}

#[test]
fn read_write_type_and_exclusions_filter_management_events() {
    let s = [basic_sel("WriteOnly", true, &["kms.amazonaws.com"], &[])];
    assert_eq!(basic(&s, &class("mgmt write")), Capture::Full);
    assert_eq!(basic(&s, &class("mgmt read")), Capture::None);
    assert_eq!(basic(&s, &class("KMS write")), Capture::None);
}

#[test]
fn all_buckets_values_capture_the_whole_class_and_one_bucket_part_of_it() {
    let all = [basic_sel(
        "All",
        false,
        &[],
        &[("AWS::S3::Object", &["arn:aws:s3"])],
    )];
    let one = [basic_sel(
        "All",
        false,
        &[],
        &[("AWS::S3::Object", &["arn:aws:s3:::logs/"])],
    )];
    assert_eq!(basic(&all, &class("S3 data read")), Capture::Full);
    assert_eq!(basic(&one, &class("S3 data read")), Capture::Partial);
    assert_eq!(basic(&one, &class("mgmt read")), Capture::None);
    let arn = EventClass::s3_object_write("arn:aws:s3:::logs/AWSLogs/1/x".into());
    assert_eq!(basic(&one, &arn), Capture::Full);
    let other = EventClass::s3_object_write("arn:aws:s3:::other/x".into());
    assert_eq!(basic(&one, &other), Capture::None);
}

#[test]
fn advanced_fields_are_anded_and_selectors_ored() {
    let sel = AdvancedEventSelector {
        name: None,
        field_selectors: vec![
            field("eventCategory", "equals", &["Data".into()]),
            field("resources.type", "equals", &["AWS::S3::Object".into()]),
            field("eventName", "equals", &["PutObject".into()]),
        ],
        span: Span::default(),
    };
    assert_eq!(
        advanced(std::slice::from_ref(&sel), &class("S3 data write")),
        Capture::Partial
    );
    assert_eq!(advanced(&[sel], &class("Lambda invoke")), Capture::None);
}

fn arb_basic() -> impl Strategy<Value = EventSelector> {
    let rw = prop::sample::select(vec!["All", "ReadOnly", "WriteOnly"]);
    let ex = prop::sample::subsequence(vec!["kms.amazonaws.com", "rdsdata.amazonaws.com"], 0..=2);
    let s3 = prop::sample::select(vec![
        "arn:aws:s3",
        "arn:aws:s3:::",
        "arn:aws:s3:::logs/",
        "arn:aws:s3:::logs/AWSLogs/",
    ]);
    let lambda = prop::sample::select(vec![
        "arn:aws:lambda",
        "arn:aws:lambda:us-east-1:1:function:f",
    ]);
    let data = prop::collection::vec((prop::bool::ANY, s3, lambda), 0..3);
    (rw, prop::bool::ANY, ex, data).prop_map(|(rw, mgmt, ex, data)| {
        let mut resources: Vec<(&str, Vec<&str>)> = Vec::new();
        for (is_s3, s3v, lv) in data {
            if is_s3 {
                resources.push(("AWS::S3::Object", vec![s3v]));
            } else {
                resources.push(("AWS::Lambda::Function", vec![lv]));
            }
        }
        let borrowed: Vec<(&str, &[&str])> =
            resources.iter().map(|(t, v)| (*t, v.as_slice())).collect();
        basic_sel(rw, mgmt, &ex, &borrowed)
    })
}

fn probe_classes() -> Vec<EventClass> {
    let mut v = classes::all();
    for arn in [
        "arn:aws:s3:::logs/AWSLogs/1/x",
        "arn:aws:s3:::logs/other",
        "arn:aws:s3:::elsewhere/k",
    ] {
        v.push(EventClass::s3_object_write(arn.into()));
    }
    v
}

proptest! {
    /// A basic selector and its advanced-selector translation capture the same classes.
    #[test]
    fn basic_and_translated_advanced_selectors_agree(sels in prop::collection::vec(arb_basic(), 1..4)) {
        let adv: Vec<AdvancedEventSelector> = sels.iter().flat_map(translate).collect();
        for c in probe_classes() {
            prop_assert_eq!(basic(&sels, &c), advanced(&adv, &c), "class {:?}", c);
        }
    }
}

#[test]
fn network_activity_needs_an_advanced_selector_and_one_service_is_part_of_it() {
    let net = class("Network activity");
    assert_eq!(basic(&[], &net), Capture::None);
    assert_eq!(
        basic(&[basic_sel("All", true, &[], &[])], &net),
        Capture::None
    );
    let one_service = AdvancedEventSelector {
        name: None,
        field_selectors: vec![
            field("eventCategory", "equals", &["NetworkActivity".into()]),
            field("eventSource", "equals", &["s3.amazonaws.com".into()]),
        ],
        span: Span::default(),
    };
    assert_eq!(
        advanced(std::slice::from_ref(&one_service), &net),
        Capture::Partial
    );
    assert_eq!(
        advanced(&[one_service], &class("mgmt write")),
        Capture::None
    );
}
