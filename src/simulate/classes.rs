//! Event classes: the unit the simulation reasons about. A class fixes the category, the
//! event source, read-only-ness and (for data events) the resource type, and leaves event
//! names and resource ARNs open (or fixes one ARN, for questions such as "is this bucket's
//! log prefix logged?").

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Category {
    Management,
    Data,
    NetworkActivity,
}

impl Category {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Management => "Management",
            Category::Data => "Data",
            Category::NetworkActivity => "NetworkActivity",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventClass {
    pub category: Category,
    pub event_source: &'static str,
    pub read_only: bool,
    /// Data events: the `resources.type`; empty otherwise.
    pub resource_type: &'static str,
    /// Recorded in us-east-1 whatever the caller's region (IAM, STS global, CloudFront…).
    pub global: bool,
    /// A specific resource ARN (data events); `None`: any resource of the type.
    pub arn: Option<String>,
    /// Short label for tables.
    pub label: &'static str,
}

impl EventClass {
    fn mgmt(
        source: &'static str,
        read_only: bool,
        global: bool,
        label: &'static str,
    ) -> EventClass {
        EventClass {
            category: Category::Management,
            event_source: source,
            read_only,
            resource_type: "",
            global,
            arn: None,
            label,
        }
    }

    fn data(
        resource_type: &'static str,
        source: &'static str,
        read_only: bool,
        label: &'static str,
    ) -> EventClass {
        EventClass {
            category: Category::Data,
            event_source: source,
            read_only,
            resource_type,
            global: false,
            arn: None,
            label,
        }
    }

    /// A write data event on one S3 object ARN.
    #[must_use]
    pub fn s3_object_write(arn: String) -> EventClass {
        EventClass {
            arn: Some(arn),
            ..EventClass::data(
                "AWS::S3::Object",
                "s3.amazonaws.com",
                false,
                "S3 object write",
            )
        }
    }

    /// Whether this is an ordinary (regional) management class.
    #[must_use]
    pub fn is_regional_management(&self) -> bool {
        self.category == Category::Management && !self.global
    }
}

/// The global service event sources (cloudtrail-catalog.json `global_services`).
pub const GLOBAL_SOURCES: &[&str] = &[
    "iam.amazonaws.com",
    "sts.amazonaws.com",
    "cloudfront.amazonaws.com",
    "signin.amazonaws.com",
    "route53.amazonaws.com",
];

/// Every class the simulation evaluates, in table order.
#[must_use]
pub fn all() -> Vec<EventClass> {
    let mut v = vec![
        EventClass::mgmt("ec2.amazonaws.com", true, false, "mgmt read"),
        EventClass::mgmt("ec2.amazonaws.com", false, false, "mgmt write"),
        EventClass::mgmt("kms.amazonaws.com", true, false, "KMS read"),
        EventClass::mgmt("kms.amazonaws.com", false, false, "KMS write"),
        EventClass::mgmt("rdsdata.amazonaws.com", true, false, "RDS Data read"),
        EventClass::mgmt("rdsdata.amazonaws.com", false, false, "RDS Data write"),
    ];
    for s in GLOBAL_SOURCES {
        v.push(EventClass::mgmt(s, true, true, "global read"));
        v.push(EventClass::mgmt(s, false, true, "global write"));
    }
    v.extend([
        EventClass::data("AWS::S3::Object", "s3.amazonaws.com", true, "S3 data read"),
        EventClass::data(
            "AWS::S3::Object",
            "s3.amazonaws.com",
            false,
            "S3 data write",
        ),
        EventClass::data(
            "AWS::Lambda::Function",
            "lambda.amazonaws.com",
            false,
            "Lambda invoke",
        ),
        EventClass::data(
            "AWS::DynamoDB::Table",
            "dynamodb.amazonaws.com",
            true,
            "DynamoDB read",
        ),
        EventClass::data(
            "AWS::DynamoDB::Table",
            "dynamodb.amazonaws.com",
            false,
            "DynamoDB write",
        ),
        // Calls through the account's VPC endpoints, any service: the event source is left
        // open, so a selector naming one service captures part of the class.
        EventClass {
            category: Category::NetworkActivity,
            event_source: "",
            read_only: false,
            resource_type: "",
            global: false,
            arn: None,
            label: "Network activity",
        },
    ]);
    v
}

/// Columns of the coverage matrix: a label and the classes it summarizes.
pub const COLUMNS: &[&str] = &[
    "mgmt read",
    "mgmt write",
    "KMS read",
    "RDS Data read",
    "S3 data read",
    "S3 data write",
    "Lambda invoke",
    "DynamoDB write",
    "Network activity",
];
