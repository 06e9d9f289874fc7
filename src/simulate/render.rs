//! `trailcheck simulate` output: assumptions, the coverage matrix, a per-trail summary and
//! the monthly cost, as human text, JSON or Markdown.

use super::classes::COLUMNS;
use super::cost::{self, CostLine};
use super::selectors::Capture;
use super::Simulation;
use crate::model::{Model, Value};
use serde::Serialize;
use std::fmt::Write as _;

/// One row of the coverage matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub account: String,
    pub region: String,
    /// Per column: the sinks that capture it, each marked `~` when partial, `?` when unknown.
    pub cells: Vec<Vec<String>>,
}

/// A short label for table cells: the resource name within its innermost module.
fn short(address: &str) -> String {
    let a = address
        .replace("aws_cloudtrail_event_data_store.", "eds:")
        .replace("aws_cloudtrail.", "");
    a.rsplit("module.").next().unwrap_or(&a).to_owned()
}

fn mark(name: &str, c: Capture) -> String {
    match c {
        Capture::Partial => format!("{name}~"),
        Capture::Unknown => format!("{name}?"),
        _ => name.to_owned(),
    }
}

/// The coverage matrix: regional rows per account, then the account's global row.
#[must_use]
pub fn matrix(sim: &Simulation) -> (Vec<&'static str>, Vec<Row>) {
    let mut rows = Vec::new();
    for account in &sim.context.accounts {
        for region in sim.context.regions_of(account) {
            let cells = COLUMNS
                .iter()
                .map(|col| {
                    let mut names: Vec<String> = sim
                        .cells_of(account, region)
                        .filter(|c| {
                            sim.classes[c.class].label == *col && !sim.classes[c.class].global
                        })
                        .flat_map(|c| {
                            c.sinks
                                .iter()
                                .map(|(s, cap)| mark(&short(&sim.sinks[*s].address), *cap))
                        })
                        .collect();
                    names.sort();
                    names.dedup();
                    names
                })
                .collect();
            rows.push(Row {
                account: account.clone(),
                region: region.to_string(),
                cells,
            });
        }
        // Only the first two columns (read, write) apply to global service events.
        let mut global: Vec<Vec<String>> = (0..COLUMNS.len())
            .map(|i| {
                if i < 2 {
                    Vec::new()
                } else {
                    vec!["n/a".to_owned()]
                }
            })
            .collect();
        for c in sim
            .cells_of_account(account)
            .iter()
            .filter(|c| sim.classes[c.class].global)
        {
            let col = usize::from(!sim.classes[c.class].read_only);
            for (s, cap) in &c.sinks {
                let n = mark(&short(&sim.sinks[*s].address), *cap);
                if !global[col].contains(&n) {
                    global[col].push(n);
                }
            }
        }
        rows.push(Row {
            account: account.clone(),
            region: "global (us-east-1)".into(),
            cells: global,
        });
    }
    (COLUMNS.to_vec(), rows)
}

/// What each sink captures, in words (one pass over the cells).
fn captured_classes(sim: &Simulation) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = vec![Vec::new(); sim.sinks.len()];
    for c in &sim.cells {
        for (s, cap) in &c.sinks {
            if cap.any() {
                let label = sim.classes[c.class].label;
                let l = if *cap == Capture::Partial {
                    format!("{label} (partial)")
                } else {
                    label.to_owned()
                };
                if !out[*s].contains(&l) {
                    out[*s].push(l);
                }
            }
        }
    }
    out
}

fn delivery(model: &Model, sim: &Simulation, sink: usize) -> String {
    let s = &sim.sinks[sink];
    if !s.is_trail {
        return "CloudTrail Lake event data store".into();
    }
    let t = &model.trails[s.index];
    let bucket = match &t.s3_bucket_name {
        Value::Known(b, _) | Value::Defaulted(b) => b.clone(),
        Value::Unknown(u) => u.partial.clone().unwrap_or_else(|| format!("<{}>", u.expr)),
    };
    let prefix = match &t.s3_key_prefix {
        Some(Value::Known(p, _)) => format!("{p}/"),
        Some(_) => "<prefix>/".into(),
        None => String::new(),
    };
    let org = if s.organization {
        sim.context
            .org_id
            .clone()
            .map_or_else(|| "<org-id>/".to_owned(), |o| format!("{o}/"))
    } else {
        String::new()
    };
    format!(
        "s3://{bucket}/{prefix}AWSLogs/{org}<account>/CloudTrail/<region>/ — {}",
        super::delivery::describe(model, t)
    )
}

fn money(x: f64) -> String {
    format!("${:.2}", if x.abs() < 0.005 { 0.0 } else { x })
}

#[derive(Serialize)]
struct TrailSummary {
    address: String,
    account: String,
    home_region: Option<String>,
    multi_region: Option<bool>,
    organization: bool,
    logging: Option<bool>,
    captures: Vec<String>,
    delivers_to: String,
    monthly_cost_usd: f64,
}

fn summaries(model: &Model, sim: &Simulation, costs: &[CostLine]) -> Vec<TrailSummary> {
    let mut captured = captured_classes(sim);
    let mut per_sink = vec![0.0_f64; sim.sinks.len()];
    for l in costs {
        if let Some(x) = per_sink.get_mut(l.sink) {
            *x += l.usd;
        }
    }
    sim.sinks
        .iter()
        .enumerate()
        .map(|(i, s)| TrailSummary {
            address: s.address.clone(),
            account: s.account.clone(),
            home_region: s.home_region.as_ref().map(ToString::to_string),
            multi_region: s.multi_region.get().copied(),
            organization: s.organization,
            logging: s.logging.get().copied(),
            captures: std::mem::take(&mut captured[i]),
            delivers_to: delivery(model, sim, i),
            monthly_cost_usd: (per_sink[i] * 100.0).round() / 100.0,
        })
        .collect()
}

/// Cost totals by (account, region, item).
fn cost_table(costs: &[CostLine]) -> Vec<(String, String, &'static str, f64, f64)> {
    let mut t: Vec<(String, String, &'static str, f64, f64)> = Vec::new();
    // Row of each key, so that thousands of accounts do not make this quadratic.
    let mut row: std::collections::HashMap<(&str, &str, &str), usize> =
        std::collections::HashMap::new();
    for l in costs {
        match row.get(&(l.account.as_str(), l.region.as_str(), l.item)) {
            Some(&i) => {
                t[i].3 += l.events;
                t[i].4 += l.usd;
            }
            None => {
                row.insert((&l.account, &l.region, l.item), t.len());
                t.push((l.account.clone(), l.region.clone(), l.item, l.events, l.usd));
            }
        }
    }
    t
}

#[must_use]
pub fn human(
    model: &Model,
    sim: &Simulation,
    costs: &[CostLine],
    profile: &cost::Profile,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Simulated CloudTrail: {} trail(s)/event data store(s), {} account(s), {} region(s)",
        sim.sinks.len(),
        sim.context.accounts.len(),
        sim.context.regions.len()
    );
    for a in &sim.context.assumptions {
        let _ = writeln!(s, "  assumption: {a}");
    }
    let (cols, rows) = matrix(sim);
    let _ = writeln!(s, "\nCoverage (cells: trails that capture; `~` part of the class, `?` unresolved, `-` nobody):\n");
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            rows.iter()
                .map(|r| r.cells[i].join(",").len().max(1))
                .max()
                .unwrap_or(1)
                .max(c.len())
        })
        .collect();
    let first = rows
        .iter()
        .map(|r| r.account.len() + r.region.len() + 1)
        .max()
        .unwrap_or(10)
        .max(14);
    let _ = write!(s, "{:<first$}", "account/region");
    for (c, w) in cols.iter().zip(&widths) {
        let _ = write!(s, "  {c:<w$}");
    }
    s.push('\n');
    for r in &rows {
        let _ = write!(s, "{:<first$}", format!("{}/{}", r.account, r.region));
        for (cell, w) in r.cells.iter().zip(&widths) {
            let text = if cell.is_empty() {
                "-".to_owned()
            } else {
                cell.join(",")
            };
            let _ = write!(s, "  {text:<w$}");
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "(global row: column 1 = global service read events, column 2 = write events)"
    );
    let _ = writeln!(s, "\nTrails:\n");
    for t in summaries(model, sim, costs) {
        let scope = match (t.multi_region, t.organization) {
            (Some(true), true) => "multi-region organization trail",
            (Some(true), false) => "multi-region",
            (Some(false), true) => "single-region organization trail",
            (Some(false), false) => "single-region",
            (None, _) => "region scope unresolved",
        };
        let _ = writeln!(
            s,
            "  {} — account {}, home {}, {scope}{}",
            t.address,
            t.account,
            t.home_region.as_deref().unwrap_or("<unresolved>"),
            match t.logging {
                Some(false) => ", NOT LOGGING",
                None => ", logging unresolved",
                _ => "",
            }
        );
        let _ = writeln!(
            s,
            "    captures: {}",
            if t.captures.is_empty() {
                "nothing".to_owned()
            } else {
                t.captures.join(", ")
            }
        );
        let _ = writeln!(s, "    delivers: {}", t.delivers_to);
        let _ = writeln!(s, "    cost:     {}/month", money(t.monthly_cost_usd));
    }
    let _ = writeln!(s, "\nMonthly cost (CloudTrail charges only; S3, KMS and CloudWatch Logs are billed separately):\n");
    let table = cost_table(costs);
    if table.is_empty() {
        let _ = writeln!(s, "  $0.00 — one free copy of management events per account and region, no data events or Insights");
    }
    for (a, r, item, events, usd) in &table {
        let _ = writeln!(
            s,
            "  {a}/{r:<20} {item:<22} {events:>14.0} events  {:>10}",
            money(*usd)
        );
    }
    let total: f64 = costs.iter().map(|l| l.usd).sum();
    let _ = writeln!(s, "  total: {}/month", money(total));
    let _ = writeln!(
        s,
        "  profile: management {:.0} read + {:.0} write, S3 data {:.0} read + {:.0} write, Lambda {:.0} invokes per account and region per month (override with --profile)",
        profile.management_read, profile.management_write, profile.s3_data_read, profile.s3_data_write, profile.lambda_invoke
    );
    s
}

#[must_use]
pub fn markdown(model: &Model, sim: &Simulation, costs: &[CostLine]) -> String {
    let mut s = String::from("## trailcheck simulate\n\n");
    for a in &sim.context.assumptions {
        let _ = writeln!(s, "> assumption: {a}");
    }
    let (cols, rows) = matrix(sim);
    let _ = writeln!(
        s,
        "\n### Coverage\n\n| account/region | {} |",
        cols.join(" | ")
    );
    let _ = writeln!(s, "|---|{}", "---|".repeat(cols.len()));
    for r in &rows {
        let cells: Vec<String> = r
            .cells
            .iter()
            .map(|c| {
                if c.is_empty() {
                    "**gap**".to_owned()
                } else {
                    c.join(", ").replace('~', "\\~")
                }
            })
            .collect();
        let _ = writeln!(s, "| {}/{} | {} |", r.account, r.region, cells.join(" | "));
    }
    let _ = writeln!(s, "\n### Trails\n\n| trail | account | home | captures | delivers to | cost/month |\n|---|---|---|---|---|---|");
    for t in summaries(model, sim, costs) {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | `{}` | {} |",
            t.address,
            t.account,
            t.home_region.as_deref().unwrap_or("?"),
            t.captures.join(", "),
            t.delivers_to,
            money(t.monthly_cost_usd)
        );
    }
    let total: f64 = costs.iter().map(|l| l.usd).sum();
    let _ = writeln!(s, "\n**Estimated CloudTrail cost: {}/month**", money(total));
    s
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    schema: &'static str,
    version: &'static str,
    context: &'a super::Context,
    columns: Vec<&'static str>,
    coverage: Vec<Row>,
    trails: Vec<TrailSummary>,
    cost: &'a [CostLine],
    total_monthly_usd: f64,
    profile: &'a cost::Profile,
}

#[must_use]
pub fn json(
    model: &Model,
    sim: &Simulation,
    costs: &[CostLine],
    profile: &cost::Profile,
) -> String {
    let (columns, coverage) = matrix(sim);
    let doc = JsonDoc {
        schema: "trailcheck-simulate/v1",
        version: env!("CARGO_PKG_VERSION"),
        context: &sim.context,
        columns,
        coverage,
        trails: summaries(model, sim, costs),
        cost: costs,
        total_monthly_usd: (costs.iter().map(|l| l.usd).sum::<f64>() * 100.0).round() / 100.0,
        profile,
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
