//! CloudWatch Logs filter patterns: any text must parse or give an error, and evaluating
//! what parses against a CloudTrail event must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailcheck::model::filter_pattern::{parse, Event, Field};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = parse(text) {
            let mut ev = Event::default();
            ev.fields
                .insert("eventName".into(), Field::Str("StopLogging".into()));
            ev.fields.insert("readOnly".into(), Field::Bool(false));
            ev.fields.insert("a.b".into(), Field::Null);
            ev.complete.push("errorCode".into());
            let _ = p.eval(&ev);
        }
    }
});
