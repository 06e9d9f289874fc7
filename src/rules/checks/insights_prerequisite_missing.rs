//! `insights-prerequisite-missing`: Insights selectors on a trail that does not log the
//! events they analyse.

use crate::model::{Trail, Value};
use crate::rules::{Diag, RuleContext};

/// (logs write management events, logs any management events, logs data events);
/// `None` when the selectors are not fully known.
fn logged(t: &Trail) -> Option<(bool, bool, bool)> {
    if t.selectors_unknown {
        return None;
    }
    if !t.advanced_event_selectors.is_empty() {
        let mut write = false;
        let mut any = false;
        let mut data = false;
        for s in &t.advanced_event_selectors {
            let mut category = None;
            let mut read_only: Option<Vec<String>> = None;
            for f in &s.field_selectors {
                match f.field.get().map(String::as_str) {
                    Some("eventCategory") => category = Some(f.equals.get()?.clone()),
                    Some("readOnly") => read_only = Some(f.equals.get()?.clone()),
                    None => return None,
                    _ => {}
                }
            }
            let cats = category.unwrap_or_default();
            if cats.iter().any(|c| c == "Management") {
                any = true;
                if read_only
                    .as_ref()
                    .is_none_or(|r| r.iter().any(|v| v == "false"))
                {
                    write = true;
                }
            }
            if cats.iter().any(|c| c == "Data") {
                data = true;
            }
        }
        return Some((write, any, data));
    }
    if t.event_selectors.is_empty() {
        return Some((true, true, false));
    }
    let mut write = false;
    let mut any = false;
    let mut data = false;
    for s in &t.event_selectors {
        let rw = s.read_write()?;
        if s.include_management_events.get().copied()? {
            any = true;
            write |= rw.includes_write();
        }
        data |= !s.data_resources.is_empty();
    }
    Some((write, any, data))
}

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    for t in &ctx.model.trails {
        if t.insight_selectors.is_empty() {
            continue;
        }
        let Some((write, any, data)) = logged(t) else {
            continue;
        };
        for i in &t.insight_selectors {
            let Some(kind) = i.insight_type.get() else {
                continue;
            };
            if matches!(i.event_categories, Value::Unknown(_)) {
                continue;
            }
            let cats = i.event_categories.get().cloned().unwrap_or_default();
            for cat in &cats {
                let problem = match (cat.as_str(), kind.as_str()) {
                    ("Management", "ApiCallRateInsight") if !write => {
                        Some("ApiCallRateInsight analyses write management events, but the trail logs none")
                    }
                    ("Management", "ApiErrorRateInsight") if !any => {
                        Some("ApiErrorRateInsight analyses management events, but the trail logs none")
                    }
                    ("Data", _) if !data => Some("Insights on data events need the trail to log data events, but it logs none"),
                    _ => None,
                };
                if let Some(p) = problem {
                    out.push(
                        Diag::new(i.insight_type.span().unwrap_or(i.span), format!("{p}: no Insights events will be produced"))
                            .resource(&t.origin.address)
                            .help("log the events the insight analyses (write management events for ApiCallRateInsight), or remove the insight selector"),
                    );
                }
            }
        }
    }
}
