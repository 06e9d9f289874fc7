//! `org-trail-outside-management-account`: an organization trail declared for an account
//! the configuration says is neither the management account nor a delegated admin.

use super::model_common::trail;
use crate::rules::{Diag, RuleContext};
use crate::simulate::is_unknown_account;

pub(crate) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diag>) {
    let sim = ctx.sim;
    let Some(mgmt) = &sim.context.management_account else {
        return;
    };
    for s in &sim.sinks {
        if !s.organization
            || is_unknown_account(&s.account)
            || &s.account == mgmt
            || sim.context.delegated_admins.contains(&s.account)
        {
            continue;
        }
        let span = trail(ctx, s)
            .and_then(|t| t.is_organization_trail.span())
            .unwrap_or(
                ctx.model
                    .trails
                    .get(s.index)
                    .map_or_else(Default::default, |t| t.origin.span),
            );
        out.push(
            Diag::new(
                span,
                format!(
                    "`{}` is an organization trail deployed to account {}, which is neither the management account ({mgmt}) nor a delegated administrator: CreateTrail fails (NotOrganizationMasterAccountException)",
                    s.address, s.account
                ),
            )
            .resource(&s.address)
            .help("deploy organization trails from the management account or a CloudTrail delegated administrator, or set `is_organization_trail = false`"),
        );
    }
}
