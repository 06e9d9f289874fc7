//! Lowering: evaluated CloudFormation resources → the normalized model (the same types the
//! Terraform front end fills, with the defaults of `cloudtrail-model.md` §3).
//!
//! Links are recorded under the Terraform attribute names (`s3_bucket_name`, `kms_key_id`…)
//! because [`crate::model::link`] looks them up by those names.

use super::intrinsics::{Ev, E};
use crate::model::iam::UNKNOWN_MARK;
use crate::model::link::{Pending, PendingKind};
use crate::model::{
    AdvancedEventSelector, AttachedPolicy, Bucket, DataResource, EventDataStore, EventSelector,
    FieldSelector, IamRole, InsightSelector, KmsKey, LifecycleRule, LogGroup, MetricAlarm,
    MetricFilter, Model, Origin, PolicyDocument, PublicAccessBlock, Region, SnsTopic, Trail,
    Unresolved, Value,
};
use crate::source::Span;

/// One resource of the template, its properties evaluated.
pub(crate) struct Res<'a> {
    pub(crate) id: &'a str,
    pub(crate) rtype: &'a str,
    /// The logical id key, where findings about a missing property point.
    pub(crate) header: Span,
    /// `Properties` (a map, or null when absent).
    pub(crate) props: E,
    /// References made by each property: (property name, logical id).
    pub(crate) refs: Vec<(String, String)>,
    pub(crate) conditional: bool,
}

impl Res<'_> {
    fn get(&self, name: &str) -> Option<&E> {
        self.props.get(name).filter(|e| !matches!(e.v, Ev::Null))
    }

    fn refs_of(&self, prop: &str) -> Vec<String> {
        self.refs
            .iter()
            .filter(|(p, _)| p == prop)
            .map(|(_, r)| r.clone())
            .collect()
    }
}

/// Gives the source text of a span (for the expression of an unknown value).
pub(crate) type TextOf<'a> = &'a dyn Fn(Span) -> String;

pub(crate) struct Lower<'a> {
    pub(crate) text: TextOf<'a>,
    pub(crate) region: Option<&'a str>,
}

fn field<'e>(e: &'e E, name: &str) -> Option<&'e E> {
    e.get(name).filter(|x| !matches!(x.v, Ev::Null))
}

/// CloudFormation canned ACL names → the S3 API names the rules compare.
fn canned_acl(s: &str) -> String {
    match s {
        "Private" => "private",
        "PublicRead" => "public-read",
        "PublicReadWrite" => "public-read-write",
        "AuthenticatedRead" => "authenticated-read",
        "LogDeliveryWrite" => "log-delivery-write",
        "BucketOwnerRead" => "bucket-owner-read",
        "BucketOwnerFullControl" => "bucket-owner-full-control",
        "AwsExecRead" => "aws-exec-read",
        other => other,
    }
    .to_owned()
}

impl Lower<'_> {
    fn unknown<T>(&self, span: Span, partial: Option<&str>) -> Value<T> {
        Value::Unknown(Unresolved {
            expr: (self.text)(span),
            span,
            partial: partial.map(|s| s.replace(UNKNOWN_MARK, "…")),
        })
    }

    fn string_of(&self, e: &E) -> Option<Value<String>> {
        match &e.v {
            Ev::Null | Ev::NoValue => None,
            Ev::Str(s) if s.contains(UNKNOWN_MARK) => Some(self.unknown(e.span, Some(s))),
            Ev::Str(s) => Some(Value::Known(s.clone(), e.span)),
            Ev::Bool(b) => Some(Value::Known(b.to_string(), e.span)),
            _ => Some(self.unknown(e.span, None)),
        }
    }

    fn string(&self, e: Option<&E>) -> Option<Value<String>> {
        e.and_then(|e| self.string_of(e))
    }

    /// An optional string where an empty value counts as absent.
    fn optional(&self, e: Option<&E>) -> Option<Value<String>> {
        self.string(e)
            .filter(|v| v.known().is_none_or(|s| !s.is_empty()))
    }

    fn string_or(&self, e: Option<&E>, default: &str) -> Value<String> {
        self.string(e)
            .unwrap_or_else(|| Value::Defaulted(default.to_owned()))
    }

    fn bool(&self, e: Option<&E>, default: bool) -> Value<bool> {
        let Some(e) = e else {
            return Value::Defaulted(default);
        };
        match &e.v {
            Ev::Null | Ev::NoValue => Value::Defaulted(default),
            Ev::Bool(b) => Value::Known(*b, e.span),
            Ev::Str(s) if s.eq_ignore_ascii_case("true") => Value::Known(true, e.span),
            Ev::Str(s) if s.eq_ignore_ascii_case("false") => Value::Known(false, e.span),
            _ => self.unknown(e.span, None),
        }
    }

    fn int(&self, e: Option<&E>, default: i64) -> Value<i64> {
        let Some(e) = e else {
            return Value::Defaulted(default);
        };
        match &e.v {
            Ev::Null | Ev::NoValue => Value::Defaulted(default),
            Ev::Str(s) => match s.trim().parse::<i64>() {
                Ok(n) => Value::Known(n, e.span),
                Err(_) => self.unknown(e.span, None),
            },
            _ => self.unknown(e.span, None),
        }
    }

    fn strings(&self, e: Option<&E>) -> Value<Vec<String>> {
        let Some(e) = e else {
            return Value::Defaulted(Vec::new());
        };
        match &e.v {
            Ev::Null | Ev::NoValue => Value::Defaulted(Vec::new()),
            Ev::List(l) => {
                if l.iter().any(E::has_unknown) {
                    return self.unknown(e.span, None);
                }
                let items: Option<Vec<String>> = l.iter().map(E::to_str).collect();
                items.map_or_else(|| self.unknown(e.span, None), |v| Value::Known(v, e.span))
            }
            Ev::Str(s) if !s.contains(UNKNOWN_MARK) => Value::Known(vec![s.clone()], e.span),
            _ => self.unknown(e.span, None),
        }
    }

    fn policy(&self, e: &E) -> Value<PolicyDocument> {
        let json = match &e.v {
            Ev::Map(_) => e.to_json(),
            Ev::Str(s) => match serde_json::from_str::<serde_json::Value>(s) {
                Ok(j) => j,
                Err(_) => return self.unknown(e.span, None),
            },
            _ => return self.unknown(e.span, None),
        };
        match PolicyDocument::from_json(&json) {
            Ok(doc) => Value::Known(doc, e.span),
            Err(_) => self.unknown(e.span, None),
        }
    }

    fn attached(&self, e: Option<&E>, address: &str) -> Option<AttachedPolicy> {
        let e = e?;
        Some(AttachedPolicy {
            document: self.policy(e),
            address: address.to_owned(),
            span: e.span,
        })
    }

    fn region(&self, header: Span) -> Value<Region> {
        match self.region {
            Some(r) => Value::Known(Region::new(r), header),
            None => Value::Unknown(Unresolved {
                expr: "the stack's region (pass --region)".into(),
                span: header,
                partial: None,
            }),
        }
    }

    /// A name CloudFormation generates when the property is absent.
    fn generated(&self, r: &Res<'_>, what: &str) -> Value<String> {
        Value::Unknown(Unresolved {
            expr: format!("generated {what}"),
            span: r.header,
            partial: None,
        })
    }

    fn pending(
        &self,
        out: &mut Model,
        r: &Res<'_>,
        target: &E,
        refs: Vec<String>,
        kind: PendingKind,
    ) {
        out.pending.push(Pending {
            address: r.id.to_owned(),
            target: self
                .string_of(target)
                .unwrap_or_else(|| Value::Defaulted(String::new())),
            target_refs: refs,
            kind,
        });
    }

    /// Companion resources that name several targets (`Roles`, `Topics`): one pending
    /// entry per target.
    fn pending_each(&self, out: &mut Model, r: &Res<'_>, prop: &str, kind: &PendingKind) {
        let Some(list) = r.get(prop) else { return };
        let items: Vec<&E> = match &list.v {
            Ev::List(l) => l.iter().collect(),
            _ => vec![list],
        };
        let refs = r.refs_of(prop);
        for item in items {
            // Which reference belongs to which item is not tracked: give each item the
            // references it can match (by name) and all of them if it is unknown.
            let own: Vec<String> = if item.has_unknown() {
                refs.clone()
            } else {
                Vec::new()
            };
            self.pending(out, r, item, own, kind.clone());
        }
    }

    fn origin(&self, r: &Res<'_>) -> Origin {
        let tf_name = |p: &str| -> String {
            match p {
                "S3BucketName" => "s3_bucket_name",
                "KMSKeyId" | "KmsKeyId" => "kms_key_id",
                "CloudWatchLogsLogGroupArn" => "cloud_watch_logs_group_arn",
                "CloudWatchLogsRoleArn" => "cloud_watch_logs_role_arn",
                "SnsTopicName" => "sns_topic_name",
                "LogGroupName" => "log_group_name",
                "MetricName" => "metric_name",
                other => other,
            }
            .to_owned()
        };
        Origin {
            address: r.id.to_owned(),
            unit: String::new(),
            account_scope: String::new(),
            span: r.header,
            conditional: r.conditional,
            refs: r
                .refs
                .iter()
                .map(|(p, id)| (tf_name(p), id.clone()))
                .collect(),
            empty: match &r.props.v {
                Ev::Map(m) => m
                    .iter()
                    .filter(|(_, v)| matches!(&v.v, Ev::Str(s) if s.is_empty()))
                    .map(|(k, v)| (tf_name(&k.name), v.span))
                    .collect(),
                _ => Vec::new(),
            },
        }
    }

    #[expect(clippy::too_many_lines, reason = "one arm per resource type")]
    pub(crate) fn resource(&self, r: &Res<'_>, out: &mut Model) {
        let addr = r.id;
        match r.rtype {
            "AWS::CloudTrail::Trail" => out.trails.push(self.trail(r)),
            "AWS::CloudTrail::EventDataStore" => out.event_data_stores.push(EventDataStore {
                region: self.region(r.header),
                name: self
                    .string(r.get("Name"))
                    .unwrap_or_else(|| self.generated(r, "event data store name")),
                multi_region_enabled: self.bool(r.get("MultiRegionEnabled"), true),
                organization_enabled: self.bool(r.get("OrganizationEnabled"), false),
                kms_key_id: self.optional(r.get("KmsKeyId")),
                retention_period: self.int(r.get("RetentionPeriod"), 2557),
                advanced_event_selectors: self.advanced(r.get("AdvancedEventSelectors")),
                kms_key: None,
                origin: self.origin(r),
            }),
            "AWS::S3::Bucket" => out.buckets.push(self.bucket(r)),
            "AWS::S3::BucketPolicy" => {
                if let (Some(p), Some(target)) = (
                    self.attached(r.get("PolicyDocument"), addr),
                    r.get("Bucket"),
                ) {
                    self.pending(
                        out,
                        r,
                        target,
                        r.refs_of("Bucket"),
                        PendingKind::BucketPolicy(p),
                    );
                }
            }
            "AWS::KMS::Key" => out.kms_keys.push(KmsKey {
                policy: self.attached(r.get("KeyPolicy"), addr),
                aliases: Vec::new(),
                multi_region: self.bool(r.get("MultiRegion"), false),
                enable_key_rotation: self.bool(r.get("EnableKeyRotation"), false),
                origin: self.origin(r),
            }),
            "AWS::KMS::Alias" => {
                if let (Some(Value::Known(name, _)), Some(target)) =
                    (self.string(r.get("AliasName")), r.get("TargetKeyId"))
                {
                    self.pending(
                        out,
                        r,
                        target,
                        r.refs_of("TargetKeyId"),
                        PendingKind::KmsAlias(name),
                    );
                }
            }
            "AWS::Logs::LogGroup" => out.log_groups.push(LogGroup {
                name: self
                    .string(r.get("LogGroupName"))
                    .unwrap_or_else(|| self.generated(r, "log group name")),
                retention_in_days: self.int(r.get("RetentionInDays"), 0),
                kms_key_id: self.optional(r.get("KmsKeyId")),
                origin: self.origin(r),
            }),
            "AWS::Logs::MetricFilter" => out.metric_filters.push(MetricFilter {
                log_group_name: self.string_or(r.get("LogGroupName"), ""),
                log_group: None,
                pattern: self.string_or(r.get("FilterPattern"), ""),
                metrics: r
                    .get("MetricTransformations")
                    .map(E::list)
                    .unwrap_or_default()
                    .iter()
                    .map(|m| {
                        (
                            self.string_or(field(m, "MetricNamespace"), ""),
                            self.string_or(field(m, "MetricName"), ""),
                        )
                    })
                    .collect(),
                origin: self.origin(r),
            }),
            "AWS::CloudWatch::Alarm" => out.alarms.push(MetricAlarm {
                namespace: self.string_or(r.get("Namespace"), ""),
                metric_name: self.string_or(r.get("MetricName"), ""),
                origin: self.origin(r),
            }),
            "AWS::IAM::Role" => {
                let policies = r
                    .get("Policies")
                    .map(E::list)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|p| self.attached(field(p, "PolicyDocument"), addr))
                    .collect();
                let mut external = Vec::new();
                for arn in r.get("ManagedPolicyArns").map(E::list).unwrap_or_default() {
                    let Some(v) = self.string_of(arn) else {
                        continue;
                    };
                    if arn.has_unknown() && !r.refs_of("ManagedPolicyArns").is_empty() {
                        // A policy of the template: attached by reference when linked.
                        out.pending.push(Pending {
                            address: addr.to_owned(),
                            target: Value::Defaulted(String::new()),
                            target_refs: vec![addr.to_owned()],
                            kind: PendingKind::RolePolicyAttachment {
                                policy_arn: v,
                                policy_refs: r.refs_of("ManagedPolicyArns"),
                            },
                        });
                    } else {
                        external.push(v);
                    }
                }
                out.roles.push(IamRole {
                    name: self
                        .string(r.get("RoleName"))
                        .unwrap_or_else(|| self.generated(r, "role name")),
                    assume_role_policy: r.get("AssumeRolePolicyDocument").map(|e| self.policy(e)),
                    policies,
                    external_policy_arns: external,
                    origin: self.origin(r),
                });
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::IAM::RolePolicy" => {
                let Some(p) = self.attached(r.get("PolicyDocument"), addr) else {
                    return;
                };
                if r.rtype == "AWS::IAM::ManagedPolicy" {
                    out.pending.push(Pending {
                        address: addr.to_owned(),
                        target: Value::Defaulted(String::new()),
                        target_refs: Vec::new(),
                        kind: PendingKind::ManagedPolicy {
                            name: self
                                .string(r.get("ManagedPolicyName"))
                                .unwrap_or_else(|| self.generated(r, "policy name")),
                            policy: p.clone(),
                        },
                    });
                }
                if r.rtype == "AWS::IAM::RolePolicy" {
                    if let Some(role) = r.get("RoleName") {
                        self.pending(
                            out,
                            r,
                            role,
                            r.refs_of("RoleName"),
                            PendingKind::RolePolicy(p),
                        );
                    }
                } else {
                    self.pending_each(out, r, "Roles", &PendingKind::RolePolicy(p));
                }
            }
            "AWS::SNS::Topic" => out.topics.push(SnsTopic {
                name: self
                    .string(r.get("TopicName"))
                    .unwrap_or_else(|| self.generated(r, "topic name")),
                policy: None,
                origin: self.origin(r),
            }),
            "AWS::SNS::TopicPolicy" => {
                if let Some(p) = self.attached(r.get("PolicyDocument"), addr) {
                    self.pending_each(out, r, "Topics", &PendingKind::TopicPolicy(p));
                }
            }
            _ => {}
        }
    }

    fn trail(&self, r: &Res<'_>) -> Trail {
        let list = |name: &str| r.get(name).map(E::list).unwrap_or_default();
        let event_selectors = list("EventSelectors")
            .iter()
            .map(|s| EventSelector {
                read_write_type: self.string_or(field(s, "ReadWriteType"), "All"),
                include_management_events: self.bool(field(s, "IncludeManagementEvents"), true),
                exclude_management_event_sources: self
                    .strings(field(s, "ExcludeManagementEventSources")),
                data_resources: field(s, "DataResources")
                    .map(E::list)
                    .unwrap_or_default()
                    .iter()
                    .map(|d| DataResource {
                        resource_type: self.string_or(field(d, "Type"), ""),
                        values: self.strings(field(d, "Values")),
                        span: d.span,
                    })
                    .collect(),
                span: s.span,
            })
            .collect();
        let insight_selectors = list("InsightSelectors")
            .iter()
            .map(|i| InsightSelector {
                insight_type: self.string_or(field(i, "InsightType"), ""),
                event_categories: match self.strings(field(i, "EventCategories")) {
                    Value::Defaulted(_) => Value::Defaulted(vec!["Management".to_owned()]),
                    v => v,
                },
                span: i.span,
            })
            .collect();
        let selectors_unknown = [
            "EventSelectors",
            "AdvancedEventSelectors",
            "InsightSelectors",
        ]
        .iter()
        .any(|p| r.get(p).is_some_and(|e| !matches!(e.v, Ev::List(_))));
        Trail {
            region: self.region(r.header),
            name: self
                .string(r.get("TrailName"))
                .unwrap_or_else(|| self.generated(r, "trail name")),
            s3_bucket_name: self.string_or(r.get("S3BucketName"), ""),
            s3_key_prefix: self.optional(r.get("S3KeyPrefix")),
            sns_topic_name: self.optional(r.get("SnsTopicName")),
            include_global_service_events: self.bool(r.get("IncludeGlobalServiceEvents"), true),
            is_multi_region_trail: self.bool(r.get("IsMultiRegionTrail"), false),
            is_organization_trail: self.bool(r.get("IsOrganizationTrail"), false),
            // Required by CloudFormation; a new trail does not log until started.
            enable_logging: self.bool(r.get("IsLogging"), false),
            enable_log_file_validation: self.bool(r.get("EnableLogFileValidation"), false),
            kms_key_id: self.optional(r.get("KMSKeyId")),
            cloud_watch_logs_group_arn: self.optional(r.get("CloudWatchLogsLogGroupArn")),
            cloud_watch_logs_role_arn: self.optional(r.get("CloudWatchLogsRoleArn")),
            event_selectors,
            selectors_unknown,
            advanced_event_selectors: self.advanced(r.get("AdvancedEventSelectors")),
            insight_selectors,
            aggregation_configurations: list("AggregationConfigurations")
                .iter()
                .map(|a| crate::model::AggregationConfiguration {
                    event_category: self.string_or(field(a, "EventCategory"), ""),
                    templates: self.strings(field(a, "Templates")),
                    span: a.span,
                })
                .collect(),
            tags: list("Tags")
                .iter()
                .filter_map(|t| Some((field(t, "Key")?.to_str()?, field(t, "Value")?.to_str()?)))
                .collect(),
            bucket: None,
            kms_key: None,
            log_group: None,
            role: None,
            topic: None,
            origin: self.origin(r),
        }
    }

    fn advanced(&self, e: Option<&E>) -> Vec<AdvancedEventSelector> {
        e.map(E::list)
            .unwrap_or_default()
            .iter()
            .map(|a| AdvancedEventSelector {
                name: self.string(field(a, "Name")),
                field_selectors: field(a, "FieldSelectors")
                    .map(E::list)
                    .unwrap_or_default()
                    .iter()
                    .map(|f| FieldSelector {
                        field: self.string_or(field(f, "Field"), ""),
                        equals: self.strings(field(f, "Equals")),
                        not_equals: self.strings(field(f, "NotEquals")),
                        starts_with: self.strings(field(f, "StartsWith")),
                        not_starts_with: self.strings(field(f, "NotStartsWith")),
                        ends_with: self.strings(field(f, "EndsWith")),
                        not_ends_with: self.strings(field(f, "NotEndsWith")),
                        span: f.span,
                    })
                    .collect(),
                span: a.span,
            })
            .collect()
    }

    fn bucket(&self, r: &Res<'_>) -> Bucket {
        let name = self
            .string(r.get("BucketName"))
            .unwrap_or_else(|| self.generated(r, "bucket name"));
        let pab = r
            .get("PublicAccessBlockConfiguration")
            .map(|p| PublicAccessBlock {
                block_public_acls: self.bool(field(p, "BlockPublicAcls"), false),
                block_public_policy: self.bool(field(p, "BlockPublicPolicy"), false),
                ignore_public_acls: self.bool(field(p, "IgnorePublicAcls"), false),
                restrict_public_buckets: self.bool(field(p, "RestrictPublicBuckets"), false),
                span: p.span,
                address: r.id.to_owned(),
            });
        let object_lock = match r.get("ObjectLockEnabled") {
            Some(e) => Some(self.bool(Some(e), false)),
            None => r.get("ObjectLockConfiguration").map(|o| {
                self.string_or(field(o, "ObjectLockEnabled"), "Enabled")
                    .map(|s| s == "Enabled")
            }),
        };
        let sse = r
            .get("BucketEncryption")
            .and_then(|e| field(e, "ServerSideEncryptionConfiguration"))
            .and_then(|c| c.list().first());
        let lifecycle = r.get("LifecycleConfiguration");
        Bucket {
            name,
            acl: self
                .string(r.get("AccessControl"))
                .map(|v| v.map(|s| canned_acl(&s))),
            acl_grants_public: None,
            policies: Vec::new(),
            public_access_block: pab,
            access_logging: r.get("LoggingConfiguration").map(|l| l.span),
            versioning: r
                .get("VersioningConfiguration")
                .map(|v| self.string_or(field(v, "Status"), "Suspended")),
            object_lock,
            lifecycle_rules: lifecycle
                .and_then(|l| field(l, "Rules"))
                .map(E::list)
                .unwrap_or_default()
                .iter()
                .map(|rule| LifecycleRule {
                    id: field(rule, "Id").and_then(E::to_str),
                    enabled: self
                        .string_or(field(rule, "Status"), "Enabled")
                        .map(|s| s == "Enabled"),
                    prefix: self.string(field(rule, "Prefix")),
                    expiration_days: field(rule, "ExpirationInDays").map(|d| self.int(Some(d), 0)),
                    span: rule.span,
                })
                .collect(),
            lifecycle_unknown: lifecycle
                .and_then(|l| field(l, "Rules"))
                .is_some_and(|rs| !matches!(rs.v, Ev::List(_))),
            sse_kms_key: sse
                .and_then(|s| field(s, "ServerSideEncryptionByDefault"))
                .and_then(|d| self.string(field(d, "KMSMasterKeyID"))),
            bucket_key_enabled: sse.map(|s| self.bool(field(s, "BucketKeyEnabled"), false)),
            origin: self.origin(r),
        }
    }
}
