//! Applying inline suppressions (`Model.suppressions`, from every front end) to findings.
//!
//! A suppression removes the findings of the rule it names (by name or id) whose primary
//! span lies inside its target. What each suppression matched is returned so the rules
//! `suppression-unused` and `suppression-missing-reason` can report on it.

use super::{Finding, RuleMeta, Selection, Settings, CATALOG};
use crate::model::Model;

/// The rule a suppression names: built-in (name or id) or a user rule.
fn named<'a>(name: &str, settings: &'a Settings) -> Option<&'a RuleMeta> {
    CATALOG.find(name).or_else(|| {
        settings
            .user_rules
            .iter()
            .map(|u| u.meta)
            .find(|m| m.name == name || m.id.eq_ignore_ascii_case(name))
    })
}

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

pub(super) fn apply(
    model: &Model,
    settings: &Settings,
    selection: &Selection,
    findings: &mut Vec<Finding>,
) -> Vec<Use> {
    let mut uses: Vec<Use> = model
        .suppressions
        .iter()
        .map(|s| match named(&s.rule, settings) {
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
            if inside && named(&s.rule, settings).is_some_and(|r| r.name == f.rule.name) {
                uses[i] = Use::Used;
                keep = false;
            }
        }
        keep
    });
    uses
}
