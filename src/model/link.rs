//! Linking: attach companion resources (bucket policies, public access blocks, key policies,
//! role policies…) to the resource they configure, and point each trail at its bucket, KMS
//! key, log group, role and topic.
//!
//! A link is made by reference first (`bucket = aws_s3_bucket.logs.id` names the resource
//! whatever its name evaluates to), then by a known name or ARN. Links never cross root
//! modules or templates: each front end links its own fragment before it is merged.

use super::{AttachedPolicy, Bucket, IamRole, LifecycleRule, Model, PublicAccessBlock, Value};
use crate::source::Span;

/// What a companion resource contributes once linked.
#[derive(Debug, Clone)]
pub enum PendingKind {
    BucketPolicy(AttachedPolicy),
    PublicAccessBlock(PublicAccessBlock),
    BucketAcl {
        acl: Value<String>,
        public_grant: Option<Span>,
    },
    BucketLogging(Span),
    BucketVersioning(Value<String>),
    BucketObjectLock(Value<bool>),
    BucketLifecycle {
        rules: Vec<LifecycleRule>,
        unknown: bool,
    },
    BucketEncryption {
        kms_key: Option<Value<String>>,
        bucket_key_enabled: Option<Value<bool>>,
    },
    KmsKeyPolicy(AttachedPolicy),
    KmsAlias(String),
    /// An inline role policy (`aws_iam_role_policy`).
    RolePolicy(AttachedPolicy),
    /// `aws_iam_role_policy_attachment`: the policy is found by ARN or reference.
    RolePolicyAttachment {
        policy_arn: Value<String>,
        policy_refs: Vec<String>,
    },
    /// A standalone managed policy (`aws_iam_policy`) that attachments may point at.
    ManagedPolicy {
        name: Value<String>,
        policy: AttachedPolicy,
    },
    TopicPolicy(AttachedPolicy),
}

/// A companion resource waiting to be attached to its target.
#[derive(Debug, Clone)]
pub struct Pending {
    pub address: String,
    /// The target's name/id/ARN as written (e.g. the `bucket` attribute).
    pub target: Value<String>,
    /// Addresses the target attribute refers to.
    pub target_refs: Vec<String>,
    pub kind: PendingKind,
}

/// The address without an instance key: `a.b["x"]` → `a.b`.
fn base_address(addr: &str) -> &str {
    if addr.ends_with(']') {
        if let Some(i) = addr.rfind('[') {
            return &addr[..i];
        }
    }
    addr
}

fn ref_matches(reference: &str, address: &str) -> bool {
    reference == address || base_address(address) == reference
}

/// Finds the index of the resource an attribute points at.
fn find<T>(
    items: &[T],
    address_of: impl Fn(&T) -> &str,
    refs: &[&str],
    value: &Value<String>,
    name_matches: impl Fn(&T, &str) -> bool,
) -> Option<usize> {
    for r in refs {
        let hits: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, t)| ref_matches(r, address_of(t)))
            .map(|(i, _)| i)
            .collect();
        if let Some(&first) = hits.first() {
            if hits.len() > 1 {
                if let Some(v) = value.get() {
                    if let Some(&i) = hits.iter().find(|&&i| name_matches(&items[i], v)) {
                        return Some(i);
                    }
                }
            }
            return Some(first);
        }
    }
    let v = value.get()?;
    items.iter().position(|t| name_matches(t, v))
}

fn bucket_name_matches(b: &Bucket, v: &str) -> bool {
    let v = v.strip_prefix("arn:aws:s3:::").unwrap_or(v);
    b.name.get().is_some_and(|n| n == v)
}

fn role_name_matches(r: &IamRole, v: &str) -> bool {
    let name = v.rsplit_once(":role/").map_or(v, |(_, n)| n);
    let name = name.rsplit('/').next().unwrap_or(name);
    r.name.get().is_some_and(|n| n == name)
}

/// Last segment of an ARN-ish string after `sep`.
fn tail<'a>(v: &'a str, sep: &str) -> &'a str {
    v.rsplit_once(sep).map_or(v, |(_, t)| t)
}

/// Links one fragment (one root module or template).
pub fn link(model: &mut Model) {
    let pending = std::mem::take(&mut model.pending);
    let mut managed: Vec<(String, Value<String>, AttachedPolicy)> = Vec::new();
    let mut attachments = Vec::new();
    for p in pending {
        let refs: Vec<&str> = p.target_refs.iter().map(String::as_str).collect();
        match p.kind {
            PendingKind::ManagedPolicy { name, policy } => {
                managed.push((p.address, name, policy));
            }
            PendingKind::RolePolicyAttachment {
                policy_arn,
                policy_refs,
            } => {
                attachments.push((p.target, p.target_refs, policy_arn, policy_refs));
            }
            PendingKind::RolePolicy(policy) => {
                if let Some(i) = find(
                    &model.roles,
                    |r| &r.origin.address,
                    &refs,
                    &p.target,
                    role_name_matches,
                ) {
                    model.roles[i].policies.push(policy);
                }
            }
            PendingKind::KmsKeyPolicy(policy) => {
                if let Some(i) = find(
                    &model.kms_keys,
                    |k| &k.origin.address,
                    &refs,
                    &p.target,
                    |_, _| false,
                ) {
                    model.kms_keys[i].policy = Some(policy);
                }
            }
            PendingKind::KmsAlias(alias) => {
                if let Some(i) = find(
                    &model.kms_keys,
                    |k| &k.origin.address,
                    &refs,
                    &p.target,
                    |_, _| false,
                ) {
                    model.kms_keys[i].aliases.push(alias);
                }
            }
            PendingKind::TopicPolicy(policy) => {
                if let Some(i) = find(
                    &model.topics,
                    |t| &t.origin.address,
                    &refs,
                    &p.target,
                    |t, v| t.name.get().is_some_and(|n| n == tail(v, ":")),
                ) {
                    model.topics[i].policy = Some(policy);
                }
            }
            kind => {
                let Some(i) = find(
                    &model.buckets,
                    |b| &b.origin.address,
                    &refs,
                    &p.target,
                    bucket_name_matches,
                ) else {
                    continue;
                };
                let b = &mut model.buckets[i];
                match kind {
                    PendingKind::BucketPolicy(policy) => b.policies.push(policy),
                    PendingKind::PublicAccessBlock(pab) => b.public_access_block = Some(pab),
                    PendingKind::BucketAcl { acl, public_grant } => {
                        b.acl = Some(acl);
                        b.acl_grants_public = b.acl_grants_public.or(public_grant);
                    }
                    PendingKind::BucketLogging(span) => b.access_logging = Some(span),
                    PendingKind::BucketVersioning(v) => b.versioning = Some(v),
                    PendingKind::BucketObjectLock(v) => b.object_lock = Some(v),
                    PendingKind::BucketLifecycle { rules, unknown } => {
                        b.lifecycle_rules.extend(rules);
                        b.lifecycle_unknown |= unknown;
                    }
                    PendingKind::BucketEncryption {
                        kms_key,
                        bucket_key_enabled,
                    } => {
                        b.sse_kms_key = kms_key;
                        b.bucket_key_enabled = bucket_key_enabled;
                    }
                    _ => {}
                }
            }
        }
    }
    for (role, role_refs, policy_arn, policy_refs) in attachments {
        let rrefs: Vec<&str> = role_refs.iter().map(String::as_str).collect();
        let Some(ri) = find(
            &model.roles,
            |r| &r.origin.address,
            &rrefs,
            &role,
            role_name_matches,
        ) else {
            continue;
        };
        let prefs: Vec<&str> = policy_refs.iter().map(String::as_str).collect();
        let found = find(
            &managed,
            |m| &m.0,
            &prefs,
            &policy_arn,
            |m, v| m.1.get().is_some_and(|n| n == tail(v, "/")),
        );
        match found {
            Some(mi) => model.roles[ri].policies.push(managed[mi].2.clone()),
            None => model.roles[ri].external_policy_arns.push(policy_arn),
        }
    }

    for t in 0..model.trails.len() {
        let trail = &model.trails[t];
        let refs = |attr: &'static str| trail.origin.refs_of(attr).collect::<Vec<&str>>();
        let bucket = find(
            &model.buckets,
            |b| &b.origin.address,
            &refs("s3_bucket_name"),
            &trail.s3_bucket_name,
            bucket_name_matches,
        );
        let kms_key = trail.kms_key_id.as_ref().and_then(|v| {
            find(
                &model.kms_keys,
                |k| &k.origin.address,
                &refs("kms_key_id"),
                v,
                |k, v| {
                    k.aliases
                        .iter()
                        .any(|a| a == v || v.ends_with(&format!(":{a}")))
                },
            )
        });
        let log_group = trail.cloud_watch_logs_group_arn.as_ref().and_then(|v| {
            find(
                &model.log_groups,
                |g| &g.origin.address,
                &refs("cloud_watch_logs_group_arn"),
                v,
                |g, v| {
                    let name = v.split_once(":log-group:").map_or(v, |(_, n)| n);
                    let name = name.strip_suffix(":*").unwrap_or(name);
                    g.name.get().is_some_and(|n| n == name)
                },
            )
        });
        let role = trail.cloud_watch_logs_role_arn.as_ref().and_then(|v| {
            find(
                &model.roles,
                |r| &r.origin.address,
                &refs("cloud_watch_logs_role_arn"),
                v,
                role_name_matches,
            )
        });
        let topic = trail.sns_topic_name.as_ref().and_then(|v| {
            find(
                &model.topics,
                |x| &x.origin.address,
                &refs("sns_topic_name"),
                v,
                |x, v| x.name.get().is_some_and(|n| n == tail(v, ":")),
            )
        });
        let trail = &mut model.trails[t];
        trail.bucket = bucket;
        trail.kms_key = kms_key;
        trail.log_group = log_group;
        trail.role = role;
        trail.topic = topic;
    }
    link_metric_filters(model);
    for e in 0..model.event_data_stores.len() {
        let eds = &model.event_data_stores[e];
        let refs: Vec<&str> = eds.origin.refs_of("kms_key_id").collect();
        let key = eds.kms_key_id.as_ref().and_then(|v| {
            find(
                &model.kms_keys,
                |k| &k.origin.address,
                &refs,
                v,
                |_, _| false,
            )
        });
        model.event_data_stores[e].kms_key = key;
    }
}

/// A log group name as a metric filter writes it, or as the trail's ARN carries it.
fn log_group_name_matches(g: &super::LogGroup, v: &str) -> bool {
    let name = v.split_once(":log-group:").map_or(v, |(_, n)| n);
    let name = name.strip_suffix(":*").unwrap_or(name);
    !name.is_empty() && g.name.get().is_some_and(|n| n == name)
}

/// Points each metric filter at its log group: by reference (`aws_cloudwatch_log_group.x.name`,
/// CloudFormation `!Ref LogGroup`, which also links groups without an explicit name), by a
/// known name, or by the same unresolved expression written in the same file (`!Ref
/// LogGroupNameParameter` on both).
fn link_metric_filters(model: &mut Model) {
    for i in 0..model.metric_filters.len() {
        let f = &model.metric_filters[i];
        let refs: Vec<&str> = f.origin.refs_of("log_group_name").collect();
        let mut found = find(
            &model.log_groups,
            |g| &g.origin.address,
            &refs,
            &f.log_group_name,
            log_group_name_matches,
        );
        if found.is_none() {
            if let Value::Unknown(u) = &f.log_group_name {
                found = model.log_groups.iter().position(|g| {
                    g.name.unresolved().is_some_and(|gu| {
                        gu.expr == u.expr
                            && gu.span.source == u.span.source
                            && !u.expr.trim().is_empty()
                    })
                });
            }
        }
        model.metric_filters[i].log_group = found;
    }
}

/// Links, across deployment units, each trail whose bucket is named literally but is not
/// declared in its own unit to the one bucket of the checkout with exactly that name. S3
/// bucket names are globally unique, so a log-archive root that declares the bucket is
/// declaring this trail's bucket, whatever account either root deploys to. (Keys and log
/// groups are named per account and region, so they are not linked this way.)
pub fn link_buckets_across_units(model: &mut Model) {
    let mut by_name: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    for (i, b) in model.buckets.iter().enumerate() {
        if let Value::Known(n, _) = &b.name {
            if !n.is_empty() {
                by_name.entry(n.as_str()).or_default().push(i);
            }
        }
    }
    let links: Vec<(usize, usize)> = model
        .trails
        .iter()
        .enumerate()
        .filter(|(_, t)| t.bucket.is_none())
        .filter_map(|(ti, t)| match &t.s3_bucket_name {
            Value::Known(n, _) => match by_name.get(n.as_str()).map(Vec::as_slice) {
                Some([bi]) => Some((ti, *bi)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    for (ti, bi) in links {
        model.trails[ti].bucket = Some(bi);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_address_strips_instance_key() {
        assert_eq!(base_address("aws_s3_bucket.b[\"x\"]"), "aws_s3_bucket.b");
        assert_eq!(
            base_address("module.m[0].aws_s3_bucket.b"),
            "module.m[0].aws_s3_bucket.b"
        );
    }
}
