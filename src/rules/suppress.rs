//! Applying inline suppressions (`Model.suppressions`, from every front end) to findings.
//!
//! A suppression removes the findings of the rule it names (by name or id) whose primary
//! span lies inside its target. What each suppression matched is returned so the rules
//! `suppression-unused` and `suppression-missing-reason` can report on it.

use super::{Finding, Selection, CATALOG};
use crate::model::Model;

/// How one suppression fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// It suppressed at least one finding.
    Used,
    /// Its rule ran and it suppressed nothing.
    Unused,
    /// Its rule did not run (not selected): whether it is needed cannot be told.
    RuleNotRun,
    /// It names no rule of the catalog.
    UnknownRule,
}

pub(super) fn apply(model: &Model, selection: &Selection, findings: &mut Vec<Finding>) -> Vec<Use> {
    let mut uses: Vec<Use> = model
        .suppressions
        .iter()
        .map(|s| match CATALOG.find(&s.rule) {
            None => Use::UnknownRule,
            Some(r) if selection.is_enabled(&r.name) => Use::Unused,
            Some(_) => Use::RuleNotRun,
        })
        .collect();
    findings.retain(|f| {
        let mut keep = true;
        for (i, s) in model.suppressions.iter().enumerate() {
            let t = s.target;
            let inside = t.source == f.primary.source
                && t.start <= f.primary.start
                && f.primary.end <= t.end
                && !t.is_empty();
            if inside && CATALOG.find(&s.rule).is_some_and(|r| r.name == f.rule.name) {
                uses[i] = Use::Used;
                keep = false;
            }
        }
        keep
    });
    uses
}
