//! The normalized model every front end produces and every later stage reads.
//!
//! Front ends (Terraform HCL, and later CloudFormation and plan JSON) lower their resources
//! into these types; rules and the simulation never see front-end syntax. Links between
//! resources (a trail's bucket, key, log group, role, topic) are indexes into the vectors of
//! [`Model`], set by [`link`].

pub mod arn;
pub mod catalog;
pub mod deployment;
pub mod filter_pattern;
pub mod iam;
pub mod link;
pub mod region;
pub mod value;

pub use iam::PolicyDocument;
pub use region::Region;
pub use value::{excerpt, Unresolved, Value};

use crate::source::Span;
use serde::Serialize;

/// Where a resource was declared and how it is addressed.
#[derive(Debug, Clone, Serialize)]
pub struct Origin {
    /// Terraform address (`module.audit.aws_cloudtrail.this["east"]`) or CloudFormation
    /// logical id.
    pub address: String,
    /// The resource header (`resource "aws_cloudtrail" "this"`), where findings about a
    /// missing attribute point.
    #[serde(skip)]
    pub span: Span,
    /// True when the resource's existence depends on a `count`/`for_each`/condition that
    /// could not be resolved: it is analysed as one representative instance.
    pub conditional: bool,
    /// Addresses this resource's attributes refer to, by attribute name.
    #[serde(skip)]
    pub refs: Vec<(String, String)>,
    /// The deployment unit it belongs to: the Terraform root module directory or the
    /// CloudFormation template (as Terraform state and CloudFormation stacks are). Front
    /// ends set the path; `check` turns it into a label relative to the checked directory.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// The credentials of the provider configuration it is created with, as written
    /// (`profile = "audit"`, `assume_role.role_arn = ...`, `allowed_account_ids = ...`):
    /// empty for the default credentials. Two scopes of one unit can be two accounts.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub account_scope: String,
    /// Optional string attributes written as `""`, which AWS treats as not set: (attribute
    /// name, span of the value). Lets a finding say "set to an empty string" and point at it.
    #[serde(skip)]
    pub empty: Vec<(String, Span)>,
}

impl Origin {
    /// Addresses that attribute `attr` refers to.
    pub fn refs_of<'a>(&'a self, attr: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.refs
            .iter()
            .filter(move |(a, _)| a == attr)
            .map(|(_, r)| r.as_str())
    }

    /// The span of attribute `attr` when it is written as an empty string.
    #[must_use]
    pub fn empty_value(&self, attr: &str) -> Option<Span> {
        self.empty.iter().find(|(a, _)| a == attr).map(|(_, s)| *s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ReadWriteType {
    All,
    ReadOnly,
    WriteOnly,
}

impl ReadWriteType {
    #[must_use]
    pub fn parse(s: &str) -> Option<ReadWriteType> {
        match s {
            "All" => Some(ReadWriteType::All),
            "ReadOnly" => Some(ReadWriteType::ReadOnly),
            "WriteOnly" => Some(ReadWriteType::WriteOnly),
            _ => None,
        }
    }
    #[must_use]
    pub fn includes_write(self) -> bool {
        !matches!(self, ReadWriteType::ReadOnly)
    }
    #[must_use]
    pub fn includes_read(self) -> bool {
        !matches!(self, ReadWriteType::WriteOnly)
    }
}

/// `data_resource` of a basic event selector.
#[derive(Debug, Clone, Serialize)]
pub struct DataResource {
    pub resource_type: Value<String>,
    pub values: Value<Vec<String>>,
    #[serde(skip)]
    pub span: Span,
}

/// A basic event selector (`event_selector` / `EventSelectors`).
#[derive(Debug, Clone, Serialize)]
pub struct EventSelector {
    /// The raw string as written, so an invalid value can be reported.
    pub read_write_type: Value<String>,
    pub include_management_events: Value<bool>,
    pub exclude_management_event_sources: Value<Vec<String>>,
    pub data_resources: Vec<DataResource>,
    #[serde(skip)]
    pub span: Span,
}

impl EventSelector {
    /// The parsed read/write type; `None` if unknown or invalid.
    #[must_use]
    pub fn read_write(&self) -> Option<ReadWriteType> {
        self.read_write_type
            .get()
            .and_then(|s| ReadWriteType::parse(s))
    }
}

/// One `field_selector` of an advanced event selector.
#[derive(Debug, Clone, Serialize)]
pub struct FieldSelector {
    pub field: Value<String>,
    pub equals: Value<Vec<String>>,
    pub not_equals: Value<Vec<String>>,
    pub starts_with: Value<Vec<String>>,
    pub not_starts_with: Value<Vec<String>>,
    pub ends_with: Value<Vec<String>>,
    pub not_ends_with: Value<Vec<String>>,
    #[serde(skip)]
    pub span: Span,
}

impl FieldSelector {
    /// All operator lists, with their names.
    #[must_use]
    pub fn operators(&self) -> [(&'static str, &Value<Vec<String>>); 6] {
        [
            ("equals", &self.equals),
            ("not_equals", &self.not_equals),
            ("starts_with", &self.starts_with),
            ("not_starts_with", &self.not_starts_with),
            ("ends_with", &self.ends_with),
            ("not_ends_with", &self.not_ends_with),
        ]
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AdvancedEventSelector {
    pub name: Option<Value<String>>,
    pub field_selectors: Vec<FieldSelector>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct InsightSelector {
    pub insight_type: Value<String>,
    /// `Management` (the default) or `Data`.
    pub event_categories: Value<Vec<String>>,
    #[serde(skip)]
    pub span: Span,
}

/// An aggregation configuration (`AggregationConfigurations` of a trail).
#[derive(Debug, Clone, Serialize)]
pub struct AggregationConfiguration {
    /// `Data` (the only category AWS accepts).
    pub event_category: Value<String>,
    /// Subset of `API_ACTIVITY`, `RESOURCE_ACCESS`, `USER_ACTIONS`.
    pub templates: Value<Vec<String>>,
    #[serde(skip)]
    pub span: Span,
}

/// A CloudTrail trail.
#[derive(Debug, Clone, Serialize)]
pub struct Trail {
    pub origin: Origin,
    /// The home region (from the provider or the deployment context).
    pub region: Value<Region>,
    pub name: Value<String>,
    pub s3_bucket_name: Value<String>,
    pub s3_key_prefix: Option<Value<String>>,
    pub sns_topic_name: Option<Value<String>>,
    pub include_global_service_events: Value<bool>,
    pub is_multi_region_trail: Value<bool>,
    pub is_organization_trail: Value<bool>,
    pub enable_logging: Value<bool>,
    pub enable_log_file_validation: Value<bool>,
    pub kms_key_id: Option<Value<String>>,
    pub cloud_watch_logs_group_arn: Option<Value<String>>,
    pub cloud_watch_logs_role_arn: Option<Value<String>>,
    pub event_selectors: Vec<EventSelector>,
    /// True when the selectors come from a `dynamic` block or expression whose expansion is
    /// unknown: the selector list may be incomplete.
    pub selectors_unknown: bool,
    pub advanced_event_selectors: Vec<AdvancedEventSelector>,
    pub insight_selectors: Vec<InsightSelector>,
    /// `AggregationConfigurations` (CloudFormation/API only): event category and templates.
    pub aggregation_configurations: Vec<AggregationConfiguration>,
    pub tags: Vec<(String, String)>,
    /// Links set by [`link::link`].
    pub bucket: Option<usize>,
    pub kms_key: Option<usize>,
    pub log_group: Option<usize>,
    pub role: Option<usize>,
    pub topic: Option<usize>,
}

/// A CloudTrail Lake event data store.
#[derive(Debug, Clone, Serialize)]
pub struct EventDataStore {
    pub origin: Origin,
    pub region: Value<Region>,
    pub name: Value<String>,
    pub multi_region_enabled: Value<bool>,
    pub organization_enabled: Value<bool>,
    pub kms_key_id: Option<Value<String>>,
    pub retention_period: Value<i64>,
    pub advanced_event_selectors: Vec<AdvancedEventSelector>,
    pub kms_key: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: Value<bool>,
    pub block_public_policy: Value<bool>,
    pub ignore_public_acls: Value<bool>,
    pub restrict_public_buckets: Value<bool>,
    #[serde(skip)]
    pub span: Span,
    pub address: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LifecycleRule {
    pub id: Option<String>,
    pub enabled: Value<bool>,
    /// Key prefix the rule applies to (`None` or empty: the whole bucket).
    pub prefix: Option<Value<String>>,
    pub expiration_days: Option<Value<i64>>,
    #[serde(skip)]
    pub span: Span,
}

/// An attached policy document with where it was written.
#[derive(Debug, Clone, Serialize)]
pub struct AttachedPolicy {
    pub document: Value<PolicyDocument>,
    /// The resource that carries the policy (the bucket itself, or an
    /// `aws_s3_bucket_policy`).
    pub address: String,
    #[serde(skip)]
    pub span: Span,
}

/// An S3 bucket and its companion configuration resources.
#[derive(Debug, Clone, Serialize)]
pub struct Bucket {
    pub origin: Origin,
    pub name: Value<String>,
    pub acl: Option<Value<String>>,
    pub acl_grants_public: Option<Span>,
    pub policies: Vec<AttachedPolicy>,
    pub public_access_block: Option<PublicAccessBlock>,
    /// Span of the access-logging configuration, if any.
    pub access_logging: Option<Span>,
    pub versioning: Option<Value<String>>,
    pub object_lock: Option<Value<bool>>,
    pub lifecycle_rules: Vec<LifecycleRule>,
    /// True when the lifecycle configuration exists but could not be resolved.
    pub lifecycle_unknown: bool,
    pub sse_kms_key: Option<Value<String>>,
    pub bucket_key_enabled: Option<Value<bool>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KmsKey {
    pub origin: Origin,
    /// `None`: no policy attribute, the default key policy applies.
    pub policy: Option<AttachedPolicy>,
    pub aliases: Vec<String>,
    pub multi_region: Value<bool>,
    pub enable_key_rotation: Value<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LogGroup {
    pub origin: Origin,
    pub name: Value<String>,
    pub retention_in_days: Value<i64>,
    pub kms_key_id: Option<Value<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricFilter {
    pub origin: Origin,
    pub log_group_name: Value<String>,
    pub pattern: Value<String>,
    /// (namespace, metric name) pairs of the metric transformations.
    pub metrics: Vec<(Value<String>, Value<String>)>,
    /// The log group, set by [`link::link`] (by reference, or by a known name).
    pub log_group: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricAlarm {
    pub origin: Origin,
    pub namespace: Value<String>,
    pub metric_name: Value<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IamRole {
    pub origin: Origin,
    pub name: Value<String>,
    pub assume_role_policy: Option<Value<PolicyDocument>>,
    /// Inline and attached policies declared in the repo.
    pub policies: Vec<AttachedPolicy>,
    /// Managed policy ARNs attached that are not in the repo (e.g. AWS managed).
    pub external_policy_arns: Vec<Value<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SnsTopic {
    pub origin: Origin,
    pub name: Value<String>,
    pub policy: Option<AttachedPolicy>,
}

/// A file that could not be parsed, with the location and reason.
#[derive(Debug, Clone, Serialize)]
pub struct InputError {
    #[serde(skip)]
    pub span: Span,
    pub message: String,
}

/// An inline suppression (`# trailcheck:ignore <rule> <reason>` in HCL or YAML, or
/// CloudFormation `Metadata.trailcheck.ignore`).
#[derive(Debug, Clone, Serialize)]
pub struct Suppression {
    /// Rule name (or id) the suppression names.
    pub rule: String,
    pub reason: Option<String>,
    /// Where the suppression is written.
    #[serde(skip)]
    pub span: Span,
    /// What it covers: findings whose primary span lies inside this span.
    #[serde(skip)]
    pub target: Span,
}

impl Suppression {
    /// The marker that starts a suppression comment.
    pub const MARKER: &'static str = "trailcheck:ignore";

    /// Parses the text of one comment (without its `#`, `//` or `/* */` delimiters) as
    /// `trailcheck:ignore <rule> <reason>`: `None` when it is not a suppression. Front ends
    /// share this so the syntax is the same in HCL and YAML.
    #[must_use]
    pub fn parse_comment(text: &str) -> Option<(String, Option<String>)> {
        let rest = text.trim_start().strip_prefix(Self::MARKER)?;
        // `trailcheck:ignored` or `trailcheck:ignore-foo` is something else.
        if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
            return None;
        }
        let rest = rest.trim();
        let (rule, reason) = rest
            .split_once(char::is_whitespace)
            .map_or((rest, ""), |(r, why)| (r, why.trim()));
        // Separators people write between rule and reason are not the reason.
        let reason = reason.trim_start_matches(['-', ':', '\u{2014}']).trim();
        Some((
            rule.trim_end_matches([',', ':']).to_owned(),
            (!reason.is_empty()).then(|| reason.to_owned()),
        ))
    }
}

/// The whole normalized model of one run.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Model {
    pub trails: Vec<Trail>,
    pub event_data_stores: Vec<EventDataStore>,
    pub buckets: Vec<Bucket>,
    pub kms_keys: Vec<KmsKey>,
    pub log_groups: Vec<LogGroup>,
    pub metric_filters: Vec<MetricFilter>,
    pub alarms: Vec<MetricAlarm>,
    pub roles: Vec<IamRole>,
    pub topics: Vec<SnsTopic>,
    /// Account-level S3 Block Public Access (`aws_s3_account_public_access_block`).
    /// With the deployment unit that declares each: it covers that unit's account only.
    pub account_public_access_blocks: Vec<(String, PublicAccessBlock)>,
    pub input_errors: Vec<InputError>,
    /// Files found but not checked (excluded, ignored, not regular files), with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_files: Vec<InputError>,
    /// Values the front end did not evaluate and why (a file outside the checked tree, an
    /// evaluation budget spent, a `count` too large to expand), located where the user
    /// would look: reported as `unresolved-value`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unevaluated: Vec<InputError>,
    pub suppressions: Vec<Suppression>,
    /// Values a module received from its caller: (the argument at the call, the module's
    /// use of the variable, a label). Findings at the argument name the module's use.
    #[serde(skip)]
    pub via: Vec<(Span, Span, String)>,
    /// Companion resources (bucket policies, public access blocks, …) whose bucket/role/key
    /// is not in the repo, kept until linking attaches or drops them.
    #[serde(skip)]
    pub pending: Vec<link::Pending>,
}

impl Model {
    /// Appends another model (e.g. of another root module or file).
    pub fn extend(&mut self, other: Model) {
        let (b, k, g, r, t) = (
            self.buckets.len(),
            self.kms_keys.len(),
            self.log_groups.len(),
            self.roles.len(),
            self.topics.len(),
        );
        self.trails
            .extend(other.trails.into_iter().map(|mut trail| {
                trail.bucket = trail.bucket.map(|i| i + b);
                trail.kms_key = trail.kms_key.map(|i| i + k);
                trail.log_group = trail.log_group.map(|i| i + g);
                trail.role = trail.role.map(|i| i + r);
                trail.topic = trail.topic.map(|i| i + t);
                trail
            }));
        self.event_data_stores
            .extend(other.event_data_stores.into_iter().map(|mut eds| {
                eds.kms_key = eds.kms_key.map(|i| i + k);
                eds
            }));
        self.buckets.extend(other.buckets);
        self.kms_keys.extend(other.kms_keys);
        self.log_groups.extend(other.log_groups);
        self.metric_filters
            .extend(other.metric_filters.into_iter().map(|mut f| {
                f.log_group = f.log_group.map(|i| i + g);
                f
            }));
        self.alarms.extend(other.alarms);
        self.roles.extend(other.roles);
        self.topics.extend(other.topics);
        self.account_public_access_blocks
            .extend(other.account_public_access_blocks);
        self.input_errors.extend(other.input_errors);
        self.skipped_files.extend(other.skipped_files);
        self.unevaluated.extend(other.unevaluated);
        self.suppressions.extend(other.suppressions);
        self.via.extend(other.via);
        self.pending.extend(other.pending);
    }

    /// Every origin of the model, mutably.
    fn origins_mut(&mut self) -> impl Iterator<Item = &mut Origin> + '_ {
        self.trails
            .iter_mut()
            .map(|x| &mut x.origin)
            .chain(self.event_data_stores.iter_mut().map(|x| &mut x.origin))
            .chain(self.buckets.iter_mut().map(|x| &mut x.origin))
            .chain(self.kms_keys.iter_mut().map(|x| &mut x.origin))
            .chain(self.log_groups.iter_mut().map(|x| &mut x.origin))
            .chain(self.metric_filters.iter_mut().map(|x| &mut x.origin))
            .chain(self.alarms.iter_mut().map(|x| &mut x.origin))
            .chain(self.roles.iter_mut().map(|x| &mut x.origin))
            .chain(self.topics.iter_mut().map(|x| &mut x.origin))
    }

    /// Sets the deployment unit of every resource (front ends, once per root or template).
    pub fn set_unit(&mut self, unit: &str) {
        for o in self.origins_mut() {
            unit.clone_into(&mut o.unit);
        }
        for (u, _) in &mut self.account_public_access_blocks {
            unit.clone_into(u);
        }
    }

    /// Distinct deployment units, in model order.
    #[must_use]
    pub fn units(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let origins = self
            .trails
            .iter()
            .map(|x| &x.origin)
            .chain(self.event_data_stores.iter().map(|x| &x.origin))
            .chain(self.buckets.iter().map(|x| &x.origin))
            .chain(self.kms_keys.iter().map(|x| &x.origin))
            .chain(self.log_groups.iter().map(|x| &x.origin))
            .chain(self.metric_filters.iter().map(|x| &x.origin))
            .chain(self.alarms.iter().map(|x| &x.origin))
            .chain(self.roles.iter().map(|x| &x.origin))
            .chain(self.topics.iter().map(|x| &x.origin));
        for o in origins {
            if !out.contains(&o.unit) {
                out.push(o.unit.clone());
            }
        }
        out
    }

    /// Rewrites every unit through `label` (a path → its label relative to the checked
    /// directory).
    pub fn relabel_units(&mut self, label: impl Fn(&str) -> String) {
        for o in self.origins_mut() {
            o.unit = label(&o.unit);
        }
        for (u, _) in &mut self.account_public_access_blocks {
            *u = label(u);
        }
    }

    /// Prefixes every address with its unit (`examples/complete: aws_cloudtrail.this`), so
    /// that resources of different units never share an address. Run after linking (links
    /// are within a unit).
    pub fn qualify_addresses(&mut self) {
        let q = |unit: &str, a: &str| format!("{unit}: {a}");
        for o in self.origins_mut() {
            o.address = q(&o.unit, &o.address);
            let unit = o.unit.clone();
            for (_, r) in &mut o.refs {
                *r = q(&unit, r);
            }
        }
        for b in &mut self.buckets {
            let unit = b.origin.unit.clone();
            for p in &mut b.policies {
                p.address = q(&unit, &p.address);
            }
            if let Some(pab) = &mut b.public_access_block {
                pab.address = q(&unit, &pab.address);
            }
        }
        for k in &mut self.kms_keys {
            let unit = k.origin.unit.clone();
            if let Some(p) = &mut k.policy {
                p.address = q(&unit, &p.address);
            }
        }
        for r in &mut self.roles {
            let unit = r.origin.unit.clone();
            for p in &mut r.policies {
                p.address = q(&unit, &p.address);
            }
        }
        for t in &mut self.topics {
            let unit = t.origin.unit.clone();
            if let Some(p) = &mut t.policy {
                p.address = q(&unit, &p.address);
            }
        }
    }
}
