//! `data-events-log-own-bucket`: a trail logs S3 write data events on a bucket that
//! receives trail logs: each delivery creates new events, a feedback loop.

use super::model_common::span_of;
use crate::model::Value;
use crate::rules::{Diag, RuleContext};
use crate::simulate::classes::EventClass;
use crate::simulate::selectors::Capture;
use std::collections::{BTreeMap, HashMap};

/// A place trails deliver to: (owner account, bucket, key prefix) → the trails using it.
type Destinations = BTreeMap<(String, String, String), Vec<usize>>;

fn destinations(ctx: &RuleContext<'_>) -> Destinations {
    let sim = ctx.sim;
    // The owner of a bucket declared in the repo is the account its file deploys to.
    let mut owners: HashMap<&str, String> = HashMap::new();
    for b in &ctx.model.buckets {
        if let Some(name) = b.name.known() {
            if let Some(acct) = ctx
                .sources
                .get(b.origin.span.source)
                .and_then(|f| sim.context.deployment_of(&f.path).0)
            {
                owners.insert(name.as_str(), acct);
            }
        }
    }
    let mut out: Destinations = BTreeMap::new();
    for (ui, u_sink) in sim.sinks.iter().enumerate().filter(|(_, s)| s.is_trail) {
        let u = &ctx.model.trails[u_sink.index];
        let Value::Known(bucket, _) = &u.s3_bucket_name else {
            continue;
        };
        let prefix = match &u.s3_key_prefix {
            Some(Value::Known(p, _)) if !p.is_empty() => format!("{p}/"),
            Some(Value::Unknown(_)) => continue,
            _ => String::new(),
        };
        let owner = owners
            .get(bucket.as_str())
            .cloned()
            .unwrap_or_else(|| u_sink.account.clone());
        out.entry((owner, bucket.clone(), prefix))
            .or_default()
            .push(ui);
    }
    out
}

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let sim = ctx.sim;
    // Only trails that log some S3 write data events can loop.
    let Some(s3_write) = sim.classes.iter().position(|c| c.label == "S3 data write") else {
        return;
    };
    let mut writers: Vec<usize> = sim
        .cells
        .iter()
        .filter(|c| c.class == s3_write)
        .flat_map(|c| {
            c.sinks
                .iter()
                .filter(|(_, cap)| cap.any() || *cap == Capture::Unknown)
                .map(|(s, _)| *s)
        })
        .filter(|&s| sim.sinks[s].is_trail)
        .collect();
    writers.sort_unstable();
    writers.dedup();
    if writers.is_empty() {
        return;
    }
    let dests = destinations(ctx);
    for ti in writers {
        let t_sink = &sim.sinks[ti];
        let Some(region) = t_sink.home_region.clone() else {
            continue;
        };
        for ((owner, bucket, prefix), users) in &dests {
            if owner != &t_sink.account {
                continue;
            }
            let partition = region.partition();
            let arn = format!("arn:{partition}:s3:::{bucket}/{prefix}AWSLogs/123456789012/CloudTrail/{region}/x.json.gz");
            let class = EventClass::s3_object_write(arn);
            if crate::simulate::captures(
                ctx.model,
                &sim.context,
                t_sink,
                &t_sink.account,
                &region,
                &class,
            ) != Capture::Full
            {
                continue;
            }
            let whose = if users.contains(&ti) {
                "its own log bucket".to_owned()
            } else {
                format!(
                    "the log bucket of {}",
                    super::model_common::label(ctx, users[0])
                )
            };
            let t = &ctx.model.trails[t_sink.index];
            let span = t
                .event_selectors
                .iter()
                .flat_map(|s| s.data_resources.iter().map(|d| d.span))
                .next()
                .or_else(|| t.advanced_event_selectors.first().map(|s| s.span))
                .unwrap_or_else(|| span_of(ctx, t_sink));
            out.push(
                Diag::new(
                    span,
                    format!(
                        "`{}` logs S3 write data events on `{bucket}`, {whose}: every log delivery is a PutObject that becomes a new data event, a feedback loop that grows cost with itself",
                        t_sink.address
                    ),
                )
                .resource(&t_sink.address)
                .help(format!("exclude the bucket with an advanced selector (`resources.ARN` NotStartsWith `arn:{partition}:s3:::{bucket}/`), or deliver logs to a bucket in another account")),
            );
        }
    }
}
