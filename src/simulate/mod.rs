//! The simulated CloudTrail: a pure function of the model, the deployment context and a
//! workload profile. For every account × enabled region × event class it asks every trail
//! and event data store whether it captures the class (scope: logging, account,
//! organization, region, global service events; then basic or advanced selectors), and
//! prices what is delivered.
//!
//! Facts follow cloudtrail-model.md; modelling choices are listed in `docs/model.md`.

pub mod classes;
pub mod cost;
pub mod delivery;
pub mod emit;
pub mod render;
pub mod selectors;

use crate::config::Config;
use crate::model::deployment::Deployments;
use crate::model::{Model, Region, Value};
use crate::source::SourceMap;
use classes::EventClass;
use selectors::Capture;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The commercial regions that are enabled by default in every account.
pub const DEFAULT_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "sa-east-1",
];

/// Stands for the region when no trail's home region is known and no config lists any.
pub const UNRESOLVED_REGION: &str = "an unresolved region (pass --region)";

/// The account label used when the deployment context names none.
pub const THIS_ACCOUNT: &str = "this-account";

/// Accounts the configuration does not name are one per deployment unit and provider
/// credentials: `unit:<unit>` or `unit:<unit>|<credentials>`.
pub const UNIT_ACCOUNT: &str = "unit:";

/// The unknown account of one deployment unit and provider credentials.
#[must_use]
pub fn unit_account(unit: &str, scope: &str) -> String {
    if scope.is_empty() {
        format!("{UNIT_ACCOUNT}{unit}")
    } else {
        format!("{UNIT_ACCOUNT}{unit}|{scope}")
    }
}

/// Whether an account is not named by the configuration (so not an organization member
/// nor a management account as far as trailcheck knows).
#[must_use]
pub fn is_unknown_account(account: &str) -> bool {
    account == THIS_ACCOUNT || account.starts_with(UNIT_ACCOUNT)
}

/// The (unit, credentials) of an unknown unit account.
#[must_use]
pub fn unit_of_account(account: &str) -> Option<(&str, &str)> {
    let rest = account.strip_prefix(UNIT_ACCOUNT)?;
    Some(rest.split_once('|').unwrap_or((rest, "")))
}

/// Where the declared resources deploy and what the organization looks like.
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    /// Accounts in scope, management account first when known.
    pub accounts: Vec<String>,
    pub management_account: Option<String>,
    pub delegated_admins: Vec<String>,
    pub org_id: Option<String>,
    /// Members of the organization (all accounts but none when there is no organization).
    pub org_accounts: Vec<String>,
    pub regions: Vec<Region>,
    /// Enabled regions per account when they are inferred (no config lists them): the
    /// home regions of the account's own trails.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub account_regions: std::collections::BTreeMap<String, Vec<Region>>,
    /// Whether the accounts came from the configuration (unplaced resources then go to the
    /// first of them); otherwise each deployment unit is an unknown account of its own.
    #[serde(skip)]
    pub configured_accounts: bool,
    /// Whether the enabled regions are inferred from the trails' home regions.
    #[serde(skip)]
    pub regions_inferred: bool,
    /// What the model assumed because the configuration did not say.
    pub assumptions: Vec<String>,
    #[serde(skip)]
    deployments: Deployments,
    /// `org_accounts` as a set: membership is asked once per cell and sink.
    #[serde(skip)]
    org_set: std::collections::HashSet<String>,
}

impl Context {
    /// Builds the context from the config (if any) and the model's trails.
    #[must_use]
    pub fn new(config: Option<&Config>, model: &Model) -> Context {
        let mut assumptions = Vec::new();
        let mut accounts: Vec<String> = Vec::new();
        let push = |a: &str, accounts: &mut Vec<String>| {
            if !accounts.iter().any(|x| x == a) {
                accounts.push(a.to_owned());
            }
        };
        let org = config.and_then(|c| c.organization.as_ref());
        if let Some(o) = org {
            if let Some(m) = &o.management_account {
                push(m, &mut accounts);
            }
            for a in o.delegated_admins.iter().chain(&o.member_accounts) {
                push(a, &mut accounts);
            }
        }
        let mut deployments = Deployments::default();
        if let Some(c) = config {
            for a in c.deployments.iter().filter_map(|d| d.account.as_ref()) {
                push(a, &mut accounts);
            }
            // Config::load has checked the globs.
            deployments = Deployments::new(&c.deployment_list()).unwrap_or_default();
        }
        let mut org_accounts = Vec::new();
        if org.is_some() {
            org_accounts.clone_from(&accounts);
        }
        let explicit_regions = config.and_then(|c| c.regions.as_ref());
        let regions: Vec<Region> = match explicit_regions {
            Some(r) => {
                let mut v: Vec<Region> = if r.enabled.is_empty() {
                    DEFAULT_REGIONS.iter().map(|x| Region::new(*x)).collect()
                } else {
                    r.enabled.iter().map(|x| Region::new(x.clone())).collect()
                };
                v.extend(r.opt_in.iter().map(|x| Region::new(x.clone())));
                v.dedup();
                v
            }
            None if config.is_some() => {
                assumptions.push("enabled regions: the 17 commercial regions enabled by default (set `regions.enabled` to change)".into());
                DEFAULT_REGIONS.iter().map(|x| Region::new(*x)).collect()
            }
            None => {
                let mut v: Vec<Region> = model
                    .trails
                    .iter()
                    .filter_map(|t| t.region.get().cloned())
                    .collect();
                v.sort();
                v.dedup();
                if v.is_empty() && !model.trails.is_empty() {
                    // Selector questions can still be answered without knowing where.
                    v.push(Region::new(UNRESOLVED_REGION));
                }
                assumptions.push(format!(
                    "no .trailcheck.yaml: as enabled regions of each account only the home regions of its trails ({})",
                    v.iter().map(Region::as_str).collect::<Vec<_>>().join(", ")
                ));
                v
            }
        };
        let configured_accounts = !accounts.is_empty();
        if !configured_accounts {
            assumptions.push("no accounts configured: each Terraform root module and CloudFormation template is an account of its own, and inside a root each provider configuration with other credentials (`profile`, `assume_role`, `allowed_account_ids`) is another; map them to accounts with `deployments` in .trailcheck.yaml".into());
        }
        Context {
            accounts,
            management_account: org.and_then(|o| o.management_account.clone()),
            delegated_admins: org.map(|o| o.delegated_admins.clone()).unwrap_or_default(),
            org_id: org.and_then(|o| o.id.clone()),
            org_set: org_accounts.iter().cloned().collect(),
            org_accounts,
            regions,
            account_regions: std::collections::BTreeMap::new(),
            configured_accounts,
            regions_inferred: explicit_regions.is_none() && config.is_none(),
            assumptions,
            deployments,
        }
    }

    /// Whether an account is a member of the organization.
    #[must_use]
    pub fn is_org_member(&self, account: &str) -> bool {
        self.org_set.contains(account)
    }

    /// Whether a sink's trail or store covers an account: its own, or every member's for
    /// an organization trail.
    #[must_use]
    pub fn covers(&self, s: &Sink, account: &str) -> bool {
        s.account == account || (s.organization && self.is_org_member(account))
    }

    /// The enabled regions of an account.
    #[must_use]
    pub fn regions_of(&self, account: &str) -> &[Region] {
        self.account_regions
            .get(account)
            .map_or(self.regions.as_slice(), Vec::as_slice)
    }

    /// The deployment (account, region) of a file, from the first matching path glob.
    #[must_use]
    pub fn deployment_of(&self, path: &Path) -> (Option<String>, Option<Region>) {
        let placed = self.deployments.place(path);
        (
            placed.account.map(str::to_owned),
            placed.region.map(Region::new),
        )
    }
}

/// A trail or event data store, placed in an account.
#[derive(Debug, Clone, Serialize)]
pub struct Sink {
    pub address: String,
    /// The deployment unit (root module directory or template) it is declared in.
    pub unit: String,
    pub is_trail: bool,
    /// Index into `model.trails` or `model.event_data_stores`.
    pub index: usize,
    pub account: String,
    pub home_region: Option<Region>,
    pub multi_region: Value<bool>,
    pub organization: bool,
    pub logging: Value<bool>,
    pub include_global: Value<bool>,
}

/// Whether a sink's scope covers (account, region, class), before selectors.
fn scope(
    ctx: &Context,
    s: &Sink,
    account: &str,
    region: &Region,
    class: &EventClass,
    as_member: bool,
) -> Capture {
    let mut out = Capture::Full;
    match &s.logging {
        Value::Unknown(_) => out = Capture::Unknown,
        v if v.is_false() => return Capture::None,
        _ => {}
    }
    if !ctx.covers(s, account) && !as_member {
        return Capture::None;
    }
    let multi = match &s.multi_region {
        Value::Unknown(_) => None,
        v => Some(v.is_true()),
    };
    let home_is = |r: &str| s.home_region.as_ref().map(|h| h.as_str() == r);
    if class.global {
        // Global service events reach a trail that includes them and is multi-region or
        // homed in us-east-1 (cloudtrail-model.md §2.2). Event data stores receive them when
        // multi-region.
        let include = match &s.include_global {
            Value::Unknown(_) => return out.and(Capture::Unknown),
            v => v.is_true(),
        };
        if !include {
            return Capture::None;
        }
        return match (multi, home_is("us-east-1")) {
            (Some(true), _) | (_, Some(true)) => out,
            (Some(false), Some(false)) => Capture::None,
            _ => out.and(Capture::Unknown),
        };
    }
    match (multi, home_is(region.as_str())) {
        (Some(true), _) | (_, Some(true)) => out,
        (Some(false), Some(false)) => Capture::None,
        _ => out.and(Capture::Unknown),
    }
}

/// What one sink captures of one class in one account and region.
#[must_use]
pub fn captures(
    model: &Model,
    ctx: &Context,
    s: &Sink,
    account: &str,
    region: &Region,
    class: &EventClass,
) -> Capture {
    captures_in(model, ctx, s, account, region, class, false)
}

/// What a sink of another account would capture of `account` if it covered that account
/// (an organization trail, or a trail of another unit that may be in the same account):
/// coverage claims credit it, nothing else does.
#[must_use]
pub fn captures_as_member(
    model: &Model,
    ctx: &Context,
    s: &Sink,
    account: &str,
    region: &Region,
    class: &EventClass,
) -> Capture {
    captures_in(model, ctx, s, account, region, class, true)
}

fn captures_in(
    model: &Model,
    ctx: &Context,
    s: &Sink,
    account: &str,
    region: &Region,
    class: &EventClass,
    as_member: bool,
) -> Capture {
    let sc = scope(ctx, s, account, region, class, as_member);
    if sc == Capture::None {
        return sc;
    }
    let sel = if s.is_trail {
        let t = &model.trails[s.index];
        if t.selectors_unknown {
            Capture::Unknown
        } else if t.advanced_event_selectors.is_empty() {
            selectors::basic(&t.event_selectors, class)
        } else {
            selectors::advanced(&t.advanced_event_selectors, class)
        }
    } else {
        let e = &model.event_data_stores[s.index];
        if e.advanced_event_selectors.is_empty() {
            if class.category == classes::Category::Management {
                Capture::Full
            } else {
                Capture::None
            }
        } else {
            selectors::advanced(&e.advanced_event_selectors, class)
        }
    };
    // A scope that is only unresolved (an unknown home region) cannot turn a selector
    // that captures part of a class into a full capture.
    if sc == Capture::Unknown && sel == Capture::Partial {
        return Capture::Partial;
    }
    sc.and(sel)
}

/// One cell of the simulation: who captures a class in an account and region.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub account: String,
    pub region: Region,
    pub class: usize,
    /// (sink index, capture), only for sinks that capture something or are unknown.
    pub sinks: Vec<(usize, Capture)>,
}

/// The whole simulation result.
#[derive(Debug, Clone, Serialize)]
pub struct Simulation {
    pub context: Context,
    pub classes: Vec<EventClass>,
    pub sinks: Vec<Sink>,
    pub cells: Vec<Cell>,
    /// Addresses declared by more than one sink (the same address in two root modules).
    #[serde(skip)]
    pub duplicate_addresses: std::collections::HashSet<String>,
    /// The cells of each account, `cells[start..end]` (cells are built account by account).
    #[serde(skip)]
    pub account_cells: std::collections::HashMap<String, (usize, usize)>,
    /// The sinks declared for each account, and the organization sinks.
    #[serde(skip)]
    sinks_by_account: std::collections::HashMap<String, Vec<usize>>,
    #[serde(skip)]
    org_sinks: Vec<usize>,
}

impl Simulation {
    /// The cells of one account and region.
    pub fn cells_of<'a>(
        &'a self,
        account: &'a str,
        region: &'a Region,
    ) -> impl Iterator<Item = &'a Cell> + 'a {
        self.cells_of_account(account)
            .iter()
            .filter(move |c| &c.region == region)
    }

    /// The cells of one account.
    #[must_use]
    pub fn cells_of_account(&self, account: &str) -> &[Cell] {
        match self.account_cells.get(account) {
            Some(&(start, end)) => self.cells.get(start..end).unwrap_or(&[]),
            None => &[],
        }
    }

    /// Sinks that belong to (are declared for) an account.
    pub fn sinks_of<'a>(
        &'a self,
        account: &'a str,
    ) -> impl Iterator<Item = (usize, &'a Sink)> + 'a {
        self.sinks_by_account
            .get(account)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(move |&i| (i, &self.sinks[i]))
    }

    /// The sinks that belong to or cover an account (its own, and organization trails of
    /// which it is a member), in model order: without a scan of every sink.
    #[must_use]
    pub fn sinks_covering(&self, account: &str) -> Vec<usize> {
        let mut out: Vec<usize> = self.sinks_of(account).map(|(i, _)| i).collect();
        out.extend(
            self.org_sinks
                .iter()
                .copied()
                .filter(|&i| self.context.covers(&self.sinks[i], account)),
        );
        out.sort_unstable();
        out.dedup();
        out
    }
}

fn path_of(sources: &SourceMap, span: crate::source::Span) -> PathBuf {
    sources
        .get(span.source)
        .map(|f| f.path.clone())
        .unwrap_or_default()
}

impl Simulation {
    /// The best capture of a class by a sink across the regions of an account.
    #[must_use]
    pub fn capture(&self, sink: usize, account: &str, region: &Region, class: usize) -> Capture {
        self.cells_of_account(account)
            .iter()
            .find(|c| &c.region == region && c.class == class)
            .and_then(|c| {
                c.sinks
                    .iter()
                    .find(|(s, _)| *s == sink)
                    .map(|(_, cap)| *cap)
            })
            .unwrap_or(Capture::None)
    }

    /// Indexes of the classes with a given label.
    pub fn classes_labelled<'a>(&'a self, label: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.classes
            .iter()
            .enumerate()
            .filter(move |(_, c)| c.label == label)
            .map(|(i, _)| i)
    }

    /// Whether a sink receives global service events (trail flag and scope).
    #[must_use]
    pub fn receives_global(&self, sink: usize) -> bool {
        let s = &self.sinks[sink];
        self.cells_of_account(&s.account).iter().any(|c| {
            self.classes[c.class].global
                && c.sinks
                    .iter()
                    .any(|(x, cap)| *x == sink && *cap == Capture::Full)
                && c.account == s.account
        })
    }
}

/// Runs the simulation.
#[must_use]
pub fn run(model: &Model, sources: &SourceMap, ctx: Context) -> Simulation {
    let mut ctx = ctx;
    let mut sinks = Vec::new();
    let default_account = ctx.accounts.first().cloned();
    // A resource's account: the configuration's for its file (or, when the configuration
    // lists accounts, its first), else the unknown account of its unit and credentials.
    let account_of = |o: &crate::model::Origin, placed: Option<String>| {
        placed
            .or_else(|| default_account.clone())
            .unwrap_or_else(|| unit_account(&o.unit, &o.account_scope))
    };
    for (i, t) in model.trails.iter().enumerate() {
        let (account, region) = ctx.deployment_of(&path_of(sources, t.origin.span));
        sinks.push(Sink {
            address: t.origin.address.clone(),
            unit: t.origin.unit.clone(),
            is_trail: true,
            index: i,
            account: account_of(&t.origin, account),
            home_region: t.region.get().cloned().or(region),
            multi_region: t.is_multi_region_trail.clone(),
            organization: t.is_organization_trail.is_true(),
            logging: t.enable_logging.clone(),
            include_global: t.include_global_service_events.clone(),
        });
    }
    for (i, e) in model.event_data_stores.iter().enumerate() {
        let (account, region) = ctx.deployment_of(&path_of(sources, e.origin.span));
        sinks.push(Sink {
            address: e.origin.address.clone(),
            unit: e.origin.unit.clone(),
            is_trail: false,
            index: i,
            account: account_of(&e.origin, account),
            home_region: e.region.get().cloned().or(region),
            multi_region: e.multi_region_enabled.clone(),
            organization: e.organization_enabled.is_true(),
            logging: Value::Defaulted(true),
            include_global: e.multi_region_enabled.clone(),
        });
    }
    for s in &sinks {
        if !ctx.accounts.contains(&s.account) {
            ctx.accounts.push(s.account.clone());
        }
    }
    if ctx.accounts.is_empty() {
        ctx.accounts.push(THIS_ACCOUNT.to_owned());
    }
    // Inferred regions are per account: one unit's trail in eu-west-1 says nothing about
    // the regions another unit's account uses.
    if ctx.accounts.len() > 1 && ctx.regions_inferred {
        for account in &ctx.accounts {
            let mut v: Vec<Region> = sinks
                .iter()
                .filter(|s| &s.account == account)
                .filter_map(|s| s.home_region.clone())
                .collect();
            v.sort();
            v.dedup();
            if v.is_empty() {
                v.push(Region::new(UNRESOLVED_REGION));
            }
            ctx.account_regions.insert(account.clone(), v);
        }
    }
    if ctx.org_accounts.is_empty() && !ctx.configured_accounts && ctx.accounts.len() > 1 {
        ctx.assumptions.push("coverage questions (is a region, are global or S3 data events captured?) credit the trails of the other units, which may be in the same account, and organization trails, which cover every member account; duplicates, paid copies and quotas count only trails of one account".into());
    }
    let classes = classes::all();
    let mut cells = Vec::new();
    let us_east_1 = Region::new("us-east-1");
    let mut account_cells = std::collections::HashMap::new();
    for account in &ctx.accounts {
        let start = cells.len();
        // Only the account's own sinks and organization trails of its organization can
        // capture anything in it: with one account per unit, checking every sink in every
        // account would grow with the square of the checkout.
        let member = ctx.is_org_member(account);
        let candidates: Vec<(usize, &Sink)> = sinks
            .iter()
            .enumerate()
            .filter(|(_, s)| &s.account == account || (s.organization && member))
            .collect();
        for (ci, class) in classes.iter().enumerate() {
            let regions: Vec<&Region> = if class.global {
                vec![&us_east_1]
            } else {
                ctx.regions_of(account).iter().collect()
            };
            for region in regions {
                let captured: Vec<(usize, Capture)> = candidates
                    .iter()
                    .map(|&(si, s)| (si, captures(model, &ctx, s, account, region, class)))
                    .filter(|(_, c)| *c != Capture::None)
                    .collect();
                cells.push(Cell {
                    account: account.clone(),
                    region: region.clone(),
                    class: ci,
                    sinks: captured,
                });
            }
        }
        account_cells.insert(account.clone(), (start, cells.len()));
    }
    let mut seen = std::collections::HashSet::new();
    let duplicate_addresses = sinks
        .iter()
        .filter(|s| !seen.insert(s.address.clone()))
        .map(|s| s.address.clone())
        .collect();
    let mut sinks_by_account: std::collections::HashMap<String, Vec<usize>> =
        std::collections::HashMap::new();
    for (i, s) in sinks.iter().enumerate() {
        sinks_by_account
            .entry(s.account.clone())
            .or_default()
            .push(i);
    }
    let org_sinks = (0..sinks.len())
        .filter(|&i| sinks[i].organization)
        .collect();
    Simulation {
        context: ctx,
        classes,
        sinks,
        cells,
        duplicate_addresses,
        account_cells,
        sinks_by_account,
        org_sinks,
    }
}
