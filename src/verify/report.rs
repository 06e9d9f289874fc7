//! Renders a verify run: the human summary in the spirit of `validate-logs`, or JSON.
//!
//! Rendering never changes a verdict; it only reads [`Verdict`].
use super::chain::{FileKind, FileResult, Gap, Status, StreamReport};
use super::digest::fmt_time;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::io::{self, Write};

/// The whole run's result.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub trail_arn: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub streams: Vec<StreamReport>,
}

/// Counts per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub valid: usize,
    pub invalid: usize,
    pub unverified: usize,
}

impl Counts {
    fn total(self) -> usize {
        self.valid + self.invalid + self.unverified
    }
}

impl Verdict {
    fn results(&self) -> impl Iterator<Item = &FileResult> {
        self.streams.iter().flat_map(|s| s.results.iter())
    }

    fn gaps(&self) -> impl Iterator<Item = &Gap> {
        self.streams.iter().flat_map(|s| s.gaps.iter())
    }

    /// Counts for one kind of file.
    #[must_use]
    pub fn counts(&self, kind: FileKind) -> Counts {
        let mut c = Counts::default();
        for r in self.results().filter(|r| r.kind == kind) {
            match r.status {
                Status::Valid => c.valid += 1,
                Status::Invalid(..) => c.invalid += 1,
                Status::Unverified(_) => c.unverified += 1,
            }
        }
        c
    }

    /// True when every checked file is valid (nothing invalid, nothing unverified).
    #[must_use]
    pub fn all_valid(&self) -> bool {
        self.results().all(|r| r.status == Status::Valid)
    }

    fn found_range(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let mut range: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
        for (a, b) in self.streams.iter().filter_map(|s| s.valid_range) {
            range = Some(match range {
                None => (a, b),
                Some((x, y)) => (x.min(a), y.max(b)),
            });
        }
        range.map(|(a, b)| (a.max(self.start), b.min(self.end)))
    }
}

fn kind_label(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Digest => "Digest file",
        FileKind::BackfillDigest => "(backfill) Digest file",
        FileKind::Log => "Log file",
    }
}

/// The human report: valid lines (with `verbose`) to `out`, failures and gaps to `err`.
///
/// # Errors
/// Only write errors.
pub fn human(
    v: &Verdict,
    verbose: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        out,
        "Validating log files for trail {} between {} and {}\n",
        v.trail_arn,
        fmt_time(v.start),
        fmt_time(v.end)
    )?;
    for s in &v.streams {
        for r in &s.results {
            let uri = format!("s3://{}/{}", r.bucket, r.key);
            match &r.status {
                Status::Valid if verbose => writeln!(out, "{}\t{uri}\tvalid", kind_label(r.kind))?,
                Status::Valid => {}
                Status::Invalid(cat, msg) => writeln!(
                    err,
                    "{}\t{uri}\tINVALID: {msg} [{}]\n",
                    kind_label(r.kind),
                    category_name(*cat)
                )?,
                Status::Unverified(why) => {
                    writeln!(err, "{}\t{uri}\tUNVERIFIED: {why}\n", kind_label(r.kind))?;
                }
            }
        }
        for g in &s.gaps {
            writeln!(
                err,
                "No log files were delivered by CloudTrail between {} and {}\n",
                g.from, g.to
            )?;
        }
    }
    writeln!(
        out,
        "Results requested for {} to {}",
        fmt_time(v.start),
        fmt_time(v.end)
    )?;
    let digests = v.counts(FileKind::Digest);
    let backfill = v.counts(FileKind::BackfillDigest);
    if digests.total() + backfill.total() == 0 {
        writeln!(out, "No digests found")?;
        return Ok(());
    }
    match v.found_range() {
        Some((a, b)) => writeln!(
            out,
            "Results found for {} to {}:\n",
            fmt_time(a),
            fmt_time(b)
        )?,
        None => writeln!(out, "No valid digests found in range\n")?,
    }
    ratio_line(out, digests, "digest files")?;
    ratio_line(out, backfill, "backfill digest files")?;
    ratio_line(out, v.counts(FileKind::Log), "log files")?;
    let streams = v.streams.iter().filter(|s| !s.results.is_empty()).count();
    writeln!(out, "({streams} stream(s) by account and region)")?;
    Ok(())
}

fn ratio_line(out: &mut dyn Write, c: Counts, what: &str) -> io::Result<()> {
    let t = c.total();
    if t == 0 {
        return Ok(());
    }
    write!(out, "{}/{t} {what} valid", c.valid)?;
    if c.invalid > 0 {
        write!(out, ", {}/{t} {what} INVALID", c.invalid)?;
    }
    if c.unverified > 0 {
        write!(out, ", {}/{t} {what} UNVERIFIED", c.unverified)?;
    }
    writeln!(out)
}

/// The category's stable name (digest-format.md §5.2 plus trailcheck's own).
#[must_use]
pub fn category_name(c: super::chain::Category) -> String {
    match serde_json::to_value(c) {
        Ok(Value::String(s)) => s,
        _ => format!("{c:?}"),
    }
}

/// The JSON report (§7): every digest and log file with its status.
#[must_use]
pub fn json(v: &Verdict) -> Value {
    let results: Vec<Value> = v
        .results()
        .map(|r| {
            let mut o = json!({
                "type": r.kind,
                "bucket": r.bucket,
                "key": r.key,
            });
            match &r.status {
                Status::Valid => o["status"] = json!("valid"),
                Status::Invalid(cat, msg) => {
                    o["status"] = json!("invalid");
                    o["category"] = json!(cat);
                    o["message"] = json!(msg);
                }
                Status::Unverified(msg) => {
                    o["status"] = json!("unverified");
                    o["message"] = json!(msg);
                }
            }
            o
        })
        .collect();
    let count =
        |c: Counts| json!({"valid": c.valid, "invalid": c.invalid, "unverified": c.unverified});
    let range = v.found_range();
    json!({
        "schema": "trailcheck-verify/v1",
        "trail_arn": v.trail_arn,
        "start": fmt_time(v.start),
        "end": fmt_time(v.end),
        "results": results,
        "gaps": v.gaps().collect::<Vec<_>>(),
        "summary": {
            "all_valid": v.all_valid(),
            "found_from": range.map(|r| fmt_time(r.0)),
            "found_to": range.map(|r| fmt_time(r.1)),
            "streams": v.streams.iter().map(|s| s.stream.digest_folder()).collect::<Vec<_>>(),
            "digests": count(v.counts(FileKind::Digest)),
            "backfill_digests": count(v.counts(FileKind::BackfillDigest)),
            "logs": count(v.counts(FileKind::Log)),
        }
    })
}
