//! Renders a verify run: the human summary in the spirit of `validate-logs`, or JSON.
//!
//! Rendering never changes a verdict; it only reads [`Verdict`].
use super::chain::{Category, FileKind, FileResult, Gap, Status, StreamReport};
use super::digest::fmt_time;
use chrono::{DateTime, Utc};
use serde::ser::{SerializeMap as _, Serializer};
use serde::Serialize;
use serde_json::{json, Value};
use std::io::{self, Write};

/// The whole run's result.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub trail_arn: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub streams: Vec<StreamReport>,
    /// Findings about the run or the store rather than one digest's files: objects
    /// refused while listing (a symlink out of the mirror), a cap reached.
    pub problems: Vec<Problem>,
}

/// A run-level finding; any makes the run not valid (exit 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub category: Category,
    pub bucket: String,
    /// The object or folder at fault; empty for the run as a whole.
    pub key: String,
    pub message: String,
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
        self.problems.is_empty() && self.results().all(|r| r.status == Status::Valid)
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
    for p in &v.problems {
        writeln!(
            err,
            "Problem\ts3://{}/{}\tINVALID: {} [{}]\n",
            p.bucket,
            p.key,
            p.message,
            category_name(p.category)
        )?;
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
        if !v.problems.is_empty() {
            writeln!(out, "{} problem(s) INVALID", v.problems.len())?;
        }
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
    if !v.problems.is_empty() {
        writeln!(out, "{} problem(s) INVALID", v.problems.len())?;
    }
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

/// The JSON report (§7) as a value (small runs and tests; [`write_json`] streams).
#[must_use]
pub fn json(v: &Verdict) -> Value {
    serde_json::to_value(JsonReport(v)).unwrap_or(Value::Null)
}

/// Writes the JSON report (§7), pretty-printed, without building it in memory first.
///
/// # Errors
/// Only write errors.
pub fn write_json(v: &Verdict, out: &mut dyn Write) -> io::Result<()> {
    let mut w = io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut w, &JsonReport(v)).map_err(io::Error::from)?;
    writeln!(w)?;
    w.flush()
}

/// The whole report: every digest and log file with its status.
struct JsonReport<'a>(&'a Verdict);

struct JsonResults<'a>(&'a Verdict);

struct JsonResult<'a>(&'a FileResult);

impl Serialize for JsonResult<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", &r.kind)?;
        m.serialize_entry("bucket", &r.bucket)?;
        m.serialize_entry("key", &r.key)?;
        match &r.status {
            Status::Valid => m.serialize_entry("status", "valid")?,
            Status::Invalid(cat, msg) => {
                m.serialize_entry("status", "invalid")?;
                m.serialize_entry("category", cat)?;
                m.serialize_entry("message", msg)?;
            }
            Status::Unverified(msg) => {
                m.serialize_entry("status", "unverified")?;
                m.serialize_entry("message", &**msg)?;
            }
        }
        m.end()
    }
}

impl Serialize for JsonResults<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.results().map(JsonResult))
    }
}

impl Serialize for JsonReport<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        let count =
            |c: Counts| json!({"valid": c.valid, "invalid": c.invalid, "unverified": c.unverified});
        let range = v.found_range();
        let problems: Vec<Value> = v
            .problems
            .iter()
            .map(|p| {
                json!({"category": p.category, "bucket": p.bucket, "key": p.key,
                       "message": p.message})
            })
            .collect();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("schema", "trailcheck-verify/v1")?;
        m.serialize_entry("trail_arn", &v.trail_arn)?;
        m.serialize_entry("start", &fmt_time(v.start))?;
        m.serialize_entry("end", &fmt_time(v.end))?;
        m.serialize_entry("results", &JsonResults(v))?;
        m.serialize_entry("gaps", &v.gaps().collect::<Vec<_>>())?;
        m.serialize_entry("problems", &problems)?;
        m.serialize_entry(
            "summary",
            &json!({
                "all_valid": v.all_valid(),
                "found_from": range.map(|r| fmt_time(r.0)),
                "found_to": range.map(|r| fmt_time(r.1)),
                "streams": v.streams.iter().map(|s| s.stream.digest_folder()).collect::<Vec<_>>(),
                "digests": count(v.counts(FileKind::Digest)),
                "backfill_digests": count(v.counts(FileKind::BackfillDigest)),
                "logs": count(v.counts(FileKind::Log)),
                "problems": v.problems.len(),
            }),
        )?;
        m.end()
    }
}
