//! Lowering: evaluated Terraform resources → the normalized model.

use super::eval::{EvBody, ResEval};
use super::value::V;
use crate::model::iam::UNKNOWN_MARK;
use crate::model::link::{Pending, PendingKind};
use crate::model::{
    AdvancedEventSelector, AttachedPolicy, Bucket, DataResource, EventDataStore, EventSelector,
    FieldSelector, IamRole, InsightSelector, KmsKey, LifecycleRule, LogGroup, MetricAlarm,
    MetricFilter, Model, Origin, PolicyDocument, PublicAccessBlock, Region, SnsTopic, Trail,
    Unresolved, Value,
};
use crate::source::Span;

/// Gives the source text of a span (for the expression of an unknown value).
pub(crate) type TextOf<'a> = &'a dyn Fn(Span) -> String;

pub(crate) struct Lower<'a> {
    pub(crate) text: TextOf<'a>,
}

fn partial_text(s: &str) -> String {
    s.replace(UNKNOWN_MARK, "…")
}

impl Lower<'_> {
    fn unknown<T>(&self, span: Span, partial: Option<&str>) -> Value<T> {
        Value::Unknown(Unresolved {
            expr: (self.text)(span),
            span,
            partial: partial.map(partial_text),
        })
    }

    /// A string attribute; `None` when absent or null.
    fn string(&self, b: &EvBody, name: &str) -> Option<Value<String>> {
        let (v, span) = b.attr(name)?;
        self.string_of(v, span)
    }

    /// Like [`Self::string`], but an empty string counts as absent: the AWS provider sends
    /// these optional attributes only when they are non-empty.
    fn optional(&self, b: &EvBody, name: &str) -> Option<Value<String>> {
        self.string(b, name)
            .filter(|v| v.known().is_none_or(|s| !s.is_empty()))
    }

    fn string_of(&self, v: &V, span: Span) -> Option<Value<String>> {
        match v {
            V::Null => None,
            V::Str(s) if s.contains(UNKNOWN_MARK) => Some(self.unknown(span, Some(s))),
            V::Str(_) | V::Num(_) | V::Bool(_) => v.to_str().map(|s| Value::Known(s, span)),
            _ => Some(self.unknown(span, None)),
        }
    }

    fn string_or(&self, b: &EvBody, name: &str, default: &str) -> Value<String> {
        self.string(b, name)
            .unwrap_or_else(|| Value::Defaulted(default.to_owned()))
    }

    fn bool(&self, b: &EvBody, name: &str, default: bool) -> Value<bool> {
        match b.attr(name) {
            None | Some((V::Null, _)) => Value::Defaulted(default),
            Some((v, span)) => match v.as_bool() {
                Some(x) if !v.is_unknown() => Value::Known(x, span),
                _ => self.unknown(span, None),
            },
        }
    }

    fn int(&self, b: &EvBody, name: &str, default: i64) -> Value<i64> {
        match b.attr(name) {
            None | Some((V::Null, _)) => Value::Defaulted(default),
            Some((v, span)) => match v.as_num() {
                #[expect(clippy::cast_possible_truncation, reason = "day counts and sizes")]
                Some(n) if !v.is_unknown() => Value::Known(n as i64, span),
                _ => self.unknown(span, None),
            },
        }
    }

    fn strings(&self, b: &EvBody, name: &str) -> Value<Vec<String>> {
        match b.attr(name) {
            None | Some((V::Null, _)) => Value::Defaulted(Vec::new()),
            Some((V::List(l), span)) => {
                if l.iter().any(V::has_unknown) {
                    return self.unknown(span, None);
                }
                Value::Known(l.iter().filter_map(V::to_str).collect(), span)
            }
            Some((V::Str(s), span)) if !s.contains(UNKNOWN_MARK) => {
                Value::Known(vec![s.clone()], span)
            }
            Some((_, span)) => self.unknown(span, None),
        }
    }

    fn policy(&self, v: &V, span: Span) -> Value<PolicyDocument> {
        match v {
            V::Str(s) => {
                // Unknown parts inside JSON strings keep the structure; an unknown in a
                // structural position makes the JSON invalid, and the policy unknown.
                match serde_json::from_str::<serde_json::Value>(s) {
                    Ok(j) => match PolicyDocument::from_json(&j) {
                        Ok(doc) => Value::Known(doc, span),
                        Err(_) => self.unknown(span, None),
                    },
                    Err(_) => self.unknown(span, None),
                }
            }
            V::Map(_) => match PolicyDocument::from_json(&v.to_json()) {
                Ok(doc) => Value::Known(doc, span),
                Err(_) => self.unknown(span, None),
            },
            _ => self.unknown(span, None),
        }
    }

    fn attached(&self, b: &EvBody, attr: &str, address: &str) -> Option<AttachedPolicy> {
        let (v, span) = b.attr(attr)?;
        if matches!(v, V::Null) {
            return None;
        }
        Some(AttachedPolicy {
            document: self.policy(v, span),
            address: address.to_owned(),
            span,
        })
    }

    fn region(&self, r: &ResEval) -> Value<Region> {
        match &r.region {
            V::Str(s) if !s.contains(UNKNOWN_MARK) => {
                Value::Known(Region::new(s.clone()), r.header)
            }
            _ => Value::Unknown(Unresolved {
                expr: "provider region".into(),
                span: r.header,
                partial: None,
            }),
        }
    }

    fn pending(
        &self,
        out: &mut Model,
        address: &str,
        b: &EvBody,
        target_attr: &str,
        kind: PendingKind,
    ) {
        let target = self
            .string(b, target_attr)
            .unwrap_or_else(|| Value::Defaulted(String::new()));
        out.pending.push(Pending {
            address: address.to_owned(),
            target,
            target_refs: b
                .refs
                .iter()
                .filter(|(a, _)| a == target_attr)
                .map(|(_, r)| r.clone())
                .collect(),
            kind,
        });
    }

    /// Lowers every instance of one evaluated resource.
    pub(crate) fn resource(&self, r: &ResEval, out: &mut Model) {
        for inst in &r.instances {
            let origin = Origin {
                address: inst.address.clone(),
                span: r.header,
                conditional: r.conditional,
                refs: inst.body.refs.clone(),
                unit: String::new(),
                account_scope: r.scope.clone(),
                empty: inst
                    .body
                    .attrs
                    .iter()
                    .filter(|(_, v, _)| matches!(v, V::Str(s) if s.is_empty()))
                    .map(|(k, _, span)| (k.clone(), *span))
                    .collect(),
            };
            self.instance(r, &inst.body, origin, out);
        }
    }

    #[expect(clippy::too_many_lines, reason = "one arm per resource type")]
    fn instance(&self, r: &ResEval, b: &EvBody, origin: Origin, out: &mut Model) {
        let addr = origin.address.clone();
        match r.rtype.as_str() {
            "aws_cloudtrail" => out.trails.push(self.trail(r, b, origin)),
            "aws_cloudtrail_event_data_store" => out.event_data_stores.push(EventDataStore {
                region: self.region(r),
                name: self.string_or(b, "name", ""),
                multi_region_enabled: self.bool(b, "multi_region_enabled", true),
                organization_enabled: self.bool(b, "organization_enabled", false),
                kms_key_id: self.optional(b, "kms_key_id"),
                retention_period: self.int(b, "retention_period", 2557),
                advanced_event_selectors: self.advanced(b),
                kms_key: None,
                origin,
            }),
            "aws_s3_bucket" => out.buckets.push(self.bucket(b, origin)),
            "aws_s3_bucket_policy" => {
                if let Some(p) = self.attached(b, "policy", &addr) {
                    self.pending(out, &addr, b, "bucket", PendingKind::BucketPolicy(p));
                }
            }
            "aws_s3_bucket_public_access_block" => {
                let pab = PublicAccessBlock {
                    block_public_acls: self.bool(b, "block_public_acls", false),
                    block_public_policy: self.bool(b, "block_public_policy", false),
                    ignore_public_acls: self.bool(b, "ignore_public_acls", false),
                    restrict_public_buckets: self.bool(b, "restrict_public_buckets", false),
                    span: b.span,
                    address: addr.clone(),
                };
                self.pending(out, &addr, b, "bucket", PendingKind::PublicAccessBlock(pab));
            }
            "aws_s3_account_public_access_block" => {
                out.account_public_access_blocks.push((
                    String::new(),
                    PublicAccessBlock {
                        block_public_acls: self.bool(b, "block_public_acls", false),
                        block_public_policy: self.bool(b, "block_public_policy", false),
                        ignore_public_acls: self.bool(b, "ignore_public_acls", false),
                        restrict_public_buckets: self.bool(b, "restrict_public_buckets", false),
                        span: b.span,
                        address: addr.clone(),
                    },
                ));
            }
            "aws_s3_bucket_acl" => {
                let acl = self.string_or(b, "acl", "private");
                let public_grant = public_grant(b);
                self.pending(
                    out,
                    &addr,
                    b,
                    "bucket",
                    PendingKind::BucketAcl { acl, public_grant },
                );
            }
            "aws_s3_bucket_logging" => {
                self.pending(out, &addr, b, "bucket", PendingKind::BucketLogging(b.span));
            }
            "aws_s3_bucket_versioning" => {
                let status = b
                    .blocks("versioning_configuration")
                    .next()
                    .map_or(Value::Defaulted("Disabled".to_owned()), |vc| {
                        self.string_or(vc, "status", "Disabled")
                    });
                self.pending(
                    out,
                    &addr,
                    b,
                    "bucket",
                    PendingKind::BucketVersioning(status),
                );
            }
            "aws_s3_bucket_object_lock_configuration" => {
                self.pending(
                    out,
                    &addr,
                    b,
                    "bucket",
                    PendingKind::BucketObjectLock(Value::Known(true, b.span)),
                );
            }
            "aws_s3_bucket_lifecycle_configuration" => {
                let rules = b
                    .blocks("rule")
                    .map(|rule| self.lifecycle_rule(rule, true))
                    .collect();
                let unknown = b.unknown_blocks.iter().any(|x| x == "rule");
                self.pending(
                    out,
                    &addr,
                    b,
                    "bucket",
                    PendingKind::BucketLifecycle { rules, unknown },
                );
            }
            "aws_s3_bucket_server_side_encryption_configuration" => {
                let rule = b.blocks("rule").next();
                let by_default =
                    rule.and_then(|r| r.blocks("apply_server_side_encryption_by_default").next());
                let kms_key = by_default.and_then(|d| self.string(d, "kms_master_key_id"));
                let bucket_key_enabled = rule.map(|r| self.bool(r, "bucket_key_enabled", false));
                self.pending(
                    out,
                    &addr,
                    b,
                    "bucket",
                    PendingKind::BucketEncryption {
                        kms_key,
                        bucket_key_enabled,
                    },
                );
            }
            "aws_kms_key" => out.kms_keys.push(KmsKey {
                policy: self.attached(b, "policy", &addr),
                aliases: Vec::new(),
                multi_region: self.bool(b, "multi_region", false),
                enable_key_rotation: self.bool(b, "enable_key_rotation", false),
                origin,
            }),
            "aws_kms_key_policy" => {
                if let Some(p) = self.attached(b, "policy", &addr) {
                    self.pending(out, &addr, b, "key_id", PendingKind::KmsKeyPolicy(p));
                }
            }
            "aws_kms_alias" => {
                if let Some(Value::Known(name, _)) = self.string(b, "name") {
                    self.pending(out, &addr, b, "target_key_id", PendingKind::KmsAlias(name));
                }
            }
            "aws_cloudwatch_log_group" => out.log_groups.push(LogGroup {
                name: self.string_or(b, "name", ""),
                retention_in_days: self.int(b, "retention_in_days", 0),
                kms_key_id: self.optional(b, "kms_key_id"),
                origin,
            }),
            "aws_cloudwatch_log_metric_filter" => out.metric_filters.push(MetricFilter {
                log_group_name: self.string_or(b, "log_group_name", ""),
                log_group: None,
                pattern: self.string_or(b, "pattern", ""),
                metrics: b
                    .blocks("metric_transformation")
                    .map(|m| {
                        (
                            self.string_or(m, "namespace", ""),
                            self.string_or(m, "name", ""),
                        )
                    })
                    .collect(),
                origin,
            }),
            "aws_cloudwatch_metric_alarm" => out.alarms.push(MetricAlarm {
                namespace: self.string_or(b, "namespace", ""),
                metric_name: self.string_or(b, "metric_name", ""),
                origin,
            }),
            "aws_iam_role" => {
                let mut policies = Vec::new();
                for ip in b.blocks("inline_policy") {
                    if let Some(p) = self.attached(ip, "policy", &addr) {
                        policies.push(p);
                    }
                }
                let external = match self.strings(b, "managed_policy_arns") {
                    Value::Known(l, s) => l.into_iter().map(|a| Value::Known(a, s)).collect(),
                    Value::Unknown(u) => vec![Value::Unknown(u)],
                    Value::Defaulted(_) => Vec::new(),
                };
                out.roles.push(IamRole {
                    name: self.string_or(b, "name", ""),
                    assume_role_policy: b
                        .attr("assume_role_policy")
                        .map(|(v, s)| self.policy(v, s)),
                    policies,
                    external_policy_arns: external,
                    origin,
                });
            }
            "aws_iam_role_policy" => {
                if let Some(p) = self.attached(b, "policy", &addr) {
                    self.pending(out, &addr, b, "role", PendingKind::RolePolicy(p));
                }
            }
            "aws_iam_policy" => {
                if let Some(p) = self.attached(b, "policy", &addr) {
                    let name = self.string_or(b, "name", "");
                    self.pending(
                        out,
                        &addr,
                        b,
                        "name",
                        PendingKind::ManagedPolicy { name, policy: p },
                    );
                }
            }
            "aws_iam_policy_attachment" => {
                // The legacy, exclusive attachment: a policy and lists of roles (users and
                // groups do not matter here).
                let policy_arn = self.string_or(b, "policy_arn", "");
                let policy_refs: Vec<String> = b
                    .refs
                    .iter()
                    .filter(|(a, _)| a == "policy_arn")
                    .map(|(_, r)| r.clone())
                    .collect();
                let role_refs: Vec<String> = b
                    .refs
                    .iter()
                    .filter(|(a, _)| a == "roles")
                    .map(|(_, r)| r.clone())
                    .collect();
                let roles: Vec<Value<String>> = match b.attr("roles") {
                    Some((V::List(l), span)) => {
                        l.iter().filter_map(|v| self.string_of(v, span)).collect()
                    }
                    _ => Vec::new(),
                };
                for (i, role) in roles.into_iter().enumerate() {
                    out.pending.push(Pending {
                        address: addr.clone(),
                        target: role,
                        // With one role the references are its; with several, names decide.
                        target_refs: if i == 0 && role_refs.len() == 1 {
                            role_refs.clone()
                        } else {
                            Vec::new()
                        },
                        kind: PendingKind::RolePolicyAttachment {
                            policy_arn: policy_arn.clone(),
                            policy_refs: policy_refs.clone(),
                        },
                    });
                }
            }
            "aws_iam_role_policy_attachment" => {
                let policy_arn = self.string_or(b, "policy_arn", "");
                let policy_refs = b
                    .refs
                    .iter()
                    .filter(|(a, _)| a == "policy_arn")
                    .map(|(_, r)| r.clone())
                    .collect();
                self.pending(
                    out,
                    &addr,
                    b,
                    "role",
                    PendingKind::RolePolicyAttachment {
                        policy_arn,
                        policy_refs,
                    },
                );
            }
            "aws_sns_topic" => out.topics.push(SnsTopic {
                name: self.string_or(b, "name", ""),
                policy: self.attached(b, "policy", &addr),
                origin,
            }),
            "aws_sns_topic_policy" => {
                if let Some(p) = self.attached(b, "policy", &addr) {
                    self.pending(out, &addr, b, "arn", PendingKind::TopicPolicy(p));
                }
            }
            _ => {}
        }
    }

    fn trail(&self, r: &ResEval, b: &EvBody, origin: Origin) -> Trail {
        let event_selectors = b
            .blocks("event_selector")
            .map(|s| EventSelector {
                read_write_type: self.string_or(s, "read_write_type", "All"),
                include_management_events: self.bool(s, "include_management_events", true),
                exclude_management_event_sources: self
                    .strings(s, "exclude_management_event_sources"),
                data_resources: s
                    .blocks("data_resource")
                    .map(|d| DataResource {
                        resource_type: self.string_or(d, "type", ""),
                        values: self.strings(d, "values"),
                        span: d.span,
                    })
                    .collect(),
                span: s.span,
            })
            .collect();
        let insight_selectors = b
            .blocks("insight_selector")
            .map(|i| InsightSelector {
                insight_type: self.string_or(i, "insight_type", ""),
                event_categories: match self.strings(i, "event_categories") {
                    Value::Defaulted(_) => Value::Defaulted(vec!["Management".to_owned()]),
                    v => v,
                },
                span: i.span,
            })
            .collect();
        let selectors_unknown = b.unknown_blocks.iter().any(|x| {
            x == "event_selector" || x == "advanced_event_selector" || x == "insight_selector"
        });
        Trail {
            region: self.region(r),
            name: self.string_or(b, "name", ""),
            s3_bucket_name: self.string_or(b, "s3_bucket_name", ""),
            s3_key_prefix: self.optional(b, "s3_key_prefix"),
            sns_topic_name: self.optional(b, "sns_topic_name"),
            include_global_service_events: self.bool(b, "include_global_service_events", true),
            is_multi_region_trail: self.bool(b, "is_multi_region_trail", false),
            is_organization_trail: self.bool(b, "is_organization_trail", false),
            enable_logging: self.bool(b, "enable_logging", true),
            enable_log_file_validation: self.bool(b, "enable_log_file_validation", false),
            kms_key_id: self.optional(b, "kms_key_id"),
            cloud_watch_logs_group_arn: self.optional(b, "cloud_watch_logs_group_arn"),
            cloud_watch_logs_role_arn: self.optional(b, "cloud_watch_logs_role_arn"),
            event_selectors,
            selectors_unknown,
            advanced_event_selectors: self.advanced(b),
            insight_selectors,
            // Not in the Terraform provider revision trailcheck follows.
            aggregation_configurations: Vec::new(),
            tags: match b.attr("tags") {
                Some((V::Map(m), _)) => m
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.to_str()?)))
                    .collect(),
                _ => Vec::new(),
            },
            bucket: None,
            kms_key: None,
            log_group: None,
            role: None,
            topic: None,
            origin,
        }
    }

    fn advanced(&self, b: &EvBody) -> Vec<AdvancedEventSelector> {
        b.blocks("advanced_event_selector")
            .map(|a| AdvancedEventSelector {
                name: self.string(a, "name"),
                field_selectors: a
                    .blocks("field_selector")
                    .map(|f| FieldSelector {
                        field: self.string_or(f, "field", ""),
                        equals: self.strings(f, "equals"),
                        not_equals: self.strings(f, "not_equals"),
                        starts_with: self.strings(f, "starts_with"),
                        not_starts_with: self.strings(f, "not_starts_with"),
                        ends_with: self.strings(f, "ends_with"),
                        not_ends_with: self.strings(f, "not_ends_with"),
                        span: f.span,
                    })
                    .collect(),
                span: a.span,
            })
            .collect()
    }

    fn lifecycle_rule(&self, rule: &EvBody, v4_style: bool) -> LifecycleRule {
        let enabled = if v4_style {
            self.string_or(rule, "status", "Enabled")
                .map(|s| s == "Enabled")
        } else {
            self.bool(rule, "enabled", true)
        };
        let prefix = rule
            .blocks("filter")
            .next()
            .and_then(|f| {
                self.string(f, "prefix").or_else(|| {
                    f.blocks("and")
                        .next()
                        .and_then(|a| self.string(a, "prefix"))
                })
            })
            .or_else(|| self.string(rule, "prefix"));
        let expiration_days = rule
            .blocks("expiration")
            .next()
            .and_then(|e| e.attr("days").map(|_| self.int(e, "days", 0)));
        LifecycleRule {
            id: rule.attr("id").and_then(|(v, _)| v.to_str()),
            enabled,
            prefix,
            expiration_days,
            span: rule.span,
        }
    }

    fn bucket(&self, b: &EvBody, origin: Origin) -> Bucket {
        let name = match self.string(b, "bucket") {
            Some(v) => v,
            None => match self.string(b, "bucket_prefix") {
                Some(Value::Known(p, s)) => self.unknown(s, Some(&format!("{p}{UNKNOWN_MARK}"))),
                Some(v) => v,
                None => Value::Unknown(Unresolved {
                    expr: "generated bucket name".into(),
                    span: origin.span,
                    partial: None,
                }),
            },
        };
        let addr = origin.address.clone();
        let versioning = b.blocks("versioning").next().map(|v| {
            self.bool(v, "enabled", false).map(|e| {
                if e {
                    "Enabled".to_owned()
                } else {
                    "Disabled".to_owned()
                }
            })
        });
        let object_lock = match b.attr("object_lock_enabled") {
            Some(_) => Some(self.bool(b, "object_lock_enabled", false)),
            None => b.blocks("object_lock_configuration").next().map(|o| {
                self.string_or(o, "object_lock_enabled", "Enabled")
                    .map(|s| s == "Enabled")
            }),
        };
        let sse = b
            .blocks("server_side_encryption_configuration")
            .next()
            .and_then(|s| s.blocks("rule").next());
        Bucket {
            name,
            acl: self.string(b, "acl"),
            acl_grants_public: public_grant(b),
            policies: self.attached(b, "policy", &addr).into_iter().collect(),
            public_access_block: None,
            access_logging: b.blocks("logging").next().map(|l| l.span),
            versioning,
            object_lock,
            lifecycle_rules: b
                .blocks("lifecycle_rule")
                .map(|r| self.lifecycle_rule(r, false))
                .collect(),
            lifecycle_unknown: b.unknown_blocks.iter().any(|x| x == "lifecycle_rule"),
            sse_kms_key: sse
                .and_then(|r| r.blocks("apply_server_side_encryption_by_default").next())
                .and_then(|d| self.string(d, "kms_master_key_id")),
            bucket_key_enabled: sse.map(|r| self.bool(r, "bucket_key_enabled", false)),
            origin,
        }
    }
}

/// A grant to everyone or to all authenticated AWS users in an ACL policy/grant block.
fn public_grant(b: &EvBody) -> Option<Span> {
    let is_public = |g: &EvBody| {
        g.blocks("grantee").chain(std::iter::once(g)).any(|x| {
            x.attr("uri")
                .and_then(|(v, _)| v.to_str())
                .is_some_and(|u| u.contains("AllUsers") || u.contains("AuthenticatedUsers"))
        })
    };
    for acp in b.blocks("access_control_policy") {
        for g in acp.blocks("grant") {
            if is_public(g) {
                return Some(g.span);
            }
        }
    }
    b.blocks("grant").find(|g| is_public(g)).map(|g| g.span)
}
