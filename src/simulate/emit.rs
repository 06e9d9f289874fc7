//! `simulate --emit`: turn the simulated trails into a realistic bucket mirror (gzip'd log
//! files with records of the events each trail captures, and signed, chained digests in
//! the AWS format) written by `verify::emit`, so pipelines and `trailcheck verify` can be
//! tested against what the repository's trails would really deliver.

use super::selectors::Capture;
use super::Simulation;
use crate::model::{Model, Value};
use crate::verify::emit::{EmitSpec, EventSpec, TrailSpec};

/// An account id for the ARNs when the deployment context names none.
const PLACEHOLDER_ACCOUNT: &str = "123456789012";

fn account_id(a: &str) -> String {
    if a.len() == 12 && a.chars().all(|c| c.is_ascii_digit()) {
        a.to_owned()
    } else {
        PLACEHOLDER_ACCOUNT.to_owned()
    }
}

/// Bucket names for trails whose bucket is unresolved: derived from the address.
fn fallback_bucket(address: &str) -> String {
    let s: String = address
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("trailcheck-emit-{}", s.trim_matches('-'))
        .chars()
        .take(63)
        .collect()
}

/// The trails of the simulation as generator input: each logging trail with the accounts
/// and regions it covers and the sample events it would capture.
#[must_use]
pub fn trail_specs(model: &Model, sim: &Simulation) -> Vec<TrailSpec> {
    let mut out = Vec::new();
    for (si, s) in sim.sinks.iter().enumerate() {
        if !s.is_trail || s.logging.is_false() {
            continue;
        }
        let t = &model.trails[s.index];
        let captured = |label: &str| {
            sim.cells.iter().any(|c| {
                sim.classes[c.class].label == label
                    && c.sinks
                        .iter()
                        .any(|(x, cap)| *x == si && *cap != Capture::None)
            })
        };
        let events: Vec<EventSpec> = EventSpec::management_defaults()
            .into_iter()
            .filter(|e| {
                let dir = if e.read_only { "read" } else { "write" };
                let label = match e.source.as_str() {
                    "kms.amazonaws.com" => format!("KMS {dir}"),
                    "iam.amazonaws.com" | "sts.amazonaws.com" | "signin.amazonaws.com" => {
                        format!("global {dir}")
                    }
                    _ => format!("mgmt {dir}"),
                };
                captured(&label)
            })
            .collect();
        let mut regions: Vec<String> = sim
            .cells
            .iter()
            .filter(|c| {
                c.sinks
                    .iter()
                    .any(|(x, cap)| *x == si && *cap != Capture::None)
            })
            .filter(|c| !sim.classes[c.class].global)
            .map(|c| c.region.to_string())
            .filter(|r| r != super::UNRESOLVED_REGION)
            .collect();
        regions.sort();
        regions.dedup();
        let home = s
            .home_region
            .as_ref()
            .map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
        if regions.is_empty() {
            regions.push(home.clone());
        }
        let accounts: Vec<String> = if s.organization && !sim.context.org_accounts.is_empty() {
            sim.context
                .org_accounts
                .iter()
                .map(|a| account_id(a))
                .collect()
        } else {
            vec![account_id(&s.account)]
        };
        let name = match &t.name {
            Value::Known(n, _) | Value::Defaulted(n) if !n.is_empty() => n.clone(),
            _ => fallback_bucket(&s.address).replace("trailcheck-emit-", ""),
        };
        let partition = s.home_region.as_ref().map_or("aws", |r| r.partition());
        out.push(TrailSpec {
            trail_arn: format!(
                "arn:{partition}:cloudtrail:{home}:{}:trail/{name}",
                account_id(&s.account)
            ),
            bucket: match &t.s3_bucket_name {
                Value::Known(b, _) if !b.is_empty() => b.clone(),
                _ => fallback_bucket(&s.address),
            },
            prefix: match &t.s3_key_prefix {
                Some(Value::Known(p, _)) if !p.is_empty() => Some(p.trim_matches('/').to_owned()),
                _ => None,
            },
            accounts,
            regions,
            org_id: s.organization.then(|| {
                sim.context
                    .org_id
                    .clone()
                    .unwrap_or_else(|| "o-exampleorgid".to_owned())
            }),
            events,
        });
    }
    out
}

/// The generator input for `hours` hours from `start`, signed with `key_pem`.
#[must_use]
pub fn spec(
    model: &Model,
    sim: &Simulation,
    start: chrono::DateTime<chrono::Utc>,
    hours: u32,
    key_pem: &str,
) -> EmitSpec {
    EmitSpec::new(trail_specs(model, sim), start, hours, key_pem)
}
