//! Rules: metadata from `rules/<name>.yaml` (embedded), logic as plain Rust functions
//! registered in one list, and the runner that turns their diagnostics into findings.
//!
//! Rules read the model only; they never import a front end or a reporter.

pub mod baseline;
pub mod catalog;
mod checks;
pub mod condition;
pub mod docs;
mod helpers;
pub mod naming;
pub mod suppress;
pub mod user;

use crate::model::Model;
use crate::source::Span;
use serde::{Deserialize, Serialize};
use std::fmt;

pub use catalog::{RuleMeta, CATALOG};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Coverage,
    Integrity,
    Delivery,
    Organization,
    Cost,
    Selectors,
    Inputs,
}

impl Category {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Coverage => "coverage",
            Category::Integrity => "integrity",
            Category::Delivery => "delivery",
            Category::Organization => "organization",
            Category::Cost => "cost",
            Category::Selectors => "selectors",
            Category::Inputs => "inputs",
        }
    }
}

/// What a check reports; the runner adds the rule's metadata.
#[derive(Debug, Clone)]
pub struct Diag {
    /// The value at fault (or the resource header when an attribute is missing).
    pub primary: Span,
    pub message: String,
    /// Related places: a bucket policy, a key policy, the other trail.
    pub secondary: Vec<(Span, String)>,
    pub resource: Option<String>,
    /// Extra help beyond the rule's remediation (e.g. the statement to add).
    pub help: Option<String>,
    /// The severity of this finding when it differs from the rule's (a rule whose
    /// findings range from exposed to merely unprotected); a configured override wins.
    pub severity: Option<Severity>,
    /// The help in CloudFormation terms, for a finding on a template, when it cannot be
    /// had by renaming attributes (other syntax, another resource type, another article).
    pub help_cfn: Option<String>,
}

impl Diag {
    #[must_use]
    pub fn new(primary: Span, message: impl Into<String>) -> Diag {
        Diag {
            primary,
            message: message.into(),
            secondary: Vec::new(),
            resource: None,
            help: None,
            severity: None,
            help_cfn: None,
        }
    }

    /// Help in each language: `terraform` for `.tf` findings, `cloudformation` for
    /// templates.
    #[must_use]
    pub fn help_in(
        mut self,
        terraform: impl Into<String>,
        cloudformation: impl Into<String>,
    ) -> Diag {
        self.help = Some(terraform.into());
        self.help_cfn = Some(cloudformation.into());
        self
    }

    #[must_use]
    pub fn severity(mut self, severity: Severity) -> Diag {
        self.severity = Some(severity);
        self
    }

    #[must_use]
    pub fn resource(mut self, address: &str) -> Diag {
        self.resource = Some(address.to_owned());
        self
    }

    #[must_use]
    pub fn secondary(mut self, span: Span, label: impl Into<String>) -> Diag {
        self.secondary.push((span, label.into()));
        self
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Diag {
        self.help = Some(help.into());
        self
    }
}

/// A finding: plain data that every reporter renders.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    pub message: String,
    pub primary: Span,
    pub secondary: Vec<(Span, String)>,
    pub resource: Option<String>,
    pub help: Option<String>,
}

/// Tunables of the built-in rules (from the config file).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `log-retention-short`: minimum days of retention.
    pub min_retention_days: i64,
    /// Severity overrides by rule name (config `rules.severity`).
    pub severity: std::collections::BTreeMap<String, Severity>,
    /// User rules (`--rules DIR`, config `extra_rules`).
    pub user_rules: Vec<std::sync::Arc<user::UserRule>>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            min_retention_days: 365,
            severity: std::collections::BTreeMap::new(),
            user_rules: Vec::new(),
        }
    }
}

/// What a check sees.
pub struct RuleContext<'a> {
    pub model: &'a Model,
    pub settings: &'a Settings,
    /// The simulated CloudTrail (model rules query it).
    pub sim: &'a crate::simulate::Simulation,
    pub costs: &'a [crate::simulate::cost::CostLine],
    pub profile: &'a crate::simulate::cost::Profile,
    pub sources: &'a crate::source::SourceMap,
    /// How each of `model.suppressions` fared; filled in before the suppression rules
    /// run (empty for the other rules).
    pub suppressions: &'a [suppress::Use],
}

pub type CheckFn = fn(&RuleContext<'_>, &mut Vec<Diag>);

/// The registry: every built-in rule's name and check, in one plain list.
pub const REGISTRY: &[(&str, CheckFn)] = &[
    ("trail-single-region", checks::trail_single_region::check),
    (
        "log-file-validation-disabled",
        checks::log_file_validation_disabled::check,
    ),
    (
        "logs-not-kms-encrypted",
        checks::logs_not_kms_encrypted::check,
    ),
    (
        "trail-logging-disabled",
        checks::trail_logging_disabled::check,
    ),
    (
        "log-bucket-publicly-accessible",
        checks::log_bucket_publicly_accessible::check,
    ),
    (
        "log-bucket-access-logging-disabled",
        checks::log_bucket_access_logging_disabled::check,
    ),
    (
        "log-bucket-not-protected",
        checks::log_bucket_not_protected::check,
    ),
    (
        "cloudwatch-logs-not-integrated",
        checks::cloudwatch_logs_not_integrated::check,
    ),
    (
        "cloudwatch-logs-misconfigured",
        checks::cloudwatch_logs_misconfigured::check,
    ),
    (
        "bucket-policy-blocks-delivery",
        checks::bucket_policy_blocks_delivery::check,
    ),
    (
        "kms-policy-blocks-delivery",
        checks::kms_policy_blocks_delivery::check,
    ),
    (
        "sns-notifications-missing",
        checks::sns_notifications_missing::check,
    ),
    (
        "trail-change-alarm-missing",
        checks::trail_change_alarm_missing::check,
    ),
    ("log-retention-short", checks::log_retention_short::check),
    (
        "org-trail-single-region",
        checks::org_trail_single_region::check,
    ),
    (
        "insights-prerequisite-missing",
        checks::insights_prerequisite_missing::check,
    ),
    (
        "event-selectors-conflict",
        checks::event_selectors_conflict::check,
    ),
    (
        "selector-matches-nothing",
        checks::selector_matches_nothing::check,
    ),
    (
        "selector-quota-exceeded",
        checks::selector_quota_exceeded::check,
    ),
    ("region-not-covered", checks::region_not_covered::check),
    (
        "global-events-not-captured",
        checks::global_events_not_captured::check,
    ),
    (
        "global-events-duplicated",
        checks::global_events_duplicated::check,
    ),
    (
        "management-events-incomplete",
        checks::management_events_incomplete::check,
    ),
    (
        "s3-data-events-not-logged",
        checks::s3_data_events_not_logged::check,
    ),
    (
        "org-trail-outside-management-account",
        checks::org_trail_outside_management_account::check,
    ),
    (
        "member-trail-duplicates-org-trail",
        checks::member_trail_duplicates_org_trail::check,
    ),
    (
        "paid-management-event-copies",
        checks::paid_management_event_copies::check,
    ),
    (
        "data-events-log-own-bucket",
        checks::data_events_log_own_bucket::check,
    ),
    (
        "unbounded-data-events",
        checks::unbounded_data_events::check,
    ),
    (
        "trails-per-region-quota",
        checks::trails_per_region_quota::check,
    ),
    ("parse-error", checks::parse_error::check),
    ("unresolved-value", checks::unresolved_value::check),
    ("file-not-checked", checks::file_not_checked::check),
    (
        "suppression-missing-reason",
        checks::suppression_missing_reason::check,
    ),
    ("suppression-unused", checks::suppression_unused::check),
];

/// Rules about suppressions run last, once it is known what each suppression matched;
/// their own findings cannot be suppressed.
const SUPPRESSION_RULES: &[&str] = &["suppression-missing-reason", "suppression-unused"];

/// Which rules run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// When non-empty, only these rules run.
    pub only: Vec<String>,
    pub enable: Vec<String>,
    pub disable: Vec<String>,
}

impl Selection {
    #[must_use]
    pub fn is_enabled(&self, name: &str) -> bool {
        if self.disable.iter().any(|n| n == name) {
            return false;
        }
        self.only.is_empty() || self.only.iter().any(|n| n == name)
    }
}

/// Runs every selected rule over the model, applies the model's suppressions, then runs
/// the rules about suppressions. Findings are sorted by location, then rule.
#[must_use]
pub fn run(ctx: &RuleContext<'_>, selection: &Selection) -> Vec<Finding> {
    let mut findings = run_checks(ctx, selection, false);
    let uses = suppress::apply(ctx.model, ctx.settings, selection, &mut findings);
    let after = RuleContext {
        suppressions: &uses,
        ..*ctx
    };
    findings.extend(run_checks(&after, selection, true));
    // A value passed into a module: the finding is at the caller's argument; show where
    // the module uses it.
    let mut via: std::collections::HashMap<crate::source::Span, Vec<(crate::source::Span, &str)>> =
        std::collections::HashMap::new();
    for (caller, used, label) in &ctx.model.via {
        via.entry(*caller)
            .or_default()
            .push((*used, label.as_str()));
    }
    for f in &mut findings {
        for (used, label) in via.get(&f.primary).map(Vec::as_slice).unwrap_or_default() {
            if !f.secondary.iter().any(|(s, _)| s == used) {
                f.secondary.push((*used, (*label).to_owned()));
            }
        }
    }
    for f in &mut findings {
        if naming::is_cloudformation(f.resource.as_deref()) {
            f.message = naming::for_cloudformation(&f.message);
            f.help = f.help.as_deref().map(naming::for_cloudformation);
        }
    }
    sort_and_dedup(&mut findings);
    findings
}

fn run_checks(
    ctx: &RuleContext<'_>,
    selection: &Selection,
    suppression_rules: bool,
) -> Vec<Finding> {
    let (model, settings) = (ctx.model, ctx.settings);
    let mut findings = Vec::new();
    if !suppression_rules && !settings.user_rules.is_empty() {
        let view = condition::ModelView::new(model);
        for rule in &settings.user_rules {
            let name = rule.meta.name.as_str();
            if !selection.is_enabled(name) {
                continue;
            }
            let severity = settings
                .severity
                .get(name)
                .copied()
                .unwrap_or(rule.meta.severity);
            findings.extend(rule.check(model, &view).into_iter().map(|d| Finding {
                rule: rule.meta,
                severity,
                message: d.message,
                primary: d.primary,
                secondary: d.secondary,
                resource: d.resource,
                help: d.help,
            }));
        }
    }
    for (name, check) in REGISTRY {
        if SUPPRESSION_RULES.contains(name) != suppression_rules || !selection.is_enabled(name) {
            continue;
        }
        let Some(meta) = CATALOG.get(name) else {
            continue;
        };
        let configured = settings.severity.get(*name).copied();
        let mut diags = Vec::new();
        check(ctx, &mut diags);
        findings.extend(diags.into_iter().map(|d| Finding {
            rule: meta,
            severity: configured.or(d.severity).unwrap_or(meta.severity),
            message: d.message,
            primary: d.primary,
            secondary: d.secondary,
            help: match d.help_cfn {
                Some(cfn) if naming::is_cloudformation(d.resource.as_deref()) => Some(cfn),
                _ => d.help,
            },
            resource: d.resource,
        }));
    }
    findings
}

fn sort_and_dedup(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        (a.primary, a.rule.name.as_str(), &a.resource, &a.message).cmp(&(
            b.primary,
            b.rule.name.as_str(),
            &b.resource,
            &b.message,
        ))
    });
    // The same module instantiated twice with the same values gives identical findings.
    findings.dedup_by(|a, b| {
        a.primary == b.primary
            && a.rule.name == b.rule.name
            && a.message == b.message
            && a.resource == b.resource
    });
}
