//! `data-events-log-own-bucket`: a trail logs S3 write data events on a bucket that
//! receives trail logs: each delivery creates new events, a feedback loop.

use super::model_common::span_of;
use crate::model::Value;
use crate::rules::{Diag, RuleContext};
use crate::simulate::classes::EventClass;
use crate::simulate::selectors::Capture;

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let sim = ctx.sim;
    for (ti, t_sink) in sim.sinks.iter().enumerate() {
        if !t_sink.is_trail {
            continue;
        }
        let Some(region) = t_sink.home_region.clone() else {
            continue;
        };
        for u_sink in sim
            .sinks
            .iter()
            .filter(|u| u.is_trail && u.account == t_sink.account)
        {
            let u = &ctx.model.trails[u_sink.index];
            let Value::Known(bucket, _) = &u.s3_bucket_name else {
                continue;
            };
            // The bucket's owner: the account its declaration deploys to, else the trail's.
            let owner = ctx
                .model
                .buckets
                .iter()
                .find(|b| b.name.get() == Some(bucket))
                .and_then(|b| ctx.sources.get(b.origin.span.source))
                .and_then(|f| sim.context.deployment_of(&f.path).0)
                .unwrap_or_else(|| u_sink.account.clone());
            if owner != t_sink.account {
                continue;
            }
            let prefix = match &u.s3_key_prefix {
                Some(Value::Known(p, _)) if !p.is_empty() => format!("{p}/"),
                Some(Value::Unknown(_)) => continue,
                _ => String::new(),
            };
            let partition = u_sink.home_region.as_ref().map_or("aws", |r| r.partition());
            let arn = format!("arn:{partition}:s3:::{bucket}/{prefix}AWSLogs/123456789012/CloudTrail/{region}/x.json.gz");
            let class = EventClass::s3_object_write(arn);
            let cap = crate::simulate::captures(
                ctx.model,
                &sim.context,
                t_sink,
                &t_sink.account,
                &region,
                &class,
            );
            if cap != Capture::Full {
                continue;
            }
            let own = ti
                == sim
                    .sinks
                    .iter()
                    .position(|x| std::ptr::eq(x, u_sink))
                    .unwrap_or(usize::MAX);
            let whose = if own {
                "its own log bucket".to_owned()
            } else {
                format!("the log bucket of `{}`", u_sink.address)
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
