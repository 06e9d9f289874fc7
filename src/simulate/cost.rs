//! Monthly cost of what the simulated trails deliver, under a workload profile.
//!
//! Prices are the catalog's (cloudtrail-catalog.json `pricing`, US East list prices). The
//! first copy of each management event per account and region is free; every further copy
//! costs $2.00 per 100,000; data events cost $0.10 per 100,000 per copy; Insights cost
//! per event analysed. Every line says what it assumed.

use super::classes::Category;
use super::selectors::Capture;
use super::Simulation;
use crate::model::Model;
use serde::{Deserialize, Serialize};

/// Events per month in one account and region (global service events: per account).
/// The defaults describe a moderately busy production account; override them with
/// `--profile FILE` or `profile:` in `.trailcheck.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Profile {
    pub management_read: f64,
    pub management_write: f64,
    pub kms_read: f64,
    pub kms_write: f64,
    pub rdsdata_read: f64,
    pub rdsdata_write: f64,
    /// Per global service source (IAM, STS, CloudFront, sign-in, Route 53), in us-east-1.
    pub global_read: f64,
    pub global_write: f64,
    pub s3_data_read: f64,
    pub s3_data_write: f64,
    pub lambda_invoke: f64,
    pub dynamodb_read: f64,
    pub dynamodb_write: f64,
    /// Calls through the account's VPC endpoints (network activity events).
    pub network_activity: f64,
    /// Share of a class's volume assumed for a selector that captures part of it.
    pub partial_fraction: f64,
}

impl Default for Profile {
    fn default() -> Profile {
        Profile {
            management_read: 2_000_000.0,
            management_write: 300_000.0,
            kms_read: 1_000_000.0,
            kms_write: 5_000.0,
            rdsdata_read: 50_000.0,
            rdsdata_write: 50_000.0,
            global_read: 100_000.0,
            global_write: 5_000.0,
            s3_data_read: 20_000_000.0,
            s3_data_write: 5_000_000.0,
            lambda_invoke: 2_000_000.0,
            dynamodb_read: 5_000_000.0,
            dynamodb_write: 1_000_000.0,
            network_activity: 500_000.0,
            partial_fraction: 0.25,
        }
    }
}

/// $ per 100,000 events.
pub const PAID_MANAGEMENT_COPY: f64 = 2.0;
pub const DATA_EVENT: f64 = 0.10;
pub const INSIGHTS_MANAGEMENT: f64 = 0.35;

impl Profile {
    /// Monthly volume of one class in one account and region.
    #[must_use]
    pub fn volume(&self, class: &super::classes::EventClass) -> f64 {
        let r = class.read_only;
        match (class.category, class.event_source, class.global) {
            (Category::Management, _, true) => {
                if r {
                    self.global_read
                } else {
                    self.global_write
                }
            }
            (Category::Management, "kms.amazonaws.com", _) => {
                if r {
                    self.kms_read
                } else {
                    self.kms_write
                }
            }
            (Category::Management, "rdsdata.amazonaws.com", _) => {
                if r {
                    self.rdsdata_read
                } else {
                    self.rdsdata_write
                }
            }
            (Category::Management, _, _) => {
                if r {
                    self.management_read
                } else {
                    self.management_write
                }
            }
            (Category::Data, "s3.amazonaws.com", _) => {
                if r {
                    self.s3_data_read
                } else {
                    self.s3_data_write
                }
            }
            (Category::Data, "lambda.amazonaws.com", _) => self.lambda_invoke,
            (Category::Data, "dynamodb.amazonaws.com", _) => {
                if r {
                    self.dynamodb_read
                } else {
                    self.dynamodb_write
                }
            }
            (Category::NetworkActivity, _, _) => self.network_activity,
            _ => 0.0,
        }
    }

    fn fraction(&self, c: Capture) -> f64 {
        match c {
            Capture::Full => 1.0,
            Capture::Partial => self.partial_fraction,
            Capture::None | Capture::Unknown => 0.0,
        }
    }
}

/// One priced item.
#[derive(Debug, Clone, Serialize)]
pub struct CostLine {
    pub account: String,
    pub region: String,
    /// The sink that pays for it.
    pub sink: usize,
    /// `paid management copy`, `data events`, `insights`.
    pub item: &'static str,
    pub class: String,
    pub events: f64,
    pub usd: f64,
    pub assumption: String,
    /// For a paid management copy: the sink shown as holding the free copy.
    pub free_copy: Option<usize>,
}

/// Prices every cell of the simulation.
#[must_use]
pub fn compute(sim: &Simulation, model: &Model, profile: &Profile) -> Vec<CostLine> {
    let mut out = compute_raw(sim, model, profile);
    // Sub-cent float noise (1.0499999999999998) helps nobody reading the JSON.
    for l in &mut out {
        l.usd = (l.usd * 10_000.0).round() / 10_000.0;
    }
    out
}

fn compute_raw(sim: &Simulation, model: &Model, profile: &Profile) -> Vec<CostLine> {
    let mut out = Vec::new();
    for cell in &sim.cells {
        let class = &sim.classes[cell.class];
        let volume = profile.volume(class);
        let mut trails: Vec<(usize, Capture)> = cell
            .sinks
            .iter()
            .filter(|(s, c)| sim.sinks[*s].is_trail && c.any())
            .copied()
            .collect();
        // AWS does not say which copy is the free one; only the count matters for the bill.
        // The organization or multi-region trail is shown as the free copy, so the paid
        // copy lands on the trail a fix would remove.
        trails.sort_by_key(|(s, c)| {
            let k = &sim.sinks[*s];
            (
                *c != Capture::Full,
                !k.organization,
                !k.multi_region.is_true(),
                *s,
            )
        });
        match class.category {
            Category::Management => {
                // The first full copy is free; later copies are paid.
                for (n, (s, c)) in trails.iter().enumerate().skip(1) {
                    let events = volume * profile.fraction(*c);
                    out.push(CostLine {
                        account: cell.account.clone(),
                        region: cell.region.to_string(),
                        sink: *s,
                        item: "paid management copy",
                        free_copy: trails.first().map(|(f, _)| *f),
                        class: class.label.to_owned(),
                        events,
                        usd: events / 100_000.0 * PAID_MANAGEMENT_COPY,
                        assumption: format!(
                            "copy {} of {:.0} {} events/month (profile), ${PAID_MANAGEMENT_COPY:.2} per 100k",
                            n + 1,
                            volume,
                            class.label
                        ),
                    });
                }
            }
            Category::Data | Category::NetworkActivity => {
                for (s, c) in &trails {
                    let events = volume * profile.fraction(*c);
                    let partial = if *c == Capture::Partial {
                        format!(
                            ", {:.0}% of it (selector covers part of the class)",
                            profile.partial_fraction * 100.0
                        )
                    } else {
                        String::new()
                    };
                    out.push(CostLine {
                        account: cell.account.clone(),
                        region: cell.region.to_string(),
                        sink: *s,
                        item: "data events",
                        free_copy: None,
                        class: class.label.to_owned(),
                        events,
                        usd: events / 100_000.0 * DATA_EVENT,
                        assumption: format!("{volume:.0} {} events/month (profile){partial}, ${DATA_EVENT:.2} per 100k", class.label),
                    });
                }
            }
        }
        // Insights on management events: ApiCallRate analyses writes, ApiErrorRate reads
        // and writes; with both types a write is analysed twice.
        if class.is_regional_management() {
            for (s, c) in &trails {
                let sink = &sim.sinks[*s];
                let t = &model.trails[sink.index];
                let types: Vec<&str> = t
                    .insight_selectors
                    .iter()
                    .filter(|i| {
                        i.event_categories
                            .get()
                            .is_none_or(|c| c.iter().any(|x| x == "Management"))
                    })
                    .filter_map(|i| i.insight_type.get().map(String::as_str))
                    .collect();
                let mult = types
                    .iter()
                    .filter(|ty| match **ty {
                        "ApiCallRateInsight" => !class.read_only,
                        "ApiErrorRateInsight" => true,
                        _ => false,
                    })
                    .count();
                if mult == 0 {
                    continue;
                }
                #[expect(clippy::cast_precision_loss, reason = "at most two insight types")]
                let events = volume * profile.fraction(*c) * mult as f64;
                out.push(CostLine {
                    account: cell.account.clone(),
                    region: cell.region.to_string(),
                    sink: *s,
                    item: "insights",
                    free_copy: None,
                    class: class.label.to_owned(),
                    events,
                    usd: events / 100_000.0 * INSIGHTS_MANAGEMENT,
                    assumption: format!("{volume:.0} {} events analysed {mult}x, ${INSIGHTS_MANAGEMENT:.2} per 100k", class.label),
                });
            }
        }
    }
    out
}

/// The profile named by the config (`profile:` inline or a file path), or the defaults.
///
/// # Errors
/// When the profile file cannot be read or does not match the schema.
pub fn profile_from_config(config: Option<&crate::config::Config>) -> Result<Profile, String> {
    match config.and_then(|c| c.profile.as_ref().map(|p| (c, p))) {
        None => Ok(Profile::default()),
        Some((_, crate::config::ProfileRef::Inline(v))) => serde_json::from_value(v.clone())
            .map_err(|e| format!("invalid `profile` in .trailcheck.yaml: {e}")),
        Some((c, crate::config::ProfileRef::File(p))) => load_profile(&c.root.join(p)),
    }
}

/// Reads a profile file (YAML or JSON).
///
/// # Errors
/// When it cannot be read or does not match the schema.
pub fn load_profile(path: &std::path::Path) -> Result<Profile, String> {
    let text = crate::fsio::read_text_bounded(path, crate::fsio::SMALL_INPUT_LIMIT)
        .map_err(|e| format!("cannot read profile {}: {e}", path.display()))?;
    serde_saphyr::from_str(&text).map_err(|e| format!("invalid profile {}: {e}", path.display()))
}
