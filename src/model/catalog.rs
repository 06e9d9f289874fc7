//! CloudTrail facts from `cloudtrail-catalog.json` (the team's sourced reference, embedded
//! in the binary): data-event resource types, event categories, quotas.

use std::collections::HashSet;
use std::sync::LazyLock;

const CATALOG_JSON: &str = include_str!("cloudtrail-catalog.json");

pub struct Catalog {
    /// Every `resources.type` value CloudTrail knows for data events.
    pub data_resource_types: HashSet<String>,
    /// Types a basic event selector (`DataResources`) accepts.
    pub basic_data_resource_types: Vec<&'static str>,
    /// `eventCategory` values.
    pub event_categories: HashSet<String>,
    pub selectors_per_trail: usize,
    pub data_resource_values_per_trail: usize,
    pub advanced_values_per_trail: usize,
    pub trails_per_region: usize,
}

fn quota(j: &serde_json::Value, key: &str, default: usize) -> usize {
    let q = &j["quotas"][key];
    q.get("value")
        .and_then(serde_json::Value::as_u64)
        .or_else(|| q.as_u64())
        .and_then(|v| usize::try_from(v).ok())
        .unwrap_or(default)
}

pub static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let j: serde_json::Value =
        serde_json::from_str(CATALOG_JSON).unwrap_or(serde_json::Value::Null);
    let data_resource_types = j["data_event_resource_types"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t["type"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut event_categories: HashSet<String> = j["event_categories"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    // Event-data-store-only categories (cloudtrail-model.md §1).
    for c in ["ConfigurationItem", "Evidence", "ActivityAuditLog"] {
        event_categories.insert(c.to_owned());
    }
    Catalog {
        data_resource_types,
        basic_data_resource_types: vec![
            "AWS::S3::Object",
            "AWS::Lambda::Function",
            "AWS::DynamoDB::Table",
        ],
        event_categories,
        selectors_per_trail: quota(&j, "event_selectors_per_trail", 5),
        data_resource_values_per_trail: quota(&j, "data_resource_values_per_trail", 250),
        advanced_values_per_trail: quota(&j, "advanced_selector_condition_values_per_trail", 500),
        trails_per_region: quota(&j, "trails_per_region", 5),
    }
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_loads_resource_types_and_quotas() {
        assert!(CATALOG.data_resource_types.contains("AWS::S3::Object"));
        assert!(CATALOG.data_resource_types.len() >= 200);
        assert_eq!(CATALOG.selectors_per_trail, 5);
        assert_eq!(CATALOG.data_resource_values_per_trail, 250);
        assert_eq!(CATALOG.advanced_values_per_trail, 500);
        assert!(CATALOG.event_categories.contains("Management"));
    }
}
