//! A time budget for parsers we do not own.
//!
//! hcl-edit's parser backtracks exponentially on some hostile inputs: 300 bytes of nested
//! `{` among chains of unary minus take over a second in a release build, and the time
//! roughly triples with every 30 bytes more of that shape (see
//! `fixtures/fuzz-regressions/README.md`). A parser cannot be interrupted, so each parse
//! runs on a helper thread and the caller waits at most [`parse_budget_for`] the text's
//! size. A parse that overruns is abandoned: its thread keeps running until it finishes
//! or the process exits, and the file is reported as a parse error so the run goes on
//! with the other files.
//!
//! Each calling thread keeps one helper and reuses it, so a run pays one thread start per
//! rayon worker, not one per file. A helper whose job overran is never reused.
//!
//! A panic inside a parser is caught on the helper and reported the same way, as a parse
//! error for that file, rather than ending the run.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{mpsc, OnceLock};
use std::thread;
use std::time::Duration;

/// How long one file may take to parse, before its size allowance, unless
/// `TRAILCHECK_PARSE_BUDGET_MS` says otherwise. Real files parse in milliseconds.
const DEFAULT_PARSE_BUDGET: Duration = Duration::from_secs(10);

/// The parse budget for a text of `len` bytes: the base budget plus 5 ms per full KiB, so
/// that a large legitimate file on a loaded machine is never cut off (an 8 MiB file, the
/// largest read, parses in about a second and gets 51 s), while the hostile inputs,
/// which are small, are stopped after the base.
pub(crate) fn parse_budget_for(len: usize) -> Duration {
    let kib = u64::try_from(len / 1024).unwrap_or(u64::MAX);
    parse_budget().saturating_add(Duration::from_millis(kib.saturating_mul(5)))
}

/// The base parse budget: `TRAILCHECK_PARSE_BUDGET_MS` (milliseconds, at least 1) or ten
/// seconds.
pub(crate) fn parse_budget() -> Duration {
    static BUDGET: OnceLock<Duration> = OnceLock::new();
    *BUDGET.get_or_init(|| {
        std::env::var("TRAILCHECK_PARSE_BUDGET_MS")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .map_or(DEFAULT_PARSE_BUDGET, Duration::from_millis)
    })
}

/// The helper's stack: deep but legal nesting must not overflow it.
const HELPER_STACK: usize = 64 * 1024 * 1024;

/// Why a budgeted job gave no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overrun {
    /// The job did not finish within the budget and was abandoned.
    TimedOut(Duration),
    /// The job panicked.
    Panicked,
}

impl Overrun {
    /// A sentence for an input error: what happened and what the user can do.
    pub(crate) fn describe(self, what: &str) -> String {
        match self {
            Overrun::TimedOut(d) => format!(
                "the {what} parser did not finish within {} and was stopped: this file \
                 makes the parser backtrack without end (usually unclosed brackets among \
                 long operator chains). Check it for unclosed `{{`, `[` or `(`; \
                 TRAILCHECK_PARSE_BUDGET_MS raises the limit",
                if d < Duration::from_secs(1) {
                    format!("{} ms", d.as_millis())
                } else {
                    format!("{:.1} s", d.as_secs_f64())
                }
            ),
            Overrun::Panicked => format!(
                "the {what} parser failed on this file (it panicked); please report the \
                 file to trailcheck's issue tracker"
            ),
        }
    }
}

type Job = Box<dyn FnOnce() + Send>;

struct Helper {
    jobs: mpsc::Sender<Job>,
}

impl Helper {
    fn spawn() -> Option<Helper> {
        let (jobs, inbox) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name("trailcheck-parse".into())
            .stack_size(HELPER_STACK)
            .spawn(move || {
                // Ends when the owner drops the sender (thread exit or an overrun).
                while let Ok(job) = inbox.recv() {
                    job();
                }
            })
            .ok()?;
        Some(Helper { jobs })
    }
}

thread_local! {
    static HELPER: RefCell<Option<Helper>> = const { RefCell::new(None) };
}

/// Runs `job` on this thread's helper and waits for it at most `budget`.
///
/// When no helper thread can be started (thread limit reached), the job runs here, without
/// a budget, rather than not at all.
pub(crate) fn run<T, F>(budget: Duration, job: F) -> Result<T, Overrun>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (reply, answer) = mpsc::sync_channel::<thread::Result<T>>(1);
    let boxed: Job = Box::new(move || {
        let out = panic::catch_unwind(AssertUnwindSafe(job));
        // The caller may have stopped waiting; then nobody needs the answer.
        let _ = reply.send(out);
    });
    let helper = HELPER
        .with(|h| h.borrow_mut().take())
        .or_else(Helper::spawn);
    let Some(helper) = helper else {
        return run_here(boxed, &answer);
    };
    if let Err(mpsc::SendError(boxed)) = helper.jobs.send(boxed) {
        // The helper thread is gone; fall back to a fresh one, or to this thread.
        let Some(fresh) = Helper::spawn() else {
            return run_here(boxed, &answer);
        };
        if fresh.jobs.send(boxed).is_err() {
            return Err(Overrun::Panicked);
        }
        return wait(fresh, &answer, budget);
    }
    wait(helper, &answer, budget)
}

fn wait<T>(
    helper: Helper,
    answer: &mpsc::Receiver<thread::Result<T>>,
    budget: Duration,
) -> Result<T, Overrun> {
    match answer.recv_timeout(budget) {
        Ok(Ok(value)) => {
            HELPER.with(|h| *h.borrow_mut() = Some(helper));
            Ok(value)
        }
        Ok(Err(_)) => {
            HELPER.with(|h| *h.borrow_mut() = Some(helper));
            Err(Overrun::Panicked)
        }
        // Dropping `helper` closes its inbox: the thread exits once the stuck job returns.
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Overrun::TimedOut(budget)),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Overrun::Panicked),
    }
}

fn run_here<T>(job: Job, answer: &mpsc::Receiver<thread::Result<T>>) -> Result<T, Overrun> {
    job();
    match answer.try_recv() {
        Ok(Ok(value)) => Ok(value),
        _ => Err(Overrun::Panicked),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_texts_get_more_time() {
        assert_eq!(parse_budget_for(1023), parse_budget());
        assert_eq!(
            parse_budget_for(8 * 1024 * 1024),
            parse_budget() + Duration::from_millis(8192 * 5)
        );
    }

    #[test]
    fn returns_the_value_and_reuses_the_helper() {
        for i in 0..100 {
            assert_eq!(run(Duration::from_secs(5), move || i * 2), Ok(i * 2));
        }
    }

    #[test]
    fn a_panic_is_an_overrun_and_the_next_job_still_runs() {
        let out: Result<(), _> = run(Duration::from_secs(5), || panic!("boom (expected)"));
        assert_eq!(out, Err(Overrun::Panicked));
        assert_eq!(run(Duration::from_secs(5), || 7), Ok(7));
    }

    #[test]
    fn an_endless_job_is_abandoned_after_the_budget() {
        let (stop, stopped) = mpsc::channel::<()>();
        let out = run(Duration::from_millis(50), move || {
            // Blocks until the test drops `stop`, i.e. far longer than the budget.
            let _ = stopped.recv();
        });
        assert_eq!(out, Err(Overrun::TimedOut(Duration::from_millis(50))));
        // A fresh helper serves the next job.
        assert_eq!(run(Duration::from_secs(5), || 1), Ok(1));
        drop(stop);
    }
}
