//! Findings speak the language of the file they point at: checks word their messages with
//! Terraform attribute names, and findings on CloudFormation resources get the property
//! names instead (`IsMultiRegionTrail`, not `is_multi_region_trail`).
//!
//! A finding is about a CloudFormation resource when its resource is a logical id:
//! CloudFormation logical ids are alphanumeric, Terraform addresses always contain a dot.

/// Terraform name → CloudFormation name (cloudtrail-catalog.json `terraform_cfn_field_map`,
/// plus the companion resources the checks mention).
const NAMES: &[(&str, &str)] = &[
    ("is_multi_region_trail", "IsMultiRegionTrail"),
    ("is_organization_trail", "IsOrganizationTrail"),
    (
        "include_global_service_events",
        "IncludeGlobalServiceEvents",
    ),
    ("enable_log_file_validation", "EnableLogFileValidation"),
    ("enable_logging", "IsLogging"),
    ("kms_key_id", "KMSKeyId"),
    ("cloud_watch_logs_group_arn", "CloudWatchLogsLogGroupArn"),
    ("cloud_watch_logs_role_arn", "CloudWatchLogsRoleArn"),
    ("sns_topic_name", "SnsTopicName"),
    ("s3_key_prefix", "S3KeyPrefix"),
    ("s3_bucket_name", "S3BucketName"),
    ("advanced_event_selector", "AdvancedEventSelectors"),
    ("event_selector", "EventSelectors"),
    ("include_management_events", "IncludeManagementEvents"),
    ("read_write_type", "ReadWriteType"),
    (
        "exclude_management_event_sources",
        "ExcludeManagementEventSources",
    ),
    ("data_resource", "DataResources"),
    ("data_resource.type", "DataResources.Type"),
    ("data_resource.values", "DataResources.Values"),
    ("field_selector.field", "FieldSelectors.Field"),
    ("field_selector.equals", "FieldSelectors.Equals"),
    ("field_selector.not_equals", "FieldSelectors.NotEquals"),
    ("field_selector.starts_with", "FieldSelectors.StartsWith"),
    (
        "field_selector.not_starts_with",
        "FieldSelectors.NotStartsWith",
    ),
    ("field_selector.ends_with", "FieldSelectors.EndsWith"),
    ("field_selector.not_ends_with", "FieldSelectors.NotEndsWith"),
    ("insight_selector", "InsightSelectors"),
    ("retention_in_days", "RetentionInDays"),
    ("block_public_acls", "BlockPublicAcls"),
    ("block_public_policy", "BlockPublicPolicy"),
    ("ignore_public_acls", "IgnorePublicAcls"),
    ("restrict_public_buckets", "RestrictPublicBuckets"),
    ("log_group_name", "LogGroupName"),
    (
        "aws_s3_bucket_public_access_block",
        "PublicAccessBlockConfiguration",
    ),
    ("aws_s3_bucket_logging", "LoggingConfiguration"),
    ("aws_s3_bucket_versioning", "VersioningConfiguration"),
    ("aws_s3_bucket_policy", "AWS::S3::BucketPolicy"),
    (
        "aws_cloudwatch_log_metric_filter",
        "AWS::Logs::MetricFilter",
    ),
    ("aws_cloudwatch_metric_alarm", "AWS::CloudWatch::Alarm"),
];

/// The CloudFormation names the Terraform ones are rewritten to (for tests that check a
/// Terraform finding names none of them).
#[must_use]
pub fn cloudformation_names() -> Vec<&'static str> {
    NAMES.iter().map(|(_, cfn)| *cfn).collect()
}

/// Whether a finding's resource is a CloudFormation logical id.
#[must_use]
pub fn is_cloudformation(resource: Option<&str>) -> bool {
    // With several deployment units the address starts with its unit: `t.yaml: Trail`.
    let local = |r: &str| r.rsplit_once(": ").map_or(r, |(_, a)| a).to_owned();
    resource
        .map(local)
        .is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Rewrites Terraform names in backticks (`name` and `name = value`) to CloudFormation's.
#[must_use]
pub fn for_cloudformation(text: &str) -> String {
    // The patterns, built once: this runs for every finding on a template.
    static PATTERNS: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        NAMES
            .iter()
            .flat_map(|(tf, cfn)| {
                [
                    (format!("`{tf} = "), format!("`{cfn}: ")),
                    (format!("`{tf}`"), format!("`{cfn}`")),
                ]
            })
            .collect()
    });
    let mut out = text.to_owned();
    if !out.contains('`') {
        return out;
    }
    for (from, to) in patterns {
        if out.contains(from.as_str()) {
            out = out.replace(from.as_str(), to);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_names_become_property_names() {
        assert_eq!(
            for_cloudformation(
                "`is_multi_region_trail` is false; set `is_multi_region_trail = true`"
            ),
            "`IsMultiRegionTrail` is false; set `IsMultiRegionTrail: true`"
        );
        assert!(is_cloudformation(Some("Trail")));
        assert!(!is_cloudformation(Some("aws_cloudtrail.main")));
        assert!(!is_cloudformation(None));
    }
}
