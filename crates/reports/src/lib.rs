//! How a report is made, above the store: the store keeps and reads report facts
//! ([`storage::FactsStore`]); this crate decides whether a report can be made from them (they
//! were taken with the report's rules: the rule set, or force plugins' rules) or must evaluate
//! every case, and adds the repeat-suspect figure from the store's confirmed links. The command
//! line, the web server and the benchmarks all report through [`build_report`].

use reporting::{Report, ReportBuilder, RulesInForce, Scope};
use storage::{Access, FactsQuery, Store, StoreResult};

/// How a report was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportPath {
    /// From the stored facts (cases with events after the report's instant evaluated in full).
    Facts,
    /// Every case read and evaluated in full: the facts are missing or were taken with another
    /// rule set.
    FullEvaluation,
}

/// Builds the report over `scope` with `rules` (a rule set, or force plugins' rules with the rule
/// set they make): from the stored facts when they were taken with the same rules, otherwise by
/// streaming and evaluating every case. The read is audited once by the store, with `access`.
pub async fn build_report<'r>(
    store: &dyn Store,
    access: &Access,
    rules: impl Into<RulesInForce<'r>>,
    scope: Scope,
) -> StoreResult<(Report, ReportPath)> {
    let rules = rules.into();
    let query = FactsQuery::for_scope(&scope, rules);
    // Repeat suspects come from the store's confirmed links, not from the events.
    let repeat_suspects = store
        .repeat_suspects(access, scope.force.as_deref())
        .await?;
    let mut builder = ReportBuilder::new(rules, scope);
    let mut feed = |input: reporting::ReportInput| {
        builder.add_input(&input);
        Ok(())
    };
    let path = match store.report_facts(access, &query, &mut feed).await? {
        Some(_) => ReportPath::Facts,
        None => {
            tracing::warn!(
                basis = %query.basis,
                "report facts are missing or were taken with another rule set; evaluating every case (run `rasso report rebuild-facts`)"
            );
            store
                .stream_cases(access, query.force.as_deref(), &mut |stored| {
                    builder.add(&stored.case);
                    Ok(())
                })
                .await?;
            ReportPath::FullEvaluation
        }
    };
    let mut report = builder.finish();
    report.repeat_suspects = Some(repeat_suspects.into());
    Ok((report, path))
}
