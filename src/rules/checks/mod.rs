//! One file per Rust-backed rule, named after the rule.

pub(crate) mod bucket_policy_blocks_delivery;
pub(crate) mod cloudwatch_logs_misconfigured;
pub(crate) mod cloudwatch_logs_not_integrated;
pub(crate) mod event_selectors_conflict;
pub(crate) mod insights_prerequisite_missing;
pub(crate) mod kms_policy_blocks_delivery;
pub(crate) mod log_bucket_access_logging_disabled;
pub(crate) mod log_bucket_not_protected;
pub(crate) mod log_bucket_publicly_accessible;
pub(crate) mod log_file_validation_disabled;
pub(crate) mod log_retention_short;
pub(crate) mod logs_not_kms_encrypted;
pub(crate) mod org_trail_single_region;
pub(crate) mod parse_error;
pub(crate) mod selector_matches_nothing;
pub(crate) mod selector_quota_exceeded;
pub(crate) mod sns_notifications_missing;
pub(crate) mod suppression_missing_reason;
pub(crate) mod suppression_unused;
pub(crate) mod trail_change_alarm_missing;
pub(crate) mod trail_logging_disabled;
pub(crate) mod trail_single_region;
pub(crate) mod unresolved_value;
