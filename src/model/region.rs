//! AWS regions and partitions.

use serde::Serialize;
use std::fmt;

/// An AWS region code such as `us-east-1`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Region(pub String);

impl Region {
    #[must_use]
    pub fn new(code: impl Into<String>) -> Region {
        Region(code.into())
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The partition a region belongs to, from its code.
    #[must_use]
    pub fn partition(&self) -> &'static str {
        if self.0.starts_with("cn-") {
            "aws-cn"
        } else if self.0.starts_with("us-gov-") {
            "aws-us-gov"
        } else if self.0.starts_with("us-iso-") {
            "aws-iso"
        } else if self.0.starts_with("us-isob-") {
            "aws-iso-b"
        } else {
            "aws"
        }
    }

    /// Whether this is the region where a partition records global service events
    /// (us-east-1 for `aws`; unknown for other partitions, see the model doc §11).
    #[must_use]
    pub fn is_global_events_region(&self) -> bool {
        self.0 == "us-east-1"
    }

    /// Whether the code has the shape of a region (`xx-word-N`).
    #[must_use]
    pub fn looks_valid(code: &str) -> bool {
        let parts: Vec<&str> = code.split('-').collect();
        parts.len() >= 3
            && parts.iter().all(|p| !p.is_empty())
            && parts
                .last()
                .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
            && code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    }
}

/// Shown as a short, escaped excerpt: a region can be any evaluated string.
impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::excerpt(&self.0))
    }
}
